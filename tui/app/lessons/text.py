"""Lesson prose to Rich ``Text``: `code` highlighted, ``[[label:key]]`` as a link to the glossary.

Only our own static text goes through here; certificate-derived text never does, so no certificate
can carry a link (an action) into the app.
"""

from __future__ import annotations

import re

from rich.style import Style
from rich.text import Text

_TOKEN = re.compile(r"`([^`]+)`|\[\[([^:\]]+):([a-z0-9-]+)\]\]")


def term_link(label: str, key: str) -> Text:
    """``label`` underlined; a click opens the glossary at ``key``."""
    return Text(label, style=Style(underline=True, bold=True, meta={"@click": f"app.glossary({key!r})"}))


def prose(text: str, style: str = "") -> Text:
    """A paragraph or a few: bullets as ``•``, `code` in cyan, glossary links underlined."""
    out = Text(style=style)
    for line in text.split("\n"):
        if line.startswith("- "):
            out.append("  • ")
            line = line[2:]
        last = 0
        for match in _TOKEN.finditer(line):
            out.append(line[last:match.start()])
            if match.group(1) is not None:
                out.append(match.group(1), style="bold cyan")
            else:
                out.append_text(term_link(match.group(2), match.group(3)))
            last = match.end()
        out.append(line[last:] + "\n")
    out.rstrip()
    return out

