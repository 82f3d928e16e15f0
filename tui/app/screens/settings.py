"""``S``: the session's settings — trust anchors, search paths, host, purpose, validation time, AIA consent.

The screen checks what it can without reading a file (the host name, the time) and dismisses with the
request to apply; the app loads its files in a worker and, when one is unusable, opens the screen again
with the user's entries and the one-line reason.
"""

from __future__ import annotations

import os

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, RadioButton, RadioSet, Static, TextArea

from ...pki.hostname import parse_host
from ...pki.request import Request, parse_time
from ...pki.vocabulary import Purpose
from .. import render
from .dialogs import chosen


def _lines(text: str) -> tuple[str, ...]:
    """One path per line: blanks dropped, ``~`` expanded."""
    return tuple(os.path.expanduser(line.strip()) for line in text.splitlines() if line.strip())


def _iso(request: Request) -> str:
    at = request.at
    return "" if at is None else at.isoformat().replace("+00:00", "Z")


class SettingsScreen(ModalScreen[Request | None]):
    """The settings of ``request`` as fields; Ctrl+S or Apply dismisses with the edited request, Escape with None.

    ``default_host`` is the host judged when the field is empty (a live source's); ``extra`` says what is
    trusted beyond the files listed (the demo's root, roots trusted with ``t``); ``error`` is why the
    last attempt to apply failed.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "apply", "Apply")]

    def __init__(self, request: Request, *, default_host: str | None = None, extra: str = "", error: str = "",
                 title: str = "Settings for this session") -> None:
        super().__init__(classes="dialog-screen")
        self.request, self.default_host, self.extra, self.error = request, default_host, extra, error
        self.heading = title

    def compose(self) -> ComposeResult:
        request = self.request
        with Vertical(classes="dialog settings"):
            yield Static(Text(self.heading, style="bold"), classes="question")
            with VerticalScroll(id="settings-form"):
                yield Label("Trust anchors: files (PEM, DER, PKCS#7, PKCS#12), one per line", markup=False)
                yield self._area("\n".join(request.roots), "roots")
                yield Checkbox("also trust the system roots", request.system_roots, id="system", compact=True)
                if self.extra:
                    yield Static(Text(render.safe(self.extra), style="dim"))
                yield Label("Search paths: files or folders holding missing intermediates, one per line",
                            markup=False, classes="section")
                yield self._area("\n".join(request.search), "search")
                default = render.safe(self.default_host, 60) if self.default_host else "none"
                yield Label(f"Host the leaf must be valid for (empty: {default})", markup=False, classes="section")
                yield self._input(request.host or "", "host", "e.g. example.com or 192.0.2.1")
                with Horizontal(classes="setting-row section"):
                    yield Label("Purpose of the leaf: ", markup=False)
                    with RadioSet(id="purpose", compact=True):
                        for purpose in Purpose:
                            yield RadioButton(purpose, request.purpose == purpose, id=f"purpose-{purpose}",
                                              compact=True)
                yield Label("Validation time, ISO 8601 (empty: now)", markup=False, classes="section")
                yield self._input(_iso(request), "at", "now; e.g. 2026-06-01T00:00:00Z")
                yield Checkbox("allow fetching missing issuers from the addresses certificates name (AIA)",
                               request.aia, id="aia", compact=True, classes="section")
                yield Checkbox("… also from loopback, private and link-local addresses", request.aia_private,
                               id="aia-private", compact=True)
            yield Static(Text(render.safe(self.error, 300)), id="error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Apply", variant="primary", id="apply")
                yield Button("Cancel", id="cancel")
            yield Static(Text("Ctrl+S or Enter in a field applies · Escape cancels", style="dim"))

    @staticmethod
    def _area(text: str, name: str) -> TextArea:
        area = TextArea(text, id=name, soft_wrap=False, compact=True, classes="paths")
        area.cursor_blink = False
        return area

    @staticmethod
    def _input(value: str, name: str, placeholder: str) -> Input:
        field = Input(value, placeholder=placeholder, id=name, compact=True, select_on_focus=False)
        field.cursor_blink = False
        return field

    def on_mount(self) -> None:
        self.query_one("#roots", TextArea).focus()

    def edited(self) -> Request:
        """The request as the fields say (ValueError with one line for a host or time that is not one)."""
        host = self.query_one("#host", Input).value.strip()
        at = self.query_one("#at", Input).value.strip()
        purpose = Purpose(chosen(self.query_one("#purpose", RadioSet), "purpose-") or Purpose.SERVER)
        return self.request.replace(
            roots=_lines(self.query_one("#roots", TextArea).text),
            system_roots=self.query_one("#system", Checkbox).value,
            search=_lines(self.query_one("#search", TextArea).text),
            host=parse_host(host) if host else None, purpose=purpose, at=parse_time(at) if at else None,
            aia=self.query_one("#aia", Checkbox).value, aia_private=self.query_one("#aia-private", Checkbox).value)

    @on(Input.Submitted)
    @on(Button.Pressed, "#apply")
    def action_apply(self) -> None:
        try:
            request = self.edited()
        except ValueError as exc:
            self.query_one("#error", Static).update(Text(render.safe(str(exc), 300)))
            return
        self.dismiss(request)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
