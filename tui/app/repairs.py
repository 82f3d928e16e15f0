"""The repair keys (o c x r f, u, ctrl+r) of the main screen and of each side of the mTLS screen."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from typing import Any

from rich.text import Text
from textual.app import App
from textual.screen import Screen

from ..pki import aia, fixes, httpget
from ..pki.diagnose import Report
from ..pki.fixes import RepairContext
from ..pki.model import Bundle
from ..pki.vocabulary import Repair
from . import facts, render
from .jobs import JobRunner, Outcome
from .keys import KEY, Group, Key, key_of
from .model import Workspace
from .screens.dialogs import ConfirmScreen, open_dialog
from .view import View

REPAIRS: dict[Repair, Callable[[Bundle, RepairContext], fixes.Repair]] = {
    Repair.REORDER: fixes.reorder, Repair.COMPLETE: fixes.complete, Repair.DROP_EXTRAS: fixes.drop_extras,
    Repair.DROP_ROOT: fixes.drop_root, Repair.KEEP_ROOT: fixes.keep_root, Repair.FIX_ALL: fixes.fix_all,
}
TITLES = {Repair.REORDER: "Reordered", Repair.COMPLETE: "Completed", Repair.DROP_EXTRAS: "Dropped extras",
          Repair.DROP_ROOT: "Dropped the root", Repair.KEEP_ROOT: "Put the root back", Repair.FIX_ALL: "Fixed"}
NETWORK_REPAIRS = (Repair.COMPLETE, Repair.FIX_ALL)  # the repairs that may fetch missing issuers (AIA)
Show = Callable[[Workspace, View], None]


def should_ask(repair: Repair, network: bool | None, allowed: bool) -> bool:
    """Whether ``repair`` must ask before any fetch (no answer yet, and the network not allowed)."""
    return repair in NETWORK_REPAIRS and network is None and not allowed


def run_repair(repair: Repair, bundle: Bundle, ctx: RepairContext, *, ask: bool) -> fixes.Repair | fixes.NetworkPlan:
    """Repair ``bundle`` (in a worker); with ``ask``, what it would fetch instead, if anything."""
    if ask:
        plan = fixes.network_plan(bundle, ctx)
        if plan.urls:
            return plan
    return REPAIRS[repair](bundle, ctx)


MAX_HOSTS_SHOWN = 8  # the consent dialog names this many hosts, then "and N more"


def network_detail(plan: fixes.NetworkPlan, ctx: RepairContext) -> Text:
    """What an AIA fetch will contact and within which bounds, for the consent dialog (inert)."""
    hosts = [render.safe(h, 60) for h in plan.hosts]
    out = Text()
    if hosts:
        shown = ", ".join(hosts[:MAX_HOSTS_SHOWN])
        more = len(hosts) - MAX_HOSTS_SHOWN
        out.append(f"Hosts contacted first ({len(hosts)}): ", style="bold")
        out.append(shown + (f" and {more} more" if more > 0 else "") + "\n")
    others = len(plan.urls) - len([u for u in plan.urls if aia.hosts([u])])
    if others:
        out.append(f"{others} address{'es use' if others != 1 else ' uses'} a scheme other than http(s) and "
                   "will not be fetched.\n")
    proxies = sorted({p for p in map(httpget.proxy_for, plan.urls) if p is not None})
    if proxies:
        out.append("Through the proxy your environment names: " + ", ".join(render.safe(p, 60) for p in proxies)
                   + "\n")
    if plan.left_out:
        out.append(f"The certificate names {len(plan.left_out)} more address{'es' if len(plan.left_out) != 1 else ''}"
                   f", left out: at most {aia.MAX_URLS_PER_CERT} are tried per certificate.\n")
    local = ("allowed here (--aia-private)" if ctx.allow_private else
             "refused" if not ctx.allow_loopback else "refused, loopback excepted")
    out.append("Certificates fetched may name further addresses, and servers may redirect: each further "
               f"address is checked the same way (loopback, private and link-local addresses are {local}).\n")
    out.append(f"Bounds: {ctx.timeout:g} s per fetch, {ctx.aia_budget:g} s for the whole walk, "
               f"{aia.MAX_URLS_PER_CERT} addresses per certificate and {aia.MAX_URLS} in all, "
               f"{aia.MAX_REDIRECTS} redirects and {aia.MAX_BYTES // (1 << 20)} MiB per response.", style="dim")
    return out


def root_repair(report: Report) -> Repair | None:
    """Drop the root when the anchor is in the chain, keep (put back) the root when it could be."""
    path = report.path
    if path is None or not path.trusted or len(path.certs) < 2 or not report.is_self_signed(path.top):
        return None
    return Repair.DROP_ROOT if report.in_bundle(path.top) else Repair.KEEP_ROOT


def repair_of(key: Key, report: Report | None) -> Repair | None:
    """The repair ``key`` performs on the chain of ``report`` (the root key drops or puts back)."""
    if len(key.repairs) == 1:
        return key.repairs[0]
    return root_repair(report) if report is not None and key.repairs else None


def repair_applies(key: Key, report: Report) -> bool:
    """Whether repair key ``key`` would change the chain of ``report``."""
    repair = repair_of(key, report)
    if repair is None:
        return False
    if repair is Repair.FIX_ALL:
        return any(f.fix for f in report.findings)
    if repair in (Repair.DROP_ROOT, Repair.KEEP_ROOT):
        return True  # root_repair found the anchor to drop or to put back
    return any(f.fix == repair for f in report.findings)


def repair_status(repair: Repair, ctx: RepairContext) -> str:
    """The status line while ``repair`` runs."""
    return "Fetching missing issuers…" if ctx.allow_network and repair in NETWORK_REPAIRS else "Repairing…"


def repair_notes(result: fixes.Repair, *, unresolved: bool = False) -> str:
    """The repair's notes as lines to append ("" without any); ``unresolved`` puts what is still broken first."""
    notes = "\n".join(render.safe(n, 200) for n in result.notes)
    if unresolved and result.unresolved:
        notes = f"still broken: {render.safe(result.unresolved, 200)}" + (f"\n{notes}" if notes else "")
    return f"\n{notes}" if notes else ""


def repaired_title(repair: Repair, what: str = "") -> str:
    """The title of the toast after a repair (``what``: the chain it changed, if a screen shows two)."""
    return f"{TITLES.get(repair, 'Repaired')}{what} — {key_of('undo')} to undo"


def change_text(result: fixes.Repair) -> str:
    """What the repair did, then the served order before and after it (the first few names)."""
    def order(bundle: Bundle) -> str:
        names = [render.safe(facts.short_name(e), 28) for e in bundle.certs[:6]]
        more = len(bundle.certs) - len(names)
        return ", ".join(names) + (f", … {more} more" if more > 0 else "")

    return (f"{render.safe(result.description, 300)}\nbefore: {order(result.before)}\n"
            f"after:  {order(result.after)}")


class RepairKeys:
    """The repair keys of one screen (``host``, the app or a screen): each acts on the workspace
    ``target()`` returns, in the screen's job runner, with the toasts and the question that go with it.

    ``show`` puts a new view of a workspace on screen. ``missing`` says where a missing issuer was
    looked for; ``named`` names a workspace's chain in the toasts when the screen shows two (without
    it, the toast lists the order before and after the repair).
    """

    def __init__(self, host: App[Any] | Screen[Any], jobs: JobRunner, target: Callable[[], Workspace], show: Show, *,
                 missing: str, named: Callable[[Workspace], str] | None = None) -> None:
        self.host, self.jobs, self.target, self.show = host, jobs, target, show
        self.missing, self.named = missing, named

    @property
    def app(self) -> App[Any]:
        return self.host.app

    def available(self, name: str) -> bool | None:
        """Whether the repair key ``name`` would change anything now; None for a key that is not one."""
        key = KEY.get(name)
        if key is None or key.group is not Group.REPAIRS:
            return None
        workspace = self.target()
        if name == "undo":
            return workspace.history.can_undo
        if name == "redo":
            return workspace.history.can_redo
        report = workspace.report
        return report is not None and repair_applies(key, report)

    def press(self, name: str) -> None:
        """The repair key ``name`` was pressed (while a job runs, it runs afterwards)."""
        if self.jobs.defer(KEY[name].run):
            return
        workspace = self.target()
        if name in ("undo", "redo"):
            self._step(workspace, undo=name == "undo")
            return
        repair = repair_of(KEY[name], workspace.report)
        if repair is not None:
            self._repair(workspace, repair)

    def _repair(self, workspace: Workspace, repair: Repair, *, network: bool | None = None) -> None:
        """Run one repair in a worker; ``network`` is the user's answer to the fetch question."""
        session = workspace.session
        bundle, now = workspace.history.current, workspace.now()
        ask = should_ask(repair, network, session.allow_network)
        ctx = session.context(now, allow_network=network)

        def job() -> Outcome:
            result = run_repair(repair, bundle, ctx, ask=ask)
            if isinstance(result, fixes.NetworkPlan):
                return Outcome(plan=result, context=ctx)
            view = workspace.compute(result.after, now) if result.changed else None
            return Outcome(view=view, repair=result)

        self.jobs.start(job, partial(self._repaired, workspace, repair), repair_status(repair, ctx), on=(workspace,))

    def _repaired(self, workspace: Workspace, repair: Repair, outcome: Outcome) -> None:
        if outcome.plan is not None and outcome.context is not None:
            self._ask_network(outcome.plan, outcome.context, partial(self._network_answered, workspace, repair))
            return
        result = outcome.repair
        assert result is not None
        if not result.changed or outcome.view is None:
            self.jobs.restore()
            self.app.notify(render.safe(result.description, 400) + repair_notes(result),
                            title="Nothing changed", severity="warning", markup=False)
            return
        if not workspace.history.apply(result):
            self.jobs.restore()
            return
        workspace.remember(result.after, outcome.view)
        self.show(workspace, outcome.view)
        named = self.named(workspace) if self.named is not None else ""
        text = render.safe(result.description, 300) if named else change_text(result)
        self.app.notify(text + repair_notes(result, unresolved=True), title=repaired_title(repair, named),
                        markup=False, timeout=8)

    def _network_answered(self, workspace: Workspace, repair: Repair, yes: bool) -> None:
        if yes:
            workspace.session.allow_network = True
        self._repair(workspace, repair, network=yes)

    def _ask_network(self, plan: fixes.NetworkPlan, ctx: RepairContext, answered: Callable[[bool], None]) -> None:
        """Ask before fetching the missing issuers ``plan`` names; ``answered`` gets the answer."""
        question = (f"The missing issuer is not in {self.missing}. Fetch it over the network from the addresses "
                    "the certificate names (AIA)?")
        open_dialog(self.app, ConfirmScreen(Text(question), yes="Fetch", no="Without network",
                                            detail=network_detail(plan, ctx), yes_first=True),
                    lambda yes: answered(bool(yes)))

    def _step(self, workspace: Workspace, *, undo: bool) -> None:
        """Undo or redo the last repair of ``workspace``, and show its chain again."""
        result = workspace.history.undo() if undo else workspace.history.redo()
        if result is None:
            return

        def shown(workspace: Workspace, view: View) -> None:
            self.show(workspace, view)
            self.app.notify(render.safe(result.description, 300), title="Undone" if undo else "Redone",
                            markup=False)

        self.jobs.show_current((workspace,), "Undoing…" if undo else "Redoing…", shown)
