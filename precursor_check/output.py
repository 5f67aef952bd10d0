"""Where reports go: stdout, or a file written atomically (temp file, then rename)."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from .errors import InputError


@contextlib.contextmanager
def open_output(path: str | None, binary: bool = False):
    """Yield a writable stream; for a path, the file appears only when the block completes."""
    if path in (None, "-"):
        yield sys.stdout.buffer if binary else sys.stdout
        return
    import tempfile

    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".", prefix=f".{target.name}.",
                                   suffix=".tmp")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8",
                       newline=None if binary else "") as fh:
            yield fh
        os.replace(tmp, target)
    except BaseException:  # includes KeyboardInterrupt: leave no partial report behind
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
