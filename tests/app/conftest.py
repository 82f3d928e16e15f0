"""Shared helpers for the Pilot and snapshot tests: a fixed clock, a fake clipboard, settling."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App
from textual.pilot import Pilot

from tui.app import make_app
from tui.app.app import ChainDoctorApp
from tui.cli import parse_request

SAMPLES = Path(__file__).resolve().parents[2] / "sample_certs"
ROOTS = str(SAMPLES / "roots" / "local-root.pem")
FIXED_NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SIZE = (120, 40)

SnapCompare = Callable[..., bool]
"""pytest-textual-snapshot's ``snap_compare`` fixture: runs the app and compares its screen with the stored SVG."""


def new_app(*argv: str, system_roots: bool = False) -> ChainDoctorApp:
    """The app as ``chaindoctor ARGV`` would start it, with a fixed clock and no system roots."""
    request = parse_request([*argv, *([] if system_roots else ["--no-system-roots"])])
    app = make_app(request, now=lambda: FIXED_NOW)
    assert isinstance(app, ChainDoctorApp)
    return app


def sample(name: str) -> str:
    return str(SAMPLES / name)


async def settle(pilot: Pilot[object]) -> None:
    """Wait until background analysis is done and the screen has caught up."""
    app = pilot.app
    for _ in range(200):
        await app.workers.wait_for_complete()
        await pilot.pause()
        # jobs run on the app (main screen) or on the active screen (the mTLS screen)
        if not getattr(app, "busy", False) and not getattr(app.screen, "busy", False):
            break
    await pilot.pause()


def screen_text(app: App[object]) -> str:
    """What the terminal shows right now, as plain text (what a user can read without scrolling)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), color_system=None, record=True,
                      legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


@dataclass
class FakeClipboard:
    """Stands in for pyperclip so tests never touch (or need) a real clipboard."""

    text: str = ""
    copies: list[str] = field(default_factory=list)
    fail: bool = False

    def copy(self, text: str) -> None:
        if self.fail:
            import pyperclip

            raise pyperclip.PyperclipException("could not find a copy/paste mechanism")
        self.copies.append(text)
        self.text = text

    def paste(self) -> str:
        if self.fail:
            import pyperclip

            raise pyperclip.PyperclipException("could not find a copy/paste mechanism")
        return self.text


@pytest.fixture(autouse=True)
def clipboard(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClipboard]:
    import pyperclip

    fake = FakeClipboard()
    monkeypatch.setattr(pyperclip, "copy", fake.copy)
    monkeypatch.setattr(pyperclip, "paste", fake.paste)
    yield fake


@dataclass
class Notes:
    """Every notification the app raised (message, title, severity)."""

    items: list[tuple[str, str, str]] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(f"{t}: {m}" for m, t, _ in self.items)


def record_notes(app: ChainDoctorApp) -> Notes:
    notes = Notes()
    original = app.notify

    def notify(message: str, *, title: str = "", severity: str = "information", timeout: float | None = None,
               markup: bool = True) -> None:
        notes.items.append((message, title, severity))
        original(message, title=title, severity=severity, timeout=timeout, markup=markup)

    app.notify = notify  # type: ignore[method-assign]  # records each notice, then shows it
    return notes
