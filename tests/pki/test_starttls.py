"""STARTTLS against small loopback servers that speak just enough of each protocol (127.0.0.1 only)."""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from tests.tlsserver import Issued, issue, serve_tcp, serve_tls
from tui.pki import starttls
from tui.pki.endpoints import Endpoint, LiveChain, LiveOptions
from tui.pki.live import LiveError, fetch_chain
from tui.pki.sources import load_sources

LOCAL = "127.0.0.1"


@pytest.fixture(scope="module")
def server_cert() -> tuple[Issued, Issued]:
    root = issue("STARTTLS Test Root", ca=True)
    return issue("mail.test", root, dns_names=("mail.test",)), root


def recv_line(sock: socket.socket) -> bytes:
    """One line from the client, byte by byte (nothing of the TLS handshake is read ahead)."""
    line = bytearray()
    while not line.endswith(b"\n"):
        chunk = sock.recv(1)
        if not chunk:
            break
        line += chunk
    return bytes(line)


def recv_exactly(sock: socket.socket, count: int) -> bytes:
    data = bytearray()
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            break
        data += chunk
    return bytes(data)


@dataclass
class Script:
    """A plain-text server side: ``talk`` runs on the raw socket and records what the client sent."""

    talk: Callable[[Script, socket.socket], bool]
    heard: list[bytes] = field(default_factory=list)

    def __call__(self, sock: socket.socket) -> bool:
        return self.talk(self, sock)

    def line(self, sock: socket.socket) -> bytes:
        self.heard.append(recv_line(sock))
        return self.heard[-1]


def exchange(*replies: bytes, proceed: bool = True) -> Script:
    """Send the first reply (a greeting), then answer each line the client sends with the next one."""

    def talk(script: Script, sock: socket.socket) -> bool:
        sock.sendall(replies[0])
        for reply in replies[1:]:
            script.line(sock)
            sock.sendall(reply)
        return proceed

    return Script(talk)


def smtp(refuse: bool = False, after: bytes = b"") -> Script:
    last = b"454 4.7.0 TLS not available due to local problem\r\n" if refuse else b"220 2.0.0 Ready to start TLS\r\n"
    return exchange(b"220-mail.test ESMTP ready\r\n220 ready when you are\r\n",
                    b"250-mail.test greets you\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 STARTTLS\r\n",
                    last + after, proceed=not (refuse or after))


def imap(refuse: bool = False) -> Script:
    last = (b"a1 BAD STARTTLS is switched off here\r\n" if refuse
            else b"* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK Begin TLS negotiation now\r\n")
    return exchange(b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n", last, proceed=not refuse)


def pop3(refuse: bool = False) -> Script:
    last = b"-ERR TLS not supported\r\n" if refuse else b"+OK Begin TLS negotiation\r\n"
    return exchange(b"+OK POP3 server ready\r\n", last, proceed=not refuse)


def ftp(refuse: bool = False) -> Script:
    # RFC 959 §4.2: continuation lines need not start with the code.
    last = b"534 Request denied for policy reasons.\r\n" if refuse else b"234 AUTH TLS successful\r\n"
    return exchange(b"220-Welcome to the test FTP server\r\n  rules: be nice\r\n220 ready\r\n", last,
                    proceed=not refuse)


XMPP_HEAD = (b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
             b"xmlns:stream='http://etherx.jabber.org/streams' id='c2s1' from='mail.test' version='1.0'>")
XMPP_TLS_FEATURES = (b"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
                     b"<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms>"
                     b"</stream:features>")


def xmpp(refuse: str | None = None) -> Script:
    """``refuse``: None proceeds; "features" offers no starttls; "failure" answers <failure/>."""

    def talk(script: Script, sock: socket.socket) -> bool:
        header = bytearray()
        while not header.endswith(b"version='1.0'>"):
            header += sock.recv(1)
        script.heard.append(bytes(header))
        if refuse == "features":
            sock.sendall(XMPP_HEAD + b"<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                         b"<mechanism>PLAIN</mechanism></mechanisms></stream:features>")
            return False
        sock.sendall(XMPP_HEAD + XMPP_TLS_FEATURES)
        request = bytearray()
        while not request.endswith(b"/>"):
            request += sock.recv(1)
        script.heard.append(bytes(request))
        if refuse == "failure":
            sock.sendall(b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>")
            return False
        sock.sendall(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        return True

    return Script(talk)


def ber(tag: int, body: bytes) -> bytes:
    """A BER element; the long length form for bodies of 128 bytes or more."""
    if len(body) < 0x80:
        return bytes((tag, len(body))) + body
    size = len(body).to_bytes(2, "big")
    return bytes((tag, 0x82)) + size + body


def ldap_response(code: int, diagnostic: bytes = b"") -> bytes:
    """ExtendedResponse (RFC 4511 §4.12) to message 1."""
    return ber(0x30, ber(0x02, b"\x01") + ber(0x78, ber(0x0A, bytes((code,))) + ber(0x04, b"") + ber(0x04, diagnostic)))


def ldap(refuse: bool = False) -> Script:
    def talk(script: Script, sock: socket.socket) -> bool:
        head = recv_exactly(sock, 2)
        script.heard.append(head + recv_exactly(sock, head[1]))
        if refuse:
            sock.sendall(ldap_response(2, b"unsupported extended operation"))
            return False
        sock.sendall(ldap_response(0))
        return True

    return Script(talk)


def postgres(answer: bytes = b"S") -> Script:
    def talk(script: Script, sock: socket.socket) -> bool:
        script.heard.append(recv_exactly(sock, 8))
        sock.sendall(answer)
        return answer == b"S"

    return Script(talk)


SERVERS: dict[str, Callable[[], Script]] = {
    "smtp": smtp, "imap": imap, "pop3": pop3, "ftp": ftp, "xmpp": xmpp, "ldap": ldap, "postgres": postgres,
}


def run(script: Script, cert: tuple[Issued, Issued], protocol: str, **kwargs: object) -> LiveChain:
    leaf, root = cert
    with serve_tls(leaf.pem + root.pem, leaf.key_pem, before_tls=script) as port:
        return fetch_chain(Endpoint(LOCAL, port), starttls=protocol, timeout=5, **kwargs)


@pytest.mark.parametrize("protocol", sorted(SERVERS))
def test_each_protocol_upgrades_and_captures_the_chain(server_cert: tuple[Issued, Issued], protocol: str) -> None:
    script = SERVERS[protocol]()
    live = run(script, server_cert, protocol)
    leaf, root = server_cert
    assert live.certificates_der == tuple(c.cert.public_bytes(Encoding.DER) for c in (leaf, root))
    assert live.starttls == protocol
    assert live.tls_version == "TLSv1.3"
    assert live.alpn is None  # ALPN is offered on implicit TLS only
    assert script.heard  # the server really heard the plain-text request


def test_what_each_client_says(server_cert: tuple[Issued, Issued]) -> None:
    said = {name: SERVERS[name]() for name in SERVERS}
    for name, script in said.items():
        run(script, server_cert, name, server_name="mail.test", compare_sni=False)
    assert said["smtp"].heard == [b"EHLO chaindoctor.invalid\r\n", b"STARTTLS\r\n"]
    assert said["imap"].heard == [b"a1 STARTTLS\r\n"]
    assert said["pop3"].heard == [b"STLS\r\n"]
    assert said["ftp"].heard == [b"AUTH TLS\r\n"]
    assert b"to='mail.test'" in said["xmpp"].heard[0]
    assert said["xmpp"].heard[1] == b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
    assert said["ldap"].heard == [bytes.fromhex("301d02010177188016") + b"1.3.6.1.4.1.1466.20037"]
    assert said["postgres"].heard == [struct.pack("!II", 8, 80877103)]


REFUSALS: dict[str, tuple[Callable[[], Script], str]] = {
    "smtp": (lambda: smtp(refuse=True), '"454 4.7.0 TLS not available due to local problem"'),
    "imap": (lambda: imap(refuse=True), '"a1 BAD STARTTLS is switched off here"'),
    "pop3": (lambda: pop3(refuse=True), '"-ERR TLS not supported"'),
    "ftp": (lambda: ftp(refuse=True), '"534 Request denied for policy reasons."'),
    "xmpp": (lambda: xmpp(refuse="failure"), "\"<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\""),
    "ldap": (lambda: ldap(refuse=True), '"resultCode 2 (protocolError): unsupported extended operation"'),
    "postgres": (lambda: postgres(b"N"), '"N (this server does not accept TLS connections)"'),
}


@pytest.mark.parametrize("protocol", sorted(REFUSALS))
def test_a_refusal_is_one_line_quoting_the_answer(server_cert: tuple[Issued, Issued], protocol: str) -> None:
    make, quoted = REFUSALS[protocol]
    with pytest.raises(LiveError) as caught:
        run(make(), server_cert, protocol)
    message = str(caught.value)
    name = starttls.PROTOCOLS[protocol]
    assert message.startswith("127.0.0.1:") and f" refused STARTTLS ({name}): it answered {quoted}" in message
    assert "\n" not in message
    assert caught.value.kind == "starttls"


def test_xmpp_server_without_starttls_feature(server_cert: tuple[Issued, Issued]) -> None:
    with pytest.raises(LiveError, match=r"refused STARTTLS \(XMPP\): it answered \"<stream:features><mechanisms"):
        run(xmpp(refuse="features"), server_cert, "xmpp")


def test_postgres_error_response_is_quoted(server_cert: tuple[Issued, Issued]) -> None:
    fields = b"SFATAL\x00C08P01\x00Munsupported frontend protocol\x00\x00"
    error = b"E" + struct.pack("!I", 4 + len(fields)) + fields
    with pytest.raises(LiveError, match=r'it answered "unsupported frontend protocol"'):
        run(postgres(error), server_cert, "postgres")


def test_hostile_answer_is_inert_and_cut(server_cert: tuple[Issued, Issued]) -> None:
    hostile = exchange(b"+OK hi\r\n", b"-ERR \x1b[31mred\x1b[0m \xe2\x80\xae" + b"x" * 5000 + b"\r\n", proceed=False)
    with pytest.raises(LiveError) as caught:
        run(hostile, server_cert, "pop3")
    message = str(caught.value)
    assert "\x1b" not in message and "\u202e" not in message and "\\x1b[31m" in message
    assert len(message) < 300 and message.endswith('…"')


def test_data_injected_after_the_go_ahead_is_refused(server_cert: tuple[Issued, Issued]) -> None:
    """Plain text sent before the handshake would be read as TLS (the STARTTLS injection flaw)."""
    with pytest.raises(LiveError, match=r"sent more after agreeing to STARTTLS \(SMTP\), before the TLS handshake: "
                       r"\"250 injected\""):
        run(smtp(after=b"250 injected\r\n"), server_cert, "smtp")


def test_endless_reply_is_capped(server_cert: tuple[Issued, Issued]) -> None:
    endless = exchange(b"220-hello\r\n" * (starttls.MAX_EXCHANGE_BYTES // 11 + 10), proceed=False)
    with pytest.raises(LiveError, match="sent more than 64 KiB during the SMTP STARTTLS exchange") as caught:
        run(endless, server_cert, "smtp")
    assert caught.value.kind == "too-much-data"


def test_not_the_protocol_at_all(server_cert: tuple[Issued, Issued]) -> None:
    with pytest.raises(LiveError, match=r'does not speak SMTP: it sent "SSH-2.0-OpenSSH_9.6"'):
        run(exchange(b"SSH-2.0-OpenSSH_9.6\r\n", proceed=False), server_cert, "smtp")


def test_closed_during_the_exchange(server_cert: tuple[Issued, Issued]) -> None:
    closes = exchange(b"220 hello\r\n", b"", proceed=False)  # answers the EHLO by closing
    with pytest.raises(LiveError, match=r"\d+ closed the connection during the SMTP STARTTLS exchange$") as caught:
        run(closes, server_cert, "smtp")
    assert caught.value.kind == "starttls"

    with pytest.raises(LiveError, match=r"closed the connection during the SMTP STARTTLS exchange after it sent "
                       r"\"220 hel\"$"):
        run(exchange(b"220 hel", proceed=False), server_cert, "smtp")  # closes in the middle of a line


def test_tls_alert_in_answer_to_the_request() -> None:
    alert = bytes.fromhex("15030300020246")  # a TLS alert record: protocol_version
    with serve_tcp(alert) as port:
        with pytest.raises(LiveError, match="answered with TLS at once: it expects TLS from the first byte, not "
                           r"LDAP STARTTLS \(ask for implicit TLS: --starttls none\)"):
            fetch_chain(Endpoint(LOCAL, port), starttls="ldap", timeout=5)


def test_starttls_against_an_implicit_tls_server(server_cert: tuple[Issued, Issued]) -> None:
    """A greeting protocol waits for a greeting that never comes, a request is met by a close;
    either way the message says what to do."""
    leaf, root = server_cert
    with serve_tls(leaf.pem, leaf.key_pem) as port:
        with pytest.raises(LiveError) as caught:
            fetch_chain(Endpoint(LOCAL, port), starttls="imap", timeout=1)
        assert caught.value.kind == "timeout"
        assert "sent no IMAP greeting within 1s" in str(caught.value)
        assert "--starttls none" in str(caught.value)
        with pytest.raises(LiveError, match=r"closed the connection at the LDAP STARTTLS request \(a server that "
                           "expects TLS from the first byte does that; if so, ask for implicit TLS: --starttls none"):
            fetch_chain(Endpoint(LOCAL, port), starttls="ldap", timeout=5)
        live = fetch_chain(Endpoint(LOCAL, port), starttls="none", timeout=5)
    assert live.starttls is None and live.certificates_der


def test_silence_after_the_request_times_out() -> None:
    def talk(sock: socket.socket) -> bool:
        recv_exactly(sock, 8)  # reads the SSLRequest, then says nothing
        recv_line(sock)
        return False

    leaf = issue("db.test")
    with serve_tls(leaf.pem, leaf.key_pem, before_tls=talk) as port:
        with pytest.raises(LiveError, match=r"the PostgreSQL STARTTLS exchange with 127\.0\.0\.1:\d+ timed out "
                           r"after 1s") as caught:
            fetch_chain(Endpoint(LOCAL, port), starttls="postgres", timeout=1)
    assert caught.value.kind == "timeout"


def test_unknown_protocol_is_refused_before_connecting() -> None:
    with pytest.raises(LiveError, match="unknown STARTTLS protocol 'gopher'") as caught:
        fetch_chain(Endpoint(LOCAL, 1), starttls="gopher", timeout=1)
    assert caught.value.kind == "usage"
    with pytest.raises(ValueError, match="choose from smtp, imap, pop3, ftp, xmpp, ldap, postgres, or none"):
        LiveOptions(starttls="gopher")


# --------------------------------------------------------------------------- which protocol a port implies


@pytest.mark.parametrize(("port", "protocol"), [(25, "smtp"), (587, "smtp"), (143, "imap"), (110, "pop3"),
                                                (21, "ftp"), (5432, "postgres"), (389, "ldap"), (5222, "xmpp"),
                                                (443, None), (465, None), (8443, None)])
def test_well_known_ports_imply_starttls(port: int, protocol: str | None) -> None:
    endpoint = Endpoint("mail.example", port)
    assert LiveOptions().starttls_for(endpoint) == protocol
    assert LiveOptions().starttls_for(endpoint, url=True) is None  # smtps://, https://: TLS at once
    assert LiveOptions(starttls="none").starttls_for(endpoint) is None
    assert LiveOptions(starttls="LDAP").starttls_for(endpoint) == "ldap"


def test_sources_use_the_port_and_the_option(server_cert: tuple[Issued, Issued],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    leaf, root = server_cert
    with serve_tls(leaf.pem, leaf.key_pem, before_tls=pop3()) as port:
        monkeypatch.setitem(starttls.IMPLIED_BY_PORT, port, "pop3")  # as if this were port 110
        implied = load_sources([f"{LOCAL}:{port}"], timeout=5)
        assert implied.live[0].starttls == "pop3"
    with serve_tls(leaf.pem, leaf.key_pem, before_tls=ftp()) as port:
        monkeypatch.setitem(starttls.IMPLIED_BY_PORT, port, "pop3")
        asked = load_sources([f"{LOCAL}:{port}"], timeout=5, live=LiveOptions(starttls="ftp"))
        assert asked.live[0].starttls == "ftp"
    with serve_tls(leaf.pem, leaf.key_pem) as port:
        monkeypatch.setitem(starttls.IMPLIED_BY_PORT, port, "smtp")
        said_no = load_sources([f"{LOCAL}:{port}"], timeout=5, live=LiveOptions(starttls="none"))
        as_url = load_sources([f"https://{LOCAL}:{port}/"], timeout=5)
    assert said_no.live[0].starttls is None and as_url.live[0].starttls is None
    assert implied.bundle.certs[0].cert == leaf.cert
