"""How fast are load, diagnose, ``check`` and ``fix``? Prints markdown tables beside a floor and openssl.

Sizes: synthetic bundles of 5, 120, 1,000 and 10,000 certificates generated deterministically into
``benchmarks/.data/`` (git-ignored; reused on later runs), and certifi's root bundle (~120 real
roots, mostly RSA; no leaf, so ``fix`` has nothing to do there). Each synthetic bundle is a broken
chain -- served as ``int A, leaf, root, int B`` with ``int A`` repeated at the very end -- around
many other certificates: CAs under the root or under the first intermediate, each with leaves of
its own, and a few unrelated self-signed roots, so the issuer index has many distinct names to work
with and ``fix`` has to drop N-3 certificates and reorder the rest.

Columns, all best-of-N wall time, interleaved in the same run (each engine step on a freshly
loaded bundle, since certificates cache what they compute):

* floor: read the file, parse every certificate (``x509.load_pem_x509_certificates``) and check
  one signature per certificate against its actual issuer (self-signed ones against themselves);
* load: ``load_file`` + ``load_trust`` (the root only, no system roots);
* diagnose: ``diagnose`` on the loaded bundle with that trust store;
* check: what ``check`` does in-process, load + diagnose in one go; "+sys" repeats it with the
  system roots added (their parse cache cleared);
* fix: ``fix_all(bundle, RepairContext(anchors=trust, policy=Policy(at=...)))`` + ``to_pem`` on a
  loaded bundle (the certificate count before and after shows it did real work);
* ``check --json``: ``python -m tui check FILE --roots ROOT --no-system-roots --json`` as a
  subprocess, interpreter start-up included;
* openssl: ``openssl verify -CAfile ROOT -untrusted FILE FILE`` and
  ``openssl crl2pkcs7 -nocrl -certfile FILE | openssl pkcs7 -print_certs -noout``.

A second table gives µs per certificate, which stays flat when costs grow linearly.

Usage: ``python benchmarks/bench_check.py [--sizes 5,120,certifi,1000,10000] [--repeat N] [--profile SIZE]
[--profile-fix SIZE]``. Quote the ratios, not the absolute times: the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import io
import os
import platform
import pstats
import shutil
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / ".data"
sys.path.insert(0, str(REPO))

from tui.pki import stores  # noqa: E402 - sys.path is set first
from tui.pki.diagnose import Policy, diagnose  # noqa: E402 - sys.path is set first
from tui.pki.fixes import RepairContext, fix_all, to_pem  # noqa: E402 - sys.path is set first
from tui.pki.load import load_file  # noqa: E402 - sys.path is set first
from tui.pki.model import Bundle  # noqa: E402 - sys.path is set first
from tui.pki.stores import TrustStore, load_trust  # noqa: E402 - sys.path is set first

GENERATOR_VERSION = 2  # bump when the generated bundles change shape
CHAIN_SERVED = 5  # int A, leaf, root, int B ... int A again
NOT_BEFORE = datetime(2025, 1, 1, tzinfo=UTC)
NOT_AFTER = datetime(2125, 1, 1, tzinfo=UTC)
AT = datetime(2026, 6, 1, tzinfo=UTC)
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
    """Write ``bundle-N.pem`` (a broken 5-certificate chain, N-5 others) and ``root.pem``; reuse existing files.

    The chain is served as ``int A, leaf, root, int B`` and ``int A`` again at the very end, so
    ``fix`` has real work at every size: drop the duplicate, the root and the N-5 unrelated
    certificates, and reorder what is left to ``leaf, int B, int A``.
    """
    out.mkdir(parents=True, exist_ok=True)
    root_path = out / "root.pem"
    bundle_path = out / f"bundle-{n}.pem"
    stamp = out / f"bundle-{n}.v{GENERATOR_VERSION}"
    serial = iter(range(1000, 10**9))
    root = _issue(next(serial), "Bench Root CA", _key(0), None, ca=True)
    if bundle_path.is_file() and stamp.is_file() and root_path.is_file():
        return bundle_path, root_path
    if n < CHAIN_SERVED:
        raise ValueError(f"a synthetic bundle has at least {CHAIN_SERVED} certificates")
    int_a = _issue(next(serial), "Bench Intermediate A", _key(1), root, ca=True)
    int_b = _issue(next(serial), "Bench Intermediate B", _key(2), int_a, ca=True)
    leaf = _issue(next(serial), "www.bench.example", _key(3), int_b, ca=False)
    head = [int_a.cert, leaf.cert, root.cert, int_b.cert]  # wrong order, root included
    tail = [int_a.cert]  # a duplicate, last
    others: list[x509.Certificate] = []
    wanted = n - len(head) - len(tail)
    n_cas = min(wanted, max(1, wanted // (LEAVES_PER_CA + 1)))
    cas: list[_Issuer] = []
    for i in range(n_cas):
        parent = root if i % 2 == 0 else int_a
        cas.append(_issue(next(serial), f"Bench Other CA {i}", _key(4 + i), parent, ca=True))
    others += [ca.cert for ca in cas]
    i = 0
    while len(others) < wanted:
        if i % SELF_SIGNED_EVERY == SELF_SIGNED_EVERY - 1:
            others.append(_issue(next(serial), f"Unrelated Root {i}", _key(i), None, ca=True).cert)
        else:
            ca = cas[i % len(cas)]
            host = f"host{i}.ca{i % len(cas)}.bench.example"
            others.append(_issue(next(serial), host, _key(i), ca, ca=False).cert)
        i += 1
    certs = head + others + tail
    tmp = bundle_path.with_suffix(".tmp")
    tmp.write_bytes(b"".join(_pem(c) for c in certs))
    tmp.replace(bundle_path)
    root_path.write_bytes(_pem(root.cert))
    for old in out.glob(f"bundle-{n}.v*"):
        old.unlink()
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


def load(path: Path, root: Path, *, system: bool = False) -> tuple[Bundle, TrustStore]:
    """``check``'s loading: the bundle and the anchors."""
    if system:
        stores._load_system.cache_clear()
    return load_file(str(path)), load_trust([str(root)], system=system)


def engine(path: Path, root: Path, *, system: bool = False) -> str:
    """``check``'s in-process work: load the bundle and the anchors, diagnose."""
    bundle, trust = load(path, root, system=system)
    return diagnose(bundle, trust, Policy(at=AT)).verdict


def fix(bundle: Bundle, trust: TrustStore) -> tuple[int, int]:
    """``fix``'s in-process work on a loaded bundle: every repair, then the PEM to write."""
    repair = fix_all(bundle, RepairContext(anchors=trust, policy=Policy(at=AT)))
    to_pem(repair.after, include_keys=True)
    return len(repair.before.certs), len(repair.after.certs)


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


def _clock(fn: Callable[[], object]) -> Callable[[], float | None]:
    """``fn`` timed as a whole; None when it reports (by returning False) that it could not run."""
    def timed() -> float | None:
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        return None if result is False else elapsed
    return timed


def _after_load(path: Path, root: Path, step: Callable[[Bundle, TrustStore], object]) -> Callable[[], float]:
    """``step`` timed on a freshly loaded bundle (the load itself not timed)."""
    def timed() -> float:
        bundle, trust = load(path, root)
        gc.collect()
        start = time.perf_counter()
        step(bundle, trust)
        return time.perf_counter() - start
    return timed


def interleaved(fns: dict[str, Callable[[], float | None]], repeat: int) -> dict[str, float | None]:
    """Best-of-``repeat`` for several timed functions run in turn, so a burst of load hits them all alike.

    A function that returns None could not run (no openssl, say) and is reported as None.
    """
    best: dict[str, float | None] = {name: float("inf") for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            if best[name] is None:
                continue
            gc.collect()
            elapsed = fn()
            best[name] = None if elapsed is None else min(best[name] or float("inf"), elapsed)
    return best


# --- the machine ---------------------------------------------------------------------------------


def machine() -> str:
    """One line naming the machine and the versions that matter, to print above each table."""
    from importlib.metadata import version

    from cryptography.hazmat.backends.openssl.backend import backend

    cli = "none"
    if shutil.which("openssl"):
        cli = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip() or "unknown"
    cpu = _cpu_model() or platform.processor() or "unknown CPU"
    return (f"Machine: {platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} CPUs; "
            f"Python {platform.python_version()}; cryptography {version('cryptography')} "
            f"({backend.openssl_version_text()}); textual {version('textual')}; openssl CLI: {cli}")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


# --- the tables ---------------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    count: int
    floor: float
    load: float
    diagnose: float
    check: float
    fix: float
    fixed: tuple[int, int]
    check_system: float | None
    cli: float | None
    verify: float | None
    print_certs: float | None


def _ms(t: float | None) -> str:
    return "n/a" if t is None else f"{t * 1000:,.1f}"


def _us(t: float | None, count: int) -> str:
    return "n/a" if t is None else f"{t / count * 1e6:,.0f}"


def _ratio(t: float | None, base: float | None) -> str:
    return "n/a" if t is None or not base else f"{t / base:.2f}x"


def measure(label: str, path: Path, root: Path, repeat: int, *, system: bool) -> Row:
    count = len(x509.load_pem_x509_certificates(path.read_bytes()))
    has_openssl = shutil.which("openssl") is not None
    engine(path, root)  # warm imports and caches that a CLI run pays once
    fixed = fix(*load(path, root))
    fns: dict[str, Callable[[], float | None]] = {
        "floor": _clock(lambda: floor(path, root)),
        "load": _clock(lambda: load(path, root)),
        "diagnose": _after_load(path, root, lambda b, t: diagnose(b, t, Policy(at=AT))),
        "check": _clock(lambda: engine(path, root)),
        "fix": _after_load(path, root, fix),
    }
    if system:
        fns["system"] = _clock(lambda: engine(path, root, system=True))
    if has_openssl:
        fns["verify"] = _clock(lambda: openssl_verify(path, root))
        fns["print"] = _clock(lambda: openssl_print(path, root))
    best = interleaved(fns, repeat)
    cli = interleaved({"cli": _clock(lambda: check_cli(path, root))}, max(1, min(repeat, 3)))["cli"]
    return Row(label, count, best["floor"] or 0.0, best["load"] or 0.0, best["diagnose"] or 0.0,
               best["check"] or 0.0, best["fix"] or 0.0, fixed, best.get("system"), cli, best.get("verify"),
               best.get("print"))


def table(rows: list[Row]) -> str:
    lines = [
        "| bundle | certs | floor ms | load ms | diagnose ms | check ms | **check / floor** | fix ms "
        "| fix / diagnose | fix: certs in → out | check +sys roots ms | `check --json` ms | `openssl verify` ms "
        "| `openssl pkcs7 -print_certs` ms | check / `openssl verify` |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.label} | {r.count:,} | {_ms(r.floor)} | {_ms(r.load)} | {_ms(r.diagnose)} | {_ms(r.check)} "
            f"| **{_ratio(r.check, r.floor)}** | {_ms(r.fix)} | {_ratio(r.fix, r.diagnose)} "
            f"| {r.fixed[0]:,} → {r.fixed[1]:,} | {_ms(r.check_system)} | {_ms(r.cli)} | {_ms(r.verify)} "
            f"| {_ms(r.print_certs)} | {_ratio(r.check, r.verify)} |")
    return "\n".join(lines)


def per_cert_table(rows: list[Row]) -> str:
    lines = [
        "| bundle | certs | floor | load | diagnose | **check** | fix | `openssl verify` "
        "| `openssl pkcs7 -print_certs` |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        n = r.count
        lines.append(
            f"| {r.label} | {n:,} | {_us(r.floor, n)} | {_us(r.load, n)} | {_us(r.diagnose, n)} "
            f"| **{_us(r.check, n)}** | {_us(r.fix, n)} | {_us(r.verify, n)} | {_us(r.print_certs, n)} |")
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


def profile(path: Path, root: Path, *, what: str = "check", top: int = 25) -> str:
    """cProfile of ``check`` (load + diagnose) or of ``fix`` (fix_all + to_pem on a loaded bundle)."""
    loaded = load(path, root)
    prof = cProfile.Profile()
    prof.enable()
    if what == "fix":
        fix(*loaded)
    else:
        engine(path, root)
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(top)
    buf.write("\n")
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="5,120,certifi,1000,10000", help="comma-separated: N or 'certifi'")
    parser.add_argument("--repeat", type=int, default=5, help="best of N runs (at most 3 for 10,000 and more)")
    parser.add_argument("--no-system", action="store_true", help="skip the check run with system roots")
    parser.add_argument("--profile", metavar="SIZE", help="print a cProfile of check on this size instead")
    parser.add_argument("--profile-fix", metavar="SIZE", help="print a cProfile of fix on this size instead")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")  # certifi's roots include negative serials
    if args.profile or args.profile_fix:
        (_, path, root), = bundles([args.profile or args.profile_fix])
        print(profile(path, root, what="fix" if args.profile_fix else "check"))
        return 0
    rows = []
    for label, path, root in bundles([s.strip() for s in args.sizes.split(",") if s.strip()]):
        count = len(x509.load_pem_x509_certificates(path.read_bytes()))
        repeat = args.repeat if count < 10_000 else max(1, min(args.repeat, 3))
        rows.append(measure(label, path, root, repeat, system=not args.no_system))
        print(f"measured {label}", file=sys.stderr)
    print(machine())
    print()
    print(f"Time, best of {args.repeat} interleaved runs (at most 3 at 10,000 certificates and for the "
          "subprocess); ratios are what to quote.\n")
    print(table(rows))
    print()
    print("µs per certificate (flat = linear growth):\n")
    print(per_cert_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
