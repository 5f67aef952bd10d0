"""Where reports go: stdout, or a file replaced atomically, with the mode open() would give."""

from __future__ import annotations

import contextlib
import functools
import os
import stat
import sys
from pathlib import Path

from precursor_check.errors import InputError
from precursor_check.resources import replacing


@functools.lru_cache(maxsize=1)
def umask() -> int:
    """The process umask, read once. /proc (Linux) first: os.umask can only be read by setting it."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    old = os.umask(0o022)
    os.umask(old)
    return old


def file_mode(target: str | os.PathLike) -> int:
    """The mode a finished report gets: the existing file's, else what open() would give (0o666 & ~umask).

    tempfile.mkstemp creates files 0600; without this every report would be private to its writer.
    """
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return 0o666 & ~umask()


def refuse_overwriting_input(inputs, outputs) -> None:
    """UsageError when an output (-o, --report, --audit-log) is one of the input files: the report
    would replace (or append to) the very file being read."""
    from precursor_check.errors import UsageError

    for out in outputs:
        if not out or out == "-":
            continue
        for src in inputs:
            if not src or src == "-":
                continue
            try:
                same = os.path.samefile(src, out)
            except OSError:  # the output does not exist yet (or the input does not): compare the paths
                same = Path(src).resolve() == Path(out).resolve()
            if same:
                raise UsageError(f"the output {out} is the input file {src}; write the report to another file")


CLOSED_STREAMS: set[str] = set()  # 'stdin', 'stdout', 'stderr' that were closed when precheck started


def guard_std_streams() -> None:
    """A standard stream closed by the caller (`precheck ... >&-`) becomes /dev/null on its file
    descriptor, so that no file opened later takes its number; reading or writing a report
    through it is then refused with one line (see `open_output`, `stdin_buffer`)."""
    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        if getattr(sys, name) is not None:
            continue
        CLOSED_STREAMS.add(name)
        with contextlib.suppress(OSError):
            got = os.open(os.devnull, os.O_RDONLY if fd == 0 else os.O_WRONLY)
            if got != fd:
                os.dup2(got, fd)
                os.close(got)
        setattr(sys, name, open(os.devnull, "r" if fd == 0 else "w", encoding="utf-8"))  # noqa: SIM115


def stdin_buffer():
    """sys.stdin's bytes, or InputError when stdin was closed."""
    if "stdin" in CLOSED_STREAMS or getattr(sys.stdin, "buffer", None) is None:
        raise InputError("cannot read stdin: it is closed; give a file name or pipe the input in")
    return sys.stdin.buffer


@contextlib.contextmanager
def open_output(path: str | None, binary: bool = False):
    """Yield a writable stream; for a path, the file appears only when the block completes."""
    if path in (None, "-"):
        if "stdout" in CLOSED_STREAMS:
            raise InputError("cannot write the report: stdout is closed; give -o FILE")
        yield sys.stdout.buffer if binary else sys.stdout
        return
    target = Path(path)
    if target.exists() and not target.is_file():  # /dev/null, a FIFO, a device: write to it, never replace it
        try:
            fh = open(target, "wb" if binary else "w", encoding=None if binary else "utf-8",
                      newline=None if binary else "")
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc.strerror}") from None
        with fh:
            yield fh
        return
    with contextlib.ExitStack() as stack:  # leaves no partial report behind, on any error or Ctrl-C
        try:
            tmp = stack.enter_context(replacing(target))
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc.strerror}") from None
        with open(tmp, "wb" if binary else "w", encoding=None if binary else "utf-8",
                  newline=None if binary else "") as fh:
            yield fh
        os.chmod(tmp, file_mode(target))
