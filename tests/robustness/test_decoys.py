"""Same-named decoys must not hide the real issuer: no false finding, no lost intermediate, no silent cap.

Decoys share the issuer's name but not its key. A signature check is made per candidate; the
likely issuer (its subjectKeyIdentifier is the child's authorityKeyIdentifier) is tried first, a
result is cached per (certificate, issuer key), and a limit that leaves candidates unchecked says so.
"""

from __future__ import annotations

import pytest

from tests import factory as f
from tests.robustness.support import trust
from tui.pki import fixes, graph
from tui.pki.diagnose import Policy, diagnose
from tui.pki.fixes import RepairContext

POLICY = Policy(at=f.AT)
DECOYS = 70  # more than MAX_CHECKS_PER_CERT


Decoys = tuple[f.Issued, f.Issued, list[f.Issued]]


@pytest.fixture(scope="module")
def decoys() -> Decoys:
    """A root, its intermediate, and 70 same-named CAs without key identifiers, each with its own key."""
    root = f.ca("Decoy Root")
    real = f.ca("Decoy Intermediate", root)
    fakes = [f.ca("Decoy Intermediate", root, key=f.ec_key(f"decoy-{i}"), ski=False) for i in range(DECOYS)]
    return root, real, fakes


def test_decoys_before_the_real_intermediate_are_a_wrong_order_not_a_bad_signature(decoys: Decoys) -> None:
    root, real, fakes = decoys
    leaf = f.make("decoy.example", real)
    served = f.bundle(leaf, *fakes, real)
    report = diagnose(served, trust(root), POLICY)
    assert [e.sha256 for e in report.chain] == [leaf.sha256, real.sha256, root.sha256]
    assert "bad-signature" not in report.codes() and "missing-intermediate" not in report.codes()
    assert report.roles[-1] == "intermediate" and set(report.roles[1:-1]) == {"extra"}
    # OpenSSL takes the first same-named certificate without a key identifier, and fails
    assert not report.client("openssl").accepts
    assert report.by_code("wrong-order")[0].certificates == (fakes[0].sha256,)


def test_fix_keeps_the_real_intermediate_and_drops_the_decoys(decoys: Decoys) -> None:
    root, real, fakes = decoys
    leaf = f.make("decoy-fix.example", real)
    ctx = RepairContext(trust(root), POLICY)
    fixed = fixes.fix_all(f.bundle(leaf, *fakes, real), ctx).after
    assert [e.sha256 for e in fixed.certs] == [leaf.sha256, real.sha256]
    after = diagnose(fixed, trust(root), POLICY)
    assert after.verdict == "ok" and after.findings == []


def test_without_a_key_identifier_the_issuer_is_still_found_past_the_decoys(decoys: Decoys) -> None:
    root, real, fakes = decoys
    leaf = f.make("decoy-noaki.example", real, aki=False)
    report = diagnose(f.bundle(leaf, *fakes, real), trust(root), POLICY)
    assert report.path is not None and report.path.trusted and report.chain[1].sha256 == real.sha256
    assert "bad-signature" not in report.codes() and not report.graph.exhausted
    fixed = fixes.fix_all(f.bundle(leaf, *fakes, real), RepairContext(trust(root), POLICY)).after
    assert [e.sha256 for e in fixed.certs] == [leaf.sha256, real.sha256]


def test_seventy_cross_signed_copies_of_one_intermediate() -> None:
    """One intermediate (one name, one key) cross-signed by 70 roots, only the last one trusted.

    The copies share a key, so the leaf's signature is checked once, not 70 times, and no limit
    hides the copy that leads to the anchor. OpenSSL takes the first copy and dead-ends.
    """
    key = f.ec_key("mesh intermediate")
    roots = [f.ca(f"Mesh Root {i}") for i in range(DECOYS)]
    copies = [f.make("Mesh Intermediate", r, key=key, ca=True) for r in roots]
    leaf = f.make("mesh.example", copies[-1])
    report = diagnose(f.bundle(leaf, *copies), trust(roots[-1]), POLICY)
    assert report.path is not None and report.path.trusted
    assert report.chain[1].sha256 == copies[-1].sha256
    assert "missing-intermediate" not in report.codes()
    assert report.by_code("wrong-order")[0].certificates == (copies[0].sha256,)
    assert not report.client("openssl").accepts
    fixed = fixes.fix_all(f.bundle(leaf, *copies), RepairContext(trust(roots[-1]), POLICY)).after
    assert [e.sha256 for e in fixed.certs[:2]] == [leaf.sha256, copies[-1].sha256]
    assert diagnose(fixed, trust(roots[-1]), POLICY).verdict == "ok"


def test_candidates_left_unchecked_by_the_limit_are_named(
    decoys: Decoys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once an issuer is found, at most MAX_CHECKS_PER_CERT more candidates are tried; the rest are
    extras whose finding says that they were not checked, and names the limit."""
    root, real, fakes = decoys
    monkeypatch.setattr(graph, "MAX_CHECKS_PER_CERT", 8)
    leaf = f.make("decoy-cap.example", real, aki=False)
    report = diagnose(f.bundle(leaf, real, *fakes), trust(root), POLICY)
    assert report.verdict == "ok"
    capped = [x for x in report.by_code("extra-cert") if "MAX_CHECKS_PER_CERT" in x.message]
    assert len(capped) == DECOYS - 8
    assert {c for x in capped for c in x.certificates} == {d.sha256 for d in fakes[8:]}
