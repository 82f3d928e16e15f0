"""Jobs run in daemon threads awaited from the event loop: results, errors, and abandoning a blocked one."""

from __future__ import annotations

import asyncio
import threading

import pytest

from tui.app.threads import in_daemon_thread


async def test_the_result_and_the_error_come_back() -> None:
    assert await in_daemon_thread(lambda: 6 * 7) == 42

    def fail() -> None:
        raise ValueError("one line")

    with pytest.raises(ValueError, match="one line"):
        await in_daemon_thread(fail)


async def test_a_cancelled_wait_abandons_a_blocked_daemon_thread() -> None:
    release, started = threading.Event(), threading.Event()
    seen: list[threading.Thread] = []

    def blocked() -> None:
        seen.append(threading.current_thread())
        started.set()
        release.wait()

    task = asyncio.ensure_future(in_daemon_thread(blocked, name="test-blocked"))
    while not started.is_set():
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    thread = seen[0]
    assert thread.daemon and thread.is_alive() and thread.name == "test-blocked"  # cannot hold the process
    release.set()
    thread.join(5)
    assert not thread.is_alive()
