"""The one batch pipeline: rows in, batches screened, every sink fed, a run summary out.

Every way precheck screens more than one thing goes through here::

    queries / a file / free text  ->  Batch (rows, queries, cells, results)  ->  sinks  ->  RunSummary

* A *batch* is a chunk of input rows and their results, in input order (`Batch`).
* A *sink* is anything with ``begin(meta)``, ``write_batch(batch)`` and ``end()``: every report
  format (`io.formats`), the HTML report and the audit log (`io.sinks`). A sink that writes a
  file writes it atomically; ``abort()``, when a sink has it, is called instead of ``end()`` when
  the run fails or is interrupted, so no partial file is left.
* `RunSummary` counts the verdicts and says which exit code the run earns.

The local engine (`engines.batch.BatchRunner`) and the Dask engine (`engines.dask_engine`) make
the batches; they differ only in where the screening runs. The public entry points are
`screen_file`, `iter_screen_file`, `scan_text` and `iter_scan_text` (re-exported by the package)
and `Screener.screen` for one query.
"""

from __future__ import annotations

import collections
import contextlib
import operator
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Protocol

from precursor_check import __version__
from precursor_check.errors import ExitCode
from precursor_check.model import Result, Verdict


@dataclass
class Batch:
    """A chunk of input rows and their results, in input order.

    `items` are (row, query, cells) with `cells` aligned with `columns` (the output names of the
    input's own columns); `results[i]` answers `items[i]` but is not yet stamped with its row
    (rows with the same query share one Result). A batch made from results that already carry
    their rows has no items (`Batch.of_results`).
    """

    results: list[Result]
    items: list[tuple[int, str, list]] | None = None
    columns: list[str] = field(default_factory=list)
    input_type: str = "auto"
    tails: list[str | None] | None = None  # CSV/TSV result columns a worker already rendered, per row

    @classmethod
    def of_results(cls, results: list[Result]) -> Batch:
        return cls(results)

    def stamped(self) -> Iterator[Result]:
        """One Result per row, carrying its row number, its input as written and its cells."""
        if self.items is None:
            yield from self.results
            return
        from precursor_check.engines.batch import stamp

        molblock = self.input_type == "molblock"  # report the structure's SMILES, not the molblock
        cols = self.columns
        for (row, q, cells), r in zip(self.items, self.results):
            yield stamp(r, row, r.input if molblock else q, dict(zip(cols, cells)) if cols else {})

    def __len__(self) -> int:
        return len(self.results)


class Sink(Protocol):
    """Where results go. `abort()` (optional) replaces `end()` when the run fails."""

    def begin(self, meta: dict) -> None: ...

    def write_batch(self, batch: Batch) -> None: ...

    def end(self) -> None: ...


ProgressFn = Callable[[int, int | None, int | None], None]  # (rows done, progress done, progress total)
_VERDICT_VALUE = operator.attrgetter("verdict._value_")  # r.verdict.value without the enum property's cost


@dataclass
class RunSummary:
    """What a run did: rows per verdict, time, notes for the user, and the exit code it earns."""

    meta: dict
    counts: dict[str, int] = field(default_factory=dict)  # verdict value -> rows
    rows: int = 0
    seconds: float = 0.0
    cut_off: int = 0  # rows cut off by the time guard
    notes: list[str] = field(default_factory=list)
    empty_is_incomplete: bool = True  # a file with no rows is not a screen (False for free text)
    complete: bool = True  # False: the run stopped early (the reader of the report went away)

    def add(self, results: Iterable[Result]) -> None:
        counts = self.counts
        if not isinstance(results, list):
            results = list(results)
        for v, n in collections.Counter(map(_VERDICT_VALUE, results)).items():  # C loops: ~0.1 µs a row
            counts[v] = counts.get(v, 0) + n
        self.rows += len(results)

    def exit_code(self, fail_on: str | Verdict = Verdict.ANALOG) -> ExitCode:
        """1 for a hit at or above `fail_on`; 3 when something could not be screened (or nothing was); else 0."""
        threshold = Verdict(fail_on).severity
        if any(n and Verdict(v).is_hit and Verdict(v).severity >= threshold for v, n in self.counts.items()):
            return ExitCode.HIT
        if not self.complete:
            return ExitCode.INCOMPLETE
        if self.counts.get(Verdict.UNRESOLVED.value) or self.counts.get(Verdict.INVALID.value):
            return ExitCode.INCOMPLETE
        if self.rows == 0 and self.empty_is_incomplete:
            return ExitCode.INCOMPLETE
        return ExitCode.OK

    def line(self) -> str:
        """The one-line summary the CLI prints on stderr."""
        parts = ", ".join(f"{self.counts[v.value]} {v.value}" for v in Verdict if self.counts.get(v.value))
        rate = f", {self.rows / self.seconds:,.0f} rows/s" if self.seconds > 0 and self.rows >= 1000 else ""
        n = self.rows
        if not n:
            return ("precheck: nothing screened: the input holds no queries" if self.empty_is_incomplete
                    else "precheck: no chemical mention in the text")
        return f"precheck: {n} quer{'y' if n == 1 else 'ies'}: {parts} ({self.seconds:.2f} s{rate})"


def run_meta(watchlist) -> dict:
    """The provenance every output carries: tool version, watchlist version and sha256."""
    return {"tool_version": __version__, "watchlist_version": watchlist.version, "watchlist_sha256": watchlist.sha256}


def feed(batches: Iterable[Batch], sinks: Iterable[Sink], summary: RunSummary) -> RunSummary:
    """Send every batch to every sink in order and count it; sinks are begun here and ended
    (or, on any failure or interrupt, aborted) here.

    A batch is counted before it is written, so that when the reader of a pipe goes away (`| head`)
    the hits found so far still decide the exit code: the summary comes back with
    `complete=False` (exit 1 with a hit, else 3; never 0, "completed, no hit")."""
    sinks = list(sinks)
    t0 = time.perf_counter()
    begun: list = []
    try:
        for s in sinks:
            s.begin(summary.meta)
            begun.append(s)
        for b in batches:
            summary.add(b.results)
            for s in sinks:
                s.write_batch(b)
        for s in sinks:
            s.end()
    except BaseException as exc:
        for s in reversed(begun):
            abort = getattr(s, "abort", None)
            if abort is not None:
                with contextlib.suppress(Exception):
                    abort()
        if not isinstance(exc, BrokenPipeError):
            raise
        close = getattr(batches, "close", None)  # stop the source (workers down, files closed)
        if close is not None:
            with contextlib.suppress(Exception):
                close()
        summary.complete = False
        summary.notes.append(f"the reader of the report went away after {summary.rows} row(s) (a closed pipe); "
                             "the screen did not complete")
    summary.seconds += time.perf_counter() - t0
    return summary


# -- queries -------------------------------------------------------------------------------------------


def screen_queries(queries: Iterable[str], screener, input_type: str | None = None, sinks: Iterable[Sink] = (),
                   batch_size: int = 64) -> RunSummary:
    """Screen query strings in order (the `check`/`cas`/`smiles`/`inchi`/`name` commands)."""
    def batches():
        buf: list[Result] = []
        for r in screener.screen_many(queries, input_type=input_type):
            buf.append(r)
            if len(buf) >= batch_size:
                yield Batch.of_results(buf)
                buf = []
        if buf:
            yield Batch.of_results(buf)

    return feed(batches(), sinks, RunSummary(run_meta(screener.watchlist)))


# -- files ----------------------------------------------------------------------------------------------


def _config(config, screener_options: dict):
    from precursor_check.engines.batch import ScreenerConfig

    if config is None:
        return ScreenerConfig(**screener_options)
    if screener_options:
        return replace(config, **screener_options)
    return config


class FileRun:
    """A file being screened by the local engine: iterate it for batches; `summary` when done.

    Made by `iter_screen_file`; `screen_file` is this plus sinks.
    """

    def __init__(self, path: str, config=None, *, column: str | None = None, input_type: str = "auto",
                 input_format: str = "auto", workers: int | None = None, chunk_size: int | None = None,
                 row_timeout: float | None = None, screener=None, tail=None, quiet: bool = False,
                 **screener_options):
        from precursor_check.engines.batch import (
            DEFAULT_CHUNK,
            DEFAULT_ROW_TIMEOUT,
            BatchRunner,
            output_columns,
        )
        from precursor_check.io.readers import open_input

        from precursor_check.engines import known, known_build  # CAS batches: known chemicals screened once

        self.config = _config(config, screener_options)
        # the store of known chemicals for these options, found without RDKit when it was found before
        # (then the watchlist is the one a store was built with: it loads); else the Screener is built
        # first, which fails fast on a bad watchlist, before the input is read or any worker starts
        quick = known.quick_open(self.config) if screener is None else None
        if quick is None and screener is None:
            screener = self.config.build()
        self.source = open_input(path, column=column, input_type=input_type.lower(), fmt=input_format.lower())
        cas_column = self.source.input_type in ("cas", "auto")
        self.runner = BatchRunner(self.config, input_type=self.source.input_type, workers=workers,
                                  chunk_size=chunk_size or DEFAULT_CHUNK,
                                  row_timeout=DEFAULT_ROW_TIMEOUT if row_timeout is None else row_timeout,
                                  screener=screener, tail=tail)
        if quick is not None and cas_column:
            self.runner.known, (version, sha256) = quick
            meta = {"tool_version": __version__, "watchlist_version": version, "watchlist_sha256": sha256}
        else:
            if quick is not None:
                quick[0].close()
            known_build.prepare(self.config, self.screener, self.source.input_type,
                                known_build.expected_rows(self.source), workers, quiet=quiet)
            if cas_column:
                self.runner.known = known.attach(self.screener)
            meta = run_meta(self.screener.watchlist)
        names = output_columns(self.source.columns)
        self.columns = [names[c] for c in self.source.columns]  # the output names of the input's columns
        self.summary = RunSummary(meta)

    @property
    def screener(self):
        """The Screener (built on first use: a batch answered from the store of known chemicals needs none)."""
        return self.runner.screener()

    @property
    def watchlist(self):
        return self.screener.watchlist

    @property
    def arrow_types(self) -> dict | None:
        """Output column name -> pyarrow type, for a Parquet input (so a Parquet report keeps them)."""
        schema = getattr(self.source, "arrow_schema", None)
        if schema is None:
            return None
        return dict(zip(self.columns, (f.type for f in schema)))

    def batches(self, progress: ProgressFn | None = None, sinks: Iterable[Sink] = ()) -> Iterator[Batch]:
        """The file's batches, in order. `sinks` (already begun): a CSV/TSV sink's renderer lets
        the workers render its result columns in parallel."""
        from precursor_check.io.readers import query_text

        src, idx, width = self.source, self.source.index, len(self.columns)
        renderers = [r for r in (getattr(s, "renderer", None) for s in sinks) if r is not None]
        if len(renderers) == 1 and self.runner.tail is None:
            self.runner.tail = renderers[0]

        read_to: collections.deque = collections.deque()  # (row, input read up to it): progress is rows done
        text = src.format in ("csv", "tsv", "smi")  # cells are str: the query is the cell as it is

        def blocks():  # lists of (row, query, cells); an SDF row also carries its molblock, dropped here
            row = 0
            for block in src.blocks():
                n = len(block)
                queries = [v[idx] for v in block] if text else [query_text(v[idx]) for v in block]
                if set(map(len, block)) != {width}:
                    block = [v if len(v) == width else v[:width] for v in block]
                yield list(zip(range(row + 1, row + n + 1), queries, block))
                row += n
                if progress is not None:
                    read_to.append((row, src.done))

        try:
            with contextlib.closing(self.runner.run_chunks(blocks(), blocks=True)) as chunks:
                for chunk_items, results, tails in chunks:
                    yield Batch(results, chunk_items, self.columns, src.input_type, tails)
                    if progress is not None:  # the consumer has counted the batch by now
                        done_to = None
                        while read_to and read_to[0][0] <= self.summary.rows:
                            done_to = read_to.popleft()[1]
                        if done_to is not None:  # the input read up to the rows done, not the rows handed out
                            progress(self.summary.rows, done_to, src.total)
        finally:
            src.close()
            self.summary.cut_off = self.runner.cut_off
            self.summary.notes = self._notes()

    def _notes(self) -> list[str]:
        src, notes = self.source, []
        if self.runner.cut_off:
            notes.append(f"{self.runner.cut_off} row(s) cut off after {self.runner.row_timeout:g} s each")
        if src.unlisted:
            notes.append("note: SDF data fields not in the first record are not in the output: "
                         + ", ".join(sorted(src.unlisted)[:10]))
        if src.ragged:
            where = (f"column {src.columns[-1]!r}" if src.columns[-1] == "extra_cells" else
                     f"the last column {src.columns[-1]!r}" if not src.extra_dropped else
                     "no column (they came after the first 64 kB and the query is the last column)")
            notes.append(f"note: {src.ragged} row(s) had more cells than the header; the extra cells were kept, "
                         f"joined, in {where}; the query is always the cell under its header")
        return notes

    def __iter__(self) -> Iterator[Result]:
        """The stamped results, one per input row, in order (`summary` is complete afterwards)."""
        t0 = time.perf_counter()
        try:
            for b in self.batches():
                self.summary.add(b.results)
                yield from b.stamped()
        finally:
            self.summary.seconds += time.perf_counter() - t0


def iter_screen_file(path: str, config=None, **kw) -> FileRun:
    """Screen a file lazily: iterate the returned run for one `Result` per input row, in order;
    its `summary` (a `RunSummary`) is complete once the iteration ends.

    >>> run = iter_screen_file("orders.csv", workers=0)           # doctest: +SKIP
    >>> [r.verdict.value for r in run], run.summary.exit_code()   # doctest: +SKIP
    (['controlled', 'clear'], <ExitCode.HIT: 1>)

    Keyword arguments: those of `screen_file`, without `sinks` and `progress`.
    """
    return FileRun(path, config, **kw)


def screen_file(path: str, config=None, *, sinks: Iterable[Sink] = (), progress: ProgressFn | None = None,
                **kw) -> RunSummary:
    """Screen a CSV/TSV/.smi/SDF/Parquet file ('-': stdin) into `sinks`; returns the `RunSummary`.

    `config` is a `ScreenerConfig` (watchlists, threshold, jurisdictions, as_of, resolve_files,
    max_atoms); its fields may also be given as keywords. Other keywords: `column`, `input_type`,
    `input_format`, `workers` (0: in this process), `chunk_size`, `row_timeout`.

    >>> from precursor_check.io.sinks import writer_sink            # doctest: +SKIP
    >>> summary = screen_file("orders.csv", sinks=[writer_sink("jsonl", "out.jsonl")])  # doctest: +SKIP
    >>> summary.counts, summary.exit_code(fail_on="controlled")    # doctest: +SKIP
    ({'controlled': 1, 'clear': 1}, <ExitCode.HIT: 1>)

    On a Dask cluster: `engines.dask_engine.screen_dask_file` (same arguments, plus `output=DIR`).
    """
    sinks = list(sinks)
    run = FileRun(path, config, **kw)
    for s in sinks:
        if hasattr(s, "for_input"):
            s.for_input(run.columns, run.arrow_types)
    return feed(run.batches(progress, sinks), sinks, run.summary)


# -- free text -----------------------------------------------------------------------------------------

TEXT_COLUMNS = ["line", "start", "end", "text", "found_as"]
_LINE_BREAK = re.compile(r"\r\n|\n|\r")  # line breaks only: a form feed (pdftotext's page break) is not a line


def iter_scan_text(text: str, screener=None, **screener_kw) -> Iterator[Result]:
    """Chemical mentions in free text, each screened: one `Result` per mention, in text order.

    Each result's `extra` says where the mention is (`line`, `start`, `end`: 1-based line,
    0-based columns as written), what was found (`text`) and how (`found_as`).
    """
    from precursor_check.engines.screener import Screener
    from precursor_check.identify.textscan import TextScanner

    screener = screener or Screener(**screener_kw)
    lines = _LINE_BREAK.split(text)
    mentions = TextScanner(screener.compiled, screener.resolver.known_cas, screener.resolver).scan(lines)
    seen: dict[tuple[str, str], Result] = {}  # a name repeated through a long text is screened once
    for i, m in enumerate(mentions, start=1):
        key = (m.query, m.input_type)
        if key not in seen:
            seen[key] = screener.screen(m.query, input_type=m.input_type)
        r = replace(seen[key], row=i)
        if m.kind == "partial_cas" and r.top:
            r = replace(r, error=f"partial CAS {m.text!r} matches only {m.query}")
        yield replace(r, extra={"line": m.line, "start": m.start, "end": m.end, "text": m.text, "found_as": m.kind})


def scan_text(text: str, screener=None, *, sinks: Iterable[Sink] = (), **screener_kw) -> RunSummary:
    """Scan free text (a listing, a chat, an e-mail) into `sinks`; returns the `RunSummary`.

    >>> summary = scan_text("CAS79099 powder, NPP in stock")   # doctest: +SKIP
    >>> summary.counts                                          # doctest: +SKIP
    {'controlled': 2}
    """
    from precursor_check.engines.screener import Screener

    screener = screener or Screener(**screener_kw)

    def batches():
        buf: list[Result] = []
        for r in iter_scan_text(text, screener):
            buf.append(r)
            if len(buf) >= 64:
                yield Batch.of_results(buf)
                buf = []
        if buf:
            yield Batch.of_results(buf)

    # a text without a chemical mention is screened; an empty one is not
    return feed(batches(), sinks, RunSummary(run_meta(screener.watchlist), empty_is_incomplete=not text.strip()))
