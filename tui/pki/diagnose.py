"""Bundle + trust anchors + policy -> a report: the chosen chain, each certificate's role, findings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import NamedTuple

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from . import checks
from .findings import Finding
from .graph import CHECK_BUDGET_BASE, MAX_CHECKS_PER_CERT, Path, Sig, SignerGraph, check_signature
from .model import Bundle, CertEntry, KeyEntry, ext_value
from .order import order_is_correct, order_problems, proper_order, served_sequence
from .refusals import client_findings
from .speed import paused_gc
from .stores import CertPool, TrustStore
from .verifiers import ClientVerdict, Served, client_matrix, relevant_anchors, served_for_clients
from .vocabulary import SEVERITY, Purpose, Role, Validity

__all__ = [
    "CertFacts", "Finding", "Policy", "Report", "choose_leaf", "diagnose", "leaf_candidates", "order_is_correct",
    "proper_order", "served_sequence", "unique_certs", "validity_state",
]

EXPIRES_SOON = timedelta(days=30)
MAX_ALTERNATIVES = 16  # other trusted paths tried when the shortest one has an error

Add = Callable[[str, Sequence[CertEntry], str], None]
"""Records one finding: its code, the certificates at fault, the message."""


class Policy(NamedTuple):
    """What the chain is judged for: host name, purpose and validation time."""

    host: str | None = None
    purpose: str = "server"
    at: datetime | None = None
    judge_order: bool = True
    max_chain_depth: int | None = None  # intermediates a verifier accepts; None: the strict verifier's default

    @property
    def when(self) -> datetime:
        """The validation time in whole seconds: certificate validity has one-second granularity."""
        at = self.at if self.at is not None else datetime.now(UTC)
        return at.replace(microsecond=0)


_SERVER_NOW = Policy()  # a server certificate, any host name, judged at the time of the call


def validity_state(entry: CertEntry, at: datetime) -> Validity:
    """Whether ``entry`` is valid at ``at``, expired, not valid yet, or expires within EXPIRES_SOON."""
    if at < entry.not_before:
        return Validity.NOT_YET_VALID
    if at > entry.not_after:
        return Validity.EXPIRED
    return Validity.EXPIRES_SOON if entry.not_after - at <= EXPIRES_SOON else Validity.VALID


class CertFacts(NamedTuple):
    """What the report says about one loaded certificate."""

    entry: CertEntry
    index: int  # type: ignore[assignment]  # may shadow tuple.index; the 0-based place in the bundle (JSON ``index``)
    number: int  # the ``#N`` that messages use
    role: Role
    validity: Validity
    positions: tuple[int, ...]  # every ``#N`` where the same certificate appears


class Report:
    """The diagnosis of one bundle: the leaf, the chosen path, each certificate's role, the findings, and
    what real verifiers say about the served chain (``clients``)."""

    def __init__(self, bundle: Bundle, policy: Policy, graph: SignerGraph, leaf: CertEntry | None,
                 path: Path | None, roles: list[str], findings: list[Finding] | None = None,
                 clients: tuple[ClientVerdict, ...] = ()) -> None:
        self.bundle = bundle
        self.policy = policy
        self.graph = graph
        self.leaf = leaf
        self.path = path
        self.roles = roles
        self.findings: list[Finding] = findings if findings is not None else []
        self.clients = clients

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

    def number(self, entry: CertEntry) -> int | None:
        """The ``#N`` of a loaded certificate (its first place in load order, from 1), None if not loaded."""
        facts = self.facts(entry)
        return facts.number if facts is not None else None

    def client(self, name: str) -> ClientVerdict | None:
        """One verifier's verdict by name (``openssl``, ``webpki-strict``), None when it did not run."""
        return next((c for c in self.clients if c.name == name), None)

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
                {"index": c.index, "number": c.number, "sha256": c.entry.sha256, "subject": c.entry.subject,
                 "issuer": c.entry.issuer, "source": c.entry.origin.label, "role": c.role,
                 "not_before": _iso(c.entry.not_before), "not_after": _iso(c.entry.not_after)}
                for c in self.certificates
            ],
            "chain": [e.sha256 for e in self.chain],
            "trusted": bool(self.path and self.path.trusted),
            "clients": [c.to_json() for c in self.clients],
            "findings": [f.to_json() for f in self.findings],
        }


def _iso(when: datetime) -> str:
    w = when.astimezone(UTC)
    return f"{w.year:04d}-{w.month:02d}-{w.day:02d}T{w.hour:02d}:{w.minute:02d}:{w.second:02d}Z"


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
            if entry.key_spki in spkis:
                return entry
    if host:
        for entry in candidates:
            if checks.matches_host(entry.cert, host):
                return entry
    return candidates[0]


def diagnose(
    bundle: Bundle,
    anchors: TrustStore,
    policy: Policy = _SERVER_NOW,
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
    unique = unique_certs(bundle)
    graph = SignerGraph(unique, anchors, pools)
    findings: list[Finding] = []

    def add(code: str, certs: Sequence[CertEntry], message: str) -> None:
        findings.append(Finding(code, tuple(c.sha256 for c in certs), message))

    for bad in bundle.unreadable:
        findings.append(Finding("unreadable", (), f"{bad.label}: {bad.reason}"))

    candidates = leaf_candidates(unique, graph) if leaf is None else [leaf]
    if leaf is None:
        leaf = choose_leaf(candidates, bundle.keys, policy.host)

    path = graph.best_path(leaf, policy.when) if leaf is not None else None
    reach = graph.reachable(leaf) if leaf is not None else {e.sha256 for e in unique}
    roles = _roles(bundle, leaf, reach, graph)
    report = Report(bundle, policy, graph, leaf, path, roles, findings)

    if leaf is not None and path is not None:
        report.path = path = _clean_path(report)
        problems = order_problems(report)
        if problems is not None:
            add("wrong-order", *problems)
        _path_findings(report, add, hints)
        _chain_findings(report, add)
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
            f"chaindoctor stopped after {graph.checks} signature checks, its budget for this bundle "
            f"({CHECK_BUDGET_BASE} plus four per certificate): too many certificates share the same issuer "
            "names, so the signer graph may be incomplete and the chain cannot be vouched for.")
    if leaf is not None and not pools:  # with repair pools the report is about a chain not served yet
        report.clients = client_matrix(_served(report))
        findings += client_findings(report)
    findings.sort(key=lambda f: ("error", "warning", "info").index(f.severity))
    return report


def _served(report: Report) -> Served:
    """What a client receives and trusts, with the policy's time, purpose and host."""
    assert report.leaf is not None
    policy = report.policy
    ordered = report.bundle.ordered and policy.judge_order and report.graph.in_bundle(report.leaf)
    chain = report.chain if report.chain and report.chain[0] == report.leaf else (report.leaf,)
    certs = served_for_clients(report.bundle.certs, chain, ordered=ordered)
    anchors = relevant_anchors(certs, report.graph.anchors)
    return Served(certs, anchors, policy.when, Purpose(policy.purpose), policy.host, policy.max_chain_depth)


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


# --- path end, duplicates and extras -----------------------------------------------------------


def _path_findings(report: Report, add: Add, hints: CertPool | None = None) -> None:
    path, graph = report.path, report.graph
    assert path is not None
    top = path.top
    if path.trusted:
        if len(path.certs) > 1 and graph.in_bundle(top) and graph.is_self_signed(top):
            add("contains-root", [top], f"The trust anchor {_q(top)} is itself in the served chain; clients "
                "that trust it already have it, so sending it only costs bytes.")
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


def _dup_and_extra_findings(report: Report, unique: list[CertEntry], add: Add) -> None:
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
    extras = [e for e, role in zip(report.bundle.certs, report.roles, strict=True) if role == "extra"]
    for entry in extras:
        unchecked = (f" chaindoctor did not check whether it signed a certificate of the chain: once an issuer "
                     f"is found it tries at most {MAX_CHECKS_PER_CERT} more same-named certificates "
                     "(MAX_CHECKS_PER_CERT)." if entry.sha256 in report.graph.skipped else "")
        add("extra-cert", [entry], f"{_q(entry)} is on no path from the leaf {_q(report.leaf)}; it is "
            f"sent for nothing and can confuse clients.{unchecked}")


def _key_findings(report: Report, unique: list[CertEntry], add: Add) -> None:
    keys = report.bundle.keys
    if not keys:
        return
    leaves = [e for e, r in zip(report.bundle.certs, report.roles, strict=True)
              if r in ("leaf", "extra") and not e.is_ca]
    matched = [e for e in leaves if any(k.spki == e.key_spki for k in keys)]
    where = ", ".join(k.origin.label for k in keys)
    enc = sum(k.encrypted for k in keys)
    note = f" ({enc} encrypted, so it could not be matched)" if enc else ""
    add("private-key-present", matched, f"The bundle holds {len(keys)} private key(s) at {where}{note}; "
        "keep keys out of files you share or paste.")
    for key in keys:
        if key.spki is None or any(key.spki == e.key_spki for e in leaves):
            continue
        owner = next((e for e in unique if e.key_spki == key.spki), None)
        extra = (f" It belongs to the CA {_q(owner)} — a CA's private key must never travel with a chain."
                 if owner is not None else "")
        add("key-mismatch", [report.leaf] if report.leaf is not None else [],
            f"The private key at {key.origin.label} matches no leaf certificate in the bundle; a server "
            f"configured with it fails the handshake.{extra}")


# --- checks on each certificate of the chosen chain --------------------------------------------


def _has_errors(report: Report, path: Path) -> bool:
    """Whether chaindoctor's checks on the certificates of ``path`` find an error."""
    trial = Report(report.bundle, report.policy, report.graph, report.leaf, path, report.roles)
    codes: list[str] = []
    _chain_findings(trial, lambda code, certs, msg: codes.append(code))
    return any(SEVERITY[c] == "error" for c in codes)


def _clean_path(report: Report) -> Path:
    """The shortest trusted path, unless it has an error another trusted path avoids (then that one)."""
    path = report.path
    assert path is not None and report.leaf is not None
    if not path.trusted or not _has_errors(report, path):
        return path
    for alt in report.graph.trusted_paths(report.leaf, MAX_ALTERNATIVES):
        if alt.certs != path.certs and not _has_errors(report, alt):
            return alt
    return path


def _chain_findings(report: Report, add: Add) -> None:
    path, graph, policy = report.path, report.graph, report.policy
    assert path is not None and report.leaf is not None
    at = policy.when
    chain = path.certs
    anchor = chain[-1] if path.trusted else None
    leaf = report.leaf

    for entry in chain:
        cert = entry.cert
        if at < entry.not_before:
            add("not-yet-valid", [entry], f"{_q(entry)} is not valid until {_iso(entry.not_before)}.")
        elif at > entry.not_after:
            add("expired", [entry], f"{_q(entry)} expired on {_iso(entry.not_after)}.")
        elif entry.not_after - at <= EXPIRES_SOON:
            days = (entry.not_after - at).days
            add("expires-soon", [entry], f"{_q(entry)} expires in {days} day(s), on {_iso(entry.not_after)}.")
        weak = checks.weak_key(cert)
        if weak:
            add("weak-key", [entry], f"{_q(entry)} has {weak}; clients that enforce a minimum key strength "
                "refuse it.")  # source: see checks.weak_key
        if entry is not anchor:
            algo = checks.weak_signature(cert)
            if algo:
                add("weak-signature", [entry], f"{_q(entry)} is signed with {algo}, which OpenSSL 3 (curl, Python) "
                    "and Go no longer accept.")  # source: see checks.weak_signature
        unknown = checks.unknown_critical_extensions(entry)
        if unknown:
            add("rejected", [entry], f"{_q(entry)} has an extension marked critical that OpenSSL does not "
                f"handle ({', '.join(unknown[:3])}); a verifier must refuse a certificate with a critical "
                "extension it does not know, and OpenSSL (curl, Python) and Chrome's verifier do. Re-issue "
                "it without that extension, or with the extension not critical.")
            # source: RFC 5280 4.2; OpenSSL crypto/x509/v3_purp.c X509_supported_extension; BoringSSL
            # pki testdata verify_certificate_chain_unittest/{target,intermediate}-unknown-critical-extension

    for i, issuer in enumerate(chain[1:], start=1):
        child = chain[i - 1]
        if graph.unchecked(child, issuer) and not checks.weak_signature(child.cert):
            oid = child.cert.signature_algorithm_oid
            add("rejected", [child], f"{_q(child)} is signed with an algorithm chaindoctor cannot verify "
                f"({getattr(oid, '_name', '') or oid.dotted_string}); OpenSSL and other clients that do not "
                "know it refuse the certificate.")
        problem = checks.not_a_ca(issuer, is_anchor=issuer is anchor)
        if problem:
            add("not-a-ca", [issuer], f"{_q(issuer)} signed {_q(child)} but {problem}.")
        bc = issuer.basic_constraints
        if bc is not None and bc.ca and bc.path_length is not None:
            below = [c for c in chain[1:i] if not c.self_issued]
            if len(below) > bc.path_length:
                beyond = below[-(bc.path_length + 1)]  # the first CA, counted down from the issuer, too many
                add("path-length-exceeded", [issuer, beyond], f"{_q(issuer)} allows {bc.path_length} "
                    f"intermediate(s) below it (pathLenConstraint) but the chain has {len(below)}: {_q(beyond)} "
                    "is one too many.")
        nc = ext_value(issuer.cert, ExtensionOID.NAME_CONSTRAINTS)
        if isinstance(nc, x509.NameConstraints):
            for below_entry in chain[:i]:
                bad = checks.name_constraint_violations(below_entry.cert, nc, is_leaf=below_entry is leaf)
                if bad:
                    add("name-constraints-violated", [below_entry, issuer], f"{_q(below_entry)} has the name "
                        f"{bad[0]}, outside what {_q(issuer)} may issue for (name constraints).")
                    break

    _name_findings(report, add)
    purpose = Purpose(policy.purpose)
    eku_problem = checks.purpose_problem(leaf.cert, purpose)
    if eku_problem:
        add("wrong-purpose", [leaf], f"The leaf {_q(leaf)} {eku_problem}.")
    for issuer in chain[1:]:
        if issuer is anchor:
            continue  # a trust anchor's own constraints are not enforced (OpenSSL: check_purpose trusts it)
        allowed = checks.ca_purpose_problem(issuer.cert, purpose)
        if allowed:
            add("wrong-purpose", [issuer], f"The CA {_q(issuer)} {allowed}.")
            # source: OpenSSL crypto/x509/v3_purp.c check_purpose_ssl_server (xku_reject also for CAs);
            # BoringSSL pki testdata verify_certificate_chain_unittest/intermediate-eku-clientauth/serverauth.test

    for entry in chain:
        if not graph.issuers(entry) and graph.claimed_issuers(entry) and not graph.exhausted:
            claimed = graph.claimed_issuers(entry)[0]
            add("bad-signature", [entry], f"{_q(entry)} names '{entry.issuer}' as its issuer, but the key of "
                f"{_q(claimed)} did not sign it (the certificate was altered or signed by another key).")


def _name_findings(report: Report, add: Add) -> None:
    """The leaf's names: a subjectAltName for a server, and the host asked for."""
    leaf, policy = report.leaf, report.policy
    assert leaf is not None
    if Purpose(policy.purpose) is Purpose.SERVER and checks.san(leaf.cert) is None:
        for_host = f" for '{policy.host}'" if policy.host else ""
        add("no-subject-alt-name", [leaf], f"The leaf {_q(leaf)} has no subjectAltName, so no host name can "
            f"match it{for_host}: browsers, Go and rustls ignore the subject's CN. Re-issue it with the host "
            "names in the subjectAltName extension.")
        # source: CA/B Forum BR 7.1.2.7.12 (subjectAltName required); Go crypto/x509 verify.go (the CN is
        # not used as a host name since Go 1.15); rustls-webpki verify only reads subjectAltName
        return
    if policy.host and not checks.matches_host(leaf.cert, policy.host):
        names = checks.san_names(leaf.cert)
        shown = ", ".join(names[:5]) if names else "no DNS name or IP address"
        add("hostname-mismatch", [leaf], f"The leaf {_q(leaf)} is not valid for '{policy.host}'; it names {shown}.")
