"""Bytes that are not text in the locale: passwords and file names.

A password is bytes (``--password $'\\xff'`` once failed in every locale) and a file name may hold
any byte; with a strict UTF-8 output encoding a name holding ``\\xff`` once ended in
"internal error: UnicodeEncodeError". Names are printed through ``inert()``, which shows such a
byte as ``\\xff``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from tests import factory as f
from tests.robustness.procs import cli
from tests.robustness.support import SAMPLES, assert_clean_exit
from tui.pki.load import load_bytes, password_from_env

H = f.hierarchy("encoding")
RAW = b"\xff\xfe caf\xe9"  # not UTF-8: what a Latin-1 terminal sends for a password with accents
STRICT = {"PYTHONIOENCODING": "utf-8:strict"}
LOCALES = [{"LC_ALL": "C"}, {"LC_ALL": "C.UTF-8"}, {"LC_ALL": "C.UTF-8", **STRICT}]


@pytest.fixture(scope="module")
def p12(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PKCS#12 file whose password is ``RAW`` read one byte per character, as OpenSSL reads
    bytes that are not UTF-8 (crypto/pkcs12/p12_utl.c, ``OPENSSL_utf82uni``)."""
    path = tmp_path_factory.mktemp("enc") / "raw-password.p12"
    text = RAW.decode("latin-1").encode("utf-8")
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"id", H.leaf.key, H.leaf.cert, [H.inter.cert], serialization.BestAvailableEncryption(text)))
    return path


def test_password_from_the_command_line_keeps_its_bytes() -> None:
    assert password_from_env(os.fsdecode(RAW)) == RAW  # argv arrives surrogate-escaped
    assert password_from_env("pässword") == "pässword".encode()
    assert password_from_env("") == b""


def test_password_from_the_environment_keeps_its_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(os.environb, b"CHAINDOCTOR_PASSWORD", RAW)
    assert password_from_env(None) == RAW
    monkeypatch.delitem(os.environb, b"CHAINDOCTOR_PASSWORD")
    assert password_from_env(None) is None


def test_raw_password_opens_the_pkcs12_file(p12: Path) -> None:
    bundle = load_bytes(p12.read_bytes(), "raw.p12", password=password_from_env(os.fsdecode(RAW)))
    assert len(bundle.certs) == 2 and len(bundle.keys) == 1


@pytest.mark.parametrize("env", LOCALES, ids=["C", "C.UTF-8", "strict"])
def test_raw_password_on_the_command_line(p12: Path, env: dict[str, str]) -> None:
    proc = cli("check", str(p12), b"--password", RAW, "--no-system-roots", "--json", env=env)
    assert_clean_exit(proc.returncode, proc.stderr.decode(errors="replace"))
    assert proc.returncode == 1  # read, and untrusted without roots
    assert len(json.loads(proc.stdout)["certificates"]) == 2


def test_raw_password_from_the_environment(p12: Path) -> None:
    proc = cli("check", str(p12), "--no-system-roots", "--json",
               env={"CHAINDOCTOR_PASSWORD": os.fsdecode(RAW), **STRICT})
    assert proc.returncode == 1, proc.stderr
    assert len(json.loads(proc.stdout)["certificates"]) == 2


@pytest.fixture
def odd_named(tmp_path: Path) -> Path:
    folder = Path(os.fsdecode(os.fsencode(tmp_path) + b"/dir\xff"))
    folder.mkdir()
    path = Path(os.fsdecode(os.fsencode(folder) + b"/chain\xff\x1b[2J.pem"))
    path.write_bytes(H.leaf.pem + H.inter.pem)
    return path


@pytest.mark.parametrize("json_out", [False, True])
def test_file_name_with_an_undecodable_byte_under_strict_utf8(odd_named: Path, json_out: bool) -> None:
    raw = os.fsencode(odd_named)
    proc = cli("check", raw, "--roots", raw, "--search", os.fsencode(odd_named.parent), "--no-system-roots",
               *(["--json"] if json_out else []), env=STRICT)
    assert_clean_exit(proc.returncode, proc.stderr.decode())
    assert proc.returncode == 0 and proc.stderr == b""  # the file is its own trust anchor
    out = proc.stdout.decode("utf-8")  # strict: no lone surrogate made it out
    if json_out:
        assert json.loads(out)["certificates"][0]["source"] == os.fsdecode(raw) + ":1"
    else:
        assert "chain\\xff\\x1b[2J.pem" in out and "\x1b" not in out


def test_missing_file_with_an_undecodable_byte_under_strict_utf8(tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/nope\xff.pem"
    proc = cli("check", raw, env=STRICT)
    err = proc.stderr.decode("utf-8")
    assert_clean_exit(proc.returncode, err)
    assert err == f"chaindoctor: {os.fsdecode(os.fsencode(tmp_path))}/nope\\xff.pem: no such file\n"


def test_fix_output_named_with_an_undecodable_byte_under_strict_utf8(tmp_path: Path) -> None:
    """fix -o with a name holding \\xff writes the file, prints its name escaped and exits 0 (never 2 after a write)."""
    import subprocess
    import sys

    out = os.fsdecode(os.fsencode(str(tmp_path)) + b"/fixed\xff.pem")
    env = {**os.environ, **STRICT}
    result = subprocess.run([sys.executable, "-m", "tui", "fix", str(SAMPLES / "good-chain.pem"), "--roots",
                             str(SAMPLES / "roots" / "local-root.pem"), "--no-system-roots", "-o", out],
                            capture_output=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert os.path.exists(out)
    assert b"fixed\\xff.pem" in result.stdout and b"Traceback" not in result.stderr
