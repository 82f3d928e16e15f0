"""Start-up, whole process, side by side: ``check`` beside a bare import, the app beside a minimal app and
beside the same screen in plain Textual.

Three comparisons, each measured as whole processes (interpreter start-up included), interleaved in
the same run, medians compared:

* ``chaindoctor check`` on the synthetic 5-certificate bundle of ``bench_check.py`` (``--roots`` its
  root, ``--no-system-roots``) beside ``python -c "import cryptography.x509"``;
* the app's first paint on the built-in demo -- ``chaindoctor --no-system-roots``, headless at
  120x40, from process start until the signer tree shows the analysed chain and one refresh went
  out -- beside a minimal Textual app with a Header, a Tree, a DataTable and a Footer, timed the
  same way until all four are on screen;
* the same first paint beside the app's first screen rebuilt in plain Textual, with no chaindoctor
  code: the same panes, tab strip and footer keys holding as much text as the demo shows -- what
  Textual alone costs for this screen.

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
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from textual.app import App

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


def _run_until_footer(app: App[None]) -> None:
    """Run a reference app headless and exit once its footer is on screen and it is idle."""
    from textual.pilot import Pilot
    from textual.widgets import Footer

    async def pilot(p: Pilot[object]) -> None:
        while not app.screen.query(Footer):
            await asyncio.sleep(0.001)
        await p.pause()
        app.exit()

    app.run(headless=True, size=SIZE, auto_pilot=pilot)


def _child_minimal() -> None:
    """A minimal Textual app with a Header, a Tree, a DataTable and a Footer, exiting once shown."""
    from textual.app import App, ComposeResult
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

    _run_until_footer(Minimal())


SAME_SCREEN_CSS = """
#verdict { height: 1; padding: 0 1; background: $error-muted; }
#body { height: 2fr; }
#left { width: 3fr; }
#details { width: 2fr; padding: 0 1; }
#bottom { height: 1fr; }
#tabs { width: 3fr; }
#explain { width: 2fr; padding: 0 1; }
#tree { height: 1fr; }
#served { height: auto; max-height: 50%; }
#tree, #served, #details, #findings, #clients, #explain { border: round $panel-lighten-2; scrollbar-size: 1 1; }
#tabs > ContentTabs { height: 1; }
#tabs Underline { display: none; }
"""


def _child_same_screen() -> None:
    """The app's first screen in plain Textual, no chaindoctor code: the same panes, tab strip and footer
    keys, holding as much text as the demo shows (what Textual alone costs for this screen)."""
    from rich.text import Text
    from textual.app import App, ComposeResult
    from textual.binding import Binding, BindingType
    from textual.containers import Horizontal, Vertical, VerticalScroll
    from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane, Tree

    def pane_text(lines: int, seed: str) -> Text:
        text = Text()
        for i in range(lines):
            text.append(f"{seed} {i:<8}", style="bold")
            text.append(f" {'value of this line ' * 3}{i}\n")
        return text

    def table(rows: int, table_id: str) -> DataTable[str]:
        widget: DataTable[str] = DataTable(id=table_id, cursor_type="row")
        widget.add_columns("#", "subject", "issuer", "state")
        for i in range(rows):
            widget.add_row(str(i + 1), f"CN=certificate {i}", f"CN=issuer {i}", "valid")
        return widget

    class SameScreen(App[None]):
        CSS = SAME_SCREEN_CSS
        BINDINGS: ClassVar[list[BindingType]] = [
            *(Binding(key, f"ring('{key}')", f"key {key}") for key in "ocxrfusyvpteadh"), Binding("q", "quit", "Quit")]

        def compose(self) -> ComposeResult:
            yield Header()
            yield Static(Text("✗ broken: served in the wrong order · press f to fix all"), id="verdict")
            with Horizontal(id="body"):
                with Vertical(id="left"):
                    tree: Tree[None] = Tree("CN=Root CA", id="tree")
                    node = tree.root
                    for name in ("CN=Intermediate CA", "CN=Issuing CA", "CN=leaf.example"):
                        node = node.add(name, expand=True)
                    tree.root.expand()
                    yield tree
                    yield table(5, "served")
                with VerticalScroll(id="details"):
                    yield Static(pane_text(38, "field"))
            with Horizontal(id="bottom"):
                with TabbedContent(id="tabs"):
                    with TabPane("Findings"):
                        yield table(3, "findings")
                    with TabPane("Who accepts"):
                        yield table(3, "clients")
                with VerticalScroll(id="explain"):
                    yield Static(pane_text(35, "text"))
            yield Footer()

        def action_ring(self, _key: str) -> None:
            self.bell()

    _run_until_footer(SameScreen())


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
    parser.add_argument("--child", choices=("app", "minimal", "same-screen"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "app":
        _child_app()
        return 0
    if args.child == "minimal":
        _child_minimal()
        return 0
    if args.child == "same-screen":
        _child_same_screen()
        return 0

    sys.path.insert(0, str(HERE))
    from bench_check import bundles, machine

    [(_, bundle, root)] = bundles(["5"])
    py = sys.executable
    child = [py, str(HERE / "bench_startup.py"), "--child"]
    commands = {
        "check": [py, "-m", "tui", "check", str(bundle), "--roots", str(root), "--no-system-roots"],
        "import": [py, "-c", "import cryptography.x509"],
        "app": [*child, "app"],
        "minimal": [*child, "minimal"],
        "same-screen": [*child, "same-screen"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for group in (("check", "import"), ("app", "minimal", "same-screen")):  # each group interleaved
        for name in group:
            _run(commands[name])  # warm the file cache
        for _ in range(args.runs):
            for name in group:
                times[name].append(_run(commands[name]))
    print(machine())
    print()
    print("| what | chaindoctor ms | reference | reference ms | ratio |")
    print("|---|---:|---|---:|---:|")
    rows = (("`check`, 5 certificates", "check", '`python -c "import cryptography.x509"`', "import"),
            ("app first paint, demo", "app", "minimal Textual app (Header, Tree, DataTable, Footer)", "minimal"),
            ("app first paint, demo", "app", "the same screen in plain Textual (panes, tabs, text, footer keys)",
             "same-screen"))
    for what, mine, reference, theirs in rows:
        ratio = statistics.median(times[mine]) / statistics.median(times[theirs])
        print(f"| {what} | {_median_ms(times[mine])} | {reference} | {_median_ms(times[theirs])} | **{ratio:.2f}x** |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
