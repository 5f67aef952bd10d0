"""Known chemicals at lookup speed (engines/known.py): the offline sources' CAS numbers screened
once per watchlist and options; a batch then looks results up instead of screening structures.

The stored results must be exactly what screening each structure gives: compared here result by
result on a few hundred rows of the real local table, and byte by byte through the real binary.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from conftest import FIXTURE, run

from precursor_check.engines import known, known_build
from precursor_check.engines.batch import ScreenerConfig, screen_queries
from precursor_check.identify import localdb
from precursor_check.identify.localdb import LocalDB
from precursor_check.model import Verdict


def fixture_table(path: Path) -> Path:
    """A few hundred rows of the real local table: every 290th row, plus aryl acetones and
    piperidones (relatives of listed precursors: analog and rule hits), into a private index."""
    real = LocalDB()._connect()
    rows = real.execute("SELECT * FROM chem WHERE rowid % 290 = 7").fetchall()
    rows += real.execute("SELECT * FROM chem WHERE smiles LIKE '%C(=O)Cc1ccc%' ORDER BY cas LIMIT 30").fetchall()
    rows += real.execute("SELECT * FROM chem WHERE smiles LIKE '%N1CCC(=O)CC1%' ORDER BY cas LIMIT 30").fetchall()
    rows += real.execute("SELECT * FROM chem WHERE smiles LIKE '%.%' ORDER BY cas LIMIT 30").fetchall()
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE chem (cas TEXT PRIMARY KEY, smiles TEXT, name TEXT, cid TEXT, inchikey TEXT);"
                       "CREATE TABLE names (key TEXT, cas TEXT, rank INTEGER); CREATE TABLE unsure (key TEXT, cas TEXT);")
    conn.executemany("INSERT OR IGNORE INTO chem VALUES (?,?,?,?,?)", rows)
    conn.commit()
    conn.close()
    return path


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    """A private cache directory whose local table is the fixture table."""
    d = tmp_path / "cache"
    table = fixture_table(d / "fixture.sqlite")
    monkeypatch.setenv("PRECHECK_CACHE_DIR", str(d))
    os.replace(table, localdb.default_path())
    return d


def live(config: ScreenerConfig):
    s = config.build()
    s.__dict__["_known_tried"] = True  # never looks at a store
    return s


def test_stored_results_are_the_live_results(cache):
    config = ScreenerConfig()
    path = known_build.build(config, workers=0)
    assert path is not None and path.parent == cache
    screener = live(config)
    cas = known.all_cas(screener)
    assert len(cas) > 250 and set(screener.compiled.cas_index) <= set(cas)
    store = known.KnownResults(path)
    assert len(store) == len(cas)
    want = screen_queries(screener, cas, "cas")
    verdicts = {r.verdict for r in want}
    assert {Verdict.CONTROLLED, Verdict.ANALOG, Verdict.CLEAR} <= verdicts  # hits and clears alike
    for c, w in zip(cas, want):
        got = store.get(c)
        assert got == w, c
        assert json.dumps(got.to_dict()) == json.dumps(w.to_dict())
    # through the batch entry point, with CAS numbers written as people write them
    queries = [cas[0], cas[1].replace("-", ""), f"CAS {cas[2]}", "50-00-0", "64-17-6"]
    fast = ScreenerConfig().build()
    got = screen_queries(fast, queries, "auto")
    assert isinstance(fast.known, known.KnownResults)
    assert got == screen_queries(screener, queries, "auto")
    assert [r.input for r in got] == queries


def test_the_key_holds_every_option_that_changes_a_result(cache, tmp_path):
    base = known.path_for(ScreenerConfig().build())
    other = tmp_path / "other.yaml"
    other.write_bytes(FIXTURE.read_bytes())
    mine = tmp_path / "mine.csv"
    mine.write_text("cas,smiles\n50-00-0,C=O\n", encoding="utf-8")
    variants = [
        ScreenerConfig(threshold=0.7),
        ScreenerConfig(jurisdictions=("US",)),
        ScreenerConfig(as_of="2020-01-01"),
        ScreenerConfig(max_atoms=100),
        ScreenerConfig(watchlists=(str(FIXTURE),), replace=True),
        ScreenerConfig(resolve_files=(str(mine),)),
    ]
    paths = [known.path_for(v.build()) for v in variants]
    assert len({base, *paths}) == len(variants) + 1
    assert known.path_for(ScreenerConfig(threshold=0.55).build()) == base  # the default, spelt out
    same = [ScreenerConfig(jurisdictions=("US", "EU")), ScreenerConfig(jurisdictions=("EU", "US"))]
    assert known.path_for(same[0].build()) == known.path_for(same[1].build())
    # a watchlist file or a resolve file edited in place is another key
    before = known.path_for(ScreenerConfig(watchlists=(str(other),), replace=True).build())
    other.write_text(other.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert known.path_for(ScreenerConfig(watchlists=(str(other),), replace=True).build()) != before
    mine.write_text("cas,smiles\n50-00-0,CO\n", encoding="utf-8")
    assert known.path_for(ScreenerConfig(resolve_files=(str(mine),)).build()) != paths[-1]


def test_a_resolve_file_is_screened_with_the_table(cache, tmp_path):
    mine = tmp_path / "mine.csv"
    mine.write_text("cas,smiles\n99999-99-2,CC(=O)Cc1ccc(Cl)cc1\n50-00-0,CC(C)(C)OC(=O)N1CCC(=O)CC1\n",
                    encoding="utf-8")
    config = ScreenerConfig(resolve_files=(str(mine),))
    path = known_build.build(config, workers=0)
    store = known.KnownResults(path)
    for c in ("99999-99-2", "50-00-0"):  # a new CAS, and one the file takes over from the table
        got, want = store.get(c), live(config).screen(c, "cas")
        assert got == want and got.source == "user file mine.csv"
    assert store.get("50-00-0").verdict is Verdict.CONTROLLED


def test_a_large_cas_batch_builds_the_store_on_first_use(cache, capsys):
    config = ScreenerConfig()
    s = config.build()
    assert known_build.prepare(config, s, "cas", known_build.LAZY_MIN_ROWS - 1, workers=0) is None  # small: screened live
    assert known_build.prepare(config, s, "auto", 10 * known_build.LAZY_MIN_ROWS, workers=0) is None  # not a CAS column
    assert known_build.prepare(config, s, "smiles", 10 * known_build.LAZY_MIN_ROWS, workers=0) is None
    assert not list(cache.glob("known-*"))
    path = known_build.prepare(config, s, "cas", known_build.LAZY_MIN_ROWS, workers=0)
    assert path is not None and path.exists()
    err = capsys.readouterr().err
    assert "screening the" in err and "chemicals of the offline sources once" in err and "screened in" in err
    assert known_build.prepare(config, s, "auto", 10, workers=0) == path  # found by any batch once built


def test_the_binary_reads_the_store_and_its_output_is_unchanged(cache, tmp_path):
    env = {"PRECHECK_CACHE_DIR": str(cache)}
    conn = sqlite3.connect(localdb.default_path())
    table = [r[0] for r in conn.execute("SELECT cas FROM chem ORDER BY cas")]
    conn.close()
    rows = [*table[:120], "79099-07-3", "79099073", table[5], "00050-00-0", "50-00-1", "", "123-45-6"]
    f = tmp_path / "orders.csv"
    f.write_text("id,cas\n" + "".join(f"{i},{c}\n" for i, c in enumerate(rows * 2)), encoding="utf-8")
    outs = {}
    for fmt in ("jsonl", "csv"):
        p = run("screen", f, "-q", "-f", fmt, "-j", "2", env=env)
        assert p.returncode == 1, p.stderr
        outs[fmt] = p.stdout
    path = known_build.build(ScreenerConfig(), workers=2)
    for fmt in ("jsonl", "csv"):
        p = run("screen", f, "-q", "-f", fmt, "-j", "2", env=env)
        assert p.stdout == outs[fmt]
    # the binary really answers from the store: a stored result altered by hand shows in its output
    conn = sqlite3.connect(path)
    blob = conn.execute("SELECT blob FROM known WHERE cas = ?", (table[5],)).fetchone()[0]
    r = known.decode(blob, table[5])
    r.__dict__["source"] = "altered in the store"
    conn.execute("UPDATE known SET blob = ? WHERE cas = ?", (known.encode(r), table[5]))
    conn.commit()
    conn.close()
    p = run("screen", f, "-q", "-f", "jsonl", "-j", "2", env=env)
    sources = [json.loads(line)["source"] for line in p.stdout.splitlines()]
    assert sources.count("altered in the store") == 4  # row 5 and its repeats
    # other options are another store (none built): screened live
    p = run("screen", f, "-q", "-f", "jsonl", "--threshold", "0.55", "-j", "0", env=env)
    assert "altered in the store" in p.stdout  # 0.55 is the default: the same store
    p = run("screen", f, "-q", "-f", "jsonl", "--threshold", "0.56", env=env)
    assert "altered in the store" not in p.stdout


def test_a_batch_the_store_answers_imports_no_rdkit_starts_no_worker_and_writes_the_same(cache, tmp_path):
    """Once a store is found, its pointer names it for these options: the next CAS batch whose every
    row it answers is read, looked up and written without RDKit or a worker (RDKit would be imported
    by the Screener that starts the workers), byte for byte as screening each row gives."""
    import subprocess
    import sys

    env = {**os.environ, "PRECHECK_CACHE_DIR": str(cache)}
    conn = sqlite3.connect(localdb.default_path())
    table = [r[0] for r in conn.execute("SELECT cas FROM chem ORDER BY cas")]
    conn.close()
    answered = [*table[:150], "79099-07-3", "79099073", f"CAS {table[3]}", table[7]] * 3
    f = tmp_path / "catalogue.csv"
    f.write_text("cas\n" + "".join(f"{c}\n" for c in answered), encoding="utf-8")
    mixed = tmp_path / "mixed.csv"  # rows the store cannot answer: an invalid check digit, unknown, empty
    mixed.write_text(f.read_text(encoding="utf-8") + "50-00-1\n123-45-6\n \n", encoding="utf-8")
    live = {}
    for name in (f, mixed):
        for fmt in ("csv", "jsonl"):
            live[name, fmt] = run("screen", name, "-q", "-f", fmt, "-j", "2", env=env).stdout  # no store yet
    known_build.build(ScreenerConfig(), workers=0)
    probe = ("import sys, atexit; atexit.register(lambda: print('RDKIT', 'rdkit' in sys.modules, file=sys.stderr)); "
             "from precursor_check.cli import main; sys.argv[0] = 'precheck'; main()")
    for name in (f, mixed):
        for fmt in ("csv", "jsonl"):
            p = subprocess.run([sys.executable, "-c", probe, "screen", str(name), "-q", "-f", fmt, "-j", "2"],
                               capture_output=True, text=True, env=env, timeout=300)
            assert p.stdout == live[name, fmt], (name, fmt)
            assert ("RDKIT False" in p.stderr) == (name == f), p.stderr  # rows to screen: workers, RDKit
    assert list(cache.glob("known-*.pointer"))


def test_the_pointer_is_dropped_when_a_watchlist_file_or_the_table_changes(cache, tmp_path):
    wl = tmp_path / "wl.yaml"
    wl.write_bytes(FIXTURE.read_bytes())
    config = ScreenerConfig(watchlists=(str(wl),), replace=True)
    path = known_build.build(config, workers=0)
    found = known.quick_open(config)
    assert found is not None and found[0].path == path
    assert known.quick_open(ScreenerConfig()) is None  # other options: no pointer
    st = os.stat(wl)  # the same size and modification time, other bytes
    wl.write_bytes(wl.read_bytes().replace(b"79099-07-3", b"97909-07-4"))
    os.utime(wl, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert known.quick_open(config) is None
    wl.write_bytes(FIXTURE.read_bytes())
    assert known.quick_open(config) is not None
    os.utime(localdb.default_path(), ns=(1, 1))  # the local table replaced
    assert known.quick_open(config) is None
