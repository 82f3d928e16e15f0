"""Everything the panes show for one bundle, computed off the UI thread."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from ..pki.diagnose import Report
from ..pki.endpoints import LiveChain
from ..pki.model import Bundle, CertEntry
from ..pki.session import Session
from ..pki.vocabulary import Severity
from .forest import Forest, build_forest, order_break, order_marks


@dataclass(frozen=True)
class View:
    """A report and what the panes derive from it."""

    report: Report
    forest: Forest
    break_index: int | None  # first chain certificate not followed by its issuer
    marks: dict[int, bool]  # bundle index -> whether the next chain certificate signed it

    @property
    def summary(self) -> str:
        """``BROKEN — 1 error, 2 warnings`` or ``OK`` (``OK — 1 warning``)."""
        findings = self.report.findings
        errors = sum(f.severity == Severity.ERROR for f in findings)
        warnings = sum(f.severity == Severity.WARNING for f in findings)
        parts = [f"{errors} error{'s' if errors != 1 else ''}"] if errors else []
        if warnings:
            parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
        head = "BROKEN" if self.report.verdict == "broken" else "OK"
        return head + (" — " + ", ".join(parts) if parts else "")

    @property
    def ok(self) -> bool:
        return self.report.verdict == "ok"

    def entry(self, sha256: str) -> CertEntry | None:
        """The loaded (or chain) certificate with this fingerprint: what a finding names."""
        return self._by_sha.get(sha256)

    @cached_property
    def _by_sha(self) -> dict[str, CertEntry]:
        report = self.report
        found: dict[str, CertEntry] = {}
        for entry in (*report.bundle.certs, *report.chain):
            found.setdefault(entry.sha256, entry)
        return found


def make_view(session: Session, bundle: Bundle, now: datetime, *, live: Sequence[LiveChain] | None = None) -> View:
    """Diagnose ``bundle`` and lay out its tree (slow for huge bundles: call it from a worker)."""
    report = session.analyse(bundle, now, live=live)
    return View(report, build_forest(report, session.search), order_break(report), order_marks(report))
