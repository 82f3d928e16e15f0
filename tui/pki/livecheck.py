"""What a live connection adds to a diagnosis: findings about the OCSP staple and SNI, and the facts.

Front ends call these after :func:`tui.pki.diagnose.diagnose` on a bundle that holds a live
chain: :func:`live_findings` for the ``ocsp-revoked``, ``ocsp-unusable`` and ``sni-differs``
findings (or :func:`add_live_findings` to merge them into the report), :func:`live_facts` for
the JSON-ready facts about the connection (TLS version, cipher, ALPN, SNI, STARTTLS, client
certificate request, OCSP staple, what is served without SNI).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypedDict

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

from .endpoints import LiveChain
from .findings import Finding
from .load import LoadError, cert_from_der
from .model import CertEntry, Origin
from .ocsp import Staple, StapleFacts, check_staple
from .text import shorten
from .vocabulary import Code, Severity

if TYPE_CHECKING:
    from .diagnose import Report

__all__ = ["LiveFacts", "NoSniFacts", "add_live_findings", "describe", "live_facts", "live_findings", "staple_for"]

_NAME_WIDTH = 120


class NoSniFacts(TypedDict):
    """What the server sends to a handshake without a server name (only when a name was sent)."""

    same: bool | None  # None: the handshake without SNI gave no certificate
    sha256: str | None
    subject: str | None
    error: str | None


class LiveFacts(TypedDict):
    """The facts about one live connection, JSON-ready (the ``live`` entries of a report)."""

    endpoint: str
    server_name: str | None
    starttls: str | None
    tls_version: str
    cipher: str
    alpn: str | None
    certificates: int
    client_cert_requested: bool
    acceptable_client_ca_names: list[str]
    client_cert_sent: bool
    client_cert_rejected: bool
    without_sni: NoSniFacts | None
    ocsp: StapleFacts
    notes: list[str]


def live_findings(chain: LiveChain, report: Report | None = None) -> list[Finding]:
    """The ``ocsp-revoked``, ``ocsp-unusable`` and ``sni-differs`` findings for ``chain``.

    ``report`` (the diagnosis of a bundle holding the chain) supplies the leaf's issuer, which
    may be a trust anchor the server does not send, and the validation time (``--at``).
    """
    findings: list[Finding] = []
    leaf = _entry(chain.certificates_der[0], chain) if chain.certificates_der else None
    if leaf is None:
        return findings
    staple = staple_for(chain, report)
    who = f"{chain.endpoint.label} staples"
    if staple.status == "revoked" and staple.for_leaf is not False and staple.signed_by != "bad":
        when = staple.revocation_time.strftime("%Y-%m-%d %H:%M UTC") if staple.revocation_time else "an unknown date"
        reason = f" (reason: {staple.revocation_reason})" if staple.revocation_reason else ""
        unchecked = staple.signed_by == "unchecked"
        unsigned = " Its signature could not be checked: the issuer is not known." if unchecked else ""
        findings.append(Finding(Code.OCSP_REVOKED, (leaf.sha256,),
                                f"The OCSP response {who} says {_name(leaf)} was revoked on {when}{reason}: "
                                f"clients that read the staple refuse the connection.{unsigned}"))
    elif staple.problems:
        findings.append(Finding(Code.OCSP_UNUSABLE, (leaf.sha256,),
                                f"The OCSP response {who} for {_name(leaf)} cannot be used: "
                                f"{'; '.join(staple.problems)}. Clients that require a valid staple refuse the "
                                "connection; others ignore it and ask the CA's responder themselves."))
    if chain.sni_differs and chain.no_sni_leaf_der is not None:
        plain = _entry(chain.no_sni_leaf_der, chain)
        plain_name = _name(plain) if plain is not None else "a certificate chaindoctor cannot read"
        plain_sha = plain.sha256 if plain is not None else hashlib.sha256(chain.no_sni_leaf_der).hexdigest()
        findings.append(Finding(Code.SNI_DIFFERS, (leaf.sha256, plain_sha),
                                f"Without a server name (SNI), {chain.endpoint.label} sends {plain_name} instead "
                                f"of {_name(leaf)} (sent for '{chain.server_name}'): clients that send no SNI get "
                                "the other certificate, a classic cause of \"works in the browser, fails in an "
                                "old client\"."))
    return findings


def add_live_findings(report: Report, chains: Iterable[LiveChain]) -> None:
    """Merge :func:`live_findings` of each chain into ``report``, keeping errors first."""
    for chain in chains:
        report.findings.extend(live_findings(chain, report))
    order = [Severity.ERROR, Severity.WARNING, Severity.INFO]
    report.findings.sort(key=lambda f: order.index(Severity(f.severity)))


def live_facts(chain: LiveChain, report: Report | None = None) -> LiveFacts:
    """The JSON-ready facts about ``chain``'s connection, the OCSP staple judged as in live_findings."""
    without: NoSniFacts | None = None
    if chain.no_sni_leaf_der is not None:
        plain = _entry(chain.no_sni_leaf_der, chain)
        without = {"same": not chain.sni_differs, "sha256": hashlib.sha256(chain.no_sni_leaf_der).hexdigest(),
                   "subject": plain.subject if plain is not None else None, "error": None}
    elif chain.no_sni_error is not None:
        without = {"same": None, "sha256": None, "subject": None, "error": chain.no_sni_error}
    return {
        "endpoint": chain.endpoint.label, "server_name": chain.server_name, "starttls": chain.starttls,
        "tls_version": chain.tls_version, "cipher": chain.cipher, "alpn": chain.alpn,
        "certificates": len(chain.certificates_der), "client_cert_requested": chain.client_cert_requested,
        "acceptable_client_ca_names": list(chain.acceptable_client_ca_names),
        "client_cert_sent": chain.client_cert_sent, "client_cert_rejected": chain.client_cert_rejected,
        "without_sni": without, "ocsp": staple_for(chain, report).to_json(), "notes": list(chain.notes),
    }


def describe(facts: LiveFacts) -> list[str]:
    """Plain sentences about one connection, for the text report and the app's live panel.

    ``127.0.0.1:8443 sent 3 certificates over TLSv1.3 (TLS_AES_256_GCM_SHA384), ALPN h2, SNI api.example``,
    then the OCSP staple, what is served without SNI, and whose client certificates the server asks for.
    Certificate-derived text is returned as it is: callers make it inert.
    """
    count = facts["certificates"]
    head = (f"{facts['endpoint']} sent {count} certificate{'s' if count != 1 else ''} over {facts['tls_version']} "
            f"({facts['cipher']})")
    if facts["starttls"]:
        head += f" after STARTTLS ({facts['starttls']})"
    head += f", ALPN {facts['alpn']}" if facts["alpn"] else ", no ALPN"
    head += f", SNI {facts['server_name']}" if facts["server_name"] else ", no SNI sent"
    lines = [head + "."]
    ocsp = facts["ocsp"]
    if not ocsp["stapled"]:
        lines.append("No OCSP response was stapled.")
    else:
        status = ocsp["status"] or ocsp["response_status"] or "unreadable"
        problems = "; ".join(ocsp["problems"])
        lines.append(f"Stapled OCSP response: {status}" + (f" — not usable: {problems}." if problems else
                                                           f", valid until {ocsp['next_update'] or 'unstated'}."))
    without = facts["without_sni"]
    if without is not None:
        if without["error"]:
            lines.append(f"Without SNI: {without['error']}.")
        elif without["same"] is False:
            lines.append(f"Without SNI the server sends another certificate: '{without['subject']}'.")
        else:
            lines.append("Without SNI the server sends the same certificate.")
    if facts["client_cert_requested"]:
        names = facts["acceptable_client_ca_names"]
        lines.append("The server asks for a client certificate" + (", issued by one of:" if names else
                                                                  " (it names no acceptable CA)."))
        lines += [f"  - {n}" for n in names]
    lines += facts["notes"]
    return lines


def staple_for(chain: LiveChain, report: Report | None = None) -> Staple:
    """The chain's OCSP staple judged for its first certificate, with the best issuer known."""
    leaf = _entry(chain.certificates_der[0], chain) if chain.certificates_der else None
    if leaf is None:
        return Staple(stapled=chain.ocsp_staple is not None, size=len(chain.ocsp_staple or b""),
                      problems=("the server's certificate cannot be read",) if chain.ocsp_staple else ())
    if chain.ocsp_error is not None:
        problem = f"it cannot be parsed (OpenSSL ended the handshake: {chain.ocsp_error})"
        return Staple(stapled=True, problems=(problem,))
    at = report.policy.when if report is not None else datetime.now(UTC).replace(microsecond=0)
    issuer = _issuer(leaf, chain, report)
    return check_staple(chain.ocsp_staple, leaf.cert, issuer.cert if issuer else None, at)


def _entry(der: bytes, chain: LiveChain) -> CertEntry | None:
    try:
        return cert_from_der(der, Origin(chain.endpoint.label, container="live"))
    except LoadError:
        return None


def _name(entry: CertEntry) -> str:
    return f"'{shorten(entry.subject, _NAME_WIDTH)}'"


def _issuer(leaf: CertEntry, chain: LiveChain, report: Report | None) -> CertEntry | None:
    """The leaf's issuer: from the report's path or signer graph, else among the served certificates."""
    if report is not None:
        if report.leaf is not None and report.leaf.sha256 == leaf.sha256 and len(report.chain) > 1:
            return report.chain[1]
        same = next((e for e in report.bundle.certs if e.sha256 == leaf.sha256), None)
        issuers = report.graph.issuers(same) if same is not None else []
        if issuers:
            return issuers[0]
    for der in chain.certificates_der[1:]:
        candidate = _entry(der, chain)
        if candidate is None:
            continue
        try:
            leaf.cert.verify_directly_issued_by(candidate.cert)
        except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
            continue
        return candidate
    return None
