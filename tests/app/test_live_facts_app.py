"""The live bar: SNI, STARTTLS, ALPN, the OCSP staple and what is served without SNI (127.0.0.1 only)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.x509 import ocsp

from tests.app.conftest import SIZE, settle
from tests.app.test_hostile import assert_inert
from tests.pki.test_live_ocsp import Pki, response
from tests.pki.test_starttls import smtp
from tests.tlsserver import issue, serve_tls
from tui.app import make_app
from tui.app.app import ChainDoctorApp
from tui.app.widgets.live import LiveBar
from tui.cli import parse_request

NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)  # the test certificates are fresh
HOSTILE = "[link=https://evil.example]click[/link]\x1b[31m\u202eevil"


@pytest.fixture(scope="module")
def pki() -> Pki:
    root = issue("Live Facts Root", ca=True)
    inter = issue("Live Facts Intermediate", root, ca=True)
    leaf = issue("shop.test", inter, dns_names=("shop.test",))
    return Pki(root, inter, leaf, issue(HOSTILE, inter, dns_names=("default.test",)), issue("Stranger CA", ca=True))


@pytest.fixture()
def roots(pki: Pki, tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "root.pem"
    path.write_bytes(pki.root.pem)
    yield str(path)


def live_app(port: int, roots: str, *extra: str) -> ChainDoctorApp:
    request = parse_request([f"127.0.0.1:{port}", "--roots", roots, "--no-system-roots", "--timeout", "5", *extra])
    app = make_app(request, now=lambda: NOW)
    assert isinstance(app, ChainDoctorApp)
    return app


async def bar_text(app: ChainDoctorApp) -> str:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bar = app.query_one(LiveBar)
        assert bar.display
        assert_inert(bar)
        return bar.text


async def test_sni_a_good_staple_and_another_certificate_without_sni(pki: Pki, roots: str) -> None:
    chain = pki.leaf.pem + pki.inter.pem
    with serve_tls(pki.sibling.pem + pki.inter.pem, pki.sibling.key_pem, ocsp_staple=response(pki),
                   sni_chains={"shop.test": (chain, pki.leaf.key_pem)}) as port:
        text = await bar_text(live_app(port, roots, "--sni", "shop.test"))
    assert f"live 127.0.0.1:{port} sent 2 certificates over TLSv1.3" in text
    assert ", no ALPN, SNI shop.test." in text
    assert "Stapled OCSP response: good, valid until" in text
    assert "Without SNI the server sends another certificate:" in text
    # the other certificate's hostile name, inert: markup as text, escapes and bidi controls visible
    assert "[link=https://evil.example]click[/link]" in text and "\\x1b[31m\\u202eevil" in text
    assert "\x1b" not in text and "\u202e" not in text


async def test_alpn_a_revoked_staple_and_no_sni(pki: Pki, roots: str) -> None:
    staple = response(pki, status=ocsp.OCSPCertStatus.REVOKED, reason=None)
    with serve_tls(pki.leaf.pem + pki.inter.pem, pki.leaf.key_pem, ocsp_staple=staple, alpn=b"h2") as port:
        app = live_app(port, roots, "--no-sni", "--host", "shop.test")
        text = await bar_text(app)
    assert ", ALPN h2, no SNI sent." in text
    assert "Stapled OCSP response: revoked" in text
    assert "Without SNI" not in text  # no name was sent, so there was nothing to compare
    assert app.view is not None and "ocsp-revoked" in app.view.report.codes()


async def test_an_unusable_staple_says_why(pki: Pki, roots: str) -> None:
    stale = response(pki, this_update=NOW - datetime.timedelta(days=10), next_update=NOW - datetime.timedelta(days=3))
    with serve_tls(pki.leaf.pem + pki.inter.pem, pki.leaf.key_pem, ocsp_staple=stale) as port:
        text = await bar_text(live_app(port, roots, "--sni", "shop.test"))
    assert "Stapled OCSP response: good — not usable:" in text
    assert "Without SNI the server sends the same certificate." in text


async def test_starttls_and_no_staple(pki: Pki, roots: str) -> None:
    with serve_tls(pki.leaf.pem + pki.inter.pem, pki.leaf.key_pem, before_tls=smtp()) as port:
        text = await bar_text(live_app(port, roots, "--starttls", "smtp", "--host", "shop.test"))
    assert "after STARTTLS (smtp)" in text
    assert "No OCSP response was stapled." in text
