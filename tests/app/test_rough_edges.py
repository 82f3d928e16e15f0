"""What a newcomer trips over: keys that do nothing, the footer and help, the order marks, wording,
notices, the lessons at 80x24 and a big bundle's first paint (Pilot, headless)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from rich.cells import cell_len
from textual.widgets._footer import FooterKey
from textual.widgets._toast import Toast

from tests import factory
from tests.app.conftest import ROOTS, SIZE, new_app, record_notes, sample, screen_text, settle
from tests.app.test_keys import codes, subjects
from tests.app.test_lessons import learn_app, start
from tui.app.app import ChainDoctorApp
from tui.app.keys import KEYS, Group, Key, Where, footer_rank, keys_on
from tui.app.lessons.panel import LessonPanel
from tui.app.render import fix_hint
from tui.app.screens.help import help_text
from tui.app.view import View
from tui.app.widgets.tables import FindingsTable, ServedOrder
from tui.pki.findings import Finding
from tui.pki.vocabulary import Code, Repair


def footer_keys(app: ChainDoctorApp) -> list[str]:
    return [f"{k.key_display} {k.description}" for k in app.screen.query(FooterKey)]


# --- r on a correct chain ----------------------------------------------------------------------------


async def test_r_on_a_chain_without_its_root_offers_nothing_to_put_back() -> None:
    app = new_app(sample("good-chain.pem"), "--roots", ROOTS)
    notes = record_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = subjects(app)
        assert codes(app) == set()
        assert app.check_action("repair", ("toggle_root",)) is None
        await pilot.press("r")
        await settle(pilot)
        assert subjects(app) == before and "contains-root" not in codes(app)
        assert "Put the root back" not in notes.text()
        assert "no root was dropped" in notes.text()


async def test_r_puts_back_only_a_root_the_user_dropped() -> None:
    app = new_app(sample("root-included.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert "contains-root" not in codes(app)
        assert app.check_action("repair", ("toggle_root",)) is True  # it was dropped here: r puts it back
        await pilot.press("r")
        await settle(pilot)
        assert "contains-root" in codes(app)


# --- keys that would do nothing say why ---------------------------------------------------------------


async def test_t_u_and_x_say_why_they_do_nothing() -> None:
    app = new_app(sample("good-chain.pem"), "--roots", ROOTS)
    notes = record_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key, words in (("t", "self-signed root"), ("u", "Nothing to undo"), ("x", "No extra")):
            notes.items.clear()
            assert app.check_action(*_action(key)) is None, key  # dimmed in the footer
            await pilot.press(key)
            await settle(pilot)
            assert words in notes.text(), key


@pytest.mark.parametrize("key", [k for k in keys_on(Where.MAIN) if k.group.acts_on_chain], ids=lambda k: k.name)
async def test_every_key_that_would_do_nothing_says_why(key: Key) -> None:
    app = new_app(sample("good-chain.pem"), "--roots", ROOTS)  # a correct chain: most repairs have nothing to do
    notes = record_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        if app.check_action(*_action(key.key)):
            return  # it acts here; its own tests cover what it does
        await pilot.press(key.key)
        await settle(pilot)
        assert notes.items, f"{key.name} did nothing and said nothing"


def _action(key: str) -> tuple[str, tuple[object, ...]]:
    found = next(k for k in KEYS if k.key == key)
    return ("repair", (found.name,)) if found.group is Group.REPAIRS else (found.run, ())


# --- the footer and help -----------------------------------------------------------------------------


@pytest.mark.parametrize("width", [80, 60, 120])
async def test_the_footer_keeps_help_and_quit_at_any_width(width: int) -> None:
    app = new_app()
    async with app.run_test(size=(width, 30)) as pilot:
        await settle(pilot)
        await pilot.pause()
        shown = footer_keys(app)
        assert "? Help" in shown and "q Quit" in shown
        text = screen_text(app).splitlines()
        assert "? Help" in text[-1] and "q Quit" in text[-1]


async def test_the_footer_shows_lessons_glossary_paste_and_open_and_drops_idle_keys_first() -> None:
    app = new_app(sample("good-chain.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.pause()
        shown = footer_keys(app)
        for wanted in ("l Lessons", "g Glossary", "p Paste", "O Open", "? Help", "q Quit"):
            assert wanted in shown
        assert "R Refetch" not in shown and "t Trust" not in shown  # nothing to refetch or trust: dropped first


def test_the_footer_order_puts_help_and_quit_first() -> None:
    ranked = sorted(KEYS, key=lambda k: footer_rank(k.name))
    assert [k.name for k in ranked[:2]] == ["help", "quit"]


def test_help_is_complete_for_each_screen() -> None:
    main, pair = help_text(Where.MAIN).plain, help_text(Where.PAIR).plain
    for key in KEYS:
        if key.name == "command_palette":
            continue
        listed = [text for where, text in ((Where.MAIN, main), (Where.PAIR, pair)) if where in key.on]
        assert listed and all(re.search(rf"^  {re.escape(key.shown)} +", t, re.MULTILINE) for t in listed), key.name
    assert re.search(r"^  R +fetch the chain again", main, re.MULTILINE)
    assert "T " in pair and "R " not in pair.split("Glossary")[0]


# --- the order table and its title --------------------------------------------------------------------


async def test_every_order_break_has_the_same_mark_and_the_title_follows_repairs() -> None:
    app = new_app(sample("reversed.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        served = app.query_one(ServedOrder)
        marks = [str(served.get_row_at(row)[1]) for row in range(served.row_count)]
        broken = [m for m in marks if "not signed by the next" in m]
        assert len(broken) >= 2 and len(set(broken)) == 1 and broken[0].startswith("✗")
        assert "⚠" not in "".join(marks) and "⚠" not in str(served.border_subtitle)
        assert served.border_title == "Served order (as in the file)"
        await pilot.press("o")
        await settle(pilot)
        assert served.border_title == "Served order (as it will be saved)"


# --- wording --------------------------------------------------------------------------------------------


def test_press_texts_use_the_keys_words() -> None:
    finding = Finding(Code.CONTAINS_ROOT, (), "The trust anchor is in the served chain.")
    assert fix_hint(finding) == "Press r to drop the root, or f to fix all."
    for code in (Code.WRONG_ORDER, Code.MISSING_INTERMEDIATE, Code.EXTRA_CERT, Code.CONTAINS_ROOT):
        hint = fix_hint(Finding(code, (), ""))
        assert not any(f"to {r.value}" in hint for r in Repair if "-" in r.value), hint


async def test_no_press_x_to_repair_name_anywhere_on_the_demo() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(FindingsTable)
        for row in range(table.row_count):
            table.move_cursor(row=row)
            await pilot.pause()
            text = app.query_one("#explain").text
            assert not re.search(r"[Pp]ress \S+ to (?:drop-|keep-|fix-|reorder,|complete,)", text), text


# --- notices ---------------------------------------------------------------------------------------------


async def test_one_notice_at_a_time_placed_off_the_explanation() -> None:
    app = new_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.pause()
        assert len(app._notifications) == 1  # the second repair's notice replaced the first
        toasts = list(app.screen.query(Toast))
        assert len(toasts) == 1
        toast = toasts[0].region
        for covered in ("#explain", "#findings", "#verdict", "#tree"):
            assert not toast.overlaps(app.query_one(covered).region), covered


async def test_a_new_lesson_clears_the_notices_of_the_last() -> None:
    app = learn_app()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, app, 3)
        await pilot.press("o")
        await settle(pilot)
        assert app._notifications
        await start(pilot, app, 4)
        assert not app._notifications


# --- the lessons at 80x24 -------------------------------------------------------------------------------


async def test_lesson_one_at_80x24_shows_its_task_and_the_certificate_pane() -> None:
    app = learn_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot, app, 0)
        await pilot.pause(0.3)
        text = " ".join(screen_text(app).split())
        assert "Highlight it" in text  # the first task, without scrolling
        details = app.query_one("#details").region
        assert details.width >= 24 and details.right <= app.default_screen.query_one(LessonPanel).region.x
        assert "Certificate" in text and "issuer" in text  # the pane lesson 1 talks about, with its card


# --- a big bundle's first paint -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle_525(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A leaf and its intermediate (its root missing), then 523 stray CAs, half of them twice."""
    key = ec.generate_private_key(ec.SECP256R1())
    inter = factory.ca("Big Intermediate CA", key=key)
    leaf = (x509.CertificateBuilder().subject_name(factory.name("big.example")).issuer_name(inter.cert.subject)
            .public_key(key.public_key()).serial_number(1).not_valid_before(factory.NOT_BEFORE)
            .not_valid_after(factory.NOT_AFTER)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("big.example")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    blocks = [leaf.public_bytes(serialization.Encoding.PEM), inter.pem]
    strays = [factory.ca(f"Stray CA {i}", key=key).pem for i in range(262)]
    blocks += strays + strays[:261]
    path = tmp_path_factory.mktemp("big") / "ca-bundle-525.pem"
    path.write_bytes(b"".join(blocks))
    return path


async def test_findings_columns_are_wide_enough_at_the_first_paint_of_a_big_bundle(
        bundle_525: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, tuple[int, int]]] = []
    original = FindingsTable.show

    def show(self: FindingsTable, view: View) -> None:
        original(self, view)
        widths = {}
        for key, column in self.columns.items():  # what the next paint uses, before any idle-time measuring
            index = self.get_column_index(key)
            cells = [self.get_row_at(row)[index] for row in range(min(self.row_count, 50))]
            needed = max(cell_len(str(c)) for c in cells)
            widths[str(key.value)] = (column.get_render_width(self) - 2 * self.cell_padding, needed)
        seen.append(widths)

    monkeypatch.setattr(FindingsTable, "show", show)
    app = new_app(str(bundle_525))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.view is not None and len(app.view.report.bundle.certs) == 525
    first = seen[0]
    for column in ("severity", "code"):
        width, needed = first[column]
        assert width >= needed, f"{column}: {width} < {needed}"
    assert first["cert"][0] >= min(first["cert"][1], 20)


async def test_ctrl_c_names_the_quit_key_of_the_key_table() -> None:
    app = new_app()
    notes = record_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert notes.items[-1][0] == "Press q to quit chaindoctor (Ctrl+Q quits too)."
        assert app.is_running
