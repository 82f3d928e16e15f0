"""The committed sample bundles are exactly what ``sample_certs/generate.py`` produces."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tui.pki.diagnose import Report

SAMPLES = Path(__file__).resolve().parents[2] / "sample_certs"
NOT_GENERATED = {"generate.py", "README.md"}
# PKCS#12 encryption uses random salts and IVs; its content is compared instead of its bytes.
RANDOMIZED = {"good-chain.p12"}


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sample_certs_generate", SAMPLES / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _files(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.name not in NOT_GENERATED
    }


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    return _load_generator()


@pytest.fixture(scope="module")
def regenerated(generator: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("samples")
    generator.generate(out)
    return out


def test_same_file_set(regenerated: Path) -> None:
    assert _files(SAMPLES) == _files(regenerated)


@pytest.mark.parametrize("name", sorted(_files(SAMPLES) - RANDOMIZED))
def test_committed_bytes_match_generator(regenerated: Path, name: str) -> None:
    committed = (SAMPLES / name).read_bytes()
    assert committed == (regenerated / name).read_bytes(), f"{name} is stale: run generate.py"


@pytest.mark.parametrize("name", sorted(RANDOMIZED))
def test_pkcs12_content_matches_generator(generator: ModuleType, regenerated: Path, name: str) -> None:
    committed = generator.read_p12((SAMPLES / name).read_bytes())
    assert committed is not None, f"{name} does not open with the password 'chaindoctor'"
    assert committed == generator.read_p12((regenerated / name).read_bytes())


def test_generator_is_deterministic(generator: ModuleType, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    generator.generate(first)
    generator.generate(second)
    for name in _files(first) - RANDOMIZED:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def _openssl_verify(bundle: str) -> subprocess.CompletedProcess[str]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl binary is not installed")
    command = [openssl, "verify", "-CAfile", "roots/local-root.pem", "-untrusted", bundle, bundle]
    return subprocess.run(command, cwd=SAMPLES, capture_output=True, text=True, check=False)


def test_openssl_accepts_good_chain() -> None:
    result = _openssl_verify("good-chain.pem")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "good-chain.pem: OK" in result.stdout


@pytest.mark.parametrize(
    ("bundle", "error"),
    [
        ("expired-intermediate.pem", "certificate has expired"),
        ("bad-signature.pem", "certificate signature failure"),
        ("missing-intermediate.pem", "unable to get local issuer certificate"),
        ("not-a-ca.pem", "key usage does not include certificate signing"),
    ],
)
def test_openssl_rejects_broken_chains(bundle: str, error: str) -> None:
    result = _openssl_verify(bundle)
    assert result.returncode != 0
    assert error in result.stdout + result.stderr


# --- what check reports for each sample (the table in sample_certs/README.md) ----------------------

LOCAL_ROOT = "roots/local-root.pem"
SAMPLE_VERDICTS = [
    # file, roots, policy, verdict, finding codes
    ("good-chain.pem", LOCAL_ROOT, {"host": "orders.fin.service.local"}, "ok", set()),
    ("reversed.pem", LOCAL_ROOT, {}, "broken", {"wrong-order"}),
    ("shuffled.pem", LOCAL_ROOT, {}, "broken", {"wrong-order"}),
    ("missing-intermediate.pem", LOCAL_ROOT, {}, "broken", {"missing-intermediate"}),
    ("root-included.pem", LOCAL_ROOT, {}, "ok", {"contains-root"}),
    ("extra-cert.pem", LOCAL_ROOT, {}, "ok", {"extra-cert"}),
    ("duplicate.pem", LOCAL_ROOT, {}, "ok", {"duplicate-cert"}),
    ("expired-intermediate.pem", LOCAL_ROOT, {}, "broken", {"expired"}),
    ("bad-signature.pem", LOCAL_ROOT, {}, "broken", {"bad-signature"}),
    ("wrong-host.pem", LOCAL_ROOT, {"host": "orders.fin.service.local"}, "broken", {"hostname-mismatch"}),
    ("client-only-leaf.pem", LOCAL_ROOT, {}, "broken", {"wrong-purpose"}),
    ("combined-key-chain.pem", LOCAL_ROOT, {}, "ok", {"private-key-present"}),
    ("key-mismatch.pem", LOCAL_ROOT, {}, "broken", {"key-mismatch", "private-key-present"}),
    ("not-a-ca.pem", LOCAL_ROOT, {}, "broken", {"not-a-ca"}),
    ("s_client-output.txt", LOCAL_ROOT, {}, "ok", set()),
    ("good-chain.p7b", LOCAL_ROOT, {}, "ok", set()),
    ("leaf.der", LOCAL_ROOT, {}, "broken", {"missing-intermediate"}),
    ("demo.pem", LOCAL_ROOT, {}, "broken", {"wrong-order", "contains-root", "duplicate-cert"}),
    ("regional-cas.pem", "roots/regional-root.pem", {}, "ok", {"no-leaf"}),
    ("regional-hr-chain.pem", "roots/regional-root.pem", {"host": "portal.hr.europe.example"}, "ok", set()),
    ("mtls/server-chain.pem", "mtls/server-root.pem", {"host": "api.mtls.local"}, "ok", set()),
    ("mtls/client-chain.pem", "mtls/client-root.pem", {"purpose": "client"}, "ok", set()),
    ("stray-before-leaf.pem", LOCAL_ROOT, {}, "broken", {"wrong-order", "extra-cert"}),
    ("dead-end-cross-sign.pem", LOCAL_ROOT, {}, "broken", {"wrong-order"}),
    ("eku-constrained-intermediate.pem", LOCAL_ROOT, {}, "broken", {"wrong-purpose"}),
]


def _report(name: str, roots: str, policy: dict[str, str]) -> Report:
    import datetime as dt

    from tui.pki.diagnose import Policy, diagnose
    from tui.pki.load import load_file
    from tui.pki.stores import load_trust

    at = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    trust = load_trust([str(SAMPLES / roots)], system=False)
    return diagnose(load_file(str(SAMPLES / name)), trust, Policy(at=at, **policy))


@pytest.mark.parametrize(("name", "roots", "policy", "verdict", "codes"), SAMPLE_VERDICTS,
                         ids=[row[0] for row in SAMPLE_VERDICTS])
def test_sample_verdict_and_codes(name: str, roots: str, policy: dict[str, str], verdict: str,
                                  codes: set[str]) -> None:
    report = _report(name, roots, policy)
    assert report.verdict == verdict
    assert report.codes() == codes


def test_every_sample_bundle_has_a_verdict_row() -> None:
    listed = {row[0] for row in SAMPLE_VERDICTS} | {"good-chain.p12"}  # the .p12 needs its password
    bundles = {n for n in _files(SAMPLES) if not n.startswith(("roots/", "keys/", "pool/"))
               and n not in ("mtls/server-root.pem", "mtls/client-root.pem")}
    assert bundles <= listed, sorted(bundles - listed)


def test_new_samples_name_the_certificate_at_fault() -> None:
    stray = _report("stray-before-leaf.pem", LOCAL_ROOT, {})
    assert stray.by_code("wrong-order")[0].certificates == (stray.bundle.certs[0].sha256,)  # Asia CA, served first
    dead_end = _report("dead-end-cross-sign.pem", LOCAL_ROOT, {})
    assert dead_end.by_code("wrong-order")[0].certificates == (dead_end.bundle.certs[1].sha256,)
    assert "Legacy Root CA" in dead_end.bundle.certs[1].issuer
    assert dead_end.client("openssl").error == 20  # unable to get local issuer certificate
    eku = _report("eku-constrained-intermediate.pem", LOCAL_ROOT, {})
    assert eku.by_code("wrong-purpose")[0].certificates == (eku.bundle.certs[1].sha256,)
    assert eku.client("openssl").error == 26  # unsuitable certificate purpose


def test_openssl_refuses_the_stray_before_the_leaf() -> None:
    """openssl verify checks the first certificate of the file: Asia CA, not the leaf."""
    result = _openssl_verify("stray-before-leaf.pem")
    assert result.returncode != 0
