"""PKCS#12 files that ask for too much key-derivation work, wherever the request hides.

The iteration count of a key bag inside the encrypted data is only readable after decrypting, so
the loader opens PKCS#12 files in a child process with a time limit (``tui.pki.pfx``). These tests
build such files, check that they end in one line with no process left behind, and that ordinary
files (2048 - 600,000 rounds, AES or 3DES) still load. Nothing here asserts how long anything takes:
the generous hang guards only turn a hang into a failure.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.hazmat.primitives.serialization.pkcs12 import PBES

from tests import factory as f
from tests.robustness import pfx
from tests.robustness.procs import child_pids, cli
from tests.robustness.support import SAMPLES, assert_clean_exit, hang_guard, peak_memory
from tui.pki import pfx as engine
from tui.pki.load import MAX_INPUT_BYTES, LoadError, load_bytes
from tui.pki.stores import search_pool

GUARD = 120  # seconds before a load counts as a hang (the work limit is a few seconds)
MiB = 1024 * 1024
H = f.hierarchy("p12work")
TOO_MUCH = "asks for too much key-derivation work"


def hidden_bomb(password: bytes, rounds: int = 2**31 - 1) -> bytes:
    """A certificate and a shrouded key bag asking for ``rounds``, both inside the encrypted data.

    Everything a reader can see before decrypting asks for one round (MAC and outer layer).
    """
    inner = pfx.encrypted_contents(password, 1, pfx.cert_bag(H.leaf.cert), pfx.shrouded_key_bag(None, password, rounds))
    return pfx.pfx(password, 1, inner)


def test_the_bomb_shows_one_round_before_decrypting() -> None:
    """The reproduction: the visible parameters are harmless, the work is behind the encryption."""
    data = hidden_bomb(b"pw")
    assert engine.looks_like_pfx(data)
    assert engine.visible_rounds(data) == 2  # the MAC's 1 and the outer layer's 1


@pytest.fixture
def short_limit(monkeypatch: pytest.MonkeyPatch) -> float:
    """A one-second limit for the in-process bombs (the command-line tests keep the real one)."""
    monkeypatch.setattr(engine, "PKCS12_TIME_LIMIT", 1.0)
    return 1.0


@pytest.mark.parametrize(("built_with", "given"), [(b"pw", b"pw"), (b"", None)])
def test_hidden_key_bag_bomb_is_one_line_and_leaves_no_process(built_with: bytes, given: bytes | None,
                                                                short_limit: float) -> None:
    data = hidden_bomb(built_with)
    with hang_guard(GUARD), pytest.raises(LoadError) as err:
        load_bytes(data, "bomb.p12", password=given)
    assert str(err.value) == f"bomb.p12: this PKCS#12 file {TOO_MUCH} (stopped after {short_limit:g} s)"
    assert child_pids() == []


def test_bomb_on_the_command_line_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bomb.p12"
    path.write_bytes(hidden_bomb(b"pw"))
    proc = cli("check", str(path), "--password", "pw", "--no-system-roots", timeout=GUARD)
    err = proc.stderr.decode()
    assert_clean_exit(proc.returncode, err)
    assert proc.returncode == 2 and TOO_MUCH in err and "stopped after" in err


def test_bomb_inside_a_search_folder_is_skipped_with_a_note(tmp_path: Path, short_limit: float) -> None:
    folder = tmp_path / "pool"
    folder.mkdir()
    (folder / "bomb.p12").write_bytes(hidden_bomb(b""))
    (folder / "inter.pem").write_bytes(H.inter.pem)
    with hang_guard(GUARD):
        pool, notes = search_pool([str(folder)])
    assert [e.sha256 for e in pool.entries] == [H.inter.sha256]
    assert len(notes) == 1 and TOO_MUCH in notes[0] and notes[0].startswith(str(folder / "bomb.p12"))
    assert child_pids() == []
    leaf = tmp_path / "leaf.pem"
    leaf.write_bytes(H.leaf.pem)
    proc = cli("check", str(leaf), "--search", str(folder), "--no-system-roots", timeout=GUARD)
    assert_clean_exit(proc.returncode, proc.stderr.decode())
    assert proc.returncode == 1  # untrusted without roots, but the search found the intermediate


def test_the_child_ends_by_itself_when_nobody_stops_it() -> None:
    """Its own CPU limit ends the child even if the process that started it is gone."""
    header = json.dumps({"passwords": [None], "limit": 0}).encode()
    proc = subprocess.run([sys.executable, "-P", "-c", "from tui.pki.pfx import worker_main; worker_main()"],
                          input=header + b"\n" + hidden_bomb(b""), capture_output=True, timeout=GUARD, check=False)
    assert proc.returncode in (-signal.SIGXCPU, -signal.SIGKILL), proc.returncode
    assert proc.stdout == b""


def _ordinary(rounds: int, algorithm: PBES) -> bytes:
    mac = hashes.SHA256() if algorithm is PBES.PBESv2SHA256AndAES256CBC else hashes.SHA1()
    encryption = (serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(rounds)
                  .key_cert_algorithm(algorithm).hmac_hash(mac).build(b"secret"))
    return pkcs12.serialize_key_and_certificates(b"id", H.leaf.key, H.leaf.cert, [H.inter.cert], encryption)


@pytest.mark.parametrize("rounds", [2048, 600_000])
@pytest.mark.parametrize("algorithm", [PBES.PBESv2SHA256AndAES256CBC, PBES.PBESv1SHA1And3KeyTripleDESCBC])
def test_ordinary_pkcs12_files_load(rounds: int, algorithm: PBES) -> None:
    bundle = load_bytes(_ordinary(rounds, algorithm), "id.p12", password=b"secret")
    assert [c.sha256 for c in bundle.certs] == [H.leaf.sha256, H.inter.sha256]
    assert [k.spki for k in bundle.keys] == [H.leaf.entry().spki]
    assert child_pids() == []


def test_key_bag_inside_the_encrypted_data_loads_when_ordinary() -> None:
    inner = pfx.encrypted_contents(b"pw", 2048, pfx.cert_bag(H.leaf.cert),
                                   pfx.shrouded_key_bag(H.leaf.key, b"pw", 2048))
    bundle = load_bytes(pfx.pfx(b"pw", 2048, inner), "hidden.p12", password=b"pw")
    assert [c.sha256 for c in bundle.certs] == [H.leaf.sha256] and len(bundle.keys) == 1


def test_unencrypted_pkcs12_without_mac_loads_without_a_password() -> None:
    data = pfx.pfx(b"", None, pfx.plain_contents(pfx.cert_bag(H.leaf.cert), pfx.key_bag(H.leaf.key)))
    bundle = load_bytes(data, "plain.p12")
    assert [c.sha256 for c in bundle.certs] == [H.leaf.sha256] and len(bundle.keys) == 1


def test_loads_from_threads_like_the_app() -> None:
    """The app loads in worker threads: starting the child from several threads at once is safe."""
    data = _ordinary(2048, PBES.PBESv2SHA256AndAES256CBC)
    results: list[object] = []

    def load() -> None:
        try:
            results.append(len(load_bytes(data, "thread.p12", password=b"secret").certs))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results.append(exc)

    threads = [threading.Thread(target=load) for _ in range(4)]
    with hang_guard(GUARD):
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert results == [2, 2, 2, 2]
    assert child_pids() == []


def test_visible_rounds_are_refused_at_once_with_the_number() -> None:
    inner = pfx.encrypted_contents(b"pw", 2**31 - 1, pfx.cert_bag(H.leaf.cert), fake=True)
    with pytest.raises(LoadError, match=r"asks for 2,147,483,64[0-9] key-derivation rounds"):
        load_bytes(pfx.pfx(b"pw", 1, inner), "visible.p12", password=b"pw")
    assert child_pids() == []


def chunked_ber(size: int) -> bytes:
    """A PFX-shaped file whose content is one OCTET STRING in ``size / 3`` one-byte BER chunks."""
    head = bytes.fromhex("3080020103" "3080" "06092a864886f70d010701" "a080" "2480")
    tail = b"\0\0" * 4
    return head + b"\x04\x01\x30" * ((size - len(head) - len(tail)) // 3) + tail


def test_chunked_ber_of_49_mib_is_one_line_in_bounded_memory() -> None:
    """Joining millions of chunks once took 1.57 GB and 10 s; the scan now counts chunks as elements."""
    data = chunked_ber(49 * MiB)
    assert len(data) <= MAX_INPUT_BYTES

    def attempt() -> str:
        with pytest.raises(LoadError) as err:
            load_bytes(data, "chunked.p12")
        return str(err.value)

    with hang_guard(GUARD):
        message, peak = peak_memory(attempt)
    assert message.startswith("chunked.p12: ") and "\n" not in message
    assert peak < 3 * len(data) + 16 * MiB  # the request sent to the child is one copy of the data
    with hang_guard(GUARD):
        assert engine.visible_rounds(data) == 0


def test_sample_pkcs12_still_loads() -> None:
    bundle = load_bytes((SAMPLES / "good-chain.p12").read_bytes(), "good-chain.p12", password=b"chaindoctor")
    assert len(bundle.certs) == 3 and len(bundle.keys) == 1


def test_a_child_that_cannot_start_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
    with pytest.raises(LoadError) as err:
        load_bytes(_ordinary(2048, PBES.PBESv2SHA256AndAES256CBC), "id.p12", password=b"secret")
    assert str(err.value) == ("id.p12: this PKCS#12 file could not be opened "
                              "(cannot start the PKCS#12 reader: no such file or directory)")
