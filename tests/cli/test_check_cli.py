"""`chaindoctor check` end to end: every sample bundle, JSON, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factory import make, pem_of
from tui.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_certs"
LOCAL_ROOT = str(SAMPLES / "roots" / "local-root.pem")

# file, extra options, the finding codes its README line promises, exit status
EXPECTED = [
    ("good-chain.pem", ["--host", "orders.fin.service.local"], set(), 0),
    ("reversed.pem", [], {"wrong-order"}, 1),
    ("shuffled.pem", [], {"wrong-order"}, 1),
    ("missing-intermediate.pem", [], {"missing-intermediate"}, 1),
    ("root-included.pem", [], {"contains-root"}, 0),
    ("extra-cert.pem", [], {"extra-cert"}, 0),
    ("duplicate.pem", [], {"duplicate-cert"}, 0),
    ("expired-intermediate.pem", [], {"expired"}, 1),
    ("bad-signature.pem", [], {"bad-signature"}, 1),
    ("wrong-host.pem", ["--host", "orders.fin.service.local"], {"hostname-mismatch"}, 1),
    ("wrong-host.pem", [], set(), 0),
    ("client-only-leaf.pem", [], {"wrong-purpose"}, 1),
    ("client-only-leaf.pem", ["--purpose", "client"], set(), 0),
    ("combined-key-chain.pem", [], {"private-key-present"}, 0),
    ("key-mismatch.pem", [], {"key-mismatch", "private-key-present"}, 1),
    ("not-a-ca.pem", [], {"not-a-ca"}, 1),
    ("demo.pem", [], {"wrong-order", "contains-root", "duplicate-cert"}, 1),
    ("good-chain.p7b", [], set(), 0),
    ("s_client-output.txt", [], set(), 0),
    ("leaf.der", [], {"missing-intermediate"}, 1),
    ("regional-cas.pem", ["--roots", str(SAMPLES / "roots" / "regional-root.pem")], {"no-leaf"}, 0),
    ("regional-hr-chain.pem", ["--roots", str(SAMPLES / "roots" / "regional-root.pem")], set(), 0),
]


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    status = main(["check", *args, "--json"])
    out = capsys.readouterr().out
    return status, json.loads(out)


@pytest.mark.parametrize(("name", "options", "codes", "status"), EXPECTED)
def test_every_sample_reports_what_its_readme_promises(
    capsys: pytest.CaptureFixture[str], name: str, options: list[str], codes: set[str], status: int
) -> None:
    args = [str(SAMPLES / name), "--roots", LOCAL_ROOT, "--no-system-roots", *options]
    got_status, report = run_json(capsys, *args)
    assert {f["code"] for f in report["findings"]} == codes
    assert got_status == status
    assert report["verdict"] == ("ok" if status == 0 else "broken")


def test_p12_needs_password(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    p12 = str(SAMPLES / "good-chain.p12")
    assert main(["check", p12, "--no-system-roots"]) == 2
    assert "password" in capsys.readouterr().err
    status, report = run_json(capsys, p12, "--password", "chaindoctor", "--roots", LOCAL_ROOT, "--no-system-roots")
    assert status == 0 and {f["code"] for f in report["findings"]} == {"private-key-present"}
    monkeypatch.setenv("CHAINDOCTOR_PASSWORD", "chaindoctor")
    assert run_json(capsys, p12, "--roots", LOCAL_ROOT, "--no-system-roots")[0] == 0


def test_missing_intermediate_found_nowhere_without_roots(capsys: pytest.CaptureFixture[str]) -> None:
    status, report = run_json(capsys, str(SAMPLES / "good-chain.pem"), "--no-system-roots")
    assert status == 1
    assert {f["code"] for f in report["findings"]} == {"missing-intermediate"}


def test_several_sources_merge(capsys: pytest.CaptureFixture[str]) -> None:
    status, report = run_json(capsys, str(SAMPLES / "missing-intermediate.pem"),
                              str(SAMPLES / "pool" / "service-intermediate.pem"),
                              "--roots", LOCAL_ROOT, "--no-system-roots")
    assert status == 0
    assert [c["source"].split("/")[-1] for c in report["certificates"]] == [
        "missing-intermediate.pem:1", "missing-intermediate.pem:15", "service-intermediate.pem:1"]


def test_json_schema_fields(capsys: pytest.CaptureFixture[str]) -> None:
    _, report = run_json(capsys, str(SAMPLES / "demo.pem"), "--roots", LOCAL_ROOT, "--no-system-roots")
    assert report["schema"] == 1
    cert = report["certificates"][0]
    assert set(cert) >= {"index", "sha256", "subject", "issuer", "source", "role", "not_before", "not_after"}
    assert [c["role"] for c in report["certificates"]] == ["intermediate", "leaf", "root", "intermediate", "duplicate"]
    assert len(report["chain"]) == 4 and report["chain"][0] == report["certificates"][1]["sha256"]
    assert cert["not_before"].endswith("Z")


def test_text_report_draws_the_tree_without_colour_when_piped(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(SAMPLES / "demo.pem"), "--roots", LOCAL_ROOT, "--no-system-roots"]) == 1
    out = capsys.readouterr().out
    assert "\x1b[" not in out
    assert "└─ CN=orders.fin.service.local  [leaf] #2" in out
    assert "wrong-order" in out and "Verdict: BROKEN" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["check"], "required"),
        (["check", "nope.pem"], "no such file"),
        (["check", "x.pem", "--at", "yesterday"], "iso 8601"),
        (["check", "x.pem", "--purpose", "email"], "invalid choice"),
        (["explain", "no-such-code"], "unknown"),
    ],
)
def test_usage_errors_are_one_line_exit_2(capsys: pytest.CaptureFixture[str], args: list[str], needle: str) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err.lower()


def test_garbage_and_empty_inputs_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for content in (b"", os.urandom(5000), b"hello world\n"):
        path = tmp_path / "in.bin"
        path.write_bytes(content)
        assert main(["check", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err


def test_only_unreadable_blocks_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.pem"
    path.write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    assert main(["check", str(path)]) == 2
    assert "no certificate could be read" in capsys.readouterr().err


def test_hostile_subject_is_inert_in_text_and_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    evil = make("\x1b]52;c;ZXZpbA==\x07\x1b[2J[bold red]x[/]\u202eevil\x00", dns=["evil.example"])
    path = tmp_path / "evil.pem"
    path.write_bytes(pem_of(evil))
    assert main(["check", str(path), "--no-system-roots"]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out and "\x00" not in out
    assert "\\x1b]52" in out and "\\u202e" in out
    main(["check", str(path), "--no-system-roots", "--json"])
    raw = capsys.readouterr().out
    assert "\x1b" not in raw and "\u202e" not in raw
    assert "\x1b]52" in json.loads(raw)["certificates"][0]["subject"]


def test_stdin_source() -> None:
    data = (SAMPLES / "good-chain.pem").read_bytes()
    command = [sys.executable, "-m", "tui", "check", "-", "--roots", LOCAL_ROOT, "--no-system-roots", "--json"]
    result = subprocess.run(command, input=data, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["certificates"][0]["source"] == "<stdin>:1"


def test_system_roots_are_used_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    status, report = run_json(capsys, str(SAMPLES / "good-chain.pem"))
    assert status == 1  # the sample root is private: not among the system roots
    assert {f["code"] for f in report["findings"]} == {"missing-intermediate"}


def test_explain_lists_every_code(capsys: pytest.CaptureFixture[str]) -> None:
    from tui.pki.explain import FINDING_CODES

    assert main(["explain"]) == 0
    out = capsys.readouterr().out
    for code in FINDING_CODES:
        assert code in out


def test_search_path_names_where_the_missing_issuer_is(capsys: pytest.CaptureFixture[str]) -> None:
    """check judges the chain as served, and says where --search found the missing certificate."""
    status, report = run_json(capsys, str(SAMPLES / "missing-intermediate.pem"), "--search", str(SAMPLES / "pool"),
                              "--roots", LOCAL_ROOT, "--no-system-roots")
    assert status == 1
    [finding] = report["findings"]
    assert finding["code"] == "missing-intermediate"
    assert "service-intermediate.pem:1" in finding["message"] and "fix --search" in finding["message"]


def test_check_aia_fetches_and_says_where_the_issuer_is(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """check --aia judges the chain as served, but names the AIA address that has the missing issuer;
    loopback is refused unless --aia-private allows it."""
    from tests import factory as f

    bodies: dict[str, bytes] = {}
    with f.serve_http(bodies) as base:
        h = f.aia_hierarchy(base, "Check AIA")
        bodies["/inter.der"] = f.der_of(h.inter)
        (tmp_path / "root.pem").write_bytes(h.root.pem)
        (tmp_path / "leaf.pem").write_bytes(h.leaf.pem)
        trust = ["--roots", str(tmp_path / "root.pem"), "--no-system-roots"]
        status, report = run_json(capsys, str(tmp_path / "leaf.pem"), *trust, "--aia")
        assert status == 1
        assert any("loopback" in n and "--aia-private" in n for n in report["notes"])
        status, report = run_json(capsys, str(tmp_path / "leaf.pem"), *trust, "--aia", "--aia-private")
        assert status == 1  # still judged as served
        [finding] = report["findings"]
        assert finding["code"] == "missing-intermediate" and f"{base}/inter.der" in finding["message"]
