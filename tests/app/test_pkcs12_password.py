"""Opening or adding a PKCS#12 file protected by a password: the app asks for it, hidden, until it opens."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from textual.widgets import Input, Static

from tests import factory as f
from tests.app.conftest import SIZE, FakeClipboard, new_app, record_notes, settle
from tui.app.screens.dialogs import OpenScreen, PasswordScreen

PASSWORD = "tr0ub4dor-p12"  # appears nowhere but in the file's encryption and what the test types


def locked_p12(tmp_path: Path) -> Path:
    """A PKCS#12 file (a leaf, its key and its root) that opens with PASSWORD only."""
    root = f.ca("P12 Test Root")
    leaf = f.make("p12.example", root)
    data = pkcs12.serialize_key_and_certificates(b"p12", leaf.key, leaf.cert, [root.cert],
                                                 serialization.BestAvailableEncryption(PASSWORD.encode()))
    path = tmp_path / "identity.p12"
    path.write_bytes(data)
    return path


def question(dialog: PasswordScreen) -> str:
    return str(dialog.query_one(".question", Static).content)


async def type_into_dialog(pilot: object, text: str) -> None:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    field = pilot.app.screen.query_one(Input)
    field.value = text
    field.focus()
    await pilot.press("enter")
    await settle(pilot)


async def test_open_asks_for_the_password_again_when_wrong_and_keeps_it_nowhere(
        tmp_path: Path, clipboard: FakeClipboard) -> None:
    p12 = locked_p12(tmp_path)
    app = new_app()
    notes = record_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("O")
        await pilot.pause()
        assert isinstance(app.screen, OpenScreen)
        await type_into_dialog(pilot, str(p12))
        dialog = app.screen
        assert isinstance(dialog, PasswordScreen) and not dialog.wrong
        assert question(dialog) == f"{p12} is a PKCS#12 file protected by a password:"
        assert dialog.query_one(Input).password  # typed hidden
        await type_into_dialog(pilot, "not-it")
        dialog = app.screen
        assert isinstance(dialog, PasswordScreen) and dialog.wrong
        assert question(dialog) == f"That password does not open {p12}. Try again:"
        await type_into_dialog(pilot, PASSWORD)
        assert not isinstance(app.screen, PasswordScreen)
        assert app.sub_title.endswith("identity.p12")
        assert sorted(e.subject for e in app.history.current.certs) == ["CN=P12 Test Root", "CN=p12.example"]
        assert len(app.history.current.keys) == 1
        assert app.session.password is None  # the typed password opened this file only
        assert PASSWORD not in notes.text() and not any(PASSWORD in c for c in clipboard.copies)
        assert not any(sev == "error" for _, _, sev in notes.items)


async def test_escape_at_the_password_keeps_the_bundle_on_screen(tmp_path: Path) -> None:
    p12 = locked_p12(tmp_path)
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = app.history.current
        await pilot.press("O")
        await pilot.pause()
        await type_into_dialog(pilot, str(p12))
        assert isinstance(app.screen, PasswordScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, PasswordScreen)
        assert app.history.current is before and app.sub_title == "demo.pem"
        assert app.view is not None and "BROKEN" in app.title  # the status line is back


async def test_add_asks_for_the_password_and_adds_the_certificates(tmp_path: Path) -> None:
    p12 = locked_p12(tmp_path)
    app = new_app()
    notes = record_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        count = len(app.history.current.certs)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, OpenScreen)
        await type_into_dialog(pilot, str(p12))
        assert isinstance(app.screen, PasswordScreen)
        await type_into_dialog(pilot, PASSWORD)
        subjects = [e.subject for e in app.history.current.certs]
        assert len(subjects) == count + 2 and "CN=p12.example" in subjects
        assert any(title.startswith("Added") for _, title, _ in notes.items)
        assert PASSWORD not in notes.text()
        await pilot.press("u")  # one step of the history, as any addition
        await settle(pilot)
        assert len(app.history.current.certs) == count
