"""Offline CAS / name -> structure table, built once from the `chemicals` package's
PubChem-derived identifier tables into SQLite in the user cache directory.

Loading the `chemicals` tables takes seconds; after the first build a lookup is a
millisecond SQLite query. The index is keyed by the `chemicals` version.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from precursor_check.identify.names import normalise_name

FORMAT = 6  # 6: names keyed without accents; 5: the `unsure` table (names that are not an identification, with their chemicals)
MAX_CANDIDATES = 10  # chemicals kept per such name
TABLES = (  # the PubChem-derived tables of `chemicals`, in priority order
    "chemical identifiers pubchem small.tsv",
    "chemical identifiers pubchem large.tsv",
    "Inorganic db.tsv",
)
MAX_SYNONYMS = 25
# How a first build is announced: a function of the index path returning a context manager that
# yields `progress(done, total)`. The CLI sets one (a progress bar on a terminal, one line
# otherwise); a library user gets a silent build unless they set their own.
BUILD_REPORTER = None


@dataclass(frozen=True)
class Record:
    cas: str
    smiles: str
    name: str
    cid: str


def _chemicals_dir() -> tuple[Path, str] | None:
    """(the `chemicals` Identifiers folder, the package version), without importing either."""
    try:
        from importlib.util import find_spec

        spec = find_spec("chemicals")
    except Exception:
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    pkg = Path(list(spec.submodule_search_locations)[0])
    # the version from the installed dist-info's name: importlib.metadata costs ~50 ms of start-up
    infos = sorted(pkg.parent.glob("chemicals-*.dist-info"))
    if len(infos) == 1:
        ver = infos[0].name[len("chemicals-"):-len(".dist-info")]
    else:
        from importlib.metadata import version

        ver = version("chemicals")
    return pkg / "Identifiers", ver


class LocalDB:
    """Read-only view of the SQLite index; builds it on first use."""

    def __init__(self, path: Path | None = None):
        self._path = path
        self._conn = None
        self.available = True

    def _connect(self):
        if self._conn is not None or not self.available:
            return self._conn
        path = self._path or default_path()
        if path is None:
            self.available = False
            return None
        if not path.exists():
            if BUILD_REPORTER is None:
                build(path)
            else:
                with BUILD_REPORTER(path) as progress:
                    build(path, progress)
        import sqlite3

        self._conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        return self._conn

    def by_cas(self, cas: str) -> Record | None:
        memo = self.__dict__.get("_memo")
        if memo and cas in memo:
            return memo[cas]
        conn = self._connect()
        if conn is None:
            return None
        row = conn.execute("SELECT cas, smiles, name, cid FROM chem WHERE cas = ?", (cas,)).fetchone()
        return Record(*row) if row else None

    def prefetch_cas(self, cas_numbers) -> None:
        """Look many CAS numbers up with one query (batch screening); `by_cas` then answers from memory.

        Only the last batch is kept, so memory stays bounded.
        """
        conn = self._connect()
        if conn is None:
            return
        wanted = list(dict.fromkeys(cas_numbers))
        memo: dict[str, Record | None] = dict.fromkeys(wanted)
        for i in range(0, len(wanted), 900):  # SQLite's parameter limit
            part = wanted[i:i + 900]
            sql = f"SELECT cas, smiles, name, cid FROM chem WHERE cas IN ({','.join('?' * len(part))})"
            for row in conn.execute(sql, part):
                memo[row[0]] = Record(*row)
        self._memo = memo

    def by_name(self, name: str) -> Record | None:
        conn = self._connect()
        if conn is None:
            return None
        row = conn.execute(
            "SELECT c.cas, c.smiles, c.name, c.cid FROM names n JOIN chem c ON c.cas = n.cas WHERE n.key = ? "
            "ORDER BY n.rank LIMIT 1",
            (normalise_name(name),),
        ).fetchone()
        return Record(*row) if row else None

    def by_inchikey(self, key: str) -> Record | None:
        conn = self._connect()
        if conn is None:
            return None
        row = conn.execute("SELECT cas, smiles, name, cid FROM chem WHERE inchikey = ?", (key,)).fetchone()
        return Record(*row) if row else None

    def candidates(self, name: str) -> list[str]:
        """CAS numbers a name left out of the index may mean: a name several chemicals share, or a
        short synonym (an ambiguous code). Suggestions only, never an identification."""
        conn = self._connect()
        if conn is None:
            return []
        return [r[0] for r in conn.execute("SELECT cas FROM unsure WHERE key = ? ORDER BY rowid",
                                           (normalise_name(name),))]

    def has_cas(self, cas: str) -> bool:
        return self.by_cas(cas) is not None

    def cas_numbers(self) -> list[str]:
        conn = self._connect()
        return [r[0] for r in conn.execute("SELECT cas FROM chem")] if conn else []

    def common_names(self) -> list[str]:
        conn = self._connect()
        return [r[0] for r in conn.execute("SELECT name FROM chem")] if conn else []

    def __getstate__(self):  # picklable for worker processes: reconnect there
        return {"_path": self._path, "_conn": None, "available": self.available, "_memo": None}


def default_path() -> Path | None:
    found = _chemicals_dir()
    if found is None:
        return None
    from precursor_check.resources import cache_dir

    return cache_dir() / f"localdb-{FORMAT}-chemicals-{found[1]}.sqlite"


def build(path: Path, progress=None) -> Path:
    """Build the index (10-30 s and ~70 MB for ~74k chemicals); atomic, safe to race.

    `progress(done, total)` is called as the source tables are read, and once at the end.
    """
    found = _chemicals_dir()
    if found is None:
        raise FileNotFoundError("the `chemicals` package is not installed")
    path.parent.mkdir(parents=True, exist_ok=True)
    from precursor_check.resources import replacing

    with replacing(path, prefix=".build-", suffix=".sqlite") as tmp:
        _fill(tmp, found[0], progress)
    if progress is not None:
        progress(1, 1)
    return path


def _fill(tmp: str, src: Path, progress=None) -> None:
    """Write the index tables into the new database file `tmp` from the tables in `src`."""
    import sqlite3

    conn = sqlite3.connect(tmp)
    conn.executescript(
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
        "CREATE TABLE chem (cas TEXT PRIMARY KEY, smiles TEXT, name TEXT, cid TEXT, inchikey TEXT);"
        "CREATE TABLE names (key TEXT, cas TEXT, rank INTEGER);"
        "CREATE TABLE unsure (key TEXT, cas TEXT);"
    )
    seen: set[str] = set()
    names: dict[str, tuple[str, int]] = {}
    shared: dict[str, list[str]] = {}  # names several chemicals share (same rank)
    unsure: dict[str, list[str]] = {}  # names left out (shared, short): the chemicals they may mean
    rows = []
    total = sum((src / t).stat().st_size for t in TABLES)
    done = 0
    for table in TABLES:
        with open(src / table, encoding="utf-8") as fh:
            for no, line in enumerate(fh):
                done += len(line)  # characters, close enough to bytes for a progress bar
                if progress is not None and not no % 5000:
                    progress(min(done, total) * 9 // 10, total)  # reading is ~90 % of the build
                p = line.rstrip("\n").split("\t")
                if len(p) < 9 or p[1] in seen or not p[4]:
                    continue
                cas = p[1]
                seen.add(cas)
                name = p[8] or p[7]
                rows.append((cas, p[4], name, p[0], p[6]))
                for rank, n in enumerate([p[8], p[7], *p[9 : 9 + MAX_SYNONYMS]]):
                    key = normalise_name(n) if n else ""
                    if not key:
                        continue
                    if rank > 1 and len(key) < 5:  # short synonyms are ambiguous codes
                        unsure.setdefault(key, [])
                        if cas not in unsure[key]:
                            unsure[key].append(cas)
                        continue
                    prev = names.get(key)
                    if prev is None or prev[1] > rank:
                        names[key] = (cas, rank)
                        shared.pop(key, None)
                    elif prev[0] != cas and prev[1] == rank:
                        if prev[0]:  # two chemicals share this name: not an identification
                            names[key] = ("", rank)
                            shared[key] = [prev[0]]
                        if cas not in shared[key]:
                            shared[key].append(cas)
    conn.executemany("INSERT INTO chem VALUES (?,?,?,?,?)", rows)
    conn.execute("CREATE INDEX chem_inchikey ON chem(inchikey)")
    conn.executemany("INSERT INTO names VALUES (?,?,?)", ((k, c, r) for k, (c, r) in names.items() if c))
    conn.execute("CREATE INDEX names_key ON names(key)")
    for key, cas_list in shared.items():  # shared names first, then the short codes they also are
        unsure[key] = cas_list + [c for c in unsure.get(key, ()) if c not in cas_list]
    conn.executemany("INSERT INTO unsure VALUES (?,?)", ((k, c) for k, cs in unsure.items()
                                                         if not names.get(k, ("",))[0] for c in cs[:MAX_CANDIDATES]))
    conn.execute("CREATE INDEX unsure_key ON unsure(key)")
    conn.commit()
    conn.close()
