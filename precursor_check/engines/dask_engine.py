"""The Dask engine behind `precheck screen --engine dask`: partitioned input in, partitioned Parquet out.

    precheck screen 'catalogue/*.parquet' --engine dask -o screened/            # a LocalCluster
    precheck screen 's3://bucket/cat/*.csv' --engine dask --scheduler tcp://10.0.0.5:8786 -o s3://bucket/out/

How it runs (see docs/dask.md). It differs from the local engine only in scheduling: the same
readers (`io.readers.open_stream`), the same per-chunk screening (`engines.batch.screen_queries`),
the same Parquet writer (`io.formats.parquet`) fed the same `engines.pipeline.Batch`.

* The input (a path, a directory, a glob or a list; local or anything fsspec reads) is a list of
  files. The query column and type are decided from the first file, as the local engine decides
  them; every file is then opened on a worker with the same --column/--type, and a file whose
  columns differ from the first's is an error.
* Pass 1 counts the rows of each file (Parquet: from its footer) so that `row` is the global,
  1-based input row number, exactly as the local engine numbers the rows of the files joined.
* Pass 2 runs one reader task per file; it reads the file once, through the local reader, and
  fans its rows out as screening tasks of at most ROWS_PER_TASK rows, each written as
  `part-NNNNN.parquet` (input columns with their types, then RESULT_COLUMNS). Task keys are fixed
  by the run and the part number, and a task writes its file under a temporary name and renames
  it, so a task that is re-run (a worker died; Dask reschedules its tasks) overwrites its own
  file: every row lands exactly once.
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
from precursor_check.engines.pipeline import run_meta
from precursor_check.errors import InputError, PrecheckError
from precursor_check.model import Verdict

SUMMARY_NAME = "_precheck_summary.json"  # a leading '_' keeps Parquet dataset readers from reading it
PART_NAME = "part-{:05d}.parquet"
DETAILS_DIR = "_flagged"  # full JSON results of flagged rows, while --report / --audit-log are built
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
                "counts": {v.value: self.counts.get(v.value, 0) for v in Verdict},
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
INFLIGHT_PER_FILE = 8  # screening tasks a file's reader keeps queued at a time (memory stays flat)


# -- reading: the local engine's readers, on the workers ------------------------------------------------


@dataclass(frozen=True)
class InputPlan:
    """What every file of the input shares, decided from the first file as the local engine decides it."""

    fmt: str
    columns: tuple[str, ...]  # the input's own columns, as the reader names them
    out_columns: tuple[str, ...]  # their output names (a clash with a result column gets `input_`)
    index: int  # the query's position in a row (-1: an SDF record's molblock)
    column: str
    input_type: str
    arrow_types: tuple | None = None  # ((output name, pyarrow type), ...) of a Parquet input
    fields: tuple[str, ...] | None = None  # SDF: the data fields of the first record
    asked: tuple = (None, "auto")  # --column and --type as given: every file is opened with them


def _open_file(path: str, fmt: str, storage_options: dict | None, column: str | None = None,
               input_type: str = "auto"):
    """The local reader's `Source` over a file on any fsspec file system."""
    import fsspec

    from precursor_check.io.readers import open_stream

    fs, _ = fsspec.core.url_to_fs(path, **(storage_options or {}))
    try:
        fh = _open_binary(fs, path)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    return open_stream(fh, path, column=column, input_type=input_type, fmt=fmt, close=fh.close)


def _plan(path: str, fmt: str, storage_options: dict | None, column: str | None, input_type: str) -> InputPlan:
    src = _open_file(path, fmt, storage_options, column, input_type)
    try:
        names = output_columns(src.columns)
        out = tuple(names[c] for c in src.columns)
        schema = getattr(src, "arrow_schema", None)
        types = tuple(zip(out, (f.type for f in schema))) if schema is not None else None
        fields = tuple(src.columns[1:]) if src.format == "sdf" else None
        return InputPlan(src.format, tuple(src.columns), out, src.index, src.column, src.input_type, types, fields,
                         (column, input_type))
    finally:
        src.close()


def _file_rows(path: str, plan: InputPlan, storage_options: dict | None):
    """A file's rows as the local engine reads them: cells aligned with `plan.columns` (SDF: + molblock)."""
    if plan.fmt == "sdf":  # the first file's fields, looked up by name in every record, as in one joined file
        import fsspec

        from precursor_check.io import readers

        fs, _ = fsspec.core.url_to_fs(path, **(storage_options or {}))
        with _open_binary(fs, path) as fh:
            raw = fh if hasattr(fh, "peek") else __import__("io").BufferedReader(fh)
            for molblock, data in readers._sdf_records(readers._decoded_lines(path, raw, [])):
                yield [molblock.split("\n", 1)[0].strip(), *(data.get(f, "") for f in plan.fields), molblock]
        return
    src = _open_file(path, plan.fmt, storage_options, *plan.asked)
    if plan.fmt != "smi" and (tuple(src.columns), src.index) != (plan.columns, plan.index):
        src.close()
        raise InputError(f"{path}: its columns ({', '.join(src.columns)}) differ from the first file's "
                         f"({', '.join(plan.columns)}); screen such files separately")
    yield from src.rows()


def _count_file(path: str, plan: InputPlan, storage_options: dict | None) -> int:
    """Rows in one file (Parquet: from its footer; other formats: read through the reader)."""
    if plan.fmt == "parquet":
        src = _open_file(path, plan.fmt, storage_options, *plan.asked)
        try:
            return int(src.total or 0)
        finally:
            src.close()
    return sum(1 for _ in _file_rows(path, plan, storage_options))


def _sizes(n: int, rows_per_task: int) -> list[int]:
    """A file of `n` rows as tasks of at most `rows_per_task` rows, as even as possible (at least one task)."""
    k = max(1, -(-n // rows_per_task)) if rows_per_task else 1
    step = -(-n // k) if n else 0
    return [step] * (k - 1) + [n - step * (k - 1)]


def _screen_file(path: str, first_part: int, start_row: int, sizes: list[int], plan: InputPlan,
                 config: ScreenerConfig, out_dir: str, storage_options: dict | None, hook, details: bool,
                 run_id: str) -> list[dict]:
    """Read one file (on a worker) and fan its rows out as screening tasks, one output part each.

    Task keys are fixed by the run and the part number, so a reader that is re-run (its worker died)
    finds the parts already submitted instead of adding copies.
    """
    from collections import deque
    from itertools import islice

    from distributed import wait, worker_client

    from precursor_check.io.readers import query_text

    rows = _file_rows(path, plan, storage_options)
    width, idx = len(plan.columns), plan.index
    futures, pending = [], deque()
    with worker_client() as client:
        row = start_row
        for k, size in enumerate(sizes):
            items = []
            for values in islice(rows, size):
                items.append((row, query_text(values[idx]), values if len(values) == width else values[:width]))
                row += 1
            if len(items) != size:
                raise PrecheckError(f"{path}: {row - start_row} rows read, {sum(sizes)} counted; did it change?")
            number = first_part + k
            fut = client.submit(_screen_part, items, number, plan, config, out_dir, storage_options, hook, details,
                                key=f"precheck-part-{run_id}-{number}")
            futures.append(fut)
            pending.append(fut)
            if len(pending) >= INFLIGHT_PER_FILE:
                wait([pending.popleft()])
        if next(rows, None) is not None:
            raise PrecheckError(f"{path}: more rows than {sum(sizes)} counted; did it change while screened?")
        return client.gather(futures)


def _screen_part(items: list, number: int, plan: InputPlan, config: ScreenerConfig, out_dir: str,
                 storage_options: dict | None, hook, details: bool) -> dict:
    """Screen one task's rows and write them as `part-NNNNN.parquet` with the local engine's Parquet
    writer; returns its counts and the identity of the watchlist that screened it."""
    from precursor_check.engines.pipeline import Batch
    from precursor_check.io.formats.parquet import ParquetWriter

    if hook is not None:  # fault injection for tests (e.g. a worker that dies on its first attempt)
        hook(number)
    t0 = time.perf_counter()
    screener = worker_screener(config)
    meta = run_meta(screener.watchlist)
    results = screen_queries(screener, [q for _, q, _ in items], plan.input_type)
    batch = Batch(results, items, list(plan.out_columns), plan.input_type)
    counts: dict[str, int] = {}
    for r in results:
        counts[r.verdict.value] = counts.get(r.verdict.value, 0) + 1

    import fsspec

    fs, root = fsspec.core.url_to_fs(out_dir, **(storage_options or {}))
    root = root.rstrip("/")

    def put(final: str, write) -> None:  # a re-run part replaces its own file, never adds a second copy
        tmp = f"{os.path.dirname(final)}/.{os.path.basename(final)}.{uuid.uuid4().hex}.tmp"
        with fs.open(tmp, "wb") as fh:
            write(fh)
        fs.mv(tmp, final)

    def parquet(fh) -> None:
        w = ParquetWriter(fh, extra_columns=list(plan.out_columns), extra_types=dict(plan.arrow_types or ()))
        w.begin(meta)
        w.write_batch(batch)
        w.end()

    if details:
        fs.makedirs(f"{root}/{DETAILS_DIR}", exist_ok=True)
        lines = "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in batch.stamped() if r.verdict.is_hit)
        put(f"{root}/{DETAILS_DIR}/{PART_NAME.format(number)[:-8]}.jsonl", lambda fh: fh.write(lines.encode("utf-8")))
    put(f"{root}/{PART_NAME.format(number)}", parquet)
    return {"number": number, "rows": len(items), "counts": counts, **meta, "pid": os.getpid(),
            "seconds": time.perf_counter() - t0}


def _open_binary(fs, path: str):
    return fs.open(path if "://" not in path else fs._strip_protocol(path), "rb")


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
    t0 = time.perf_counter()
    if not isinstance(input_path, str) or "://" not in input_path:
        input_path = os.path.abspath(input_path) if isinstance(input_path, str) else input_path
    config = _absolute(config)
    paths, fs = _expand(input_path, storage_options)
    fmt = _format_of(paths, input_format.lower())
    plan = _plan(paths[0], fmt, storage_options, column, input_type.lower())
    details = bool(report or audit_log)

    own = cluster = None
    if client is None:
        if not scheduler and config.local_db and plan.input_type in ("auto", "cas", "name"):
            _warm_local_db()  # local workers share this machine's cache: build the CAS table once, not per worker
        client, cluster = start_client(scheduler, workers)
        own = client
    out_fs, root, work, local = _prepare_output(output, storage_options)
    try:
        try:  # pass 1: rows per file, so that `row` numbers the rows as the local engine does
            lengths = client.gather(client.map(_count_file, paths, plan=plan, storage_options=storage_options,
                                               pure=False))
        except (PrecheckError, OSError):
            raise
        except Exception as exc:
            raise InputError(f"cannot read {input_path}: {type(exc).__name__}: {exc}") from None
        run_id = uuid.uuid4().hex[:12]
        tasks, part, start = [], 0, 1
        for path, n in zip(paths, lengths):
            sizes = _sizes(n, rows_per_task)
            tasks.append(client.submit(_screen_file, path, part, start, sizes, plan, config, work, storage_options,
                                       hook, details, run_id, key=f"precheck-file-{run_id}-{len(tasks)}"))
            part += len(sizes)
            start += n
        try:  # pass 2: each file read once, its rows screened as tasks of <= rows_per_task rows
            done = [d for per_file in client.gather(tasks) for d in per_file]
        except (PrecheckError, OSError):
            raise
        except Exception as exc:
            raise PrecheckError(f"the dask screen failed: {type(exc).__name__}: {exc}") from None
        parts = list(range(part))
        total = start
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
            run.meta = run.meta if done else run_meta(screener.watchlist)
        if details:
            _side_outputs(out_fs, work, len(parts), run, report, audit_log, screener.watchlist)
        run.seconds = time.perf_counter() - t0
        summary = run.summary()
        summary.update({"input": [str(p) for p in paths][:100], "input_files": len(paths), "column": plan.column,
                        "input_type": plan.input_type})
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


def screen_dask_file(input_path, config: ScreenerConfig | None = None, *, output: str | None = None,
                     column: str | None = None, input_type: str = "auto", input_format: str = "auto",
                     workers: int | None = None, scheduler: str | None = None, report: str | None = None,
                     audit_log: str | None = None, fmt: str | None = None, sinks=(), screener=None, client=None,
                     storage_options: dict | None = None, **_ignored):
    """`screen_file(..., engine="dask")`: the input screened on a Dask cluster into the directory `output`.

    Returns the pipeline's `RunSummary` (its notes say where the parts went). The report formats
    other than Parquet parts, and stdin, are the local engine's; asking for them here is a usage error.
    """
    from precursor_check.engines.pipeline import RunSummary
    from precursor_check.errors import UsageError

    if not output or output == "-":
        raise UsageError("--engine dask writes a directory of Parquet files: give -o DIR")
    if fmt and fmt.lower() != "parquet":
        raise UsageError(f"--engine dask writes Parquet only, not {fmt}")
    if input_path == "-":
        raise UsageError(f"--engine dask reads {SUPPORTED} (a path, a directory, a glob or a URL), "
                         "not stdin; save the input to a file, or use the local engine")
    if report == "-":
        raise UsageError("--report: give a file name")
    if list(sinks):
        raise UsageError("the dask engine writes its own Parquet parts, --report and --audit-log; "
                         "other sinks need the local engine")
    require_dask()
    config = config or ScreenerConfig()
    screener = screener or config.build()  # fails fast on a bad watchlist, before the cluster starts
    run = screen_dask(input_path, output, config, column=column, input_type=input_type, input_format=input_format,
                      scheduler=scheduler, workers=workers or None, expected_sha256=screener.watchlist.sha256,
                      report=report, audit_log=audit_log, screener=screener, client=client,
                      storage_options=storage_options)
    summary = RunSummary(run.meta, counts={k: v for k, v in run.counts.items() if v}, rows=run.rows,
                         seconds=run.seconds)
    summary.notes.append(f"wrote {run.partitions} Parquet part(s) and {SUMMARY_NAME} to {output}"
                         + (f"; report {report}" if report else "") + (f"; audit log {audit_log}" if audit_log else ""))
    return summary
