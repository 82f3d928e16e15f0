"""First paint: from ``App.run_test`` start until the signer tree is populated, for a 5-certificate bundle.

The floor, measured in the same run, is a minimal Textual app (one ``Static`` in a ``Screen``) timed
until its ``Static`` is on screen. Both are timed headless, interleaved, and the medians compared;
quote the ratio, not the absolute times (machines are shared and noisy).

    python benchmarks/bench_first_paint.py [--runs 15]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from textual.app import App, ComposeResult  # noqa: E402
from textual.pilot import Pilot  # noqa: E402
from textual.screen import Screen  # noqa: E402
from textual.widgets import Static  # noqa: E402

from tui.app import make_app  # noqa: E402
from tui.app.widgets.signer_tree import SignerTree  # noqa: E402
from tui.cli import build_parser  # noqa: E402

BUNDLE = ROOT / "sample_certs" / "demo.pem"  # 5 certificates
ROOTS = ROOT / "sample_certs" / "roots" / "local-root.pem"
SIZE = (120, 40)


class MinimalScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Static("hello", id="hello")


class MinimalApp(App[None]):
    def on_mount(self) -> None:
        self.push_screen(MinimalScreen())


def chaindoctor_app() -> App[int]:
    args = build_parser()["app"].parse_args([str(BUNDLE), "--roots", str(ROOTS), "--no-system-roots"])
    return make_app(args, now=lambda: datetime(2026, 6, 1, tzinfo=timezone.utc))


def tree_ready(app: App[object]) -> bool:
    trees = app.screen.query(SignerTree)
    return bool(trees) and bool(trees.first().root.children)


def static_ready(app: App[object]) -> bool:
    return bool(app.screen.query("#hello"))


async def first_paint(make: Callable[[], App[object]], ready: Callable[[App[object]], bool]) -> float:
    """Seconds from run_test start until ``ready`` holds and one refresh has gone out."""
    app = make()
    start = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        while not ready(app):
            await asyncio.sleep(0.0005)
        await pilot.pause()
        elapsed = time.perf_counter() - start
        await _exit(pilot)
    return elapsed


async def _exit(pilot: Pilot[object]) -> None:
    pilot.app.exit()


async def measure(runs: int) -> dict[str, list[float]]:
    cases: dict[str, tuple[Callable[[], App[object]], Callable[[App[object]], bool]]] = {
        "minimal Textual app (Static in a Screen)": (MinimalApp, static_ready),
        "chaindoctor, 5-certificate bundle (tree populated)": (chaindoctor_app, tree_ready),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for name, (make, ready) in cases.items():  # warm up imports and caches
        await first_paint(make, ready)
    for _ in range(runs):
        for name, (make, ready) in cases.items():
            times[name].append(await first_paint(make, ready))
    return times


def table(times: dict[str, list[float]]) -> str:
    floor = statistics.median(next(iter(times.values())))
    lines = ["| app | median first paint (ms) | min (ms) | ratio to the minimal app |", "|---|---:|---:|---:|"]
    for name, values in times.items():
        median = statistics.median(values)
        lines.append(f"| {name} | {median * 1000:.1f} | {min(values) * 1000:.1f} | {median / floor:.2f}x |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each app (default 15)")
    args = parser.parse_args(argv)
    runner: Callable[[], Awaitable[dict[str, list[float]]]] = lambda: measure(args.runs)  # noqa: E731
    times = asyncio.run(runner())
    print(f"First paint, {args.runs} interleaved runs each, headless at {SIZE[0]}x{SIZE[1]}\n")
    print(table(times))
    return 0


if __name__ == "__main__":
    sys.exit(main())
