"""No import cycles among envoxy's and envoxyd's modules, lazy imports
included (issue 13: envoxyd.health and envoxyd.lifecycle imported each
other, and a function-level import hid it)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOTS = [
    Path(__file__).resolve().parents[2] / "src",
    Path(__file__).resolve().parents[2] / "vendors" / "envoxyd" / "src",
]


def _modules() -> dict[str, Path]:
    found = {}
    for root in ROOTS:
        for file in root.rglob("*.py"):
            parts = list(file.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = file
    return found


def _imports(file: Path) -> list[tuple[str, str | None]]:
    """Every absolute import in the file, at any depth (a lazy import is an
    edge too: it only moves where a cycle breaks)."""
    out: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.extend((alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.extend((node.module, alias.name) for alias in node.names)
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, file in modules.items():
        for module, attribute in _imports(file):
            target = None
            if attribute and f"{module}.{attribute}" in modules:
                target = f"{module}.{attribute}"
            elif module in modules:
                target = module
            if target is not None and target != name:
                graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (iterative
    Tarjan: the graph is deep enough to matter for recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_checker_sees_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c"]
    ]


def test_no_module_imports_itself_through_others() -> None:
    graph = _graph()
    assert "envoxyd.health" in graph and "envoxy.connectors" in graph
    assert _cycles(graph) == []
