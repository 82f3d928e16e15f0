"""The interactive app. ``launch`` loads everything first, so a bad file fails before the screen opens."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import datetime

__all__ = ["launch", "make_app"]


def make_app(args: argparse.Namespace, *, lessons: bool = False, now: Callable[[], datetime] | None = None):  # type: ignore[no-untyped-def]
    """The app for these command-line options (LoadError/UsageError with one line on bad input)."""
    from .app import ChainDoctorApp
    from .lessons import install
    from .session import open_session

    install()
    session = open_session(args)
    return ChainDoctorApp(session, now=now, lessons=lessons)


def launch(args: argparse.Namespace, *, lessons: bool = False) -> int:
    """Run the app on the prepared inputs; returns the exit status."""
    from ..pki.load import LoadError

    try:
        app = make_app(args, lessons=lessons)
    except LoadError as exc:  # a PKCS#12 file without --password: ask, as the contract promises
        if "needs a password" not in str(exc) or "-" in args.sources or not sys.stdin.isatty():
            raise
        import getpass

        args.password = getpass.getpass("PKCS#12 password: ")
        app = make_app(args, lessons=lessons)
    if "-" in args.sources:
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
