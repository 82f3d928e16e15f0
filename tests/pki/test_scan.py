"""The scan engine: endpoint lists, bounded concurrency, stable order (loopback servers on 127.0.0.1 only)."""

from __future__ import annotations

import datetime
import threading
from dataclasses import dataclass

import pytest

from tests.tlsserver import Issued, issue, serve_tls_many
from tui.pki import live
from tui.pki.endpoints import Endpoint, LiveOptions
from tui.pki.load import load_bytes
from tui.pki.scan import ScanSettings, Target, TargetError, check_target, default_port, read_targets, scan
from tui.pki.stores import TrustStore


@dataclass(frozen=True)
class Fleet:
    """A root, an intermediate and three ways of serving a leaf for 127.0.0.1."""

    root: Issued
    good: tuple[bytes, bytes]
    missing: tuple[bytes, bytes]  # the intermediate is not sent
    wrong_host: tuple[bytes, bytes]

    @property
    def trust(self) -> TrustStore:
        return TrustStore(load_bytes(self.root.pem, "root.pem").certs)


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    root = issue("Scan Test Root", ca=True, days=365)
    inter = issue("Scan Test Intermediate", root, ca=True, days=365)
    leaf = issue("loopback", inter, ip_addresses=("127.0.0.1",), days=90)
    other = issue("elsewhere.test", inter, dns_names=("elsewhere.test",), days=90)
    return Fleet(root, (leaf.pem + inter.pem, leaf.key_pem), (leaf.pem, leaf.key_pem),
                 (other.pem + inter.pem, other.key_pem))


def targets(ports: list[int]) -> list[Target]:
    return [Target(Endpoint("127.0.0.1", port)) for port in ports]


# --------------------------------------------------------------------------- endpoint lists


def test_read_targets_from_arguments_and_a_file() -> None:
    text = ("# production edge\n\nshop.example.com\n  api.example.com:8443   # the API\n[2001:db8::1]:443\n"
            "https://www.example.com/login\n10.0.0.7\n\t# indented comment\n")
    got = read_targets(["mail.example.com:465"], text, "hosts.txt")
    assert [(t.endpoint.label, t.url) for t in got] == [
        ("mail.example.com:465", False), ("shop.example.com:443", False), ("api.example.com:8443", False),
        ("[2001:db8::1]:443", False), ("www.example.com:443", True), ("10.0.0.7:443", False)]


@pytest.mark.parametrize(("text", "message"), [
    ("ok.example\nbackup:v2\n", "hosts.txt:2: 'backup:v2' is not HOST[:PORT] (the port is not a number)"),
    ("bad host name\n", "hosts.txt:1: 'bad host name' is not HOST[:PORT] (not a DNS name or IP address)"),
    ("a.example:70000\n", "hosts.txt:1: 'a.example:70000' is not HOST[:PORT] (the port is out of range)"),
    ("\x1b[31mred.example\n", "hosts.txt:1: '\\x1b[31mred.example' is not HOST[:PORT] (not a DNS name or IP address)"),
])
def test_a_bad_line_is_named(text: str, message: str) -> None:
    with pytest.raises(TargetError) as caught:
        read_targets([], text, "hosts.txt")
    assert str(caught.value) == message


def test_a_bad_argument_is_named() -> None:
    with pytest.raises(TargetError, match=r"^endpoint 2: 'x:y' is not HOST\[:PORT\] \(the port is not a number\)$"):
        read_targets(["a.example", "x:y"])


def test_bare_hosts_take_the_protocol_port() -> None:
    assert default_port(LiveOptions()) == 443
    assert default_port(LiveOptions(starttls="none")) == 443
    assert default_port(LiveOptions(starttls="smtp")) == 25
    assert read_targets(["mx.example"], default_port=25)[0].endpoint == Endpoint("mx.example", 25)


# --------------------------------------------------------------------------- scanning


def test_results_come_in_the_order_given(fleet: Fleet) -> None:
    servers = [fleet.good, fleet.missing, fleet.wrong_host, None, fleet.good, None]
    progress: list[tuple[int, int]] = []
    with serve_tls_many(servers) as ports:
        results = list(scan(targets(ports), ScanSettings(trust=fleet.trust, timeout=5), jobs=3,
                            progress=lambda done, total: progress.append((done, total))))
    assert [r.index for r in results] == list(range(6))
    assert [r.label for r in results] == [f"127.0.0.1:{p}" for p in ports]
    assert [r.verdict for r in results] == ["ok", "broken", "broken", "unreachable", "ok", "unreachable"]
    assert [r.first_error.code if r.first_error else None for r in results] == [
        None, "missing-intermediate", "hostname-mismatch", None, None, None]
    assert results[3].error == f"connection to 127.0.0.1:{ports[3]} refused"
    assert progress == [(n, 6) for n in range(1, 7)]
    assert results[0].days_left in (89, 90)  # 90 days from issue, less the seconds since
    good = results[0].to_json()
    assert good["endpoint"] == f"127.0.0.1:{ports[0]}" and good["verdict"] == "ok" and good["schema"] == 1
    assert good["live"][0]["endpoint"] == good["endpoint"]
    assert results[3].to_json() == {"endpoint": f"127.0.0.1:{ports[3]}",
                                    "error": f"connection to 127.0.0.1:{ports[3]} refused"}


def test_never_more_than_jobs_connections_and_all_closed(fleet: Fleet, monkeypatch: pytest.MonkeyPatch) -> None:
    open_now, peak = [0], [0]
    lock = threading.Lock()
    connect, close = live._connect, live._close

    def counting_connect(*args: object, **kwargs: object) -> object:
        sock = connect(*args, **kwargs)
        with lock:
            open_now[0] += 1
            peak[0] = max(peak[0], open_now[0])
        return sock

    def counting_close(*args: object, **kwargs: object) -> None:
        close(*args, **kwargs)
        with lock:
            open_now[0] -= 1

    monkeypatch.setattr(live, "_connect", counting_connect)
    monkeypatch.setattr(live, "_close", counting_close)
    with serve_tls_many([fleet.good, fleet.missing] * 15) as ports:
        results = list(scan(targets(ports), ScanSettings(trust=fleet.trust, timeout=5), jobs=4))
    assert len(results) == 30 and {r.verdict for r in results} == {"ok", "broken"}
    assert 1 <= peak[0] <= 4
    assert open_now[0] == 0


def test_validation_time_and_host_apply_to_every_endpoint(fleet: Fleet) -> None:
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=200)
    with serve_tls_many([fleet.good, fleet.wrong_host]) as ports:
        expired = list(scan(targets(ports[:1]), ScanSettings(trust=fleet.trust, at=later, timeout=5)))
        named = list(scan(targets(ports[1:]), ScanSettings(trust=fleet.trust, host="elsewhere.test", timeout=5)))
        sni = check_target(targets(ports[1:])[0],
                           ScanSettings(trust=fleet.trust, live=LiveOptions(sni="elsewhere.test"), timeout=5))
    assert expired[0].verdict == "broken" and expired[0].first_error is not None
    assert expired[0].first_error.code == "expired" and expired[0].days_left is not None and expired[0].days_left < 0
    assert named[0].verdict == "ok"
    assert sni.verdict == "ok" and sni.chain is not None and sni.chain.server_name == "elsewhere.test"
