"""Single queries for the watchlist's own CAS numbers without RDKit: `precheck CAS 79099-07-3`.

A seller's typical question is one CAS number, and the likeliest ones to matter are the
watchlist's. Once a watchlist CAS number has been screened (the ordinary way, by the query
commands), its result is kept in a small file in the cache directory; the next query for it
with the same options reads it back instead of importing RDKit, loading the compiled
watchlist and screening the structure again. The output is byte-identical: the stored result is
the whole `Result` (engines/stored.py), and only its row and input are filled in per query.

The file is keyed by every option that is not about output, and holds what it was made with:
the stamps (modification time, size) of the package's code and data files and of the installed
RDKit, and the stamps of the watchlist files (and what they include). Any change and the
file is ignored, then rewritten by the next ordinary screen.
"""

from __future__ import annotations

import marshal
import os
import zlib
from pathlib import Path
from typing import NamedTuple

FORMAT = 2  # 2: watchlist files identified by content (sha256), not modification time and size
# options that change how results are written or where, never what they are
OUTPUT_OPTIONS = frozenset({"fmt", "output", "fail_on", "raw_csv", "quiet", "report", "audit_log"})
MAX_ANSWERS = 2000  # CAS numbers kept per file (a watchlist has a few hundred)


def _stamp(path: str | Path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _digest(path: str | Path) -> str | None:
    """sha256 of a watchlist file's content: an edit that keeps the size and the modification
    time is still an edit (the compiled-watchlist cache is keyed the same way)."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    try:
        from _sha256 import sha256  # the built-in module: hashlib's import costs ~8 ms
    except ImportError:
        from hashlib import sha256
    return sha256(data).hexdigest()


def _code_stamp() -> int:
    """crc32 over (path, mtime, size) of the package's code and data files, and RDKit's stamp."""
    import precursor_check
    from precursor_check.resources import data_path

    pkg = os.path.dirname(os.path.abspath(precursor_check.__file__))
    roots = [pkg]
    try:
        data = str(data_path("watchlist.yaml").parent)
        if not data.startswith(pkg + os.sep):
            roots.append(data)
    except FileNotFoundError:
        pass
    parts = []
    for root in roots:
        for d, dirs, files in os.walk(root):
            dirs[:] = sorted(x for x in dirs if x != "__pycache__")
            for f in sorted(files):
                if not f.endswith((".pyc", ".pyo")):
                    p = os.path.join(d, f)
                    parts.append(f"{p}:{_stamp(p)}")
    parts.append(f"rdkit:{_rdkit_version()}")
    return zlib.crc32("\n".join(parts).encode())


def _rdkit_version() -> str:
    """The installed RDKit's stamp (its package file's modification time and size: a reinstall
    or upgrade changes it), without importing RDKit, which is what this module avoids."""
    from importlib.util import find_spec

    spec = find_spec("rdkit")
    return str(_stamp(spec.origin)) if spec is not None and spec.origin else "none"


def _key(opts: dict) -> str:
    """Every option that is not about output, watchlist paths resolved, and PRECHECK_WATCHLIST."""
    items = []
    for k in sorted(opts):
        if k in OUTPUT_OPTIONS:
            continue
        v = opts[k]
        if k == "watchlists":
            v = tuple(str(Path(p).resolve()) for p in v)
        elif isinstance(v, (list, tuple)):
            v = tuple(v)
        items.append((k, v))
    env = [str(Path(p).resolve()) for p in os.environ.get("PRECHECK_WATCHLIST", "").split(os.pathsep) if p]
    return repr((FORMAT, items, env))


def _path(key: str) -> Path:
    from precursor_check.resources import cache_dir

    return cache_dir() / f"answers-{FORMAT}-{zlib.crc32(key.encode()):08x}.marshal"


def _read(key: str) -> dict | None:
    """The answers file for these options if it is still valid (same code, RDKit and watchlist files)."""
    return read_stamped(_path(key), key)


def read_stamped(path: Path, key: str) -> dict | None:
    """A marshal document written for `key` by this code, if every file it names ((path, digest)
    pairs under "files") still has that content; else None."""
    try:
        with open(path, "rb") as fh:
            doc = marshal.load(fh)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(doc, dict) or doc.get("key") != key or doc.get("code") != _code_stamp():
        return None
    if any(_digest(p) != st for p, st in doc["files"]):
        return None
    return doc


class _Watchlist(NamedTuple):  # what the report reads of a watchlist (pipeline.run_meta)
    version: str
    sha256: str


class Answered:
    """Stands in for the Screener when every query has a stored answer: `screen_many` and `watchlist`."""

    def __init__(self, results: list, version: str, sha256: str):
        self.results = results
        self.watchlist = _Watchlist(version, sha256)

    def screen_many(self, queries, input_type=None):
        return iter(self.results)


def lookup(queries, opts: dict, input_type: str | None) -> Answered | None:
    """The stored answers if every query is a watchlist CAS number answered before with these
    options, else None (screen them the ordinary way). Rows are numbered as `screen_many` does."""
    if opts.get("report") or opts.get("audit_log") or opts.get("resolve_files") or not queries:
        return None
    if any(q == "-" for q in queries):
        return None
    from precursor_check.identify.identifiers import detect_type, normalise_cas

    numbers = []
    for q in queries:
        if input_type is None and detect_type(q) != "cas":
            return None
        try:
            numbers.append(normalise_cas(q.strip()))
        except (ValueError, AttributeError):
            return None
    key = _key(opts)
    doc = _read(key)
    if doc is None or not all(c in doc["answers"] for c in numbers):
        return None
    from precursor_check.engines.stored import decode

    results = []
    for i, (q, c) in enumerate(zip(queries, numbers), start=1):
        r = decode(doc["answers"][c], q)
        r.__dict__["row"] = i
        results.append(r)
    return Answered(results, *doc["meta"])


class Recording:
    """Wraps a Screener for the query commands: results pass through, and afterwards those for the
    watchlist's own CAS numbers are kept for `lookup`."""

    def __init__(self, screener, opts: dict, input_type: str | None):
        self.screener, self.opts, self.input_type = screener, opts, input_type
        self.watchlist = screener.watchlist

    def screen_many(self, queries, input_type=None):
        results = self.screener.screen_many(queries, input_type=input_type)
        if self.opts.get("resolve_files"):  # never read back with resolve files: nothing to keep
            return results
        return self._record(results)

    def _record(self, results):
        from precursor_check.identify.identifiers import detect_type, normalise_cas

        screener, fresh = self.screener, {}
        index = screener.compiled.cas_index
        # the watchlist files' stamps before any result is computed (a file edited meanwhile: not kept)
        files = [(str(p), _digest(p)) for p in screener.compiled.watchlist.files]
        for r in results:
            yield r
            q = r.input
            if r.input_type != "cas" or (self.input_type is None and detect_type(q) != "cas"):
                continue
            try:
                c = normalise_cas(q.strip())
            except ValueError:
                continue
            if c in index and c not in fresh:
                fresh[c] = r
        if fresh:
            _write(_key(self.opts), screener, fresh, files)


def _write(key: str, screener, fresh: dict, files: list) -> None:
    from precursor_check.engines.stored import encode
    from precursor_check.resources import replacing

    doc = _read(key)
    wl = screener.compiled.watchlist
    if doc is None or tuple(doc.get("meta", ())) != (wl.version, wl.sha256):
        doc = {"key": key, "code": _code_stamp(), "files": files, "meta": (wl.version, wl.sha256), "answers": {}}
    if len(doc["answers"]) + len(fresh) > MAX_ANSWERS:
        doc["answers"] = {}
    doc["answers"].update((c, encode(r)) for c, r in fresh.items())
    path = _path(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(path, prefix=".tmp-answers-") as tmp, open(tmp, "wb") as fh:
            marshal.dump(doc, fh)
    except OSError:
        pass  # an unwritable cache only costs time
