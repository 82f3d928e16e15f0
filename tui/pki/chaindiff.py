"""Before and after repairs: which certificates moved, which were added and from where, which were dropped.

Both front ends show the same diff: ``chaindoctor fix --diff`` prints :meth:`ChainDiff.lines`, the app
shows them after repairs. ``#N`` numbers are places in the bundle (from 1), as everywhere else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from .model import Bundle, CertEntry
from .text import shorten

if TYPE_CHECKING:
    from .diagnose import Report

__all__ = ["ChainDiff", "Place", "chain_diff"]

NAME_WIDTH = 100


class Place(NamedTuple):
    """One certificate's place before and after (``None``: not there)."""

    entry: CertEntry
    before: int | None  # its #N before; None: added
    after: int | None  # its #N after; None: dropped
    why: str = ""  # added: where it came from; dropped: its role before (extra, duplicate, root), when known

    @property
    def moved(self) -> bool:
        return self.before is not None and self.after is not None and self.before != self.after

    def line(self, width: int = NAME_WIDTH) -> str:
        """``  #1 -> #2  'CN=leaf'``, ``+ new -> #2  'CN=I' from search path pool/i.pem``, ``- #5  'CN=X' (extra)``."""
        name = f"'{shorten(self.entry.subject, width)}'"
        if self.before is None:
            return f"+ new -> #{self.after}  {name}" + (f" from {self.why}" if self.why else "")
        if self.after is None:
            return f"- #{self.before}  {name}" + (f" ({self.why})" if self.why else "")
        return f"  #{self.before} -> #{self.after}  {name}"

    def to_json(self) -> dict[str, object]:
        """``before``/``after`` are #N places; an added one says where it came from as ``fix --json`` repairs do."""
        out: dict[str, object] = {"sha256": self.entry.sha256, "subject": self.entry.subject}
        if self.before is not None:
            out["before"] = self.before
        if self.after is not None:
            out["after"] = self.after
        if self.before is None:
            out["source"] = self.entry.origin.label
            out["from"] = self.entry.origin.container
        elif self.after is None:
            out["reason"] = self.why or None
        return out


class ChainDiff(NamedTuple):
    """Every certificate of both bundles: kept ones in their new order with added ones among them, then the
    dropped ones in their old order."""

    places: tuple[Place, ...]

    @property
    def moved(self) -> tuple[Place, ...]:
        return tuple(p for p in self.places if p.moved)

    @property
    def added(self) -> tuple[Place, ...]:
        return tuple(p for p in self.places if p.before is None)

    @property
    def dropped(self) -> tuple[Place, ...]:
        return tuple(p for p in self.places if p.after is None)

    @property
    def unchanged(self) -> int:
        return sum(p.before is not None and p.before == p.after for p in self.places)

    @property
    def changed(self) -> bool:
        return any(p.before != p.after for p in self.places)

    def summary(self) -> str:
        """``2 moved, 1 added, 1 dropped, 1 unchanged`` (``no change`` when nothing changed)."""
        if not self.changed:
            return "no change"
        counts = ((len(self.moved), "moved"), (len(self.added), "added"), (len(self.dropped), "dropped"),
                  (self.unchanged, "unchanged"))
        return ", ".join(f"{n} {word}" for n, word in counts if n)

    def lines(self, width: int = NAME_WIDTH) -> list[str]:
        """One line per certificate that moved, was added or dropped (certificate text is not made inert)."""
        return [p.line(width) for p in self.places if p.before != p.after]

    def to_json(self) -> dict[str, object]:
        return {"moved": [p.to_json() for p in self.moved], "added": [p.to_json() for p in self.added],
                "dropped": [p.to_json() for p in self.dropped], "unchanged": self.unchanged}


def chain_diff(before: Bundle, after: Bundle, report: Report | None = None) -> ChainDiff:
    """What changed from ``before`` to ``after``; ``report`` (the diagnosis of ``before``) names the role
    each dropped certificate had.

    A certificate is the same one when it is the same loaded entry, else the same DER (repeated copies
    are paired in order). Without ``report`` a dropped certificate is called a duplicate when a copy of
    it stays, and nothing else is guessed.
    """
    olds = before.certs
    where = {id(entry): i for i, entry in enumerate(olds)}
    pairs: dict[int, int] = {}  # after index -> before index
    free = set(range(len(olds)))
    for j, entry in enumerate(after.certs):
        i = where.get(id(entry))
        if i is not None and i in free:
            pairs[j] = i
            free.discard(i)
    by_der: dict[str, list[int]] = {}
    for i in sorted(free):
        by_der.setdefault(olds[i].sha256, []).append(i)
    for j, entry in enumerate(after.certs):
        spare = by_der.get(entry.sha256) if j not in pairs else None
        if spare:
            pairs[j] = spare.pop(0)
            free.discard(pairs[j])
    roles = [f.role for f in report.certificates] if report is not None and report.bundle.certs == olds else None
    kept = {entry.sha256 for entry in after.certs}
    places = [Place(entry, pairs[j] + 1, j + 1) if j in pairs else Place(entry, None, j + 1, entry.origin.described)
              for j, entry in enumerate(after.certs)]
    for i in sorted(free):
        why = str(roles[i]) if roles is not None else "duplicate" if olds[i].sha256 in kept else ""
        places.append(Place(olds[i], i + 1, None, why))
    return ChainDiff(tuple(places))
