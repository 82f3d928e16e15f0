"""`chaindoctor fix --diff`: the chain before and after, one line per certificate that moved, came or went."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import factory
from tests.cli.test_json_schema import _valid
from tui.cli import main

SAMPLES = Path(__file__).resolve().parents[2] / "sample_certs"
TRUST = ["--roots", str(SAMPLES / "roots" / "local-root.pem"), "--no-system-roots"]
LEAF, FIN, SERVICE, ROOT = ("CN=orders.fin.service.local", "CN=*.fin.service.local Intermediate CA",
                            "CN=*.service.local Intermediate CA", "CN=*.local Root CA")


def fix(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["fix", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_diff_shows_moves_and_drops_with_their_reason(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "fixed.pem"
    status, text, err = fix(capsys, str(SAMPLES / "demo.pem"), "-o", str(out), *TRUST, "--diff")
    assert (status, err) == (0, "")
    diff = text[text.index("Before -> after:"):].splitlines()
    assert diff == [
        "Before -> after: 3 moved, 2 dropped",
        f"    #2 -> #1  '{LEAF}'",
        f"    #1 -> #2  '{FIN}'",
        f"    #4 -> #3  '{SERVICE}'",
        f"  - #3  '{ROOT}' (root)",
        f"  - #5  '{FIN}' (duplicate)",
    ]


def test_diff_says_where_an_added_issuer_came_from(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(SAMPLES.parent)
    out = tmp_path / "fixed.pem"
    status, text, _ = fix(capsys, "sample_certs/missing-intermediate.pem", "-o", str(out), *TRUST,
                          "--search", "sample_certs/pool", "--diff")
    assert status == 0
    assert text.endswith("Before -> after: 1 added, 2 unchanged\n"
                         f"  + new -> #3  '{SERVICE}' from search path sample_certs/pool/service-intermediate.pem:1\n")


def test_diff_goes_to_stderr_when_the_chain_goes_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    status, text, err = fix(capsys, str(SAMPLES / "reversed.pem"), "-o", "-", *TRUST, "--diff")
    assert status == 0 and text.startswith("-----BEGIN CERTIFICATE-----") and "Before" not in text
    assert err == f"Before -> after: 2 moved, 1 unchanged\n    #3 -> #1  '{LEAF}'\n    #1 -> #3  '{SERVICE}'\n"


def test_diff_in_json_and_nothing_without_the_option(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, text, _ = fix(capsys, str(SAMPLES / "extra-cert.pem"), "-o", str(tmp_path / "a.pem"), *TRUST,
                          "--diff", "--json")
    assert status == 0
    _valid(json.loads(text), "fix")
    diff = json.loads(text)["diff"]
    assert [(d["before"], d["reason"]) for d in diff["dropped"]] == [(4, "extra")]
    assert diff["added"] == [] and diff["unchanged"] == 3
    _, plain, _ = fix(capsys, str(SAMPLES / "extra-cert.pem"), "-o", str(tmp_path / "b.pem"), *TRUST)
    assert "Before -> after" not in plain


def test_hostile_names_in_the_diff_are_inert(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    root = factory.ca("evil Root")
    inter = factory.ca("evil\x1b[2J\u202e [bold]CA[/]", root)
    leaf = factory.make("evil leaf", inter, dns=["x.example"])
    source = tmp_path / "evil.pem"
    source.write_bytes(factory.pem_of(inter, leaf))
    roots = tmp_path / "root.pem"
    roots.write_bytes(root.pem)
    status, text, _ = fix(capsys, str(source), "-o", str(tmp_path / "out.pem"), "--roots", str(roots),
                          "--no-system-roots", "--host", "x.example", "--diff")
    diff = text[text.index("Before -> after:"):]
    assert "\x1b" not in diff and "\u202e" not in diff
    assert "evil\\x1b[2J\\u202e [bold]CA[/]" in diff and "#2 -> #1" in diff
