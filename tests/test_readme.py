"""The README's tables are current: every key of the app and every finding code is in them."""

from __future__ import annotations

import re
from pathlib import Path

from tui.app.keys import KEYS
from tui.pki.vocabulary import Code

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
LISTED_ELSEWHERE = {"escape", "tab", "ctrl+p", "ctrl+n", "ctrl+g"}  # Textual's own keys, and the lessons' in a line


def _first_column(header: str) -> set[str]:
    """The backquoted words in the first column of the table that starts with ``header``."""
    table = README.split(header, 1)[1].split("\n\n", 1)[0]
    return {word for row in table.splitlines()[2:] for word in re.findall(r"`([^`]+)`", row.split("|")[1])}


def test_every_key_is_in_the_readme() -> None:
    listed = _first_column("| key | action |")
    missing = [k.shown for k in KEYS if k.shown not in listed and k.shown not in LISTED_ELSEWHERE]
    assert missing == []


def test_every_finding_code_is_in_the_readme() -> None:
    listed = _first_column("| code | severity | when |")
    assert [code for code in Code if code not in listed] == []
