"""Whether the learner did the task, read from the real app's state (never from the lesson's own widgets)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ...pki.diagnose import Finding, Report
from ...pki.model import CertEntry
from ...pki.session import Session
from ..forest import Missing
from ..screens.glossary import GlossaryScreen
from ..screens.mtls import MtlsScreen
from ..widgets.signer_tree import SignerTree
from ..widgets.tables import NOT_NEXT, FindingsTable, ServedOrder

if TYPE_CHECKING:
    from ..app import ChainDoctorApp

Memory = dict[str, object]
Check = Callable[["Probe", Memory], bool]
Pick = Callable[[Report], "CertEntry | None"]


class Probe:
    """A read-only look at the app: the report shown, the highlighted certificate, the focused pane."""

    def __init__(self, app: ChainDoctorApp, session: Session | None = None, pair: MtlsScreen | None = None) -> None:
        self.app = app
        self.session = session
        self.bundle = session.bundle if session is not None else None  # opening a file replaces it
        self.pair = pair  # the mTLS screen the lesson opened, if any

    @property
    def off_track(self) -> bool:
        """The learner opened another bundle, or closed the lesson's mTLS screen."""
        app = self.app
        if self.pair is not None:
            return self.pair not in app.screen_stack
        return app.session is not self.session or app.session.bundle is not self.bundle

    @property
    def ready(self) -> bool:
        """The app shows the lesson's own bundle, analysed (not busy, not another file the learner opened)."""
        if self.off_track:
            return False
        if self.pair is not None:
            return not self.pair.busy and all(side.ready for side in self.pair.sides.values())
        return not self.app.busy and self.app.workspace.ready

    @property
    def report(self) -> Report:
        assert self.app.view is not None
        return self.app.view.report

    @property
    def selected(self) -> CertEntry | None:
        """The certificate the details pane shows (highlighted in the tree, served order or findings)."""
        return self.app.selected

    @property
    def pane(self) -> str | None:
        """``tree``, ``served`` or ``findings`` when one of them has the focus."""
        focused = self.app.focused
        panes: dict[type, str] = {SignerTree: "tree", ServedOrder: "served", FindingsTable: "findings"}
        return panes.get(type(focused))

    @property
    def tree_target(self) -> CertEntry | Missing | None:
        target = self.app.query_one(SignerTree).cursor_target()
        return target[0] if isinstance(target, tuple) else target

    @property
    def served_row(self) -> int | None:
        table = self.app.query_one(ServedOrder)
        return table.cursor_row if table.row_count else None

    @property
    def finding(self) -> Finding | None:
        """The highlighted finding, once the learner has moved into the findings table."""
        table = self.app.query_one(FindingsTable)
        if self.pane != "findings" or not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return table.finding_at(key)

    @property
    def glossary_term(self) -> str | None:
        """The key of the term an open glossary shows."""
        screen = self.app.screen
        return screen.current if isinstance(screen, GlossaryScreen) else None


# --- which certificate ------------------------------------------------------------------------------


def leaf_issuer(report: Report) -> CertEntry | None:
    return report.chain[1] if len(report.chain) > 1 else None


def anchor(report: Report) -> CertEntry | None:
    path = report.path
    return path.top if path is not None and path.trusted else None


def last_served(report: Report) -> CertEntry | None:
    return report.bundle.certs[-1] if report.bundle.certs else None


def at_fault(code: str) -> Pick:
    def pick(report: Report) -> CertEntry | None:
        shas = {sha for f in report.by_code(code) for sha in f.certificates}
        return next((e for e in report.bundle.certs if e.sha256 in shas), None)

    return pick


def same(a: CertEntry | None, b: CertEntry | None) -> bool:
    return a is not None and b is not None and a.sha256 == b.sha256


# --- checks --------------------------------------------------------------------------------------------


def highlighted(pick: Pick, pane: str | None = None) -> Check:
    """The certificate ``pick`` chooses is highlighted (in ``pane``, when given)."""

    def check(probe: Probe, memory: Memory) -> bool:
        if pane is not None and probe.pane != pane:
            return False
        return same(probe.selected, pick(probe.report))

    return check


def on_missing_node(probe: Probe, memory: Memory) -> bool:
    """The tree's highlight is on a missing issuer."""
    return isinstance(probe.tree_target, Missing)


def on_order_break(probe: Probe, memory: Memory) -> bool:
    """The served order has the focus and its highlight is on a row marked 'not signed by the next'."""
    row = probe.served_row
    if probe.pane != "served" or row is None:
        return False
    return NOT_NEXT in str(probe.app.query_one(ServedOrder).get_row_at(row)[1])


def finding_open(code: str) -> Check:
    """The learner moved into the findings table and highlighted a ``code`` finding."""

    def check(probe: Probe, memory: Memory) -> bool:
        finding = probe.finding
        return finding is not None and finding.code == code

    return check


def repaired(code: str) -> Check:
    """A repair (one that can be undone) made the ``code`` finding go away."""

    def check(probe: Probe, memory: Memory) -> bool:
        return probe.app.history.can_undo and code not in probe.report.codes()

    return check


def now_trusted(probe: Probe, memory: Memory) -> bool:
    """The path reaches a trust anchor (the learner trusted the root with ``t``)."""
    path = probe.report.path
    return probe.session is not None and bool(probe.session.trusted_here) and path is not None and path.trusted


def walked_chain(probe: Probe, memory: Memory) -> bool:
    """Every certificate of the path, leaf to anchor, has been highlighted at least once."""
    seen = memory.setdefault("seen", set())
    assert isinstance(seen, set)
    if probe.selected is not None:
        seen.add(probe.selected.sha256)
    memory["left"] = sum(e.sha256 not in seen for e in probe.report.chain)
    return memory["left"] == 0


def glossary_shows(key: str) -> Check:
    """The glossary is open on the term ``key``."""

    def check(probe: Probe, memory: Memory) -> bool:
        return probe.glossary_term == key

    return check


def spotless(probe: Probe, memory: Memory) -> bool:
    """No finding at all: complete, in order, trusted, nothing extra."""
    return not probe.report.findings


def pair_repaired(side: str, code: str) -> Check:
    """On the mTLS screen, a repair of ``side``'s chain made the ``code`` finding go away."""

    def check(probe: Probe, memory: Memory) -> bool:
        if probe.pair is None:
            return False
        workspace = probe.pair.sides[side]
        report = workspace.report
        return report is not None and workspace.history.can_undo and code not in report.codes()

    return check
