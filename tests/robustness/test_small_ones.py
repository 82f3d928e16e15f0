"""The hostile-input campaign's smaller findings, each reproduced here: a missing file with a colon read
as an endpoint, a clipboard copy too large for the terminal, a quit that waited for a stuck job, and a BER PKCS#7
(check --aia that never fetched is covered in tests/cli/test_check_cli.py). Nothing reaches beyond
127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.robustness.support import LOCAL_ROOT, ROOT, SAMPLES, assert_clean_exit
from tui.cli import main

HANG = 60  # seconds; a liveness bound, not a timing: the stuck job below would hold the process for ever


def test_a_missing_file_with_a_colon_says_how_it_was_read(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """``backup:2024`` used to become a connection without a word; ``notes:v2`` is no endpoint at all."""
    monkeypatch.chdir(tmp_path)

    def no_dns(host: str, *args: object, **kwargs: object) -> list[object]:
        if host in ("127.0.0.1", "::1", "localhost"):
            return socket.getaddrinfo.__wrapped__(host, *args, **kwargs)  # type: ignore[attr-defined]  # the original
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    no_dns.__wrapped__ = socket.getaddrinfo  # type: ignore[attr-defined]  # kept for loopback lookups
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    assert main(["check", "notes:v2"]) == 2
    err = capsys.readouterr().err
    assert_clean_exit(2, err)
    assert "notes:v2: no such file (not an endpoint: the port is not a number)" in err
    assert main(["check", "backup:2024", "--timeout", "2"]) == 2
    err = capsys.readouterr().err
    assert_clean_exit(2, err)
    assert "there is no file 'backup:2024', so it was read as HOST:PORT" in err


async def test_a_copy_too_large_for_the_terminal_is_not_sent_through_it(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """``y`` used to send megabytes through OSC 52; above the limit only the system clipboard gets it."""
    import pyperclip

    from tests.app.conftest import SIZE, new_app, record_notes, settle
    from tui.app.clipboard import OSC52_LIMIT

    copies: list[str] = []
    monkeypatch.setattr(pyperclip, "copy", copies.append)
    one = (SAMPLES / "good-chain.pem").read_bytes()
    big = tmp_path / "big.pem"
    big.write_bytes(one * (OSC52_LIMIT // len(one) + 2))
    app = new_app(str(big), "--roots", str(LOCAL_ROOT))
    notes = record_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("y")
        await pilot.pause()
        assert not app.clipboard  # nothing through OSC 52
    assert len(copies) == 1 and len(copies[0]) > OSC52_LIMIT
    assert "Not sent to the terminal's clipboard" in notes.text()


def test_quit_ends_the_process_while_a_job_is_stuck(tmp_path: Path) -> None:
    """A repair whose fetch never returns, then ``q``: the process used to run on for ever; now it ends."""
    script = tmp_path / "stuck.py"
    script.write_text(textwrap.dedent(f"""
        import sys, threading
        sys.path.insert(0, {str(ROOT)!r})
        import tui.app.repairs as repairs
        from tui.app import make_app, run_to_the_end
        from tui.cli import parse_request

        def stuck(*args, **kwargs):
            threading.Event().wait()  # a fetch that never answers

        repairs.run_repair = stuck
        app = make_app(parse_request([{str(SAMPLES / "demo.pem")!r}, "--roots", {str(LOCAL_ROOT)!r},
                                      "--no-system-roots"]))

        async def press(pilot):
            await pilot.pause()
            await pilot.press("o")  # the repair starts, and never ends
            await pilot.pause(0.3)
            await pilot.press("q")

        run = app.run
        app.run = lambda: run(headless=True, size=(120, 40), auto_pilot=press)
        sys.exit(run_to_the_end(app, watchdog=True))
    """), encoding="utf-8")
    try:
        done = subprocess.run([sys.executable, str(script)], capture_output=True, timeout=HANG, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("the process did not end after q")
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-800:]


def test_a_ber_pkcs7_is_read_without_a_python_warning(tmp_path: Path) -> None:
    """A PKCS#7 whose certificate set is not in DER order is valid BER: it loads, and cryptography's
    warning about the fallback (two lines, one of them our source code) never reaches the terminal."""
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

    from tests import factory as f
    from tests.robustness.support import run_cli

    root = f.ca("BER Root")
    leaf = f.make("ber.example", root)
    der = pkcs7.serialize_certificates([root.cert, leaf.cert], Encoding.DER)
    first, second = sorted((f.der_of(root), f.der_of(leaf)))  # DER sorts a SET OF by encoding
    start = der.index(first)
    assert der[start + len(first):].startswith(second)
    unsorted = der[:start] + second + first + der[start + len(first) + len(second):]
    (tmp_path / "chain.p7b").write_bytes(unsorted)
    done = run_cli("check", str(tmp_path / "chain.p7b"), "--no-system-roots")
    assert done.returncode == 1
    assert done.stderr == b""
    assert b"CN=ber.example" in done.stdout
