"""The engine behind the app's workbench: chain diffs, new settings for an open session, adding a file,
export formats, and the time and host parsers both front ends share."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests import factory
from tui.pki.chaindiff import chain_diff
from tui.pki.diagnose import Policy, diagnose
from tui.pki.export import ChainFormat, certificate_bytes, chain_bytes, with_suffix
from tui.pki.fixes import RepairContext, add_file, drop_extras, fix_all
from tui.pki.hostname import parse_host
from tui.pki.load import LoadError, load_bytes
from tui.pki.request import Request, parse_time
from tui.pki.session import open_session
from tui.pki.stores import CertPool, TrustStore
from tui.pki.vocabulary import Purpose


@pytest.fixture(scope="module")
def chain() -> factory.Hierarchy:
    return factory.hierarchy("diff")


def test_diff_names_moves_drops_with_their_role_and_additions_with_their_source(chain: factory.Hierarchy) -> None:
    stray = factory.ca("Stray CA")
    before = factory.bundle(chain.inter, chain.leaf, chain.root, stray)  # no order, root and an extra
    pool_entry = factory.bundle(chain.inter, source="pool/inter.pem", container="search").certs[0]
    anchors = TrustStore(factory.bundle(chain.root, source="roots.pem", container="store").certs)
    report = diagnose(before, anchors, Policy(at=factory.AT))
    after = fix_all(before, RepairContext(anchors, Policy(at=factory.AT))).after
    diff = chain_diff(before, after, report)
    assert diff.lines() == [
        "  #2 -> #1  'CN=diff.example'",
        "  #1 -> #2  'CN=diff Intermediate'",
        "- #3  'CN=diff Root' (root)",
        "- #4  'CN=Stray CA' (extra)",
    ]
    assert diff.summary() == "2 moved, 2 dropped"

    only_leaf = factory.bundle(chain.leaf)
    completed = only_leaf.with_certs((only_leaf.certs[0], pool_entry))
    added = chain_diff(only_leaf, completed)
    assert added.lines() == ["+ new -> #2  'CN=diff Intermediate' from search path pool/inter.pem#1"]
    assert added.summary() == "1 added, 1 unchanged"
    assert added.to_json()["added"] == [{"sha256": pool_entry.sha256, "subject": "CN=diff Intermediate", "after": 2,
                                         "source": "pool/inter.pem#1", "from": "search"}]


def test_diff_pairs_repeated_copies_and_guesses_no_role_without_a_report(chain: factory.Hierarchy) -> None:
    before = factory.bundle(chain.leaf, chain.inter, chain.inter)
    after = drop_extras(before, RepairContext(TrustStore(), Policy(at=factory.AT))).after
    diff = chain_diff(before, after)
    assert diff.lines() == ["- #3  'CN=diff Intermediate' (duplicate)"]
    stray = factory.bundle(chain.leaf, factory.ca("Other CA"))
    assert chain_diff(stray, stray.with_certs(stray.certs[:1])).lines() == ["- #2  'CN=Other CA'"]
    same = chain_diff(before, before)
    assert not same.changed and same.lines() == [] and same.summary() == "no change"


@given(st.permutations(range(5)), st.sets(st.integers(0, 4)))
def test_diff_accounts_for_every_certificate(order: list[int], dropped: set[int]) -> None:
    items = [factory.ca(f"Perm {i}") for i in range(5)]
    before = factory.bundle(*items)
    after = before.with_certs(tuple(before.certs[i] for i in order if i not in dropped))
    diff = chain_diff(before, after)
    assert len(diff.dropped) == len(dropped) and not diff.added
    assert len(diff.moved) + diff.unchanged == len(after.certs)
    assert {p.entry.sha256 for p in diff.dropped} == {before.certs[i].sha256 for i in dropped}
    for place in diff.places:
        if place.after is not None:
            assert after.certs[place.after - 1] is place.entry
        if place.before is not None:
            assert before.certs[place.before - 1] is place.entry


def test_add_file_appends_new_certificates_and_keys_once(chain: factory.Hierarchy) -> None:
    bundle = factory.bundle(chain.leaf)
    extra = factory.bundle(chain.leaf, chain.inter, chain.inter, source="more.pem", keys=(chain.leaf,))
    repair = add_file(bundle, extra, "more.pem")
    assert repair.description == "added 1 certificate(s) and 1 private key(s) from more.pem (2 already loaded)"
    assert [e.subject for e in repair.after.certs] == ["CN=diff.example", "CN=diff Intermediate"]
    assert repair.after.keys == extra.keys and repair.added == (extra.certs[1],)
    again = add_file(repair.after, extra, "more.pem")
    assert not again.changed and again.description == "nothing added: every certificate in more.pem is already loaded"


def test_pkcs7_export_holds_every_certificate_and_never_a_key(chain: factory.Hierarchy) -> None:
    bundle = factory.bundle(chain.leaf, chain.inter, keys=(chain.leaf,))
    pem = chain_bytes(bundle, ChainFormat.PEM, include_keys=True)
    assert b"PRIVATE KEY" in pem
    for fmt in (ChainFormat.PKCS7_DER, ChainFormat.PKCS7_PEM):
        data = chain_bytes(bundle, fmt, include_keys=True)
        assert b"PRIVATE KEY" not in data and not fmt.holds_keys
        back = load_bytes(data, "out.p7b")
        assert {e.sha256 for e in back.certs} == {e.sha256 for e in bundle.certs} and not back.keys
    assert chain_bytes(bundle, ChainFormat.PKCS7_PEM).startswith(b"-----BEGIN PKCS7-----")
    entry = bundle.certs[0]
    assert certificate_bytes(entry, der=True) == entry.der
    assert certificate_bytes(entry, der=False).startswith(b"-----BEGIN CERTIFICATE-----")
    assert [with_suffix(p, ".p7b") for p in ("a/chain.fixed.pem", "x.CRT", "api.example", "")] == [
        "a/chain.fixed.p7b", "x.p7b", "api.example.p7b", ""]


def write(path: Path, *items: factory.Issued) -> str:
    path.write_bytes(factory.pem_of(*items))
    return str(path)


def test_reconfigure_reloads_trust_search_and_policy_and_keeps_the_history(tmp_path: Path,
                                                                          chain: factory.Hierarchy) -> None:
    source = write(tmp_path / "chain.pem", chain.leaf)
    root = write(tmp_path / "root.pem", chain.root)
    pool = tmp_path / "pool"
    pool.mkdir()
    write(pool / "inter.pem", chain.inter)
    (pool / "notes.txt").write_text("not a certificate")
    session = open_session(Request(sources=(source,), system_roots=False))
    report = session.analyse(session.bundle, factory.AT)
    assert report.verdict == "broken" and session.search is None
    bundle, history = session.bundle, session.history

    judging = session.reconfigure(Request(sources=(source,), roots=(root,), system_roots=False, search=(str(pool),),
                                          host="diff.example", purpose=Purpose.CLIENT, aia=True))
    assert session.bundle is bundle and session.history is history
    assert session.trust.is_anchor(factory.bundle(chain.root).certs[0])
    assert isinstance(session.search, CertPool) and len(session.search) == 1
    assert (session.policy.host, session.policy.purpose, session.allow_network) == ("diff.example", "client", True)
    assert session.roots_file == root and len(judging.notes) == 1 and "notes.txt" in judging.notes[0]

    with pytest.raises(LoadError, match="nope.pem: no such file"):
        session.reconfigure(Request(sources=(source,), roots=(str(tmp_path / "nope.pem"),)))
    assert session.roots_file == root and session.policy.host == "diff.example"  # nothing changed


def test_reconfigure_keeps_what_was_trusted_beyond_the_request(chain: factory.Hierarchy) -> None:
    demo = open_session(Request(system_roots=False))
    assert "untrusted-root" not in demo.analyse(demo.bundle, factory.AT).codes()
    demo.reconfigure(Request(system_roots=False, host="orders.fin.service.local"))
    report = demo.analyse(demo.bundle, factory.AT)  # the demo's root stays trusted
    assert report.path is not None and report.path.trusted and "hostname-mismatch" not in report.codes()
    assert demo.roots_file == "demo-root.pem"


def test_time_and_host_parsers_give_one_line() -> None:
    assert parse_time("2026-06-01") == datetime(2026, 6, 1, tzinfo=UTC)
    assert parse_time(" 2026-06-01T02:00:00+02:00 ") == datetime(2026, 6, 1, tzinfo=UTC)
    for bad, message in (("soon", "not an ISO 8601 time"), ("0001-01-01T00:00:00+14:00", "out of range")):
        with pytest.raises(ValueError, match=message):
            parse_time(bad)
    assert parse_host("[::1]") == "::1" and parse_host("Example.COM.") == "Example.COM"
    with pytest.raises(ValueError, match="not a DNS name or IP address"):
        parse_host("bad host")
