"""The app's model: an engine session on screen, and what the screens derive from it.

The main screen has one :class:`Workspace`; each side of the mTLS screen has its own. A screen that
puts a new view of a workspace on screen posts :class:`Workspace.Changed`, and one whose highlight
moves posts :class:`Workspace.Highlighted`; the lessons check the learner's progress when they arrive.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from textual.message import Message

from ..pki.diagnose import Report
from ..pki.endpoints import LiveChain
from ..pki.history import History
from ..pki.model import Bundle, CertEntry
from ..pki.session import Clock, Session
from .view import View, make_view

MAX_VIEWS = 32  # views kept per workspace (undo and redo show them again without a new diagnosis)


class Workspace:
    """One engine :class:`Session` on screen: the view shown, the views computed so far, the highlight."""

    class Changed(Message):
        """A new view of ``workspace`` is on screen: another bundle, a repair, undo, a new trust anchor."""

        def __init__(self, workspace: Workspace) -> None:
            super().__init__()
            self.workspace = workspace

    class Highlighted(Message):
        """The certificate, missing issuer or pane the user looks at changed."""

        def __init__(self, workspace: Workspace) -> None:
            super().__init__()
            self.workspace = workspace

    def __init__(self, session: Session, now: Clock) -> None:
        self.session = session
        self.now = now
        self.view: View | None = None  # what the screen shows
        self.selected: CertEntry | None = None  # the certificate the details pane shows
        self.busy = False  # a background job works on it
        self._views: dict[int, tuple[Bundle, View]] = {}

    @property
    def history(self) -> History:
        """The repair history of the session's bundle."""
        return self.session.history

    @property
    def report(self) -> Report | None:
        return self.view.report if self.view is not None else None

    @property
    def ready(self) -> bool:
        """Nothing runs, and the view on screen is the current bundle's."""
        view = self.view
        return not self.busy and view is not None and view.report.bundle is self.history.current

    def cached(self, bundle: Bundle) -> View | None:
        """The view of ``bundle`` computed before, if it is still known."""
        found = self._views.get(id(bundle))
        return found[1] if found is not None and found[0] is bundle else None

    def compute(self, bundle: Bundle, now: datetime, *, live: Sequence[LiveChain] | None = None) -> View:
        """Diagnose ``bundle`` and lay out its panes (slow for huge bundles: call it from a worker);
        ``live``: what the servers sent now, when it is not yet the session's."""
        return make_view(self.session, bundle, now, live=live)

    def remember(self, bundle: Bundle, view: View) -> None:
        if len(self._views) > MAX_VIEWS:
            self._views.clear()
        self._views[id(bundle)] = (bundle, view)

    def forget(self) -> None:
        """The trust anchors changed: every view computed so far is stale."""
        self._views.clear()

    def use(self, session: Session) -> None:
        """Work on another session from now on (the lessons switch bundle, trust and policy this way)."""
        self.session = session
        self.forget()

    def replace(self, bundle: Bundle, view: View, *, source_file: str | None, label: str,
                live: Sequence[LiveChain] = ()) -> None:
        """Another bundle was opened or fetched again: it starts a new repair history."""
        self.session.replace_bundle(bundle, source_file=source_file, label=label)
        self.session.live = list(live)
        self.remember(bundle, view)
