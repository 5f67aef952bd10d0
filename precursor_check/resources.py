"""Where the shipped data files live (inside the installed package, or data/ in a source checkout),
and the user cache directory."""
from __future__ import annotations

import os
import sys
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


def cache_dir() -> Path:
    """PRECHECK_CACHE_DIR, else the platform's user cache directory (XDG on Linux)."""
    env = os.environ.get("PRECHECK_CACHE_DIR")
    if env:
        return Path(env)
    if sys.platform.startswith("linux"):  # skip importing platformdirs (~10 ms) on the common case
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "precheck"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("precheck", appauthor=False))
