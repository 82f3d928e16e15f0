"""The client matrix: one entry per real verifier, ✓ accepts or ✗ refuses, why, and whom it blames."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from .. import clients
from ..view import View

if TYPE_CHECKING:
    from ...pki.verifiers import ClientVerdict


class ClientMatrix(OptionList):
    """Who accepts this chain. Highlighting a verifier shows the certificate it blames; Enter goes to it
    in the signer tree."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.verdicts: tuple[ClientVerdict, ...] = ()

    def show(self, view: View) -> None:
        highlighted = self.highlighted
        self.verdicts = view.report.clients
        self.clear_options()
        if not self.verdicts:
            self.add_option(Option(Text("No verifier ran: nothing was served (no certificate to verify).",
                                        style="dim"), id="none", disabled=True))
            return
        self.add_options(Option(clients.option_text(view, v), id=f"client-{i}") for i, v in enumerate(self.verdicts))
        self.highlighted = highlighted if highlighted is not None and highlighted < len(self.verdicts) else 0

    def verdict_at(self, index: int | None) -> ClientVerdict | None:
        """The verdict shown at ``index`` (None for no highlight)."""
        return self.verdicts[index] if index is not None and 0 <= index < len(self.verdicts) else None

    @property
    def current(self) -> ClientVerdict | None:
        """The highlighted verdict."""
        return self.verdict_at(self.highlighted)

    @property
    def text(self) -> str:
        """Everything the matrix shows, as plain text (for tests)."""
        lines = []
        for index in range(self.option_count):
            prompt = self.get_option_at_index(index).prompt
            lines.append(prompt.plain if isinstance(prompt, Text) else str(prompt))
        return "\n".join(lines)
