"""The settings key: ``S`` opens the settings of a workspace's session (trust anchors, search paths, host,
purpose, time, AIA consent) and judges its chain by them; on the mTLS screen, of the focused side."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.screen import Screen

from ..pki.load import LoadError
from ..pki.request import Request
from ..pki.session import Judging, Session
from . import facts, render
from .jobs import JobRunner, one_line
from .model import Workspace
from .screens.dialogs import open_dialog
from .view import View

Show = Callable[[Workspace, View], None]


def also_trusted(session: Session) -> str:
    """What the session trusts beyond the files its settings list (the demo's root, roots trusted with ``t``)."""
    names = [f"'{facts.short_name(e)}' ({e.origin.source})" for e in session.extra_anchors[:3]]
    more = len(session.extra_anchors) - len(names)
    return ("also trusted: " + ", ".join(names) + (f" and {more} more" if more > 0 else "")) if names else ""


class SettingsKeys:
    """``S`` on the workspace ``target()`` returns; ``show`` puts its new view on screen, ``restore`` redraws
    the status line; ``named`` says whose settings they are when a screen shows two sides."""

    def __init__(self, host: App[Any] | Screen[Any], jobs: JobRunner, target: Callable[[], Workspace], show: Show,
                 restore: Callable[[], None], *, named: Callable[[Workspace], str] | None = None) -> None:
        self.host, self.jobs, self.target, self.show, self.restore = host, jobs, target, show, restore
        self.named = named

    @property
    def app(self) -> App[Any]:
        return self.host.app

    def open(self, draft: Request | None = None, error: str = "", workspace: Workspace | None = None) -> None:
        """Open the settings (``draft``: the user's entries again, after ``error`` stopped them)."""
        if self.jobs.defer("settings"):
            return
        workspace = workspace or self.target()
        session = workspace.session
        request = draft or session.request.replace(aia=session.allow_network)
        from .screens.settings import SettingsScreen  # each dialog loads when it first opens

        title = f"Settings for {self.named(workspace)}" if self.named is not None else "Settings for this session"
        screen = SettingsScreen(request, default_host=session.default_host, extra=also_trusted(session), error=error,
                                title=title)
        open_dialog(self.app, screen, lambda answer: self._apply(workspace, answer) if answer is not None else None)

    def _apply(self, workspace: Workspace, request: Request) -> None:
        """Load the settings' files in a worker; judge by them (or ask again with the reason they failed)."""
        session = workspace.session

        def job() -> Judging | str:
            try:
                return session.prepare(request)
            except LoadError as exc:
                return one_line(exc)

        def done(result: Judging | str) -> None:
            if isinstance(result, str):
                self.restore()
                self.open(request, result, workspace)
                return
            session.adopt(result)
            workspace.forget()
            notes = "".join(f"\nskipped {render.safe(n, 200)}" for n in result.notes[:5])

            def shown(workspace: Workspace, view: View) -> None:
                self.show(workspace, view)
                self.app.notify(f"Judged by the new settings: {render.safe(session.trust.description, 200)}{notes}",
                                title="Settings applied", markup=False, timeout=8)

            self.jobs.show_current((workspace,), "Re-checking with the new settings…", shown)

        self.jobs.start(job, done, "Loading the trust anchors and search paths…", on=(workspace,))
