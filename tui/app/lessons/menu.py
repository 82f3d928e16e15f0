"""``l``: the list of lessons with the learner's progress; start one, or leave the lessons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..keys import KEY
from ..screens.dialogs import ConfirmScreen

if TYPE_CHECKING:
    from .tutor import Tutor

INTRO = ("Seven short lessons, from one certificate to mutual TLS, then a broken chain to fix on your own: "
         "the demo, a server's chain file put together by hand, with an intermediate before the server's "
         "own certificate, the root pasted in and an intermediate twice. Each lesson opens a small bundle in "
         "this app, asks you to do something here, checks that you did, and explains what happened. Your "
         "own bundle comes back when you leave.")


class LessonsScreen(ModalScreen[None]):
    """The lessons menu. ``chaindoctor learn`` skips it and opens lesson 1 directly."""

    BINDINGS = [Binding(f"escape,{KEY['quit'].key},{KEY['lessons'].key}", "close", "Close"),
                Binding("x", "leave", "Leave the lessons")]
    DEFAULT_CSS = """
    LessonsScreen #lesson-list { height: auto; max-height: 12; margin-bottom: 1; }
    """

    def __init__(self, tutor: Tutor) -> None:
        super().__init__(classes="dialog-screen")
        self.tutor = tutor

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog lessons"):
            yield Static(Text("Lessons: from TLS to mTLS", style="bold"), classes="question")
            yield Static(Text(INTRO), classes="detail")
            yield OptionList(*self._options(), id="lesson-list")
            hint = "Enter starts the highlighted lesson · Escape closes"
            if self.tutor.running:
                hint += " · x leaves the lessons"
            yield Static(Text(hint, style="dim"))

    def _options(self) -> list[Option]:
        tutor = self.tutor
        course = tutor.course
        options = []
        for i, lesson in enumerate(course.lessons):
            mark = "✓" if i in course.completed else ("▶" if tutor.running and i == course.index else " ")
            name = "Final ·" if lesson.final else f"{i + 1}."
            options.append(Option(Text(f"{mark} {name} {lesson.title}"), id=str(i)))
        return options

    def on_mount(self) -> None:
        tutor = self.tutor
        course = tutor.course
        todo = [i for i in range(len(course.lessons)) if i not in course.completed]
        options = self.query_one(OptionList)
        options.highlighted = course.index if tutor.running else (todo[0] if todo else 0)
        options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        index = int(event.option.id or 0)
        tutor = self.tutor
        if tutor.running or not tutor.app.history.dirty:
            self.dismiss(None)
            tutor.start(index)
            return
        question = Text("Your repairs are not saved. The lessons keep them and give them back when you leave "
                        "(x in this list), but quitting from a lesson does not ask about them. Start anyway?")

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(None)
                tutor.start(index)

        self.app.push_screen(ConfirmScreen(question, yes="Start the lesson"), answered)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_leave(self) -> None:
        if self.tutor.running:
            self.dismiss(None)
            self.tutor.leave()
