"""Save, copy, paste and open: the app's file and clipboard actions."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rich.text import Text
from textual.app import App

from ..pki import fixes
from ..pki.load import LoadError, load_bytes, load_file
from ..pki.model import Bundle
from ..pki.save import SaveError, atomic_write
from . import clipboard, render
from .jobs import Outcome, one_line
from .screens.dialogs import ConfirmScreen, OpenScreen, PasteScreen, SaveRequest, SaveScreen
from .view import make_view

if TYPE_CHECKING:
    from .app import ChainDoctorApp


class FileActions:
    """``s`` save, ``y`` copy, ``p`` paste, ``O`` open (mixed into the app)."""

    def action_save(self: ChainDoctorApp) -> None:
        if self._queued("save"):
            return
        self._dialog(save_screen(self.session.save_name(), self.history.current), self._save_answered)

    def _save_answered(self: ChainDoctorApp, request: SaveRequest | None) -> None:
        confirm_overwrite(self._dialog, request, self._write)

    def _write(self: ChainDoctorApp, path: Path, request: SaveRequest, *, overwrite: bool) -> None:
        written = write_chain(self, self.history.current, path, request, overwrite=overwrite)
        if written is None:
            return
        self.history.mark_saved()
        self.notify(written, title="Saved", markup=False)
        self._show_verdict()
        self._bindings_changed()

    def action_copy(self: ChainDoctorApp) -> None:
        if self._queued("copy"):
            return
        text = fixes.to_pem(self.history.current, include_keys=False)
        if "PRIVATE KEY" in text:  # never: to_pem leaves keys out; belt and braces
            self.notify("Refusing to copy: the text holds a private key.", severity="error")
            return
        self.copy_to_clipboard(text)
        count = len(self.history.current.certs)
        problem = clipboard.copy(text)
        if problem is None:
            self.notify(f"{count} certificate(s) copied as PEM (no private key).", title="Copied")
        else:
            self.notify(f"{problem} The chain was also sent to the terminal's clipboard (OSC 52), which "
                        "some terminals ignore; press s to save it to a file instead.",
                        title="No system clipboard", severity="warning", markup=False, timeout=10)

    def action_paste(self: ChainDoctorApp) -> None:
        if self._queued("paste"):
            return
        text, problem = clipboard.paste()
        if text is not None and "-----BEGIN" in text:
            self._discard_then(lambda: self._load(lambda: load_bytes(text.encode(), "<clipboard>",
                                                                      password=self.session.password),
                                                  None, "clipboard"))
            return
        reason = problem or "The clipboard holds no PEM certificate."
        self._dialog(PasteScreen(reason), self._pasted)

    def _pasted(self: ChainDoctorApp, text: str | None) -> None:
        if text:
            self._discard_then(lambda: self._load(lambda: load_bytes(text.encode(), "<pasted>",
                                                                      password=self.session.password),
                                                  None, "pasted text"))

    def action_open(self: ChainDoctorApp) -> None:
        if self._queued("open"):
            return
        self._dialog(OpenScreen(), self._opened)

    def _opened(self: ChainDoctorApp, path: str | None) -> None:
        if path:
            spec = os.path.expanduser(path)
            self._discard_then(lambda: self._load(lambda: load_file(spec, password=self.session.password),
                                                  spec, spec))

    def _discard_then(self: ChainDoctorApp, go: Callable[[], None]) -> None:
        if not self.history.dirty:
            go()
            return
        question = Text("The repairs you made are not saved. Open another bundle anyway?")
        self._dialog(ConfirmScreen(question, yes="Discard repairs"), lambda yes: go() if yes else None)

    def _load(self: ChainDoctorApp, loader: Callable[[], Bundle], source_file: str | None, label: str) -> None:
        now = self.now()
        session = self.session

        def job() -> Outcome:
            try:
                bundle = loader()
            except LoadError as exc:
                return Outcome(error=one_line(exc))
            if not bundle.certs:
                return Outcome(error=f"{label}: no certificate could be read")
            return Outcome(view=make_view(session, bundle, now), bundle=bundle)

        def done(outcome: Outcome) -> None:
            assert outcome.bundle is not None and outcome.view is not None
            self.session.replace_bundle(outcome.bundle, source_file=source_file, label=label)
            self.sub_title = render.safe_path(label)
            self._remember(outcome.bundle, outcome.view)
            self._show(outcome.view)
            count = len(outcome.bundle.certs)
            self.notify(f"{count} certificate(s) from {render.safe(label, 120)}", title="Opened", markup=False)

        self._start(job, done, f"Loading {render.safe(label, 60)}…")


def write_chain(app: App[int], bundle: Bundle, path: Path, request: SaveRequest, *, overwrite: bool) -> str | None:
    """Write ``bundle`` as PEM atomically (0600 with a key); the "written" sentence, or None after
    notifying the one-line reason it was not saved."""
    data = fixes.to_pem(bundle, include_keys=request.include_keys)
    try:
        atomic_write(path, data.encode("ascii"), private=request.include_keys, overwrite=overwrite)
    except SaveError as exc:
        app.notify(render.safe(str(exc), 300), title="Not saved", severity="error", markup=False)
        return None
    keys = " and the private key (mode 0600)" if request.include_keys and bundle.keys else ""
    return f"{len(bundle.certs)} certificate(s){keys} written to {render.safe(str(path), 200)}"


class Writer(Protocol):
    def __call__(self, path: Path, request: SaveRequest, *, overwrite: bool) -> None: ...


def save_screen(name: str, bundle: Bundle) -> SaveScreen:
    """The save dialog for ``bundle``, suggesting the file ``name``."""
    return SaveScreen(name, has_keys=bool(bundle.keys), count=len(bundle.certs))


def confirm_overwrite(dialog: Callable[[Any, Callable[[Any], None]], None], request: SaveRequest | None,
                      write: Writer) -> None:
    """After the save dialog: ``write`` the file, asking first (through ``dialog``) when it exists."""
    if request is None:
        return
    path = Path(os.path.expanduser(request.path))
    if path.exists() and not path.is_dir():
        question = Text(f"{render.safe(str(path), 200)} exists. Overwrite it?")
        dialog(ConfirmScreen(question, yes="Overwrite"),
               lambda yes: write(path, request, overwrite=True) if yes else None)
        return
    write(path, request, overwrite=False)
