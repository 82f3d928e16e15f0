"""Background jobs: what a worker hands back to the UI thread, and the runner shared by the app and the mTLS screen."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual.message import Message
from textual.timer import Timer

from ..pki.fixes import Repair
from ..pki.model import Bundle
from .view import View

LOADING_DELAY = 0.15  # seconds before the loading indicator appears (none for quick jobs)


@dataclass(frozen=True)
class Outcome:
    """What a background job produced."""

    view: View | None = None
    repair: Repair | None = None
    bundle: Bundle | None = None
    urls: tuple[str, ...] = ()  # the repair would fetch these: ask first
    error: str | None = None


class JobDone(Message):
    """A background job finished; ``then`` runs on the UI thread if it is still the latest job.

    ``error`` is the one line of what the job raised (``result`` is then None).
    """

    bubble = False  # a screen's job is its own: never the app's

    def __init__(self, generation: int, result: Any, error: str | None, then: Callable[[Any], None]) -> None:
        super().__init__()
        self.generation, self.result, self.error, self.then = generation, result, error, then


def one_line(exc: BaseException) -> str:
    """The first line of an error message (never a traceback)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class JobRunner:
    """One job at a time in a worker thread, a loading indicator if it is slow, keys pressed meanwhile replayed.

    Mixed into the app and the mTLS screen; they name the worker group and the status bar, and provide
    ``_set_loading``, ``_job_failed`` and ``_bindings_changed``.
    """

    JOB_GROUP: ClassVar[str]
    STATUS_BAR: ClassVar[str]  # the selector of the VerdictBar that shows what runs

    busy: bool
    _generation: int
    _queue: list[str]
    _loading_timer: Timer | None

    # provided by the Textual App or Screen this is mixed into
    query_one: Callable[..., Any]
    set_timer: Callable[..., Timer]
    run_worker: Callable[..., Any]
    post_message: Callable[[Message], bool]
    notify: Callable[..., None]
    run_action: Callable[[str], Awaitable[Any]]

    def _init_jobs(self) -> None:
        self.busy = False
        self._generation = 0
        self._queue = []
        self._loading_timer = None

    # Provided by the class that mixes this in:
    _set_loading: Callable[[bool], None]  # show or hide the loading indicator over what the job changes
    _job_failed: Callable[[], None]  # restore the status bar after a failed job (its error is notified)
    _bindings_changed: Callable[[], None]  # refresh which keys are available

    def _start(self, job: Callable[[], Any], then: Callable[[Any], None], status: str) -> None:
        """Run ``job`` in a worker, showing ``status``; ``then`` gets its result on the UI thread."""
        from .widgets.panes import VerdictBar

        self._generation += 1
        self.busy = True
        self.query_one(self.STATUS_BAR, VerdictBar).show(Text(status, style="italic"), "busy")
        if self._loading_timer is not None:
            self._loading_timer.stop()
        self._loading_timer = self.set_timer(LOADING_DELAY, self._show_loading)
        self.run_worker(partial(self._run_job, job, then, self._generation), name="_run_job", group=self.JOB_GROUP,
                        exclusive=True, exit_on_error=False, thread=True)

    def _show_loading(self) -> None:
        if self.busy:
            self._set_loading(True)

    def _run_job(self, job: Callable[[], Any], then: Callable[[Any], None], generation: int) -> None:
        try:
            result, error = job(), None
        except Exception as exc:  # noqa: BLE001 - shown as one line, never a crash
            result, error = None, one_line(exc)
        self.post_message(JobDone(generation, result, error, then))

    async def on_job_done(self, message: JobDone) -> None:
        if message.generation != self._generation:
            return
        self.busy = False
        if self._loading_timer is not None:
            self._loading_timer.stop()
        self._set_loading(False)
        error = message.error
        if error is None and isinstance(message.result, Outcome):
            error = message.result.error
        if error is not None:
            self.notify(error, title="Could not do that", severity="error", markup=False)
            self._job_failed()
        else:
            message.then(message.result)
        self._bindings_changed()
        queued, self._queue = self._queue, []
        for action in queued:
            await self.run_action(action)

    def _queued(self, action: str) -> bool:
        """While a job runs, remember the key for afterwards (so ``f`` then ``s`` saves the fixed chain)."""
        if self.busy:
            self._queue.append(action)
        return self.busy
