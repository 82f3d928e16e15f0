"""Conformance against x509-limbo: chaindoctor's verdict versus the suite's expected result.

Each in-scope case is judged twice on the same input: by chaindoctor's engine (``diagnose``) and by
cryptography's strict verifier alone. chaindoctor must never agree with the suite less often than
the verifier it uses as a second opinion. ``python -m tests.conformance.test_limbo`` prints the
summary and every disagreement; :func:`summary_text` is what a benchmark or the README quotes.
"""

from __future__ import annotations

import dataclasses
import gzip
import ipaddress
import json
import sys
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
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
DEFAULT_TIME = datetime(2025, 1, 1, tzinfo=timezone.utc)
# Feature tags that ask for something a chain checker does not judge.
OUT_OF_SCOPE_FEATURES = {"has-crl": "needs CRLs", "name-constraint-dn": "DN name constraints"}
PEDANTIC_PREFIX = "pedantic-"

Case = dict[str, Any]


@dataclass(frozen=True)
class CaseResult:
    """One in-scope case: the expected result and what each judge said (True = accepted)."""

    id: str
    expected: bool
    chaindoctor: bool
    cryptography: bool
    codes: tuple[str, ...] = ()
    detail: str = ""
    error: str | None = None  # an exception chaindoctor raised (it must never raise)

    @property
    def chaindoctor_agrees(self) -> bool:
        return self.error is None and self.chaindoctor == self.expected

    @property
    def cryptography_agrees(self) -> bool:
        return self.cryptography == self.expected


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
    return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(timezone.utc)


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
    fields = {f.name for f in dataclasses.fields(Policy)}
    if depth is not None and "max_chain_depth" in fields:  # used once Policy carries the limit
        policy = dataclasses.replace(policy, max_chain_depth=depth)  # type: ignore[call-arg]
    return policy


def judge_chaindoctor(case: Case) -> tuple[bool, tuple[str, ...], str]:
    """chaindoctor's verdict (True = ok), the error codes and their messages."""
    peer = _entries([case["peer_certificate"]], "peer", "pkcs7")
    if not peer:
        return False, ("unreadable",), "the peer certificate does not parse"
    intermediates = _entries(case["untrusted_intermediates"], "intermediates", "pkcs7")
    anchors = TrustStore(_entries(case["trusted_certs"], "trusted", "store"), "limbo trusted_certs")
    bundle = Bundle(tuple(peer + intermediates), sources=("limbo",))
    report = diagnose(bundle, anchors, _policy(case), leaf=peer[0])
    errors = report.errors
    return report.verdict == "ok", tuple(sorted({f.code for f in errors})), " | ".join(f.message for f in errors)


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
        ok, codes, detail = judge_chaindoctor(case)
    except Exception as exc:  # noqa: BLE001 - recorded and asserted on: the engine must not raise
        return CaseResult(case["id"], expected, False, crypto, error=f"{type(exc).__name__}: {exc}")
    return CaseResult(case["id"], expected, ok, crypto, codes, detail)


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
        f"  engine exceptions: {len(summary.errors)}; run time {summary.seconds:.1f} s",
    ])


def disagreement_text(summary: Summary) -> str:
    lines = []
    for r in summary.disagreements:
        said = "error: " + r.error if r.error else ("ok" if r.chaindoctor else "broken " + ",".join(r.codes))
        lines.append(f"{r.id}: expected {'SUCCESS' if r.expected else 'FAILURE'}, chaindoctor {said}, "
                     f"cryptography {'agrees' if r.cryptography_agrees else 'disagrees'}")
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


if __name__ == "__main__":
    result = run(Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS)
    print(summary_text(result))
    print(disagreement_text(result))
