"""The teaching text covers every finding code of the contract, and its commands are safe."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tui.pki.explain import (
    EXPLANATIONS,
    FINDING_CODES,
    GLOSSARY,
    SEVERITY,
    WIDTH,
    explain,
    find_term,
    openssl_commands,
    render_glossary,
    render_text,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTRACT = REPO_ROOT.parent / "shared" / "CONTRACT.md"

HOSTILE = "a b;rm -rf x"


def _contract_codes() -> list[tuple[str, str]]:
    """(code, severity) rows of the contract's finding-code table, in order."""
    if not CONTRACT.is_file():
        pytest.skip(f"the shared contract is not present at {CONTRACT}")
    text = CONTRACT.read_text(encoding="utf-8")
    section = text.split("## Finding codes", 1)[1].split("\n## ", 1)[0]
    rows: list[tuple[str, str]] = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].startswith("`"):
            continue
        for code in re.findall(r"`([a-z0-9-]+)`", cells[0]):
            rows.append((code, cells[1]))
    assert rows, "no finding codes parsed from the contract"
    return rows


def test_every_contract_code_is_explained() -> None:
    rows = _contract_codes()
    missing = [code for code, _ in rows if code not in EXPLANATIONS]
    assert not missing, f"finding codes without an explanation: {missing}"


def test_codes_and_severities_agree_with_contract() -> None:
    rows = _contract_codes()
    assert list(FINDING_CODES) == [code for code, _ in rows]
    assert SEVERITY == dict(rows)


def test_tables_are_consistent() -> None:
    assert set(EXPLANATIONS) == set(FINDING_CODES) == set(SEVERITY)
    assert set(SEVERITY.values()) <= {"error", "warning", "info"}
    for code, exp in EXPLANATIONS.items():
        assert exp.code == code
        assert exp.severity == SEVERITY[code]


@pytest.mark.parametrize("code", FINDING_CODES)
def test_explanation_fields_are_filled(code: str) -> None:
    exp = explain(code)
    for field in ("title", "meaning", "why_it_breaks", "fix"):
        assert getattr(exp, field).strip(), f"{code}.{field} is empty"
    assert exp.openssl, f"{code} has no command"
    assert all(cmd.strip() for cmd in exp.openssl)
    assert exp.glossary, f"{code} links no glossary term"


def test_glossary_references_exist() -> None:
    for exp in EXPLANATIONS.values():
        unknown = [k for k in exp.glossary if k not in GLOSSARY]
        assert not unknown, f"{exp.code} links unknown glossary keys {unknown}"
    for term in GLOSSARY.values():
        unknown = [k for k in term.see_also if k not in GLOSSARY]
        assert not unknown, f"glossary {term.key} links unknown keys {unknown}"
        assert term.term.strip() and term.definition.strip()


def test_glossary_has_the_basics() -> None:
    for key in (
        "certificate", "leaf", "intermediate", "root", "trust-store", "chain", "bundle", "pem",
        "der", "pkcs7", "pkcs12", "subject", "issuer", "san", "cn", "validity", "signature",
        "public-key", "private-key", "fingerprint", "ski", "aki", "basic-constraints",
        "key-usage", "eku", "aia", "crl", "ocsp", "cross-signing", "self-signed", "sni",
        "tls-handshake", "mtls", "hostname-verification", "path-length", "name-constraints",
    ):
        assert key in GLOSSARY, key
    assert find_term("SAN") is GLOSSARY["san"]
    assert find_term("trust anchor") is GLOSSARY["root"]
    assert find_term("no such thing") is None


@pytest.mark.parametrize("code", FINDING_CODES)
def test_placeholders_are_filled(code: str) -> None:
    commands = openssl_commands(
        code, bundle="my chain.pem", roots="ca.pem", host="h.test", port=8443
    )
    assert len(commands) == len(explain(code).openssl)
    for cmd in commands:
        assert "{" not in cmd and "}" not in cmd, cmd
    joined = " ".join(explain(code).openssl)
    if "{bundle}" in joined:
        assert any("'my chain.pem'" in cmd for cmd in commands)
    if "{port}" in joined:
        assert any("h.test:8443" in cmd for cmd in commands)


def test_hostile_file_name_is_quoted() -> None:
    quoted = shlex.quote(HOSTILE)
    for code in FINDING_CODES:
        for cmd in openssl_commands(code, bundle=HOSTILE, roots=HOSTILE, host=HOSTILE):
            assert "rm -rf" not in cmd.replace(quoted, ""), cmd
    cmds = openssl_commands("missing-intermediate", bundle=HOSTILE)
    assert any(quoted in c for c in cmds)
    assert "openssl verify -CAfile roots.pem -untrusted " + quoted + " " + quoted in cmds


def test_render_single_code() -> None:
    exp = explain("wrong-order")
    out = render_text(["wrong-order"], bundle="b.pem")
    assert exp.title in out
    assert "openssl crl2pkcs7 -nocrl -certfile b.pem | openssl pkcs7 -print_certs -noout" in out
    assert "See also:" in out
    assert "missing-intermediate" not in out.splitlines()[0]
    for line in out.splitlines():
        if not line.lstrip().startswith("$"):
            assert len(line) <= WIDTH, line


def test_render_all_codes_in_contract_order() -> None:
    out = render_text(None)
    positions = [out.index(f"{code}: {explain(code).title}") for code in FINDING_CODES]
    assert positions == sorted(positions)
    assert not re.search(r"\{(bundle|roots|host|port)\}", out)


def test_render_glossary() -> None:
    out = render_glossary()
    for term in GLOSSARY.values():
        assert term.term in out
    assert all(len(line) <= WIDTH for line in out.splitlines())


def test_unknown_code_raises_value_error() -> None:
    with pytest.raises(ValueError, match="wrong-order"):
        explain("no-such-code")
    with pytest.raises(ValueError):
        openssl_commands("no-such-code")
    with pytest.raises(ValueError):
        render_text(["expired", "no-such-code"])


def test_an_explanation_file_must_name_a_code(tmp_path: Path) -> None:
    from tui.pki.explain import TextError, load_explanations

    (tmp_path / "no-such-code.md").write_text("# Title\n\n## What it means\n\nx\n", encoding="utf-8")
    with pytest.raises(TextError, match="no-such-code"):
        load_explanations(tmp_path)


def test_an_explanation_must_have_every_section(tmp_path: Path) -> None:
    from tui.pki.explain import TextError, load_explanations

    (tmp_path / "expired.md").write_text("# Expired\n\nglossary: validity\n\n## What it means\n\nIt is old.\n"
                                         "\n## How to fix it\n\nRenew it.\n", encoding="utf-8")
    with pytest.raises(TextError, match="Why clients fail"):
        load_explanations(tmp_path)


def test_source_notes_are_not_shown(tmp_path: Path) -> None:
    from tui.pki.explain import load_explanations

    (tmp_path / "expired.md").write_text(
        "# Expired\n\nstands-for: every client <!-- source: RFC 5280 6.1.3 (a)(2) -->\n"
        "openssl: openssl x509 -in {bundle}\n"
        "\n## What it means\n\nIt is old.\n\n## Why clients fail\n\nThey check dates. <!-- source: RFC 5280 -->\n"
        "\n## How to fix it\n\nRenew it.\n", encoding="utf-8")
    exp = load_explanations(tmp_path)["expired"]
    assert exp.why_it_breaks == "They check dates."
    assert exp.stands_for == "every client"
    assert exp.openssl == ("openssl x509 -in {bundle}",)


def test_explain_takes_any_case_and_falls_back_to_the_glossary() -> None:
    assert explain("WRONG-ORDER") is EXPLANATIONS["wrong-order"]
    out = render_text(["chain"])
    assert out.startswith(GLOSSARY["chain"].term)
    assert render_glossary(["AIA"]).count("\n") < 15
    with pytest.raises(ValueError, match="glossary"):
        render_glossary(["no such word"])
