"""Making attacker-controlled text inert before it reaches a terminal: the one escaping function."""

from __future__ import annotations

import re

# Every range is shown as a visible escape. Sources: Unicode's Default_Ignorable_Code_Point
# property (DerivedCoreProperties.txt) for the invisible ones, and the bidi format characters of
# UAX #9 (all of them are default-ignorable too).
UNSAFE_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0000, 0x0008, "C0 control"),
    (0x000B, 0x001F, "C0 control"),  # tab and newline are handled apart (see inert)
    (0x007F, 0x009F, "DEL and C1 control"),
    (0x00AD, 0x00AD, "soft hyphen"),
    (0x034F, 0x034F, "combining grapheme joiner"),
    (0x061C, 0x061C, "Arabic letter mark (bidi)"),
    (0x115F, 0x1160, "Hangul choseong/jungseong filler"),
    (0x17B4, 0x17B5, "Khmer inherent vowels"),
    (0x180B, 0x180F, "Mongolian variation selectors and vowel separator"),
    (0x200B, 0x200F, "zero-width characters and LRM/RLM (bidi)"),
    (0x2028, 0x2029, "line and paragraph separators"),
    (0x202A, 0x202E, "bidi embeddings and overrides"),
    (0x2060, 0x206F, "word joiner, invisible operators, bidi isolates"),
    (0x3164, 0x3164, "Hangul filler"),
    (0xD800, 0xDFFF, "lone surrogate"),
    (0xFE00, 0xFE0F, "variation selectors"),
    (0xFEFF, 0xFEFF, "zero-width no-break space (BOM)"),
    (0xFFA0, 0xFFA0, "halfwidth Hangul filler"),
    (0xFFF0, 0xFFF8, "unassigned specials"),
    (0x1BCA0, 0x1BCA3, "shorthand format controls"),
    (0x1D173, 0x1D17A, "musical symbol format controls"),
    (0xE0000, 0xE0FFF, "tag characters and variation selectors supplement"),
)
_UNSAFE = re.compile("[" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b, _ in UNSAFE_RANGES) + "]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not valid text, kept by surrogateescape (file names)
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def inert(text: str, *, keep_newlines: bool = False) -> str:
    """Show controls, bidi and invisible characters and lone surrogates as visible escapes.

    C0/C1 controls and DEL become ``\\xNN``, other unsafe characters ``\\uNNNN`` or ``\\UNNNNNNNN``
    (see ``UNSAFE_RANGES``); a lone surrogate from a file name's undecodable byte becomes that
    byte, ``\\xNN``. A tab becomes a space and a newline ``\\n`` unless ``keep_newlines``. The
    result is encodable as strict UTF-8 and holds no character that moves the cursor, changes the
    text direction or takes no room; printable text is unchanged.
    """
    text = _UNSAFE.sub(_escape, text).replace("\t", " ")
    return text if keep_newlines else text.replace("\n", "\\n")


def shorten(text: str, width: int) -> str:
    """Cut long names (a 10,000-character subject) to ``width`` characters with an ellipsis."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
