"""The house rules of the code base, checked on every run: layers (rag → ingest → eval → ui, no
import back down), no import cycle between modules, and rooms small enough to read (no file over
500 lines, no function over 80 lines in rag/, ingest/, eval/, ui/)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

LAYERS = ["rag", "ingest", "eval", "ui"]  # lowest first: each may import only those before it
MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 80


def _modules() -> dict[str, Path]:
    mods = {}
    for pkg in LAYERS:
        for p in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(p.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            mods[".".join(parts)] = p
    return mods


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Project modules `name` imports (at any depth in the file, lazy imports included)."""
    out = set()
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                pkg = name.split(".") if is_pkg else name.split(".")[:-1]
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join(pkg + ([base] if base else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        for t in targets:
            while t and t not in known:  # "rag.store.Filters" → "rag.store"
                t = t.rpartition(".")[0]
            if t and t != name:
                out.add(t)
    return out


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    mods = _modules()
    return {m: _imports(m, p, set(mods)) for m, p in mods.items()}


def test_no_import_runs_back_down_the_layers(graph):
    bad = []
    for mod, deps in graph.items():
        level = LAYERS.index(mod.split(".")[0])
        for d in deps:
            if LAYERS.index(d.split(".")[0]) > level:
                bad.append(f"{mod} imports {d}")
    assert not bad, "\n".join(sorted(bad))


def test_no_import_cycle(graph):
    # a package's __init__ re-exporting its own rooms is not a cycle between concerns
    def edges(m: str) -> set[str]:
        return {d for d in graph[m] if not (d.startswith(m + ".") or m.startswith(d + "."))}

    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for d in sorted(edges(m)):
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if d not in state and (cycle := visit(d)):
                return cycle
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (cycle := visit(m)):
            pytest.fail("import cycle: " + " → ".join(cycle))


def test_rooms_are_small():
    too_long = []
    for mod, path in _modules().items():
        text = path.read_text(encoding="utf-8")
        n = text.count("\n")
        if n > MAX_FILE_LINES:
            too_long.append(f"{path.relative_to(ROOT)}: {n} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}(): {length} lines")
    assert not too_long, "\n".join(too_long)


def test_the_walker_sees_real_imports(graph):
    """Guard against a vacuous pass: known edges of the code base are found."""
    assert "rag.contract" in graph["rag.assistant"]
    assert any(d.startswith("rag.") for d in graph["ingest.pipeline"])
