"""From the client matrix to findings: every refusal is explained by a finding, or becomes one.

An OpenSSL refusal that no error finding explains becomes ``rejected`` (an error: curl, Python and
the rest of the OpenSSL family fail). A refusal by the strict profile alone becomes
``strict-clients-refuse`` (a warning): it says what the strict profile refuses, which clients
share that rule and which accept the chain. Every claim about a client carries its source.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from . import checks
from .der import tbs_layout
from .findings import Finding
from .model import CertEntry, ext_critical
from .order import before_leaf
from .verifiers import OPENSSL_STANDS_FOR, ClientVerdict, openssl_error, quote
from .vocabulary import Code, Severity

if TYPE_CHECKING:
    from .diagnose import Report

# Words in the strict verifier's message -> the finding codes that already explain such a refusal.
_STRICT_EXPLAINED_BY: list[tuple[str, frozenset[Code]]] = [
    (needle, frozenset(codes)) for needle, codes in [
        ("no trust anchor", {Code.UNTRUSTED_ROOT, Code.MISSING_INTERMEDIATE, Code.BAD_SIGNATURE, Code.REJECTED}),
        ("not valid at validation time", {Code.EXPIRED, Code.NOT_YET_VALID}),
        ("expired", {Code.EXPIRED}),
        ("subjectaltname", {Code.HOSTNAME_MISMATCH, Code.NO_SUBJECT_ALT_NAME}),
        ("no subjectaltname", {Code.NO_SUBJECT_ALT_NAME}),
        ("eku", {Code.WRONG_PURPOSE}),
        ("name constraint", {Code.NAME_CONSTRAINTS_VIOLATED}),
        ("path length", {Code.PATH_LENGTH_EXCEEDED}),
        ("pathlen", {Code.PATH_LENGTH_EXCEEDED}),
        ("signature", {Code.BAD_SIGNATURE, Code.WEAK_SIGNATURE, Code.WEAK_KEY}),
        ("public key", {Code.WEAK_KEY}),
        ("key size", {Code.WEAK_KEY}),
        ("unsupported", {Code.WEAK_KEY, Code.WEAK_SIGNATURE}),
        ("2.5.29.19", {Code.NOT_A_CA}),
        ("2.5.29.15", {Code.NOT_A_CA, Code.WRONG_PURPOSE}),
        ("2.5.29.37", {Code.WRONG_PURPOSE}),
        ("2.5.29.30", {Code.NAME_CONSTRAINTS_VIOLATED}),
        ("depth", {Code.PATH_LENGTH_EXCEEDED}),
    ]
]
MAX_RULE_CANDIDATES = 256  # served certificates looked at for a strict-only rule, besides the chain

# A path-building failure: anything already wrong with the chain explains it.
_PATH_CODES = frozenset({Code.NOT_A_CA, Code.EXPIRED, Code.NOT_YET_VALID, Code.BAD_SIGNATURE, Code.WEAK_KEY,
                         Code.WEAK_SIGNATURE, Code.NAME_CONSTRAINTS_VIOLATED, Code.PATH_LENGTH_EXCEEDED,
                         Code.MISSING_INTERMEDIATE, Code.UNTRUSTED_ROOT, Code.WRONG_PURPOSE, Code.WRONG_ORDER,
                         Code.REJECTED})


def client_findings(report: Report) -> list[Finding]:
    """The findings the client matrix adds: only refusals no other finding explains."""
    out: list[Finding] = []
    openssl = report.client("openssl")
    if openssl is not None and not openssl.accepts and not _openssl_explained(report, openssl):
        out.append(Finding(Code.REJECTED, openssl.certificates,
                           f"OpenSSL, the verifier behind {OPENSSL_STANDS_FOR}, refuses the served chain. "
                           f"{openssl.reason}"))
    strict = report.client("webpki-strict")
    if strict is not None and not strict.accepts and not _strict_explained(report, strict):
        certs, message = strict_message(report, strict, openssl)
        out.append(Finding(Code.STRICT_CLIENTS_REFUSE, certs, message))
    python = report.client("openssl-x509-strict")
    if python is not None and not python.accepts and not _python_explained(report, python, out):
        out.append(Finding(Code.STRICT_CLIENTS_REFUSE, python.certificates, _python_message(python, openssl, strict)))
    return out


def _python_explained(report: Report, verdict: ClientVerdict, added: list[Finding]) -> bool:
    """OpenSSL's strict mode refuses for a reason already given: by a finding, or by plain OpenSSL."""
    openssl = report.client("openssl")
    if openssl is not None and not openssl.accepts and openssl.error == verdict.error:
        return True
    codes = openssl_error(verdict.error or 0).explained_by
    blamed = set(verdict.certificates)
    return any(f.code in codes and (not blamed or blamed & set(f.certificates)) for f in (*report.findings, *added))


def _python_message(verdict: ClientVerdict, openssl: ClientVerdict | None, strict: ClientVerdict | None) -> str:
    # source: CPython Lib/ssl.py create_default_context (3.13 adds VERIFY_X509_STRICT)
    others = []
    if openssl is not None and openssl.accepts:
        others.append("OpenSSL's default checks (curl, nginx, Python before 3.13) accept the chain")
    if strict is not None:
        others.append("cryptography's strict verifier " + ("accepts it" if strict.accepts else "refuses it too"))
    tail = (" " + "; ".join(others) + ".") if others else ""
    return (f"Only strict clients refuse this chain. Python 3.13 and later refuse it: their default context "
            f"turns on OpenSSL's strict mode (VERIFY_X509_STRICT), and {verdict.reason}{tail}")


def _openssl_explained(report: Report, verdict: ClientVerdict) -> bool:
    """An error finding of a code that explains OpenSSL's error names the certificate it blames.

    A wrong order explains any refusal it can cause wherever OpenSSL stops: an order that misleads
    its chain building shifts the blame to certificates that are not at fault themselves.
    """
    codes = openssl_error(verdict.error or 0).explained_by
    blamed = set(verdict.certificates)
    for finding in report.findings:
        if finding.severity != Severity.ERROR or finding.code not in codes:
            continue
        if finding.code == Code.WRONG_ORDER or not blamed or blamed & set(finding.certificates):
            return True
    return False


def _strict_explained(report: Report, verdict: ClientVerdict) -> bool:
    low = (verdict.raw or "").lower()
    present = {Code(f.code) for f in report.findings}
    if Code.WRONG_ORDER in present and before_leaf(report):
        return True  # it verified the certificate served first, which is not the leaf
    for needle, codes in _STRICT_EXPLAINED_BY:
        if needle in low and present & codes:
            return True
    if "candidates exhausted" in low or "no candidate" in low:
        return bool(present & _PATH_CODES)
    return False


# --- what only the strict profile refuses ---------------------------------------------------------


class StrictRule(NamedTuple):
    """A rule of the strict profile that mainstream clients do not share, with who does what."""

    name: str
    needle: str | None  # words the verifier's message must contain, when it has telling ones
    matches: Callable[[Report, CertEntry], bool]
    text: str  # "{subject}" is the certificate it applies to


def _ca_bc_not_critical(report: Report, entry: CertEntry) -> bool:
    return entry.is_ca and ext_critical(entry.cert, ExtensionOID.BASIC_CONSTRAINTS) is False


def _v1_anchor(report: Report, entry: CertEntry) -> bool:
    return entry.cert.version == x509.Version.v1 and report.graph.is_anchor(entry)


_RSA_PKCS1_PREFIX = bytes.fromhex("300b06092a864886f70d0101")  # AlgorithmIdentifier without parameters


def _rsa_without_null(report: Report, entry: CertEntry) -> bool:
    layout = tbs_layout(entry.der)
    return layout is not None and entry.der[layout.rest[0]:layout.rest[0] + len(_RSA_PKCS1_PREFIX)] == _RSA_PKCS1_PREFIX


def _leaf_without_aki(report: Report, entry: CertEntry) -> bool:
    return entry is report.leaf and entry.aki is None


def _too_deep(report: Report, entry: CertEntry) -> bool:
    return entry is report.leaf


def _ca_as_leaf(report: Report, entry: CertEntry) -> bool:
    return entry is report.leaf and entry.is_ca


def _unreadable_extensions(report: Report, entry: CertEntry) -> bool:
    return checks.extension_problem(entry.cert) is not None


STRICT_RULES: tuple[StrictRule, ...] = (
    StrictRule("basic-constraints-not-critical", "criticality", _ca_bc_not_critical,
               # source: RFC 5280 4.2.1.9 ("MUST mark the extension as critical" in CA certificates);
               # CPython Lib/ssl.py create_default_context (3.13: VERIFY_X509_STRICT) with OpenSSL 3.0's
               # crypto/x509/x509_vfy.c check_extensions (X509_V_ERR_CA_BCONS_NOT_CRITICAL);
               # rustls-webpki src/verify_cert.rs check_basic_constraints (criticality not read);
               # BoringSSL pki testdata verify_certificate_chain_unittest/intermediate-basic-constraints-not-critical
               "The CA certificate {subject} has a basicConstraints extension that is not marked critical. "
               "RFC 5280 requires it to be critical in CA certificates, and the strict profile enforces that, as "
               "does Python 3.13's default context with OpenSSL 3.0 (VERIFY_X509_STRICT: \"Basic Constraints of "
               "CA cert not marked critical\"). OpenSSL's default checks (curl, nginx, older Python), rustls and "
               "Chrome's verifier accept it. Re-issue the CA certificate with basicConstraints marked critical."),
    StrictRule("v1-trust-anchor", "x509v3", _v1_anchor,
               # source: OpenSSL crypto/x509/v3_purp.c check_ca (a self-signed v1 certificate is a CA);
               # rustls-webpki src/trust_anchor.rs (extract_trust_anchor_from_v1_cert_der);
               # BoringSSL pki testdata verify_certificate_chain_unittest/root-lacks-basic-constraints
               "The trust anchor {subject} is an X.509 version 1 certificate, so it has no extensions and no "
               "basicConstraints. The strict profile refuses such anchors; OpenSSL (curl, Python), rustls and "
               "Chrome's verifier accept them as roots. Old roots still in use, such as VeriSign's Class 3 G3, "
               "are version 1."),
    StrictRule("rsa-without-null-parameters", "signature algorithm", _rsa_without_null,
               # source: RFC 4055 section 5 ("implementations MUST accept the parameters being absent as
               # well as present"); rustls crypto providers list RSA_PKCS1_SHA256_ABSENT_PARAMS
               "{subject} is signed with RSA PKCS#1 v1.5 and its signature algorithm leaves out the NULL "
               "parameters. RFC 4055 says verifiers must accept that, and OpenSSL and rustls do; cryptography's "
               "strict verifier does not."),
    StrictRule("ca-as-leaf", None, _ca_as_leaf,
               # source: rustls-webpki src/verify_cert.rs check_basic_constraints (CaUsedAsEndEntity);
               # OpenSSL checks only the purpose of the peer certificate (v3_purp.c check_purpose_ssl_server)
               "{subject} is a CA certificate (basicConstraints CA:TRUE) used as the server's or client's own "
               "certificate. The strict profile and rustls refuse that; OpenSSL accepts it."),
    StrictRule("no-authority-key-identifier", "2.5.29.35", _leaf_without_aki,
               # source: RFC 5280 4.2.1.1 (conforming CAs MUST include it); CA/Browser Forum Baseline
               # Requirements 7.1.2.7 (subscriber certificates); OpenSSL requires it only under X509_STRICT
               "{subject} has no authorityKeyIdentifier extension. The strict profile requires one in the "
               "server's or client's own certificate, even when that certificate is trusted directly; OpenSSL's "
               "default checks (curl, nginx) accept it. Re-issue it with an authorityKeyIdentifier."),
    StrictRule("too-deep", "depth", _too_deep,
               # source: cryptography's PolicyBuilder.max_chain_depth (default 8); rustls-webpki
               # src/verify_cert.rs (MAX_SUB_CA_COUNT = 6, MaximumPathDepthExceeded); OpenSSL's default
               # verify depth is 100 (X509_VERIFY_PARAM "default" table in crypto/x509/x509_vpm.c)
               "The chain from {subject} has more intermediate certificates than strict verifiers follow: "
               "cryptography's stops at 8 and rustls at 6 intermediates, while OpenSSL allows 100."),
    StrictRule("unreadable-extensions", None, _unreadable_extensions,
               "cryptography cannot read the extensions of {subject} (an extension it does not accept, such as "
               "an unknown policy qualifier), so its strict verifier refuses the certificate."),
)


def _rule_for(report: Report, verdict: ClientVerdict) -> tuple[StrictRule, CertEntry] | None:
    """The first strict-only rule that applies to the blamed certificate, else to any served or chain one."""
    raw = (verdict.raw or "").lower()
    blamed = [e for e in (*report.bundle.certs, *report.chain) if e.sha256 in verdict.certificates]
    others = list(report.chain) + list(report.bundle.certs[:MAX_RULE_CANDIDATES])
    for rule in STRICT_RULES:
        if rule.needle is not None and rule.needle not in raw:
            continue
        for entry in (*blamed, *others):
            if rule.matches(report, entry):
                return rule, entry
    return None


def strict_message(report: Report, verdict: ClientVerdict,
                   openssl: ClientVerdict | None) -> tuple[tuple[str, ...], str]:
    """The certificates and message of a ``strict-clients-refuse`` finding."""
    said = f"(cryptography's verifier: \"{quote(verdict.raw or '')}\")"
    found = _rule_for(report, verdict)
    if found is not None:
        rule, entry = found
        what = rule.text.format(subject=f"'{entry.subject}'") + f" {said}"
        certs: tuple[str, ...] = (entry.sha256,)
    else:
        what = f"The strict WebPKI profile refuses this chain {said}."
        certs = verdict.certificates
    if openssl is None:
        others = ""
    elif openssl.accepts:
        others = f" OpenSSL, the verifier behind {OPENSSL_STANDS_FOR}, accepts the chain."
    else:
        others = " OpenSSL refuses the chain too, for the reason another finding gives."
    return certs, f"Only strict clients refuse this chain. {what}{others}"
