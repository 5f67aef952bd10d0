"""CSV/TSV output for batches: byte-identical to `CsvWriter`, at a few microseconds a row.

A batch repeats itself: a catalogue lists one CAS number in many pack sizes, and most
rows have no hit. So the result columns of a row (its "tail") are rendered once per
distinct query, by a pool worker in parallel (`TailRenderer` is picklable) or here, and a
chunk of rows is checked for anything that needs quoting or neutralising with one regex
over the whole chunk; only a chunk that fails the check is written cell by cell through
the csv module.
"""

from __future__ import annotations

import csv
import io
import re

from precursor_check.io.formats import (
    FORMULA_PREFIXES,
    QUOTING_TERMINATOR,
    RESULT_COLUMNS,
    CsvWriter,
    flat_record,
    neutralise_cell,
)
from precursor_check.model import Result


def batch_writer(fmt, out, **kw):
    """`formats.make_writer`, with the CSV/TSV writers swapped for `BatchCsvWriter`."""
    from precursor_check.io.formats import Format, make_writer

    if fmt in (Format.CSV, Format.TSV):
        kw.pop("extra_types", None)
        w = BatchCsvWriter(out, **kw)
        w.delimiter = "\t" if fmt == Format.TSV else ","
        return w
    return make_writer(fmt, out, **kw)


class TailRenderer:
    """The result columns of a CSV/TSV row after `row,input` (verdict ... watchlist_sha256), rendered
    and neutralised exactly as `CsvWriter` writes them. Picklable: pool workers render tails in
    parallel and the parent only joins lines."""

    COLUMNS = RESULT_COLUMNS[2:]

    def __init__(self, delimiter: str, escape: bool, meta: dict):
        self.delimiter, self.escape, self.meta = delimiter, escape, meta
        self.__setstate__(self.__getstate__())

    def __getstate__(self):
        return self.delimiter, self.escape, self.meta

    def __setstate__(self, state) -> None:
        self.delimiter, self.escape, self.meta = state
        self.buf = io.StringIO()
        # the same quoting as CsvWriter (see QUOTING_TERMINATOR)
        self.cw = csv.writer(self.buf, delimiter=self.delimiter, lineterminator=QUOTING_TERMINATOR)
        self.special = re.compile(f'[{re.escape(self.delimiter)}"\n\r]')  # a cell with one of these is quoted
        meta = [self.meta[c] for c in self.COLUMNS[-3:]]
        self.suffix = self.render([neutralise_cell(v) if self.escape and isinstance(v, str) else v for v in meta])

    def render(self, values: list) -> str:
        """One CSV line fragment exactly as csv.writer would write these fields."""
        buf = self.buf
        buf.seek(0)
        buf.truncate()
        self.cw.writerow(values)
        return buf.getvalue()[:-2]

    def __call__(self, r: Result) -> str:
        if not r.hits and r.error is None:  # most rows: five text cells, seven empty ones and the meta
            cells = (r.input_type, r.verdict.value, r.smiles or "", r.inchikey or "", r.source or "")
            if not self.special.search("".join(cells)) and not (
                    self.escape and any(c.startswith(FORMULA_PREFIXES) for c in cells)):
                d = self.delimiter
                return d.join((*cells[:2], "", "", "", "", "", "", "", *cells[2:], "", self.suffix))
        rec = flat_record(r, self.meta)
        vals = [rec[c] for c in self.COLUMNS]
        if self.escape:
            vals = [neutralise_cell(v) if isinstance(v, str) else v for v in vals]
        return self.render(vals)


class BatchCsvWriter(CsvWriter):
    """CSV/TSV writer for batches; output is byte-identical to `CsvWriter`.

    `write(result)` takes a Result stamped with its row (as `CsvWriter`); `write_chunk(rows,
    results)` takes a chunk of (row number, input, cell values aligned with `extra_columns`)
    and the chunk's results, unstamped (rows with the same query share one Result).
    """

    TAILS = 20_000  # rendered tails kept for repeated queries when no worker renders them

    def begin(self, meta: dict) -> None:
        super().begin(meta)
        self.fast = RESULT_COLUMNS[:2] == ["row", "input"]
        self.head_cols = [c for c in self.cols if c not in RESULT_COLUMNS]
        # write_chunk's values are aligned with extra_columns; these are the ones written
        self.keep = None if self.head_cols == self.extra_columns else [
            i for i, c in enumerate(self.extra_columns) if c not in RESULT_COLUMNS]
        self.tails: dict = {}
        self.renderer = TailRenderer(self.delimiter, self.escape, meta)
        # a line needs the csv module when a cell holds a quote or a line break, or (escaping) a cell
        # starts with a formula character (at the line start or after a delimiter); a cell holding
        # the delimiter shows in the count of delimiters
        self.needles = ('"', "\n", "\r")
        self.starts: tuple[str, ...] = ()
        if self.escape:
            self.needles += tuple(self.delimiter + p for p in FORMULA_PREFIXES)
            self.starts = FORMULA_PREFIXES
        self.lines: list[str] = []  # written in blocks: one write per line costs more than the line

    def _plain(self, line: str, cells: int) -> bool:
        """True if these cells, joined, can be written as they are (what csv.writer would write)."""
        return (line.count(self.delimiter) == cells - 1 and not line.startswith(self.starts)
                and not any(n in line for n in self.needles))

    def _tail(self, r: Result, key, tail: str | None = None) -> str:
        """The rendered result columns: from the worker, or rendered here once per distinct query."""
        if tail is None:
            tail = self.tails.get(key)
            if tail is None:
                tail = self.renderer(r)
                if len(self.tails) >= self.TAILS:
                    self.tails.clear()
                self.tails[key] = tail
        return tail

    def _head(self, head: list) -> str:
        """`head` cells as csv.writer writes them (the slow path: quoting, neutralising, non-text cells)."""
        if self.escape:
            head = [neutralise_cell(v) if isinstance(v, str) else v for v in head]
        return self.renderer.render(head)

    def write(self, r: Result) -> None:
        """One stamped result (SDF rows, results without their cells): exactly as `CsvWriter` writes it."""
        self._flush()
        super().write(r)

    def write_batch(self, batch) -> None:
        """A pipeline batch: a chunk at a time when its rows carry their cells, else row by row."""
        if self.fast and batch.items is not None and batch.input_type != "molblock":
            self.write_chunk(batch.items, batch.results, batch.tails)
        else:
            super().write_batch(batch)

    def write_chunk(self, rows: list[tuple[int, str, list]], results: list[Result],
                    rendered: list[str | None] | None = None) -> None:
        """A chunk of rows: one join and one regex decide whether every line can be written as is."""
        if not self.fast:
            raise TypeError("write_chunk needs the row and input columns first among the result columns")
        d = self.delimiter
        keep = self.keep
        if keep is not None:
            rows = [(row, q, [v[i] for i in keep]) for row, q, v in rows]
        if rendered is None:
            tails = [self._tail(r, q) for (_, q, _), r in zip(rows, results)]
        elif None in rendered:
            tails = [self._tail(r, q, t) for (_, q, _), r, t in zip(rows, results, rendered)]
        else:  # every row's result columns rendered already (by a worker, or stored with the result)
            tails = rendered
        heads = None
        try:
            heads = [f"{d.join(v)}{d}{row}{d}{q}" for row, q, v in rows]
            block = d.join(heads)  # every cell of the chunk: a row's first cell follows a delimiter too
            if not self._plain(block, len(rows) * (len(self.head_cols) + 2)):
                heads = None
        except TypeError:  # a non-text cell (Parquet numbers, None)
            pass
        if heads is None:  # some line needs the csv module: decide line by line, as write() does
            heads = []
            for row, q, v in rows:
                head = [*v, str(row), q]
                try:
                    line = d.join(head)
                    if self._plain(line, len(head)):
                        heads.append(line)
                        continue
                except TypeError:
                    pass
                heads.append(self._head(head))
        self._flush()
        self.out.write("".join([f"{h}{d}{t}\n" for h, t in zip(heads, tails)]))

    def _flush(self) -> None:
        if self.lines:
            self.out.write("".join(self.lines))
            self.lines.clear()

    def end(self) -> None:
        self._flush()
        super().end()
