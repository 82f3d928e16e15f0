"""Help: every key of the main screen, grouped as the key table groups them, then the glossary."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from .. import render
from ..keys import KEY, Group, Where, key_of, keys_on

KEY_WIDTH = 12
SEARCH_KEYS = f"{KEY['glossary'].key},slash"  # the glossary's own key, and / as in a pager


def help_text() -> Text:
    out = Text()
    keys = keys_on(Where.MAIN)
    for group in Group:
        listed = [k for k in keys if k.group is group]
        if not listed:
            continue
        out.append(("\n" if out.plain else "") + f"{group.title}\n", style="bold underline")
        for key in listed:
            out.append(f"  {key.shown:<{KEY_WIDTH}}", style="bold cyan")
            out.append(key.help + "\n")
    out.append("\nThe tree shows who signed whom: the trust anchor at the top, the leaf (the server's own "
               "certificate) at the bottom. The served order lists the file as it is; a server must send "
               "the leaf first, each certificate followed by the one that signed it.\n")
    from ...pki.explain import GLOSSARY  # the glossary loads when help opens, not for the first paint

    out.append("\nGlossary", style="bold underline")
    out.append(f"  (press {key_of('glossary')} or / to search it)\n", style="dim")
    for term in GLOSSARY.values():
        out.append(f"\n{term.term}\n", style="bold")
        out.append_text(render.prose(term.definition))
        out.append("\n")
    return out


class HelpScreen(ModalScreen[None]):
    """Keys and glossary; Escape, q or ? closes it."""

    BINDINGS = [Binding(f"escape,{KEY['quit'].key},{KEY['help'].key}", "close", "Close"),
                Binding(SEARCH_KEYS, "glossary", "Search the glossary")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            yield Static(Text("chaindoctor — help", style="bold"), classes="question")
            with VerticalScroll(id="help-body"):
                yield Static(help_text())
            yield Static(Text(f"{key_of('glossary')} or / searches the glossary · Escape closes", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_glossary(self) -> None:
        from .glossary import GlossaryScreen

        self.app.push_screen(GlossaryScreen())
