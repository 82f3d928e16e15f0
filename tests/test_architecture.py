"""The arrows point one way: cli -> app -> pki and cli -> pki; no import cycles anywhere in tui.

Imports are read from the source (module level and inside functions alike, so a cycle cannot hide in
a function body); ``if TYPE_CHECKING:`` blocks are left out, as they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "tui"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The tui modules that ``path`` imports (a ``from pkg import name`` names ``pkg.name`` when it is a module)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and _is_type_checking(node):
                visit(node.orelse)
                continue
            for child in ast.walk(node):
                if isinstance(child, ast.Import):
                    found.update(a.name for a in child.names if a.name.split(".")[0] == "tui")
                elif isinstance(child, ast.ImportFrom):
                    base = child.module or ""
                    if child.level:
                        anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                        base = ".".join([*anchor, *([base] if base else [])])
                    if base.split(".")[0] != "tui":
                        continue
                    for alias in child.names:
                        target = f"{base}.{alias.name}"
                        found.add(target if target in modules else base)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    found.discard(name)
    return {m for m in found if m in modules}


def _graph() -> dict[str, set[str]]:
    files = sorted(PACKAGE.rglob("*.py"))
    modules = {_module_name(f) for f in files}
    return {_module_name(f): _imports(f, modules) for f in files}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def strong(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def _is_package_parent(importer: str, imported: str) -> bool:
    """``tui.app.screens`` importing ``tui.app.screens.x`` (or a module its package ``__init__``) is no cycle."""
    return imported.startswith(importer + ".")


def test_no_import_cycles() -> None:
    graph = _graph()
    # a package's __init__ re-exporting its own modules is not a design cycle
    pruned = {m: {t for t in targets if not _is_package_parent(m, t)} for m, targets in graph.items()}
    assert _cycles(pruned) == []


def test_engine_and_app_never_import_the_command_line() -> None:
    graph = _graph()
    wrong = sorted((m, t) for m, targets in graph.items() for t in targets
                   if m.startswith(("tui.pki", "tui.app")) and t.startswith("tui.cli"))
    assert wrong == []


def test_engine_never_imports_the_app() -> None:
    graph = _graph()
    wrong = sorted((m, t) for m, targets in graph.items() for t in targets
                   if m.startswith("tui.pki") and t.startswith(("tui.app", "tui.cli")))
    assert wrong == []


def test_the_graph_is_read() -> None:
    graph = _graph()
    assert "tui.pki.session" in graph["tui.cli.check"]
    assert "tui.pki.diagnose" in graph["tui.pki.session"]
    assert len(graph) > 40
