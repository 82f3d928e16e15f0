"""The interactive app. ``launch`` opens the session first, so a bad file fails before the screen opens."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..pki.load import PasswordNeeded
from ..pki.request import Request
from ..pki.session import Clock, open_session

if TYPE_CHECKING:
    from textual.app import App

    from .app import ChainDoctorApp

__all__ = ["launch", "make_app", "run_to_the_end"]


def make_app(request: Request, *, lessons: bool = False, now: Clock | None = None) -> ChainDoctorApp:
    """The app on what ``request`` names (LoadError with one line on unusable input)."""
    from .app import ChainDoctorApp

    return ChainDoctorApp(open_session(request), now=now, lessons=lessons)


def launch(request: Request, *, lessons: bool = False, watchdog: bool = False) -> int:
    """Run the app; returns the exit status. ``watchdog`` (the command line's): see :func:`run_to_the_end`."""
    try:
        app = make_app(request, lessons=lessons)
    except PasswordNeeded:  # a PKCS#12 file without --password (or with a wrong one): ask, as the contract promises
        if "-" in request.sources or not sys.stdin.isatty():
            raise
        import getpass

        password = os.fsencode(getpass.getpass("PKCS#12 password: "))
        app = make_app(request.replace(password=password), lessons=lessons)
    if "-" in request.sources:
        _reattach_terminal()
    return run_to_the_end(app, watchdog=watchdog)


def run_to_the_end(app: App[int], *, then: Callable[[App[int]], int | None] | None = None,
                   watchdog: bool = False) -> int:
    """Run ``app`` and return its exit status (or, when ``then`` runs something after it, that one's).

    With ``watchdog`` (for the command line only), once the terminal is given back nothing (a job blocked on
    a silent server, a FIFO) keeps the process alive longer than a moment: it ends within a second.
    """
    from .threads import exit_watchdog

    code = 130  # interrupted (Ctrl+C outside the app's screen), unless the app returns
    try:
        app.run()
        code = app.return_code or 0
        follow = then(app) if then is not None else None
        if follow is not None:
            code = follow
    except Exception:
        code = 2  # the command line reports it as one line and exits 2
        raise
    finally:
        if watchdog:
            exit_watchdog(code)
    return code


def _reattach_terminal() -> None:
    """After reading a bundle from a pipe, take keys from the terminal instead."""
    if sys.stdin.isatty():
        return
    try:
        fd = os.open("/dev/tty", os.O_RDONLY)
    except OSError:
        return
    os.dup2(fd, 0)
    os.close(fd)
