"""The mTLS screen: each side of a mutual-TLS handshake validates the other's chain, side by side.

Left, the client validates the server's chain (with the client's trust bundle T2, purpose server);
right, the server validates the client's chain (with T1, purpose client). Focus a side and the
repair keys of the main screen apply to that side's chain, with its own undo history.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from ...pki.diagnose import CertFacts, Report
from ...pki.mtls import MtlsReport
from .. import render
from ..actions import bindings
from ..files import save_chain
from ..forest import UNFINISHED, Missing
from ..jobs import JobRunner
from ..keys import Where, key_for, key_of, named
from ..model import Workspace
from ..repairs import RepairKeys
from ..view import View
from ..widgets.panes import TextPane, VerdictBar
from ..widgets.tables import ServedOrder
from .dialogs import ask_before_quitting, unless_unsaved

SIDES = ("server", "client")
TITLES = {"server": "The client validates the server's chain", "client": "The server validates the client's chain"}
TRUSTING = {"server": "T2", "client": "T1"}  # the trust bundle that judges each side's chain


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
        if finding.fix is not None:
            out.append(f"  press {key_for(finding.fix)}", style="bold green")
        out.append("\n" + render.safe(finding.message, 600) + "\n")
    return out


def pair_text(pair: MtlsReport) -> Text:
    """The plain summary sentences, one per direction."""
    out = Text()
    for sentence, report in zip(pair.summary(), (pair.server, pair.client)):
        if out.plain:
            out.append("\n")
        ok = report.verdict == "ok"
        out.append("✓ " if ok else "✗ ", style="green" if ok else "red")
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

    def _row(self, view: View, cert: CertFacts, last_member: int | None) -> tuple[Text, ...]:
        number, order, role, subject = super()._row(view, cert, last_member)
        plain = order.plain
        short = SHORT_ORDER.get(plain, plain.replace("duplicate of", "dup of"))
        subject.truncate(21, overflow="ellipsis")
        return number, role, subject, Text(short, style=order.style)


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
        findings = TextPane("", classes="side-findings")
        findings.border_title = "Findings"
        yield findings

    def show(self, view: View, *, dirty: bool) -> None:
        report = view.report
        verdict = verdict_text(view)
        if dirty:
            verdict.append(f" · unsaved: {key_of('save')} saves", style="italic")
        self.query_one(".side-verdict", Static).update(verdict)
        self.query_one(".side-chain", Static).update(chain_text(report))
        self.query_one(ServedOrder).show(view)
        self.query_one(TextPane).show(findings_text(report))
        self.set_class(view.ok, "-ok")
        self.set_class(not view.ok, "-broken")

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


class MtlsScreen(Screen[None]):
    """Both directions of an mTLS handshake, each side a workspace; the repair keys apply to the focused side."""

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

    BINDINGS = bindings(Where.PAIR)

    def __init__(self, server: Workspace, client: Workspace, *, standalone: bool = False) -> None:
        super().__init__()
        self.sides = {"server": server, "client": client}
        self.standalone = standalone  # the app's only screen: Escape does not go back, q quits
        self.active = "server"
        self.jobs = JobRunner(self, group="mtls", status_bar="#pair-verdict", loading=self._set_loading,
                              restore=self._show_pair, changed=self.refresh_bindings)
        self.repair_keys = RepairKeys(self, self.jobs, lambda: self.side, self._show_side,
                                      missing="the chain or the trust bundle", named=self._chain_name)

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
        summary = Static(Text("Analysing both directions…", style="italic"), id="pair-summary")
        summary.border_title = "mTLS pair"
        yield summary
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        server, client = self.sides["server"].session, self.sides["client"].session
        self.sub_title = (f"{render.safe_path(server.source_file or server.label, 40)} ⇄ "
                          f"{render.safe_path(client.source_file or client.label, 40)}")
        self.focus_side("server")
        self.jobs.show_current(tuple(self.sides.values()), "Analysing both directions…", self._show_side)

    def focus_side(self, name: str) -> None:
        """Make ``name`` ("server" or "client") the side the repair keys apply to."""
        self.active = name
        self.query_one(f"#{name} ServedOrder", ServedOrder).focus()
        self.refresh_bindings()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        pane = next((n for n in event.widget.ancestors_with_self if isinstance(n, SidePane)), None)
        if pane is not None:
            self.active = pane.side
        self.refresh_bindings()

    def pane(self, name: str) -> SidePane:
        return self.query_one(f"#{name}", SidePane)

    def _side_name(self, workspace: Workspace) -> str:
        return next(name for name, side in self.sides.items() if side is workspace)

    def _chain_name(self, workspace: Workspace) -> str:
        return f" the {self._side_name(workspace)}'s chain"

    # --- showing ------------------------------------------------------------------------------------

    def _show_side(self, workspace: Workspace, view: View) -> None:
        """Put ``view`` on its side's pane, and the pair's verdict under both; the lessons hear of it."""
        workspace.view = view
        self.pane(self._side_name(workspace)).show(view, dirty=workspace.history.dirty)
        self._show_pair()
        self.post_message(Workspace.Changed(workspace))

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
        if any(s.history.dirty for s in self.sides.values()):
            text.append(f" · unsaved repairs: {key_of('save')} saves the focused side", style="italic")
        elif not ok:
            text.append(f" · focus a side ({key_of('focus_next')}) and press {key_of('fix_all')} to fix its chain")
        self.query_one("#pair-verdict", VerdictBar).show(text, "ok" if ok else "broken")
        self.query_one("#pair-summary", Static).update(pair_text(pair))
        self.refresh_bindings()

    def _set_loading(self, workspaces: Sequence[Workspace], loading: bool) -> None:
        for workspace in workspaces:
            self.pane(self._side_name(workspace)).loading = loading

    # --- which keys are available ---------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """True when the key would do something to the focused side; None dims it in the footer."""
        if action == "back":
            return not self.standalone
        key = named(action, parameters)
        available = self.repair_keys.available(key.name) if key is not None else None
        if available is None:
            return True
        return True if self.busy or available else None

    # --- the keys -----------------------------------------------------------------------------------

    def action_repair(self, name: str) -> None:
        """``o c x r f u ctrl+r``: the repair key ``name`` on the focused side."""
        self.repair_keys.press(name)

    def action_save(self) -> None:
        if not self.jobs.defer("save"):
            side = self.side
            save_chain(self.app, side, partial(self._saved, side))

    def _saved(self, workspace: Workspace, written: str) -> None:
        self.notify(f"The {self._side_name(workspace)}'s chain: {written}", title="Saved", markup=False)
        if workspace.view is not None:
            self._show_side(workspace, workspace.view)

    def _leave(self, go: Callable[[], None], what: str) -> None:
        unless_unsaved(self.app, any(s.history.dirty for s in self.sides.values()), go, what)

    def action_back(self) -> None:
        if not self.standalone:
            self._leave(self.dismiss, "Go back")

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
