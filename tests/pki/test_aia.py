"""Tests for tui.pki.aia against a local HTTP server on 127.0.0.1 (no other network)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID, NameOID

from tui.pki import aia
from tui.pki.aia import AIAError, aia_urls, follow_chain
from tui.pki.netguard import AddressPolicy

Route = Callable[[BaseHTTPRequestHandler], None]
LOOPBACK = AddressPolicy(loopback=True)  # these servers run on 127.0.0.1, which is refused by default
DER = serialization.Encoding.DER
PEM = serialization.Encoding.PEM


# --------------------------------------------------------------------------- server


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.release = threading.Event()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.server.hits[path] += 1
        route = self.server.routes.get(path)
        if route is None:
            self.send_error(404)
            return
        route(self)

    def log_message(self, format: str, *args: object) -> None:
        pass


def body(data: bytes, *, length: bool = True, ctype: str = "application/pkix-cert") -> Route:
    def route(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", ctype)
        if length:
            h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return route


def redirect(location: str, code: int = 302) -> Route:
    def route(h: BaseHTTPRequestHandler) -> None:
        h.send_response(code)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return route


def stall_before_headers(h: BaseHTTPRequestHandler) -> None:
    h.server.release.wait(10)


def stall_in_body(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Length", "1000")
    h.end_headers()
    h.wfile.write(b"0" * 10)
    h.wfile.flush()
    h.server.release.wait(10)


# --------------------------------------------------------------------------- certificates

NOW = dt.datetime.now(dt.UTC)


def make_cert(
    cn: str,
    key: ec.EllipticCurvePrivateKey,
    issuer_cn: str,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool = True,
    aia: list[str] | None = None,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_cn)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if aia:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                        x509.UniformResourceIdentifier(u)) for u in aia]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@dataclass
class PKI:
    base: str
    server: _Server
    root: x509.Certificate
    int1: x509.Certificate
    int2: x509.Certificate
    leaf: x509.Certificate
    int2_key: ec.EllipticCurvePrivateKey


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every request on 127.0.0.1 even if the environment names a proxy."""
    for var in ("http_proxy", "https_proxy", "all_proxy", "ftp_proxy"):
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.upper(), raising=False)
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")


@pytest.fixture(scope="module")
def pki() -> Iterator[PKI]:
    server = _Server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = server.base  # known only now: the certificates point here
    root_key, int1_key, int2_key, leaf_key = new_key(), new_key(), new_key(), new_key()
    root = make_cert("Test Root", root_key, "Test Root", root_key)
    int1 = make_cert("Test Int 1", int1_key, "Test Root", root_key, aia=[f"{base}/root.der"])
    int2 = make_cert("Test Int 2", int2_key, "Test Int 1", int1_key, aia=[f"{base}/int1.pem"])
    leaf = make_cert("leaf.test", leaf_key, "Test Int 2", int2_key, ca=False,
                     aia=[f"{base}/int2.p7c"])
    server.routes.update({
        "/root.der": body(root.public_bytes(DER)),
        "/int1.pem": body(b"issuer follows\n" + int1.public_bytes(PEM)),
        "/int2.p7c": body(pkcs7.serialize_certificates([int2], DER), ctype="application/pkcs7-mime"),
    })
    try:
        yield PKI(base, server, root, int1, int2, leaf, int2_key)
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


# --------------------------------------------------------------------------- aia_urls


def test_aia_urls(pki: PKI) -> None:
    assert aia_urls(pki.leaf) == [f"{pki.base}/int2.p7c"]
    assert aia_urls(pki.root) == []


def test_aia_urls_skips_ocsp_and_duplicates() -> None:
    key = new_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "y")]))
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + dt.timedelta(days=1))
        .add_extension(x509.AuthorityInformationAccess([
            x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                                   x509.UniformResourceIdentifier("http://ocsp.invalid/")),
            x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                   x509.UniformResourceIdentifier("http://a.invalid/ca.der")),
            x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                   x509.UniformResourceIdentifier("http://a.invalid/ca.der")),
            x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                   x509.UniformResourceIdentifier("ldap://b.invalid/cn=ca")),
        ]), critical=False)
        .sign(key, hashes.SHA256())
    )
    assert aia_urls(cert) == ["http://a.invalid/ca.der", "ldap://b.invalid/cn=ca"]


def test_aia_urls_malformed_extension() -> None:
    key = new_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")]))
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + dt.timedelta(days=1))
        .add_extension(x509.UnrecognizedExtension(ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
                                                  b"\x30\x03\x02\x01"), critical=False)
        .sign(key, hashes.SHA256())
    )
    assert aia_urls(cert) == []


# --------------------------------------------------------------------------- fetch_issuers


def fetch_issuers(url: str, **kw: object) -> list[x509.Certificate]:
    """fetch_issuers with loopback allowed (and nothing private)."""
    return aia.fetch_issuers(url, addresses=LOOPBACK, **kw)


def test_loopback_refused_by_default(pki: PKI) -> None:
    url = f"{pki.base}/root.der"
    hits = pki.server.hits["/root.der"]
    with pytest.raises(AIAError) as info:
        aia.fetch_issuers(url)
    assert str(info.value) == f"{url}: refused: 127.0.0.1 is a loopback address, allowed only with --aia-private"
    assert pki.server.hits["/root.der"] == hits


def test_fetch_der(pki: PKI) -> None:
    assert fetch_issuers(f"{pki.base}/root.der") == [pki.root]


def test_fetch_pem_with_surrounding_text(pki: PKI) -> None:
    assert fetch_issuers(f"{pki.base}/int1.pem") == [pki.int1]
    pki.server.routes["/two.pem"] = body(pki.int1.public_bytes(PEM) + pki.root.public_bytes(PEM))
    assert fetch_issuers(f"{pki.base}/two.pem") == [pki.int1, pki.root]


def test_fetch_pkcs7_der_and_pem(pki: PKI) -> None:
    assert fetch_issuers(f"{pki.base}/int2.p7c") == [pki.int2]
    pki.server.routes["/bundle.p7b"] = body(pkcs7.serialize_certificates([pki.int1, pki.root], PEM))
    assert set(fetch_issuers(f"{pki.base}/bundle.p7b")) == {pki.int1, pki.root}


def test_fetch_404(pki: PKI) -> None:
    url = f"{pki.base}/missing.der"
    with pytest.raises(AIAError) as info:
        fetch_issuers(url)
    assert str(info.value) == f"{url}: HTTP 404"


def test_fetch_not_a_certificate(pki: PKI) -> None:
    pki.server.routes["/junk"] = body(b"<html>hello</html>", ctype="text/html")
    url = f"{pki.base}/junk"
    with pytest.raises(AIAError) as info:
        fetch_issuers(url)
    assert str(info.value) == f"{url}: not a certificate"


@pytest.mark.parametrize("with_length", [True, False])
def test_fetch_too_large(pki: PKI, with_length: bool) -> None:
    path = f"/big-{with_length}"
    pki.server.routes[path] = body(b"0" * 5000, length=with_length)
    url = pki.base + path
    with pytest.raises(AIAError) as info:
        fetch_issuers(url, max_bytes=1024)
    assert str(info.value) == f"{url}: larger than 1 KiB"
    assert fetch_issuers(f"{pki.base}/root.der", max_bytes=len(pki.root.public_bytes(DER))) == [pki.root]


def test_redirects_within_and_over_limit(pki: PKI) -> None:
    pki.server.routes.update({
        "/r3": redirect("/r2", 301),
        "/r2": redirect(f"{pki.base}/r1", 307),
        "/r1": redirect("/root.der", 302),
    })
    assert fetch_issuers(f"{pki.base}/r3", max_redirects=3) == [pki.root]
    url = f"{pki.base}/r3"
    with pytest.raises(AIAError) as info:
        fetch_issuers(url, max_redirects=2)
    assert str(info.value) == f"{url}: too many redirects (more than 2)"
    with pytest.raises(AIAError, match="too many redirects"):
        fetch_issuers(f"{pki.base}/r1", max_redirects=0)


def test_redirect_loop_is_bounded(pki: PKI) -> None:
    pki.server.routes["/loop"] = redirect("/loop")
    with pytest.raises(AIAError, match="too many redirects"):
        fetch_issuers(f"{pki.base}/loop", max_redirects=3)
    assert pki.server.hits["/loop"] <= 4


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/ca.der"])
def test_redirect_to_other_scheme_refused(pki: PKI, target: str) -> None:
    path = "/to-" + target.split(":")[0]
    pki.server.routes[path] = redirect(target)
    url = pki.base + path
    with pytest.raises(AIAError) as info:
        fetch_issuers(url)
    assert str(info.value).startswith(f"{url}: redirect to {target} refused")


def test_ldap_refused() -> None:
    url = "ldap://ldap.invalid/cn=CA?cACertificate;binary"
    with pytest.raises(AIAError) as info:
        fetch_issuers(url)
    assert str(info.value) == f"unsupported URL scheme 'ldap' in {url}"


@pytest.mark.parametrize("route", [stall_before_headers, stall_in_body])
def test_stalled_server_times_out(pki: PKI, route: Route) -> None:
    path = f"/stall-{route.__name__}"
    pki.server.routes[path] = route
    url = pki.base + path
    start = time.monotonic()
    with pytest.raises(AIAError) as info:
        fetch_issuers(url, timeout=0.5)
    assert str(info.value) == f"{url}: timed out after 0.5 s"
    assert time.monotonic() - start < 3


# --------------------------------------------------------------------------- follow_chain


def test_follow_chain_to_root(pki: PKI) -> None:
    found, errors = follow_chain(pki.leaf, fetch=fetch_issuers)
    assert errors == []
    assert found == [
        (pki.int2, f"{pki.base}/int2.p7c"),
        (pki.int1, f"{pki.base}/int1.pem"),
        (pki.root, f"{pki.base}/root.der"),
    ]


def test_follow_chain_stops_at_known(pki: PKI) -> None:
    found, errors = follow_chain(pki.leaf, is_known=lambda c: c == pki.int1, fetch=fetch_issuers)
    assert [c for c, _ in found] == [pki.int2, pki.int1] and errors == []


def test_follow_chain_max_depth(pki: PKI) -> None:
    found, notes = follow_chain(pki.leaf, max_depth=1, fetch=fetch_issuers)
    assert [c for c, _ in found] == [pki.int2]
    depth_note = "AIA: stopped at the limit of 1 certificates fetched one above the other"
    assert notes == [depth_note]  # the cap is said, never silent
    assert follow_chain(pki.leaf, max_depth=0, fetch=fetch_issuers) == ([], [depth_note.replace("1", "0")])


def test_follow_chain_self_signed_start(pki: PKI) -> None:
    calls: list[str] = []

    def fetch(url: str, **_kw: object) -> list[x509.Certificate]:
        calls.append(url)
        return []

    assert follow_chain(pki.root, fetch=fetch) == ([], [])
    assert calls == []


def test_follow_chain_cycle_terminates(pki: PKI) -> None:
    key_a, key_b, leaf_key = new_key(), new_key(), new_key()
    x_url, y_url = f"{pki.base}/cycle-x.der", f"{pki.base}/cycle-y.der"
    cert_x = make_cert("Cross A", key_a, "Cross B", key_b, aia=[y_url])  # A, signed by B
    cert_y = make_cert("Cross B", key_b, "Cross A", key_a, aia=[x_url])  # B, signed by A
    leaf = make_cert("cycle.test", leaf_key, "Cross A", key_a, ca=False, aia=[x_url])
    pki.server.routes["/cycle-x.der"] = body(cert_x.public_bytes(DER))
    pki.server.routes["/cycle-y.der"] = body(cert_y.public_bytes(DER))
    found, errors = follow_chain(leaf, max_depth=100, fetch=fetch_issuers)
    assert found == [(cert_x, x_url), (cert_y, y_url)]
    assert errors == []
    assert pki.server.hits["/cycle-x.der"] + pki.server.hits["/cycle-y.der"] <= 3


def test_follow_chain_ignores_wrong_signer(pki: PKI) -> None:
    # Names int2 as issuer but the AIA serves int1, which did not sign it.
    wrong = make_cert("wrong.test", new_key(), "Test Int 2", pki.int2_key, ca=False,
                      aia=[f"{pki.base}/int1.pem"])
    found, errors = follow_chain(wrong, fetch=fetch_issuers)
    assert found == []
    assert len(errors) == 1
    assert errors[0].startswith(f"{pki.base}/int1.pem: ") and "did not sign" in errors[0]


def test_follow_chain_reports_failed_urls_and_tries_next(pki: PKI) -> None:
    leaf = make_cert("multi.test", new_key(), "Test Int 2", pki.int2_key, ca=False,
                     aia=["ldap://ldap.invalid/cn=x", f"{pki.base}/gone.der", f"{pki.base}/int2.p7c"])
    found, errors = follow_chain(leaf, is_known=lambda c: c == pki.int2, fetch=fetch_issuers)
    assert found == [(pki.int2, f"{pki.base}/int2.p7c")]
    assert errors == [f"{pki.base}/gone.der: HTTP 404"]  # http(s) first; ldap never needed


def test_follow_chain_ldap_only(pki: PKI) -> None:
    leaf = make_cert("ldap.test", new_key(), "Test Int 2", pki.int2_key, ca=False,
                     aia=["ldap://ldap.invalid/cn=x"])
    found, errors = follow_chain(leaf, fetch=fetch_issuers)
    assert found == []
    assert errors == ["unsupported URL scheme 'ldap' in ldap://ldap.invalid/cn=x"]


# --------------------------------------------------------------------------- the walk's budget


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_walk_gives_each_fetch_the_smaller_of_its_timeout_and_what_is_left() -> None:
    clock = FakeClock()
    walk = aia.Walk(timeout=5.0, seconds=12.0, urls=10, clock=clock)
    assert walk.take("http://a.test/1") == 5.0
    clock.now += 9.0
    assert walk.take("http://a.test/2") == 3.0
    clock.now += 3.0
    assert walk.take("http://a.test/3") is None
    assert walk.stopped == ("AIA: stopped after 12 s, the time allowed for all AIA fetches of one run; "
                            "http://a.test/3 and any further ones were not fetched")
    assert walk.take("http://a.test/4") is None and "a.test/3" in (walk.stopped or "")  # the first reason stays


def test_walk_counts_urls() -> None:
    walk = aia.Walk(urls=2, clock=FakeClock())
    assert walk.take("http://a.test/1") and walk.take("http://a.test/2")
    assert walk.take("http://a.test/3") is None
    assert walk.stopped == ("AIA: stopped after 2 URLs, the most one run fetches; "
                            "http://a.test/3 and any further ones were not fetched")


def test_follow_chain_says_when_the_walk_ran_out(pki: PKI) -> None:
    clock = FakeClock()

    def slow_fetch(url: str, **kw: object) -> list[x509.Certificate]:
        clock.now += 20.0  # this fetch used up the walk
        raise AIAError(f"{url}: timed out after {kw['timeout']:g} s")

    walk = aia.Walk(timeout=5.0, seconds=15.0, clock=clock)
    found, notes = follow_chain(pki.leaf, fetch=slow_fetch, walk=walk)
    assert found == []
    assert notes == [f"{pki.base}/int2.p7c: timed out after 5 s",
                     "AIA: stopped after 15 s, the time allowed for all AIA fetches of one run"]
    assert follow_chain(pki.leaf, fetch=slow_fetch, walk=walk) == ([], [])  # spent: no fetch, said once


def test_planned_urls_and_hosts() -> None:
    key = new_key()
    urls = ["ldap://l.test/x", "http://a.test/1", "https://b.test:8443/2", "http://a.test/3", "http://c.test/4",
            "http://d.test/5"]
    cert = make_cert("plan.test", key, "Plan CA", key, ca=False, aia=urls)
    tried, left_out = aia.planned_urls(cert)
    assert tried == urls[1:5] and left_out == ["http://d.test/5", "ldap://l.test/x"]  # http(s) first, 4 at most
    assert aia.hosts(tried) == ["a.test", "b.test:8443", "c.test"]
