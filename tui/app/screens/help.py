"""Help: every key of the screen it opens on, grouped as the key table groups them, then the glossary."""

from __future__ import annotations

from rich.console import Group as RichGroup
from rich.console import RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from .. import render
from ..keys import KEY, Group, Key, Where, key_of, keys_on

KEY_WIDTH = 12
SHOWN_TAB = KEY["focus_next"].shown
SEARCH_KEYS = f"{KEY['glossary'].key},slash"  # the glossary's own key, and / as in a pager


SCREEN_NOTES = {
    Where.MAIN: "The tree shows who signed whom: the trust anchor at the top, the leaf (the server's own "
                "certificate) at the bottom. The served order lists the file as it is; a server must send "
                "the leaf first, each certificate followed by the one that signed it.",
    Where.PAIR: "The mTLS screen: on the left the client checks the server's chain with its CA bundle, on the "
                f"right the server checks the client's chain with its client-CA bundle. The keys act on the "
                f"focused side ({SHOWN_TAB} moves between the panes); below, the highlighted certificate and "
                "finding of that side.",
}


def grouped(where: Where) -> list[tuple[Group, list[Key]]]:
    """The keys that work on ``where``, by group, in table order (groups without a key left out)."""
    keys = keys_on(where)
    return [(group, listed) for group in Group if (listed := [k for k in keys if k.group is group])]


def help_text(where: Where = Where.MAIN) -> Text:
    """Every key that works on ``where`` on a line of its own, grouped; what the screen shows; the glossary."""
    out = Text()
    for group, listed in grouped(where):
        out.append(("\n" if out.plain else "") + f"{group.heading}\n", style="bold underline")
        for key in listed:
            out.append(f"  {key.shown:<{KEY_WIDTH}}", style="bold cyan")
            out.append(key.help + "\n")
    out.append_text(_after_keys(where))
    return out


def help_view(where: Where = Where.MAIN) -> RichGroup:
    """:func:`help_text` for the screen: each key's help wraps beside its key, however narrow the dialog."""
    parts: list[RenderableType] = []
    for group, listed in grouped(where):
        parts.append(Text(group.heading, style="bold underline"))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold cyan", no_wrap=True, min_width=KEY_WIDTH - 1)
        grid.add_column(overflow="fold")
        for key in listed:
            grid.add_row(key.shown, key.help)
        parts.append(Padding(grid, (0, 0, 1, 2)))
    parts.append(_after_keys(where))
    return RichGroup(*parts)


def _after_keys(where: Where) -> Text:
    """What the screen shows, then the glossary."""
    out = Text(f"\n{SCREEN_NOTES[where]}\n")
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

    def __init__(self, where: Where = Where.MAIN) -> None:
        super().__init__()
        self.where = where

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            title = "chaindoctor — help" + (" (the mTLS screen)" if self.where is Where.PAIR else "")
            yield Static(Text(title, style="bold"), classes="question")
            with VerticalScroll(id="help-body"):
                yield Static(help_view(self.where))
            yield Static(Text(f"{key_of('glossary')} or / searches the glossary · Escape closes", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_glossary(self) -> None:
        from .glossary import GlossaryScreen

        self.app.push_screen(GlossaryScreen())
