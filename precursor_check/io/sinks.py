"""Sinks: where a run's results go. Each has ``begin(meta)``, ``write_batch(batch)``, ``end()``, ``abort()``.

* `WriterSink` - a report format (table, json, jsonl, csv, tsv, parquet) to stdout or a file
  written atomically (it appears only when the run completes);
* `HtmlSink` - the self-contained HTML report, also atomic;
* `AuditSink` - the append-only audit log (lines already screened are kept even when the run
  fails: they record what was screened).

`engines.pipeline.feed` drives them; a library user can pass any object with the same methods.
"""

from __future__ import annotations

import contextlib

from precursor_check.io.atomic import open_output
from precursor_check.io.formats import Format


class _AtomicFile:
    """An output opened on begin, committed on end, discarded on abort (stdout when path is None or '-')."""

    def __init__(self, path: str | None, binary: bool = False):
        self.path, self.binary = path, binary
        self._cm = None

    def open(self):
        self._cm = open_output(self.path, binary=self.binary)
        return self._cm.__enter__()

    def commit(self) -> None:
        cm, self._cm = self._cm, None
        if cm is not None:
            cm.__exit__(None, None, None)

    def discard(self) -> None:
        cm, self._cm = self._cm, None
        if cm is not None:
            with contextlib.suppress(BaseException):
                cm.__exit__(KeyboardInterrupt, KeyboardInterrupt(), None)


class WriterSink:
    """A report format written to `path` (atomically) or stdout."""

    def __init__(self, fmt: Format | str, path: str | None = None, *, escape_formulas: bool = True,
                 extra_columns: list[str] | None = None, extra_types: dict | None = None, batch: bool = True):
        self.fmt = Format(fmt.lower() if isinstance(fmt, str) else fmt)
        self.file = _AtomicFile(path, binary=self.fmt == Format.PARQUET)
        self.kw = {"escape_formulas": escape_formulas, "extra_columns": extra_columns or []}
        if extra_types:
            self.kw["extra_types"] = extra_types
        self.batch = batch  # CSV/TSV: the batch writer (result columns rendered once per distinct query)
        self.writer = None

    def for_input(self, columns: list[str], types: dict | None) -> None:
        """Called by `screen_file` before `begin`: the input's own columns (and Parquet types) lead
        the report unless the caller chose them."""
        if not self.kw["extra_columns"]:
            self.kw["extra_columns"] = list(columns)
        if types and self.fmt == Format.PARQUET and "extra_types" not in self.kw:
            self.kw["extra_types"] = types

    @property
    def renderer(self):
        """The CSV/TSV result-column renderer that pool workers may run (None for other formats)."""
        return getattr(self.writer, "renderer", None)

    def begin(self, meta: dict) -> None:
        from precursor_check.io.formats import make_writer
        from precursor_check.io.formats.batchcsv import batch_writer

        out = self.file.open()
        self.writer = (batch_writer if self.batch else make_writer)(self.fmt, out, **self.kw)
        self.writer.begin(meta)

    def write_batch(self, batch) -> None:
        self.writer.write_batch(batch)

    def end(self) -> None:
        self.writer.end()
        self.file.commit()

    def abort(self) -> None:
        self.file.discard()


def writer_sink(fmt: Format | str, path: str | None = None, **kw) -> WriterSink:
    """A report in format `fmt` ('jsonl', 'csv', ...) written to `path` (None or '-': stdout)."""
    return WriterSink(fmt, path, **kw)


class HtmlSink:
    """The self-contained HTML report (see `io.formats.html`), written atomically to `path`."""

    def __init__(self, path: str, watchlist, **kw):
        self.file = _AtomicFile(path)
        self.watchlist, self.kw = watchlist, kw
        self.report = None

    def begin(self, meta: dict) -> None:
        from precursor_check.io.formats.html import HtmlReport

        self.report = HtmlReport(self.file.open(), self.watchlist, **self.kw)
        self.report.begin(meta)

    def write_batch(self, batch) -> None:
        for r in batch.stamped():
            self.report.add(r.to_dict())

    def end(self) -> None:
        self.report.end()
        self.file.commit()

    def abort(self) -> None:
        self.file.discard()


class AuditSink:
    """One JSON line per screened row appended to the audit log at `path` (see `io.audit`)."""

    def __init__(self, path: str):
        self.path = path
        self.log = None

    def begin(self, meta: dict) -> None:
        from precursor_check.io.audit import AuditLog

        self.log = AuditLog(self.path, meta)

    def write_batch(self, batch) -> None:
        for r in batch.stamped():
            self.log.add(r)

    def end(self) -> None:
        if self.log is not None:
            self.log.close()

    abort = end  # what was screened is logged, even when the run did not complete
