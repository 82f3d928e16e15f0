"""Every key of the app, in one table: bindings, footers, help, the palette and "press X" texts derive from it.

This module is plain data (no Textual), so the command line can name the app's keys too::

    from tui.app.keys import key_for
    key_for(Repair.REORDER)  # "o"

To add a key: add one :class:`Key` to :data:`KEYS` (its place in the table is its place in the
footers and the help), and give the screen(s) it works on an ``action_<name>`` method (a repair key
runs ``action_repair(name)``, which each screen hands to its :class:`~tui.app.repairs.RepairKeys`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from ..pki.vocabulary import Repair

__all__ = ["FOOTER_KEEP", "FOOTER_ORDER", "KEY", "KEYS", "REPAIR_WORDS", "Group", "Key", "Where", "bound_to",
           "footer_rank", "key_for", "key_of", "keys_on", "named", "press_to"]


class Group(StrEnum):
    """Where the help lists a key. Keys that act on the chain wait for a running job, and the footer
    dims them when they would do nothing."""

    REPAIRS = "repairs"
    FILES = "files"
    CHAIN = "chain"
    LEARNING = "learning"
    APP = "app"

    @property
    def heading(self) -> str:
        """The help screen's heading for the group."""
        return _GROUP_TITLES[self]

    @property
    def acts_on_chain(self) -> bool:
        return self in (Group.REPAIRS, Group.FILES, Group.CHAIN)


_GROUP_TITLES = {Group.REPAIRS: "Repairs", Group.FILES: "Files and the clipboard", Group.CHAIN: "The chain",
                 Group.LEARNING: "Learning", Group.APP: "The app"}


class Where(StrEnum):
    """The screens that bind keys."""

    MAIN = "main"  # the signer tree, served order, details and findings
    PAIR = "pair"  # the mTLS screen, both directions side by side


MAIN, PAIR, BOTH = frozenset({Where.MAIN}), frozenset({Where.PAIR}), frozenset(Where)
NOWHERE: frozenset[Where] = frozenset()
SHOWN = {"question_mark": "?", "slash": "/"}  # Textual key names that read better as the character


class Key(NamedTuple):
    """One key: what it does, where it works, how it is listed."""

    name: str  # what the table and ``key_of`` call it; the action when ``action`` is empty
    key: str  # Textual's key name: "o", "ctrl+r", "question_mark"
    label: str  # the footer's word
    help: str  # the help screen's line (also the palette's)
    group: Group
    title: str | None = None  # the command palette's entry; None: not in the palette
    repairs: tuple[Repair, ...] = ()  # what it performs
    on: frozenset[Where] = MAIN  # the screens where it works
    footer: frozenset[Where] | None = None  # the screens whose footer shows it (default: all of ``on``)
    textual: bool = False  # Textual binds it on every screen already: bind it only where the footer shows it
    action: str = ""  # the Textual action, when it is not the default (see ``run``)

    @property
    def shown(self) -> str:
        """The key as texts name it: ``o``, ``ctrl+r``, ``?``."""
        return SHOWN.get(self.key, self.key)

    @property
    def run(self) -> str:
        """The Textual action: ``action``, else ``repair('NAME')`` for a repair key, else ``NAME``."""
        if self.action:
            return self.action
        return f"repair({self.name!r})" if self.group is Group.REPAIRS else self.name

    def in_footer(self, where: Where) -> bool:
        return where in (self.on if self.footer is None else self.footer)

    def bound_on(self, where: Where) -> bool:
        return where in self.on and (not self.textual or self.in_footer(where))


R = Group.REPAIRS
KEYS: tuple[Key, ...] = (
    Key("reorder", "o", "Reorder", "reorder: leaf first, each certificate followed by its issuer", R,
        "Reorder the chain", (Repair.REORDER,), BOTH),
    Key("complete", "c", "Complete", "complete: add missing issuers (asks before any network fetch)", R,
        "Complete the chain", (Repair.COMPLETE,), BOTH),
    Key("drop_extras", "x", "Extras", "drop extra and duplicate certificates (on no path from the leaf)", R,
        "Drop extras and duplicates", (Repair.DROP_EXTRAS,), BOTH),
    Key("toggle_root", "r", "Root", "drop the trust anchor from the chain / put back a root you dropped", R,
        "Drop / put back the root", (Repair.DROP_ROOT, Repair.KEEP_ROOT), BOTH),
    Key("fix_all", "f", "Fix all", "fix all: complete, drop extras and the root, reorder", R,
        "Fix all", (Repair.FIX_ALL,), BOTH),
    Key("undo", "u", "Undo", "undo the last repair", R, "Undo", on=BOTH),
    Key("redo", "ctrl+r", "Redo", "redo the last undone repair", R, "Redo", on=BOTH, footer=NOWHERE),
    Key("save", "s", "Save", "save the chain as PEM (Enter saves; asks before overwriting)", Group.FILES,
        "Save the chain", on=BOTH),
    Key("copy", "y", "Copy", "copy the chain as PEM (never a private key)", Group.FILES, "Copy the chain"),
    Key("paste", "p", "Paste", "paste a bundle from the clipboard", Group.FILES, "Paste a bundle"),
    Key("open", "O", "Open", "open a file", Group.FILES, "Open a file"),
    Key("add", "a", "Add", "add a file's certificates to the bundle (the current ones stay)", Group.FILES,
        "Add a file's certificates"),
    Key("export", "e", "Export", "export the highlighted certificate (PEM or DER to a file, or copy its PEM or "
        "fingerprint)", Group.FILES, "Export the highlighted certificate"),
    Key("refetch", "R", "Refetch", "fetch the chain again from a live source", Group.CHAIN,
        "Fetch the chain again"),
    Key("trust", "t", "Trust", "trust the highlighted self-signed root for this session", Group.CHAIN,
        "Trust the highlighted root", on=BOTH),
    Key("trust_file", "T", "Trust file", "trust a file's CA certificates on the focused side, for this session "
        "(the file to change is named)", Group.CHAIN, "Trust a file's CA certificates", on=PAIR),
    Key("changes", "d", "Changes", "the chain before and after your repairs: what moved, was added or dropped",
        Group.CHAIN, "Show the changes"),
    Key("settings", "S", "Settings", "settings for this session: trust anchors, search paths, host, purpose, "
        "time, AIA consent (on the mTLS screen, the focused side's)", Group.CHAIN, "Settings", on=BOTH,
        footer=MAIN),
    Key("find", "slash", "Find", "find a certificate by name, fingerprint or serial, in the tree and the tables",
        Group.APP, "Find a certificate"),
    Key("lessons", "l", "Lessons", "lessons: learn TLS chains step by step", Group.LEARNING, "Lessons", on=BOTH),
    Key("glossary", "g", "Glossary", "glossary: look up a word (the highlighted finding's words first)",
        Group.LEARNING, on=BOTH),
    Key("next_lesson", "ctrl+n", "Next lesson", "in a lesson: the next lesson (skips this one)", Group.LEARNING,
        on=BOTH, footer=NOWHERE, action="lesson('next')"),
    Key("restart_lesson", "ctrl+g", "Restart the lesson", "in a lesson: start it again", Group.LEARNING,
        on=BOTH, footer=NOWHERE, action="lesson('restart')"),
    Key("help", "question_mark", "Help", "help: every key, and the glossary", Group.APP, "Help and glossary",
        on=BOTH),
    Key("back", "escape", "Back", "back to the main screen (asks when repairs are not saved)", Group.APP, on=PAIR),
    Key("quit", "q", "Quit", "quit (asks when repairs are not saved)", Group.APP, on=BOTH),
    Key("focus_next", "tab", "Next pane", "move between the panes", Group.APP, on=BOTH, footer=PAIR, textual=True,
        action="app.focus_next"),
    Key("command_palette", "ctrl+p", "Commands", "command palette: every action by name", Group.APP,
        footer=NOWHERE, textual=True),
)
"""The keys, in footer and help order."""

KEY: dict[str, Key] = {k.name: k for k in KEYS}
"""Each key by its name."""


def named(action: str, parameters: tuple[object, ...] = ()) -> Key | None:
    """The key an action runs for: ``repair('undo')`` is the key named ``undo``, ``save`` the one named ``save``."""
    if action == "repair" and parameters:
        return KEY.get(str(parameters[0]))
    return KEY.get(action)


def key_of(name: str) -> str:
    """The key named ``name`` as texts show it (KeyError for an unknown name)."""
    return KEY[name].shown


def key_for(repair: Repair) -> str:
    """The app key that performs ``repair``."""
    return next(k.shown for k in KEYS if repair in k.repairs)


REPAIR_WORDS: dict[Repair, str] = {
    Repair.REORDER: "reorder the chain", Repair.COMPLETE: "complete the chain", Repair.DROP_EXTRAS: "drop the extras",
    Repair.DROP_ROOT: "drop the root", Repair.KEEP_ROOT: "put the root back", Repair.FIX_ALL: "fix all",
}
"""What each repair does, in the words of its key's help line (for "press r to drop the root")."""


def press_to(repair: Repair) -> str:
    """``press r to drop the root``: the key that performs ``repair`` and what it does."""
    return f"press {key_for(repair)} to {REPAIR_WORDS[repair]}"


FOOTER_KEEP = ("help", "quit")
"""The keys every footer shows, however narrow the screen."""

FOOTER_ORDER: tuple[str, ...] = (
    "help", "quit", "fix_all", "undo", "save", "reorder", "complete", "drop_extras", "toggle_root", "back",
    "focus_next", "trust", "trust_file", "settings", "find", "copy", "open", "paste", "add", "export", "changes",
    "lessons", "glossary", "refetch", "redo",
)
"""Which keys a narrow footer keeps first: help and quit at any width, then the repairs, then the rest.
A key not named here comes after these; a key that would do nothing now is dropped before any that acts."""


def footer_rank(name: str) -> int:
    """The key ``name``'s place in :data:`FOOTER_ORDER` (unlisted keys after the listed, in table order)."""
    if name in FOOTER_ORDER:
        return FOOTER_ORDER.index(name)
    return len(FOOTER_ORDER) + next((i for i, k in enumerate(KEYS) if k.name == name), len(KEYS))


def bound_to(where: Where, key: str) -> Key | None:
    """The key of the table that Textual's key name ``key`` runs on the screen ``where``, if any."""
    return next((k for k in KEYS if k.bound_on(where) and key in k.key.split(",")), None)


def keys_on(where: Where) -> tuple[Key, ...]:
    """The keys that work on the screen ``where``, in table order."""
    return tuple(k for k in KEYS if where in k.on)
