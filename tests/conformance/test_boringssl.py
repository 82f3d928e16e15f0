"""Conformance against BoringSSL's certificate-chain verification tests.

Each ``*.test`` of BoringSSL's ``pki/testdata/verify_certificate_chain_unittest`` names a chain
(leaf first, the last certificate the trust anchor), a time, a purpose, and the errors BoringSSL
reports, grouped by the certificate it blames. The tests with a plain trusted anchor and a server or
client purpose are judged here: the chain without its anchor is served, the anchor is trusted, no
host name is given (BoringSSL's harness names none). chaindoctor's verdict must equal BoringSSL's
(broken exactly when it reports an ``ERROR``), and in every broken case an error finding must
name each certificate BoringSSL blames. A difference is allowed only when ``KNOWN_DIFFERENCES``
lists it with its reason: there, a mainstream client family decides otherwise than BoringSSL.

The corpus is read from ``<repo>/../shared/corpora/boringssl-verify-chain.tar.gz`` at test time.
``python -m tests.conformance.test_boringssl`` prints every case that differs.
"""

from __future__ import annotations

import re
import sys
import tarfile
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from tui.pki.diagnose import Policy, Report, diagnose
from tui.pki.load import load_bytes
from tui.pki.model import Bundle
from tui.pki.stores import TrustStore

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpora" / "boringssl-verify-chain.tar.gz"
DEFAULT_TIME = "211005120000Z"  # BoringSSL's harness: "DEFAULT"
PURPOSES = {"SERVER_AUTH": "server", "CLIENT_AUTH": "client"}

_OPENSSL_ANCHOR = ("OpenSSL checks the validity period of the trust anchor too (crypto/x509/x509_vfy.c, "
                   "check_cert_time for every certificate of the chain) and refuses; BoringSSL does not judge "
                   "a plain trust anchor")
_OPENSSL_ANY_EKU = ("OpenSSL (curl, Python) wants serverAuth itself in the EKU of an intermediate that has one: "
                    "anyExtendedKeyUsage sets only XKU_ANYEKU (crypto/x509/v3_purp.c, xku_reject), so it "
                    "refuses with 'unsuitable certificate purpose'; BoringSSL only warns")
_LEAF_ANY_EKU = ("a leaf whose EKU is anyExtendedKeyUsage without serverAuth/clientAuth: OpenSSL (curl, Python) "
                 "refuses it (crypto/x509/v3_purp.c, xku_reject), BoringSSL only warns")
_POLICY_QUALIFIER = ("a critical certificatePolicies with an unknown policy qualifier: OpenSSL handles "
                     "certificatePolicies (crypto/x509/v3_purp.c, X509_supported_extension) and reads any "
                     "qualifier, so curl and Python accept; BoringSSL refuses it as unconsumed. chaindoctor "
                     "reports the strict verifier's refusal as a warning")
_MS_POLICIES = ("a critical msApplicationPolicies extension next to an EKU: OpenSSL does not handle it "
                "(crypto/x509/v3_purp.c, X509_supported_extension) and refuses the certificate ('unhandled "
                "critical extension'); BoringSSL tolerates it when an EKU is present")
_KEYUSAGE_TLS = ("the leaf's keyUsage has neither digitalSignature nor keyEncipherment: OpenSSL's ssl_server "
                 "purpose refuses it (crypto/x509/v3_purp.c, ku_reject with KU_TLS); BoringSSL does not check "
                 "keyUsage for TLS in this harness")

# Findings that stand for a check BoringSSL's harness does not ask for; listed once, with the reason,
# instead of for each of the many cases they concern.
SET_ASIDE: dict[str, str] = {
    "no-subject-alt-name": "most of these chains' leaves have no subjectAltName, and BoringSSL's harness asks for "
                           "no host name; chaindoctor's error says that browsers, Go and rustls cannot match any "
                           "host name to such a server certificate",
}

_OPENSSL_ANCHOR_CA = ("OpenSSL checks that the trust anchor itself may sign certificates (basicConstraints CA and "
                      "keyUsage keyCertSign) and refuses with 'invalid CA certificate'; BoringSSL does not judge a "
                      "plain trust anchor")
_OPENSSL_ANCHOR_EKU = ("OpenSSL applies the purpose to the trust anchor's extended key usage as well and refuses "
                       "with 'unsuitable certificate purpose'; BoringSSL does not judge a plain trust anchor")
_OPENSSL_ANCHOR_PATHLEN = ("OpenSSL enforces the trust anchor's own pathLenConstraint ('path length constraint "
                           "exceeded'); BoringSSL does not judge a plain trust anchor")
_DECIPHER_ONLY = ("a leaf whose keyUsage allows neither digitalSignature nor keyEncipherment (keyAgreement with "
                  "decipherOnly): OpenSSL's ssl_server purpose refuses it ('unsuitable certificate purpose', "
                  "crypto/x509/v3_purp.c ku_reject with KU_TLS); BoringSSL does not check keyUsage here")
_OLD_CRYPTO = ("real certificates from 2012 signed with SHA-1 (and 1024-bit RSA keys): OpenSSL 3 rates SHA-1 "
               "signatures below its default security level (crypto/x509/x509_set.c, secbits 63) and Go refuses "
               "them since 1.18; Debian's and Ubuntu's OpenSSL (security level 2) refuse 1024-bit RSA keys. "
               "BoringSSL's harness allows both")

KNOWN_DIFFERENCES: dict[str, str] = {
    "expired-root/not-after.test": _OPENSSL_ANCHOR,
    "expired-root/not-before.test": _OPENSSL_ANCHOR,
    "root-basic-constraints-ca-false/main.test": _OPENSSL_ANCHOR_CA,
    "root-lacks-keycertsign-key-usage/main.test": _OPENSSL_ANCHOR_CA,
    "root-eku-clientauth/serverauth.test": _OPENSSL_ANCHOR_EKU,
    "violates-pathlen-1-from-root/main.test": _OPENSSL_ANCHOR_PATHLEN,
    "target-serverauth-various-keyusages/ec-decipherOnly.test": _DECIPHER_ONLY,
    "target-serverauth-various-keyusages/rsa-decipherOnly.test": _DECIPHER_ONLY,
    "issuer-and-subject-not-byte-for-byte-equal/anchor.test": _OLD_CRYPTO,
    "issuer-and-subject-not-byte-for-byte-equal/target.test": _OLD_CRYPTO,
    "intermediate-and-target-wrong-signature/main.test": (
        "the target's authorityKeyIdentifier does not match the intermediate's subjectKeyIdentifier, so OpenSSL "
        "finds no issuer for the target ('unable to get local issuer certificate') and chaindoctor names the "
        "target (missing-intermediate); BoringSSL checks signatures from the anchor down and blames the "
        "intermediate. Both verdicts are broken"),
    "key-rollover/longrolloverchain.test": (
        "a self-signed copy of the new root is served before its copy signed by the old, trusted root: OpenSSL "
        "takes the first and stops at it ('self-signed certificate in certificate chain'), so curl and Python "
        "refuse and chaindoctor reports wrong-order; BoringSSL builds paths with backtracking"),
    "many-names/ok-all-types.test": (
        "the leaf names t171.test to t340.test, outside the intermediate's permitted DNS subtrees (t0.test to "
        "t170.test); OpenSSL and cryptography's verifier refuse the chain as chaindoctor does"),
    "intermediate-eku-any-and-clientauth/serverauth.test": _OPENSSL_ANY_EKU,
    "target-eku-any/serverauth.test": _LEAF_ANY_EKU,
    "target-eku-any/clientauth.test": _LEAF_ANY_EKU,
    "unknown-critical-policy-qualifier/main.test": _POLICY_QUALIFIER,
    "target-msapplicationpolicies-and-eku/main.test": _MS_POLICIES,
}


@dataclass(frozen=True)
class Case:
    name: str  # "dir/file.test"
    chain: tuple[bytes, ...]  # DER, leaf first, the trust anchor last
    trust: str
    time: datetime
    purpose: str | None
    blamed: tuple[int, ...]  # the i=N of every group with an ERROR line
    warnings_only: bool


@dataclass
class Outcome:
    case: Case
    verdict: str  # without the errors of SET_ASIDE codes
    named: bool  # every blamed certificate is named by an error finding
    codes: tuple[str, ...]
    set_aside: bool = False  # an error of a SET_ASIDE code was left out of the verdict
    error: str | None = None

    @property
    def expected(self) -> str:
        return "broken" if self.case.blamed else "ok"

    @property
    def agrees(self) -> bool:
        return self.error is None and self.verdict == self.expected and (self.verdict == "ok" or self.named)


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)

    @property
    def differences(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.agrees]


def _time(text: str) -> datetime:
    raw = DEFAULT_TIME if text == "DEFAULT" else text
    return datetime.strptime(raw, "%y%m%d%H%M%SZ").replace(tzinfo=UTC)


def _fields(text: str) -> tuple[dict[str, str], str]:
    head, _, errors = text.partition("expected_errors:")
    values = {}
    for line in head.splitlines():
        if ":" in line and not line.startswith("#"):
            key, _, value = line.partition(":")
            values[key.strip()] = value.strip()
    return values, errors


def _blamed(errors: str) -> tuple[int, ...]:
    blamed: list[int] = []
    current = None
    for line in errors.splitlines():
        group = re.match(r"----- Certificate i=(\d+)", line)
        if group:
            current = int(group.group(1))
        elif line.startswith("ERROR") and current is not None and current not in blamed:
            blamed.append(current)
    return tuple(blamed)


def load_cases(path: Path = CORPUS) -> list[Case]:
    cases = []
    with tarfile.open(path, "r:gz") as tar:
        files = {m.name: m for m in tar.getmembers() if m.isfile()}
        for name, member in sorted(files.items()):
            if not name.endswith(".test"):
                continue
            values, errors = _fields(tar.extractfile(member).read().decode())
            chain_name = str(PurePosixPath(name).parent / values["chain"])
            pem = tar.extractfile(files[chain_name]).read()
            chain = tuple(c.der for c in load_bytes(pem, chain_name).certs)
            short = "/".join(PurePosixPath(name).parts[-2:])
            cases.append(Case(short, chain, values["last_cert_trust"], _time(values["utc_time"]),
                              PURPOSES.get(values["key_purpose"]), _blamed(errors),
                              "WARNING" in errors and not _blamed(errors)))
    return cases


def skip_reason(case: Case) -> str | None:
    if case.trust != "TRUSTED_ANCHOR":
        return f"trust {case.trust}"
    if case.purpose is None:
        return "a purpose other than server or client authentication"
    if len(case.chain) < 2:
        return "no certificate besides the anchor"
    return None


def judge(case: Case) -> Outcome:
    entries = load_bytes(b"".join(_pem(d) for d in case.chain), case.name).certs
    served, anchor = entries[:-1], entries[-1]
    report: Report = diagnose(Bundle(served, sources=(case.name,)), TrustStore([anchor], "BoringSSL anchor"),
                              Policy(purpose=case.purpose or "server", at=case.time))
    errors = [f for f in report.errors if f.code not in SET_ASIDE]
    named_by_errors = {sha for f in errors for sha in f.certificates}
    named = all(entries[i].sha256 in named_by_errors for i in case.blamed)
    return Outcome(case, "broken" if errors else "ok", named, tuple(sorted(f.code for f in errors)),
                   len(errors) < len(report.errors))


def _pem(der: bytes) -> bytes:
    import base64

    body = base64.encodebytes(der).replace(b"\n", b"")
    lines = b"\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return b"-----BEGIN CERTIFICATE-----\n" + lines + b"\n-----END CERTIFICATE-----\n"


def run(path: Path = CORPUS) -> Summary:
    summary = Summary()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # odd serial numbers and the like load with deprecation warnings
        for case in load_cases(path):
            reason = skip_reason(case)
            if reason is not None:
                summary.skipped[reason] += 1
                continue
            try:
                summary.outcomes.append(judge(case))
            except Exception as exc:  # noqa: BLE001 - recorded and asserted on: the engine must not raise
                summary.outcomes.append(Outcome(case, "error", False, (), error=f"{type(exc).__name__}: {exc}"))
    return summary


def describe(outcome: Outcome) -> str:
    case = outcome.case
    said = outcome.error or f"{outcome.verdict} {','.join(outcome.codes)}".strip()
    missing = "" if outcome.verdict != "broken" or outcome.named else f" (no error names i={list(case.blamed)})"
    why = f" [listed: {KNOWN_DIFFERENCES[case.name]}]" if case.name in KNOWN_DIFFERENCES else ""
    return f"{case.name}: BoringSSL {outcome.expected}, chaindoctor {said}{missing}{why}"


@pytest.fixture(scope="module")
def summary() -> Summary:
    if not CORPUS.is_file():
        pytest.skip(f"BoringSSL's chain tests not found at <repo>/../shared/corpora/{CORPUS.name}")
    return run(CORPUS)


def test_cases_are_in_scope(summary: Summary, record_property: Any) -> None:
    record_property("boringssl_in_scope", len(summary.outcomes))
    assert len(summary.outcomes) >= 90, summary.skipped


def test_agrees_with_boringssl_except_listed_differences(summary: Summary) -> None:
    unlisted = [describe(o) for o in summary.differences if o.case.name not in KNOWN_DIFFERENCES]
    listed = sum(o.case.name in KNOWN_DIFFERENCES for o in summary.differences)
    agreed = len(summary.outcomes) - len(summary.differences)
    set_aside = sum(o.set_aside for o in summary.outcomes)
    print(f"\nBoringSSL: {len(summary.outcomes)} cases in scope, {sum(summary.skipped.values())} skipped; "
          f"{agreed} agree, {listed} listed differences seen of {len(KNOWN_DIFFERENCES)}; "
          f"{set_aside} verdicts leave out {', '.join(SET_ASIDE)}")
    assert not unlisted, "differences not listed in KNOWN_DIFFERENCES:\n" + "\n".join(unlisted)


def test_no_listed_difference_is_stale(summary: Summary) -> None:
    differing = {o.case.name for o in summary.differences}
    stale = sorted(set(KNOWN_DIFFERENCES) - differing)
    assert not stale, f"listed but agreeing or absent: {stale}"


if __name__ == "__main__":
    result = run(Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS)
    print(f"{len(result.outcomes)} in scope, skipped: {dict(result.skipped)}")
    for outcome in result.differences:
        print(describe(outcome))
