"""Every sample bundle opens, and every repair key runs on it without an error."""

from __future__ import annotations

import pytest

from tests.app.conftest import ROOTS, SAMPLES, SIZE, new_app, record_notes, settle
from tui.app.screens.dialogs import ConfirmScreen
from tui.app.widgets.signer_tree import SignerTree

BUNDLES = sorted(p.name for p in SAMPLES.glob("*") if p.is_file() and p.suffix in (".pem", ".der", ".p7b", ".p12",
                                                                                       ".txt"))


@pytest.mark.parametrize("name", BUNDLES)
async def test_sample_opens_and_every_repair_runs(name: str) -> None:
    extra = ["--password", "chaindoctor"] if name.endswith(".p12") else []
    app = new_app(str(SAMPLES / name), "--roots", ROOTS, "--roots", str(SAMPLES / "roots" / "regional-root.pem"),
                  *extra)
    notes = record_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.view is not None and app.query_one(SignerTree).root.children
        for key in ("o", "x", "r", "c", "f", "u", "u", "ctrl+r"):
            await pilot.press(key)
            await settle(pilot)
            if isinstance(app.screen, ConfirmScreen):  # the network question: answer no
                await pilot.press("n")
                await settle(pilot)
        assert app.is_running
        assert not [m for m, t, sev in notes.items if sev == "error"]
