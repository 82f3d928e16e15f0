"""Every finding code on real certificates, and no false findings on correct chains."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID

from tests.factory import AT, CLIENT, Issued, bundle, ca, ec_key, hierarchy, make, resign_with_weak_hash, rsa_key
from tui.pki.diagnose import Policy, diagnose
from tui.pki.model import Bundle, CertEntry, Origin, Unreadable
from tui.pki.stores import TrustStore

OLD = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def trust(*roots: Issued) -> TrustStore:
    return TrustStore([r.entry("roots.pem") for r in roots])


def check(b: Bundle, *roots: Issued, **policy: object) -> object:
    policy.setdefault("at", AT)
    return diagnose(b, trust(*roots), Policy(**policy))


def codes(report: object) -> set[str]:
    return report.codes()


def test_correct_chain_has_no_findings() -> None:
    h = hierarchy("ok")
    report = check(bundle(h.leaf, h.inter), h.root, host="ok.example")
    assert report.findings == []
    assert report.verdict == "ok"
    assert [e.sha256 for e in report.chain] == [h.leaf.sha256, h.inter.sha256, h.root.sha256]
    assert report.roles == ["leaf", "intermediate"]


def test_chain_with_root_is_ok_with_a_warning() -> None:
    h = hierarchy("wr")
    report = check(bundle(h.leaf, h.inter, h.root), h.root)
    assert codes(report) == {"contains-root"}
    assert report.by_code("contains-root")[0].certificates == (h.root.sha256,)
    assert report.verdict == "ok"
    assert report.roles == ["leaf", "intermediate", "root"]


def test_wrong_order_names_moved_certificates() -> None:
    h = hierarchy("order")
    report = check(bundle(h.inter, h.leaf), h.root)
    assert codes(report) == {"wrong-order"}
    finding = report.by_code("wrong-order")[0]
    assert set(finding.certificates) == {h.leaf.sha256, h.inter.sha256}
    assert finding.fix == "reorder"


def test_order_not_judged_for_pkcs7_sets() -> None:
    h = hierarchy("p7")
    report = check(bundle(h.inter, h.leaf, container="pkcs7"), h.root)
    assert report.findings == []


def test_missing_intermediate_names_the_cert_whose_issuer_is_missing() -> None:
    root = ca("mi Root")
    i1 = ca("mi Int 1", root)
    i2 = ca("mi Int 2", i1, aia="http://pki.example/i1.der")
    leaf = make("mi.example", i2)
    report = check(bundle(leaf, i2), root)
    assert codes(report) == {"missing-intermediate"}
    finding = report.by_code("missing-intermediate")[0]
    assert finding.certificates == (i2.sha256,)
    assert "http://pki.example/i1.der" in finding.message
    assert finding.fix == "complete"


def test_untrusted_root() -> None:
    h = hierarchy("ur")
    report = check(bundle(h.leaf, h.inter, h.root))
    assert "untrusted-root" in codes(report)
    assert report.by_code("untrusted-root")[0].certificates == (h.root.sha256,)


def test_self_signed_leaf_untrusted_and_trusted() -> None:
    leaf = make("self.example")
    assert codes(check(bundle(leaf))) == {"untrusted-root"}
    assert check(bundle(leaf), leaf).findings == []


def test_bad_signature_names_the_forged_cert() -> None:
    h = hierarchy("bs")
    forged = make("bs.example", None, issuer_name=h.inter.cert.subject, key=ec_key("forger"), aki_key=h.inter.key)
    report = check(bundle(forged, h.inter), h.root)
    assert codes(report) == {"bad-signature"}
    assert report.by_code("bad-signature")[0].certificates == (forged.sha256,)
    assert report.roles == ["leaf", "intermediate"]  # the claimed issuer is not an extra


def test_same_name_other_key_is_a_missing_issuer_not_a_bad_signature() -> None:
    """Like OpenSSL: a same-named CA whose key identifier differs is an older or re-keyed CA."""
    root = ca("rk Root")
    new = ca("rk Int", root, key=ec_key("rk Int new"))
    old = ca("rk Int", root, key=ec_key("rk Int old"))
    leaf = make("rk.example", new)
    report = check(bundle(leaf, old), root)
    assert codes(report) == {"missing-intermediate", "extra-cert"}
    finding = report.by_code("missing-intermediate")[0]
    assert finding.certificates == (leaf.sha256,) and "re-keyed" in finding.message
    assert check(bundle(leaf, new, old), root).codes() == {"extra-cert"}


def test_expired_and_not_yet_valid_and_expires_soon() -> None:
    root = ca("ex Root")
    old = ca("ex Int", root, key=ec_key("ex Int"), not_before=OLD, not_after=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    leaf = make("ex.example", old)
    report = check(bundle(leaf, old), root)
    assert codes(report) == {"expired"}
    assert report.by_code("expired")[0].certificates == (old.sha256,)

    future = make("fut.example", hierarchy("fut").inter, not_before=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    h = hierarchy("fut")
    assert "not-yet-valid" in codes(check(bundle(future, h.inter), h.root))

    soon = make("soon.example", h.inter, not_after=AT + dt.timedelta(days=10))
    report = check(bundle(soon, h.inter), h.root)
    assert codes(report) == {"expires-soon"}
    assert report.verdict == "ok"


def test_prefers_a_valid_path_when_an_expired_copy_exists() -> None:
    root = ca("pv Root")
    good = ca("pv Int", root, key=ec_key("pv Int"))
    old = ca("pv Int", root, key=ec_key("pv Int"), not_before=OLD, not_after=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    leaf = make("pv.example", good)
    report = check(bundle(leaf, old, good), root, host="pv.example")
    assert "expired" not in codes(report)
    assert report.chain[1].sha256 == good.sha256


def test_hostname_mismatch_dns_wildcard_and_ip() -> None:
    h = hierarchy("hm", dns=["*.hm.example", "hm.example"], ips=["192.0.2.7"])
    b = bundle(h.leaf, h.inter)
    assert check(b, h.root, host="a.hm.example").findings == []
    assert check(b, h.root, host="192.0.2.7").findings == []
    assert check(b, h.root, host="HM.example.").findings == []
    for host in ("a.b.hm.example", "other.example", "192.0.2.8"):
        report = check(b, h.root, host=host)
        assert codes(report) == {"hostname-mismatch"}, host
        assert report.by_code("hostname-mismatch")[0].certificates == (h.leaf.sha256,)


def test_wrong_purpose_client_only_leaf_as_server() -> None:
    h = hierarchy("wp", eku=CLIENT)
    b = bundle(h.leaf, h.inter)
    assert codes(check(b, h.root)) == {"wrong-purpose"}
    assert check(b, h.root, purpose="client").findings == []


def test_not_a_ca() -> None:
    root = ca("na Root")
    fake = make("na signer", root, dns=[], eku=[ExtendedKeyUsageOID.SERVER_AUTH])
    leaf = make("na.example", fake)
    report = check(bundle(leaf, fake), root)
    assert "not-a-ca" in codes(report)
    assert report.by_code("not-a-ca")[0].certificates == (fake.sha256,)


def test_path_length_exceeded() -> None:
    root = ca("pl Root")
    i1 = ca("pl Int 1", root, path_len=0)
    i2 = ca("pl Int 2", i1)
    leaf = make("pl.example", i2)
    report = check(bundle(leaf, i2, i1), root)
    assert "path-length-exceeded" in codes(report)
    # the CA with the constraint and the CA beyond it
    assert report.by_code("path-length-exceeded")[0].certificates == (i1.sha256, i2.sha256)


def test_name_constraints_violated() -> None:
    root = ca("nc Root")
    nc = x509.NameConstraints(permitted_subtrees=[x509.DNSName("corp.example")], excluded_subtrees=None)
    inter = ca("nc Int", root, name_constraints=nc)
    inside = make("a.corp.example", inter)
    outside = make("evil.example", inter)
    assert check(bundle(inside, inter), root).findings == []
    report = check(bundle(outside, inter), root)
    assert "name-constraints-violated" in codes(report)
    assert outside.sha256 in report.by_code("name-constraints-violated")[0].certificates


def test_weak_key_rsa_1024() -> None:
    root = ca("wk Root")
    leaf = make("wk.example", root, key=rsa_key("wk", 1024))
    report = check(bundle(leaf), root)
    assert "weak-key" in codes(report)
    assert report.by_code("weak-key")[0].certificates == (leaf.sha256,)


def test_weak_key_curve() -> None:
    root = ca("wc Root")
    leaf = make("wc.example", root, key=ec_key("wc", "secp256k1"))
    assert "weak-key" in codes(check(bundle(leaf), root))


def test_weak_signature_sha1_on_leaf_but_not_on_anchor() -> None:
    root_key = rsa_key("ws root")
    root = ca("ws Root", key=root_key)
    leaf = make("ws.example", root)
    weak_leaf = Issued(resign_with_weak_hash(leaf, root_key), leaf.key)
    report = check(bundle(weak_leaf), root)
    assert "weak-signature" in codes(report)
    assert report.by_code("weak-signature")[0].certificates == (weak_leaf.sha256,)
    assert "bad-signature" not in codes(report)  # SHA-1 still verifies: it is weak, not forged

    weak_root = Issued(resign_with_weak_hash(root, root_key), root_key)
    good_leaf = make("ws2.example", weak_root)
    assert "weak-signature" not in codes(check(bundle(good_leaf), weak_root))


def test_private_key_present_and_key_mismatch() -> None:
    h = hierarchy("pk")
    report = check(bundle(h.leaf, h.inter, keys=(h.leaf,)), h.root)
    assert codes(report) == {"private-key-present"}
    assert report.verdict == "ok"
    stray = make("stray.example")
    report = check(bundle(h.leaf, h.inter, keys=(stray,)), h.root)
    assert codes(report) == {"private-key-present", "key-mismatch"}


def test_key_chooses_the_leaf_among_several() -> None:
    h = hierarchy("kl")
    other = make("other.kl.example", h.inter)
    report = check(bundle(h.leaf, other, h.inter, keys=(other,)), h.root)
    assert report.leaf.sha256 == other.sha256
    assert "multiple-leaves" in codes(report)


def test_multiple_leaves_and_extra() -> None:
    h = hierarchy("ml")
    second = make("second.ml.example", h.inter)
    report = check(bundle(h.leaf, h.inter, second), h.root)
    assert {"multiple-leaves", "extra-cert"} <= codes(report)
    assert report.by_code("extra-cert")[0].certificates == (second.sha256,)
    assert report.verdict == "ok"


def test_extra_and_duplicate() -> None:
    h = hierarchy("xd")
    unrelated = ca("Unrelated CA")
    report = check(bundle(h.leaf, h.inter, h.inter, unrelated), h.root)
    assert codes(report) == {"extra-cert", "duplicate-cert"}
    assert report.by_code("extra-cert")[0].certificates == (unrelated.sha256,)
    assert report.by_code("duplicate-cert")[0].certificates == (h.inter.sha256,)
    assert report.roles == ["leaf", "intermediate", "duplicate", "extra"]


def test_no_leaf_for_a_trust_bundle() -> None:
    a, b = ca("Root A"), ca("Root B")
    report = check(bundle(a, b))
    assert codes(report) == {"no-leaf"}
    assert report.verdict == "ok"


def test_unreadable_block_is_an_error_finding() -> None:
    h = hierarchy("un")
    b = bundle(h.leaf, h.inter)
    b = Bundle(b.certs, (), (Unreadable("bundle.pem", 40, "the base64 text is damaged"),), b.sources)
    report = check(b, h.root)
    assert codes(report) == {"unreadable"}
    assert "bundle.pem:40" in report.by_code("unreadable")[0].message


def test_non_critical_basic_constraints_is_only_a_strict_refusal() -> None:
    """OpenSSL, rustls and Chrome accept it: a warning that names who refuses, not an error."""
    root = ca("nc2 Root")
    inter = ca("nc2 Int", root, bc_critical=False)
    leaf = make("nc2.example", inter)
    report = check(bundle(leaf, inter), root)
    assert codes(report) == {"strict-clients-refuse"}
    assert report.verdict == "ok"
    finding = report.by_code("strict-clients-refuse")[0]
    assert finding.certificates == (inter.sha256,)
    assert "not marked critical" in finding.message and "OpenSSL" in finding.message
    assert "accepts the chain" in finding.message
    assert report.client("openssl").accepts and not report.client("webpki-strict").accepts


def test_server_leaf_without_san_has_its_own_code() -> None:
    root = ca("ns Root")
    leaf = make("ns.example", root, dns=[], eku=[ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH])
    report = check(bundle(leaf), root)
    assert codes(report) == {"no-subject-alt-name"}
    assert report.by_code("no-subject-alt-name")[0].certificates == (leaf.sha256,)
    assert report.verdict == "broken"
    assert check(bundle(leaf), root, purpose="client").findings == []


def test_cross_signed_chain_has_no_false_findings() -> None:
    """old root -> (cross) new root -> int -> leaf, and new root self-signed in the store."""
    old = ca("Old Root")
    new_key = ec_key("New Root")
    new_self = ca("New Root", key=new_key)
    new_cross = ca("New Root", old, key=new_key)
    inter = ca("xs Int", new_self)
    leaf = make("xs.example", inter)
    served = bundle(leaf, inter, new_cross)
    for anchors in ((new_self,), (old,), (old, new_self)):
        report = check(served, *anchors, host="xs.example")
        assert report.findings == [], (anchors, report.findings)
        assert report.roles == ["leaf", "intermediate", "intermediate"]
    assert check(served, old).chain[-1].sha256 == old.sha256


def test_cross_sign_cycle_terminates() -> None:
    ka, kb = ec_key("cyc A"), ec_key("cyc B")
    seed_a = ca("Cyc A", key=ka)
    b_by_a = ca("Cyc B", seed_a, key=kb)
    a_by_b = ca("Cyc A", b_by_a, key=ka)
    leaf = make("cyc.example", b_by_a)
    report = check(bundle(leaf, b_by_a, a_by_b))
    assert report.verdict == "broken"  # nothing trusted
    report = check(bundle(leaf, b_by_a, a_by_b), seed_a)
    assert report.verdict == "ok"


def test_chain_completes_through_store_intermediate_anchor() -> None:
    h = hierarchy("ia")
    report = check(bundle(h.leaf), h.inter)
    assert report.findings == []
    assert report.path.trusted


def test_json_report_shape() -> None:
    h = hierarchy("js")
    report = check(bundle(h.inter, h.leaf, h.root), h.root)
    data = report.to_json()
    assert data["schema"] == 1 and data["verdict"] == "broken"
    assert [c["role"] for c in data["certificates"]] == ["intermediate", "leaf", "root"]
    assert data["chain"] == [h.leaf.sha256, h.inter.sha256, h.root.sha256]
    assert data["certificates"][0]["source"] == "bundle.pem:1"
    assert {f["code"] for f in data["findings"]} == {"wrong-order", "contains-root"}
    for f in data["findings"]:
        assert set(f) == {"code", "severity", "certificates", "message", "fix"}
        assert all(len(s) == 64 for s in f["certificates"])


def test_ip_address_leaf_host() -> None:
    h = hierarchy("ip", dns=[], ips=["127.0.0.1"])
    assert check(bundle(h.leaf, h.inter), h.root, host="127.0.0.1").findings == []
    assert check(bundle(h.leaf, h.inter), h.root).findings == []


@pytest.mark.parametrize("address", ["::1", "2001:db8::1"])
def test_ipv6_host(address: str) -> None:
    h = hierarchy("ip6" + address.replace(":", ""), dns=[], ips=[address])
    assert check(bundle(h.leaf, h.inter), h.root, host=address).findings == []
    assert str(ipaddress.ip_address(address))


def test_sha384_and_rsa_chains_are_fine() -> None:
    root = ca("rsa Root", key=rsa_key("rsa root"))
    inter = ca("rsa Int", root, key=rsa_key("rsa int"), hash_alg=hashes.SHA384())
    leaf = make("rsa.example", inter, key=rsa_key("rsa leaf"))
    assert check(bundle(leaf, inter), root).findings == []


def test_engine_never_names_a_certificate_that_was_not_loaded_or_used() -> None:
    h = hierarchy("nm")
    report = check(bundle(h.inter, h.leaf, h.inter), h.root)
    known = {e.sha256 for e in report.bundle.certs} | {e.sha256 for e in report.chain}
    for finding in report.findings:
        assert set(finding.certificates) <= known


def test_leaf_given_explicitly() -> None:
    h = hierarchy("ex2")
    b = bundle(h.inter, h.leaf, container="pkcs7")
    report = diagnose(b, trust(h.root), Policy(at=AT), leaf=CertEntry.from_cert(h.leaf.cert, Origin("x")))
    assert report.verdict == "ok"


def test_signature_check_budget_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.pki import graph

    monkeypatch.setattr(graph, "CHECK_BUDGET_BASE", -50)  # 10 checks for these 15 certificates
    root = ca("bud Root")
    inter = ca("bud Int", root)
    impostors = [ca("bud Int", root, key=ec_key(f"bud imp {i}"), aki=False) for i in range(12)]
    leaf = make("bud.example", inter, aki=False)
    report = check(bundle(leaf, *impostors, inter), root)
    assert report.graph.exhausted
    assert report.verdict == "broken"
    assert any("stopped after" in f.message for f in report.by_code("rejected"))
