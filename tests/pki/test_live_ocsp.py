"""OCSP stapling: loopback servers staple responses built here; chaindoctor judges them (127.0.0.1 only)."""

from __future__ import annotations

import datetime
import json
import selectors
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.tlsserver import Issued, issue, serve_tls
from tui.pki.diagnose import Policy, Report, diagnose
from tui.pki.endpoints import Endpoint, LiveChain
from tui.pki.live import fetch_chain
from tui.pki.livecheck import add_live_findings, live_facts, live_findings, staple_for
from tui.pki.load import load_bytes
from tui.pki.sources import bundle_from_live
from tui.pki.stores import TrustStore
from tui.pki.vocabulary import Code

NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Pki:
    root: Issued
    inter: Issued
    leaf: Issued
    sibling: Issued  # another leaf of the same intermediate
    stranger_ca: Issued


def responder(name: str, issuer: Issued, *, eku: bool = True) -> Issued:
    """A delegated OCSP responder certificate issued by ``issuer``."""
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
               .issuer_name(issuer.cert.subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(NOW - DAY).not_valid_after(NOW + 30 * DAY))
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
    return Issued(builder.sign(issuer.key, hashes.SHA256()), key)


@pytest.fixture(scope="module")
def pki() -> Pki:
    root = issue("OCSP Test Root", ca=True)
    inter = issue("OCSP Test Intermediate", root, ca=True)
    # serials of one length: a response about the sibling can then be as long as one about the leaf
    leaf = issue("shop.test", inter, dns_names=("shop.test",), serial=0x4C_EA_F0_01 << 120)
    sibling = issue("other.test", inter, dns_names=("other.test",), serial=0x4C_EA_F0_02 << 120)
    return Pki(root, inter, leaf, sibling, issue("Stranger CA", ca=True))


def response(
    pki: Pki,
    *,
    status: ocsp.OCSPCertStatus = ocsp.OCSPCertStatus.GOOD,
    about: Issued | None = None,
    this_update: datetime.datetime = NOW - datetime.timedelta(hours=1),
    next_update: datetime.datetime | None = NOW + 3 * DAY,
    signer: Issued | None = None,
    named: Issued | None = None,
    include: tuple[Issued, ...] = (),
    reason: x509.ReasonFlags | None = None,
) -> bytes:
    """A DER OCSP response about ``about`` (the leaf), signed by ``signer`` (the intermediate),
    naming ``named`` (the signer) as responder and carrying ``include``."""
    signer = signer or pki.inter
    revoked = status is ocsp.OCSPCertStatus.REVOKED
    builder = (ocsp.OCSPResponseBuilder()
               .add_response(cert=(about or pki.leaf).cert, issuer=pki.inter.cert, algorithm=hashes.SHA1(),
                             cert_status=status, this_update=this_update, next_update=next_update,
                             revocation_time=NOW - 2 * DAY if revoked else None,
                             revocation_reason=reason if revoked else None)
               .responder_id(ocsp.OCSPResponderEncoding.HASH, (named or signer).cert))
    if include:
        builder = builder.certificates([c.cert for c in include])
    return builder.sign(signer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def corrupt_signature(der: bytes) -> bytes:
    """The response with the last byte of its signature changed (it stays well-formed)."""
    signature = ocsp.load_der_ocsp_response(der).signature
    at = der.rindex(signature) + len(signature) - 1
    return der[:at] + bytes((der[at] ^ 0x01,)) + der[at + 1 :]


@contextmanager
def rewriting_proxy(upstream: int, old: bytes, new: bytes) -> Iterator[int]:
    """A loopback relay to ``upstream`` that replaces ``old`` by ``new`` (same length) in what the
    server sends. Today's OpenSSL servers staple only a response about the certificate they serve;
    older ones staple any file they are given, and this relay plays such a server over TLS 1.2,
    where the CertificateStatus message travels in the clear. The client notices the change at the
    end of the handshake (the transcript differs), after it has received the certificates and the staple.
    """
    assert len(old) == len(new)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def relay() -> None:
        listener.settimeout(5)
        try:
            client, _ = listener.accept()
        except OSError:
            return
        server = socket.create_connection(("127.0.0.1", upstream))
        pending = b""
        with selectors.DefaultSelector() as selector, client, server:
            selector.register(client, selectors.EVENT_READ)
            selector.register(server, selectors.EVENT_READ)
            while not stop.is_set():
                for key, _ in selector.select(0.05):
                    data = key.fileobj.recv(65536)
                    if not data:
                        client.sendall(pending)
                        return
                    if key.fileobj is client:
                        server.sendall(data)
                        continue
                    pending = (pending + data).replace(old, new)
                    keep = next((n for n in range(min(len(old) - 1, len(pending)), 0, -1)
                                 if old.startswith(pending[-n:])), 0)  # a match may be cut in two
                    client.sendall(pending[: len(pending) - keep])
                    pending = pending[len(pending) - keep :]

    thread = threading.Thread(target=relay, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()
        thread.join(2)


def serve_and_judge(pki: Pki, staple: bytes, *, served: tuple[Issued, ...] | None = None,
                    at: datetime.datetime | None = None, instead: bytes | None = None) -> tuple[LiveChain, Report]:
    """Serve ``served`` stapling ``staple`` (or, through a rewriting relay, ``instead``); fetch and diagnose."""
    served = served or (pki.leaf, pki.inter)
    version = "1.2" if instead is not None else None
    with serve_tls(b"".join(c.pem for c in served), served[0].key_pem, ocsp_staple=staple,
                   max_version=version) as port:
        if instead is None:
            chain = fetch_chain(Endpoint("127.0.0.1", port), server_name="shop.test", timeout=5)
        else:
            with rewriting_proxy(port, staple, instead) as relay:
                chain = fetch_chain(Endpoint("127.0.0.1", relay), server_name="shop.test", timeout=5,
                                    compare_sni=False)
            assert chain.handshake_error is not None  # the transcript changed, as expected
    trust = TrustStore(load_bytes(pki.root.pem, "root.pem").certs)
    report = diagnose(bundle_from_live(chain), trust, Policy(host="shop.test", at=at))
    return chain, report


def codes(chain: LiveChain, report: Report) -> list[str]:
    return [f.code for f in live_findings(chain, report)]


def leaf_sha(pki: Pki) -> str:
    import hashlib

    return hashlib.sha256(pki.leaf.cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def test_good_staple(pki: Pki) -> None:
    chain, report = serve_and_judge(pki, response(pki))
    assert chain.ocsp_staple is not None
    staple = staple_for(chain, report)
    assert (staple.stapled, staple.status, staple.for_leaf, staple.signed_by) == (True, "good", True, "issuer")
    assert staple.usable and staple.problems == ()
    assert staple.serial == pki.leaf.cert.serial_number
    assert codes(chain, report) == []
    facts = live_facts(chain, report)
    json.dumps(facts)  # JSON-ready
    assert facts["ocsp"]["status"] == "good" and facts["ocsp"]["usable"] is True
    assert facts["ocsp"]["serial"] == f"{pki.leaf.cert.serial_number:x}"
    assert facts["ocsp"]["this_update"] == (NOW - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_no_staple(pki: Pki) -> None:
    chain, report = serve_and_judge(pki, b"")
    assert chain.ocsp_staple is None
    staple = staple_for(chain, report)
    assert not staple.stapled and not staple.usable and staple.problems == ()
    assert codes(chain, report) == []
    assert live_facts(chain, report)["ocsp"]["stapled"] is False


def test_revoked_staple_is_an_error_naming_the_leaf(pki: Pki) -> None:
    chain, report = serve_and_judge(pki, response(pki, status=ocsp.OCSPCertStatus.REVOKED,
                                                  reason=x509.ReasonFlags.key_compromise))
    findings = live_findings(chain, report)
    assert [f.code for f in findings] == [Code.OCSP_REVOKED]
    assert findings[0].severity == "error" and findings[0].certificates == (leaf_sha(pki),)
    assert "was revoked on" in findings[0].message and "(reason: keyCompromise)" in findings[0].message
    facts = live_facts(chain, report)["ocsp"]
    assert facts["status"] == "revoked" and facts["revocation_reason"] == "keyCompromise"
    assert facts["revocation_time"] == (NOW - 2 * DAY).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert report.verdict == "ok"
    add_live_findings(report, [chain])
    assert report.verdict == "broken" and report.findings[0].code == Code.OCSP_REVOKED


UNUSABLE: dict[str, tuple[Callable[[Pki], bytes], str]] = {
    "unknown": (lambda p: response(p, status=ocsp.OCSPCertStatus.UNKNOWN),
                "the responder says it does not know the certificate (status unknown)"),
    "stale": (lambda p: response(p, this_update=NOW - 3 * DAY, next_update=NOW - DAY),
              f"it is stale: its nextUpdate, {(NOW - DAY).strftime('%Y-%m-%dT%H:%M:%SZ')}, has passed"),
    "not-yet-valid": (lambda p: response(p, this_update=NOW + DAY),
                      f"it is not valid yet: thisUpdate is {(NOW + DAY).strftime('%Y-%m-%dT%H:%M:%SZ')}"),
    "bad-signature": (lambda p: corrupt_signature(response(p)), "its signature does not verify with the issuer's key"),
    "unknown-signer": (lambda p: response(p, signer=p.stranger_ca),
                       "it is signed by a responder that is neither the issuer nor a certificate included in it"),
    "delegated-without-eku": (
        lambda p: response(p, signer=(r := responder("No EKU Responder", p.inter, eku=False)), include=(r,)),
        "its responder certificate CN=No EKU Responder lacks the OCSP signing extended key usage"),
    "delegated-by-another-ca": (
        lambda p: response(p, signer=(r := responder("Foreign Responder", p.stranger_ca)), include=(r,)),
        "its responder certificate CN=Foreign Responder was not issued by the server certificate's issuer"),
    "try-later": (lambda p: ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.TRY_LATER)
                  .public_bytes(serialization.Encoding.DER),
                  "the responder answered tryLater instead of a certificate status"),
}
# Staples today's OpenSSL server will not send: a relay puts them in place of a good one.
REWRITTEN: dict[str, tuple[Callable[[Pki], bytes], str]] = {
    "wrong-certificate": (lambda p: response(p, about=p.sibling), "it is about another certificate (serial "),
    "garbage": (lambda p: b"\x30\x82" + b"\xff" * 400, "it cannot be parsed"),
}


@pytest.mark.parametrize("scenario", sorted(UNUSABLE) + sorted(REWRITTEN))
def test_unusable_staple_is_a_warning_saying_why(pki: Pki, scenario: str) -> None:
    if scenario in REWRITTEN:
        build, why = REWRITTEN[scenario]
        good, instead = same_length(build, pki)
        chain, report = serve_and_judge(pki, good, instead=instead)
    else:
        build, why = UNUSABLE[scenario]
        chain, report = serve_and_judge(pki, build(pki))
    findings = live_findings(chain, report)
    assert [f.code for f in findings] == [Code.OCSP_UNUSABLE]
    assert findings[0].severity == "warning" and findings[0].certificates == (leaf_sha(pki),)
    assert why in findings[0].message
    assert live_facts(chain, report)["ocsp"]["usable"] is False


def same_length(build: Callable[[Pki], bytes], pki: Pki) -> tuple[bytes, bytes]:
    """A good response and one from ``build`` of the same length, for the relay to swap (ECDSA
    signatures vary by a byte or two, so both are drawn until two lengths meet)."""
    goods: dict[int, bytes] = {}
    others: dict[int, bytes] = {}
    for _ in range(100):
        good = response(pki)
        goods.setdefault(len(good), good)
        other = build(pki)
        if other.startswith(b"\x30\x82\xff"):  # garbage: any length will do
            return good, other[:len(good)].ljust(len(good), b"\xff")
        others.setdefault(len(other), other)
        met = goods.keys() & others.keys()
        if met:
            length = min(met)
            return goods[length], others[length]
    raise AssertionError("no two responses of the same length")


def test_revoked_but_badly_signed_is_unusable_not_revoked(pki: Pki) -> None:
    forged = corrupt_signature(response(pki, status=ocsp.OCSPCertStatus.REVOKED))
    chain, report = serve_and_judge(pki, forged)
    assert codes(chain, report) == [Code.OCSP_UNUSABLE]


def test_delegated_responder(pki: Pki) -> None:
    delegate = responder("OCSP Responder", pki.inter)
    chain, report = serve_and_judge(pki, response(pki, signer=delegate, include=(delegate,)))
    staple = staple_for(chain, report)
    assert staple.signed_by == "delegated" and staple.responder == "CN=OCSP Responder"
    assert staple.usable and codes(chain, report) == []


def test_staleness_follows_the_validation_time(pki: Pki) -> None:
    chain, report = serve_and_judge(pki, response(pki), at=NOW + 10 * DAY)
    assert codes(chain, report) == [Code.OCSP_UNUSABLE]
    chain, report = serve_and_judge(pki, response(pki), at=NOW + 3 * DAY + datetime.timedelta(minutes=4))
    assert codes(chain, report) == []  # within the five minutes of leeway


def test_issuer_from_the_trust_store(pki: Pki) -> None:
    """The server sends its leaf alone; the issuer the staple is checked with is a trust anchor."""
    direct = issue("direct.test", pki.inter, dns_names=("direct.test",))
    staple = response(pki, about=direct)
    with serve_tls(direct.pem, direct.key_pem, ocsp_staple=staple) as port:
        chain = fetch_chain(Endpoint("127.0.0.1", port), timeout=5)
    alone = staple_for(chain)  # no report: no issuer known
    assert (alone.for_leaf, alone.signed_by, alone.problems) == (None, "unchecked", ())
    trust = TrustStore(load_bytes(pki.inter.pem + pki.root.pem, "roots.pem").certs)
    report = diagnose(bundle_from_live(chain), trust, Policy(host="direct.test"))
    judged = staple_for(chain, report)
    assert (judged.for_leaf, judged.signed_by, judged.usable) == (True, "issuer", True)


def test_revoked_without_a_known_issuer_is_still_reported(pki: Pki) -> None:
    der = response(pki, status=ocsp.OCSPCertStatus.REVOKED)
    findings = []
    with serve_tls(pki.leaf.pem, pki.leaf.key_pem, ocsp_staple=der) as port:
        chain = fetch_chain(Endpoint("127.0.0.1", port), timeout=5)
    findings = live_findings(chain)
    assert [f.code for f in findings] == [Code.OCSP_REVOKED]
    assert "Its signature could not be checked: the issuer is not known." in findings[0].message
