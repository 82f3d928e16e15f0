"""``e``: export the highlighted certificate — PEM or DER to a file, or its PEM or fingerprint to the clipboard."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from ...pki.export import with_suffix
from ...pki.model import CertEntry
from .. import facts, render
from .dialogs import chosen


class ExportKind(StrEnum):
    """What ``e`` does with the certificate."""

    PEM = "pem"
    DER = "der"
    COPY_PEM = "copy-pem"
    COPY_SHA256 = "copy-sha256"

    @property
    def label(self) -> str:
        """What the dialog calls the choice."""
        return _TITLES[self]

    @property
    def to_file(self) -> bool:
        return self in (ExportKind.PEM, ExportKind.DER)


_TITLES = {ExportKind.PEM: "PEM file", ExportKind.DER: "DER file (binary)",
           ExportKind.COPY_PEM: "copy its PEM to the clipboard",
           ExportKind.COPY_SHA256: "copy its SHA-256 fingerprint to the clipboard"}


@dataclass(frozen=True)
class ExportRequest:
    kind: ExportKind
    path: str = ""  # for a file


def file_name(entry: CertEntry) -> str:
    """A file name from the certificate's name: ``orders.fin.service.local.pem`` (letters, digits, ``._-``)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", facts.short_name(entry)).strip("._")[:60]
    return f"{stem or 'certificate'}.pem"


class ExportScreen(ModalScreen[ExportRequest | None]):
    """How to export one certificate; Enter exports, Escape cancels. A private key is never exported."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, entry: CertEntry, default: str) -> None:
        super().__init__(classes="dialog-screen")
        self.entry, self.default = entry, default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            name = Text("Export ", style="bold")
            name.append(f"'{render.safe(facts.short_name(self.entry), 60)}'")
            yield Static(name, classes="question")
            with RadioSet(id="kind"):
                for kind in ExportKind:
                    yield RadioButton(kind.label, kind is ExportKind.PEM, id=f"as-{kind}")
            yield Label("File:", markup=False)
            field = Input(self.default, id="path", select_on_focus=False)
            field.cursor_blink = False
            yield field
            yield Static("", id="error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Export", variant="primary", id="export")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @property
    def kind(self) -> ExportKind:
        return ExportKind(chosen(self.query_one(RadioSet), "as-") or ExportKind.PEM)

    @on(RadioSet.Changed)
    def _kind_chosen(self) -> None:
        kind = self.kind
        field = self.query_one(Input)
        field.disabled = not kind.to_file
        if kind.to_file:
            field.value = with_suffix(field.value, f".{kind}")

    @on(Input.Submitted)
    @on(Button.Pressed, "#export")
    def _export(self) -> None:
        kind = self.kind
        path = self.query_one(Input).value.strip()
        if kind.to_file and not path:
            self.query_one("#error", Static).update("Give a file name.")
            return
        self.dismiss(ExportRequest(kind, path if kind.to_file else ""))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
