"""Plain facts about one certificate for the details pane: names, dates, keys, extensions (no Textual)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID, NameOID

from ..pki.checks import san
from ..pki.diagnose import validity_state
from ..pki.model import CertEntry, ext_value
from ..pki.vocabulary import Validity

_UNITS = (("year", 365 * 86400), ("month", 30 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60))


def span(seconds: float) -> str:
    """``3 days``, ``2 years``, ``1 hour``: the largest whole unit, rounded down."""
    seconds = abs(seconds)
    for unit, size in _UNITS:
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return "less than a minute"


def relative(when: datetime, now: datetime) -> str:
    """``in 3 days`` or ``2 years ago``."""
    delta = (when - now).total_seconds()
    return f"in {span(delta)}" if delta >= 0 else f"{span(delta)} ago"


def validity(entry: CertEntry, now: datetime) -> tuple[Validity, str]:
    """(state, phrase): ``(EXPIRED, "expired 2 years ago")``, ``(VALID, "expires in 99 years")``..."""
    cert = entry.cert
    state = validity_state(entry, now)
    if state is Validity.NOT_YET_VALID:
        return state, f"not valid yet: starts {relative(cert.not_valid_before_utc, now)}"
    if state is Validity.EXPIRED:
        return state, f"expired {relative(cert.not_valid_after_utc, now)}"
    return state, f"expires {relative(cert.not_valid_after_utc, now)}"


def short_name(entry: CertEntry) -> str:
    """The common name when there is one (what people call a certificate), else the whole subject."""
    try:
        attrs = entry.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    except ValueError:
        attrs = []
    value = attrs[0].value if attrs else None
    return value if isinstance(value, str) and value else (entry.subject or "(empty subject)")


def key_description(cert: x509.Certificate) -> str:
    try:
        key = cert.public_key()
    except Exception:  # noqa: BLE001 - unknown key types raise their own errors
        return "unknown key type"
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size} bits"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name} ({key.key_size} bits)"
    if isinstance(key, dsa.DSAPublicKey):
        return f"DSA {key.key_size} bits"
    names = {ed25519.Ed25519PublicKey: "Ed25519", ed448.Ed448PublicKey: "Ed448",
             x25519.X25519PublicKey: "X25519", x448.X448PublicKey: "X448"}
    return next((label for kind, label in names.items() if isinstance(key, kind)), type(key).__name__)


def signature_algorithm(cert: x509.Certificate) -> str:
    oid = cert.signature_algorithm_oid
    name = getattr(oid, "_name", "")
    return name if name and name != "Unknown OID" else oid.dotted_string


def hex_id(value: bytes | None) -> str:
    return ":".join(f"{b:02X}" for b in value) if value else "—"


def fingerprints(entry: CertEntry) -> tuple[str, str]:
    """(SHA-256, SHA-1) fingerprints as colon-separated hex."""
    return hex_id(bytes.fromhex(entry.sha256)), hex_id(hashlib.sha1(entry.der, usedforsecurity=False).digest())


def basic_constraints(entry: CertEntry) -> str:
    bc = entry.basic_constraints
    if bc is None:
        return "absent"
    text = "CA:TRUE" if bc.ca else "CA:FALSE"
    if bc.ca and bc.path_length is not None:
        text += f", pathlen:{bc.path_length}"
    return text


_KU_FLAGS = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
             "key_agreement", "key_cert_sign", "crl_sign")


def key_usage(cert: x509.Certificate) -> str:
    ku = ext_value(cert, ExtensionOID.KEY_USAGE)
    if not isinstance(ku, x509.KeyUsage):
        return "—"
    flags = [f for f in _KU_FLAGS if getattr(ku, f)]
    if ku.key_agreement:
        flags += [f for f in ("encipher_only", "decipher_only") if getattr(ku, f)]
    return ", ".join(_camel(f) for f in flags) or "none"


def _camel(flag: str) -> str:
    head, *rest = flag.split("_")
    return head + "".join(p.title() for p in rest)


def extended_key_usage(cert: x509.Certificate) -> str:
    eku = ext_value(cert, ExtensionOID.EXTENDED_KEY_USAGE)
    if not isinstance(eku, x509.ExtendedKeyUsage):
        return "— (any purpose)"
    names = []
    for oid in eku:
        name = getattr(oid, "_name", "")
        names.append(name if name and name != "Unknown OID" else oid.dotted_string)
    return ", ".join(names) or "none"


def alt_names(cert: x509.Certificate) -> list[str]:
    """Every subjectAltName entry as ``DNS:x``, ``IP:x``, ``email:x``, ``URI:x``."""
    ext = san(cert)
    if ext is None:
        return []
    out: list[str] = []
    for general in ext:
        if isinstance(general, x509.DNSName):
            out.append(f"DNS:{general.value}")
        elif isinstance(general, x509.IPAddress):
            out.append(f"IP:{general.value}")
        elif isinstance(general, x509.RFC822Name):
            out.append(f"email:{general.value}")
        elif isinstance(general, x509.UniformResourceIdentifier):
            out.append(f"URI:{general.value}")
        else:
            out.append(f"{type(general).__name__}:{general.value}")
    return out


def access_urls(cert: x509.Certificate) -> tuple[list[str], list[str], list[str]]:
    """(caIssuers, OCSP, CRL distribution point) URLs."""
    issuers: list[str] = []
    ocsp: list[str] = []
    aia = ext_value(cert, ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
    if isinstance(aia, x509.AuthorityInformationAccess):
        for desc in aia:
            loc = desc.access_location
            if not isinstance(loc, x509.UniformResourceIdentifier):
                continue
            if desc.access_method == AuthorityInformationAccessOID.CA_ISSUERS:
                issuers.append(loc.value)
            elif desc.access_method == AuthorityInformationAccessOID.OCSP:
                ocsp.append(loc.value)
    crls: list[str] = []
    cdp = ext_value(cert, ExtensionOID.CRL_DISTRIBUTION_POINTS)
    if isinstance(cdp, x509.CRLDistributionPoints):
        for point in cdp:
            for name in point.full_name or []:
                if isinstance(name, x509.UniformResourceIdentifier):
                    crls.append(name.value)
    return issuers, ocsp, crls
