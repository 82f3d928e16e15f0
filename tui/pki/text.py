"""Making attacker-controlled certificate text inert before it reaches a terminal."""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, bidirectional overrides/isolates and other invisible format characters.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def inert(text: str, *, keep_newlines: bool = False) -> str:
    """Replace control and bidi characters with visible ``\\xNN``/``\\uNNNN`` escapes."""

    def sub(match: re.Match[str]) -> str:
        ch = match.group(0)
        code = ord(ch)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    text = _UNSAFE.sub(sub, text)
    if not keep_newlines:
        text = text.replace("\n", "\\n").replace("\t", " ")
    return text


def shorten(text: str, width: int) -> str:
    """Cut long names (a 10,000-character subject) to ``width`` characters with an ellipsis."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
