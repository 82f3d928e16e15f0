"""Undo and redo of repairs, and whether the bundle changed since it was last saved."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .model import Bundle

if TYPE_CHECKING:
    from .fixes import Repair

__all__ = ["History"]


class History:
    """A linear undo/redo history of the repairs applied to one opened bundle."""

    def __init__(self, bundle: Bundle) -> None:
        self.reset(bundle)

    def reset(self, bundle: Bundle) -> None:
        """Start over with a newly opened bundle (counted as saved)."""
        self._base = bundle
        self._done: list[Repair] = []
        self._undone: list[Repair] = []
        self._saved = bundle

    @property
    def base(self) -> Bundle:
        """The bundle as opened, before any repair."""
        return self._base

    @property
    def current(self) -> Bundle:
        return self._done[-1].after if self._done else self._base

    def apply(self, repair: Repair) -> bool:
        """Record a repair; False (nothing recorded) when it changed nothing or was made on another bundle."""
        if not repair.changed or repair.before != self.current:
            return False
        self._done.append(repair)
        self._undone.clear()
        return True

    def undo(self) -> Repair | None:
        """Revert the last repair and return it (None when there is nothing to undo)."""
        if not self._done:
            return None
        repair = self._done.pop()
        self._undone.append(repair)
        return repair

    def redo(self) -> Repair | None:
        """Re-apply the last undone repair and return it (None when there is nothing to redo)."""
        if not self._undone:
            return None
        repair = self._undone.pop()
        self._done.append(repair)
        return repair

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    @property
    def dirty(self) -> bool:
        """Whether the current bundle differs from the one last saved (or opened)."""
        return self.current != self._saved

    def mark_saved(self) -> None:
        self._saved = self.current

    @property
    def repairs(self) -> tuple[Repair, ...]:
        """The repairs in effect, oldest first."""
        return tuple(self._done)
