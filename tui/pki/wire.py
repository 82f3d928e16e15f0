"""Bounded plumbing for live endpoints: one error type, wall-clock deadlines, capped plain-text reads.

Everything a live fetch sends or receives before TLS takes over (a STARTTLS exchange) goes through
:class:`Wire`, which never waits past its :class:`Deadline` and never keeps more than its byte cap.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

from .text import inert, shorten

#: How much of a server's answer a message quotes.
QUOTE_WIDTH = 160

_RECV_CHUNK = 4096


class LiveError(Exception):
    """A live endpoint could not be read; ``str()`` is one plain line, ``kind`` a short tag.

    Kinds: ``resolve``, ``refused``, ``timeout``, ``connect``, ``not-tls``, ``handshake``,
    ``no-certificate``, ``client-cert-required``, ``client-credentials``, ``too-much-data``,
    ``starttls`` (the server refused the upgrade or does not speak the protocol), ``usage``.
    """

    def __init__(self, message: str, *, kind: str = "error") -> None:
        super().__init__(message)
        self.kind = kind


class Deadline:
    """A point in time; ``remaining()`` raises the timeout LiveError once it has passed."""

    def __init__(self, seconds: float, what: str, *, end: float | None = None) -> None:
        self.seconds = seconds
        self.what = what
        self.end = time.monotonic() + seconds if end is None else end

    def remaining(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise LiveError(f"{self.what} timed out after {self.seconds:g}s", kind="timeout")
        return left

    def named(self, what: str) -> Deadline:
        """The same point in time, described as ``what`` in its timeout message."""
        return Deadline(self.seconds, what, end=self.end)


def quote(data: bytes | str) -> str:
    """A server's words, safe to print: decoded, inert, on one line, cut to QUOTE_WIDTH."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    return '"' + shorten(inert(text.strip()), QUOTE_WIDTH) + '"'


class Wire:
    """A plain-text conversation on a connected socket, before TLS: bounded in time and size.

    ``cap`` bounds everything received; ``buffer`` holds what was received and not yet consumed.
    """

    def __init__(self, sock: socket.socket, label: str, phase: str, deadline: Deadline, cap: int) -> None:
        self.sock = sock
        self.label = label
        self.phase = phase  # "the SMTP STARTTLS exchange": what the messages say was going on
        self.deadline = deadline.named(f"{phase} with {label}")
        self.cap = cap
        self.buffer = bytearray()
        self.received = 0

    def send(self, data: bytes) -> None:
        self.sock.settimeout(self.deadline.remaining())
        try:
            self.sock.sendall(data)
        except TimeoutError:
            self.deadline.remaining()
            raise LiveError(f"{self.deadline.what} timed out", kind="timeout") from None
        except OSError as exc:
            raise LiveError(f"{self.label} closed the connection during {self.phase} "
                            f"({exc.strerror or exc})", kind="starttls") from None

    def fill(self) -> None:
        """Receive one chunk into the buffer; LiveError at end of stream, on timeout or over the cap."""
        self.sock.settimeout(self.deadline.remaining())
        try:
            data = self.sock.recv(_RECV_CHUNK)
        except TimeoutError:
            self.deadline.remaining()
            raise LiveError(f"{self.deadline.what} timed out", kind="timeout") from None
        except ConnectionResetError:
            data = b""
        except OSError as exc:
            raise LiveError(f"reading from {self.label} failed: {exc.strerror or exc}", kind="connect") from None
        if not data:
            said = f" after it sent {quote(bytes(self.buffer))}" if self.buffer.strip() else ""
            raise LiveError(f"{self.label} closed the connection during {self.phase}{said}", kind="starttls")
        self.received += len(data)
        if self.received > self.cap:
            raise LiveError(f"{self.label} sent more than {self.cap // 1024} KiB during {self.phase}",
                            kind="too-much-data")
        self.buffer.extend(data)

    def take(self, count: int) -> bytes:
        """Exactly ``count`` bytes."""
        while len(self.buffer) < count:
            self.fill()
        out = bytes(self.buffer[:count])
        del self.buffer[:count]
        return out

    def line(self) -> bytes:
        """One line without its line ending (CRLF or LF)."""
        while b"\n" not in self.buffer:
            self.fill()
        end = self.buffer.index(b"\n")
        out = bytes(self.buffer[:end])
        del self.buffer[: end + 1]
        return out.rstrip(b"\r")

    def until(self, found: Callable[[bytes], int | None]) -> bytes:
        """Read until ``found(buffer)`` gives the end of what is wanted; consume and return it."""
        while (end := found(bytes(self.buffer))) is None:
            self.fill()
        out = bytes(self.buffer[:end])
        del self.buffer[:end]
        return out
