"""The interactive app. ``launch`` opens the session first, so a bad file fails before the screen opens."""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import TYPE_CHECKING

from ..pki.load import LoadError
from ..pki.request import Request
from ..pki.session import Clock, open_session

if TYPE_CHECKING:
    from .app import ChainDoctorApp

__all__ = ["launch", "make_app"]


def make_app(request: Request, *, lessons: bool = False, now: Clock | None = None) -> ChainDoctorApp:
    """The app on what ``request`` names (LoadError with one line on unusable input)."""
    from .app import ChainDoctorApp

    return ChainDoctorApp(open_session(request), now=now, lessons=lessons)


def launch(request: Request, *, lessons: bool = False) -> int:
    """Run the app; returns the exit status."""
    try:
        app = make_app(request, lessons=lessons)
    except LoadError as exc:  # a PKCS#12 file without --password: ask, as the contract promises
        if "needs a password" not in str(exc) or "-" in request.sources or not sys.stdin.isatty():
            raise
        import getpass

        password = os.fsencode(getpass.getpass("PKCS#12 password: "))
        app = make_app(dataclasses.replace(request, password=password), lessons=lessons)
    if "-" in request.sources:
        _reattach_terminal()
    app.run()
    return app.return_code or 0


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
