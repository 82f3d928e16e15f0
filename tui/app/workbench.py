"""The workbench keys of the main screen: ``a`` add a file, ``e`` export a certificate, ``d`` the chain
before and after the repairs, ``/`` find a certificate (``S`` settings: :mod:`tui.app.settings`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import App
from textual.widgets.data_table import RowDoesNotExist

from ..pki import fixes
from ..pki.load import LoadError, PasswordNeeded, load_file
from ..pki.model import CertEntry
from . import facts, render
from .files import ask_password, to_clipboard, write_file
from .find import FindIndex, Search
from .jobs import JobRunner, Outcome, one_line
from .keys import key_of
from .model import Workspace
from .screens.dialogs import OpenScreen, confirm_then, open_dialog
from .view import View
from .widgets.findbar import FindBar
from .widgets.signer_tree import SignerTree
from .widgets.tables import FindingsTable, ServedOrder

if TYPE_CHECKING:
    from .screens.export import ExportRequest

ADD_PROMPT = "Add a file's certificates to the bundle (PEM, DER, PKCS#7, PKCS#12):"


class WorkbenchKeys:
    """``a``, ``e``, ``d`` and ``/`` on the main screen's workspace.

    ``show`` puts a new view of the workspace on screen; ``restore`` redraws the status line.
    """

    def __init__(self, app: App[Any], jobs: JobRunner, workspace: Workspace,
                 show: Callable[[Workspace, View], None], restore: Callable[[], None]) -> None:
        self.app, self.jobs, self.workspace, self.show, self.restore = app, jobs, workspace, show, restore
        self.search = Search()
        self._indexed: tuple[View, FindIndex] | None = None

    # --- a: add a file -------------------------------------------------------------------------------

    def add(self) -> None:
        if not self.jobs.defer("add"):
            open_dialog(self.app, OpenScreen(prompt=ADD_PROMPT, button="Add"),
                        lambda path: self._add(os.path.expanduser(path)) if path else None)

    def _add(self, path: str, typed: bytes | None = None) -> None:
        """Read ``path`` in a worker (with the session's password, or the one ``typed`` when a PKCS#12 file
        asked for it); its certificates join the bundle as one step of the history."""
        workspace = self.workspace
        bundle, now = workspace.history.current, workspace.now()
        password = typed if typed is not None else workspace.session.password

        def job() -> Outcome:
            try:
                extra = load_file(path, password=password)
            except PasswordNeeded as exc:
                return Outcome(locked=exc)
            except LoadError as exc:
                return Outcome(error=one_line(exc))
            repair = fixes.add_file(bundle, extra, path)
            return Outcome(view=workspace.compute(repair.after, now) if repair.changed else None, repair=repair)

        def done(outcome: Outcome) -> None:
            if outcome.locked is not None:
                self.restore()
                ask_password(self.app, outcome.locked, lambda again: self._add(path, again))
                return
            repair = outcome.repair
            assert repair is not None
            if outcome.view is None:
                self.restore()
                self.app.notify(render.safe(repair.description, 300), title="Nothing added", severity="warning",
                                markup=False)
                return
            if not workspace.history.apply(repair):  # the bundle changed meanwhile
                self.restore()
                return
            workspace.remember(repair.after, outcome.view)
            self.show(workspace, outcome.view)
            self.app.notify(render.safe(repair.description, 300), title=f"Added — {key_of('undo')} to undo",
                            markup=False, timeout=8)

        self.jobs.start(job, done, f"Adding {render.safe_path(path)}…", on=(workspace,))

    # --- e: export the highlighted certificate -----------------------------------------------------------

    def export(self) -> None:
        if self.jobs.defer("export"):
            return
        entry = self.workspace.selected
        if entry is None:
            self.app.notify("Highlight a certificate in the tree or a table first.", title="Nothing to export")
            return
        from .screens.export import ExportScreen, file_name

        source = self.workspace.session.source_file
        default = os.path.join(os.path.dirname(source) if source else "", file_name(entry))
        open_dialog(self.app, ExportScreen(entry, default),
                    lambda answer: self._export(entry, answer) if answer is not None else None)

    def _export(self, entry: CertEntry, request: ExportRequest) -> None:
        from ..pki.export import certificate_bytes
        from .screens.export import ExportKind

        name = render.safe(facts.short_name(entry), 80)
        instead = f"press {key_of('export')} to export it to a file instead"
        if request.kind is ExportKind.COPY_PEM:
            to_clipboard(self.app, entry.pem, f"'{name}' copied as PEM (no private key).",
                         what="The certificate", instead=instead)
            return
        if request.kind is ExportKind.COPY_SHA256:
            to_clipboard(self.app, entry.sha256, f"The SHA-256 fingerprint of '{name}' copied: {entry.sha256}",
                         what="The fingerprint", instead=instead)
            return
        path = Path(os.path.expanduser(request.path))
        data = certificate_bytes(entry, der=request.kind is ExportKind.DER)
        exists = path.exists() and not path.is_dir()

        def write() -> None:
            if write_file(self.app, path, data, overwrite=exists):
                self.app.notify(f"'{name}' written to {render.safe(str(path), 200)} as {request.kind.upper()}",
                                title="Exported", markup=False)

        confirm_then(self.app, write, f"{render.safe(str(path), 200)} exists. Overwrite it?", ask=exists,
                     yes="Overwrite")

    # --- d: before and after -------------------------------------------------------------------------

    def changes(self) -> None:
        """The chain as opened against the chain now (the report of the opened one names what was dropped)."""
        if self.jobs.defer("changes"):
            return
        workspace = self.workspace
        history = workspace.history
        base = history.base

        def open_changes(view: View) -> None:
            from ..pki.chaindiff import chain_diff
            from .screens.changes import ChangesScreen

            diff = chain_diff(base, history.current, view.report)
            open_dialog(self.app, ChangesScreen(diff, saved=not history.dirty))

        known = workspace.cached(base)
        if known is not None:
            open_changes(known)
            return
        now = workspace.now()

        def done(view: View) -> None:
            workspace.remember(base, view)
            self.restore()
            open_changes(view)

        self.jobs.start(lambda: workspace.compute(base, now), done, "Comparing with the chain as opened…",
                        on=(workspace,))

    # --- /: find -------------------------------------------------------------------------------------

    def find(self) -> None:
        self.app.query_one(FindBar).open()

    def find_next(self, query: str) -> None:
        """Enter in the find bar: the next certificate ``query`` names, in the tree and both tables."""
        bar = self.app.query_one(FindBar)
        view = self.workspace.view
        if view is None:
            bar.report(Text("the bundle is still being analysed", style="italic"))
            return
        if self._indexed is None or self._indexed[0] is not view:  # once per report
            self._indexed = (view, FindIndex(view.report))
            self.search = Search()
        entry = self.search.next(query, self._indexed[1])
        if entry is None:
            bar.report(Text("no match" if query.strip() else "", style="bold red"))
            return
        self._jump(view, entry)
        bar.report(Text.assemble((self.search.status, "bold"), "  ", render.safe(facts.short_name(entry), 50)))

    def _jump(self, view: View, entry: CertEntry) -> None:
        self.app.query_one(SignerTree).reveal(entry.sha256)
        found = view.report.facts(entry)
        served = self.app.query_one(ServedOrder)
        if found is not None:
            try:
                served.move_cursor(row=served.get_row_index(str(found.index)))
            except RowDoesNotExist:  # past the rows the table lists
                pass
        self.app.query_one(FindingsTable).reveal(entry.sha256)
