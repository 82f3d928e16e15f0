"""Generate chaindoctor's sample certificate bundles, deterministically.

Run ``python sample_certs/generate.py`` to (re)write every sample next to this
script.  Every key is derived from ``--seed`` and each certificate is signed
with deterministic ECDSA (RFC 6979), so two runs produce byte-identical files
(the one exception, ``good-chain.p12``, is explained in :func:`write_p12`).

Like the x509-limbo test suite, each bundle comes from one scenario function
whose docstring draws the chain it serves.  Certificates are valid from
2025-01-01 to 2125-01-01 (UTC) unless a scenario says otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import PrivateFormat, pkcs7, pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_SEED = 2025
HERE = Path(__file__).resolve().parent
P12_PASSWORD = b"chaindoctor"
AIA_BASE = "http://pki.service.local"

NOT_BEFORE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
NOT_AFTER = dt.datetime(2125, 1, 1, tzinfo=dt.UTC)
EXPIRED_NOT_BEFORE = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
EXPIRED_NOT_AFTER = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

SERVER = ExtendedKeyUsageOID.SERVER_AUTH
CLIENT = ExtendedKeyUsageOID.CLIENT_AUTH

Key = ec.EllipticCurvePrivateKey
Item = x509.Certificate | Key


@dataclass(frozen=True)
class Issued:
    """A certificate, its private key, and the label naming its AIA file."""

    label: str
    cert: x509.Certificate
    key: Key

    @property
    def aia_url(self) -> str:
        """Where certificates issued by this one say their issuer lives."""
        return f"{AIA_BASE}/{self.label}.der"


class Factory:
    """Builds keys and certificates whose every byte follows from the seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def _digest(self, purpose: str, label: str) -> bytes:
        return hashlib.sha256(f"chaindoctor:{self.seed}:{purpose}:{label}".encode()).digest()

    def key(self, label: str) -> Key:
        """An EC P-256 key derived from the seed and ``label``."""
        order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
        scalar = int.from_bytes(self._digest("key", label)) % (order - 1) + 1
        return ec.derive_private_key(scalar, ec.SECP256R1())

    def serial(self, label: str) -> int:
        """A positive 127-bit serial number derived from the seed and ``label``."""
        return (int.from_bytes(self._digest("serial", label)[:16]) >> 1) | 1

    def _builder(
        self,
        label: str,
        cn: str,
        key: Key,
        issuer: Issued | None,
        not_before: dt.datetime,
        not_after: dt.datetime,
    ) -> x509.CertificateBuilder:
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        issuer_name = issuer.cert.subject if issuer else subject
        issuer_public = issuer.key.public_key() if issuer else key.public_key()
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(self.serial(label))
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public), critical=False
            )
        )
        if issuer is not None:
            access = x509.AccessDescription(
                x509.AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier(issuer.aia_url),
            )
            builder = builder.add_extension(x509.AuthorityInformationAccess([access]), critical=False)
        return builder

    def ca(
        self,
        label: str,
        cn: str,
        issuer: Issued | None = None,
        *,
        key_label: str | None = None,
        not_before: dt.datetime = NOT_BEFORE,
        not_after: dt.datetime = NOT_AFTER,
        eku: Iterable[x509.ObjectIdentifier] | None = None,
    ) -> Issued:
        """A CA certificate; self-signed when ``issuer`` is None; ``eku`` restricts what it may issue for."""
        key = self.key(key_label or label)
        builder = (
            self._builder(label, cn, key, issuer, not_before, not_after)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_key_usage(cert_sign=True), critical=True)
        )
        if eku is not None:
            builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
        cert = builder.sign(issuer.key if issuer else key, hashes.SHA256(), ecdsa_deterministic=True)
        return Issued(label, cert, key)

    def leaf(
        self,
        label: str,
        cn: str,
        issuer: Issued,
        *,
        dns: Iterable[str] = (),
        ips: Iterable[str] = (),
        eku: Iterable[x509.ObjectIdentifier] = (SERVER,),
        key_label: str | None = None,
        signer: Key | None = None,
    ) -> Issued:
        """An end-entity certificate; ``signer`` forges the signature with another key."""
        key = self.key(key_label or label)
        names: list[x509.GeneralName] = [x509.DNSName(name) for name in dns]
        names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
        builder = (
            self._builder(label, cn, key, issuer, NOT_BEFORE, NOT_AFTER)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
        )
        cert = builder.sign(signer or issuer.key, hashes.SHA256(), ecdsa_deterministic=True)
        return Issued(label, cert, key)


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    """keyCertSign + cRLSign for CAs, digitalSignature for everything else."""
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


class Pki:
    """The hierarchies every scenario draws from (CN values as in the seed article)."""

    def __init__(self, seed: int) -> None:
        f = self.factory = Factory(seed)
        # *.local Root CA -> *.service.local Intermediate CA -> *.fin.service.local Intermediate CA
        self.root = f.ca("local-root", "*.local Root CA")
        self.service = f.ca("service-intermediate", "*.service.local Intermediate CA", self.root)
        self.fin = f.ca("fin-intermediate", "*.fin.service.local Intermediate CA", self.service)
        self.orders = f.leaf(
            "orders.fin.service.local", "orders.fin.service.local", self.fin,
            dns=["orders.fin.service.local"],
        )  # fmt: skip
        # Regional Root CA -> Europe CA -> IT / Finance / HR CA; Regional Root CA -> Asia CA -> ...
        self.regional_root = f.ca("regional-root", "Regional Root CA")
        self.europe = f.ca("europe-ca", "Europe CA", self.regional_root)
        self.it = f.ca("it-ca", "IT CA", self.europe)
        self.finance = f.ca("finance-ca", "Finance CA", self.europe)
        self.hr = f.ca("hr-ca", "HR CA", self.europe)
        self.asia = f.ca("asia-ca", "Asia CA", self.regional_root)
        self.business = f.ca("business-operation-ca", "Business Operation CA", self.asia)
        self.portal = f.leaf(
            "portal.hr.europe.example", "portal.hr.europe.example", self.hr,
            dns=["portal.hr.europe.example"],
        )  # fmt: skip
        # Two unrelated roots for the mTLS pair.
        self.server_root = f.ca("mtls-server-root", "mTLS Server Root CA")
        self.server_int = f.ca("mtls-server-intermediate", "mTLS Server Intermediate CA", self.server_root)
        self.api = f.leaf(
            "api.mtls.local", "api.mtls.local", self.server_int,
            dns=["api.mtls.local", "localhost"], ips=["127.0.0.1"],
        )  # fmt: skip
        self.client_root = f.ca("mtls-client-root", "mTLS Client Root CA")
        self.client_int = f.ca("mtls-client-intermediate", "mTLS Client Intermediate CA", self.client_root)
        self.billing_service = f.leaf(
            "billing-service", "billing-service", self.client_int,
            dns=["billing-service.mtls.local"], eku=[CLIENT],
        )  # fmt: skip


# --------------------------------------------------------------------------- encoding


def pem(*items: Item) -> bytes:
    """Concatenate certificates (PEM) and private keys (unencrypted PKCS#8 PEM)."""
    out = b""
    for item in items:
        if isinstance(item, x509.Certificate):
            out += item.public_bytes(serialization.Encoding.PEM)
        else:
            out += item.private_bytes(
                serialization.Encoding.PEM, PrivateFormat.PKCS8, serialization.NoEncryption()
            )
    return out


def certs(*issued: Issued) -> list[x509.Certificate]:
    """The certificates of ``issued``, in order."""
    return [i.cert for i in issued]


# --------------------------------------------------------------------------- scenarios

Files = dict[str, bytes]
SCENARIOS: list[Callable[[Pki], Files]] = []


def scenario(func: Callable[[Pki], Files]) -> Callable[[Pki], Files]:
    """Register a scenario; it returns ``{relative path: bytes}``."""
    SCENARIOS.append(func)
    return func


@scenario
def trust_anchors(pki: Pki) -> Files:
    """The self-signed roots tests pass with ``--roots``.

    *.local Root CA        (roots/local-root.pem)
    Regional Root CA       (roots/regional-root.pem)
    mTLS Server Root CA    (mtls/server-root.pem)
    mTLS Client Root CA    (mtls/client-root.pem)
    """
    return {
        "roots/local-root.pem": pem(pki.root.cert),
        "roots/regional-root.pem": pem(pki.regional_root.cert),
        "mtls/server-root.pem": pem(pki.server_root.cert),
        "mtls/client-root.pem": pem(pki.client_root.cert),
    }


@scenario
def good_chain(pki: Pki) -> Files:
    """The correct chain, served leaf first, without the root.

    orders.fin.service.local -> *.fin.service.local Int -> *.service.local Int  [-> *.local Root CA]

    Also as PKCS#7 (good-chain.p7b), the bare leaf as DER (leaf.der) and PKCS#12
    (good-chain.p12, see write_p12).
    """
    chain = certs(pki.orders, pki.fin, pki.service)
    return {
        "good-chain.pem": pem(*chain),
        "good-chain.p7b": pkcs7.serialize_certificates(chain, serialization.Encoding.DER),
        "leaf.der": pki.orders.cert.public_bytes(serialization.Encoding.DER),
    }


@scenario
def reversed_chain(pki: Pki) -> Files:
    """Root-first order, as some CAs ship their "fullchain" files.

    served:  service int, fin int, leaf
    path:    leaf -> fin int -> service int
    """
    return {"reversed.pem": pem(pki.service.cert, pki.fin.cert, pki.orders.cert)}


@scenario
def shuffled(pki: Pki) -> Files:
    """No order at all.

    served:  fin int, leaf, service int
    path:    leaf -> fin int -> service int
    """
    return {"shuffled.pem": pem(pki.fin.cert, pki.orders.cert, pki.service.cert)}


@scenario
def missing_intermediate(pki: Pki) -> Files:
    """The service intermediate is not served; pool/ holds it for ``--search``.

    leaf -> fin int -> ??? (*.service.local Intermediate CA)  -> root
    """
    return {
        "missing-intermediate.pem": pem(pki.orders.cert, pki.fin.cert),
        "pool/service-intermediate.pem": pem(pki.service.cert),
    }


@scenario
def root_included(pki: Pki) -> Files:
    """The trust anchor is served too (harmless, wasteful).

    leaf -> fin int -> service int -> *.local Root CA
    """
    return {"root-included.pem": pem(*certs(pki.orders, pki.fin, pki.service, pki.root))}


@scenario
def extra_cert(pki: Pki) -> Files:
    """An unrelated CA certificate rides along.

    leaf -> fin int -> service int
    Asia CA  (on no path from the leaf)
    """
    return {"extra-cert.pem": pem(*certs(pki.orders, pki.fin, pki.service, pki.asia))}


@scenario
def duplicate(pki: Pki) -> Files:
    """The fin intermediate is served twice (same bytes).

    leaf -> fin int -> fin int (again) -> service int
    """
    return {"duplicate.pem": pem(*certs(pki.orders, pki.fin, pki.fin, pki.service))}


@scenario
def expired_intermediate(pki: Pki) -> Files:
    """An old copy of the fin intermediate (same key and subject) expired in 2024.

    leaf -> fin int [2020-01-01 .. 2024-01-01, expired] -> service int
    """
    old_fin = pki.factory.ca(
        "fin-intermediate-2020", "*.fin.service.local Intermediate CA", pki.service,
        key_label="fin-intermediate", not_before=EXPIRED_NOT_BEFORE, not_after=EXPIRED_NOT_AFTER,
    )  # fmt: skip
    return {"expired-intermediate.pem": pem(pki.orders.cert, old_fin.cert, pki.service.cert)}


@scenario
def bad_signature(pki: Pki) -> Files:
    """The leaf names the fin intermediate as issuer, but another key signed it.

    leaf (signed by an unrelated key) -x-> fin int -> service int
    """
    rogue = pki.factory.key("rogue-signer")
    forged = pki.factory.leaf(
        "orders.fin.service.local-forged", "orders.fin.service.local", pki.fin,
        dns=["orders.fin.service.local"], key_label="orders.fin.service.local", signer=rogue,
    )  # fmt: skip
    return {"bad-signature.pem": pem(forged.cert, pki.fin.cert, pki.service.cert)}


@scenario
def wrong_host(pki: Pki) -> Files:
    """A correct chain for another name (check it with ``--host orders.fin.service.local``).

    billing.fin.service.local -> fin int -> service int
    """
    billing = pki.factory.leaf(
        "billing.fin.service.local", "billing.fin.service.local", pki.fin,
        dns=["billing.fin.service.local"],
    )  # fmt: skip
    return {
        "wrong-host.pem": pem(*certs(billing, pki.fin, pki.service)),
        "keys/billing.fin.service.local.key": pem(billing.key),
    }


@scenario
def client_only_leaf(pki: Pki) -> Files:
    """A correct chain whose leaf may only authenticate clients (EKU clientAuth).

    orders-client.fin.service.local [clientAuth] -> fin int -> service int
    """
    client = pki.factory.leaf(
        "orders-client.fin.service.local", "orders-client.fin.service.local", pki.fin,
        dns=["orders-client.fin.service.local"], eku=[CLIENT],
    )  # fmt: skip
    return {
        "client-only-leaf.pem": pem(*certs(client, pki.fin, pki.service)),
        "keys/orders-client.fin.service.local.key": pem(client.key),
    }


@scenario
def combined_key_chain(pki: Pki) -> Files:
    """HAProxy-style bundle: the leaf's private key sits right after the leaf.

    leaf, [leaf private key], fin int, service int
    """
    return {
        "combined-key-chain.pem": pem(pki.orders.cert, pki.orders.key, pki.fin.cert, pki.service.cert)
    }


@scenario
def key_mismatch(pki: Pki) -> Files:
    """The good chain plus a private key that belongs to none of its certificates.

    leaf -> fin int -> service int, [stray private key]
    """
    stray = pki.factory.key("stray-key")
    return {"key-mismatch.pem": pem(*certs(pki.orders, pki.fin, pki.service), stray)}


@scenario
def not_a_ca(pki: Pki) -> Files:
    """The leaf was issued by an end-entity certificate (basicConstraints ca=False).

    orders.fin.service.local -> fin-signer.service.local [ca=False, no keyCertSign] -> service int
    """
    f = pki.factory
    signer = f.leaf(
        "fin-signer.service.local", "fin-signer.service.local", pki.service,
        dns=["fin-signer.service.local"],
    )  # fmt: skip
    leaf = f.leaf(
        "orders.fin.service.local-via-signer", "orders.fin.service.local", signer,
        dns=["orders.fin.service.local"], key_label="orders.fin.service.local",
    )  # fmt: skip
    return {"not-a-ca.pem": pem(leaf.cert, signer.cert, pki.service.cert)}


@scenario
def s_client_output(pki: Pki) -> Files:
    """What ``openssl s_client -showcerts`` prints for a server sending the good chain.

    leaf -> fin int -> service int, embedded in the transcript text
    """
    return {"s_client-output.txt": s_client_transcript(pki)}


@scenario
def regional(pki: Pki) -> Files:
    """The regional tree: a CA-only bundle and the HR leaf's chain.

    Regional Root CA -> Europe CA -> IT CA
                                  -> Finance CA
                                  -> HR CA -> portal.hr.europe.example
                     -> Asia CA   -> Business Operation CA

    regional-cas.pem holds the six CAs below the root (the root is roots/regional-root.pem).
    """
    cas = certs(pki.europe, pki.it, pki.finance, pki.hr, pki.asia, pki.business)
    return {
        "regional-cas.pem": pem(*cas),
        "regional-hr-chain.pem": pem(*certs(pki.portal, pki.hr, pki.europe)),
    }


@scenario
def mtls(pki: Pki) -> Files:
    """A server and a client chain under two different roots.

    api.mtls.local [serverAuth] -> mTLS Server Intermediate CA -> mTLS Server Root CA
    billing-service [clientAuth] -> mTLS Client Intermediate CA -> mTLS Client Root CA
    """
    return {
        "mtls/server-chain.pem": pem(*certs(pki.api, pki.server_int)),
        "mtls/client-chain.pem": pem(*certs(pki.billing_service, pki.client_int)),
    }


@scenario
def leaf_keys(pki: Pki) -> Files:
    """Private keys of the shared leaves, for tests that start local TLS servers.

    orders.fin.service.local.key  (also the key of the bad-signature and not-a-ca leaves)
    portal.hr.europe.example.key, api.mtls.local.key, billing-service.key
    """
    return {
        f"keys/{leaf.label}.key": pem(leaf.key)
        for leaf in (pki.orders, pki.portal, pki.api, pki.billing_service)
    }


@scenario
def stray_before_leaf(pki: Pki) -> Files:
    """A CA certificate served in front of the leaf.

    served:  Asia CA, leaf, fin int, service int
    path:    leaf -> fin int -> service int     (Asia CA is on no path)

    Servers send the first certificate of the file as their own: OpenSSL-based servers refuse the
    file ("key values mismatch") and clients check Asia CA instead of the leaf.
    """
    return {"stray-before-leaf.pem": pem(*certs(pki.asia, pki.orders, pki.fin, pki.service))}


@scenario
def dead_end_cross_sign(pki: Pki) -> Files:
    """The fin intermediate served twice, cross-signed by two CAs, the dead-end copy first.

    served:  leaf, fin int (issued by Legacy Root CA), fin int (issued by service int), service int
    path:    leaf -> fin int (by service int) -> service int -> *.local Root CA
    dead end: fin int (by Legacy Root CA) -> Legacy Root CA, neither served nor trusted

    Both copies have the same name and key, so both verify the leaf; OpenSSL takes the first and
    fails ("unable to get local issuer certificate"), as curl and Python did with Let's Encrypt's
    X3 intermediate cross-signed by DST Root CA X3.
    """
    legacy = pki.factory.ca("legacy-root", "Legacy Root CA")
    fin_by_legacy = pki.factory.ca(
        "fin-intermediate-by-legacy", "*.fin.service.local Intermediate CA", legacy, key_label="fin-intermediate",
    )  # fmt: skip
    return {"dead-end-cross-sign.pem": pem(*certs(pki.orders, fin_by_legacy, pki.fin, pki.service))}


@scenario
def eku_constrained_intermediate(pki: Pki) -> Files:
    """An issuing CA whose extended key usage allows client authentication only, issuing a server leaf.

    shop.fin.service.local [serverAuth] -> Client Auth Issuing CA [EKU clientAuth] -> service int

    OpenSSL (curl, Python) and Chrome refuse the chain for a server: the CA's EKU excludes serverAuth.
    """
    issuing = pki.factory.ca("client-auth-issuing-ca", "Client Auth Issuing CA", pki.service, eku=[CLIENT])
    shop = pki.factory.leaf("shop.fin.service.local", "shop.fin.service.local", issuing,
                            dns=["shop.fin.service.local"])
    return {"eku-constrained-intermediate.pem": pem(*certs(shop, issuing, pki.service))}


@scenario
def demo(pki: Pki) -> Files:
    """The app's built-in demo: wrong order, root included, a duplicate.

    served:  fin int, leaf, *.local Root CA, service int, fin int
    path:    leaf -> fin int -> service int -> root
    """
    return {"demo.pem": pem(*certs(pki.fin, pki.orders, pki.root, pki.service, pki.fin))}


# --------------------------------------------------------------------------- s_client


def _openssl_date(when: dt.datetime) -> str:
    """OpenSSL's ``Jan  1 00:00:00 2025 GMT`` format."""
    return f"{when:%b} {when.day:2d} {when:%H:%M:%S %Y} GMT"


def s_client_transcript(pki: Pki) -> bytes:
    """A realistic ``openssl s_client -connect orders.fin.service.local:443 -showcerts`` run."""
    chain = [pki.orders.cert, pki.fin.cert, pki.service.cert]

    def dn(name: x509.Name) -> str:
        return name.rfc4514_string().replace("=", " = ")

    lines = ["CONNECTED(00000003)"]
    for depth in range(len(chain) - 1, -1, -1):
        lines.append(f"depth={depth} {dn(chain[depth].subject)}")
        if depth == len(chain) - 1:
            lines.append("verify error:num=20:unable to get local issuer certificate")
        lines.append("verify return:1")
    lines += ["---", "Certificate chain"]
    for index, cert in enumerate(chain):
        lines += [
            f" {index} s:{dn(cert.subject)}",
            f"   i:{dn(cert.issuer)}",
            "   a:PKEY: id-ecPublicKey, 256 (bit); sigalg: ecdsa-with-SHA256",
            f"   v:NotBefore: {_openssl_date(cert.not_valid_before_utc)}; "
            f"NotAfter: {_openssl_date(cert.not_valid_after_utc)}",
            pem(cert).decode().rstrip("\n"),
        ]
    digest = hashlib.sha256(pem(*chain)).hexdigest().upper()
    lines += [
        "---",
        "Server certificate",
        f"subject={dn(chain[0].subject)}",
        f"issuer={dn(chain[0].issuer)}",
        "---",
        "No client certificate CA names sent",
        "Peer signing digest: SHA256",
        "Peer signature type: ECDSA",
        "Server Temp Key: X25519, 253 bits",
        "---",
        f"SSL handshake has read {sum(len(c.public_bytes(serialization.Encoding.DER)) for c in chain) + 498}"
        " bytes and written 410 bytes",
        "Verification error: unable to get local issuer certificate",
        "---",
        "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384",
        "Server public key is 256 bit",
        "Secure Renegotiation IS NOT supported",
        "Compression: NONE",
        "Expansion: NONE",
        "No ALPN negotiated",
        "Early data was not sent",
        "Verify return code: 20 (unable to get local issuer certificate)",
        "---",
        "---",
        "Post-Handshake New Session Ticket arrived:",
        "SSL-Session:",
        "    Protocol  : TLSv1.3",
        "    Cipher    : TLS_AES_256_GCM_SHA384",
        f"    Session-ID: {digest}",
        "    Session-ID-ctx: ",
        f"    Resumption PSK: {hashlib.sha384(digest.encode()).hexdigest().upper()}",
        "    PSK identity: None",
        "    PSK identity hint: None",
        "    SRP username: None",
        "    TLS session ticket lifetime hint: 7200 (seconds)",
        "    Start Time: 1767225600",
        "    Timeout   : 7200 (sec)",
        "    Verify return code: 20 (unable to get local issuer certificate)",
        "    Extended master secret: no",
        "    Max Early Data: 0",
        "---",
        "read R BLOCK",
        "closed",
    ]
    return ("\n".join(lines) + "\n").encode()


# --------------------------------------------------------------------------- PKCS#12


def p12_content(key: Key, cert: x509.Certificate, cas: list[x509.Certificate]) -> tuple[bytes, ...]:
    """What a PKCS#12 file holds, as comparable bytes (key, leaf, chain)."""
    key_bytes = key.private_bytes(
        serialization.Encoding.DER, PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return (key_bytes, *(c.public_bytes(serialization.Encoding.DER) for c in [cert, *cas]))


def read_p12(data: bytes) -> tuple[bytes, ...] | None:
    """The content of a PKCS#12 file encrypted with ``chaindoctor``, or None if unreadable."""
    try:
        key, cert, cas = pkcs12.load_key_and_certificates(data, P12_PASSWORD)
    except ValueError:
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or cert is None:
        return None
    return p12_content(key, cert, cas)


def write_p12(path: Path, key: Key, cert: x509.Certificate, cas: list[x509.Certificate]) -> bool:
    """Write ``good-chain.p12`` unless the file there already holds the same key and certificates.

    PKCS#12 encryption draws random salts (PBKDF2 and MAC) and IVs, and cryptography offers no
    way to fix them, so each serialization differs.  Rewriting only on content change keeps
    the committed file stable.  Returns True when the file was (re)written.
    """
    if path.exists() and read_p12(path.read_bytes()) == p12_content(key, cert, cas):
        return False
    encryption = (
        PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(50_000)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(P12_PASSWORD)
    )
    data = pkcs12.serialize_key_and_certificates(
        cert.subject.rfc4514_string().removeprefix("CN=").encode(), key, cert, cas, encryption
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


# --------------------------------------------------------------------------- main


def generate(out: Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write every sample under ``out``; return the paths written or checked."""
    pki = Pki(seed)
    files: Files = {}
    for func in SCENARIOS:
        for name, data in func(pki).items():
            if name in files:
                raise ValueError(f"two scenarios write {name}")
            files[name] = data
    written: list[Path] = []
    for name, data in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        written.append(path)
    p12 = out / "good-chain.p12"
    write_p12(p12, pki.orders.key, pki.orders.cert, [pki.fin.cert, pki.service.cert])
    written.append(p12)
    return written


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"key seed (default {DEFAULT_SEED})")
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: next to this script)")
    args = parser.parse_args(argv)
    paths = generate(args.out, args.seed)
    print(f"wrote {len(paths)} files under {args.out}")


if __name__ == "__main__":
    main()
