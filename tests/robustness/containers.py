"""Valid PKCS#12 and PKCS#7 containers, and hypothesis strategies that damage them structurally.

The containers are generated with cryptography (and ``tests.robustness.pfx`` for the shapes it does
not write); a mutation parses the DER into a tree (OCTET STRINGs that wrap DER included), changes
iteration counts, drops, repeats or re-tags elements, cuts contents, and re-encodes with correct
lengths, optionally breaking one length field afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.hazmat.primitives.serialization.pkcs12 import PBES
from hypothesis import strategies as st

from tests import factory as f
from tests.robustness import pfx
from tests.robustness.support import der_len

PASSWORD = b"chaindoctor"
_H = f.hierarchy("containers")
# Iteration counts around the interesting edges: zero, negative, ordinary, just under and over the
# visible ceiling (5,000,000 summed), and counts that do not fit 32 or 64 bits.
ITERATIONS = (0, 1, -1, 2048, 600_000, 4_999_999, 5_000_001, 2**31 - 1, 2**32, 2**63, 2**64 + 5)


def _p12(algorithm: PBES | None, *, key: bool = True, rounds: int = 2048) -> bytes:
    if algorithm is None:
        encryption: serialization.KeySerializationEncryption = serialization.NoEncryption()
    else:
        mac = hashes.SHA256() if algorithm is PBES.PBESv2SHA256AndAES256CBC else hashes.SHA1()
        encryption = (serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(rounds)
                      .key_cert_algorithm(algorithm).hmac_hash(mac).build(PASSWORD))
    return pkcs12.serialize_key_and_certificates(b"fuzz", _H.leaf.key if key else None, _H.leaf.cert,
                                                 [_H.inter.cert, _H.root.cert], encryption)


PKCS12 = {
    "aes.p12": _p12(PBES.PBESv2SHA256AndAES256CBC),
    "3des.p12": _p12(PBES.PBESv1SHA1And3KeyTripleDESCBC),
    "certs-only.p12": _p12(PBES.PBESv2SHA256AndAES256CBC, key=False),
    "plain.p12": _p12(None),
    "hidden-key.p12": pfx.pfx(PASSWORD, 2048, pfx.encrypted_contents(
        PASSWORD, 2048, pfx.cert_bag(_H.leaf.cert), pfx.shrouded_key_bag(_H.leaf.key, PASSWORD, 2048))),
    "no-mac.p12": pfx.pfx(PASSWORD, None, pfx.plain_contents(pfx.cert_bag(_H.leaf.cert), pfx.key_bag(_H.leaf.key))),
}
PKCS7 = {
    "chain.p7b": pkcs7.serialize_certificates([_H.leaf.cert, _H.inter.cert, _H.root.cert], serialization.Encoding.DER),
    "one.p7b": pkcs7.serialize_certificates([_H.leaf.cert], serialization.Encoding.DER),
}


@dataclass
class Node:
    """One DER element: primitive ``content``, or ``children`` (constructed, or an OCTET STRING wrapping DER)."""

    tag: int
    content: bytes = b""
    children: list[Node] | None = field(default=None)


def parse(buf: bytes) -> list[Node] | None:
    """The elements of definite-length DER, or None when ``buf`` is not exactly that."""
    nodes: list[Node] = []
    pos = 0
    while pos < len(buf):
        if pos + 2 > len(buf) or buf[pos] & 0x1F == 0x1F:
            return None
        tag, first = buf[pos], buf[pos + 1]
        if first < 0x80:
            start, length = pos + 2, first
        else:
            n = first & 0x7F
            if not 0 < n <= 4 or pos + 2 + n > len(buf):
                return None
            start, length = pos + 2 + n, int.from_bytes(buf[pos + 2:pos + 2 + n], "big")
        end = start + length
        if end > len(buf):
            return None
        content = buf[start:end]
        inner = parse(content) if tag & 0x20 or (tag == 0x04 and content[:1] == b"\x30") else None
        if tag & 0x20 and inner is None:
            return None
        nodes.append(Node(tag, content, inner))
        pos = end
    return nodes


def encode(nodes: list[Node]) -> bytes:
    out = bytearray()
    for node in nodes:
        content = encode(node.children) if node.children is not None else node.content
        out += bytes([node.tag]) + der_len(len(content)) + content
    return bytes(out)


def _walk(nodes: list[Node]) -> list[tuple[list[Node], int]]:
    """Every (sibling list, index) in the tree, parents before children."""
    found = []
    for i, node in enumerate(nodes):
        found.append((nodes, i))
        if node.children is not None:
            found += _walk(node.children)
    return found


def _iteration_counts(nodes: list[Node]) -> list[Node]:
    """INTEGERs right after an OCTET STRING: where MAC, PBKDF2 and PKCS#12-PBE keep their counts."""
    return [sib[i] for sib, i in _walk(nodes) if i > 0 and sib[i].tag == 0x02 and sib[i - 1].tag == 0x04]


def _integer(value: int) -> bytes:
    return value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True)


@st.composite
def damaged(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` (DER) after a few structural mutations, re-encoded; sometimes one length broken afterwards."""
    tree = parse(data)
    assert tree is not None, "the corpus is DER"
    for _ in range(draw(st.integers(1, 4))):
        spots = _walk(tree)
        siblings, i = draw(st.sampled_from(spots))
        op = draw(st.sampled_from(("iterations", "iterations", "drop", "repeat", "retag", "cut")))
        counts = _iteration_counts(tree)
        if op == "iterations" and counts:
            draw(st.sampled_from(counts)).content = _integer(draw(st.sampled_from(ITERATIONS)))
        elif op == "drop" and len(siblings) > 1:
            del siblings[i]
        elif op == "repeat":
            siblings.insert(i, siblings[i])
        elif op == "retag":
            siblings[i] = Node(draw(st.sampled_from((0x02, 0x04, 0x05, 0x06, 0x30, 0x31, 0xA0, 0x80))),
                               siblings[i].content, siblings[i].children)
        elif op == "cut" and siblings[i].children is None:
            siblings[i].content = siblings[i].content[:draw(st.integers(0, len(siblings[i].content)))]
    out = bytearray(encode(tree))
    if draw(st.booleans()):  # a length field that no longer matches: short, long, indefinite or 4 GiB
        headers = [pos for pos in range(len(out) - 1) if out[pos] in (0x30, 0x31, 0x04, 0xA0, 0x02)]
        pos = draw(st.sampled_from(headers))
        out[pos + 1:pos + 2] = draw(st.sampled_from([b"\x00", b"\x7f", b"\x80", b"\x81\xff", b"\x84\xff\xff\xff\xff"]))
    return bytes(out)


def damaged_container(corpus: dict[str, bytes]) -> st.SearchStrategy[tuple[str, bytes]]:
    return st.sampled_from(sorted(corpus)).flatmap(lambda name: damaged(corpus[name]).map(lambda d: (name, d)))
