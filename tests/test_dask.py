"""The Dask engine (`precheck screen --engine dask`) on a real LocalCluster with 2 worker processes.

One cluster serves the module (its start costs a few seconds); the CLI tests reach it through
`--scheduler`. The tests compare with the local engine row by row, check that the watchlist is
compiled once per worker, and that a worker dying mid-run loses no row and duplicates none.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import FIXTURE, cli_run, run

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

try:
    import dask  # noqa: F401
    import dask.dataframe  # noqa: F401
    import distributed  # noqa: F401

    HAVE_DASK = True
except ImportError:
    HAVE_DASK = False

pytestmark = pytest.mark.slow  # a LocalCluster of 2 worker processes per module, and Dask's imports

needs_dask = pytest.mark.skipif(not HAVE_DASK, reason="dask[dataframe] and distributed are not installed "
                                                      "(pip install 'precursor-check[dask]')")
WL = ["--watchlist", str(FIXTURE), "--replace-watchlist"]

# queries covering every verdict of the fixture list, salts, bad and empty cells, CAS numbers and names
QUERIES = [
    "C1CN(CCC1=O)CCC2=CC=CC=C2", "CC(C)(C)OC(=O)N1CCC(=O)CC1", "CC(=O)CC1=CC=CC=C1.Cl", "O=C1CCN(Cc2ccccc2)CC1",
    "CCO", "c1ccccc1", "not a smiles((", None, "", "CC(C)(C)OC(=O)N1CCC(=O)CC1.[Na+].[Cl-]",
    "C[C@H]([C@H](C1=CC=CC=C1)O)N", "CC(N)C(O)c1ccccc1", "CCCCCCCCCC(=O)O", "O=C1CCN(CCc2ccc(F)cc2)CC1",
]
MIXED = ["79099-07-3", "39742-60-4", "NPP", "1-boc-4-piperidone", "50-00-0", "123-45-6", "ethanol", "CCO", "", None]


def write_parts(directory, column: str, values: list, files: int, rows: int) -> list:
    """`files` Parquet files of `rows` rows each: id (int), the query column (string, with nulls), qty (float)."""
    directory.mkdir(parents=True, exist_ok=True)
    tables = []
    for k in range(files):
        ids = list(range(k * rows, (k + 1) * rows))
        t = pa.table({"id": ids, column: [values[i % len(values)] for i in ids], "qty": [i / 4 for i in ids]})
        pq.write_table(t, directory / f"part-{k:02d}.parquet")
        tables.append(t)
    return tables


@pytest.fixture(scope="module")
def client():
    if not HAVE_DASK:
        pytest.skip("dask is not installed")
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


import pandas as pd  # noqa: E402 - pandas comes with pyarrow's tests here
from pandas import testing as pd_testing  # noqa: E402


def _read_dir(path):
    return pd.read_parquet(path).sort_values("row").reset_index(drop=True)


@needs_dask
def test_identical_to_local_engine_through_the_cli(client, tmp_path):
    tables = write_parts(tmp_path / "in", "smiles", QUERIES, files=4, rows=60)
    pq.write_table(pa.concat_tables(tables), tmp_path / "all.parquet")

    d = run("screen", str(tmp_path / "in" / "*.parquet"), "--engine", "dask", "--scheduler", client.scheduler.address,
            "-o", tmp_path / "out", *WL)
    assert d.returncode == 1, d.stderr  # hits
    assert "controlled" in d.stderr and "invalid" in d.stderr
    loc = run("screen", tmp_path / "all.parquet", "-o", tmp_path / "local.parquet", *WL)
    assert loc.returncode == 1, loc.stderr
    assert d.stderr.splitlines()[-1].split(" (")[0] == loc.stderr.splitlines()[-1].split(" (")[0]  # same counts

    got, want = _read_dir(tmp_path / "out"), _read_dir(tmp_path / "local.parquet")
    assert list(got.columns) == list(want.columns)
    assert "verdict" in got.columns and "input_smiles" in got.columns  # clashing input column renamed
    assert list(got.dtypes) == list(want.dtypes)
    for i in range(len(want)):  # row by row, for a readable failure
        assert got.iloc[i].to_dict() == pytest.approx(want.iloc[i].to_dict(), nan_ok=True), i
    pd_testing.assert_frame_equal(got, want)
    assert got["row"].tolist() == list(range(1, 241))

    summary = json.loads((tmp_path / "out" / "_precheck_summary.json").read_text())
    assert summary["rows"] == 240 and summary["partitions"] == 4
    assert summary["watchlist_sha256"] == got["watchlist_sha256"].iloc[0]
    assert summary["watchlist_version"] and summary["tool_version"]
    assert 0 < summary["task_seconds"] and summary["engine"] == "dask"
    assert sum(summary["counts"].values()) == 240
    assert summary["counts"]["controlled"] == (got["verdict"] == "controlled").sum()


@needs_dask
def test_csv_with_cas_and_names_matches_local_engine(client, tmp_path):
    from precursor_check.engines.batch import ScreenerConfig
    from precursor_check.engines.dask_engine import screen_dask

    (tmp_path / "in").mkdir()
    lines = ["order;CAS RN;note"] + [f"{i};{'' if MIXED[i % len(MIXED)] is None else MIXED[i % len(MIXED)]};x{i}"
                                     for i in range(50)]
    (tmp_path / "in" / "a.csv").write_text("\n".join(lines[:26]) + "\n")
    (tmp_path / "in" / "b.csv").write_text("\n".join(lines[:1] + lines[26:]) + "\n")
    (tmp_path / "all.csv").write_text("\n".join(lines) + "\n")
    config = ScreenerConfig(watchlists=(str(FIXTURE),), replace=True)
    res = screen_dask(str(tmp_path / "in"), str(tmp_path / "out"), config, client=client, rows_per_task=7)
    assert res.rows == 50 and res.partitions == 8  # 2 files of 25 rows, each screened as 4 tasks of <= 7 rows
    loc = run("screen", tmp_path / "all.csv", "-o", tmp_path / "local.parquet", *WL)
    assert loc.returncode == 1, loc.stderr
    got, want = _read_dir(tmp_path / "out"), _read_dir(tmp_path / "local.parquet")
    pd_testing.assert_frame_equal(got, want)
    assert set(got["input_type"]) == {"cas", "empty"}  # the 'CAS RN' header implies the type, as locally


@needs_dask
def test_watchlist_compiled_once_per_worker_and_stamped_on_every_row(client, tmp_path):
    from precursor_check.engines.batch import ScreenerConfig
    from precursor_check.engines.dask_engine import builds_in_this_process, screen_dask

    write_parts(tmp_path / "in", "smiles", QUERIES, files=8, rows=25)
    config = ScreenerConfig(watchlists=(str(FIXTURE),), replace=True, threshold=0.61)  # a config no test used
    before = client.run(builds_in_this_process)
    res = screen_dask(str(tmp_path / "in" / "*.parquet"), str(tmp_path / "out"), config, client=client)
    after = client.run(builds_in_this_process)
    assert res.partitions == 8 and res.rows == 200
    new_builds = [after[w] - before.get(w, 0) for w in after]
    assert max(new_builds) == 1  # 8 partitions on 2 workers: one compile per worker, not per partition
    got = _read_dir(tmp_path / "out")
    assert got["watchlist_sha256"].nunique() == 1 and got["watchlist_version"].nunique() == 1
    meta = pq.read_schema(next((tmp_path / "out").glob("part-*.parquet"))).metadata
    assert meta[b"watchlist_sha256"].decode() == got["watchlist_sha256"].iloc[0]


@needs_dask
def test_a_worker_that_dies_loses_no_row(client, tmp_path):
    """Partition 3 kills its worker process on the first attempt; Dask reruns it elsewhere."""
    from precursor_check.engines.batch import ScreenerConfig
    from precursor_check.engines.dask_engine import screen_dask

    write_parts(tmp_path / "in", "smiles", QUERIES, files=6, rows=40)
    markers = tmp_path / "markers"
    markers.mkdir()
    (markers / "crash-3").touch()
    pids_before = set(client.run(os.getpid).values())

    def crash_once(number, where=str(markers)):  # pickled by value (a local function) and run on the worker
        import os

        marker = os.path.join(where, f"crash-{number}")
        if os.path.exists(marker):
            os.remove(marker)
            os._exit(1)  # the worker process dies mid-run, as with the OOM killer or a lost node

    config = ScreenerConfig(watchlists=(str(FIXTURE),), replace=True)
    res = screen_dask(str(tmp_path / "in"), str(tmp_path / "out"), config, client=client, hook=crash_once)
    assert not (markers / "crash-3").exists()  # the crash really happened
    client.wait_for_workers(2, timeout=60)
    assert set(client.run(os.getpid).values()) != pids_before  # a worker was replaced
    got = _read_dir(tmp_path / "out")
    assert res.rows == 240 and len(got) == 240
    assert got["row"].tolist() == list(range(1, 241))  # every row exactly once, in order
    assert sorted(got["id"]) == list(range(240))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "_precheck_summary.json", *(f"part-{i:05d}.parquet" for i in range(6))]


def _html(path) -> str:
    """The report without the time it was generated."""
    import re

    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", "TIME", path.read_text())


def _audit(path) -> list[dict]:
    """The audit lines without what differs from run to run (time, pid)."""
    return [{k: v for k, v in json.loads(line).items() if k not in ("time", "pid")}
            for line in path.read_text().splitlines()]


@needs_dask
def test_report_and_audit_log_match_the_local_engine(client, tmp_path):
    """--report / --audit-log with --engine dask: built from the written partitions, the same as the local engine's."""
    tables = write_parts(tmp_path / "in", "smiles", QUERIES + ["NPP", "79099-07-3"], files=3, rows=40)
    pq.write_table(pa.concat_tables(tables), tmp_path / "all.parquet")
    loc = run("screen", tmp_path / "all.parquet", "-o", tmp_path / "local.parquet", "--report", tmp_path / "l.html",
              "--audit-log", tmp_path / "l.jsonl", *WL)
    assert loc.returncode == 1, loc.stderr
    dask_cmd = ["screen", str(tmp_path / "in"), "--engine", "dask", "--scheduler", client.scheduler.address, *WL]
    both = run(*dask_cmd, "-o", tmp_path / "out", "--report", tmp_path / "d.html", "--audit-log", tmp_path / "d.jsonl")
    assert both.returncode == 1, both.stderr
    only = run(*dask_cmd, "-o", tmp_path / "out2", "--report", tmp_path / "d2.html")  # reads the rows not clear only
    assert only.returncode == 1, only.stderr

    want = _html(tmp_path / "l.html")
    assert "id='count-controlled'>" in want and "<tr data-row=" in want
    assert _html(tmp_path / "d.html") == want
    assert _html(tmp_path / "d2.html") == want
    got = _audit(tmp_path / "d.jsonl")
    assert len(got) == 120 and [r["row"] for r in got] == list(range(1, 121))
    assert got == _audit(tmp_path / "l.jsonl")
    assert any(len(r["hits"]) > 1 for r in got)  # every counted hit id, not only the top one in the Parquet
    v = run("audit", "verify", tmp_path / "d.jsonl")
    assert v.returncode == 0, v.stdout + v.stderr
    for out in ("out", "out2"):  # the flagged rows' full results were temporary
        assert sorted(p.name for p in (tmp_path / out).iterdir()) == [
            "_precheck_summary.json", *(f"part-{i:05d}.parquet" for i in range(3))]
    assert not (tmp_path / "d2.jsonl").exists()


SDF_QUERIES = ["C1CN(CCC1=O)CCC2=CC=CC=C2", "CC(C)(C)OC(=O)N1CCC(=O)CC1", "CCO", "c1ccccc1", "CC(=O)CC1=CC=CC=C1.Cl",
               "C" * 300]  # the last one is over the heavy-atom cap


def _sdf_record(k: int, i: int) -> str:
    from rdkit import Chem

    mol = Chem.MolFromSmiles(SDF_QUERIES[(i + k) % len(SDF_QUERIES)])
    mol.SetProp("_Name", f"mol-{k}-{i}")
    fields = {"CAS": ["79099-07-3", "50-00-0", "123-45-6", ""][i % 4], "supplier": f"s{i}"}
    if i == 3:
        del fields["CAS"]  # a record without a field gets an empty cell
    return Chem.MolToMolBlock(mol) + "".join(f">  <{k}>\n{v}\n\n" for k, v in fields.items()) + "$$$$\n"


@needs_dask
def test_sdf_and_smi_files_are_partitions_and_match_the_local_engine(client, tmp_path):
    """.smi and SDF: one partition per file; the same rows as the local engine on the files joined."""
    from precursor_check.engines.batch import ScreenerConfig
    from precursor_check.engines.dask_engine import screen_dask

    bad = "broken\n\n\n  0  0  0  0  0  0  0  0  0  0999 V2000\nnonsense\nM  END\n$$$$\n"
    (tmp_path / "sdf").mkdir()
    (tmp_path / "smi").mkdir()
    sdf, smi = [], []
    for k in range(3):
        records = [_sdf_record(k, i) for i in range(7)] + ([bad] if k == 1 else [])
        lines = ([] if k else ["smiles name"]) + [f"{SDF_QUERIES[(i + k) % len(SDF_QUERIES)]} id-{k}-{i} lot 7"
                                                   for i in range(9)] + (["C1CC(( garbage"] if k == 2 else [])
        (tmp_path / "sdf" / f"lib-{k}.sdf").write_text("".join(records))
        (tmp_path / "smi" / f"lib-{k}.smi").write_text("\n".join(lines) + "\n")
        sdf += records
        smi += lines
    (tmp_path / "all.sdf").write_text("".join(sdf))
    (tmp_path / "all.smi").write_text("\n".join(smi) + "\n")

    config = ScreenerConfig(watchlists=(str(FIXTURE),), replace=True)
    cases = [("sdf", None, 22), ("sdf", "CAS", 22), ("smi", None, 28)]
    for fmt, column, rows in cases:
        out = tmp_path / f"out-{fmt}-{column}"
        res = screen_dask(str(tmp_path / fmt / f"*.{fmt}"), str(out), config, column=column, client=client)
        assert res.rows == rows and res.partitions == 3
        loc = run("screen", tmp_path / f"all.{fmt}", "-o", tmp_path / f"local-{fmt}-{column}.parquet", *WL,
                  *(["--column", column] if column else []))
        assert loc.returncode in (1, 3), loc.stderr
        got, want = _read_dir(out), _read_dir(tmp_path / f"local-{fmt}-{column}.parquet")
        pd_testing.assert_frame_equal(got, want)
        if fmt == "sdf":
            assert list(got.columns[:3]) == ["title", "CAS", "supplier"]  # no molblock column
        if column is None:
            assert got["error"].str.contains("over the limit of 250").sum() == 3
            assert (got["verdict"] == "controlled").any() and (got["verdict"] == "unresolved").any()
            assert got["error"].str.contains("does not parse").sum() == 1


@needs_dask
def test_heavy_atom_cap_and_row_timeout_on_the_dask_engine(client, tmp_path):
    """--max-atoms is applied in the partitions; --row-timeout is not (said on stderr, not silently dropped)."""
    write_parts(tmp_path / "in", "smiles", ["C" * 300, "CCO"], files=1, rows=2)
    cmd = ["screen", str(tmp_path / "in"), "--engine", "dask", "--scheduler", client.scheduler.address, *WL]
    r = run(*cmd, "-o", tmp_path / "capped", "--row-timeout", "5")
    assert r.returncode == 3, r.stderr  # an unscreened row and no hit
    assert "--row-timeout does not apply with --engine dask" in r.stderr
    got = _read_dir(tmp_path / "capped")
    assert got["verdict"].tolist() == ["unresolved", "clear"] and "300 heavy atoms" in got["error"][0]
    r = run(*cmd, "-o", tmp_path / "uncapped", "--max-atoms", "0")
    assert r.returncode == 0, r.stderr
    assert "row-timeout" not in r.stderr
    assert _read_dir(tmp_path / "uncapped")["verdict"].tolist() == ["clear", "clear"]


@needs_dask
def test_object_storage_in_and_out(client, tmp_path):
    """s3:// input and output through fsspec (s3fs) against a local S3 server (moto); skipped without them."""
    pytest.importorskip("s3fs")
    moto_server = pytest.importorskip("moto.server")
    import socket

    from precursor_check.engines.batch import ScreenerConfig
    from precursor_check.engines.dask_engine import screen_dask

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        opts = {"endpoint_url": f"http://127.0.0.1:{port}", "key": "test", "secret": "test"}
        import s3fs

        fs = s3fs.S3FileSystem(**opts)
        fs.mkdir("bucket")
        tables = write_parts(tmp_path / "in", "smiles", QUERIES, files=3, rows=20)
        for f in sorted((tmp_path / "in").iterdir()):
            fs.put(str(f), f"bucket/catalogue/{f.name}")
        pq.write_table(pa.concat_tables(tables), tmp_path / "all.parquet")
        config = ScreenerConfig(watchlists=(str(FIXTURE),), replace=True)
        for _ in range(2):  # the second run replaces the first run's output
            res = screen_dask("s3://bucket/catalogue/*.parquet", "s3://bucket/screened/", config, client=client,
                              storage_options=opts, report=str(tmp_path / "r.html"))
            assert res.rows == 60 and res.partitions == 3
            assert sorted(fs.ls("bucket/screened")) == ["bucket/screened/_precheck_summary.json",
                                                         *(f"bucket/screened/part-{i:05d}.parquet" for i in range(3))]
        got = pd.read_parquet("s3://bucket/screened/", storage_options=opts).sort_values("row").reset_index(drop=True)
        loc = run("screen", tmp_path / "all.parquet", "-o", tmp_path / "local.parquet", "--report",
                  tmp_path / "l.html", *WL)
        assert loc.returncode == 1, loc.stderr
        pd_testing.assert_frame_equal(got, _read_dir(tmp_path / "local.parquet"))
        assert _html(tmp_path / "r.html") == _html(tmp_path / "l.html")
        assert not os.path.exists("bucket")  # nothing written to a local path (the key without its URL) by mistake
    finally:
        server.stop()


@needs_dask
def test_usage_errors(tmp_path):
    """Mistakes in the options are refused before a cluster starts (in process: the binary is not the point)."""
    write_parts(tmp_path / "in", "smiles", QUERIES, files=1, rows=5)
    r = cli_run("screen", str(tmp_path / "in" / "*.parquet"), "--engine", "dask", *WL)
    assert r.returncode == 2 and "-o DIR" in r.stderr
    r = cli_run("screen", str(tmp_path / "in" / "*.parquet"), "--engine", "dask", "-o", tmp_path / "o", "-f", "csv", *WL)
    assert r.returncode == 2
    r = cli_run("screen", str(tmp_path / "nothing" / "*.parquet"), "--engine", "dask", "-o", tmp_path / "o",
            "--scheduler", "tcp://127.0.0.1:9", *WL)
    assert r.returncode == 3 and len(r.stderr.strip().splitlines()) == 1
    r = cli_run("screen", "-", "--engine", "dask", "-o", tmp_path / "o", *WL, input="CCO\n")
    assert r.returncode == 2 and "not stdin" in r.stderr and "SDF" in r.stderr and ".smi" in r.stderr
    (tmp_path / "x.json").write_text("{}")
    r = cli_run("screen", tmp_path / "x.json", "--engine", "dask", "-o", tmp_path / "o", "--scheduler",
            "tcp://127.0.0.1:9", *WL)
    assert r.returncode == 3 and len(r.stderr.strip().splitlines()) == 1 and "--input-format" in r.stderr


def test_missing_dask_is_a_one_line_error_with_exit_3(tmp_path):
    """Without the extra: one line naming the extra, exit code 3 (not a traceback, not 1)."""
    (tmp_path / "a.parquet").write_bytes(b"")
    code = ("import sys; sys.modules['dask'] = None; sys.modules['distributed'] = None; "
            "from precursor_check.cli import cli; sys.argv = ['precheck'] + sys.argv[1:]; cli()")
    r = subprocess.run([sys.executable, "-c", code, "screen", str(tmp_path / "a.parquet"), "--engine", "dask",
                        "-o", str(tmp_path / "out"), *WL], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ))
    assert r.returncode == 3, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "precursor-check[dask]" in lines[0]


def _reader_fixtures(d):
    """One small input per reader path: CSV with a header, without one, with ragged rows; TSV; .smi; SDF; Parquet."""
    d.mkdir()
    (d / "header.csv").write_text("id,smiles,qty\n1,CC(=O)CC1=CC=CC=C1,2\n2,CCO,1\n3,not a smiles((,4\n")
    (d / "headerless.csv").write_text("79099-07-3\n50-00-0\n39742-60-4\n")
    (d / "headerless-2.csv").write_text("79099-07-3,a\n50-00-0,b\n39742-60-4,c\n")  # with --column 1
    (d / "ragged.csv").write_text("id,cas\n1,79099-07-3\n2,64-17-5,extra,more\n3,,\n")
    (d / "tabs.tsv").write_text("name\tnote\nNPP\tx\nethanol\ty\n")
    (d / "lib.smi").write_text("smiles name\nO=C1CCN(CCc2ccccc2)CC1 npp lot 1\nCCO ethanol\n")
    (d / "lib.sdf").write_text("".join(_sdf_record(0, i) for i in range(4)))
    pq.write_table(pa.table({"id": [1, 2, 3], "smiles": ["CC(=O)CC1=CC=CC=C1", None, "CCO"],
                             "qty": [0.5, 1.5, None]}), d / "typed.parquet")
    return sorted(p.name for p in d.iterdir())


@needs_dask
def test_every_reader_fixture_gives_the_same_rows_on_both_engines(client, tmp_path):
    """The engines differ only in scheduling: both read through the same readers, so the rows match."""
    from precursor_check import screen_file, writer_sink
    from precursor_check.engines.batch import ScreenerConfig
    from precursor_check.engines.dask_engine import screen_dask_file

    config = ScreenerConfig(watchlists=(str(FIXTURE),), replace=True)
    for name in _reader_fixtures(tmp_path / "in"):
        path = str(tmp_path / "in" / name)
        local = tmp_path / f"{name}.local.parquet"
        column = "1" if name == "headerless-2.csv" else None
        want_summary = screen_file(path, config, column=column, workers=0, sinks=[writer_sink("parquet", str(local))])
        got_summary = screen_dask_file(path, config, column=column, output=str(tmp_path / f"{name}.dask"),
                                       client=client)
        assert got_summary.counts == want_summary.counts, name
        got, want = _read_dir(tmp_path / f"{name}.dask"), _read_dir(local)
        pd_testing.assert_frame_equal(got, want, obj=name)


@needs_dask
def test_dask_engine_reads_ragged_rows_and_headerless_csv_through_the_binary(client, tmp_path):
    """Fail closed (issue 14): a ragged row keeps its extra cells, a headerless CSV is read, as locally."""
    rag = tmp_path / "rag.csv"
    rag.write_text("id,cas\n1,79099-07-3,extra\n2,64-17-5\n")
    bare = tmp_path / "bare.csv"
    bare.write_text("79099-07-3\n64-17-5\n")
    for f, extra in ((rag, True), (bare, False)):
        out = tmp_path / f"{f.stem}-out"
        p = run("screen", f, *WL, "--engine", "dask", "--scheduler", client.scheduler.address, "-o", out, "-q")
        assert p.returncode == 1, p.stderr
        got = pd.read_parquet(out)
        assert got["verdict"].tolist() == ["controlled", "clear"]
        if extra:
            assert got["extra_cells"].tolist() == ["extra", ""]
