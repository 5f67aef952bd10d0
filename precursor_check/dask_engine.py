"""The Dask engine behind `precheck screen --engine dask`: partitioned input in, partitioned Parquet out.

    precheck screen 'catalogue/*.parquet' --engine dask -o screened/            # a LocalCluster
    precheck screen 's3://bucket/cat/*.csv' --engine dask --scheduler tcp://10.0.0.5:8786 -o s3://bucket/out/

How it runs (see docs/dask.md):

* The input (a path, a glob or a list; local or anything fsspec reads) is opened with
  `dask.dataframe.read_parquet` / `read_csv` (CSV: every cell a string, like the local reader)
  and turned into a fixed list of partitions (`to_delayed`), so both passes below see the same split.
* Pass 1 counts the rows of each partition (cheap next to screening) so that `row` is the global,
  1-based input row number, exactly as the local engine numbers the rows of the same data.
* Pass 2 screens each partition with `batch.screen_records` (the local engine's per-partition
  code) and writes it as `part-NNNNN.parquet` (input columns with their types, then RESULT_COLUMNS).
  A task writes its file under a temporary name and renames it, so a partition that is re-run
  (a worker died; Dask reschedules its tasks) overwrites its own file: every row lands exactly once.
* Each worker process builds the Screener (compiles the watchlist) once per `ScreenerConfig`
  and keeps it in a module-global cache; the version and sha256 of the watchlist that screened
  each partition are written into every row, and the client refuses to finish if any partition
  was screened with a watchlist other than its own.
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
from dataclasses import dataclass, field

from . import __version__
from .batch import ScreenerConfig, output_columns, screen_records
from .errors import InputError, PrecheckError

SUMMARY_NAME = "_precheck_summary.json"  # a leading '_' keeps Parquet dataset readers from reading it
PART_NAME = "part-{:05d}.parquet"
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
                      out_dir: str, storage_options: dict | None, hook=None) -> dict:
    """Screen one partition and write it as one Parquet file; returns its counts and watchlist identity."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .formats import RESULT_COLUMNS

    if hook is not None:  # fault injection for tests (e.g. a worker that dies on its first attempt)
        hook(number)
    screener = worker_screener(config)
    meta = _meta(screener)
    q = df[column]
    queries = q.astype(object).where(q.notna(), None).tolist()
    records = screen_records(screener, [{column: v} for v in queries], column, input_type, meta, start_row=start_row)

    names = output_columns([str(c) for c in df.columns])
    table = pa.Table.from_pandas(df, preserve_index=False)
    table = table.rename_columns([names[str(c)] for c in table.column_names])
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
    final = f"{root.rstrip('/')}/{PART_NAME.format(number)}"
    tmp = f"{root.rstrip('/')}/.{PART_NAME.format(number)}.{uuid.uuid4().hex}.tmp"
    with fs.open(tmp, "wb") as fh:
        pq.write_table(table, fh, compression="zstd")
    fs.mv(tmp, final)  # a re-run partition replaces its own file, never adds a second copy
    return {"number": number, "rows": len(records), "counts": counts, **meta, "pid": os.getpid()}


# -- client side ----------------------------------------------------------------------------------------


@dataclass
class DaskRun:
    """What a finished run reports (also written as the summary JSON)."""

    output: str
    rows: int = 0
    partitions: int = 0
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0
    meta: dict = field(default_factory=dict)

    def summary(self) -> dict:
        return {"tool_version": self.meta.get("tool_version", __version__),
                "watchlist_version": self.meta.get("watchlist_version"),
                "watchlist_sha256": self.meta.get("watchlist_sha256"),
                "engine": "dask", "rows": self.rows, "partitions": self.partitions,
                "counts": {v: self.counts.get(v, 0) for v in VERDICTS},
                "seconds": round(self.seconds, 3)}


def _format_of(paths: list[str], fmt: str) -> str:
    if fmt not in ("", "auto"):
        if fmt not in ("parquet", "csv", "tsv"):
            raise InputError(f"the dask engine reads Parquet, CSV or TSV, not {fmt}")
        return fmt
    exts = {p.rsplit(".", 1)[-1].lower() for p in paths}
    if exts <= {"parquet", "pq"}:
        return "parquet"
    if exts <= {"tsv", "tab"}:
        return "tsv"
    if exts <= {"csv", "txt"}:
        return "csv"
    raise InputError(f"cannot tell the input format from the file names ({', '.join(sorted(exts))}); "
                     "give --input-format parquet|csv|tsv")


def _expand(input_path, storage_options: dict | None) -> tuple[list[str], object]:
    import fsspec

    paths = [input_path] if isinstance(input_path, str) else list(input_path)
    fs, _ = fsspec.core.url_to_fs(paths[0], **(storage_options or {}))
    found: list[str] = []
    for p in paths:
        _, root = fsspec.core.url_to_fs(p, **(storage_options or {}))
        if fs.isdir(root):
            hits = [h for h in fs.find(root) if not os.path.basename(h).startswith(("_", "."))]
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


def _read(paths: list[str], fmt: str, fs, storage_options: dict | None):
    import dask.dataframe as dd

    try:
        if fmt == "parquet":
            ddf = dd.read_parquet(paths, storage_options=storage_options, dtype_backend=None)
        else:
            from .readers import sniff_delimiter

            if fmt == "tsv":
                sep = "\t"
            else:
                with fs.open(paths[0] if "://" not in paths[0] else fs._strip_protocol(paths[0]), "rb") as fh:
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
    from .readers import Source, _choose_column

    src = Source(name, "parquet", list(columns), "", 0, "auto")
    _choose_column(src, column, input_type)
    return src.column, src.input_type


def _prepare_output(output: str, storage_options: dict | None):
    """(fs, final root, root to write into). Local: a temporary sibling directory, renamed at the end."""
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
    fs.makedirs(root, exist_ok=True)
    for name in fs.ls(root, detail=False):  # a remote re-run: the old parts go first
        fs.rm(name, recursive=True)
    return fs, root, root, False


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
                storage_options: dict | None = None, hook=None, expected_sha256: str | None = None) -> DaskRun:
    """Screen partitioned Parquet/CSV with Dask into a directory of Parquet parts plus a summary JSON.

    Uses `client` if given, else connects to `scheduler` or starts a LocalCluster (closed at the end).
    `expected_sha256`: the watchlist the caller compiled; any partition screened with another fails the run.
    """
    require_dask()
    import dask

    t0 = time.perf_counter()
    if not isinstance(input_path, str) or "://" not in input_path:
        input_path = os.path.abspath(input_path) if isinstance(input_path, str) else input_path
    config = _absolute(config)
    paths, fs = _expand(input_path, storage_options)
    fmt = _format_of(paths, input_format.lower())
    ddf = _read(paths, fmt, fs, storage_options)
    col, kind = _choose([str(c) for c in ddf.columns], column, input_type.lower(), str(input_path))
    parts = ddf.to_delayed()

    own = cluster = None
    if client is None:
        if not scheduler and config.local_db and kind in ("auto", "cas", "name"):
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
        starts, total = [], 1
        for n in lengths:
            starts.append(total)
            total += n
        tasks = [dask.delayed(_screen_partition, pure=False)(p, i, starts[i], config, col, kind, work,
                                                             storage_options, hook)
                 for i, p in enumerate(parts)]
        try:
            done = client.gather(client.compute(tasks))
        except (PrecheckError, OSError):
            raise
        except Exception as exc:
            raise PrecheckError(f"the dask screen failed: {type(exc).__name__}: {exc}") from None
        run = DaskRun(output=output, partitions=len(parts))
        shas = {d["watchlist_sha256"] for d in done}
        if len(shas) != 1 or (expected_sha256 and shas != {expected_sha256}):
            raise PrecheckError(f"workers screened with different watchlists (sha256 {', '.join(sorted(shas))}"
                                f"{'; expected ' + expected_sha256 if expected_sha256 else ''}); "
                                "install the same precheck and watchlist files on every worker")
        for d in done:
            run.rows += d["rows"]
            for v, n in d["counts"].items():
                run.counts[v] = run.counts.get(v, 0) + n
        if run.rows != total - 1:
            raise PrecheckError(f"row count mismatch: read {total - 1} rows, screened {run.rows}")
        first = done[0] if done else {}
        run.meta = {k: first.get(k) for k in ("tool_version", "watchlist_version", "watchlist_sha256")}
        if not done and expected_sha256:
            run.meta["watchlist_sha256"] = expected_sha256
        run.seconds = time.perf_counter() - t0
        summary = run.summary()
        summary.update({"input": [str(p) for p in paths][:100], "input_files": len(paths), "column": col,
                        "input_type": kind})
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


def _warm_local_db() -> None:
    try:
        from .localdb import LocalDB

        LocalDB()._connect()
    except Exception:  # the workers will report it per row, as the local engine does
        pass


def _absolute(config: ScreenerConfig) -> ScreenerConfig:
    """Local watchlist / resolve-file paths made absolute (a worker's working directory may differ)."""
    from dataclasses import replace

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
        raise click.UsageError("--engine dask reads files (a path, a glob or a URL), not stdin")
    for name, flag in (("report", "--report"), ("audit_log", "--audit-log / PRECHECK_AUDIT_LOG")):
        if opts.get(name):
            raise click.UsageError(f"{flag} is not supported with --engine dask yet; use the local engine")
    require_dask()
    run = screen_dask(input_path, output, config, column=column, input_type=input_type, input_format=input_format,
                      scheduler=scheduler, workers=workers or None, expected_sha256=screener.watchlist.sha256)
    if not opts.get("quiet"):
        click.echo(f"precheck: wrote {run.partitions} Parquet part(s) and {SUMMARY_NAME} to {output}", err=True)
    return run
