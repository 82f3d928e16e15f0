"""`chaindoctor fix` end to end: repaired samples, exit codes, never losing or touching input data."""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import factory as f
from tui.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_certs"
LOCAL_ROOT = str(SAMPLES / "roots" / "local-root.pem")
TRUST = ["--roots", LOCAL_ROOT, "--no-system-roots"]
OPENSSL = shutil.which("openssl")

# file, extra options: fix makes these error-free
REPAIRABLE = [
    ("good-chain.pem", []),
    ("reversed.pem", []),
    ("shuffled.pem", []),
    ("root-included.pem", []),
    ("extra-cert.pem", []),
    ("duplicate.pem", []),
    ("demo.pem", []),
    ("combined-key-chain.pem", []),
    ("s_client-output.txt", []),
    ("good-chain.p7b", []),
    ("good-chain.p12", ["--password", "chaindoctor"]),
    ("missing-intermediate.pem", ["--search", str(SAMPLES / "pool")]),
    ("leaf.der", ["--search", str(SAMPLES / "good-chain.pem")]),
    ("wrong-host.pem", []),
]
# file, extra options, the error that remains
UNREPAIRABLE = [
    ("expired-intermediate.pem", [], "expired"),
    ("bad-signature.pem", [], "bad-signature"),
    ("wrong-host.pem", ["--host", "orders.fin.service.local"], "hostname-mismatch"),
    ("client-only-leaf.pem", [], "wrong-purpose"),
    ("not-a-ca.pem", [], "not-a-ca"),
    ("missing-intermediate.pem", [], "missing-intermediate"),
    ("leaf.der", [], "missing-intermediate"),
    ("key-mismatch.pem", [], "key-mismatch"),
]


def snapshot(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns, stat.S_IMODE(p.stat().st_mode))
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="module", autouse=True)
def samples_untouched() -> Iterator[None]:
    """No test of this module changes any sample file (they are inputs, never written without --in-place)."""
    before = snapshot(SAMPLES)
    yield
    assert snapshot(SAMPLES) == before


@pytest.fixture
def umask022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def fix(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["fix", *args])
    out, err = capsys.readouterr()
    return status, out, err


def check_json(capsys: pytest.CaptureFixture[str], path: Path, *options: str) -> tuple[int, dict[str, Any]]:
    status = main(["check", str(path), *TRUST, *options, "--json"])
    return status, json.loads(capsys.readouterr().out)


def assert_openssl_ok(chain: Path, root: str = LOCAL_ROOT) -> None:
    """``openssl verify -CAfile root -untrusted chain chain`` accepts it (checked only where openssl exists)."""
    if OPENSSL is None:
        return
    proc = subprocess.run([OPENSSL, "verify", "-CAfile", root, "-untrusted", str(chain), str(chain)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def pem_blocks(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.startswith("-----BEGIN")]


# --- the samples ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "options"), REPAIRABLE, ids=[f"{n}{'+' if o else ''}" for n, o in REPAIRABLE])
def test_fix_repairs_sample(capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str,
                            options: list[str]) -> None:
    out = tmp_path / "fixed.pem"
    status, text, err = fix(capsys, str(SAMPLES / name), "-o", str(out), *TRUST, *options)
    assert (status, err) == (0, "")
    assert text.startswith(f"Wrote {out}: ")
    checked, report = check_json(capsys, out)
    assert checked == 0 and report["verdict"] == "ok"
    assert not {x["code"] for x in report["findings"]} & {"wrong-order", "extra-cert", "duplicate-cert",
                                                          "contains-root"}
    roles = [c["role"] for c in report["certificates"]]
    assert roles == ["leaf", "intermediate", "intermediate"]
    assert_openssl_ok(out)


@pytest.mark.parametrize(("name", "options", "code"), UNREPAIRABLE,
                         ids=[f"{n}{'+' if o else ''}" for n, o, _ in UNREPAIRABLE])
def test_fix_unrepairable_writes_best_chain_and_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                        name: str, options: list[str], code: str) -> None:
    out = tmp_path / "best.pem"
    status, text, err = fix(capsys, str(SAMPLES / name), "-o", str(out), *TRUST, *options)
    assert status == 1 and err == ""
    assert out.exists() and pem_blocks(out)
    assert f"error: {code}:" in text and "Remaining:" in text
    _, report = check_json(capsys, out, *options)
    assert code in {x["code"] for x in report["findings"]}
    assert report["certificates"][0]["role"] == "leaf"


def test_missing_intermediate_prints_the_reason(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, text, _ = fix(capsys, str(SAMPLES / "missing-intermediate.pem"), "-o", str(tmp_path / "o.pem"), *TRUST)
    assert status == 1
    assert "the issuer of 'CN=*.fin.service.local Intermediate CA', 'CN=*.service.local Intermediate CA', " \
           "was not found" in text
    assert "(AIA fetching is off)" in text


def test_fix_prints_what_changed_and_where_added_certs_came_from(capsys: pytest.CaptureFixture[str],
                                                                 tmp_path: Path) -> None:
    pool = SAMPLES / "pool"
    status, text, _ = fix(capsys, str(SAMPLES / "missing-intermediate.pem"), "-o", str(tmp_path / "o.pem"),
                          *TRUST, "--search", str(pool))
    assert status == 0
    assert "complete: added 1: 'CN=*.service.local Intermediate CA' from search path" in text
    assert f"+ 'CN=*.service.local Intermediate CA' from {pool / 'service-intermediate.pem'}:1 (search)" in text
    status, text, _ = fix(capsys, str(SAMPLES / "demo.pem"), "-o", str(tmp_path / "d.pem"), *TRUST)
    assert "drop-extras: dropped 1: #5" in text and "drop-root: dropped the trust anchor #3" in text
    assert "reorder: reordered: #1, #2, #4 -> #2, #1, #4" in text
    assert "The fixed chain has no findings." in text


def test_keep_root(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "with-root.pem"
    status, text, _ = fix(capsys, str(SAMPLES / "reversed.pem"), "-o", str(out), *TRUST, "--keep-root")
    assert status == 0
    _, report = check_json(capsys, out)
    assert [c["role"] for c in report["certificates"]] == ["leaf", "intermediate", "intermediate", "root"]
    assert {x["code"] for x in report["findings"]} == {"contains-root"}
    assert "from trust store" in text
    assert_openssl_ok(out)


def test_json_output(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "o.pem"
    status, text, _ = fix(capsys, str(SAMPLES / "missing-intermediate.pem"), "-o", str(out), *TRUST,
                          "--search", str(SAMPLES / "pool"), "--json")
    data = json.loads(text)
    assert status == 0 and data["verdict"] == "ok" and data["schema"] == 1
    assert data["output"] == str(out) and data["written"] is True
    assert [r["name"] for r in data["repairs"]] == ["complete"]
    assert data["repairs"][0]["added"][0]["from"] == "search"
    assert len(data["chain"]) == 4 and data["trusted"] is True
    assert all(c["source"].startswith(str(out)) for c in data["certificates"])
    status, text, _ = fix(capsys, str(SAMPLES / "bad-signature.pem"), "-o", str(tmp_path / "b.pem"), *TRUST, "--json")
    data = json.loads(text)
    assert status == 1 and data["verdict"] == "broken" and data["repairs"] == []


def test_key_output_is_private(capsys: pytest.CaptureFixture[str], tmp_path: Path, umask022: None) -> None:
    keyed, plain = tmp_path / "keyed.pem", tmp_path / "plain.pem"
    status, text, _ = fix(capsys, str(SAMPLES / "combined-key-chain.pem"), "-o", str(keyed), *TRUST)
    assert status == 0 and "with 1 private key(s) (mode 0600)" in text
    assert stat.S_IMODE(keyed.stat().st_mode) == 0o600
    assert keyed.read_bytes() == (SAMPLES / "combined-key-chain.pem").read_bytes()
    fix(capsys, str(SAMPLES / "good-chain.p12"), "-o", str(tmp_path / "p12.pem"), *TRUST, "--password", "chaindoctor")
    assert stat.S_IMODE((tmp_path / "p12.pem").stat().st_mode) == 0o600
    assert pem_blocks(tmp_path / "p12.pem")[:2] == ["-----BEGIN CERTIFICATE-----", "-----BEGIN PRIVATE KEY-----"]
    fix(capsys, str(SAMPLES / "reversed.pem"), "-o", str(plain), *TRUST)
    assert stat.S_IMODE(plain.stat().st_mode) == 0o644


def test_key_from_a_separate_file_is_not_copied(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                umask022: None) -> None:
    key = SAMPLES / "keys" / "orders.fin.service.local.key"
    out = tmp_path / "o.pem"
    status, text, _ = fix(capsys, str(SAMPLES / "reversed.pem"), str(key), "-o", str(out), *TRUST)
    assert status == 0
    assert f"note: the private key from {key}:1 was not copied into {out} (it stays in its own file)" in text
    assert out.read_bytes() == (SAMPLES / "good-chain.pem").read_bytes()
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_stdin_source(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = (SAMPLES / "shuffled.pem").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    out = tmp_path / "o.pem"
    status, _, _ = fix(capsys, "-", "-o", str(out), *TRUST)
    assert status == 0
    assert out.read_bytes() == (SAMPLES / "good-chain.pem").read_bytes()


@pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed")
@pytest.mark.parametrize(("name", "options"), REPAIRABLE, ids=[f"{n}{'+' if o else ''}" for n, o in REPAIRABLE])
def test_openssl_accepts_fixed_sample(capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str,
                                      options: list[str]) -> None:
    out = tmp_path / "fixed.pem"
    assert fix(capsys, str(SAMPLES / name), "-o", str(out), *TRUST, *options)[0] == 0
    assert OPENSSL is not None
    proc = subprocess.run([OPENSSL, "verify", "-CAfile", LOCAL_ROOT, "-untrusted", str(out), str(out)],
                          capture_output=True, text=True, check=False)
    assert (proc.returncode, proc.stdout.strip()) == (0, f"{out}: OK")


# --- never losing data ----------------------------------------------------------------------------


def test_existing_output_refused_without_force(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "o.pem"
    out.write_bytes(b"precious")
    before = out.stat().st_mtime_ns
    status, text, err = fix(capsys, str(SAMPLES / "reversed.pem"), "-o", str(out), *TRUST)
    assert status == 2 and text == ""
    assert err == f"chaindoctor: {out} exists; use --force to overwrite\n"
    assert out.read_bytes() == b"precious" and out.stat().st_mtime_ns == before
    status, _, _ = fix(capsys, str(SAMPLES / "reversed.pem"), "-o", str(out), *TRUST, "--force")
    assert status == 0 and out.read_bytes() == (SAMPLES / "good-chain.pem").read_bytes()
    assert not (tmp_path / "o.pem.bak").exists()


def test_in_place_keeps_a_backup(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "chain.pem"
    original = (SAMPLES / "demo.pem").read_bytes()
    target.write_bytes(original)
    target.chmod(0o640)
    status, text, _ = fix(capsys, str(target), "--in-place", *TRUST)
    assert status == 0
    assert f"previous version kept as {target}.bak" in text
    assert (tmp_path / "chain.pem.bak").read_bytes() == original
    assert target.read_bytes() == (SAMPLES / "good-chain.pem").read_bytes()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert_openssl_ok(target)
    # nothing left to fix: neither the file nor its backup is touched
    stamps = (target.stat().st_mtime_ns, (tmp_path / "chain.pem.bak").stat().st_mtime_ns)
    status, text, _ = fix(capsys, str(target), "--in-place", *TRUST)
    assert status == 0 and "left unchanged" in text
    assert (target.stat().st_mtime_ns, (tmp_path / "chain.pem.bak").stat().st_mtime_ns) == stamps


def test_in_place_with_a_key_becomes_private(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "haproxy.pem"
    leaf, key, fin, service = (SAMPLES / "combined-key-chain.pem").read_text().split("-----BEGIN ")[1:]
    target.write_text("".join("-----BEGIN " + b for b in (service, key, fin, leaf)))
    target.chmod(0o644)
    assert fix(capsys, str(target), "--in-place", *TRUST)[0] == 0
    assert target.read_bytes() == (SAMPLES / "combined-key-chain.pem").read_bytes()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.parametrize("args", [
    ["-o", "{tmp}/o.pem", "--in-place"],
    [],
    ["--in-place", "{samples}/good-chain.pem"],
])
def test_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str]) -> None:
    argv = [a.format(tmp=tmp_path, samples=SAMPLES) for a in args]
    status, text, err = fix(capsys, str(SAMPLES / "reversed.pem"), *argv, *TRUST)
    assert status == 2 and text == "" and err.count("\n") == 1 and err.startswith("chaindoctor: ")
    assert list(tmp_path.iterdir()) == []


def test_in_place_refuses_binary_stdin_and_endpoints(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for source in ("good-chain.p7b", "leaf.der", "good-chain.p12"):
        copy = tmp_path / source
        shutil.copy(SAMPLES / source, copy)
        data = copy.read_bytes()
        status, _, err = fix(capsys, str(copy), "--in-place", *TRUST, "--password", "chaindoctor")
        assert status == 2 and "would turn" in err and "write it with -o OUT" in err
        assert copy.read_bytes() == data
    for source in ("-", "127.0.0.1:9"):
        status, _, err = fix(capsys, source, "--in-place", *TRUST)
        assert status == 2 and "--in-place needs a file SOURCE" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good-chain.p12", "good-chain.p7b", "leaf.der"]


def test_output_that_is_an_input_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "chain.pem"
    shutil.copy(SAMPLES / "reversed.pem", target)
    data = target.read_bytes()
    status, _, err = fix(capsys, str(target), "-o", str(target), *TRUST, "--force")
    assert status == 2 and "is an input; use --in-place" in err
    assert target.read_bytes() == data and not (tmp_path / "chain.pem.bak").exists()


def test_unwritable_output_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests may run as root, so a read-only folder is simulated where the temp file is created."""
    import tempfile

    def denied(*_a: object, **_k: object) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    out = tmp_path / "o.pem"
    status, text, err = fix(capsys, str(SAMPLES / "reversed.pem"), "-o", str(out), *TRUST)
    assert status == 2 and text == ""
    assert err == f"chaindoctor: cannot write {out}: permission denied\n"
    assert list(tmp_path.iterdir()) == []


def test_missing_output_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "nope" / "o.pem"
    status, _, err = fix(capsys, str(SAMPLES / "reversed.pem"), "-o", str(out), *TRUST)
    assert status == 2 and "does not exist" in err and not out.parent.exists()


def test_unreadable_input_writes_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    status, _, err = fix(capsys, str(bad), "-o", str(tmp_path / "o.pem"), *TRUST)
    assert status == 2 and err.startswith("chaindoctor: ") and not (tmp_path / "o.pem").exists()


def test_unreadable_blocks_are_noted(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    src = tmp_path / "partly.pem"
    src.write_bytes((SAMPLES / "reversed.pem").read_bytes()
                    + b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n")
    status, text, _ = fix(capsys, str(src), "-o", str(tmp_path / "o.pem"), *TRUST)
    assert status == 0 and "note: 1 unreadable block(s) in the input were not copied" in text
    assert (tmp_path / "o.pem").read_bytes() == (SAMPLES / "good-chain.pem").read_bytes()


# --- network: only servers these tests start on 127.0.0.1 -----------------------------------------


def test_aia_fetch_completes_the_chain(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bodies: dict[str, bytes] = {}
    with f.serve_http(bodies) as base:
        h = f.aia_hierarchy(base)
        root, inter, leaf = h.root, h.inter, h.leaf
        bodies["/inter.der"] = f.der_of(inter)
        (tmp_path / "root.pem").write_bytes(root.pem)
        (tmp_path / "leaf.pem").write_bytes(leaf.pem)
        trust = ["--roots", str(tmp_path / "root.pem"), "--no-system-roots"]
        status, text, _ = fix(capsys, str(tmp_path / "leaf.pem"), "-o", str(tmp_path / "off.pem"), *trust)
        assert status == 1 and "AIA fetching is off" in text
        out = tmp_path / "on.pem"
        status, text, _ = fix(capsys, str(tmp_path / "leaf.pem"), "-o", str(out), *trust, "--aia", "--aia-private")
        assert status == 0
        assert f"+ 'CN=AIA Intermediate' from {base}/inter.der (aia)" in text
        assert out.read_bytes() == leaf.pem + inter.pem
        assert_openssl_ok(out, str(tmp_path / "root.pem"))
        bodies.clear()
        status, text, _ = fix(capsys, str(tmp_path / "leaf.pem"), "-o", str(tmp_path / "404.pem"), *trust, "--aia",
                              "--aia-private")
        assert status == 1 and f"note: {base}/inter.der: HTTP 404" in text


def test_live_source_writes_the_chain_the_server_should_send(capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    from tests.tlsserver import serve_tls

    leaf, fin, service, root = (SAMPLES / "root-included.pem").read_text().split("-----BEGIN ")[1:]
    served = "".join("-----BEGIN " + b for b in (leaf, root, service, fin)).encode()
    key = (SAMPLES / "keys" / "orders.fin.service.local.key").read_bytes()
    out = tmp_path / "o.pem"
    with serve_tls(served, key) as port:
        status, text, _ = fix(capsys, f"127.0.0.1:{port}", "-o", str(out), *TRUST,
                              "--host", "orders.fin.service.local")
    assert status == 0, text
    assert out.read_bytes() == (SAMPLES / "good-chain.pem").read_bytes()
    assert "drop-root" in text and "reorder" in text


def test_module_entry_point(tmp_path: Path) -> None:
    out = tmp_path / "o.pem"
    proc = subprocess.run([sys.executable, "-m", "tui", "fix", str(SAMPLES / "shuffled.pem"), "-o", str(out), *TRUST],
                          capture_output=True, text=True, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == (SAMPLES / "good-chain.pem").read_bytes()


def test_factory_chain_with_openssl(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    h = f.hierarchy("cli")
    (tmp_path / "root.pem").write_bytes(h.root.pem)
    (tmp_path / "in.pem").write_bytes(f.pem_of(h.root, h.inter, h.leaf, h.inter))
    out = tmp_path / "o.pem"
    status, _, _ = fix(capsys, str(tmp_path / "in.pem"), "-o", str(out), "--roots", str(tmp_path / "root.pem"),
                       "--no-system-roots")
    assert status == 0 and out.read_bytes() == f.pem_of(h.leaf, h.inter)
    assert_openssl_ok(out, str(tmp_path / "root.pem"))
