"""Known chemicals at lookup speed: every CAS number the offline sources hold (the local table,
the watchlist's own CAS numbers, --resolve-file catalogues) screened once for one watchlist and
one set of options, the results kept in SQLite in the cache directory.

A CAS-only catalogue then costs a lookup per distinct CAS number instead of a structure screen.
What is stored is the whole `Result` of screening that CAS number the ordinary way
(`screen_query`), so output from the store is byte-identical to screening each structure
(tests/test_known.py compares). Everything that can change a result is in the store's key
(`digest`): the tool version and the code and data files it runs, RDKit's version, the
watchlist's sha256 (every file it includes), the matching options (threshold, jurisdictions,
as-of date and any option added to `match.Options`), the heavy-atom cap, the local table and the
resolve files' contents. A new key is a new store; nothing is ever patched in place.

Built by engines/known_build.py, ahead of time (`build`) or on the first large CAS batch
(`prepare`). `screen_queries` opens the store (when one exists for its screener) and looks up
a chunk's CAS numbers with one query.

The key needs the compiled watchlist (its sha256, its options), so RDKit and the watchlist would
be loaded only to name the store. A *pointer* file beside the stores (`remember`, `quick_open`)
names the store for one `ScreenerConfig` instead, with what it was made from: the stamps of the
package's code and data files and of RDKit (as engines/answers.py checks them), the sha256 of
every watchlist file and resolve file, and the local table's stamp. Any change and the pointer
is ignored (then rewritten once the store is found the long way), so a batch whose every row is
answered from the store never imports RDKit.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

from precursor_check.engines.stored import decode, encode  # noqa: F401 - the store's format

if TYPE_CHECKING:
    from precursor_check.model import Result

FORMAT = 3  # bump when the stored layout changes (3: verdict and the rendered CSV result columns beside the blob)
LAZY_MIN_ROWS = 20_000  # a CAS batch at least this long builds the store on first use
BYTES_PER_ROW = 16  # for `expected_rows`
KEEP = 6  # stores kept in the cache directory (the least recently used are removed)
_UNSTABLE = ("cut off:", "could not screen this row:")  # a time limit or a crash: screened live instead


# -- the key ------------------------------------------------------------------------------------------


def _code_digest() -> str:
    """sha256 over the package's code and data files (an editable checkout changes without a new version)."""
    import hashlib

    import precursor_check
    from precursor_check.resources import data_path

    pkg = Path(precursor_check.__file__).resolve().parent
    roots = [pkg]
    try:
        data = data_path("watchlist.yaml").parent
        if pkg not in data.parents:
            roots.append(data)
    except FileNotFoundError:
        pass
    h = hashlib.sha256()
    for root in roots:
        for p in sorted(root.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo"):
                h.update(f"{p.relative_to(root)}\0".encode())
                h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def _options_text(options) -> str:
    """'threshold=0.55;jurisdictions=['US'];...': every field of match.Options, sets sorted."""
    out = []
    for f in fields(options):
        v = getattr(options, f.name)
        if isinstance(v, (set, frozenset)):
            v = sorted(v)
        out.append(f"{f.name}={v!r}")
    return ";".join(out)


def describe(screener) -> list[tuple[str, str]]:
    """(what, value) for everything a stored result depends on; `digest` hashes them."""
    import hashlib

    import rdkit

    from precursor_check import __version__
    from precursor_check.watchlist.compile import CACHE_FORMAT

    local = getattr(screener.resolver, "local", None)
    path = local_path(local)
    st = path.stat() if path is not None and path.exists() else None
    out = [
        ("format", str(FORMAT)),
        ("tool", __version__),
        ("code", _code_digest()),
        ("rdkit", rdkit.__version__),
        ("compiled watchlist format", str(CACHE_FORMAT)),
        ("watchlist", f"{screener.compiled.watchlist.version} {screener.compiled.watchlist.sha256}"),
        ("options", _options_text(screener.options)),
        ("max heavy atoms", repr(getattr(screener, "max_heavy_atoms", None))),
        ("local table", f"{path.name} {st.st_size} {st.st_mtime_ns}" if st else "none"),
    ]
    for t in screener.resolver.user:  # the source text names the file: its name and its bytes
        out.append(("resolve file", f"{t.path.name} {hashlib.sha256(t.path.read_bytes()).hexdigest()}"))
    return out


def digest(screener) -> str:
    import hashlib

    memo = screener.__dict__.get("_known_digest")
    if memo is None:
        text = "\n".join(f"{k}={v}" for k, v in describe(screener))
        memo = screener.__dict__["_known_digest"] = hashlib.sha256(text.encode()).hexdigest()
    return memo


def local_path(local) -> Path | None:
    if local is None or not getattr(local, "available", False):
        return None
    if local._path is not None:
        return Path(local._path)
    from precursor_check.identify.localdb import default_path

    return default_path()


def path_for(screener) -> Path | None:
    """The store for this screener's watchlist and options (None: no local table, nothing to store)."""
    if local_path(getattr(screener.resolver, "local", None)) is None:
        return None
    from precursor_check.resources import cache_dir

    return cache_dir() / f"known-{FORMAT}-{digest(screener)[:24]}.sqlite"


# -- stored results -----------------------------------------------------------------------------------


class KnownResults:
    """Read-only view of one store."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        self._conn.execute("PRAGMA mmap_size = 268435456")  # read pages in place, not copied through read()
        self._memo: dict[str, bytes | None] = {}

    def lookup(self, cas_numbers) -> dict[str, tuple[str, str, bytes]]:
        """{CAS number: (verdict, CSV result columns, stored result)} for those of `cas_numbers` the
        store holds. The CSV columns are as `TailRenderer(",", True, meta)` renders them, whose
        meta cells are `csv_suffix` (`stored.lazy` makes the result)."""
        wanted = list(cas_numbers)
        found: dict = {}
        for i in range(0, len(wanted), 900):  # SQLite's parameter limit
            part = wanted[i:i + 900]
            found.update({row[0]: row[1:] for row in self._conn.execute(
                f"SELECT cas, verdict, tail, blob FROM known WHERE cas IN ({','.join('?' * len(part))})", part)})
        return found

    @property
    def csv_suffix(self) -> str | None:
        """The meta cells that end every stored CSV tail (`TailRenderer.suffix`)."""
        if "_suffix" not in self.__dict__:
            self._suffix = self.meta().get("csv tail suffix")
        return self._suffix

    def prefetch(self, cas_numbers) -> dict[str, bytes]:
        """Look many CAS numbers up with one query per 900; `get` then answers from memory (the last
        batch only, so memory stays bounded). The stored results found, undecoded (`decode`)."""
        wanted = list(cas_numbers)
        found: dict[str, bytes] = {}
        for i in range(0, len(wanted), 900):  # SQLite's parameter limit
            part = wanted[i:i + 900]
            found.update(self._conn.execute(
                f"SELECT cas, blob FROM known WHERE cas IN ({','.join('?' * len(part))})", part))
        memo: dict[str, bytes | None] = dict.fromkeys(wanted)
        memo.update(found)
        self._memo = memo
        return found

    def get(self, cas: str) -> Result | None:
        if cas in self._memo:
            blob = self._memo[cas]
        else:
            row = self._conn.execute("SELECT blob FROM known WHERE cas = ?", (cas,)).fetchone()
            blob = row[0] if row else None
        return decode(blob, cas) if blob is not None else None

    def close(self) -> None:
        self._conn.close()

    def __len__(self) -> int:
        return self._conn.execute("SELECT COUNT(*) FROM known").fetchone()[0]

    def meta(self) -> dict[str, str]:
        return dict(self._conn.execute("SELECT key, value FROM meta"))

    def __getstate__(self):  # picklable for worker processes: reconnect there
        return {"path": self.path}

    def __setstate__(self, state) -> None:
        self.__init__(state["path"])


def open_for(screener) -> KnownResults | None:
    """The store for this screener, if one has been built."""
    path = path_for(screener)
    if path is None or not path.exists():
        return None
    try:
        return KnownResults(path)
    except sqlite3.Error:
        return None


def attach(screener) -> KnownResults | None:
    """`open_for`, once per screener: sets `screener.known` (used by `Screener._cas`)."""
    if "_known_tried" not in screener.__dict__:
        screener.__dict__["_known_tried"] = True
        try:
            screener.known = open_for(screener)
        except (OSError, sqlite3.Error):  # an unreadable cache only costs time
            screener.known = None
    return getattr(screener, "known", None)


def all_cas(screener) -> list[str]:
    """Every CAS number the screener's offline sources resolve: watchlist, resolve files, local table."""
    found = set(screener.compiled.cas_index)
    for t in screener.resolver.user:
        found.update(t.by_cas)
    local = screener.resolver.local
    if local is not None:
        found.update(local.cas_numbers())
    from precursor_check.identify.identifiers import cas_is_valid

    # only numbers whose check digit holds: any other is reported invalid, never looked up
    return sorted(c for c in found if cas_is_valid(c))


# -- the pointer: a store found without building a Screener -----------------------------------------


def _pointer_key(config) -> str:
    """Every field of a ScreenerConfig (paths resolved) and the PRECHECK_* environment (a watchlist
    named there changes the watchlist) but the cache directory, where the pointer lives."""
    items = []
    for f in fields(config):
        v = getattr(config, f.name)
        if f.name in ("watchlists", "resolve_files"):
            v = tuple(str(Path(x).resolve()) for x in v)
        items.append((f.name, v))
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith("PRECHECK_") and k != "PRECHECK_CACHE_DIR")
    return repr((FORMAT, items, env))


def _pointer_path(key: str) -> Path:
    import zlib

    from precursor_check.resources import cache_dir

    return cache_dir() / f"known-{FORMAT}-{zlib.crc32(key.encode()):08x}.pointer"


def _local_stamp(path) -> tuple | None:
    try:
        st = os.stat(path)
    except (OSError, TypeError):
        return None
    return str(path), st.st_size, st.st_mtime_ns


def remember(config, screener, store: Path) -> None:
    """Write the pointer from `config` to `store` (found or built for `screener`, made from `config`)."""
    import marshal

    from precursor_check.engines.answers import _code_stamp, _digest
    from precursor_check.resources import replacing

    wl = screener.compiled.watchlist
    key = _pointer_key(config)
    doc = {
        "key": key, "code": _code_stamp(), "store": Path(store).name, "meta": (wl.version, wl.sha256),
        "files": [(str(p), _digest(p)) for p in wl.files],
        "resolve": [(str(t.path), _digest(t.path)) for t in screener.resolver.user],
        "local": _local_stamp(local_path(getattr(screener.resolver, "local", None))),
    }
    if any(d is None for _, d in doc["files"] + doc["resolve"]) or doc["local"] is None:
        return
    path = _pointer_path(key)
    try:
        with open(path, "rb") as fh:
            if marshal.load(fh) == doc:
                return
    except (OSError, EOFError, ValueError, TypeError):
        pass
    try:
        with replacing(path, prefix=".tmp-known-pointer-") as tmp, open(tmp, "wb") as fh:
            marshal.dump(doc, fh)
    except OSError:
        pass  # an unwritable cache only costs time


def quick_open(config) -> tuple[KnownResults, tuple[str, str]] | None:
    """The store for `config` and (watchlist version, sha256), from its pointer, if the pointer
    still holds (same code, RDKit, watchlist files, resolve files and local table); else None."""
    from precursor_check.engines.answers import _digest, read_stamped

    key = _pointer_key(config)
    doc = read_stamped(_pointer_path(key), key)
    if doc is None or any(_digest(p) != d for p, d in doc["resolve"]):
        return None
    local = doc["local"]
    if local is None or _local_stamp(local[0]) != tuple(local):
        return None
    from precursor_check.resources import cache_dir

    store = cache_dir() / doc["store"]
    try:
        os.utime(store)  # recently used: kept by known_build._prune
    except OSError:
        return None
    try:
        return KnownResults(store), tuple(doc["meta"])
    except sqlite3.Error:
        return None
