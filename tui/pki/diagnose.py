"""Bundle + trust anchors + policy -> a report: the chosen chain, each certificate's role, findings."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

from . import checks
from .graph import Path, Sig, SignerGraph, check_signature
from .model import Bundle, CertEntry, KeyEntry, ext_value
from .second_opinion import second_opinion
from .speed import paused_gc
from .stores import CertPool, TrustStore
from .vocabulary import FIX_FOR, SEVERITY, Role, Validity

EXPIRES_SOON = timedelta(days=30)
MAX_ALTERNATIVES = 16  # other trusted paths tried when the shortest one has an error
PURPOSE_EKU = {"server": ExtendedKeyUsageOID.SERVER_AUTH, "client": ExtendedKeyUsageOID.CLIENT_AUTH}


@dataclass(frozen=True)
class Policy:
    """What the chain is judged for: host name, purpose and validation time."""

    host: str | None = None
    purpose: str = "server"
    at: datetime | None = None
    judge_order: bool = True
    max_chain_depth: int | None = None  # intermediates a verifier accepts; None: the strict verifier's default

    @property
    def when(self) -> datetime:
        """The validation time in whole seconds: certificate validity has one-second granularity."""
        at = self.at if self.at is not None else datetime.now(timezone.utc)
        return at.replace(microsecond=0)


@dataclass(frozen=True)
class Finding:
    """One problem, naming the certificate(s) at fault by SHA-256."""

    code: str
    certificates: tuple[str, ...]
    message: str

    @property
    def severity(self) -> str:
        return SEVERITY[self.code]

    @property
    def fix(self) -> str | None:
        return FIX_FOR.get(self.code)

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "severity": self.severity, "certificates": list(self.certificates),
                "message": self.message, "fix": self.fix}


def validity_state(entry: CertEntry, at: datetime) -> Validity:
    """Whether ``entry`` is valid at ``at``, expired, not valid yet, or expires within EXPIRES_SOON."""
    cert = entry.cert
    if at < cert.not_valid_before_utc:
        return Validity.NOT_YET_VALID
    if at > cert.not_valid_after_utc:
        return Validity.EXPIRED
    return Validity.EXPIRES_SOON if cert.not_valid_after_utc - at <= EXPIRES_SOON else Validity.VALID


@dataclass(frozen=True)
class CertFacts:
    """What the report says about one loaded certificate."""

    entry: CertEntry
    index: int  # 0-based place in the bundle (the JSON ``index``)
    number: int  # the ``#N`` that messages use
    role: Role
    validity: Validity
    positions: tuple[int, ...]  # every ``#N`` where the same certificate appears


@dataclass
class Report:
    """The diagnosis of one bundle."""

    bundle: Bundle
    policy: Policy
    graph: SignerGraph
    leaf: CertEntry | None
    path: Path | None
    roles: list[str]
    findings: list[Finding] = field(default_factory=list)
    strict_error: str | None = None

    @cached_property
    def certificates(self) -> tuple[CertFacts, ...]:
        """Per loaded certificate, in load order: its role, number, validity and every position."""
        where: dict[str, list[int]] = {}
        for i, entry in enumerate(self.bundle.certs, 1):
            where.setdefault(entry.sha256, []).append(i)
        at = self.policy.when
        return tuple(CertFacts(e, i, i + 1, Role(self.roles[i]), validity_state(e, at), tuple(where[e.sha256]))
                     for i, e in enumerate(self.bundle.certs))

    def facts(self, entry: CertEntry) -> CertFacts | None:
        """The facts of ``entry``'s first place in the bundle; None for one that is not loaded."""
        return self._first.get(entry.sha256)

    @cached_property
    def _first(self) -> dict[str, CertFacts]:
        first: dict[str, CertFacts] = {}
        for facts in self.certificates:
            first.setdefault(facts.entry.sha256, facts)
        return first

    def positions(self, entry: CertEntry) -> tuple[int, ...]:
        """Every ``#N`` where ``entry`` appears in the bundle (empty when it is not loaded)."""
        facts = self.facts(entry)
        return facts.positions if facts is not None else ()

    def is_anchor(self, entry: CertEntry) -> bool:
        return self.graph.is_anchor(entry)

    def is_self_signed(self, entry: CertEntry) -> bool:
        return self.graph.is_self_signed(entry)

    def in_bundle(self, entry: CertEntry) -> bool:
        return self.graph.in_bundle(entry)

    def signers(self, entry: CertEntry) -> list[CertEntry]:
        """Certificates whose key signed ``entry``, then those that claim to but did not."""
        return self.graph.issuers(entry) + self.graph.claimed_issuers(entry)

    def issuers_of(self, entry: CertEntry) -> list[CertEntry]:
        """Certificates whose key verifiably signed ``entry``: loaded first, then anchors, then pools."""
        return self.graph.issuers(entry)

    def claimed_issuers_of(self, entry: CertEntry) -> list[CertEntry]:
        """Certificates with the name ``entry`` gives as its issuer whose key did not sign it."""
        return self.graph.claimed_issuers(entry)

    @property
    def chain(self) -> tuple[CertEntry, ...]:
        return self.path.certs if self.path is not None else ()

    @property
    def verdict(self) -> str:
        return "broken" if any(f.severity == "error" for f in self.findings) else "ok"

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    def by_code(self, code: str) -> list[Finding]:
        return [f for f in self.findings if f.code == code]

    def to_json(self) -> dict[str, object]:
        return {
            "schema": 1,
            "verdict": self.verdict,
            "certificates": [
                {"index": i, "sha256": e.sha256, "subject": e.subject, "issuer": e.issuer,
                 "source": e.origin.label, "role": self.roles[i],
                 "not_before": _iso(e.cert.not_valid_before_utc), "not_after": _iso(e.cert.not_valid_after_utc)}
                for i, e in enumerate(self.bundle.certs)
            ],
            "chain": [e.sha256 for e in self.chain],
            "trusted": bool(self.path and self.path.trusted),
            "findings": [f.to_json() for f in self.findings],
        }


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def unique_certs(bundle: Bundle) -> list[CertEntry]:
    """The loaded certificates without repeats, in first-seen order."""
    seen: set[str] = set()
    out = []
    for entry in bundle.certs:
        if entry.sha256 not in seen:
            seen.add(entry.sha256)
            out.append(entry)
    return out


def leaf_candidates(unique: list[CertEntry], graph: SignerGraph) -> list[CertEntry]:
    """End-entity certificates: not a CA and not the signer of another loaded certificate."""
    signers: set[str] = set()
    for entry in unique:
        for issuer in graph.issuers(entry):
            if issuer.sha256 != entry.sha256:
                signers.add(issuer.sha256)
    found = [e for e in unique if not e.is_ca and e.sha256 not in signers]
    if len(found) > 1:  # old v1 roots carry no basicConstraints: don't take them for leaves
        real = [e for e in found if not (e.basic_constraints is None and graph.is_self_signed(e))]
        found = real or found
    return found


def choose_leaf(candidates: list[CertEntry], keys: tuple[KeyEntry, ...], host: str | None) -> CertEntry | None:
    """Prefer the certificate a loaded key belongs to, then one valid for the host, then the first."""
    if not candidates:
        return None
    spkis = {k.spki for k in keys if k.spki is not None}
    if spkis:
        for entry in candidates:
            if entry.spki in spkis:
                return entry
    if host:
        for entry in candidates:
            if checks.matches_host(entry.cert, host):
                return entry
    return candidates[0]


def diagnose(
    bundle: Bundle,
    anchors: TrustStore,
    policy: Policy = Policy(),
    *,
    leaf: CertEntry | None = None,
    pools: tuple[CertPool, ...] = (),
    hints: CertPool | None = None,
) -> Report:
    """Judge the bundle as served: build the signer graph, choose the path, list every finding.

    ``pools`` take part in path building (repairs use them); ``hints`` (``--search``) only say,
    in a missing-intermediate finding, where the missing certificate can be had.
    """
    with paused_gc():
        return _diagnose(bundle, anchors, policy, leaf, pools, hints)


def _diagnose(
    bundle: Bundle, anchors: TrustStore, policy: Policy, leaf: CertEntry | None, pools: tuple[CertPool, ...],
    hints: CertPool | None,
) -> Report:
    at = policy.when
    unique = unique_certs(bundle)
    graph = SignerGraph(unique, anchors, pools)
    findings: list[Finding] = []
    add = lambda code, certs, msg: findings.append(Finding(code, tuple(c.sha256 for c in certs), msg))  # noqa: E731

    for bad in bundle.unreadable:
        findings.append(Finding("unreadable", (), f"{bad.label}: {bad.reason}"))

    candidates = leaf_candidates(unique, graph) if leaf is None else [leaf]
    if leaf is None:
        leaf = choose_leaf(candidates, bundle.keys, policy.host)

    path = graph.best_path(leaf, at) if leaf is not None else None
    reach = graph.reachable(leaf) if leaf is not None else {e.sha256 for e in unique}
    roles = _roles(bundle, leaf, reach, graph)
    report = Report(bundle, policy, graph, leaf, path, roles, findings)

    if leaf is not None and path is not None:
        report.path = path = _clean_path(report)
        _order_findings(report, unique, add)
        _path_findings(report, add, hints)
        _chain_findings(report, add)
        strict = second_opinion(report)
        if strict is not None:
            report.strict_error = strict.raw
            if not strict.explained_by(report.codes()):
                findings.append(Finding("rejected", tuple(c.sha256 for c in strict.certs), strict.message))
        if not path.trusted and not report.errors:  # never call an untrusted chain ok
            add("missing-intermediate", [path.top], f"No path from {_q(leaf)} reaches a trust anchor.")
    elif unique:
        add("no-leaf", [], f"Only CA certificates were loaded ({len(unique)}): this looks like a trust "
            "bundle, not a server's chain, so there is no leaf to validate.")

    _dup_and_extra_findings(report, unique, add)
    if leaf is not None and len(candidates) > 1:
        others = [c for c in candidates if c.sha256 != leaf.sha256]
        add("multiple-leaves", candidates,
            f"{len(candidates)} end-entity certificates were loaded; chaindoctor validated {_q(leaf)} "
            f"and treats {', '.join(_q(o) for o in others[:3])}{' and more' if len(others) > 3 else ''} as extra.")
    _key_findings(report, unique, add)
    if graph.exhausted:
        add("rejected", [leaf] if leaf is not None else [],
            f"chaindoctor stopped after {graph.checks} signature checks: too many certificates share the same "
            "issuer names, so the signer graph may be incomplete. Strict clients give up on such bundles too.")
    findings.sort(key=lambda f: ("error", "warning", "info").index(f.severity))
    return report


def _roles(bundle: Bundle, leaf: CertEntry | None, reach: set[str], graph: SignerGraph) -> list[str]:
    roles: list[str] = []
    seen: set[str] = set()
    for entry in bundle.certs:
        if entry.sha256 in seen:
            roles.append("duplicate")
            continue
        seen.add(entry.sha256)
        if leaf is not None and entry.sha256 == leaf.sha256:
            roles.append("leaf")
        elif entry.sha256 not in reach:
            roles.append("extra")
        elif graph.is_self_signed(entry):
            roles.append("root")
        else:
            roles.append("intermediate")
    return roles


def _q(entry: CertEntry) -> str:
    return f"'{entry.subject}'"


# --- order, path end, duplicates and extras ---------------------------------------------------


def served_sequence(report: Report) -> list[CertEntry]:
    """The loaded certificates that belong to the chain (no duplicates, no extras), as served."""
    return [e for e, role in zip(report.bundle.certs, report.roles) if role not in ("duplicate", "extra")]


def proper_order(report: Report) -> list[CertEntry]:
    """Leaf first, then the chosen path, then other issuers each after a certificate it signed."""
    assert report.leaf is not None
    members = served_sequence(report)
    position: dict[str, int] = {}
    for i, entry in enumerate(members):
        position.setdefault(entry.sha256, i)
    out = [e for e in report.chain if e.sha256 in position]
    placed = {e.sha256 for e in out}
    # Passes over the served order place each certificate that signed one already placed. The passes
    # are simulated with a heap of (pass, position): a long chain served backwards stays n log n.
    heap: list[tuple[int, int]] = []

    def release(entry: CertEntry, at_pass: int, at: int) -> None:
        if not report.graph.in_bundle(entry):
            return
        for issuer in _all_issuers(report.graph, entry):
            j = position.get(issuer.sha256)
            if j is not None and issuer.sha256 not in placed:
                placed.add(issuer.sha256)
                heapq.heappush(heap, (at_pass if j > at else at_pass + 1, j))

    for entry in list(out):
        release(entry, 0, -1)
    while heap:
        at_pass, j = heapq.heappop(heap)
        out.append(members[j])
        release(members[j], at_pass, j)
    out += [e for e in members if e.sha256 not in placed]
    return out


def _all_issuers(graph: SignerGraph, entry: CertEntry) -> list[CertEntry]:
    return graph.issuers(entry) + graph.claimed_issuers(entry)


def order_is_correct(report: Report) -> bool:
    """Leaf first, and every later certificate signs one served before it."""
    seq = served_sequence(report)
    if not seq or report.leaf is None or seq[0].sha256 != report.leaf.sha256:
        return False
    signers: set[str] = set()  # everything that signed a certificate served so far
    for i in range(1, len(seq)):
        signers.update(e.sha256 for e in _all_issuers(report.graph, seq[i - 1]))
        if seq[i].sha256 not in signers:
            return False
    return True


def _order_findings(report: Report, unique: list[CertEntry], add) -> None:  # type: ignore[no-untyped-def]
    if not report.policy.judge_order or not report.bundle.ordered or order_is_correct(report):
        return
    seq = served_sequence(report)
    want = proper_order(report)
    moved = [e for i, e in enumerate(seq) if want[i].sha256 != e.sha256]
    first: dict[str, int] = {}
    for i, entry in enumerate(report.bundle.certs, 1):
        first.setdefault(entry.sha256, i)
    number = {e.sha256: first[e.sha256] for e in seq}
    served = ", ".join(f"#{number[e.sha256]}" for e in seq)
    right = ", ".join(f"#{number[e.sha256]}" for e in want)
    add("wrong-order", moved or seq[:1],
        f"The certificates are served as {served} but should be {right}: the leaf {_q(want[0])} first, "
        "each certificate followed by the one that signed it.")


def _path_findings(report: Report, add, hints: CertPool | None = None) -> None:  # type: ignore[no-untyped-def]
    path, graph = report.path, report.graph
    assert path is not None
    top = path.top
    if path.trusted:
        if len(path.certs) > 1 and graph.in_bundle(top) and graph.is_self_signed(top):
            add("contains-root", [top], f"The trust anchor {_q(top)} is itself in the served chain; clients "
                "already have it, so sending it only costs bytes (and some clients stop at it).")
        return
    if path.end == "self-signed":
        who = "The leaf is self-signed" if top is report.leaf else f"The chain ends at the self-signed root {_q(top)}"
        add("untrusted-root", [top], f"{who}, which is not a trust anchor here; pass it with --roots if it is "
            "your private root, or have the certificate issued by a trusted CA.")
        return
    if graph.claimed_issuers(top) and not graph.issuers(top):
        return  # reported as bad-signature below
    if path.end == "too-long":
        add("rejected", [top], f"The chain is longer than {len(path.certs)} certificates without reaching a "
            "trust anchor; verifiers give up long before that.")
        return
    from .aia import aia_urls  # local import: aia is only needed for this hint

    urls = aia_urls(top.cert)
    hint = f" Its AIA points at {urls[0]}." if urls else ""
    loop = " (the issuers found form a loop)" if path.end == "loop" else ""
    rekeyed = graph.rekeyed_issuers(top)
    older = (f" A certificate named '{top.issuer}' is loaded, but with another key than the one that signed "
             "this certificate (its key identifier differs): probably an older or re-keyed version of the issuer."
             if rekeyed else "")
    found = next((c for c in (hints.candidates(top) if hints is not None else [])
                  if check_signature(top, c) is Sig.OK), None)
    where = (f" It is in {found.origin.label}: chaindoctor fix --search (or c in the app) adds it."
             if found is not None else "")
    add("missing-intermediate", [top],
        f"The issuer of {_q(top)}, '{top.issuer}', is neither in the bundle nor trusted{loop}.{hint}{older}{where} "
        "Add the missing intermediate (or pass your private root with --roots).")


def _dup_and_extra_findings(report: Report, unique: list[CertEntry], add) -> None:  # type: ignore[no-untyped-def]
    counts: dict[str, list[int]] = {}
    for i, entry in enumerate(report.bundle.certs):
        counts.setdefault(entry.sha256, []).append(i + 1)
    for entry in unique:
        where = counts[entry.sha256]
        if len(where) > 1:
            add("duplicate-cert", [entry], f"{_q(entry)} appears {len(where)} times (#"
                + ", #".join(map(str, where)) + "); send each certificate once.")
    if report.leaf is None:
        return
    extras = [e for e, role in zip(report.bundle.certs, report.roles) if role == "extra"]
    for entry in extras:
        add("extra-cert", [entry], f"{_q(entry)} is on no path from the leaf {_q(report.leaf)}; it is "
            "sent for nothing and can confuse clients.")


def _key_findings(report: Report, unique: list[CertEntry], add) -> None:  # type: ignore[no-untyped-def]
    keys = report.bundle.keys
    if not keys:
        return
    leaves = [e for e, r in zip(report.bundle.certs, report.roles) if r in ("leaf", "extra") and not e.is_ca]
    matched = [e for e in leaves if any(k.spki == e.spki for k in keys)]
    where = ", ".join(k.origin.label for k in keys)
    enc = sum(k.encrypted for k in keys)
    note = f" ({enc} encrypted, so it could not be matched)" if enc else ""
    add("private-key-present", matched, f"The bundle holds {len(keys)} private key(s) at {where}{note}; "
        "keep keys out of files you share or paste.")
    for key in keys:
        if key.spki is None or any(key.spki == e.spki for e in leaves):
            continue
        owner = next((e for e in unique if e.spki == key.spki), None)
        extra = (f" It belongs to the CA {_q(owner)} — a CA's private key must never travel with a chain."
                 if owner is not None else "")
        add("key-mismatch", [report.leaf] if report.leaf is not None else [],
            f"The private key at {key.origin.label} matches no leaf certificate in the bundle; a server "
            f"configured with it fails the handshake.{extra}")


# --- checks on each certificate of the chosen chain --------------------------------------------


def _has_errors(report: Report, path: Path, *, strict: bool) -> bool:
    """Whether the checks on the certificates of ``path`` (and the strict verifier) find an error."""
    trial = Report(report.bundle, report.policy, report.graph, report.leaf, path, report.roles)
    codes: list[str] = []
    _chain_findings(trial, lambda code, certs, msg: codes.append(code))
    if any(SEVERITY[c] == "error" for c in codes):
        return True
    return strict and second_opinion(trial) is not None


def _clean_path(report: Report) -> Path:
    """The shortest trusted path, unless it has an error another trusted path avoids (then that one)."""
    path = report.path
    assert path is not None and report.leaf is not None
    if not path.trusted or not _has_errors(report, path, strict=False):
        return path
    for alt in report.graph.trusted_paths(report.leaf, MAX_ALTERNATIVES):
        if alt.certs != path.certs and not _has_errors(report, alt, strict=True):
            return alt
    return path


def _chain_findings(report: Report, add) -> None:  # type: ignore[no-untyped-def]
    path, graph, policy = report.path, report.graph, report.policy
    assert path is not None and report.leaf is not None
    at = policy.when
    chain = path.certs
    anchor = chain[-1] if path.trusted else None
    leaf = report.leaf

    for entry in chain:
        cert = entry.cert
        if at < cert.not_valid_before_utc:
            add("not-yet-valid", [entry], f"{_q(entry)} is not valid until {_iso(cert.not_valid_before_utc)}.")
        elif at > cert.not_valid_after_utc:
            add("expired", [entry], f"{_q(entry)} expired on {_iso(cert.not_valid_after_utc)}.")
        elif cert.not_valid_after_utc - at <= EXPIRES_SOON:
            days = (cert.not_valid_after_utc - at).days
            add("expires-soon", [entry], f"{_q(entry)} expires in {days} day(s), on {_iso(cert.not_valid_after_utc)}.")
        unreadable = checks.extension_problem(cert)
        if unreadable:
            add("rejected", [entry], f"The extensions of {_q(entry)} cannot be read ({unreadable}); every "
                "client refuses such a certificate. Re-issue it.")
        weak = checks.weak_key(cert)
        if weak:
            add("weak-key", [entry], f"{_q(entry)} has {weak}; strict clients refuse it.")
        if entry is not anchor or not graph.is_self_signed(entry):
            algo = checks.weak_signature(cert)
            if algo and not (entry is anchor):
                add("weak-signature", [entry], f"{_q(entry)} is signed with {algo}, which clients no longer accept.")

    for i, issuer in enumerate(chain[1:], start=1):
        problem = checks.not_a_ca(issuer, is_anchor=issuer is anchor)
        if problem:
            add("not-a-ca", [issuer], f"{_q(issuer)} signed {_q(chain[i - 1])} but {problem}.")
        bc = issuer.basic_constraints
        if bc is not None and bc.ca and bc.path_length is not None:
            below = [c for c in chain[1:i] if not c.self_issued]
            if len(below) > bc.path_length:
                add("path-length-exceeded", [issuer], f"{_q(issuer)} allows {bc.path_length} intermediate(s) "
                    f"below it (pathLenConstraint) but the chain has {len(below)}.")
        nc = ext_value(issuer.cert, ExtensionOID.NAME_CONSTRAINTS)
        if isinstance(nc, x509.NameConstraints):
            for child in chain[:i]:
                bad = checks.name_constraint_violations(child.cert, nc, is_leaf=child is leaf)
                if bad:
                    add("name-constraints-violated", [child, issuer], f"{_q(child)} has the name {bad[0]}, "
                        f"outside what {_q(issuer)} may issue for (name constraints).")
                    break

    if policy.host and not checks.matches_host(leaf.cert, policy.host):
        names = checks.san_names(leaf.cert)
        shown = ", ".join(names[:5]) if names else "no subjectAltName at all"
        add("hostname-mismatch", [leaf], f"The leaf {_q(leaf)} is not valid for '{policy.host}'; it names {shown}.")

    eku_problem = checks.purpose_problem(leaf.cert, policy.purpose)
    if eku_problem:
        add("wrong-purpose", [leaf], f"The leaf {_q(leaf)} {eku_problem}.")
    for issuer in chain[1:]:
        if issuer is anchor:
            continue
        eku = ext_value(issuer.cert, ExtensionOID.EXTENDED_KEY_USAGE)
        if isinstance(eku, x509.ExtendedKeyUsage) and PURPOSE_EKU[policy.purpose] not in eku and \
                ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE not in eku:
            add("wrong-purpose", [issuer], f"The CA {_q(issuer)} restricts its extended key usage and does not "
                f"allow {policy.purpose} authentication, so nothing it issues is valid for that.")

    # certificates of the chosen path whose signature failed against every same-named issuer
    for entry in chain:
        if not graph.issuers(entry) and graph.claimed_issuers(entry):
            claimed = graph.claimed_issuers(entry)[0]
            add("bad-signature", [entry], f"{_q(entry)} names '{entry.issuer}' as its issuer, but the key of "
                f"{_q(claimed)} did not sign it (the certificate was altered or signed by another key).")
