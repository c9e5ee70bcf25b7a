"""The import graph of models/ and inspector/: no cycle between modules or between packages, and
streamlit only inside inspector/ui. Imports are read from the source (ast), so nothing is run.

Every import counts: at the top, inside a function (an import deferred to break a cycle hides
it, it does not break it) and under ``if TYPE_CHECKING:`` (two modules that name each other's
types are one unit all the same; ``conv.animation`` <-> ``conv.render`` hid that way)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path) -> set[str]:
    """Every module ``path`` imports: at the top, inside a function, or for the types only."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    files = [p for pkg in ("models", "inspector") for p in (ROOT / pkg).rglob("*.py")]
    return {_module(p): _imported(p) for p in files}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = stack[stack.index(v) :]
            del stack[stack.index(v) :]
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _package(module: str) -> str:
    """``inspector.shapes.trace`` -> ``inspector.shapes``; ``models.init`` -> ``models``."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "inspector" else parts[0]


def test_no_import_cycle_between_modules() -> None:
    graph = _graph()
    # a package's __init__ naming its own submodules is its table of contents, not a dependency
    edges = {
        m: {t for t in ts if t in graph and t != m and not t.startswith(m + ".")} for m, ts in graph.items()
    }
    assert _cycles(edges) == []


def test_no_import_cycle_between_packages() -> None:
    graph = _graph()
    edges: dict[str, set[str]] = {}
    for m, ts in graph.items():
        if m in ("inspector", "models"):  # the lazy package roots
            continue
        edges.setdefault(_package(m), set()).update(
            _package(t)
            for t in ts
            if t in graph and t not in ("inspector", "models") and _package(t) != _package(m)
        )
    assert _cycles(edges) == []


def test_only_the_ui_imports_streamlit() -> None:
    offenders = [
        m
        for m, ts in _graph().items()
        if not m.startswith("inspector.ui") and any(t.split(".")[0] == "streamlit" for t in ts)
    ]
    assert offenders == []


def test_models_stand_alone() -> None:
    """models/ is the bottom layer: it imports nothing of inspector (type-only imports aside)."""
    offenders = sorted(
        f"{m} -> {t}"
        for m, ts in _graph().items()
        if m.split(".")[0] == "models"
        for t in ts
        if t.split(".")[0] == "inspector"
    )
    assert offenders == []


def test_a_deferred_or_type_only_import_back_is_a_cycle(tmp_path: Path) -> None:
    """The reader sees an import inside a method and one under TYPE_CHECKING: the two ways a cycle
    hides from a test that reads only the top of a module."""
    (tmp_path / "a.py").write_text("def f():\n    from pkg.b import g\n    return g\n")
    (tmp_path / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import f\n"
    )
    graph = {f"pkg.{p.stem}": _imported(p) for p in (tmp_path / "a.py", tmp_path / "b.py")}
    edges = {m: {t for t in ts if t in graph} for m, ts in graph.items()}
    assert _cycles(edges) == [["pkg.a", "pkg.b"]]


def test_one_late_binding_outside_the_roots() -> None:
    """A module named by a string and imported at run time is an edge this graph cannot see. There
    is one, and only one: a result's ``_repr_html_`` (``inspector.display``) imports the notebook
    views on its first display; those import the results, never the reverse."""
    found = set()
    for pkg in ("models", "inspector"):
        for path in (ROOT / pkg).rglob("*.py"):
            module = _module(path)
            if module in ("inspector", "models"):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and getattr(
                    node.func, "attr", getattr(node.func, "id", "")
                ) in (
                    "import_module",
                    "__import__",
                ):
                    found.add(module)
    assert found == {"inspector.display"}
    from inspector.display import VIEWS

    graph = _graph()
    users = {m for m, ts in graph.items() for t in ts if t.startswith("inspector.notebook")}
    assert VIEWS in graph  # the name is the module's
    assert {m for m in users if not m.startswith("inspector.notebook")} == {
        "inspector"
    }  # the root's contents
