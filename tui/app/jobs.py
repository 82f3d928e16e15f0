"""Background jobs: what a worker hands back to the UI thread."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.message import Message

from ..pki.fixes import Repair
from ..pki.model import Bundle
from .view import View


@dataclass(frozen=True)
class Outcome:
    """What a background job produced."""

    view: View | None = None
    repair: Repair | None = None
    bundle: Bundle | None = None
    urls: tuple[str, ...] = ()  # the repair would fetch these: ask first
    error: str | None = None


class JobDone(Message):
    """A background job finished; ``then`` runs on the UI thread if it is still the latest job."""

    def __init__(self, generation: int, outcome: Outcome, then: Callable[[Outcome], None]) -> None:
        super().__init__()
        self.generation, self.outcome, self.then = generation, outcome, then


def one_line(exc: BaseException) -> str:
    """The first line of an error message (never a traceback)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


