"""Judging a stapled OCSP response: which certificate it is about, what it says, who signed it, how fresh.

A server may staple its CA's OCSP response to the handshake (RFC 6066 §8, "status_request") so
that clients need not ask the CA. :func:`check_staple` reads the response with cryptography's
``x509.ocsp`` and says what a client that checks staples would conclude (RFC 6960):

- it must be about the server's certificate: the CertID's serial number, and the hashes of the
  issuer's name and key, must match the leaf and its issuer (§4.1.1);
- its signature must verify with the issuer's key, or with a delegated responder certificate
  included in the response, issued directly by the issuer and carrying id-kp-OCSPSigning (§4.2.2.2);
- thisUpdate must not be in the future and nextUpdate, when present, not in the past (§4.2.2.1),
  with five minutes of leeway for clock skew, as curl allows (lib/vtls/openssl.c verifystatus:
  ``OCSP_check_validity(thisupd, nextupd, 300L, -1L)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, TypedDict

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

__all__ = ["SKEW", "Staple", "StapleFacts", "check_staple"]

SKEW = timedelta(minutes=5)
"""Clock skew allowed on thisUpdate and nextUpdate (curl's 300 seconds)."""

MAX_SINGLE_RESPONSES = 64
MAX_INCLUDED_CERTS = 16

CertStatus = Literal["good", "revoked", "unknown"]
SignedBy = Literal["issuer", "delegated", "unknown-signer", "bad", "unchecked"]

_RESPONSE_STATUS = {
    ocsp.OCSPResponseStatus.SUCCESSFUL: "successful",
    ocsp.OCSPResponseStatus.MALFORMED_REQUEST: "malformedRequest",
    ocsp.OCSPResponseStatus.INTERNAL_ERROR: "internalError",
    ocsp.OCSPResponseStatus.TRY_LATER: "tryLater",
    ocsp.OCSPResponseStatus.SIG_REQUIRED: "sigRequired",
    ocsp.OCSPResponseStatus.UNAUTHORIZED: "unauthorized",
}
_CERT_STATUS: dict[ocsp.OCSPCertStatus, CertStatus] = {
    ocsp.OCSPCertStatus.GOOD: "good",
    ocsp.OCSPCertStatus.REVOKED: "revoked",
    ocsp.OCSPCertStatus.UNKNOWN: "unknown",
}


class StapleFacts(TypedDict):
    """The JSON form of a :class:`Staple`."""

    stapled: bool
    size: int
    response_status: str | None
    status: CertStatus | None
    revocation_time: str | None
    revocation_reason: str | None
    this_update: str | None
    next_update: str | None
    produced_at: str | None
    serial: str | None
    for_leaf: bool | None
    signed_by: SignedBy | None
    responder: str | None
    problems: list[str]
    usable: bool


@dataclass(frozen=True)
class Staple:
    """What a stapled OCSP response says, and what stops a client from using it.

    ``for_leaf`` is None when only the serial could be compared (the issuer is not known).
    ``signed_by``: ``issuer``, ``delegated`` (a responder certificate the issuer signed), ``bad``
    (the signature does not verify, or the signer is not authorised), ``unknown-signer`` (it
    names a responder that is neither), ``unchecked`` (no issuer to check it with).
    ``problems`` are plain sentences; a staple with none is usable.
    """

    stapled: bool
    size: int = 0
    response_status: str | None = None
    status: CertStatus | None = None
    revocation_time: datetime | None = None
    revocation_reason: str | None = None
    this_update: datetime | None = None
    next_update: datetime | None = None
    produced_at: datetime | None = None
    serial: int | None = None
    for_leaf: bool | None = None
    signed_by: SignedBy | None = None
    responder: str | None = None
    problems: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        return self.stapled and not self.problems

    def to_json(self) -> StapleFacts:
        return {
            "stapled": self.stapled, "size": self.size, "response_status": self.response_status,
            "status": self.status, "revocation_time": _iso(self.revocation_time),
            "revocation_reason": self.revocation_reason, "this_update": _iso(self.this_update),
            "next_update": _iso(self.next_update), "produced_at": _iso(self.produced_at),
            "serial": None if self.serial is None else f"{self.serial:x}", "for_leaf": self.for_leaf,
            "signed_by": self.signed_by, "responder": self.responder, "problems": list(self.problems),
            "usable": self.usable,
        }


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_staple(der: bytes | None, leaf: x509.Certificate, issuer: x509.Certificate | None,
                 at: datetime) -> Staple:
    """Judge the stapled response ``der`` (None: nothing stapled) for ``leaf`` at time ``at``.

    ``issuer`` is the certificate that signed the leaf, when chaindoctor knows it; without it the
    CertID's issuer hashes and the signature cannot be checked, and the staple says so.
    """
    if not der:
        return Staple(stapled=False)
    try:
        response = ocsp.load_der_ocsp_response(der)
    except ValueError as exc:
        return Staple(stapled=True, size=len(der), problems=(f"it cannot be parsed ({_first_line(exc)})",))
    status = _RESPONSE_STATUS.get(response.response_status, str(response.response_status))
    if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        return Staple(stapled=True, size=len(der), response_status=status,
                      problems=(f"the responder answered {status} instead of a certificate status",))
    single, for_leaf = _single_for(response, leaf, issuer)
    problems: list[str] = []
    if for_leaf is False:
        problems.append(f"it is about another certificate (serial {single.serial_number:x}, "
                        f"not the server's {leaf.serial_number:x})")
    signed_by, responder, signature_problem = _signature(response, issuer, at)
    if signature_problem:
        problems.append(signature_problem)
    cert_status = _CERT_STATUS[single.certificate_status]
    if cert_status == "unknown":
        problems.append("the responder says it does not know the certificate (status unknown)")
    this_update, next_update = single.this_update_utc, single.next_update_utc
    if this_update > at + SKEW:
        problems.append(f"it is not valid yet: thisUpdate is {_iso(this_update)}")
    if next_update is not None and next_update < at - SKEW:
        problems.append(f"it is stale: its nextUpdate, {_iso(next_update)}, has passed")
    reason = single.revocation_reason
    return Staple(
        stapled=True, size=len(der), response_status=status, status=cert_status,
        revocation_time=single.revocation_time_utc,
        revocation_reason=reason.value if reason is not None else None,
        this_update=this_update, next_update=next_update, produced_at=response.produced_at_utc,
        serial=single.serial_number, for_leaf=for_leaf, signed_by=signed_by, responder=responder,
        problems=tuple(problems),
    )


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _single_for(response: ocsp.OCSPResponse, leaf: x509.Certificate,
                issuer: x509.Certificate | None) -> tuple[ocsp.OCSPSingleResponse, bool | None]:
    """The SingleResponse about ``leaf`` (else the first one) and whether its CertID matches.

    Without the issuer only the serial is compared, and a match is reported as None (unsure).
    """
    first: ocsp.OCSPSingleResponse | None = None
    for n, single in enumerate(response.responses):
        if n >= MAX_SINGLE_RESPONSES:
            break
        first = first or single
        if single.serial_number != leaf.serial_number:
            continue
        if issuer is None:
            return single, None
        if _issuer_hashes_match(single, leaf, issuer):
            return single, True
    assert first is not None  # a successful response holds at least one SingleResponse
    return first, False


def _issuer_hashes_match(single: ocsp.OCSPSingleResponse, leaf: x509.Certificate, issuer: x509.Certificate) -> bool:
    """The CertID's issuerNameHash and issuerKeyHash, recomputed with its own hash algorithm."""
    try:
        request = ocsp.OCSPRequestBuilder().add_certificate(leaf, issuer, single.hash_algorithm).build()
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return (request.issuer_name_hash == single.issuer_name_hash
            and request.issuer_key_hash == single.issuer_key_hash)


def _names_responder(response: ocsp.OCSPResponse, cert: x509.Certificate) -> bool:
    """Whether the ResponderID (by name or by key hash) designates ``cert``."""
    if response.responder_name is not None:
        return response.responder_name == cert.subject
    try:  # byKey: the SHA-1 of the subjectPublicKey BIT STRING, as in a subjectKeyIdentifier
        digest = x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return digest == response.responder_key_hash


def _signature(response: ocsp.OCSPResponse, issuer: x509.Certificate | None,
               at: datetime) -> tuple[SignedBy, str | None, str | None]:
    """Who signed the response, the delegated responder's subject, and the problem if any."""
    included = list(response.certificates)[:MAX_INCLUDED_CERTS]
    if issuer is not None and _names_responder(response, issuer):
        if _verifies(issuer.public_key(), response):
            return "issuer", None, None
        return "bad", None, "its signature does not verify with the issuer's key"
    delegate = next((c for c in included if _names_responder(response, c)), None)
    if delegate is None:
        if issuer is None:
            return "unchecked", None, None
        return ("unknown-signer", None,
                "it is signed by a responder that is neither the issuer nor a certificate included in it")
    who = delegate.subject.rfc4514_string()
    if not _verifies(delegate.public_key(), response):
        return "bad", who, f"its signature does not verify with the key of the responder certificate {who}"
    if issuer is None:
        return "unchecked", who, None
    try:
        delegate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return "bad", who, f"its responder certificate {who} was not issued by the server certificate's issuer"
    if not _may_sign_ocsp(delegate):
        return "bad", who, f"its responder certificate {who} lacks the OCSP signing extended key usage"
    if not delegate.not_valid_before_utc <= at <= delegate.not_valid_after_utc:
        return "bad", who, f"its responder certificate {who} is outside its validity period"
    return "delegated", who, None


def _may_sign_ocsp(cert: x509.Certificate) -> bool:
    try:
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except (x509.ExtensionNotFound, ValueError):
        return False
    return ExtendedKeyUsageOID.OCSP_SIGNING in usage


def _verifies(key: object, response: ocsp.OCSPResponse) -> bool:
    """Whether ``key`` signed the response (RSA PKCS#1 v1.5, ECDSA, DSA, Ed25519, Ed448)."""
    data, signature = response.tbs_response_bytes, response.signature
    try:
        algorithm = response.signature_hash_algorithm
        if isinstance(key, rsa.RSAPublicKey) and isinstance(algorithm, hashes.HashAlgorithm):
            key.verify(signature, data, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(algorithm, hashes.HashAlgorithm):
            key.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(key, dsa.DSAPublicKey) and isinstance(algorithm, hashes.HashAlgorithm):
            key.verify(signature, data, algorithm)
        elif isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
            key.verify(signature, data)
        else:
            return False
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True
