"""Append-only audit log: one JSON line per screened query, safe with several writers at once.

Every line records who screened what, when, with which tool and watchlist, and the answer::

    {"time": "2026-11-23T15:04:05.123456Z", "user": "ana", "host": "ws12", "pid": 4242,
     "tool_version": "0.1.0", "watchlist_version": "2026.11.23", "watchlist_sha256": "008d...",
     "input": "79099-07-3", "input_type": "cas", "smiles": "CC(C)(C)OC(=O)N1CCC(=O)CC1",
     "source": "watchlist PC-0027 (CAS 79099-07-3)", "verdict": "controlled", "hits": ["PC-0027", ...]}

Concurrency: the file is opened with O_APPEND and every batch of lines goes out in one
``os.write`` while an exclusive ``fcntl.flock`` is held, so lines from concurrent precheck
processes never interleave and earlier lines are never rewritten. ``time`` is taken while the
lock is held, so in a log written only by precheck the times never decrease; `verify` reports
any line that breaks that (a clock stepped back, or a line edited or spliced in).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from precursor_check.errors import InputError
from precursor_check.model import Verdict

REQUIRED = ("time", "user", "host", "pid", "tool_version", "watchlist_version", "watchlist_sha256", "input",
            "input_type", "row", "smiles", "source", "verdict", "hits")  # every documented field
# field -> the JSON types it may have (None: null)
FIELD_TYPES = {"user": (str,), "host": (str,), "pid": (int,), "tool_version": (str,), "watchlist_version": (str,),
               "watchlist_sha256": (str,), "input": (str,), "input_type": (str, type(None)), "row": (int, type(None)),
               "smiles": (str, type(None)), "source": (str, type(None))}
_TIME = __import__("re").compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
VERDICTS = tuple(v.value for v in Verdict)
BATCH_LINES = 64  # flush after this many lines ...
BATCH_SECONDS = 0.25  # ... or when the last flush is this long ago


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers): the numeric uid
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def utc_now() -> str:
    """ISO 8601 UTC with microseconds and a 'Z': sorts as text in time order."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class AuditLog:
    """Buffered appender. Use as a context manager; `add(result)` per screened query.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "audit.jsonl"
    >>> with AuditLog(p, {"tool_version": "0", "watchlist_version": "w", "watchlist_sha256": "s"}) as log:
    ...     log.add_record({"input": "x", "smiles": None, "source": None, "verdict": "invalid", "hits": []})
    >>> verify(p).ok
    True
    """

    def __init__(self, path, meta: dict, batch_lines: int = BATCH_LINES, batch_seconds: float = BATCH_SECONDS):
        self.path = os.fspath(path)
        self.base = {"user": _user(), "host": socket.gethostname(), "pid": os.getpid(),
                     "tool_version": meta.get("tool_version"), "watchlist_version": meta.get("watchlist_version"),
                     "watchlist_sha256": meta.get("watchlist_sha256")}
        self.batch_lines = batch_lines
        self.batch_seconds = batch_seconds
        self._pending: list[dict] = []
        self._last_flush = 0.0  # monotonic; a slow (interactive) stream is written line by line
        try:
            self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
        except OSError as exc:
            raise InputError(f"cannot open audit log {self.path}: {exc.strerror}") from None
        try:  # to see a half line a failed writer left at the end (a write-only log is fine without)
            self.rfd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            self.rfd = None

    # -- writing ------------------------------------------------------------------------------
    def add(self, result) -> None:
        """Log one `Result` (its counted hits' ids)."""
        self.add_record({
            "input": result.input, "input_type": result.input_type, "row": result.row, "smiles": result.smiles,
            "source": result.source, "verdict": result.verdict.value,
            "hits": [h.id for h in result.hits if h.counted],
        })

    def add_record(self, rec: dict) -> None:
        self._pending.append({"input_type": None, "row": None, **rec})
        if len(self._pending) >= self.batch_lines or time.monotonic() - self._last_flush >= self.batch_seconds:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        import fcntl

        fcntl.flock(self.fd, fcntl.LOCK_EX)
        try:
            now = utc_now()  # under the lock: times in the file never decrease
            data = "".join(json.dumps({"time": now, **self.base, **rec}, ensure_ascii=False) + "\n"
                           for rec in self._pending).encode("utf-8")
            size = os.fstat(self.fd).st_size
            if size and not self._ends_in_newline(size):
                data = b"\n" + data  # a half line left by a failed writer: ours start on a line of their own
            view = memoryview(data)
            try:
                while view:  # one write; loop only on a short write (disk full), still under the lock
                    n = os.write(self.fd, view)
                    view = view[n:]
            except OSError as exc:  # file too large, disk full, quota: take the partial lines back
                with contextlib.suppress(OSError):
                    os.ftruncate(self.fd, size)
                self._pending.clear()
                raise InputError(f"cannot write audit log {self.path}: {exc.strerror}; "
                                 f"the lines of this batch were not written") from None
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        self._pending.clear()
        self._last_flush = time.monotonic()

    def _ends_in_newline(self, size: int) -> bool:
        """Whether the log's last byte is a newline (True when it cannot be read: write-only log)."""
        if self.rfd is None:
            return True
        try:
            return os.pread(self.rfd, 1, size - 1) == b"\n"
        except OSError:
            return True

    def close(self) -> None:
        if self.rfd is not None:
            with contextlib.suppress(OSError):
                os.close(self.rfd)
            self.rfd = None
        if self.fd is None:
            return
        try:
            self.flush()
        finally:
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@contextlib.contextmanager
def maybe_audit(path: str | None, meta: dict):
    """An AuditLog when a path is given, else None."""
    if not path:
        yield None
        return
    with AuditLog(path, meta) as log:
        yield log


# -- verifying ---------------------------------------------------------------------------------
@dataclass
class Verification:
    lines: int = 0
    first: str | None = None
    last: str | None = None
    verdicts: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # malformed lines (capped)
    n_problems: int = 0
    out_of_order: list[int] = field(default_factory=list)  # line numbers (capped)
    n_out_of_order: int = 0

    @property
    def ok(self) -> bool:
        return self.lines > 0 and not self.n_problems and not self.n_out_of_order

    def _problem(self, msg: str, cap: int) -> None:
        self.n_problems += 1
        if len(self.problems) < cap:
            self.problems.append(msg)


def _check_time(value) -> bool:
    """Exactly the form precheck writes (2026-01-31T12:00:00.000000Z): zero-padded, so that times
    compare as text; '2026-9-1T0:0:0.1Z' would sort before any real time of 2026-10."""
    if not isinstance(value, str) or not _TIME.fullmatch(value):
        return False
    try:
        dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        return False
    return True


def verify(path, cap: int = 20) -> Verification:
    """Check every line: JSON object, required fields of the right type, times non-decreasing."""
    v = Verification()
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise InputError(f"cannot read audit log {path}: {exc.strerror}") from None
    prev: str | None = None
    with fh:
        for i, raw in enumerate(_lines(fh), start=1):
            v.lines = i
            if not raw.endswith(b"\n"):
                v._problem(f"line {i}: no newline at the end (truncated write?)", cap)
            try:
                rec = json.loads(raw)
            except ValueError:
                v._problem(f"line {i}: not JSON", cap)
                continue
            if not isinstance(rec, dict):
                v._problem(f"line {i}: not a JSON object", cap)
                continue
            missing = [k for k in REQUIRED if k not in rec]
            if missing:
                v._problem(f"line {i}: missing {', '.join(missing)}", cap)
                continue
            if not _check_time(rec["time"]):
                v._problem(f"line {i}: time {rec['time']!r} is not UTC ISO 8601 like 2026-01-31T12:00:00.000000Z", cap)
                continue
            if rec["verdict"] not in VERDICTS:
                v._problem(f"line {i}: unknown verdict {rec['verdict']!r}", cap)
                continue
            if not isinstance(rec["hits"], list) or not all(isinstance(h, str) for h in rec["hits"]):
                v._problem(f"line {i}: hits is not a list of ids", cap)
                continue
            wrong = [k for k, types in FIELD_TYPES.items()
                     if not isinstance(rec[k], types) or (isinstance(rec[k], bool) and bool not in types)]
            if wrong:
                v._problem(f"line {i}: wrong type for {', '.join(wrong)}", cap)
                continue
            t = rec["time"]
            if prev is not None and t < prev:
                v.n_out_of_order += 1
                if len(v.out_of_order) < cap:
                    v.out_of_order.append(i)
            prev = t if prev is None or t > prev else prev
            v.first = t if v.first is None or t < v.first else v.first
            v.last = t if v.last is None or t > v.last else v.last
            v.verdicts[rec["verdict"]] = v.verdicts.get(rec["verdict"], 0) + 1
            user = str(rec["user"])
            v.users[user] = v.users.get(user, 0) + 1
    if v.lines == 0:
        v._problem("the log is empty", cap)
    return v


def _lines(fh) -> Iterable[bytes]:
    yield from fh  # binary iteration keeps the newline, so a truncated last line is visible


def describe(v: Verification, path) -> list[str]:
    """Human report lines for `precheck audit verify`."""
    out = [f"{path}: {v.lines} line{'s' if v.lines != 1 else ''}, "
           + ("well formed" if v.ok else "NOT well formed")]
    if v.first:
        out.append(f"span: {v.first} .. {v.last}")
    if v.verdicts:
        out.append("verdicts: " + ", ".join(f"{v.verdicts[k]} {k}" for k in VERDICTS if k in v.verdicts))
    if v.users:
        out.append("users: " + ", ".join(f"{u} {n}" for u, n in sorted(v.users.items(), key=lambda x: (-x[1], x[0]))))
    for p in v.problems:
        out.append(f"error: {p}")
    if v.n_problems > len(v.problems):
        out.append(f"error: ... and {v.n_problems - len(v.problems)} more malformed lines")
    if v.n_out_of_order:
        shown = ", ".join(map(str, v.out_of_order))
        more = f" and {v.n_out_of_order - len(v.out_of_order)} more" if v.n_out_of_order > len(v.out_of_order) else ""
        out.append(f"error: {v.n_out_of_order} line(s) earlier than a line before them: line {shown}{more}")
    return out
