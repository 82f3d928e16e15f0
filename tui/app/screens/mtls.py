"""The mTLS screen: each side of a mutual-TLS handshake validates the other's chain, side by side.

Left, the client validates the server's chain (with the client's trust bundle T2, purpose server);
right, the server validates the client's chain (with T1, purpose client). Focus a side and the
repair and trust keys of the main screen apply to that side, with its own undo history; below both,
the highlighted certificate of the focused side and the explanation of its highlighted finding.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from functools import partial

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from ...pki.diagnose import CertFacts, Finding, Report
from ...pki.mtls import MtlsReport
from ...pki.peer import TrustGap, trust_gap
from ...pki.vocabulary import Code
from .. import render
from ..actions import bindings
from ..files import save_chain
from ..forest import UNFINISHED, Missing
from ..jobs import JobRunner
from ..keys import Where, key_of, named
from ..model import Workspace
from ..notices import name_the_quit_key, say_why
from ..repairs import RepairKeys
from ..settings import SettingsKeys
from ..trust import TrustKeys
from ..view import View
from ..widgets.footer import KeyFooter
from ..widgets.panes import TextPane, VerdictBar
from ..widgets.tables import Columns, FindingsTable, Row, ServedOrder
from .dialogs import ask_before_quitting, unless_unsaved

SIDES = ("server", "client")
TITLES = {"server": "The client validates the server's chain", "client": "The server validates the client's chain"}
TRUSTING = {"server": "T2", "client": "T1"}  # the trust bundle that judges each side's chain
SHORT = 30  # rows: below this the screen drops the subtitles, the chains and the pair summary
NARROW = 100  # columns


def subtitle(name: str, workspace: Workspace) -> str:
    """``server-chain.pem · trusting server-root.pem (T2), purpose server, host api.example``."""
    session = workspace.session
    policy = session.policy
    host = f", host {policy.host}" if policy.host else ""
    chain, trust = session.source_file or session.label, session.roots_file or "the trust bundle"
    return (f"{render.safe_path(chain, 40)} · trusting {render.safe_path(trust, 40)} "
            f"({TRUSTING[name]}), purpose {policy.purpose}{host}")


# --- what each side shows ------------------------------------------------------------------------


def verdict_text(view: View) -> Text:
    """``✓ OK`` or ``✗ BROKEN — 1 error, 2 warnings``."""
    return Text(("✓ " if view.ok else "✗ ") + view.summary, style="bold green" if view.ok else "bold red")


def chain_text(report: Report) -> Text:
    """The chosen path as a compact tree: trust anchor (or missing issuer) at the top, leaf at the bottom."""
    path = report.path
    if path is None or not path.certs:
        return Text("No leaf: nothing to validate.", style="dim")
    out = Text()
    depth = 0
    if path.end in UNFINISHED:
        top = path.top
        out.append_text(render.missing_label(Missing(top.issuer, top.issuer_der, (), ())))
        depth = 1
    for entry in reversed(path.certs):
        if out.plain:
            out.append("\n")
        if depth:
            out.append("   " * (depth - 1) + "└─ ", style="dim")
        out.append_text(render.cert_label(report, entry))
        depth += 1
    return out


def pair_text(pair: MtlsReport) -> Text:
    """One line per direction: who will accept or reject whom, and the first error's code (the side's
    findings and the explanation pane say the rest)."""
    out = Text()
    for sentence, report in zip(pair.summary(), (pair.server, pair.client), strict=True):
        if out.plain:
            out.append("\n")
        ok = report.verdict == "ok"
        out.append("✓ " if ok else "✗ ", style="green" if ok else "red")
        out.append(render.safe(sentence.split(" — ")[0], 200))
    return out


def gap_fix(gap: TrustGap) -> str:
    """The "How to fix it" of a finding about a trust bundle that lacks the other side's CA."""
    judge = gap.judge
    advice = render.safe(gap.advice)  # it names a certificate
    text = f"{advice[:1].upper()}{advice[1:]}."
    if not gap.carried:  # RFC 8446 4.4.2: each certificate is followed by the one that certifies it
        text += f" If that CA is an intermediate, the {judge.side} can instead send it after its certificate."
    # RFC 5280 6.1: a path is validated from a trust anchor the verifier already holds, never one it was sent
    return (f"{text}\n\nNo repair of the chain helps: sending a CA never makes it trusted. In this app, "
            f"`{key_of('trust_file')}` trusts a file's CA certificates on this side for this session, and "
            f"`{key_of('trust')}` trusts a root the chain carries (nothing is written).")


SHORT_ORDER = {"✓ signed by the next": "✓", "✗ not signed by the next": "✗ not next", "extra: on no path": "extra",
               "end of the chain": "end ✓", "end: untrusted root": "end: untrusted", "end: issuer missing":
               "end: missing", "end: issuers loop": "end: loop", "end: too long": "end: too long"}


class CompactServedOrder(ServedOrder):
    """The served order in half a screen: #, role, subject, and a short mark for the order."""

    COLUMNS: Columns = (("#", "n"), ("role", "role"), ("subject", "subject"), ("order", "order"))
    WIDTHS = (3, 12, 19, 14)  # fixed: the half-screen layout must not depend on when the rows arrive

    def add_columns_of_the_table(self) -> None:
        for (label, key), width in zip(self.COLUMNS, self.WIDTHS, strict=True):
            self.add_column(label, key=key, width=width)

    def _fit(self, rows: Sequence[Row]) -> None:
        self.clear()

    def _row(self, view: View, cert: CertFacts, last_member: int | None) -> tuple[Text, ...]:
        number, order, role, subject = super()._row(view, cert, last_member)
        plain = order.plain
        short = SHORT_ORDER.get(plain, plain.replace("duplicate of", "dup of"))
        subject.truncate(self.WIDTHS[2], overflow="ellipsis")
        return number, role, subject, Text(short, style=order.style)


class CompactFindings(FindingsTable):
    """The findings in half a screen: a mark, the code and the message (the explanation pane has the rest)."""

    COLUMNS: Columns = (("", "severity"), ("code", "code"), ("message", "message"))

    def _cells(self, view: View, index: int, *, nested: bool) -> tuple[Text, ...]:
        severity, code, _who, message = super()._cells(view, index, nested=nested)
        return Text(severity.plain[:1], style=severity.style), code, message

    def _group_cells(self, code: str, members: list[int]) -> tuple[Text, ...]:
        severity, label, _who, message = super()._group_cells(code, members)
        return Text(severity.plain[:1], style=severity.style), label, message

    def _note(self, first: Text, text: Text) -> tuple[Text, ...]:
        return first, Text(""), text


class SidePane(Vertical):
    """One direction: what is judged by whom, the verdict, the chain, the served order and the findings."""

    def __init__(self, name: str, workspace: Workspace) -> None:
        super().__init__(classes="mtls-side", id=name)
        self.side, self.workspace = name, workspace
        self.border_title = TITLES[name]

    def compose(self) -> ComposeResult:
        yield Static(Text(subtitle(self.side, self.workspace), style="dim"), classes="side-sub")
        yield Static(Text("Analysing…", style="italic"), classes="side-verdict")
        yield Static("", classes="side-chain")
        served = CompactServedOrder(classes="side-served")
        served.border_title = "Served order"
        yield served
        findings = CompactFindings(classes="side-findings")
        findings.border_title = "Findings"
        yield findings

    @property
    def served(self) -> CompactServedOrder:
        return self.query_one(CompactServedOrder)

    @property
    def findings(self) -> CompactFindings:
        return self.query_one(CompactFindings)

    def show(self, view: View, *, dirty: bool) -> None:
        report = view.report
        verdict = verdict_text(view)
        if dirty:
            verdict.append(f" · unsaved: {key_of('save')} saves", style="italic")
        self.query_one(".side-verdict", Static).update(verdict)
        self.query_one(".side-chain", Static).update(chain_text(report))
        self.served.show(view)
        self.findings.show(view)
        self.set_class(view.ok, "-ok")
        self.set_class(not view.ok, "-broken")

    @property
    def text(self) -> str:
        """Everything the pane shows, as plain text (for tests)."""
        parts = [self.border_title or ""]
        for static in self.query(".side-sub, .side-verdict, .side-chain").results(Static):
            content = static.content
            parts.append(content.plain if isinstance(content, Text) else str(content))
        for table in (self.served, self.findings):
            for row in range(table.row_count):
                parts.append("  ".join(str(cell) for cell in table.get_row_at(row)))
        return "\n".join(parts)


def _row_key(table: DataTable[Text]) -> str | None:
    if table.row_count == 0:
        return None
    try:
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    except Exception:  # noqa: BLE001 - an empty or shrinking table
        return None


class MtlsScreen(Screen[None]):
    """Both directions of an mTLS handshake, each side a workspace; the keys apply to the focused side."""

    DEFAULT_CSS = """
    MtlsScreen #pair-verdict { height: 1; padding: 0 1; background: $panel; }
    MtlsScreen #pair-verdict.-ok { background: $success-muted; color: $text-success; }
    MtlsScreen #pair-verdict.-broken { background: $error-muted; color: $text-error; }
    MtlsScreen #pair-verdict.-busy { color: $text-muted; }
    MtlsScreen #sides { height: 2fr; min-height: 12; }
    MtlsScreen .mtls-side {
        width: 1fr; border: round $panel-lighten-2; border-title-style: bold; border-title-color: $text-muted;
        background: $surface;
    }
    MtlsScreen .mtls-side:focus-within { border: round $accent; border-title-color: $accent; }
    MtlsScreen .side-sub { height: auto; padding: 0 1; }
    MtlsScreen .side-verdict { height: 1; margin-bottom: 1; padding: 0 1; }
    MtlsScreen .side-chain {
        height: auto; max-height: 5; margin-bottom: 1; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    MtlsScreen .side-served { height: auto; max-height: 7; border: round $panel-lighten-2; scrollbar-size: 1 1; }
    MtlsScreen .side-findings { height: 1fr; min-height: 3; border: round $panel-lighten-2; scrollbar-size: 1 1; }
    MtlsScreen .side-served:focus, MtlsScreen .side-findings:focus { border: round $accent; }
    MtlsScreen #pair-bottom { height: 1fr; min-height: 6; }
    MtlsScreen #pair-details, MtlsScreen #pair-explain {
        width: 1fr; padding: 0 1; border: round $panel-lighten-2; border-title-style: bold;
        border-title-color: $text-muted; background: $surface; scrollbar-size: 1 1;
    }
    MtlsScreen #pair-details:focus, MtlsScreen #pair-explain:focus {
        border: round $accent; border-title-color: $accent;
    }
    MtlsScreen #pair-summary {
        height: auto; max-height: 4; padding: 0 1; border: round $panel-lighten-2; border-title-style: bold;
    }
    MtlsScreen.-short .side-sub, MtlsScreen.-short .side-chain, MtlsScreen.-short #pair-summary { display: none; }
    MtlsScreen.-short .side-verdict { margin-bottom: 0; }
    MtlsScreen.-short .side-served { max-height: 6; }
    """

    BINDINGS = bindings(Where.PAIR)

    def __init__(self, server: Workspace, client: Workspace, *, standalone: bool = False) -> None:
        super().__init__()
        self.sides = {"server": server, "client": client}
        self.standalone = standalone  # the app's only screen: Escape does not go back, q quits
        self.active = "server"
        self.jobs = JobRunner(self, group="mtls", status_bar="#pair-verdict", loading=self._set_loading,
                              restore=self._show_pair, changed=self.refresh_bindings)
        self.repair_keys = RepairKeys(self, self.jobs, lambda: self.side, self._show_side,
                                      missing="the chain or the trust bundle", named=self._chain_name,
                                      where=Where.PAIR)
        self.trust_keys = TrustKeys(self, self.jobs, lambda: self.side, self._show_side, named=self._bundle_name)
        self.settings_keys = SettingsKeys(self, self.jobs, lambda: self.side, self._show_side, self._show_pair,
                                          named=lambda workspace: f"the {self._side_name(workspace)}'s chain")

    @property
    def is_modal(self) -> bool:
        """The app's own keys act on the main screen's workspace: none of them reaches through this screen."""
        return True

    @property
    def side(self) -> Workspace:
        """The workspace the keys act on: the focused side's."""
        return self.sides[self.active]

    @property
    def busy(self) -> bool:
        return self.jobs.busy

    # --- layout -----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield VerdictBar(id="pair-verdict")
        with Horizontal(id="sides"):
            for name in SIDES:
                yield SidePane(name, self.sides[name])
        with Horizontal(id="pair-bottom"):
            details = TextPane("Highlight a certificate of a side to see its details.", id="pair-details")
            details.border_title = "Certificate"
            yield details
            explain = TextPane("Highlight a finding of a side to see what it means.", id="pair-explain")
            explain.border_title = "What it means"
            yield explain
        summary = Static(Text("Analysing both directions…", style="italic"), id="pair-summary")
        summary.border_title = "mTLS pair"
        yield summary
        yield KeyFooter()

    def on_mount(self) -> None:
        server, client = self.sides["server"].session, self.sides["client"].session
        self.sub_title = (f"{render.safe_path(server.source_file or server.label, 40)} ⇄ "
                          f"{render.safe_path(client.source_file or client.label, 40)}")
        self.title = "chaindoctor mtls"
        self._fit(self.app.size.width, self.app.size.height)
        self.focus_side("server")
        self.jobs.show_current(tuple(self.sides.values()), "Analysing both directions…", self._show_side)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width, event.size.height)

    def _fit(self, width: int, height: int) -> None:
        """A short or narrow terminal drops what the rest of the screen also says (subtitles, chains, summary)."""
        self.set_class(height < SHORT, "-short")
        self.set_class(width < NARROW, "-narrow")

    def focus_side(self, name: str) -> None:
        """Make ``name`` ("server" or "client") the side the keys apply to."""
        self.active = name
        self.pane(name).served.focus()
        self.refresh_bindings()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        pane = next((n for n in event.widget.ancestors_with_self if isinstance(n, SidePane)), None)
        if pane is not None:
            self.active = pane.side
            self._follow(event.widget)
        self.refresh_bindings()

    def pane(self, name: str) -> SidePane:
        return self.query_one(f"#{name}", SidePane)

    def _side_name(self, workspace: Workspace) -> str:
        return next(name for name, side in self.sides.items() if side is workspace)

    def _chain_name(self, workspace: Workspace) -> str:
        return f" the {self._side_name(workspace)}'s chain"

    def _bundle_name(self, workspace: Workspace) -> str:
        judge = workspace.session.judge
        return f"{judge.bundle}, {render.safe_path(judge.trust_file, 30)}" if judge is not None else "the trust anchors"

    # --- showing ------------------------------------------------------------------------------------

    def _show_side(self, workspace: Workspace, view: View) -> None:
        """Put ``view`` on its side's pane, and the pair's verdict under both; the lessons hear of it."""
        workspace.view = view
        name = self._side_name(workspace)
        pane = self.pane(name)
        pane.show(view, dirty=workspace.history.dirty)
        if name == self.active:
            self._follow(self.focused if self.focused in (pane.served, pane.findings) else pane.served)
        self._show_pair()
        self.post_message(Workspace.Changed(workspace))

    def _show_pair(self) -> None:
        server, client = self.sides["server"], self.sides["client"]
        if server.report is None or client.report is None:
            return
        pair = MtlsReport(server.report, client.report, server.session.judge, client.session.judge)
        ok = pair.verdict == "ok"
        if ok:
            head = "✓ mTLS pair OK: the client and the server will accept each other"
        else:
            who = [w for w, r in (("the client will reject the server's chain", pair.server),
                                  ("the server will reject the client's certificate", pair.client))
                   if r.verdict != "ok"]
            head = "✗ mTLS pair BROKEN: " + " and ".join(who)
        text = Text(head, style="bold")
        text.append_text(self._next_step(pair))
        self.title = f"chaindoctor mtls — {'OK' if ok else 'BROKEN'}"
        self.query_one("#pair-verdict", VerdictBar).show(text, "ok" if ok else "broken")
        self.query_one("#pair-summary", Static).update(pair_text(pair))
        self.refresh_bindings()

    def _next_step(self, pair: MtlsReport) -> Text:
        """What to do next, promising only a key that would change something."""
        if any(s.history.dirty for s in self.sides.values()):
            return Text(f" · unsaved repairs: {key_of('save')} saves the focused side", style="italic")
        if pair.verdict == "ok":
            return Text("")
        for gap in pair.gaps:  # the file to change (the explanation gives its full path), and the key that helps now
            judge = gap.judge
            return Text(f" · {render.safe(os.path.basename(judge.trust_file), 40)} lacks the {judge.side}'s CA: "
                        f"{key_of('trust_file')} adds one")
        fixable = [name for name in SIDES if self.repair_keys.why_not("fix_all", self.sides[name]) is None]
        if not fixable:
            return Text("")
        name = fixable[0]
        if name == self.active:
            return Text(f" · press {key_of('fix_all')} to fix the {name}'s chain", style="bold")
        return Text(f" · focus the {name}'s side ({key_of('focus_next')}) and press {key_of('fix_all')} to fix "
                    "its chain")

    def _set_loading(self, workspaces: Sequence[Workspace], loading: bool) -> None:
        for workspace in workspaces:
            self.pane(self._side_name(workspace)).loading = loading

    # --- the highlighted certificate and finding of the focused side ---------------------------------

    def _follow(self, widget: object) -> None:
        """The details and the explanation follow the highlight of the focused side's ``widget``."""
        pane = self.pane(self.active)
        workspace, view = self.side, self.side.view
        if view is None:
            return
        if widget is pane.served:
            key = _row_key(pane.served)
            if key is not None and key.isdigit():
                workspace.selected = view.report.certificates[int(key)].entry
        finding = pane.findings.finding_at(_row_key(pane.findings))
        if widget is pane.findings and finding is not None and finding.certificates:
            workspace.selected = view.entry(finding.certificates[0]) or workspace.selected
        self._details(workspace, view)
        self._explain(workspace, view, finding)
        self.refresh_bindings()
        self.post_message(Workspace.Highlighted(workspace))

    def _details(self, workspace: Workspace, view: View) -> None:
        entry = workspace.selected
        pane = self.query_one("#pair-details", TextPane)
        if entry is None:
            pane.show(Text("Highlight a certificate of a side to see its details.", style="dim"))
            return
        pane.show(render.details(entry, view.report, render.role_of(view.report, entry)))

    def _explain(self, workspace: Workspace, view: View, finding: Finding | None) -> None:
        pane = self.query_one("#pair-explain", TextPane)
        if finding is None:
            pane.show(Text("No findings on this side: nothing to explain.", style="green") if not view.report.findings
                      else Text("Highlight a finding of a side to see what it means.", style="dim"))
            return
        session = workspace.session
        gap = trust_gap(view.report, session.judge) if session.judge is not None else None
        fix = gap_fix(gap) if gap is not None and finding.certificates == gap.certificates else None
        entry = view.entry(finding.certificates[0]) if finding.certificates else None
        repairable = finding.fix is not None and self.repair_keys.applies(finding.fix)
        pane.show(render.explanation(finding, render.commands_for(finding.code, session), entry,
                                     repairable=repairable, fix=fix))

    @on(DataTable.RowHighlighted)
    def _moved(self, event: DataTable.RowHighlighted) -> None:
        table = event.control
        pane = next((n for n in table.ancestors if isinstance(n, SidePane)), None)
        if pane is not None and pane.side == self.active:
            self._follow(table if table.has_focus else None)

    # --- which keys are available ---------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """True when the key would do something on the focused side; None dims it in the footer."""
        if action == "back":
            return not self.standalone
        key = named(action, parameters)
        if key is None or self.busy:
            return True
        return None if self.unavailable(key.name) else True

    def unavailable(self, name: str) -> str | None:
        """Why the key ``name`` would do nothing on the focused side now (None: it would act)."""
        if name in ("next_lesson", "restart_lesson") and not self._tutored:
            return f"No lesson is running: {key_of('lessons')} opens the lessons."
        return self.repair_keys.why_not(name) or self.trust_keys.why_not(name)

    @property
    def _tutored(self) -> bool:
        return bool(self.query("#lesson"))

    def on_key(self, event: events.Key) -> None:
        say_why(self.app, self, Where.PAIR, event.key)

    # --- the keys -----------------------------------------------------------------------------------

    def action_repair(self, name: str) -> None:
        """``o c x r f u ctrl+r``: the repair key ``name`` on the focused side."""
        self.repair_keys.press(name)

    def action_trust(self) -> None:
        self.trust_keys.trust_root()

    def action_trust_file(self) -> None:
        self.trust_keys.trust_file()

    def action_settings(self) -> None:
        self.settings_keys.open()

    def action_save(self) -> None:
        if not self.jobs.defer("save"):
            side = self.side
            save_chain(self.app, side, partial(self._saved, side))

    def _saved(self, workspace: Workspace, written: str) -> None:
        self.notify(f"The {self._side_name(workspace)}'s chain: {written}", title="Saved", markup=False)
        if workspace.view is not None:
            self._show_side(workspace, workspace.view)

    def action_help(self) -> None:
        from .help import HelpScreen

        self.app.push_screen(HelpScreen(Where.PAIR))

    def action_glossary(self, key: str = "") -> None:
        """``g``: the glossary, the focused side's highlighted finding's words first."""
        from ...pki.explain import EXPLANATIONS
        from .glossary import GlossaryScreen

        findings = self.pane(self.active).findings
        finding = findings.finding_at(_row_key(findings))
        info = EXPLANATIONS.get(Code(finding.code)) if finding is not None else None
        self.app.push_screen(GlossaryScreen(key or None, info.glossary if info is not None else ()))

    async def action_lessons(self) -> None:
        """``l``: the lessons menu in the app's lessons; the standalone screen leaves for ``chaindoctor learn``."""
        if not self.standalone:
            await self.app.run_action("lessons")
            return
        self._leave(self.app.leave_for_lessons, "Leave for the lessons")  # type: ignore[attr-defined]  # MtlsApp

    async def action_lesson(self, command: str) -> None:
        """``ctrl+n`` / ``ctrl+g``: the lesson panel on this screen."""
        panels = self.query("#lesson")
        if panels:
            await self.app.run_action(command, panels.first())

    def _leave(self, go: Callable[[], None], what: str) -> None:
        unless_unsaved(self.app, any(s.history.dirty for s in self.sides.values()), go, what)

    def _dismiss(self) -> None:
        self.dismiss()

    def action_back(self) -> None:
        if not self.standalone:
            self._leave(self._dismiss, "Go back")

    def action_copy_text(self) -> None:
        """Ctrl+C: copy the selected text; with none selected, name the quit key (as the main screen does)."""
        if self.get_selected_text() is None:
            name_the_quit_key(self.app)
            return
        super().action_copy_text()

    async def action_quit(self) -> None:
        """``q``: quit; with unsaved repairs, ask first: save each changed side and quit, quit, or stay."""
        dirty = [side for side in self.sides.values() if side.history.dirty]
        ask_before_quitting(self.app, bool(dirty), partial(self._save_each, dirty), lambda: self.app.exit(0))

    def _save_each(self, sides: list[Workspace], then: Callable[[], None]) -> None:
        """Save the chain of each of ``sides`` in turn (a dialog each), then ``then``; a cancelled save stops."""
        if not sides:
            then()
            return
        side, rest = sides[0], sides[1:]

        def saved(written: str) -> None:
            self._saved(side, written)
            self._save_each(rest, then)

        save_chain(self.app, side, saved)
