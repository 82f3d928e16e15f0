"""The signer tree as data: who hangs below whom, missing issuers and the extras (no Textual here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise

from ..pki.aia import aia_urls
from ..pki.diagnose import Report
from ..pki.model import CertEntry
from ..pki.stores import CertPool
from ..pki.vocabulary import PathEnd, Role

OFF_PATH = (Role.EXTRA, Role.DUPLICATE)  # certificates the tree lists in its extras branch
UNFINISHED = (PathEnd.MISSING, PathEnd.LOOP, PathEnd.TOO_LONG)  # path ends below a missing issuer


@dataclass(frozen=True)
class Missing:
    """A placeholder for an issuer that is neither loaded nor trusted."""

    issuer: str  # the missing subject, as the child names it
    issuer_der: bytes
    aia: tuple[str, ...]  # caIssuers URLs of the certificates below it
    found_in: tuple[str, ...]  # --search files holding a certificate with that subject
    bad_signature: tuple[str, ...] = ()  # loaded certificates with the name whose key did not sign


@dataclass(frozen=True)
class Extras:
    """The branch of certificates on no path from the leaf, and repeated ones."""

    indexes: tuple[int, ...]  # 0-based positions in the bundle


Top = CertEntry | Missing


@dataclass
class Forest:
    """Tops (roots or missing issuers), each node's children, and the extras branch."""

    tops: list[Top] = field(default_factory=list)
    children: dict[str, list[CertEntry]] = field(default_factory=dict)  # by sha256, or "missing:<hex>"
    extras: Extras = Extras(())
    chain: tuple[str, ...] = ()  # sha256s from the top of the chain down to the leaf

    def kids(self, node: Top) -> list[CertEntry]:
        return self.children.get(node_key(node), [])

    @cached_property
    def _parents(self) -> dict[str, str]:
        return {kid.sha256: up for up, kids in self.children.items() for kid in kids}

    def path_to(self, sha256: str) -> list[str]:
        """The node keys from a top down to the certificate ``sha256``; empty when it hangs below no top
        (an extra or duplicate certificate, listed in the extras branch)."""
        tops = {node_key(t) for t in self.tops}
        path = [sha256]
        while path[-1] not in tops:
            up = self._parents.get(path[-1])
            if up is None or up in path:
                return []
            path.append(up)
        return path[::-1]


def node_key(node: Top) -> str:
    return f"missing:{node.issuer_der.hex()}" if isinstance(node, Missing) else node.sha256


def build_forest(report: Report, search: CertPool | None = None) -> Forest:
    """Arrange every loaded certificate (and the chain's anchor) below the one that signed it."""
    chain = report.chain
    members: dict[str, CertEntry] = {}
    for facts in report.certificates:
        if facts.role not in OFF_PATH:
            members.setdefault(facts.entry.sha256, facts.entry)
    for entry in chain:
        members.setdefault(entry.sha256, entry)

    parent: dict[str, CertEntry] = {}
    for child, issuer in pairwise(chain):
        parent[child.sha256] = issuer
    for entry in list(members.values()):
        if entry.sha256 in parent:
            continue
        ups = [i for i in report.issuers_of(entry) if i.sha256 != entry.sha256]
        ups.sort(key=lambda i: i.sha256 not in members)
        for up in ups:
            if not _reaches(up, entry, parent):
                parent[entry.sha256] = up
                members.setdefault(up.sha256, up)
                break

    forest = Forest(extras=Extras(tuple(f.index for f in report.certificates if f.role in OFF_PATH)),
                    chain=tuple(e.sha256 for e in reversed(chain)))
    missing: dict[bytes, Missing] = {}
    orphans: dict[bytes, list[CertEntry]] = {}
    tops: list[Top] = []
    for entry in members.values():
        above = parent.get(entry.sha256)
        if above is not None:
            forest.children.setdefault(above.sha256, []).append(entry)
        elif report.is_self_signed(entry) or report.is_anchor(entry):
            tops.append(entry)
        else:
            orphans.setdefault(entry.issuer_der, []).append(entry)
    for issuer_der, below in orphans.items():
        urls = tuple(dict.fromkeys(u for e in below for u in aia_urls(e.cert)))
        found = tuple(c.origin.label for c in search.by_subject(issuer_der)) if search is not None else ()
        claimed = tuple(dict.fromkeys(c.subject for e in below for c in report.claimed_issuers_of(e)))
        node = Missing(below[0].issuer, issuer_der, urls, found, claimed)
        missing[issuer_der] = node
        forest.children[node_key(node)] = below
        tops.append(node)
    chain_top = _chain_top(report, missing)
    if chain_top is not None:
        tops.sort(key=lambda t: node_key(t) != node_key(chain_top))
    forest.tops = tops
    return forest


def _reaches(start: CertEntry, target: CertEntry, parent: dict[str, CertEntry]) -> bool:
    """Whether walking up from ``start`` meets ``target`` (adding the edge would make a loop)."""
    node: CertEntry | None = start
    seen: set[str] = set()
    while node is not None and node.sha256 not in seen:
        if node.sha256 == target.sha256:
            return True
        seen.add(node.sha256)
        node = parent.get(node.sha256)
    return False


def _chain_top(report: Report, missing: dict[bytes, Missing]) -> Top | None:
    if not report.chain or report.path is None:
        return None
    top = report.chain[-1]
    if report.path.end in UNFINISHED and top.issuer_der in missing:
        return missing[top.issuer_der]
    return top


def order_judged(report: Report) -> bool:
    """Order matters for a served chain from an ordered file (not for PKCS#7/#12 or a trust bundle)."""
    return report.leaf is not None and report.bundle.ordered and report.policy.judge_order


def _served_chain(report: Report) -> list[int]:
    """The bundle indexes of the certificates on a path from the leaf, in served order."""
    return [f.index for f in report.certificates if f.role not in OFF_PATH]


def order_marks(report: Report) -> dict[int, bool]:
    """For each chain certificate followed by another one (bundle index): is the next one its issuer?"""
    if not order_judged(report):
        return {}
    certs = report.bundle.certs
    seq = _served_chain(report)
    return {here: certs[nxt] in report.signers(certs[here]) for here, nxt in pairwise(seq)}


def order_break(report: Report) -> int | None:
    """The 0-based bundle index of the first chain certificate not followed by its issuer, or None."""
    if not order_judged(report):
        return None
    marks = order_marks(report)
    first = next((i for i, ok in sorted(marks.items()) if not ok), None)
    if first is not None:
        return first
    seq = _served_chain(report)
    if seq and report.leaf is not None and report.bundle.certs[seq[0]].sha256 != report.leaf.sha256:
        return seq[0]
    return None
