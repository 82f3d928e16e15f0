"""Hostile bundles: huge, deep, cyclic, ambiguous, oversized and malformed inputs.

Each case must finish, use bounded memory and give an honest report. Generation reuses a handful of
keys and is cached per session. Hang guards are far above normal run times (no timing is asserted);
memory peaks count Python allocations (``tracemalloc``).
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from cryptography.x509.oid import ExtensionOID

from tests import factory as f
from tests.robustness.support import (
    assert_clean_exit,
    full_report,
    hang_guard,
    peak_memory,
    pem_block,
    resign,
    run_cli,
    trust,
    x509_name,
)
from tests.tlsserver import serve_tls
from tui.cli import main
from tui.cli.render_text import MESSAGE_WIDTH
from tui.pki import fixes, graph
from tui.pki.diagnose import Policy, Report, diagnose
from tui.pki.fixes import RepairContext
from tui.pki.graph import MAX_CHECKS_PER_CERT, MAX_PATH, Sig, check_signature
from tui.pki.load import MAX_INPUT_BYTES, MAX_UNREADABLE, LoadError, load_bytes, load_file
from tui.pki.model import Bundle, CertEntry

pytestmark = pytest.mark.filterwarnings("ignore:Attribute's length must be:UserWarning")

GUARD = 120  # seconds before a case counts as a hang; every case normally takes a few seconds at most
MiB = 1024 * 1024
LINE_BOUND = MESSAGE_WIDTH + 200  # no line of the text report may be longer (names are shortened)
POLICY = Policy(at=f.AT)


def keys(n: int) -> list[EllipticCurvePrivateKey]:
    return [f.ec_key(f"hostile-{i}") for i in range(n)]


class SigCounter:
    """Counts signature checks (``tui.pki.graph.check_signature``), per child certificate."""

    def __init__(self, budget: int | None = None) -> None:
        self.total = 0
        self.by_child: dict[str, int] = {}
        self.budget = budget

    def __call__(self, child: CertEntry, issuer: CertEntry) -> Sig:
        self.total += 1
        self.by_child[child.sha256] = self.by_child.get(child.sha256, 0) + 1
        if self.budget is not None and self.total > self.budget:
            raise AssertionError(f"more than {self.budget} signature checks")
        return check_signature(child, issuer)


@pytest.fixture()
def sig_counter(monkeypatch: pytest.MonkeyPatch) -> SigCounter:
    counter = SigCounter()
    monkeypatch.setattr(graph, "check_signature", counter)
    return counter


def assert_text_bounded(text: str) -> None:
    longest = max(map(len, text.splitlines()))
    assert longest <= LINE_BOUND, longest


def signed_by(cn: str, issuer_cn: str, issuer_key: EllipticCurvePrivateKey,
              key: EllipticCurvePrivateKey, **kw: object) -> f.Issued:
    """A CA certificate for ``cn`` that names ``issuer_cn`` and is signed by ``issuer_key``."""
    stand_in = f.Issued(cert=f.ca("stand-in").cert, key=issuer_key)
    return f.make(cn, stand_in, key=key, ca=True, issuer_name=f.name(issuer_cn), **kw)


# --- 10,000 certificates --------------------------------------------------------------------------


@dataclass(frozen=True)
class Big:
    pem: bytes
    root: f.Issued
    inter: f.Issued
    leaf: f.Issued


@pytest.fixture(scope="session")
def ten_thousand() -> Big:
    """leaf, its intermediate, and 9,998 more leaves of that intermediate on four shared keys."""
    root = f.ca("Big Root")
    inter = f.ca("Big Intermediate", root)
    leaf = f.make("big.example", inter)
    shared = keys(4)
    others = [f.make(f"extra-{i}.example", inter, key=shared[i % 4]) for i in range(9_998)]
    return Big(f.pem_of(leaf, inter, *others), root, inter, leaf)


def test_ten_thousand_certificates(ten_thousand: Big, sig_counter: SigCounter) -> None:
    big = ten_thousand

    def run() -> tuple[Report, str, str]:
        bundle = load_bytes(big.pem, "big.pem")
        return full_report(bundle, trust(big.root), Policy(at=f.AT, host="big.example"))

    with hang_guard(GUARD):
        (report, data, text), peak = peak_memory(run)
    assert peak < 1024 * MiB
    assert len(report.bundle.certs) == 10_000
    assert [e.sha256 for e in report.chain] == [big.leaf.sha256, big.inter.sha256, big.root.sha256]
    assert report.verdict == "ok"
    codes = [x.code for x in report.findings]
    assert codes.count("extra-cert") == 9_998 and "multiple-leaves" in codes
    assert sig_counter.total <= 3 * 10_000  # about one check per certificate
    parsed = json.loads(data)
    assert len(parsed["certificates"]) == 10_000 and parsed["verdict"] == "ok"
    assert_text_bounded(text)
    assert len(text.splitlines()) < 10 * 10_000


def test_ten_thousand_certificates_repair(ten_thousand: Big) -> None:
    with hang_guard(GUARD):
        bundle = load_bytes(ten_thousand.pem, "big.pem")
        fixed = fixes.fix_all(bundle, RepairContext(trust(ten_thousand.root), Policy(at=f.AT, host="big.example")))
    assert [e.sha256 for e in fixed.after.certs] == [ten_thousand.leaf.sha256, ten_thousand.inter.sha256]


# --- a 50-deep chain, and one deeper than the search goes -----------------------------------------


@dataclass(frozen=True)
class Deep:
    root: f.Issued
    cas: list[f.Issued]  # below the root, top first
    leaf: f.Issued


def deep_chain(depth: int) -> Deep:
    """root -> ``depth - 2`` intermediates -> leaf: ``depth`` certificates with the root."""
    shared = keys(4)
    root = f.ca(f"Deep{depth} Root", key=shared[0])
    cas = [root]
    for i in range(depth - 2):
        cas.append(f.ca(f"Deep{depth} CA {i}", cas[-1], key=shared[(i + 1) % 4]))
    leaf = f.make(f"deep{depth}.example", cas[-1])
    return Deep(root, cas[1:], leaf)


@pytest.fixture(scope="session")
def deep50() -> Deep:
    return deep_chain(50)


def test_fifty_deep_chain_is_built_and_the_verifier_limit_is_a_finding(deep50: Deep) -> None:
    served = [deep50.leaf, *reversed(deep50.cas)]
    with hang_guard(GUARD):
        report, data, text = full_report(f.bundle(*served), trust(deep50.root))
    chain = report.chain
    assert report.path is not None and report.path.trusted
    assert [e.sha256 for e in chain] == [i.sha256 for i in (*served, deep50.root)]
    assert len(chain) == 50
    for child, issuer in pairwise(chain):
        assert check_signature(child, issuer) is Sig.OK
    # honest: OpenSSL follows 100 certificates and accepts; the strict verifiers give up long before
    # 50, and that is reported as what it is, a refusal by strict clients only
    assert report.client("openssl").accepts and not report.client("webpki-strict").accepts
    assert report.verdict == "ok"
    depth = report.by_code("strict-clients-refuse")
    assert depth and "intermediate" in depth[0].message and "rustls" in depth[0].message
    assert json.loads(data)["chain"] == [e.sha256 for e in chain]
    assert_text_bounded(text)


def test_chain_deeper_than_the_search_stops_honestly() -> None:
    deep = deep_chain(MAX_PATH + 6)
    with hang_guard(GUARD):
        report, _, text = full_report(f.bundle(deep.leaf, *reversed(deep.cas)), trust(deep.root))
    assert report.path is not None and not report.path.trusted
    assert len(report.chain) <= MAX_PATH
    assert report.verdict == "broken"
    assert {"rejected", "missing-intermediate"} & report.codes()
    assert_text_bounded(text)


@pytest.fixture(scope="session")
def long_chain() -> Deep:
    return deep_chain(3_000)


@pytest.mark.parametrize("order", ["leaf-first", "backwards"])
def test_three_thousand_long_chain_in_either_order(long_chain: Deep, order: str) -> None:
    """Ordering checks and reordering over a chain far longer than any path (they were cubic)."""
    proper = [long_chain.leaf, *reversed(long_chain.cas)]
    served = proper if order == "leaf-first" else [long_chain.leaf, *long_chain.cas]
    with hang_guard(GUARD):
        report, data, text = full_report(f.bundle(*served), trust(long_chain.root))
        fixed = fixes.fix_all(f.bundle(*served), RepairContext(trust(long_chain.root), POLICY))
    assert len(report.chain) <= MAX_PATH and report.verdict == "broken"
    assert ("wrong-order" in report.codes()) == (order == "backwards")
    assert [e.sha256 for e in fixed.after.certs] == [i.sha256 for i in proper]
    assert_text_bounded(text)
    json.loads(data)


# --- cross-signing cycles -------------------------------------------------------------------------


def cycle(n: int) -> tuple[list[f.Issued], f.Issued]:
    """CA i is signed by CA i-1 (mod n): a ring of ``n`` cross-signatures, and a leaf of CA 0."""
    ks = keys(n) if n <= 8 else [f.ec_key(f"ring-{i}") for i in range(n)]
    ring = [signed_by(f"Ring{n} CA {i}", f"Ring{n} CA {(i - 1) % n}", ks[(i - 1) % n], ks[i]) for i in range(n)]
    leaf = f.make(f"ring{n}.example", f.Issued(cert=ring[0].cert, key=ks[0]))
    return ring, leaf



@contextmanager
def tight_recursion(headroom: int = 150) -> Iterator[None]:
    """Allow only ``headroom`` more stack frames: a recursive walk over a long cycle would fail."""
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + headroom)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


@pytest.mark.parametrize("n", [2, 3, 200])
def test_cross_signing_cycles_terminate(n: int, sig_counter: SigCounter) -> None:
    ring, leaf = cycle(n)
    bundle = f.bundle(leaf, *ring)
    with hang_guard(GUARD), tight_recursion():
        report, data, text = full_report(bundle, trust())
        repaired = fixes.fix_all(bundle, RepairContext(trust(), POLICY))
        again = fixes.fix_all(repaired.after, RepairContext(trust(), POLICY))
    assert report.path is not None and not report.path.trusted
    assert report.path.end in ("loop", "too-long", "missing")
    assert len(report.chain) <= MAX_PATH
    assert report.verdict == "broken" and {"missing-intermediate", "rejected"} & report.codes()
    assert [e.der for e in again.after.certs] == [e.der for e in repaired.after.certs]
    assert sig_counter.total <= MAX_CHECKS_PER_CERT * (n + 1)
    json.loads(data)
    assert_text_bounded(text)


def test_cycle_through_a_trust_anchor_is_trusted() -> None:
    ring, leaf = cycle(3)  # CA 0 is signed by CA 2, CA 2 by CA 1
    with hang_guard(GUARD):
        report, _, _ = full_report(f.bundle(leaf, *ring), trust(ring[1]))
    assert report.path is not None and report.path.trusted
    assert [e.sha256 for e in report.chain] == [leaf.sha256, ring[0].sha256, ring[2].sha256, ring[1].sha256]


def test_mutual_cross_signs_with_a_self_signed_twin() -> None:
    """A signs B, B signs A, and A also exists self-signed: the path ends at the self-signed one."""
    ka, kb = keys(2)
    a_self = f.ca("Mutual A", key=ka)
    b = signed_by("Mutual B", "Mutual A", ka, kb)
    a_by_b = signed_by("Mutual A", "Mutual B", kb, ka)
    leaf = f.make("mutual.example", a_self)
    for anchors, trusted in (((), False), ((a_self,), True)):
        with hang_guard(GUARD):
            report, _, _ = full_report(f.bundle(leaf, a_by_b, b, a_self), trust(*anchors))
        assert report.path is not None and report.path.trusted is trusted
        assert report.chain[-1].sha256 == a_self.sha256


# --- hundreds of same-named issuers with different keys -------------------------------------------


@dataclass(frozen=True)
class SameName:
    root: f.Issued
    cas: list[f.Issued]


@pytest.fixture(scope="session")
def same_name() -> SameName:
    """300 CAs named "Same CA", each with its own key, all issued by one root."""
    root = f.ca("Same Root")
    return SameName(root, [f.ca("Same CA", root, key=f.ec_key(f"same-{i}")) for i in range(300)])


def test_three_hundred_same_named_issuers_with_key_ids(same_name: SameName, sig_counter: SigCounter) -> None:
    signer = same_name.cas[217]
    leaf = f.make("same.example", signer)
    bundle = f.bundle(leaf, *same_name.cas)
    with hang_guard(GUARD):
        report, _, text = full_report(bundle, trust(same_name.root))
    assert [e.sha256 for e in report.chain] == [leaf.sha256, signer.sha256, same_name.root.sha256]
    assert report.path is not None and report.path.trusted
    assert "bad-signature" not in report.codes()
    assert sig_counter.by_child[leaf.sha256] <= MAX_CHECKS_PER_CERT
    assert sig_counter.total <= MAX_CHECKS_PER_CERT * len(bundle.certs)
    assert_text_bounded(text)


def test_same_named_issuers_without_key_ids(same_name: SameName, sig_counter: SigCounter) -> None:
    """Without an authorityKeyIdentifier the candidates are tried in load order until the issuer is
    found, however far down it is (the graph-wide budget bounds the work). OpenSSL takes the first
    same-named certificate instead and fails: that order is reported, naming the impostor in front."""
    for signer in (same_name.cas[40], same_name.cas[-1]):
        leaf = f.make("nokeyid.example", signer, aki=False)
        sig_counter.by_child.clear()
        with hang_guard(GUARD):
            report, _, _ = full_report(f.bundle(leaf, *same_name.cas), trust(same_name.root))
        assert report.path is not None and report.path.trusted
        assert report.chain[1].sha256 == signer.sha256
        assert sig_counter.by_child[leaf.sha256] <= len(same_name.cas)
        assert "bad-signature" not in report.codes()
        assert report.by_code("wrong-order")[0].certificates == (same_name.cas[0].sha256,)
        assert not report.client("openssl").accepts and report.verdict == "broken"


@pytest.mark.parametrize("key_ids", [True, False], ids=["with-key-ids", "without-key-ids"])
def test_many_same_named_self_signed_certificates_cost_bounded_work(key_ids: bool,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    n = 600
    shared = [f.ec_key(f"selfsame-{i}") for i in range(n)]
    certs = [f.make("Self Same", key=shared[i], ca=True, aki=key_ids) for i in range(n)]
    leaf = f.make("selfsame.example", certs[0], aki=key_ids)
    counter = SigCounter(budget=8 * (n + 1))  # fails fast instead of doing all the work
    monkeypatch.setattr(graph, "check_signature", counter)
    with hang_guard(GUARD):
        diagnose(f.bundle(leaf, *certs), trust(), POLICY)


# --- a 10,000-character name ----------------------------------------------------------------------


LONG = "N" * 10_000


def long_named(cn: str, issuer: f.Issued, *, ca: bool = False, key_label: str = "long") -> f.Issued:
    key = f.ec_key(key_label)
    builder = (x509.CertificateBuilder()
               .subject_name(x509_name(COMMON_NAME=cn, ORGANIZATION_NAME=cn))
               .issuer_name(issuer.cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(f.NOT_BEFORE).not_valid_after(f.NOT_AFTER)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), False))
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), True).add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True)
    else:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName("long.example")]), False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f.Issued(builder.sign(issuer.key, hashes.SHA256()), key)


@pytest.mark.parametrize("case", ["long-leaf", "long-issuer-missing", "long-issuer-present", "hostname"])
def test_ten_thousand_character_names(case: str) -> None:
    root = f.ca("Long Root")
    inter = f.ca("Long Intermediate", root)
    if case == "long-leaf" or case == "hostname":
        leaf = long_named(LONG, inter)
        served, anchors = [leaf, inter], [root]
    else:
        long_ca = long_named("C" * 10_000, root, ca=True, key_label="long-ca")
        leaf = f.make("short.example", long_ca)
        served, anchors = ([leaf] if case == "long-issuer-missing" else [leaf, long_ca]), [root]
    policy = Policy(at=f.AT, host="other.example" if case == "hostname" else None)
    with hang_guard(GUARD):
        report, data, text = full_report(f.bundle(*served), trust(*anchors), policy)
    assert_text_bounded(text)
    assert "…" in text  # the name was shortened, visibly
    parsed = json.loads(data)
    for entry, item in zip(report.bundle.certs, parsed["certificates"], strict=True):
        assert item["subject"] == entry.subject and item["issuer"] == entry.issuer  # JSON keeps full names
    assert max(len(c["subject"]) + len(c["issuer"]) for c in parsed["certificates"]) > 10_000
    if case == "long-issuer-missing":
        assert "missing-intermediate" in report.codes()


def test_long_names_leave_stderr_clean(tmp_path: Path) -> None:
    """cryptography warns about over-long names; the command line must not print that."""
    root = f.ca("Quiet Root")
    (tmp_path / "long.pem").write_bytes(long_named(LONG, root).pem)
    (tmp_path / "junk.txt").write_bytes(b"not a certificate")
    proc = run_cli("check", str(tmp_path / "long.pem"), "--no-system-roots")
    assert proc.returncode == 1 and proc.stderr == b""
    proc = run_cli("check", str(tmp_path / "long.pem"), str(tmp_path / "junk.txt"), "--no-system-roots")
    assert_clean_exit(proc.returncode, proc.stderr.decode())
    assert proc.returncode == 2


# --- huge extensions ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def huge_san() -> tuple[f.Issued, f.Issued, f.Issued]:
    nc = x509.NameConstraints(permitted_subtrees=[x509.DNSName("example")], excluded_subtrees=None)
    root = f.ca("SAN Root")
    inter = f.ca("SAN Intermediate", root, name_constraints=nc)
    leaf = f.make("h0.example", inter, dns=[f"h{i}.example" for i in range(10_000)])
    return root, inter, leaf


@pytest.mark.parametrize(("host", "verdict"), [("h9999.example", "ok"), ("elsewhere.example", "broken"),
                                               (None, "ok")])
def test_subject_alt_name_with_ten_thousand_names(huge_san: tuple[f.Issued, f.Issued, f.Issued], host: str | None,
                                                  verdict: str) -> None:
    root, inter, leaf = huge_san
    with hang_guard(GUARD):
        report, data, text = full_report(f.bundle(leaf, inter), trust(root), Policy(at=f.AT, host=host))
    assert report.verdict == verdict
    assert "name-constraints-violated" not in report.codes()
    if verdict == "broken":
        mismatch = report.by_code("hostname-mismatch")[0]
        assert len(mismatch.message) < 1000  # names a few of the 10,000, not all
    assert len(text) < 100_000 and len(data) < 100_000
    assert_text_bounded(text)


def test_name_constraints_over_ten_thousand_names_find_the_one_outside() -> None:
    nc = x509.NameConstraints(permitted_subtrees=[x509.DNSName("example")], excluded_subtrees=None)
    root = f.ca("NC Root")
    inter = f.ca("NC Intermediate", root, name_constraints=nc)
    leaf = f.make("n0.example", inter, dns=[*(f"n{i}.example" for i in range(9_999)), "outside.test"])
    with hang_guard(GUARD):
        report, _, text = full_report(f.bundle(leaf, inter), trust(root))
    assert "name-constraints-violated" in report.codes()
    assert "outside.test" in text


@pytest.mark.parametrize("critical", [False, True])
def test_hundred_kib_unknown_extension(critical: bool) -> None:
    root = f.ca("Ext Root")
    inter = f.ca("Ext Intermediate", root)
    plain = f.make("ext.example", inter)
    payload = b"\x04\x83\x01\x90\x00" + b"A" * 102_400  # an OCTET STRING of 100 KiB
    builder = (x509.CertificateBuilder().subject_name(plain.cert.subject).issuer_name(inter.cert.subject)
               .public_key(plain.key.public_key()).serial_number(7).not_valid_before(f.NOT_BEFORE)
               .not_valid_after(f.NOT_AFTER))
    for ext in plain.cert.extensions:
        builder = builder.add_extension(ext.value, ext.critical)
    builder = builder.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.55555.7"),
                                                               payload), critical)
    leaf = f.Issued(builder.sign(inter.key, hashes.SHA256()), plain.key)
    with hang_guard(GUARD):
        report, data, text = full_report(f.bundle(leaf, inter), trust(root))
    assert len(text) < 10_000 and len(data) < 10_000  # the extension's content is never echoed
    # a strict client refuses an unknown critical extension: never called ok
    assert report.verdict == ("broken" if critical else "ok")


def test_extension_claiming_four_gib_reads_as_absent() -> None:
    root = f.ca("Len Root")
    inter = f.ca("Len Intermediate", root)
    plain = f.make("len.example", inter)
    builder = (x509.CertificateBuilder().subject_name(plain.cert.subject).issuer_name(inter.cert.subject)
               .public_key(plain.key.public_key()).serial_number(8).not_valid_before(f.NOT_BEFORE)
               .not_valid_after(f.NOT_AFTER)
               .add_extension(x509.UnrecognizedExtension(ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
                                                         b"\x30\x84\xff\xff\xff\xff\x82\x01a"), False))
    leaf = f.Issued(builder.sign(inter.key, hashes.SHA256()), plain.key)
    with hang_guard(GUARD):
        report, _, _ = full_report(f.bundle(leaf, inter), trust(root), Policy(at=f.AT, host="len.example"))
    assert report.verdict == "broken"  # no readable subjectAltName: no host matches


# --- the 50 MiB limit -----------------------------------------------------------------------------


def test_file_just_over_the_limit_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "huge.pem"
    with path.open("wb") as fh:  # sparse: nothing is written, the size is what counts
        fh.truncate(MAX_INPUT_BYTES + 1)
    with pytest.raises(LoadError) as err:
        load_file(str(path))
    assert "50 MiB" in str(err.value) and "\n" not in str(err.value)
    proc = run_cli("check", str(path))
    assert_clean_exit(proc.returncode, proc.stderr.decode())
    assert proc.returncode == 2 and b"50 MiB" in proc.stderr


def test_stdin_just_over_the_limit_is_one_line() -> None:
    proc = run_cli("check", "-", stdin=b"A" * (MAX_INPUT_BYTES + 1))
    assert_clean_exit(proc.returncode, proc.stderr.decode())
    assert proc.returncode == 2 and b"50 MiB" in proc.stderr


def _text_with_chain(size: int) -> bytes:
    chain = (Path(__file__).resolve().parents[2] / "sample_certs" / "good-chain.pem").read_bytes()
    line = b"lorem ipsum dolor sit amet, consectetur adipiscing elit\n"
    filler = line * ((size - len(chain)) // len(line))
    return filler + b"x" * (size - len(chain) - len(filler)) + chain


def test_file_just_under_the_limit_of_mostly_text_loads(tmp_path: Path) -> None:
    data = _text_with_chain(MAX_INPUT_BYTES)
    assert len(data) == MAX_INPUT_BYTES
    with hang_guard(GUARD):
        bundle, peak = peak_memory(lambda: load_bytes(data, "text.pem"))
    assert len(bundle.certs) == 3 and not bundle.unreadable
    assert peak < 4 * MAX_INPUT_BYTES
    path = tmp_path / "text.pem"
    path.write_bytes(data)
    root = Path(__file__).resolve().parents[2] / "sample_certs" / "roots" / "local-root.pem"
    proc = run_cli("check", str(path), "--roots", str(root), "--no-system-roots")
    assert_clean_exit(proc.returncode, proc.stderr.decode())
    assert proc.returncode == 0, proc.stdout


# --- odd PEM --------------------------------------------------------------------------------------


CHAIN = f.hierarchy("odd")
GOOD = f.pem_of(CHAIN.leaf, CHAIN.inter)


def loads(data: bytes) -> tuple[Bundle, int]:
    with hang_guard(GUARD):
        return peak_memory(lambda: load_bytes(data, "odd.pem"))


def test_begin_without_end_keeps_the_rest() -> None:
    bundle, _ = loads(b"-----BEGIN CERTIFICATE-----\nMIIB\n" + GOOD)
    assert len(bundle.certs) == 2  # the open block ends where the next one begins
    assert bundle.unreadable[0].line == 1 and "no END" in bundle.unreadable[0].reason


def test_many_begins_without_end_stay_linear() -> None:
    """100,000 BEGIN lines: each END search stops at the next BEGIN (it used to scan to the end)."""
    data = b"-----BEGIN CERTIFICATE-----\n" * 100_000 + GOOD
    bundle, peak = loads(data)
    assert len(bundle.certs) == 2
    assert len(bundle.unreadable) == MAX_UNREADABLE + 1  # the rest is counted in one entry
    assert "more" in bundle.unreadable[-1].reason
    assert peak < 64 * MiB


def test_ten_thousand_empty_blocks() -> None:
    data = b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n" * 10_000 + GOOD
    bundle, peak = loads(data)
    assert len(bundle.certs) == 2 and bundle.certs[0].origin.line == 20_001
    assert len(bundle.unreadable) == MAX_UNREADABLE + 1
    assert bundle.unreadable[-1].reason.startswith(f"{10_000 - MAX_UNREADABLE} more")
    assert peak < 64 * MiB
    report, _, text = full_report(bundle, trust(CHAIN.root))
    assert len(report.by_code("unreadable")) == MAX_UNREADABLE + 1
    assert_text_bounded(text)


def test_ten_thousand_empty_blocks_alone_is_one_line_on_the_command_line(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "empty-blocks.pem"
    path.write_bytes(b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n" * 10_000)
    with hang_guard(GUARD):
        status = main(["check", str(path), "--no-system-roots"])
    err = capsys.readouterr().err
    assert_clean_exit(status, err)
    assert status == 2 and len(err) < 1000


@pytest.mark.parametrize("data", [
    b"-----BEGIN CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n" + GOOD,  # nested BEGIN
    b"-----END CERTIFICATE-----\n" * 1000 + GOOD,  # END without BEGIN
    b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END PKCS7-----\n" + GOOD,  # mismatched END
    b"-----BEGIN " + b"A" * 100_000 + b"-----\nxx\n-----END " + b"A" * 100_000 + b"-----\n" + GOOD,  # huge label
    b"-----BEGIN " + b"B" * 100_000 + b"-----\n" + GOOD,  # huge label, no END
    b"-----BEGIN CERTIFICATE-----" * 50_000 + b"\n" + GOOD,  # BEGINs on one line
    b"-" * 1_000_000 + b"BEGIN CERTIFICATE-----\n" + GOOD,
], ids=["nested", "end-only", "mismatched", "huge-label", "huge-label-open", "one-line", "dashes"])
def test_odd_pem_loads_the_good_blocks(data: bytes) -> None:
    bundle, peak = loads(data)
    assert [c.sha256 for c in bundle.certs][-2:] == [CHAIN.leaf.sha256, CHAIN.inter.sha256]
    assert all(len(u.reason) < 300 for u in bundle.unreadable)  # a huge label is never echoed whole
    assert peak < 64 * MiB + 4 * len(data)


# --- DER lengths and nesting ------------------------------------------------------------------------


FOUR_GIB = b"\x30\x84\xff\xff\xff\xff"


@pytest.mark.parametrize("data", [
    FOUR_GIB + b"\x00" * 64,
    FOUR_GIB,
    b"\x30\x80" * 100_000,  # deep indefinite-length nesting
    b"\x30\x84\x00\x0f\x42\x40" * 50_000,  # deep definite nesting, lengths that do not add up
    b"\x30\x80\x02\x01\x03" + b"\x30\x80" * 100_000,  # PFX-shaped, then deep nesting
    b"\x30\x00" * (5 * MiB // 2),  # 2.6 million empty SEQUENCEs
], ids=["4gib-header", "4gib-bare", "indefinite-nest", "definite-nest", "pfx-nest", "empty-sequences"])
def test_binary_length_bombs_are_one_load_error(data: bytes) -> None:
    def attempt() -> str:
        try:
            load_bytes(data, "bomb.der")
        except LoadError as exc:
            return str(exc)
        raise AssertionError("a length bomb loaded")

    with hang_guard(GUARD):
        message, peak = peak_memory(attempt)
    assert "\n" not in message
    assert peak < 64 * MiB + 2 * len(data)


@pytest.mark.parametrize("label", ["CERTIFICATE", "TRUSTED CERTIFICATE", "PKCS7"])
def test_four_gib_length_inside_pem_is_unreadable(label: str) -> None:
    bundle, _ = loads(pem_block(FOUR_GIB + b"\x00" * 32, label) + GOOD)
    assert len(bundle.certs) == 2 and len(bundle.unreadable) == 1


# --- PKCS#12 key-derivation bombs -----------------------------------------------------------------


SAMPLE_P12 = (Path(__file__).resolve().parents[2] / "sample_certs" / "good-chain.p12").read_bytes()


def _header(buf: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER element at ``pos``."""
    first = buf[pos + 1]
    if first < 0x80:
        return buf[pos], pos + 2, pos + 2 + first
    n = first & 0x7F
    length = int.from_bytes(buf[pos + 2:pos + 2 + n], "big")
    return buf[pos], pos + 2 + n, pos + 2 + n + length


def _der(tag: int, content: bytes) -> bytes:
    from tests.robustness.support import der_len

    return bytes([tag]) + der_len(len(content)) + content


def p12_with_mac_iterations(iterations: int) -> bytes:
    """The sample PKCS#12 with its MAC iteration count replaced (the MAC no longer matches)."""
    _, start, end = _header(SAMPLE_P12, 0)
    version_end = _header(SAMPLE_P12, start)[2]
    auth_end = _header(SAMPLE_P12, version_end)[2]
    _, mac_start, mac_end = _header(SAMPLE_P12, auth_end)
    digest_end = _header(SAMPLE_P12, mac_start)[2]
    salt_end = _header(SAMPLE_P12, digest_end)[2]
    count = iterations.to_bytes((iterations.bit_length() + 8) // 8, "big")
    mac = SAMPLE_P12[mac_start:salt_end] + _der(0x02, count)
    return _der(0x30, SAMPLE_P12[start:auth_end] + _der(0x30, mac))


def to_ber(buf: bytes, pos: int = 0, end: int | None = None) -> bytes:
    """Re-encode DER as BER: indefinite lengths everywhere, long OCTET STRINGs in 16-byte chunks."""
    end = len(buf) if end is None else end
    out = bytearray()
    while pos < end:
        tag, start, stop = _header(buf, pos)
        if tag & 0x20:
            out += bytes([tag, 0x80]) + to_ber(buf, start, stop) + b"\0\0"
        elif tag == 0x04 and stop - start > 16:
            pieces = (_der(0x04, buf[i:min(i + 16, stop)]) for i in range(start, stop, 16))
            out += b"\x24\x80" + b"".join(pieces) + b"\0\0"
        else:
            out += buf[pos:stop]
        pos = stop
    return bytes(out)


def test_pkcs12_sample_still_loads_in_der_and_ber() -> None:
    for data in (SAMPLE_P12, to_ber(SAMPLE_P12)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # cryptography notes its fallback to BER
            bundle = load_bytes(data, "chain.p12", password=b"chaindoctor")
        assert len(bundle.certs) == 3 and len(bundle.keys) == 1


def test_ber_pkcs12_leaves_stderr_clean(tmp_path: Path) -> None:
    path = tmp_path / "chain-ber.p12"
    path.write_bytes(to_ber(SAMPLE_P12))
    proc = run_cli("check", str(path), "--password", "chaindoctor", "--no-system-roots")
    assert proc.returncode == 1 and proc.stderr == b""  # untrusted without roots, and no warning printed


@pytest.mark.parametrize("encoding", ["der", "ber"])
@pytest.mark.parametrize("password", [None, "chaindoctor"])
def test_pkcs12_with_two_billion_mac_iterations_is_refused(tmp_path: Path, encoding: str,
                                                          password: str | None) -> None:
    """Unchecked, OpenSSL would derive the MAC key for minutes to hours (a 2.5 KB file)."""
    data = p12_with_mac_iterations(2**31 - 1)
    path = tmp_path / f"bomb.{encoding}.p12"
    path.write_bytes(to_ber(data) if encoding == "ber" else data)
    proc = run_cli("check", str(path), *(["--password", password] if password else []), timeout=60)
    err = proc.stderr.decode()
    assert_clean_exit(proc.returncode, err)
    assert proc.returncode == 2 and "key-derivation rounds" in err


def test_pkcs12_with_an_ordinary_iteration_count_is_only_a_bad_mac() -> None:
    with pytest.raises(LoadError) as err:
        load_bytes(p12_with_mac_iterations(4096), "mac.p12", password=b"chaindoctor")
    assert "password" in str(err.value)


# --- hostile servers ------------------------------------------------------------------------------


def _damaged(issued: f.Issued, signer: f.Issued, what: str) -> bytes:
    """``issued`` re-signed by ``signer`` with its subject's string tag or its version broken."""
    tbs = bytearray(issued.cert.tbs_certificate_bytes)
    if what == "name":
        cn = issued.cert.subject.rfc4514_string().removeprefix("CN=").encode()
        at = bytes(tbs).rfind(cn)
        tbs[at - 2] = 0x0D  # UTF8String -> RELATIVE-OID: cryptography fails on first use of the name
    else:
        assert tbs[4:9] == bytes.fromhex("a003020102")
        tbs[8] = 0x73  # version 116
    return resign(bytes(tbs), signer.key)


def test_live_server_sending_a_certificate_with_a_damaged_name(capsys: pytest.CaptureFixture[str]) -> None:
    root = f.ca("Live Root")
    inter = f.ca("Live Intermediate", root)
    leaf = f.make("localhost", inter)
    chain = leaf.pem + pem_block(_damaged(inter, root, "name"))
    with serve_tls(chain, leaf.key_pem) as port, hang_guard(GUARD):
        status = main(["check", f"127.0.0.1:{port}", "--no-system-roots", "--timeout", "10", "--json"])
    out, err = capsys.readouterr()
    assert_clean_exit(status, err)
    report = json.loads(out)
    assert status == 1 and "unreadable" in {x["code"] for x in report["findings"]}


@pytest.mark.parametrize("body", ["garbage", "bad-version", "bad-name", "four-gib"])
def test_aia_server_sending_hostile_bodies(body: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = f.ca("AIA Hostile Root")
    bodies: dict[str, bytes] = {}
    with f.serve_http(bodies) as base:
        inter = f.ca("AIA Hostile Intermediate", root, aia=f"{base}/root.der")
        leaf = f.make("aia-hostile.example", inter, aia=f"{base}/inter.der")
        bodies["/inter.der"] = {"garbage": b"\x00garbage\xff", "bad-version": _damaged(inter, root, "version"),
                                "bad-name": _damaged(inter, root, "name"), "four-gib": FOUR_GIB}[body]
        (tmp_path / "leaf.pem").write_bytes(leaf.pem)
        (tmp_path / "root.pem").write_bytes(root.pem)
        with hang_guard(GUARD):
            status = main(["fix", str(tmp_path / "leaf.pem"), "--aia", "--aia-private",
                           "--roots", str(tmp_path / "root.pem"), "--no-system-roots",
                           "-o", str(tmp_path / "out.pem"), "--timeout", "10"])
    err = capsys.readouterr().err
    assert_clean_exit(status, err)
    assert status == 1  # written, but the issuer could not be completed
