"""Building PKCS#12 (PFX) files piece by piece, for tests that put parameters where a guard cannot see them.

``cryptography`` writes ordinary PKCS#12 files; these helpers build the unusual ones: a shrouded key
bag *inside* the encrypted data (its iteration count only visible after decrypting the outer layer),
MACs and encryptions with chosen iteration counts, or no MAC at all. Encryption is PBES2 (PBKDF2 with
HMAC-SHA256, AES-256-CBC) as in RFC 8018; the MAC key comes from the PKCS#12 KDF of RFC 7292 B.2.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.x509 import Certificate

from tests.robustness.support import der_len

DATA = "1.2.840.113549.1.7.1"
ENCRYPTED_DATA = "1.2.840.113549.1.7.6"
PBES2 = "1.2.840.113549.1.5.13"
PBKDF2 = "1.2.840.113549.1.5.12"
HMAC_SHA256 = "1.2.840.113549.2.9"
AES256_CBC = "2.16.840.1.101.3.4.1.42"
SHA256 = "2.16.840.1.101.3.4.2.1"
KEY_BAG = "1.2.840.113549.1.12.10.1.1"
SHROUDED_KEY_BAG = "1.2.840.113549.1.12.10.1.2"
CERT_BAG = "1.2.840.113549.1.12.10.1.3"
X509_CERT = "1.2.840.113549.1.9.22.1"


def tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + der_len(len(content)) + content


def seq(*items: bytes) -> bytes:
    return tlv(0x30, b"".join(items))


def integer(n: int) -> bytes:
    return tlv(0x02, n.to_bytes(n.bit_length() // 8 + 1, "big"))


def octets(data: bytes) -> bytes:
    return tlv(0x04, data)


def explicit(n: int, content: bytes) -> bytes:
    return tlv(0xA0 + n, content)


def oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    body = bytearray([40 * parts[0] + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        while part > 0x7F:
            part >>= 7
            chunk.append(0x80 | (part & 0x7F))
        body += bytes(reversed(chunk))
    return tlv(0x06, bytes(body))


NULL = b"\x05\x00"


def pbes2(password: bytes, iterations: int, plaintext: bytes | None = None) -> tuple[bytes, bytes]:
    """(AlgorithmIdentifier, ciphertext) of PBES2 encryption; ``plaintext=None`` gives random bytes
    instead of a real encryption, so that a huge iteration count costs nothing to build."""
    salt, iv = os.urandom(16), os.urandom(16)
    params = seq(seq(oid(PBKDF2), seq(octets(salt), integer(iterations), seq(oid(HMAC_SHA256), NULL))),
                 seq(oid(AES256_CBC), octets(iv)))
    algorithm = seq(oid(PBES2), params)
    if plaintext is None:
        return algorithm, os.urandom(48)
    key = PBKDF2HMAC(hashes.SHA256(), 32, salt, iterations).derive(password)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return algorithm, enc.update(padded) + enc.finalize()


def cert_bag(cert: Certificate) -> bytes:
    der = cert.public_bytes(serialization.Encoding.DER)
    return seq(oid(CERT_BAG), explicit(0, seq(oid(X509_CERT), explicit(0, octets(der)))))


def key_bag(key: object) -> bytes:
    """A plain (unencrypted) key bag."""
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return seq(oid(KEY_BAG), explicit(0, der))


def shrouded_key_bag(key: object | None, password: bytes, iterations: int) -> bytes:
    """A pkcs8ShroudedKeyBag; with ``key=None`` its ciphertext is random (only the key derivation matters)."""
    plain = None if key is None else key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    algorithm, ciphertext = pbes2(password, iterations, plain)
    return seq(oid(SHROUDED_KEY_BAG), explicit(0, seq(algorithm, octets(ciphertext))))


def plain_contents(*bags: bytes) -> bytes:
    """A ContentInfo of type data holding the bags."""
    return seq(oid(DATA), explicit(0, octets(seq(*bags))))


def encrypted_contents(password: bytes, iterations: int, *bags: bytes, fake: bool = False) -> bytes:
    """A ContentInfo of type encryptedData holding the bags, PBES2-encrypted with ``iterations``.

    ``fake``: random bytes instead of the encrypted bags (a huge count then costs nothing to build).
    """
    algorithm, ciphertext = pbes2(password, iterations, None if fake else seq(*bags))
    info = seq(oid(DATA), algorithm, tlv(0x80, ciphertext))
    return seq(oid(ENCRYPTED_DATA), explicit(0, seq(integer(0), info)))


def pkcs12_kdf(password: bytes, salt: bytes, purpose: int, iterations: int, size: int) -> bytes:
    """RFC 7292 Appendix B.2 with SHA-256 (u = 32, v = 64); ``password`` as UTF-8 text, else byte by byte."""
    u, v = 32, 64
    try:
        text = password.decode("utf-8")
    except UnicodeDecodeError:  # OpenSSL then takes each byte as one character (OPENSSL_asc2uni)
        text = password.decode("latin-1")
    bmp = text.encode("utf-16-be") + b"\0\0" if password else b""
    d = bytes([purpose]) * v

    def fill(data: bytes) -> bytes:
        """Copies of ``data`` up to the next multiple of v bytes."""
        if not data:
            return b""
        size = v * -(-len(data) // v)
        return (data * (size // len(data) + 1))[:size]

    i = bytearray(fill(salt) + fill(bmp))
    out = b""
    while len(out) < size:
        a = d + bytes(i)
        for _ in range(iterations):
            a = hashlib.sha256(a).digest()
        out += a
        b = int.from_bytes((a * (v // u + 1))[:v], "big")
        for j in range(0, len(i), v):
            block = (int.from_bytes(i[j:j + v], "big") + b + 1) % (1 << (8 * v))
            i[j:j + v] = block.to_bytes(v, "big")
    return out[:size]


def pfx(password: bytes, mac_iterations: int | None, *contents: bytes) -> bytes:
    """The PFX around the ContentInfos, with an HMAC-SHA256 MAC (``mac_iterations=None``: no MAC)."""
    auth_safe = seq(*contents)
    body = integer(3) + seq(oid(DATA), explicit(0, octets(auth_safe)))
    if mac_iterations is not None:
        salt = os.urandom(16)
        key = pkcs12_kdf(password, salt, 3, mac_iterations, 32)
        digest = hmac.new(key, auth_safe, hashlib.sha256).digest()
        body += seq(seq(seq(oid(SHA256), NULL), octets(digest)), octets(salt), integer(mac_iterations))
    return seq(body)
