"""Conformance against x509-limbo: chaindoctor's judgement versus the suite's expected result.

x509-limbo's expected results are those of a strict WebPKI validator. chaindoctor answers that
question with its report: a case counts as refused when the report has an error (what curl,
Python, browsers or Go refuse) or a ``strict-clients-refuse`` warning (what only the strict
profile refuses). Each in-scope case is also judged by cryptography's strict verifier alone, on
the same input; chaindoctor must agree with the suite at least as often, and every remaining
disagreement is listed in ``KNOWN_DIFFERENCES`` with its reason (as x509-limbo's own harnesses
list theirs). The summary also gives how often the verdict alone (errors only) agrees.
``python -m tests.conformance.test_limbo`` prints the summary and every disagreement;
:func:`summary_text` is what a benchmark or the README quotes.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import sys
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509 import verification as v

from tui.pki.diagnose import Policy, diagnose
from tui.pki.load import LoadError, load_bytes
from tui.pki.model import Bundle, CertEntry, Origin
from tui.pki.stores import TrustStore

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpora" / "x509-limbo-subset.json.gz"
# Cases without a validation time are judged at this fixed moment (their certificates span 1970-2969).
DEFAULT_TIME = datetime(2025, 1, 1, tzinfo=UTC)
# Feature tags that ask for something a chain checker does not judge.
OUT_OF_SCOPE_FEATURES = {"has-crl": "needs CRLs", "name-constraint-dn": "DN name constraints"}
PEDANTIC_PREFIX = "pedantic-"

Case = dict[str, Any]

_CN = ("the subject CN is not a copy of a subjectAltName entry (CA/B Forum BR 7.1.4.3); no client checks that, "
       "and cryptography's verifier accepts it too")
_OPENSSL_CN_NC = ("OpenSSL (curl, Python) applies DNS name constraints to the subject CN when the leaf has no DNS "
                  "subjectAltName (crypto/x509/x509_vfy.c check_name_constraints) and refuses; BetterTLS expects a "
                  "modern verifier to ignore the CN")
_KU_LEAF = ("the leaf's keyUsage has neither digitalSignature nor keyEncipherment: OpenSSL's ssl_server purpose "
            "refuses it (crypto/x509/v3_purp.c, ku_reject with KU_TLS), RFC 5280 alone permits it")
_SELF_ISSUED = ("cryptography's verifier fails to build paths through self-issued intermediates; chaindoctor "
                "reports its refusal as strict-clients-refuse, and OpenSSL accepts the chain")
KNOWN_DIFFERENCES: dict[str, str] = {
    "pathlen::validation-ignores-pathlen-in-leaf": _KU_LEAF,
    "rfc5280::ca-as-leaf": _KU_LEAF,
    "pathlen::self-issued-certs-pathlen": _SELF_ISSUED,
    "pathlen::max-chain-depth-1-self-issued": _SELF_ISSUED,
    "rfc5280::nc::permitted-dns-match-noncritical": "a non-critical nameConstraints is honoured by every verifier "
                                                    "run here (OpenSSL, cryptography) rather than refused",
    "rfc5280::pc::ica-noncritical-pc": "a non-critical policyConstraints: neither OpenSSL nor cryptography checks "
                                       "its criticality",
    "webpki::aki::root-with-aki-all-fields": "authorityKeyIdentifier fields in a trust anchor: anchors' own "
                                             "extensions are not judged by OpenSSL or cryptography",
    "webpki::aki::root-with-aki-ski-mismatch": "the trust anchor's authorityKeyIdentifier differs from its "
                                               "subjectKeyIdentifier: anchors' own extensions are not judged",
    "webpki::forbidden-rsa-not-divisible-by-8-in-root": "an RSA modulus not a multiple of 8 bits in the trust "
                                                        "anchor: no verifier run here refuses it",
    **{f"webpki::cn::{name}": _CN for name in (
        "ipv4-hex-mismatch", "ipv4-leading-zeros-mismatch", "ipv6-uppercase-mismatch", "ipv6-uncompressed-mismatch",
        "ipv6-non-rfc5952-mismatch", "punycode-not-in-san", "utf8-vs-punycode-mismatch", "not-in-san",
        "case-mismatch")},
    **{f"bettertls::nameconstraints::tc{n}": _OPENSSL_CN_NC for n in (5956, 8161, 5221, 5962)},
}


@dataclass(frozen=True)
class CaseResult:
    """One in-scope case: the expected result and what each judge said (True = accepted)."""

    id: str
    expected: bool
    chaindoctor: bool  # accepted: no error and no strict-clients-refuse
    cryptography: bool
    verdict_ok: bool = False  # the verdict alone (errors only)
    codes: tuple[str, ...] = ()
    detail: str = ""
    error: str | None = None  # an exception chaindoctor raised (it must never raise)

    @property
    def chaindoctor_agrees(self) -> bool:
        return self.error is None and self.chaindoctor == self.expected

    @property
    def cryptography_agrees(self) -> bool:
        return self.cryptography == self.expected

    @property
    def verdict_agrees(self) -> bool:
        return self.error is None and self.verdict_ok == self.expected


@dataclass
class Summary:
    """Results over the corpus; skipped cases counted by reason."""

    results: list[CaseResult] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def in_scope(self) -> int:
        return len(self.results)

    @property
    def chaindoctor_agreement(self) -> int:
        return sum(r.chaindoctor_agrees for r in self.results)

    @property
    def cryptography_agreement(self) -> int:
        return sum(r.cryptography_agrees for r in self.results)

    @property
    def verdict_agreement(self) -> int:
        return sum(r.verdict_agrees for r in self.results)

    @property
    def errors(self) -> list[CaseResult]:
        return [r for r in self.results if r.error is not None]

    @property
    def disagreements(self) -> list[CaseResult]:
        return [r for r in self.results if not r.chaindoctor_agrees]


def skip_reason(case: Case) -> str | None:
    """Why a case is outside what a chain checker judges, or None when it is in scope."""
    features = case.get("features") or []
    for feature in features:
        if feature in OUT_OF_SCOPE_FEATURES:
            return OUT_OF_SCOPE_FEATURES[feature]
    if any(f.startswith(PEDANTIC_PREFIX) for f in features):
        return "pedantic profile"
    if case.get("signature_algorithms"):
        return "constrains signature algorithms"
    if case.get("key_usage"):
        return "constrains key usage"
    return None


def load_cases(path: Path = CORPUS) -> list[Case]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    return list(data["testcases"])


def _when(case: Case) -> datetime:
    raw = case.get("validation_time")
    if not raw:
        return DEFAULT_TIME
    return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)


def _host(case: Case) -> str | None:
    """The DNS name or IP address to check; RFC 822 peer names (client cases) are not host names."""
    peer = case.get("expected_peer_name") or {}
    return peer.get("value") if peer.get("kind") in ("DNS", "IP") else None


def _entries(pems: list[str], name: str, container: str) -> list[CertEntry]:
    """Certificates from PEM strings; one that does not parse is left out (and reported by the caller)."""
    out: list[CertEntry] = []
    for i, pem in enumerate(pems, 1):
        try:
            bundle = load_bytes(pem.encode(), f"{name}#{i}")
        except LoadError:
            continue
        out += [CertEntry(c.cert, c.der, Origin(name, index=i, container=container)) for c in bundle.certs]
    return out


def _policy(case: Case) -> Policy:
    purpose = "client" if case["validation_kind"] == "CLIENT" else "server"
    policy = Policy(host=_host(case), purpose=purpose, at=_when(case), judge_order=False)
    depth = case.get("max_chain_depth")
    return policy if depth is None else policy._replace(max_chain_depth=depth)


def judge_chaindoctor(case: Case) -> tuple[bool, bool, tuple[str, ...], str]:
    """(accepted, verdict ok, the codes that refuse, their messages); accepted means no error and no
    strict-clients-refuse."""
    peer = _entries([case["peer_certificate"]], "peer", "pkcs7")
    if not peer:
        return False, False, ("unreadable",), "the peer certificate does not parse"
    intermediates = _entries(case["untrusted_intermediates"], "intermediates", "pkcs7")
    anchors = TrustStore(_entries(case["trusted_certs"], "trusted", "store"), "limbo trusted_certs")
    bundle = Bundle(tuple(peer + intermediates), sources=("limbo",))
    report = diagnose(bundle, anchors, _policy(case), leaf=peer[0])
    refusing = report.errors + report.by_code("strict-clients-refuse")
    return (not refusing, report.verdict == "ok", tuple(sorted({f.code for f in refusing})),
            " | ".join(f.message for f in refusing))


def _subject(case: Case) -> v.DNSName | v.IPAddress | None:
    peer = case.get("expected_peer_name") or {}
    if peer.get("kind") == "DNS":
        return v.DNSName(peer["value"])
    if peer.get("kind") == "IP":
        return v.IPAddress(ipaddress.ip_address(peer["value"]))
    return None


def judge_cryptography(case: Case) -> bool:
    """cryptography's verifier alone, given the same inputs (True = it accepted the chain)."""
    try:
        peer = x509.load_pem_x509_certificate(case["peer_certificate"].encode())
        trusted = [x509.load_pem_x509_certificate(p.encode()) for p in case["trusted_certs"]]
        untrusted = [x509.load_pem_x509_certificate(p.encode()) for p in case["untrusted_intermediates"]]
        builder = v.PolicyBuilder().store(v.Store(trusted)).time(_when(case))
        if case.get("max_chain_depth") is not None:
            builder = builder.max_chain_depth(case["max_chain_depth"])
        if case["validation_kind"] == "CLIENT":
            builder.build_client_verifier().verify(peer, untrusted)
        else:
            subject = _subject(case)
            if subject is None:
                return False
            builder.build_server_verifier(subject).verify(peer, untrusted)
    except (v.VerificationError, ValueError, TypeError):
        return False
    return True


def run_case(case: Case) -> CaseResult:
    expected = case["expected_result"] == "SUCCESS"
    crypto = judge_cryptography(case)
    try:
        ok, verdict_ok, codes, detail = judge_chaindoctor(case)
    except Exception as exc:  # noqa: BLE001 - recorded and asserted on: the engine must not raise
        return CaseResult(case["id"], expected, False, crypto, error=f"{type(exc).__name__}: {exc}")
    return CaseResult(case["id"], expected, ok, crypto, verdict_ok, codes, detail)


def iter_in_scope(cases: list[Case], skipped: Counter[str]) -> Iterator[Case]:
    for case in cases:
        reason = skip_reason(case)
        if reason is None:
            yield case
        else:
            skipped[reason] += 1


def run(path: Path = CORPUS) -> Summary:
    """Judge every in-scope case of the corpus."""
    summary = Summary()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # negative serials and the like load with deprecation warnings
        for case in iter_in_scope(load_cases(path), summary.skipped):
            summary.results.append(run_case(case))
    summary.seconds = time.perf_counter() - start
    return summary


def summary_text(summary: Summary) -> str:
    """A few lines for a terminal, a benchmark or the README."""
    n = summary.in_scope or 1
    skipped = ", ".join(f"{count} {reason}" for reason, count in summary.skipped.most_common())
    return "\n".join([
        f"x509-limbo: {summary.in_scope} cases in scope, {sum(summary.skipped.values())} skipped ({skipped})",
        f"  chaindoctor agrees with the expected result: {summary.chaindoctor_agreement}/{summary.in_scope} "
        f"({100 * summary.chaindoctor_agreement / n:.1f}%)",
        f"  cryptography's verifier alone:               {summary.cryptography_agreement}/{summary.in_scope} "
        f"({100 * summary.cryptography_agreement / n:.1f}%)",
        f"  chaindoctor's verdict alone (errors only):   {summary.verdict_agreement}/{summary.in_scope} "
        f"({100 * summary.verdict_agreement / n:.1f}%)",
        f"  listed differences seen: {sum(r.id in KNOWN_DIFFERENCES for r in summary.disagreements)} "
        f"of {len(KNOWN_DIFFERENCES)}",
        f"  engine exceptions: {len(summary.errors)}; run time {summary.seconds:.1f} s",
    ])


def disagreement_text(summary: Summary, *, unlisted_only: bool = False) -> str:
    lines = []
    for r in summary.disagreements:
        if unlisted_only and r.id in KNOWN_DIFFERENCES:
            continue
        said = "error: " + r.error if r.error else ("ok" if r.chaindoctor else "refused " + ",".join(r.codes))
        why = f" [listed: {KNOWN_DIFFERENCES[r.id]}]" if r.id in KNOWN_DIFFERENCES else ""
        lines.append(f"{r.id}: expected {'SUCCESS' if r.expected else 'FAILURE'}, chaindoctor {said}, "
                     f"cryptography {'agrees' if r.cryptography_agrees else 'disagrees'}{why}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def summary() -> Summary:
    if not CORPUS.is_file():
        pytest.skip(f"x509-limbo corpus not found at <repo>/../shared/corpora/{CORPUS.name}")
    return run(CORPUS)


def test_no_case_raises(summary: Summary) -> None:
    assert not summary.errors, "\n".join(f"{r.id}: {r.error}" for r in summary.errors)


def test_agrees_at_least_as_often_as_cryptography(summary: Summary, record_property: Any) -> None:
    text = summary_text(summary)
    record_property("limbo_in_scope", summary.in_scope)
    record_property("limbo_chaindoctor_agreement", summary.chaindoctor_agreement)
    record_property("limbo_cryptography_agreement", summary.cryptography_agreement)
    print("\n" + text)
    assert summary.in_scope > 0
    assert summary.chaindoctor_agreement >= summary.cryptography_agreement, (
        text + "\n" + disagreement_text(summary))


def test_every_disagreement_is_listed_with_its_reason(summary: Summary) -> None:
    unlisted = disagreement_text(summary, unlisted_only=True)
    assert not unlisted, "disagreements not in KNOWN_DIFFERENCES:\n" + unlisted
    print(f"\n{sum(r.id in KNOWN_DIFFERENCES for r in summary.disagreements)} listed differences seen")


def test_no_listed_difference_is_stale(summary: Summary) -> None:
    """A listed case that now agrees (or left the corpus) must leave the list."""
    disagreeing = {r.id for r in summary.disagreements}
    stale = sorted(set(KNOWN_DIFFERENCES) - disagreeing)
    assert not stale, f"listed but agreeing or absent: {stale}"


if __name__ == "__main__":
    result = run(Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS)
    print(summary_text(result))
    print(disagreement_text(result))
