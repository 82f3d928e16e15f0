"""The bundle: certificates and keys as loaded, each with where it came from."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import ExtensionOID

_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class Origin:
    """Where a certificate or key came from: a file and line, a container index, a URL."""

    source: str
    line: int | None = None
    index: int | None = None
    container: str = "pem"  # pem | der | pkcs7 | pkcs12 | live | aia | store | search

    @property
    def label(self) -> str:
        """A short human locator such as ``bundle.pem:12`` or ``chain.p7b#2``."""
        if self.line is not None:
            return f"{self.source}:{self.line}"
        if self.index is not None:
            return f"{self.source}#{self.index}"
        return self.source

    @property
    def ordered(self) -> bool:
        """Whether the container keeps an order worth judging (PKCS#7/#12 are sets)."""
        return self.container not in ("pkcs7", "pkcs12")


@dataclass(frozen=True, eq=False)
class CertEntry:
    """One certificate with its DER bytes, fingerprint and provenance."""

    cert: x509.Certificate
    der: bytes
    origin: Origin

    @classmethod
    def from_cert(cls, cert: x509.Certificate, origin: Origin) -> CertEntry:
        return cls(cert, cert.public_bytes(serialization.Encoding.DER), origin)

    @classmethod
    def from_der(cls, der: bytes, origin: Origin) -> CertEntry:
        return cls(x509.load_der_x509_certificate(der), der, origin)

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.der).hexdigest()

    @cached_property
    def subject_der(self) -> bytes:
        """The subject Name exactly as encoded in the certificate."""
        names = _raw_names(self.der)
        return names[1] if names else self.cert.subject.public_bytes()

    @cached_property
    def issuer_der(self) -> bytes:
        """The issuer Name exactly as encoded in the certificate."""
        names = _raw_names(self.der)
        return names[0] if names else self.cert.issuer.public_bytes()

    @cached_property
    def subject(self) -> str:
        return _name(self.cert.subject)

    @cached_property
    def issuer(self) -> str:
        return _name(self.cert.issuer)

    @cached_property
    def spki(self) -> bytes:
        """The SubjectPublicKeyInfo; a key this build cannot parse gets a unique stand-in."""
        try:
            return self.cert.public_key().public_bytes(*_SPKI)
        except Exception:  # noqa: BLE001 - unsupported or malformed keys raise various types
            return b"unparsable-key:" + self.sha256.encode()

    @cached_property
    def self_issued(self) -> bool:
        return self.subject_der == self.issuer_der

    @cached_property
    def ski(self) -> bytes | None:
        ext = _ext(self.cert, ExtensionOID.SUBJECT_KEY_IDENTIFIER)
        return ext.value.digest if ext is not None else None

    @cached_property
    def aki(self) -> bytes | None:
        ext = _ext(self.cert, ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
        return ext.value.key_identifier if ext is not None else None

    @cached_property
    def basic_constraints(self) -> x509.BasicConstraints | None:
        ext = _ext(self.cert, ExtensionOID.BASIC_CONSTRAINTS)
        return ext.value if ext is not None else None

    @cached_property
    def is_ca(self) -> bool:
        bc = self.basic_constraints
        return bool(bc is not None and bc.ca)

    @cached_property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CertEntry) and other.der == self.der

    def __hash__(self) -> int:
        return hash(self.der)


@dataclass(frozen=True)
class KeyEntry:
    """A private key as found in the input; an encrypted key is noted, not decrypted."""

    pem: str
    origin: Origin
    kind: str  # e.g. "PKCS#8", "PKCS#1 RSA", "SEC1 EC"
    encrypted: bool = False
    spki: bytes | None = None  # the matching public key, when the key could be read

    @classmethod
    def from_key(cls, key: PrivateKeyTypes, origin: Origin, kind: str, pem: str | None = None) -> KeyEntry:
        text = pem or key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")
        return cls(text, origin, kind, False, key.public_key().public_bytes(*_SPKI))


@dataclass(frozen=True)
class Unreadable:
    """A block or file that could not be parsed, with where it was."""

    source: str
    line: int | None
    reason: str

    @property
    def label(self) -> str:
        return f"{self.source}:{self.line}" if self.line is not None else self.source


@dataclass(frozen=True)
class Bundle:
    """Everything loaded from one or more sources, in load order."""

    certs: tuple[CertEntry, ...] = ()
    keys: tuple[KeyEntry, ...] = ()
    unreadable: tuple[Unreadable, ...] = ()
    sources: tuple[str, ...] = field(default=())

    @cached_property
    def ordered(self) -> bool:
        """Whether the served order is meaningful (no PKCS#7/#12 set among the inputs)."""
        return all(c.origin.ordered for c in self.certs)

    def merge(self, other: Bundle) -> Bundle:
        return Bundle(
            self.certs + other.certs,
            self.keys + other.keys,
            self.unreadable + other.unreadable,
            self.sources + other.sources,
        )

    def with_certs(self, certs: tuple[CertEntry, ...]) -> Bundle:
        return Bundle(certs, self.keys, self.unreadable, self.sources)


def _ext(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> x509.Extension | None:
    try:
        return cert.extensions.get_extension_for_oid(oid)
    except Exception:  # noqa: BLE001 - absent, duplicated or malformed extensions all read as "none"
        return None


def ext_value(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> object | None:
    """The value of an extension, or None when absent or malformed."""
    ext = _ext(cert, oid)
    return ext.value if ext is not None else None


def ext_critical(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> bool | None:
    ext = _ext(cert, oid)
    return ext.critical if ext is not None else None


def _tlv(der: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, value start, value end) of the DER element at ``pos``."""
    tag, first = der[pos], der[pos + 1]
    if first < 0x80:
        return tag, pos + 2, pos + 2 + first
    n = first & 0x7F
    start = pos + 2 + n
    return tag, start, start + int.from_bytes(der[pos + 2:start], "big")


def _raw_names(der: bytes) -> tuple[bytes, bytes] | None:
    """(issuer, subject) Name encodings sliced from a certificate's DER, without building objects."""
    try:
        _, tbs, _ = _tlv(der, 0)  # Certificate ::= SEQUENCE { tbsCertificate, ... }
        _, pos, _ = _tlv(der, tbs)  # TBSCertificate ::= SEQUENCE {
        tag, _, end = _tlv(der, pos)
        if tag == 0xA0:  # [0] version
            pos = end
            tag, _, end = _tlv(der, pos)
        _, _, pos = _tlv(der, end)  # serialNumber, then signature AlgorithmIdentifier
        _, _, issuer_end = _tlv(der, pos)
        issuer = der[pos:issuer_end]
        _, _, subject_start = _tlv(der, issuer_end)  # validity
        _, _, subject_end = _tlv(der, subject_start)
        subject = der[subject_start:subject_end]
    except IndexError:
        return None
    if issuer[:1] != b"\x30" or subject[:1] != b"\x30" or subject_end > len(der):
        return None
    return issuer, subject


def _name(name: x509.Name) -> str:
    try:
        return name.rfc4514_string()
    except Exception:  # noqa: BLE001 - damaged attribute values
        return repr(name)
