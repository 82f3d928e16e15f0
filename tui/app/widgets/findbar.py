"""The find bar under the panes: a query field and what the last search found."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Static


class FindBar(Horizontal):
    """Hidden until opened; Enter asks for the next match of the query, Escape closes it."""

    BINDINGS = [Binding("escape", "close", "Close find")]

    class Next(Message):
        """Enter: show the next match of ``query``."""

        def __init__(self, query: str) -> None:
            super().__init__()
            self.query = query

    class Closed(Message):
        """Escape: the bar is hidden again."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.display = False

    def _parts(self) -> list[Widget]:
        field = Input(placeholder="a name, a SHA-256 fingerprint or a serial number; Enter: next match, Escape: close",
                      id="find-query", compact=True, select_on_focus=False)
        field.cursor_blink = False
        return [Label("Find: ", markup=False), field, Static("", id="find-status")]

    def open(self) -> None:
        """Show the bar and focus its field; the field is built the first time (not for the first paint)."""
        self.display = True
        if self.query(Input):
            self.query_one(Input).focus()
            return

        async def build() -> None:
            await self.mount_all(self._parts())
            self.query_one(Input).focus()

        self.call_later(build)

    def action_close(self) -> None:
        self.display = False
        self.post_message(self.Closed())

    def report(self, status: Text) -> None:
        """Say what the last search found (``match 2 of 5``, ``no match``)."""
        self.query_one("#find-status", Static).update(status)

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Next(event.value))

    @on(Input.Changed)
    def _edited(self) -> None:
        self.report(Text(""))
