"""Real certificates for tests: roots, intermediates and leaves with the options scenarios need."""

from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tui.pki.model import Bundle, CertEntry, KeyEntry, Origin

NOT_BEFORE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
NOT_AFTER = dt.datetime(2125, 1, 1, tzinfo=dt.UTC)
AT = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
SERVER = [ExtendedKeyUsageOID.SERVER_AUTH]
CLIENT = [ExtendedKeyUsageOID.CLIENT_AUTH]


@cache
def ec_key(label: str, curve: str = "secp256r1") -> ec.EllipticCurvePrivateKey:
    """A fresh key per label (cached within the test run so cross-signing can reuse one)."""
    curves = {"secp256r1": ec.SECP256R1(), "secp384r1": ec.SECP384R1(), "secp224r1": ec.SECP224R1(),
              "secp256k1": ec.SECP256K1()}
    return ec.generate_private_key(curves[curve])


@cache
def rsa_key(label: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(65537, bits)


def name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key."""

    cert: x509.Certificate
    key: CertificateIssuerPrivateKeyTypes

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())

    def entry(self, source: str = "test.pem", line: int | None = None) -> CertEntry:
        return CertEntry.from_cert(self.cert, Origin(source, line=line))

    @property
    def sha256(self) -> str:
        return self.entry().sha256


def make(
    cn: str,
    issuer: Issued | None = None,
    *,
    key: CertificateIssuerPrivateKeyTypes | None = None,
    ca: bool = False,
    path_len: int | None = None,
    bc: bool = True,
    bc_critical: bool = True,
    key_cert_sign: bool | None = None,
    dns: list[str] | None = None,
    ips: list[str] | None = None,
    eku: list[x509.ObjectIdentifier] | None = None,
    not_before: dt.datetime = NOT_BEFORE,
    not_after: dt.datetime = NOT_AFTER,
    aia: str | None = None,
    name_constraints: x509.NameConstraints | None = None,
    issuer_name: x509.Name | None = None,
    aki: bool = True,
    ski: bool = True,
    aki_key: CertificateIssuerPrivateKeyTypes | None = None,
    hash_alg: hashes.HashAlgorithm | None = None,
    serial: int | None = None,
) -> Issued:
    """Build one certificate; self-signed when ``issuer`` is None."""
    key = key if key is not None else ec_key(cn)
    signer_key = issuer.key if issuer is not None else key
    subject = name(cn)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name or (issuer.cert.subject if issuer is not None else subject))
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if ski:
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    if aki:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key((aki_key or signer_key).public_key()), False)
    if bc:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=path_len if ca else None),
                                        bc_critical)
    sign = key_cert_sign if key_cert_sign is not None else ca
    if ca or key_cert_sign is not None:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=not ca, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=sign, crl_sign=sign,
                          encipher_only=False, decipher_only=False), True)
    else:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False), True)
    if not ca:
        alt: list[x509.GeneralName] = [x509.DNSName(d) for d in (dns if dns is not None else [cn])]
        alt += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips or []]
        if alt:
            builder = builder.add_extension(x509.SubjectAlternativeName(alt), False)
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku if eku is not None else SERVER), False)
    elif eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), False)
    if aia:
        builder = builder.add_extension(x509.AuthorityInformationAccess(
            [x509.AccessDescription(x509.AuthorityInformationAccessOID.CA_ISSUERS,
                                    x509.UniformResourceIdentifier(aia))]), False)
    if name_constraints is not None:
        builder = builder.add_extension(name_constraints, True)
    algorithm = hash_alg if hash_alg is not None else hashes.SHA256()
    return Issued(builder.sign(signer_key, algorithm), key)


def ca(cn: str, issuer: Issued | None = None, **kw: object) -> Issued:
    return make(cn, issuer, ca=True, **kw)


@dataclass(frozen=True)
class Hierarchy:
    root: Issued
    inter: Issued
    leaf: Issued


def hierarchy(prefix: str = "t", **leaf_kw: object) -> Hierarchy:
    """root -> intermediate -> leaf ``{prefix}.example``."""
    root = ca(f"{prefix} Root")
    inter = ca(f"{prefix} Intermediate", root)
    leaf = make(f"{prefix}.example", inter, **leaf_kw)
    return Hierarchy(root, inter, leaf)


def bundle(*items: Issued, source: str = "bundle.pem", container: str = "pem", keys: tuple[Issued, ...] = ()) -> Bundle:
    """A bundle of the given certificates in this order (lines numbered like a PEM file)."""
    certs = tuple(CertEntry.from_cert(it.cert, Origin(source, line=1 + 20 * i if container == "pem" else None,
                                                      index=None if container == "pem" else i + 1,
                                                      container=container))
                  for i, it in enumerate(items))
    key_entries = tuple(KeyEntry.from_key(k.key, Origin(source, line=900 + i), "PKCS#8") for i, k in enumerate(keys))
    return Bundle(certs, key_entries, (), (source,))


def same_key_children(issuer: Issued, names: list[str], *, ca: bool, first_serial: int = 2) -> bytes:
    """PEM certificates named ``names``, signed by ``issuer`` and all holding its key: quick to make in bulk."""
    key = issuer.key
    blocks = []
    for i, cn in enumerate(names):
        cert = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(issuer.cert.subject)
                .public_key(key.public_key()).serial_number(first_serial + i)
                .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
                .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))  # type: ignore[arg-type]  # every test key can sign SHA-256
        blocks.append(cert.public_bytes(serialization.Encoding.PEM))
    return b"".join(blocks)


def pem_of(*items: Issued) -> bytes:
    return b"".join(it.pem for it in items)


def resign_with_weak_hash(issued: Issued, signer: rsa.RSAPrivateKey, weak: str = "sha1") -> x509.Certificate:
    """Turn an RSA/SHA-256 certificate into an RSA/SHA-1 (or MD5) one, re-signed by ``signer``.

    cryptography refuses to sign with SHA-1, so the algorithm identifier is patched in the DER (the
    OIDs have the same length) and the TBS is signed with the raw primitive.
    """
    sha256_oid = bytes.fromhex("2a864886f70d01010b")  # 1.2.840.113549.1.1.11
    weak_oid = {"sha1": bytes.fromhex("2a864886f70d010105"), "md5": bytes.fromhex("2a864886f70d010104")}[weak]
    algorithm = {"sha1": hashes.SHA1(), "md5": hashes.MD5()}[weak]
    der = issued.cert.public_bytes(serialization.Encoding.DER)
    tbs = issued.cert.tbs_certificate_bytes.replace(sha256_oid, weak_oid)
    signature = signer.sign(tbs, padding.PKCS1v15(), algorithm)
    old_sig = issued.cert.signature
    assert len(signature) == len(old_sig)
    new = der.replace(issued.cert.tbs_certificate_bytes, tbs).replace(sha256_oid, weak_oid).replace(old_sig, signature)
    return x509.load_der_x509_certificate(new)


def der_of(issued: Issued) -> bytes:
    return issued.cert.public_bytes(serialization.Encoding.DER)


def cross_sign(subject: Issued, by: Issued) -> Issued:
    """``subject``'s name and key, issued by ``by`` (a cross-signed CA certificate)."""
    return make(subject.cert.subject.rfc4514_string().removeprefix("CN="), by, key=subject.key, ca=True)


def aia_hierarchy(base: str, prefix: str = "AIA") -> Hierarchy:
    """root -> intermediate -> leaf, each child's AIA caIssuers at ``{base}/root.der`` / ``{base}/inter.der``."""
    root = ca(f"{prefix} Root")
    inter = ca(f"{prefix} Intermediate", root, aia=f"{base}/root.der")
    leaf = make(f"{prefix.lower()}.example", inter, aia=f"{base}/inter.der")
    return Hierarchy(root, inter, leaf)


@contextmanager
def serve_http(bodies: dict[str, bytes]) -> Iterator[str]:
    """Serve ``bodies`` (path -> bytes, read at request time; 404 otherwise) on 127.0.0.1; yields the base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = bodies.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/pkix-cert")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_a: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _resign(tbs: bytes, signer: CertificateIssuerPrivateKeyTypes, outer_alg: bytes) -> x509.Certificate:
    """A certificate from TBS bytes, signed by ``signer`` (SHA-256) under the AlgorithmIdentifier ``outer_alg``."""
    from tui.pki.der import encode

    if isinstance(signer, rsa.RSAPrivateKey):
        signature = signer.sign(tbs, padding.PKCS1v15(), hashes.SHA256())
    else:
        signature = signer.sign(tbs, ec.ECDSA(hashes.SHA256()))
    return x509.load_der_x509_certificate(encode(0x30, tbs + outer_alg + encode(0x03, b"\x00" + signature)))


def _tbs_parts(cert: x509.Certificate) -> tuple[list[bytes], bytes]:
    """The TBS fields (each a whole DER element) and the outer signature AlgorithmIdentifier."""
    from tui.pki.der import tlv

    der = cert.public_bytes(serialization.Encoding.DER)
    _, body, _ = tlv(der, 0)
    _, pos, tbs_end = tlv(der, body)
    fields = []
    while pos < tbs_end:
        _, _, end = tlv(der, pos)
        fields.append(der[pos:end])
        pos = end
    _, _, alg_end = tlv(der, tbs_end)
    return fields, der[tbs_end:alg_end]


def v1_root(cn: str, key: rsa.RSAPrivateKey | None = None) -> Issued:
    """A self-signed X.509 version 1 root (no version field, no extensions), RSA with SHA-256."""
    from tui.pki.der import encode

    key = key or rsa_key(cn)
    template = make(cn, key=key, ca=True)
    fields, alg = _tbs_parts(template.cert)
    kept = [f for f in fields if f[0] not in (0xA0, 0xA3)]  # drop [0] version and [3] extensions
    return Issued(_resign(encode(0x30, b"".join(kept)), key, alg), key)


RSA_SHA256_NO_NULL = bytes.fromhex("300b06092a864886f70d01010b")


def without_null_parameters(issued: Issued, signer: rsa.RSAPrivateKey) -> x509.Certificate:
    """An RSA/SHA-256 certificate re-signed with its AlgorithmIdentifiers lacking the NULL parameters."""
    from tui.pki.der import encode

    fields, _ = _tbs_parts(issued.cert)
    with_null = bytes.fromhex("300d06092a864886f70d01010b0500")
    fields = [RSA_SHA256_NO_NULL if f == with_null else f for f in fields]
    return _resign(encode(0x30, b"".join(fields)), signer, RSA_SHA256_NO_NULL)


def with_extension(issued: Issued, signer: CertificateIssuerPrivateKeyTypes, oid: str, value: bytes,
                   *, critical: bool) -> x509.Certificate:
    """``issued`` with one more extension (raw DER value), re-signed by ``signer``."""
    cert = issued.cert
    builder = (x509.CertificateBuilder().subject_name(cert.subject).issuer_name(cert.issuer)
               .public_key(cert.public_key()).serial_number(cert.serial_number)
               .not_valid_before(cert.not_valid_before_utc).not_valid_after(cert.not_valid_after_utc))
    for ext in cert.extensions:
        builder = builder.add_extension(ext.value, ext.critical)
    builder = builder.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), value), critical)
    return builder.sign(signer, hashes.SHA256())
