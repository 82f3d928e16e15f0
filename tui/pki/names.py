"""Distinguished-name matching as clients do it: RFC 5280 §7.1 on OpenSSL's canonical encoding.

RFC 5280 §7.1 asks verifiers to compare names after case-folding and whitespace folding of their
string attributes, so an issuer name written ``CN=Example CA`` in a PrintableString matches a
subject written ``cn=example  ca`` in a UTF8String. OpenSSL (and BoringSSL, which kept its code)
compares a canonical encoding built by ``x509_name_canon`` in ``crypto/x509/x_name.c``: every
attribute value of a string type (``ASN1_MASK_CANON``: UTF8String, BMPString, UniversalString,
PrintableString, T61String, IA5String, VisibleString) is converted to UTF-8, leading and trailing
ASCII whitespace is removed, inner runs of whitespace become one space and ASCII letters are
lower-cased (``asn1_string_canon``); other values are kept as they are. ``canonical`` builds the
same form from the DER of a Name, so an index keyed by it finds what OpenSSL's ``X509_NAME_cmp``
finds. BoringSSL's test chain ``issuer-and-subject-not-byte-for-byte-equal`` is a real-world case.
"""

from __future__ import annotations

from functools import lru_cache

from .der import encode, tlv

# DER tag -> how ASN1_STRING_to_UTF8 reads the bytes (crypto/asn1/a_mbstr.c: one byte per
# character for Printable/T61/IA5/Visible, UTF-16 for BMP, UTF-32 for Universal).
_STRING_TAGS = {
    0x0C: "utf-8",  # UTF8String
    0x13: "latin-1",  # PrintableString
    0x14: "latin-1",  # T61String (TeletexString)
    0x16: "latin-1",  # IA5String
    0x1A: "latin-1",  # VisibleString
    0x1E: "utf-16-be",  # BMPString
    0x1C: "utf-32-be",  # UniversalString
}
_SET, _SEQUENCE, _OID = 0x31, 0x30, 0x06


def fold(value: bytes, tag: int) -> bytes | None:
    """The canonical UTF-8 of one string attribute (``asn1_string_canon``), None when it does not decode."""
    codec = _STRING_TAGS.get(tag)
    if codec is None:
        return None
    try:
        text = value.decode(codec)
    except UnicodeDecodeError:
        return None
    # bytes.split() splits on ASCII whitespace only and bytes.lower() lowers ASCII letters only,
    # exactly like ossl_isspace / ossl_tolower on the UTF-8 bytes.
    return b" ".join(text.encode("utf-8", "surrogatepass").split()).lower()


@lru_cache(maxsize=8192)
def canonical(name_der: bytes) -> bytes:
    """The canonical form of a DER Name; a Name that does not parse is its own (exact) form.

    Each RDN becomes a DER SET of its canonical ``SEQUENCE {OID, UTF8String}`` entries, sorted as
    DER sorts a SET OF; non-string values keep their whole encoding. Two names match exactly when
    their canonical forms are equal.
    """
    try:
        return _canonical(name_der)
    except (IndexError, ValueError):
        return b"raw:" + name_der


def _canonical(der: bytes) -> bytes:
    tag, pos, end = tlv(der, 0)
    if tag != _SEQUENCE or end != len(der):
        raise ValueError("not a Name")
    rdns: list[bytes] = []
    while pos < end:
        tag, start, rdn_end = tlv(der, pos)
        if tag != _SET or rdn_end > end:
            raise ValueError("not an RDN")
        entries: list[bytes] = []
        while start < rdn_end:
            tag, body, entry_end = tlv(der, start)
            if tag != _SEQUENCE or entry_end > rdn_end:
                raise ValueError("not an attribute")
            oid_tag, _, oid_end = tlv(der, body)
            if oid_tag != _OID:
                raise ValueError("attribute without a type")
            value_tag, value_start, value_end = tlv(der, oid_end)
            if value_end != entry_end:
                raise ValueError("attribute with trailing data")
            folded = fold(der[value_start:value_end], value_tag)
            value = der[oid_end:value_end] if folded is None else encode(0x0C, folded)
            entries.append(encode(_SEQUENCE, der[body:oid_end] + value))
            start = entry_end
        rdns.append(encode(_SET, b"".join(sorted(entries))))
        pos = rdn_end
    return b"".join(rdns)
