"""The second opinion: cryptography's strict (WebPKI) verifier run on the chosen path.

chaindoctor must never call "ok" a chain a strict client refuses. When the verifier refuses, its
message is translated into words a newcomer follows and mapped to the finding codes that would
already explain it; only an unexplained refusal becomes a ``rejected`` finding.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.x509 import verification as v
from cryptography.x509.oid import ExtensionOID

from . import checks
from .model import CertEntry, ext_critical

if TYPE_CHECKING:
    from .diagnose import Report

MAX_CHAIN_DEPTH = 8  # cryptography's default; OpenSSL allows 100

_EXT_NAMES = {
    "2.5.29.19": "basicConstraints", "2.5.29.15": "keyUsage", "2.5.29.37": "extendedKeyUsage",
    "2.5.29.17": "subjectAltName", "2.5.29.35": "authorityKeyIdentifier", "2.5.29.14": "subjectKeyIdentifier",
    "2.5.29.30": "nameConstraints", "2.5.29.32": "certificatePolicies", "2.5.29.36": "policyConstraints",
    "1.3.6.1.5.5.7.1.1": "authorityInfoAccess",
}
# Words in the verifier's message -> the finding codes that already explain such a refusal.
_EXPLAINED_BY = [
    ("not valid at validation time", {"expired", "not-yet-valid"}),
    ("expired", {"expired"}),
    ("subjectaltname", {"hostname-mismatch"}),
    ("eku", {"wrong-purpose"}),
    ("name constraint", {"name-constraints-violated"}),
    ("path length", {"path-length-exceeded"}),
    ("pathlen", {"path-length-exceeded"}),
    ("signature", {"bad-signature", "weak-signature", "weak-key"}),
    ("public key", {"weak-key"}),
    ("key size", {"weak-key"}),
    ("unsupported", {"weak-key", "weak-signature"}),
    ("2.5.29.19", {"not-a-ca"}),
    ("2.5.29.15", {"not-a-ca", "wrong-purpose"}),
    ("2.5.29.37", {"wrong-purpose"}),
    ("2.5.29.30", {"name-constraints-violated"}),
    ("depth", {"path-length-exceeded"}),
]


@dataclass(frozen=True)
class StrictResult:
    """A refusal by the strict verifier."""

    raw: str
    message: str
    certs: tuple[CertEntry, ...]

    def explained_by(self, codes: set[str]) -> bool:
        low = self.raw.lower()
        for needle, explaining in _EXPLAINED_BY:
            if needle in low and codes & explaining:
                return True
        if "candidates exhausted" in low or "no candidate" in low:
            # a path-building failure: anything already wrong with the path explains it
            return bool(codes & {"not-a-ca", "expired", "not-yet-valid", "bad-signature", "weak-key",
                                 "weak-signature", "name-constraints-violated", "path-length-exceeded"})
        return False


def _subject(report: Report) -> v.DNSName | v.IPAddress | None:
    host = report.policy.host
    leaf = report.leaf
    assert leaf is not None
    if not host:
        names = checks.san(leaf.cert)
        if names is None:
            return None
        dns = [n for n in names.get_values_for_type(x509.DNSName) if n]
        ips = names.get_values_for_type(x509.IPAddress)
        if dns:
            host = dns[0].replace("*", "wildcard-check", 1) if dns[0].startswith("*.") else dns[0]
        elif ips:
            return v.IPAddress(ips[0])
        else:
            return None
    try:
        return v.IPAddress(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    try:
        return v.DNSName(checks._normalise_host(host))
    except ValueError:
        return None


def _max_depth(report: Report) -> int:
    """The policy's limit on intermediates (``Policy.max_chain_depth`` when it has one), else the default."""
    depth = getattr(report.policy, "max_chain_depth", None)
    return depth if isinstance(depth, int) and 0 <= depth <= 255 else MAX_CHAIN_DEPTH


def second_opinion(report: Report) -> StrictResult | None:
    """Run the strict verifier on the chosen path; None when it accepts (or the path is untrusted)."""
    path = report.path
    if path is None or not path.trusted or report.leaf is None:
        return None
    leaf = report.leaf
    chain = path.certs
    anchor = chain[-1]
    builder = v.PolicyBuilder().store(v.Store([anchor.cert])).time(report.policy.when)
    builder = builder.max_chain_depth(_max_depth(report))
    intermediates = [e.cert for e in chain[1:-1]]
    try:
        if report.policy.purpose == "client":
            ee = v.ExtensionPolicy.webpki_defaults_ee().may_be_present(
                x509.SubjectAlternativeName, v.Criticality.AGNOSTIC, None)
            builder = builder.extension_policies(ca_policy=v.ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee)
            builder.build_client_verifier().verify(leaf.cert, intermediates)
        else:
            subject = _subject(report)
            if subject is None:
                return StrictResult(
                    "leaf has no subjectAltName",
                    f"The leaf '{leaf.subject}' has no subjectAltName, so no host name can match it: browsers, "
                    "curl, Go and Python ignore the CN and refuse such server certificates. Re-issue it with "
                    "the host names in the subjectAltName extension.",
                    (leaf,),
                )
            builder.build_server_verifier(subject).verify(leaf.cert, intermediates)
    except v.VerificationError as exc:
        raw = str(exc)
        if len(chain) == 1 and leaf is anchor:
            return None  # the leaf itself is trusted: nothing to build
        return StrictResult(raw, translate(raw, chain), at_fault(raw, chain))
    except (ValueError, TypeError) as exc:  # e.g. a time or name the verifier cannot take
        return StrictResult(str(exc), f"The strict verifier could not run: {exc}", (leaf,))
    return None


def at_fault(raw: str, chain: tuple[CertEntry, ...]) -> tuple[CertEntry, ...]:
    """The certificate the verifier was processing when it refused, else the leaf."""
    for entry in chain:
        if repr(entry.cert) in raw:
            return (entry,)
    problem = strict_only_problem(chain)
    if problem is not None:
        return (problem[0],)
    return (chain[0],)


def strict_only_problem(chain: tuple[CertEntry, ...]) -> tuple[CertEntry, str] | None:
    """Things OpenSSL accepts but strict verifiers refuse, found by looking at the chain ourselves."""
    for entry in chain[1:]:
        if entry.basic_constraints is not None and ext_critical(entry.cert, ExtensionOID.BASIC_CONSTRAINTS) is False:
            return entry, (
                f"The CA certificate '{entry.subject}' has a basicConstraints extension that is not marked "
                "critical. OpenSSL accepts this and many private PKIs issue such certificates, but strict "
                "verifiers (browsers, rustls, Go's and cryptography's) follow RFC 5280 and refuse it. "
                "Re-issue the CA certificate with basicConstraints marked critical."
            )
    for entry in chain[:-1]:
        if entry.aki is None and not entry.self_issued:
            return entry, (
                f"'{entry.subject}' has no authorityKeyIdentifier extension. OpenSSL does not mind, but strict "
                "verifiers require it on every certificate that is not a root, to find the issuing key. "
                "Re-issue it with an authorityKeyIdentifier."
            )
    return None


def translate(raw: str, chain: tuple[CertEntry, ...]) -> str:
    """The verifier's refusal, quoted, with a plain explanation where one is known."""
    quoted = re.sub(r"\s*\(encountered processing <Certificate\(.*\)>\)\s*$", "", raw).strip()
    if "max depth" in raw:
        n = max(len(chain) - 2, 0)
        return (f"The chain has {n} intermediate certificate(s), more than the verifier allows (its maximum "
                f"chain depth); clients with that limit cannot reach the trust anchor. (strict verifier: \"{quoted}\")")
    problem = strict_only_problem(chain)
    if problem is not None and ("criticality" in raw or "2.5.29.35" in raw or "exhausted" in raw):
        return f"{problem[1]} (strict verifier: \"{quoted}\")"
    match = re.search(r"invalid extension: ([0-9.]+): (.+?)(?: \(|$)", raw)
    if match:
        name = _EXT_NAMES.get(match.group(1), match.group(1))
        who = at_fault(raw, chain)[0]
        return (f"A strict verifier (like browsers and rustls) refuses the {name} extension of '{who.subject}': "
                f"{match.group(2).rstrip('.')}. OpenSSL may accept it. (strict verifier: \"{quoted}\")")
    return f"A strict verifier (like browsers and rustls) refuses this chain: \"{quoted}\"."
