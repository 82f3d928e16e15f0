"""The interactive app: the signer tree, the served order, details and findings; one key per repair."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import ClassVar, TypeVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Header, Tree

from ..pki.diagnose import Finding
from ..pki.fixes import Repair
from ..pki.history import History
from ..pki.model import Bundle, CertEntry
from . import facts, render
from .forest import Missing
from .files import FileActions
from .live import LiveActions
from .jobs import JobRunner, Outcome
from .repairs import (REPAIR_BINDINGS, RepairKeys, repair_applies, repair_notes, repair_status,
               repaired_title, root_action, run_repair, should_ask)
from .screens.help import HelpScreen
from ..pki.session import Clock, Session, system_clock
from .view import View, make_view
from .widgets.live import LiveBar
from .widgets.panes import TextPane, VerdictBar
from .widgets.signer_tree import Item, SignerTree
from .widgets.tables import FindingsTable, ServedOrder

COMMANDS = (  # action, palette title, help
    ("reorder", "Reorder the chain", "Leaf first, each certificate followed by its issuer (o)"),
    ("complete", "Complete the chain", "Add missing issuers; asks before any network fetch (c)"),
    ("drop_extras", "Drop extras and duplicates", "Remove certificates on no path from the leaf (x)"),
    ("toggle_root", "Drop / put back the root", "The trust anchor does not belong in a served chain (r)"),
    ("fix_all", "Fix all", "Complete, drop extras, drop the root, reorder (f)"),
    ("undo", "Undo", "Undo the last repair (u)"),
    ("redo", "Redo", "Redo the last undone repair (ctrl+r)"),
    ("save", "Save the chain", "Write the chain as PEM (s)"),
    ("copy", "Copy the chain", "Copy the chain as PEM, never a private key (y)"),
    ("paste", "Paste a bundle", "Load certificates from the clipboard (p)"),
    ("open", "Open a file", "Load another bundle (O)"),
    ("refetch", "Fetch the chain again", "Connect to the live endpoint(s) again and show what they send now (R)"),
    ("trust", "Trust the highlighted root", "Add the highlighted self-signed root to the trust anchors (t)"),
    ("lessons", "Lessons", "Learn TLS chains step by step (l)"),
    ("help", "Help and glossary", "Keys and the words of TLS (?)"),
)
QUEUED = {name for name, _, _ in COMMANDS} - {"help", "lessons"}
T = TypeVar("T")


class ChainDoctorApp(RepairKeys, JobRunner, LiveActions, FileActions, App[int]):
    """Open a certificate bundle, see who signed whom, learn what is wrong and fix it."""

    CSS_PATH = "app.tcss"
    TITLE = "chaindoctor"
    JOB_GROUP = "analysis"
    STATUS_BAR = "VerdictBar"
    BINDINGS = [
        *REPAIR_BINDINGS,
        Binding("y", "copy", "Copy"),
        Binding("p", "paste", "Paste", show=False),
        Binding("O", "open", "Open", show=False),
        Binding("R", "refetch", "Refetch"),
        Binding("t", "trust", "Trust"),
        Binding("l", "lessons", "Lessons", show=False),
        Binding("g", "glossary", "Glossary", show=False),
        Binding("ctrl+n", "lesson('next')", "Next lesson", show=False),
        Binding("ctrl+g", "lesson('restart')", "Restart the lesson", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]
    # The lessons engineer sets this to a factory of the lessons screen.
    lessons_screen: ClassVar[Callable[[], Screen[object]] | None] = None

    def __init__(self, session: Session, *, now: Clock | None = None, lessons: bool = False) -> None:
        super().__init__()
        self.session = session
        self.now: Clock = now or system_clock
        self.view: View | None = None
        self.selected: CertEntry | None = None
        self._init_jobs()
        self._start_lessons = lessons
        self._cache: dict[int, tuple[Bundle, View]] = {}
        self._bindings_pending = False
        self._details_key: tuple[int, str, str] | None = None

    # --- layout -------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield VerdictBar(id="verdict")
        yield LiveBar(id="live")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                tree = SignerTree(id="tree")
                tree.border_title = "Who signed whom"
                yield tree
                served = ServedOrder(id="served")
                served.border_title = "Served order (as in the file)"
                yield served
            details = TextPane("Highlight a certificate to see its details.", id="details")
            details.border_title = "Certificate"
            yield details
        with Horizontal(id="bottom"):
            findings = FindingsTable(id="findings")
            findings.border_title = "Findings"
            yield findings
            explain = TextPane("Highlight a finding to see what it means.", id="explain")
            explain.border_title = "What it means"
            yield explain
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.sub_title = render.safe_path(self.session.label)
        bundle = self.history.current
        self._analyse(bundle, f"Analysing {len(bundle.certs):,} certificate{'s' if len(bundle.certs) != 1 else ''}…",
                      then=self._after_first_analysis)
        self.query_one(SignerTree).focus()

    def _after_first_analysis(self) -> None:
        if self._start_lessons and self.lessons_screen is not None:
            self.action_lessons()

    # --- background jobs ------------------------------------------------------------------------

    def _set_loading(self, loading: bool) -> None:
        self.query_one("#body").loading = loading

    def _job_failed(self) -> None:
        if self.view is None:
            self.query_one(VerdictBar).show(Text("Could not analyse this bundle."), "broken")
        self._show_verdict()

    def _analyse(self, bundle: Bundle, status: str, then: Callable[[], None] | None = None) -> None:
        """Show ``bundle``'s view, from the cache or computed in a worker."""
        cached = self._cache.get(id(bundle))
        if cached is not None and cached[0] is bundle:
            self._show(cached[1])
            if then is not None:
                then()
            return
        now = self.now()

        def job() -> Outcome:
            return Outcome(view=make_view(self.session, bundle, now))

        def done(outcome: Outcome) -> None:
            assert outcome.view is not None
            self._remember(bundle, outcome.view)
            self._show(outcome.view)
            if then is not None:
                then()

        self._start(job, done, status)

    def _remember(self, bundle: Bundle, view: View) -> None:
        if len(self._cache) > 32:
            self._cache.clear()
        self._cache[id(bundle)] = (bundle, view)

    # --- showing a view ------------------------------------------------------------------------------

    def _show(self, view: View) -> None:
        self.view = view
        report = view.report
        when = report.policy.when
        tree = self.query_one(SignerTree)
        tree.show(report, view.forest, view.where, when)
        self.query_one(ServedOrder).show(report, view.break_index, view.marks, view.where)
        findings = self.query_one(FindingsTable)
        findings.show(report, view.where)
        self._explain(report.findings[0] if report.findings else None)
        self._show_verdict()
        self._sync_details(tree)
        self._show_live()
        self._bindings_changed()

    def _show_verdict(self) -> None:
        view = self.view
        if view is None:
            return
        report = view.report
        ok = report.verdict == "ok"
        self.title = f"chaindoctor — {view.summary}"
        text = Text.assemble(("✓ " if ok else "✗ ", "bold"), (view.summary, "bold"))
        if self.history.dirty:
            text.append(" · unsaved: s saves", style="italic")
        if ok:
            trusted = report.path is not None and report.path.trusted
            text.append(" · complete, in order and trusted" if trusted else "")
        else:
            if any(f.fix for f in report.findings):
                text.append(" · press f to fix all", style="bold")
            text.append(" · strict clients (curl, Java, Go, Python) refuse this chain")
        self.query_one(VerdictBar).show(text, "ok" if ok else "broken")

    def _explain(self, finding: Finding | None) -> None:
        pane = self.query_one("#explain", TextPane)
        if finding is None:
            pane.show(Text("No findings: nothing to explain. Press ? for the glossary.", style="green"))
            return
        entry = self._entry(finding.certificates[0]) if finding.certificates else None
        pane.show(render.explanation(finding, self._commands(finding.code), entry))

    def _commands(self, code: str) -> list[str]:
        try:
            from ..pki.explain import openssl_commands

            return list(openssl_commands(code, **self.session.openssl_files()))  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - an explanation without commands is still useful
            return []

    def _entry(self, sha256: str) -> CertEntry | None:
        if self.view is None:
            return None
        report = self.view.report
        return next((e for e in (*report.bundle.certs, *report.chain) if e.sha256 == sha256), None)

    # --- the details pane follows the focused pane's cursor ------------------------------------

    def _sync_details(self, widget: Widget) -> None:
        if self.view is None:
            return
        report = self.view.report
        entry: CertEntry | None = None
        role = ""
        if isinstance(widget, SignerTree):
            target = widget.cursor_target()
            if isinstance(target, Missing):
                self.selected = None
                self._details(render.missing_details(target))
                self._bindings_changed()
                return
            if target is not None:
                entry, role = target
        elif isinstance(widget, ServedOrder):
            index = self._row_index(widget)
            if index is not None:
                entry, role = report.bundle.certs[index], report.roles[index]
        elif isinstance(widget, FindingsTable):
            finding = widget.finding_at(self._row_key(widget))
            if finding is not None and finding.certificates:
                entry = self._entry(finding.certificates[0])
                role = self.query_one(SignerTree).role_of(entry) if entry is not None else ""
        if entry is None:
            return
        self.selected = entry
        key = (id(self.view), entry.sha256, role)
        if key != self._details_key:  # the same certificate again: skip the re-render
            self._details_key = key
            self._details(render.details(entry, report, self.view.where.get(entry.sha256, []), role,
                                         report.policy.when))
        self._bindings_changed()

    def _details(self, content: RenderableType) -> None:
        if not isinstance(content, Group):
            self._details_key = None
        self.query_one("#details", TextPane).show(content)

    @staticmethod
    def _row_key(table: DataTable[Text]) -> str | None:
        if table.row_count == 0:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:  # noqa: BLE001 - an empty or shrinking table
            return None
        return key.value

    def _row_index(self, table: DataTable[Text]) -> int | None:
        key = self._row_key(table)
        return int(key) if key is not None and key.isdigit() else None

    @on(Tree.NodeHighlighted)
    def _tree_moved(self, event: Tree.NodeHighlighted[Item]) -> None:
        self._sync_details(event.control)

    @on(DataTable.RowHighlighted, "#served")
    def _served_moved(self, event: DataTable.RowHighlighted) -> None:
        if event.control.has_focus:
            self._sync_details(event.control)

    @on(DataTable.RowHighlighted, "#findings")
    def _finding_moved(self, event: DataTable.RowHighlighted) -> None:
        table = self.query_one(FindingsTable)
        self._explain(table.finding_at(event.row_key.value))
        if table.has_focus:
            self._sync_details(table)

    def on_descendant_focus(self, event: object) -> None:
        focused = self.focused
        if isinstance(focused, (SignerTree, ServedOrder, FindingsTable)):
            self._sync_details(focused)

    def _bindings_changed(self) -> None:
        """Ask the footer to redraw once per batch of changes (each redraw rebuilds every key)."""
        if not self._bindings_pending:
            self._bindings_pending = True
            self.call_after_refresh(self._refresh_bindings_now)

    def _refresh_bindings_now(self) -> None:
        self._bindings_pending = False
        self.refresh_bindings()

    # --- which keys are available -----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """True when the key would do something now; None dims it in the footer."""
        if action not in QUEUED and action not in ("help", "lessons"):
            return True
        return True if self._available(action) else None

    def _available(self, action: str) -> bool:
        if action == "lessons":
            return self.lessons_screen is not None
        if action == "help" or self.busy:
            return True
        view = self.view
        if view is None:
            return False
        report = view.report
        applies = repair_applies(action, report)
        if applies is not None:
            return applies
        if action == "undo":
            return self.history.can_undo
        if action == "redo":
            return self.history.can_redo
        if action == "refetch":
            return bool(self.session.live)
        if action == "trust":
            entry = self.selected
            return entry is not None and report.graph.is_self_signed(entry) and not report.graph.is_anchor(entry)
        return True

    def _root_action(self) -> str | None:
        """``drop_root`` when the anchor is in the chain, ``keep_root`` when it could be put back."""
        return None if self.view is None else root_action(self.view.report)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for action, title, help_text in COMMANDS:
            if self.check_action(action, ()):
                yield SystemCommand(title, help_text, partial(self.run_action, action))

    # --- repairs ------------------------------------------------------------------------------------

    def _repair(self, name: str, *, network: bool | None = None) -> None:
        """Run one repair in a worker; ``network`` is the user's answer to the fetch question."""
        bundle = self.history.current
        now = self.now()
        ask = should_ask(name, network, self.session.allow_network)
        ctx = self.session.context(now, allow_network=network)
        session = self.session

        def job() -> Outcome:
            repair = run_repair(name, bundle, ctx, ask=ask)
            if not isinstance(repair, Repair):
                return Outcome(urls=repair)
            view = make_view(session, repair.after, now) if repair.changed else None
            return Outcome(view=view, repair=repair)

        self._start(job, partial(self._repaired, name), repair_status(name, ctx))

    def _repaired(self, name: str, outcome: Outcome) -> None:
        if outcome.urls:
            self._ask_network("The missing issuer is not in the bundle, the search path or the trust store. "
                              "Fetch it from the address the certificate names (AIA)?", outcome.urls,
                              partial(self._network_answered, name))
            return
        repair = outcome.repair
        assert repair is not None
        if not repair.changed or outcome.view is None:
            self._show_verdict()
            self._nothing_changed(repair)
            return
        if not self.history.apply(repair):
            self._show_verdict()
            return
        self._remember(repair.after, outcome.view)
        self._show(outcome.view)
        self.notify(self._change_text(repair) + repair_notes(repair, unresolved=True),
                    title=repaired_title(name), markup=False, timeout=8)

    def _network_answered(self, name: str, yes: bool) -> None:
        if yes:
            self.session.allow_network = True
        self._repair(name, network=yes)

    @staticmethod
    def _change_text(repair: Repair) -> str:
        def order(bundle: Bundle) -> str:
            names = [render.safe(facts.short_name(e), 28) for e in bundle.certs[:6]]
            more = len(bundle.certs) - len(names)
            return ", ".join(names) + (f", … {more} more" if more > 0 else "")

        return (f"{render.safe(repair.description, 300)}\nbefore: {order(repair.before)}\n"
                f"after:  {order(repair.after)}")

    def _step(self, *, undo: bool) -> None:
        """Undo or redo the last repair, and re-analyse."""
        repair = self.history.undo() if undo else self.history.redo()
        if repair is not None:
            self._analyse(self.history.current, "Undoing…" if undo else "Redoing…",
                          then=lambda: self._stepped(repair, undo=undo))

    # --- trust ------------------------------------------------------------------------------------

    def action_trust(self) -> None:
        if self._queued("trust"):
            return
        entry = self.selected
        if entry is None or self.view is None:
            return
        self.session.trust_root(entry)
        self._cache.clear()
        name = render.safe(facts.short_name(entry), 80)
        self._analyse(self.history.current, "Re-checking with the new trust anchor…",
                      then=lambda: self.notify(f"'{name}' is a trust anchor for this session (it is not "
                                               "added to any system store).", title="Trusted", markup=False))

    def _dialog(self, screen: Screen[T], callback: Callable[[T | None], None] | None = None) -> None:
        """Open a dialog; the toasts of earlier repairs go, so they cannot cover its buttons."""
        self.clear_notifications()
        self.push_screen(screen, callback)  # type: ignore[arg-type]

    # --- help, lessons, quit -----------------------------------------------------------------------

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_lessons(self) -> None:
        factory = self.lessons_screen
        if factory is None:
            self.notify("The lessons are not part of this build yet.", title="Lessons")
            return
        self.push_screen(factory())

    async def action_lesson(self, command: str) -> None:
        """``ctrl+n`` / ``ctrl+g`` (and the lesson panel's links) go to the lesson panel, when one is open."""
        panels = self.default_screen.query("#lesson")
        if panels:
            await self.run_action(command, panels.first())

    def action_glossary(self, key: str = "") -> None:
        """``g``: the glossary, the highlighted finding's words first; ``key`` opens one term (from a link)."""
        from ..pki.explain import EXPLANATIONS
        from .screens.glossary import GlossaryScreen

        table = self.query_one(FindingsTable)
        finding = table.finding_at(self._row_key(table))
        info = EXPLANATIONS.get(finding.code) if finding is not None else None
        self.push_screen(GlossaryScreen(key or None, info.glossary if info is not None else ()))

    @property
    def history(self) -> History:
        """The repair history of the bundle on screen (the session's)."""
        return self.session.history

    def use_session(self, session: Session) -> None:
        """Work on another session from now on (the lessons switch bundle, trust and policy this way)."""
        self.session = session
        self._cache.clear()
        self.sub_title = render.safe_path(session.label)
        self._analyse(self.history.current, "Analysing…")

    async def action_quit(self) -> None:
        self._unless_unsaved(self.history.dirty, lambda: self.exit(0), "Quit")

