"""The repair keys, shared by the main app and the mTLS screen: which repair each key runs, and how it is told."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.binding import Binding

from ..pki import fixes
from ..pki.diagnose import Report
from ..pki.fixes import Repair, RepairContext
from ..pki.model import Bundle
from . import render
from .screens.dialogs import ConfirmScreen

REPAIRS: dict[str, Callable[[Bundle, RepairContext], Repair]] = {
    "reorder": fixes.reorder, "complete": fixes.complete, "drop_extras": fixes.drop_extras,
    "drop_root": fixes.drop_root, "keep_root": fixes.keep_root, "fix_all": fixes.fix_all,
}
REPAIR_TITLES = {"reorder": "Reordered", "complete": "Completed", "drop_extras": "Dropped extras",
                 "drop_root": "Dropped the root", "keep_root": "Put the root back", "fix_all": "Fixed"}
REPAIR_BINDINGS = [  # the keys the app and the mTLS screen share, in this order in their footers
        Binding("o", "reorder", "Reorder"),
        Binding("c", "complete", "Complete"),
        Binding("x", "drop_extras", "Extras"),
        Binding("r", "toggle_root", "Root"),
        Binding("f", "fix_all", "Fix all"),
        Binding("u", "undo", "Undo"),
        Binding("ctrl+r", "redo", "Redo", show=False),
        Binding("s", "save", "Save"),
]
NETWORK_REPAIRS = ("complete", "fix_all")  # the repairs that may fetch missing issuers (AIA)


def should_ask(name: str, network: bool | None, allowed: bool) -> bool:
    """Whether repair ``name`` must ask before any fetch (no answer yet, and the network not allowed)."""
    return name in NETWORK_REPAIRS and network is None and not allowed


def run_repair(name: str, bundle: Bundle, ctx: RepairContext, *, ask: bool) -> Repair | tuple[str, ...]:
    """Repair ``bundle`` (in a worker); with ``ask``, the addresses it would fetch instead, if any."""
    if ask:
        urls = fixes.network_urls(bundle, ctx)
        if urls:
            return tuple(urls)
    return REPAIRS[name](bundle, ctx)


def root_action(report: Report) -> str | None:
    """``drop_root`` when the anchor is in the chain, ``keep_root`` when it could be put back."""
    path = report.path
    if path is None or not path.trusted or len(path.certs) < 2 or not report.graph.is_self_signed(path.top):
        return None
    return "drop_root" if report.graph.in_bundle(path.top) else "keep_root"


def repair_applies(action: str, report: Report) -> bool | None:
    """Whether repair key ``action`` would change the chain of ``report``; None for any other action."""
    codes = report.codes()
    if action == "reorder":
        return "wrong-order" in codes
    if action == "complete":
        return "missing-intermediate" in codes
    if action == "drop_extras":
        return bool(codes & {"extra-cert", "duplicate-cert"})
    if action == "toggle_root":
        return root_action(report) is not None
    if action == "fix_all":
        return any(f.fix for f in report.findings)
    return None


def repair_status(name: str, ctx: RepairContext) -> str:
    """The status line while repair ``name`` runs."""
    return "Fetching missing issuers…" if ctx.allow_network and name in NETWORK_REPAIRS else "Repairing…"


def repair_notes(repair: Repair, *, unresolved: bool = False) -> str:
    """The repair's notes as lines to append ("" without any); ``unresolved`` puts what is still broken first."""
    notes = "\n".join(render.safe(n, 200) for n in repair.notes)
    if unresolved and repair.unresolved:
        notes = f"still broken: {render.safe(repair.unresolved, 200)}" + (f"\n{notes}" if notes else "")
    return f"\n{notes}" if notes else ""


def repaired_title(name: str, what: str = "") -> str:
    """The title of the toast after a repair (``what``: the chain it changed, if there are two)."""
    return f"{REPAIR_TITLES.get(name, 'Repaired')}{what} — u to undo"


class RepairKeys:
    """``o c x r f`` repair, ``u`` / ``ctrl+r`` undo and redo; the toasts and questions that go with them.

    Mixed into the app and the mTLS screen, which provide ``_queued`` (from :class:`~.jobs.JobRunner`),
    ``_repair``, ``_root_action``, ``_step`` and ``_dialog``.
    """

    _queued: Callable[[str], bool]
    _repair: Callable[[str], None]
    _root_action: Callable[[], str | None]
    _dialog: Callable[[Any, Callable[[Any], None]], None]
    notify: Callable[..., None]

    _step: Callable[..., None]  # undo (undo=True) or redo on the history the keys act on

    def action_reorder(self) -> None:
        if not self._queued("reorder"):
            self._repair("reorder")

    def action_complete(self) -> None:
        if not self._queued("complete"):
            self._repair("complete")

    def action_drop_extras(self) -> None:
        if not self._queued("drop_extras"):
            self._repair("drop_extras")

    def action_toggle_root(self) -> None:
        if self._queued("toggle_root"):
            return
        name = self._root_action()
        if name is not None:
            self._repair(name)

    def action_fix_all(self) -> None:
        if not self._queued("fix_all"):
            self._repair("fix_all")

    def action_undo(self) -> None:
        if not self._queued("undo"):
            self._step(undo=True)

    def action_redo(self) -> None:
        if not self._queued("redo"):
            self._step(undo=False)

    def _stepped(self, repair: Repair, *, undo: bool) -> None:
        """Say which repair was undone or redone."""
        self.notify(render.safe(repair.description, 300), title="Undone" if undo else "Redone", markup=False)

    def _nothing_changed(self, repair: Repair) -> None:
        """Say why a repair left the chain as it was."""
        self.notify(render.safe(repair.description, 400) + repair_notes(repair),
                    title="Nothing changed", severity="warning", markup=False)

    def _ask_network(self, question: str, urls: tuple[str, ...], answered: Callable[[bool], None]) -> None:
        """Ask before fetching the missing issuers from ``urls``; ``answered`` gets the answer."""
        detail = "\n".join(f"  {render.safe(u, 100)}" for u in urls[:5])
        self._dialog(ConfirmScreen(Text(question), yes="Fetch", no="Without network", detail=Text(detail),
                                   yes_first=True), lambda yes: answered(bool(yes)))

    def _unless_unsaved(self, dirty: bool, go: Callable[[], None], what: str) -> None:
        """Run ``go``; with unsaved repairs, only after "``what`` anyway?" is answered yes."""
        if not dirty:
            go()
            return
        question = Text(f"The repairs you made are not saved. {what} anyway?")
        self._dialog(ConfirmScreen(question, yes=f"{what} without saving", no="Keep working"),
                     lambda yes: go() if yes else None)
