"""The one key table: every binding, footer, help line, palette entry and "press X" comes from it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tui.app.actions import bindings, palette
from tui.app.app import ChainDoctorApp
from tui.app.keys import KEYS, Group, Where, key_for, key_of, keys_on, named
from tui.app.lessons.content import LESSONS
from tui.app.screens.help import help_text
from tui.app.screens.mtls import MtlsScreen
from tui.pki.vocabulary import FIX_FOR, Repair

EXPLANATIONS = Path(__file__).resolve().parents[2] / "tui" / "data" / "explanations"
SCREENS = {Where.MAIN: ChainDoctorApp, Where.PAIR: MtlsScreen}
MOVES = {"↑", "↓", "←", "→", "enter"}  # keys a lesson may name that move a cursor, not actions


def test_the_key_table_imports_without_textual() -> None:
    code = ("import sys; from tui.app.keys import key_for; from tui.pki.vocabulary import Repair; "
            "assert key_for(Repair.REORDER) == 'o'; sys.exit(1 if 'textual' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_each_repair_has_the_contract_key() -> None:
    assert {r: key_for(r) for r in Repair} == {
        Repair.REORDER: "o", Repair.COMPLETE: "c", Repair.DROP_EXTRAS: "x", Repair.DROP_ROOT: "r",
        Repair.KEEP_ROOT: "r", Repair.FIX_ALL: "f"}
    assert all(key_for(repair) for repair in FIX_FOR.values())


@pytest.mark.parametrize("where", list(Where))
def test_a_screen_binds_each_key_once_and_has_an_action_for_it(where: Where) -> None:
    bound = bindings(where)
    keys = [b.key for b in bound]
    assert len(keys) == len(set(keys))
    for key in keys_on(where):
        action = key.run
        if action.startswith("app.") or (key.textual and not key.in_footer(where)):
            continue  # Textual's own action
        name = action.split("(")[0]
        assert hasattr(SCREENS[where], f"action_{name}"), f"{where}: no action for {key.name}"
        if key.group is Group.REPAIRS:  # the footer and the palette find a repair key back from its action
            assert named(name, (action.split("'")[1],)) is key


def test_help_lists_every_key_of_the_main_screen_under_its_group() -> None:
    text = help_text().plain
    for group in Group:
        assert group.heading in text
    for key in keys_on(Where.MAIN):
        assert re.search(rf"^  {re.escape(key.shown)} +{re.escape(key.help)}$", text, re.MULTILINE), key.name


def test_the_palette_names_the_key_to_press() -> None:
    entries = list(palette(Where.MAIN))
    assert [k.title for k, _ in entries][:2] == ["Reorder the chain", "Complete the chain"]
    assert all(help_text.endswith(f"({key.shown})") for key, help_text in entries)


def test_lesson_prose_only_names_keys_the_app_has() -> None:
    known = {k.shown for k in KEYS} | MOVES
    for lesson in LESSONS:
        texts = [lesson.intro, lesson.outro, *(t for s in lesson.steps for t in (s.task, s.done))]
        for text in texts:
            for key in re.findall(r"[Pp]ress `([^`]+)`", text):
                assert key in known, f"{lesson.title}: press `{key}` is no key of the app"
    assert key_of("next_lesson") == "ctrl+n"


def test_explanations_only_name_keys_the_app_has() -> None:
    """How-to-fix prose names a key as ``(`x`)`` or ``with `x```: it must be one of the table's."""
    known = {k.shown for k in KEYS}
    named_keys = [(path.name, a or b) for path in sorted(EXPLANATIONS.glob("*.md"))
                  for a, b in re.findall(r"\(`(\w)`[,)]|with `(\w)`", path.read_text(encoding="utf-8"))]
    assert named_keys, "the explanations name the keys of their repairs"
    assert [(name, key) for name, key in named_keys if key not in known] == []
