"""Inputs that are not regular files, or are too big, or cannot be read: one line each, never a hang.

Every input chaindoctor reads (SOURCE files, standard input, ``--roots``, ``--search``, ``--cert``,
``--key``, ``SSL_CERT_FILE``) goes through ``tui.pki.load.read_input``: a FIFO must not block, a
device must not stream until memory runs out, and a folder that may not be read is reported as
such, not as a missing file. Command-line runs have a timeout, so a hang fails the test.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests import factory as f
from tests.robustness.procs import cli
from tests.robustness.support import ROOT, assert_clean_exit, hang_guard
from tui.cli import main
from tui.pki.load import MAX_INPUT_BYTES, LoadError, load_file, read_input, read_source
from tui.pki.stores import load_trust, search_pool, system_roots

H = f.hierarchy("inputs")
TIMEOUT = 60  # seconds; a FIFO that blocks the open would hang forever without it
NOT_REGULAR = "not a regular file"


def closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.pem"
    os.mkfifo(path)
    return path


@pytest.fixture
def chain(tmp_path: Path) -> Path:
    path = tmp_path / "chain.pem"
    path.write_bytes(H.leaf.pem + H.inter.pem)
    return path


def one_line(proc: subprocess.CompletedProcess[bytes]) -> str:
    err = proc.stderr.decode()
    assert_clean_exit(proc.returncode, err)
    assert proc.returncode == 2, (proc.stdout, err)
    return err.strip()


# --- FIFOs and devices -------------------------------------------------------------------------------


def test_fifo_is_refused_without_blocking(fifo: Path) -> None:
    """Nobody writes to the pipe: a plain open() would wait forever."""
    with hang_guard(TIMEOUT), pytest.raises(LoadError) as err:
        read_input(fifo)
    assert str(err.value) == f"{fifo}: a named pipe (FIFO), not a regular file; not reading it"


@pytest.mark.parametrize("where", ["source", "roots", "cert", "key"])
def test_fifo_on_the_command_line(where: str, fifo: Path, chain: Path) -> None:
    endpoint = f"127.0.0.1:{closed_port()}"  # client credentials are read before connecting
    args = {
        "source": ["check", str(fifo)],
        "roots": ["check", str(chain), "--roots", str(fifo), "--no-system-roots"],
        "cert": ["check", endpoint, "--cert", str(fifo), "--no-system-roots"],
        "key": ["check", endpoint, "--cert", str(chain), "--key", str(fifo), "--no-system-roots"],
    }[where]
    line = one_line(cli(*args, timeout=TIMEOUT))
    assert str(fifo) in line and NOT_REGULAR in line


@pytest.mark.parametrize("option", ["--cert", "--roots", "SOURCE"])
def test_dev_zero_is_refused_not_read(option: str, chain: Path) -> None:
    """``--cert /dev/zero`` once read until MemoryError."""
    endpoint = f"127.0.0.1:{closed_port()}"
    args = {"--cert": ["check", endpoint, "--cert", "/dev/zero"],
            "--roots": ["check", str(chain), "--roots", "/dev/zero"],
            "SOURCE": ["check", "/dev/zero"]}[option]
    line = one_line(cli(*args, "--no-system-roots", timeout=TIMEOUT))
    assert "/dev/zero: a device, not a regular file" in line


def test_stdin_from_dev_zero_stops_at_the_limit() -> None:
    with open("/dev/zero", "rb") as zero:
        proc = subprocess.run([sys.executable, "-m", "tui", "check", "-", "--no-system-roots"], stdin=zero,
                              capture_output=True, timeout=TIMEOUT, cwd=ROOT, check=False)
    assert "<stdin>: larger than 50 MiB" in one_line(proc)


def test_socket_is_refused(tmp_path: Path) -> None:
    import socket

    path = tmp_path / "s.pem"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(LoadError, match=r"s\.pem: a socket, not a regular file"):
            read_input(path)


def test_regular_files_still_load(chain: Path) -> None:
    assert read_input(chain) == chain.read_bytes()
    assert read_source(str(chain)) == (chain.read_bytes(), str(chain))


# --- sizes ---------------------------------------------------------------------------------------------


@pytest.fixture
def huge(tmp_path: Path) -> Path:
    path = tmp_path / "huge.pem"
    with path.open("wb") as fh:  # sparse: the size is what counts
        fh.truncate(MAX_INPUT_BYTES + 1)
    return path


def test_every_reader_caps_the_size(huge: Path, chain: Path) -> None:
    endpoint = f"127.0.0.1:{closed_port()}"
    for args in (["check", str(huge)], ["check", str(chain), "--roots", str(huge)],
                 ["check", endpoint, "--cert", str(huge)],
                 ["check", endpoint, "--cert", str(chain), "--key", str(huge)],
                 ["check", str(chain), "--search", str(huge)]):
        line = one_line(cli(*args, "--no-system-roots", timeout=TIMEOUT))
        assert f"{huge}: larger than 50 MiB" in line, args


def test_ssl_cert_file_is_capped_and_named(huge: Path, chain: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    line = one_line(cli("check", str(chain), env={"SSL_CERT_FILE": str(huge)}, timeout=TIMEOUT))
    assert line == (f"chaindoctor: SSL_CERT_FILE {huge}: larger than 50 MiB, not a certificate bundle "
                    "(--no-system-roots trusts only --roots)")
    monkeypatch.setenv("SSL_CERT_FILE", "/dev/zero")
    with pytest.raises(LoadError, match="SSL_CERT_FILE /dev/zero: a device, not a regular file"):
        system_roots()


def test_ssl_cert_file_is_the_only_system_bundle(chain: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As in OpenSSL, a set SSL_CERT_FILE replaces the built-in bundle, also when it is missing."""
    monkeypatch.setenv("SSL_CERT_FILE", str(chain))
    assert {e.sha256 for e in system_roots()} == {H.leaf.sha256, H.inter.sha256}
    monkeypatch.setenv("SSL_CERT_FILE", str(chain) + ".missing")
    with pytest.raises(LoadError, match=r"SSL_CERT_FILE .*\.missing: no such file"):
        load_trust([], system=True)


# --- --search folders ---------------------------------------------------------------------------------


def test_search_folder_skips_special_files_with_a_note(tmp_path: Path) -> None:
    folder = tmp_path / "pool"
    (folder / "sub").mkdir(parents=True)
    (folder / "inter.pem").write_bytes(H.inter.pem)
    os.mkfifo(folder / "sub" / "pipe.pem")
    (folder / "zero.pem").symlink_to("/dev/zero")
    with hang_guard(TIMEOUT):
        pool, notes = search_pool([str(folder)])
    assert [e.sha256 for e in pool.entries] == [H.inter.sha256]
    assert notes == [f"{folder / 'zero.pem'}: skipped, not a regular file",
                     f"{folder / 'sub' / 'pipe.pem'}: skipped, not a regular file"]


def test_search_naming_a_fifo_is_an_error(fifo: Path, chain: Path) -> None:
    line = one_line(cli("check", str(chain), "--search", str(fifo), "--no-system-roots", timeout=TIMEOUT))
    assert NOT_REGULAR in line


def test_search_folder_stops_at_the_file_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.pki import stores

    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(5):
        (folder / f"{i}.pem").write_bytes(H.inter.pem)
    monkeypatch.setattr(stores, "MAX_SEARCH_FILES", 3)
    pool, notes = search_pool([str(folder)])
    assert len(pool) == 1 and notes == [f"{folder}: stopped after 3 files; name a smaller folder"]


# --- permissions --------------------------------------------------------------------------------------


@pytest.fixture
def locked() -> Iterator[Path]:
    """``locked/inner/chain.pem`` where ``inner`` may not be entered (mode 000), in a folder all may enter."""
    base = Path(tempfile.mkdtemp(prefix="chaindoctor-perm-"))
    base.chmod(0o755)
    inner = base / "inner"
    inner.mkdir()
    (inner / "chain.pem").write_bytes(H.leaf.pem)
    (base / "chain.pem").write_bytes(H.leaf.pem)
    inner.chmod(0)
    try:
        yield base
    finally:
        inner.chmod(0o700)
        for p in sorted(base.rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()
        base.rmdir()


def unprivileged(fn: Callable[[], str]) -> str:
    """``fn()`` run as an ordinary user; as root (permissions do not bind) in a forked child that became nobody."""
    if os.geteuid() != 0:
        return fn()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop to nobody, run, send the text back, never return into pytest
        status = 1
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            os.write(write_end, fn().encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        out = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, out
    return out


def test_unreadable_folder_says_permission_denied_not_missing(locked: Path) -> None:
    target = str(locked / "inner" / "chain.pem")

    def attempts() -> str:
        lines = []
        for fn in (load_file, lambda p: load_trust([p], system=False), lambda p: search_pool([p])):
            try:
                fn(target)
            except LoadError as exc:
                lines.append(str(exc))
        lines += search_pool([str(locked)])[1]
        return "\n".join(lines)

    assert unprivileged(attempts).splitlines() == [f"{target}: cannot read: permission denied"] * 3 + [
        f"{locked / 'inner'}: skipped, the folder cannot be read (permission denied)"]


def test_unreadable_roots_on_the_command_line(locked: Path) -> None:
    target = locked / "inner" / "chain.pem"

    def run() -> str:
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            status = main(["check", str(locked / "chain.pem"), "--roots", str(target), "--no-system-roots"])
        return f"{status} {err.getvalue().strip()}"

    assert unprivileged(run) == f"2 chaindoctor: {target}: cannot read: permission denied"
