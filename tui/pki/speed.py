"""Pausing Python's cyclic garbage collector around allocation-heavy, cycle-free work.

Loading and diagnosing 10,000 certificates allocates hundreds of thousands of small objects and
creates no reference cycles; the collector would otherwise run hundreds of times for nothing.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic collector for the block; re-enable it only if it was enabled before."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
