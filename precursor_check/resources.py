"""Where the shipped data files live: inside the installed package, or data/ in a source checkout."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@lru_cache(maxsize=None)
def data_path(name: str) -> Path:
    """The shipped data file `name` (e.g. 'watchlist.yaml', 'salts.tsv'); FileNotFoundError when absent."""
    for candidate in (_PACKAGE / "data" / name, _PACKAGE.parent / "data" / name):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(name)
