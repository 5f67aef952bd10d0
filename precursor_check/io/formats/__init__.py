"""Report formats behind one interface: begin(meta) / write(result) or write_batch(batch) / end().

Machine formats (json, jsonl, csv, tsv) always print, even with zero hits, and carry
the tool version and the watchlist version and sha256.
"""

from __future__ import annotations

import csv
import io
import json
from enum import Enum
from typing import IO

from precursor_check.model import Result


class Format(str, Enum):
    TABLE = "table"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"
    TSV = "tsv"
    PARQUET = "parquet"  # needs pyarrow (the `parquet` extra); see formats/parquet.py

    def __str__(self) -> str:
        return self.value


# The csv module quotes a field that holds a character of its line terminator; with "\n" alone a
# bare carriage return stays unquoted, and a spreadsheet starts a new row there ("x\r=1+1" would
# smuggle a formula past neutralisation). Lines are built with "\r\n" and written ending in "\n".
QUOTING_TERMINATOR = "\r\n"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: str) -> str:
    """OWASP CSV-injection defence: a text cell starting with = + - @ TAB or CR gets a leading quote.

    >>> neutralise_cell("=HYPERLINK(1)"), neutralise_cell("79099-07-3")
    ("'=HYPERLINK(1)", '79099-07-3')
    """
    return "'" + value if value and value.startswith(FORMULA_PREFIXES) else value


RESULT_COLUMNS = [
    "row", "input", "input_type", "verdict", "hit_id", "hit_name", "hit_cas", "match", "score", "lists",
    "reason", "smiles", "inchikey", "source", "error", "tool_version", "watchlist_version", "watchlist_sha256",
]


def flat_record(r: Result, meta: dict) -> dict:
    """One flat row per result (the top counted hit) for CSV/TSV/Parquet."""
    top = r.top
    return {
        "row": r.row,
        "input": r.input,
        "input_type": r.input_type,
        "verdict": r.verdict.value,
        "hit_id": top.id if top else "",
        "hit_name": top.name if top else "",
        "hit_cas": (top.cas or "") if top else "",
        "match": top.match.value if top else "",
        "score": "" if not top or top.score is None else f"{top.score:.3f}",
        "lists": "; ".join(lst.label() for lst in top.lists) if top else "",
        "reason": r.reason(),
        "smiles": r.smiles or "",
        "inchikey": r.inchikey or "",
        "source": r.source or "",
        "error": r.error or "",
        "tool_version": meta["tool_version"],
        "watchlist_version": meta["watchlist_version"],
        "watchlist_sha256": meta["watchlist_sha256"],
    }


_JSON_PLAIN = (str, int, bool, type(None))


def json_value(v):
    """An input cell as JSON can hold it: Parquet dates, times and timestamps as ISO 8601 text,
    durations as seconds, decimals as text (no precision lost), bytes as UTF-8 text (else
    'base64:...'), NaN and infinities as null (they are not JSON), lists and structs recursively.

    >>> import datetime, decimal
    >>> [json_value(x) for x in (datetime.date(2024, 1, 2), decimal.Decimal("1.50"), b"\\xff", float("nan"))]
    ['2024-01-02', '1.50', 'base64:/w==', None]
    """
    if isinstance(v, _JSON_PLAIN):
        return v
    if isinstance(v, float):
        return v if v == v and v not in (float("inf"), float("-inf")) else None
    if isinstance(v, (bytes, bytearray, memoryview)):
        b = bytes(v)
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError:
            import base64

            return "base64:" + base64.b64encode(b).decode("ascii")
    if isinstance(v, dict):
        return {str(k): json_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_value(x) for x in v]
    import datetime

    if isinstance(v, datetime.timedelta):
        return v.total_seconds()
    if hasattr(v, "isoformat"):  # date, datetime, time (pandas Timestamp too)
        return v.isoformat()
    return str(v)  # Decimal and anything else: its exact text


def json_record(r: Result, meta: dict) -> dict:
    d = {k: json_value(v) for k, v in r.extra.items()} if r.extra else {}
    d.update(r.to_dict())
    d.update(meta)
    return d


class Writer:
    def __init__(self, out: IO[str], escape_formulas: bool = True, extra_columns: list[str] | None = None):
        self.out = out
        self.escape = escape_formulas
        self.extra_columns = extra_columns or []

    def begin(self, meta: dict) -> None:
        self.meta = meta

    def write(self, r: Result) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def write_batch(self, batch) -> None:
        """A batch of the pipeline (`engines.pipeline.Batch`): each row's stamped result, in order."""
        for r in batch.stamped():
            self.write(r)

    def end(self) -> None:
        pass


class JsonlWriter(Writer):
    def write(self, r: Result) -> None:
        self.out.write(json.dumps(json_record(r, self.meta), ensure_ascii=False) + "\n")


class JsonWriter(Writer):
    def begin(self, meta: dict) -> None:
        super().begin(meta)
        self.out.write('{"meta": ' + json.dumps(meta) + ', "results": [')
        self.first = True

    def write(self, r: Result) -> None:
        self.out.write(("\n  " if self.first else ",\n  ") + json.dumps(json_record(r, {}), ensure_ascii=False))
        self.first = False

    def end(self) -> None:
        self.out.write("\n]}\n")


class CsvWriter(Writer):
    delimiter = ","

    def begin(self, meta: dict) -> None:
        super().begin(meta)
        cols = [c for c in self.extra_columns if c not in RESULT_COLUMNS] + RESULT_COLUMNS
        self.cols = cols
        self.buf = io.StringIO()
        self.w = csv.DictWriter(self.buf, fieldnames=cols, delimiter=self.delimiter, extrasaction="ignore",
                                lineterminator=QUOTING_TERMINATOR)
        # the header too: a column named '=HYPERLINK(...)' in the input is a formula in a spreadsheet
        self.w.writerow({c: neutralise_cell(c) if self.escape else c for c in cols})
        self._put_line()

    def write(self, r: Result) -> None:
        rec = {**(r.extra or {}), **flat_record(r, self.meta)}
        if self.escape:
            rec = {k: neutralise_cell(v) if isinstance(v, str) else v for k, v in rec.items()}
        self.w.writerow(rec)
        self._put_line()

    def _put_line(self) -> None:
        """Write the buffered line, ending in "\n" (see QUOTING_TERMINATOR)."""
        self.out.write(self.buf.getvalue()[:-2] + "\n")
        self.buf.seek(0)
        self.buf.truncate()


class TsvWriter(CsvWriter):
    delimiter = "\t"


class TableWriter(Writer):
    """Human table (rich); collects rows and prints at the end."""

    def begin(self, meta: dict) -> None:
        super().begin(meta)
        self.rows: list[Result] = []

    def write(self, r: Result) -> None:
        self.rows.append(r)

    def end(self) -> None:
        from precursor_check.io.formats.table import render_table

        render_table(self.rows, self.meta, self.out)


WRITERS = {
    Format.TABLE: TableWriter,
    Format.JSON: JsonWriter,
    Format.JSONL: JsonlWriter,
    Format.CSV: CsvWriter,
    Format.TSV: TsvWriter,
}


def make_writer(fmt: Format, out: IO[str], **kw) -> Writer:
    if fmt == Format.PARQUET:
        from precursor_check.io.formats.parquet import ParquetWriter

        return ParquetWriter(out, **kw)
    kw.pop("extra_types", None)  # only meaningful for Parquet
    return WRITERS[fmt](out, **kw)
