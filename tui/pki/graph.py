"""The signer graph: who signed whom, proven by signature checks, and the path from the leaf.

Issuers are looked up by subject name in an index, so each certificate's signature is checked only
against the few certificates that could have signed it. An edge exists only where the signature
verifies; a name match whose signature fails is remembered as a *claimed* edge (bad-signature).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from enum import Enum
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa

from .model import CertEntry
from .stores import CertPool, TrustStore

MAX_PATH = 64  # no path is searched beyond this many certificates
MAX_CHECKS_PER_CERT = 64  # further signature checks per certificate once one issuer is found (cached ones are free)
CHECK_BUDGET_BASE = 2048  # graph-wide signature checks: this many plus four per loaded certificate
MAX_PARTIAL_PATHS = 1024  # partial paths explored when listing alternative trusted paths


class Sig(Enum):
    OK = "ok"
    BAD = "bad"
    UNCHECKED = "unchecked"  # an algorithm this build cannot verify (e.g. MD5); treated as an edge


def check_signature(child: CertEntry, issuer: CertEntry) -> Sig:
    """Whether ``issuer``'s key signed ``child`` (names are assumed to match)."""
    try:
        child.cert.verify_directly_issued_by(issuer.cert)
        return Sig.OK
    except InvalidSignature:
        return Sig.BAD
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return _check_legacy(child, issuer)


def _check_legacy(child: CertEntry, issuer: CertEntry) -> Sig:
    """Verify signatures the high-level API refuses (SHA-1, MD5) with the raw primitives."""
    cert = child.cert
    try:
        key = issuer.cert.public_key()
        algorithm = cert.signature_hash_algorithm
        if isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
            params = cert.signature_algorithm_parameters
            pad = params if isinstance(params, padding.PSS) else padding.PKCS1v15()
            key.verify(cert.signature, cert.tbs_certificate_bytes, pad, algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(algorithm))
        elif isinstance(key, dsa.DSAPublicKey) and algorithm is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, algorithm)
        elif isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
            key.verify(cert.signature, cert.tbs_certificate_bytes)
        else:
            return Sig.UNCHECKED
        return Sig.OK
    except InvalidSignature:
        return Sig.BAD
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return Sig.UNCHECKED


class Path(NamedTuple):
    """A path from the leaf upward; ``trusted`` when it ends at a trust anchor."""

    certs: tuple[CertEntry, ...]
    trusted: bool
    end: str  # "anchor" | "self-signed" | "missing" | "loop" | "too-long"

    @property
    def top(self) -> CertEntry:
        return self.certs[-1]


class SignerGraph:
    """Verified issuer edges over the loaded certificates, the trust anchors and optional pools."""

    def __init__(self, loaded: Iterable[CertEntry], anchors: TrustStore, pools: Sequence[CertPool] = ()) -> None:
        self.loaded = CertPool(loaded)
        self.anchors = anchors
        self.pools = list(pools)
        self._issuers: dict[str, list[CertEntry]] = {}
        self._claimed: dict[str, list[CertEntry]] = {}
        self._unchecked: dict[str, set[str]] = {}
        self._rekeyed: dict[str, list[CertEntry]] = {}
        self._sig_cache: dict[tuple[str, bytes], Sig] = {}  # (certificate, issuer key) -> result
        self.skipped: set[str] = set()  # candidates left unchecked by MAX_CHECKS_PER_CERT
        self.budget = CHECK_BUDGET_BASE + 4 * len(self.loaded)
        self.checks = 0
        self.exhausted = False  # True once the budget ran out: the graph may then be incomplete

    def _sig(self, child: CertEntry, issuer: CertEntry) -> Sig | None:
        key = (child.sha256, issuer.spki)
        if key not in self._sig_cache:
            if self.checks >= self.budget:
                self.exhausted = True
                return None
            self.checks += 1
            self._sig_cache[key] = check_signature(child, issuer)
        return self._sig_cache[key]

    def _candidates(self, child: CertEntry) -> tuple[list[CertEntry], list[CertEntry]]:
        """Same-named possible issuers, and those ruled out because their key identifier differs.

        Like OpenSSL, a candidate whose subjectKeyIdentifier differs from the child's
        authorityKeyIdentifier is not its issuer (an older or re-keyed CA of the same name).
        """
        seen: set[str] = set()
        out: list[CertEntry] = []
        rekeyed: list[CertEntry] = []
        for pool in (self.loaded, self.anchors, *self.pools):
            for cand in pool.candidates(child):
                if cand.sha256 in seen:
                    continue
                seen.add(cand.sha256)
                if child.aki is not None and cand.ski is not None and cand.ski != child.aki:
                    rekeyed.append(cand)
                else:
                    out.append(cand)
        if child.self_issued and child.sha256 in seen:  # a root: try its own key first
            out.sort(key=lambda c: c.sha256 != child.sha256)
        return out, rekeyed

    def _resolve(self, child: CertEntry) -> None:
        verified: list[CertEntry] = []
        claimed: list[CertEntry] = []
        unchecked: set[str] = set()
        candidates, self._rekeyed[child.sha256] = self._candidates(child)
        checks = 0  # checks made after the first issuer was found
        for n, cand in enumerate(candidates):
            cached = (child.sha256, cand.spki) in self._sig_cache
            if not cached and verified and checks >= MAX_CHECKS_PER_CERT:
                self.skipped.update(c.sha256 for c in candidates[n:])  # said in their extra-cert findings
                break
            sig = self._sig(child, cand)
            if sig is None:  # the graph-wide budget ran out: reported as such (``exhausted``)
                break
            checks += bool(verified) and not cached
            if sig is Sig.OK and cand.sha256 == child.sha256 and not cand.aki:
                verified.append(cand)  # self-signed without key ids: other same-named keys are not tried
                break
            if sig is Sig.BAD:
                claimed.append(cand)
            else:
                verified.append(cand)
                if sig is Sig.UNCHECKED:
                    unchecked.add(cand.sha256)
        self._issuers[child.sha256] = verified
        self._claimed[child.sha256] = claimed
        self._unchecked[child.sha256] = unchecked

    def issuers(self, child: CertEntry) -> list[CertEntry]:
        """Certificates whose key verifiably signed ``child``: loaded first, then anchors, then pools."""
        if child.sha256 not in self._issuers:
            self._resolve(child)
        return self._issuers[child.sha256]

    def rekeyed_issuers(self, child: CertEntry) -> list[CertEntry]:
        """Certificates with the issuer's name but another key identifier than the child names."""
        if child.sha256 not in self._rekeyed:
            self._resolve(child)
        return self._rekeyed[child.sha256]

    def claimed_issuers(self, child: CertEntry) -> list[CertEntry]:
        """Certificates with the right name whose key did not sign ``child``."""
        if child.sha256 not in self._claimed:
            self._resolve(child)
        return self._claimed[child.sha256]

    def unchecked(self, child: CertEntry, issuer: CertEntry) -> bool:
        """True when the edge child<-issuer could not be verified (unsupported algorithm)."""
        self.issuers(child)
        return issuer.sha256 in self._unchecked.get(child.sha256, set())

    def is_self_signed(self, entry: CertEntry) -> bool:
        return entry.self_issued and any(i.sha256 == entry.sha256 or i.spki == entry.spki for i in self.issuers(entry))

    def is_anchor(self, entry: CertEntry) -> bool:
        return self.anchors.is_anchor(entry)

    def anchor_for(self, entry: CertEntry) -> CertEntry:
        """The store's own certificate for an anchor reached through a cross-certificate of it.

        A served cross-certificate (same name and key, another issuer) of a trusted root is trusted
        because of the root's key: the path ends at the root as the store holds it, whose extensions
        (not the cross-certificate's) then apply. A self-issued copy is kept as served.
        """
        if entry.sha256 in self.anchors or entry.self_issued:
            return entry
        for cand in self.anchors.by_subject_key(entry.subject_key):
            if cand.spki == entry.spki:
                return cand
        return entry

    def in_bundle(self, entry: CertEntry) -> bool:
        return entry.sha256 in self.loaded

    # --- paths ---------------------------------------------------------------------------------

    def best_path(self, leaf: CertEntry, at: datetime | None = None) -> Path:
        """The best path from ``leaf``: trusted, then currently valid, then shortest; never loops."""
        if at is not None:
            path = self._search(leaf, lambda e: _valid_at(e, at))
            if path is not None:
                return path
        path = self._search(leaf, lambda e: True)
        if path is not None:
            return path
        return self._longest_untrusted(leaf)

    def _next(self, entry: CertEntry) -> list[CertEntry]:
        return [i for i in self.issuers(entry) if i.sha256 != entry.sha256]

    def _search(self, leaf: CertEntry, usable: Callable[[CertEntry], bool]) -> Path | None:
        """Breadth-first search for the shortest path to an anchor through usable certificates."""
        if self.is_anchor(leaf):
            return Path((leaf,), True, "anchor")
        parents: dict[str, CertEntry | None] = {leaf.sha256: None}
        queue: deque[tuple[CertEntry, int]] = deque([(leaf, 1)])
        while queue:
            node, depth = queue.popleft()
            if depth >= MAX_PATH:
                continue
            for issuer in self._next(node):
                if issuer.sha256 in parents or not usable(issuer):
                    continue
                parents[issuer.sha256] = node
                if self.is_anchor(issuer):
                    return Path(self._unwind(node, parents) + (self.anchor_for(issuer),), True, "anchor")
                queue.append((issuer, depth + 1))
        return None

    def trusted_paths(self, leaf: CertEntry, limit: int) -> Iterator[Path]:
        """Up to ``limit`` distinct trusted paths from ``leaf``, shortest first (bounded work)."""
        if self.is_anchor(leaf):
            yield Path((leaf,), True, "anchor")
            return
        queue: deque[tuple[CertEntry, ...]] = deque([(leaf,)])
        explored = 0
        while queue and limit > 0:
            partial = queue.popleft()
            if len(partial) >= MAX_PATH:
                continue
            keys = {(e.subject_key, e.spki) for e in partial}
            for issuer in self._next(partial[-1]):
                if (issuer.subject_key, issuer.spki) in keys:
                    continue
                if self.is_anchor(issuer):
                    yield Path(partial + (self.anchor_for(issuer),), True, "anchor")
                    limit -= 1
                    if limit <= 0:
                        return
                    continue
                explored += 1
                if explored > MAX_PARTIAL_PATHS:
                    return
                queue.append(partial + (issuer,))

    def _longest_untrusted(self, leaf: CertEntry) -> Path:
        """No anchor is reachable: prefer a path to a self-signed root, else the longest one."""
        best: Path | None = None
        parents: dict[str, CertEntry | None] = {leaf.sha256: None}
        queue: deque[tuple[CertEntry, int]] = deque([(leaf, 1)])
        while queue:
            node, depth = queue.popleft()
            nxt = self._next(node)
            if self.is_self_signed(node):
                candidate = Path(self._unwind(node, parents), False, "self-signed")
                if best is None or best.end != "self-signed":
                    best = candidate
                continue
            fresh = [i for i in nxt if i.sha256 not in parents]
            if depth >= MAX_PATH and fresh:
                end = "too-long"
                fresh = []
            else:
                end = "loop" if nxt else "missing"
            if not fresh and (best is None or (best.end not in ("self-signed",) and depth > len(best.certs))):
                best = Path(self._unwind(node, parents), False, end)
            for issuer in fresh:
                parents[issuer.sha256] = node
                queue.append((issuer, depth + 1))
        assert best is not None
        return best

    @staticmethod
    def _unwind(top: CertEntry, parents: dict[str, CertEntry | None]) -> tuple[CertEntry, ...]:
        chain = [top]
        node = parents[top.sha256]
        while node is not None:
            chain.append(node)
            node = parents[node.sha256]
        return tuple(reversed(chain))

    def reachable(self, leaf: CertEntry, *, include_claimed: bool = True) -> set[str]:
        """Fingerprints of every certificate on some path up from ``leaf``.

        A certificate's claimed issuers (right name, wrong key) count only when none of its
        candidates verified: next to the real issuer, same-named impostors are extras.
        """
        seen = {leaf.sha256}
        stack = [leaf]
        while stack:
            node = stack.pop()
            ups = self.issuers(node)
            if include_claimed and not ups:
                ups = self.claimed_issuers(node)
            for issuer in ups:
                if issuer.sha256 not in seen:
                    seen.add(issuer.sha256)
                    stack.append(issuer)
        return seen


def _valid_at(entry: CertEntry, at: datetime) -> bool:
    return entry.valid_at(at)
