"""Every key of the app and what it does to the bundle and the report (Pilot, headless)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.app.conftest import ROOTS, SIZE, FakeClipboard, new_app, record_notes, sample, settle
from tui.app.app import ChainDoctorApp
from tui.app.screens.dialogs import ChoiceScreen, ConfirmScreen, OpenScreen, PasteScreen, SaveScreen
from tui.app.screens.help import HelpScreen
from tui.app.widgets.signer_tree import CertRef, SignerTree
from tui.app.widgets.tables import FindingsTable, ServedOrder
from tui.pki.load import load_file

LEAF = "CN=orders.fin.service.local"
FIN = "CN=*.fin.service.local Intermediate CA"
SERVICE = "CN=*.service.local Intermediate CA"
ROOT = "CN=*.local Root CA"


def subjects(app: ChainDoctorApp) -> list[str]:
    return [e.subject for e in app.history.current.certs]


def codes(app: ChainDoctorApp) -> set[str]:
    assert app.view is not None
    return app.view.report.codes()


async def test_demo_opens_broken_with_tree_order_and_findings() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.title == "chaindoctor — BROKEN — 1 error, 2 warnings"
        assert app.sub_title == "demo.pem"
        assert codes(app) == {"wrong-order", "contains-root", "duplicate-cert"}
        tree = app.query_one(SignerTree)
        top = tree.root.children[0]
        assert isinstance(top.data.value, CertRef) and top.data.value.entry.subject == ROOT
        chain = []
        node = top
        while node.children:
            chain.append(node.data.value.entry.subject)
            node = node.children[0]
        chain.append(node.data.value.entry.subject)
        assert chain == [ROOT, SERVICE, FIN, LEAF]
        assert str(tree.root.children[1].label).startswith("Extra and duplicate certificates")
        assert tree.cursor_node is node  # the leaf is highlighted
        served = app.query_one(ServedOrder)
        assert served.break_index == 0
        assert "not signed by the next" in str(served.get_row_at(0)[1])
        assert "duplicate of #1" in str(served.get_row_at(4)[1])
        assert app.query_one(FindingsTable).row_count == 3
        details = app.query_one("#details").text
        assert "orders.fin.service.local" in details and "SHA-256" in details and "BEGIN CERTIFICATE" in details
        assert "expires in 98 years" in details
        explanation = app.query_one("#explain").text
        assert "wrong-order" in explanation and "Press o to reorder" in explanation
        assert "openssl" in explanation


async def test_reorder_puts_the_leaf_first_and_undo_redo_work() -> None:
    app = new_app(sample("reversed.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert subjects(app) == [SERVICE, FIN, LEAF]
        assert app.check_action("undo", ()) is None and app.check_action("redo", ()) is None
        await pilot.press("o")
        await settle(pilot)
        assert subjects(app) == [LEAF, FIN, SERVICE]
        assert app.view is not None and app.view.report.verdict == "ok"
        assert app.check_action("reorder", ()) is None  # nothing left to reorder: dimmed
        assert app.check_action("undo", ()) is True
        await pilot.press("u")
        await settle(pilot)
        assert subjects(app) == [SERVICE, FIN, LEAF]
        assert "wrong-order" in codes(app)
        assert app.check_action("redo", ()) is True
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert subjects(app) == [LEAF, FIN, SERVICE]
        assert not app.history.can_redo


async def test_complete_from_the_search_pool_asks_nothing() -> None:
    app = new_app(sample("missing-intermediate.pem"), "--roots", ROOTS, "--search", sample("pool"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "missing-intermediate" in codes(app)
        await pilot.press("c")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert subjects(app) == [LEAF, FIN, SERVICE]
        assert app.view is not None and app.view.report.verdict == "ok"


async def test_complete_asks_before_the_network_and_respects_no() -> None:
    app = new_app(sample("missing-intermediate.pem"), "--roots", ROOTS)
    fetched: list[str] = []

    def fetch(url: str, **_: object) -> list[object]:
        fetched.append(url)
        return [load_file(sample("pool/service-intermediate.pem")).certs[0].cert]

    app.session.fetch = fetch
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = app.query_one(SignerTree)
        placeholder = tree.root.children[0]
        assert "missing" in str(placeholder.label) and "Intermediate CA" in str(placeholder.label)
        assert "http://pki.service.local/" in str(placeholder.children[0].label)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # without network
        await settle(pilot)
        assert fetched == [] and subjects(app) == [LEAF, FIN]
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert fetched and subjects(app) == [LEAF, FIN, SERVICE]
        assert app.view is not None and app.view.report.verdict == "ok"
        assert app.session.allow_network  # not asked twice in one session


async def test_drop_extras_and_duplicates() -> None:
    app = new_app(sample("extra-cert.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "extra-cert" in codes(app)
        await pilot.press("x")
        await settle(pilot)
        assert subjects(app) == [LEAF, FIN, SERVICE]
        assert "extra-cert" not in codes(app)
        assert app.check_action("drop_extras", ()) is None


async def test_root_key_drops_the_anchor_and_puts_it_back() -> None:
    app = new_app(sample("root-included.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "contains-root" in codes(app)
        await pilot.press("r")
        await settle(pilot)
        assert subjects(app) == [LEAF, FIN, SERVICE]
        assert "contains-root" not in codes(app)
        await pilot.press("r")
        await settle(pilot)
        assert subjects(app) == [LEAF, FIN, SERVICE, ROOT]
        assert "contains-root" in codes(app)


async def test_fix_all_on_the_demo_then_undo() -> None:
    app = new_app()
    notes = record_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = subjects(app)
        await pilot.press("f")
        await settle(pilot)
        assert subjects(app) == [LEAF, FIN, SERVICE]
        assert app.title == "chaindoctor — OK"
        assert app.history.dirty
        assert "before:" in notes.text() and "after:" in notes.text()
        assert app.check_action("fix_all", ()) is None
        await pilot.press("u")
        await settle(pilot)
        assert subjects(app) == before
        assert not app.history.dirty


async def test_save_writes_the_fixed_chain_with_the_default_name(tmp_path: Path) -> None:
    source = tmp_path / "chain.pem"
    source.write_bytes(Path(sample("demo.pem")).read_bytes())
    app = new_app(str(source), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, SaveScreen)
        assert app.screen.query_one("#path").value == str(tmp_path / "chain.fixed.pem")
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, SaveScreen)
        assert not app.history.dirty
    saved = load_file(str(tmp_path / "chain.fixed.pem"))
    assert [e.subject for e in saved.certs] == [LEAF, FIN, SERVICE]
    assert "PRIVATE KEY" not in (tmp_path / "chain.fixed.pem").read_text()


async def test_save_asks_before_overwriting(tmp_path: Path) -> None:
    target = tmp_path / "out.pem"
    target.write_text("keep me\n")
    app = new_app(sample("reversed.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for answer in ("n", "y"):
            await pilot.press("s")
            await pilot.pause()
            field = app.screen.query_one("#path")
            field.value = str(target)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            assert "exists. Overwrite it?" in str(app.screen.question)
            await pilot.press(answer)
            await settle(pilot)
            if answer == "n":
                assert target.read_text() == "keep me\n"
    assert [e.subject for e in load_file(str(target)).certs] == [SERVICE, FIN, LEAF]


@pytest.mark.parametrize("tick", [False, True])
async def test_private_key_is_saved_only_when_ticked(tmp_path: Path, tick: bool) -> None:
    target = tmp_path / "with-key.pem"
    app = new_app(sample("combined-key-chain.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        box = app.screen.query_one("#keys")
        assert box.value is False  # default off
        box.value = tick
        app.screen.query_one("#path").value = str(target)
        await pilot.press("enter")
        await settle(pilot)
    text = target.read_text()
    assert ("PRIVATE KEY" in text) is tick
    if tick:
        assert stat.S_IMODE(os.stat(target).st_mode) == 0o600


async def test_copy_puts_pem_without_keys_on_both_clipboards(clipboard: FakeClipboard) -> None:
    app = new_app(sample("combined-key-chain.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.history.current.keys  # the bundle does hold a key
        await pilot.press("y")
        await pilot.pause()
        assert app.clipboard.count("BEGIN CERTIFICATE") == 3
        assert "PRIVATE KEY" not in app.clipboard
        assert clipboard.copies == [app.clipboard]


async def test_copy_without_a_system_clipboard_does_not_crash(clipboard: FakeClipboard) -> None:
    clipboard.fail = True
    app = new_app()
    notes = record_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("y")
        await pilot.pause()
        assert app.is_running
        assert "BEGIN CERTIFICATE" in app.clipboard  # OSC 52 still sent
        assert any(title == "No system clipboard" and "press s" in msg for msg, title, _ in notes.items)


async def test_paste_loads_the_clipboard(clipboard: FakeClipboard) -> None:
    clipboard.text = Path(sample("good-chain.pem")).read_text()
    app = new_app("--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert subjects(app) == [LEAF, FIN, SERVICE]
        assert app.sub_title == "clipboard" and app.title == "chaindoctor — OK"
        assert app.session.save_name() == "chain.fixed.pem"


async def test_paste_without_a_clipboard_opens_a_text_area(clipboard: FakeClipboard) -> None:
    clipboard.fail = True
    app = new_app("--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, PasteScreen)
        app.screen.query_one("#pem").text = Path(sample("reversed.pem")).read_text()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert subjects(app) == [SERVICE, FIN, LEAF]


async def test_open_a_file_and_a_bad_path() -> None:
    app = new_app("--roots", ROOTS)
    notes = record_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("O")
        await pilot.pause()
        assert isinstance(app.screen, OpenScreen)
        await pilot.press(*"no-such-file.pem", "enter")
        await settle(pilot)
        assert any(sev == "error" and "no such file" in msg for msg, _, sev in notes.items)
        assert app.sub_title == "demo.pem"
        await pilot.press("O")
        await pilot.pause()
        app.screen.query_one("#path").value = sample("extra-cert.pem")
        await pilot.press("enter")
        await settle(pilot)
        assert app.sub_title.endswith("extra-cert.pem")
        assert "extra-cert" in codes(app)
        assert app.session.save_name().endswith("extra-cert.fixed.pem")


async def test_open_asks_before_discarding_repairs() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("O")
        await pilot.pause()
        app.screen.query_one("#path").value = sample("good-chain.pem")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert app.sub_title == "demo.pem" and app.history.dirty


async def test_trust_the_highlighted_self_signed_root(tmp_path: Path) -> None:
    source = tmp_path / "with-root.pem"
    source.write_bytes(Path(sample("root-included.pem")).read_bytes())
    app = new_app(str(source))  # no --roots, no system roots: the root is not trusted
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "untrusted-root" in codes(app)
        assert app.check_action("trust", ()) is None  # the leaf is highlighted
        tree = app.query_one(SignerTree)
        tree.move_cursor(tree.root.children[0])
        await pilot.pause()
        assert app.selected is not None and app.selected.subject == ROOT
        assert app.check_action("trust", ()) is True
        await pilot.press("t")
        await settle(pilot)
        assert "untrusted-root" not in codes(app)
        assert "contains-root" in codes(app)
        assert app.title == "chaindoctor — OK — 1 warning"


async def test_help_shows_keys_and_glossary() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        from tui.app.screens.help import help_text

        text = help_text().plain
        assert "Glossary" in text and "trust anchor" in text.lower() and "ctrl+r" in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_quit_asks_when_repairs_are_unsaved() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and not isinstance(app.screen, ChoiceScreen)
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert app.return_code == 0


async def test_quit_without_changes_exits_at_once() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_command_palette_lists_the_available_repairs() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Fix all", "Reorder the chain", "Save the chain", "Help and glossary"} <= titles
        assert "Undo" not in titles  # nothing to undo yet
        fix = next(c for c in app.get_system_commands(app.screen) if c.title == "Fix all")
        await fix.callback()
        await settle(pilot)
        assert app.title == "chaindoctor — OK"


async def test_keys_pressed_during_analysis_run_afterwards() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f")  # possibly while the first analysis still runs
        await settle(pilot)
        assert subjects(app) == [LEAF, FIN, SERVICE]


async def test_details_follow_the_served_order_and_findings() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        served = app.query_one(ServedOrder)
        served.focus()
        await pilot.pause()
        served.move_cursor(row=2)
        await pilot.pause()
        assert app.query_one("#details").text.startswith("*.local Root CA")
        findings = app.query_one(FindingsTable)
        findings.focus()
        findings.move_cursor(row=1)
        await pilot.pause()
        assert "contains-root" in app.query_one("#explain").text
        assert app.query_one("#details").text.startswith("*.local Root CA")


def test_a_bad_file_fails_before_the_app_starts(capsys: pytest.CaptureFixture[str]) -> None:
    from tui.cli import main

    assert main(["no-such-file.pem", "--no-system-roots"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "chaindoctor: no-such-file.pem: no such file"
