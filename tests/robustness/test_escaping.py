"""``inert()``, the one escaping function: what it must escape, how, and that plain text passes unchanged.

The table is written from the specifications, not from the implementation: C0 and C1 controls,
Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt; bidi controls are
among them), the line and paragraph separators, and lone surrogates (a file name's undecodable
bytes, kept by surrogateescape).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.pki.text import inert

# (first, last, what) of every range that must never reach a terminal raw.
SPEC = [
    (0x0000, 0x0008, "C0 controls"), (0x000B, 0x001F, "C0 controls"), (0x007F, 0x007F, "DEL"),
    (0x0080, 0x009F, "C1 controls"),
    (0x00AD, 0x00AD, "soft hyphen"), (0x034F, 0x034F, "combining grapheme joiner"),
    (0x061C, 0x061C, "Arabic letter mark"), (0x115F, 0x1160, "Hangul fillers"),
    (0x17B4, 0x17B5, "Khmer inherent vowels"), (0x180B, 0x180F, "Mongolian selectors"),
    (0x200B, 0x200F, "zero width, LRM, RLM"), (0x2028, 0x2029, "line/paragraph separator"),
    (0x202A, 0x202E, "bidi embeddings, overrides"), (0x2060, 0x206F, "word joiner, isolates"),
    (0x3164, 0x3164, "Hangul filler"), (0xD800, 0xDFFF, "surrogates"), (0xFE00, 0xFE0F, "variation selectors"),
    (0xFEFF, 0xFEFF, "byte order mark"), (0xFFA0, 0xFFA0, "halfwidth Hangul filler"),
    (0xFFF0, 0xFFF8, "specials"), (0x1BCA0, 0x1BCA3, "shorthand format controls"),
    (0x1D173, 0x1D17A, "musical format controls"), (0xE0000, 0xE0FFF, "tags, variation selectors supplement"),
]


def unsafe(ch: str) -> bool:
    code = ord(ch)
    return any(first <= code <= last for first, last, _ in SPEC)


def expected(code: int) -> str:
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


CODES = sorted({c for first, last, _ in SPEC for c in (first, (first + last) // 2, last)})


@pytest.mark.parametrize("code", CODES, ids=[f"U+{c:04X}" for c in CODES])
def test_every_range_is_escaped(code: int) -> None:
    assert inert(f"a{chr(code)}b") == f"a{expected(code)}b"


@pytest.mark.parametrize(("text", "shown"), [
    ("CN=\U000e0041\U000e0042", "CN=\\U000e0041\\U000e0042"),  # tag letters: invisible text
    ("soft\u00adhyphen", "soft\\xadhyphen"),
    ("\u3164\u115f", "\\u3164\\u115f"),
    ("invoice\u202eexe.pdf", "invoice\\u202eexe.pdf"),
    ("name\udcff.pem", "name\\xff.pem"),  # surrogateescape of the byte 0xff
    ("lone\ud800", "lone\\ud800"),
    ("\x1b]52;c;AAAA\x07", "\\x1b]52;c;AAAA\\x07"),
    ("tab\there", "tab here"),
    ("two\nlines", "two\\nlines"),
])
def test_examples(text: str, shown: str) -> None:
    assert inert(text) == shown


def test_keep_newlines_keeps_only_newlines() -> None:
    assert inert("a\nb\tc\r\u2028", keep_newlines=True) == "a\nb c\\x0d\\u2028"


# Any code point, surrogates included (what a surrogate-escaped name or a hostile certificate holds),
# with the unsafe ranges drawn often enough to meet each other and the printable text around them.
any_char = st.one_of(
    st.characters(codec=None, categories=None),
    st.sampled_from(SPEC).flatmap(lambda r: st.integers(r[0], r[1])).map(chr),
)
any_text = st.text(any_char, max_size=60)


@settings(max_examples=500)
@given(text=any_text, keep=st.booleans())
def test_output_is_always_safe_and_strictly_encodable(text: str, keep: bool) -> None:
    out = inert(text, keep_newlines=keep)
    assert not any(unsafe(ch) for ch in out)
    assert "\t" not in out and ("\n" not in out or keep)
    out.encode("utf-8", "strict")


@settings(max_examples=300)
@given(text=st.text(st.characters(codec=None, categories=None).filter(lambda c: not unsafe(c) and c not in "\t\n"),
                    max_size=60))
def test_plain_printable_text_is_unchanged(text: str) -> None:
    assert inert(text) == text


@settings(max_examples=300)
@given(text=any_text)
def test_escaping_twice_changes_nothing(text: str) -> None:
    assert inert(inert(text)) == inert(text)
