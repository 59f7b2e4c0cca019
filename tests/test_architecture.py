"""The layout holds: no import cycle anywhere in pipeline/ (function-level imports included),
every module says its job, and the data flows one way between the sub-packages."""

from __future__ import annotations

import ast
from pathlib import Path

from helpers import REPO

PACKAGE = REPO / "pipeline"

# Which sub-package may import which (data flows capture -> stages -> store; drivers compose).
ALLOWED = {
    "models": set(),
    "errors": set(),
    "urls": {"models", "errors"},
    "extract": {"models", "errors"},
    "capture": {"models", "errors", "urls"},
    "config": {"models", "errors", "capture", "stages"},
    "stages": {"models", "errors", "urls", "extract"},
    "store": {"models", "errors", "urls", "stages"},
    "review": {"models", "errors", "store"},
    "runs": {"models", "errors", "urls", "extract", "capture", "config", "stages", "store"},
    "cli": {"models", "errors", "urls", "extract", "capture", "config", "stages", "store",
            "runs", "review"},
}


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(REPO).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        out[".".join(parts)] = path
    return out


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every pipeline module this module imports, at the top or inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            named = [f"{base}.{alias.name}" for alias in node.names]
            # `from package import submodule` depends on the submodule only
            targets = named + ([base] if any(n not in known for n in named) else [])
        for target in targets:
            while target and target not in known and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in known and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
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

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def group(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "pipeline"


def test_no_import_cycle_between_modules_including_function_level_imports() -> None:
    assert cycles(graph()) == []


def test_no_import_cycle_between_sub_packages() -> None:
    edges: dict[str, set[str]] = {}
    for module, targets in graph().items():
        edges.setdefault(group(module), set()).update(group(t) for t in targets)
        edges[group(module)].discard(group(module))
    assert cycles(edges) == []


def test_data_flows_one_way_between_sub_packages() -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in graph().items()
        for target in targets
        if group(module) in ALLOWED and group(target) not in ALLOWED[group(module)] | {group(module)}
        and group(target) != "pipeline"
    )
    assert wrong == []


def test_every_module_says_its_job() -> None:
    missing = sorted(name for name, path in modules().items()
                     if not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))))
    assert missing == []


def test_the_checker_sees_function_level_cycles() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]
    tree_edges = imports("pipeline.x", PACKAGE / "stages" / "extract.py", modules())
    assert "pipeline.stages.pool" in tree_edges
