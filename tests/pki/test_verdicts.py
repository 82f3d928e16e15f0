"""Verdicts grounded in real verifiers: the client matrix, and the chains it used to get wrong.

Each scenario is built from generated certificates; OpenSSL and cryptography's strict verifier run
on exactly what is served, and every refusal must be explained by a finding.
"""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factory import (
    AT,
    CLIENT,
    Issued,
    bundle,
    ca,
    cross_sign,
    ec_key,
    hierarchy,
    make,
    rsa_key,
    v1_root,
    with_extension,
    without_null_parameters,
)
from tui.pki import fixes
from tui.pki.diagnose import Policy, Report, diagnose
from tui.pki.fixes import RepairContext
from tui.pki.model import Bundle
from tui.pki.stores import TrustStore
from tui.pki.vocabulary import Code

OLD = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def trust(*roots: Issued) -> TrustStore:
    return TrustStore([r.entry("roots.pem") for r in roots])


def check(b: Bundle, *roots: Issued, **policy: object) -> Report:
    policy.setdefault("at", AT)
    return diagnose(b, trust(*roots), Policy(**policy))


def assert_every_refusal_explained(report: Report) -> None:
    """An OpenSSL refusal means an error; a strict-only refusal at least a warning."""
    for client in report.clients:
        if client.accepts:
            continue
        if client.name == "openssl":
            assert report.verdict == "broken", client.reason
        assert report.errors or report.by_code("strict-clients-refuse"), client.reason


# --- the client matrix ------------------------------------------------------------------------------


def test_matrix_on_a_good_chain() -> None:
    h = hierarchy("mx")
    report = check(bundle(h.leaf, h.inter), h.root, host="mx.example")
    assert [c.name for c in report.clients] == ["openssl", "webpki-strict", "openssl-x509-strict"]
    assert all(c.accepts and c.reason is None and c.certificates == () for c in report.clients)
    openssl = report.client("openssl")
    assert openssl.chain == (h.leaf.sha256, h.inter.sha256, h.root.sha256)
    assert "purpose ssl_server" in openssl.settings and "X509_V_FLAG_PARTIAL_CHAIN" in openssl.settings
    assert any("security level" in n for n in openssl.not_set)
    assert "curl" in openssl.stands_for


def test_matrix_quotes_openssl_and_blames_the_certificate() -> None:
    root = ca("mq Root")
    old = ca("mq Int", root, not_before=OLD, not_after=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    leaf = make("mq.example", old)
    report = check(bundle(leaf, old), root)
    openssl = report.client("openssl")
    assert not openssl.accepts and openssl.error == 10 and openssl.depth == 1
    assert openssl.certificates == (old.sha256,)
    assert '"certificate has expired"' in openssl.reason and "'CN=mq Int'" in openssl.reason
    assert report.codes() == {"expired"}  # the refusal is explained: no extra "rejected"


def test_json_has_clients_and_numbers() -> None:
    h = hierarchy("js2")
    data = check(bundle(h.leaf, h.inter), h.root).to_json()
    assert [c["number"] for c in data["certificates"]] == [1, 2]
    assert [c["name"] for c in data["clients"]] == ["openssl", "webpki-strict", "openssl-x509-strict"]
    for client in data["clients"]:
        assert set(client) == {"name", "accepts", "reason", "certificates", "stands_for"}
    assert "strict_error" not in data


def test_no_clients_for_a_trust_bundle() -> None:
    assert check(bundle(ca("tb A"), ca("tb B"))).clients == ()


def test_report_numbers_certificates() -> None:
    h = hierarchy("num")
    report = check(bundle(h.inter, h.leaf, h.inter), h.root)
    assert report.number(h.leaf.entry()) == 2 and report.number(h.inter.entry()) == 1
    assert report.number(h.root.entry()) is None


# --- said OK to chains real software refuses ---------------------------------------------------------


def test_certificate_before_the_leaf_is_wrong_order() -> None:
    h = hierarchy("stray")
    other = ca("Stray Other CA")
    for served in ((h.root, h.leaf, h.inter), (other, h.leaf, h.inter)):
        report = check(bundle(*served), h.root, host="stray.example")
        assert report.verdict == "broken"
        finding = report.by_code("wrong-order")[0]
        assert served[0].sha256 in finding.certificates
        if served[0] is other:  # a stray; the root is one of the chain's own, placed by the order message
            assert "before the leaf" in finding.message and "key values mismatch" in finding.message
        assert not report.client("openssl").accepts
        assert_every_refusal_explained(report)
        assert "rejected" not in report.codes()
        fixed = fixes.reorder(bundle(*served), RepairContext(trust(h.root), Policy(at=AT)))
        assert fixed.after.certs[0].sha256 == h.leaf.sha256


def test_another_sites_certificate_first_is_wrong_order() -> None:
    h = hierarchy("site")
    other_site = make("other.site.example", h.inter)
    report = check(bundle(other_site, h.leaf, h.inter), h.root, host="site.example")
    assert report.leaf.sha256 == h.leaf.sha256
    assert other_site.sha256 in report.by_code("wrong-order")[0].certificates


def dead_end() -> tuple[Issued, Issued, Issued, Issued, Issued]:
    """leaf <- X3 (one key) issued twice: by 'DST Root' (not present, not trusted) and by 'ISRG Root'."""
    dst, isrg = ca("DST Root"), ca("ISRG Root")
    key = ec_key("X3 key")
    by_dst = make("X3", dst, key=key, ca=True)
    by_isrg = make("X3", isrg, key=key, ca=True)
    leaf = make("x3.example", by_isrg)
    return dst, isrg, by_dst, by_isrg, leaf


def test_dead_end_cross_sign_served_first_is_wrong_order() -> None:
    _, isrg, by_dst, by_isrg, leaf = dead_end()
    report = check(bundle(leaf, by_dst, by_isrg), isrg)
    assert report.verdict == "broken"
    assert report.by_code("wrong-order")[0].certificates == (by_dst.sha256,)
    openssl = report.client("openssl")
    assert not openssl.accepts and openssl.certificates == (by_dst.sha256,)
    assert "rejected" not in report.codes()
    # the proper order puts the copy that reaches the anchor first, and then OpenSSL accepts
    ctx = RepairContext(trust(isrg), Policy(at=AT))
    fixed = fixes.reorder(bundle(leaf, by_dst, by_isrg), ctx).after
    assert [e.sha256 for e in fixed.certs] == [leaf.sha256, by_isrg.sha256, by_dst.sha256]
    again = diagnose(fixed, trust(isrg), Policy(at=AT))
    assert "wrong-order" not in again.codes() and again.client("openssl").accepts


def test_dead_end_copy_served_second_is_fine() -> None:
    _, isrg, by_dst, by_isrg, leaf = dead_end()
    report = check(bundle(leaf, by_isrg, by_dst), isrg)
    assert "wrong-order" not in report.codes() and report.verdict == "ok"


def test_expired_copy_first_is_not_a_trap() -> None:
    """OpenSSL skips an issuer outside its validity when a valid one follows."""
    root = ca("ec Root")
    key = ec_key("ec Int")
    old = make("ec Int", root, key=key, ca=True, not_before=OLD,
               not_after=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    new = make("ec Int", root, key=key, ca=True)
    leaf = make("ec.example", new)
    report = check(bundle(leaf, old, new), root)
    assert "wrong-order" not in report.codes() and report.client("openssl").accepts


# --- said BROKEN to chains mainstream clients accept ---------------------------------------------------


def test_v1_trust_anchor_is_a_strict_only_refusal() -> None:
    root = v1_root("V1 Root", rsa_key("v1 root"))
    inter = ca("V1 Int", root)
    leaf = make("v1.example", inter)
    report = check(bundle(leaf, inter), root)
    assert report.verdict == "ok" and report.codes() == {"strict-clients-refuse"}
    finding = report.by_code("strict-clients-refuse")[0]
    assert finding.certificates == (root.sha256,) and "version 1" in finding.message
    assert "rustls" in finding.message and "OpenSSL" in finding.message


def test_rsa_signature_without_null_parameters_is_a_strict_only_refusal() -> None:
    root_key = rsa_key("nn root")
    root = ca("NN Root", key=root_key)
    inter = ca("NN Int", root, key=rsa_key("nn int"))
    bare = Issued(without_null_parameters(inter, root_key), inter.key)
    leaf = make("nn.example", bare)
    report = check(bundle(leaf, bare), root)
    assert report.verdict == "ok" and report.codes() == {"strict-clients-refuse"}
    finding = report.by_code("strict-clients-refuse")[0]
    assert finding.certificates == (bare.sha256,) and "RFC 4055" in finding.message


def test_self_trusted_leaf_without_aki_is_a_strict_only_refusal() -> None:
    leaf = make("self-noaki.example", aki=False)
    report = check(bundle(leaf), leaf)
    assert report.verdict == "ok" and report.codes() == {"strict-clients-refuse"}
    assert "authorityKeyIdentifier" in report.by_code("strict-clients-refuse")[0].message


def test_intermediate_trusted_as_anchor_with_its_root_served() -> None:
    h = hierarchy("ia2")
    report = check(bundle(h.leaf, h.inter, h.root), h.inter)
    assert "wrong-order" not in report.codes()
    assert report.verdict == "ok"
    assert report.client("openssl").accepts


def _name(*rdns: tuple[x509.ObjectIdentifier, str, object]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value, _type=kind) for oid, value, kind in rdns])


def test_issuer_name_that_differs_only_in_case_and_string_type() -> None:
    """RFC 5280 7.1: the names match after case and whitespace folding, whatever the string type."""
    from cryptography.x509.name import _ASN1Type

    root = ca("Fold Root")
    subject = _name((NameOID.ORGANIZATION_NAME, "Example  Corp", _ASN1Type.PrintableString),
                    (NameOID.COMMON_NAME, "Fold Issuing CA", _ASN1Type.PrintableString))
    issuer_as_written = _name((NameOID.ORGANIZATION_NAME, "example corp", _ASN1Type.UTF8String),
                              (NameOID.COMMON_NAME, " FOLD issuing ca ", _ASN1Type.UTF8String))
    key = ec_key("fold int")
    inter_builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(root.cert.subject)
                     .public_key(key.public_key()).serial_number(7).not_valid_before(OLD)
                     .not_valid_after(dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                     .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
                     .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root.key.public_key()),
                                    False))
    from cryptography.hazmat.primitives import hashes

    inter = Issued(inter_builder.sign(root.key, hashes.SHA256()), key)
    leaf = make("fold.example", inter, issuer_name=issuer_as_written)
    assert leaf.entry().issuer_der != inter.entry().subject_der
    report = check(bundle(leaf, inter), root)
    assert [e.sha256 for e in report.chain] == [leaf.sha256, inter.sha256, root.sha256]
    assert "missing-intermediate" not in report.codes()
    assert report.client("openssl").accepts  # OpenSSL matches the canonical forms too


def test_unparsable_extension_does_not_hide_basic_constraints() -> None:
    """An unknown policy qualifier makes cryptography refuse the whole extension set."""
    root = ca("pq Root")
    inter = ca("pq Int", root)
    # certificatePolicies with a policy qualifier of an unknown OID and a UTF8String value
    qualifier = bytes.fromhex("3013301106022a03300b300906032a03040c026869")
    odd = Issued(with_extension(inter, root.key, "2.5.29.32", qualifier, critical=False), inter.key)
    leaf = make("pq.example", odd)
    report = check(bundle(leaf, odd), root)
    assert "not-a-ca" not in report.codes()
    assert report.client("openssl").accepts
    assert report.verdict == "ok"


# --- errors missed or misplaced ------------------------------------------------------------------------


def test_intermediate_whose_eku_excludes_the_purpose() -> None:
    root = ca("ekuI Root")
    for usages in (CLIENT, [x509.ObjectIdentifier("1.3.6.1.4.1.62558.2.1")]):  # clientAuth; a C2PA EKU
        inter = ca("ekuI Int", root, eku=usages, key=ec_key(f"ekuI {usages[0].dotted_string}"))
        leaf = make("ekui.example", inter)
        report = check(bundle(leaf, inter), root)
        assert report.verdict == "broken"
        assert report.by_code("wrong-purpose")[0].certificates == (inter.sha256,)
        assert not report.client("openssl").accepts
    # OpenSSL wants serverAuth itself on a CA that has an EKU: anyExtendedKeyUsage is not enough
    any_eku = ca("ekuI Any", root, eku=[ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE])
    report = check(bundle(make("anyeku.example", any_eku), any_eku), root)
    assert not report.client("openssl").accepts
    assert report.by_code("wrong-purpose")[0].certificates == (any_eku.sha256,)
    assert "rejected" not in report.codes()
    both = ca("ekuI Both", root, eku=[ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH])
    assert check(bundle(make("both.example", both), both), root).verdict == "ok"


def test_unknown_critical_extension_names_the_intermediate() -> None:
    root = ca("uc Root")
    inter = ca("uc Int", root)
    odd = Issued(with_extension(inter, root.key, "1.2.3.4", b"\x01\x02\x03\x04", critical=True), inter.key)
    old_leaf = make("uc.example", odd, not_after=dt.datetime(2024, 1, 1, tzinfo=dt.UTC), not_before=OLD)
    report = check(bundle(old_leaf, odd), root)
    rejected = report.by_code("rejected")
    assert rejected and rejected[0].certificates == (odd.sha256,) and "1.2.3.4" in rejected[0].message
    assert "expired" in report.codes()  # the other finding does not hide it


def test_unknown_critical_extension_on_the_leaf_names_the_leaf() -> None:
    h = hierarchy("ucl")
    odd = Issued(with_extension(h.leaf, h.inter.key, "1.2.3.4", b"\x05\x00", critical=True), h.leaf.key)
    report = check(bundle(odd, h.inter), h.root)
    assert report.by_code("rejected")[0].certificates == (odd.sha256,)


def test_unknown_signature_algorithm_is_named() -> None:
    h = hierarchy("usa")
    der = h.leaf.cert.public_bytes(__import__("cryptography.hazmat.primitives.serialization",
                                              fromlist=["Encoding"]).Encoding.DER)
    ecdsa_sha256 = bytes.fromhex("06082a8648ce3d040302")
    unknown = bytes.fromhex("06082a8648ce3d04037f")  # an OID of the same length no one implements
    odd = Issued(x509.load_der_x509_certificate(der.replace(ecdsa_sha256, unknown)), h.leaf.key)
    report = check(bundle(odd, h.inter), h.root)
    assert report.verdict == "broken"
    assert any(f.certificates == (odd.sha256,) for f in report.errors)


# --- the order property ----------------------------------------------------------------------------------


def _order_pool() -> tuple[list[Issued], list[Issued]]:
    root, other = ca("Ord Root"), ca("Ord Other Root")
    inter = ca("Ord Int", root)
    cross = cross_sign(inter, other)
    impostor = ca("Ord Int", root, key=ec_key("ord impostor"), ski=False)
    leaf = make("ord.example", inter)
    second = make("ord2.example", inter)
    return [leaf, inter, root, other, cross, impostor, second], [root, other]


ORDER_POOL, ORDER_ROOTS = _order_pool()


@settings(deadline=None, max_examples=120, suppress_health_check=[HealthCheck.too_slow])
@given(served=st.lists(st.sampled_from(ORDER_POOL), min_size=1, max_size=6),
       anchors=st.lists(st.sampled_from(ORDER_ROOTS), max_size=2))
def test_no_wrong_order_when_the_proper_order_is_the_served_order(served: list[Issued],
                                                                  anchors: list[Issued]) -> None:
    """The order the reorder repair would produce is never called wrong, and reordering clears the finding."""
    b = bundle(*served)
    ctx = RepairContext(trust(*anchors), Policy(at=AT))
    report = diagnose(b, ctx.anchors, ctx.policy)
    assert_every_refusal_explained(report)
    reordered = fixes.reorder(b, ctx)
    if not reordered.changed:
        assert Code.WRONG_ORDER not in report.codes()
    assert Code.WRONG_ORDER not in diagnose(reordered.after, ctx.anchors, ctx.policy).codes()


def test_intermediate_anchor_from_the_store_with_its_root_served() -> None:
    """The leaf's issuer is trusted but not served; its root is served: nothing to reorder."""
    h = hierarchy("ia4")
    report = check(bundle(h.leaf, h.root), h.inter)
    assert "wrong-order" not in report.codes()
    assert not fixes.reorder(bundle(h.leaf, h.root), RepairContext(trust(h.inter), Policy(at=AT))).changed
