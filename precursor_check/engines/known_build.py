"""Building the store of known chemicals (engines/known.py): every CAS number of the offline
sources screened through the batch engine, ahead of time (`build`, what an `index build`
command calls) or on the first large CAS batch (`prepare`, with progress on stderr)."""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from pathlib import Path

from precursor_check.engines.known import all_cas, describe, digest, encode, path_for, remember

BYTES_PER_ROW = 16  # for `expected_rows`
LAZY_MIN_ROWS = 20_000  # a CAS batch at least this long builds the store on first use
KEEP = 6  # stores kept in the cache directory (the least recently used are removed)
_UNSTABLE = ("cut off:", "could not screen this row:")  # a time limit or a crash: screened live instead


def build(config, screener=None, workers: int | None = None, progress=None, force: bool = False) -> Path | None:
    """Screen every CAS number of the offline sources for `config` (an engines.batch.ScreenerConfig)
    and store the results; the store's path (None without a local table).

    `progress(done, total)` is called as rows complete. Workers as for `precheck screen`
    (None: all cores; 0: in this process). Safe to race: the store appears atomically.
    """
    from precursor_check import __version__
    from precursor_check.engines.batch import BatchRunner
    from precursor_check.io.formats.batchcsv import TailRenderer
    from precursor_check.resources import replacing

    screener = screener if screener is not None else config.build()
    path = path_for(screener)
    if path is None:
        return None
    if path.exists():
        if not force:
            remember(config, screener, path)
            return path
        path.unlink()  # readers that have it open keep their copy; new ones screen live until it is back
    screener.known = None
    screener.__dict__["_known_tried"] = True
    cas = all_cas(screener)
    path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with replacing(path, prefix=".build-known-", suffix=".sqlite") as tmp:
        conn = sqlite3.connect(tmp)
        try:
            conn.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                               "CREATE TABLE known (cas TEXT PRIMARY KEY, verdict TEXT, tail TEXT, blob BLOB) "
                               "WITHOUT ROWID; CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);")
            # each result's CSV columns as a CSV report writes them (the default: comma, formulas
            # neutralised), so that a CSV batch answered from the store renders nothing
            # (the meta cells as pipeline.run_meta gives them; `csv_suffix` lets a run check they match)
            wl = screener.compiled.watchlist
            tail = TailRenderer(",", True, {"tool_version": __version__, "watchlist_version": wl.version,
                                            "watchlist_sha256": wl.sha256})
            # the screeners that build the store screen live (it does not exist yet under this name)
            runner = BatchRunner(config, input_type="cas", workers=workers, cache_size=0, screener=screener)
            rows, skipped = [], 0
            for i, r in enumerate(runner.run((n, c, None) for n, c in enumerate(cas, start=1))):
                if r.error and r.error.startswith(_UNSTABLE):
                    skipped += 1
                else:
                    rows.append((cas[i], r.verdict.value, tail(r), encode(r)))
                if len(rows) >= 5000:
                    conn.executemany("INSERT INTO known VALUES (?, ?, ?, ?)", rows)
                    rows = []
                if progress is not None:
                    progress(i + 1, len(cas))
            conn.executemany("INSERT INTO known VALUES (?, ?, ?, ?)", rows)
            meta = [*describe(screener), ("digest", digest(screener)), ("rows", str(len(cas) - skipped)),
                    ("screened live (cut off or failed)", str(skipped)), ("csv tail suffix", tail.suffix),
                    ("built", time.strftime("%Y-%m-%dT%H:%M:%S%z")), ("seconds", f"{time.perf_counter() - t0:.1f}")]
            conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta)
            conn.commit()
        finally:
            conn.close()
    _prune(path)
    remember(config, screener, path)
    return path


def _prune(keep: Path) -> None:
    """Remove the least recently used stores beyond KEEP (each option set has its own), and the
    leftovers of builds killed a day or more ago."""
    try:
        stores = sorted(keep.parent.glob("known-*.sqlite"), key=lambda p: p.stat().st_mtime, reverse=True)
        stale = [p for p in keep.parent.glob(".build-known-*") if p.stat().st_mtime < time.time() - 86400]
        for p in [s for s in stores if s != keep][KEEP - 1:] + stale:
            p.unlink()
    except OSError:
        pass


def expected_rows(src) -> int | None:
    """Rows an input (io.readers.Source) is expected to hold: Parquet knows; a text file is guessed
    from its size at BYTES_PER_ROW (a CAS number and a few short cells); None for stdin."""
    if src.total is None:
        return None
    return src.total if src.format == "parquet" else src.total // BYTES_PER_ROW


def prepare(config, screener, input_type: str, expected: int | None, workers: int | None = None,
            quiet: bool = False) -> Path | None:
    """At the start of a batch: the store for its options, built first if the batch is a CAS column
    of at least LAZY_MIN_ROWS rows (`expected`) and none exists yet, with progress on stderr."""
    if input_type not in ("cas", "auto"):
        return None
    path = path_for(screener)
    if path is None:
        return None
    if path.exists():
        try:
            os.utime(path)  # recently used: kept by _prune
        except OSError:
            pass
        remember(config, screener, path)  # the next batch with these options finds it without RDKit
        return path
    if input_type != "cas" or expected is None or expected < LAZY_MIN_ROWS:
        return None
    return announced(config, screener, workers, quiet=quiet)


def announced(config, screener=None, workers: int | None = None, quiet: bool = False, force: bool = False,
              why: str = "first CAS batch with this watchlist and these options") -> Path | None:
    """`build`, with progress on stderr (a bar on a terminal, else a line before and after)."""
    screener = screener if screener is not None else config.build()
    path = path_for(screener)
    if path is None or (path.exists() and not force):
        return path
    show = _Progress(len(all_cas(screener)), quiet, why)
    try:
        return build(config, screener, workers=workers, progress=show.update, force=force)
    finally:
        show.close()


class _Progress:
    """A progress bar on a terminal, otherwise one line before and one after."""

    def __init__(self, total: int, quiet: bool, why: str):
        self.total, self.quiet, self.t0, self.bar = total, quiet, time.perf_counter(), None
        if quiet:
            return
        msg = (f"precheck: {why}: screening the {total:,} chemicals of the offline sources once "
               "(about a minute per 2 cores); later CAS batches look them up")
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            console = Console(stderr=True)
            console.print(msg, markup=False, highlight=False)
            self.bar = Progress(TextColumn("known chemicals"), BarColumn(), MofNCompleteColumn(),
                                TimeRemainingColumn(), console=console, transient=True)
            self.bar.start()
            self.task = self.bar.add_task("known", total=total)
        else:
            print(msg, file=sys.stderr, flush=True)

    def update(self, done: int, total: int) -> None:
        if self.bar is not None and (done % 500 == 0 or done == total):
            self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
        if not self.quiet:
            print(f"precheck: known chemicals screened in {time.perf_counter() - self.t0:.0f} s", file=sys.stderr,
                  flush=True)
