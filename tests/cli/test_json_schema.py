"""The JSON report is documented in docs/report.schema.json, and real output of every --json command
validates against it: check (files and a live server), fix, mtls, scan (JSON Lines) and the error object."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from tui.cli import main

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample_certs"
LOCAL_ROOT = str(SAMPLES / "roots" / "local-root.pem")
SCHEMA = json.loads((REPO / "docs" / "report.schema.json").read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)


def _valid(document: object, kind: str) -> None:
    errors = sorted(VALIDATOR.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    kinds = [name for name in ("report", "fix", "mtls", "scan_result", "scan_error", "error")
             if Draft202012Validator({"$defs": SCHEMA["$defs"], "$ref": f"#/$defs/{name}"}).is_valid(document)]
    assert kinds == [kind], kinds


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(list(argv))
    return status, capsys.readouterr().out


def test_schema_is_valid() -> None:
    Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("sample", ["demo.pem", "good-chain.pem", "missing-intermediate.pem", "good-chain.p7b",
                                    "combined-key-chain.pem", "regional-cas.pem"])
def test_check_output_matches_the_schema(capsys: pytest.CaptureFixture[str], sample: str) -> None:
    status, out = _run(capsys, "check", str(SAMPLES / sample), "--roots", LOCAL_ROOT, "--no-system-roots", "--json")
    assert status in (0, 1)
    report = json.loads(out)
    _valid(report, "report")
    assert [c["number"] for c in report["certificates"]] == [c["index"] + 1 for c in report["certificates"]]


def test_fix_output_matches_the_schema(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out = _run(capsys, "fix", str(SAMPLES / "demo.pem"), "--roots", LOCAL_ROOT, "--no-system-roots",
                       "--json", "-o", str(tmp_path / "fixed.pem"))
    assert status == 0
    _valid(json.loads(out), "fix")


def test_mtls_output_matches_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    mtls = SAMPLES / "mtls"
    status, out = _run(capsys, "mtls", "--server-chain", str(mtls / "server-chain.pem"), "--server-trust",
                       str(mtls / "client-root.pem"), "--client-chain", str(mtls / "client-chain.pem"),
                       "--client-trust", str(mtls / "server-root.pem"), "--json")
    assert status in (0, 1)
    _valid(json.loads(out), "mtls")


@pytest.mark.parametrize("argv", [
    ["check", "no-such-file.pem", "--json"],
    ["mtls", "--server-chain", "missing.pem", "--server-trust", "x", "--client-chain", "y", "--client-trust", "z",
     "--json"],
    ["fix", "no-such-file.pem", "-o", "out.pem", "--json"],
    ["check", "127.0.0.1:1", "--json", "--timeout", "2"],
])
def test_unusable_input_prints_the_error_object(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    status, out = _run(capsys, *argv)
    assert status == 2
    error = json.loads(out)
    _valid(error, "error")
    assert error["error"] and "\n" not in error["error"]


def test_live_check_and_scan_output_match_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.tlsserver import serve_tls
    from tui.cli.parse import parser_for
    from tui.cli.scan import run_scan

    chain = (SAMPLES / "good-chain.pem").read_bytes()
    key = (SAMPLES / "keys" / "orders.fin.service.local.key").read_bytes()
    with serve_tls(chain, key) as port:
        status, out = _run(capsys, "check", f"127.0.0.1:{port}", "--host", "orders.fin.service.local",
                           "--roots", LOCAL_ROOT, "--no-system-roots", "--json")
        assert status == 0
        report = json.loads(out)
        _valid(report, "report")
        assert report["live"][0]["endpoint"] == f"127.0.0.1:{port}"
        lines = io.StringIO()
        args = parser_for("scan").parse_args([f"127.0.0.1:{port}", "127.0.0.1:1", "--json", "--roots", LOCAL_ROOT,
                                              "--no-system-roots", "--host", "orders.fin.service.local",
                                              "--timeout", "3"])
        assert run_scan(args, out=lines, err=io.StringIO()) == 1
    results = [json.loads(line) for line in lines.getvalue().splitlines()]
    assert [("error" in r) for r in results] == [False, True]
    _valid(results[0], "scan_result")
    _valid(results[1], "scan_error")
