"""STARTTLS: ask a mail, file, chat, directory or database server to switch a plain connection to TLS.

Each protocol speaks just enough to get to the TLS handshake, as ``openssl s_client -starttls``
does: SMTP (RFC 3207: EHLO, STARTTLS), IMAP (RFC 3501 §6.2.1), POP3 (RFC 2595 §4: STLS), FTP
(RFC 4217 §4: AUTH TLS), XMPP (RFC 6120 §5: a client stream and the starttls element), LDAP
(RFC 4511 §4.14: the StartTLS extended operation, BER-encoded) and PostgreSQL (its SSLRequest
message). Every read and write goes through :class:`~tui.pki.wire.Wire`: under the caller's
deadline and a byte cap. A server that refuses gets one line quoting what it answered.
"""

from __future__ import annotations

import re
import socket
import struct
from collections.abc import Callable

from .wire import Deadline, LiveError, Wire, quote

__all__ = ["DEFAULT_PORTS", "IMPLICIT", "IMPLIED_BY_PORT", "PROTOCOLS", "choose", "parse_protocol", "upgrade"]

#: The protocols and the names messages use for them.
PROTOCOLS: dict[str, str] = {
    "smtp": "SMTP", "imap": "IMAP", "pop3": "POP3", "ftp": "FTP", "xmpp": "XMPP", "ldap": "LDAP",
    "postgres": "PostgreSQL",
}
#: The word that asks for TLS from the first byte (no STARTTLS), whatever the port.
IMPLICIT = "none"
#: Well-known plain-text ports, where STARTTLS is what a client would do (CONTRACT.md).
IMPLIED_BY_PORT: dict[int, str] = {
    25: "smtp", 587: "smtp", 143: "imap", 110: "pop3", 21: "ftp", 5432: "postgres", 389: "ldap", 5222: "xmpp",
}
#: The port a bare HOST gets under each protocol.
DEFAULT_PORTS: dict[str, int] = {
    "smtp": 25, "imap": 143, "pop3": 110, "ftp": 21, "xmpp": 5222, "ldap": 389, "postgres": 5432,
}
#: Everything a server may send before it agrees to TLS (an EHLO answer is well under 4 KiB).
MAX_EXCHANGE_BYTES = 64 * 1024
#: The name chaindoctor gives itself in SMTP's EHLO (RFC 2606 reserves .invalid).
EHLO_NAME = b"chaindoctor.invalid"

_GREETS_FIRST = {"smtp", "imap", "pop3", "ftp"}


def parse_protocol(text: str) -> str:
    """``--starttls PROTO``: a protocol of PROTOCOLS, or ``none``; ValueError (one line) otherwise."""
    word = text.strip().lower()
    if word in PROTOCOLS or word == IMPLICIT:
        return word
    raise ValueError(f"unknown STARTTLS protocol {text!r} (choose from {', '.join(PROTOCOLS)}, or {IMPLICIT})")


def choose(requested: str | None, port: int) -> str | None:
    """The protocol to speak on ``port``; None for TLS from the first byte.

    ``requested`` is what the user asked for (``none`` for implicit TLS); None means "as the port
    implies": 25 and 587 speak SMTP, 143 IMAP and so on, any other port implicit TLS.
    """
    if requested is None:
        return IMPLIED_BY_PORT.get(port)
    word = parse_protocol(requested)
    return None if word == IMPLICIT else word


def upgrade(sock: socket.socket, protocol: str, *, label: str, domain: str, deadline: Deadline) -> None:
    """Run ``protocol``'s STARTTLS exchange on ``sock``; return when the server awaits the TLS handshake.

    ``domain`` is the name XMPP's stream header carries. LiveError (kind ``starttls``) when the
    server refuses or does not speak the protocol; ``timeout`` when it goes quiet.
    """
    name = PROTOCOLS[protocol]
    wire = Wire(sock, label, f"the {name} STARTTLS exchange", deadline, MAX_EXCHANGE_BYTES)
    try:
        _SPEAK[protocol](wire, domain)
    except LiveError as exc:
        greets = protocol in _GREETS_FIRST
        if wire.received == 0 and exc.kind == ("timeout" if greets else "starttls"):
            silent = (f"sent no {name} greeting within {deadline.seconds:g}s" if greets
                      else f"closed the connection at the {name} STARTTLS request")
            raise LiveError(f"{label} {silent} (a server that expects TLS from the first byte does that; if so, "
                            "ask for implicit TLS: --starttls none)", kind=exc.kind) from None
        raise
    if wire.buffer:
        raise LiveError(f"{label} sent more after agreeing to STARTTLS ({name}), before the TLS handshake: "
                        f"{quote(bytes(wire.buffer))}", kind="starttls")


# --------------------------------------------------------------------------- answers


def _refused(wire: Wire, protocol: str, answer: bytes | str) -> LiveError:
    return LiveError(f"{wire.label} refused STARTTLS ({PROTOCOLS[protocol]}): it answered {quote(answer)}",
                     kind="starttls")


def _foreign(wire: Wire, protocol: str, answer: bytes) -> LiveError:
    """The server said something that is not ``protocol`` at all."""
    if answer[:1] in (b"\x15", b"\x16") and answer[1:2] == b"\x03":
        return LiveError(f"{wire.label} answered with TLS at once: it expects TLS from the first byte, not "
                         f"{PROTOCOLS[protocol]} STARTTLS (ask for implicit TLS: --starttls none)", kind="starttls")
    return LiveError(f"{wire.label} does not speak {PROTOCOLS[protocol]}: it sent {quote(answer)}",
                     kind="starttls")


def _numbered_reply(wire: Wire, protocol: str) -> tuple[int, bytes]:
    """An SMTP or FTP reply, multi-line ones included (``250-...`` up to ``250 ...``): code, last line.

    FTP's continuation lines need not start with the code (RFC 959 §4.2); the reply ends at the
    line that starts with the code and a space.
    """
    first = wire.line()
    code = first[:3]
    if not (code.isdigit() and len(code) == 3 and first[3:4] in (b"", b" ", b"-")):
        raise _foreign(wire, protocol, first)
    last = first
    if first[3:4] == b"-":
        while not ((last := wire.line())[:3] == code and last[3:4] in (b"", b" ")):
            pass
    return int(code), last


def _expect(wire: Wire, protocol: str, code: int) -> None:
    got, line = _numbered_reply(wire, protocol)
    if got != code:
        raise _refused(wire, protocol, line)


# --------------------------------------------------------------------------- the protocols


def _smtp(wire: Wire, domain: str) -> None:
    _expect(wire, "smtp", 220)  # the greeting
    wire.send(b"EHLO " + EHLO_NAME + b"\r\n")
    _expect(wire, "smtp", 250)  # STARTTLS is an ESMTP extension: no EHLO, no STARTTLS
    wire.send(b"STARTTLS\r\n")
    _expect(wire, "smtp", 220)


def _ftp(wire: Wire, domain: str) -> None:
    _expect(wire, "ftp", 220)
    wire.send(b"AUTH TLS\r\n")
    _expect(wire, "ftp", 234)


def _imap(wire: Wire, domain: str) -> None:
    greeting = wire.line()
    if not greeting.startswith(b"* "):
        raise _foreign(wire, "imap", greeting)
    if not greeting[2:4].upper() == b"OK":  # PREAUTH (no STARTTLS once authenticated) or BYE
        raise _refused(wire, "imap", greeting)
    wire.send(b"a1 STARTTLS\r\n")
    while not (line := wire.line()).startswith(b"a1 "):
        pass  # untagged lines (a CAPABILITY, say) come before the tagged answer
    if line[3:5].upper() != b"OK":
        raise _refused(wire, "imap", line)


def _pop3(wire: Wire, domain: str) -> None:
    greeting = wire.line()
    if greeting.startswith(b"-ERR"):
        raise _refused(wire, "pop3", greeting)
    if not greeting.startswith(b"+OK"):
        raise _foreign(wire, "pop3", greeting)
    wire.send(b"STLS\r\n")
    answer = wire.line()
    if not answer.startswith(b"+OK"):
        raise _refused(wire, "pop3", answer)


_XMPP_TLS_NS = b"urn:ietf:params:xml:ns:xmpp-tls"
_XML_NAME = rb"(?:[\w.-]+:)?"
_STREAM_CLOSED = rb"</" + _XML_NAME + rb"stream\s*>|<" + _XML_NAME + rb"error[\s>/]"
_FEATURES_DONE = re.compile(rb"</" + _XML_NAME + rb"features\s*>|<" + _XML_NAME + rb"features[^>]*/>|" + _STREAM_CLOSED)
_TLS_ANSWER = re.compile(rb"<proceed[^>]*>|<failure[^>]*>|" + _STREAM_CLOSED)
_FEATURES_OR_ERROR = re.compile(rb"<" + _XML_NAME + rb"(?:features|error)\b")


def _found(pattern: re.Pattern[bytes]) -> Callable[[bytes], int | None]:
    return lambda buffer: m.end() if (m := pattern.search(buffer)) else None


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace("'", "&apos;")


def _xmpp(wire: Wire, domain: str) -> None:
    wire.send(("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
               f"xmlns:stream='http://etherx.jabber.org/streams' to='{_xml_text(domain)}' version='1.0'>"
               ).encode())
    head = wire.until(_found(_FEATURES_DONE))
    if not head.lstrip().startswith(b"<"):
        raise _foreign(wire, "xmpp", head)
    start = _FEATURES_OR_ERROR.search(head)
    if _XMPP_TLS_NS not in head:  # no <starttls/> among the stream features, or a stream error
        raise _refused(wire, "xmpp", head[start.start():] if start else head)
    wire.send(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    answer = wire.until(_found(_TLS_ANSWER))  # it ends with the first <proceed>, <failure> or stream end
    match = _TLS_ANSWER.search(answer)
    if match is None or not match.group(0).startswith(b"<proceed"):
        raise _refused(wire, "xmpp", answer[match.start():] if match else answer)


# LDAP: RFC 4511 §4.14.1 ExtendedRequest { requestName [0] "1.3.6.1.4.1.1466.20037" } as message 1.
_LDAP_STARTTLS_OID = b"1.3.6.1.4.1.1466.20037"
_LDAP_RESULTS = {
    1: "operationsError", 2: "protocolError", 7: "authMethodNotSupported", 8: "strongerAuthRequired",
    12: "unavailableCriticalExtension", 13: "confidentialityRequired", 51: "busy", 52: "unavailable",
    53: "unwillingToPerform", 80: "other",
}


def _ber(tag: int, body: bytes) -> bytes:
    """One BER element with a short-form length (enough for the request chaindoctor sends)."""
    assert len(body) < 0x80
    return bytes((tag, len(body))) + body


_LDAP_REQUEST = _ber(0x30, _ber(0x02, b"\x01") + _ber(0x77, _ber(0x80, _LDAP_STARTTLS_OID)))


def _ber_items(data: bytes) -> list[tuple[int, bytes]]:
    """The elements of a BER body (single-byte tags, definite lengths); ValueError if malformed."""
    items: list[tuple[int, bytes]] = []
    pos = 0
    while pos < len(data):
        if pos + 2 > len(data) or data[pos] & 0x1F == 0x1F:
            raise ValueError("truncated or multi-byte tag")
        tag, first = data[pos], data[pos + 1]
        pos += 2
        if first & 0x80:
            count = first & 0x7F
            if not 1 <= count <= 4 or pos + count > len(data):
                raise ValueError("bad length")
            length = int.from_bytes(data[pos : pos + count], "big")
            pos += count
        else:
            length = first
        if pos + length > len(data):
            raise ValueError("element runs past its container")
        items.append((tag, data[pos : pos + length]))
        pos += length
    return items


def _ldap_message(wire: Wire) -> bytes:
    """The body of one LDAPMessage SEQUENCE, read within the wire's cap."""
    head = wire.take(2)
    if head[0] != 0x30:
        raise _foreign(wire, "ldap", head + bytes(wire.buffer[:64]))
    length = head[1]
    if length & 0x80:
        count = length & 0x7F
        if not 1 <= count <= 4:
            raise _foreign(wire, "ldap", head)
        length = int.from_bytes(wire.take(count), "big")
    if length > wire.cap:
        raise LiveError(f"{wire.label} announced a {length}-byte LDAP answer during {wire.phase}",
                        kind="too-much-data")
    return wire.take(length)


def _ldap(wire: Wire, domain: str) -> None:
    wire.send(_LDAP_REQUEST)
    body = _ldap_message(wire)
    try:
        fields = _ber_items(body)
        response = _ber_items(fields[1][1]) if len(fields) > 1 and fields[1][0] == 0x78 else []
    except ValueError:
        response = []
    if len(response) < 3 or response[0][0] != 0x0A or len(response[0][1]) > 4:
        raise _foreign(wire, "ldap", body[:64])
    code = int.from_bytes(response[0][1], "big")
    if code != 0:
        diagnostic = response[2][1].decode("utf-8", errors="replace").strip()
        answer = f"resultCode {code} ({_LDAP_RESULTS.get(code, 'error')})" + (f": {diagnostic}" if diagnostic else "")
        raise _refused(wire, "ldap", answer)


_PG_SSL_REQUEST = struct.pack("!II", 8, 80877103)  # PostgreSQL protocol: SSLRequest


def _postgres(wire: Wire, domain: str) -> None:
    wire.send(_PG_SSL_REQUEST)
    answer = wire.take(1)
    if answer == b"S":
        return
    if answer == b"N":
        raise _refused(wire, "postgres", "N (this server does not accept TLS connections)")
    if answer == b"E":  # an ErrorResponse: fields of a type byte and a NUL-terminated text
        length = int.from_bytes(wire.take(4), "big")
        if not 4 <= length <= wire.cap:
            raise _foreign(wire, "postgres", answer)
        fields = wire.take(length - 4).split(b"\x00")
        message = next((f[1:] for f in fields if f[:1] == b"M"), b"an error")
        raise _refused(wire, "postgres", message)
    raise _foreign(wire, "postgres", answer + bytes(wire.buffer[:64]))


_SPEAK: dict[str, Callable[[Wire, str], None]] = {
    "smtp": _smtp, "imap": _imap, "pop3": _pop3, "ftp": _ftp, "xmpp": _xmpp, "ldap": _ldap, "postgres": _postgres,
}
