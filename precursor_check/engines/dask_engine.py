"""The Dask engine behind `precheck screen --engine dask`: partitioned input in, partitioned Parquet out.

    precheck screen 'catalogue/*.parquet' --engine dask -o screened/            # a LocalCluster
    precheck screen 's3://bucket/cat/*.csv' --engine dask --scheduler tcp://10.0.0.5:8786 -o s3://bucket/out/

How it runs (see docs/dask.md):

* The input (a path, a directory, a glob or a list; local or anything fsspec reads) becomes a
  fixed list of delayed pandas partitions: Parquet row groups gathered into ~4 MiB partitions and
  CSV blocks (`dask.dataframe.read_parquet` / `read_csv`; CSV cells are strings, like the local
  reader's), or one partition per .smi / SDF file (read by the local engine's readers).
* Pass 1 counts the rows of each partition (cheap next to screening) so that `row` is the global,
  1-based input row number, exactly as the local engine numbers the rows of the same data; a
  partition of more than ROWS_PER_TASK rows is then sliced into several tasks.
* Pass 2 screens each task's rows with `batch.screen_queries` (the local engine's per-chunk
  function) and writes `part-NNNNN.parquet` (input columns with their types, then RESULT_COLUMNS).
  A task writes its file under a temporary name and renames it, so a task that is re-run
  (a worker died; Dask reschedules its tasks) overwrites its own file: every row lands exactly once.
* Each worker process builds the Screener (compiles the watchlist) once per `ScreenerConfig`
  and keeps it in a module-global cache; the version and sha256 of the watchlist that screened
  each partition are written into every row, and the client refuses to finish if any partition
  was screened with a watchlist other than its own.
* With --report / --audit-log the tasks also write their flagged rows' full JSON results to
  `_flagged/`; the client then reads the parts back in row order, writes the report and the audit
  lines as the local engine would, and removes `_flagged/`.
* Finally `_precheck_summary.json` (tool version, watchlist version and sha256, counts per
  verdict, rows, seconds, partitions) is written; on a local disk the whole directory appears
  at once (built under a temporary name, then renamed).

Dask and `distributed` are an optional extra: pip install 'precursor-check[dask]'.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field, replace

from precursor_check import __version__
from precursor_check.engines.batch import ScreenerConfig, output_columns, screen_queries
from precursor_check.errors import InputError, PrecheckError

SUMMARY_NAME = "_precheck_summary.json"  # a leading '_' keeps Parquet dataset readers from reading it
PART_NAME = "part-{:05d}.parquet"
DETAILS_DIR = "_flagged"  # full JSON results of flagged rows, while --report / --audit-log are built
VERDICTS = ("controlled", "watch", "analog", "clear", "unresolved", "invalid")
INSTALL_HINT = "the dask engine needs dask and distributed: pip install 'precursor-check[dask]'"


def require_dask():
    """Import dask.dataframe and distributed, or raise a one-line PrecheckError (exit code 3)."""
    try:
        import dask  # noqa: F401
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise PrecheckError(f"{INSTALL_HINT} ({exc})") from None


# -- worker side ----------------------------------------------------------------------------------------

_SCREENERS: dict[ScreenerConfig, object] = {}
_BUILDS: list[ScreenerConfig] = []  # every build in this process (tests check: one per worker)
_LOCK = threading.Lock()


def worker_screener(config: ScreenerConfig):
    """This process's Screener for `config`, built (watchlist compiled) on first use only."""
    s = _SCREENERS.get(config)
    if s is None:
        with _LOCK:
            s = _SCREENERS.get(config)
            if s is None:
                s = _SCREENERS[config] = config.build()
                _BUILDS.append(config)
    return s


def builds_in_this_process() -> int:
    """How many Screeners this process has built (run on every worker with `client.run`)."""
    return len(_BUILDS)


def _meta(screener) -> dict:
    wl = screener.watchlist
    return {"tool_version": __version__, "watchlist_version": wl.version, "watchlist_sha256": wl.sha256}


def _count_rows(df) -> int:
    return len(df)


def _screen_partition(df, number: int, start_row: int, config: ScreenerConfig, column: str, input_type: str,
                      out_dir: str, storage_options: dict | None, hook=None, details: bool = False,
                      hidden: str | None = None, text: bool = False) -> dict:
    """Screen one partition and write it as one Parquet file; returns its counts and watchlist identity.

    `hidden`: a query column that is not an output column (an SDF record's molblock). `text`: the
    input has no column types (CSV, .smi, SDF), so the input columns are strings, as locally.
    `details`: also write the full JSON result of each flagged row to `_flagged/` (for --report
    and --audit-log, which the client builds from the written partitions).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from precursor_check.io.formats import RESULT_COLUMNS, flat_record
    from precursor_check.io.readers import query_text

    if hook is not None:  # fault injection for tests (e.g. a worker that dies on its first attempt)
        hook(number)
    t0 = time.perf_counter()
    screener = worker_screener(config)
    meta = _meta(screener)
    q = df[column]
    queries = [query_text(v) for v in q.astype(object).where(q.notna(), None).tolist()]
    results = [replace(r, row=start_row + i) for i, r in enumerate(screen_queries(screener, queries, input_type))]
    records = [flat_record(r, meta) for r in results]

    if hidden is not None:
        df = df.drop(columns=[hidden])
    names = output_columns([str(c) for c in df.columns])
    table = pa.Table.from_pandas(df, preserve_index=False)
    table = table.rename_columns([names[str(c)] for c in table.column_names])
    if text:  # an all-empty partition gives null-typed columns; the local engine writes strings
        table = table.cast(pa.schema([pa.field(f.name, pa.string()) for f in table.schema]))
    typed = {"row": pa.int64(), "score": pa.float64()}
    counts: dict[str, int] = {}
    for c in RESULT_COLUMNS:
        values = [r[c] for r in records]
        if c == "score":
            values = [float(v) if v != "" else None for v in values]
        elif c == "verdict":
            for v in values:
                counts[v] = counts.get(v, 0) + 1
        table = table.append_column(pa.field(c, typed.get(c, pa.string())), pa.array(values, typed.get(c, pa.string())))
    table = table.replace_schema_metadata({k: str(v) for k, v in meta.items()})

    import fsspec

    fs, root = fsspec.core.url_to_fs(out_dir, **(storage_options or {}))
    root = root.rstrip("/")

    def put(final: str, write) -> None:  # a re-run partition replaces its own file, never adds a second copy
        tmp = f"{os.path.dirname(final)}/.{os.path.basename(final)}.{uuid.uuid4().hex}.tmp"
        with fs.open(tmp, "wb") as fh:
            write(fh)
        fs.mv(tmp, final)

    if details:
        fs.makedirs(f"{root}/{DETAILS_DIR}", exist_ok=True)
        lines = "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in results if r.verdict.is_hit)
        put(f"{root}/{DETAILS_DIR}/{PART_NAME.format(number)[:-8]}.jsonl", lambda fh: fh.write(lines.encode("utf-8")))
    put(f"{root}/{PART_NAME.format(number)}", lambda fh: pq.write_table(table, fh, compression="zstd"))
    return {"number": number, "rows": len(records), "counts": counts, **meta, "pid": os.getpid(),
            "seconds": time.perf_counter() - t0}


# -- client side ----------------------------------------------------------------------------------------


@dataclass
class DaskRun:
    """What a finished run reports (also written as the summary JSON)."""

    output: str
    rows: int = 0
    partitions: int = 0
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0
    task_seconds: float = 0.0  # the tasks' own time (reading excluded), summed: rows / task_seconds = rows/s per core
    meta: dict = field(default_factory=dict)

    def summary(self) -> dict:
        return {"tool_version": self.meta.get("tool_version", __version__),
                "watchlist_version": self.meta.get("watchlist_version"),
                "watchlist_sha256": self.meta.get("watchlist_sha256"),
                "engine": "dask", "rows": self.rows, "partitions": self.partitions,
                "counts": {v: self.counts.get(v, 0) for v in VERDICTS},
                "seconds": round(self.seconds, 3), "task_seconds": round(self.task_seconds, 3)}


FORMATS = {"parquet": "parquet", "pq": "parquet", "csv": "csv", "txt": "csv", "tsv": "tsv", "tab": "tsv",
           "smi": "smi", "smiles": "smi", "sdf": "sdf", "sd": "sdf"}
SUPPORTED = "Parquet, CSV/TSV, .smi or SDF files"


def _format_of(paths: list[str], fmt: str) -> str:
    if fmt not in ("", "auto"):
        if fmt not in set(FORMATS.values()):
            raise InputError(f"the dask engine reads {SUPPORTED}, not {fmt}")
        return fmt
    kinds = {FORMATS.get(p.rsplit(".", 1)[-1].lower()) for p in paths}
    if len(kinds) == 1 and None not in kinds:
        return kinds.pop()
    exts = sorted({p.rsplit(".", 1)[-1].lower() if "." in os.path.basename(p) else "(none)" for p in paths})
    raise InputError(f"cannot tell the input format from the file names ({', '.join(exts)}); "
                     "give --input-format parquet|csv|tsv|smi|sdf")


def _expand(input_path, storage_options: dict | None) -> tuple[list[str], object]:
    import fsspec

    paths = [input_path] if isinstance(input_path, str) else list(input_path)
    fs, _ = fsspec.core.url_to_fs(paths[0], **(storage_options or {}))
    found: list[str] = []
    for p in paths:
        _, root = fsspec.core.url_to_fs(p, **(storage_options or {}))
        if fs.isdir(root):
            hits = [h for h in fs.find(root)
                    if not any(x.startswith(("_", ".")) for x in h[len(root):].strip("/").split("/"))]
        elif any(ch in root for ch in "*?["):
            hits = fs.glob(root)
        else:
            hits = [root] if fs.exists(root) else []
        if not hits:
            raise InputError(f"no input files match {p}")
        found.extend(sorted(hits))
    proto = fs.protocol[0] if isinstance(fs.protocol, (tuple, list)) else fs.protocol
    if proto not in ("file", "local"):
        found = [fs.unstrip_protocol(h) for h in found]
    return found, fs


ROWS_PER_TASK = 10_000  # seconds of screening per task (the unit of retry and of load balance); ~10^5 tasks per 10^9 rows
PARQUET_BLOCKSIZE = "4MiB"  # row groups are read in partitions of about this (uncompressed), then sliced into tasks
HIDDEN = "__precheck_molblock__"  # an SDF record's molblock: the query, not an output column


@dataclass
class Partitions:
    """The input as a fixed list of delayed pandas partitions, and how to screen them."""

    parts: list
    column: str  # the query column in each partition
    input_type: str
    hidden: str | None = None  # a query column that is not written out (SDF molblocks)
    text: bool = False  # no column types in the input: input columns are written as strings


def _open_partitions(paths: list[str], fmt: str, fs, storage_options: dict | None, column: str | None,
                     input_type: str, name: str) -> Partitions:
    if fmt in ("smi", "sdf"):
        return _text_partitions(paths, fmt, fs, storage_options, column, input_type)
    ddf = _read(paths, fmt, fs, storage_options)
    col, kind = _choose([str(c) for c in ddf.columns], column, input_type, name)
    return Partitions(ddf.to_delayed(), col, kind, text=fmt != "parquet")


def _read(paths: list[str], fmt: str, fs, storage_options: dict | None):
    import dask.dataframe as dd

    try:
        if fmt == "parquet":
            # row groups are gathered into partitions of about PARQUET_BLOCKSIZE (uncompressed), never split:
            # Dask's default (256 MiB) would give a few huge tasks, and screening costs ~ms per row
            ddf = dd.read_parquet(paths, storage_options=storage_options, dtype_backend=None,
                                  split_row_groups="infer", blocksize=PARQUET_BLOCKSIZE)
        else:
            from precursor_check.io.readers import sniff_delimiter

            if fmt == "tsv":
                sep = "\t"
            else:
                with _open_binary(fs, paths[0]) as fh:
                    sep = sniff_delimiter(fh.read(64 * 1024).decode("utf-8", errors="replace").lstrip("\ufeff"))
            ddf = dd.read_csv(paths, sep=sep, dtype=str, keep_default_na=False, na_filter=False,
                              encoding="utf-8", storage_options=storage_options)
            clean = {c: str(c).lstrip("\ufeff").strip() for c in ddf.columns}
            if any(k != v for k, v in clean.items()):
                ddf = ddf.rename(columns=clean)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot read {paths[0]}{' ...' if len(paths) > 1 else ''}: {type(exc).__name__}: {exc}") from None
    return ddf


def _choose(columns: list[str], column: str | None, input_type: str, name: str) -> tuple[str, str]:
    """The query column and type, decided exactly as the local readers do."""
    from precursor_check.io.readers import Source, _choose_column

    src = Source(name, "parquet", list(columns), "", 0, "auto")
    _choose_column(src, column, input_type)
    return src.column, src.input_type


def _open_binary(fs, path: str):
    return fs.open(path if "://" not in path else fs._strip_protocol(path), "rb")


def _text_partitions(paths: list[str], fmt: str, fs, storage_options: dict | None, column: str | None,
                     input_type: str) -> Partitions:
    """.smi and SDF: one partition per file, read on the workers by the local engine's readers.

    The columns (SDF: the title and the data fields of the first record) come from the first file,
    as if the files were one: the local engine reads the fields of a file's first record.
    """
    import dask

    from precursor_check.io.readers import _choose_column

    with _open_binary(fs, paths[0]) as fh:
        src = _text_source(paths[0], fmt, fh)
        columns = list(src.columns)
        _choose_column(src, column, input_type)
    query = src.column if src.format == "smi" or column else HIDDEN
    fields = columns[1:] if fmt == "sdf" else None
    parts = [dask.delayed(_read_text_file, pure=True)(p, fmt, columns, fields, storage_options) for p in paths]
    return Partitions(parts, query, src.input_type, hidden=HIDDEN if fmt == "sdf" else None, text=True)


def _text_source(name: str, fmt: str, fh):
    """The local reader's Source over an open binary file: its columns (SDF: title + first record's fields)."""
    import io

    from precursor_check.io import readers

    raw = fh if hasattr(fh, "peek") else io.BufferedReader(fh)
    return readers._smi(name, raw) if fmt == "smi" else readers._sdf(name, raw)


def _read_text_file(path: str, fmt: str, columns: list[str], fields: list[str] | None,
                    storage_options: dict | None):
    """One .smi or SDF file as a pandas partition (worker side): `columns` (+ the molblock for SDF)."""
    import fsspec
    import pandas as pd

    fs, _ = fsspec.core.url_to_fs(path, **(storage_options or {}))
    with _open_binary(fs, path) as fh:
        rows = list(_text_rows(path, fmt, fh, fields))
    return pd.DataFrame(rows, columns=columns + ([HIDDEN] if fmt == "sdf" else []), dtype=object)


def _text_rows(name: str, fmt: str, fh, fields: list[str] | None):
    import io

    from precursor_check.io import readers

    raw = fh if hasattr(fh, "peek") else io.BufferedReader(fh)
    if fmt == "smi":
        yield from readers._smi(name, raw).rows()
        return
    for molblock, data in readers._sdf_records(readers._decoded_lines(name, raw, [])):
        yield [molblock.split("\n", 1)[0].strip(), *(data.get(f, "") for f in fields), molblock]


def _prepare_output(output: str, storage_options: dict | None):
    """(fs, final root, where to write, local?). Local: a temporary sibling directory, renamed at the end;
    remote: the URL of the final root itself."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(output, **(storage_options or {}))
    root = root.rstrip("/") or root
    proto = fs.protocol[0] if isinstance(fs.protocol, (tuple, list)) else fs.protocol
    local = proto in ("file", "local")
    if fs.exists(root):
        if not fs.isdir(root):
            raise InputError(f"{output} exists and is not a directory; the dask engine writes a directory")
        names = [os.path.basename(p.rstrip("/")) for p in fs.ls(root, detail=False)]
        if names and SUMMARY_NAME not in names:
            raise InputError(f"{output} is not empty and holds no earlier precheck output; "
                             "choose a new or empty directory")
    if local:
        parent = os.path.dirname(os.path.abspath(root)) or "."
        os.makedirs(parent, exist_ok=True)
        work = os.path.join(parent, f".{os.path.basename(root)}.{uuid.uuid4().hex[:8]}.tmp")
        os.makedirs(work)
        return fs, root, work, True
    if fs.exists(root):  # a remote re-run: the old parts go first (object stores have no empty directories)
        for name in fs.ls(root, detail=False):
            fs.rm(name, recursive=True)
    fs.makedirs(root, exist_ok=True)
    return fs, root, fs.unstrip_protocol(root), False  # the workers need the URL, not the bare key


def _finish_local(work: str, root: str) -> None:
    import shutil

    if os.path.exists(root):
        old = f"{root}.{uuid.uuid4().hex[:8]}.old"
        os.replace(root, old)
        os.replace(work, root)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(work, root)


def start_client(scheduler: str | None = None, workers: int | None = None):
    """A distributed Client: to `scheduler` if given, else to a new LocalCluster (processes, 1 thread each)."""
    require_dask()
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout="30s"), None
        except Exception as exc:
            raise PrecheckError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    import logging

    n = workers if workers else (os.cpu_count() or 1)
    # quiet: task errors reach the client anyway; this hides the shutdown chatter (heartbeats to a closed scheduler)
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.CRITICAL)
    return Client(cluster), cluster


def screen_dask(input_path, output: str, config: ScreenerConfig, column: str | None = None, input_type: str = "auto",
                input_format: str = "auto", client=None, scheduler: str | None = None, workers: int | None = None,
                storage_options: dict | None = None, hook=None, expected_sha256: str | None = None,
                report: str | None = None, audit_log: str | None = None, screener=None,
                rows_per_task: int = ROWS_PER_TASK) -> DaskRun:
    """Screen partitioned Parquet/CSV/.smi/SDF with Dask into a directory of Parquet parts plus a summary JSON.

    Uses `client` if given, else connects to `scheduler` or starts a LocalCluster (closed at the end).
    `expected_sha256`: the watchlist the caller compiled; any partition screened with another fails the run.
    `report` (HTML) and `audit_log` (JSONL, appended) are built here, in the client, from the written
    partitions once every partition is in; `screener` (the caller's) supplies the report's entry drawings.
    `rows_per_task`: input partitions with more rows are screened as several tasks (and output parts).
    """
    require_dask()
    import dask

    t0 = time.perf_counter()
    if not isinstance(input_path, str) or "://" not in input_path:
        input_path = os.path.abspath(input_path) if isinstance(input_path, str) else input_path
    config = _absolute(config)
    paths, fs = _expand(input_path, storage_options)
    fmt = _format_of(paths, input_format.lower())
    src = _open_partitions(paths, fmt, fs, storage_options, column, input_type.lower(), str(input_path))
    parts, details = src.parts, bool(report or audit_log)

    own = cluster = None
    if client is None:
        if not scheduler and config.local_db and src.input_type in ("auto", "cas", "name"):
            _warm_local_db()  # local workers share this machine's cache: build the CAS table once, not per worker
        client, cluster = start_client(scheduler, workers)
        own = client
    out_fs, root, work, local = _prepare_output(output, storage_options)
    try:
        try:
            lengths = client.gather(client.compute([dask.delayed(_count_rows)(p) for p in parts]))
        except (PrecheckError, OSError):
            raise
        except Exception as exc:
            raise InputError(f"cannot read {input_path}: {type(exc).__name__}: {exc}") from None
        pieces, total = _pieces(parts, lengths, rows_per_task)
        parts = [p for p, _ in pieces]
        tasks = [dask.delayed(_screen_partition, pure=False)(p, i, start, config, src.column, src.input_type,
                                                             work, storage_options, hook, details, src.hidden, src.text)
                 for i, (p, start) in enumerate(pieces)]
        try:
            done = client.gather(client.compute(tasks))
        except (PrecheckError, OSError):
            raise
        except Exception as exc:
            raise PrecheckError(f"the dask screen failed: {type(exc).__name__}: {exc}") from None
        out_fs.invalidate_cache()  # the workers wrote the parts: listings cached here (object stores) are stale
        run = DaskRun(output=output, partitions=len(parts))
        shas = {d["watchlist_sha256"] for d in done}
        if len(shas) > 1 or (expected_sha256 and shas - {expected_sha256}):
            raise PrecheckError(f"workers screened with different watchlists (sha256 {', '.join(sorted(shas))}"
                                f"{'; expected ' + expected_sha256 if expected_sha256 else ''}); "
                                "install the same precheck and watchlist files on every worker")
        for d in done:
            run.rows += d["rows"]
            run.task_seconds += d["seconds"]
            for v, n in d["counts"].items():
                run.counts[v] = run.counts.get(v, 0) + n
        if run.rows != total - 1:
            raise PrecheckError(f"row count mismatch: read {total - 1} rows, screened {run.rows}")
        first = done[0] if done else {}
        run.meta = {k: first.get(k) for k in ("tool_version", "watchlist_version", "watchlist_sha256")}
        if not done or details:
            screener = screener or worker_screener(config)  # (the client's own, for an empty input or the report)
            run.meta = run.meta if done else _meta(screener)
        if details:
            _side_outputs(out_fs, work, len(parts), run, report, audit_log, screener.watchlist)
        run.seconds = time.perf_counter() - t0
        summary = run.summary()
        summary.update({"input": [str(p) for p in paths][:100], "input_files": len(paths), "column": src.column,
                        "input_type": src.input_type})
        with out_fs.open(f"{work.rstrip('/')}/{SUMMARY_NAME}", "w") as fh:
            json.dump(summary, fh, indent=2)
            fh.write("\n")
        if local:
            _finish_local(work, root)
            work = None
        return run
    finally:
        if local and work and os.path.isdir(work):
            import shutil

            shutil.rmtree(work, ignore_errors=True)
        if own is not None:
            own.close()
        if cluster is not None:
            cluster.close()


AUDIT_COLUMNS = ["row", "input", "input_type", "verdict", "smiles", "source", "error"]


def _side_outputs(fs, work: str, n_parts: int, run: DaskRun, report: str | None, audit_log: str | None,
                  watchlist) -> None:
    """--report and --audit-log from the written partitions, in row order, as the local engine writes them.

    Each partition's Parquet file is read back in record batches (only the columns needed); the
    flagged rows' full results (all hits, matched atoms, listings) come from `_flagged/`, which is
    removed afterwards. Clear rows are only counted by the report, so without --audit-log only the
    rows that are not clear are read.
    """
    import contextlib

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from precursor_check.io.audit import maybe_audit

    work = work.rstrip("/")
    with contextlib.ExitStack() as stack:
        audit = stack.enter_context(maybe_audit(audit_log, run.meta))
        html = None
        if report:
            from precursor_check.io.atomic import open_output
            from precursor_check.io.formats.html import HtmlReport

            html = HtmlReport(stack.enter_context(open_output(report)), watchlist)
            html.begin(run.meta)
        for i in range(n_parts):
            flagged = _flagged_records(fs, f"{work}/{DETAILS_DIR}/{PART_NAME.format(i)[:-8]}.jsonl")
            with fs.open(f"{work}/{PART_NAME.format(i)}", "rb") as fh:
                for batch in pq.ParquetFile(fh).iter_batches(batch_size=65_536, columns=AUDIT_COLUMNS):
                    if audit is None:  # the report needs the rows that are not clear only
                        batch = batch.filter(pc.not_equal(batch.column("verdict"), "clear"))
                    for row, inp, kind, verdict, smiles, source, error in zip(
                            *(batch.column(c).to_pylist() for c in AUDIT_COLUMNS)):
                        if verdict in ("controlled", "watch", "analog"):
                            rec = next(flagged)
                            if rec["row"] != row:
                                raise PrecheckError(f"{DETAILS_DIR} of part {i} is out of step with its rows "
                                                    f"(row {rec['row']}, expected {row})")
                        else:
                            rec = {"row": row, "input": inp, "input_type": kind, "verdict": verdict,
                                   "smiles": smiles or None, "source": source or None, "error": error or None,
                                   "hits": []}
                        if audit is not None:
                            audit.add_record({"input": rec["input"], "input_type": rec["input_type"], "row": row,
                                              "smiles": rec["smiles"], "source": rec["source"], "verdict": verdict,
                                              "hits": [h["id"] for h in rec["hits"] if h.get("counted", True)]})
                        if html is not None and verdict != "clear":
                            html.add(rec)
        if html is not None:
            clear = {"verdict": "clear"}
            for _ in range(run.counts.get("clear", 0)):  # counted, never drawn
                html.add(clear)
            html.end()
    fs.rm(f"{work}/{DETAILS_DIR}", recursive=True)


def _flagged_records(fs, path: str):
    with fs.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def _pieces(parts: list, lengths: list[int], rows_per_task: int) -> tuple[list, int]:
    """[(partition or a slice of one, its first global row number)], and 1 + the number of rows.

    An input partition larger than `rows_per_task` (a big file with one row group, a CSV block) is
    screened as several tasks, so that one file still keeps every worker busy.
    """
    import dask

    pieces, start = [], 1
    for p, n in zip(parts, lengths):
        k = max(1, -(-n // rows_per_task)) if rows_per_task else 1
        step = -(-n // k) if n else 0
        if k == 1:
            pieces.append((p, start))
        else:
            pieces.extend((dask.delayed(_rows, pure=True)(p, a, min(a + step, n)), start + a) for a in range(0, n, step))
        start += n
    return pieces, start


def _rows(df, a: int, b: int):
    return df.iloc[a:b]


def _warm_local_db() -> None:
    try:
        from precursor_check.identify.localdb import LocalDB

        LocalDB()._connect()
    except Exception:  # the workers will report it per row, as the local engine does
        pass


def _absolute(config: ScreenerConfig) -> ScreenerConfig:
    """Local watchlist / resolve-file paths made absolute (a worker's working directory may differ)."""
    def fix(p: str) -> str:
        return p if "://" in p or os.path.isabs(p) or not os.path.exists(p) else os.path.abspath(p)

    return replace(config, watchlists=tuple(fix(p) for p in config.watchlists),
                   resolve_files=tuple(fix(p) for p in config.resolve_files))


def cli_screen(input_path: str, config: ScreenerConfig, screener, column: str | None, input_type: str,
               input_format: str, workers: int | None, scheduler: str | None, opts: dict) -> DaskRun:
    """`precheck screen --engine dask`: check the options, run, print the summary path; the CLI sets the exit code."""
    import click

    output = opts.get("output")
    if not output or output == "-":
        raise click.UsageError("--engine dask writes a directory of Parquet files: give -o DIR")
    if opts.get("fmt") and opts["fmt"].lower() != "parquet":
        raise click.UsageError(f"--engine dask writes Parquet only, not {opts['fmt']}")
    if input_path == "-":
        raise click.UsageError(f"--engine dask reads {SUPPORTED} (a path, a directory, a glob or a URL), "
                               "not stdin; save the input to a file, or use the local engine")
    if opts.get("report") == "-":
        raise click.BadParameter("give a file name", param_hint="--report")
    ctx = click.get_current_context(silent=True)
    if ctx is not None and not opts.get("quiet"):
        from click.core import ParameterSource

        if ctx.get_parameter_source("row_timeout") not in (None, ParameterSource.DEFAULT):
            click.echo("precheck: --row-timeout does not apply with --engine dask (the --max-atoms cap does; "
                       "see docs/dask.md)", err=True)
    require_dask()
    run = screen_dask(input_path, output, config, column=column, input_type=input_type, input_format=input_format,
                      scheduler=scheduler, workers=workers or None, expected_sha256=screener.watchlist.sha256,
                      report=opts.get("report"), audit_log=opts.get("audit_log"), screener=screener)
    if not opts.get("quiet"):
        click.echo(f"precheck: wrote {run.partitions} Parquet part(s) and {SUMMARY_NAME} to {output}"
                   + (f"; report {opts['report']}" if opts.get("report") else "")
                   + (f"; audit log {opts['audit_log']}" if opts.get("audit_log") else ""), err=True)
    return run
