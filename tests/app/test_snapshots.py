"""Snapshots (fixed clock, fixed size, no system roots): the main screen on the broken and the fixed demo,
help at 80x24, and the mTLS screen with its certificate and explanation panes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from tests.app.conftest import SAMPLES, SnapCompare, new_app, settle

SIZE = (120, 40)
SMALL = (100, 30)
TINY = (80, 24)


def press_then_settle(*keys: str) -> Callable[[Pilot[object]], object]:
    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)
            pilot.app.clear_notifications()  # the repair's wording belongs to the engine's tests
            await pilot.pause()

    return run_before


def test_demo_broken(snap_compare: SnapCompare) -> None:
    assert snap_compare(new_app(), terminal_size=SIZE, run_before=press_then_settle())


def test_demo_fixed(snap_compare: SnapCompare) -> None:
    assert snap_compare(new_app(), terminal_size=SIZE, run_before=press_then_settle("f"))


def test_demo_broken_small_terminal(snap_compare: SnapCompare) -> None:
    assert snap_compare(new_app(), terminal_size=SMALL, run_before=press_then_settle())


def test_missing_intermediate(snap_compare: SnapCompare, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(SAMPLES.parent)  # relative names: nothing machine-specific in the picture
    app = new_app("sample_certs/missing-intermediate.pem", "--roots", "sample_certs/roots/local-root.pem")
    assert snap_compare(app, terminal_size=SIZE, run_before=press_then_settle())


def test_help_small_terminal(snap_compare) -> None:  # type: ignore[no-untyped-def]  # the plugin's fixture
    assert snap_compare(new_app(), terminal_size=TINY, run_before=press_then_settle("question_mark"))


def mtls_pair_app() -> object:
    """``chaindoctor mtls`` where the server's client-CA bundle lacks the client's CA (relative names)."""
    from tests.app.test_mtls_app import mtls_app

    root = "sample_certs/mtls/server-root.pem"
    return mtls_app(root, root, server_chain="sample_certs/mtls/server-chain.pem",
                    client_chain="sample_certs/mtls/client-chain.pem")


async def _client_finding(pilot: Pilot[object]) -> None:
    """The client's side focused, its finding highlighted: its certificate and explanation below."""
    await settle(pilot)
    pilot.app.screen.focus_side("client")  # type: ignore[attr-defined]  # the MtlsScreen
    await pilot.press("tab")
    await settle(pilot)


@pytest.mark.parametrize("size", [SIZE, TINY], ids=["120x40", "80x24"])
def test_mtls_detail_panes(snap_compare, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]  # fixture
                           size: tuple[int, int]) -> None:
    monkeypatch.chdir(SAMPLES.parent)  # relative names: nothing machine-specific in the picture
    assert snap_compare(mtls_pair_app(), terminal_size=size, run_before=_client_finding)
