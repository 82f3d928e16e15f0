"""Live endpoints before any connection: ``HOST:PORT`` parsing, how to reach them, and what they sent.

Nothing here opens a socket or loads the TLS engine, so checking files never pays for it; the
connection itself is :mod:`tui.pki.live`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .hostname import ip_literal, valid_hostname

#: Implicit-TLS URL schemes and their default ports.
SCHEME_PORTS: dict[str, int] = {
    "https": 443,
    "wss": 443,
    "ldaps": 636,
    "smtps": 465,
    "imaps": 993,
    "pop3s": 995,
    "ftps": 990,
}

@dataclass(frozen=True)
class Endpoint:
    """A TLS endpoint: a host name or IP literal and a TCP port."""

    host: str
    port: int

    @property
    def is_ip(self) -> bool:
        """True when ``host`` is an IPv4 or IPv6 literal."""
        return ip_literal(self.host) is not None

    @property
    def label(self) -> str:
        """``host:port``, with IPv6 literals in brackets (``[::1]:443``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class LiveChain:
    """What a server sent during one handshake, and how chaindoctor reached it.

    ``certificates_der`` is in wire order, duplicates kept. ``client_cert_rejected`` is True when
    the server ended the connection over the client certificate (none sent, or one it refused).
    ``handshake_error`` is OpenSSL's reason (or ``"eof"``) when the exchange failed after the
    certificates arrived; the chain is still the one the server sent. ``notes`` holds plain
    sentences for the user.

    ``server_name`` is the SNI sent (None: none); ``starttls`` the protocol spoken before TLS
    (None: TLS from the first byte); ``alpn`` the application protocol the server chose, if any;
    ``ocsp_staple`` the DER OCSP response the server stapled (None: none), ``ocsp_error`` OpenSSL's
    reason when it stopped the handshake over a staple it cannot read. When a name was sent,
    a second handshake without one gives ``no_sni_leaf_der``, the certificate served then, or
    ``no_sni_error``, why that handshake gave none.
    """

    endpoint: Endpoint
    certificates_der: tuple[bytes, ...] = field(repr=False)
    acceptable_client_ca_names: tuple[str, ...]
    client_cert_requested: bool
    tls_version: str
    cipher: str
    server_name: str | None = None
    client_cert_sent: bool = False
    client_cert_rejected: bool = False
    handshake_error: str | None = None
    notes: tuple[str, ...] = ()
    starttls: str | None = None
    alpn: str | None = None
    ocsp_staple: bytes | None = field(default=None, repr=False)
    ocsp_error: str | None = None
    no_sni_leaf_der: bytes | None = field(default=None, repr=False)
    no_sni_error: str | None = None

    @property
    def certificates(self) -> tuple[x509.Certificate, ...]:
        """The certificates parsed with ``cryptography`` (same order)."""
        return tuple(x509.load_der_x509_certificate(der) for der in self.certificates_der)

    def to_pem(self) -> bytes:
        """The chain as concatenated PEM blocks, in wire order."""
        return b"".join(
            cert.public_bytes(serialization.Encoding.PEM) for cert in self.certificates
        )

    @property
    def sni_differs(self) -> bool:
        """True when the server sent another certificate to a handshake without a server name."""
        return (self.no_sni_leaf_der is not None and bool(self.certificates_der)
                and self.no_sni_leaf_der != self.certificates_der[0])


@dataclass(frozen=True)
class LiveOptions:
    """How to reach live SOURCEs: ``--starttls PROTO``, ``--sni NAME``, ``--no-sni`` (CONTRACT.md).

    ``starttls`` is a protocol of :data:`tui.pki.starttls.PROTOCOLS`, ``"none"`` for TLS from the
    first byte, or None: as the port implies (25 and 587 speak SMTP, and so on). ``sni`` is the
    name to send instead of the HOST; ``no_sni`` sends none. Invalid values raise ValueError with
    one line, so a front end can say what is wrong before anything connects.
    """

    starttls: str | None = None
    sni: str | None = None
    no_sni: bool = False

    def __post_init__(self) -> None:
        if self.starttls is not None:
            from .starttls import parse_protocol

            object.__setattr__(self, "starttls", parse_protocol(self.starttls))
        if self.sni is not None:
            if self.no_sni:
                raise ValueError("--sni and --no-sni contradict each other")
            object.__setattr__(self, "sni", parse_server_name(self.sni))

    def starttls_for(self, endpoint: Endpoint, *, url: bool = False) -> str | None:
        """The protocol to speak before TLS; a URL (``https://...``) means TLS from the first byte."""
        if url and self.starttls is None:
            return None
        from .starttls import choose

        return choose(self.starttls, endpoint.port)

    def server_name_for(self, endpoint: Endpoint) -> str:
        """The ``server_name`` argument of :func:`fetch_chain`: the name to send, ``""`` for none."""
        if self.no_sni:
            return ""
        if self.sni is not None:
            return self.sni
        return "" if endpoint.is_ip else endpoint.host




def parse_server_name(text: str) -> str:
    """A name to send as SNI (``--sni NAME``); ValueError with one line for anything else.

    RFC 6066 §3: the name is a DNS host name; literal IPv4 and IPv6 addresses are not permitted.
    """
    name = text.strip().rstrip(".").lower()
    if ip_literal(name.strip("[]")) is not None:
        raise ValueError(f"an IP address cannot be sent as the server name (SNI carries DNS names only): {text!r}")
    if not valid_hostname(name):
        raise ValueError(f"not a DNS name to send as the server name: {text!r}")
    return name


def _parse_port(text: str) -> int | None:
    if not text.isascii() or not text.isdigit() or len(text) > 5:
        return None
    port = int(text)
    return port if 0 < port < 65536 else None


def _make_endpoint(host: str, port: int | None) -> Endpoint | None:
    if port is None or not host:
        return None
    if host.startswith("[") and host.endswith("]"):
        ip = ip_literal(host[1:-1])
        if not isinstance(ip, ipaddress.IPv6Address):
            return None
        return Endpoint(str(ip) if ip.scope_id is None else host[1:-1], port)
    ip = ip_literal(host)
    if ip is not None:
        if isinstance(ip, ipaddress.IPv6Address):
            return None  # an unbracketed IPv6 literal with a port is ambiguous
        return Endpoint(str(ip), port)
    if not valid_hostname(host):
        return None
    return Endpoint(host.lower(), port)


def parse_endpoint(text: str) -> Endpoint | None:
    """Recognise ``HOST:PORT``, ``[V6]:PORT`` or ``https://HOST[:PORT][/path]``; else None.

    A bare host without a port is not an endpoint (it could be a file name); URLs take the
    scheme's default port (443 for ``https``).
    """
    text = text.strip()
    if not text or any(ch.isspace() for ch in text):
        return None
    if "://" in text:
        try:
            parts = urlsplit(text)
            explicit_port = parts.port
        except ValueError:
            return None
        default = SCHEME_PORTS.get(parts.scheme.lower())
        if default is None or parts.username is not None or parts.password is not None:
            return None
        netloc_host = parts.netloc.rsplit("@", 1)[-1]
        if netloc_host.startswith("["):
            host = netloc_host[: netloc_host.find("]") + 1]
        else:
            host = netloc_host.rsplit(":", 1)[0] if ":" in netloc_host else netloc_host
        return _make_endpoint(host, explicit_port if explicit_port is not None else default)
    if "/" in text or "\\" in text or "@" in text:
        return None
    if text.startswith("["):
        close = text.find("]")
        if close < 0 or text[close + 1 : close + 2] != ":":
            return None
        return _make_endpoint(text[: close + 1], _parse_port(text[close + 2 :]))
    host, sep, port_text = text.rpartition(":")
    if not sep:
        return None
    return _make_endpoint(host, _parse_port(port_text))


def not_an_endpoint(text: str) -> str:
    """Why ``text`` is not a live endpoint, in a few words (for "no such file" messages)."""
    text = text.strip()
    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
        if scheme not in SCHEME_PORTS:
            return f"{scheme}:// is not a TLS URL scheme"
        return "not a valid URL"
    if ":" not in text:
        return "it has no :PORT"
    if "/" in text or "\\" in text or "@" in text:
        return "it looks like a path"
    port = text.rpartition(":")[2]
    if not (port.isascii() and port.isdigit()):
        return "the port is not a number"
    if _parse_port(port) is None:
        return "the port is out of range"
    return "the host is not a DNS name or IP address"
