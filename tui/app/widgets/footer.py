"""The footer: as many keys as fit the width, chosen by :func:`~tui.app.keys.footer_rank`, shown in table order."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from ..keys import FOOTER_KEEP, KEYS, footer_rank

TABLE_ORDER = {k.name: i for i, k in enumerate(KEYS)}
Shown = tuple[Binding, bool, str]  # a binding, whether it would act now, its tooltip


def fit(keys: Sequence[tuple[Shown, int]], width: int) -> list[Shown]:
    """The keys (each with the cells it takes) that fit ``width``, in table order: help and quit first, then
    by :func:`footer_rank`, a key that would act before one that would do nothing now."""
    def priority(item: tuple[Shown, int]) -> tuple[int, int]:
        (binding, enabled, _tooltip), _cells = item
        name = binding.id or ""
        return (0 if name in FOOTER_KEEP else 1 if enabled else 2), footer_rank(name)

    chosen: list[Shown] = []
    used = 0
    for shown, cells in sorted(keys, key=priority):
        if used + cells <= width:
            chosen.append(shown)
            used += cells
    return sorted(chosen, key=lambda s: TABLE_ORDER.get(s[0].id or "", len(TABLE_ORDER)))


class KeyFooter(Footer):
    """A compact footer that drops the least important keys first when the screen is narrow.

    It is built again only when what it shows changes: the keys a screen's bindings refresh names are
    usually the same, and building the footer restyles every key.
    """

    def __init__(self) -> None:
        super().__init__(compact=True, show_command_palette=False)
        self._width = 0
        self._shown: tuple[tuple[str, bool, str], ...] | None = None  # what the last build showed

    def _fitted(self, width: int) -> list[Shown]:
        seen: set[str] = set()
        keys: list[tuple[Shown, int]] = []
        for _node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            display = self.app.get_key_display(binding)
            keys.append(((binding, enabled, tooltip), cell_len(f"{display} {binding.description}") + 1))
        return fit(keys, width)

    @staticmethod
    def _signature(shown: Sequence[Shown]) -> tuple[tuple[str, bool, str], ...]:
        return tuple((binding.action, enabled, binding.description) for binding, enabled, _tooltip in shown)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        width = self.size.width or self.app.size.width
        self._width = width
        shown = self._fitted(width)
        self._shown = self._signature(shown)
        for binding, enabled, tooltip in shown:
            yield FooterKey(binding.key, self.app.get_key_display(binding), binding.description, binding.action,
                            disabled=not enabled, tooltip=tooltip).data_bind(compact=Footer.compact)

    async def recompose(self) -> None:
        """Build the footer again only when the keys it shows, or whether they act, changed (several
        refreshes of the bindings often arrive before one rebuild runs)."""
        if self._bindings_ready and self.is_attached and self._shown is not None:
            width = self.size.width or self.app.size.width
            if width == self._width and self._signature(self._fitted(width)) == self._shown:
                return
        await super().recompose()

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._width and self._bindings_ready:
            self.call_after_refresh(self.recompose)
