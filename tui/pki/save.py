"""Writes that never lose data: temp file, fsync, atomic rename.

A failed save leaves the target exactly as it was. Temporaries are named
``.NAME.chaindoctor-PID-XXXXXXXX.tmp`` beside the target, so that one left by a
killed process (SIGKILL cannot be caught) is found and removed by the next
write of NAME once that PID is gone.

Refused, each with one line: a target that is a symbolic link (writing through
it would change a file elsewhere, possibly one the user never named; replacing
it would silently cut a managed link such as certbot's ``live/`` files - so the
user names the real file), a read-only target (its mode says "do not change
me"; ``--force`` only allows replacing an existing file, ``chmod u+w`` says
more), anything that is not a regular file, and an existing file without
``overwrite`` or ``backup``.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
import threading
from pathlib import Path

from .load import LoadError, read_input

__all__ = ["SaveError", "atomic_write", "default_fixed_name", "holds_private_key"]

# Suffixes replaced by ``.fixed.pem``; anything else (``api.example.com``) is kept.
_CERT_SUFFIXES = frozenset(
    {".pem", ".crt", ".cer", ".cert", ".der", ".p7b", ".p7c", ".p12", ".pfx",
     ".key", ".chain", ".bundle", ".ca-bundle", ".txt"}
)
_UMASK_LOCK = threading.Lock()
_TMP_TAG = b".chaindoctor-"
_TMP_NAME_BYTES = 100  # of the target's name kept in a temporary's name (names may be 255 bytes)


class SaveError(Exception):
    """A save failed; the message is one plain line and nothing was changed."""


def default_fixed_name(source: Path) -> Path:
    """``NAME.fixed.pem`` beside *source* (``chain.p7b`` -> ``chain.fixed.pem``)."""
    source = Path(source)
    name = source.name
    if source.suffix.lower() in _CERT_SUFFIXES and source.stem:
        name = source.stem
    return source.with_name(f"{name}.fixed.pem")


def holds_private_key(data: bytes) -> bool:
    """True when PEM text holds a private key block of any kind (PKCS#8, RSA, EC, OpenSSH, encrypted)."""
    return b"PRIVATE KEY-----" in data


def atomic_write(
    path: Path,
    data: bytes,
    *,
    private: bool = False,
    overwrite: bool = False,
    backup: bool = False,
) -> Path | None:
    """Atomically write *data* to *path*; return the backup path when one was made.

    Modes: data holding a private key (``private``, or a PEM key block in *data*) gets 0600,
    set before any byte is written; otherwise an overwritten file keeps its mode and a new one
    gets 0666 minus the umask. An existing target is refused unless ``overwrite`` or ``backup``;
    ``backup`` first copies it, atomically, to ``NAME.bak`` beside it (replacing an older
    ``.bak``) with the original's mode, or 0600 when the original holds a private key.
    Raises :class:`SaveError` on any failure or refusal (see the module), with the target untouched.
    """
    target = Path(path)
    shown = str(target)
    st = _existing(target, shown)
    backup_path: Path | None = None
    if st is not None:
        if not (overwrite or backup):
            raise SaveError(f"{shown} exists; use --force to overwrite")
        if not st.st_mode & stat.S_IWUSR:
            raise SaveError(f"{shown} is read-only; not replacing it (make it writable first: chmod u+w)")
        if backup:
            backup_path = target.with_name(target.name + ".bak")
            try:
                old = read_input(target)
            except LoadError as err:
                raise SaveError(f"cannot back up {err}") from None
            old_mode = 0o600 if holds_private_key(old) else stat.S_IMODE(st.st_mode)
            _write(backup_path, old, str(backup_path), mode=old_mode, owner=(st.st_uid, st.st_gid), clobber=True)

    if private or holds_private_key(data):
        mode = 0o600
    elif st is not None:
        mode = stat.S_IMODE(st.st_mode)
    else:
        mode = 0o666 & ~_current_umask()
    owner = (st.st_uid, st.st_gid) if st is not None else None
    _write(target, data, shown, mode=mode, owner=owner, clobber=st is not None)
    return backup_path


def _existing(path: Path, shown: str) -> os.stat_result | None:
    """The target's own status (links not followed), None when it does not exist; refusals as SaveError."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as err:
        raise SaveError(_describe(err, shown)) from None
    if st is not None and stat.S_ISLNK(st.st_mode):
        missing = "" if os.path.exists(path) else "missing "
        raise SaveError(f"{shown} is a symbolic link to {missing}{os.readlink(path)}; not writing through it "
                        "or replacing it: name the file itself")
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise SaveError(f"{shown} is a folder; give a file name")
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise SaveError(f"{shown} is not a regular file; refusing to replace it")
    parent = path.parent
    if not parent.is_dir():
        if parent.exists():
            raise SaveError(f"cannot write {shown}: {parent} is not a folder")
        raise SaveError(f"cannot write {shown}: folder {parent} does not exist")
    return st


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
    prefix = b"." + os.fsencode(target.name)[:_TMP_NAME_BYTES] + _TMP_TAG
    _remove_stale(folder, prefix)
    try:  # mode 0600, O_EXCL, links not followed; the name ends in PID-RANDOM.tmp
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=os.fsdecode(prefix) + f"{os.getpid()}-", suffix=".tmp")
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


def _remove_stale(folder: Path, prefix: bytes) -> None:
    """Remove temporaries of this target left by processes that are gone (best effort)."""
    try:
        with os.scandir(os.fsencode(folder)) as entries:
            names = [e.name for e in entries if e.name.startswith(prefix) and e.name.endswith(b".tmp")]
    except OSError:
        return
    for name in names:
        pid_text = name[len(prefix):-len(b".tmp")].split(b"-", 1)[0]
        if pid_text.isdigit() and not _alive(int(pid_text)):
            try:
                os.unlink(os.path.join(os.fsencode(folder), name))
            except OSError:
                pass


def _alive(pid: int) -> bool:
    """Whether a process with this id exists (a pid we cannot signal belongs to someone: alive)."""
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


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
