"""Undo/redo of repairs and the dirty flag the app uses before quitting or opening another bundle."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import factory as f
from tui.pki import fixes
from tui.pki.diagnose import Policy
from tui.pki.fixes import Repair, RepairContext
from tui.pki.history import History
from tui.pki.load import load_file
from tui.pki.model import Bundle
from tui.pki.stores import load_trust

SAMPLES = Path(__file__).resolve().parents[2] / "sample_certs"


@pytest.fixture(scope="module")
def ctx() -> RepairContext:
    return RepairContext(load_trust([str(SAMPLES / "roots" / "local-root.pem")], system=False), Policy(at=f.AT))


@pytest.fixture
def demo() -> Bundle:
    return load_file(str(SAMPLES / "demo.pem"))


def test_fresh_history(demo: Bundle) -> None:
    h = History(demo)
    assert h.current is demo
    assert not h.can_undo and not h.can_redo and not h.dirty
    assert h.undo() is None and h.redo() is None
    assert h.repairs == ()


def test_apply_undo_redo(demo: Bundle, ctx: RepairContext) -> None:
    h = History(demo)
    first = fixes.drop_extras(demo, ctx)
    assert h.apply(first)
    assert h.current is first.after and h.can_undo and h.dirty
    second = fixes.reorder(h.current, ctx)
    assert h.apply(second)
    assert h.repairs == (first, second)

    assert h.undo() is second
    assert h.current is first.after and h.can_redo
    assert h.undo() is first
    assert h.current is demo and not h.can_undo and not h.dirty
    assert h.redo() is first and h.redo() is second
    assert h.current is second.after and not h.can_redo


def test_unchanged_and_stale_repairs_are_not_recorded(demo: Bundle, ctx: RepairContext) -> None:
    h = History(demo)
    nothing = fixes.complete(demo, ctx)
    assert not nothing.changed
    assert not h.apply(nothing) and not h.can_undo
    stale = fixes.reorder(load_file(str(SAMPLES / "reversed.pem")), ctx)
    assert stale.changed and not h.apply(stale)
    assert h.current is demo


def test_apply_after_undo_clears_redo(demo: Bundle, ctx: RepairContext) -> None:
    h = History(demo)
    h.apply(fixes.drop_root(demo, ctx))
    h.undo()
    assert h.can_redo
    assert h.apply(fixes.fix_all(demo, ctx))
    assert not h.can_redo


def test_dirty_follows_the_saved_bundle(demo: Bundle, ctx: RepairContext) -> None:
    h = History(demo)
    h.apply(fixes.fix_all(demo, ctx))
    assert h.dirty
    h.mark_saved()
    assert not h.dirty
    h.undo()
    assert h.dirty, "the saved file holds the fixed chain, the app shows the original"
    h.redo()
    assert not h.dirty


def test_toggling_root_back_is_not_dirty(ctx: RepairContext) -> None:
    included = load_file(str(SAMPLES / "root-included.pem"))
    h = History(included)
    assert h.apply(fixes.drop_root(included, ctx))
    assert h.apply(fixes.keep_root(h.current, ctx))
    assert not h.dirty and h.current == included


def test_reset(demo: Bundle, ctx: RepairContext) -> None:
    h = History(demo)
    h.apply(fixes.fix_all(demo, ctx))
    other = load_file(str(SAMPLES / "good-chain.pem"))
    h.reset(other)
    assert h.current is other
    assert not h.can_undo and not h.can_redo and not h.dirty


def test_manual_repair_objects() -> None:
    a = f.bundle(f.hierarchy("hist").leaf)
    b = Bundle()
    h = History(a)
    assert h.apply(Repair("drop-extras", a, b, "dropped everything"))
    assert h.current is b
