"""The explanation and glossary files for the live codes and terms have the shape front ends load."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tui.pki.explain import GLOSSARY
from tui.pki.vocabulary import Code

DATA = Path(__file__).resolve().parents[2] / "tui" / "data"
LIVE_CODES = [Code.OCSP_REVOKED, Code.OCSP_UNUSABLE, Code.SNI_DIFFERS]
NEW_TERMS = ["alpn", "ocsp-stapling", "starttls"]
PLACEHOLDERS = {"bundle", "roots", "host", "port"}


def known_terms() -> set[str]:
    return set(GLOSSARY) | {p.stem for p in (DATA / "glossary").glob("*.md")}


@pytest.mark.parametrize("code", LIVE_CODES)
def test_explanation_file_shape(code: Code) -> None:
    text = (DATA / "explanations" / f"{code}.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0].startswith("# ") and len(lines[0]) > 10 and lines[1] == ""
    head = text.split("\n## ", 1)[0]
    fields = re.findall(r"^(stands-for|glossary|openssl): (.+)$", head, re.MULTILINE)
    assert [k for k, _ in fields][:2] == ["stands-for", "glossary"] and "openssl" in {k for k, _ in fields}
    glossary = [t.strip() for t in dict(fields)["glossary"].split(",")]
    assert set(glossary) <= known_terms(), set(glossary) - known_terms()
    for _, command in (f for f in fields if f[0] == "openssl"):
        assert set(re.findall(r"\{(\w+)\}", command)) <= PLACEHOLDERS
    assert re.findall(r"^## (.+)$", text, re.MULTILINE) == ["What it means", "Why clients fail", "How to fix it"]
    why = text.split("## Why clients fail", 1)[1].split("## How to fix it", 1)[0]
    for line in why.splitlines():
        if line.startswith("- "):
            assert "<!-- source: " in line, f"a client claim without its source: {line}"


@pytest.mark.parametrize("term", NEW_TERMS)
def test_glossary_file_shape(term: str) -> None:
    lines = (DATA / "glossary" / f"{term}.md").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# ") and lines[1] == "" and lines[2].startswith("see: ") and lines[3] == ""
    assert {t.strip() for t in lines[2][5:].split(",")} <= known_terms()
    assert GLOSSARY[term].definition  # the loader reads it
    assert len(" ".join(lines[4:])) > 80
