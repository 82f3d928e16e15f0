"""Repairs over bundles: every repair on the sample bundles, generated edge cases and properties."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factory as f
from tui.pki import fixes
from tui.pki.aia import AIAError
from tui.pki.diagnose import Policy, diagnose
from tui.pki.fixes import Repair, RepairContext
from tui.pki.load import load_bytes, load_file
from tui.pki.model import Bundle, CertEntry, KeyEntry, Origin
from tui.pki.netguard import AddressPolicy
from tui.pki.stores import CertPool, TrustStore, load_trust, search_pool

SAMPLES = Path(__file__).resolve().parents[2] / "sample_certs"
LOCAL_ROOT = str(SAMPLES / "roots" / "local-root.pem")
POLICY = Policy(at=f.AT)
REPAIRS = (fixes.reorder, fixes.complete, fixes.drop_extras, fixes.drop_root, fixes.keep_root, fixes.fix_all)
ORDER_CODES = {"wrong-order", "extra-cert", "duplicate-cert"}

# sample -> whether fix_all makes it error-free with the local root (and the pool where noted)
REPAIRABLE = ["good-chain.pem", "reversed.pem", "shuffled.pem", "root-included.pem", "extra-cert.pem",
              "duplicate.pem", "demo.pem", "combined-key-chain.pem", "s_client-output.txt", "good-chain.p7b",
              "good-chain.p12", "missing-intermediate.pem", "leaf.der"]
UNREPAIRABLE = {"expired-intermediate.pem": "expired", "bad-signature.pem": "bad-signature",
                "not-a-ca.pem": "not-a-ca", "client-only-leaf.pem": "wrong-purpose",
                "key-mismatch.pem": "key-mismatch"}


@pytest.fixture(scope="module")
def trust() -> TrustStore:
    return load_trust([LOCAL_ROOT], system=False)


@pytest.fixture(scope="module")
def pool() -> CertPool:
    return search_pool([str(SAMPLES / "pool"), str(SAMPLES / "good-chain.pem")])[0]


def sample(name: str) -> Bundle:
    return load_file(str(SAMPLES / name), password=b"chaindoctor")


def ctx_for(trust: TrustStore, **kw: object) -> RepairContext:
    return RepairContext(trust, kw.pop("policy", POLICY), **kw)


def subjects(bundle: Bundle) -> list[str]:
    return [e.subject for e in bundle.certs]


def network_urls(bundle: Bundle, ctx: RepairContext) -> list[str]:
    """The AIA URLs ``complete`` would fetch first if the network were allowed ([] if none is needed)."""
    return list(fixes.network_plan(bundle, ctx).urls)


def good_chain() -> list[str]:
    return subjects(sample("good-chain.pem"))


# --- every repair on the samples ------------------------------------------------------------------


@pytest.mark.parametrize("name", REPAIRABLE)
def test_fix_all_repairs_sample(name: str, trust: TrustStore, pool: CertPool) -> None:
    search = pool if name in ("missing-intermediate.pem", "leaf.der") else None
    repair = fixes.fix_all(sample(name), ctx_for(trust, search=search))
    report = diagnose(repair.after, trust, POLICY)
    assert report.verdict == "ok", [x.message for x in report.errors]
    assert not report.codes() & (ORDER_CODES | {"contains-root", "missing-intermediate"})
    assert subjects(repair.after) == good_chain()


@pytest.mark.parametrize("name", sorted(UNREPAIRABLE))
def test_fix_all_leaves_unrepairable_errors(name: str, trust: TrustStore) -> None:
    repair = fixes.fix_all(sample(name), ctx_for(trust))
    assert UNREPAIRABLE[name] in diagnose(repair.after, trust, POLICY).codes()
    assert repair.after.certs, "the best chain is still there"


def test_missing_intermediate_without_search_is_unresolved(trust: TrustStore) -> None:
    bundle = sample("missing-intermediate.pem")
    repair = fixes.fix_all(bundle, ctx_for(trust))
    assert not repair.changed
    assert repair.unresolved is not None and "*.service.local Intermediate CA" in repair.unresolved
    assert "was not found" in repair.description and "AIA fetching is off" in repair.description


@pytest.mark.parametrize("name", REPAIRABLE + sorted(UNREPAIRABLE) + ["regional-cas.pem"])
@pytest.mark.parametrize("repair_fn", REPAIRS, ids=lambda fn: fn.__name__)
def test_every_repair_idempotent_keeps_leaf_and_keys(name: str, repair_fn: Callable[[Bundle, RepairContext], Repair],
                                                     trust: TrustStore, pool: CertPool) -> None:
    for keep in (False, True):
        ctx = ctx_for(trust, search=pool, keep_root=keep)
        bundle = sample(name)
        leaf = diagnose(bundle, trust, POLICY).leaf
        once = repair_fn(bundle, ctx)
        twice = repair_fn(once.after, ctx)
        assert not twice.changed, (keep, twice.description)
        assert twice.after == once.after
        assert once.before is bundle
        assert once.after.keys == bundle.keys
        if leaf is not None:
            assert leaf in once.after.certs
        assert once.changed == (once.after != bundle)
        assert "\n" not in once.description and once.description


def test_reorder_reversed(trust: TrustStore) -> None:
    repair = fixes.reorder(sample("reversed.pem"), ctx_for(trust))
    assert repair.changed and repair.name == "reorder"
    assert subjects(repair.after) == good_chain()
    assert repair.description == "reordered: #1, #2, #3 -> #3, #2, #1"


def test_reorder_nothing(trust: TrustStore) -> None:
    repair = fixes.reorder(sample("good-chain.pem"), ctx_for(trust))
    assert not repair.changed and repair.description == "nothing to reorder"


def test_reorder_keeps_extras_and_duplicates_at_the_end(trust: TrustStore) -> None:
    chain = sample("extra-cert.pem").certs  # leaf, fin, service, Asia CA
    leaf, fin, service, asia = chain
    bundle = Bundle((asia, fin, service, fin, leaf))
    after = fixes.reorder(bundle, ctx_for(trust)).after
    assert list(after.certs) == [leaf, fin, service, asia, fin]
    assert after.certs[4] is bundle.certs[3], "the duplicate keeps its identity"


def test_reorder_places_the_root_last(trust: TrustStore) -> None:
    leaf, fin, service, root = sample("root-included.pem").certs
    after = fixes.reorder(Bundle((root, service, leaf, fin)), ctx_for(trust)).after
    assert list(after.certs) == [leaf, fin, service, root]


def test_complete_from_search_pool(trust: TrustStore, pool: CertPool) -> None:
    bundle = sample("missing-intermediate.pem")
    repair = fixes.complete(bundle, ctx_for(trust, search=pool))
    assert repair.changed and repair.unresolved is None
    assert subjects(repair.after) == good_chain()
    (added,) = repair.added
    assert added.origin.container == "search"
    assert "service-intermediate.pem" in added.origin.source or "good-chain.pem" in added.origin.source
    assert "from search path" in repair.description


def test_complete_places_added_right_after_the_cert_it_signs(trust: TrustStore, pool: CertPool) -> None:
    leaf, fin = sample("missing-intermediate.pem").certs
    asia = sample("extra-cert.pem").certs[3]
    repair = fixes.complete(Bundle((fin, asia, leaf)), ctx_for(trust, search=pool))
    assert subjects(repair.after) == [fin.subject, "CN=*.service.local Intermediate CA", asia.subject, leaf.subject]


def test_complete_root_only_with_keep_root(trust: TrustStore) -> None:
    bundle = sample("good-chain.pem")
    assert not fixes.complete(bundle, ctx_for(trust)).changed
    repair = fixes.complete(bundle, ctx_for(trust, keep_root=True))
    (root,) = repair.added
    assert root.origin.container == "store" and root.self_issued
    assert repair.after.certs[-1] == root


def test_complete_adds_intermediate_from_trust_store(trust: TrustStore, pool: CertPool) -> None:
    service = next(e for e in pool.entries if "*.service.local Intermediate" in e.subject)
    store = trust.with_extra([CertEntry(service.cert, service.der, Origin("store.pem", 1, container="store"))])
    repair = fixes.complete(sample("missing-intermediate.pem"), ctx_for(store))
    assert [e.origin.container for e in repair.added] == ["store"]
    assert "trust store store.pem:1" in repair.description


def test_complete_no_leaf(trust: TrustStore) -> None:
    repair = fixes.complete(sample("regional-cas.pem"), ctx_for(trust))
    assert not repair.changed and "no leaf" in repair.description


def test_complete_reports_bad_signature(trust: TrustStore) -> None:
    repair = fixes.complete(sample("bad-signature.pem"), ctx_for(trust))
    assert not repair.changed and repair.unresolved and "bad signature" in repair.unresolved


def test_drop_extras(trust: TrustStore) -> None:
    repair = fixes.drop_extras(sample("extra-cert.pem"), ctx_for(trust))
    assert [e.subject for e in repair.removed] == ["CN=Asia CA"]
    assert repair.description == "dropped 1: #4 'CN=Asia CA' (extra)"
    dup = fixes.drop_extras(sample("duplicate.pem"), ctx_for(trust))
    assert subjects(dup.after) == good_chain() and len(dup.removed) == 1


def test_drop_and_keep_root_round_trip(trust: TrustStore) -> None:
    included = sample("root-included.pem")
    dropped = fixes.drop_root(included, ctx_for(trust))
    assert dropped.changed and subjects(dropped.after) == good_chain()
    assert "#4 'CN=*.local Root CA'" in dropped.description
    assert not fixes.drop_root(sample("good-chain.pem"), ctx_for(trust)).changed
    kept = fixes.keep_root(dropped.after, ctx_for(trust))
    assert kept.after == included
    assert kept.added[0].origin.container == "store"
    assert not fixes.keep_root(included, ctx_for(trust)).changed


def test_drop_root_never_drops_a_self_signed_leaf() -> None:
    leaf = f.make("selfsigned.example")
    store = TrustStore([leaf.entry()])
    bundle = f.bundle(leaf)
    for fn in REPAIRS:
        assert fn(bundle, RepairContext(store, POLICY)).after.certs == bundle.certs


def test_fix_all_demo_description(trust: TrustStore) -> None:
    repair = fixes.fix_all(sample("demo.pem"), ctx_for(trust))
    assert subjects(repair.after) == good_chain()
    assert repair.description == (
        "dropped 1: #5 'CN=*.fin.service.local Intermediate CA' (duplicate); "
        "dropped the trust anchor #3 'CN=*.local Root CA'; reordered: #1, #2, #4 -> #2, #1, #4")
    assert len(repair.removed) == 2 and not repair.added


def test_fix_all_keep_root(trust: TrustStore) -> None:
    repair = fixes.fix_all(sample("demo.pem"), ctx_for(trust, keep_root=True))
    assert subjects(repair.after) == good_chain() + ["CN=*.local Root CA"]
    assert "contains-root" in diagnose(repair.after, trust, POLICY).codes()


def test_fix_steps_match_fix_all(trust: TrustStore) -> None:
    bundle = sample("demo.pem")
    steps = fixes.fix_steps(bundle, ctx_for(trust))
    assert [s.name for s in steps] == ["complete", "drop-extras", "drop-root", "reorder"]
    assert steps[-1].after == fixes.fix_all(bundle, ctx_for(trust)).after


# --- keys and PEM output --------------------------------------------------------------------------


def test_combined_key_chain_keeps_its_key(trust: TrustStore) -> None:
    bundle = sample("combined-key-chain.pem")
    leaf, fin, service = bundle.certs
    shuffled = Bundle((service, fin, leaf, fin), bundle.keys, (), bundle.sources)
    repair = fixes.fix_all(shuffled, ctx_for(trust))
    assert repair.after.keys == bundle.keys
    text = fixes.to_pem(repair.after, include_keys=True)
    assert text == leaf.pem + bundle.keys[0].pem + fin.pem + service.pem
    assert "PRIVATE KEY" not in fixes.to_pem(repair.after, include_keys=False)
    assert (SAMPLES / "combined-key-chain.pem").read_text() == text


def test_to_pem_places_unmatched_keys_after_the_leaf() -> None:
    h = f.hierarchy("pem")
    stray = f.make("stray.example", h.inter)
    b = f.bundle(h.inter, h.leaf, keys=(stray,))
    assert fixes.to_pem(b, include_keys=True) == b.certs[0].pem + b.certs[1].pem + b.keys[0].pem
    unreadable = KeyEntry("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAA==\n-----END ENCRYPTED PRIVATE KEY-----",
                          Origin("k.pem", 1), "PKCS#8", encrypted=True)
    only_cas = Bundle((b.certs[0],), (unreadable,))
    assert fixes.to_pem(only_cas, include_keys=True) == b.certs[0].pem + unreadable.pem + "\n"
    assert fixes.to_pem(Bundle((), (unreadable,)), include_keys=True) == unreadable.pem + "\n"


@pytest.mark.parametrize("name,search", [("good-chain.p7b", None), ("good-chain.p12", None),
                                         ("leaf.der", "good-chain.pem")])
def test_binary_inputs_become_a_pem_chain(name: str, search: str | None, trust: TrustStore) -> None:
    pool = search_pool([str(SAMPLES / search)])[0] if search else None
    repair = fixes.fix_all(sample(name), ctx_for(trust, search=pool))
    text = fixes.to_pem(repair.after, include_keys=True)
    back = load_bytes(text.encode(), "fixed.pem")
    assert subjects(back) == good_chain()
    assert all(c.origin.container == "pem" for c in back.certs)
    assert diagnose(back, trust, POLICY).verdict == "ok"
    assert len(back.keys) == (1 if name.endswith(".p12") else 0)


# --- generated edge cases -------------------------------------------------------------------------


def cross_signed() -> tuple[f.Issued, f.Issued, f.Issued, f.Issued, f.Issued]:
    """old root R1 and new root R2; X = R2's name and key signed by R1; R2 -> I -> L."""
    r1 = f.ca("Cross Old Root")
    r2 = f.ca("Cross New Root")
    x = f.cross_sign(r2, r1)
    inter = f.ca("Cross Intermediate", r2)
    leaf = f.make("cross.example", inter)
    return r1, r2, x, inter, leaf


@pytest.mark.parametrize("anchors", ["old", "new", "both"])
def test_cross_signed_two_valid_paths(anchors: str) -> None:
    r1, r2, x, inter, leaf = cross_signed()
    store = TrustStore([r.entry() for r in {"old": [r1], "new": [r2], "both": [r1, r2]}[anchors]])
    ctx = RepairContext(store, POLICY)
    bundle = f.bundle(x, leaf, inter)
    repair = fixes.fix_all(bundle, ctx)
    assert [e.sha256 for e in repair.after.certs] == [leaf.sha256, inter.sha256, x.sha256]
    report = diagnose(repair.after, store, POLICY)
    assert report.verdict == "ok" and not report.codes() & ORDER_CODES
    assert not fixes.fix_all(repair.after, ctx).changed
    kept = fixes.fix_all(bundle, RepairContext(store, POLICY, keep_root=True))
    assert not fixes.fix_all(kept.after, RepairContext(store, POLICY, keep_root=True)).changed
    if anchors == "old":  # the path runs through X to the old root, which keep_root adds
        assert kept.after.certs[-1].sha256 == r1.sha256


def test_cross_signed_with_both_roots_loaded() -> None:
    r1, r2, x, inter, leaf = cross_signed()
    store = TrustStore([r1.entry()])
    bundle = f.bundle(r2, leaf, r1, x, inter)
    repair = fixes.fix_all(bundle, RepairContext(store, POLICY))
    report = diagnose(repair.after, store, POLICY)
    assert repair.after.certs[0].sha256 == leaf.sha256
    assert report.verdict == "ok" and not report.codes() & (ORDER_CODES | {"contains-root"})
    assert not fixes.fix_all(repair.after, RepairContext(store, POLICY)).changed


def test_two_leaves_drops_the_other_leaf() -> None:
    h = f.hierarchy("two")
    other = f.make("other.two.example", h.inter)
    store = TrustStore([h.root.entry()])
    bundle = f.bundle(h.leaf, h.inter, other)
    repair = fixes.fix_all(bundle, RepairContext(store, POLICY))
    assert [e.sha256 for e in repair.after.certs] == [h.leaf.sha256, h.inter.sha256]
    assert "multiple-leaves" not in diagnose(repair.after, store, POLICY).codes()


def test_two_leaves_key_decides_and_keyed_leaves_stay() -> None:
    h = f.hierarchy("twokey")
    other = f.make("other.twokey.example", h.inter)
    store = TrustStore([h.root.entry()])
    keyed = f.bundle(h.leaf, h.inter, other, keys=(other,))
    repair = fixes.fix_all(keyed, RepairContext(store, POLICY))
    assert [e.sha256 for e in repair.after.certs] == [other.sha256, h.inter.sha256]
    both = f.bundle(h.leaf, h.inter, other, keys=(h.leaf, other))
    after = fixes.fix_all(both, RepairContext(store, POLICY)).after
    assert {e.sha256 for e in after.certs} == {h.leaf.sha256, h.inter.sha256, other.sha256}
    assert after.keys == both.keys


def test_issuer_found_only_through_aia() -> None:
    bodies: dict[str, bytes] = {}
    with f.serve_http(bodies) as base:
        h = f.aia_hierarchy(base)
        root, inter, leaf = h.root, h.inter, h.leaf
        bodies["/inter.der"] = f.der_of(inter)
        store = TrustStore([root.entry()])
        bundle = f.bundle(leaf)
        offline = RepairContext(store, POLICY)
        assert network_urls(bundle, offline) == [f"{base}/inter.der"]
        assert not fixes.complete(bundle, offline).changed
        repair = fixes.complete(bundle, RepairContext(store, POLICY, allow_network=True, timeout=2.0,
                                                      allow_loopback=True))
    assert [e.sha256 for e in repair.added] == [inter.sha256]
    assert repair.added[0].origin.container == "aia"
    assert repair.added[0].origin.source == f"{base}/inter.der"
    assert f"AIA {base}/inter.der" in repair.description
    assert diagnose(repair.after, store, POLICY).verdict == "ok"
    assert network_urls(repair.after, offline) == []


def test_aia_errors_become_notes() -> None:
    with f.serve_http({}) as base:
        h = f.aia_hierarchy(base)
        store = TrustStore([h.root.entry()])
        repair = fixes.complete(f.bundle(h.leaf), RepairContext(store, POLICY, allow_network=True, timeout=2.0,
                                                                allow_loopback=True))
    assert not repair.changed
    assert repair.notes == (f"{base}/inter.der: HTTP 404",)
    assert repair.unresolved and "AIA Intermediate" in repair.unresolved


def test_aia_walks_several_levels_with_injected_fetch() -> None:
    root = f.ca("Deep Root")
    mid = f.ca("Deep Mid", root, aia="http://aia.test/root.der")
    low = f.ca("Deep Low", mid, aia="http://aia.test/mid.der")
    leaf = f.make("deep.example", low, aia="http://aia.test/low.der")
    table = {"http://aia.test/low.der": [low.cert], "http://aia.test/mid.der": [mid.cert],
             "http://aia.test/root.der": [root.cert]}
    calls: list[tuple[str, float]] = []

    def fetch(url: str, *, timeout: float, addresses: AddressPolicy) -> list[x509.Certificate]:
        assert addresses == AddressPolicy()  # public addresses only, by default
        calls.append((url, timeout))
        if url not in table:
            raise AIAError(f"{url}: HTTP 404")
        return table[url]

    store = TrustStore([root.entry()])
    ctx = RepairContext(store, POLICY, allow_network=True, fetch=fetch, timeout=1.5)
    repair = fixes.fix_all(f.bundle(leaf), ctx)
    assert [e.sha256 for e in repair.after.certs] == [leaf.sha256, low.sha256, mid.sha256]
    assert all(0 < t <= 1.5 for _, t in calls)  # never more than the per-fetch timeout
    assert [u for u, _ in calls] == ["http://aia.test/low.der", "http://aia.test/mid.der"]  # an anchor signed mid
    calls.clear()
    assert not fixes.fix_all(repair.after, ctx).changed and calls == []


def test_no_network_without_permission() -> None:
    def fetch(url: str, **_kw: object) -> list[x509.Certificate]:
        raise AssertionError("fetched without permission")

    h = f.aia_hierarchy("http://aia.test")
    ctx = RepairContext(TrustStore([h.root.entry()]), POLICY, fetch=fetch)
    for fn in REPAIRS:
        fn(f.bundle(h.leaf), ctx)
    assert network_urls(f.bundle(h.leaf), ctx) == ["http://aia.test/inter.der"]


def test_repair_changed() -> None:
    b = f.bundle(f.hierarchy("chg").leaf)
    assert not Repair("reorder", b, b, "x").changed
    assert Repair("reorder", b, Bundle(), "x").changed


# --- properties -----------------------------------------------------------------------------------


def _pieces() -> tuple[list[CertEntry], list[CertEntry], TrustStore]:
    """The good chain and its root, the unrelated Asia CA, the regional HR chain."""
    chain = list(load_file(str(SAMPLES / "root-included.pem")).certs)
    extras = [load_file(str(SAMPLES / "extra-cert.pem")).certs[3],
              *load_file(str(SAMPLES / "regional-hr-chain.pem")).certs]
    return chain, extras, load_trust([LOCAL_ROOT], system=False)


CHAIN, EXTRAS, TRUST = _pieces()


@st.composite
def messy_bundles(draw: st.DrawFn) -> Bundle:
    chain = draw(st.lists(st.sampled_from(CHAIN[1:]), max_size=5))  # intermediates and root, repeats allowed
    extras = draw(st.lists(st.sampled_from(EXTRAS), max_size=3))
    certs = [CHAIN[0], *chain, *extras]
    return Bundle(tuple(draw(st.permutations(certs))))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bundle=messy_bundles(), keep=st.booleans())
def test_fix_all_idempotent_and_clean(bundle: Bundle, keep: bool) -> None:
    ctx = RepairContext(TRUST, POLICY, keep_root=keep)
    leaf = diagnose(bundle, TRUST, POLICY).leaf
    fixed = fixes.fix_all(bundle, ctx)
    again = fixes.fix_all(fixed.after, ctx)
    assert again.after == fixed.after and not again.changed
    report = diagnose(fixed.after, TRUST, POLICY)
    assert not report.codes() & ORDER_CODES
    assert fixed.after.certs[0] == leaf
    if leaf == CHAIN[0] and {CHAIN[1], CHAIN[2]} <= set(bundle.certs):
        assert report.verdict == "ok"
        assert ("contains-root" in report.codes()) == keep
