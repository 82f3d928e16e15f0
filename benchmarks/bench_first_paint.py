"""First paint: from building the app (which reads the files) until the signer tree is populated.

Bundles: the same as ``bench_check.py`` -- synthetic bundles of 5, 1,000 and 10,000 certificates
(generated deterministically into ``benchmarks/.data/``; imported from there, not duplicated) and
certifi's root bundle (~120 real roots) -- each opened as ``chaindoctor FILE --roots ROOT
--no-system-roots``. Above 1,000 certificates the app analyses in a worker behind a loading
indicator; the clock stops when the tree shows the analysed chain, and one refresh has gone out.

Beside each, measured in the same run and interleaved with it:

* a minimal Textual app (one ``Static`` in a ``Screen``) timed until its ``Static`` is on screen;
* the floor from ``bench_check.py``: read the file, parse every certificate, one signature check
  per certificate -- so "minimal app + floor" is what a first paint could hardly beat;
* ``openssl verify`` on the same input.

Medians are compared; quote the ratios, not the absolute times (machines are shared and noisy).

    python benchmarks/bench_first_paint.py [--sizes 5,certifi,1000,10000] [--runs 9] [--big-runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import shutil
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Static

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_check import bundles, floor, machine, openssl_verify  # noqa: E402 - sys.path is set first

from tui.app import make_app  # noqa: E402 - sys.path is set first
from tui.app.widgets.signer_tree import SignerTree  # noqa: E402 - sys.path is set first
from tui.cli import parse_request  # noqa: E402 - sys.path is set first

SIZE = (120, 40)
NOW = datetime(2026, 6, 1, tzinfo=UTC)
BIG = 1_000  # at and above this many certificates, use --big-runs


class MinimalScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Static("hello", id="hello")


class MinimalApp(App[None]):
    def on_mount(self) -> None:
        self.push_screen(MinimalScreen())


def chaindoctor_app(bundle: Path, roots: Path) -> Callable[[], App[object]]:
    def make() -> App[object]:
        request = parse_request([str(bundle), "--roots", str(roots), "--no-system-roots"])
        return make_app(request, now=lambda: NOW)
    return make


def tree_ready(app: App[object]) -> bool:
    trees = app.screen.query(SignerTree)
    return bool(trees) and bool(trees.first().root.children)


def static_ready(app: App[object]) -> bool:
    return bool(app.screen.query("#hello"))


async def first_paint(make: Callable[[], App[object]], ready: Callable[[App[object]], bool]) -> float:
    """Seconds from building the app until ``ready`` holds and one refresh has gone out."""
    gc.collect()
    start = time.perf_counter()
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        while not ready(app):
            await asyncio.sleep(0.0005)
        await pilot.pause()
        elapsed = time.perf_counter() - start
        app.exit()
    return elapsed


def _timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


@dataclass
class Row:
    label: str
    count: int
    runs: int
    minimal: list[float]
    floor: list[float]
    verify: list[float] | None
    app: list[float]


async def measure(label: str, bundle: Path, roots: Path, runs: int) -> Row:
    from cryptography import x509

    count = len(x509.load_pem_x509_certificates(bundle.read_bytes()))
    make = chaindoctor_app(bundle, roots)
    has_openssl = shutil.which("openssl") is not None
    await first_paint(MinimalApp, static_ready)  # warm up imports and caches
    await first_paint(make, tree_ready)
    row = Row(label, count, runs, [], [], [] if has_openssl else None, [])
    for _ in range(runs):
        row.minimal.append(await first_paint(MinimalApp, static_ready))
        row.floor.append(_timed(lambda: floor(bundle, roots)))
        if row.verify is not None:
            row.verify.append(_timed(lambda: openssl_verify(bundle, roots)))
        row.app.append(await first_paint(make, tree_ready))
    return row


def _ms(values: list[float] | None) -> str:
    return "n/a" if not values else f"{statistics.median(values) * 1000:,.1f}"


def table(rows: list[Row]) -> str:
    lines = [
        "| bundle | certs | runs | minimal app ms | floor ms | `openssl verify` ms | chaindoctor first paint ms "
        "| min ms | / minimal app | **/ (minimal app + floor)** | µs/cert above the minimal app |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        app, minimal, base = (statistics.median(r.app), statistics.median(r.minimal), statistics.median(r.floor))
        lines.append(
            f"| {r.label} | {r.count:,} | {r.runs} | {_ms(r.minimal)} | {_ms(r.floor)} | {_ms(r.verify)} "
            f"| {_ms(r.app)} | {min(r.app) * 1000:,.1f} | {app / minimal:.2f}x | **{app / (minimal + base):.2f}x** "
            f"| {(app - minimal) / r.count * 1e6:,.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="5,certifi,1000,10000", help="comma-separated: N or 'certifi'")
    parser.add_argument("--runs", type=int, default=9, help="timed runs per bundle under 1,000 certificates")
    parser.add_argument("--big-runs", type=int, default=3, help="timed runs per bundle of 1,000 or more")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")  # certifi's roots include negative serials
    rows = []
    for label, bundle, roots in bundles([s.strip() for s in args.sizes.split(",") if s.strip()]):
        from cryptography import x509

        big = len(x509.load_pem_x509_certificates(bundle.read_bytes())) >= BIG
        rows.append(asyncio.run(measure(label, bundle, roots, args.big_runs if big else args.runs)))
        print(f"measured {label}", file=sys.stderr)
    print(machine())
    print()
    print(f"First paint, headless at {SIZE[0]}x{SIZE[1]}: medians of interleaved runs (the app built from "
          "its command line, files read, until the signer tree is populated); ratios are what to quote.\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
