"""The save, open and quit dialogs: path completion, the warning before saving a broken chain,
"save and quit"; and a copy too large for the terminal's clipboard."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tests.app.conftest import ROOTS, SIZE, FakeClipboard, new_app, record_notes, sample, settle
from tests.app.test_mtls_app import mtls_app, reversed_client_chain, screen_of
from tui.app import paths
from tui.app.clipboard import OSC52_LIMIT
from tui.app.screens.dialogs import ChoiceScreen, ConfirmScreen, OpenScreen, SaveScreen
from tui.app.widgets import paths as path_widgets
from tui.pki.load import load_file

LEAF = "CN=orders.fin.service.local"


def field(app: App[Any]) -> Input:
    return app.screen.query_one("#path", Input)


def matches(app: App[Any]) -> str:
    content = app.screen.query_one("#matches", Static).content
    return getattr(content, "plain", str(content))


async def type_path(pilot: Pilot[Any], app: App[Any], start: str, keys: str) -> None:
    """Put ``start`` in the path field, then type ``keys`` one by one (as a user would)."""
    field(app).value = start
    field(app).cursor_position = len(start)
    for key in keys:
        await pilot.press(key)
    await settle(pilot)


# --- completion ---------------------------------------------------------------------------------------


async def test_save_dialog_completes_folder_and_file_names(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "chain.pem").write_text("x")
    (tmp_path / "certs" / "chain-old.pem").write_text("x")
    (tmp_path / "certs" / ".hidden.pem").write_text("x")
    (tmp_path / "certs" / "ch\x1b[2J\u202e.pem").write_text("x")  # a hostile file name, shown inert
    app = new_app(sample("reversed.pem"), "--roots", ROOTS)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, SaveScreen)
        await type_path(pilot, app, f"{tmp_path}/", "ce")
        await pilot.press("tab")  # the only match: the folder, with its slash
        await settle(pilot)
        assert field(app).value == f"{tmp_path}/certs/"
        await type_path(pilot, app, field(app).value, "c")
        assert matches(app).startswith("3 matches: ch\\x1b[2J\\u202e.pem  chain-old.pem  chain.pem")
        assert ".hidden" not in matches(app) and "\x1b" not in matches(app)
        await pilot.press("tab")  # several matches: their common start
        await settle(pilot)
        assert field(app).value == f"{tmp_path}/certs/ch"
        await type_path(pilot, app, field(app).value, "ain")
        await type_path(pilot, app, field(app).value, ".")
        await pilot.press("tab")
        await settle(pilot)
        assert field(app).value == f"{tmp_path}/certs/chain.pem"
        await pilot.press("tab")  # nothing left to complete: Tab moves on, as elsewhere
        await settle(pilot)
        assert not field(app).has_focus


async def test_open_dialog_completes_and_opens(tmp_path: Path) -> None:
    (tmp_path / "good-chain.pem").write_bytes(Path(sample("good-chain.pem")).read_bytes())
    app = new_app(sample("reversed.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("O")
        await pilot.pause()
        assert isinstance(app.screen, OpenScreen)
        await type_path(pilot, app, f"{tmp_path}/", "g")
        await pilot.press("tab", "enter")
        await settle(pilot)
        assert app.session.source_file == str(tmp_path / "good-chain.pem")
        assert app.view is not None and app.view.ok


def test_a_huge_folder_is_listed_up_to_a_bound(tmp_path: Path) -> None:
    for i in range(12):
        (tmp_path / f"cert{i:02}.pem").write_text("x")
    listing = paths.list_folder(str(tmp_path), limit=5)
    assert listing.truncated and len(listing.entries) == 5
    completion = paths.complete(f"{tmp_path}/cert", listing)
    assert completion.truncated and len(completion.matches) == 5
    assert path_widgets.matches_text(completion).plain.startswith("5+ matches:")


async def test_a_folder_that_never_lists_does_not_block_typing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def blocked(folder: str, limit: int = paths.MAX_ENTRIES) -> paths.Listing:
        release.wait()
        return paths.Listing()

    monkeypatch.setattr(paths, "list_folder", blocked)
    monkeypatch.setattr(path_widgets, "LIST_DEADLINE", 0.05)
    app = new_app(sample("reversed.pem"), "--roots", ROOTS)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("O")
            await pilot.pause()
            await type_path(pilot, app, f"{tmp_path}/", "abc")
            assert field(app).value == f"{tmp_path}/abc" and matches(app) == ""
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, OpenScreen)
    finally:
        release.set()


# --- saving a broken chain ---------------------------------------------------------------------------


async def test_saving_a_broken_chain_warns_and_still_saves(tmp_path: Path) -> None:
    target = tmp_path / "still-broken.pem"
    app = new_app(sample("reversed.pem"), "--roots", ROOTS)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        warning = app.screen.query_one("#warning", Static).content
        text = getattr(warning, "plain", str(warning))
        assert text.startswith("⚠ This chain is still BROKEN — 1 error")
        assert "wrong-order: " in text and "You can save it anyway." in text
        for button in ("#save", "#cancel"):  # everything fits at 80x24
            assert app.screen.query_one(button).region.bottom <= 24
        field(app).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
    assert len(load_file(str(target)).certs) == 3


async def test_saving_a_fixed_chain_gives_no_warning() -> None:
    app = new_app(sample("reversed.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, SaveScreen) and not app.screen.query("#warning")


# --- quitting with unsaved repairs ---------------------------------------------------------------------


async def save_as(pilot: Pilot[Any], target: Path) -> None:
    """Answer "save and quit" (s), then save to ``target`` in the save dialog."""
    await pilot.press("s")
    await pilot.pause()
    assert isinstance(pilot.app.screen, SaveScreen)
    field(pilot.app).value = str(target)
    await pilot.press("enter")
    await settle(pilot)


async def repair_then_quit(pilot: Pilot[Any]) -> None:
    """Reorder (an unsaved repair), then press q: the question opens."""
    await pilot.press("o")
    await settle(pilot)
    await pilot.press("q")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ChoiceScreen)


async def test_save_and_quit_saves_then_quits(tmp_path: Path) -> None:
    target = tmp_path / "fixed.pem"
    app = new_app(sample("reversed.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await repair_then_quit(pilot)
        dialog = app.screen
        assert [str(b.label) for b in dialog.query("Button")] == ["Save and quit", "Quit without saving", "Stay"]
        await save_as(pilot, target)
    assert app.return_code == 0
    assert load_file(str(target)).certs[0].subject == LEAF


async def test_a_cancelled_save_stays_and_q_q_quits_without_saving(tmp_path: Path) -> None:
    app = new_app(sample("reversed.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await repair_then_quit(pilot)
        await pilot.press("enter")  # the first choice: save and quit
        await pilot.pause()
        assert isinstance(app.screen, SaveScreen)
        await pilot.press("escape")  # no save: no quit
        await pilot.pause()
        assert app.is_running and len(app.screen_stack) == 1 and app.history.dirty
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("q")  # quit without saving
        await pilot.pause()
    assert app.return_code == 0 and app.history.dirty


async def test_mtls_save_and_quit_saves_the_changed_side(tmp_path: Path) -> None:
    app = mtls_app(client_chain=reversed_client_chain(tmp_path))
    target = tmp_path / "client.fixed.pem"
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen_of(app).focus_side("client")
        await repair_then_quit(pilot)
        await save_as(pilot, target)
    assert app.return_code == 0 and target.exists()


# --- a copy too large for the terminal's clipboard ----------------------------------------------------


def large_bundle(folder: Path) -> Path:
    """The demo bundle repeated past the OSC 52 limit."""
    one = Path(sample("demo.pem")).read_bytes()
    path = folder / "large.pem"
    path.write_bytes(one * (OSC52_LIMIT // len(one) + 2))
    return path


async def test_a_large_copy_goes_to_the_system_clipboard_only(tmp_path: Path, clipboard: FakeClipboard) -> None:
    app = new_app(str(large_bundle(tmp_path)), "--roots", ROOTS)
    notes = record_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("y")
        await pilot.pause()
        assert not app.clipboard  # nothing sent through OSC 52
        assert len(clipboard.copies) == 1 and len(clipboard.copies[0]) > OSC52_LIMIT
        said = notes.text()
        assert "copied to the system clipboard" in said and "Not sent to the terminal's clipboard" in said


async def test_a_large_copy_without_a_system_clipboard_offers_to_save(tmp_path: Path,
                                                                      clipboard: FakeClipboard) -> None:
    clipboard.fail = True
    app = new_app(str(large_bundle(tmp_path)), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("y")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        question = dialog.question.plain
        assert "too large for the terminal's clipboard" in question and "no system clipboard is reachable" in question
        assert "Save it to a file instead?" in question
        assert not app.clipboard
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, SaveScreen)
