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


UNFINISHED: dict[str, int] = {}  # temp files `replacing` has made and not yet renamed or removed -> pid


@contextlib.contextmanager
def replacing(target: str | os.PathLike, prefix: str | None = None, suffix: str = ".tmp"):
    """Yield the path of a new temp file beside `target`; it replaces `target` when the block
    completes and is removed when the block fails (even on Ctrl-C), so readers of `target` see
    the old file or the whole new one, never part of one. OSError when no temp file can be made.

    The temp file's name is listed in `UNFINISHED` before the file exists, so that an interrupt
    between its creation and the `try` below (a signal can land between any two bytecodes) still
    leaves nothing behind: the CLI removes what is listed there (`remove_unfinished`) as it exits."""
    target = Path(target)
    folder = str(target.parent) if str(target.parent) else "."
    stem = prefix or f".{target.name}."
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = os.path.join(folder, f"{stem}{os.urandom(5).hex()}{suffix}")
        UNFINISHED[tmp] = os.getpid()
        try:
            fd = os.open(tmp, flags, 0o600)
        except OSError as exc:  # not made (an interrupt here stays listed: the file may exist)
            UNFINISHED.pop(tmp, None)
            if isinstance(exc, FileExistsError):
                continue
            raise
        break
    else:
        raise FileExistsError(f"no free temporary file name in {folder}")
    try:
        os.close(fd)
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    finally:
        UNFINISHED.pop(tmp, None)


def remove_unfinished() -> None:
    """Remove the temp files of `replacing` blocks this process left unfinished (an interrupt)."""
    pid = os.getpid()
    for tmp, owner in list(UNFINISHED.items()):
        if owner == pid:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            UNFINISHED.pop(tmp, None)
