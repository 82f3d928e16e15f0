"""The loader: every format, text around blocks, provenance, bad blocks kept apart, clear errors."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factory import hierarchy, pem_of
from tui.pki.der import raw_names
from tui.pki.load import MAX_INPUT_BYTES, LoadError, PasswordNeeded, load_bytes, load_file, may_exist, read_input
from tui.pki.sources import load_sources

SAMPLES = Path(__file__).resolve().parents[2] / "sample_certs"
H = hierarchy("load")


def test_pem_with_text_crlf_and_indentation() -> None:
    text = b"Server says hello\r\n" + b"\r\n".join(
        b"    " + line for line in pem_of(H.leaf, H.inter).splitlines()) + b"\r\n trailing words\r\n"
    b = load_bytes(text, "pasted.txt")
    assert [c.sha256 for c in b.certs] == [H.leaf.sha256, H.inter.sha256]
    assert b.certs[0].origin.label == "pasted.txt:2"
    assert b.certs[1].origin.line is not None and b.certs[1].origin.line > 2


def test_s_client_output() -> None:
    b = load_file(str(SAMPLES / "s_client-output.txt"))
    assert len(b.certs) == 3 and not b.unreadable


def test_bad_block_is_reported_with_line_and_the_rest_loads() -> None:
    good = pem_of(H.leaf)
    broken = b"-----BEGIN CERTIFICATE-----\nMIIBroken!!\n-----END CERTIFICATE-----\n"
    not_a_cert = (b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(b"\x30\x03\x02\x01\x01")
                  + b"-----END CERTIFICATE-----\n")
    data = good + broken + not_a_cert + pem_of(H.inter)
    b = load_bytes(data, "mixed.pem")
    assert len(b.certs) == 2
    assert [u.line for u in b.unreadable] == [good.count(b"\n") + 1, good.count(b"\n") + 4]
    assert all(u.source == "mixed.pem" for u in b.unreadable)


def test_block_without_end() -> None:
    b = load_bytes(pem_of(H.leaf) + b"-----BEGIN CERTIFICATE-----\nMIIB\n", "cut.pem")
    assert len(b.certs) == 1 and "END" in b.unreadable[0].reason


def test_der_and_concatenated_der() -> None:
    der = H.leaf.cert.public_bytes(serialization.Encoding.DER)
    der2 = H.inter.cert.public_bytes(serialization.Encoding.DER)
    assert len(load_bytes(der, "leaf.der").certs) == 1
    both = load_bytes(der + der2, "two.der")
    assert [c.origin.label for c in both.certs] == ["two.der#1", "two.der#2"]


def test_pkcs7_der_and_pem_are_unordered_sets() -> None:
    p7 = pkcs7.serialize_certificates([H.leaf.cert, H.inter.cert], serialization.Encoding.DER)
    b = load_bytes(p7, "chain.p7b")
    assert len(b.certs) == 2 and not b.ordered
    p7pem = pkcs7.serialize_certificates([H.leaf.cert, H.inter.cert], serialization.Encoding.PEM)
    b = load_bytes(b"note\n" + p7pem, "chain.p7c")
    assert len(b.certs) == 2 and not b.ordered


def test_pkcs12_with_and_without_password() -> None:
    data = pkcs12.serialize_key_and_certificates(b"x", H.leaf.key, H.leaf.cert, [H.inter.cert],
                                                 serialization.BestAvailableEncryption(b"pw"))
    with pytest.raises(LoadError, match="needs a password"):
        load_bytes(data, "id.p12")
    with pytest.raises(LoadError, match="wrong PKCS#12 password"):
        load_bytes(data, "id.p12", password=b"nope")
    b = load_bytes(data, "id.p12", password=b"pw")
    assert len(b.certs) == 2 and len(b.keys) == 1 and b.keys[0].spki == H.leaf.entry().spki
    assert load_file(str(SAMPLES / "good-chain.p12"), password=b"chaindoctor").keys


def test_a_pkcs12_password_problem_says_which_one() -> None:
    """The app asks for a password when the error says one is needed, or that the one given was wrong."""
    data = pkcs12.serialize_key_and_certificates(b"x", H.leaf.key, H.leaf.cert, [],
                                                 serialization.BestAvailableEncryption(b"pw"))
    with pytest.raises(PasswordNeeded) as missing:
        load_bytes(data, "id.p12")
    assert (missing.value.source, missing.value.wrong) == ("id.p12", False)
    with pytest.raises(PasswordNeeded) as wrong:
        load_bytes(data, "id.p12", password=b"nope")
    assert (wrong.value.source, wrong.value.wrong) == ("id.p12", True)


def test_keys_pkcs8_pkcs1_sec1_and_encrypted() -> None:
    from tests.factory import rsa_key

    rsa = rsa_key("load-rsa")
    pem, plain = serialization.Encoding.PEM, serialization.NoEncryption()
    pkcs8, traditional = serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL
    forms = [
        H.leaf.key.private_bytes(pem, pkcs8, plain),
        H.leaf.key.private_bytes(pem, traditional, plain),
        rsa.private_bytes(pem, traditional, plain),
        H.leaf.key.private_bytes(pem, pkcs8, serialization.BestAvailableEncryption(b"pw")),
    ]
    b = load_bytes(pem_of(H.leaf) + b"".join(forms), "keys.pem")
    assert [k.kind for k in b.keys] == ["PKCS#8", "SEC1 EC", "PKCS#1 RSA", "encrypted PKCS#8"]
    assert [k.encrypted for k in b.keys] == [False, False, False, True]
    assert b.keys[0].spki == H.leaf.entry().spki and b.keys[3].spki is None


def test_several_sources_merge_in_order(tmp_path: Path) -> None:
    (tmp_path / "a.pem").write_bytes(pem_of(H.inter))
    (tmp_path / "b.pem").write_bytes(pem_of(H.leaf))
    b = load_sources([str(tmp_path / "a.pem"), str(tmp_path / "b.pem")]).bundle
    assert [c.sha256 for c in b.certs] == [H.inter.sha256, H.leaf.sha256]


def test_stdin() -> None:
    b = load_file("-", stdin=pem_of(H.leaf))
    assert b.certs[0].origin.label == "<stdin>:1"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x00\x01\x02garbage\xff" * 50, "not a certificate file"),
        (b"just some words\n", "no certificate or private key found"),
    ],
)
def test_unusable_inputs_raise_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "input"
    path.write_bytes(content)
    with pytest.raises(LoadError, match=message) as info:
        load_file(str(path))
    assert "\n" not in str(info.value)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no such file"):
        load_file(str(tmp_path / "nope.pem"))
    with pytest.raises(LoadError, match="folder"):
        load_file(str(tmp_path))


def test_read_input_names_what_is_wrong(tmp_path: Path) -> None:
    (tmp_path / "file.pem").write_bytes(b"x")
    cases = {
        str(tmp_path / "nope.pem"): "no such file",
        str(tmp_path / "file.pem" / "inner.pem"): "no such file (a part of the path is not a folder)",
        str(tmp_path) + "/nul\0.pem": "no such file",
        str(tmp_path): "is a folder, not a certificate file",
    }
    for path, message in cases.items():
        with pytest.raises(LoadError) as info:
            read_input(path)
        assert str(info.value) == f"{path}: {message}"
    assert read_input(tmp_path / "file.pem", "shown") == b"x"
    with pytest.raises(LoadError, match="^shown: no such file$"):
        read_input(tmp_path / "nope.pem", "shown")


def test_may_exist_is_false_only_for_certainly_missing_paths(tmp_path: Path) -> None:
    (tmp_path / "file.pem").write_bytes(b"x")
    assert may_exist(str(tmp_path / "file.pem")) and may_exist(str(tmp_path))
    assert not may_exist(str(tmp_path / "nope.pem"))
    assert not may_exist(str(tmp_path / "file.pem" / "inner"))
    assert not may_exist("nul\0.pem")


def test_oversized_file(tmp_path: Path) -> None:
    big = tmp_path / "big.pem"
    with big.open("wb") as fh:
        fh.truncate(MAX_INPUT_BYTES + 1)
    with pytest.raises(LoadError, match="50 MiB"):
        load_file(str(big))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_never_raise_anything_but_load_error(data: bytes) -> None:
    try:
        load_bytes(data, "fuzz.bin")
    except LoadError as exc:
        assert "\n" not in str(exc)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_mutated_pem_never_raises_anything_but_load_error(data: st.DataObject) -> None:
    text = bytearray(b"prefix\n" + pem_of(H.leaf, H.inter) + b"suffix\n")
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, len(text) - 1))
        text[pos] = data.draw(st.integers(0, 255))
    try:
        bundle = load_bytes(bytes(text), "mutated.pem")
    except LoadError:
        return
    assert len(bundle.certs) + len(bundle.unreadable) + len(bundle.keys) >= 1


@settings(max_examples=100, deadline=None)
@given(st.permutations([H.leaf, H.inter, H.root]), st.integers(0, 3))
def test_pem_round_trip_keeps_order_and_lines(order: list, blank_lines: int) -> None:
    sep = b"\n" * blank_lines
    data = sep.join(pem_of(x) for x in order)
    b = load_bytes(data, "rt.pem")
    assert [c.sha256 for c in b.certs] == [x.sha256 for x in order]
    lines = data.split(b"\n")
    for c in b.certs:
        assert lines[c.origin.line - 1].startswith(b"-----BEGIN CERTIFICATE-----")


def test_raw_names_match_cryptography_encoding() -> None:
    """The names sliced from the DER are exactly what cryptography encodes, on every sample."""
    for path in sorted(SAMPLES.glob("**/*.pem")):
        for cert in load_file(str(path)).certs:
            issuer, subject = raw_names(cert.der)
            assert subject == cert.cert.subject.public_bytes()
            assert issuer == cert.cert.issuer.public_bytes()


def test_raw_names_of_truncated_der_fall_back() -> None:
    der = H.leaf.cert.public_bytes(serialization.Encoding.DER)
    assert raw_names(der[:40]) is None
