"""Save, copy, paste and open: the file and clipboard keys."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import App

from ..pki import fixes
from ..pki.export import ChainFormat, chain_bytes
from ..pki.load import LoadError, PasswordNeeded, load_bytes, load_file
from ..pki.model import Bundle
from ..pki.save import SaveError, atomic_write
from ..pki.vocabulary import Severity
from . import clipboard, render
from .jobs import JobRunner, Outcome, one_line
from .keys import key_of
from .model import Workspace
from .screens.dialogs import OpenScreen, PasswordScreen, PasteScreen, SaveRequest, SaveScreen, confirm_then, open_dialog
from .view import View


def write_chain(app: App[Any], bundle: Bundle, path: Path, request: SaveRequest, *, overwrite: bool) -> str | None:
    """Write ``bundle`` in the format asked for, atomically (0600 with a key); the "written" sentence, or
    None after notifying the one-line reason it was not saved."""
    fmt = request.fmt
    keys = request.include_keys and fmt.holds_keys
    data = chain_bytes(bundle, fmt, include_keys=keys)
    if not write_file(app, path, data, private=keys, overwrite=overwrite):
        return None
    what = " and the private key (mode 0600)" if keys and bundle.keys else ""
    left = " (no private key: PKCS#7 holds certificates only)" if bundle.keys and not fmt.holds_keys else ""
    shown = "" if fmt is ChainFormat.PEM else f" as {fmt.label}"
    return f"{len(bundle.certs)} certificate(s){what} written to {render.safe(str(path), 200)}{shown}{left}"


def write_file(app: App[Any], path: Path, data: bytes, *, private: bool = False, overwrite: bool) -> bool:
    """Write ``data`` atomically; False after notifying the one-line reason it was not written."""
    try:
        atomic_write(path, data, private=private, overwrite=overwrite)
    except SaveError as exc:
        app.notify(render.safe(str(exc), 300), title="Not saved", severity="error", markup=False)
        return False
    return True


def to_clipboard(app: App[Any], text: str, copied: str, *, what: str, instead: str) -> None:
    """Copy ``text`` through the terminal (OSC 52) and the system clipboard; say ``copied``, or what failed
    (``what`` was still sent to the terminal; ``instead`` is what else the user can do)."""
    app.copy_to_clipboard(text)
    problem = clipboard.copy(text)
    if problem is None:
        app.notify(copied, title="Copied", markup=False)
    else:
        app.notify(f"{problem} {what} was also sent to the terminal's clipboard (OSC 52), which some terminals "
                   f"ignore; {instead}.", title="No system clipboard", severity="warning", markup=False, timeout=10)


def ask_password(app: App[Any], locked: PasswordNeeded, retry: Callable[[bytes], None]) -> None:
    """A PKCS#12 file wants a password (or another one): ask for it, hidden, then ``retry`` the load with it."""
    open_dialog(app, PasswordScreen(render.safe(locked.source, 120), wrong=locked.wrong),
                lambda typed: retry(typed.encode("utf-8", "surrogateescape")) if typed is not None else None)


def save_chain(app: App[Any], workspace: Workspace, saved: Callable[[str], None]) -> None:
    """``s``: ask where to save the workspace's chain (and before overwriting a file), then write it;
    ``saved`` gets the sentence saying what was written."""
    bundle = workspace.history.current

    def write(path: Path, request: SaveRequest, *, overwrite: bool) -> None:
        written = write_chain(app, workspace.history.current, path, request, overwrite=overwrite)
        if written is not None:
            workspace.history.mark_saved()
            saved(written)

    def answered(request: SaveRequest | None) -> None:
        if request is None:
            return
        path = Path(os.path.expanduser(request.path))
        exists = path.exists() and not path.is_dir()
        confirm_then(app, lambda: write(path, request, overwrite=exists),
                     f"{render.safe(str(path), 200)} exists. Overwrite it?", ask=exists, yes="Overwrite")

    open_dialog(app, SaveScreen(workspace.session.save_name(), has_keys=bool(bundle.keys), count=len(bundle.certs),
                                warning=broken_warning(workspace)), answered)


def broken_warning(workspace: Workspace) -> Text | None:
    """For the save dialog: that the chain about to be saved is still broken, and its first error (inert);
    None when it is not broken or not analysed yet."""
    bundle = workspace.history.current
    view = workspace.cached(bundle)
    if view is None and workspace.view is not None and workspace.view.report.bundle is bundle:
        view = workspace.view
    if view is None or view.ok:
        return None
    error = next((f for f in view.report.findings if f.severity == Severity.ERROR), None)
    out = Text()
    out.append(f"⚠ This chain is still {view.summary}", style="bold")
    if error is not None:
        out.append(f"\n{error.code}: ", style="bold")
        out.append(render.safe(error.message, 160))
    out.append("\nYou can save it anyway.")
    return out


class FileKeys:
    """``s`` save, ``y`` copy, ``p`` paste and ``O`` open on the main screen's workspace.

    ``show`` puts the view of a newly opened bundle on screen; ``restore`` redraws the status line.
    """

    def __init__(self, app: App[Any], jobs: JobRunner, workspace: Workspace,
                 show: Callable[[Workspace, View], None], restore: Callable[[], None]) -> None:
        self.app, self.jobs, self.workspace, self.show, self.restore = app, jobs, workspace, show, restore

    def save(self) -> None:
        if not self.jobs.defer("save"):
            save_chain(self.app, self.workspace, self._saved)

    def _saved(self, written: str) -> None:
        self.app.notify(written, title="Saved", markup=False)
        self.restore()

    def copy(self) -> None:
        if self.jobs.defer("copy"):
            return
        bundle = self.workspace.history.current
        text = fixes.to_pem(bundle, include_keys=False)
        if "PRIVATE KEY" in text:  # never: to_pem leaves keys out; belt and braces
            self.app.notify("Refusing to copy: the text holds a private key.", severity="error")
            return
        size = len(text.encode("utf-8"))
        if size > clipboard.OSC52_LIMIT:
            self._copy_large(text, size, len(bundle.certs))
            return
        to_clipboard(self.app, text, f"{len(bundle.certs)} certificate(s) copied as PEM (no private key).",
                     what="The chain", instead=f"press {key_of('save')} to save it to a file instead")

    def _copy_large(self, text: str, size: int, count: int) -> None:
        """Too large for the terminal's clipboard: the system clipboard only, else offer to save instead."""
        problem = clipboard.copy(text)
        what = f"{count:,} certificate(s), {clipboard.size_text(size)} of PEM"
        if problem is None:
            self.app.notify(f"{what}, copied to the system clipboard (no private key). Not sent to the terminal's "
                            f"clipboard (OSC 52): terminals drop sequences this large.", title="Copied",
                            markup=False, timeout=10)
            return
        question = (f"The chain is {what}: too large for the terminal's clipboard (OSC 52 carries at most about "
                    f"{clipboard.size_text(clipboard.OSC52_LIMIT)} in common terminals), and {problem[0].lower()}"
                    f"{problem[1:]} Save it to a file instead?")
        confirm_then(self.app, self.save, question, ask=True, yes="Save to a file", no="Cancel")

    def paste(self) -> None:
        if self.jobs.defer("paste"):
            return
        text, problem = clipboard.paste()
        if text is not None and "-----BEGIN" in text:
            self._open_pem(text, "clipboard", "<clipboard>")
            return
        open_dialog(self.app, PasteScreen(problem or "The clipboard holds no PEM certificate."),
                    lambda pasted: self._open_pem(pasted, "pasted text", "<pasted>") if pasted else None)

    def open(self) -> None:
        if not self.jobs.defer("open"):
            open_dialog(self.app, OpenScreen(), lambda path: self._open_file(os.path.expanduser(path)) if path
                        else None)

    def _open_pem(self, text: str, label: str, name: str) -> None:
        self._discard_then(lambda: self._load(lambda password: load_bytes(text.encode(), name, password=password),
                                              None, label))

    def _open_file(self, path: str) -> None:
        self._discard_then(lambda: self._load(lambda password: load_file(path, password=password), path, path))

    def _discard_then(self, go: Callable[[], None]) -> None:
        confirm_then(self.app, go, "The repairs you made are not saved. Open another bundle anyway?",
                     ask=self.workspace.history.dirty, yes="Discard repairs")

    def _load(self, loader: Callable[[bytes | None], Bundle], source_file: str | None, label: str,
              typed: bytes | None = None) -> None:
        """Read a bundle in a worker with the session's password, or the one ``typed`` when a PKCS#12 file
        asked for it; it replaces the workspace's bundle."""
        workspace = self.workspace
        now = workspace.now()
        password = typed if typed is not None else workspace.session.password

        def job() -> Outcome:
            try:
                bundle = loader(password)
            except PasswordNeeded as exc:
                return Outcome(locked=exc)
            except LoadError as exc:
                return Outcome(error=one_line(exc))
            if not bundle.certs:
                return Outcome(error=f"{label}: no certificate could be read")
            return Outcome(view=workspace.compute(bundle, now), bundle=bundle)

        def done(outcome: Outcome) -> None:
            if outcome.locked is not None:
                self.restore()
                ask_password(self.app, outcome.locked, lambda again: self._load(loader, source_file, label, again))
                return
            assert outcome.bundle is not None and outcome.view is not None
            workspace.replace(outcome.bundle, outcome.view, source_file=source_file, label=label)
            self.show(workspace, outcome.view)
            count = len(outcome.bundle.certs)
            self.app.notify(f"{count} certificate(s) from {render.safe(label, 120)}", title="Opened", markup=False)

        self.jobs.start(job, done, f"Loading {render.safe(label, 60)}…", on=(workspace,))
