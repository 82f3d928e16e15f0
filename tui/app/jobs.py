"""Background jobs: one at a time in a daemon thread, for the app's main screen or the mTLS screen."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import App
from textual.screen import Screen
from textual.timer import Timer

from ..pki.model import Bundle
from .model import Workspace
from .threads import in_daemon_thread
from .view import View
from .widgets.panes import VerdictBar

if TYPE_CHECKING:
    from ..pki.fixes import NetworkPlan, Repair, RepairContext
    from ..pki.load import PasswordNeeded

LOADING_DELAY = 0.15  # seconds before the loading indicator appears (none for quick jobs)


@dataclass(frozen=True)
class Outcome:
    """What a background job produced."""

    view: View | None = None
    repair: Repair | None = None
    bundle: Bundle | None = None
    plan: NetworkPlan | None = None  # the repair would fetch these: ask first
    context: RepairContext | None = None  # the repair's context (its network bounds, for the question)
    error: str | None = None
    locked: PasswordNeeded | None = None  # a PKCS#12 file wants a password: the app asks for it, then tries again


def one_line(exc: BaseException) -> str:
    """The first line of an error message (never a traceback)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class JobRunner:
    """One job at a time in a worker thread, its status in the screen's verdict bar, a loading indicator
    if it is slow, and the keys pressed meanwhile replayed afterwards.

    ``host`` is the app or screen whose workers run the jobs; ``status_bar`` selects its
    :class:`VerdictBar`. ``loading`` shows or hides the loading indicator over the workspaces a job
    works on; ``restore`` puts the status back after a job that showed nothing new (a failed one,
    whose error is notified); ``changed`` refreshes which keys are available.
    """

    def __init__(self, host: App[Any] | Screen[Any], *, group: str, status_bar: str,
                 loading: Callable[[Sequence[Workspace], bool], None], restore: Callable[[], None],
                 changed: Callable[[], None]) -> None:
        self.host, self.group, self.status_bar = host, group, status_bar
        self.loading, self.restore, self.changed = loading, restore, changed
        self.busy = False
        self._generation = 0
        self._queue: list[str] = []
        self._timer: Timer | None = None
        self._on: tuple[Workspace, ...] = ()

    def start(self, job: Callable[[], Any], then: Callable[[Any], None], status: str,
              on: Sequence[Workspace] = ()) -> None:
        """Run ``job`` in a worker, showing ``status``; ``then`` gets its result on the UI thread.

        ``on`` are the workspaces the job works on: busy (and under the loading indicator) meanwhile.
        """
        self._settle()
        self._generation += 1
        self.busy = True
        self._on = tuple(on)
        for workspace in self._on:
            workspace.busy = True
        self.host.query_one(self.status_bar, VerdictBar).show(Text(status, style="italic"), "busy")
        self._timer = self.host.set_timer(LOADING_DELAY, self._show_loading)
        # not exclusive: a thread cannot be stopped, and a superseded job's result is dropped by its generation;
        # an async worker awaiting a daemon thread, so that quitting never waits for a blocked job
        self.host.run_worker(self._run(job, then, self._generation), name="job", group=self.group,
                             exit_on_error=False)

    def show_current(self, workspaces: Sequence[Workspace], status: str,
                     show: Callable[[Workspace, View], None]) -> None:
        """Show the view of each workspace's current bundle: at once when it was computed before,
        else after one job computes the missing ones."""
        bundles = [w.history.current for w in workspaces]
        known = [w.cached(b) for w, b in zip(workspaces, bundles, strict=True)]
        if all(v is not None for v in known):
            for workspace, view in zip(workspaces, known, strict=True):
                assert view is not None
                show(workspace, view)
            return
        now = workspaces[0].now()

        def job() -> list[View]:
            return [v if v is not None else w.compute(b, now)
                    for w, b, v in zip(workspaces, bundles, known, strict=True)]

        def done(views: list[View]) -> None:
            for workspace, bundle, view in zip(workspaces, bundles, views, strict=True):
                workspace.remember(bundle, view)
                show(workspace, view)

        self.start(job, done, status, on=workspaces)

    def defer(self, action: str) -> bool:
        """While a job runs, remember the key for afterwards (so ``f`` then ``s`` saves the fixed chain)."""
        if self.busy:
            self._queue.append(action)
        return self.busy

    def _show_loading(self) -> None:
        if self.busy:
            self.loading(self._on, True)

    def _settle(self) -> None:
        """The job before is over (done or superseded): nothing it worked on is busy or loading now."""
        if self._timer is not None:
            self._timer.stop()
        for workspace in self._on:
            workspace.busy = False
        self.loading(self._on, False)

    async def _run(self, job: Callable[[], Any], then: Callable[[Any], None], generation: int) -> None:
        """Run ``job`` in a daemon thread and hand its result (or its one-line error) to the host."""
        try:
            result, error = await in_daemon_thread(job), None
        except Exception as exc:  # noqa: BLE001 - shown as one line, never a crash
            result, error = None, one_line(exc)
        self.host.call_later(self._done, generation, result, error, then)

    async def _done(self, generation: int, result: Any, error: str | None, then: Callable[[Any], None]) -> None:
        if generation != self._generation:
            return  # a newer job superseded this one
        self.busy = False
        self._settle()
        if error is None and isinstance(result, Outcome):
            error = result.error
        if error is not None:
            self.host.app.notify(error, title="Could not do that", severity="error", markup=False)
            self.restore()
        else:
            then(result)
        self.changed()
        queued, self._queue = self._queue, []
        for action in queued:
            await self.host.run_action(action)
