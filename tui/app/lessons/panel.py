"""The lesson panel, docked beside the real app's panes: progress, the story so far, and the task of the
moment pinned where it is always in view (also at 80x24); the tutor redraws it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from . import page

if TYPE_CHECKING:
    from .tutor import Tutor


class LessonPanel(Vertical):
    """Beside the main panes; never takes the focus, so every key still goes to the app."""

    SCOPED_CSS: ClassVar[bool] = False
    DEFAULT_CSS = """
    LessonPanel {
        split: right;  /* the full height; the app's header and footer keep the rest of the width */
        width: 44;
        max-width: 40%;
        height: 1fr;
        border-left: thick $accent;
        background: $surface;
        padding: 0 1;
    }
    LessonPanel #lesson-head { height: auto; margin-bottom: 1; }
    LessonPanel #lesson-scroll { height: 1fr; min-height: 3; scrollbar-size: 1 1; }
    LessonPanel #lesson-task {
        height: auto; max-height: 60%; border-top: solid $accent; scrollbar-size: 1 1;
    }
    LessonPanel #lesson-keys { height: auto; color: $text-muted; border-top: solid $panel-lighten-2; }
    /* the panes beside the panel: app.tcss (the app's stylesheet wins over a widget's DEFAULT_CSS) */
    """

    def __init__(self, tutor: Tutor) -> None:
        super().__init__(id="lesson")
        self.tutor = tutor
        self._shown = ""
        self._where: tuple[int, int] | None = None  # (lesson, step) last drawn

    def compose(self) -> ComposeResult:
        yield Static(id="lesson-head")
        with VerticalScroll(id="lesson-scroll", can_focus=False):
            yield Static(id="lesson-body")
        with VerticalScroll(id="lesson-task", can_focus=False):
            yield Static(id="lesson-task-text")
        yield Static(page.keys(), id="lesson-keys")

    def on_mount(self) -> None:
        self.show_lesson()

    def show_lesson(self) -> None:
        """Redraw from the top (a lesson began or restarted)."""
        self._shown, self._where = "", None
        self.redraw()

    @property
    def text(self) -> str:
        """The panel's words (for tests and screen readers)."""
        return self._shown

    def redraw(self) -> None:
        """Show where the course is now (nothing happens when nothing changed)."""
        if not self.is_mounted or not self.is_attached or not self.query("#lesson-body"):
            return
        course = self.tutor.course
        head = page.heading(course)
        story = page.story(course)
        task = page.task(course, off_track=self.tutor.off_track)
        shown = "\n".join((head.plain, story.plain, task.plain))
        if shown == self._shown:
            return
        self._shown = shown
        self.query_one("#lesson-head", Static).update(head)
        self.query_one("#lesson-body", Static).update(story)
        self.query_one("#lesson-task-text", Static).update(task)
        where = (course.index, course.step)
        if where != self._where:  # a new lesson reads from the top; a new step shows what just happened and what's next
            self._where = where
            self.call_after_refresh(self._scroll, home=course.step == 0)

    def _scroll(self, *, home: bool) -> None:
        found = self.query("#lesson-scroll")
        if not self.is_attached or not found:
            return  # removed meanwhile (the lesson's mTLS screen closed)
        scroll = found.first(VerticalScroll)
        if home:
            scroll.scroll_home(animate=False)
        else:
            scroll.scroll_end(animate=False)
        self.query_one("#lesson-task", VerticalScroll).scroll_home(animate=False)

    # --- keys (forwarded by the app: ctrl+n, ctrl+g; l opens the menu) --------------------------------

    def action_next(self) -> None:
        self.tutor.next()

    def action_restart(self) -> None:
        self.tutor.restart()

    async def action_menu(self) -> None:
        await self.app.run_action("lessons")
