"""The glossary: type to search, pick a term, follow its "see also" words. Escape closes."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ...pki.explain import EXPLANATIONS, GLOSSARY, GlossaryTerm, find_term
from .. import render


def matches(query: str, first: tuple[str, ...] = ()) -> list[str]:
    """Term keys for ``query``: an exact term first, then names containing it, then definitions."""
    q = query.strip().casefold()
    if not q:
        return list(dict.fromkeys([k for k in first if k in GLOSSARY] + sorted(
            GLOSSARY, key=lambda k: GLOSSARY[k].term.casefold())))
    exact = find_term(q)
    named = [k for k, t in GLOSSARY.items() if q in t.term.casefold() or q in k]
    defined = [k for k, t in GLOSSARY.items() if q in t.definition.casefold()]
    return list(dict.fromkeys(([exact.key] if exact else []) + named + defined))


def entry(term: GlossaryTerm) -> Text:
    """A term, its definition, its "see also" words as links, and the findings that use it."""
    out = Text()
    out.append(term.term + "\n\n", style="bold")
    out.append_text(render.prose(term.definition))
    if term.see_also:
        out.append("\n\nSee also: ", style="bold")
        for i, key in enumerate(k for k in term.see_also if k in GLOSSARY):
            out.append(", " if i else "")
            out.append(GLOSSARY[key].term, style=Style(underline=True, meta={"@click": f"screen.show({key!r})"}))
    codes = [code for code, e in EXPLANATIONS.items() if term.key in e.glossary]
    if codes:
        out.append("\n\nFindings about it: ", style="bold")
        out.append(", ".join(codes), style="cyan")
        out.append("  (chaindoctor explain CODE)", style="dim")
    return out


class GlossaryScreen(ModalScreen[None]):
    """Search box, matching terms, the chosen entry. ``first`` lists a finding's words on top."""

    class TermShown(Message):
        """The glossary shows the term ``key`` now (the lessons check for it)."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    BINDINGS = [Binding("escape", "close", "Close"), Binding("down", "to_list", show=False)]
    DEFAULT_CSS = """
    GlossaryScreen #glossary-main { height: 1fr; }
    GlossaryScreen #glossary-terms { width: 34; height: 1fr; }
    GlossaryScreen #glossary-entry { width: 1fr; height: 1fr; padding: 0 1; }
    """

    def __init__(self, term: str | None = None, first: tuple[str, ...] = ()) -> None:
        super().__init__(classes="dialog-screen")
        self.first = first
        self.start = term if term in GLOSSARY else None
        self.current: str | None = None  # the key of the term shown
        self._keep: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            yield Static(Text("Glossary", style="bold"), classes="question")
            search = Input(placeholder="type to search: SAN, trust anchor, mTLS…", id="glossary-search")
            search.cursor_blink = False
            yield search
            with Horizontal(id="glossary-main"):
                yield OptionList(id="glossary-terms")
                with VerticalScroll(id="glossary-entry", can_focus=False):
                    yield Static(id="glossary-text")
            yield Static(Text("↓ to the list · click a “see also” word to follow it · Escape closes",
                              style="dim"))

    def on_mount(self) -> None:
        self._fill("")
        if self.start is not None:
            self.show(self.start)
            self.query_one(OptionList).focus()
        else:
            self.query_one(Input).focus()

    def _fill(self, query: str, prefer: str | None = None) -> None:
        keys = matches(query, self.first)
        options = self.query_one(OptionList)
        options.clear_options()
        first = set(self.first) if not query.strip() else set()
        options.add_options([Option(Text(("• " if k in first else "") + GLOSSARY[k].term), id=k) for k in keys])
        if keys:
            index = keys.index(prefer) if prefer in keys else 0
            options.highlighted = index
            self._display(keys[index])
        else:
            self.current = None
            self.query_one("#glossary-text", Static).update(Text("No term matches.", style="dim"))

    def _display(self, key: str) -> None:
        self.current = key
        self.query_one("#glossary-text", Static).update(entry(GLOSSARY[key]))
        self.post_message(self.TermShown(key))

    def show(self, key: str) -> None:
        """Show the term ``key`` (clearing the search when it is not in the list)."""
        if key not in GLOSSARY:
            return
        options = self.query_one(OptionList)
        if key not in {options.get_option_at_index(i).id for i in range(options.option_count)}:
            search = self.query_one(Input)
            if search.value:
                self._keep = key  # the search box's Changed event refills the list: keep this term
                search.value = ""
            self._fill("", prefer=key)
            return
        options.highlighted = options.get_option_index(key)
        self._display(key)

    @on(Input.Changed, "#glossary-search")
    def _search(self, event: Input.Changed) -> None:
        prefer, self._keep = self._keep, None
        self._fill(event.value, prefer)

    @on(Input.Submitted, "#glossary-search")
    def _submitted(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionHighlighted)
    def _moved(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self._display(event.option.id)

    def action_show(self, key: str) -> None:
        self.show(key)

    def action_to_list(self) -> None:
        self.query_one(OptionList).focus()

    def action_close(self) -> None:
        self.dismiss(None)
