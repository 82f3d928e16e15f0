"""The repair keys (o c x r f, u, ctrl+r) of the main screen and of each side of the mTLS screen."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from rich.text import Text
from textual.app import App
from textual.screen import Screen

from ..pki import aia, fixes
from ..pki.diagnose import Report
from ..pki.fixes import RepairContext
from ..pki.graph import Sig, check_signature
from ..pki.history import History
from ..pki.model import Bundle
from ..pki.session import Session
from ..pki.vocabulary import PathEnd, Repair
from . import facts, render
from .jobs import JobRunner, Outcome
from .keys import KEY, Group, Key, Where, key_of
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
    from ..pki.httpget import proxy_for  # the HTTP client loads only when a fetch is to be asked about

    proxies = sorted({p for p in map(proxy_for, plan.urls) if p is not None})
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


def root_repair(report: Report, history: History) -> Repair | None:
    """Drop the root when the anchor is in the chain; put it back only when a repair in effect dropped it."""
    path = report.path
    if path is None or not path.trusted or len(path.certs) < 2 or not report.is_self_signed(path.top):
        return None
    top = path.top
    if report.in_bundle(top):
        return Repair.DROP_ROOT
    dropped = any(e.sha256 == top.sha256 for done in history.repairs for e in done.removed)
    return Repair.KEEP_ROOT if dropped else None


def repair_of(key: Key, report: Report | None, history: History) -> Repair | None:
    """The repair ``key`` performs on the chain of ``report`` (the root key drops or puts back)."""
    if len(key.repairs) == 1:
        return key.repairs[0]
    return root_repair(report, history) if report is not None and key.repairs else None


def can_complete(report: Report, session: Session) -> bool:
    """Whether completing could find the missing issuer: in the search pool, or through AIA (after asking)."""
    path = report.path
    if path is None or path.trusted or path.end != PathEnd.MISSING:
        return False
    top = path.top
    if aia.aia_urls(top.cert):
        return True
    pool = session.search
    return pool is not None and any(check_signature(top, c) is Sig.OK for c in pool.candidates(top))


def repair_applies(key: Key, report: Report, session: Session) -> bool:
    """Whether repair key ``key`` would change the chain of ``report`` (in ``session``)."""
    repair = repair_of(key, report, session.history)
    if repair is None:
        return False
    if repair in (Repair.DROP_ROOT, Repair.KEEP_ROOT):
        return True  # root_repair found the anchor to drop or to put back
    fixes_found = {f.fix for f in report.findings if f.fix is not None}
    if Repair.COMPLETE in fixes_found and not can_complete(report, session):
        fixes_found.discard(Repair.COMPLETE)  # nowhere to find the issuer: completing would change nothing
    return bool(fixes_found) if repair is Repair.FIX_ALL else repair in fixes_found


def idle_reason(key: Key, report: Report, session: Session, where: Where) -> str:
    """Why repair key ``key`` would change nothing in the chain of ``report`` (a short notice)."""
    name, path = key.name, report.path
    if session.judge is None:
        gap = None
    else:
        from ..pki.peer import trust_gap  # mTLS only

        gap = trust_gap(report, session.judge)
    if gap is not None and name in ("complete", "fix_all"):
        trust = KEY["trust_file"]
        now = f" {trust.shown} does that for this session." if where in trust.on else ""
        return f"No repair of the chain adds trust: {gap.advice}.{now}"
    if report.leaf is None or path is None:
        return "Nothing to repair: no leaf certificate (this looks like a trust bundle)."
    if name == "reorder":
        if not report.bundle.ordered:
            return "Nothing to reorder: PKCS#7 and PKCS#12 files hold unordered sets."
        return "Nothing to reorder: the leaf comes first and each certificate is followed by its issuer."
    if name == "drop_extras":
        return "No extra or duplicate certificate to drop."
    if name == "toggle_root":
        if not path.trusted:
            return "The chain reaches no trust anchor: no root to drop or put back."
        return ("The chain does not carry its root (clients have it already), and no root was dropped here: "
                "nothing to drop or put back.")
    if path.trusted and name == "complete":
        return "Nothing to complete: the chain reaches a trust anchor."
    if name == "complete":
        if path.end == PathEnd.SELF_SIGNED:
            return (f"Nothing to complete: the chain ends at the untrusted root '{render.safe(path.top.subject, 80)}'"
                    f"; {key_of('trust')} trusts it for this session.")
        return "Nothing to complete: the missing issuer is in no search path and its certificate names no AIA URL."
    left = sorted({f.code for f in report.errors})
    if left:
        return f"No repair of the chain fixes what is left ({', '.join(left)}): see its explanation."
    return "Nothing to fix: no finding a repair addresses."


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
                 missing: str, named: Callable[[Workspace], str] | None = None, where: Where = Where.MAIN) -> None:
        self.host, self.jobs, self.target, self.show = host, jobs, target, show
        self.missing, self.named, self.where = missing, named, where

    @property
    def app(self) -> App[Any]:
        return self.host.app

    def available(self, name: str) -> bool | None:
        """Whether the repair key ``name`` would change anything now; None for a key that is not one."""
        key = KEY.get(name)
        if key is None or key.group is not Group.REPAIRS:
            return None
        return self.why_not(name) is None

    def applies(self, repair: Repair | str) -> bool:
        """Whether the key that performs ``repair`` (a finding's ``fix``) would change anything now."""
        return next((self.why_not(k.name) is None for k in KEY.values() if Repair(repair) in k.repairs), False)

    def why_not(self, name: str, workspace: Workspace | None = None) -> str | None:
        """Why the repair key ``name`` would change nothing now (on ``workspace``, by default the target's);
        None when it would, or when it is no repair key."""
        key = KEY.get(name)
        if key is None or key.group is not Group.REPAIRS:
            return None
        workspace = workspace or self.target()
        history = workspace.history
        if name == "undo":
            return None if history.can_undo else "Nothing to undo: no repair is in effect."
        if name == "redo":
            return None if history.can_redo else "Nothing to redo: no repair was undone."
        report = workspace.report
        if report is None:
            return "Nothing to repair yet: the chain is still being analysed."
        if repair_applies(key, report, workspace.session):
            return None
        return idle_reason(key, report, workspace.session, self.where)

    def press(self, name: str) -> None:
        """The repair key ``name`` was pressed (while a job runs, it runs afterwards)."""
        if self.jobs.defer(KEY[name].run):
            return
        workspace = self.target()
        if name in ("undo", "redo"):
            self._step(workspace, undo=name == "undo")
            return
        repair = repair_of(KEY[name], workspace.report, workspace.history)
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
