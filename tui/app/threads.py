"""Blocking work that can never keep the process alive, and an exit that cannot be held up.

A job (an analysis, a repair, a fetch, listing a folder) runs in a daemon thread of its own and is
awaited from the event loop: when the user quits, Textual cancels the awaiting worker and the
thread is abandoned. Python does not wait for daemon threads at exit, so a job blocked on a server
that never answers (or on a FIFO) cannot hold the process. asyncio's default executor, which
Textual's thread workers use, would: ``asyncio.run`` joins its threads before it returns.

:func:`exit_watchdog` is the last resort once the app has given the terminal back: if the
interpreter has not finished within :data:`EXIT_GRACE` seconds, the process ends with ``os._exit``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

EXIT_GRACE = 1.0  # seconds between the terminal being restored and a forced exit


async def in_daemon_thread(work: Callable[[], T], *, name: str = "chaindoctor-job") -> T:
    """Run ``work`` in a new daemon thread and return its result (or raise its exception).

    Cancelling the awaiting task abandons the thread: it runs on, and its result is dropped.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return  # cancelled meanwhile
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]  # T when there is no error

    def run() -> None:
        try:
            result, error = work(), None
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task as it is
            result, error = None, exc
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:
            pass  # the loop is closed: the app has quit and nobody waits for this any more

    threading.Thread(target=run, name=name, daemon=True).start()
    return await future


def exit_watchdog(code: int, *, grace: float = EXIT_GRACE) -> None:
    """End the process with ``code`` if it is still alive ``grace`` seconds from now.

    Call it once the terminal is restored (after ``App.run`` returns). A normal exit within the
    grace period is not affected: the watchdog is a daemon thread and dies with the interpreter.
    """
    def fire() -> None:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - a closed or broken stream must not stop the exit
                pass
        os._exit(code)

    timer = threading.Timer(grace, fire)
    timer.daemon = True
    timer.name = "chaindoctor-exit-watchdog"
    timer.start()
