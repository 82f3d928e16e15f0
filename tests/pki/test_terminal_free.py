"""The engine must be usable without a terminal: no module of tui.pki imports textual or rich."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import tui.pki

MODULES = sorted(f"tui.pki.{m.name}" for m in pkgutil.iter_modules(tui.pki.__path__))


def test_every_engine_module_is_listed() -> None:
    assert {"tui.pki.load", "tui.pki.graph", "tui.pki.diagnose", "tui.pki.stores"} <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_engine_module_imports_neither_textual_nor_rich(module: str) -> None:
    code = (f"import sys, importlib; importlib.import_module({module!r}); "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')); "
            "print(','.join(bad)); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"{module} pulled in {result.stdout.strip()} {result.stderr[-500:]}"


def test_cli_check_does_not_import_the_app() -> None:
    code = ("import sys; from tui import cli; cli.build_parser(); import tui.cli.render_text, tui.cli.check; "
            "sys.exit(1 if 'textual' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
