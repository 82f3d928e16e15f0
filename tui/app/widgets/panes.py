"""Scrollable text panes (details, explanation) and the verdict line."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static


class TextPane(VerticalScroll):
    """A focusable, scrollable pane showing one ``Text``."""

    def __init__(self, placeholder: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._placeholder = Text(placeholder, style="dim")

    def compose(self) -> ComposeResult:
        yield Static(self._placeholder, classes="pane-text")

    def show(self, content: RenderableType) -> None:
        self._content = content
        self.query_one(".pane-text", Static).update(content)
        self.scroll_home(animate=False)

    @property
    def text(self) -> str:
        """The plain text shown (for tests and screen readers)."""
        content = getattr(self, "_content", self._placeholder)
        console = Console(width=200, record=True, file=io.StringIO(), color_system=None)
        console.print(content)
        return console.export_text()


class VerdictBar(Static):
    """One line: the verdict in words and what to press."""

    def show(self, text: Text, state: str) -> None:
        self.set_classes(f"-{state}")
        self.update(text)
