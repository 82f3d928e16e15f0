"""One direction of an mTLS pair: a trust bundle that lacks the other side's CA is named, and no chain
repair is offered for it (generated certificates)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factory import AT, CLIENT, Issued, bundle, ca, hierarchy, make, pem_of
from tui.pki.diagnose import Policy, Report, diagnose
from tui.pki.load import LoadError
from tui.pki.peer import Judge, explain_trust, trust_gap
from tui.pki.session import Session
from tui.pki.stores import TrustStore

CLIENT_POLICY = Policy(purpose="client", at=AT)


def judged(chain: tuple[Issued, ...], *anchors: Issued) -> Report:
    return diagnose(bundle(*chain), TrustStore([a.entry("t1.pem") for a in anchors]), CLIENT_POLICY)


def client_chain(prefix: str) -> tuple[Issued, Issued, Issued]:
    root = ca(f"{prefix} Client Root")
    inter = ca(f"{prefix} Client Intermediate", root)
    return root, inter, make(f"{prefix}-client", inter, eku=CLIENT)


def test_a_missing_ca_names_the_bundle_file_and_offers_no_repair() -> None:
    root, inter, leaf = client_chain("gap")
    other = ca("gap Server Root")
    report = judged((leaf, inter), other)
    assert report.codes() == {"missing-intermediate"} and report.errors[0].fix == "complete"
    gap = explain_trust(report, Judge("client", "t1.pem"))
    assert gap is not None and not gap.carried and gap.ca == str(root.cert.subject.rfc4514_string())
    [finding] = report.errors
    assert finding.code == "missing-intermediate" and finding.fix is None  # the code stays, the repair goes
    assert finding.certificates == (inter.sha256,) == gap.certificates
    assert "the server's client-CA bundle" in finding.message and "t1.pem" in finding.message
    assert f"add the CA that issued the client's chain ('{gap.ca}') to t1.pem" in finding.message
    assert "--roots" not in finding.message and "nginx: ssl_client_certificate" in finding.message
    assert finding.to_json()["fix"] is None


def test_a_root_the_chain_carries_is_a_gap_too() -> None:
    root, inter, leaf = client_chain("carried")
    report = judged((leaf, inter, root), ca("carried Server Root"))
    gap = explain_trust(report, Judge("client", "t1.pem"))
    assert gap is not None and gap.carried
    untrusted = report.by_code("untrusted-root")[0]
    assert "never trusted for being sent" in untrusted.message and untrusted.fix is None


@pytest.mark.parametrize("case", ["trusted", "bad-signature"])
def test_no_gap_when_the_chain_is_trusted_or_badly_signed(case: str) -> None:
    chain = hierarchy("nogap")
    if case == "trusted":
        report = diagnose(bundle(chain.leaf, chain.inter), TrustStore([chain.root.entry()]), Policy(at=AT))
    else:  # an intermediate with the issuer's name, signed by another key
        impostor = ca("nogap Intermediate", ca("nogap Root"))
        report = diagnose(bundle(chain.leaf, impostor), TrustStore([chain.root.entry()]), Policy(at=AT))
    assert trust_gap(report, Judge("server", "t2.pem")) is None


def test_the_server_side_names_the_clients_bundle() -> None:
    chain = hierarchy("srv")
    report = diagnose(bundle(chain.leaf, chain.inter), TrustStore([ca("srv Other Root").entry()]), Policy(at=AT))
    gap = explain_trust(report, Judge("server", "t2.pem"))
    assert gap is not None and gap.judge.bundle == "the client's CA bundle" and gap.judge.setting == "curl: --cacert"
    assert gap.to_json()["judged_by"] == "client"


def test_a_judge_is_server_or_client() -> None:
    with pytest.raises(ValueError):
        Judge("proxy", "t.pem")


def test_trust_file_adds_only_the_files_ca_certificates(tmp_path: Path) -> None:
    root, inter, leaf = client_chain("tf")
    session = Session(bundle(leaf, inter), TrustStore([ca("tf Server Root").entry()]), CLIENT_POLICY,
                      judge=Judge("client", "t1.pem"))
    assert session.analyse(session.bundle, AT).verdict == "broken"
    cas = tmp_path / "client-cas.pem"
    cas.write_bytes(pem_of(root, leaf))  # the leaf is no CA: left out
    added = session.trust_file(str(cas))
    assert [e.sha256 for e in added] == [root.sha256]
    assert session.analyse(session.bundle, AT).verdict == "ok"
    assert session.trust_file(str(cas)) == []  # trusted already
    leaves = tmp_path / "leaf.pem"
    leaves.write_bytes(pem_of(leaf))
    with pytest.raises(ValueError, match="holds no CA certificate"):
        session.trust_file(str(leaves))
    with pytest.raises(LoadError):
        session.trust_file(str(tmp_path / "missing.pem"))
