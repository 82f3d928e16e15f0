"""Repairs: pure Bundle -> Bundle operations, each described in one line.

A repair never drops the leaf and never drops or alters a private key; it does no I/O except through
the stores and the AIA fetcher it is handed in its :class:`RepairContext`. Every repair is idempotent:
applying it to its own result changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

from cryptography import x509

from . import aia
from .diagnose import Policy, Report, diagnose, proper_order
from .graph import Path, Sig, check_signature
from .model import Bundle, CertEntry, KeyEntry, Origin
from .netguard import AddressPolicy
from .stores import CertPool, TrustStore

__all__ = [
    "NetworkPlan", "Repair", "RepairContext", "add_file", "aia_pool", "complete", "drop_extras", "drop_root", "fix_all",
    "keep_root", "fix_steps", "network_plan", "reorder", "to_pem",
]


@dataclass(frozen=True)
class RepairContext:
    """What repairs may consult: trust anchors, the validation policy, a search pool, the network."""

    anchors: TrustStore
    policy: Policy = Policy()
    search: CertPool | None = None  # --search files/folders
    allow_network: bool = False  # --aia, or the app's confirmation
    keep_root: bool = False
    fetch: Callable[..., list[x509.Certificate]] = aia.fetch_issuers  # injectable for tests
    timeout: float = aia.FETCH_TIMEOUT  # seconds for one AIA fetch, all of it
    aia_budget: float = aia.WALK_BUDGET  # seconds for all AIA fetches of one repair
    allow_private: bool = False  # --aia-private: also loopback, private and link-local addresses
    allow_loopback: bool = False  # loopback only, private still refused (a local mirror; tests)

    @property
    def addresses(self) -> AddressPolicy:
        """Which non-public addresses AIA fetches may reach."""
        if self.allow_private:
            return AddressPolicy.everything_local()
        return AddressPolicy(loopback=self.allow_loopback)


@dataclass(frozen=True)
class Repair:
    """One repair's result: the bundle before and after, and what changed."""

    name: str  # "reorder" | "complete" | "drop-extras" | "drop-root" | "keep-root" | "fix-all" | "add-file"
    before: Bundle
    after: Bundle
    description: str
    added: tuple[CertEntry, ...] = ()  # each with an Origin saying where it came from
    removed: tuple[CertEntry, ...] = ()
    notes: tuple[str, ...] = ()  # e.g. AIA fetch errors
    unresolved: str | None = None  # why the chain still does not reach an anchor (complete, fix-all)

    @property
    def changed(self) -> bool:
        return self.before != self.after


_RECENT: list[tuple[Bundle, RepairContext, Report]] = []  # the last reports, for steps that re-ask
_RECENT_SIZE = 2


def _diagnose(bundle: Bundle, ctx: RepairContext, pools: Iterable[CertPool] = ()) -> Report:
    """Diagnose, reusing the report of the very same bundle and context when no pool adds anything.

    The steps of fix-all ask for the report of a bundle the previous step returned unchanged;
    bundles and contexts are immutable, so the report of the same objects is the same report.
    """
    used = tuple(p for p in pools if len(p))
    if not used:
        for seen_bundle, seen_ctx, report in _RECENT:
            if seen_bundle is bundle and seen_ctx is ctx:
                return report
    report = diagnose(bundle, ctx.anchors, ctx.policy, pools=used)
    if not used:
        _RECENT.insert(0, (bundle, ctx, report))
        del _RECENT[_RECENT_SIZE:]
    return report


def _q(entry: CertEntry) -> str:
    return f"'{entry.subject}'"


class _Labels:
    """Numbers certificates by their place in the bundle a repair started from (``#1`` is the first).

    :func:`fix_all` keeps the numbering of its input through every step, so its description never
    refers to an intermediate state; certificates added on the way are labelled ``new``.
    """

    def __init__(self, bundle: Bundle) -> None:
        self._by_id = {id(e): i for i, e in enumerate(bundle.certs)}
        self._by_sha: dict[str, int] = {}
        for i, e in enumerate(bundle.certs):
            self._by_sha.setdefault(e.sha256, i)

    def __call__(self, entry: CertEntry) -> str:
        i = self._by_id.get(id(entry), self._by_sha.get(entry.sha256))
        return "new" if i is None else f"#{i + 1}"

    def many(self, entries: Iterable[CertEntry]) -> str:
        return ", ".join(self(e) for e in entries)


def _key_owners(bundle: Bundle) -> set[bytes]:
    return {k.spki for k in bundle.keys if k.spki is not None}


def _anchor_root(report: Report) -> CertEntry | None:
    """The self-signed trust anchor at the top of a trusted path of more than one certificate."""
    path = report.path
    if path is None or not path.trusted or len(path.certs) < 2:
        return None
    return path.top if report.graph.is_self_signed(path.top) else None


# --- reorder ------------------------------------------------------------------------------------


def reorder(bundle: Bundle, ctx: RepairContext) -> Repair:
    """Leaf first, each certificate followed by its issuer; extras and duplicates keep their place at the end."""
    return _reorder(bundle, ctx, _Labels(bundle))


def _reorder(bundle: Bundle, ctx: RepairContext, label: _Labels) -> Repair:
    report = _diagnose(bundle, ctx)
    if report.leaf is None:
        return Repair("reorder", bundle, bundle, "nothing to reorder: no leaf certificate")
    first: dict[str, int] = {}
    for i, (entry, role) in enumerate(zip(bundle.certs, report.roles, strict=True)):
        if role not in ("duplicate", "extra"):
            first.setdefault(entry.sha256, i)
    order = [first[e.sha256] for e in proper_order(report)]
    order += [i for i, role in enumerate(report.roles) if role in ("duplicate", "extra")]
    if order == list(range(len(bundle.certs))):
        return Repair("reorder", bundle, bundle, "nothing to reorder")
    after = bundle.with_certs(tuple(bundle.certs[i] for i in order))
    return Repair("reorder", bundle, after, f"reordered: {label.many(bundle.certs)} -> {label.many(after.certs)}")


# --- complete -----------------------------------------------------------------------------------


def _wanted(entry: CertEntry, report: Report, ctx: RepairContext) -> bool:
    """Whether a certificate of the path that is not loaded belongs in the served chain."""
    assert report.path is not None
    if entry is report.path.top and report.graph.is_self_signed(entry):
        return ctx.keep_root  # a root goes in only when asked for
    return True


def _insert_after_child(certs: list[CertEntry], path: Path, added: list[CertEntry]) -> list[CertEntry]:
    out = list(certs)
    for entry in added:
        child = path.certs[path.certs.index(entry) - 1]
        at = next(i for i, e in enumerate(out) if e.sha256 == child.sha256)
        out.insert(at + 1, entry)
    return out


def _pools(ctx: RepairContext) -> list[CertPool]:
    return [ctx.search] if ctx.search is not None else []


def _wants_issuer(report: Report) -> bool:
    """Whether the path stops short of an anchor at a certificate whose issuer could still be found."""
    path = report.path
    return path is not None and not path.trusted and path.end != "self-signed"


def _walk_aia(bundle: Bundle, ctx: RepairContext, pools: list[CertPool]) -> tuple[Report, CertPool, list[str]]:
    """Follow AIA up from the top of the path, again from each new top, within one :class:`aia.Walk`.

    Returns the report with the fetched certificates as a pool, that pool, and the walk's notes.
    """
    walk = aia.Walk(timeout=ctx.timeout, seconds=ctx.aia_budget)
    fetch = partial(ctx.fetch, addresses=ctx.addresses)
    fetched = CertPool()
    notes: list[str] = []
    tried: set[str] = set()
    while True:
        report = _diagnose(bundle, ctx, [*pools, fetched])
        assert report.path is not None
        top = report.path.top
        if not _wants_issuer(report) or top.sha256 in tried or walk.stopped is not None:
            return report, fetched, notes
        tried.add(top.sha256)
        known = partial(_known, ctx=ctx, pools=[*pools, fetched])
        found, errors = aia.follow_chain(top.cert, fetch=fetch, is_known=known, walk=walk)
        notes += errors
        if not sum(fetched.add(CertEntry.from_cert(cert, Origin(url, container="aia"))) for cert, url in found):
            return _diagnose(bundle, ctx, [*pools, fetched]), fetched, notes


def _through_aia(bundle: Bundle, ctx: RepairContext, pools: list[CertPool],
                 report: Report) -> tuple[Report, list[str]]:
    """The report whose path the AIA walk completed to a trust anchor, else ``report`` itself; and the notes.

    Fetched certificates that do not lead to an anchor are not used: the notes say what they were.
    """
    with_aia, fetched, notes = _walk_aia(bundle, ctx, pools)
    if with_aia.path is not None and with_aia.path.trusted:
        return with_aia, notes
    if len(fetched):
        shown = "; ".join(f"{_q(e)} from {e.origin.source}" for e in fetched.entries[:3])
        more = f" and {len(fetched) - 3} more" if len(fetched) > 3 else ""
        notes.append(f"AIA: fetched {len(fetched)} certificate(s) ({shown}{more}), but with them the chain still "
                     f"does not reach a trust anchor ({_missing_reason(with_aia)}): none of them was added")
    return report, notes


def complete(bundle: Bundle, ctx: RepairContext) -> Repair:
    """Add missing issuers from the loaded sources, ``ctx.search``, the trust stores and (if allowed) AIA.

    The path may run through any of them; every certificate of it that is not loaded is added right
    after the certificate it signs, except a self-signed root, which is added only with ``keep_root``
    (an intermediate found in a trust store is added: clients may lack it). With the network allowed,
    AIA caIssuers URLs are followed from the top of the path until it reaches an anchor or nothing
    more is found, within the bounds of :mod:`tui.pki.aia`; what AIA fetched goes in only when the
    path then reaches a trust anchor (otherwise the notes say what was fetched and that it leads nowhere).
    """
    pools = _pools(ctx)
    report = _diagnose(bundle, ctx, pools)
    if report.leaf is None or report.path is None:
        return Repair("complete", bundle, bundle, "nothing to complete: no leaf certificate")
    notes: list[str] = []
    if ctx.allow_network and _wants_issuer(report):
        report, notes = _through_aia(bundle, ctx, pools, report)
    path = report.path
    assert path is not None
    loaded = {e.sha256 for e in bundle.certs}
    added = [e for e in path.certs if e.sha256 not in loaded and _wanted(e, report, ctx)]
    reason = None if path.trusted else _missing_reason(report)
    if not added:
        return Repair("complete", bundle, bundle, _nothing_added(report, ctx), notes=tuple(notes),
                      unresolved=reason)
    after = bundle.with_certs(tuple(_insert_after_child(list(bundle.certs), path, added)))
    where = "; ".join(f"{_q(e)} from {_where(e)}" for e in added)
    return Repair("complete", bundle, after, f"added {len(added)}: {where}", added=tuple(added),
                  notes=tuple(notes), unresolved=reason)


def _known(cert: x509.Certificate, *, ctx: RepairContext, pools: list[CertPool]) -> bool:
    """Whether the AIA walk can stop at ``cert``: it is an anchor, already in a pool, or an anchor signed it."""
    entry = CertEntry.from_cert(cert, Origin("aia"))
    return (ctx.anchors.is_anchor(entry) or any(entry.sha256 in p for p in pools)
            or any(check_signature(entry, a) is Sig.OK for a in ctx.anchors.candidates(entry)))


def _where(entry: CertEntry) -> str:
    return entry.origin.described


def _missing_reason(report: Report) -> str:
    """Why the chosen path does not reach a trust anchor, in a few words."""
    assert report.path is not None
    path, top = report.path, report.path.top
    if path.end == "self-signed":
        return f"the chain ends at the untrusted root {_q(top)}"
    if report.graph.claimed_issuers(top):
        return f"the certificate named as the issuer of {_q(top)}, '{top.issuer}', did not sign it (bad signature)"
    return f"the issuer of {_q(top)}, '{top.issuer}', was not found"


def _nothing_added(report: Report, ctx: RepairContext) -> str:
    assert report.path is not None
    path = report.path
    if path.trusted:
        return "nothing to add: the chain reaches a trust anchor"
    where = "loaded sources, search path, trust store" + (", AIA" if ctx.allow_network else "")
    hint = "" if ctx.allow_network or not aia.aia_urls(path.top.cert) else " (AIA fetching is off)"
    if path.end == "self-signed" or report.graph.claimed_issuers(path.top):
        return f"nothing to add: {_missing_reason(report)}"
    return f"nothing to add: {_missing_reason(report)} in {where}{hint}"


@dataclass(frozen=True)
class NetworkPlan:
    """What an AIA walk would contact first, for asking the user's consent.

    Only the first level is known before fetching: the certificates fetched may name further URLs,
    and servers may redirect (each further address is checked against the same policy).
    """

    urls: tuple[str, ...] = ()  # tried first, in this order
    left_out: tuple[str, ...] = ()  # named by the certificate but over the per-certificate cap

    @property
    def hosts(self) -> tuple[str, ...]:
        """The distinct ``host`` / ``host:port`` of the http(s) URLs."""
        return tuple(aia.hosts(list(self.urls)))


def network_plan(bundle: Bundle, ctx: RepairContext) -> NetworkPlan:
    """What :func:`complete` would fetch first if the network were allowed (empty if nothing is needed)."""
    report = _diagnose(bundle, ctx, _pools(ctx))
    if report.leaf is None or not _wants_issuer(report):
        return NetworkPlan()
    assert report.path is not None
    urls, left_out = aia.planned_urls(report.path.top.cert)
    return NetworkPlan(tuple(urls), tuple(left_out))


def aia_pool(bundle: Bundle, ctx: RepairContext) -> tuple[CertPool, list[str]]:
    """For ``check --aia``: the AIA-fetched certificates of a path that then reaches a trust anchor, and notes.

    Fetches exactly as :func:`complete` does (nothing without ``ctx.allow_network``). The pool is meant
    as the ``hints`` of :func:`diagnose`: findings say where the issuer can be had, but the chain is still
    judged as it was loaded. When the fetched certificates lead to no anchor the pool is empty and the
    notes say so.
    """
    pools = _pools(ctx)
    report = _diagnose(bundle, ctx, pools)
    if not ctx.allow_network or report.leaf is None or not _wants_issuer(report):
        return CertPool(), []
    report, notes = _through_aia(bundle, ctx, pools, report)
    assert report.path is not None
    return CertPool(e for e in report.path.certs if e.origin.container == "aia"), notes


# --- drop extras, drop and keep the root --------------------------------------------------------


def drop_extras(bundle: Bundle, ctx: RepairContext) -> Repair:
    """Remove certificates on no path from the leaf and repeated ones (a key's own certificate stays)."""
    return _drop_extras(bundle, ctx, _Labels(bundle))


def _drop_extras(bundle: Bundle, ctx: RepairContext, label: _Labels) -> Repair:
    report = _diagnose(bundle, ctx)
    owners = _key_owners(bundle)
    drop = [i for i, (e, role) in enumerate(zip(bundle.certs, report.roles, strict=True))
            if role == "duplicate" or (role == "extra" and e.key_spki not in owners)]
    if not drop:
        return Repair("drop-extras", bundle, bundle, "no extra or duplicate certificate")
    dropped = set(drop)
    after = bundle.with_certs(tuple(e for i, e in enumerate(bundle.certs) if i not in dropped))
    what = ", ".join(f"{label(bundle.certs[i])} {_q(bundle.certs[i])} ({report.roles[i]})" for i in drop)
    return Repair("drop-extras", bundle, after, f"dropped {len(drop)}: {what}",
                  removed=tuple(bundle.certs[i] for i in drop))


def drop_root(bundle: Bundle, ctx: RepairContext) -> Repair:
    """Remove the self-signed trust anchor at the top of the path from the chain."""
    return _drop_root(bundle, ctx, _Labels(bundle))


def _drop_root(bundle: Bundle, ctx: RepairContext, label: _Labels) -> Repair:
    report = _diagnose(bundle, ctx)
    root = _anchor_root(report)
    if root is None or report.leaf is None or root.sha256 == report.leaf.sha256 or root not in bundle.certs:
        return Repair("drop-root", bundle, bundle, "no trust anchor in the chain")
    removed = tuple(e for e in bundle.certs if e.sha256 == root.sha256)
    after = bundle.with_certs(tuple(e for e in bundle.certs if e.sha256 != root.sha256))
    return Repair("drop-root", bundle, after, f"dropped the trust anchor {label.many(removed)} {_q(root)}",
                  removed=removed)


def keep_root(bundle: Bundle, ctx: RepairContext) -> Repair:
    """Put the self-signed trust anchor at the end of the chain (from the trust store when not loaded)."""
    report = _diagnose(bundle, ctx)
    root = _anchor_root(report)
    if root is None or report.leaf is None:
        return Repair("keep-root", bundle, bundle, "no trust anchor reached: no root to keep")
    if root in bundle.certs:
        return Repair("keep-root", bundle, bundle, f"the trust anchor {_q(root)} is already in the chain")
    last = max(i for i, role in enumerate(report.roles) if role not in ("duplicate", "extra"))
    certs = list(bundle.certs)
    certs.insert(last + 1, root)
    return Repair("keep-root", bundle, bundle.with_certs(tuple(certs)),
                  f"added the trust anchor {_q(root)} from {_where(root)}", added=(root,))


# --- another file's certificates ----------------------------------------------------------------


ADD_FILE = "add-file"


def add_file(bundle: Bundle, extra: Bundle, label: str) -> Repair:
    """The certificates of another file (``extra``, read from ``label``) join the bundle at its end, with its
    keys and its unreadable blocks; certificates and keys already loaded are not added twice."""
    have = {e.sha256 for e in bundle.certs}
    certs: list[CertEntry] = []
    for entry in extra.certs:
        if entry.sha256 not in have:
            have.add(entry.sha256)
            certs.append(entry)
    known = {k.pem for k in bundle.keys}
    keys = tuple(k for k in extra.keys if k.pem not in known)
    if not certs and not keys and not extra.unreadable:
        return Repair(ADD_FILE, bundle, bundle, f"nothing added: every certificate in {label} is already loaded")
    after = Bundle(bundle.certs + tuple(certs), bundle.keys + keys, bundle.unreadable + extra.unreadable,
                   bundle.sources + extra.sources)
    text = f"added {len(certs)} certificate(s)" + (f" and {len(keys)} private key(s)" if keys else "")
    skipped = len(extra.certs) - len(certs)
    text += f" from {label}" + (f" ({skipped} already loaded)" if skipped else "")
    return Repair(ADD_FILE, bundle, after, text, added=tuple(certs))


# --- all of them --------------------------------------------------------------------------------


def fix_steps(bundle: Bundle, ctx: RepairContext) -> list[Repair]:
    """Each step of :func:`fix_all`, in order, each applied to the previous one's result."""
    label = _Labels(bundle)
    done = [complete(bundle, ctx)]
    done.append(_drop_extras(done[-1].after, ctx, label))
    done.append(keep_root(done[-1].after, ctx) if ctx.keep_root else _drop_root(done[-1].after, ctx, label))
    done.append(_reorder(done[-1].after, ctx, label))
    return done


def fix_all(bundle: Bundle, ctx: RepairContext) -> Repair:
    """Complete, drop extras and duplicates, drop (or with ``keep_root`` keep) the root, then reorder."""
    steps = fix_steps(bundle, ctx)
    changed = [r for r in steps if r.changed]
    reason = steps[0].unresolved
    parts = [r.description for r in changed] + ([f"not completed: {reason}"] if reason and steps[0].changed
                                               else [steps[0].description] if reason else [])
    return Repair(
        "fix-all", bundle, steps[-1].after, "; ".join(parts) or "nothing to fix",
        added=tuple(e for r in changed for e in r.added),
        removed=tuple(e for r in changed for e in r.removed),
        notes=tuple(n for r in steps for n in r.notes),
        unresolved=reason,
    )


# --- output -------------------------------------------------------------------------------------


def _pem(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def to_pem(bundle: Bundle, *, include_keys: bool) -> str:
    """The certificates in bundle order as PEM; with ``include_keys`` each key follows its certificate.

    A key that matches no certificate (or could not be read) follows the first end-entity
    certificate, else the first certificate.
    """
    placed: dict[int, list[KeyEntry]] = {}
    if include_keys and bundle.certs:
        fallback = next((i for i, e in enumerate(bundle.certs) if not e.is_ca), 0)
        for key in bundle.keys:
            at = next((i for i, e in enumerate(bundle.certs) if key.spki is not None and e.key_spki == key.spki),
                      fallback)
            placed.setdefault(at, []).append(key)
    out: list[str] = []
    for i, entry in enumerate(bundle.certs):
        out.append(entry.pem)
        out += [_pem(k.pem) for k in placed.get(i, [])]
    if include_keys and not bundle.certs:
        out += [_pem(k.pem) for k in bundle.keys]
    return "".join(out)

