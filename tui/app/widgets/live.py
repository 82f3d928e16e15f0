"""The line under the verdict that says what a live endpoint sent (hidden for files)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class LiveBar(Static):
    """What each live SOURCE said: TLS version, cipher, SNI, STARTTLS, ALPN, the OCSP staple, what it serves
    without SNI and whom it wants a client certificate from."""

    DEFAULT_CSS = """
    LiveBar { height: auto; max-height: 8; padding: 0 1; background: $boost; display: none; }
    LiveBar.-live { display: block; }
    """

    def show(self, text: Text) -> None:
        """Show ``text`` (already inert); an empty text hides the bar."""
        self.set_class(bool(text.plain), "-live")
        self.update(text)

    @property
    def text(self) -> str:
        """The plain text shown (for tests)."""
        content = self.content
        return content.plain if isinstance(content, Text) else str(content)
