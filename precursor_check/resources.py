"""Where precheck's files live: the shipped data (inside the package, or data/ in a checkout) and the cache.

Also the one way a file is replaced atomically (`replacing`: caches here, reports in io/atomic.py).
"""
from __future__ import annotations

import contextlib
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


@contextlib.contextmanager
def replacing(target: str | os.PathLike, prefix: str | None = None, suffix: str = ".tmp"):
    """Yield the path of a new temp file beside `target`; it replaces `target` when the block
    completes and is removed when the block fails (even on Ctrl-C), so readers of `target` see
    the old file or the whole new one, never part of one. OSError when no temp file can be made."""
    import tempfile

    target = Path(target)
    fd, tmp = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".",
                               prefix=prefix or f".{target.name}.", suffix=suffix)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
