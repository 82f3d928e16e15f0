"""Trust anchors and intermediate pools: files, folders and the system root bundle."""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from .load import LoadError, load_bytes, load_file
from .model import Bundle, CertEntry, Origin
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
    """The OS root bundle, else certifi's, else None."""
    env = os.environ.get("SSL_CERT_FILE")
    candidates = [env] if env else []
    candidates += list(SYSTEM_BUNDLE_PATHS)
    default = ssl.get_default_verify_paths().cafile
    if default:
        candidates.append(default)
    for path in candidates:
        if path and os.path.isfile(path):
            return path
    try:
        import certifi

        return certifi.where()
    except ImportError:  # pragma: no cover - certifi is a dependency
        return None


@lru_cache(maxsize=4)
def _load_system(path: str) -> tuple[CertEntry, ...]:
    with open(path, "rb") as fh:
        bundle = load_bytes(fh.read(), path)
    return tuple(CertEntry(c.cert, c.der, Origin(path, c.origin.line, container="store")) for c in bundle.certs)


def system_roots() -> list[CertEntry]:
    path = system_bundle_path()
    if path is None:
        return []
    try:
        return list(_load_system(path))
    except (LoadError, OSError):
        return []


def load_trust(root_files: Iterable[str], *, system: bool = True, password: bytes | None = None) -> TrustStore:
    """Anchors from ``--roots`` files (LoadError on a bad file) plus the system roots."""
    entries: list[CertEntry] = []
    names: list[str] = []
    for spec in root_files:
        bundle = load_file(spec, password=password)
        entries += [CertEntry(c.cert, c.der, Origin(c.origin.source, c.origin.line, c.origin.index, "store")) for c in bundle.certs]
        names.append(spec)
    if system:
        roots = system_roots()
        entries += roots
        if roots:
            names.append(f"system roots ({roots[0].origin.source})")
    return TrustStore(entries, ", ".join(names) or "no trust anchors")


def search_pool(paths: Iterable[str], *, password: bytes | None = None) -> tuple[CertPool, list[str]]:
    """Certificates from ``--search`` files and folders (recursive); returns the pool and skipped-file notes."""
    pool = CertPool()
    notes: list[str] = []
    for spec in paths:
        root = Path(spec)
        if not root.exists():
            raise LoadError(f"{spec}: no such file or folder")
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            try:
                bundle = load_file(str(path), password=password)
            except LoadError as exc:
                if not root.is_dir():
                    raise
                notes.append(str(exc))
                continue
            for c in bundle.certs:
                pool.add(CertEntry(c.cert, c.der, Origin(c.origin.source, c.origin.line, c.origin.index, "search")))
    return pool, notes


def bundle_pool(bundle: Bundle) -> CertPool:
    return CertPool(bundle.certs)
