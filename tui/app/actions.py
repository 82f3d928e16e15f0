"""The key table (:mod:`tui.app.keys`) as Textual sees it: each screen's bindings and the command palette."""

from __future__ import annotations

from collections.abc import Iterator

from textual.binding import Binding, BindingType

from .keys import KEYS, Key, Where


def bindings(where: Where) -> list[BindingType]:
    """The bindings of the screen ``where``, in table order, shown in its footer as the table says."""
    return [Binding(k.key, k.run, k.label, show=k.in_footer(where), id=k.name) for k in KEYS if k.bound_on(where)]


def palette(where: Where = Where.MAIN) -> Iterator[tuple[Key, str]]:
    """The palette's entries on ``where``: each key with a title, and its help with the key to press."""
    for key in KEYS:
        if key.title is not None and where in key.on:
            yield key, f"{key.help[:1].upper()}{key.help[1:]} ({key.shown})"
