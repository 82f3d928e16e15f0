"""The question before an AIA fetch: every host contacted first, what may follow, and the bounds.

No fetch happens here: the app is answered "Without network", the rest only reads a plan."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID

from tests import factory
from tests.app.conftest import new_app, record_notes, settle
from tests.app.test_hostile import assert_inert
from tui.app.repairs import MAX_HOSTS_SHOWN, network_detail
from tui.app.screens.dialogs import ConfirmScreen
from tui.pki import aia
from tui.pki.fixes import NetworkPlan, RepairContext
from tui.pki.stores import TrustStore

HOSTILE_HOST = "evil\x1b\x07-x.example"  # a URI is ASCII; a host name in it may still hold controls


def many_urls(count: int) -> list[str]:
    """``count`` caIssuers URLs on as many hosts, one of them with a hostile name."""
    urls = [f"http://ca{i}.example{':8080' if i % 3 == 1 else ''}/issuer-{i}.der" for i in range(count)]
    urls[2] = f"http://{HOSTILE_HOST}/issuer.der"
    return urls


def leaf_naming(urls: list[str], inter: factory.Issued) -> x509.Certificate:
    key = factory.ec_key("consent.example")
    issuer_key = inter.key
    assert isinstance(issuer_key, ec.EllipticCurvePrivateKey)  # the factory's CAs have EC keys
    builder = (x509.CertificateBuilder().subject_name(factory.name("consent.example"))
               .issuer_name(inter.cert.subject).public_key(key.public_key()).serial_number(4242)
               .not_valid_before(factory.NOT_BEFORE).not_valid_after(factory.NOT_AFTER)
               .add_extension(x509.SubjectAlternativeName([x509.DNSName("consent.example")]), False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False)
               .add_extension(x509.AuthorityInformationAccess(
                   [x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                           x509.UniformResourceIdentifier(u)) for u in urls]), False))
    return builder.sign(issuer_key, hashes.SHA256())


def write_chain(folder: Path, count: int) -> tuple[Path, Path]:
    """A leaf naming ``count`` caIssuers URLs, served without its intermediate; and the root to trust."""
    root = factory.ca("Consent Root")
    inter = factory.ca("Consent Intermediate", root)
    leaf = factory.Issued(leaf_naming(many_urls(count), inter), inter.key)
    chain, roots = folder / "leaf.pem", folder / "root.pem"
    chain.write_bytes(leaf.pem)
    roots.write_bytes(root.pem)
    return chain, roots


async def test_forty_addresses_on_many_hosts_the_question_names_hosts_left_out_and_bounds(tmp_path: Path) -> None:
    chain, roots = write_chain(tmp_path, 40)
    app = new_app(str(chain), "--roots", str(roots))
    notes = record_notes(app)
    async with app.run_test(size=(80, 24)) as pilot:  # the smallest supported terminal
        await settle(pilot)
        assert app.view is not None and "missing-intermediate" in app.view.report.codes()
        await pilot.press("c")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        detail = dialog.detail.plain
        assert "Hosts contacted first (4): ca0.example, ca1.example:8080, evil\\x1b\\x07-x.example, ca3.example" \
            in detail
        assert "The certificate names 36 more addresses, left out: at most 4 are tried per certificate." in detail
        assert "each further address is checked the same way" in detail
        assert "loopback, private and link-local addresses are refused" in detail
        assert (f"Bounds: {aia.FETCH_TIMEOUT:g} s per fetch, {aia.WALK_BUDGET:g} s for the whole walk, "
                f"{aia.MAX_URLS_PER_CERT} addresses per certificate and {aia.MAX_URLS} in all") in detail
        assert "\x1b" not in detail and "\x07" not in detail
        for widget in dialog.query("Static"):
            assert_inert(widget)
        for button in ("#yes", "#no"):  # both answers stay on screen at 80x24
            region = dialog.query_one(button).region
            assert region.height > 0 and region.bottom <= 24 and region.right <= 80
        await pilot.press("n")  # without network: nothing is fetched
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert "Nothing changed" in notes.text()
        assert not app.session.allow_network


async def test_aia_private_is_said_and_a_long_host_list_ends_with_and_n_more() -> None:
    urls = tuple(f"https://host{i}.example/ca.der" for i in range(MAX_HOSTS_SHOWN + 5)) + ("ldap://dir.example/cn=ca",)
    ctx = RepairContext(anchors=TrustStore([]), allow_private=True, timeout=2.0)
    text = network_detail(NetworkPlan(urls), ctx).plain
    shown = ", ".join(f"host{i}.example" for i in range(MAX_HOSTS_SHOWN))
    assert f"Hosts contacted first ({MAX_HOSTS_SHOWN + 5}): {shown} and 5 more" in text
    assert "1 address uses a scheme other than http(s)" in text
    assert "addresses are allowed here (--aia-private)" in text
    assert "Bounds: 2 s per fetch" in text
    assert "left out" not in text
    assert "proxy" not in text


def test_the_environments_proxy_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:3128")
    monkeypatch.setenv("no_proxy", "direct.example")
    ctx = RepairContext(anchors=TrustStore([]))
    text = network_detail(NetworkPlan(("https://ca.example/i.der", "https://direct.example/i.der")), ctx).plain
    assert "Through the proxy your environment names: 127.0.0.1:3128" in text
    assert network_detail(NetworkPlan(("https://direct.example/i.der",)), ctx).plain.count("proxy") == 0
