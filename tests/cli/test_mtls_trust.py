"""``chaindoctor mtls`` when a side's trust bundle lacks the other side's CA: the file to change is named,
and no chain repair is promised (text and JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui.cli import main

SAMPLES = Path(__file__).resolve().parents[2] / "sample_certs"
MTLS = SAMPLES / "mtls"
SERVER_CHAIN, CLIENT_CHAIN = str(MTLS / "server-chain.pem"), str(MTLS / "client-chain.pem")
SERVER_ROOT, CLIENT_ROOT = str(MTLS / "server-root.pem"), str(MTLS / "client-root.pem")


def run(capsys: pytest.CaptureFixture[str], *, server_trust: str, client_trust: str, client_chain: str = CLIENT_CHAIN,
        json_out: bool = False) -> tuple[int, str]:
    status = main(["mtls", "--server-chain", SERVER_CHAIN, "--server-trust", server_trust, "--client-chain",
                   client_chain, "--client-trust", client_trust, *(["--json"] if json_out else [])])
    return status, capsys.readouterr().out


def test_text_names_the_servers_client_ca_bundle_as_the_file_to_change(capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(capsys, server_trust=SERVER_ROOT, client_trust=SERVER_ROOT)
    assert status == 1
    client_part = out.split("Client chain", 1)[1]
    assert "the server's client-CA bundle" in client_part
    assert "add the CA that issued the client's chain ('CN=mTLS Client Root CA')" in " ".join(client_part.split())
    assert SERVER_ROOT in client_part and "ssl_client_certificate" in client_part
    assert "--roots" not in client_part  # mtls has no --roots option
    assert "repair: complete" not in client_part  # completing the chain cannot fix a trust bundle


def test_json_says_which_trust_file_lacks_which_ca_and_offers_no_chain_repair(
        capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(capsys, server_trust=SERVER_ROOT, client_trust=SERVER_ROOT, json_out=True)
    data = json.loads(out)
    assert status == 1
    [finding] = data["client"]["findings"]
    assert finding["code"] == "missing-intermediate"  # the contract's code, still
    assert finding["fix"] is None
    assert SERVER_ROOT in finding["message"] and "--roots" not in finding["message"]
    [gap] = data["trust_gaps"]
    assert gap["side"] == "client" and gap["judged_by"] == "server"
    assert gap["trust_file"] == SERVER_ROOT and gap["add"] == "CN=mTLS Client Root CA"
    assert gap["setting"] == "nginx: ssl_client_certificate" and gap["carried"] is False
    assert gap["certificates"] == finding["certificates"]
    assert SERVER_ROOT in data["summary"][1]


def test_the_clients_ca_bundle_is_named_when_the_client_lacks_the_servers_ca(
        capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(capsys, server_trust=CLIENT_ROOT, client_trust=CLIENT_ROOT, json_out=True)
    data = json.loads(out)
    assert status == 1 and data["client"]["verdict"] == "ok"
    [gap] = data["trust_gaps"]
    assert gap["side"] == "server" and gap["judged_by"] == "client" and gap["trust_file"] == CLIENT_ROOT
    assert gap["add"] == "CN=mTLS Server Root CA" and gap["setting"] == "curl: --cacert"
    [finding] = data["server"]["findings"]
    assert "the client's CA bundle" in finding["message"] and finding["fix"] is None


def test_a_chain_that_carries_its_untrusted_root_names_the_file_too(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    carried = tmp_path / "client-with-root.pem"
    carried.write_text(Path(CLIENT_CHAIN).read_text() + Path(CLIENT_ROOT).read_text())
    status, out = run(capsys, server_trust=SERVER_ROOT, client_trust=SERVER_ROOT, client_chain=str(carried),
                      json_out=True)
    data = json.loads(out)
    assert status == 1
    codes = {f["code"] for f in data["client"]["findings"]}
    assert "untrusted-root" in codes
    untrusted = next(f for f in data["client"]["findings"] if f["code"] == "untrusted-root")
    assert SERVER_ROOT in untrusted["message"] and "--roots" not in untrusted["message"]
    [gap] = data["trust_gaps"]
    assert gap["carried"] is True and gap["add"] == "CN=mTLS Client Root CA"


def test_a_good_pair_has_no_trust_gap(capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(capsys, server_trust=CLIENT_ROOT, client_trust=SERVER_ROOT, json_out=True)
    data = json.loads(out)
    assert status == 0 and data["trust_gaps"] == []
