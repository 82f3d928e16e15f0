"""The bytes of a chain or of one certificate in the formats chaindoctor writes: PEM, DER and PKCS#7.

A PKCS#7 file (``.p7b``) holds certificates only, never a private key, and as a SET OF its order is
not kept: DER sorts the set (X.690 §11.6), so readers get the certificates back in another order.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import PurePath

from .model import Bundle, CertEntry

__all__ = ["ChainFormat", "certificate_bytes", "chain_bytes", "with_suffix"]


class ChainFormat(StrEnum):
    """How a chain is written."""

    PEM = "pem"
    PKCS7_DER = "p7b"
    PKCS7_PEM = "p7b-pem"

    @property
    def label(self) -> str:
        """The format's name as menus show it."""
        return _TITLES[self]

    @property
    def suffix(self) -> str:
        """The file name ending that goes with the format."""
        return ".pem" if self is ChainFormat.PEM else ".p7b"

    @property
    def holds_keys(self) -> bool:
        """Whether a private key can go into the file (PKCS#7 carries certificates only)."""
        return self is ChainFormat.PEM


_TITLES = {ChainFormat.PEM: "PEM", ChainFormat.PKCS7_DER: "PKCS#7 DER (.p7b)",
           ChainFormat.PKCS7_PEM: "PKCS#7 PEM (.p7b)"}
_SUFFIXES = (".pem", ".p7b", ".p7c", ".der", ".crt", ".cer")


def chain_bytes(bundle: Bundle, fmt: ChainFormat, *, include_keys: bool = False) -> bytes:
    """The bundle's certificates in ``fmt``; keys (with ``include_keys``) only in PEM, each after its certificate."""
    if fmt is ChainFormat.PEM:
        from .fixes import to_pem

        return to_pem(bundle, include_keys=include_keys).encode("ascii")
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs7  # loaded when PKCS#7 is written

    encoding = Encoding.DER if fmt is ChainFormat.PKCS7_DER else Encoding.PEM
    return pkcs7.serialize_certificates([entry.cert for entry in bundle.certs], encoding)


def certificate_bytes(entry: CertEntry, *, der: bool) -> bytes:
    """One certificate as DER or PEM (exactly the bytes it was loaded as, for DER)."""
    return entry.der if der else entry.pem.encode("ascii")


def with_suffix(path: str, suffix: str) -> str:
    """``path`` with a certificate file ending swapped for ``suffix`` (other names keep theirs and gain it)."""
    name = PurePath(path).name
    for known in _SUFFIXES:
        if name.lower().endswith(known) and len(name) > len(known):
            return path[: len(path) - len(known)] + suffix
    return path + suffix if path else path
