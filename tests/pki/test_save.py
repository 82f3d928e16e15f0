"""Tests for tui.pki.save: atomic writes that never lose data."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.pki.save import SaveError, atomic_write, default_fixed_name

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def umask022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_new_file_written(tmp_path: Path, umask022: None) -> None:
    out = tmp_path / "out.pem"
    assert atomic_write(out, b"hello") is None
    assert out.read_bytes() == b"hello"
    assert mode_of(out) == 0o644
    assert leftovers(tmp_path) == []


def test_new_file_respects_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        atomic_write(tmp_path / "out.pem", b"x")
    finally:
        os.umask(old)
    assert mode_of(tmp_path / "out.pem") == 0o600


def test_existing_refused_without_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "out.pem"
    out.write_bytes(b"old")
    with pytest.raises(SaveError) as info:
        atomic_write(out, b"new")
    assert str(info.value) == f"{out} exists; use --force to overwrite"
    assert out.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_overwrite_keeps_mode(tmp_path: Path) -> None:
    out = tmp_path / "out.pem"
    out.write_bytes(b"old")
    out.chmod(0o640)
    assert atomic_write(out, b"new", overwrite=True) is None
    assert out.read_bytes() == b"new"
    assert mode_of(out) == 0o640


def test_private_is_0600(tmp_path: Path, umask022: None) -> None:
    key = tmp_path / "key.pem"
    atomic_write(key, b"secret", private=True)
    assert mode_of(key) == 0o600
    shared = tmp_path / "shared.pem"
    shared.write_bytes(b"old")
    shared.chmod(0o644)
    atomic_write(shared, b"secret", private=True, overwrite=True)
    assert mode_of(shared) == 0o600


def test_private_mode_set_before_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = os.write
    modes: list[int] = []

    def spy(fd: int, data: bytes) -> int:
        modes.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", spy)
    atomic_write(tmp_path / "key.pem", b"secret", private=True)
    assert modes and all(m == 0o600 for m in modes)


def test_backup_made_with_old_content(tmp_path: Path) -> None:
    out = tmp_path / "chain.pem"
    out.write_bytes(b"old")
    out.chmod(0o640)
    bak = atomic_write(out, b"new", backup=True)
    assert bak == tmp_path / "chain.pem.bak"
    assert bak.read_bytes() == b"old"
    assert mode_of(bak) == 0o640
    assert out.read_bytes() == b"new"
    # An existing .bak is replaced.
    assert atomic_write(out, b"newer", backup=True) == bak
    assert bak.read_bytes() == b"new"
    assert out.read_bytes() == b"newer"
    assert leftovers(tmp_path) == []


def test_backup_of_missing_file_is_none(tmp_path: Path) -> None:
    assert atomic_write(tmp_path / "new.pem", b"x", backup=True) is None
    assert not (tmp_path / "new.pem.bak").exists()


@pytest.mark.parametrize("backup", [False, True])
def test_symlink_refused_link_and_target_untouched(tmp_path: Path, backup: bool) -> None:
    """Writing through a link would change a file the user never named; replacing it would cut the link."""
    real = tmp_path / "real.pem"
    real.write_bytes(b"old")
    link = tmp_path / "link.pem"
    link.symlink_to(real)
    with pytest.raises(SaveError) as info:
        atomic_write(link, b"new", overwrite=True, backup=backup)
    assert str(info.value) == (f"{link} is a symbolic link to {real}; not writing through it or replacing it: "
                               "name the file itself")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.pem", "real.pem"]


def test_dangling_symlink_refused(tmp_path: Path) -> None:
    link = tmp_path / "link.pem"
    link.symlink_to(tmp_path / "missing.pem")
    with pytest.raises(SaveError, match="symbolic link to missing"):
        atomic_write(link, b"x", overwrite=True)
    assert not (tmp_path / "missing.pem").exists()


def test_directory_refused(tmp_path: Path) -> None:
    with pytest.raises(SaveError, match="is a folder"):
        atomic_write(tmp_path, b"x", overwrite=True)


def test_missing_folder_refused(tmp_path: Path) -> None:
    with pytest.raises(SaveError, match="does not exist"):
        atomic_write(tmp_path / "nope" / "out.pem", b"x")


@pytest.mark.skipif(IS_ROOT or os.name != "posix", reason="permissions do not bind for root")
def test_unwritable_folder_real(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    out = folder / "out.pem"
    out.write_bytes(b"old")
    folder.chmod(0o500)
    try:
        with pytest.raises(SaveError) as info:
            atomic_write(out, b"new", overwrite=True)
        assert str(info.value) == f"cannot write {out}: permission denied"
        assert out.read_bytes() == b"old"
        assert leftovers(folder) == []
    finally:
        folder.chmod(0o700)


def test_permission_denied_on_replace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out.pem"
    out.write_bytes(b"old")

    def denied(*_a: object, **_k: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "replace", denied)
    with pytest.raises(SaveError) as info:
        atomic_write(out, b"new", overwrite=True)
    assert str(info.value) == f"cannot write {out}: permission denied"
    assert out.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_disk_full_on_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out.pem"
    out.write_bytes(b"old")

    def full(*_a: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(SaveError) as info:
        atomic_write(out, b"new", overwrite=True)
    assert str(info.value) == f"disk full while writing {out}; nothing was changed"
    assert out.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_disk_full_new_file_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*_a: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(SaveError, match="disk full"):
        atomic_write(tmp_path / "out.pem", b"new")
    assert list(tmp_path.iterdir()) == []


def test_crash_mid_write_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out.pem"
    out.write_bytes(b"old")

    def crash(_fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(SaveError) as info:
        atomic_write(out, b"new", overwrite=True, backup=True)
    assert "\n" not in str(info.value) and str(out) in str(info.value)
    assert out.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_partial_writes_completed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real_write(fd, bytes(data[:3])))
    atomic_write(tmp_path / "out.pem", b"0123456789")
    assert (tmp_path / "out.pem").read_bytes() == b"0123456789"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("chain.pem", "chain.fixed.pem"),
        ("chain.p7b", "chain.fixed.pem"),
        ("bundle", "bundle.fixed.pem"),
        ("dir/site.CRT", "dir/site.fixed.pem"),
        ("api.example.com", "api.example.com.fixed.pem"),
    ],
)
def test_default_fixed_name(source: str, expected: str) -> None:
    assert default_fixed_name(Path(source)) == Path(expected)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=70_000))
def test_roundtrip_property(tmp_path: Path, data: bytes) -> None:
    out = tmp_path / "prop.bin"
    atomic_write(out, data, overwrite=True)
    assert out.read_bytes() == data
