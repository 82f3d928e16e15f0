"""The system clipboard through pyperclip, which fails on machines without one: never a crash."""

from __future__ import annotations

# Copies larger than this (bytes of PEM) are not sent to the terminal's clipboard (OSC 52): terminals
# drop an over-long sequence silently. hterm's osc52.sh refuses sequences over 100,000 bytes
# (chromium libapps hterm/etc/osc52.sh: OSC_52_MAX_SEQUENCE="100000"); base64 makes 74,000 bytes of
# PEM about 98,700. tmux discards any escape sequence over 1 MiB (tmux input.c: INPUT_BUF_LIMIT
# 1048576), and kitty used to refuse OSC 52 over 6,138 bytes (kovidgoyal/kitty issue #3031).
OSC52_LIMIT = 74_000


def size_text(size: int) -> str:
    """``74 KB``, ``8.9 MB``: a byte count for people."""
    if size < 1_000_000:
        return f"{size / 1000:.0f} KB"
    return f"{size / 1_000_000:.1f} MB"


def copy(text: str) -> str | None:
    """Put ``text`` on the system clipboard; return why that failed, or None."""
    try:
        import pyperclip

        pyperclip.copy(text)
    except Exception as exc:  # noqa: BLE001 - PyperclipException and whatever a backend raises
        return _reason(exc)
    return None


def paste() -> tuple[str | None, str | None]:
    """(text, None) from the system clipboard, or (None, why not)."""
    try:
        import pyperclip

        text = pyperclip.paste()
    except Exception as exc:  # noqa: BLE001 - PyperclipException and whatever a backend raises
        return None, _reason(exc)
    return (text if isinstance(text, str) else None), None


def _reason(exc: BaseException) -> str:
    return "No system clipboard is reachable here (no xclip, xsel or wl-clipboard?)." \
        if type(exc).__name__ == "PyperclipException" else f"The clipboard failed: {type(exc).__name__}."
