"""Host names and IP literals: the one place that decides whether text names a host."""

from __future__ import annotations

import ipaddress
import re

_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def ip_literal(host: str) -> IPAddress | None:
    """The IP address ``host`` spells, or None when it is not an IP literal."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def valid_hostname(host: str) -> bool:
    """A DNS name (IDNA allowed, a trailing dot ignored): labels of 1-63 letters, digits, ``-`` or ``_``."""
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except (UnicodeError, ValueError):
        return False
    ascii_host = ascii_host[:-1] if ascii_host.endswith(".") else ascii_host
    if not ascii_host or len(ascii_host) > 253:
        return False
    labels = ascii_host.split(".")
    if labels[-1].isdigit():  # "1.2.3" or "999.1.1.1" is a broken IP, not a name
        return False
    return all(_LABEL.fullmatch(label) for label in labels)


def valid_host(host: str) -> bool:
    """An IP literal or a DNS name."""
    return ip_literal(host) is not None or valid_hostname(host)


def parse_host(text: str) -> str:
    """The host name or IP address ``text`` names (brackets and a trailing dot dropped); ValueError with one
    line when it names none (the command line's ``--host``, the app's settings)."""
    host = text.strip().strip("[]").rstrip(".")
    if not valid_host(host):
        raise ValueError(f"not a DNS name or IP address: {text!r}")
    return host
