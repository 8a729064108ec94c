"""The import graph of the application, read with ``ast`` (no import executed): every import points down
the layer order and no module takes part in an import circle.

Layers, top to bottom: pages → ui → exports → charts → metrics → loaders → store, domain. ``store`` may
read ``domain`` (the shared vocabulary); ``domain`` imports nothing of the application. Every import
counts, also the ones inside functions or under ``TYPE_CHECKING``: a lazy import is still a dependency.
``metrics`` never imports ``loaders``: metrics read stored rows and the domain's language, never the loader.
A package's ``__main__`` (its command line) is an entry point, at the top like the pages.
``bench/`` and ``tests/`` are tools around the application and are exempt.
"""
from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Rank of each top-level package: a module may import only packages of a greater or equal rank
#: (equal = its own package; the last two share the bottom rank but see ALLOWED_SAME_RANK).
LAYERS: dict[str, int] = {"app": 0, "pages": 0, "ui": 1, "exports": 2, "charts": 3, "metrics": 4, "loaders": 5,
                          "store": 6, "domain": 7}
EXEMPT = {"bench", "tests"}
#: (importer, imported) packages never allowed, whatever the ranks.
FORBIDDEN = {("metrics", "loaders")}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _files() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for top in LAYERS:
        if (ROOT / f"{top}.py").is_file():
            out[top] = ROOT / f"{top}.py"
        if (ROOT / top).is_dir():
            for p in sorted((ROOT / top).rglob("*.py")):
                out[_module_name(p)] = p
    return out


def _imports(name: str, path: Path, modules: set[str]) -> set[str]:
    """The application modules ``name`` imports (submodules resolved: ``from metrics import engine``
    → ``metrics.engine``; ``from store import Database`` → ``store``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                for i in range(len(parts), 0, -1):   # the deepest application module named
                    if ".".join(parts[:i]) in modules:
                        out.add(".".join(parts[:i]))
                        break
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = name.split(".") if is_pkg else name.split(".")[:-1]
                pkg = pkg[:len(pkg) - (node.level - 1)]
                base = ".".join(pkg + ([base] if base else []))
            for a in node.names:
                sub = f"{base}.{a.name}" if base else a.name
                if sub in modules:
                    out.add(sub)
                elif base in modules:
                    out.add(base)
    out.discard(name)
    return out


@lru_cache(maxsize=1)
def import_graph() -> dict[str, set[str]]:
    files = _files()
    modules = set(files)
    return {name: _imports(name, path, modules) for name, path in files.items()}


def _top(module: str) -> str:
    return module.split(".")[0]


def _rank(module: str) -> int:
    return 0 if module.endswith(".__main__") else LAYERS[_top(module)]


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for src, targets in graph.items():
        for dst in targets:
            a, b = _top(src), _top(dst)
            if a == b:
                continue
            if _rank(dst) < _rank(src) or a == "domain" or (a, b) in FORBIDDEN:   # domain imports nothing
                bad.append(f"{src} → {dst}")
    return sorted(bad)


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return sorted(out)


def test_the_graph_is_read():
    """The reader sees the application (a reader that finds nothing would pass every check)."""
    g = import_graph()
    assert {"pages.panoramica", "ui.views.panoramica", "metrics.engine", "loaders.validate", "store.db",
            "domain.status"} <= set(g)
    assert "metrics.formulas" in g["metrics.engine"]          # from metrics import formulas as F
    assert "store" in g["metrics.engine"]                     # from store import Database, get_db
    assert "loaders.problems" in g["loaders.validate"]


def test_no_upward_import():
    bad = upward_imports(import_graph())
    assert not bad, "imports against the layer order (pages → ui → exports → charts → metrics → loaders → " \
                    "store, domain):\n" + "\n".join(bad)


def test_no_import_circle():
    found = circles(import_graph())
    assert not found, "import circles:\n" + "\n".join(" ↔ ".join(c) for c in found)


@pytest.mark.parametrize("graph, expect_up, expect_circle", [
    ({"metrics.a": {"store.b"}, "store.b": set()}, [], []),
    ({"loaders.b": {"metrics.a"}, "metrics.a": set()}, ["loaders.b → metrics.a"], []),
    ({"domain.x": {"store.db"}, "store.db": set()}, ["domain.x → store.db"], []),
    ({"store.db": {"domain.x"}, "domain.x": set()}, [], []),
    ({"metrics.f": {"loaders.parsing"}, "loaders.parsing": set()}, ["metrics.f → loaders.parsing"], []),
    ({"metrics.__main__": {"exports.x"}, "exports.x": set()}, [], []),
    ({"metrics.x": {"exports.x"}, "exports.x": set()}, ["metrics.x → exports.x"], []),
    ({"loaders.a": {"loaders.b"}, "loaders.b": {"loaders.c"}, "loaders.c": {"loaders.a"}}, [],
     [["loaders.a", "loaders.b", "loaders.c"]]),
])
def test_the_checks_can_fail(graph, expect_up, expect_circle):
    assert upward_imports(graph) == expect_up
    assert circles(graph) == expect_circle
