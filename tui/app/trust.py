"""The trust keys: ``t`` trusts the highlighted self-signed root, ``T`` a file's CA certificates, for this
session only (nothing is written; the notice names the file that would make it last)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.screen import Screen
from textual.widgets import Button, Input, Label

from ..pki.load import LoadError
from . import facts, render
from .jobs import JobRunner
from .keys import key_of
from .model import Workspace
from .screens.dialogs import OpenScreen, open_dialog
from .view import View

Show = Callable[[Workspace, View], None]


class TrustFileScreen(OpenScreen):
    """The path of a file whose CA certificates to trust (PEM, DER, PKCS#7, PKCS#12)."""

    def __init__(self, prompt: str, default: str = "") -> None:
        super().__init__(default)
        self.prompt = prompt

    def on_mount(self) -> None:
        self.query_one(Label).update(self.prompt)
        self.query_one("#open", Button).label = "Trust"
        field = self.query_one(Input)
        field.select_on_focus = False  # the folder of the trust bundle is a start: type on after it
        super().on_mount()
        field.cursor_position = len(field.value)


class TrustKeys:
    """``t`` and ``T`` on the workspace ``target()`` returns; ``named`` says whose trust it is ("the
    server's client-CA bundle") when a screen shows two."""

    def __init__(self, host: App[Any] | Screen[Any], jobs: JobRunner, target: Callable[[], Workspace], show: Show,
                 *, named: Callable[[Workspace], str] | None = None) -> None:
        self.host, self.jobs, self.target, self.show, self.named = host, jobs, target, show, named

    @property
    def app(self) -> App[Any]:
        return self.host.app

    def why_not(self, name: str) -> str | None:
        """Why ``t`` (``trust``) would do nothing now; None when it would act, or for another key."""
        if name != "trust":
            return None
        workspace = self.target()
        entry, report = workspace.selected, workspace.report
        if report is None:
            return "Nothing to trust yet: the chain is still being analysed."
        if entry is None or not report.is_self_signed(entry):
            return (f"{key_of('trust')} trusts a self-signed root: highlight one first (the top of the chain), "
                    "or one the chain carries.")
        if report.is_anchor(entry):
            return f"'{render.safe(facts.short_name(entry), 80)}' is a trust anchor already."
        return None

    def trust_root(self) -> None:
        """``t``: the highlighted self-signed root becomes a trust anchor for this session."""
        if self.jobs.defer("trust"):
            return
        workspace = self.target()
        entry = workspace.selected
        if entry is None or workspace.view is None:
            return
        workspace.session.trust_root(entry)
        name = render.safe(facts.short_name(entry), 80)
        self._recheck(workspace, f"'{name}' is a trust anchor for this session (it is not added to any system "
                                 "store).")

    def trust_file(self) -> None:
        """``T``: ask for a file, and trust its CA certificates on the focused side for this session."""
        if self.jobs.defer("trust_file"):
            return
        workspace = self.target()
        session = workspace.session
        whose = self.named(workspace) if self.named is not None else "the trust anchors"
        default = os.path.dirname(session.roots_file or "")
        prompt = f"Trust the CA certificates of a file, for this session only,\nin {whose}:"
        open_dialog(self.app, TrustFileScreen(prompt, f"{default}{os.sep}" if default else ""),
                    lambda path: self._add(workspace, os.path.expanduser(path)) if path else None)

    def _add(self, workspace: Workspace, path: str) -> None:
        session = workspace.session
        try:
            added = session.trust_file(path)
        except (LoadError, ValueError, OSError) as exc:
            self.app.notify(render.safe(str(exc).splitlines()[0], 300), title="Not trusted", severity="error",
                            markup=False)
            return
        source = render.safe_path(path, 80)
        if not added:
            self.app.notify(f"Every CA certificate of {source} is trusted already.", title="Nothing to add",
                            markup=False)
            return
        names = ", ".join(f"'{render.safe(e.subject, 80)}'" for e in added[:3]) + (" …" if len(added) > 3 else "")
        last = ""
        judge = session.judge
        if judge is not None:
            them = "it" if len(added) == 1 else "them"
            last = (f" To make it last, add {them} to {render.safe_path(judge.trust_file)}, {judge.bundle} "
                    f"({judge.setting}).")
        self._recheck(workspace, f"{names} from {source}: trusted for this session only.{last}")

    def _recheck(self, workspace: Workspace, said: str) -> None:
        workspace.forget()

        def shown(workspace: Workspace, view: View) -> None:
            self.show(workspace, view)
            self.app.notify(said, title="Trusted", markup=False)

        self.jobs.show_current((workspace,), "Re-checking with the new trust anchors…", shown)
