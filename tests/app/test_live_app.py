"""The app on a live endpoint: the chain as the server sent it, ``R`` to fetch again (127.0.0.1 only)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509

from tests.app.conftest import ROOTS, SAMPLES, SIZE, new_app, record_notes, sample, settle
from tests.tlsserver import _Listener, _pyopenssl_context, pem_blocks, serve_connection, serve_tls
from tui.app.app import ChainDoctorApp
from tui.app.screens.dialogs import ConfirmScreen
from tui.app.widgets.live import LiveBar
from tui.app.widgets.tables import ServedOrder

LEAF_KEY = (SAMPLES / "keys" / "orders.fin.service.local.key").read_bytes()
HOST = "orders.fin.service.local"
LEAF = "CN=orders.fin.service.local"
FIN = "CN=*.fin.service.local Intermediate CA"
SERVICE = "CN=*.service.local Intermediate CA"


GOOD_LEAF, GOOD_FIN, GOOD_SERVICE = pem_blocks(SAMPLES / "good-chain.pem")


class SwappableServer:
    """A loopback TLS server whose served chain can be replaced between handshakes."""

    def __init__(self, chain_pem: bytes, key_pem: bytes) -> None:
        self.key_pem = key_pem
        self.serve(chain_pem)

    def serve(self, chain_pem: bytes) -> None:
        chain = x509.load_pem_x509_certificates(chain_pem)
        self.context = _pyopenssl_context(chain, self.key_pem, [], False, None, None, None)

    def handle(self, conn: socket.socket) -> None:
        serve_connection(self.context, conn)


@contextmanager
def swappable(chain_pem: bytes) -> Iterator[tuple[SwappableServer, _Listener]]:
    server = SwappableServer(chain_pem, LEAF_KEY)
    listener = _Listener("127.0.0.1", server.handle)
    with listener:
        yield server, listener


def live_app(port: int, *extra: str) -> ChainDoctorApp:
    return new_app(f"127.0.0.1:{port}", "--roots", ROOTS, "--host", HOST, "--timeout", "5", *extra)


def served(app: ChainDoctorApp) -> list[tuple[str, str, str]]:
    """(subject, role, origin) of every certificate, in the order the app shows them."""
    assert app.view is not None
    report = app.view.report
    return [(e.subject, role, e.origin.label) for e, role in zip(report.bundle.certs, report.roles, strict=True)]


def served_rows(app: ChainDoctorApp) -> list[list[str]]:
    table = app.query_one(ServedOrder)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_live_source_shows_the_served_order_and_refetch_replaces_it() -> None:
    with swappable(GOOD_LEAF + GOOD_SERVICE + GOOD_FIN) as (server, listener):  # intermediates reversed
        port = listener.port
        app = live_app(port)
        notes = record_notes(app)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            where = f"127.0.0.1:{port}"
            assert served(app) == [(LEAF, "leaf", f"{where}#1"), (SERVICE, "intermediate", f"{where}#2"),
                                   (FIN, "intermediate", f"{where}#3")]
            assert app.view is not None and app.view.report.codes() == {"wrong-order"}
            rows = served_rows(app)
            assert [r[0] for r in rows] == ["#1", "#2", "#3"]
            assert [r[2] for r in rows] == ["leaf", "intermediate", "intermediate"]
            assert "not signed by the next" in rows[0][1]
            assert app.query_one(ServedOrder).border_title == "Served order (as the server sent it)"
            bar = app.query_one(LiveBar)
            assert bar.display and f"live {where} sent 3 certificates" in bar.text and "TLSv1." in bar.text
            assert "client certificate" not in bar.text
            assert app.check_action("refetch", ()) is True

            server.serve(GOOD_LEAF + GOOD_FIN)  # the operator fixed the order but forgot one
            await pilot.press("R")
            await settle(pilot)
            assert served(app) == [(LEAF, "leaf", f"{where}#1"), (FIN, "intermediate", f"{where}#2")]
            assert app.view.report.codes() == {"missing-intermediate"}
            assert f"{where} sent 2 certificates (was 3)." in notes.text()
            assert f"{where} sent 2 certificates" in bar.text

            await pilot.press("R")  # nothing changed on the server
            await settle(pilot)
            assert f"{where} sent the same 2 certificates as before." in notes.text()


async def test_refetch_asks_before_discarding_repairs() -> None:
    with swappable(GOOD_LEAF + GOOD_SERVICE + GOOD_FIN) as (server, listener):
        app = live_app(listener.port)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("o")
            await settle(pilot)
            assert app.history.dirty and [s for s, _, _ in served(app)] == [LEAF, FIN, SERVICE]
            await pilot.press("R")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("n")  # keep working: the repair stays
            await settle(pilot)
            assert app.history.dirty and [s for s, _, _ in served(app)] == [LEAF, FIN, SERVICE]
            await pilot.press("R")
            await pilot.pause()
            await pilot.press("y")
            await settle(pilot)
            assert not app.history.dirty and [s for s, _, _ in served(app)] == [LEAF, SERVICE, FIN]


async def test_refetch_error_is_one_notification_and_the_old_chain_stays() -> None:
    with swappable(GOOD_LEAF + GOOD_FIN + GOOD_SERVICE) as (_server, listener):
        app = live_app(listener.port)
        notes = record_notes(app)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            before = served(app)
            listener.__exit__(None, None, None)  # the server goes away
            await pilot.press("R")
            await settle(pilot)
            assert served(app) == before and app.view is not None and app.view.report.verdict == "ok"
            message, title, severity = notes.items[-1]
            assert title == "Could not fetch again" and severity == "error"
            assert "\n" not in message and f"127.0.0.1:{listener.port}" in message
            assert "the chain shown is the one fetched before" in message


async def test_refetch_is_dimmed_for_file_sources() -> None:
    app = new_app(sample("reversed.pem"), "--roots", ROOTS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.check_action("refetch", ()) is None
        assert not app.query_one(LiveBar).display
        assert app.query_one(ServedOrder).border_title == "Served order (as in the file)"
        before = served(app)
        await pilot.press("R")
        await settle(pilot)
        assert served(app) == before


async def test_server_asking_for_a_client_certificate_names_the_acceptable_cas() -> None:
    mtls = SAMPLES / "mtls"
    server_key = (SAMPLES / "keys" / "api.mtls.local.key").read_bytes()
    with serve_tls((mtls / "server-chain.pem").read_bytes(), server_key,
                   require_client_cert_from=(mtls / "client-root.pem").read_bytes()) as port:
        app = new_app(f"127.0.0.1:{port}", "--roots", str(mtls / "server-root.pem"), "--timeout", "5")
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.view is not None and app.view.report.verdict == "ok"  # --host defaults to 127.0.0.1
            assert app.session.policy.host == "127.0.0.1"
            text = app.query_one(LiveBar).text
            assert "The server asks for a client certificate, issued by one of: CN=mTLS Client Root CA" in text


async def test_hostile_acceptable_ca_names_are_inert(tmp_path: Path) -> None:
    from tests.tlsserver import issue

    hostile = issue("[link=https://evil.example]click[/link]\x1b[31m\u202eevil", ca=True)
    mtls = SAMPLES / "mtls"
    server_key = (SAMPLES / "keys" / "api.mtls.local.key").read_bytes()
    with serve_tls((mtls / "server-chain.pem").read_bytes(), server_key, require_client_cert_from=hostile.pem,
                   client_cert_optional=True) as port:
        app = new_app(f"127.0.0.1:{port}", "--roots", str(mtls / "server-root.pem"), "--timeout", "5")
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            text = app.query_one(LiveBar).text
            assert "[link=https://evil.example]click[/link]" in text  # shown as text, not markup
            assert "\x1b" not in text and "\u202e" not in text and "\\x1b" in text and "\\u202e" in text


def test_refreshed_bundle_replaces_only_the_live_run() -> None:
    from tui.pki.endpoints import Endpoint, LiveChain
    from tui.pki.load import load_bytes
    from tui.pki.session import refreshed_bundle
    from tui.pki.sources import bundle_from_live

    def der(pem: bytes) -> bytes:
        return load_bytes(pem, "x.pem").certs[0].der

    endpoint = Endpoint("127.0.0.1", 8443)
    before = LiveChain(endpoint, (der(GOOD_LEAF), der(GOOD_SERVICE)), (), False, "TLSv1.3", "TLS_AES_128_GCM_SHA256")
    after = LiveChain(endpoint, (der(GOOD_LEAF), der(GOOD_FIN), der(GOOD_SERVICE)), (), False, "TLSv1.3",
                      "TLS_AES_128_GCM_SHA256")
    head = load_bytes(Path(ROOTS).read_bytes(), "roots.pem")
    tail = load_bytes(GOOD_FIN, "extra.pem")
    base = head.merge(bundle_from_live(before)).merge(tail)
    fresh = refreshed_bundle(base, {endpoint.label: after})
    assert [e.origin.label for e in fresh.certs] == ["roots.pem:1", "127.0.0.1:8443#1", "127.0.0.1:8443#2",
                                                     "127.0.0.1:8443#3", "extra.pem:1"]


async def test_opening_a_file_ends_the_live_source(tmp_path: Path) -> None:
    with swappable(GOOD_LEAF + GOOD_FIN + GOOD_SERVICE) as (_server, listener):
        app = live_app(listener.port)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.check_action("refetch", ()) is True
            await pilot.press("O")
            await pilot.pause()
            await pilot.press(*sample("reversed.pem"), "enter")
            await settle(pilot)
            assert [s for s, _, _ in served(app)] == [SERVICE, FIN, LEAF]
            assert app.check_action("refetch", ()) is None and not app.query_one(LiveBar).display
            assert app.query_one(ServedOrder).border_title == "Served order (as in the file)"
