"""tui.pki.live against real TLS servers this test starts on 127.0.0.1 (no other network)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tests.tlsserver import Issued, free_port, issue, serve_tcp, serve_tls
from tui.pki.endpoints import Endpoint, LiveChain, parse_endpoint
from tui.pki.live import CLIENT_CERT_REQUIRED_MESSAGE, LiveError, fetch_chain

LOCAL = "127.0.0.1"


@dataclass(frozen=True)
class Pki:
    """root -> intermediate -> leaf for the server; a separate CA for clients."""

    root: Issued
    inter: Issued
    leaf: Issued
    client_root: Issued
    client: Issued


@pytest.fixture(scope="module")
def pki() -> Pki:
    root = issue("Live Test Root", ca=True)
    inter = issue("Live Test Intermediate", root, ca=True)
    leaf = issue("localhost", inter, dns_names=("localhost",))
    client_root = issue("Live Client CA", ca=True)
    client = issue("alice", client_root, client=True)
    return Pki(root, inter, leaf, client_root, client)


def ders(*certs: Issued) -> tuple[bytes, ...]:
    return tuple(c.cert.public_bytes(Encoding.DER) for c in certs)


def pems(*certs: Issued) -> bytes:
    return b"".join(c.pem for c in certs)


def fetch(port: int, **kwargs: object) -> LiveChain:
    return fetch_chain(Endpoint(LOCAL, port), timeout=5, **kwargs)


# --------------------------------------------------------------------------- served order


ORDERS = {
    "correct": ("leaf", "inter"),
    "root-included": ("leaf", "inter", "root"),
    "wrong-order": ("leaf", "root", "inter"),
    "incomplete": ("leaf",),
    "duplicate": ("leaf", "inter", "inter"),
}


@pytest.mark.parametrize("backend", ["pyopenssl", "ssl"])
@pytest.mark.parametrize("scenario", sorted(ORDERS))
def test_captures_the_chain_in_served_order(pki: Pki, scenario: str, backend: str) -> None:
    served = [getattr(pki, name) for name in ORDERS[scenario]]
    with serve_tls(pems(*served), pki.leaf.key_pem, backend=backend) as port:
        live = fetch(port)
    assert live.certificates_der == ders(*served)
    assert live.endpoint == Endpoint(LOCAL, port)
    assert live.tls_version == "TLSv1.3"
    assert live.cipher
    assert live.client_cert_requested is False
    assert live.client_cert_rejected is False
    assert live.handshake_error is None
    assert live.notes == ()
    assert live.acceptable_client_ca_names == ()


def test_fully_reversed_chain_is_captured_as_sent(pki: Pki) -> None:
    """The server's own certificate is simply the first one sent; here that is the root."""
    served = (pki.root, pki.inter, pki.leaf)
    with serve_tls(pems(*served), pki.root.key_pem) as port:
        live = fetch(port)
    assert live.certificates_der == ders(*served)


def test_tls12_and_helpers(pki: Pki) -> None:
    with serve_tls(pems(pki.leaf, pki.inter), pki.leaf.key_pem, max_version="1.2") as port:
        live = fetch(port)
    assert live.tls_version == "TLSv1.2"
    assert [c.subject.rfc4514_string() for c in live.certificates] == [
        "CN=localhost",
        "CN=Live Test Intermediate",
    ]
    assert x509.load_pem_x509_certificates(live.to_pem()) == [pki.leaf.cert, pki.inter.cert]


def fake_dns(
    monkeypatch: pytest.MonkeyPatch, table: dict[str, list[tuple[str, int]]]
) -> None:
    """Answer getaddrinfo from ``table`` (no resolver is ever asked); other names do not
    resolve; IP literals go to the real (numeric-only) getaddrinfo."""
    real = socket.getaddrinfo

    def getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list[tuple]:
        if kwargs.get("flags") == socket.AI_NUMERICHOST:
            return real(host, port, *args, **kwargs)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", addr)
            for addr in table[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_sni_defaults_to_host_and_is_omitted_for_ip_literals(
    pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str | None] = []
    with serve_tls(pems(pki.leaf), pki.leaf.key_pem, server_names=seen) as port:
        fake_dns(monkeypatch, {"site.test": [(LOCAL, port)]})
        by_ip = fetch_chain(Endpoint(LOCAL, port), timeout=5)
        by_name = fetch_chain(Endpoint("site.test", port), timeout=5)
        explicit = fetch_chain(Endpoint(LOCAL, port), server_name="example.test", timeout=5)
        suppressed = fetch_chain(Endpoint("site.test", port), server_name="", timeout=5)
    assert by_ip.server_name is None
    assert by_name.server_name == "site.test"
    assert explicit.server_name == "example.test"
    assert suppressed.server_name is None
    # Each handshake that sends a name is followed by one without (to compare what is served).
    assert seen == [None, "site.test", None, "example.test", None, None]
    assert by_name.no_sni_leaf_der == by_name.certificates_der[0] and not by_name.sni_differs
    assert by_ip.no_sni_leaf_der is None and suppressed.no_sni_leaf_der is None


def test_tries_each_resolved_address(pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    with serve_tls(pems(pki.leaf), pki.leaf.key_pem) as port:
        fake_dns(monkeypatch, {"multi.test": [(LOCAL, free_port()), (LOCAL, port)]})
        live = fetch_chain(Endpoint("multi.test", port), timeout=5)
    assert live.certificates_der == ders(pki.leaf)


def test_unresolvable_host(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {})
    with pytest.raises(LiveError) as caught:
        fetch_chain(Endpoint("no-such-host.invalid", 443), timeout=2)
    assert str(caught.value) == "cannot resolve host 'no-such-host.invalid'"
    assert caught.value.kind == "resolve"


def test_slow_resolver_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    def getaddrinfo(*args: object, **kwargs: object) -> list[tuple]:
        time.sleep(3)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    started = time.monotonic()
    with pytest.raises(LiveError, match="resolving 'slow.test' timed out") as caught:
        fetch_chain(Endpoint("slow.test", 443), timeout=0.5)
    assert caught.value.kind == "timeout"
    assert time.monotonic() - started < 2.5


def test_ipv6_loopback(pki: Pki) -> None:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with serve_tls(pems(pki.leaf, pki.inter), pki.leaf.key_pem, host="::1") as port:
        endpoint = parse_endpoint(f"[::1]:{port}")
        assert endpoint is not None
        live = fetch_chain(endpoint, timeout=5)
    assert live.certificates_der == ders(pki.leaf, pki.inter)
    assert live.endpoint.label == f"[::1]:{port}"


# --------------------------------------------------------------------------- client certificates


@pytest.fixture()
def client_files(pki: Pki, tmp_path: Path) -> tuple[Path, Path]:
    cert = tmp_path / "client.pem"
    key = tmp_path / "client.key"
    cert.write_bytes(pki.client.pem + pki.client_root.pem)
    key.write_bytes(pki.client.key_pem)
    return cert, key


@pytest.mark.parametrize("version", ["1.3", "1.2"])
def test_required_client_cert_missing_still_captures_the_chain(pki: Pki, version: str) -> None:
    """The server sends its chain before asking; we keep it and say what the server wants."""
    with serve_tls(
        pems(pki.leaf, pki.inter),
        pki.leaf.key_pem,
        require_client_cert_from=pki.client_root.pem,
        max_version=version,
    ) as port:
        live = fetch(port)
    assert live.certificates_der == ders(pki.leaf, pki.inter)
    assert live.client_cert_requested is True
    assert live.client_cert_sent is False
    assert live.client_cert_rejected is True
    assert live.handshake_error
    assert live.notes == (CLIENT_CERT_REQUIRED_MESSAGE,)
    assert CLIENT_CERT_REQUIRED_MESSAGE == (
        "the server requires a client certificate; pass --cert and --key"
    )
    assert live.acceptable_client_ca_names == ("CN=Live Client CA",)
    assert live.tls_version == f"TLSv{version}"


@pytest.mark.parametrize("version", ["1.3", "1.2"])
def test_required_client_cert_presented(
    pki: Pki, client_files: tuple[Path, Path], version: str
) -> None:
    cert, key = client_files
    with serve_tls(
        pems(pki.leaf, pki.inter),
        pki.leaf.key_pem,
        require_client_cert_from=pki.client_root.pem,
        max_version=version,
    ) as port:
        started = time.monotonic()
        live = fetch(port, client_cert=cert, client_key=key)
        elapsed = time.monotonic() - started
    assert live.certificates_der == ders(pki.leaf, pki.inter)
    assert live.client_cert_requested is True
    assert live.client_cert_sent is True
    assert live.client_cert_rejected is False
    assert live.handshake_error is None
    assert live.notes == ()
    assert live.acceptable_client_ca_names == ("CN=Live Client CA",)
    assert elapsed < 4  # the acceptance is noticed, not waited out (generous: no timing claims)


def test_client_cert_and_key_in_one_file(pki: Pki, tmp_path: Path) -> None:
    combined = tmp_path / "client-with-key.pem"
    combined.write_bytes(pki.client.pem + pki.client.key_pem)
    with serve_tls(
        pems(pki.leaf), pki.leaf.key_pem, require_client_cert_from=pki.client_root.pem
    ) as port:
        live = fetch(port, client_cert=combined)
    assert live.client_cert_sent is True
    assert live.client_cert_rejected is False


def test_client_cert_from_another_ca_is_refused(pki: Pki, tmp_path: Path) -> None:
    stranger = issue("mallory", issue("Other CA", ca=True), client=True)
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_bytes(stranger.pem)
    key.write_bytes(stranger.key_pem)
    with serve_tls(
        pems(pki.leaf, pki.inter), pki.leaf.key_pem, require_client_cert_from=pki.client_root.pem
    ) as port:
        live = fetch(port, client_cert=cert, client_key=key)
    assert live.certificates_der == ders(pki.leaf, pki.inter)
    assert live.client_cert_sent is True
    assert live.client_cert_rejected is True
    assert len(live.notes) == 1
    assert live.notes[0].startswith("the server refused the client certificate")


def test_optional_client_cert_is_reported_as_requested(pki: Pki) -> None:
    with serve_tls(
        pems(pki.leaf, pki.inter),
        pki.leaf.key_pem,
        require_client_cert_from=pki.client_root.pem,
        client_cert_optional=True,
    ) as port:
        live = fetch(port)
    assert live.client_cert_requested is True
    assert live.client_cert_rejected is False
    assert live.acceptable_client_ca_names == ("CN=Live Client CA",)


def test_not_requested_client_cert_is_not_sent(pki: Pki, client_files: tuple[Path, Path]) -> None:
    cert, key = client_files
    with serve_tls(pems(pki.leaf), pki.leaf.key_pem) as port:
        live = fetch(port, client_cert=cert, client_key=key)
    assert live.client_cert_requested is False
    assert live.client_cert_sent is False


def test_bad_client_credentials(pki: Pki, tmp_path: Path) -> None:
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_bytes(pki.client.pem)
    key.write_bytes(pki.leaf.key_pem)  # not the client's key
    endpoint = Endpoint(LOCAL, free_port())
    with pytest.raises(LiveError, match="does not match") as caught:
        fetch_chain(endpoint, client_cert=cert, client_key=key, timeout=2)
    assert caught.value.kind == "client-credentials"
    with pytest.raises(LiveError, match="cannot read"):
        fetch_chain(endpoint, client_cert=tmp_path / "absent.pem", timeout=2)
    with pytest.raises(LiveError, match="needs --cert"):
        fetch_chain(endpoint, client_key=key, timeout=2)


# --------------------------------------------------------------------------- failures


def test_refused(pki: Pki) -> None:
    port = free_port()
    with pytest.raises(LiveError) as caught:
        fetch_chain(Endpoint(LOCAL, port), timeout=2)
    assert str(caught.value) == f"connection to 127.0.0.1:{port} refused"
    assert caught.value.kind == "refused"


def test_plain_tcp_garbage_is_not_tls() -> None:
    reply = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
    with serve_tcp(reply) as port:
        with pytest.raises(LiveError) as caught:
            fetch_chain(Endpoint(LOCAL, port), timeout=2)
    assert "did not answer with TLS" in str(caught.value)
    assert caught.value.kind == "not-tls"
    with serve_tcp(b"\x00\x01garbage garbage garbage\n") as port:
        with pytest.raises(LiveError, match=rf"127\.0\.0\.1:{port} did not answer with TLS"):
            fetch_chain(Endpoint(LOCAL, port), timeout=2)


def test_server_that_closes_at_once() -> None:
    with serve_tcp(b"") as port:
        with pytest.raises(LiveError, match="closed the connection") as caught:
            fetch_chain(Endpoint(LOCAL, port), timeout=2)
    assert caught.value.kind == "handshake"


def test_silent_server_times_out() -> None:
    with serve_tcp(None) as port:
        started = time.monotonic()
        with pytest.raises(LiveError) as caught:
            fetch_chain(Endpoint(LOCAL, port), timeout=1)
        elapsed = time.monotonic() - started
    assert caught.value.kind == "timeout"
    assert "timed out" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert elapsed < 5


def test_server_with_no_certificate() -> None:
    """An anonymous-DH server (TLS 1.2, aNULL) completes the handshake with no certificate."""
    try:
        with serve_tls(b"", b"", max_version="1.2", ciphers=b"aNULL:@SECLEVEL=0") as port:
            with pytest.raises(LiveError) as caught:
                fetch_chain(Endpoint(LOCAL, port), timeout=2)
    except Exception as exc:  # pragma: no cover - OpenSSL builds without aNULL
        if isinstance(exc, LiveError) or "aNULL" in str(exc):
            raise
        pytest.skip(f"this OpenSSL cannot run an anonymous server: {exc}")
    assert str(caught.value) == f"127.0.0.1:{port} sent no certificate"
    assert caught.value.kind == "no-certificate"


@contextmanager
def stalling_proxy(upstream: int) -> Iterator[int]:
    """Relays the client's first chunk (the ClientHello) and every server byte, then
    swallows the client's next flight: the server waits forever, and so would the client."""
    listener = socket.create_server((LOCAL, 0))
    listener.settimeout(5)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def run() -> None:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        server = socket.create_connection((LOCAL, upstream))
        server.sendall(client.recv(65536))
        client.settimeout(0.05)
        server.settimeout(0.05)
        while not stop.is_set():
            for source, sink in ((server, client), (client, None)):
                try:
                    data = source.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    stop.set()
                    break
                if sink is not None and data:
                    sink.sendall(data)
        client.close()
        server.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stop.set()
        listener.close()
        thread.join(2)


def test_stall_after_the_certificates_keeps_the_chain(pki: Pki) -> None:
    with serve_tls(pems(pki.leaf, pki.inter), pki.leaf.key_pem, max_version="1.2") as upstream:
        with stalling_proxy(upstream) as port:
            live = fetch_chain(Endpoint(LOCAL, port), timeout=1)
    assert live.certificates_der == ders(pki.leaf, pki.inter)
    assert live.handshake_error == "timeout"
    assert live.client_cert_rejected is False
    assert live.notes == (
        f"the TLS handshake with 127.0.0.1:{port} timed out after 1s "
        "(after the server sent its certificates)",
    )


def test_handshake_failure_is_one_line(pki: Pki) -> None:
    """A server that shares no cipher with us fails with a plain message, not a traceback."""
    with serve_tls(pems(pki.leaf), pki.leaf.key_pem, max_version="1.2", ciphers=b"eNULL") as port:
        with pytest.raises(LiveError) as caught:
            fetch_chain(Endpoint(LOCAL, port), timeout=2)
    message = str(caught.value)
    assert message.startswith(f"the TLS handshake with 127.0.0.1:{port} failed")
    assert "\n" not in message


# --------------------------------------------------------------------------- parse_endpoint


@pytest.mark.parametrize(
    ("text", "host", "port", "label"),
    [
        ("example.com:443", "example.com", 443, "example.com:443"),
        ("Example.COM:8443", "example.com", 8443, "example.com:8443"),
        ("localhost:1", "localhost", 1, "localhost:1"),
        ("https://example.com", "example.com", 443, "example.com:443"),
        ("https://example.com/", "example.com", 443, "example.com:443"),
        ("https://example.com:8443/path?q=1#f", "example.com", 8443, "example.com:8443"),
        ("HTTPS://example.com", "example.com", 443, "example.com:443"),
        ("ldaps://dc1.corp.example:3269", "dc1.corp.example", 3269, "dc1.corp.example:3269"),
        ("https://[::1]/", "::1", 443, "[::1]:443"),
        ("https://[2001:db8::1]:8443", "2001:db8::1", 8443, "[2001:db8::1]:8443"),
        ("https://192.0.2.1", "192.0.2.1", 443, "192.0.2.1:443"),
        ("[::1]:443", "::1", 443, "[::1]:443"),
        ("[2001:DB8::1]:443", "2001:db8::1", 443, "[2001:db8::1]:443"),
        ("127.0.0.1:8443", "127.0.0.1", 8443, "127.0.0.1:8443"),
        ("  example.com:443 \n", "example.com", 443, "example.com:443"),
        ("_srv.example.com:443", "_srv.example.com", 443, "_srv.example.com:443"),
        ("bücher.example:443", "bücher.example", 443, "bücher.example:443"),
    ],
)
def test_parse_endpoint(text: str, host: str, port: int, label: str) -> None:
    endpoint = parse_endpoint(text)
    assert endpoint == Endpoint(host, port)
    assert endpoint is not None and endpoint.label == label and str(endpoint) == label


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "bundle.pem",
        "example.com",
        "example.com:",
        "example.com:0",
        "example.com:65536",
        "example.com:https",
        "example.com:443/x",
        "./certs/site:443",
        "C:\\certs\\chain.pem",
        "::1:443",
        "::1",
        "[::1]",
        "[::1]443",
        "[127.0.0.1]:443",
        "[nothost]:443",
        "http://example.com",
        "ftp://example.com",
        "https://",
        "https://example.com:99999",
        "https://user:pw@example.com",
        "exa mple.com:443",
        "-bad.example:443",
        "bad-.example:443",
        "a..b:443",
        "1.2.3:443",
        "999.1.1.1:443",
        "file.pem:443x",
        "-",
    ],
)
def test_parse_endpoint_rejects(text: str) -> None:
    assert parse_endpoint(text) is None


def test_endpoint_is_frozen_and_ip_aware() -> None:
    endpoint = Endpoint("127.0.0.1", 443)
    assert endpoint.is_ip and not Endpoint("example.com", 443).is_ip
    assert Endpoint("::1", 443).is_ip
    with pytest.raises(AttributeError):
        endpoint.port = 1  # type: ignore[misc]  # the point: the field is read-only
