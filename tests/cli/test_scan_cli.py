"""``chaindoctor scan`` on 50 loopback endpoints, some broken, through its command module (127.0.0.1 only)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tlsserver import issue, serve_tls_many
from tui.cli import UsageError
from tui.cli.parse import parser_for
from tui.cli.scan import run_scan

KINDS = ["ok"] * 35 + ["wrong-host"] * 5 + ["missing"] * 5 + ["closed"] * 5
Fleet = tuple[list[str], list[str], str]  # the kind of each endpoint, the endpoints, the root file


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    root = issue("Scan CLI Root", ca=True, days=365)
    inter = issue("Scan CLI Intermediate", root, ca=True, days=365)
    leaf = issue("loopback", inter, ip_addresses=("127.0.0.1",), days=90)
    other = issue("elsewhere.test", inter, dns_names=("elsewhere.test",), days=90)
    served = {"ok": (leaf.pem + inter.pem, leaf.key_pem), "wrong-host": (other.pem + inter.pem, other.key_pem),
              "missing": (leaf.pem, leaf.key_pem), "closed": None}
    order = [KINDS[(i * 7) % len(KINDS)] for i in range(len(KINDS))]  # the broken ones spread out
    roots = tmp_path_factory.mktemp("roots") / "root.pem"
    roots.write_bytes(root.pem)
    with serve_tls_many([served[k] for k in order]) as ports:
        yield order, [f"127.0.0.1:{p}" for p in ports], str(roots)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def scan(argv: list[str], err: io.StringIO | None = None) -> tuple[int, str]:
    out = io.StringIO()
    status = run_scan(parser_for("scan").parse_args(argv), out=out, err=err or io.StringIO())
    return status, out.getvalue()


def test_json_lines_one_per_endpoint_in_order(fleet: Fleet) -> None:
    kinds, endpoints, roots = fleet
    status, out = scan([*endpoints, "--roots", roots, "--no-system-roots", "--json", "--timeout", "5"])
    lines = [json.loads(line) for line in out.splitlines()]
    assert status == 1
    assert [line["endpoint"] for line in lines] == endpoints
    for kind, line in zip(kinds, lines, strict=True):
        if kind == "closed":
            assert set(line) == {"endpoint", "error"} and line["error"].endswith("refused")
            continue
        assert line["schema"] == 1 and line["live"][0]["endpoint"] == line["endpoint"]
        codes = {f["code"] for f in line["findings"] if f["severity"] == "error"}
        expected = {"ok": set(), "wrong-host": {"hostname-mismatch"}, "missing": {"missing-intermediate"}}[kind]
        assert (line["verdict"], codes) == ("ok" if kind == "ok" else "broken", expected)
        assert line["expires_in_days"] in (89, 90)


def test_text_lines_and_summary(fleet: Fleet) -> None:
    kinds, endpoints, roots = fleet
    status, out = scan([*endpoints, "--roots", roots, "--no-system-roots", "--jobs", "8", "--timeout", "5"])
    lines = out.splitlines()
    assert status == 1
    assert lines[-1] == "50 endpoints: 35 ok, 10 broken, 5 unreachable"
    for kind, endpoint, line in zip(kinds, endpoints, lines[:-1], strict=True):
        verdict, label = line.split()[:2]
        assert label == endpoint
        assert verdict == {"ok": "ok", "wrong-host": "broken", "missing": "broken", "closed": "unreachable"}[kind]
        if kind == "closed":
            assert line.endswith(f"connection to {endpoint} refused")
        else:
            assert "expires in 8" in line or "expires in 90 days" in line
        if kind == "wrong-host":
            assert "hostname-mismatch: " in line
        if kind == "missing":
            assert "missing-intermediate: " in line


def test_all_ok_exits_0_and_endpoints_come_from_a_file(fleet: Fleet, tmp_path: Path) -> None:
    kinds, endpoints, roots = fleet
    good = [e for k, e in zip(kinds, endpoints, strict=True) if k == "ok"]
    listing = tmp_path / "hosts.txt"
    listing.write_text("# the healthy ones\n\n" + "\n".join(f"{e}  # web" for e in good[:10]) + "\n")
    err = Terminal()
    status, out = scan(["--from", str(listing), "--roots", roots, "--no-system-roots"], err)
    assert status == 0
    assert out.splitlines()[-1] == "10 endpoints: 10 ok, 0 broken, 0 unreachable"
    assert "\r[" in err.getvalue() and "10/10" in err.getvalue()  # a progress bar, on a terminal only
    quiet = io.StringIO()
    scan([good[0], "--roots", roots, "--no-system-roots"], quiet)
    assert quiet.getvalue() == ""


def test_usage_errors(tmp_path: Path) -> None:
    listing = tmp_path / "hosts.txt"
    listing.write_text("good.example\nnot valid\n")
    for argv, message in [
        ([], "no endpoint to scan: name ENDPOINTs or --from FILE"),
        (["--from", str(listing)], f"{listing}:2: 'not valid' is not HOST[:PORT] (not a DNS name or IP address)"),
        (["--from", str(tmp_path / "absent.txt")], f"{tmp_path / 'absent.txt'}: No such file or directory"),
    ]:
        with pytest.raises(UsageError) as caught:
            scan(argv)
        assert str(caught.value) == message
    parser = parser_for("scan")
    for argv, words in [(["--jobs", "0", "a.example"], "not a number of jobs between 1 and 256"),
                        (["--sni", "a.test", "--no-sni", "a.example"], "not allowed with argument"),
                        (["--starttls", "gopher", "a.example"], "unknown STARTTLS protocol 'gopher'"),
                        (["--sni", "10.0.0.1", "a.example"], "an IP address cannot be sent as the server name")]:
        with pytest.raises(UsageError, match=words):
            parser.parse_args(argv)
