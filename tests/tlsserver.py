"""Throw-away TLS and TCP servers on the loopback interface, for tests.

``serve_tls`` serves a certificate chain in exactly the order given (first block = the server
certificate, matching ``key_pem``) on 127.0.0.1 (or ``::1``), port 0, from a daemon thread; it can
staple an OCSP response, serve other chains to other server names (SNI), and speak a plain-text
protocol before TLS (STARTTLS). ``serve_tls_many`` serves many ports from one thread.
``serve_tcp`` is a plain TCP server that answers with fixed bytes, or never answers.
``issue`` makes EC P-256 test certificates. Servers never bind anything but loopback.
"""

from __future__ import annotations

import datetime
import ipaddress
import selectors
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from OpenSSL import SSL, crypto

LOOPBACK = ("127.0.0.1", "::1")

# OpenSSL's SSL_MODE_NO_AUTO_CHAIN (pyOpenSSL does not export it): never complete the chain
# from the verify store, so a server configured with the leaf alone really sends the leaf alone.
_SSL_MODE_NO_AUTO_CHAIN = 0x00000008


@dataclass(frozen=True)
class Issued:
    """A test certificate and its private key."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def issue(
    common_name: str,
    issuer: Issued | None = None,
    *,
    ca: bool = False,
    dns_names: tuple[str, ...] = (),
    client: bool = False,
    days: int = 30,
    ip_addresses: tuple[str, ...] = (),
    serial: int | None = None,
) -> Issued:
    """An EC P-256 certificate signed by ``issuer`` (self-signed when None); a random serial unless given."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    signer_key = issuer.key if issuer else key
    issuer_name = issuer.cert.subject if issuer else name
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
    else:
        usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        if dns_names or ip_addresses:
            names: list[x509.GeneralName] = [x509.DNSName(n) for n in dns_names]
            names += [x509.IPAddress(ipaddress.ip_address(a)) for a in ip_addresses]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return Issued(builder.sign(signer_key, hashes.SHA256()), key)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on (bound, then released)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class _Listener:
    """An accept loop on loopback that hands each connection to ``handle`` in a thread."""

    def __init__(self, host: str, handle: Callable[[socket.socket], None]) -> None:
        if host not in LOOPBACK:
            raise ValueError("test servers listen on loopback only")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = int(self.sock.getsockname()[1])
        self.handle = handle
        self.stop = threading.Event()
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, name="test-listener", daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.setblocking(True)
            with self.lock:
                self.open.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            self.handle(conn)
        except Exception:  # noqa: BLE001 - a test server must not die loudly
            pass
        finally:
            conn.close()

    def __enter__(self) -> int:
        self.thread.start()
        return self.port

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(2)
        self.sock.close()
        with self.lock:
            for conn in self.open:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()


def _drain(read: Callable[[int], bytes]) -> None:
    """Read until the peer closes (or fails)."""
    while read(4096):
        pass


def _pyopenssl_context(
    chain: list[x509.Certificate],
    key_pem: bytes,
    client_cas: list[x509.Certificate],
    client_cert_optional: bool,
    max_version: Literal["1.2", "1.3"] | None,
    ciphers: bytes | None,
    server_names: list[str | None] | None,
    *,
    ocsp_staple: bytes | None = None,
    sni_contexts: dict[str, SSL.Context] | None = None,
    alpn: bytes | None = None,
) -> SSL.Context:
    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    ctx.set_mode(_SSL_MODE_NO_AUTO_CHAIN)
    if chain:
        key = serialization.load_pem_private_key(key_pem, password=None)
        ctx.use_certificate(chain[0])
        ctx.use_privatekey(key)
        for extra in chain[1:]:
            ctx.add_extra_chain_cert(extra)
    if max_version == "1.2":
        ctx.set_max_proto_version(SSL.TLS1_2_VERSION)
    if ciphers is not None:
        ctx.set_cipher_list(ciphers)
    if client_cas:
        store = ctx.get_cert_store()
        assert store is not None
        for ca in client_cas:
            store.add_cert(crypto.X509.from_cryptography(ca))
            ctx.add_client_ca(ca)
        mode = SSL.VERIFY_PEER
        if not client_cert_optional:
            mode |= SSL.VERIFY_FAIL_IF_NO_PEER_CERT
        ctx.set_verify(mode, None)
    if server_names is not None or sni_contexts:
        def on_sni(conn: SSL.Connection) -> None:
            sent = conn.get_servername()
            name = sent.decode() if sent else None
            if server_names is not None:
                server_names.append(name)
            if sni_contexts and name in sni_contexts:
                conn.set_context(sni_contexts[name])

        ctx.set_tlsext_servername_callback(on_sni)
    if ocsp_staple is not None:
        ctx.set_ocsp_server_callback(lambda conn, data: ocsp_staple)  # b"": nothing stapled
    if alpn is not None:
        ctx.set_alpn_select_callback(lambda conn, offered: alpn if alpn in offered else SSL.NO_OVERLAPPING_PROTOCOLS)
    return ctx


def _simple_context(chain_pem: bytes, key_pem: bytes, ocsp_staple: bytes | None = None) -> SSL.Context:
    """A pyOpenSSL server context that serves ``chain_pem`` as given (and staples ``ocsp_staple``)."""
    return _pyopenssl_context(x509.load_pem_x509_certificates(chain_pem), key_pem, [], False, None, None, None,
                              ocsp_staple=ocsp_staple)


def _ssl_context(
    cert_chain_pem: bytes,
    key_pem: bytes,
    client_cas_pem: bytes | None,
    client_cert_optional: bool,
    max_version: Literal["1.2", "1.3"] | None,
    server_names: list[str | None] | None,
) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as tmp:
        cert_file, key_file = Path(tmp, "chain.pem"), Path(tmp, "key.pem")
        cert_file.write_bytes(cert_chain_pem)
        key_file.write_bytes(key_pem)
        ctx.load_cert_chain(cert_file, key_file)
    if max_version == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if client_cas_pem is not None:
        ctx.load_verify_locations(cadata=client_cas_pem.decode("ascii"))
        ctx.verify_mode = ssl.CERT_OPTIONAL if client_cert_optional else ssl.CERT_REQUIRED
    if server_names is not None:
        def on_sni(sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
            server_names.append(name)
        ctx.sni_callback = on_sni
    return ctx


def pem_blocks(path: Path) -> list[bytes]:
    """The CERTIFICATE blocks of a PEM file, in file order, each as its own PEM text."""
    text = path.read_bytes()
    return [p.strip() + b"\n-----END CERTIFICATE-----\n"
            for p in text.split(b"-----END CERTIFICATE-----") if b"BEGIN CERTIFICATE" in p]


def serve_connection(
    context: SSL.Context, conn: socket.socket, before_tls: Callable[[socket.socket], bool] | None = None
) -> None:
    """One server-side TLS handshake with pyOpenSSL, then read until the client is done.

    ``before_tls`` first speaks a plain-text protocol on the socket; TLS follows when it returns True.
    """
    if before_tls is not None and not before_tls(conn):
        return
    tls = SSL.Connection(context, conn)
    tls.set_accept_state()
    tls.do_handshake()
    try:
        _drain(tls.recv)
    except SSL.ZeroReturnError:
        tls.shutdown()


@contextmanager
def serve_tls(
    cert_chain_pem: bytes,
    key_pem: bytes,
    *,
    require_client_cert_from: bytes | None = None,
    client_cert_optional: bool = False,
    max_version: Literal["1.2", "1.3"] | None = None,
    backend: Literal["pyopenssl", "ssl"] = "pyopenssl",
    host: str = "127.0.0.1",
    ciphers: bytes | None = None,
    server_names: list[str | None] | None = None,
    ocsp_staple: bytes | None = None,
    sni_chains: dict[str, tuple[bytes, bytes]] | None = None,
    before_tls: Callable[[socket.socket], bool] | None = None,
    alpn: bytes | None = None,
) -> Iterator[int]:
    """Serve ``cert_chain_pem`` (in its given order) over TLS; yields the port.

    ``require_client_cert_from``: PEM CA certificate(s) client certificates must chain to;
    with the pyOpenSSL backend their subjects are listed in the CertificateRequest (Python's
    ``ssl`` cannot list CA names). ``client_cert_optional`` requests without requiring.
    ``server_names`` collects the SNI of each handshake. ``backend="ssl"`` uses Python's ``ssl``
    (which also serves the chain file in its order; it is kept to show that).
    The pyOpenSSL backend also takes ``ocsp_staple`` (DER, stapled when the client asks; b"" staples
    nothing), ``sni_chains`` (server name -> (chain PEM, key PEM) served when that name is sent) and
    ``before_tls`` (a plain-text exchange run first; TLS follows when it returns True) and ``alpn``
    (the application protocol it picks when the client offers it).
    """
    chain = x509.load_pem_x509_certificates(cert_chain_pem) if cert_chain_pem else []
    client_cas = (
        x509.load_pem_x509_certificates(require_client_cert_from)
        if require_client_cert_from
        else []
    )
    handle: Callable[[socket.socket], None]
    if backend == "ssl":
        sctx = _ssl_context(
            cert_chain_pem, key_pem, require_client_cert_from, client_cert_optional,
            max_version, server_names,
        )

        def handle(conn: socket.socket) -> None:
            with sctx.wrap_socket(conn, server_side=True) as tls:
                _drain(tls.recv)
    else:
        others = {name: _simple_context(*pair, ocsp_staple) for name, pair in (sni_chains or {}).items()}
        pctx = _pyopenssl_context(
            chain, key_pem, client_cas, client_cert_optional, max_version, ciphers, server_names,
            ocsp_staple=ocsp_staple, sni_contexts=others, alpn=alpn,
        )

        def handle(conn: socket.socket) -> None:
            serve_connection(pctx, conn, before_tls)

    with _Listener(host, handle) as port:
        yield port


@contextmanager
def serve_tcp(reply: bytes | None = None, *, host: str = "127.0.0.1") -> Iterator[int]:
    """A plain TCP server: reads what the client sends, answers ``reply`` and closes.

    With ``reply=None`` it accepts and then says nothing until the context exits.
    """
    done = threading.Event()

    def handle(conn: socket.socket) -> None:
        if reply is None:
            done.wait()
            return
        conn.settimeout(2)
        try:
            conn.recv(4096)
        except OSError:
            pass
        conn.sendall(reply)

    with _Listener(host, handle) as port:
        try:
            yield port
        finally:
            done.set()


@contextmanager
def serve_tls_many(
    servers: Sequence[tuple[bytes, bytes] | None], *, host: str = "127.0.0.1"
) -> Iterator[list[int]]:
    """One loopback port per entry, all accepted by one thread; yields the ports in order.

    Each entry is (chain PEM, key PEM), served as given, or None for a port nobody listens on.
    Equal entries share one TLS context. Every connection is handled in a thread of its own.
    """
    if host not in LOOPBACK:
        raise ValueError("test servers listen on loopback only")
    contexts: dict[tuple[bytes, bytes], SSL.Context] = {}
    selector = selectors.DefaultSelector()
    listeners: list[socket.socket] = []
    ports: list[int] = []
    stop = threading.Event()
    open_conns: list[socket.socket] = []
    lock = threading.Lock()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for entry in servers:
        if entry is None:
            ports.append(free_port(host))
            continue
        if entry not in contexts:
            contexts[entry] = _simple_context(*entry)
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.bind((host, 0))
        sock.listen(64)
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ, contexts[entry])
        listeners.append(sock)
        ports.append(int(sock.getsockname()[1]))

    def serve(context: SSL.Context, conn: socket.socket) -> None:
        try:
            serve_connection(context, conn)
        except Exception:  # noqa: BLE001 - a test server must not die loudly
            pass
        finally:
            conn.close()
            with lock:
                open_conns.remove(conn)

    def run() -> None:
        while not stop.is_set():
            for key, _ in selector.select(timeout=0.1):
                try:
                    conn, _ = key.fileobj.accept()
                except OSError:
                    continue
                conn.setblocking(True)  # pyOpenSSL needs a blocking socket without a timeout
                with lock:
                    open_conns.append(conn)
                threading.Thread(target=serve, args=(key.data, conn), daemon=True).start()

    thread = threading.Thread(target=run, name="test-listeners", daemon=True)
    thread.start()
    try:
        yield ports
    finally:
        stop.set()
        thread.join(2)
        selector.close()
        for sock in listeners:
            sock.close()
        with lock:
            for conn in list(open_conns):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
