"""End to end in a real terminal: tmux runs the installed ``chaindoctor``; f, s, Enter saves the fix."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tui.pki.diagnose import Policy, diagnose
from tui.pki.load import load_file
from tui.pki.stores import load_trust

SAMPLES = Path(__file__).resolve().parents[2] / "sample_certs"
ENTRY_POINT = Path(sys.executable).parent / ("chaindoctor.exe" if os.name == "nt" else "chaindoctor")
TIMEOUT = 30.0

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.skipif(not ENTRY_POINT.exists(), reason=f"no chaindoctor entry point beside {sys.executable}"),
]


class Tmux:
    """One detached session on a private tmux server (never the user's own)."""

    def __init__(self, cwd: Path) -> None:
        self.socket = f"chaindoctor-e2e-{uuid.uuid4().hex[:8]}"
        self.session = "chaindoctor"
        self.cwd = cwd

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=check,
                              timeout=TIMEOUT)

    def start(self, command: list[str]) -> None:
        env = {"TERM": "xterm-256color", "COLORTERM": "truecolor"}
        exports = [arg for k, v in env.items() for arg in ("-e", f"{k}={v}")]
        self.run("new-session", "-d", "-s", self.session, "-x", "120", "-y", "40", "-c", str(self.cwd),
                 *exports, " ".join(_quote(c) for c in command))
        self.run("set-option", "-t", self.session, "remain-on-exit", "on")

    def screen(self) -> str:
        result = self.run("capture-pane", "-p", "-t", self.session, check=False)
        return result.stdout

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.session, *keys)

    def wait_for(self, what: str, predicate: Callable[[], bool]) -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; the screen shows:\n{self.screen()}")

    def dead(self) -> bool:
        result = self.run("display-message", "-p", "-t", self.session, "#{pane_dead}", check=False)
        return result.returncode != 0 or result.stdout.strip() == "1"

    def close(self) -> None:
        self.run("kill-session", "-t", self.session, check=False)
        self.run("kill-server", check=False)


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)


def test_fix_and_save_in_a_real_terminal(tmp_path: Path) -> None:
    shutil.copy(SAMPLES / "demo.pem", tmp_path / "demo.pem")
    roots = str(SAMPLES / "roots" / "local-root.pem")
    tmux = Tmux(tmp_path)
    try:
        tmux.start([str(ENTRY_POINT), "demo.pem", "--roots", roots, "--no-system-roots"])
        tmux.wait_for("the broken verdict", lambda: "BROKEN" in tmux.screen() and "Fix all" in tmux.screen())
        tmux.keys("f")
        tmux.wait_for("the fixed verdict", lambda: "chaindoctor — OK" in tmux.screen())
        tmux.keys("s")
        tmux.wait_for("the save dialog", lambda: "Save the chain" in tmux.screen())
        tmux.keys("Enter")
        saved = tmp_path / "demo.fixed.pem"
        tmux.wait_for("the saved file", lambda: saved.exists() and b"END CERTIFICATE" in saved.read_bytes())
        tmux.wait_for("the saved notice", lambda: "Saved" in tmux.screen())
        tmux.keys("q")
        tmux.wait_for("the app to exit", tmux.dead)
    finally:
        tmux.close()

    bundle = load_file(str(saved))
    subjects = [e.subject for e in bundle.certs]
    assert subjects == ["CN=orders.fin.service.local", "CN=*.fin.service.local Intermediate CA",
                        "CN=*.service.local Intermediate CA"]
    assert len({e.sha256 for e in bundle.certs}) == len(bundle.certs)  # no duplicate
    assert all(not e.self_issued for e in bundle.certs)  # no root
    report = diagnose(bundle, load_trust([roots], system=False), Policy())
    assert report.errors == [] and report.verdict == "ok"
    assert [f.code for f in report.findings] == []


# --- quitting while a job is blocked -----------------------------------------------------------------

QUIT_DEADLINE = 10.0  # seconds; the blocked jobs below would hold the process for minutes


def _ends_soon(tmux: Tmux) -> bool:
    """Whether the process in the pane ends within QUIT_DEADLINE (exit status 0)."""
    deadline = time.monotonic() + QUIT_DEADLINE
    while time.monotonic() < deadline:
        if tmux.dead():
            status = tmux.run("display-message", "-p", "-t", tmux.session, "#{pane_dead_status}", check=False)
            return status.stdout.strip() in ("", "0")
        time.sleep(0.1)
    return False


def test_quit_ends_the_process_while_a_refetch_hangs(tmp_path: Path) -> None:
    """``R`` against a loopback server that accepts and then never answers, then ``q``: the process ends."""
    import threading

    from tests.tlsserver import pem_blocks, serve_tls

    leaf, fin, service = pem_blocks(SAMPLES / "good-chain.pem")
    key = (SAMPLES / "keys" / "orders.fin.service.local.key").read_bytes()
    hang, hanging, release = threading.Event(), threading.Event(), threading.Event()

    def gate(_conn: object) -> bool:
        if hang.is_set():
            hanging.set()
            release.wait()  # says nothing until the test ends
            return False
        return True

    with serve_tls(leaf + fin + service, key, before_tls=gate) as port:
        tmux = Tmux(tmp_path)
        try:
            tmux.start([str(ENTRY_POINT), f"127.0.0.1:{port}", "--roots", str(SAMPLES / "roots" / "local-root.pem"),
                        "--no-system-roots", "--host", "orders.fin.service.local", "--timeout", "300"])
            tmux.wait_for("the verdict", lambda: "chaindoctor — OK" in tmux.screen())
            hang.set()
            tmux.keys("R")
            tmux.wait_for("the server to hold the connection", hanging.is_set)
            tmux.wait_for("the fetch status", lambda: "Fetching the chain" in tmux.screen())
            tmux.keys("q")
            assert _ends_soon(tmux), f"the process still runs; the screen shows:\n{tmux.screen()}"
        finally:
            release.set()
            tmux.close()


def test_quit_ends_the_mtls_app_while_its_analysis_is_blocked(tmp_path: Path) -> None:
    """A test-only entry blocks every analysis of the mTLS app forever; ``q`` still ends the process."""
    mtls = SAMPLES / "mtls"
    entry = tmp_path / "blocked_mtls.py"
    entry.write_text(
        "import sys, threading\n"
        "import tui.app.model as model\n"
        "def blocked(*args, **kwargs):\n"
        "    threading.Event().wait()  # never returns\n"
        "model.make_view = blocked\n"
        "from tui.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n")
    tmux = Tmux(tmp_path)
    try:
        tmux.start([sys.executable, str(entry), "mtls", "--app",
                    "--server-chain", str(mtls / "server-chain.pem"), "--server-trust", str(mtls / "client-root.pem"),
                    "--client-chain", str(mtls / "client-chain.pem"), "--client-trust", str(mtls / "server-root.pem")])
        tmux.wait_for("the analysis status", lambda: "Analysing both directions" in tmux.screen())
        tmux.keys("q")
        assert _ends_soon(tmux), f"the process still runs; the screen shows:\n{tmux.screen()}"
    finally:
        tmux.close()


def test_settings_and_find_in_a_real_terminal(tmp_path: Path) -> None:
    """A chain with a private root opened without --roots: S adds the root and the verdict turns OK; / finds."""
    shutil.copy(SAMPLES / "good-chain.pem", tmp_path / "chain.pem")
    shutil.copy(SAMPLES / "roots" / "local-root.pem", tmp_path / "root.pem")
    tmux = Tmux(tmp_path)
    try:
        tmux.start([str(ENTRY_POINT), "chain.pem", "--no-system-roots"])
        tmux.wait_for("the broken verdict",
                      lambda: "BROKEN" in tmux.screen() and "missing-intermediate" in tmux.screen())
        tmux.keys("S")
        tmux.wait_for("the settings", lambda: "Settings for this session" in tmux.screen())
        tmux.keys("-l", "root.pem")
        tmux.keys("C-s")
        tmux.wait_for("the OK verdict", lambda: "chaindoctor — OK" in tmux.screen())
        assert "Settings for this session" not in tmux.screen()
        tmux.keys("/")
        tmux.wait_for("the find bar", lambda: "Find:" in tmux.screen())
        tmux.keys("-l", "*.service.local int")
        tmux.keys("Enter")
        tmux.wait_for("the match", lambda: "match 1 of 2  *.service.local Intermediate CA" in tmux.screen())
        tmux.keys("Escape")
        tmux.wait_for("the find bar to close", lambda: "Find:" not in tmux.screen())
        tmux.keys("q")
        tmux.wait_for("the app to exit", tmux.dead)
    finally:
        tmux.close()
