"""``d``: the chain before and after the repairs — what moved, what was added and from where, what was dropped."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ...pki.chaindiff import ChainDiff
from .. import render
from ..keys import key_of

STYLES = {"+": "green", "-": "red"}


def diff_text(diff: ChainDiff, *, saved: bool) -> Text:
    """The diff's lines, coloured: added green, dropped red, moved plain; then whether it is saved."""
    out = Text()
    out.append(f"Before → after: {diff.summary()}\n\n", style="bold")
    for line in diff.lines():
        out.append(render.safe(line) + "\n", style=STYLES.get(line[:1], ""))
    if not diff.changed:
        out.append("The chain is as it was opened.\n", style="dim")
    out.append("\nSaved.\n" if saved else f"\nNot saved yet: {key_of('save')} saves the chain after.\n",
               style="italic")
    return out


class ChangesScreen(ModalScreen[None]):
    """The before/after of the chain; Escape, q or the key that opened it closes it."""

    BINDINGS = [Binding(f"escape,q,{key_of('changes')}", "close", "Close")]

    def __init__(self, diff: ChainDiff, *, saved: bool) -> None:
        super().__init__(classes="dialog-screen")
        self.diff, self.saved = diff, saved

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog changes"):
            yield Static(Text("The chain before and after your repairs", style="bold"), classes="question")
            with VerticalScroll(id="changes-body"):
                yield Static(diff_text(self.diff, saved=self.saved), id="changes")
            yield Static(Text("#N is a place in the chain, from 1 · Escape closes", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#changes-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)
