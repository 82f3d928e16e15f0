"""Start-up, whole process, side by side: ``check`` beside a bare import, the app beside a minimal app.

Two comparisons, each measured as whole processes (interpreter start-up included), interleaved in
the same run, medians compared:

* ``chaindoctor check`` on the synthetic 5-certificate bundle of ``bench_check.py`` (``--roots`` its
  root, ``--no-system-roots``) beside ``python -c "import cryptography.x509"``;
* the app's first paint on the built-in demo -- ``chaindoctor --no-system-roots``, headless at
  120x40, from process start until the signer tree shows the analysed chain and one refresh went
  out -- beside a minimal Textual app with a Header, a Tree, a DataTable and a Footer, timed the
  same way until all four are on screen.

Modules are byte-compiled first (as an installed package's are), so both sides start from .pyc files.
Quote the ratios, not the absolute times: the machines are shared and noisy.

    python benchmarks/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SIZE = (120, 40)


def _child_app() -> None:
    """Run the app on the demo headless and exit once the tree shows the analysed chain."""
    sys.path.insert(0, str(REPO))
    from textual.pilot import Pilot

    from tui.app import make_app
    from tui.app.widgets.signer_tree import SignerTree
    from tui.cli import parse_request

    app = make_app(parse_request(["--no-system-roots"]))

    async def pilot(p: Pilot[object]) -> None:
        while not (app.screen.query(SignerTree) and app.screen.query_one(SignerTree).root.children):
            await asyncio.sleep(0.001)
        await p.pause()
        app.exit()

    app.run(headless=True, size=SIZE, auto_pilot=pilot)


def _child_minimal() -> None:
    """A minimal Textual app with a Header, a Tree, a DataTable and a Footer, exiting once shown."""
    from textual.app import App, ComposeResult
    from textual.pilot import Pilot
    from textual.widgets import DataTable, Footer, Header, Tree

    class Minimal(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            tree: Tree[None] = Tree("root")
            tree.root.add_leaf("leaf")
            yield tree
            yield DataTable()
            yield Footer()

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns("#", "subject")
            table.add_row("1", "leaf")

    app = Minimal()

    async def pilot(p: Pilot[object]) -> None:
        while not app.screen.query(Footer):
            await asyncio.sleep(0.001)
        await p.pause()
        app.exit()

    app.run(headless=True, size=SIZE, auto_pilot=pilot)


# Byte-compiled modules, as an installed package has them (a first warm-up run writes them).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _run(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, cwd=REPO, env=ENV)
    return time.perf_counter() - start


def _median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:,.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--child", choices=("app", "minimal"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "app":
        _child_app()
        return 0
    if args.child == "minimal":
        _child_minimal()
        return 0

    sys.path.insert(0, str(HERE))
    from bench_check import bundles, machine

    [(_, bundle, root)] = bundles(["5"])
    py = sys.executable
    pairs = {
        "check": ([py, "-m", "tui", "check", str(bundle), "--roots", str(root), "--no-system-roots"],
                  [py, "-c", "import cryptography.x509"]),
        "first paint": ([py, str(HERE / "bench_startup.py"), "--child", "app"],
                        [py, str(HERE / "bench_startup.py"), "--child", "minimal"]),
    }
    rows = []
    for label, (ours, base) in pairs.items():
        _run(ours), _run(base)  # warm the file cache
        mine, theirs = [], []
        for _ in range(args.runs):
            mine.append(_run(ours))
            theirs.append(_run(base))
        rows.append((label, mine, theirs))
    print(machine())
    print()
    print("| what | chaindoctor ms | reference | reference ms | ratio |")
    print("|---|---:|---|---:|---:|")
    names = {"check": '`python -c "import cryptography.x509"`',
             "first paint": "minimal Textual app (Header, Tree, DataTable, Footer)"}
    for label, mine, theirs in rows:
        ratio = statistics.median(mine) / statistics.median(theirs)
        what = "`check`, 5 certificates" if label == "check" else "app first paint, demo"
        print(f"| {what} | {_median_ms(mine)} | {names[label]} | {_median_ms(theirs)} | **{ratio:.2f}x** |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
