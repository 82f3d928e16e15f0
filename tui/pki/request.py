"""What a front end asks the engine for: one typed, immutable request.

The command line builds a :class:`Request` from its options, the app from its settings screen, and the
tests directly; :func:`tui.pki.session.open_session` turns it into a :class:`~tui.pki.session.Session`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from .vocabulary import Purpose

DEFAULT_TIMEOUT = 10.0  # seconds for live connections and AIA fetches


def parse_time(text: str) -> datetime:
    """A validation time in ISO 8601 (``2026-06-01T00:00:00Z`` or a date), in UTC; naive times are UTC.

    ValueError with one line when ``text`` is not such a time (the command line's ``--at``, the app's settings).
    """
    try:
        when = datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an ISO 8601 time: {text!r} (e.g. 2026-06-01T00:00:00Z)") from None
    try:  # in UTC, so that no later comparison overflows (0001-01-01T00:00:00+14:00 is before year 1)
        return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    except OverflowError:
        raise ValueError(f"time out of range: {text!r}") from None


class Request(NamedTuple):
    """Everything that decides what is loaded and how it is judged.

    ``sources`` are file paths, ``-`` (standard input, read from ``stdin`` when given) or live
    endpoints; no sources means the built-in demo. ``aia`` is the user's consent to fetch missing
    issuers from the network; ``aia_private`` also allows loopback, private and link-local addresses.
    """

    sources: tuple[str, ...] = ()
    roots: tuple[str, ...] = ()
    system_roots: bool = True
    search: tuple[str, ...] = ()
    host: str | None = None
    purpose: Purpose = Purpose.SERVER
    at: datetime | None = None
    password: bytes | None = None
    aia: bool = False
    aia_private: bool = False
    timeout: float = DEFAULT_TIMEOUT
    client_cert: str | None = None
    client_key: str | None = None
    starttls: str | None = None  # live SOURCEs: the protocol to speak before TLS ("none": TLS at once)
    sni: str | None = None  # live SOURCEs: the server name to send instead of the HOST
    no_sni: bool = False  # live SOURCEs: send no server name
    stdin: bytes | None = None

    def replace(self, **changes: object) -> Request:
        """A copy with some fields changed (the request itself never changes)."""
        return self._replace(**changes)  # type: ignore[arg-type]  # a field name the request lacks raises ValueError


class PairRequest(NamedTuple):
    """An mTLS pair: each side's chain and the trust bundle the *other* side verifies it with.

    ``server_trust`` (T1) is what the server trusts for client certificates; ``client_trust`` (T2)
    is what the client trusts for the server.
    """

    server_chain: str
    server_trust: str
    client_chain: str
    client_trust: str
    host: str | None = None
    at: datetime | None = None
    password: bytes | None = None
    aia: bool = False
    aia_private: bool = False
    timeout: float = DEFAULT_TIMEOUT
