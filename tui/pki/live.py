"""Capture the certificate chain a live TLS server sends, exactly as it sends it, and the facts around it.

chaindoctor diagnoses chains, so this module never verifies anything: it completes a TLS handshake,
records the certificates in the order and multiplicity the server put them on the wire, and notes
what else the handshake showed: the TLS version, cipher and ALPN protocol, whether the server asked
for a client certificate (and from which CAs), the OCSP response it stapled, the server name sent
(SNI), and whether the server sends another certificate when no name is sent. Mail, directory and
database servers are first asked to switch to TLS (STARTTLS, see :mod:`tui.pki.starttls`).

The TLS engine is pyOpenSSL driven through memory BIOs, so every byte goes through our own socket
calls: connect, STARTTLS, handshake and the total amount of data are all bounded, and a stalled or
chatty server cannot hang the caller. Every failure is a :class:`LiveError` with a one-line, plain
message.
"""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from OpenSSL import SSL, crypto

from . import starttls as _starttls
from .endpoints import Endpoint, LiveChain, LiveOptions
from .hostname import ip_literal
from .wire import Deadline, LiveError

__all__ = ["CLIENT_CERT_REQUIRED_MESSAGE", "LiveError", "fetch_chain", "fetch_with", "refetch"]

#: The message used when the server insists on a client certificate we did not present.
CLIENT_CERT_REQUIRED_MESSAGE = "the server requires a client certificate; pass --cert and --key"

#: Upper bound on the bytes we accept from the server (OpenSSL itself caps the certificate
#: list at 100 KiB; this bounds everything else).
MAX_RECEIVED_BYTES = 1 << 20

#: How long (at most) to wait after a TLS 1.3 handshake for a server to refuse our client
#: certificate (TLS 1.3 servers send that refusal after the client believes it is done).
CLIENT_AUTH_GRACE = 2.0

#: The application protocols offered (ALPN, RFC 7301) on implicit-TLS connections.
ALPN_OFFER = (b"h2", b"http/1.1")

_RECV_CHUNK = 16384
_REQUEST_STATE = b"SSLv3/TLS read server certificate request"




# --------------------------------------------------------------------------- fetching


def _resolve(endpoint: Endpoint, deadline: Deadline) -> list[tuple[int, Any]]:
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


def _connect(endpoint: Endpoint, deadline: Deadline) -> socket.socket:
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
        ctx.use_privatekey(key)  # type: ignore[arg-type]  # key types TLS cannot use raise TypeError, caught below
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

    def flush(self, deadline: Deadline) -> None:
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

    def pump(self, deadline: Deadline) -> bytes:
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


def _await_client_auth_verdict(session: _Session, deadline: Deadline) -> str | None:
    """After a TLS 1.3 handshake: the server's alert if it refuses our client auth, else None.

    A TLS 1.3 server judges the client certificate after the client has finished; a refusal
    arrives as an alert, an acceptance usually as a session ticket. Wait briefly for either.
    """
    grace = Deadline(min(CLIENT_AUTH_GRACE, max(deadline.end - time.monotonic(), 0.0)), "wait")
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


def _not_tls_message(endpoint: Endpoint, first_bytes: bytes, protocol: str | None = None) -> str:
    if protocol is not None:
        return (f"{endpoint.label} agreed to STARTTLS ({_starttls.PROTOCOLS[protocol]}) but then did not "
                "answer with TLS")
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


@dataclass
class _ConnState:
    """What OpenSSL's callbacks saw on one connection."""

    requested: bool = False  # the server sent a CertificateRequest
    staple: bytes | None = None  # the OCSP response it stapled


def _on_info(conn: SSL.Connection, where: int, ret: int) -> None:
    state = conn.get_app_data()
    if not state.requested and conn.get_state_string() == _REQUEST_STATE:
        state.requested = True


def _on_staple(conn: SSL.Connection, data: bytes, _: object) -> bool:
    conn.get_app_data().staple = data or None
    return True  # the staple is judged after the handshake (tui.pki.ocsp), never by refusing it


def _context(client_cert: Path | None, client_key: Path | None, *, alpn: bool) -> SSL.Context:
    """A client context that verifies nothing, asks for an OCSP staple and (optionally) offers ALPN."""
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
    ctx.set_info_callback(_on_info)
    ctx.set_ocsp_client_callback(_on_staple)
    if alpn:
        ctx.set_alpn_protos(list(ALPN_OFFER))
    return ctx


def fetch_chain(
    endpoint: Endpoint,
    *,
    server_name: str | None = None,
    starttls: str | None = None,
    timeout: float = 10.0,
    client_cert: Path | None = None,
    client_key: Path | None = None,
    compare_sni: bool = True,
) -> LiveChain:
    """Handshake with ``endpoint`` and return the chain it sent, unverified, in wire order.

    ``server_name`` is the SNI to send; it defaults to the host (none for IP literals; pass ""
    to send none). ``starttls`` is the protocol to speak first (:data:`tui.pki.starttls.PROTOCOLS`;
    None or ``"none"``: TLS from the first byte; :class:`LiveOptions` chooses by port).
    ``timeout`` bounds connecting and, separately, the STARTTLS exchange and TLS handshake together.
    With ``client_cert`` (PEM; may hold the chain, and the key when ``client_key`` is omitted) the
    certificate is presented if the server asks for one.

    With ``compare_sni`` and a name sent, a second handshake without a name follows, within what
    is left of the same budget (twice ``timeout`` in all); its certificate lands in
    ``no_sni_leaf_der``, or the reason it gave none in ``no_sni_error``.

    If the server asks for a client certificate and then refuses the connection, the chain it
    sent before is still returned, with ``client_cert_rejected`` set and a note; LiveError
    (kind ``client-cert-required``) is raised only when no chain was received at all.
    """
    if client_key is not None and client_cert is None:
        raise LiveError("--key needs --cert", kind="client-credentials")
    try:
        protocol = None if starttls is None else _starttls.choose(starttls, endpoint.port)
    except ValueError as exc:
        raise LiveError(str(exc), kind="usage") from None
    sni = server_name if server_name is not None else (None if endpoint.is_ip else endpoint.host)
    if not sni or ip_literal(sni) is not None:  # RFC 6066: SNI never carries an address
        sni = None
    if sni is not None:
        try:
            sni.encode("idna")
        except UnicodeError:
            raise LiveError(f"'{sni}' is not a valid server name", kind="resolve") from None

    budget_end = time.monotonic() + 2 * timeout
    ctx = _context(client_cert, client_key, alpn=protocol is None)
    chain = _fetch_once(endpoint, ctx, sni, protocol, timeout, client_cert is not None)
    if compare_sni and sni is not None:
        chain = _compare_without_sni(chain, protocol, timeout, budget_end)
    return chain


def fetch_with(options: LiveOptions, endpoint: Endpoint, *, url: bool = False, timeout: float = 10.0,
               client_cert: Path | None = None, client_key: Path | None = None) -> LiveChain:
    """:func:`fetch_chain` with ``options`` (STARTTLS, SNI) applied to ``endpoint``; a URL SOURCE
    (``https://...``) speaks TLS from the first byte unless told otherwise."""
    return fetch_chain(endpoint, server_name=options.server_name_for(endpoint),
                       starttls=options.starttls_for(endpoint, url=url), timeout=timeout,
                       client_cert=client_cert, client_key=client_key)


def refetch(chain: LiveChain, *, timeout: float = 10.0, client_cert: Path | None = None,
            client_key: Path | None = None) -> LiveChain:
    """Fetch again from ``chain``'s endpoint the way it was fetched: same STARTTLS, same SNI."""
    return fetch_chain(chain.endpoint, server_name=chain.server_name or "", starttls=chain.starttls,
                       timeout=timeout, client_cert=client_cert, client_key=client_key)


def _compare_without_sni(chain: LiveChain, protocol: str | None, timeout: float, budget_end: float) -> LiveChain:
    """``chain`` with what the server sends to a handshake that carries no server name."""
    left = budget_end - time.monotonic()
    if left <= 0:
        return dataclasses.replace(chain, no_sni_error="no time was left for a handshake without a server name")
    ctx = _context(None, None, alpn=protocol is None)
    try:
        plain = _fetch_once(chain.endpoint, ctx, None, protocol, min(timeout, left), False, end=budget_end)
    except LiveError as exc:
        note = f"without a server name (SNI), {chain.endpoint.label} sends no certificate: {exc}"
        return dataclasses.replace(chain, no_sni_error=str(exc), notes=(*chain.notes, note))
    return dataclasses.replace(chain, no_sni_leaf_der=plain.certificates_der[0])


def _fetch_once(
    endpoint: Endpoint,
    ctx: SSL.Context,
    sni: str | None,
    protocol: str | None,
    timeout: float,
    client_cert_given: bool,
    *,
    end: float | None = None,
) -> LiveChain:
    """One connection: connect, STARTTLS if asked, the TLS handshake; always closes the socket."""

    def deadline(what: str) -> Deadline:
        limit = time.monotonic() + timeout
        return Deadline(timeout, what, end=limit if end is None else min(limit, end))

    sock = _connect(endpoint, deadline(f"connecting to {endpoint.label}"))
    exchange = deadline(f"the TLS handshake with {endpoint.label}")  # STARTTLS shares it
    conn = SSL.Connection(ctx, None)
    state = _ConnState()
    conn.set_app_data(state)
    conn.set_connect_state()
    conn.request_ocsp()
    if sni is not None:
        conn.set_tlsext_host_name(sni.encode("idna"))
    session = _Session(conn, sock, endpoint.label)
    failure: str | None = None
    stalled: LiveError | None = None
    try:
        if protocol is not None:
            failure = "starttls"  # until it succeeds: close without a TLS goodbye
            _starttls.upgrade(sock, protocol, label=endpoint.label, domain=sni or endpoint.host, deadline=exchange)
            failure = None
        while True:
            try:
                conn.do_handshake()
                break
            except SSL.WantReadError:
                try:
                    session.flush(exchange)
                    if session.eof or not session.pump(exchange):
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
                    session.flush(exchange)  # deliver our alert, best effort
                except LiveError:
                    pass
                break
        if failure is None:
            session.flush(exchange)

        if not _looks_like_tls(bytes(session.received)):
            raise LiveError(_not_tls_message(endpoint, bytes(session.received), protocol), kind="not-tls")
        # DER straight from OpenSSL: a certificate cryptography cannot parse is still captured.
        chain = [
            crypto.dump_certificate(crypto.FILETYPE_ASN1, cert)
            for cert in conn.get_peer_cert_chain() or []
        ]
        was_requested = state.requested
        sent_cert = client_cert_given and was_requested
        if failure is not None and not chain:
            if stalled is not None:
                raise stalled
            raise _handshake_error(endpoint, failure, was_requested, sent_cert, session)
        if failure is None and was_requested and conn.get_protocol_version_name() == "TLSv1.3":
            failure = _await_client_auth_verdict(session, exchange)
        if not chain:
            raise LiveError(f"{endpoint.label} sent no certificate", kind="no-certificate")

        rejected = was_requested and failure is not None and stalled is None
        unreadable_staple = failure is not None and "certificate status" in failure and state.staple is None
        notes: list[str] = []
        if failure is not None:
            if unreadable_staple:
                rejected = False
                notes.append(f"the server stapled an OCSP response OpenSSL cannot read ({failure}): clients that "
                             "ask for the staple end the handshake there")
            elif rejected:
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
        alpn = conn.get_alpn_proto_negotiated()
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
            starttls=protocol,
            alpn=alpn.decode("ascii", errors="replace") if alpn else None,
            ocsp_staple=state.staple,
            ocsp_error=failure if unreadable_staple else None,
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
