"""``chaindoctor mtls --app``: the app opened directly on the mTLS screen."""

from __future__ import annotations

from textual.app import App

from ..pki.request import PairRequest
from ..pki.session import Clock, Pair, open_pair, system_clock
from .model import Workspace
from .screens.mtls import MtlsScreen

__all__ = ["MtlsApp", "launch_mtls", "make_mtls_app"]


class MtlsApp(App[int]):
    """The mTLS screen as an app of its own; ``q`` quits (asking when repairs are unsaved)."""

    CSS_PATH = "app.tcss"
    TITLE = "chaindoctor mtls"

    def __init__(self, pair: Pair, *, now: Clock | None = None) -> None:
        super().__init__()
        clock = now or system_clock
        self.pair_screen = MtlsScreen(Workspace(pair.server, clock), Workspace(pair.client, clock), standalone=True)

    def on_mount(self) -> None:
        self.push_screen(self.pair_screen)

    @property
    def busy(self) -> bool:
        """Whether the screen is still analysing or repairing (tests wait for it)."""
        return self.pair_screen.busy


def make_mtls_app(request: PairRequest, *, now: Clock | None = None) -> MtlsApp:
    """The app for ``chaindoctor mtls`` (LoadError with one line on unusable input)."""
    return MtlsApp(open_pair(request), now=now)


def launch_mtls(request: PairRequest) -> int:
    """Run the mTLS app; returns the exit status."""
    from . import run_to_the_end

    return run_to_the_end(make_mtls_app(request))
