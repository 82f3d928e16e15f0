"""Capture the certificate chain a live TLS server sends, exactly as it sends it.

chaindoctor diagnoses chains, so this module never verifies anything: it completes a TLS handshake
(with SNI), records the certificates in the order and multiplicity the server put them on the wire,
and notes whether the server asked for a client certificate. The TLS engine is pyOpenSSL driven
through memory BIOs, so every byte goes through our own socket calls: connect, handshake and the
total amount of data are all bounded, and a stalled or chatty server cannot hang the caller.

Every failure is a :class:`LiveError` with a one-line, plain message.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from OpenSSL import SSL, crypto

__all__ = [
    "Endpoint",
    "LiveChain",
    "LiveError",
    "fetch_chain",
    "parse_endpoint",
    "CLIENT_CERT_REQUIRED_MESSAGE",
]

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

#: The message used when the server insists on a client certificate we did not present.
CLIENT_CERT_REQUIRED_MESSAGE = "the server requires a client certificate; pass --cert and --key"

#: Upper bound on the bytes we accept from the server (OpenSSL itself caps the certificate
#: list at 100 KiB; this bounds everything else).
MAX_RECEIVED_BYTES = 1 << 20

#: How long (at most) to wait after a TLS 1.3 handshake for a server to refuse our client
#: certificate (TLS 1.3 servers send that refusal after the client believes it is done).
CLIENT_AUTH_GRACE = 2.0

_RECV_CHUNK = 16384
_REQUEST_STATE = b"SSLv3/TLS read server certificate request"
_LABEL_RE = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")


class LiveError(Exception):
    """A live endpoint could not be read; ``str()`` is one plain line, ``kind`` a short tag.

    Kinds: ``resolve``, ``refused``, ``timeout``, ``connect``, ``not-tls``, ``handshake``,
    ``no-certificate``, ``client-cert-required``, ``client-credentials``, ``too-much-data``.
    """

    def __init__(self, message: str, *, kind: str = "error") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Endpoint:
    """A TLS endpoint: a host name or IP literal and a TCP port."""

    host: str
    port: int

    @property
    def is_ip(self) -> bool:
        """True when ``host`` is an IPv4 or IPv6 literal."""
        return _ip_literal(self.host) is not None

    @property
    def label(self) -> str:
        """``host:port``, with IPv6 literals in brackets (``[::1]:443``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class LiveChain:
    """What a server sent during one handshake.

    ``certificates_der`` is in wire order, duplicates kept. ``client_cert_rejected`` is True when
    the server ended the connection over the client certificate (none sent, or one it refused).
    ``handshake_error`` is OpenSSL's reason (or ``"eof"``) when the exchange failed after the
    certificates arrived; the chain is still the one the server sent. ``notes`` holds plain
    sentences for the user.
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

    @property
    def certificates(self) -> tuple[x509.Certificate, ...]:
        """The certificates parsed with ``cryptography`` (same order)."""
        return tuple(x509.load_der_x509_certificate(der) for der in self.certificates_der)

    def to_pem(self) -> bytes:
        """The chain as concatenated PEM blocks, in wire order."""
        return b"".join(
            cert.public_bytes(serialization.Encoding.PEM) for cert in self.certificates
        )


# --------------------------------------------------------------------------- endpoint parsing


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _valid_hostname(host: str) -> bool:
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
    return all(_LABEL_RE.fullmatch(label) for label in labels)


def _parse_port(text: str) -> int | None:
    if not text.isascii() or not text.isdigit() or len(text) > 5:
        return None
    port = int(text)
    return port if 0 < port < 65536 else None


def _make_endpoint(host: str, port: int | None) -> Endpoint | None:
    if port is None or not host:
        return None
    if host.startswith("[") and host.endswith("]"):
        ip = _ip_literal(host[1:-1])
        if not isinstance(ip, ipaddress.IPv6Address):
            return None
        return Endpoint(str(ip) if ip.scope_id is None else host[1:-1], port)
    ip = _ip_literal(host)
    if ip is not None:
        if isinstance(ip, ipaddress.IPv6Address):
            return None  # an unbracketed IPv6 literal with a port is ambiguous
        return Endpoint(str(ip), port)
    if not _valid_hostname(host):
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


# --------------------------------------------------------------------------- fetching


class _Deadline:
    """A point in time; ``remaining()`` raises the timeout LiveError once it has passed."""

    def __init__(self, seconds: float, what: str) -> None:
        self.seconds = seconds
        self.what = what
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise LiveError(f"{self.what} timed out after {self.seconds:g}s", kind="timeout")
        return left


def _resolve(endpoint: Endpoint, deadline: _Deadline) -> list[tuple[int, Any]]:
    """getaddrinfo, bounded by the deadline (it runs in a daemon thread; it has no timeout)."""
    result: list[tuple[int, Any]] = []
    failure: list[BaseException] = []

    flags = socket.AI_NUMERICHOST if endpoint.is_ip else 0  # an IP literal never asks DNS

    def work() -> None:
        try:
            infos = socket.getaddrinfo(
                endpoint.host,
                endpoint.port,
                type=socket.SOCK_STREAM,
                proto=socket.IPPROTO_TCP,
                flags=flags,
            )
            result.extend((family, sockaddr) for family, _, _, _, sockaddr in infos)
        except (OSError, UnicodeError) as exc:
            failure.append(exc)

    if endpoint.is_ip:
        work()
    else:
        thread = threading.Thread(target=work, name="chaindoctor-resolve", daemon=True)
        thread.start()
        thread.join(deadline.remaining())
        if thread.is_alive():
            raise LiveError(
                f"resolving '{endpoint.host}' timed out after {deadline.seconds:g}s", kind="timeout"
            )
    if failure or not result:
        raise LiveError(f"cannot resolve host '{endpoint.host}'", kind="resolve")
    return result


def _connect(endpoint: Endpoint, deadline: _Deadline) -> socket.socket:
    """A connected TCP socket to the first address that answers."""
    last: OSError | None = None
    for family, sockaddr in _resolve(endpoint, deadline):
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(deadline.remaining())
            sock.connect(sockaddr)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        except LiveError:
            sock.close()
            raise
        except TimeoutError as exc:
            sock.close()
            last = exc
            break
        except OSError as exc:
            sock.close()
            last = exc
    if isinstance(last, TimeoutError) or time.monotonic() >= deadline.end:
        raise LiveError(
            f"connecting to {endpoint.label} timed out after {deadline.seconds:g}s", kind="timeout"
        )
    if isinstance(last, ConnectionRefusedError):
        raise LiveError(f"connection to {endpoint.label} refused", kind="refused")
    reason = (last.strerror or str(last)) if last is not None else "no address"
    raise LiveError(f"cannot connect to {endpoint.label}: {reason}", kind="connect")


def _load_client_credentials(
    ctx: SSL.Context, cert_path: Path, key_path: Path | None
) -> None:
    """Configure the client certificate (file may hold the chain, and the key if no key file).

    Both files are read like every other input (:func:`tui.pki.load.read_input`): regular files
    of at most 50 MiB, never a FIFO or a device.
    """
    from .load import LoadError, read_input

    try:
        cert_data = read_input(cert_path)
        key_data = read_input(key_path) if key_path is not None else cert_data
    except LoadError as exc:
        raise LiveError(f"cannot read the client credentials: {exc}", kind="client-credentials") from None
    try:
        certs = x509.load_pem_x509_certificates(cert_data)
    except ValueError:
        raise LiveError(
            f"no PEM certificate could be read from '{cert_path}'", kind="client-credentials"
        ) from None
    try:
        key = serialization.load_pem_private_key(key_data, password=None)
    except TypeError:
        raise LiveError(
            f"the private key in '{key_path or cert_path}' is encrypted; decrypt it first",
            kind="client-credentials",
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise LiveError(
            f"no usable PEM private key could be read from '{key_path or cert_path}'",
            kind="client-credentials",
        ) from None
    try:
        ctx.use_certificate(certs[0])
        ctx.use_privatekey(key)  # type: ignore[arg-type]
        ctx.check_privatekey()
        for extra in certs[1:]:
            ctx.add_extra_chain_cert(extra)
    except (SSL.Error, TypeError, ValueError):
        raise LiveError(
            f"the key in '{key_path or cert_path}' does not match the certificate "
            f"'{certs[0].subject.rfc4514_string()}'",
            kind="client-credentials",
        ) from None


def _ssl_reason(exc: Exception) -> str:
    """The most telling reason text out of a pyOpenSSL error."""
    args = exc.args[0] if exc.args else None
    if isinstance(args, list) and args:
        entry = args[-1]
        if isinstance(entry, tuple) and entry:
            return str(entry[-1])
    if isinstance(exc, SSL.SysCallError) and len(exc.args) > 1:
        return str(exc.args[1])
    return str(exc) or type(exc).__name__


def _looks_like_tls(first_bytes: bytes) -> bool:
    """A TLS record starts with a handshake (22) or alert (21) type and a 3.x version."""
    if not first_bytes:
        return True
    if first_bytes[0] not in (0x15, 0x16):
        return False
    return len(first_bytes) < 2 or first_bytes[1] == 0x03


class _Session:
    """One pyOpenSSL client connection over a memory BIO and a real socket."""

    def __init__(self, conn: SSL.Connection, sock: socket.socket, label: str) -> None:
        self.conn = conn
        self.sock = sock
        self.label = label
        self.received = bytearray()  # the first bytes, to tell TLS from not-TLS
        self.total_received = 0
        self.eof = False

    def flush(self, deadline: _Deadline) -> None:
        """Send everything OpenSSL has queued."""
        while True:
            try:
                data = self.conn.bio_read(_RECV_CHUNK)
            except SSL.WantReadError:
                return
            if not data:
                return
            self.sock.settimeout(deadline.remaining())
            try:
                self.sock.sendall(data)
            except TimeoutError:
                deadline.remaining()
                raise LiveError(f"{deadline.what} timed out", kind="timeout") from None
            except OSError as exc:
                raise LiveError(
                    f"{self.label} closed the connection during the TLS handshake "
                    f"({exc.strerror or exc})",
                    kind="handshake",
                ) from None

    def pump(self, deadline: _Deadline) -> bytes:
        """Receive one chunk from the socket into OpenSSL; b"" at end of stream."""
        self.sock.settimeout(deadline.remaining())
        try:
            data = self.sock.recv(_RECV_CHUNK)
        except TimeoutError:
            deadline.remaining()
            raise LiveError(f"{deadline.what} timed out", kind="timeout") from None
        except ConnectionResetError:
            data = b""
        except OSError as exc:
            raise LiveError(
                f"reading from {self.label} failed: {exc.strerror or exc}", kind="connect"
            ) from None
        if not data:
            self.eof = True
            return b""
        self.total_received += len(data)
        if self.total_received > MAX_RECEIVED_BYTES:
            raise LiveError(
                f"{self.label} sent more than {MAX_RECEIVED_BYTES // 1024} KiB during the handshake",
                kind="too-much-data",
            )
        if len(self.received) < 8:
            self.received.extend(data[: 8 - len(self.received)])
        self.conn.bio_write(data)
        return data


def _record_complete(buffer: bytes) -> bool:
    """True when ``buffer`` holds at least one complete TLS record."""
    return len(buffer) >= 5 and len(buffer) >= 5 + int.from_bytes(buffer[3:5], "big")


def _await_client_auth_verdict(session: _Session, deadline: _Deadline) -> str | None:
    """After a TLS 1.3 handshake: the server's alert if it refuses our client auth, else None.

    A TLS 1.3 server judges the client certificate after the client has finished; a refusal
    arrives as an alert, an acceptance usually as a session ticket. Wait briefly for either.
    """
    grace = _Deadline(min(CLIENT_AUTH_GRACE, max(deadline.end - time.monotonic(), 0.0)), "wait")
    after = bytearray()
    while True:
        try:
            session.conn.recv(_RECV_CHUNK)
            return None  # application data: the server is talking to us, so it accepted
        except SSL.WantReadError:
            if _record_complete(bytes(after)):
                return None  # a whole record (a ticket) went through without an alert
        except SSL.ZeroReturnError:
            return None
        except SSL.Error as exc:
            return _ssl_reason(exc)
        if session.eof:
            return None
        try:
            data = session.pump(grace)
        except LiveError as exc:
            if exc.kind == "timeout":
                return None
            raise
        if not data:
            # Closed without an alert: a refusal unless a record (a ticket) came first.
            return None if _record_complete(bytes(after)) else "eof"
        after.extend(data)


def _client_ca_names(conn: SSL.Connection) -> tuple[str, ...]:
    """The CA names of the server's CertificateRequest, as RFC 4514 strings."""
    names: list[str] = []
    for name in conn.get_client_ca_list():
        try:
            names.append(x509.Name.from_bytes(name.der()).rfc4514_string())
        except (ValueError, AttributeError):  # cryptography cannot parse it: OpenSSL's view
            names.append(
                ",".join(
                    f"{key.decode(errors='replace')}={value.decode(errors='replace')}"
                    for key, value in reversed(name.get_components())
                )
            )
    return tuple(names)


def _client_auth_message(sent: bool, reason: str) -> str:
    if not sent:
        return CLIENT_CERT_REQUIRED_MESSAGE
    if reason == "eof":
        return "the server closed the connection after receiving the client certificate"
    return f"the server refused the client certificate ({reason})"


def _not_tls_message(endpoint: Endpoint, first_bytes: bytes) -> str:
    if first_bytes.startswith(b"HTTP/"):
        hint = "it answered in plain HTTP"
    elif first_bytes.startswith(b"SSH-"):
        hint = "it is an SSH server"
    else:
        hint = "is it plain HTTP?"
    return f"{endpoint.label} did not answer with TLS ({hint})"


def _handshake_error(
    endpoint: Endpoint, failure: str, requested: bool, sent_cert: bool, session: _Session
) -> LiveError:
    """The LiveError for a handshake that ended before any certificate arrived."""
    if requested:
        return LiveError(_client_auth_message(sent_cert, failure), kind="client-cert-required")
    if failure == "eof":
        if not session.total_received:
            return LiveError(
                f"{endpoint.label} closed the connection without answering the TLS handshake",
                kind="handshake",
            )
        return LiveError(
            f"{endpoint.label} closed the connection during the TLS handshake", kind="handshake"
        )
    return LiveError(f"the TLS handshake with {endpoint.label} failed: {failure}", kind="handshake")


def fetch_chain(
    endpoint: Endpoint,
    *,
    server_name: str | None = None,
    timeout: float = 10.0,
    client_cert: Path | None = None,
    client_key: Path | None = None,
) -> LiveChain:
    """Handshake with ``endpoint`` and return the chain it sent, unverified, in wire order.

    ``server_name`` is the SNI to send; it defaults to the host (none for IP literals; pass ""
    to send none). ``timeout`` bounds connecting and, separately, the handshake. With
    ``client_cert`` (PEM; may hold the chain, and the key when ``client_key`` is omitted) the
    certificate is presented if the server asks for one.

    If the server asks for a client certificate and then refuses the connection, the chain it
    sent before is still returned, with ``client_cert_rejected`` set and a note; LiveError
    (kind ``client-cert-required``) is raised only when no chain was received at all.
    """
    if client_key is not None and client_cert is None:
        raise LiveError("--key needs --cert", kind="client-credentials")
    sni = server_name if server_name is not None else (None if endpoint.is_ip else endpoint.host)
    if not sni or _ip_literal(sni) is not None:  # RFC 6066: SNI never carries an address
        sni = None

    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.set_verify(SSL.VERIFY_NONE, None)
    # Diagnose weak and old servers too: we verify nothing here, so allow everything OpenSSL can.
    try:
        ctx.set_cipher_list(b"ALL:@SECLEVEL=0")
        ctx.set_min_proto_version(SSL.TLS1_VERSION)
    except SSL.Error:  # pragma: no cover - depends on the OpenSSL build
        pass
    if client_cert is not None:
        _load_client_credentials(ctx, Path(client_cert), Path(client_key) if client_key else None)
    requested: list[bool] = []

    def on_info(conn: SSL.Connection, where: int, ret: int) -> None:
        if not requested and conn.get_state_string() == _REQUEST_STATE:
            requested.append(True)

    ctx.set_info_callback(on_info)

    sni_bytes: bytes | None = None
    if sni is not None:
        try:
            sni_bytes = sni.encode("idna")
        except UnicodeError:
            raise LiveError(f"'{sni}' is not a valid server name", kind="resolve") from None

    sock = _connect(endpoint, _Deadline(timeout, f"connecting to {endpoint.label}"))
    conn = SSL.Connection(ctx, None)
    conn.set_connect_state()
    if sni_bytes is not None:
        conn.set_tlsext_host_name(sni_bytes)
    session = _Session(conn, sock, endpoint.label)
    deadline = _Deadline(timeout, f"the TLS handshake with {endpoint.label}")
    failure: str | None = None
    stalled: LiveError | None = None
    try:
        while True:
            try:
                conn.do_handshake()
                break
            except SSL.WantReadError:
                try:
                    session.flush(deadline)
                    if session.eof or not session.pump(deadline):
                        failure = "eof"
                        break
                except LiveError as exc:
                    if exc.kind != "timeout":
                        raise
                    stalled, failure = exc, "timeout"
                    break
            except SSL.Error as exc:
                failure = _ssl_reason(exc)
                try:
                    session.flush(deadline)  # deliver our alert, best effort
                except LiveError:
                    pass
                break
        if failure is None:
            session.flush(deadline)

        if not _looks_like_tls(bytes(session.received)):
            raise LiveError(_not_tls_message(endpoint, bytes(session.received)), kind="not-tls")
        # DER straight from OpenSSL: a certificate cryptography cannot parse is still captured.
        chain = [
            crypto.dump_certificate(crypto.FILETYPE_ASN1, cert)
            for cert in conn.get_peer_cert_chain() or []
        ]
        was_requested = bool(requested)
        sent_cert = client_cert is not None and was_requested
        if failure is not None and not chain:
            if stalled is not None:
                raise stalled
            raise _handshake_error(endpoint, failure, was_requested, sent_cert, session)
        if failure is None and was_requested and conn.get_protocol_version_name() == "TLSv1.3":
            failure = _await_client_auth_verdict(session, deadline)
        if not chain:
            raise LiveError(f"{endpoint.label} sent no certificate", kind="no-certificate")

        rejected = was_requested and failure is not None and stalled is None
        notes: list[str] = []
        if failure is not None:
            if rejected:
                notes.append(_client_auth_message(sent_cert, failure))
            elif failure == "eof":
                notes.append(
                    f"{endpoint.label} closed the connection after sending its certificates"
                )
            elif stalled is not None:
                notes.append(f"{stalled} (after the server sent its certificates)")
            else:
                notes.append(
                    f"the TLS handshake failed after the server sent its certificates: {failure}"
                )
        return LiveChain(
            endpoint=endpoint,
            certificates_der=tuple(chain),
            acceptable_client_ca_names=_client_ca_names(conn),
            client_cert_requested=was_requested,
            tls_version=conn.get_protocol_version_name(),
            cipher=conn.get_cipher_name() or "",
            server_name=sni,
            client_cert_sent=sent_cert,
            client_cert_rejected=rejected,
            handshake_error=failure,
            notes=tuple(notes),
        )
    finally:
        _close(conn, sock, failure is None)


def _close(conn: SSL.Connection, sock: socket.socket, polite: bool) -> None:
    """Send close_notify when the handshake completed (best effort), then close the socket."""
    if polite:
        try:
            conn.shutdown()
        except SSL.Error:
            pass
        try:
            data = conn.bio_read(_RECV_CHUNK)
            sock.settimeout(0.5)
            sock.sendall(data)
        except (SSL.Error, OSError):
            pass
    sock.close()
