"""Property and fuzz tests: arbitrary and mutated inputs never crash the loader, the diagnosis, the
reports, the repairs or the command line, and never hang.

Inputs are kept small and every example runs under a generous hang guard, so a loop that does not
end fails the test instead of blocking the suite; nothing here asserts how fast anything is.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests import factory as f
from tests.robustness.containers import PASSWORD as PKCS12_PASSWORD
from tests.robustness.containers import PKCS7, PKCS12, damaged_container
from tests.robustness.procs import child_pids
from tests.robustness.support import (
    LOCAL_ROOT,
    ROOT,
    SAMPLE_FILES,
    SAMPLES,
    assert_clean_exit,
    full_report,
    hang_guard,
    resign,
    run_cli,
)
from tui.cli import main
from tui.pki import aia, fixes, pfx
from tui.pki.aia import AIAError
from tui.pki.diagnose import Policy, Report, diagnose, proper_order, served_sequence
from tui.pki.fixes import RepairContext
from tui.pki.load import LoadError, load_bytes
from tui.pki.model import Bundle, CertEntry, Origin
from tui.pki.order import all_issuers, members_in_order
from tui.pki.stores import TrustStore, load_trust

GUARD = 60  # seconds per example before it counts as a hang (normal examples take milliseconds)
SOURCES = {str(p.relative_to(SAMPLES)): p.read_bytes() for p in SAMPLE_FILES}
PEM_SOURCES = {k: v for k, v in SOURCES.items() if b"-----BEGIN" in v}
SAMPLE_ROOTS = [str(SAMPLES / "roots" / "local-root.pem"), str(SAMPLES / "roots" / "regional-root.pem"),
                str(SAMPLES / "mtls" / "server-root.pem"), str(SAMPLES / "mtls" / "client-root.pem")]
ANCHORS = load_trust(SAMPLE_ROOTS, system=False)
PASSWORDS = (None, b"chaindoctor", b"", b"wrong")

# Byte strings that tend to reach odd corners of the parsers.
INTERESTING = (
    b"\x00", b"\xff", b"\x80", b"\x30\x84\xff\xff\xff\xff", b"\x30\x80", b"\x00\x00", b"\x02\x04\x7f\xff\xff\xff",
    b"\x04\x82\xff\xff", b"-----BEGIN CERTIFICATE-----\n", b"-----END CERTIFICATE-----\n",
    b"-----BEGIN PKCS7-----\n", b"-----BEGIN TRUSTED CERTIFICATE-----\n", b"-----BEGIN PRIVATE KEY-----\n",
    b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n", b"Proc-Type: 4,ENCRYPTED\n", b"\n", b"\r\n", b"=", b"====",
    b"\x1b[2J", "\u202e".encode(), b"\xc0\x80", b"MII", b"-----BEGIN ",
)

fuzz_settings = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                               HealthCheck.function_scoped_fixture])


# --- strategies -----------------------------------------------------------------------------------


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` after a few byte-level mutations: flips, overwrites, inserts, deletes, cuts, splices."""
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(("flip", "set", "insert", "delete", "truncate", "repeat", "splice")))
        pos = draw(st.integers(0, len(buf)))
        at = min(pos, len(buf) - 1)
        if op == "flip" and buf:
            buf[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and buf:
            buf[at] = draw(st.integers(0, 255))
        elif op == "insert":
            buf[pos:pos] = draw(st.one_of(st.sampled_from(INTERESTING), st.binary(max_size=16)))
        elif op == "delete":
            del buf[pos:pos + draw(st.integers(1, 64))]
        elif op == "truncate":
            del buf[pos:]
        elif op == "repeat":
            chunk = bytes(buf[pos:pos + draw(st.integers(1, 64))])
            buf[pos:pos] = chunk * draw(st.integers(1, 8))
        elif op == "splice":
            other = SOURCES[draw(st.sampled_from(sorted(SOURCES)))]
            start = draw(st.integers(0, len(other)))
            buf[pos:pos] = other[start:start + draw(st.integers(1, 512))]
    return bytes(buf)


def mutated_sample() -> st.SearchStrategy[tuple[str, bytes]]:
    return st.sampled_from(sorted(SOURCES)).flatmap(lambda name: mutated(SOURCES[name]).map(lambda d: (name, d)))


_BLOCK = re.compile(rb"(-----BEGIN [A-Z0-9 #]+-----)(.*?)(-----END [A-Z0-9 #]+-----)", re.S)


@st.composite
def pem_with_mutated_der(draw: st.DrawFn) -> tuple[str, bytes]:
    """A sample PEM file in which one block's DER (not its base64) was mutated, then re-encoded."""
    name = draw(st.sampled_from(sorted(PEM_SOURCES)))
    data = PEM_SOURCES[name]
    blocks = list(_BLOCK.finditer(data))
    m = blocks[draw(st.integers(0, len(blocks) - 1))]
    body = b"".join(ln for ln in m.group(2).split() if b":" not in ln)
    der = draw(mutated(base64.b64decode(body)))
    new = m.group(1) + b"\n" + base64.encodebytes(der) + m.group(3)
    return name, data[:m.start()] + new + data[m.end():]


# A small hierarchy whose leaf carries most extensions the checks read; fuzzed TBS bytes are re-signed
# so the signature still verifies and the diagnosis goes all the way through the chain checks.
_NC = x509.NameConstraints(permitted_subtrees=[x509.DNSName("example")],
                           excluded_subtrees=[x509.DNSName("bad.example")])
F_ROOT = f.ca("Fuzz Root")
F_INTER = f.ca("Fuzz Intermediate", F_ROOT, path_len=0, name_constraints=_NC, aia="http://fuzz.invalid/root.der")
F_LEAF = f.make("fuzz.example", F_INTER, dns=["fuzz.example", "*.fuzz.example"], ips=["127.0.0.1"],
                eku=[ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
                aia="http://fuzz.invalid/inter.der")
# Extension OIDs 2.5.29.x: swapping one for another gives duplicates and values of the wrong type.
_EXT_OIDS = [bytes.fromhex("0603551d") + bytes([n]) for n in (0x0E, 0x0F, 0x11, 0x12, 0x13, 0x1E, 0x1F, 0x20,
                                                                0x23, 0x24, 0x25, 0x36)]


@st.composite
def resigned_tbs(draw: st.DrawFn, tbs: bytes) -> bytes:
    """``tbs`` with same-length changes: byte overwrites, or one extension OID swapped for another."""
    buf = bytearray(tbs)
    for _ in range(draw(st.integers(1, 3))):
        present = [oid for oid in _EXT_OIDS if oid in buf]
        if present and draw(st.booleans()):
            old, new = draw(st.sampled_from(present)), draw(st.sampled_from(_EXT_OIDS))
            at = bytes(buf).find(old)
            buf[at:at + len(old)] = new
        else:
            pos = draw(st.integers(0, len(buf) - 1))
            buf[pos] = draw(st.integers(0, 255))
    return bytes(buf)


def load_or_none(data: bytes, name: str, password: bytes | None = None) -> Bundle | None:
    """Load, accepting only LoadError (one line) as failure."""
    try:
        return load_bytes(data, name, password=password)
    except LoadError as exc:
        message = str(exc)
        assert message and "\n" not in message and len(message) < 1000, message
        return None


def policies() -> st.SearchStrategy[Policy]:
    return st.builds(
        Policy,
        host=st.sampled_from([None, "orders.fin.service.local", "fuzz.example", "a.fuzz.example", "127.0.0.1",
                              "::1", "bad.example", "xn--bcher-kva.example", "bücher.example", "*.example"]),
        purpose=st.sampled_from(["server", "client"]),
        at=st.sampled_from([f.AT, f.NOT_BEFORE.replace(year=1990), f.NOT_AFTER.replace(year=2200)]),
    )


# --- the loader -----------------------------------------------------------------------------------


@settings(fuzz_settings, max_examples=300)
@given(data=st.binary(max_size=4096), password=st.sampled_from(PASSWORDS))
def test_arbitrary_bytes_load_or_raise_load_error(data: bytes, password: bytes | None) -> None:
    with hang_guard(GUARD):
        load_or_none(data, "fuzz.bin", password)


@settings(fuzz_settings, max_examples=500)
@given(sample=mutated_sample(), password=st.sampled_from(PASSWORDS))
def test_mutated_samples_load_or_raise_load_error(sample: tuple[str, bytes], password: bytes | None) -> None:
    name, data = sample
    with hang_guard(GUARD):
        load_or_none(data, name, password)


@settings(fuzz_settings, max_examples=100)
@given(prefix=st.binary(max_size=64), block=st.binary(max_size=600),
       label=st.sampled_from(["CERTIFICATE", "TRUSTED CERTIFICATE", "PKCS7", "CMS", "PRIVATE KEY", "EC PRIVATE KEY",
                              "RSA PRIVATE KEY", "OPENSSH PRIVATE KEY", "X509 CRL", "WHATEVER"]))
def test_pem_blocks_of_arbitrary_der(prefix: bytes, block: bytes, label: str) -> None:
    """Any DER-ish bytes under any label: the block is either read or listed as unreadable."""
    data = prefix + b"\n" + f"-----BEGIN {label}-----\n".encode() + base64.encodebytes(block) \
        + f"-----END {label}-----\n".encode()
    with hang_guard(GUARD):
        bundle = load_or_none(data, "fuzz.pem")
    if bundle is not None:
        assert all(u.reason and "\n" not in u.reason for u in bundle.unreadable)


# --- containers: PKCS#12 and PKCS#7, generated valid and then damaged --------------------------------


@settings(fuzz_settings, max_examples=150)
@given(sample=damaged_container(PKCS12), password=st.sampled_from((PKCS12_PASSWORD, None)))
def test_damaged_pkcs12_loads_or_is_one_line_within_the_stated_work(sample: tuple[str, bytes],
                                                                    password: bytes | None) -> None:
    """Lengths, structure and iteration counts changed: a bundle or one LoadError line, never a traceback;
    nothing that asks for more than the visible ceiling is opened, and no child process is left."""
    name, data = sample
    with hang_guard(GUARD):
        bundle = load_or_none(data, name, password)
    assert child_pids() == []
    if bundle is not None:
        assert pfx.visible_rounds(data) <= pfx.MAX_PKCS12_ROUNDS
        assert bundle.certs or bundle.keys


# cryptography notes its fallback to BER as a UserWarning; the command line silences it (tests/robustness/
# test_small_ones.py checks that), this test is about what the loader returns
@pytest.mark.filterwarnings("ignore:PKCS#7 certificates could not be parsed as DER:UserWarning")
@settings(fuzz_settings, max_examples=200)
@given(sample=damaged_container(PKCS7), as_pem=st.booleans())
def test_damaged_pkcs7_loads_or_is_one_line(sample: tuple[str, bytes], as_pem: bool) -> None:
    name, data = sample
    if as_pem:
        data = b"-----BEGIN PKCS7-----\n" + base64.encodebytes(data) + b"-----END PKCS7-----\n"
    with hang_guard(GUARD):
        bundle = load_or_none(data, name)
    if bundle is not None:
        assert all(u.reason and "\n" not in u.reason for u in bundle.unreadable)
        assert bundle.certs or bundle.keys or bundle.unreadable


def test_container_corpus_loads_undamaged() -> None:
    """The starting points are valid: the damage, not the corpus, is what the tests above exercise."""
    for name, data in {**PKCS12, **PKCS7}.items():
        assert load_bytes(data, name, password=PKCS12_PASSWORD).certs, name


# --- diagnosis and reports on whatever still loads ------------------------------------------------


def diagnose_everything(bundle: Bundle, anchors: TrustStore, policy: Policy) -> None:
    """Diagnosis, JSON and text reports and every repair must work on any loaded bundle."""
    report, data, text = full_report(bundle, anchors, policy)
    parsed = json.loads(data)
    assert len(parsed["certificates"]) == len(bundle.certs)
    assert parsed["verdict"] in ("ok", "broken")
    assert report.verdict == ("broken" if report.errors else "ok")
    if bundle.certs:
        repaired = fixes.fix_all(bundle, RepairContext(anchors, policy))
        diagnose(repaired.after, anchors, policy)


@settings(fuzz_settings, max_examples=300)
@given(sample=st.one_of(mutated_sample(), pem_with_mutated_der()), policy=policies())
def test_diagnosis_never_raises_on_mutated_inputs(sample: tuple[str, bytes], policy: Policy) -> None:
    name, data = sample
    with hang_guard(GUARD):
        bundle = load_or_none(data, name, b"chaindoctor")
        assume(bundle is not None)
        assert bundle is not None
        diagnose_everything(bundle, ANCHORS, policy)


@settings(fuzz_settings, max_examples=300)
@given(which=st.sampled_from(["leaf", "intermediate"]), data=st.data(), policy=policies())
def test_diagnosis_never_raises_on_resigned_mangled_certificates(which: str, data: st.DataObject,
                                                                 policy: Policy) -> None:
    """Mangled certificates whose signature still verifies reach every check of the chain."""
    target, signer = (F_LEAF, F_INTER) if which == "leaf" else (F_INTER, F_ROOT)
    der = resign(data.draw(resigned_tbs(target.cert.tbs_certificate_bytes)), signer.key)
    pems = [F_LEAF.pem, F_INTER.pem]
    pems[0 if which == "leaf" else 1] = b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) \
        + b"-----END CERTIFICATE-----\n"
    with hang_guard(GUARD):
        bundle = load_or_none(b"".join(pems), "resigned.pem")
        assume(bundle is not None)
        assert bundle is not None
        diagnose_everything(bundle, TrustStore([F_ROOT.entry()]), policy)


# --- repairs: idempotent, lossless through save and load ------------------------------------------


def _adversarial_pool() -> tuple[list[CertEntry], list[f.Issued], list[CertEntry]]:
    """Certificates that make repairs think: cross-signs, a cycle, same-named CAs, expired twins, leaves."""
    root = f.ca("Rep Root")
    other_root = f.ca("Rep Other Root")
    inter = f.ca("Rep Intermediate", root)
    cross = f.cross_sign(inter, other_root)
    expired_twin = f.make("Rep Intermediate", root, key=inter.key, ca=True,
                          not_before=f.NOT_BEFORE.replace(year=2020), not_after=f.NOT_BEFORE.replace(year=2024))
    impostor = f.ca("Rep Intermediate")  # same name, own key, self-signed
    cyc_a = f.ca("Rep Cycle A")
    cyc_b = f.ca("Rep Cycle B", cyc_a)
    cyc_a2 = f.make("Rep Cycle A", cyc_b, key=cyc_a.key, ca=True)
    leaf = f.make("rep.example", inter)
    leaf2 = f.make("rep2.example", inter)
    cyc_leaf = f.make("cyc.example", cyc_a2)
    loose = f.make("loose.example", f.ca("Rep Absent CA"))
    issued = [leaf, inter, root, other_root, cross, expired_twin, impostor, cyc_a2, cyc_b, leaf2, cyc_leaf, loose]
    keyed = [leaf, leaf2, impostor, f.make("unrelated.example")]
    return [i.entry("pool.pem") for i in issued], keyed, [root.entry(), other_root.entry()]


POOL, KEYED, POOL_ROOTS = _adversarial_pool()


@st.composite
def repair_inputs(draw: st.DrawFn) -> tuple[Bundle, RepairContext]:
    certs = draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=8))
    keys = draw(st.lists(st.sampled_from(KEYED), max_size=2, unique_by=lambda i: i.sha256))
    key_entries = tuple(f.bundle(k, keys=(k,)).keys[0] for k in keys)
    entries = tuple(CertEntry(c.cert, c.der, Origin("messy.pem", line=1 + 20 * i)) for i, c in enumerate(certs))
    anchors = TrustStore(draw(st.lists(st.sampled_from(POOL_ROOTS), max_size=2)))
    ctx = RepairContext(anchors, draw(policies()), keep_root=draw(st.booleans()))
    return Bundle(entries, key_entries, (), ("messy.pem",)), ctx


def _key_facts(bundle: Bundle) -> list[tuple[bytes | None, bool, str]]:
    return sorted((k.spki, k.encrypted, k.kind) for k in bundle.keys)


@settings(fuzz_settings, max_examples=80)
@given(inputs=repair_inputs())
def test_fix_all_is_idempotent_and_keeps_leaf_and_keys(inputs: tuple[Bundle, RepairContext]) -> None:
    bundle, ctx = inputs
    with hang_guard(GUARD):
        leaf = diagnose(bundle, ctx.anchors, ctx.policy).leaf
        once = fixes.fix_all(bundle, ctx)
        twice = fixes.fix_all(once.after, ctx)
    assert [c.der for c in twice.after.certs] == [c.der for c in once.after.certs]
    assert twice.after.keys == once.after.keys and not twice.changed
    assert once.after.keys == bundle.keys
    if leaf is not None:
        assert leaf in once.after.certs


@settings(fuzz_settings, max_examples=80)
@given(inputs=repair_inputs())
def test_fixed_chain_survives_save_and_load(inputs: tuple[Bundle, RepairContext]) -> None:
    bundle, ctx = inputs
    with hang_guard(GUARD):
        fixed = fixes.fix_all(bundle, ctx).after
        text = fixes.to_pem(fixed, include_keys=True)
        reloaded = load_bytes(text.encode("ascii"), "fixed.pem")
        assert [c.der for c in reloaded.certs] == [c.der for c in fixed.certs]
        assert _key_facts(reloaded) == _key_facts(fixed) and not reloaded.unreadable
        before = diagnose(fixed, ctx.anchors, ctx.policy)
        after = diagnose(reloaded, ctx.anchors, ctx.policy)
        assert sorted((x.code, x.certificates) for x in after.findings) == \
            sorted((x.code, x.certificates) for x in before.findings)
        public = fixes.to_pem(fixed, include_keys=False)
        assert "PRIVATE KEY" not in public
        if fixed.certs:
            reloaded = load_bytes(public.encode("ascii"), "public.pem")
            assert [c.der for c in reloaded.certs] == [c.der for c in fixed.certs]


@settings(fuzz_settings, max_examples=60)
@given(sample=st.one_of(mutated_sample(), pem_with_mutated_der()), policy=policies())
def test_fix_all_idempotent_on_mutated_inputs(sample: tuple[str, bytes], policy: Policy) -> None:
    name, data = sample
    with hang_guard(GUARD):
        bundle = load_or_none(data, name, b"chaindoctor")
        assume(bundle is not None and bundle.certs)
        assert bundle is not None
        ctx = RepairContext(ANCHORS, policy)
        once = fixes.fix_all(bundle, ctx)
        twice = fixes.fix_all(once.after, ctx)
        assert [c.der for c in twice.after.certs] == [c.der for c in once.after.certs]
        reloaded = load_bytes(fixes.to_pem(once.after, include_keys=True).encode("ascii"), "fixed.pem")
        assert [c.der for c in reloaded.certs] == [c.der for c in once.after.certs]


def _reference_proper_order(report: Report) -> list[CertEntry]:
    """The plain definition of the proper order (cubic; ``proper_order`` must give the same on small bundles)."""
    members = served_sequence(report)
    member_ids = {e.sha256 for e in members}
    out = [e for e in report.chain if e.sha256 in member_ids]
    placed = {e.sha256 for e in out}
    progress = True
    while progress:
        progress = False
        for entry in members:
            if entry.sha256 not in placed and any(entry in _signers(report, e) for e in out):
                out.append(entry)
                placed.add(entry.sha256)
                progress = True
    return out + [e for e in members if e.sha256 not in placed]


def _reference_order_is_correct(report: Report) -> bool:
    seq = served_sequence(report)
    if not seq or report.leaf is None or seq[0].sha256 != report.leaf.sha256:
        return False
    return all(any(seq[i] in _signers(report, e) for e in seq[:i]) for i in range(1, len(seq)))


def _signers(report: Report, entry: CertEntry, seen: frozenset[str] = frozenset()) -> list[CertEntry]:
    """What signed ``entry``, looking through certificates that were not loaded (plain recursion)."""
    out: list[CertEntry] = []
    for issuer in all_issuers(report.graph, entry):
        if report.graph.in_bundle(issuer):
            out.append(issuer)
        elif issuer.sha256 not in seen:
            out += _signers(report, issuer, seen | {issuer.sha256})
    return out


@settings(fuzz_settings, max_examples=150)
@given(inputs=repair_inputs())
def test_ordering_matches_its_plain_definition(inputs: tuple[Bundle, RepairContext]) -> None:
    """The n log n ordering gives exactly what the straightforward (cubic) definition gives."""
    bundle, ctx = inputs
    report = diagnose(bundle, ctx.anchors, ctx.policy)
    assume(report.leaf is not None)
    assert [e.sha256 for e in proper_order(report)] == [e.sha256 for e in _reference_proper_order(report)]
    assert members_in_order(report) == _reference_order_is_correct(report)


# --- AIA responses --------------------------------------------------------------------------------

_OTHER_INTER = f.ca("Fuzz Intermediate", f.ca("Fuzz Other Root"))  # the right name, the wrong key
_AIA_CERTS = [F_INTER.cert, F_ROOT.cert, _OTHER_INTER.cert, F_LEAF.cert]


@st.composite
def aia_bodies(draw: st.DrawFn) -> bytes:
    """What an AIA server may send: a DER or PEM certificate, a PKCS#7 bundle in DER or PEM, text around
    them, fragments and garbage, each possibly mutated."""
    certs = draw(st.lists(st.sampled_from(_AIA_CERTS), min_size=1, max_size=3))
    der = certs[0].public_bytes(serialization.Encoding.DER)
    pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)
    p7 = pkcs7.serialize_certificates(certs, serialization.Encoding.DER)
    p7_pem = pkcs7.serialize_certificates(certs, serialization.Encoding.PEM)
    base = draw(st.sampled_from([der, pem, p7, p7_pem, b"text before\n" + pem + b"after", der[: len(der) // 2],
                                 p7[: len(p7) // 2], b"", b"<html>not found</html>"]))
    return draw(st.one_of(st.just(base), mutated(base), st.binary(max_size=2048)))


@settings(fuzz_settings, max_examples=300)
@given(body=aia_bodies())
def test_aia_bodies_give_certificates_or_one_aia_error(body: bytes) -> None:
    url = "http://fuzz.invalid/inter.der"
    with hang_guard(GUARD):
        try:
            certs = aia.certificates(url, body)
        except AIAError as err:
            assert str(err) == f"{url}: not a certificate"
        else:
            assert certs and all(isinstance(c, x509.Certificate) for c in certs)


@settings(fuzz_settings, max_examples=200)
@given(bodies=st.lists(aia_bodies(), min_size=1, max_size=3))
def test_aia_walk_keeps_only_real_signers(bodies: list[bytes]) -> None:
    """Whatever the servers send, every certificate the walk returns signed the one below it."""
    served = iter(bodies)

    def fetch(url: str, **_kw: object) -> list[x509.Certificate]:
        body = next(served, None)
        if body is None:
            raise AIAError(f"{url}: HTTP 404")
        return aia.certificates(url, body)

    with hang_guard(GUARD):
        found, notes = aia.follow_chain(F_LEAF.cert, fetch=fetch)
    below = F_LEAF.cert
    for cert, _url in found:
        below.verify_directly_issued_by(cert)  # raises if it did not sign the one below
        below = cert
    assert all(isinstance(n, str) and "\n" not in n for n in notes)


# --- the command line, in process ---------------------------------------------------------------


def _closed_port() -> int:
    """A loopback port nothing listens on (connections are refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the samples: the fuzzed ``fix`` may write, overwrite and back up anything in it."""
    work = tmp_path_factory.mktemp("cli-fuzz")
    shutil.copytree(SAMPLES, work / "samples")
    (work / "junk.bin").write_bytes(bytes(range(256)) * 4)
    (work / "empty.pem").write_bytes(b"")
    return work


@pytest.fixture()
def cli_env(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run the in-process CLI inside the work copy: no network, no password in the environment, no app."""
    monkeypatch.chdir(workdir)
    monkeypatch.delenv("CHAINDOCTOR_PASSWORD", raising=False)
    monkeypatch.delenv("CHAINDOCTOR_DEBUG", raising=False)
    monkeypatch.setattr("tui.pki.aia.follow_chain", lambda *a, **k: ([], ["AIA disabled in tests"]))
    for launcher in ("tui.app.launch", "tui.app.mtls_app.launch_mtls"):  # an abbreviated --app must not block
        try:
            monkeypatch.setattr(launcher, lambda *a, **k: 0)
        except (ImportError, AttributeError):
            pass
    yield workdir


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


ENDPOINT = f"127.0.0.1:{_closed_port()}"
SAMPLE_RELS = [f"samples/{rel}" for rel in sorted(SOURCES)]
safe_text = st.text(st.characters(blacklist_characters=":/\\\x00", blacklist_categories=["Cs"]), max_size=12)
file_arg = st.one_of(st.sampled_from([*SAMPLE_RELS, "missing.pem", "samples/pool", "samples", "-", "junk.bin",
                                      "empty.pem", ENDPOINT, ""]), safe_text)
value_arg = st.one_of(
    st.sampled_from(["server", "client", "2026-06-01T00:00:00Z", "2026-13-01", "0001-01-01T00:00:00+14:00",
                     "9999-12-31", "yesterday", "orders.fin.service.local", "127.0.0.1", "[::1]", "a..b", "-",
                     "x" * 300, "*.example", "chaindoctor", "0", "-1", "nan", "inf", "1e-9", "3", "1e308", ""]),
    safe_text)
_OPTIONS = [
    ("--roots", file_arg), ("--search", file_arg), ("--host", value_arg), ("--purpose", value_arg),
    ("--at", value_arg), ("--password", value_arg), ("--timeout", value_arg), ("--cert", file_arg),
    ("--key", file_arg), ("-o", st.one_of(st.sampled_from(["out.pem", "out/", "samples", "samples/good-chain.pem",
                                                           "-"]), safe_text)),
    ("--server-chain", file_arg), ("--server-trust", file_arg), ("--client-chain", file_arg),
    ("--client-trust", file_arg),
]
_FLAGS = ["--no-system-roots", "--aia", "--json", "--in-place", "--force", "--keep-root", "--glossary", "--help",
          "--version", "--bogus", "-x", "--", "--roots", "--host", "--app"]
option = st.one_of(*[st.tuples(st.just(name), values).map(list) for name, values in _OPTIONS],
                   st.sampled_from(_FLAGS).map(lambda flag: [flag]))
argv_strategy = st.builds(
    lambda command, sources, opts, codes: [command, *sources, *(t for o in opts for t in o), *codes],
    st.sampled_from(["check", "check", "fix", "explain", "mtls"]),
    st.lists(file_arg, max_size=3),
    st.lists(option, max_size=6),
    st.lists(st.sampled_from(["wrong-order", "expired", "no-such-code", "rejected"]), max_size=2),
)


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``main(argv)`` in process: its exit status (a --help/--version SystemExit counts), stdout, stderr."""
    capsys.readouterr()
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's --help and --version print and exit 0
        status = exc.code if isinstance(exc.code, int) else 0
        assert status == 0 and ("--help" in argv or "--version" in argv), (argv, exc.code)
    out, err = capsys.readouterr()
    return status, out, err


@settings(fuzz_settings, max_examples=300)
@given(argv=argv_strategy, stdin=st.binary(max_size=256))
def test_cli_argument_lists_exit_cleanly(argv: list[str], stdin: bytes, cli_env: Path,
                                         capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, stdin)
    with hang_guard(GUARD):
        status, out, err = run_main(argv, capsys)
    assert_clean_exit(status, err)
    if status in (0, 1) and argv[0] == "check" and "--json" in argv and "--help" not in argv:
        json.loads(out)


@settings(fuzz_settings, max_examples=200)
@given(sample=st.one_of(mutated_sample(), st.binary(max_size=2048).map(lambda d: ("random.bin", d))),
       json_out=st.booleans(), command=st.sampled_from(["check", "fix"]))
def test_cli_on_arbitrary_files(sample: tuple[str, bytes], json_out: bool, command: str, cli_env: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    path = cli_env / "fuzzed.input"
    path.write_bytes(sample[1])
    argv = [command, str(path), "--roots", str(LOCAL_ROOT), "--no-system-roots", "--password", "chaindoctor"]
    argv += ["-o", str(cli_env / "fuzzed.fixed.pem"), "--force"] if command == "fix" else []
    argv += ["--json"] if json_out else []
    with hang_guard(GUARD):
        status, out, err = run_main(argv, capsys)
    assert_clean_exit(status, err)
    if status in (0, 1) and json_out:
        json.loads(out)


@settings(fuzz_settings, max_examples=60)
@given(stdin=st.one_of(st.binary(max_size=2048), mutated_sample().map(lambda s: s[1])), json_out=st.booleans())
def test_cli_stdin_garbage(stdin: bytes, json_out: bool, cli_env: Path, capsys: pytest.CaptureFixture[str],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, stdin)
    with hang_guard(GUARD):
        status, out, err = run_main(["check", "-", "--no-system-roots", *(["--json"] if json_out else [])], capsys)
    assert_clean_exit(status, err)
    if status in (0, 1) and json_out:
        json.loads(out)


# --- the command line, as a real process (a handful) -------------------------------------------


def test_subprocess_random_file_and_stdin_garbage(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 64)
    for args, stdin in [(["check", str(junk)], None), (["check", "-"], b"\x00\xff garbage \x1b[2J" * 100),
                        (["check", "-", "--json"], b"-----BEGIN CERTIFICATE-----\n" * 50),
                        (["fix", str(junk), "-o", str(tmp_path / "out.pem")], None)]:
        proc = run_cli(*args, stdin=stdin)
        assert_clean_exit(proc.returncode, proc.stderr.decode(errors="replace"))
        assert proc.returncode == 2
    assert not (tmp_path / "out.pem").exists()


def test_subprocess_bad_options() -> None:
    good = str(SAMPLES / "good-chain.pem")
    for args in (["check", good, "--bogus"], ["check", good, "--at", "0001-01-01T00:00:00+14:00"],
                 ["check", good, "--timeout", "nan"], ["check"], ["fix", good], ["explain", "no-such-code"],
                 ["mtls", "--server-chain", good]):
        proc = run_cli(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert_clean_exit(proc.returncode, proc.stderr.decode(errors="replace"))


def test_subprocess_mutated_sample_via_stdin() -> None:
    data = SOURCES["good-chain.pem"]
    mangled = data[:400] + b"\x00\xff" + data[402:]
    proc = run_cli("check", "-", "--json", "--roots", str(LOCAL_ROOT), "--no-system-roots", stdin=mangled)
    assert_clean_exit(proc.returncode, proc.stderr.decode(errors="replace"))
    if proc.returncode in (0, 1):
        assert json.loads(proc.stdout)["findings"]


def test_subprocess_every_sample_as_json(tmp_path: Path) -> None:
    """One real process over all samples at once (merged): a clean exit and valid JSON."""
    files = [str(p) for p in SAMPLE_FILES if p.suffix in (".pem", ".der", ".p7b", ".txt", ".p12")]
    proc = run_cli("check", *files, "--json", "--password", "chaindoctor", "--roots", str(LOCAL_ROOT),
                   "--no-system-roots", cwd=ROOT)
    assert_clean_exit(proc.returncode, proc.stderr.decode(errors="replace"))
    assert proc.returncode in (0, 1)
    assert len(json.loads(proc.stdout)["certificates"]) > 20
