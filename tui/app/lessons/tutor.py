"""The lessons' controller: the running lesson, the bundle the app shows for it, and the way back home."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ...pki.session import Session
from ..screens.mtls import MtlsScreen
from ..widgets.signer_tree import SignerTree
from .checks import Probe
from .content import LESSONS
from .course import Course
from .panel import LessonPanel
from .scenes import PairScene, Scene, pair_screen_for, session_for

if TYPE_CHECKING:
    from ..app import ChainDoctorApp


class Tutor:
    """Opens each lesson's bundles in the real app and moves on when the learner's action shows.

    The app calls :meth:`check` whenever something the learner can see changed (a new report, a
    highlight, the focus, a glossary term, the screen): there is no polling.
    """

    def __init__(self, app: ChainDoctorApp) -> None:
        self.app = app
        self.course = Course(LESSONS)
        self.home: Session | None = None  # the learner's own bundle, for leaving
        self.probe: Probe | None = None
        self.started = False
        self.tree_first = False  # a lesson just began: the tree gets the focus once its bundle is shown

    @property
    def running(self) -> bool:
        return self.home is not None

    @property
    def off_track(self) -> bool:
        """The learner opened another bundle, or closed the lesson's mTLS screen."""
        return self.probe is not None and self.probe.off_track

    def start(self, index: int) -> None:
        """Open lesson ``index`` at its first step (keeping the learner's own bundle to go back to)."""
        if self.home is None:
            self.home = self.app.session
        self.started = True
        self.course.start(index)
        self._open(self.course.lesson.scene_at(0))
        self._panel().show_lesson()
        self.tree_first = True  # every lesson begins in the tree
        self.app.query_one(SignerTree).focus()

    def restart(self) -> None:
        if self.running:
            self.start(self.course.index)

    def next(self) -> None:
        """The next lesson (skipping the rest of this one); after the last, leave."""
        if not self.running:
            return
        index = self.course.next_index
        if index is None:
            self.leave()
        else:
            self.start(index)

    def leave(self) -> None:
        """Close the lesson panel and give the learner's own bundle back."""
        if self.home is None:
            return
        self._close_pair()
        for panel in self.app.default_screen.query(LessonPanel):
            panel.remove()
        self.app.default_screen.remove_class("-lesson")
        session = self.home
        self.home, self.probe = None, None
        self.app.clear_notifications()
        self.app.use_session(session)

    def check(self) -> None:
        """Mark every step the app shows done, and redraw the lesson panels."""
        if self.tree_first and self.probe is not None and self.probe.ready:
            # the loading indicator of the lesson's bundle hid the tree and took its focus away
            self.tree_first = False
            self.app.query_one(SignerTree).focus()
        while self.tick():
            pass
        for panel in self._panels():
            panel.redraw()

    def tick(self) -> bool:
        """Check the current step against the app; True when a step was completed."""
        probe = self.probe
        if probe is None or not probe.ready:
            return False
        if not self.course.advance(probe):
            return False
        step = self.course.current
        if step is not None and step.scene is not None:
            self._open(step.scene)
        return True

    def _open(self, scene: Scene | PairScene) -> None:
        self.app.clear_notifications()  # the last scene's notices are about another bundle
        self._close_pair()
        if isinstance(scene, PairScene):
            screen = pair_screen_for(scene, self.app.workspace.now)
            self.probe = Probe(self.app, pair=screen)
            self.app.call_later(self._push_pair, screen)
            return
        lesson = self.course.lesson
        where = "final" if lesson.final else f"lesson {self.course.index + 1}"
        session = session_for(scene, f"{where}: {scene.bundle}")
        self.probe = Probe(self.app, session)
        self.app.use_session(session)

    async def _push_pair(self, screen: MtlsScreen) -> None:
        """Open the mTLS screen with its own lesson panel."""
        if self.probe is None or self.probe.pair is not screen:
            return  # the learner moved on before it opened
        await self.app.push_screen(screen)
        await screen.mount(LessonPanel(self))

    def _close_pair(self) -> None:
        pair = self.probe.pair if self.probe is not None else None
        while pair is not None and pair in self.app.screen_stack:
            self.app.pop_screen()

    def _panels(self) -> Iterator[LessonPanel]:
        """The panel beside the main screen, and the one on the lesson's mTLS screen."""
        for screen in self.app.screen_stack:
            yield from screen.query(LessonPanel).results(LessonPanel)

    def _panel(self) -> LessonPanel:
        screen = self.app.default_screen
        found = screen.query(LessonPanel)
        if found:
            return found.first()
        panel = LessonPanel(self)
        screen.add_class("-lesson")
        screen.mount(panel)
        return panel
