"""Bounded DER slicing of a certificate: its names and its extensions, one by one.

cryptography parses a certificate's extensions as a whole: one extension it cannot read (an
unknown policy qualifier, say) makes ``cert.extensions`` fail and hides a well-formed
basicConstraints with it. These helpers cut the certificate into its parts without building
objects, so each extension can be read on its own. Every walk is bounded by the input's length.
"""

from __future__ import annotations

from typing import NamedTuple

SEQUENCE, BOOLEAN, OCTET_STRING, OID, EXPLICIT_3 = 0x30, 0x01, 0x04, 0x06, 0xA3
MAX_EXTENSIONS = 512  # extensions read one by one per certificate; more are left unread


def tlv(der: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, value start, value end) of the DER element at ``pos``; IndexError past the end."""
    tag, first = der[pos], der[pos + 1]
    if first < 0x80:
        return tag, pos + 2, pos + 2 + first
    n = first & 0x7F
    start = pos + 2 + n
    if start > len(der):
        raise IndexError("length runs past the end")
    return tag, start, start + int.from_bytes(der[pos + 2:start], "big")


def encode(tag: int, body: bytes) -> bytes:
    """One DER element."""
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body


class Tbs(NamedTuple):
    """Where the parts of a certificate are: the TBS body, its names, and the extensions element."""

    tbs: tuple[int, int]  # start and end of the TBSCertificate's content (its fields)
    issuer: tuple[int, int]
    subject: tuple[int, int]
    extensions: tuple[int, int] | None  # the [3] element, when present
    rest: tuple[int, int]  # signatureAlgorithm and signature, after the TBS
    spki: tuple[int, int] = (0, 0)  # the subjectPublicKeyInfo element


def tbs_layout(der: bytes) -> Tbs | None:
    """The layout of a certificate's DER, or None when it does not have the expected shape."""
    try:
        _, body, cert_end = tlv(der, 0)  # Certificate ::= SEQUENCE {
        tbs_tag, pos, tbs_end = tlv(der, body)  # tbsCertificate TBSCertificate ::= SEQUENCE {
        if tbs_tag != SEQUENCE or tbs_end > len(der) or cert_end > len(der):
            return None
        content = pos
        tag, _, end = tlv(der, pos)
        if tag == 0xA0:  # [0] version
            pos = end
        _, _, pos = tlv(der, pos)  # serialNumber
        _, _, pos = tlv(der, pos)  # signature AlgorithmIdentifier
        issuer_start = pos
        _, _, issuer_end = tlv(der, pos)
        _, _, subject_start = tlv(der, issuer_end)  # validity
        _, _, subject_end = tlv(der, subject_start)
        spki_start = subject_end
        _, _, pos = tlv(der, subject_end)  # subjectPublicKeyInfo
        spki_end = pos
        extensions = None
        while pos < tbs_end:  # [1] issuerUniqueID, [2] subjectUniqueID, [3] extensions
            tag, _, end = tlv(der, pos)
            if tag == EXPLICIT_3:
                extensions = (pos, end)
            pos = end
    except IndexError:
        return None
    if der[issuer_start] != SEQUENCE or der[subject_start] != SEQUENCE or subject_end > tbs_end:
        return None
    if der[spki_start] != SEQUENCE or spki_end > tbs_end:
        return None
    return Tbs((content, tbs_end), (issuer_start, issuer_end), (subject_start, subject_end), extensions,
               (tbs_end, cert_end), (spki_start, spki_end))


def raw_names(der: bytes) -> tuple[bytes, bytes] | None:
    """(issuer, subject) Name encodings sliced from a certificate's DER."""
    layout = tbs_layout(der)
    if layout is None:
        return None
    return der[slice(*layout.issuer)], der[slice(*layout.subject)]


class RawExtension(NamedTuple):
    """One extension as encoded: its OID (DER body), criticality and the whole element."""

    oid: bytes
    critical: bool
    element: bytes


def raw_extensions(der: bytes, layout: Tbs | None = None) -> list[RawExtension]:
    """The extensions of a certificate, in order, read without interpreting their values."""
    layout = layout or tbs_layout(der)
    if layout is None or layout.extensions is None:
        return []
    out: list[RawExtension] = []
    try:
        _, start, end = tlv(der, layout.extensions[0])  # [3] EXPLICIT
        tag, pos, seq_end = tlv(der, start)  # Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension
        if tag != SEQUENCE or seq_end > end:
            return []
        while pos < seq_end and len(out) < MAX_EXTENSIONS:
            tag, body, ext_end = tlv(der, pos)
            if tag != SEQUENCE or ext_end > seq_end:
                break
            oid_tag, oid_start, oid_end = tlv(der, body)
            if oid_tag != OID:
                break
            critical = False
            tag, value_start, value_end = tlv(der, oid_end)
            if tag == BOOLEAN:
                critical = der[value_start:value_end] != b"\x00"
            out.append(RawExtension(der[oid_start:oid_end], critical, der[pos:ext_end]))
            pos = ext_end
    except IndexError:
        pass
    return out


def with_only(der: bytes, layout: Tbs, extension: RawExtension) -> bytes:
    """The certificate re-encoded with ``extension`` as its only extension (its signature no longer fits).

    Lets a parser that reads extensions as a whole read this one alone.
    """
    assert layout.extensions is not None
    tbs_start, tbs_end = layout.tbs
    ext_start, ext_end = layout.extensions
    head = der[tbs_start:ext_start]  # the TBS fields before [3]
    tail = der[ext_end:tbs_end]
    tbs = head + encode(EXPLICIT_3, encode(SEQUENCE, extension.element)) + tail
    return encode(SEQUENCE, encode(SEQUENCE, tbs) + der[slice(*layout.rest)])
