"""SNI control, the comparison without SNI, ALPN, connection facts and SOURCE names with colons
(loopback servers on 127.0.0.1 only)."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from tests.pki.test_live import fake_dns
from tests.tlsserver import Issued, free_port, issue, serve_tls
from tui.pki.diagnose import Policy, diagnose
from tui.pki.endpoints import Endpoint, LiveOptions, not_an_endpoint, parse_server_name
from tui.pki.live import fetch_chain, fetch_with, refetch
from tui.pki.livecheck import live_facts, live_findings
from tui.pki.load import LoadError, load_bytes
from tui.pki.sources import bundle_from_live, is_endpoint, load_sources
from tui.pki.stores import TrustStore
from tui.pki.vocabulary import Code

LOCAL = "127.0.0.1"


def sha(issued: Issued) -> str:
    return hashlib.sha256(issued.cert.public_bytes(Encoding.DER)).hexdigest()


@pytest.fixture(scope="module")
def certs() -> tuple[Issued, Issued, Issued]:
    root = issue("SNI Test Root", ca=True)
    return (issue("shop.test", root, dns_names=("shop.test",)),
            issue("default.test", root, dns_names=("default.test",)), root)


def test_another_certificate_without_sni_is_an_info_finding(certs: tuple[Issued, Issued, Issued]) -> None:
    shop, default, root = certs
    seen: list[str | None] = []
    with serve_tls(default.pem, default.key_pem, server_names=seen,
                   sni_chains={"shop.test": (shop.pem, shop.key_pem)}) as port:
        chain = fetch_chain(Endpoint(LOCAL, port), server_name="shop.test", timeout=5)
    assert seen == ["shop.test", None]
    assert chain.server_name == "shop.test" and chain.sni_differs
    assert chain.certificates_der[0] == shop.cert.public_bytes(Encoding.DER)
    assert chain.no_sni_leaf_der == default.cert.public_bytes(Encoding.DER)
    report = diagnose(bundle_from_live(chain), TrustStore(load_bytes(root.pem, "root.pem").certs),
                      Policy(host="shop.test"))
    findings = live_findings(chain, report)
    assert [f.code for f in findings] == [Code.SNI_DIFFERS]
    finding = findings[0]
    assert finding.severity == "info" and finding.certificates == (sha(shop), sha(default))
    assert "Without a server name (SNI)" in finding.message
    assert "'CN=default.test' instead of 'CN=shop.test' (sent for 'shop.test')" in finding.message
    assert "works in the browser, fails in an old client" in finding.message
    facts = live_facts(chain, report)
    assert facts["without_sni"] == {"same": False, "sha256": sha(default), "subject": "CN=default.test", "error": None}
    assert facts["server_name"] == "shop.test"


def test_same_certificate_without_sni(certs: tuple[Issued, Issued, Issued]) -> None:
    shop, _, _ = certs
    with serve_tls(shop.pem, shop.key_pem) as port:
        chain = fetch_chain(Endpoint(LOCAL, port), server_name="shop.test", timeout=5)
    assert not chain.sni_differs and live_findings(chain) == []
    assert live_facts(chain)["without_sni"] == {"same": True, "sha256": sha(shop), "subject": "CN=shop.test",
                                                "error": None}


def test_server_that_refuses_without_sni(certs: tuple[Issued, Issued, Issued]) -> None:
    shop, _, _ = certs
    with serve_tls(b"", b"", sni_chains={"shop.test": (shop.pem, shop.key_pem)}) as port:
        chain = fetch_chain(Endpoint(LOCAL, port), server_name="shop.test", timeout=5)
    assert chain.certificates_der == (shop.cert.public_bytes(Encoding.DER),)
    assert chain.no_sni_leaf_der is None and not chain.sni_differs
    assert chain.no_sni_error is not None
    assert chain.no_sni_error.startswith(f"the TLS handshake with {LOCAL}:{port} failed")
    assert chain.notes == (f"without a server name (SNI), {LOCAL}:{port} sends no certificate: {chain.no_sni_error}",)
    assert live_findings(chain) == []
    assert live_facts(chain)["without_sni"] == {"same": None, "sha256": None, "subject": None,
                                                "error": chain.no_sni_error}


def test_comparison_without_sni_stays_within_the_budget(certs: tuple[Issued, Issued, Issued]) -> None:
    """A server that stalls the second connection: the chain fetched with SNI is still returned."""
    shop, _, _ = certs
    connections: list[int] = []
    release = threading.Event()

    def stall_the_second(sock: socket.socket) -> bool:
        connections.append(1)
        if len(connections) > 1:
            release.wait(10)
            return False
        return True

    with serve_tls(shop.pem, shop.key_pem, before_tls=stall_the_second) as port:
        try:
            chain = fetch_chain(Endpoint(LOCAL, port), server_name="shop.test", timeout=1)
        finally:
            release.set()
    assert chain.certificates_der == (shop.cert.public_bytes(Encoding.DER),)
    assert chain.no_sni_leaf_der is None and chain.no_sni_error is not None
    assert "timed out" in chain.no_sni_error


def test_no_sni_and_explicit_sni(certs: tuple[Issued, Issued, Issued], monkeypatch: pytest.MonkeyPatch) -> None:
    shop, default, _ = certs
    seen: list[str | None] = []
    with serve_tls(default.pem, default.key_pem, server_names=seen,
                   sni_chains={"shop.test": (shop.pem, shop.key_pem)}) as port:
        fake_dns(monkeypatch, {"lb.test": [(LOCAL, port)]})
        endpoint = Endpoint("lb.test", port)
        silent = fetch_with(LiveOptions(no_sni=True), endpoint, timeout=5)
        named = fetch_with(LiveOptions(sni="Shop.Test."), Endpoint(LOCAL, port), timeout=5)
        again = refetch(named, timeout=5)
        again_silent = refetch(silent, timeout=5)
    assert silent.server_name is None and silent.no_sni_leaf_der is None
    assert silent.certificates_der[0] == default.cert.public_bytes(Encoding.DER)
    assert named.server_name == "shop.test" and named.sni_differs
    assert again.server_name == "shop.test" and again_silent.server_name is None
    assert seen == [None, "shop.test", None, "shop.test", None, None]


def test_server_name_rules() -> None:
    assert parse_server_name(" Www.Example.COM. ") == "www.example.com"
    for bad, words in [("127.0.0.1", "an IP address cannot be sent"), ("[::1]", "an IP address cannot be sent"),
                       ("bad name", "not a DNS name"), ("-x.test", "not a DNS name"), ("", "not a DNS name")]:
        with pytest.raises(ValueError, match=words):
            parse_server_name(bad)
    with pytest.raises(ValueError, match="--sni and --no-sni contradict each other"):
        LiveOptions(sni="a.test", no_sni=True)
    endpoint = Endpoint("site.test", 443)
    assert LiveOptions().server_name_for(endpoint) == "site.test"
    assert LiveOptions().server_name_for(Endpoint(LOCAL, 443)) == ""
    assert LiveOptions(no_sni=True).server_name_for(endpoint) == ""
    assert LiveOptions(sni="other.test").server_name_for(Endpoint(LOCAL, 443)) == "other.test"


def test_alpn_and_connection_facts(certs: tuple[Issued, Issued, Issued]) -> None:
    shop, _, root = certs
    with serve_tls(shop.pem + root.pem, shop.key_pem, alpn=b"h2") as port:
        chain = fetch_chain(Endpoint(LOCAL, port), timeout=5)
    assert chain.alpn == "h2"
    facts = live_facts(chain)
    assert json.loads(json.dumps(facts)) == facts
    assert {k: facts[k] for k in ("endpoint", "server_name", "starttls", "tls_version", "alpn", "certificates",
                                  "client_cert_requested", "acceptable_client_ca_names", "without_sni")} == {
        "endpoint": f"{LOCAL}:{port}", "server_name": None, "starttls": None, "tls_version": "TLSv1.3",
        "alpn": "h2", "certificates": 2, "client_cert_requested": False, "acceptable_client_ca_names": [],
        "without_sni": None}
    assert facts["cipher"] and facts["ocsp"]["stapled"] is False
    with serve_tls(shop.pem, shop.key_pem) as port:
        assert fetch_chain(Endpoint(LOCAL, port), timeout=5).alpn is None  # the server chose none


# --------------------------------------------------------------------------- SOURCE names with colons


@pytest.mark.parametrize(("text", "why"), [
    ("notes:v2", "the port is not a number"),
    ("backup:99999", "the port is out of range"),
    ("bad host:443", "the host is not a DNS name or IP address"),
    ("./dir/x:443", "it looks like a path"),
    ("ftp://example.test", "ftp:// is not a TLS URL scheme"),
    ("chain.pem", "it has no :PORT"),
])
def test_why_a_name_is_not_an_endpoint(text: str, why: str) -> None:
    assert not_an_endpoint(text) == why


def test_missing_file_with_a_colon_says_which_reading_was_chosen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, certs: tuple[Issued, Issued, Issued]
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(LoadError) as caught:
        load_sources(["notes:v2"])
    assert str(caught.value) == "notes:v2: no such file (not an endpoint: the port is not a number)"
    fake_dns(monkeypatch, {})
    with pytest.raises(LoadError) as caught:
        load_sources(["backup:2024"], timeout=2)
    assert str(caught.value) == ("cannot resolve host 'backup' (there is no file 'backup:2024', so it was read "
                                 "as HOST:PORT)")
    shop, _, _ = certs
    Path("backup:2024").write_bytes(shop.pem)  # now a file of that name exists: it is read, nothing connects
    assert is_endpoint("backup:2024") is None
    loaded = load_sources(["backup:2024"])
    assert loaded.live == [] and loaded.bundle.certs[0].cert == shop.cert


def test_connection_refused_through_sources() -> None:
    port = free_port()
    with pytest.raises(LoadError, match=rf"^connection to 127\.0\.0\.1:{port} refused$"):
        load_sources([f"{LOCAL}:{port}"], timeout=2)
