"""How fast is ``chaindoctor check``? Prints a markdown table; compares against a floor and openssl.

Sizes: a 5-certificate bundle, certifi's root bundle (~120), and synthetic bundles of 1,000 and
10,000 certificates generated deterministically into ``benchmarks/.data/`` (git-ignored; reused
on later runs). Each synthetic bundle is a leaf and its two intermediates followed by many other
certificates: CAs under the root or under the first intermediate, each with leaves of its own,
and a few unrelated self-signed roots, so the issuer index has many distinct names to work with.

Columns, all best-of-N wall time measured in the same run:

* floor: read the file, parse every certificate (``x509.load_pem_x509_certificates``) and check
  one signature per certificate against its actual issuer (self-signed ones against themselves);
* engine: what ``check`` does in-process: ``load_file`` + ``load_trust`` (the root only, no system
  roots) + ``diagnose``; "+sys" repeats it with the system roots added (their parse cache cleared);
* ``check --json``: ``python -m tui check FILE --roots ROOT --no-system-roots --json`` as a
  subprocess, interpreter start-up included;
* openssl: ``openssl verify -CAfile ROOT -untrusted FILE FILE`` and
  ``openssl crl2pkcs7 -nocrl -certfile FILE | openssl pkcs7 -print_certs -noout``.

Usage: ``python benchmarks/bench_check.py [--sizes 5,certifi,1000,10000] [--repeat N] [--profile SIZE]``.
Quote the ratios, not the absolute times: the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import os
import pstats
import shutil
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / ".data"
sys.path.insert(0, str(REPO))

from tui.pki import stores  # noqa: E402
from tui.pki.diagnose import Policy, diagnose  # noqa: E402
from tui.pki.load import load_file  # noqa: E402
from tui.pki.stores import load_trust  # noqa: E402

GENERATOR_VERSION = 1  # bump when the generated bundles change shape
NOT_BEFORE = datetime(2025, 1, 1, tzinfo=timezone.utc)
NOT_AFTER = datetime(2125, 1, 1, tzinfo=timezone.utc)
AT = datetime(2026, 6, 1, tzinfo=timezone.utc)
KEYS = 8  # distinct EC P-256 keys, reused across certificates (signatures are still all checked)
LEAVES_PER_CA = 24  # "other" leaves per "other" CA
SELF_SIGNED_EVERY = 50  # one unrelated self-signed root per this many other certificates


# --- deterministic bundle generation ------------------------------------------------------------


def _key(i: int) -> ec.EllipticCurvePrivateKey:
    scalar = int.from_bytes(hashlib.sha256(f"chaindoctor-bench-key-{i % KEYS}".encode()).digest(), "big")
    return ec.derive_private_key(scalar % (2**255) + 1, ec.SECP256R1())


@dataclass(frozen=True)
class _Issuer:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "chaindoctor bench"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _issue(serial: int, cn: str, key: ec.EllipticCurvePrivateKey, issuer: _Issuer | None, *, ca: bool,
           host: str | None = None) -> _Issuer:
    """One certificate: a CA (basicConstraints critical, keyCertSign) or a server leaf with a SAN."""
    subject = _name(cn)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(ski, critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
            critical=True)
    else:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False),
            critical=True)
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(host or cn)]), critical=False)
    signer = issuer.key if issuer else key
    cert = builder.sign(signer, hashes.SHA256(), ecdsa_deterministic=True)
    return _Issuer(cert, key)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def generate(n: int, out: Path) -> tuple[Path, Path]:
    """Write ``bundle-N.pem`` (leaf, 2 intermediates, N-3 others) and ``root.pem``; reuse existing files."""
    out.mkdir(parents=True, exist_ok=True)
    root_path = out / "root.pem"
    bundle_path = out / f"bundle-{n}.pem"
    stamp = out / f"bundle-{n}.v{GENERATOR_VERSION}"
    serial = iter(range(1000, 10**9))
    root = _issue(next(serial), "Bench Root CA", _key(0), None, ca=True)
    if bundle_path.is_file() and stamp.is_file() and root_path.is_file():
        return bundle_path, root_path
    int_a = _issue(next(serial), "Bench Intermediate A", _key(1), root, ca=True)
    int_b = _issue(next(serial), "Bench Intermediate B", _key(2), int_a, ca=True)
    leaf = _issue(next(serial), "www.bench.example", _key(3), int_b, ca=False)
    certs = [leaf.cert, int_b.cert, int_a.cert]
    others = n - len(certs)
    n_cas = max(1, others // (LEAVES_PER_CA + 1))
    cas: list[_Issuer] = []
    for i in range(min(n_cas, others)):
        parent = root if i % 2 == 0 else int_a
        cas.append(_issue(next(serial), f"Bench Other CA {i}", _key(4 + i), parent, ca=True))
    certs += [ca.cert for ca in cas]
    i = 0
    while len(certs) < n:
        if i % SELF_SIGNED_EVERY == SELF_SIGNED_EVERY - 1:
            certs.append(_issue(next(serial), f"Unrelated Root {i}", _key(i), None, ca=True).cert)
        else:
            ca = cas[i % len(cas)]
            host = f"host{i}.ca{i % len(cas)}.bench.example"
            certs.append(_issue(next(serial), host, _key(i), ca, ca=False).cert)
        i += 1
    tmp = bundle_path.with_suffix(".tmp")
    tmp.write_bytes(b"".join(_pem(c) for c in certs))
    tmp.replace(bundle_path)
    root_path.write_bytes(_pem(root.cert))
    stamp.write_text(f"{n} certificates\n")
    return bundle_path, root_path


def certifi_bundle() -> Path:
    import certifi

    return Path(certifi.where())


# --- what is measured ---------------------------------------------------------------------------


def floor(path: Path, root: Path) -> int:
    """Read, parse every certificate, one signature check per certificate against its issuer."""
    certs = x509.load_pem_x509_certificates(path.read_bytes())
    anchors = x509.load_pem_x509_certificates(root.read_bytes())
    by_subject: dict[bytes, x509.Certificate] = {}
    for cert in anchors + certs:
        by_subject.setdefault(cert.subject.public_bytes(), cert)
    checked = 0
    for cert in certs:
        issuer = by_subject.get(cert.issuer.public_bytes())
        if issuer is None:
            continue
        try:
            cert.verify_directly_issued_by(issuer)
            checked += 1
        except Exception:  # noqa: BLE001 - a failed or unsupported signature still cost its check
            pass
    return checked


def engine(path: Path, root: Path, *, system: bool = False) -> str:
    """``check``'s in-process work: load the bundle and the anchors, diagnose."""
    if system:
        stores._load_system.cache_clear()
    bundle = load_file(str(path))
    trust = load_trust([str(root)], system=system)
    return diagnose(bundle, trust, Policy(at=AT)).verdict


def check_cli(path: Path, root: Path) -> bool:
    """``chaindoctor check --json`` in a fresh interpreter; False when the command is not usable."""
    cmd = [sys.executable, "-m", "tui", "check", str(path), "--roots", str(root), "--no-system-roots",
           "--at", AT.strftime("%Y-%m-%dT%H:%M:%SZ"), "--json"]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, timeout=600)
    return proc.returncode in (0, 1) and proc.stdout.lstrip().startswith(b"{")


def openssl_verify(path: Path, root: Path) -> bool:
    proc = subprocess.run(["openssl", "verify", "-CAfile", str(root), "-untrusted", str(path), str(path)],
                          capture_output=True, timeout=600)
    return proc.returncode in (0, 2)


def openssl_print(path: Path, root: Path) -> bool:
    p7 = subprocess.Popen(["openssl", "crl2pkcs7", "-nocrl", "-certfile", str(path)], stdout=subprocess.PIPE)
    show = subprocess.run(["openssl", "pkcs7", "-print_certs", "-noout"], stdin=p7.stdout,
                          capture_output=True, timeout=600)
    assert p7.stdout is not None
    p7.stdout.close()
    p7.wait()
    return p7.returncode == 0 and show.returncode == 0


def best_of(fn: Callable[[], object], repeat: int) -> float | None:
    """The fastest of ``repeat`` runs in seconds; None when ``fn`` reports it could not run."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        if result is False:
            return None
        best = min(best, elapsed)
    return best


# --- the table ---------------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    count: int
    floor: float
    engine: float
    engine_system: float | None
    cli: float | None
    verify: float | None
    print_certs: float | None


def _ms(t: float | None) -> str:
    return "n/a" if t is None else f"{t * 1000:,.1f}"


def _ratio(t: float | None, base: float) -> str:
    return "n/a" if t is None else f"{t / base:.2f}x"


def interleaved(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Best-of-``repeat`` for several functions run in turn, so a burst of load hits them all alike."""
    best = {name: float("inf") for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def measure(label: str, path: Path, root: Path, repeat: int, *, system: bool) -> Row:
    count = len(x509.load_pem_x509_certificates(path.read_bytes()))
    has_openssl = shutil.which("openssl") is not None
    engine(path, root)  # warm imports and caches that a CLI run pays once
    fns: dict[str, Callable[[], object]] = {"floor": lambda: floor(path, root), "engine": lambda: engine(path, root)}
    if system:
        fns["system"] = lambda: engine(path, root, system=True)
    best = interleaved(fns, repeat)
    return Row(
        label, count, best["floor"], best["engine"], best.get("system"),
        best_of(lambda: check_cli(path, root), max(1, min(repeat, 3))),
        best_of(lambda: openssl_verify(path, root), repeat) if has_openssl else None,
        best_of(lambda: openssl_print(path, root), repeat) if has_openssl else None,
    )


def table(rows: list[Row]) -> str:
    lines = [
        "| bundle | certs | floor ms | engine ms | engine / floor | engine µs/cert | engine +sys roots ms "
        "| `check --json` ms | `openssl verify` ms | `openssl pkcs7 -print_certs` ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.label} | {r.count:,} | {_ms(r.floor)} | {_ms(r.engine)} | **{_ratio(r.engine, r.floor)}** "
            f"| {r.engine / r.count * 1e6:,.0f} | {_ms(r.engine_system)} | {_ms(r.cli)} | {_ms(r.verify)} "
            f"| {_ms(r.print_certs)} |")
    return "\n".join(lines)


def bundles(sizes: list[str]) -> list[tuple[str, Path, Path]]:
    out = []
    for size in sizes:
        if size == "certifi":
            path = certifi_bundle()
            out.append(("certifi roots", path, path))
        else:
            n = int(size)
            path, root = generate(n, DATA)
            out.append((f"synthetic {n:,}", path, root))
    return out


def profile(path: Path, root: Path, top: int = 25) -> str:
    prof = cProfile.Profile()
    prof.enable()
    engine(path, root)
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(top)
    buf.write("\n")
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="5,certifi,1000,10000", help="comma-separated: N or 'certifi'")
    parser.add_argument("--repeat", type=int, default=5, help="best of N runs (fewer for 10,000)")
    parser.add_argument("--no-system", action="store_true", help="skip the engine run with system roots")
    parser.add_argument("--profile", metavar="SIZE", help="print a cProfile of the engine on this size instead")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")  # certifi's roots include negative serials
    if args.profile:
        (_, path, root), = bundles([args.profile])
        print(profile(path, root))
        return 0
    rows = []
    for label, path, root in bundles([s.strip() for s in args.sizes.split(",") if s.strip()]):
        repeat = args.repeat if "10000" not in path.name else max(1, min(args.repeat, 3))
        rows.append(measure(label, path, root, repeat, system=not args.no_system))
        print(f"measured {label}", file=sys.stderr)
    print(table(rows))
    print()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; best of {args.repeat} "
          "(3 for 10,000 and for the subprocess); ratios are what to quote.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
