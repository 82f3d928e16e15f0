"""File and folder name completion for the open and save dialogs (no Textual).

What the user typed is split into the folder to list and the start of a name; the folder is
listed once (at most :data:`MAX_ENTRIES` entries, so a huge folder costs a bounded amount of
work) and the completion keeps the user's own spelling of the folder (``~``, relative paths).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

MAX_ENTRIES = 5000  # entries read from one folder; the rest are not offered
MAX_SHOWN = 6  # names the dialog lists under the field


@dataclass(frozen=True)
class Listing:
    """The entries of one folder: (name, is a folder), sorted; ``truncated`` when MAX_ENTRIES cut it short."""

    entries: tuple[tuple[str, bool], ...] = ()
    truncated: bool = False
    error: str | None = None


@dataclass(frozen=True)
class Completion:
    """What a typed value completes to: the suggestion (the whole value) and the names that match."""

    suggestion: str | None
    matches: tuple[str, ...]  # folder names end with "/"
    truncated: bool = False


def split(value: str) -> tuple[str, str]:
    """(the folder to list, the start of the name): ``~/certs/ch`` -> (``/home/me/certs``, ``ch``)."""
    folder, _, prefix = value.rpartition("/")
    if not _:
        return ".", value
    return os.path.expanduser(folder or "/"), prefix


def list_folder(folder: str, limit: int = MAX_ENTRIES) -> Listing:
    """The folder's entries (blocking: call it off the event loop); an unreadable folder is an empty listing."""
    entries: list[tuple[str, bool]] = []
    truncated = False
    try:
        with os.scandir(folder) as it:
            for entry in it:
                if len(entries) >= limit:
                    truncated = True
                    break
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                entries.append((entry.name, is_dir))
    except OSError as exc:
        return Listing(error=exc.strerror or type(exc).__name__)
    return Listing(tuple(sorted(entries)), truncated)


def complete(value: str, listing: Listing) -> Completion:
    """The completion of ``value`` among ``listing`` (the folder :func:`split` named).

    One match completes to it (a folder gets its "/"); several complete to their longest common
    start, or, when that adds nothing, suggest the first. Hidden names only match a name that starts
    with ".".
    """
    _, prefix = split(value)
    matches = [name + ("/" if is_dir else "") for name, is_dir in listing.entries
               if name.startswith(prefix) and (prefix.startswith(".") or not name.startswith("."))]
    if not matches:
        return Completion(None, (), listing.truncated)
    common = os.path.commonprefix(matches)
    if len(matches) == 1 or len(common) > len(prefix):
        target = common
    elif prefix:
        target = matches[0]
    else:
        target = ""
    suggestion = value + target[len(prefix):] if len(target) > len(prefix) else None
    return Completion(suggestion, tuple(matches), listing.truncated)
