"""The mTLS screen: each side of a mutual-TLS handshake validates the other's chain, side by side.

Left, the client validates the server's chain (with the client's trust bundle T2, purpose server);
right, the server validates the client's chain (with T1, purpose client). Focus a side and the
repair keys of the main screen apply to that side's chain, with its own undo history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from ...pki.diagnose import Policy, Report
from ...pki.fixes import Repair, RepairContext
from ...pki.history import History
from ...pki.model import Bundle
from ...pki.mtls import MtlsReport
from ...pki.session import Session
from .. import render
from ..forest import Missing, order_break, order_marks, position_index
from ..files import confirm_overwrite, save_screen, write_chain
from ..jobs import JobRunner
from ..repairs import (REPAIR_BINDINGS, RepairKeys, repair_applies, repair_notes, repair_status,
                repaired_title, root_action, run_repair, should_ask)
from ..widgets.panes import TextPane, VerdictBar
from ..widgets.tables import ServedOrder
from .dialogs import SaveRequest

Clock = Callable[[], datetime]
REPAIR_KEYS = {"reorder": "o", "complete": "c", "drop_extras": "x", "toggle_root": "r", "fix_all": "f",
               "undo": "u", "redo": "ctrl+r", "save": "s"}
FIX_KEYS = {"reorder": "o", "complete": "c", "drop-extras": "x", "drop-root": "r"}


@dataclass
class PairSide:
    """One direction of the handshake on the screen: its engine session, and the report shown."""

    name: str  # "server" (the server's chain, judged by the client) | "client"
    chain_file: str
    trust_file: str
    session: Session  # the chain, the trust bundle that judges it, the policy and the repair history
    report: Report | None = None
    reports: dict[int, tuple[Bundle, Report]] = field(default_factory=dict)

    @property
    def history(self) -> History:
        return self.session.history

    @property
    def policy(self) -> Policy:
        return self.session.policy

    @property
    def allow_network(self) -> bool:
        return self.session.allow_network

    @allow_network.setter
    def allow_network(self, value: bool) -> None:
        self.session.allow_network = value

    @property
    def title(self) -> str:
        return ("The client validates the server's chain" if self.name == "server"
                else "The server validates the client's chain")

    @property
    def subtitle(self) -> str:
        trusting = "T2" if self.name == "server" else "T1"
        host = f", host {self.policy.host}" if self.policy.host else ""
        return (f"{render.safe_path(self.chain_file, 40)} · trusting {render.safe_path(self.trust_file, 40)} "
                f"({trusting}), purpose {self.policy.purpose}{host}")

    def analyse(self, bundle: Bundle, now: datetime) -> Report:
        """The report for ``bundle`` (cached per bundle: undo and redo need no new diagnosis)."""
        cached = self.reports.get(id(bundle))
        if cached is not None and cached[0] is bundle:
            return cached[1]
        report = self.session.analyse(bundle, now)
        if len(self.reports) > 32:
            self.reports.clear()
        self.reports[id(bundle)] = (bundle, report)
        return report

    def context(self, now: datetime, *, allow_network: bool | None = None) -> RepairContext:
        return self.session.context(now, allow_network=allow_network)

    def save_name(self) -> str:
        return self.session.save_name()

    def root_action(self) -> str | None:
        """``drop_root`` when the anchor is in the chain, ``keep_root`` when it could be put back."""
        return None if self.report is None else root_action(self.report)

    def available(self, action: str) -> bool:
        """Whether a repair key would do something to this side now."""
        if action == "undo":
            return self.history.can_undo
        if action == "redo":
            return self.history.can_redo
        if action == "save":
            return True
        return self.report is not None and bool(repair_applies(action, self.report))


# --- what each side shows ------------------------------------------------------------------------


def verdict_text(report: Report) -> Text:
    errors = len(report.errors)
    warnings = sum(f.severity == "warning" for f in report.findings)
    parts = [f"{errors} error{'s' if errors != 1 else ''}"] if errors else []
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    head = ("✓ OK" if report.verdict == "ok" else "✗ BROKEN") + (" — " + ", ".join(parts) if parts else "")
    return Text(head, style="bold green" if report.verdict == "ok" else "bold red")


def chain_text(report: Report, now: datetime) -> Text:
    """The chosen path as a compact tree: trust anchor (or missing issuer) at the top, leaf at the bottom."""
    path = report.path
    if path is None or not path.certs:
        return Text("No leaf: nothing to validate.", style="dim")
    where = position_index(report)
    roles = {e.sha256: role for e, role in zip(report.bundle.certs, report.roles)}
    graph = report.graph
    out = Text()
    depth = 0
    if path.end in ("missing", "loop", "too-long"):
        top = path.top
        out.append_text(render.missing_label(Missing(top.issuer, top.issuer_der, (), ())))
        depth = 1
    for entry in reversed(path.certs):
        if out.plain:
            out.append("\n")
        if depth:
            out.append("   " * (depth - 1) + "└─ ", style="dim")
        out.append_text(render.cert_label(entry, roles.get(entry.sha256, "anchor"), where.get(entry.sha256, []), now,
                                          anchor=graph.is_anchor(entry), self_signed=graph.is_self_signed(entry)))
        depth += 1
    return out


def findings_text(report: Report) -> Text:
    """Every finding: severity, code, message, and the key that repairs it."""
    if not report.findings:
        return Text("✓ No findings: complete, in order and trusted for this purpose.", style="green")
    out = Text()
    for i, finding in enumerate(report.findings):
        if i:
            out.append("\n")
        sev = finding.severity
        out.append(f"{render.SEVERITY_MARK[sev]} {sev} ", style=render.SEVERITY_STYLE[sev])
        out.append(finding.code, style="bold")
        key = FIX_KEYS.get(finding.fix or "")
        if key:
            out.append(f"  press {key}", style="bold green")
        out.append("\n" + render.safe(finding.message, 600) + "\n")
    return out


def pair_text(pair: MtlsReport) -> Text:
    """The plain summary sentences, one per direction."""
    out = Text()
    for sentence, report in zip(pair.summary(), (pair.server, pair.client)):
        if out.plain:
            out.append("\n")
        out.append("✓ " if report.verdict == "ok" else "✗ ", style="green" if report.verdict == "ok" else "red")
        out.append(render.safe(sentence, 500))
    return out


SHORT_ORDER = {"✓ signed by the next": "✓", "✗ not signed by the next": "✗ not next",
               "⚠ not signed by the next": "⚠ wrong order", "extra: on no path": "extra",
               "end of the chain": "end ✓", "end: untrusted root": "end: untrusted", "end: issuer missing":
               "end: missing", "end: issuers loop": "end: loop", "end: too long": "end: too long"}


class CompactServedOrder(ServedOrder):
    """The served order in half a screen: #, role, subject, and a short mark for the order."""

    def on_mount(self, event: events.Mount) -> None:
        event.prevent_default()  # the base class would add its own columns
        # fixed widths: the half-screen layout must not depend on when the rows arrive
        self.add_column("#", key="n", width=3)
        self.add_column("role", key="role", width=12)
        self.add_column("subject", key="subject", width=21)
        self.add_column("order", key="order", width=14)

    @staticmethod
    def _row(*args: Any) -> tuple[Text, ...]:  # type: ignore[override]
        number, order, role, subject = ServedOrder._row(*args)
        plain = order.plain
        short = SHORT_ORDER.get(plain, plain.replace("duplicate of", "dup of"))
        subject.truncate(21, overflow="ellipsis")
        return number, role, subject, Text(short, style=order.style)


class SidePane(Vertical):
    """One direction: what is judged by whom, the verdict, the chain, the served order and the findings."""

    def __init__(self, side: PairSide, **kwargs: Any) -> None:
        super().__init__(classes="mtls-side", **kwargs)
        self.side = side
        self.border_title = side.title

    def compose(self) -> ComposeResult:
        yield Static(Text(self.side.subtitle, style="dim"), classes="side-sub")
        yield Static(Text("Analysing…", style="italic"), classes="side-verdict")
        yield Static("", classes="side-chain")
        served = CompactServedOrder(classes="side-served")
        served.border_title = "Served order"
        yield served
        findings = TextPane("", classes="side-findings")
        findings.border_title = "Findings"
        yield findings

    def show(self, report: Report, now: datetime, *, dirty: bool) -> None:
        verdict = verdict_text(report)
        if dirty:
            verdict.append(" · unsaved: s saves", style="italic")
        self.query_one(".side-verdict", Static).update(verdict)
        self.query_one(".side-chain", Static).update(chain_text(report, now))
        self.query_one(ServedOrder).show(report, order_break(report), order_marks(report), position_index(report))
        self.query_one(TextPane).show(findings_text(report))
        self.set_class(report.verdict == "ok", "-ok")
        self.set_class(report.verdict != "ok", "-broken")

    @property
    def text(self) -> str:
        """Everything the pane shows, as plain text (for tests)."""
        parts = [self.border_title or ""]
        for static in self.query(".side-sub, .side-verdict, .side-chain").results(Static):
            content = static.content
            parts.append(content.plain if isinstance(content, Text) else str(content))
        table = self.query_one(ServedOrder)
        for row in range(table.row_count):
            parts.append("  ".join(str(cell) for cell in table.get_row_at(row)))
        parts.append(self.query_one(TextPane).text)
        return "\n".join(parts)


class MtlsScreen(RepairKeys, JobRunner, Screen[None]):
    """Both directions of an mTLS handshake; the repair keys apply to the focused side."""

    DEFAULT_CSS = """
    MtlsScreen #pair-verdict { height: 1; padding: 0 1; background: $panel; }
    MtlsScreen #pair-verdict.-ok { background: $success-muted; color: $text-success; }
    MtlsScreen #pair-verdict.-broken { background: $error-muted; color: $text-error; }
    MtlsScreen #pair-verdict.-busy { color: $text-muted; }
    MtlsScreen #sides { height: 1fr; }
    MtlsScreen .mtls-side {
        width: 1fr; border: round $panel-lighten-2; border-title-style: bold; border-title-color: $text-muted;
        background: $surface;
    }
    MtlsScreen .mtls-side:focus-within { border: round $accent; border-title-color: $accent; }
    MtlsScreen .side-sub { height: auto; padding: 0 1; }
    MtlsScreen .side-verdict { height: 1; margin-bottom: 1; padding: 0 1; }
    MtlsScreen .side-chain { height: auto; max-height: 8; margin-bottom: 1; padding: 0 1; }
    MtlsScreen .side-served { height: auto; max-height: 9; border: round $panel-lighten-2; scrollbar-size: 1 1; }
    MtlsScreen .side-findings { height: 1fr; min-height: 4; border: round $panel-lighten-2; }
    MtlsScreen .side-served:focus, MtlsScreen .side-findings:focus { border: round $accent; }
    MtlsScreen #pair-summary {
        height: auto; max-height: 8; padding: 0 1; border: round $panel-lighten-2; border-title-style: bold;
    }
    """

    JOB_GROUP = "mtls"
    STATUS_BAR = "#pair-verdict"
    BINDINGS = [
        *REPAIR_BINDINGS,
        Binding("escape", "back", "Back"),
        Binding("q", "quit", "Quit"),
        Binding("tab", "app.focus_next", "Next pane"),
    ]

    def __init__(self, server: PairSide, client: PairSide, *, now: Clock, standalone: bool = False) -> None:
        super().__init__()
        self.sides = {"server": server, "client": client}
        self.now = now
        self.standalone = standalone  # the app's only screen: Escape does not go back, q quits
        self.active = "server"
        self._init_jobs()
        self._loading_panes: list[SidePane] = []

    # --- layout -----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield VerdictBar(id="pair-verdict")
        with Horizontal(id="sides"):
            yield SidePane(self.sides["server"], id="server")
            yield SidePane(self.sides["client"], id="client")
        summary = Static(Text("Analysing both directions…", style="italic"), id="pair-summary")
        summary.border_title = "mTLS pair"
        yield summary
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        server, client = self.sides["server"], self.sides["client"]
        self.sub_title = (f"{render.safe_path(server.chain_file, 40)} ⇄ {render.safe_path(client.chain_file, 40)}")
        self.focus_side("server")
        now = self.now()
        bundles = (server.history.current, client.history.current)

        def job() -> tuple[Report, Report]:
            return server.analyse(bundles[0], now), client.analyse(bundles[1], now)

        def done(reports: tuple[Report, Report]) -> None:
            server.report, client.report = reports
            self._show_side(server)
            self._show_side(client)

        self._start_for(list(self.sides.values()), job, done, "Analysing both directions…")

    def focus_side(self, name: str) -> None:
        """Make ``name`` ("server" or "client") the side the repair keys apply to."""
        self.active = name
        self.query_one(f"#{name} ServedOrder", ServedOrder).focus()
        self.refresh_bindings()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        pane = next((n for n in event.widget.ancestors_with_self if isinstance(n, SidePane)), None)
        if pane is not None:
            self.active = pane.side.name
        self.refresh_bindings()

    def pane(self, name: str) -> SidePane:
        return self.query_one(f"#{name}", SidePane)

    @property
    def side(self) -> PairSide:
        return self.sides[self.active]

    # --- showing ------------------------------------------------------------------------------------

    def _show_side(self, side: PairSide) -> None:
        if side.report is None:
            return
        self.pane(side.name).show(side.report, side.report.policy.when, dirty=side.history.dirty)
        self._show_pair()

    def _show_pair(self) -> None:
        server, client = self.sides["server"].report, self.sides["client"].report
        if server is None or client is None:
            return
        pair = MtlsReport(server, client)
        ok = pair.verdict == "ok"
        if ok:
            head = "✓ mTLS pair OK: the client and the server will accept each other"
        else:
            who = [w for w, r in (("the client will reject the server's chain", server),
                                  ("the server will reject the client's certificate", client)) if r.verdict != "ok"]
            head = "✗ mTLS pair BROKEN: " + " and ".join(who)
        text = Text(head, style="bold")
        dirty = [n for n, s in self.sides.items() if s.history.dirty]
        if dirty:
            text.append(" · unsaved repairs: s saves the focused side", style="italic")
        elif not ok:
            text.append(" · focus a side (tab) and press f to fix its chain")
        self.query_one("#pair-verdict", VerdictBar).show(text, "ok" if ok else "broken")
        self.query_one("#pair-summary", Static).update(pair_text(pair))
        self.refresh_bindings()

    # --- background jobs ------------------------------------------------------------------------

    def _start_for(self, sides: list[PairSide], job: Callable[[], object], then: Callable[[Any], None],
                   status: str) -> None:
        """Run ``job`` in a worker, the loading indicator over the panes of ``sides``."""
        self._loading_panes = [self.pane(s.name) for s in sides]
        self._start(job, then, status)

    def _set_loading(self, loading: bool) -> None:
        for pane in self._loading_panes:
            pane.loading = loading

    def _job_failed(self) -> None:
        self._show_pair()

    def _bindings_changed(self) -> None:
        self.refresh_bindings()

    # --- which keys are available ---------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """True when the key would do something to the focused side; None dims it in the footer."""
        if action == "back":
            return not self.standalone
        if action in REPAIR_KEYS:
            return True if self.busy or self.side.available(action) else None
        return True

    # --- repairs ----------------------------------------------------------------------------------

    def _root_action(self) -> str | None:
        return self.side.root_action()

    def _repair(self, name: str, *, network: bool | None = None, side: PairSide | None = None) -> None:
        """Run one repair on the focused side in a worker; ``network`` answers the AIA fetch question."""
        side = side or self.side
        bundle, now = side.history.current, self.now()
        ask = should_ask(name, network, side.allow_network)
        ctx = side.context(now, allow_network=network)

        def job() -> tuple[str, object]:
            repair = run_repair(name, bundle, ctx, ask=ask)
            if not isinstance(repair, Repair):
                return "ask", repair
            return "done", (repair, side.analyse(repair.after, now) if repair.changed else None)

        self._start_for([side], job, partial(self._repaired, name, side), repair_status(name, ctx))

    def _repaired(self, name: str, side: PairSide, result: tuple[str, object]) -> None:
        kind, value = result
        if kind == "ask":
            assert isinstance(value, tuple)
            self._ask_network("The missing issuer is not in the chain or the trust bundle. Fetch it from the address "
                              "the certificate names (AIA)?", value, partial(self._network_answered, name, side))
            return
        repair, report = value  # type: ignore[misc]
        assert isinstance(repair, Repair)
        if not repair.changed or report is None or not side.history.apply(repair):
            self._show_pair()
            self._nothing_changed(repair)
            return
        side.report = report
        self._show_side(side)
        who = "server's chain" if side.name == "server" else "client's chain"
        self.notify(render.safe(repair.description, 300) + repair_notes(repair, unresolved=True),
                    title=repaired_title(name, f" the {who}"), markup=False, timeout=8)

    def _network_answered(self, name: str, side: PairSide, yes: bool) -> None:
        if yes:
            side.allow_network = True
        self._repair(name, network=yes, side=side)

    def _step(self, *, undo: bool) -> None:
        """Undo or redo the focused side's last repair, and re-analyse it."""
        side = self.side
        repair = side.history.undo() if undo else side.history.redo()
        if repair is None:
            return
        bundle, now = side.history.current, self.now()

        def done(report: Report) -> None:
            side.report = report
            self._show_side(side)
            self._stepped(repair, undo=undo)

        self._start_for([side], lambda: side.analyse(bundle, now), done, "Undoing…" if undo else "Redoing…")

    # --- save -------------------------------------------------------------------------------------

    def action_save(self) -> None:
        if self._queued("save"):
            return
        side = self.side
        self._dialog(save_screen(side.save_name(), side.history.current), partial(self._save_answered, side))

    def _save_answered(self, side: PairSide, request: SaveRequest | None) -> None:
        confirm_overwrite(self._dialog, request, partial(self._write, side))

    def _write(self, side: PairSide, path: Path, request: SaveRequest, *, overwrite: bool) -> None:
        written = write_chain(self.app, side.history.current, path, request, overwrite=overwrite)
        if written is None:
            return
        side.history.mark_saved()
        who = "server's" if side.name == "server" else "client's"
        self.notify(f"The {who} chain: {written}", title="Saved", markup=False)
        self._show_side(side)

    # --- leaving -----------------------------------------------------------------------------------

    def _dialog(self, screen: Screen[Any], callback: Callable[[Any], None]) -> None:
        self.app.clear_notifications()
        self.app.push_screen(screen, callback)

    def _leave(self, go: Callable[[], None], what: str) -> None:
        self._unless_unsaved(any(s.history.dirty for s in self.sides.values()), go, what)

    def action_back(self) -> None:
        if not self.standalone:
            self._leave(self.dismiss, "Go back")

    async def action_quit(self) -> None:
        self._leave(lambda: self.app.exit(0), "Quit")
