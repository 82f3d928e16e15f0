"""Notices: one short toast at a time, and a word about a key that would do nothing now."""

from __future__ import annotations

from typing import Any, Protocol

from textual.app import App
from textual.notifications import SeverityLevel

from .keys import Where, bound_to, key_of

NOTICE_SECONDS = 3.0  # long enough to read a line; the change itself stays on screen
ERROR_SECONDS = 6.0  # an error is read more carefully


def notify_alone(app: App[Any], message: str, *, title: str, severity: SeverityLevel, timeout: float | None,
                 markup: bool) -> None:
    """Show ``message`` as the only toast, briefly: a new notice replaces the one before."""
    app.clear_notifications()
    limit = ERROR_SECONDS if severity == "error" else NOTICE_SECONDS
    App.notify(app, message, title=title, severity=severity, timeout=min(timeout or limit, limit), markup=markup)


def name_the_quit_key(app: App[Any]) -> None:
    """Ctrl+C: which key quits (Ctrl+C copies in text fields, so it does not quit)."""
    app.notify(f"Press {key_of('quit')} to quit chaindoctor (Ctrl+Q quits too).", title="Quit?", markup=False)


class KeyOwner(Protocol):
    """A screen (or the app) that binds keys of the table and knows why one would do nothing."""

    @property
    def busy(self) -> bool: ...

    def unavailable(self, name: str) -> str | None: ...


def say_why(app: App[Any], owner: KeyOwner, where: Where, key: str) -> None:
    """Before ``key`` runs on ``where``: when it is a key of the table there that would do nothing now (the
    footer dims it), a notice says why. Keys pressed during a job run after it, so nothing is said then."""
    found = bound_to(where, key)
    if found is None or owner.busy:
        return
    reason = owner.unavailable(found.name)
    if reason:
        app.notify(reason, title=f"{found.shown}: nothing to do now", markup=False)
