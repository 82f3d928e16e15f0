"""The system clipboard through pyperclip, which fails on machines without one: never a crash."""

from __future__ import annotations


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
