"""The workbench keys (Pilot, headless): S settings, a add a file, e export, / find, d before and after,
the save dialog's PKCS#7 formats, and findings grouped by code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tests import factory
from tests.app.conftest import ROOTS, SAMPLES, SIZE, FakeClipboard, new_app, record_notes, sample, settle
from tests.app.test_hostile import assert_inert, write_hostile_bundle
from tests.app.test_keys import FIN, LEAF, ROOT, SERVICE, codes, subjects
from tui.app.app import ChainDoctorApp
from tui.app.screens.changes import ChangesScreen
from tui.app.screens.dialogs import ConfirmScreen, OpenScreen, SaveScreen
from tui.app.screens.export import ExportScreen
from tui.app.screens.settings import SettingsScreen
from tui.app.widgets.findbar import FindBar
from tui.app.widgets.signer_tree import CHUNK, CertRef, SignerTree
from tui.app.widgets.tables import FindingsTable, ServedOrder
from tui.pki.load import load_file


def tree_subject(app: ChainDoctorApp) -> str | None:
    node = app.query_one(SignerTree).cursor_node
    value = node.data.value if node is not None and node.data is not None else None
    return value.entry.subject if isinstance(value, CertRef) else None


async def open_settings(pilot: Pilot[object]) -> SettingsScreen:
    await pilot.press("S")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, SettingsScreen)
    return screen


# --- S: settings ----------------------------------------------------------------------------------


async def test_settings_add_a_root_and_keep_the_repairs() -> None:
    app = new_app(sample("reversed.pem"))  # no --roots: the private root is not trusted
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert subjects(app) == [LEAF, FIN, SERVICE] and app.view is not None and not app.view.ok
        screen = await open_settings(pilot)
        assert screen.query_one("#roots", TextArea).text == ""
        assert screen.query_one("#system").value is False  # --no-system-roots
        screen.query_one("#roots", TextArea).load_text(ROOTS)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, SettingsScreen)
        assert app.view.ok and app.title.startswith("chaindoctor — OK")
        assert app.session.request.roots == (ROOTS,) and app.session.roots_file == ROOTS
        assert subjects(app) == [LEAF, FIN, SERVICE] and app.history.can_undo  # the reorder is still there
        await pilot.press("u")
        await settle(pilot)
        assert subjects(app) == [SERVICE, FIN, LEAF] and "wrong-order" in codes(app)


async def test_settings_a_bad_file_changes_nothing_and_asks_again(tmp_path: Path) -> None:
    app = new_app(sample("good-chain.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = app.session.trust
        screen = await open_settings(pilot)
        missing = str(tmp_path / "nope.pem")
        screen.query_one("#roots", TextArea).load_text(f"{ROOTS}\n{missing}\n")
        screen.query_one("#host", Input).value = "orders.fin.service.local"
        await pilot.press("ctrl+s")
        await settle(pilot)
        again = app.screen
        assert isinstance(again, SettingsScreen)  # open again with what was typed and the reason
        assert "nope.pem: no such file" in str(again.query_one("#error").content)
        assert again.query_one("#roots", TextArea).text == f"{ROOTS}\n{missing}"
        assert again.query_one("#host", Input).value == "orders.fin.service.local"
        assert app.session.trust is before and app.session.request.roots == (ROOTS,)
        assert app.session.policy.host is None
        await pilot.press("escape")
        await settle(pilot)
        assert app.view is not None and app.view.ok


async def test_settings_host_time_and_purpose() -> None:
    app = new_app(sample("good-chain.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_settings(pilot)
        screen.query_one("#host", Input).value = "not a host!"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        assert "not a DNS name or IP address" in str(screen.query_one("#error").content)
        screen.query_one("#host", Input).value = "other.example"
        screen.query_one("#at", Input).value = "next week"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "not an ISO 8601 time" in str(screen.query_one("#error").content)
        screen.query_one("#at", Input).value = "2200-01-01T00:00:00Z"
        screen.query_one("#purpose-client").value = True
        await pilot.pause()
        screen.query_one("#at", Input).focus()
        await pilot.press("enter")  # Enter in a field applies
        await settle(pilot)
        assert {"hostname-mismatch", "expired", "wrong-purpose"} <= codes(app)
        policy = app.session.policy
        assert (policy.host, policy.purpose, policy.at.year if policy.at else None) == ("other.example", "client", 2200)
        screen = await open_settings(pilot)  # the current values are shown
        assert screen.query_one("#host", Input).value == "other.example"
        assert screen.query_one("#at", Input).value == "2200-01-01T00:00:00Z"
        assert screen.query_one("#purpose-client").value is True
        screen.query_one("#host", Input).value = ""
        screen.query_one("#at", Input).value = ""
        screen.query_one("#purpose-server").value = True
        screen.query_one("#aia").value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.view is not None and app.view.ok and app.session.allow_network


async def test_settings_search_paths_let_complete_find_the_issuer() -> None:
    app = new_app(sample("missing-intermediate.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "missing-intermediate" in codes(app)
        screen = await open_settings(pilot)
        screen.query_one("#search", TextArea).load_text(str(SAMPLES / "pool"))
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert subjects(app) == [LEAF, FIN, SERVICE] and app.view is not None and app.view.ok


# --- a: add a file --------------------------------------------------------------------------------


async def test_add_a_file_is_one_undoable_step() -> None:
    app = new_app(sample("missing-intermediate.pem"), "--roots", ROOTS)
    notes = record_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, OpenScreen) and app.screen.button == "Add"
        await pilot.press(*"no-such-file.pem", "enter")
        await settle(pilot)
        assert any(sev == "error" and "no-such-file.pem: no such file" in msg for msg, _, sev in notes.items)
        assert subjects(app) == [LEAF, FIN] and not app.history.can_undo
        added = str(SAMPLES / "pool" / "service-intermediate.pem")
        await pilot.press("a")
        await pilot.pause()
        app.screen.query_one("#path", Input).value = added
        await pilot.press("enter")
        await settle(pilot)
        assert subjects(app) == [LEAF, FIN, SERVICE] and app.view is not None and app.view.ok
        assert f"added 1 certificate(s) from {added}" in notes.text() and "u to undo" in notes.text()
        await pilot.press("a")
        await pilot.pause()
        app.screen.query_one("#path", Input).value = added
        await pilot.press("enter")
        await settle(pilot)
        assert "nothing added: every certificate" in notes.text() and len(subjects(app)) == 3
        await pilot.press("u")
        await settle(pilot)
        assert subjects(app) == [LEAF, FIN] and "missing-intermediate" in codes(app)


async def test_an_added_key_stays_a_key_and_is_never_copied(clipboard: FakeClipboard) -> None:
    app = new_app(sample("good-chain.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        app.screen.query_one("#path", Input).value = str(SAMPLES / "keys" / "orders.fin.service.local.key")
        await pilot.press("enter")
        await settle(pilot)
        assert len(app.history.current.keys) == 1 and "private-key-present" in codes(app)
        await pilot.press("y")
        await pilot.pause()
        assert "CERTIFICATE" in clipboard.text and "PRIVATE KEY" not in clipboard.text


# --- e: export ------------------------------------------------------------------------------------


async def export_as(pilot: Pilot[object], kind: str, path: str | None = None) -> None:
    await pilot.press("e")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ExportScreen)
    screen.query_one(f"#as-{kind}").value = True
    await pilot.pause()
    if path is not None:
        screen.query_one("#path", Input).value = path
    screen.query_one("#export").press()
    await settle(pilot)


async def test_export_the_highlighted_certificate_to_files_and_the_clipboard(tmp_path: Path,
                                                                             clipboard: FakeClipboard) -> None:
    source = tmp_path / "chain.pem"
    source.write_bytes(Path(sample("combined-key-chain.pem")).read_bytes())
    app = new_app(str(source), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        leaf = app.selected
        assert leaf is not None and leaf.subject == LEAF
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        assert app.screen.query_one("#path", Input).value == str(tmp_path / "orders.fin.service.local.pem")
        await pilot.press("enter")
        await settle(pilot)
        written = tmp_path / "orders.fin.service.local.pem"
        assert written.read_text() == leaf.pem and "PRIVATE KEY" not in written.read_text()

        await export_as(pilot, "der")
        assert (tmp_path / "orders.fin.service.local.der").read_bytes() == leaf.der

        await export_as(pilot, "pem", str(written))  # exists: asks first
        assert isinstance(app.screen, ConfirmScreen) and "exists. Overwrite it?" in str(app.screen.question)
        await pilot.press("n")
        await settle(pilot)

        await export_as(pilot, "copy-pem")
        assert clipboard.text == leaf.pem and app.clipboard == leaf.pem
        await export_as(pilot, "copy-sha256")
        assert clipboard.text == leaf.sha256
        assert all("PRIVATE KEY" not in text for text in clipboard.copies)


async def test_export_is_dimmed_on_a_missing_issuer() -> None:
    app = new_app(sample("missing-intermediate.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.check_action("export", ()) is True
        tree = app.query_one(SignerTree)
        tree.move_cursor(tree.root.children[0])  # the missing issuer
        await pilot.pause()
        assert app.selected is None and app.check_action("export", ()) is None


# --- save as PKCS#7 -------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "head"), [("p7b", b"\x30"), ("p7b-pem", b"-----BEGIN PKCS7-----")])
async def test_save_the_chain_as_pkcs7_never_with_a_key(tmp_path: Path, fmt: str, head: bytes) -> None:
    source = tmp_path / "chain.pem"
    source.write_bytes(Path(sample("combined-key-chain.pem")).read_bytes())
    app = new_app(str(source), "--roots", ROOTS)
    notes = record_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SaveScreen)
        screen.query_one("#keys").value = True
        screen.query_one(f"#as-{fmt}").value = True
        await pilot.pause()
        assert screen.query_one("#path", Input).value == str(tmp_path / "chain.fixed.p7b")
        assert screen.query_one("#keys").disabled
        assert "holds certificates only" in str(screen.query_one("#format-note").content)
        screen.query_one("#path", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
    data = (tmp_path / "chain.fixed.p7b").read_bytes()
    assert data.startswith(head) and b"PRIVATE KEY" not in data
    assert {e.subject for e in load_file(str(tmp_path / "chain.fixed.p7b")).certs} == {LEAF, FIN, SERVICE}
    assert "PKCS#7 holds certificates only" in notes.text()


# --- d: before and after --------------------------------------------------------------------------


async def test_changes_show_what_moved_and_was_dropped_until_saved(tmp_path: Path) -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.check_action("changes", ()) is None  # nothing repaired yet
        await pilot.press("f")
        await settle(pilot)
        assert "d shows what changed" in str(app.query_one("#verdict").content)
        await pilot.press("d")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ChangesScreen)
        text = str(screen.query_one("#changes").content)
        assert "Before → after: 3 moved, 2 dropped" in text
        assert f"#2 -> #1  '{LEAF}'" in text and f"- #3  '{ROOT}' (root)" in text
        assert f"- #5  '{FIN}' (duplicate)" in text and "Not saved yet" in text
        await pilot.press("escape")
        await pilot.pause()
        app.workspace.forget()  # the report of the opened chain is computed again when needed
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ChangesScreen)
        assert "(root)" in str(app.screen.query_one("#changes").content)


# --- /: find --------------------------------------------------------------------------------------


async def find(pilot: Pilot[object], query: str) -> str:
    bar = pilot.app.query_one(FindBar)
    bar.query_one(Input).value = query
    bar.query_one(Input).focus()
    await pilot.press("enter")
    await pilot.pause()
    return str(bar.query_one("#find-status").content)


async def test_find_by_name_fingerprint_and_serial() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.pause()
        bar = app.query_one(FindBar)
        assert bar.display and bar.query_one(Input).has_focus
        await pilot.press(*"ROOT CA", "enter")
        await pilot.pause()
        assert str(bar.query_one("#find-status").content).startswith("match 1 of 2")  # by subject and issuer
        assert tree_subject(app) == ROOT and app.selected is not None and app.selected.subject == ROOT
        served = app.query_one(ServedOrder)
        assert served.cursor_row == 2  # #3 in the served order
        assert "contains-root" in app.query_one("#explain").text
        assert (await find(pilot, "root ca")).startswith("match 2 of 2")  # Enter again: the next one
        root = next(e for e in app.history.current.certs if e.subject == ROOT)
        colons = ":".join(root.sha256[i:i + 2] for i in range(0, 12, 2)).upper()
        assert (await find(pilot, colons)).startswith("match 1 of 1") and tree_subject(app) == ROOT
        serial = root.cert.serial_number
        assert (await find(pilot, str(serial))).startswith("match 1 of 1")
        assert (await find(pilot, f"{serial:X}")).startswith("match 1 of 1") and tree_subject(app) == ROOT
        assert await find(pilot, "no such certificate") == "no match"
        await pilot.press("escape")
        await pilot.pause()
        assert not bar.display and app.query_one(SignerTree).has_focus


@pytest.fixture(scope="module")
def wide_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One root over 500 CA certificates (one shared key keeps generation quick): a trust bundle."""
    root = factory.ca("Wide Root", key=ec.generate_private_key(ec.SECP256R1()))
    blocks = [root.pem, factory.same_key_children(root, [f"Wide CA {i:03d}" for i in range(500)], ca=True,
                                                   first_serial=1000)]
    path = tmp_path_factory.mktemp("wide") / "wide.pem"
    path.write_bytes(b"".join(blocks))
    return path


async def test_find_reaches_a_node_the_lazy_tree_has_not_built(wide_bundle: Path) -> None:
    app = new_app(str(wide_bundle))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = app.query_one(SignerTree)
        top = tree.root.children[0]
        assert len(top.children) == CHUNK + 1  # 200 shown, the rest behind "… more"
        await pilot.press("slash")
        assert (await find(pilot, "wide ca 450")) == "match 1 of 1  Wide CA 450"
        assert tree_subject(app) == "CN=Wide CA 450"
        assert app.query_one(ServedOrder).cursor_row == 451
        assert (await find(pilot, f"{1000 + 499:x}")).startswith("match 1 of 1")
        assert tree_subject(app) == "CN=Wide CA 499"


# --- grouped findings -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def many_warnings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A served chain with an expired leaf, 40 unrelated CA certificates and two repeated ones."""
    chain = factory.hierarchy("grouped", not_after=factory.AT.replace(year=2026, month=1))
    strays = [factory.ca(f"Stray CA {i:02d}") for i in range(40)]
    path = tmp_path_factory.mktemp("grouped") / "grouped.pem"
    path.write_bytes(factory.pem_of(chain.leaf, chain.inter, *strays, chain.inter, chain.leaf))
    (path.parent / "root.pem").write_bytes(chain.root.pem)
    return path


async def test_findings_group_by_code_errors_first_and_unfold_on_enter(many_warnings: Path) -> None:
    app = new_app(str(many_warnings), "--roots", str(many_warnings.parent / "root.pem"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(FindingsTable)
        keys = [table.coordinate_to_cell_key((r, 0)).row_key.value for r in range(table.row_count)]
        first = table.finding_at(keys[0])
        assert first is not None and first.code == "expired"  # errors first, a single finding as its row
        assert "group:extra-cert" in keys and "group:duplicate-cert" in keys
        assert len(keys) < 10
        row = keys.index("group:extra-cert")
        assert "extra-cert ×40" in str(table.get_row_at(row)[1])
        table.focus()
        table.move_cursor(row=row)
        await pilot.pause()
        explanation = app.query_one("#explain").text
        assert "40 findings of this code" in explanation and "extra-cert" in explanation
        count = table.row_count
        await pilot.press("enter")
        await pilot.pause()
        assert table.row_count == count + 40 and table.cursor_row == row
        table.move_cursor(row=row + 1)
        await pilot.pause()
        assert "Stray CA" in app.query_one("#explain").text and "40 findings" not in app.query_one("#explain").text
        assert app.query_one("#details").text.startswith("Stray CA")
        table.move_cursor(row=row)
        await pilot.press("enter")
        await pilot.pause()
        assert table.row_count == count
        await pilot.press("slash")
        assert (await find(pilot, "stray ca 33")).startswith("match 1 of 1")  # find unfolds the group
        assert table.row_count == count + 40
        assert "Stray CA 33" in str(table.get_row_at(table.cursor_row)[2])


# --- hostile names --------------------------------------------------------------------------------


async def test_hostile_names_stay_inert_in_the_workbench(tmp_path: Path) -> None:
    source = write_hostile_bundle(tmp_path)
    app = new_app(str(source))
    notes = record_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        status = await find(pilot, "[bold red]x[/]")
        assert status.startswith("match 1 of") and "[bold red]x[/]" in status and "\x1b" not in status
        assert_inert(app.query_one(FindBar))
        tree = app.query_one(SignerTree)
        tree.focus()
        root = tree.root.children[0]
        tree.move_cursor(root)
        await pilot.pause()
        await pilot.press("t")  # trust the hostile root: the settings name it
        await settle(pilot)
        screen = await open_settings(pilot)
        for widget in screen.query("Static"):
            assert_inert(widget)
        assert any("root [bold red]x[/]" in str(w.content) for w in screen.query("Static"))
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        header = app.screen.query_one(".question")
        assert "leaf [bold red]x[/] \\u202eevil" in str(header.content) and "\x1b" not in str(header.content)
        assert_inert(header)
        assert "\x1b" not in app.screen.query_one("#path", Input).value
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ChangesScreen)
        body = app.screen.query_one("#changes")
        assert "[link=http://evil]click[/link]" in str(body.content) and "\x1b" not in str(body.content)
        assert_inert(body)
        assert app.is_running and all("\x1b" not in m for m, _, _ in notes.items)


def test_export_names_files_after_the_certificate_without_unsafe_characters(tmp_path: Path) -> None:
    from tui.app.screens.export import file_name

    bundle = load_file(str(write_hostile_bundle(tmp_path)))
    names = [file_name(e) for e in bundle.certs]
    assert all(n.endswith(".pem") and "/" not in n and "\x1b" not in n and not n.startswith(".") for n in names)
    assert os.path.basename(file_name(load_file(sample("good-chain.pem")).certs[0])) == "orders.fin.service.local.pem"
