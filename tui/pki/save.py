"""Writes that never lose data: temp file, fsync, atomic rename.

A failed save leaves the target exactly as it was and no temporary file
behind. Symbolic links are followed: the file the link points at is
replaced and the link itself stays (so ``fix --in-place`` on a linked
config keeps the link); a link to a missing file is refused.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
import threading
from pathlib import Path

__all__ = ["SaveError", "atomic_write", "default_fixed_name"]

# Suffixes replaced by ``.fixed.pem``; anything else (``api.example.com``) is kept.
_CERT_SUFFIXES = frozenset(
    {".pem", ".crt", ".cer", ".cert", ".der", ".p7b", ".p7c", ".p12", ".pfx",
     ".key", ".chain", ".bundle", ".ca-bundle", ".txt"}
)
_UMASK_LOCK = threading.Lock()


class SaveError(Exception):
    """A save failed; the message is one plain line and nothing was changed."""


def default_fixed_name(source: Path) -> Path:
    """``NAME.fixed.pem`` beside *source* (``chain.p7b`` -> ``chain.fixed.pem``)."""
    source = Path(source)
    name = source.name
    if source.suffix.lower() in _CERT_SUFFIXES and source.stem:
        name = source.stem
    return source.with_name(f"{name}.fixed.pem")


def atomic_write(
    path: Path,
    data: bytes,
    *,
    private: bool = False,
    overwrite: bool = False,
    backup: bool = False,
) -> Path | None:
    """Atomically write *data* to *path*; return the backup path when one was made.

    ``private`` gives mode 0600 (set before any byte is written); otherwise an
    overwritten file keeps its mode and a new one gets 0666 minus the umask
    (0644 under the usual umask 022). An existing target is refused unless
    ``overwrite`` or ``backup``; ``backup`` first copies it, atomically and
    with its mode, to ``NAME.bak`` beside it (replacing an older ``.bak``).
    Raises :class:`SaveError` on any failure, with the target untouched.
    """
    path = Path(path)
    shown = str(path)
    target = _resolve_target(path, shown)
    try:
        st = target.stat()
    except FileNotFoundError:
        st = None
    except OSError as err:
        raise SaveError(_describe(err, shown)) from None

    backup_path: Path | None = None
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            raise SaveError(f"{shown} is not a regular file; refusing to replace it")
        if not (overwrite or backup):
            raise SaveError(f"{shown} exists; use --force to overwrite")
        if backup:
            backup_path = target.with_name(target.name + ".bak")
            try:
                old = target.read_bytes()
            except OSError as err:
                raise SaveError(f"cannot read {shown} to back it up: {_reason(err)}") from None
            _write(backup_path, old, str(backup_path), mode=stat.S_IMODE(st.st_mode),
                   owner=(st.st_uid, st.st_gid), clobber=True)

    if private:
        mode = 0o600
    elif st is not None:
        mode = stat.S_IMODE(st.st_mode)
    else:
        mode = 0o666 & ~_current_umask()
    owner = (st.st_uid, st.st_gid) if st is not None else None
    _write(target, data, shown, mode=mode, owner=owner, clobber=st is not None)
    return backup_path


def _resolve_target(path: Path, shown: str) -> Path:
    """Follow symlinks; refuse folders, dangling links and missing parents."""
    if path.is_symlink():
        real = Path(os.path.realpath(path))
        if not real.exists():
            raise SaveError(f"{shown} is a symbolic link to missing {real}; refusing to write through it")
        path = real
    if path.is_dir():
        raise SaveError(f"{shown} is a folder; give a file name")
    parent = path.parent
    if not parent.is_dir():
        if parent.exists():
            raise SaveError(f"cannot write {shown}: {parent} is not a folder")
        raise SaveError(f"cannot write {shown}: folder {parent} does not exist")
    return path


def _write(
    target: Path,
    data: bytes,
    shown: str,
    *,
    mode: int,
    owner: tuple[int, int] | None,
    clobber: bool,
) -> None:
    """Temp file beside *target*, mode set first, fsync, rename, fsync the folder."""
    folder = target.parent
    try:
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as err:
        raise SaveError(_describe(err, shown)) from None
    tmp = Path(tmp_name)
    try:
        try:
            if owner is not None and hasattr(os, "fchown"):
                try:  # best effort: keep the owner of a file replaced in place
                    if owner != (os.fstat(fd).st_uid, os.fstat(fd).st_gid):
                        os.fchown(fd, *owner)
                except OSError:
                    pass
            if hasattr(os, "fchmod"):
                os.fchmod(fd, mode)
            else:  # pragma: no cover - Windows before 3.13
                os.chmod(tmp, mode)
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        if clobber:
            os.replace(tmp, target)
        else:
            _place_new(tmp, target, shown)
    except BaseException as err:
        try:
            tmp.unlink()
        except OSError:
            pass
        if isinstance(err, OSError):
            raise SaveError(_describe(err, shown)) from None
        raise
    _fsync_dir(folder)


def _place_new(tmp: Path, target: Path, shown: str) -> None:
    """Move *tmp* to a *target* that must not exist; race-free where hard links work."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise SaveError(f"{shown} exists; use --force to overwrite") from None
    except (OSError, NotImplementedError):
        if target.exists():
            raise SaveError(f"{shown} exists; use --force to overwrite") from None
        os.replace(tmp, target)  # the file system has no hard links
        return
    try:
        tmp.unlink()
    except OSError:
        pass


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable; silently skipped where folders cannot be opened."""
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def _current_umask() -> int:
    """The process umask, read without a visible change where /proc allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _reason(err: OSError) -> str:
    text = err.strerror or str(err) or type(err).__name__
    return text[:1].lower() + text[1:]


def _describe(err: OSError, shown: str) -> str:
    if err.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return f"disk full while writing {shown}; nothing was changed"
    if isinstance(err, PermissionError) or err.errno in (errno.EACCES, errno.EPERM):
        return f"cannot write {shown}: permission denied"
    if err.errno == errno.EROFS:
        return f"cannot write {shown}: read-only file system"
    return f"cannot write {shown}: {_reason(err)}"
