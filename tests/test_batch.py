"""Batch screening (`precheck screen`): readers, column detection, order, workers, guards, exit codes.

CLI behaviour is tested through the real installed binary; the engine's guards through the library.
Every test uses the fixture watchlist (tests/fixtures/mini.yaml) and the session's private cache.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import MINI, precheck_bin, run

from precursor_check.engines.batch import (
    BatchRunner,
    ScreenerConfig,
    output_columns,
    screen_records,
)
from precursor_check.io.readers import detect_column, open_input, sniff_delimiter
from precursor_check.model import Result, Verdict

P2P = "CC(=O)Cc1ccccc1"
NPP_HCL = "O=C1CCN(CCc2ccccc2)CC1.Cl"


def screen(*args, input=None):
    return run("screen", *args, *MINI, "-q", input=input)


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def read_csv(text: str, delimiter=",") -> list[dict]:
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


# -- input formats ----------------------------------------------------------------------------------


def test_csv_with_bom_semicolons_and_quoted_fields(tmp_path):
    f = tmp_path / "orders.csv"
    f.write_bytes("\ufefforder;CAS RN;note\n1;79099-07-3;\"a; b\"\n2;50-00-0;x\n".encode())
    out = tmp_path / "screened.csv"
    p = screen(f, "-o", out)
    assert p.returncode == 1, p.stderr
    rows = read_csv(out.read_text())
    assert [r["order"] for r in rows] == ["1", "2"]
    assert rows[0]["note"] == "a; b"
    assert [r["verdict"] for r in rows] == ["controlled", "clear"]
    assert rows[0]["hit_id"] == "T-BOCPIP"


def test_tsv_and_tsv_output(tmp_path):
    f = tmp_path / "in.tsv"
    f.write_text("id\tsmiles\n1\t" + P2P + "\n2\tCCO\n")
    p = screen(f, "-f", "tsv")
    rows = read_csv(p.stdout, "\t")
    assert [(r["id"], r["verdict"]) for r in rows] == [("1", "controlled"), ("2", "clear")]
    assert rows[0]["input_smiles"] == P2P  # the input's own smiles column is kept, renamed


def test_smi_file(tmp_path):
    f = tmp_path / "lib.smi"
    f.write_text(f"{P2P} p2p\n{NPP_HCL} npp-hcl\nC1CC( broken\n")
    rows = jsonl(screen(f, "-f", "jsonl").stdout)
    assert [r["name"] for r in rows] == ["p2p", "npp-hcl", "broken"]
    assert [r["verdict"] for r in rows] == ["controlled", "controlled", "invalid"]


def test_sdf_file(tmp_path):
    from rdkit import Chem

    f = tmp_path / "lib.sdf"
    w = Chem.SDWriter(str(f))
    for smi, name in ((P2P, "P2P"), ("CCO", "ethanol")):
        m = Chem.MolFromSmiles(smi)
        m.SetProp("_Name", name)
        m.SetProp("supplier_id", name.lower())
        w.write(m)
    w.close()
    rows = jsonl(screen(f, "-f", "jsonl").stdout)
    assert [(r["title"], r["supplier_id"], r["verdict"]) for r in rows] == [
        ("P2P", "p2p", "controlled"), ("ethanol", "ethanol", "clear")]
    assert rows[0]["input"] == P2P  # the structure, not the molblock


def test_sdf_record_that_does_not_parse(tmp_path):
    f = tmp_path / "bad.sdf"
    f.write_text("junk\n  nothing\n\n  1  0  0  0  0  0  0  0  0  0999 V2000\nM  END\n$$$$\n")
    rows = jsonl(screen(f, "-f", "jsonl").stdout)
    assert len(rows) == 1 and rows[0]["verdict"] == "invalid"


def test_parquet_in_and_out(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    src = tmp_path / "cat.parquet"
    pq.write_table(pa.table({"sku": [10, 11, 12], "smiles": [P2P, "CCO", None]}), src)
    out = tmp_path / "out.parquet"
    p = screen(src, "--column", "smiles", "-o", out)
    assert p.returncode == 1, p.stderr
    t = pq.read_table(out)
    assert t.column("sku").to_pylist() == [10, 11, 12]  # the input's types are kept
    assert t.column("verdict").to_pylist() == ["controlled", "clear", "invalid"]
    assert t.column("row").to_pylist() == [1, 2, 3]
    assert t.schema.metadata[b"watchlist_version"] == b"test-1"


def test_stdin(tmp_path):
    p = screen("-", "-f", "jsonl", input="cas\n79099-07-3\n108-24-7\n")
    rows = jsonl(p.stdout)
    assert [r["cas"] for r in rows] == ["79099-07-3", "108-24-7"]
    assert rows[0]["verdict"] == "controlled"


def test_headerless_single_column(tmp_path):
    p = screen("-", "-f", "jsonl", input="79099-07-3\n50-00-0\n")
    assert [r["input"] for r in jsonl(p.stdout)] == ["79099-07-3", "50-00-0"]


# -- column detection --------------------------------------------------------------------------------


@pytest.mark.parametrize("header,expected", [
    (["id", "CAS RN", "qty"], ("CAS RN", "cas")),
    (["cas_number"], ("cas_number", "cas")),
    (["Product Name", "SMILES"], ("SMILES", "smiles")),
    (["sku", "product"], ("product", "auto")),
    (["a", "b"], None),
])
def test_detect_column(header, expected):
    assert detect_column(header) == expected


def test_sniff_delimiter():
    assert sniff_delimiter("a;b;c\n1;2;3\n") == ";"
    assert sniff_delimiter("a\tb\n1\t2\n") == "\t"
    assert sniff_delimiter('a,b\n"x, y",2\n') == ","


def test_column_option_by_name_and_number(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("a,b\nfoo,79099-07-3\n")
    assert jsonl(screen(f, "--column", "b", "-f", "jsonl").stdout)[0]["verdict"] == "controlled"
    assert jsonl(screen(f, "--column", "2", "-f", "jsonl").stdout)[0]["verdict"] == "controlled"


def test_undetectable_column_exits_3_and_an_unknown_one_is_a_usage_error(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("a,b\nfoo,bar\n")
    p = screen(f)
    assert p.returncode == 3 and "--column" in p.stderr
    p = screen(f, "--column", "nope")  # the command line names what the input does not have: exit 2
    assert p.returncode == 2 and "no column 'nope'; the columns are: 'a', 'b'" in p.stderr


def test_type_forces_query_type(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("name\nCCO\n")
    assert jsonl(screen(f, "--type", "smiles", "-f", "jsonl").stdout)[0]["input_type"] == "smiles"


def test_not_utf8_names_the_row(tmp_path):
    f = tmp_path / "latin1.csv"
    f.write_bytes("cas,name\n50-00-0,ok\n64-17-5,\u00e9thanol\n".encode("latin-1"))
    out = tmp_path / "o.csv"
    p = screen(f, "-o", out)
    assert p.returncode == 3
    assert "row 2" in p.stderr and "UTF-8" in p.stderr
    assert not out.exists()


def test_output_columns_renames_clashes():
    assert output_columns(["id", "smiles", "verdict"]) == {"id": "id", "smiles": "input_smiles",
                                                           "verdict": "input_verdict"}


# -- every row accounted for --------------------------------------------------------------------------


@pytest.mark.slow
def test_garbage_rows_are_reported_in_order(tmp_path):
    good = [P2P, "CCO", "c1ccccc1O", "CC(C)O", "CCN"]
    lines, expected_bad = ["id,smiles"], set()
    for i in range(1, 501):
        if i % 100 == 0:
            lines.append(f"{i},C1CC(((garbage{i}")
            expected_bad.add(i)
        elif i % 100 == 50:
            lines.append(f"{i},")  # an empty cell
            expected_bad.add(i)
        else:
            lines.append(f"{i},{good[i % len(good)]}")
    f = tmp_path / "dirty.csv"
    f.write_text("\n".join(lines) + "\n")
    rows = jsonl(screen(f, "-f", "jsonl", "-j", "2", "--chunk-size", "37").stdout)
    assert [int(r["id"]) for r in rows] == list(range(1, 501))
    assert [r["row"] for r in rows] == list(range(1, 501))
    bad = {int(r["id"]) for r in rows if r["verdict"] == "invalid"}
    assert bad == expected_bad
    assert all(r["error"] for r in rows if r["verdict"] == "invalid")


def test_heavy_atom_cap():
    p = screen("-", "--type", "smiles", "-f", "jsonl", input="smiles\n" + "C" * 300 + "\nCCO\n")
    rows = jsonl(p.stdout)
    assert rows[0]["verdict"] == "unresolved" and "300 heavy atoms, over the limit of 250" in rows[0]["error"]
    assert rows[1]["verdict"] == "clear" and p.returncode == 3  # over the cap is never clear


@pytest.mark.slow
def test_workers_2_same_as_workers_1(tmp_path):
    smiles = [P2P, "CCO", NPP_HCL, "not a smiles", "c1ccccc1CC(N)C", "79099-07-3", "NPP", ""] * 40
    f = tmp_path / "mix.csv"
    f.write_text("query\n" + "\n".join(f'"{s}"' for s in smiles) + "\n")
    one = screen(f, "-f", "csv", "-j", "1", "--chunk-size", "16")
    two = screen(f, "-f", "csv", "-j", "2", "--chunk-size", "16")
    zero = screen(f, "-f", "csv", "-j", "0")
    assert one.returncode == two.returncode == zero.returncode == 1
    assert one.stdout == two.stdout == zero.stdout
    assert len(read_csv(one.stdout)) == len(smiles)


# -- formula injection ---------------------------------------------------------------------------------


def test_formula_injection_neutralised(tmp_path):
    f = tmp_path / "evil.csv"
    f.write_text('name,note\n"=HYPERLINK(""http://x"",""y"")",@SUM(1)\n')
    rows = read_csv(screen(f, "-f", "csv").stdout)
    assert rows[0]["name"].startswith("'=")
    assert rows[0]["note"] == "'@SUM(1)"
    assert rows[0]["input"].startswith("'=")
    raw = read_csv(screen(f, "-f", "csv", "--raw-csv").stdout)
    assert raw[0]["note"] == "@SUM(1)"


# -- exit codes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("body,extra,code", [
    ("cas\n50-00-0\n", (), 0),  # clear only
    ("cas\n79099-07-3\n50-00-0\n", (), 1),  # a controlled hit
    ("cas\n79099-07-4\n", (), 3),  # invalid only
    ("cas\n50-00-0\n79099-07-4\n", (), 3),  # clear + invalid, no hit
    ("smiles\n" + "O=C1CCN(Cc2ccccc2)CC1\n", ("--fail-on", "controlled"), 0),  # watch-listed only
    ("smiles\n" + "O=C1CCN(Cc2ccccc2)CC1\n", ("--fail-on", "watch"), 1),
])
def test_exit_codes(body, extra, code):
    p = screen("-", "-f", "jsonl", *extra, input=body)
    assert p.returncode == code, p.stderr


def test_missing_input_file_exits_3(tmp_path):
    p = screen(tmp_path / "nope.csv")
    assert p.returncode == 3 and "cannot read" in p.stderr


def test_summary_on_stderr(tmp_path):
    p = run("screen", "-", *MINI, "-f", "jsonl", input="cas\n79099-07-3\n50-00-0\n")
    assert "2 queries: 1 controlled, 1 clear" in p.stderr


# -- interruption --------------------------------------------------------------------------------------


@pytest.mark.parametrize("sig,group", [(signal.SIGINT, False), (signal.SIGTERM, False), (signal.SIGHUP, False),
                                       (signal.SIGINT, True), (signal.SIGTERM, True), (signal.SIGTERM, True)])
@pytest.mark.slow
def test_interrupt_leaves_no_output(tmp_path, sig, group):
    """A signal to the process, or (as `timeout` and CI runners send it) to its whole process group,
    workers included: the run ends promptly, exit 130, no output file and no temporary file."""
    big = tmp_path / "big.csv"
    with open(big, "w") as fh:
        fh.write("smiles\n")
        for i in range(600_000):  # long enough that even a fast machine is still screening when interrupted
            fh.write(f"CCCCC(C)C(=O)N{'C' * (i % 17)}c1ccc(O)cc1\n" if i % 2 else f"C{'C' * (i % 23)}O{i % 7}\n")
    out = tmp_path / "out.csv"
    env = dict(os.environ)
    proc = subprocess.Popen([precheck_bin(), "screen", str(big), "-o", str(out), *MINI, "-j", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=group,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as a terminal has it
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob(".out.csv.*")):
        time.sleep(0.05)
    time.sleep(0.5)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    if group:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert b"Traceback" not in err
    assert not out.exists()
    assert not list(tmp_path.glob(".out.csv.*"))


# -- the engine (library) --------------------------------------------------------------------------------


class _SlowScreener:
    """Stands in for a Screener: 'hang' never finishes in time, everything else is instant."""

    max_heavy_atoms = None
    resolver = None

    def screen(self, query, input_type=None, row=None):
        if query == "hang":
            time.sleep(30)
        if query == "crash":  # a worker process dying under a row (a crash inside RDKit)
            os._exit(1)
        return Result(query, "smiles", Verdict.CLEAR)


class SlowConfig(ScreenerConfig):
    def build(self):
        return _SlowScreener()


@pytest.mark.slow
def test_row_timeout_cuts_off_only_the_slow_row():
    items = [(i, q, None) for i, q in enumerate(["a", "b", "hang", "c", "d", "e"], start=1)]
    runner = BatchRunner(SlowConfig(), workers=2, chunk_size=2, row_timeout=0.5)
    t0 = time.time()
    out = list(runner.run(items))
    assert time.time() - t0 < 20
    assert [r.input for r in out] == ["a", "b", "hang", "c", "d", "e"]
    assert [r.verdict for r in out] == [Verdict.CLEAR] * 2 + [Verdict.INVALID] + [Verdict.CLEAR] * 3
    assert "cut off" in out[2].error and runner.cut_off == 1


class _GcScreener(_SlowScreener):
    def screen(self, query, input_type=None, row=None):
        import gc

        return Result(query, "smiles", Verdict.CLEAR, source=f"gc {'on' if gc.isenabled() else 'off'}")


class GcConfig(ScreenerConfig):
    def build(self):
        return _GcScreener()


def test_parent_pauses_its_gc_only_while_streaming_and_workers_keep_theirs():
    import gc

    runner = BatchRunner(GcConfig(), workers=1, chunk_size=2)
    seen = []
    for r in runner.run([(i, q, None) for i, q in enumerate("abcde", start=1)]):
        seen.append(gc.isenabled())
        assert r.source == "gc on"  # screened in a worker with its GC on
    assert seen == [False] * 5 and gc.isenabled()
    gc.disable()  # a worker (re)started while the parent's GC is paused turns its own back on
    try:
        runner._restart()
        assert runner.pool.apply(gc.isenabled) is True
    finally:
        gc.enable()
        runner._kill()


@pytest.mark.slow
def test_a_worker_dying_costs_only_its_row():
    items = [(i, q, None) for i, q in enumerate(["a", "b", "crash", "c", "d", "e", "f"], start=1)]
    runner = BatchRunner(SlowConfig(), workers=2, chunk_size=2, row_timeout=1.0)
    t0 = time.time()
    out = list(runner.run(items))
    assert time.time() - t0 < 30
    assert [r.input for r in out] == ["a", "b", "crash", "c", "d", "e", "f"]
    assert [r.verdict for r in out] == [Verdict.CLEAR] * 2 + [Verdict.INVALID] + [Verdict.CLEAR] * 4
    assert "cut off" in out[2].error


def test_screen_records_partition_function(mini_screener):
    rows = [{"sku": 1, "cas": "79099-07-3"}, {"sku": 2, "cas": "bogus-1"}, {"sku": 3, "cas": "79099-07-3"}]
    out = screen_records(mini_screener, rows, "cas", "cas")
    assert [(r["sku"], r["verdict"], r["row"]) for r in out] == [(1, "controlled", 1), (2, "invalid", 2),
                                                                (3, "controlled", 3)]


def test_open_input_streams_rows(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("id,cas\n1,50-00-0\n2,64-17-5\n")
    src = open_input(str(f))
    assert (src.columns, src.column, src.input_type) == (["id", "cas"], "cas", "cas")
    assert list(src.rows()) == [["1", "50-00-0"], ["2", "64-17-5"]]
    assert src.done == src.total == Path(f).stat().st_size


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
@pytest.mark.parametrize("escape", [True, False])
def test_batch_csv_writer_is_byte_identical(mini_screener, fmt, escape):
    """The batch CSV/TSV writer writes exactly what formats.CsvWriter writes, a row or a chunk at a time."""
    from precursor_check.io.formats import Format, make_writer
    from precursor_check.io.formats.batchcsv import batch_writer

    queries = ["79099-07-3", "50-00-0", "=1+2", "", "a,b", 'q"x', "50-00-0\n", "x\r\ny", P2P, "79099-07-3"] * 3
    queries += ["50-00-0", "79099-07-3"] * 10  # whole chunks of plain rows
    extras = ["-x", "", "a\tb", "ok", "a,b", 'q"', "x\ry", None, 2.5, 7]
    meta = {"tool_version": "t", "watchlist_version": "w", "watchlist_sha256": "s"}
    cols = ["note", "input_smiles"]
    outs = []
    for make, chunked in ((make_writer, False), (batch_writer, False), (batch_writer, True)):
        runner = BatchRunner(ScreenerConfig(), workers=0, screener=mini_screener, chunk_size=4)
        buf = io.StringIO()
        w = make(Format(fmt), buf, extra_columns=cols, escape_formulas=escape)
        w.begin(meta)
        notes = [extras[i % len(extras)] if i <= 30 else "plain" for i in range(1, len(queries) + 1)]
        if chunked:
            items = [(i, q, [n, q]) for i, (q, n) in enumerate(zip(queries, notes), 1)]
            for rows, results, _tails in runner.run_chunks(items):
                w.write_chunk(rows, results)
        else:
            items = [(i, q, dict(zip(cols, [n, q]))) for i, (q, n) in enumerate(zip(queries, notes), 1)]
            for r in runner.run(items):
                w.write(r)
        w.end()
        outs.append(buf.getvalue())
    assert outs[0] == outs[1] == outs[2]


@pytest.mark.parametrize("delimiter", [",", "\t"])
@pytest.mark.parametrize("escape", [True, False])
def test_tail_renderer_shortcut_for_rows_without_hits_matches_the_csv_module(delimiter, escape):
    """Rows with no hit skip flat_record and the csv module; the cells must come out the same."""
    from precursor_check.io.formats import RESULT_COLUMNS, flat_record, neutralise_cell
    from precursor_check.io.formats.batchcsv import TailRenderer

    meta = {"tool_version": "0.1", "watchlist_version": "=w", "watchlist_sha256": "a,b"}
    tail = TailRenderer(delimiter, escape, meta)
    for smiles, source in [("CCO", "input"), ("a,b", "x"), ('q"x', "y"), ("-C", "@x"), ("C\tC", "s\nt"),
                           ("CC", "local table (PubChem CID 702)"), (None, None)]:
        r = Result("q", "smiles", Verdict.CLEAR, smiles=smiles, source=source)
        vals = [flat_record(r, meta)[c] for c in RESULT_COLUMNS[2:]]
        if escape:
            vals = [neutralise_cell(v) if isinstance(v, str) else v for v in vals]
        buf = io.StringIO()
        csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerow(vals)
        assert tail(r) == buf.getvalue()[:-1], (smiles, source)


# -- edge cases a shell script meets (batch I/O audit) ---------------------------------------------

@pytest.mark.slow
def test_a_bare_carriage_return_is_quoted_so_no_formula_starts_a_new_spreadsheet_row(tmp_path):
    f = tmp_path / "cr.csv"
    f.write_bytes(b'id,cas,note\n1,64-17-5,"harmless\r=1+1"\n')
    outs = []
    for workers in ("0", "1", "2"):
        out = tmp_path / f"out{workers}.csv"
        screen(f, "-j", workers, "-o", out)
        outs.append(out.read_bytes())
    assert b'"harmless\r=1+1"' in outs[0]  # quoted: the CR stays inside the cell
    assert outs[0] == outs[1] == outs[2]


def test_output_to_a_fifo_is_written_to_not_replaced(tmp_path):
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    p = screen("-", "--type", "cas", "-f", "csv", "-o", fifo, input="cas\n79099-07-3\n")
    reader.join(timeout=60)
    assert p.returncode == 1 and "79099-07-3" in got[0] and fifo.is_fifo()


def test_column_number_on_a_file_without_header_keeps_the_first_row(tmp_path):
    f = tmp_path / "nohead.tsv"
    f.write_text("79099-07-3\tfirst\n64-17-5\tsecond\n")
    rows = jsonl(screen(f, "--column", "1", "-f", "jsonl").stdout)
    assert [(r["input"], r["verdict"]) for r in rows] == [("79099-07-3", "controlled"), ("64-17-5", "clear")]
    with_header = tmp_path / "head.tsv"
    with_header.write_text("cas\tnote\n79099-07-3\tfirst\n")
    assert [r["input"] for r in jsonl(screen(with_header, "--column", "1", "-f", "jsonl").stdout)] == ["79099-07-3"]


def test_an_oversized_cell_is_one_invalid_row_and_the_batch_goes_on(tmp_path):
    f = tmp_path / "big.csv"
    f.write_text("smiles\n" + "x" * 200_000 + "\nCCO\n")
    p = screen(f, "-f", "jsonl")
    rows = jsonl(p.stdout)
    assert [r["verdict"] for r in rows] == ["invalid", "clear"] and "200,000 characters" in rows[0]["error"]


def test_parquet_cas_column_stored_as_float_is_read_as_cas(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    f = tmp_path / "f.parquet"
    pq.write_table(pa.table({"cas": pa.array([79099073.0, None])}), f)
    rows = jsonl(screen(f, "-f", "jsonl").stdout)
    assert [(r["input"], r["verdict"]) for r in rows] == [("79099073", "controlled"), ("", "invalid")]


def test_duplicate_column_names_keep_every_value_in_json(tmp_path):
    f = tmp_path / "dup.csv"
    f.write_text("id,cas,note,note\n1,79099-07-3,a,b\n")
    (rec,) = jsonl(screen(f, "-f", "jsonl").stdout)
    assert (rec["note"], rec["note_2"]) == ("a", "b")


def test_an_empty_file_says_so(tmp_path):
    f = tmp_path / "empty.csv"
    f.write_text("")
    p = screen(f)
    assert p.returncode == 3 and "the file is empty" in p.stderr


def test_ragged_rows_keep_their_extra_cells_and_say_so(tmp_path):
    f = tmp_path / "rag.csv"
    f.write_text("id,cas,note\n1,79099-07-3,b,extra\n2,64-17-5\n")
    p = run("screen", f, *MINI, "-f", "jsonl")
    rows = jsonl(p.stdout)
    assert [r["note"] for r in rows] == ["b", ""] and [r["extra_cells"] for r in rows] == ["extra", ""]
    assert "1 row(s) had more cells than the header" in p.stderr



def test_sdf_fields_missing_from_the_first_record_are_named_on_stderr(tmp_path):
    from rdkit import Chem

    f = tmp_path / "late.sdf"
    w = Chem.SDWriter(str(f))
    for i, smi in enumerate(["CCO", "c1ccccc1"]):
        m = Chem.MolFromSmiles(smi)
        m.SetProp("id", str(i))
        if i == 1:
            m.SetProp("extra_only_here", "x")
        w.write(m)
    w.close()
    p = run("screen", f, *MINI, "-f", "jsonl")
    assert len(jsonl(p.stdout)) == 2 and "not in the output: extra_only_here" in p.stderr


def test_the_block_reader_reads_what_the_csv_module_reads(tmp_path):
    """CSV files are split a megabyte at a time while no quote, CR or NUL turns up, then by the csv
    module: the rows, and the progress count, are the csv module's either way."""
    plain = "".join(f"{i},{50 + i % 7}-00-0,x y\n" for i in range(70_000))  # over 1 MB before the first quote
    tricky = '7,"a,b",z\r\n8,c\n\n  ,,\n9,d,e,f\n10,"multi\nline",q\n11,e,'
    text = "id,cas,note\n" + plain + tricky
    f = tmp_path / "x.csv"
    f.write_text(text, encoding="utf-8", newline="")
    src = open_input(str(f))
    want = []
    for values in list(csv.reader(io.StringIO(text, newline="")))[1:]:
        if not values:
            continue
        if len(values) > 3:  # the extra cells go into the last column (the query is not the last)
            values = values[:2] + [",".join(values[2:])]
        want.append(values + [""] * (3 - len(values)))
    assert list(src.rows()) == want
    assert src.done == src.total == f.stat().st_size
    assert src.ragged == 1
    # a byte that is not UTF-8 after the first megabyte is named by its row
    bad = tmp_path / "bad.csv"
    bad.write_bytes(("cas\n" + "50-00-0\n" * 200_000).encode() + b"caf\xe9\n")
    with pytest.raises(Exception, match="row 200001 .*not UTF-8"):
        list(open_input(str(bad)).rows())
