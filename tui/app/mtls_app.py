"""``chaindoctor mtls --app``: the app opened directly on the mTLS screen."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime

from textual.app import App

from ..pki.diagnose import Policy
from ..pki.history import History
from .screens.mtls import MtlsScreen, PairSide
from .session import system_clock

__all__ = ["MtlsApp", "launch_mtls", "make_mtls_app"]


class MtlsApp(App[int]):
    """The mTLS screen as an app of its own; ``q`` quits (asking when repairs are unsaved)."""

    CSS_PATH = "app.tcss"
    TITLE = "chaindoctor mtls"

    def __init__(self, server: PairSide, client: PairSide, *, now: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.pair_screen = MtlsScreen(server, client, now=now or system_clock, standalone=True)

    def on_mount(self) -> None:
        self.push_screen(self.pair_screen)

    @property
    def busy(self) -> bool:
        """Whether the screen is still analysing or repairing (tests wait for it)."""
        return self.pair_screen.busy


def make_mtls_app(args: argparse.Namespace, *, now: Callable[[], datetime] | None = None) -> MtlsApp:
    """The app for ``chaindoctor mtls`` options (LoadError with one line on bad input)."""
    from ..mtls_command import load_pair

    pair = load_pair(args)
    server = PairSide("server", args.server_chain, args.client_trust, pair.client_trust,
                      Policy(host=args.host, purpose="server", at=args.at), History(pair.server_chain))
    client = PairSide("client", args.client_chain, args.server_trust, pair.server_trust,
                      Policy(purpose="client", at=args.at), History(pair.client_chain))
    return MtlsApp(server, client, now=now)


def launch_mtls(args: argparse.Namespace) -> int:
    """Run the mTLS app; returns the exit status."""
    app = make_mtls_app(args)
    app.run()
    return app.return_code or 0
