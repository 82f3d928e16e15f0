"""The committed sample bundles are exactly what ``sample_certs/generate.py`` produces."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

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
