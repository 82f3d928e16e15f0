"""``chaindoctor mtls --app``: the app opened directly on the mTLS screen."""

from __future__ import annotations

from textual.app import App
from textual.notifications import SeverityLevel

from ..pki.request import PairRequest
from ..pki.session import Clock, Pair, open_pair, system_clock
from .model import Workspace
from .notices import name_the_quit_key, notify_alone
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
        self.then_lessons = False  # `l` was pressed: the lessons open when this app has closed

    def on_mount(self) -> None:
        self.push_screen(self.pair_screen)

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """One short notice at a time (see :mod:`~tui.app.notices`)."""
        notify_alone(self, message, title=title, severity=severity, timeout=timeout, markup=markup)

    def leave_for_lessons(self) -> None:
        """Close, and have :func:`launch_mtls` open the lessons (they run in the main app)."""
        self.then_lessons = True
        self.exit(0)

    async def action_quit(self) -> None:
        """``q`` and Ctrl+Q alike: the screen's quit, which asks when repairs are not saved."""
        await self.pair_screen.action_quit()

    def action_help_quit(self) -> None:
        name_the_quit_key(self)

    def action_glossary(self, key: str = "") -> None:
        """The explanations' glossary links."""
        self.pair_screen.action_glossary(key)

    @property
    def busy(self) -> bool:
        """Whether the screen is still analysing or repairing (tests wait for it)."""
        return self.pair_screen.busy


def make_mtls_app(request: PairRequest, *, now: Clock | None = None) -> MtlsApp:
    """The app for ``chaindoctor mtls`` (LoadError with one line on unusable input)."""
    return MtlsApp(open_pair(request), now=now)


def launch_mtls(request: PairRequest, *, watchdog: bool = False) -> int:
    """Run the mTLS app (then the lessons, when ``l`` left for them); returns the exit status.
    ``watchdog`` (the command line's): see :func:`tui.app.run_to_the_end`."""
    from ..pki.request import Request
    from . import launch, run_to_the_end

    def then(app: App[int]) -> int | None:
        return launch(Request(system_roots=False), lessons=True) if getattr(app, "then_lessons", False) else None

    return run_to_the_end(make_mtls_app(request), then=then, watchdog=watchdog)
