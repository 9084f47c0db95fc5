"""The shape of the code: no import cycles, imports that flow one way, small modules.

Imports are read from the source (module level and inside functions alike: a lazy import
is still a dependency), so the test needs nothing installed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("bundlebench", "runtime", "shim")
MAX_RUNTIME_LINES = 400


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The project modules that `name` imports (a package's own submodules by name)."""
    tree = ast.parse(path.read_text(), str(path))
    is_package = path.name == "__init__.py"
    targets = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")[: len(name.split(".")) - node.level + is_package]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:
                targets.add(f"{module}.{alias.name}" if f"{module}.{alias.name}" in MODULES
                            else module)
    return {t for t in targets if t in MODULES and t != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_import_walk_sees_the_project() -> None:
    assert "runtime.process.parent" in GRAPH["runtime.cli"] or any(
        "runtime.process" in t for t in GRAPH["runtime.cli"])
    assert "runtime.rules" in GRAPH["bundlebench.spec.validate"]


def test_there_is_no_import_cycle() -> None:
    assert _cycles(GRAPH) == []


def test_the_cycle_finder_finds_one() -> None:
    graph = {**GRAPH, "runtime.status": GRAPH["runtime.status"] | {"runtime.kill"}}
    assert ["runtime.kill", "runtime.status"] in _cycles(graph)


@pytest.mark.parametrize(("package", "forbidden"), [
    ("runtime", ("bundlebench", "shim", "textual", "rich")),
    ("shim", ("bundlebench", "textual", "rich")),
    ("bundlebench.bundle", ("bundlebench.tui",)),
    ("bundlebench.spec", ("bundlebench.tui",)),
    ("bundlebench.commands", ("bundlebench.tui",)),
])
def test_imports_flow_one_way(package: str, forbidden: tuple[str, ...]) -> None:
    bad = []
    for name, path in MODULES.items():
        if name != package and not name.startswith(package + "."):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                     else [])
            bad += [f"{name} imports {n}" for n in names
                    if any(n == f or n.startswith(f + ".") for f in forbidden)]
    # The one command that opens the app is allowed to import it.
    bad = [b for b in bad if not b.startswith("bundlebench.commands.demo imports bundlebench.tui")]
    assert bad == []


def test_the_shim_uses_the_runtime_only_through_its_command_line() -> None:
    """Beyond three helpers (atomic writes, the one libc binding, the one JSON reader),
    the shim knows the runtime as a command."""
    used = {t for name in MODULES if name.startswith("shim") for t in GRAPH[name]
            if t.startswith("runtime")}
    assert used <= {"runtime.atomic", "runtime.linux.libc", "runtime.jsonread"}


def test_runtime_modules_are_small() -> None:
    big = {name: len(path.read_text().splitlines()) for name, path in MODULES.items()
           if name.startswith("runtime") and len(path.read_text().splitlines()) >
           MAX_RUNTIME_LINES}
    assert big == {}
