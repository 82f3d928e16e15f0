"""Help: every key, and the glossary from ``tui.pki.explain`` when it is there."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from .. import render

KEYS = (
    ("o", "reorder: leaf first, each certificate followed by its issuer"),
    ("c", "complete: add missing issuers (asks before any network fetch)"),
    ("x", "drop extra and duplicate certificates"),
    ("r", "drop the trust anchor from the chain / put it back"),
    ("f", "fix all of the above"),
    ("u / ctrl+r", "undo / redo"),
    ("s", "save (Enter saves; asks before overwriting)"),
    ("y", "copy the chain as PEM (never a private key)"),
    ("p", "paste a bundle from the clipboard"),
    ("O", "open a file"),
    ("t", "trust the highlighted self-signed root for this session"),
    ("l", "lessons"),
    ("ctrl+n", "in a lesson: the next lesson (skips this one)"),
    ("ctrl+g", "in a lesson: start it again"),
    ("g", "glossary: look up a word (the highlighted finding's words first)"),
    ("ctrl+p", "command palette"),
    ("tab", "move between the panes"),
    ("?", "this help"),
    ("q", "quit (asks when repairs are not saved)"),
)


def help_text() -> Text:
    out = Text()
    out.append("Keys\n", style="bold underline")
    for key, what in KEYS:
        out.append(f"  {key:<12}", style="bold cyan")
        out.append(what + "\n")
    out.append("\nThe tree shows who signed whom: the trust anchor at the top, the leaf (the server's own "
               "certificate) at the bottom. The served order lists the file as it is; a server must send "
               "the leaf first, each certificate followed by the one that signed it.\n")
    try:
        from ...pki.explain import GLOSSARY
    except ImportError:  # pragma: no cover - the module ships with the package
        return out
    out.append("\nGlossary", style="bold underline")
    out.append("  (press g or / to search it)\n", style="dim")
    for term in GLOSSARY.values():
        out.append(f"\n{term.term}\n", style="bold")
        out.append_text(render.prose(term.definition))
        out.append("\n")
    return out


class HelpScreen(ModalScreen[None]):
    """Keys and glossary; Escape, q or ? closes it."""

    BINDINGS = [Binding("escape,q,question_mark", "close", "Close"),
                Binding("g,slash", "glossary", "Search the glossary")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            yield Static(Text("chaindoctor — help", style="bold"), classes="question")
            with VerticalScroll(id="help-body"):
                yield Static(help_text())
            yield Static(Text("g or / searches the glossary · Escape closes", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_glossary(self) -> None:
        from .glossary import GlossaryScreen

        self.app.push_screen(GlossaryScreen())
