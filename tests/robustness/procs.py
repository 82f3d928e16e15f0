"""Process helpers for the input tests: the command line with a chosen environment, and child processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.robustness.support import ROOT, SUBPROCESS_TIMEOUT


def cli(*args: str | bytes, env: dict[str, str] | None = None, stdin: bytes = b"", cwd: Path | None = None,
        timeout: float = SUBPROCESS_TIMEOUT) -> subprocess.CompletedProcess[bytes]:
    """``python -m tui ARGS`` with the test environment plus ``env``; arguments may be bytes (any file name)."""
    full = {k: v for k, v in os.environ.items() if k not in ("CHAINDOCTOR_DEBUG", "CHAINDOCTOR_PASSWORD")}
    full["NO_COLOR"] = "1"
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "tui", *args], input=stdin, capture_output=True, timeout=timeout,
                          cwd=cwd or ROOT, env=full, check=False)


def child_pids(parent: int | None = None) -> list[int]:
    """The processes whose parent is ``parent`` (default: this process), read from /proc."""
    parent = os.getpid() if parent is None else parent
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()  # after "pid (name) ": state, ppid, ...
        if int(fields[1]) == parent:
            found.append(int(entry))
    return found
