"""A path field with completion: the rest of a file or folder name appears dimmed; Tab (or →) takes it.

Folders are listed in a daemon thread, once per dialog, with a deadline: a slow network folder or a
huge one never blocks typing (nor quitting), it just offers nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.suggester import Suggester
from textual.widgets import Input

from .. import paths, render
from ..threads import in_daemon_thread

LIST_DEADLINE = 1.0  # seconds to wait for a folder listing before offering nothing


class PathSuggester(Suggester):
    """Completes file and folder names; each folder is listed once (the dialog is short-lived)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self._listings: dict[str, asyncio.Future[paths.Listing]] = {}

    async def listing(self, folder: str) -> paths.Listing:
        """The folder's listing, or an empty one when it is not ready within LIST_DEADLINE."""
        future = self._listings.get(folder)
        if future is None:
            future = asyncio.ensure_future(in_daemon_thread(lambda: paths.list_folder(folder), name="chaindoctor-ls"))
            self._listings[folder] = future
        try:
            return await asyncio.wait_for(asyncio.shield(future), LIST_DEADLINE)
        except TimeoutError:
            return paths.Listing(error="the folder is slow to list")

    async def complete(self, value: str) -> paths.Completion:
        folder, _ = paths.split(value)
        return paths.complete(value, await self.listing(folder))

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        return (await self.complete(value)).suggestion


class PathInput(Input):
    """An Input for a path: Tab takes the suggested completion (and moves on when there is none)."""

    BINDINGS = [Binding("tab", "complete", "Complete", show=False)]

    def __init__(self, value: str = "", **kwargs: Any) -> None:
        self.paths = PathSuggester()
        super().__init__(value, suggester=self.paths, **kwargs)
        self.cursor_blink = False

    def action_complete(self) -> None:
        suggestion = self._suggestion
        if suggestion and len(suggestion) > len(self.value) and suggestion.startswith(self.value):
            self.value = suggestion
            self.cursor_position = len(suggestion)
        else:
            self.screen.focus_next()


def matches_text(completion: paths.Completion) -> Text:
    """``3 matches: chain.pem  chain.fixed.pem  certs/`` under the field (names made inert)."""
    names = completion.matches
    if not names:
        return Text("")
    shown = "  ".join(render.safe(n, 40) for n in names[:paths.MAX_SHOWN])
    more = len(names) - paths.MAX_SHOWN
    head = f"{len(names)}{'+' if completion.truncated else ''} match{'es' if len(names) != 1 else ''}: "
    return Text(head + shown + (f"  … {more} more" if more > 0 else "") + " · Tab completes", style="dim")
