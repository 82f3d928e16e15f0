"""Trust anchors and intermediate pools: files, folders and the system root bundle."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from functools import lru_cache

from .load import LoadError, load_bytes, load_file, may_exist, read_input
from .model import CertEntry, Origin
from .names import canonical

# Where operating systems keep their PEM root bundle, most common first.
SYSTEM_BUNDLE_PATHS = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Alpine, Arch
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL
    "/etc/ssl/ca-bundle.pem",  # openSUSE
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",  # macOS, BSD
    "/usr/local/etc/openssl/cert.pem",
)
MAX_SEARCH_FILES = 10_000  # files read from one --search folder


class CertPool:
    """Certificates indexed by canonical subject name (RFC 5280 §7.1) and by subjectKeyIdentifier."""

    def __init__(self, entries: Iterable[CertEntry] = ()) -> None:
        self.entries: list[CertEntry] = []
        self._by_subject: dict[bytes, list[CertEntry]] = {}
        self._by_key_id: dict[tuple[bytes, bytes], list[CertEntry]] = {}
        self._seen: set[str] = set()
        for entry in entries:
            self.add(entry)

    def add(self, entry: CertEntry) -> bool:
        if entry.sha256 in self._seen:
            return False
        self._seen.add(entry.sha256)
        self.entries.append(entry)
        self._by_subject.setdefault(entry.subject_key, []).append(entry)
        if entry.ski is not None:
            self._by_key_id.setdefault((entry.subject_key, entry.ski), []).append(entry)
        return True

    def candidates(self, child: CertEntry) -> list[CertEntry]:
        """Certificates whose subject matches the child's issuer name (the only possible signers).

        Those whose subjectKeyIdentifier equals the child's authorityKeyIdentifier come first (the
        likely signer, found in the key-id index), then the others in load order.
        """
        found = self._by_subject.get(child.issuer_key, [])
        aki = child.aki
        if aki is None or len(found) < 2:
            return found
        likely = self._by_key_id.get((child.issuer_key, aki), [])
        if not likely or len(likely) == len(found):
            return found
        return likely + [c for c in found if c.ski != aki]

    def by_subject(self, name_der: bytes) -> list[CertEntry]:
        """Certificates whose subject matches the Name ``name_der`` (DER, compared canonically)."""
        return self._by_subject.get(canonical(name_der), [])

    def by_subject_key(self, key: bytes) -> list[CertEntry]:
        """Certificates whose canonical subject is ``key`` (see :func:`tui.pki.names.canonical`)."""
        return self._by_subject.get(key, [])

    def __contains__(self, sha256: object) -> bool:
        return sha256 in self._seen

    def __len__(self) -> int:
        return len(self.entries)


class TrustStore(CertPool):
    """Trust anchors. A certificate is trusted when it is an anchor, or has an anchor's name and key."""

    def __init__(self, entries: Iterable[CertEntry] = (), description: str = "") -> None:
        self._name_keys: set[tuple[bytes, bytes]] = set()
        super().__init__(entries)
        self.description = description

    def add(self, entry: CertEntry) -> bool:
        added = super().add(entry)
        if added:
            self._name_keys.add((entry.subject_key, entry.spki))
        return added

    def is_anchor(self, entry: CertEntry) -> bool:
        return entry.sha256 in self or (entry.subject_key, entry.spki) in self._name_keys

    def with_extra(self, extra: Iterable[CertEntry]) -> TrustStore:
        """A new store with more anchors (e.g. a root the user trusted for this session)."""
        store = TrustStore(self.entries, self.description)
        for entry in extra:
            store.add(entry)
        return store


def system_bundle_path() -> str | None:
    """The root bundle clients use by default: ``SSL_CERT_FILE`` when set, else the OS bundle, else certifi's.

    When ``SSL_CERT_FILE`` is set it is the only file, whether or not it can be read, as in OpenSSL
    (crypto/x509/by_file.c ``by_file_ctrl_ex``: the variable replaces the built-in path).
    """
    env = os.environ.get("SSL_CERT_FILE")
    if env:
        return env
    candidates = list(SYSTEM_BUNDLE_PATHS)
    import ssl  # only when the system's roots are asked for

    default = ssl.get_default_verify_paths().cafile
    if default:
        candidates.append(default)
    for path in candidates:
        if path and os.path.isfile(path):
            return path
    import certifi  # a dependency: its bundle is the last resort

    return certifi.where()


@lru_cache(maxsize=4)
def _load_system(path: str, name: str) -> tuple[CertEntry, ...]:
    bundle = load_bytes(read_input(path, name), path)
    return tuple(CertEntry(c.cert, c.der, Origin(path, c.origin.line, container="store")) for c in bundle.certs)


def system_roots() -> list[CertEntry]:
    """The certificates of :func:`system_bundle_path`; LoadError (one line) when it cannot be read."""
    path = system_bundle_path()
    if path is None:
        return []
    name = f"SSL_CERT_FILE {path}" if os.environ.get("SSL_CERT_FILE") else f"the system root bundle {path}"
    try:
        return list(_load_system(path, name))
    except LoadError as exc:
        raise LoadError(f"{exc} (--no-system-roots trusts only --roots)") from None


def load_trust(root_files: Iterable[str], *, system: bool = True, password: bytes | None = None) -> TrustStore:
    """Anchors from ``--roots`` files plus the system roots; LoadError (one line) on a file that cannot be read."""
    entries: list[CertEntry] = []
    names: list[str] = []
    for spec in root_files:
        bundle = load_file(spec, password=password)
        entries += [CertEntry(c.cert, c.der, c.origin._replace(container="store")) for c in bundle.certs]
        names.append(spec)
    if system:
        roots = system_roots()
        entries += roots
        if roots:
            names.append(f"system roots ({roots[0].origin.source})")
    return TrustStore(entries, ", ".join(names) or "no trust anchors")


def search_files(spec: str) -> tuple[list[str], list[str]]:
    """The files under a ``--search`` folder, sorted, and notes on what was skipped.

    Subfolders are walked without following links to folders; FIFOs, devices and sockets are
    skipped with a note (reading them could block or never end); a subfolder that cannot be
    listed is noted; past :data:`MAX_SEARCH_FILES` files the walk stops and says so.
    """
    files: list[str] = []
    notes: list[str] = []

    def unlistable(err: OSError) -> None:
        reason = "permission denied" if isinstance(err, PermissionError) else (err.strerror or str(err))
        if err.filename == spec:  # the folder the user named: an error, not a note
            raise LoadError(f"{spec}: cannot read: {reason}")
        notes.append(f"{err.filename}: skipped, the folder cannot be read ({reason})")

    for folder, dirs, names in os.walk(spec, onerror=unlistable):
        dirs.sort()
        for entry in sorted(names):
            path = os.path.join(folder, entry)
            try:
                mode = os.stat(path).st_mode
            except OSError:
                mode = None  # a dangling link or a file that vanished: reading it says why
            if mode is not None and not stat.S_ISREG(mode):
                notes.append(f"{path}: skipped, not a regular file")
                continue
            if len(files) == MAX_SEARCH_FILES:
                notes.append(f"{spec}: stopped after {MAX_SEARCH_FILES:,} files; name a smaller folder")
                return files, notes
            files.append(path)
    return files, notes


def search_pool(paths: Iterable[str], *, password: bytes | None = None) -> tuple[CertPool, list[str]]:
    """Certificates from ``--search`` files and folders (recursive); returns the pool and notes on skipped files.

    A file named directly must be readable (LoadError otherwise); inside a folder, a file that
    cannot be read is skipped with a note.
    """
    pool = CertPool()
    notes: list[str] = []
    for spec in paths:
        if not may_exist(spec):
            raise LoadError(f"{spec}: no such file or folder")
        if os.path.isdir(spec):
            files, skipped = search_files(spec)
            notes += skipped
        else:
            files = [spec]
        for path in files:
            try:
                bundle = load_file(path, password=password)
            except LoadError as exc:
                if path == spec:
                    raise
                notes.append(str(exc))
                continue
            for c in bundle.certs:
                pool.add(CertEntry(c.cert, c.der, c.origin._replace(container="search")))
    return pool, notes
