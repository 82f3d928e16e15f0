"""Shared tools for the abuse tests: hang guards, memory peaks, re-signing mangled certificates, CLI runs."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from tests import factory as f
from tui.cli.render_text import render
from tui.pki.diagnose import Policy, Report, diagnose
from tui.pki.model import Bundle
from tui.pki.stores import TrustStore

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_certs"
SAMPLE_FILES = sorted(p for p in SAMPLES.rglob("*") if p.is_file() and p.suffix != ".py" and p.name != "README.md")
LOCAL_ROOT = SAMPLES / "roots" / "local-root.pem"
SUBPROCESS_TIMEOUT = 120  # seconds; generous, only there so that a hang fails instead of blocking CI

# Raw characters that must never reach a terminal: C0 (but newline), DEL, C1, bidi controls and
# isolates, zero-width and other invisible format characters.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
SGR = re.compile("\x1b\\[[0-9;]*m")  # the report's own colours

T = TypeVar("T")


class Hang(AssertionError):
    """A piece of work ran past its (very generous) guard: treated as a hang, not as slowness."""


@contextmanager
def hang_guard(seconds: float) -> Iterator[None]:
    """Turn a hang in Python code into a test failure after ``seconds`` (no-op off the main thread or Windows).

    This is not a timing assertion: the limit is far above any normal run and exists so that an
    endless loop fails the test instead of blocking the whole suite.
    """
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(_signum: int, _frame: object) -> None:
        raise Hang(f"still running after {seconds} s: treated as a hang")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def peak_memory(fn: Callable[[], T]) -> tuple[T, int]:
    """Run ``fn`` and return its result with the peak of Python allocations it made, in bytes."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    try:
        result = fn()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return result, peak


def der_len(n: int) -> bytes:
    """A DER length field."""
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def resign(tbs: bytes, key: ec.EllipticCurvePrivateKey) -> bytes:
    """A certificate (DER) around an arbitrary TBS, signed ECDSA-SHA256 by ``key``.

    Lets tests build certificates cryptography's builder refuses (duplicate extensions, mangled
    fields) whose signature still verifies, so the diagnosis goes past the signature check.
    """
    signature = key.sign(tbs, ec.ECDSA(hashes.SHA256()))
    algorithm = bytes.fromhex("300a06082a8648ce3d040302")  # ecdsa-with-SHA256
    bits = b"\x03" + der_len(len(signature) + 1) + b"\x00" + signature
    body = tbs + algorithm + bits
    return b"\x30" + der_len(len(body)) + body


def pem_block(der: bytes, label: str = "CERTIFICATE") -> bytes:
    import base64

    return (f"-----BEGIN {label}-----\n".encode() + base64.encodebytes(der)
            + f"-----END {label}-----\n".encode())


def trust(*anchors: f.Issued) -> TrustStore:
    return TrustStore([a.entry("anchors.pem") for a in anchors], "test anchors")


def full_report(bundle: Bundle, anchors: TrustStore, policy: Policy | None = None) -> tuple[Report, str, str]:
    """Diagnose and produce both outputs (JSON text and plain report); any exception fails the caller."""
    report = diagnose(bundle, anchors, policy or Policy(at=f.AT))
    data = json.dumps(report.to_json())
    text = render(report, color=False, title="abuse")
    render(report, color=True)
    return report, data, text


def run_cli(*args: str, stdin: bytes | None = None, cwd: Path | None = None,
            timeout: float = SUBPROCESS_TIMEOUT) -> subprocess.CompletedProcess[bytes]:
    """``python -m tui ARGS`` in a child process, with a generous timeout."""
    env = {k: v for k, v in os.environ.items() if k not in ("CHAINDOCTOR_DEBUG", "CHAINDOCTOR_PASSWORD")}
    env["NO_COLOR"] = "1"
    return subprocess.run([sys.executable, "-m", "tui", *args], input=stdin if stdin is not None else b"",
                          capture_output=True, timeout=timeout, cwd=cwd or ROOT, env=env, check=False)


def assert_clean_exit(status: int, err: str) -> None:
    """Exit 0, 1 or 2; never a traceback or an internal error; exit 2 says why in exactly one line."""
    assert status in (0, 1, 2), (status, err)
    assert "Traceback" not in err, err
    assert "internal error" not in err, err
    if status == 2:
        lines = err.strip("\n").split("\n")
        assert len(lines) == 1 and lines[0].startswith("chaindoctor: "), err


def x509_name(**attrs: str) -> x509.Name:
    """A name from OID-name keyword arguments (``COMMON_NAME="x"``), with no length validation."""
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(getattr(NameOID, k), v, _validate=False) for k, v in attrs.items()])
