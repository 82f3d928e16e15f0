"""The interactive app: the signer tree, the served order, details and findings; one key per repair.

The app owns one :class:`~.model.Workspace` (the session on screen) and the components that act on
it: a :class:`~.jobs.JobRunner`, the repair keys, the file keys and the live keys. Its key table is
:mod:`tui.app.keys`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.text import Text
from textual import events, on
from textual.app import App, ComposeResult, SystemCommand
from textual.containers import Horizontal, Vertical
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Header, OptionList, TabbedContent, TabPane, Tree

from ..pki.diagnose import Finding, Report
from ..pki.history import History
from ..pki.model import CertEntry
from ..pki.session import Clock, Session, system_clock
from ..pki.vocabulary import Role
from . import clients, render
from .actions import bindings, palette
from .files import FileKeys, save_chain
from .forest import Missing
from .jobs import JobRunner
from .keys import KEY, Where, key_of, named
from .live import LiveKeys, served_title
from .live import facts as live_facts
from .model import Workspace
from .notices import name_the_quit_key, notify_alone, say_why
from .repairs import RepairKeys
from .screens.dialogs import ask_before_quitting
from .screens.help import HelpScreen
from .settings import SettingsKeys
from .trust import TrustKeys
from .view import View
from .widgets.clients import ClientMatrix
from .widgets.findbar import FindBar
from .widgets.footer import KeyFooter
from .widgets.live import LiveBar
from .widgets.panes import TextPane, VerdictBar
from .widgets.signer_tree import Item, SignerTree
from .widgets.tables import FindingsTable, ServedOrder
from .workbench import WorkbenchKeys

if TYPE_CHECKING:
    from .lessons.tutor import Tutor

CLIENTS_TAB = "Who accepts"  # the tab; the pane inside says "Who accepts this chain"
AT_ONCE = 200  # certificates: a bundle this small is analysed before the screen opens (some ms); a bigger one
# behind the "Analysing…" status in a worker, so the screen never freezes
NARROW = 100  # columns: below this the screen gets the class -narrow (the lessons' layout uses it)


class ChainDoctorApp(App[int]):
    """Open a certificate bundle, see who signed whom, learn what is wrong and fix it."""

    CSS_PATH = "app.tcss"
    TITLE = "chaindoctor"
    BINDINGS = bindings(Where.MAIN)

    def __init__(self, session: Session, *, now: Clock | None = None, lessons: bool = False) -> None:
        super().__init__()
        self.workspace = Workspace(session, now or system_clock)
        self.jobs = JobRunner(self, group="analysis", status_bar="#verdict", loading=self._set_loading,
                              restore=self._restore, changed=self._bindings_changed)
        self.repair_keys = RepairKeys(self, self.jobs, lambda: self.workspace, self._show,
                                      missing="the bundle, the search path or the trust store")
        self.file_keys = FileKeys(self, self.jobs, self.workspace, self._show, self._restore)
        self.live_keys = LiveKeys(self, self.jobs, self.workspace, self._show, self._restore)
        self.workbench = WorkbenchKeys(self, self.jobs, self.workspace, self._show, self._restore)
        self.trust_keys = TrustKeys(self, self.jobs, lambda: self.workspace, self._show)
        self.settings_keys = SettingsKeys(self, self.jobs, lambda: self.workspace, self._show, self._restore)
        self.lessons_first = lessons  # `chaindoctor learn`: lesson 1 opens after the first analysis
        self._tutor: Tutor | None = None
        self._bindings_pending = False
        self._details_key: tuple[int, str, Role | None] | None = None
        bundle = session.bundle
        if len(bundle.certs) <= AT_ONCE:  # analysed before the first paint: the first frame is the finished one
            self.workspace.remember(bundle, self.workspace.compute(bundle, self.workspace.now()))

    # --- what the lessons and the tests read --------------------------------------------------------

    @property
    def session(self) -> Session:
        return self.workspace.session

    @property
    def history(self) -> History:
        """The repair history of the bundle on screen (the session's)."""
        return self.workspace.history

    @property
    def view(self) -> View | None:
        return self.workspace.view

    @property
    def selected(self) -> CertEntry | None:
        """The certificate the details pane shows."""
        return self.workspace.selected

    @property
    def busy(self) -> bool:
        """Whether a background job (analysis, repair, load, fetch) is running."""
        return self.jobs.busy

    @property
    def tutor(self) -> Tutor:
        """The lessons' controller (progress survives leaving the lessons and coming back)."""
        if self._tutor is None:
            from .lessons.tutor import Tutor  # the lessons load when first used, not for the first paint

            self._tutor = Tutor(self)
        return self._tutor

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
            with TabbedContent(id="bottom-tabs"):
                with TabPane("Findings", id="findings-tab"):
                    findings = FindingsTable(id="findings")
                    findings.border_title = "Findings"
                    yield findings
                with TabPane(CLIENTS_TAB, id="clients-tab"):
                    matrix = ClientMatrix(id="clients")
                    matrix.border_title = "Who accepts this chain (real verifiers, the chain as served)"
                    yield matrix
            explain = TextPane("Highlight a finding to see what it means.", id="explain")
            explain.border_title = "What it means"
            yield explain
        yield FindBar(id="find")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = render.safe_path(self.session.label)
        count = len(self.history.current.certs)
        self.jobs.show_current((self.workspace,), f"Analysing {count:,} certificate{'s' if count != 1 else ''}…",
                               self._first_shown)
        self.query_one(SignerTree).focus()
        self.screen_change_signal.subscribe(self, lambda _screen: self._learner_acted())

    def _first_shown(self, workspace: Workspace, view: View) -> None:
        self._show(workspace, view)
        if self.lessons_first and not self.tutor.started:
            self.call_later(self.tutor.start, 0)

    def _set_loading(self, _workspaces: Sequence[Workspace], loading: bool) -> None:
        self.query_one("#body").loading = loading

    def _restore(self) -> None:
        """The status line again, after a job that showed nothing new (or a save)."""
        if self.view is None:
            self.query_one(VerdictBar).show(Text("Could not analyse this bundle."), "broken")
        self._show_verdict()
        self._bindings_changed()

    def use_session(self, session: Session) -> None:
        """Work on another session from now on (the lessons switch bundle, trust and policy this way)."""
        self.workspace.use(session)
        self.sub_title = render.safe_path(session.label)
        self.jobs.show_current((self.workspace,), "Analysing…", self._show)

    # --- showing a view ------------------------------------------------------------------------------

    def _show(self, workspace: Workspace, view: View) -> None:
        """Put ``view`` of the workspace on every pane; the lessons hear of it."""
        workspace.view = view
        self.sub_title = render.safe_path(workspace.session.label)
        tree = self.query_one(SignerTree)
        tree.show(view)
        self.query_one(ServedOrder).show(view)
        findings = self.query_one(FindingsTable)
        findings.show(view)
        self._show_clients(view)
        self._explain_row(self._row_key(findings))
        self._show_verdict()
        self._sync_details(tree)
        self._show_live(view.report)
        self._bindings_changed()
        self.post_message(Workspace.Changed(workspace))

    def _show_verdict(self) -> None:
        view = self.view
        if view is None:
            return
        report = view.report
        self.title = f"chaindoctor — {view.summary}"
        text = Text.assemble(("✓ " if view.ok else "✗ ", "bold"), (view.summary, "bold"), no_wrap=True,
                             overflow="ellipsis")
        if self.history.dirty:
            text.append(f" · unsaved: {key_of('save')} saves, {key_of('changes')} shows what changed", style="italic")
        if view.ok:
            trusted = report.path is not None and report.path.trusted
            text.append(" · complete, in order and trusted" if trusted else "")
        elif self.repair_keys.available("fix_all"):  # only a key that would change something is named
            text.append(f" · press {key_of('fix_all')} to fix all", style="bold")
        claim = clients.claim(view)  # what the client matrix says, nothing it does not
        if claim.plain:
            text.append(" · ")
            text.append_text(claim)
        self.query_one(VerdictBar).show(text, "ok" if view.ok else "broken")

    def _show_live(self, report: Report | None = None) -> None:
        """The live facts and the served-order title (after any change of bundle); ``report`` judges the
        OCSP staple (its issuer and time)."""
        session = self.session
        self.query_one(LiveBar).show(live_facts(session.live, report))
        title = served_title(session.live, session.bundle)
        if self.history.can_undo:  # repaired: the table shows what saving writes, no longer the file
            title = "Served order (as it will be saved)" if self.history.dirty else "Served order (as saved)"
        self.query_one(ServedOrder).border_title = title

    def _show_clients(self, view: View) -> None:
        """The client matrix, and its tab's label with how many verifiers refuse."""
        self.query_one(ClientMatrix).show(view)
        tabs = self.query_one("#bottom-tabs", TabbedContent)
        tabs.get_tab("clients-tab").label = f"{CLIENTS_TAB}: {clients.summary(view.report)}"
        if tabs.active == "clients-tab":
            self._explain_client()

    def _explain_client(self) -> None:
        """The explanation pane shows the highlighted verifier's verdict in full."""
        view, verdict = self.view, self.query_one(ClientMatrix).current
        if view is None or verdict is None:
            return
        self.query_one("#explain", TextPane).show(clients.details(view, verdict))

    def _explain(self, finding: Finding | None) -> None:
        pane = self.query_one("#explain", TextPane)
        if finding is None:
            pane.show(Text(f"No findings: nothing to explain. Press {key_of('help')} for the glossary.",
                           style="green"))
            return
        entry = self.view.entry(finding.certificates[0]) if self.view is not None and finding.certificates else None
        repairable = finding.fix is not None and self.repair_keys.applies(finding.fix)
        pane.show(render.explanation(finding, render.commands_for(finding.code, self.session), entry,
                                     repairable=repairable))

    def _explain_row(self, key: str | None) -> None:
        """Explain the findings table's row ``key``: one finding, or a group of findings of one code."""
        table = self.query_one(FindingsTable)
        group = table.group_at(key)
        if group is None:
            self._explain(table.finding_at(key))
            return
        first = group[0]
        entry = self.view.entry(first.certificates[0]) if self.view is not None and first.certificates else None
        repairable = first.fix is not None and self.repair_keys.applies(first.fix)
        self.query_one("#explain", TextPane).show(render.group_explanation(
            group, render.explanation(first, render.commands_for(first.code, self.session), entry,
                                      repairable=repairable)))

    # --- the details pane follows the focused pane's cursor ------------------------------------

    def _sync_details(self, widget: Widget) -> None:
        view = self.view
        if view is None:
            return
        report = view.report
        entry: CertEntry | None = None
        role: Role | None = None
        if isinstance(widget, SignerTree):
            target = widget.cursor_target()
            if isinstance(target, Missing):
                self.workspace.selected = None
                self._details(render.missing_details(target, complete=bool(self.repair_keys.available("complete"))))
                self._highlighted()
                return
            if target is not None:
                entry, role = target
        elif isinstance(widget, ServedOrder):
            index = self._row_index(widget)
            if index is not None:
                cert = report.certificates[index]
                entry, role = cert.entry, cert.role
        elif isinstance(widget, FindingsTable):
            finding = widget.finding_at(self._row_key(widget))
            if finding is not None and finding.certificates:
                entry = view.entry(finding.certificates[0])
                role = render.role_of(report, entry) if entry is not None else None
        elif isinstance(widget, ClientMatrix):
            verdict = widget.current
            entry = clients.blamed_entry(view, verdict) if verdict is not None else None
            role = render.role_of(report, entry) if entry is not None else None
        if entry is None:
            self._highlighted()
            return
        self.workspace.selected = entry
        key = (id(view), entry.sha256, role)
        if key != self._details_key:  # the same certificate again: skip the re-render
            self._details_key = key
            self._details(render.details(entry, report, role))
        self._highlighted()

    def _highlighted(self) -> None:
        self._bindings_changed()
        self.post_message(Workspace.Highlighted(self.workspace))

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
        self._explain_row(event.row_key.value)
        if table.has_focus:
            self._sync_details(table)

    @on(OptionList.OptionHighlighted, "#clients")
    def _client_moved(self) -> None:
        matrix = self.query_one(ClientMatrix)
        if self.query_one("#bottom-tabs", TabbedContent).active == "clients-tab":
            self._explain_client()
        if matrix.has_focus:
            self._sync_details(matrix)

    @on(OptionList.OptionSelected, "#clients")
    def _client_chosen(self, event: OptionList.OptionSelected) -> None:
        """Enter on a verifier: the certificate it blames, highlighted in the signer tree."""
        verdict = self.query_one(ClientMatrix).verdict_at(event.option_index)
        view = self.view
        entry = clients.blamed_entry(view, verdict) if view is not None and verdict is not None else None
        tree = self.query_one(SignerTree)
        if entry is not None and tree.select_certificate(entry.sha256):
            tree.focus()

    @on(TabbedContent.TabActivated, "#bottom-tabs")
    def _tab_changed(self, event: TabbedContent.TabActivated) -> None:
        """The explanation pane follows the tab: the highlighted finding, or the highlighted verifier."""
        if event.pane.id == "clients-tab":
            self._explain_client()
        else:
            table = self.query_one(FindingsTable)
            self._explain(table.finding_at(self._row_key(table)))

    def on_descendant_focus(self, event: object) -> None:
        focused = self.focused
        if isinstance(focused, (SignerTree, ServedOrder, FindingsTable, ClientMatrix)):
            self._sync_details(focused)

    def _bindings_changed(self) -> None:
        """Ask the footer to redraw once per batch of changes (each redraw rebuilds every key)."""
        if not self._bindings_pending:
            self._bindings_pending = True
            self.call_after_refresh(self._refresh_bindings_now)

    def _refresh_bindings_now(self) -> None:
        self._bindings_pending = False
        self.refresh_bindings()

    # --- the lessons watch what the learner does ---------------------------------------------------

    @on(Workspace.Changed)
    @on(Workspace.Highlighted)
    def _workspace_moved(self) -> None:
        self._learner_acted()

    def on_glossary_screen_term_shown(self) -> None:
        self._learner_acted()

    def _learner_acted(self) -> None:
        """Something the learner can see changed: the running lesson checks its step."""
        if self._tutor is not None:
            self._tutor.check()

    # --- which keys are available -----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """True when the key would do something now; None dims it in the footer."""
        key = named(action, parameters)
        if key is None or not key.group.acts_on_chain or self.busy:
            return True  # pressed during a job, a key that acts on the chain runs after it
        return None if self.unavailable(key.name) else True

    def unavailable(self, name: str) -> str | None:
        """Why the key ``name`` would do nothing now (None: it would act); pressing it says so."""
        key = KEY.get(name)
        if key is None or not key.group.acts_on_chain:
            return None  # help, lessons, quit...: they always do something
        if self.view is None:
            return "Nothing to act on yet: the chain is still being analysed."
        if name == "refetch" and not self.live_keys.available():
            return (f"Nothing to fetch again: {key_of('refetch')} connects to a live source (HOST:PORT), and this "
                    "chain came from a file.")
        if name == "export" and self.selected is None:
            return f"Nothing to export: highlight a certificate first ({key_of('export')} exports the highlighted one)."
        if name == "changes" and self.history.current is self.history.base:
            return "No changes to show: no repair is in effect."
        return self.repair_keys.why_not(name) or self.trust_keys.why_not(name)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded and self.screen is self.default_screen:
            say_why(self, self, Where.MAIN, event.key)  # before the key runs: a key that would do nothing says why
        await super().on_event(event)

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """One short notice at a time (see :mod:`~tui.app.notices`)."""
        notify_alone(self, message, title=title, severity=severity, timeout=timeout, markup=markup)

    def on_resize(self, event: events.Resize) -> None:
        self.default_screen.set_class(event.size.width < NARROW, "-narrow")

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for key, help_text in palette(Where.MAIN):
            if self.check_action(key.name, ()):
                yield SystemCommand(key.title or key.label, help_text, partial(self.run_action, key.run))

    # --- the keys ------------------------------------------------------------------------------------

    def action_repair(self, name: str) -> None:
        """``o c x r f u ctrl+r``: the repair key ``name`` on the workspace."""
        self.repair_keys.press(name)

    def action_save(self) -> None:
        self.file_keys.save()

    def action_copy(self) -> None:
        self.file_keys.copy()

    def action_paste(self) -> None:
        self.file_keys.paste()

    def action_open(self) -> None:
        self.file_keys.open()

    def action_refetch(self) -> None:
        self.live_keys.refetch()

    def action_trust(self) -> None:
        """``t``: the highlighted self-signed root becomes a trust anchor for this session."""
        self.trust_keys.trust_root()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(Where.MAIN))

    def action_lessons(self) -> None:
        from .lessons.menu import LessonsScreen

        self.push_screen(LessonsScreen(self.tutor))

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
        code = table.code_at(self._row_key(table))
        info = EXPLANATIONS.get(code) if code is not None else None
        self.push_screen(GlossaryScreen(key or None, info.glossary if info is not None else ()))

    def action_settings(self) -> None:
        self.settings_keys.open()

    def action_add(self) -> None:
        self.workbench.add()

    def action_export(self) -> None:
        self.workbench.export()

    def action_changes(self) -> None:
        self.workbench.changes()

    def action_find(self) -> None:
        self.workbench.find()

    @on(FindBar.Next)
    def _find_next(self, event: FindBar.Next) -> None:
        self.workbench.find_next(event.query)

    @on(FindBar.Closed)
    def _find_closed(self) -> None:
        self.query_one(SignerTree).focus()

    def action_help_quit(self) -> None:
        name_the_quit_key(self)

    async def action_quit(self) -> None:
        """``q``: quit; with unsaved repairs, ask first: save and quit, quit without saving, or stay."""
        ask_before_quitting(self, self.history.dirty,
                            lambda then: save_chain(self, self.workspace, lambda _written: then()),
                            lambda: self.exit(0))
