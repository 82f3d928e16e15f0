"""Writes under pressure: links, read-only files, private keys in backups, and processes killed mid-write.

Decisions (see ``tui.pki.save``): a symbolic link as output is refused (not written through, not
replaced); a read-only file is refused even with ``--force``; files holding a private key, and
their ``.bak``, are 0600; temporaries carry the writer's PID so that the next write removes those
a killed process left behind.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests import factory as f
from tests.robustness.procs import cli
from tests.robustness.support import ROOT, SAMPLES, assert_clean_exit
from tui.pki.save import atomic_write

H = f.hierarchy("writes")
REVERSED = (SAMPLES / "reversed.pem").read_bytes()  # needs a repair, so fix writes
TRUST = ["--roots", str(SAMPLES / "roots" / "local-root.pem"), "--no-system-roots"]


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def refused(*args: str) -> str:
    proc = cli(*args)
    err = proc.stderr.decode()
    assert_clean_exit(proc.returncode, err)
    assert proc.returncode == 2 and proc.stdout == b"", (proc.stdout, err)
    return err.strip()


# --- symbolic links ----------------------------------------------------------------------------------


def test_force_does_not_write_through_a_link(tmp_path: Path) -> None:
    """``-o LINK --force`` once replaced the file the link points to: a file the user never named."""
    victim = tmp_path / "elsewhere" / "precious.conf"
    victim.parent.mkdir()
    victim.write_bytes(b"keep me\n")
    link = tmp_path / "out.pem"
    link.symlink_to(victim)
    line = refused("fix", str(SAMPLES / "reversed.pem"), "-o", str(link), "--force", *TRUST)
    assert line == (f"chaindoctor: {link} is a symbolic link to {victim}; not writing through it or replacing it: "
                    "name the file itself")
    assert victim.read_bytes() == b"keep me\n" and link.is_symlink() and os.readlink(link) == str(victim)
    assert temporaries(tmp_path) == [] and temporaries(victim.parent) == []


def test_in_place_on_a_linked_input_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real.pem"
    real.write_bytes(REVERSED)
    link = tmp_path / "chain.pem"
    link.symlink_to(real)
    line = refused("fix", str(link), "--in-place", *TRUST)
    assert "is a symbolic link to" in line
    assert real.read_bytes() == REVERSED and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chain.pem", "real.pem"]


# --- read-only files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["--force", "--in-place"])
def test_read_only_file_is_refused(tmp_path: Path, how: str) -> None:
    """``--force`` once replaced a read-only file silently (root, or any writable folder, can rename over it)."""
    out = tmp_path / "chain.pem"
    out.write_bytes(REVERSED)
    out.chmod(0o444)
    args = ["fix", str(SAMPLES / "reversed.pem"), "-o", str(out), "--force"] if how == "--force" \
        else ["fix", str(out), "--in-place"]
    line = refused(*args, *TRUST)
    assert line == f"chaindoctor: {out} is read-only; not replacing it (make it writable first: chmod u+w)"
    assert out.read_bytes() == REVERSED and mode_of(out) == 0o444
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chain.pem"]


# --- modes of files holding keys ---------------------------------------------------------------------


def test_in_place_fix_of_a_shared_file_with_a_key_makes_both_private(tmp_path: Path) -> None:
    """The ``.bak`` once kept a 0644 copy of a private key."""
    path = tmp_path / "server.pem"
    path.write_bytes(H.inter.pem + H.leaf.pem + H.leaf.key_pem)  # wrong order: fix rewrites it
    path.chmod(0o644)
    proc = cli("fix", str(path), "--in-place", "--no-system-roots")
    assert_clean_exit(proc.returncode, proc.stderr.decode())
    backup = tmp_path / "server.pem.bak"
    assert backup.read_bytes() == H.inter.pem + H.leaf.pem + H.leaf.key_pem
    assert mode_of(backup) == 0o600 and mode_of(path) == 0o600
    assert b"PRIVATE KEY" in path.read_bytes()


def test_in_place_fix_without_a_key_keeps_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "chain.pem"
    path.write_bytes(REVERSED)
    path.chmod(0o640)
    proc = cli("fix", str(path), "--in-place", *TRUST)
    assert_clean_exit(proc.returncode, proc.stderr.decode())
    assert mode_of(tmp_path / "chain.pem.bak") == 0o640 and mode_of(path) == 0o640


def test_backup_of_a_key_file_is_private_even_if_the_new_data_is_not(tmp_path: Path) -> None:
    path = tmp_path / "mixed.pem"
    path.write_bytes(H.leaf.key_pem)
    path.chmod(0o664)
    backup = atomic_write(path, H.leaf.pem, backup=True)
    assert backup is not None and mode_of(backup) == 0o600 and mode_of(path) == 0o664


def test_key_data_is_private_even_when_the_caller_forgets(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(b"old")
    path.chmod(0o644)
    atomic_write(path, H.leaf.key_pem, overwrite=True)
    assert mode_of(path) == 0o600


# --- killed mid-write ---------------------------------------------------------------------------------


KILL_MID_WRITE = """
import os, signal, sys
from pathlib import Path
from tui.pki import save

def die(fd):  # the data is in the temporary file, the rename has not happened
    os.kill(os.getpid(), signal.SIGKILL)

save.os.fsync = die
save.atomic_write(Path(sys.argv[1]), b"half-written", overwrite=True)
"""


def test_temporary_left_by_a_killed_write_is_removed_by_the_next(tmp_path: Path) -> None:
    out = tmp_path / "out.pem"
    out.write_bytes(b"old")
    child = subprocess.Popen([sys.executable, "-c", KILL_MID_WRITE, str(out)], cwd=ROOT)
    assert child.wait(timeout=60) == -signal.SIGKILL
    [left] = temporaries(tmp_path)
    assert left.startswith(f".out.pem.chaindoctor-{child.pid}-") and out.read_bytes() == b"old"
    atomic_write(out, b"new", overwrite=True)
    assert temporaries(tmp_path) == [] and out.read_bytes() == b"new"


def dead_pid() -> int:
    """The id of a process that has ended and was reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=60)
    return child.pid


def test_temporaries_of_live_writers_and_other_files_are_kept(tmp_path: Path) -> None:
    gone = dead_pid()
    out = tmp_path / "out.pem"
    mine = tmp_path / f".out.pem.chaindoctor-{os.getpid()}-abcd1234.tmp"  # a writer that is still running
    other = tmp_path / f".other.pem.chaindoctor-{gone}-abcd1234.tmp"  # another target's
    unrelated = tmp_path / ".out.pem.something.tmp"
    stale = tmp_path / f".out.pem.chaindoctor-{gone}-abcd1234.tmp"
    for p in (mine, other, unrelated, stale):
        p.write_bytes(b"x")
    atomic_write(out, b"new")
    assert temporaries(tmp_path) == sorted(p.name for p in (mine, other, unrelated))
    assert out.read_bytes() == b"new"
