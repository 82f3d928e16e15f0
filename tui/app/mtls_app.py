"""``chaindoctor mtls --app``: the app opened directly on the mTLS screen."""

from __future__ import annotations

from textual.app import App

from ..pki.request import PairRequest
from ..pki.session import Clock, Pair, open_pair, system_clock
from .screens.mtls import MtlsScreen, PairSide

__all__ = ["MtlsApp", "launch_mtls", "make_mtls_app"]


class MtlsApp(App[int]):
    """The mTLS screen as an app of its own; ``q`` quits (asking when repairs are unsaved)."""

    CSS_PATH = "app.tcss"
    TITLE = "chaindoctor mtls"

    def __init__(self, server: PairSide, client: PairSide, *, now: Clock | None = None) -> None:
        super().__init__()
        self.pair_screen = MtlsScreen(server, client, now=now or system_clock, standalone=True)

    def on_mount(self) -> None:
        self.push_screen(self.pair_screen)

    @property
    def busy(self) -> bool:
        """Whether the screen is still analysing or repairing (tests wait for it)."""
        return self.pair_screen.busy


def sides(pair: Pair) -> tuple[PairSide, PairSide]:
    """The two sides of the mTLS screen for an opened pair."""
    request = pair.request
    return (PairSide("server", request.server_chain, request.client_trust, pair.server),
            PairSide("client", request.client_chain, request.server_trust, pair.client))


def make_mtls_app(request: PairRequest, *, now: Clock | None = None) -> MtlsApp:
    """The app for ``chaindoctor mtls`` (LoadError with one line on unusable input)."""
    server, client = sides(open_pair(request))
    return MtlsApp(server, client, now=now)


def launch_mtls(request: PairRequest) -> int:
    """Run the mTLS app; returns the exit status."""
    app = make_mtls_app(request)
    app.run()
    return app.return_code or 0
