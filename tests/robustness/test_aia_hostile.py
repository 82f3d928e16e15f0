"""Hostile AIA servers and certificates, all on 127.0.0.1.

Every fetch ends within its timeout and every walk within its budget, however the server trickles,
stalls, redirects or floods; no connection beyond loopback is ever attempted (a socket-level stub
fails the test first); caps that stop a walk are said in the notes; certificates fetched that lead
to no trust anchor never reach the repaired chain.

The elapsed times are checked against the stated bound plus a generous slack: a bound, not a speed
claim. Budgets are kept small through the repair context so the file runs in a few seconds.
"""

from __future__ import annotations

import base64
import ipaddress
import select
import socket
import socketserver
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factory as f
from tests.robustness.support import hang_guard
from tui.pki import aia, fixes
from tui.pki.aia import AIAError
from tui.pki.diagnose import Policy
from tui.pki.fixes import Repair, RepairContext
from tui.pki.model import Bundle
from tui.pki.netguard import AddressPolicy
from tui.pki.stores import TrustStore

TIMEOUT = 0.5  # seconds per fetch in these tests
BUDGET = 1.5  # seconds per walk in these tests
SLACK = 2.0  # what a loaded machine may need beyond a bound; generous on purpose
TRICKLE = 0.1  # seconds between the bytes of a trickling server: far within any per-read timeout
GUARD = 60  # seconds before a run counts as a hang
LOOPBACK = AddressPolicy(loopback=True)
AddrInfo = tuple[int, int, int, str, tuple[object, ...]]  # one getaddrinfo answer
POLICY = Policy(at=f.AT)
# Test host names: the stub resolves them without any lookup; None means "does not resolve".
NAMES: dict[str, str | None] = {"localhost": "127.0.0.1", "loopback.test": "127.0.0.1", "aia.test": "127.0.0.1",
                                "metadata.test": "169.254.169.254", "intranet.test": "10.1.2.3",
                                "only-the-proxy-knows.test": None}


# --------------------------------------------------------------------------- nothing beyond loopback


@pytest.fixture(autouse=True)
def only_loopback(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fail on any connection beyond 127.0.0.1/::1 and any real name lookup; no proxy from the environment."""
    attempts: list[str] = []
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def connect(self: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else str(address)
        if not ipaddress.ip_address(str(host).split("%")[0]).is_loopback:
            attempts.append(str(host))
            raise AssertionError(f"a connection to {address} was attempted")
        real_connect(self, address)

    def getaddrinfo(host: str | bytes | None, port: object, *args: object, **kw: object) -> list[AddrInfo]:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name in NAMES:
            if NAMES[name] is None:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return real_getaddrinfo(NAMES[name], port, *args, **kw)
        try:  # numeric forms (127.1, 2130706433) are parsed, never looked up
            return real_getaddrinfo(name, port, *args, **{**kw, "flags": socket.AI_NUMERICHOST})
        except socket.gaierror:
            attempts.append(f"lookup of {name}")
            raise AssertionError(f"a name lookup of {name} was attempted") from None

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", _create_connection)
    for var in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.upper(), raising=False)
    yield attempts
    assert attempts == [], f"attempted beyond loopback: {attempts}"


def _create_connection(address: tuple[str, int], timeout: float | None = None, *_a: object,
                       **_k: object) -> socket.socket:
    """socket.create_connection through the guarded lookup and connect above (the test proxy uses it)."""
    family, _t, _p, _c, sockaddr = socket.getaddrinfo(address[0], address[1], type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.connect(sockaddr)
    return sock


# --------------------------------------------------------------------------- the hostile server

Conn = socket.socket


def read_request(sock: socket.socket) -> tuple[list[str], bytes]:
    """The request line and header lines, and any bytes after them ([] when the client went away)."""
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 65536:
        chunk = sock.recv(4096)
        if not chunk:
            return [], b""
        head += chunk
    text, _, rest = head.partition(b"\r\n\r\n")
    return text.decode("latin-1").split("\r\n"), rest


def header_values(lines: list[str], name: str) -> list[str]:
    return [ln.split(":", 1)[1].strip() for ln in lines[1:] if ln.lower().startswith(f"{name.lower()}:")]


class Hostile(socketserver.ThreadingTCPServer):
    """An HTTP server on 127.0.0.1 whose routes write raw bytes, as slowly or as wrongly as they like."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Callable[[Hostile, Conn], None]] = {}
        self.hits: Counter[str] = Counter()
        self.hosts: list[str] = []  # the Host header of each request
        self.done = threading.Event()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.server_address[1]}{path}"


class _Handler(socketserver.BaseRequestHandler):
    server: Hostile

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(10)
        try:
            lines, _ = read_request(sock)
            if not lines:
                return
            path = lines[0].split(" ")[1] if len(lines[0].split(" ")) > 1 else "/"
            self.server.hits[path] += 1
            self.server.hosts += header_values(lines, "Host")
            self.server.routes.get(path, not_found)(self.server, sock)
        except OSError:
            pass  # the client gave up, as it should


def _head(status: str, *headers: str) -> bytes:
    return ("\r\n".join([f"HTTP/1.1 {status}", *headers]) + "\r\n\r\n").encode()


def not_found(_s: Hostile, sock: Conn) -> None:
    sock.sendall(_head("404 Not Found", "Content-Length: 0"))


def answer(body: bytes) -> Callable[[Hostile, Conn], None]:
    def route(_s: Hostile, sock: Conn) -> None:
        sock.sendall(_head("200 OK", "Content-Type: application/pkix-cert", f"Content-Length: {len(body)}") + body)

    return route


def redirect(location: str) -> Callable[[Hostile, Conn], None]:
    def route(_s: Hostile, sock: Conn) -> None:
        sock.sendall(_head("302 Found", f"Location: {location}", "Content-Length: 0"))

    return route


def _trickle(server: Hostile, sock: Conn, data: bytes) -> None:
    while not server.done.wait(TRICKLE):
        sock.sendall(data)


def slow_headers(server: Hostile, sock: Conn) -> None:
    sock.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    _trickle(server, sock, b"a")


def slow_body(server: Hostile, sock: Conn) -> None:
    sock.sendall(_head("200 OK", "Content-Length: 100000"))
    _trickle(server, sock, b"0")


def slow_chunks(server: Hostile, sock: Conn) -> None:
    sock.sendall(_head("200 OK", "Transfer-Encoding: chunked"))
    _trickle(server, sock, b"1\r\n0\r\n")


def stall(server: Hostile, _sock: Conn) -> None:
    server.done.wait(30)


def flood(length: str | None, chunked: bool = False) -> Callable[[Hostile, Conn], None]:
    """A body without end, as fast as the client reads it."""

    def route(server: Hostile, sock: Conn) -> None:
        headers = [f"Content-Length: {length}"] if length else []
        headers += ["Transfer-Encoding: chunked"] if chunked else []
        sock.sendall(_head("200 OK", *headers))
        block = b"10000\r\n" + b"0" * 0x10000 + b"\r\n" if chunked else b"0" * 0x10000
        while not server.done.is_set():
            sock.sendall(block)

    return route


@contextmanager
def running(server: socketserver.TCPServer, done: threading.Event | None = None) -> Iterator[None]:
    """Serve from a daemon thread; on the way out release the handlers (``done``) and stop."""
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        if done is not None:
            done.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture()
def hostile() -> Iterator[Hostile]:
    server = Hostile()
    with running(server, server.done):
        yield server


# --------------------------------------------------------------------------- helpers


def with_urls(cn: str, issuer_name: x509.Name, issuer_key: ec.EllipticCurvePrivateKey, urls: list[str], *,
              ca: bool = False) -> f.Issued:
    """A certificate signed by ``issuer_key`` in the name ``issuer_name``, naming all of ``urls`` as caIssuers."""
    key = f.ec_key(cn)
    builder = (x509.CertificateBuilder().subject_name(f.name(cn)).issuer_name(issuer_name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(f.NOT_BEFORE).not_valid_after(f.NOT_AFTER)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.AuthorityInformationAccess(
                   [x509.AccessDescription(x509.AuthorityInformationAccessOID.CA_ISSUERS,
                                           x509.UniformResourceIdentifier(u)) for u in urls]), critical=False))
    return f.Issued(builder.sign(issuer_key, hashes.SHA256()), key)


def leaf_with_urls(cn: str, root: f.Issued, urls: list[str]) -> f.Issued:
    """A leaf naming ``urls``, issued by an intermediate of ``root`` that none of them serves."""
    inter = f.ca(f"{cn} Intermediate", root)
    return with_urls(cn, inter.cert.subject, inter.key, urls)


def context(anchor: f.Issued, **kw: object) -> RepairContext:
    base = dict(allow_network=True, allow_loopback=True, timeout=TIMEOUT, aia_budget=BUDGET)
    return RepairContext(TrustStore([anchor.entry("anchors.pem")]), POLICY, **{**base, **kw})


def timed(run: Callable[[], object]) -> tuple[object, float]:
    start = time.monotonic()
    with hang_guard(GUARD):
        result = run()
    return result, time.monotonic() - start


def repair_within(bundle: Bundle, ctx: RepairContext, fn: Callable[[Bundle, RepairContext], Repair] = fixes.complete
                  ) -> Repair:
    """Run a repair and check it ended within the walk budget (plus slack)."""
    repair, elapsed = timed(lambda: fn(bundle, ctx))
    assert elapsed <= ctx.aia_budget + SLACK, f"{fn.__name__} took {elapsed:.1f} s, budget {ctx.aia_budget} s"
    assert isinstance(repair, Repair)
    return repair


def fetch_within(url: str, timeout: float = TIMEOUT, **kw: object) -> AIAError:
    """Fetch ``url``, which must fail; check it failed within ``timeout`` (plus slack)."""
    def run() -> AIAError:
        with pytest.raises(AIAError) as info:
            aia.fetch_issuers(url, timeout=timeout, **{"addresses": LOOPBACK, **kw})
        return info.value

    err, elapsed = timed(run)
    assert elapsed <= timeout + SLACK, f"fetch took {elapsed:.1f} s, timeout {timeout} s"
    assert isinstance(err, AIAError)
    return err


# --------------------------------------------------------------------------- one fetch, one deadline


@pytest.mark.parametrize("route", [slow_headers, slow_body, slow_chunks, stall])
def test_trickling_or_stalled_server_ends_within_the_timeout(hostile: Hostile, route: Callable[..., None]) -> None:
    hostile.routes["/slow"] = route
    url = hostile.url("/slow")
    assert str(fetch_within(url)) == f"{url}: timed out after {TIMEOUT:g} s"


def test_tls_handshake_that_never_comes_ends_within_the_timeout(hostile: Hostile) -> None:
    url = f"https://127.0.0.1:{hostile.server_address[1]}/ca.der"  # the server reads, never answers the hello
    assert str(fetch_within(url)) == f"{url}: timed out after {TIMEOUT:g} s"


def test_redirects_share_one_deadline(hostile: Hostile) -> None:
    # Each hop answers after most of the timeout: per request none is late, together they are.
    def late_redirect(server: Hostile, sock: Conn) -> None:
        server.done.wait(TIMEOUT * 0.6)
        redirect("/late")(server, sock)

    hostile.routes["/late"] = late_redirect
    url = hostile.url("/late")
    assert str(fetch_within(url)) == f"{url}: timed out after {TIMEOUT:g} s"
    assert hostile.hits["/late"] <= 2


def test_name_resolution_that_hangs_ends_within_the_timeout(hostile: Hostile, monkeypatch: pytest.MonkeyPatch) -> None:
    guarded = socket.getaddrinfo

    def slow_resolver(host: str, *args: object, **kw: object) -> list[AddrInfo]:
        if host == "slow-dns.test":
            hostile.done.wait(30)  # released when the test ends
            host = "127.0.0.1"
        return guarded(host, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", slow_resolver)
    url = hostile.url("/root.der", "slow-dns.test")
    assert str(fetch_within(url)) == f"{url}: timed out after {TIMEOUT:g} s"
    assert hostile.hits["/root.der"] == 0


@pytest.mark.parametrize("route", [flood(None), flood("4294967296"), flood(None, chunked=True)],
                         ids=["no-length", "four-gib-length", "chunked"])
def test_huge_bodies_are_cut_at_the_cap(hostile: Hostile, route: Callable[..., None]) -> None:
    hostile.routes["/huge"] = route
    url = hostile.url("/huge")
    assert str(fetch_within(url, timeout=10)) == f"{url}: larger than 1 MiB"


def test_endless_redirects_stop_at_the_cap(hostile: Hostile) -> None:
    hostile.routes["/loop"] = redirect("/loop")
    url = hostile.url("/loop")
    assert str(fetch_within(url)) == f"{url}: too many redirects (more than {aia.MAX_REDIRECTS})"
    assert hostile.hits["/loop"] == aia.MAX_REDIRECTS + 1


# --------------------------------------------------------------------------- where a fetch may go


@pytest.mark.parametrize(("target", "refused"), [
    ("http://10.0.0.1/ca.der", "10.0.0.1 is a private address, allowed only with --aia-private"),
    ("http://169.254.169.254/latest/meta-data/",
     "169.254.169.254 is a link-local address, allowed only with --aia-private"),
    ("http://[fd00::1]/ca.der", "fd00::1 is a private address, allowed only with --aia-private"),
    ("http://[::ffff:10.0.0.1]/ca.der", "::ffff:a00:1 is a private address, allowed only with --aia-private"),
    ("http://metadata.test/x",
     "metadata.test (169.254.169.254) is a link-local address, allowed only with --aia-private"),
    ("http://intranet.test:8080/x", "intranet.test (10.1.2.3) is a private address, allowed only with --aia-private"),
    ("http://0.0.0.0:9/x", "0.0.0.0 is a unspecified address"),
    ("http://224.0.0.1/x", "224.0.0.1 is a multicast address"),
])
def test_redirect_to_a_non_public_address_is_refused(hostile: Hostile, target: str, refused: str) -> None:
    hostile.routes["/r"] = redirect(target)
    url = hostile.url("/r")
    assert str(fetch_within(url)) == f"{url}: redirect to {target} refused: {refused}"


@pytest.mark.parametrize("host", ["127.0.0.1", "loopback.test", "localhost", "127.1", "2130706433"])
def test_loopback_refused_unless_allowed(hostile: Hostile, host: str) -> None:
    root = f.ca("Loopback Root")
    hostile.routes["/root.der"] = answer(f.der_of(root))
    url = hostile.url("/root.der", host)
    err = fetch_within(url, addresses=AddressPolicy())
    assert str(err).startswith(f"{url}: refused: ") and "is a loopback address" in str(err)
    assert hostile.hits["/root.der"] == 0  # refused before connecting
    assert aia.fetch_issuers(url, timeout=TIMEOUT, addresses=LOOPBACK) == [root.cert]
    assert hostile.hosts == [f"{host}:{hostile.server_address[1]}"]  # connected to the address, asked for the name


def test_private_permission_allows_loopback_in_the_repair(hostile: Hostile) -> None:
    root = f.ca("Private Ok Root")
    inter = f.ca("Private Ok Intermediate", root)
    leaf = f.make("private-ok.example", inter, aia=hostile.url("/inter.der"))
    hostile.routes["/inter.der"] = answer(f.der_of(inter))
    refused = repair_within(f.bundle(leaf), context(root, allow_loopback=False))
    assert not refused.changed and "is a loopback address" in refused.notes[0]
    allowed = repair_within(f.bundle(leaf), context(root, allow_loopback=False, allow_private=True))
    assert [e.sha256 for e in allowed.added] == [inter.sha256]


def test_repair_refuses_a_redirect_to_the_metadata_service(hostile: Hostile) -> None:
    root = f.ca("Metadata Root")
    leaf = f.make("metadata.example", f.ca("Metadata Intermediate", root), aia=hostile.url("/inter.der"))
    hostile.routes["/inter.der"] = redirect("http://169.254.169.254/latest/meta-data/iam/")
    repair = repair_within(f.bundle(leaf), context(root))
    assert not repair.changed
    assert repair.notes == (f"{hostile.url('/inter.der')}: redirect to http://169.254.169.254/latest/meta-data/iam/ "
                            "refused: 169.254.169.254 is a link-local address, allowed only with --aia-private",)


# --------------------------------------------------------------------------- walks: caps and budget


def test_many_stalling_urls_end_within_the_walk_budget(hostile: Hostile) -> None:
    hostile.routes.update({f"/stall{i}": stall for i in range(40)})
    root = f.ca("Stall Root")
    leaf = leaf_with_urls("stall.example", root, [hostile.url(f"/stall{i}") for i in range(40)])
    repair = repair_within(f.bundle(leaf), context(root))
    assert not repair.changed
    assert sum(hostile.hits.values()) <= aia.MAX_URLS_PER_CERT
    assert f"AIA: stopped after {BUDGET:g} s, the time allowed for all AIA fetches of one run" in repair.notes[-1]
    assert any("names 40 caIssuers URLs; only the first 4 were tried" in n for n in repair.notes)


@pytest.mark.parametrize("count", [40, 2000])
def test_urls_per_certificate_are_capped(hostile: Hostile, count: int) -> None:
    root = f.ca(f"Many Root {count}")
    leaf = leaf_with_urls(f"many{count}.example", root, [hostile.url(f"/missing{i}") for i in range(count)])
    repair = repair_within(f.bundle(leaf), context(root, aia_budget=10.0))
    assert sum(hostile.hits.values()) == aia.MAX_URLS_PER_CERT
    assert repair.notes[-1] == (f"AIA: CN=many{count}.example names {count} caIssuers URLs; only the first "
                                f"{aia.MAX_URLS_PER_CERT} were tried")
    left_out = fixes.network_plan(f.bundle(leaf), context(root)).left_out
    assert left_out[0] == hostile.url(f"/missing{aia.MAX_URLS_PER_CERT}")


def _endless_chain(hostile: Hostile, prefix: str, per_level: int = 1) -> f.Issued:
    """A leaf whose issuer, once fetched, names a further issuer, and so on for ever.

    Level ``n`` is served at ``/{prefix}/{n}/{per_level - 1}`` (the other URLs of a level are 404s):
    the CA ``{prefix} {n}``, signed by level ``n + 1``'s key and naming level ``n + 1``'s URLs.
    """

    def path(n: int, i: int = per_level - 1) -> str:
        return f"/{prefix}/{n}/{i}"

    def urls(n: int) -> list[str]:
        return [hostile.url(path(n, i)) for i in range(per_level)]

    def level(n: int) -> Callable[[Hostile, Conn], None]:
        def route(server: Hostile, sock: Conn) -> None:
            cert = with_urls(f"{prefix} {n}", f.name(f"{prefix} {n + 1}"), f.ec_key(f"{prefix} {n + 1}"),
                             urls(n + 1), ca=True)
            server.routes[path(n + 1)] = level(n + 1)
            answer(f.der_of(cert))(server, sock)

        return route

    hostile.routes[path(0)] = level(0)
    return with_urls(f"{prefix}.example", f.name(f"{prefix} 0"), f.ec_key(f"{prefix} 0"), urls(0))


def test_endless_chain_stops_and_adds_nothing(hostile: Hostile) -> None:
    root = f.ca("Endless Root")
    leaf = _endless_chain(hostile, "endless")
    for fn in (fixes.complete, fixes.fix_all):
        hostile.hits.clear()
        repair = repair_within(f.bundle(leaf), context(root, aia_budget=10.0), fn)
        assert repair.added == () and repair.after.certs == (f.bundle(leaf).certs[0],)
        assert sum(hostile.hits.values()) == aia.MAX_DEPTH
        assert f"AIA: stopped at the limit of {aia.MAX_DEPTH} certificates fetched one above the other" in repair.notes
        nowhere = repair.notes[-1]
        assert nowhere.startswith(f"AIA: fetched {aia.MAX_DEPTH} certificate(s) ('CN=endless 0' from ")
        assert f"and {aia.MAX_DEPTH - 3} more), but with them the chain still does not reach a trust anchor" in nowhere
        assert nowhere.endswith("none of them was added")
        assert repair.unresolved == "the issuer of 'CN=endless.example', 'CN=endless 0', was not found"


def test_urls_in_all_are_capped(hostile: Hostile) -> None:
    root = f.ca("Total Root")
    leaf = _endless_chain(hostile, "total", per_level=4)  # each level costs 4 URLs: 3 misses, then the issuer
    repair = repair_within(f.bundle(leaf), context(root, aia_budget=10.0))
    assert sum(hostile.hits.values()) == aia.MAX_URLS
    stop = next(n for n in repair.notes if n.startswith("AIA: stopped"))
    assert stop.startswith(f"AIA: stopped after {aia.MAX_URLS} URLs, the most one run fetches; ")
    assert repair.added == ()


def test_fetched_chain_to_an_untrusted_root_adds_nothing(hostile: Hostile) -> None:
    anchor, other = f.ca("Real Anchor"), f.ca("Attacker Root")
    inter = f.ca("Attacker Intermediate", other, aia=hostile.url("/root.der"))
    leaf = f.make("victim.example", inter, aia=hostile.url("/inter.der"))
    hostile.routes.update({"/inter.der": answer(f.der_of(inter)), "/root.der": answer(f.der_of(other))})
    for keep in (False, True):
        repair = repair_within(f.bundle(leaf), context(anchor, keep_root=keep))
        assert not repair.changed and repair.added == ()
        assert repair.notes == (
            f"AIA: fetched 2 certificate(s) ('CN=Attacker Intermediate' from {hostile.url('/inter.der')}; "
            f"'CN=Attacker Root' from {hostile.url('/root.der')}), but with them the chain still does not reach a "
            "trust anchor (the chain ends at the untrusted root 'CN=Attacker Root'): none of them was added",)
    pool, notes = fixes.aia_pool(f.bundle(leaf), context(anchor))
    assert len(pool) == 0 and notes[-1].endswith("none of them was added")


def test_aia_pool_holds_what_leads_to_an_anchor(hostile: Hostile) -> None:
    root = f.ca("Pool Root")
    inter = f.ca("Pool Intermediate", root, aia=hostile.url("/root.der"))
    leaf = f.make("pool.example", inter, aia=hostile.url("/inter.der"))
    hostile.routes["/inter.der"] = answer(f.der_of(inter))
    offline = context(root, allow_network=False)
    assert fixes.aia_pool(f.bundle(leaf), offline)[0].entries == [] and hostile.hits["/inter.der"] == 0
    pool, notes = fixes.aia_pool(f.bundle(leaf), context(root))
    assert [e.sha256 for e in pool.entries] == [inter.sha256] and notes == []
    assert pool.entries[0].origin.container == "aia" and pool.entries[0].origin.source == hostile.url("/inter.der")
    plan = fixes.network_plan(f.bundle(leaf), offline)
    assert plan.urls == (hostile.url("/inter.der"),) and plan.left_out == ()
    assert plan.hosts == (f"127.0.0.1:{hostile.server_address[1]}",)


# --------------------------------------------------------------------------- https: pinned address, real name


@contextmanager
def serve_https(tmp: Path, routes: dict[str, bytes]) -> Iterator[tuple[int, ssl.SSLContext, list[str]]]:
    """An HTTPS server on 127.0.0.1 for the name aia.test; yields its port, a client context trusting it,
    and the Host headers it received."""
    root = f.ca("HTTPS Test Root")
    inter = f.ca("HTTPS Test Intermediate", root)
    server_cert = f.make("aia.test", inter, dns=["aia.test"])
    (tmp / "server.pem").write_bytes(server_cert.pem + inter.pem)
    (tmp / "server.key").write_bytes(server_cert.key_pem)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(tmp / "server.pem", tmp / "server.key")
    hosts: list[str] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except TimeoutError:
                continue
            try:
                with tls.wrap_socket(raw, server_side=True) as conn:
                    conn.settimeout(5)
                    lines, _ = read_request(conn)
                    hosts.extend(header_values(lines, "Host"))
                    body = routes.get(lines[0].split(" ")[1], b"")
                    conn.sendall(_head("200 OK", f"Content-Length: {len(body)}") + body)
            except (OSError, IndexError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client = ssl.create_default_context(cadata=root.pem.decode())
    try:
        yield listener.getsockname()[1], client, hosts
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def test_https_connects_to_the_checked_address_and_verifies_the_name(tmp_path: Path) -> None:
    root = f.ca("Fetched Over HTTPS")
    with serve_https(tmp_path, {"/root.der": f.der_of(root)}) as (port, client, hosts):
        url = f"https://aia.test:{port}/root.der"
        assert aia.fetch_issuers(url, timeout=5, addresses=LOOPBACK, tls=client) == [root.cert]
        assert hosts == [f"aia.test:{port}"]
        wrong = f"https://loopback.test:{port}/root.der"  # same address, a name the certificate does not have
        assert "TLS: " in str(fetch_within(wrong, timeout=5, tls=client))
        assert "is a loopback address" in str(fetch_within(url, timeout=5, tls=client, addresses=AddressPolicy()))


# --------------------------------------------------------------------------- proxies from the environment


class Proxy(socketserver.ThreadingTCPServer):
    """A forward proxy on 127.0.0.1: absolute-form GET and CONNECT, recording each request line."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.requests: list[str] = []
        self.auth: list[str] = []


class _ProxyHandler(socketserver.BaseRequestHandler):
    server: Proxy

    def handle(self) -> None:
        client: socket.socket = self.request
        client.settimeout(5)
        lines, rest = read_request(client)
        if not lines:
            return
        self.server.requests.append(lines[0])
        self.server.auth += header_values(lines, "Proxy-Authorization")
        method, target, _ = lines[0].split(" ")
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            first = b""
        else:
            parts = target.split("/", 3)
            host, _, port = parts[2].partition(":")
            first = (f"GET /{parts[3] if len(parts) > 3 else ''} HTTP/1.1\r\n".encode()
                     + b"\r\n".join(ln.encode() for ln in lines[1:] if not ln.lower().startswith("proxy-"))
                     + b"\r\n\r\n" + rest)
        try:
            upstream = socket.create_connection((host, int(port or 80)), timeout=5)
        except OSError:
            client.sendall(_head("502 Bad Gateway", "Content-Length: 0"))
            return
        with upstream:
            if method == "CONNECT":
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            upstream.sendall(first)
            _relay(client, upstream)


def _relay(a: socket.socket, b: socket.socket) -> None:
    while True:
        ready, _, _ = select.select([a, b], [], [], 5)
        if not ready:
            return
        for sock in ready:
            data = sock.recv(65536)
            if not data:
                return
            (b if sock is a else a).sendall(data)


@pytest.fixture()
def proxy() -> Iterator[Proxy]:
    server = Proxy()
    with running(server):
        yield server


def test_http_through_the_environment_proxy(hostile: Hostile, proxy: Proxy, monkeypatch: pytest.MonkeyPatch) -> None:
    root = f.ca("Proxied Root")
    hostile.routes["/root.der"] = answer(f.der_of(root))
    monkeypatch.setenv("http_proxy", f"http://user:secret@127.0.0.1:{proxy.server_address[1]}")
    url = hostile.url("/root.der")
    assert aia.fetch_issuers(url, timeout=5, addresses=LOOPBACK) == [root.cert]
    assert proxy.requests == [f"GET {url} HTTP/1.1"]
    assert proxy.auth == ["Basic " + base64.b64encode(b"user:secret").decode()]
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    assert aia.fetch_issuers(url, timeout=5, addresses=LOOPBACK) == [root.cert]
    assert len(proxy.requests) == 1  # no_proxy: straight to the server


def test_https_through_a_connect_tunnel(tmp_path: Path, proxy: Proxy, monkeypatch: pytest.MonkeyPatch) -> None:
    root = f.ca("Tunnelled Root")
    with serve_https(tmp_path, {"/root.der": f.der_of(root)}) as (port, client, hosts):
        monkeypatch.setenv("https_proxy", f"127.0.0.1:{proxy.server_address[1]}")
        url = f"https://aia.test:{port}/root.der"
        assert aia.fetch_issuers(url, timeout=5, addresses=LOOPBACK, tls=client) == [root.cert]
        assert proxy.requests == [f"CONNECT aia.test:{port} HTTP/1.1"] and hosts == [f"aia.test:{port}"]


def test_proxy_never_asked_for_a_refused_address(hostile: Hostile, proxy: Proxy,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{proxy.server_address[1]}")
    for target in ("http://10.0.0.1/ca.der", "http://metadata.test/ca.der"):
        hostile.routes["/r"] = redirect(target)
        url = hostile.url("/r")
        assert str(fetch_within(url, timeout=5)).startswith(f"{url}: redirect to {target} refused: ")
    assert proxy.requests == [f"GET {url} HTTP/1.1"] * 2  # only the first hop, each time
    unknown = "http://only-the-proxy-knows.test/ca.der"  # does not resolve here: the proxy's to resolve
    assert str(fetch_within(unknown, timeout=5)) == f"{unknown}: HTTP 502"
    assert proxy.requests[-1] == f"GET {unknown} HTTP/1.1"


def test_socks_proxy_is_said_to_be_unsupported(hostile: Hostile, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", "socks5://user:secret@127.0.0.1:1080")
    url = hostile.url("/root.der")
    message = str(fetch_within(url))
    assert message == f"{url}: the socks5 proxy 127.0.0.1:1080 is not supported (only http:// proxies)"
    assert "secret" not in message and hostile.hits["/root.der"] == 0


# --------------------------------------------------------------------------- fuzzed responses on the wire

_ROOT = f.ca("Wire Fuzz Root")
_DER = f.der_of(_ROOT)
_STATUS = [b"HTTP/1.1 200 OK", b"HTTP/1.0 200 OK", b"HTTP/1.1 302 Found", b"HTTP/1.1 301 Moved", b"HTTP/1.1 404 No",
           b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK", b"HTTP/1.1 103 Early Hints", b"HTTP/1.1 999 What",
           b"HTTP/9.9 200 OK", b"ICY 200 OK", b"HTTP/1.1 200", b"", b"\x00\xff"]
_HEADERS = [b"Content-Length: 0", b"Content-Length: 5", b"Content-Length: -1", b"Content-Length: 99999999999999999999",
            b"Content-Length: abc", b"Content-Length: 10, 20", b"Transfer-Encoding: chunked",
            b"Transfer-Encoding: gzip, chunked", b"Content-Encoding: gzip", b"Location: /fuzz", b"Location: fuzz",
            b"Location: http://10.0.0.1/x", b"Location: http://[fd00::1]/x", b"Location: file:///etc/passwd",
            b"Location: http://[::1", b"Location: http://nowhere.invalid/x", b"Location: https://127.0.0.1:9/x",
            b"Location: \x00\r", b"Content-Type: application/pkix-cert", b"X: " + b"y" * 70000, b": empty",
            b"no colon at all"]


@st.composite
def wire_responses(draw: st.DrawFn) -> bytes:
    """A raw HTTP response: a status line, headers, and a body (plain or chunked), then perhaps damaged."""
    body = draw(st.sampled_from([_DER, _ROOT.pem, b"", b"garbage\xff", _DER[:100]]))
    if draw(st.booleans()):
        body = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    head = [draw(st.sampled_from(_STATUS)), *draw(st.lists(st.sampled_from(_HEADERS), max_size=5))]
    raw = bytearray(b"\r\n".join(head) + b"\r\n\r\n" + body)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(raw)))
        raw[at:at + draw(st.integers(0, 4))] = draw(st.binary(max_size=6))
    return bytes(raw)


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(response=wire_responses())
def test_fuzzed_responses_give_certificates_or_one_aia_error(hostile: Hostile, monkeypatch: pytest.MonkeyPatch,
                                                            response: bytes) -> None:
    guarded = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: (  # names in a damaged Location: no lookup
        guarded(host, *a, **k) if host in NAMES or _numeric(host) else _no_such_name()))
    hostile.routes["/fuzz"] = lambda _s, sock: sock.sendall(response)
    url = hostile.url("/fuzz")
    with hang_guard(GUARD):
        try:
            certs = aia.fetch_issuers(url, timeout=5, addresses=LOOPBACK)
        except AIAError as err:
            message = str(err)
            assert message.startswith(f"{url}: ") and "\n" not in message
        else:  # the certificate, or whatever certificate a damaged byte made of it
            assert certs and all(isinstance(c, x509.Certificate) for c in certs)


def _numeric(host: object) -> bool:
    try:
        socket.inet_aton(str(host))
        return True
    except OSError:
        try:
            ipaddress.ip_address(str(host))
            return True
        except ValueError:
            return False


def _no_such_name() -> list[AddrInfo]:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

