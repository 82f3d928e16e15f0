"""Small modal dialogs. Each dismisses with its answer, or None when cancelled (Escape)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from rich.text import Text
from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Checkbox, Input, Label, RadioButton, RadioSet, Static

from ...pki.export import ChainFormat, with_suffix
from ..widgets.paths import PathInput, matches_text

T = TypeVar("T")
NO_KEYS_IN_PKCS7 = "A PKCS#7 file holds certificates only: the private key is not written."


def open_dialog(app: App[Any], screen: Screen[T], callback: Callable[[T | None], None] | None = None) -> None:
    """Open a dialog; the toasts of earlier actions go, so they cannot cover its buttons."""
    app.clear_notifications()
    app.push_screen(screen, callback)


def chosen(radios: RadioSet, prefix: str) -> str | None:
    """The id of the pressed radio button without ``prefix`` (``as-pem`` -> ``pem``); None when none is."""
    pressed = radios.pressed_button
    return pressed.id.removeprefix(prefix) if pressed is not None and pressed.id else None


def confirm_then(app: App[Any], go: Callable[[], None], question: str, *, ask: bool, yes: str,
                 no: str = "Cancel") -> None:
    """Run ``go``; when ``ask``, only after ``question`` is answered yes."""
    if not ask:
        go()
        return
    open_dialog(app, ConfirmScreen(Text(question), yes=yes, no=no), lambda answer: go() if answer else None)


def unless_unsaved(app: App[Any], dirty: bool, go: Callable[[], None], what: str) -> None:
    """Run ``go``; with unsaved repairs, only after "``what`` anyway?" is answered yes."""
    confirm_then(app, go, f"The repairs you made are not saved. {what} anyway?", ask=dirty,
                 yes=f"{what} without saving", no="Keep working")


def asked(question: Text, detail: Text) -> ComposeResult:
    """A dialog's question in bold, and its detail when there is one."""
    yield Static(question, classes="question")
    if detail.plain:
        yield Static(detail, classes="detail")


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; ``y``/Enter on the yes button, ``n``/Escape for no."""

    BINDINGS = [Binding("escape,n", "answer(False)", "No"), Binding("y", "answer(True)", "Yes")]

    def __init__(self, question: str | Text, *, yes: str = "Yes", no: str = "Cancel", detail: str | Text = "",
                 yes_first: bool = False) -> None:
        super().__init__(classes="dialog-screen")
        self.question = question if isinstance(question, Text) else Text(question)
        self.detail = detail if isinstance(detail, Text) else Text(detail)
        self.yes, self.no, self.yes_first = yes, no, yes_first

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield from asked(self.question, self.detail)
            with Horizontal(classes="buttons"):
                yield Button(self.yes, variant="primary", id="yes")
                yield Button(self.no, id="no")

    def on_mount(self) -> None:
        self.query_one("#yes" if self.yes_first else "#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


@dataclass(frozen=True)
class SaveRequest:
    path: str
    include_keys: bool
    fmt: ChainFormat = ChainFormat.PEM


class SaveScreen(ModalScreen[SaveRequest | None]):
    """Where to save the chain, and as what (PEM, PKCS#7 DER or PEM); Enter saves. Private keys only in PEM,
    and only when the box is ticked.

    ``warning`` (already inert) says the chain is still broken: it can be saved all the same.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, default: str, *, has_keys: bool, count: int, warning: Text | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.default, self.has_keys, self.count, self.warning = default, has_keys, count, warning

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            if self.warning is not None:
                yield Static(self.warning, id="warning", classes="warning")
            yield Label(f"Save the chain ({self.count} certificate{'s' if self.count != 1 else ''}) to:",
                        markup=False)
            yield PathInput(self.default, id="path", select_on_focus=False)
            yield Static("", id="matches", classes="matches")
            with RadioSet(id="format"):
                for fmt in ChainFormat:
                    yield RadioButton(fmt.label, fmt is ChainFormat.PEM, id=f"as-{fmt}")
            if self.has_keys:
                yield Checkbox("include private key (the file gets mode 0600)", False, id="keys")
            yield Static("", id="format-note", classes="detail")
            yield Static("", id="error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Changed, "#path")
    def _typed(self, event: Input.Changed) -> None:
        show_matches(self, event.value)

    @property
    def fmt(self) -> ChainFormat:
        """The format chosen."""
        return ChainFormat(chosen(self.query_one(RadioSet), "as-") or ChainFormat.PEM)

    @on(RadioSet.Changed)
    def _format_chosen(self) -> None:
        """The file name follows the format; PKCS#7 holds no key, and no order."""
        fmt = self.fmt
        field = self.query_one(Input)
        field.value = with_suffix(field.value, fmt.suffix)
        note = "" if fmt.holds_keys else "PKCS#7 holds an unordered set: servers that need the order want PEM."
        if self.has_keys:
            box = self.query_one("#keys", Checkbox)
            box.disabled = not fmt.holds_keys
            note = note if fmt.holds_keys else f"{NO_KEYS_IN_PKCS7} {note}"
        self.query_one("#format-note", Static).update(note)

    def _submit(self) -> None:
        path = self.query_one(Input).value.strip()
        if not path:
            self.query_one("#error", Static).update("Give a file name.")
            return
        fmt = self.fmt
        keys = self.has_keys and fmt.holds_keys and self.query_one("#keys", Checkbox).value
        self.dismiss(SaveRequest(path, keys, fmt))

    @on(Input.Submitted)
    def _entered(self) -> None:
        self._submit()

    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        self._submit()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class OpenScreen(ModalScreen[str | None]):
    """A path to open (PEM, DER, PKCS#7 or PKCS#12); ``prompt`` and ``button`` say what happens to it."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, default: str = "", *, prompt: str = "Open a certificate bundle (PEM, DER, PKCS#7, PKCS#12):",
                 button: str = "Open") -> None:
        super().__init__(classes="dialog-screen")
        self.default, self.prompt, self.button = default, prompt, button

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.prompt, markup=False)
            yield PathInput(self.default, placeholder="path/to/chain.pem", id="path")
            yield Static("", id="matches", classes="matches")
            with Horizontal(classes="buttons"):
                yield Button(self.button, variant="primary", id="open")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Changed, "#path")
    def _typed(self, event: Input.Changed) -> None:
        show_matches(self, event.value)

    @on(Input.Submitted)
    @on(Button.Pressed, "#open")
    def _open(self) -> None:
        path = self.query_one(Input).value.strip()
        if path:
            self.dismiss(path)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class PasswordScreen(ModalScreen[str | None]):
    """The password of a PKCS#12 file, typed hidden; it opens that file only and is kept nowhere.

    ``source`` names the file (already inert); ``wrong`` says the password tried before did not open it.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, source: str, *, wrong: bool) -> None:
        super().__init__(classes="dialog-screen")
        self.source, self.wrong = source, wrong

    def compose(self) -> ComposeResult:
        question = (f"That password does not open {self.source}. Try again:" if self.wrong
                    else f"{self.source} is a PKCS#12 file protected by a password:")
        with Vertical(classes="dialog"):
            yield Static(Text(question), classes="question")
            yield Static(Text("The password opens this file only; chaindoctor keeps it nowhere.", style="dim"),
                         classes="detail")
            yield Input(password=True, placeholder="password", id="password")
            with Horizontal(classes="buttons"):
                yield Button("Open", variant="primary", id="open")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#open")
    def _open(self) -> None:
        self.dismiss(self.query_one(Input).value)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class PasteScreen(ModalScreen[str | None]):
    """Paste PEM text by hand where no system clipboard is reachable; Ctrl+S loads it."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "load", "Load")]

    def __init__(self, reason: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("Paste the certificates (PEM) below, then press Ctrl+S or Load.", markup=False)
            if self.reason:
                yield Static(Text(self.reason, style="dim"), classes="detail")
            from textual.widgets import TextArea  # a large widget: loaded when the paste dialog first opens

            area = TextArea(id="pem", soft_wrap=False)
            area.cursor_blink = False
            yield area
            with Horizontal(classes="buttons"):
                yield Button("Load", variant="primary", id="load")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#pem").focus()

    @on(Button.Pressed, "#load")
    def action_load(self) -> None:
        from textual.widgets import TextArea

        text = self.query_one("#pem", TextArea).text
        if text.strip():
            self.dismiss(text)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def show_matches(dialog: Screen[Any], value: str) -> None:
    """Under a path field: the names that complete what was typed (listed off the event loop)."""
    field = dialog.query_one("#path", PathInput)

    async def update() -> None:
        completion = await field.paths.complete(value) if value else None
        dialog.query_one("#matches", Static).update(matches_text(completion) if completion else Text(""))

    dialog.run_worker(update(), group="matches", exclusive=True, exit_on_error=False)


# --- several answers: the quit question --------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """One answer of a :class:`ChoiceScreen`: the value it dismisses with, its button and its keys."""

    value: str
    label: str
    keys: str  # Textual key names, comma-separated: "q,y"
    primary: bool = False


class ChoiceScreen(ModalScreen[str | None]):
    """A question with several answers, one button and key(s) each; Escape dismisses with None.

    The first choice has the focus (Enter takes it)."""

    BINDINGS = [Binding("escape", "choose('')", "Cancel")]

    def __init__(self, question: str | Text, choices: tuple[Choice, ...], *, detail: str | Text = "") -> None:
        super().__init__(classes="dialog-screen")
        self.question = question if isinstance(question, Text) else Text(question)
        self.detail = detail if isinstance(detail, Text) else Text(detail)
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield from asked(self.question, self.detail)
            with Horizontal(classes="buttons"):
                for choice in self.choices:
                    yield Button(choice.label, variant="primary" if choice.primary else "default",
                                 id=f"choice-{choice.value}")

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    def on_key(self, event: events.Key) -> None:
        choice = next((c for c in self.choices if event.key in c.keys.split(",")), None)
        if choice is not None:
            event.stop()
            self.dismiss(choice.value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss((event.button.id or "").removeprefix("choice-") or None)

    def action_choose(self, value: str) -> None:
        self.dismiss(value or None)


SAVE_AND_QUIT, QUIT, STAY = "save", "quit", "stay"


def ask_before_quitting(app: App[Any], dirty: bool, save: Callable[[Callable[[], None]], None],
                        quit: Callable[[], None]) -> None:
    """Quit; with unsaved repairs, first ask: save and quit (``save(then)`` runs ``then`` once the chain
    is saved; a cancelled or failed save stays), quit without saving, or stay."""
    if not dirty:
        quit()
        return

    def answered(choice: str | None) -> None:
        if choice == SAVE_AND_QUIT:
            save(quit)
        elif choice == QUIT:
            quit()

    choices = (Choice(SAVE_AND_QUIT, "Save and quit", "s", primary=True),
               Choice(QUIT, "Quit without saving", "q,y"), Choice(STAY, "Stay", "n"))
    open_dialog(app, ChoiceScreen("The repairs you made are not saved.", choices,
                                  detail="s saves first, q quits without saving, n or Escape stays."), answered)
