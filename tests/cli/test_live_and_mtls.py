"""Live endpoints on 127.0.0.1 and the mTLS pair check, through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.tlsserver import pem_blocks, serve_tls
from tui.cli import main

SAMPLES = Path(__file__).resolve().parents[2] / "sample_certs"
LOCAL_ROOT = str(SAMPLES / "roots" / "local-root.pem")
MTLS = SAMPLES / "mtls"
LEAF_KEY = (SAMPLES / "keys" / "orders.fin.service.local.key").read_bytes()


LEAF, FIN, SERVICE = pem_blocks(SAMPLES / "good-chain.pem")
ROOT = Path(LOCAL_ROOT).read_bytes()


def live_check(capsys: pytest.CaptureFixture[str], port: int, *extra: str) -> tuple[int, dict]:
    status = main(["check", f"127.0.0.1:{port}", "--roots", LOCAL_ROOT, "--no-system-roots",
                   "--host", "orders.fin.service.local", "--json", "--timeout", "5", *extra])
    return status, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("served", "codes", "status"),
    [
        ([LEAF, FIN, SERVICE], set(), 0),
        ([LEAF, SERVICE, FIN], {"wrong-order"}, 1),
        ([LEAF], {"missing-intermediate"}, 1),
        ([LEAF, FIN, SERVICE, ROOT], {"contains-root"}, 0),
    ],
    ids=["correct", "reversed", "incomplete", "root-included"],
)
def test_check_reports_the_chain_as_the_server_sends_it(
    capsys: pytest.CaptureFixture[str], served: list[bytes], codes: set[str], status: int
) -> None:
    with serve_tls(b"".join(served), LEAF_KEY) as port:
        got, report = live_check(capsys, port)
    assert {f["code"] for f in report["findings"]} == codes
    assert got == status
    sources = [c["source"] for c in report["certificates"]]
    assert sources == [f"127.0.0.1:{port}#{i}" for i in range(1, len(served) + 1)]
    import hashlib

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    sent = [hashlib.sha256(x509.load_pem_x509_certificate(p).public_bytes(Encoding.DER)).hexdigest() for p in served]
    assert [c["sha256"] for c in report["certificates"]] == sent
    assert report["live"][0]["endpoint"] == f"127.0.0.1:{port}"


def test_host_defaults_to_the_endpoint_host(capsys: pytest.CaptureFixture[str]) -> None:
    with serve_tls(LEAF + FIN + SERVICE, LEAF_KEY) as port:
        status = main(["check", f"127.0.0.1:{port}", "--roots", LOCAL_ROOT, "--no-system-roots", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert status == 1 and {f["code"] for f in report["findings"]} == {"hostname-mismatch"}


def test_refused_endpoint_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.tlsserver import free_port

    assert main(["check", f"127.0.0.1:{free_port()}", "--timeout", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "refused" in err


def test_client_certificate_requested_lists_acceptable_cas(capsys: pytest.CaptureFixture[str]) -> None:
    server_chain = (MTLS / "server-chain.pem").read_bytes()
    server_key = (SAMPLES / "keys" / "api.mtls.local.key").read_bytes()
    client_root = (MTLS / "client-root.pem").read_bytes()
    with serve_tls(server_chain, server_key, require_client_cert_from=client_root) as port:
        args = ["check", f"127.0.0.1:{port}", "--roots", str(MTLS / "server-root.pem"), "--no-system-roots", "--json"]
        status = main(args)
        report = json.loads(capsys.readouterr().out)
        assert status == 0, report["findings"]
        assert report["live"][0]["client_cert_requested"] is True
        assert report["live"][0]["acceptable_client_ca_names"] == ["CN=mTLS Client Root CA"]
        status = main([*args, "--cert", str(MTLS / "client-chain.pem"), "--key",
                       str(SAMPLES / "keys" / "billing-service.key")])
        assert status == 0
        assert len(json.loads(capsys.readouterr().out)["certificates"]) == 2
        main(args[:-1])
        text = capsys.readouterr().out
        assert "asks for a client certificate" in text and "CN=mTLS Client Root CA" in text


def mtls(capsys: pytest.CaptureFixture[str], server_trust: str, client_trust: str, *extra: str) -> tuple[int, dict]:
    status = main(["mtls", "--server-chain", str(MTLS / "server-chain.pem"), "--server-trust", server_trust,
                   "--client-chain", str(MTLS / "client-chain.pem"), "--client-trust", client_trust, "--json", *extra])
    return status, json.loads(capsys.readouterr().out)


def test_mtls_pair_accepts_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    status, data = mtls(capsys, str(MTLS / "client-root.pem"), str(MTLS / "server-root.pem"), "--host",
                        "api.mtls.local")
    assert status == 0 and data["verdict"] == "ok"
    assert data["server"]["verdict"] == data["client"]["verdict"] == "ok"
    assert data["server"]["schema"] == 1 and data["client"]["chain"]


def test_mtls_server_rejects_client_when_trust_bundles_are_swapped(capsys: pytest.CaptureFixture[str]) -> None:
    status, data = mtls(capsys, str(MTLS / "server-root.pem"), str(MTLS / "server-root.pem"))
    assert status == 1 and data["verdict"] == "broken"
    assert data["server"]["verdict"] == "ok"
    assert {f["code"] for f in data["client"]["findings"]} == {"missing-intermediate"}
    assert data["summary"][1].startswith("The server will reject the client's certificate")


def test_mtls_client_rejects_server(capsys: pytest.CaptureFixture[str]) -> None:
    status, data = mtls(capsys, str(MTLS / "client-root.pem"), str(MTLS / "client-root.pem"))
    assert status == 1
    assert data["server"]["verdict"] == "broken" and data["client"]["verdict"] == "ok"
    assert data["summary"][0].startswith("The client will reject the server's chain")


def test_mtls_purpose_client_chain_used_as_server(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["mtls", "--server-chain", str(MTLS / "client-chain.pem"),
                   "--server-trust", str(MTLS / "client-root.pem"),
                   "--client-chain", str(MTLS / "client-chain.pem"),
                   "--client-trust", str(MTLS / "client-root.pem"), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert status == 1
    assert "wrong-purpose" in {f["code"] for f in data["server"]["findings"]}
    assert data["client"]["verdict"] == "ok"


def test_mtls_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["mtls", "--server-chain", str(MTLS / "server-chain.pem"),
                   "--server-trust", str(MTLS / "server-root.pem"),
                   "--client-chain", str(MTLS / "client-chain.pem"),
                   "--client-trust", str(MTLS / "server-root.pem")])
    out = capsys.readouterr().out
    assert status == 1 and "mTLS pair: BROKEN" in out and "The server will reject the client's certificate" in out
