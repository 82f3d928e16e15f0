"""Write the lessons' bundles: copies of ``sample_certs`` files (one with its blocks reversed).

Run from a checkout: ``python tui/data/lessons/generate.py`` (``--check`` only compares). The
samples are themselves generated deterministically (``sample_certs/generate.py``: keys from a seed,
RFC 6979 signatures, valid 2025-2125 unless noted), so the lessons use the same certificates as the
built-in demo, and a learner meets the same names in the demo they fix at the end.

| lesson file | from sample_certs | used in |
|---|---|---|
| good-chain.pem | good-chain.pem | 1 anatomy, 2 (wrong name), 3 intermediates |
| root-included.pem | root-included.pem | 2 (untrusted root), 6 root in the chain |
| expired-intermediate.pem | expired-intermediate.pem | 2 (dates) |
| reversed.pem | reversed.pem | 4 order |
| missing-intermediate.pem | missing-intermediate.pem | 5 missing intermediate |
| service-intermediate.pem | pool/service-intermediate.pem | 5 (where `c` finds it) |
| local-root.pem | roots/local-root.pem | the trust anchor of lessons 1-6 |
| mtls-*.pem | mtls/*.pem | 7 mTLS |
| mtls-client-reversed.pem | mtls/client-chain.pem, blocks reversed | 7 (the mTLS screen step) |
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parents[2] / "sample_certs"

FILES: dict[str, str] = {
    "good-chain.pem": "good-chain.pem",
    "root-included.pem": "root-included.pem",
    "expired-intermediate.pem": "expired-intermediate.pem",
    "reversed.pem": "reversed.pem",
    "missing-intermediate.pem": "missing-intermediate.pem",
    "service-intermediate.pem": "pool/service-intermediate.pem",
    "local-root.pem": "roots/local-root.pem",
    "mtls-server-chain.pem": "mtls/server-chain.pem",
    "mtls-server-root.pem": "mtls/server-root.pem",
    "mtls-client-chain.pem": "mtls/client-chain.pem",
    "mtls-client-root.pem": "mtls/client-root.pem",
    "mtls-client-reversed.pem": "mtls/client-chain.pem",
}
_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n", re.S)


def reverse_blocks(data: bytes) -> bytes:
    """The PEM blocks in the opposite order (the intermediate before the leaf)."""
    return b"".join(reversed(_BLOCK.findall(data)))


TRANSFORMS: dict[str, Callable[[bytes], bytes]] = {"mtls-client-reversed.pem": reverse_blocks}


def content(name: str, samples: Path = SAMPLES) -> bytes:
    """What the lesson file ``name`` must hold."""
    data = (samples / FILES[name]).read_bytes()
    transform = TRANSFORMS.get(name)
    return transform(data) if transform else data


def stale(out: Path = HERE, samples: Path = SAMPLES) -> list[str]:
    """Lesson files that differ from (or lack) their sample."""
    return [name for name in FILES
            if not (out / name).is_file() or (out / name).read_bytes() != content(name, samples)]


def generate(out: Path = HERE, samples: Path = SAMPLES) -> None:
    """Copy every lesson file from the samples into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        (out / name).write_bytes(content(name, samples))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale files (exit 1 when any)")
    args = parser.parse_args()
    if args.check:
        names = stale()
        for name in names:
            print(f"stale: {name}", file=sys.stderr)
        return 1 if names else 0
    generate()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
