"""The layout shows the architecture: subpackages import each other in one direction only.

Every import of the package (also the lazy ones inside functions, but not those under
TYPE_CHECKING) is read from the source, so a new import that turns the layering round fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "precursor_check"

# what each layer may import (besides itself and the top-level model, errors, resources, __init__)
ALLOWED = {
    "chemistry": set(),
    "identify": {"chemistry"},
    "watchlist": {"chemistry", "identify"},
    "io": {"chemistry", "identify", "watchlist"},
    "engines": {"chemistry", "identify", "watchlist", "io"},
    "cli": {"chemistry", "identify", "watchlist", "io", "engines"},
}
BASE = {"model", "errors", "resources", "(package)"}


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
