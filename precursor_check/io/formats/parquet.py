"""Parquet report writer (pyarrow, an optional extra): one row per result, written in row groups.

Columns: the input row's own columns (typed as in the input when it was Parquet, else
strings), then RESULT_COLUMNS with `row` as int64 and `score` as float64. The tool and
watchlist versions are also stored in the file's key-value metadata.
"""

from __future__ import annotations

from typing import IO

from precursor_check.errors import PrecheckError
from precursor_check.io.formats import RESULT_COLUMNS, Writer, flat_record
from precursor_check.model import Result

ROW_GROUP = 50_000


class ParquetWriter(Writer):
    def __init__(self, out: IO, escape_formulas: bool = True, extra_columns: list[str] | None = None,
                 extra_types: dict | None = None):
        super().__init__(out, escape_formulas=False, extra_columns=extra_columns)  # not a spreadsheet format
        self.extra_types = extra_types or {}

    def begin(self, meta: dict) -> None:
        super().begin(meta)
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise PrecheckError("Parquet output needs pyarrow: pip install 'precursor-check[parquet]'") from None
        self.pa = pa
        raw = getattr(self.out, "buffer", self.out)
        if hasattr(self.out, "flush"):
            self.out.flush()
        if getattr(raw, "isatty", lambda: False)():
            raise PrecheckError("refusing to write Parquet to a terminal; use -o FILE.parquet")
        extra = [c for c in self.extra_columns if c not in RESULT_COLUMNS]
        fields = [pa.field(c, self.extra_types.get(c, pa.string())) for c in extra]
        typed = {"row": pa.int64(), "score": pa.float64()}
        fields += [pa.field(c, typed.get(c, pa.string())) for c in RESULT_COLUMNS]
        self.schema = pa.schema(fields, metadata={k: str(v) for k, v in meta.items()})
        self.extra = extra
        self.buf: dict[str, list] = {f.name: [] for f in fields}
        self.n = 0
        self.sink = pa.PythonFile(raw, mode="w")
        self.pq = pq.ParquetWriter(self.sink, self.schema, compression="zstd")

    def write(self, r: Result) -> None:
        rec = flat_record(r, self.meta)
        rec["score"] = float(rec["score"]) if rec["score"] != "" else None
        extra = r.extra or {}
        buf = self.buf
        for c in self.extra:
            v = extra.get(c)
            buf[c].append(v if v is None or c in self.extra_types else str(v))
        for c in RESULT_COLUMNS:
            buf[c].append(rec[c])
        self.n += 1
        if self.n >= ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        if self.n:
            self.pq.write_table(self.pa.Table.from_pydict(self.buf, schema=self.schema))
            for v in self.buf.values():
                v.clear()
            self.n = 0

    def end(self) -> None:
        self._flush()
        self.pq.close()
        self.sink.flush()
