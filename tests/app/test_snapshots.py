"""Snapshots of the main screen (fixed clock, fixed size, no system roots): broken demo, fixed demo."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from tests.app.conftest import SAMPLES, new_app, settle

SIZE = (120, 40)
SMALL = (100, 30)


def press_then_settle(*keys: str) -> Callable[[Pilot[object]], object]:
    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)
            pilot.app.clear_notifications()  # the repair's wording belongs to the engine's tests
            await pilot.pause()

    return run_before


def test_demo_broken(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(new_app(), terminal_size=SIZE, run_before=press_then_settle())


def test_demo_fixed(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(new_app(), terminal_size=SIZE, run_before=press_then_settle("f"))


def test_demo_broken_small_terminal(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(new_app(), terminal_size=SMALL, run_before=press_then_settle())


def test_missing_intermediate(snap_compare, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(SAMPLES.parent)  # relative names: nothing machine-specific in the picture
    app = new_app("sample_certs/missing-intermediate.pem", "--roots", "sample_certs/roots/local-root.pem")
    assert snap_compare(app, terminal_size=SIZE, run_before=press_then_settle())
