"""The bundle: certificates and keys as loaded, each with where it came from."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import ExtensionOID

from .der import raw_extensions, raw_names, tbs_layout, with_only
from .names import canonical

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


class Origin(NamedTuple):
    """Where a certificate or key came from: a file and line, a container index, a URL."""

    source: str
    line: int | None = None
    index: int | None = None  # type: ignore[assignment]  # a NamedTuple field may shadow tuple.index
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
    def described(self) -> str:
        """Where it came from, in words: ``search path pool/inter.pem:1``, ``AIA http://…``, ``bundle.pem:12``."""
        kind = {"search": "search path", "store": "trust store", "aia": "AIA"}.get(self.container, "")
        return f"{kind} {self.label}".strip()

    @property
    def ordered(self) -> bool:
        """Whether the container keeps an order worth judging (PKCS#7/#12 are sets)."""
        return self.container not in ("pkcs7", "pkcs12")


class CertEntry:
    """One certificate with its DER bytes, fingerprint and provenance; equal to another with the same DER.

    Its facts (fingerprint, names, key, extensions) are computed once, when first asked for.
    """

    def __init__(self, cert: x509.Certificate, der: bytes, origin: Origin) -> None:
        self.cert = cert
        self.der = der
        self.origin = origin

    def __repr__(self) -> str:
        return f"CertEntry({self.subject!r}, {self.origin.label!r})"

    @classmethod
    def from_cert(cls, cert: x509.Certificate, origin: Origin) -> CertEntry:
        return cls(cert, _der_of(cert), origin)

    @cached_property
    def sha256(self) -> str:
        digest = hashes.Hash(hashes.SHA256())
        digest.update(self.der)
        return digest.finalize().hex()

    @cached_property
    def subject_der(self) -> bytes:
        """The subject Name exactly as encoded in the certificate."""
        names = raw_names(self.der)
        return names[1] if names else self.cert.subject.public_bytes()

    @cached_property
    def issuer_der(self) -> bytes:
        """The issuer Name exactly as encoded in the certificate."""
        names = raw_names(self.der)
        return names[0] if names else self.cert.issuer.public_bytes()

    @cached_property
    def subject_key(self) -> bytes:
        """The subject in the canonical form names are matched by (RFC 5280 §7.1, as OpenSSL does)."""
        return canonical(self.subject_der)

    @cached_property
    def issuer_key(self) -> bytes:
        """The issuer name in the canonical form names are matched by."""
        return canonical(self.issuer_der)

    @cached_property
    def subject(self) -> str:
        return _name(self.cert.subject)

    @cached_property
    def issuer(self) -> str:
        return _name(self.cert.issuer)

    @cached_property
    def not_before(self) -> datetime:
        """Start of validity; a time Python cannot represent (the year 0) reads as the earliest one."""
        return _time(lambda: self.cert.not_valid_before_utc)

    @cached_property
    def not_after(self) -> datetime:
        """End of validity; a time Python cannot represent (the year 0) reads as the earliest one."""
        return _time(lambda: self.cert.not_valid_after_utc)

    def valid_at(self, at: datetime) -> bool:
        return self.not_before <= at <= self.not_after

    @cached_property
    def spki(self) -> bytes:
        """The SubjectPublicKeyInfo exactly as encoded in the certificate (the key that issuer and
        subject comparisons use); a certificate whose layout cannot be read gets a unique stand-in."""
        layout = tbs_layout(self.der)
        return self.der[slice(*layout.spki)] if layout is not None else b"unreadable-key:" + self.sha256.encode()

    @cached_property
    def key_spki(self) -> bytes:
        """The public key re-encoded the way a private key's public half is (:attr:`KeyEntry.spki`), for
        telling which certificate a private key belongs to; a key this build cannot parse gets a stand-in."""
        try:
            return self.cert.public_key().public_bytes(*_spki_format())
        except Exception:  # noqa: BLE001 - unsupported or malformed keys raise various types
            return b"unparsable-key:" + self.sha256.encode()

    @cached_property
    def self_issued(self) -> bool:
        """Subject and issuer are the same name (RFC 5280 §3.2 "self-issued")."""
        return self.subject_key == self.issuer_key

    @cached_property
    def ski(self) -> bytes | None:
        value = ext_value(self.cert, ExtensionOID.SUBJECT_KEY_IDENTIFIER)
        return value.digest if isinstance(value, x509.SubjectKeyIdentifier) else None

    @cached_property
    def aki(self) -> bytes | None:
        value = ext_value(self.cert, ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
        return value.key_identifier if isinstance(value, x509.AuthorityKeyIdentifier) else None

    @cached_property
    def basic_constraints(self) -> x509.BasicConstraints | None:
        value = ext_value(self.cert, ExtensionOID.BASIC_CONSTRAINTS)
        return value if isinstance(value, x509.BasicConstraints) else None

    @cached_property
    def is_ca(self) -> bool:
        bc = self.basic_constraints
        return bool(bc is not None and bc.ca)

    @cached_property
    def pem(self) -> str:
        body = base64.encodebytes(self.der).decode("ascii").replace("\n", "")
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CertEntry) and other.der == self.der

    def __hash__(self) -> int:
        return hash(self.der)


class KeyEntry(NamedTuple):
    """A private key as found in the input; an encrypted key is noted, not decrypted."""

    pem: str
    origin: Origin
    kind: str  # e.g. "PKCS#8", "PKCS#1 RSA", "SEC1 EC"
    encrypted: bool = False
    spki: bytes | None = None  # the matching public key, when the key could be read

    @classmethod
    def from_key(cls, key: PrivateKeyTypes, origin: Origin, kind: str, pem: str | None = None) -> KeyEntry:
        from cryptography.hazmat.primitives import serialization

        text = pem or key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")
        return cls(text, origin, kind, False, key.public_key().public_bytes(*_spki_format()))


class Unreadable(NamedTuple):
    """A block or file that could not be parsed, with where it was."""

    source: str
    line: int | None
    reason: str

    @property
    def label(self) -> str:
        return f"{self.source}:{self.line}" if self.line is not None else self.source


class Bundle:
    """Everything loaded from one or more sources, in load order (equal to another with the same contents)."""

    def __init__(self, certs: tuple[CertEntry, ...] = (), keys: tuple[KeyEntry, ...] = (),
                 unreadable: tuple[Unreadable, ...] = (), sources: tuple[str, ...] = ()) -> None:
        self.certs = certs
        self.keys = keys
        self.unreadable = unreadable
        self.sources = sources

    def _contents(self) -> tuple[object, ...]:
        return self.certs, self.keys, self.unreadable, self.sources

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bundle) and other._contents() == self._contents()

    def __hash__(self) -> int:
        return hash(self._contents())

    def __repr__(self) -> str:
        return f"Bundle({len(self.certs)} certificates, {len(self.keys)} keys, {len(self.unreadable)} unreadable)"

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


EARLIEST = datetime.min.replace(tzinfo=UTC)


def _time(read: Callable[[], datetime]) -> datetime:
    try:
        return read()
    except ValueError:  # e.g. GeneralizedTime 00000101000000Z: "year 0 is out of range"
        return EARLIEST


def _ext(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> x509.Extension[x509.ExtensionType] | None:
    try:
        return cert.extensions.get_extension_for_oid(oid)
    except x509.ExtensionNotFound:
        return None
    except Exception:  # noqa: BLE001 - one unreadable extension fails the whole set: read them one by one
        return extensions_one_by_one(cert).get(oid.dotted_string)


@lru_cache(maxsize=256)
def extensions_one_by_one(cert: x509.Certificate) -> dict[str, x509.Extension[x509.ExtensionType]]:
    """The extensions cryptography can read, each on its own, by dotted OID.

    Used when the set as a whole does not parse. An extension that fails alone, or that occurs
    more than once, is left out (it reads as absent, as it does for OpenSSL's extension cache).
    """
    der = _der_of(cert)
    layout = tbs_layout(der)
    if layout is None:
        return {}
    found: dict[str, x509.Extension[x509.ExtensionType]] = {}
    repeated: set[str] = set()
    seen: set[str] = set()
    for raw in raw_extensions(der, layout):
        dotted = _dotted(raw.oid)
        (repeated if dotted in seen else seen).add(dotted)
        try:
            ext = x509.load_der_x509_certificate(with_only(der, layout, raw)).extensions[0]
        except Exception:  # noqa: BLE001 - this one extension is malformed or unsupported
            continue
        found.setdefault(ext.oid.dotted_string, ext)
    return {k: v for k, v in found.items() if k not in repeated}


def critical_extension_oids(der: bytes) -> list[str]:
    """Dotted OIDs of every extension marked critical, read from a certificate's DER (parsed or not)."""
    return [_dotted(raw.oid) for raw in raw_extensions(der) if raw.critical]


def _dotted(body: bytes) -> str:
    """An OID's dotted text from its DER body (bounded by the body's length)."""
    values: list[int] = []
    n = 0
    for byte in body:
        n = (n << 7) | (byte & 0x7F)
        if not byte & 0x80:
            values.append(n)
            n = 0
    if not values:
        return "?"
    first = min(values[0] // 40, 2)
    return ".".join(str(v) for v in [first, values[0] - 40 * first, *values[1:]])


def ext_value(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> object | None:
    """The value of an extension, or None when absent or malformed."""
    ext = _ext(cert, oid)
    return ext.value if ext is not None else None


def ext_critical(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> bool | None:
    ext = _ext(cert, oid)
    return ext.critical if ext is not None else None


def _der_of(cert: x509.Certificate) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding  # only off the common path

    return cert.public_bytes(Encoding.DER)


def _spki_format() -> tuple[Encoding, PublicFormat]:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return Encoding.DER, PublicFormat.SubjectPublicKeyInfo


def _name(name: x509.Name) -> str:
    try:
        return name.rfc4514_string()
    except Exception:  # noqa: BLE001 - damaged attribute values
        return repr(name)
