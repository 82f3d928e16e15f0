"""Interface safety: text from certificates never reaches a terminal as markup, escapes or bidi controls.

Certificate names, SAN entries and AIA URLs carry Rich markup, OSC/CSI escape sequences (7- and
8-bit), right-to-left overrides and isolates, NULs and other controls. The text report must show
them as visible escapes and contain no raw control or bidi character; the JSON report must be
plain ASCII that parses back to exactly the engine's strings. (The app's screens: tests/app/test_hostile.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

from tests import factory as f
from tests.robustness.support import SGR, UNSAFE, assert_clean_exit, run_cli, trust, x509_name
from tui.cli import main
from tui.cli.render_text import NAME_WIDTH, render
from tui.pki.diagnose import Policy, Report, diagnose
from tui.pki.model import Bundle
from tui.pki.text import inert, shorten

PAYLOADS = {
    "rich-bold": "[bold]bold[/bold]",
    "rich-link": "[link=https://evil.example]click[/link]",
    "rich-click": "[@click=app.quit]quit[/]",
    "osc52-clipboard": "\x1b]52;c;ZWNobyBwd25lZA==\x07",
    "osc8-hyperlink": "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",
    "csi-clear": "\x1b[2J\x1b[H",
    "csi-8bit": "\x9b31mred\x9b0m",
    "rlo": "invoice\u202eexe.pdf",
    "isolates": "\u2066a\u2067b\u2068c\u2069d",
    "nul": "a\x00b",
    "cr-bs-del": "ok\rEVIL\x08\x7f",
    "newline-tab": "line1\nline2\tx",
    "zero-width": "a\u200bb\ufeffc\u200f",
}
ASCII_PAYLOADS = {k: v for k, v in PAYLOADS.items() if v.isascii()}


def hostile_hierarchy(payload: str) -> tuple[f.Issued, f.Issued, f.Issued]:
    """root -> intermediate named ``payload`` -> leaf whose CN, O, SAN and AIA carry ``payload``."""
    root = f.ca("Inert Root")
    inter_key = f.ec_key("inert-inter")
    inter = f.Issued(
        x509.CertificateBuilder().subject_name(x509_name(COMMON_NAME=f"CA {payload}"))
        .issuer_name(root.cert.subject).public_key(inter_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(f.NOT_BEFORE).not_valid_after(f.NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(inter_key.public_key()), False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root.key.public_key()), False)
        .sign(root.key, hashes.SHA256()),
        inter_key,
    )
    leaf_key = f.ec_key("inert-leaf")
    ascii_text = payload if payload.isascii() else "plain"
    builder = (
        x509.CertificateBuilder().subject_name(x509_name(COMMON_NAME=f"leaf {payload}", ORGANIZATION_NAME=payload))
        .issuer_name(inter.cert.subject).public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(f.NOT_BEFORE).not_valid_after(f.NOT_AFTER)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(inter_key.public_key()), False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(f"{ascii_text}.example"),
                                                    x509.UniformResourceIdentifier(f"https://{ascii_text}/")]), False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
            AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(f"http://{ascii_text}/ca.der"))]),
            False)
    )
    return root, inter, f.Issued(builder.sign(inter_key, hashes.SHA256()), leaf_key)


def scenarios(payload: str) -> list[tuple[str, Bundle, list[f.Issued], Policy]]:
    """Bundles that put the payload in the tree, the other certificates and most finding messages."""
    root, inter, leaf = hostile_hierarchy(payload)
    other = f.hierarchy("inert-other").leaf
    return [
        # missing issuer: the "?" node and the message name the hostile issuer and the AIA URL
        ("missing", f.bundle(leaf), [root], Policy(at=f.AT, host="other.example")),
        # wrong order, duplicate, an extra leaf and a hostname mismatch listing the SAN names
        ("messy", f.bundle(inter, leaf, inter, other), [root], Policy(at=f.AT, host="other.example")),
        # untrusted: the hostile CA chain ends at an untrusted root; expired view
        ("untrusted", f.bundle(leaf, inter, root), [], Policy(at=f.NOT_AFTER.replace(year=2200))),
    ]


CASES = [(name, kind) for name in PAYLOADS for kind in ("missing", "messy", "untrusted")]


def build(name: str, kind: str) -> tuple[Report, Bundle]:
    for label, bundle, anchors, policy in scenarios(PAYLOADS[name]):
        if label == kind:
            return diagnose(bundle, trust(*anchors), policy), bundle
    raise AssertionError(kind)


def assert_inert(text: str) -> None:
    """No raw control, escape or bidi character besides newlines and the report's own colours."""
    bare = SGR.sub("", text)
    found = UNSAFE.search(bare)
    assert found is None, f"raw {found.group(0)!r} in {bare[max(found.start() - 40, 0):found.end() + 40]!r}"


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_text_report_shows_hostile_text_as_visible_escapes(name: str, kind: str) -> None:
    report, bundle = build(name, kind)
    for color in (False, True):
        text = render(report, color=color, title=f"check {PAYLOADS[name]}")
        assert_inert(text)
        for entry in bundle.certs:  # each certificate is named, visibly escaped and shortened
            assert shorten(inert(entry.subject), NAME_WIDTH) in SGR.sub("", text)


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_json_report_is_ascii_and_round_trips(name: str, kind: str) -> None:
    report, bundle = build(name, kind)
    raw = json.dumps(report.to_json())
    assert raw.isascii()
    parsed = json.loads(raw)
    for entry, item in zip(bundle.certs, parsed["certificates"], strict=True):
        assert item["subject"] == entry.subject and item["issuer"] == entry.issuer
    assert [x["message"] for x in parsed["findings"]] == [x.message for x in report.findings]
    payload = PAYLOADS[name]
    if not set(payload) & set('\\,+"<>;\x00'):  # characters RFC 4514 escapes in names
        assert any(payload in c["subject"] for c in parsed["certificates"])


@pytest.mark.parametrize("name", list(ASCII_PAYLOADS))
def test_san_and_aia_text_reaches_the_report_escaped(name: str) -> None:
    report, _ = build(name, "missing")
    text = render(report)
    assert_inert(text)
    messages = " ".join(x.message for x in report.findings)
    assert f"{PAYLOADS[name]}.example" in messages  # the SAN name is quoted by hostname-mismatch
    assert f"http://{PAYLOADS[name]}/ca.der" in messages  # the AIA URL by missing-intermediate


@pytest.mark.parametrize("name", ["osc52-clipboard", "csi-8bit", "rlo", "nul", "rich-click"])
def test_command_line_output_is_inert(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, inter, leaf = hostile_hierarchy(PAYLOADS[name])
    chain = tmp_path / "hostile.pem"
    chain.write_bytes(f.pem_of(leaf, inter, f.hierarchy("inert-cli").leaf))
    roots = tmp_path / "root.pem"
    roots.write_bytes(root.pem)
    common = [str(chain), "--roots", str(roots), "--no-system-roots", "--host", "other.example"]
    for argv in (["check", *common], ["check", *common, "--json"],
                 ["fix", *common, "-o", str(tmp_path / "fixed.pem"), "--force"],
                 ["fix", *common, "-o", str(tmp_path / "fixed.pem"), "--force", "--json"]):
        status = main(argv)
        out, err = capsys.readouterr()
        assert_clean_exit(status, err)
        assert_inert(out + err)
        if "--json" in argv:
            assert out.isascii()
            json.loads(out)


def test_hostile_file_names_are_inert(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evil = tmp_path / "chain\x1b]52;c;eA==\x07\u202e.pem"
    h = f.hierarchy("inert-file")
    evil.write_bytes(f.pem_of(h.inter, h.leaf))
    for argv in (["check", str(evil), "--no-system-roots"], ["check", str(tmp_path / "missing\x1b[2J.pem")]):
        status = main(argv)
        out, err = capsys.readouterr()
        assert_clean_exit(status, err)
        assert_inert(out + err)


def test_subprocess_output_has_no_raw_escape_bytes(tmp_path: Path) -> None:
    root, inter, leaf = hostile_hierarchy(PAYLOADS["osc52-clipboard"] + PAYLOADS["csi-8bit"] + PAYLOADS["rlo"])
    chain = tmp_path / "hostile.pem"
    chain.write_bytes(f.pem_of(inter, leaf))
    proc = run_cli("check", str(chain), "--no-system-roots", "--host", "other.example")
    assert_clean_exit(proc.returncode, proc.stderr.decode())
    text = proc.stdout.decode("utf-8")
    assert proc.returncode == 1 and "\\x1b]52" in text
    assert_inert(text)
