"""The layout shows the architecture: subpackages import each other in one direction only, and
no module imports itself round a cycle.

Every import of the package (also the lazy ones inside functions, but not those under
TYPE_CHECKING) is read from the source, so a new import that turns the layering round fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "precursor_check"

# what each layer may import (besides itself and the top-level model, errors, resources, memo, wording, __init__)
ALLOWED = {
    "chemistry": set(),
    "identify": {"chemistry"},
    "watchlist": {"chemistry", "identify"},
    "io": {"chemistry", "identify", "watchlist"},
    "engines": {"chemistry", "identify", "watchlist", "io"},
    "cli": {"chemistry", "identify", "watchlist", "io", "engines"},
}
BASE = {"model", "errors", "resources", "memo", "wording", "(package)"}


def _layer(module: str) -> str:
    parts = module.split(".")
    return "(package)" if len(parts) == 1 else parts[1]


def _imports(tree: ast.AST):
    """Package imports, skipping `if TYPE_CHECKING:` blocks (annotations only)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("precursor_check"):
            yield node.module, node.lineno
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("precursor_check"):
                    yield a.name, node.lineno


def test_layers_import_downwards_only():
    wrong = []
    for f in PKG.rglob("*.py"):
        module = ".".join(f.relative_to(PKG.parent).with_suffix("").parts)
        layer = _layer(module)
        if layer not in ALLOWED:
            continue
        for target, line in _imports(ast.parse(f.read_text(encoding="utf-8"))):
            t = _layer(target)
            if t != layer and t not in BASE and t not in ALLOWED[layer]:
                wrong.append(f"{f.relative_to(PKG.parent)}:{line} ({layer}) imports {target} ({t})")
    assert not wrong, "\n".join(wrong)


def test_every_module_says_its_job():
    missing = [str(f.relative_to(PKG.parent)) for f in PKG.rglob("*.py")
               if f.name not in ("__init__.py", "__main__.py") and ast.get_docstring(ast.parse(f.read_text())) is None]
    assert not missing, missing


def _graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports anywhere (also lazily inside functions; a submodule
    imported by name, `from precursor_check.chemistry import gates`, is an edge too)."""
    mods = {}
    for f in PKG.rglob("*.py"):
        parts = f.relative_to(PKG.parent).with_suffix("").parts
        mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, f in mods.items():
        tree = ast.parse(f.read_text(encoding="utf-8"))
        names: dict[str, list[str]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.setdefault(node.module, []).extend(a.name for a in node.names)
        for target, _line in _imports(tree):
            graph[m].update(t for t in (target, *(f"{target}.{n}" for n in names.get(target, ())))
                            if t in mods and t != m and not m.startswith(t + "."))
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    graph = _graph()
    assert graph["precursor_check.watchlist.compile"] and graph["precursor_check.cli"]
    assert _cycles(graph) == []


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_repository_names_no_path_outside_it():
    """Docs, data, code and tests cite public URLs and files of this repository, never a machine
    path or a document that is not in it."""
    root = PKG.parent
    # spelled in pieces so that this file does not name them itself
    outside = tuple("".join(x) for x in (("/wo", "rk/"), ("shared/", "reference"), ("DES", "IGN.md"),
                                          ("PERF", "ORMANCE.md"), ("STY", "LE.md"), ("HELP", "ERS.md")))
    files = [root / "README.md", root / "CHANGELOG.md", root / "pyproject.toml",
             *(p for d in ("precursor_check", "data", "docs", "tests", "bench") for p in (root / d).rglob("*")
               if p.is_file() and p.suffix in (".py", ".md", ".yaml", ".yml", ".tsv", ".txt", ".toml", ".json", ".csv"))]
    me = Path(__file__).resolve()
    texts = {f: f.read_text(encoding="utf-8", errors="replace") for f in files if f.resolve() != me}
    found = [f"{f.relative_to(root)}: {word}" for f, text in texts.items() for word in outside
             if text.count(word) > text.count(f'"{word}" not in')]  # other tests guarding the same are fine
    assert len(files) > 50 and not found, found
