"""Batch input readers: CSV/TSV (delimiter sniffed), .smi, SDF, Parquet and stdin.

Every reader streams: rows come out one at a time (Parquet in record batches), so
memory stays flat however large the file. A reader is opened with `open_input()`,
which also decides the query column and the query type:

>>> src = open_input("orders.csv")            # doctest: +SKIP
>>> src.columns, src.column, src.input_type   # doctest: +SKIP
(['order', 'CAS RN', 'qty'], 'CAS RN', 'cas')
>>> for values in src.rows(): ...             # doctest: +SKIP

`rows()` yields one list of cell values per input row, aligned with `columns`; the
query is `values[src.index]`. Readers raise `InputError` (exit code 3) with a message
that names the file and, for bad bytes, the row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from precursor_check.errors import InputError, UsageError

INPUT_FORMATS = ("auto", "csv", "tsv", "smi", "sdf", "parquet")

# header (lower-cased, spaces/dots/dashes -> '_') -> the query type it implies; first match wins
COLUMN_HINTS: tuple[tuple[str, str], ...] = (
    ("cas", "cas"), ("cas_number", "cas"), ("cas_no", "cas"), ("cas_rn", "cas"), ("casrn", "cas"),
    ("cas_registry_number", "cas"), ("casno", "cas"), ("cas_num", "cas"),
    ("smiles", "smiles"), ("canonical_smiles", "smiles"), ("isomeric_smiles", "smiles"), ("structure", "smiles"),
    ("inchi", "inchi"), ("std_inchi", "inchi"), ("inchikey", "inchikey"), ("inchi_key", "inchikey"),
    ("name", "auto"), ("chemical_name", "auto"), ("chemical", "auto"), ("substance", "auto"),
    ("product", "auto"), ("product_name", "auto"), ("compound", "auto"), ("compound_name", "auto"),
    ("query", "auto"), ("identifier", "auto"), ("description", "auto"),
)
SNIFF_BYTES = 64 * 1024


def header_key(name: str) -> str:
    """'CAS RN' -> 'cas_rn', 'Cas-Number' -> 'cas_number'."""
    out = name.strip().lower().lstrip("\ufeff")
    for ch in " .-/#":
        out = out.replace(ch, "_")
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_")


def detect_column(columns: list[str]) -> tuple[str, str] | None:
    """(column, implied query type) from common headers, or None.

    >>> detect_column(["order", "CAS RN", "qty"])
    ('CAS RN', 'cas')
    >>> detect_column(["id", "Product Name"])
    ('Product Name', 'auto')
    """
    keys = {header_key(c): c for c in reversed(columns)}
    for key, kind in COLUMN_HINTS:
        if key in keys:
            return keys[key], kind
    return None


@dataclass
class Source:
    """An opened input: its columns, the query column and a row stream."""

    name: str  # file name for messages ('<stdin>')
    format: str  # csv | tsv | smi | sdf | parquet
    columns: list[str]
    column: str  # the query column ('' for SDF molblocks)
    index: int  # position of the query in each row; -1: the SDF molblock (see `query_of`)
    input_type: str  # auto | cas | smiles | inchi | inchikey | name | molblock
    total: int | None = None  # for progress: bytes (text formats) or rows (parquet)
    done: int = 0  # progress so far, in the same unit as total
    ragged: int = 0  # rows with more (non-empty) cells than the header
    extra_dropped: int = 0  # of those, rows whose extra cells had no column to go in (see _delimited)
    unlisted: set = field(default_factory=set)  # SDF data fields that are not in the first record (not output)
    _rows: Iterator[list] | None = field(default=None, repr=False)
    _blocks: Iterator[list[list]] | None = field(default=None, repr=False)  # rows a block at a time
    _close: object = field(default=None, repr=False)

    def rows(self) -> Iterator[list]:
        """Each input row as a list of values aligned with `columns` (plus the molblock for SDF)."""
        try:
            if self._rows is not None:
                yield from self._rows
            else:
                for block in self._blocks:
                    yield from block
        finally:
            self.close()

    def blocks(self, size: int = 4096) -> Iterator[list[list]]:
        """The rows of `rows()` in lists (a CSV/TSV file is split a block of bytes at a time, with
        the csv module only where a block holds a quote, a carriage return or a NUL)."""
        try:
            if self._blocks is not None:
                yield from self._blocks
                return
            yield from grouped(self._rows, size)
        finally:
            self.close()

    def close(self) -> None:
        if self._close is not None:
            try:
                self._close()
            except Exception:
                pass
            self._close = None


def _pick(path: str, fmt: str, head: bytes) -> str:
    if fmt != "auto":
        return fmt
    suffix = Path(path).suffix.lower() if path != "-" else ""
    if suffix == ".gz":
        raise InputError(f"{path}: compressed input is not supported; decompress it and pipe it in: "
                         f"zcat {path} | precheck screen -")
    by_ext = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "csv", ".smi": "smi", ".smiles": "smi",
              ".sdf": "sdf", ".sd": "sdf", ".mol": "sdf", ".parquet": "parquet", ".pq": "parquet"}
    if suffix in by_ext:
        return by_ext[suffix]
    if head.startswith(b"PAR1"):
        return "parquet"
    if b"\nM  END" in head or b"$$$$" in head:
        return "sdf"
    return "csv"


def open_input(path: str, column: str | None = None, input_type: str = "auto", fmt: str = "auto",
               stdin: IO[bytes] | None = None) -> Source:
    """Open a batch input ('-' is stdin) and decide the query column and type.

    `column` is a header name or a 1-based column number; `input_type` other than
    'auto' overrides the type implied by the column header.
    """
    if path == "-":
        if stdin is not None:
            raw = stdin
        else:
            from precursor_check.io.atomic import stdin_buffer

            raw = stdin_buffer()
        name, total, close = "<stdin>", None, None
    else:
        p = Path(path)
        try:
            raw = open(p, "rb")  # noqa: SIM115 - closed by Source.close
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror}") from None
        if p.is_dir():
            raw.close()
            raise InputError(f"{path} is a directory")
        name, total, close = str(path), p.stat().st_size, raw.close
    return open_stream(raw, name, column=column, input_type=input_type, fmt=fmt, total=total, close=close,
                       path=path)


def open_stream(raw: IO[bytes], name: str, column: str | None = None, input_type: str = "auto", fmt: str = "auto",
                total: int | None = None, close=None, path: str | None = None) -> Source:
    """`open_input` on an already open binary stream (a local file, stdin, or an fsspec file that
    the Dask engine opened on a worker): the one place where every input format is read."""
    path = name if path is None else path
    raw = raw if hasattr(raw, "peek") else io.BufferedReader(raw)
    head = raw.peek(SNIFF_BYTES)[:SNIFF_BYTES]
    kind = _pick(path, fmt, head)
    if kind in ("csv", "tsv", "smi"):
        _check_utf8(name, head)  # before any output: a header on stdout, then an error, looks like a result
    try:
        if kind == "parquet":
            if path == "-":
                raise InputError("Parquet cannot be read from stdin (it needs seeking); give the file name")
            src = _parquet(name, raw)
        elif kind == "sdf":
            src = _sdf(name, raw)
        elif kind == "smi":
            src = _smi(name, raw)
        else:
            src = _delimited(name, raw, head, "\t" if kind == "tsv" else None)
    except BaseException:
        if close:
            close()
        raise
    if kind != "parquet":
        src.total, src._close = total, close
    _choose_column(src, column, input_type)
    return src


# -- CSV / TSV -------------------------------------------------------------------------------------


def _not_utf8(name: str, line_no: int, line: bytes, at: int) -> InputError:
    return InputError(
        f"{name}: row {line_no - 1} (line {line_no}) is not UTF-8 (byte 0x{line[at]:02x} at column "
        f"{at + 1}); save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)")


def _check_utf8(name: str, head: bytes) -> None:
    """The first bytes of a text input are UTF-8 (a character cut by the end of the sample is fine)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{name}: the file is UTF-16; save it as UTF-8 (CSV UTF-8 in Excel)")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":
            return
        start = head.rfind(b"\n", 0, exc.start) + 1
        raise _not_utf8(name, head.count(b"\n", 0, exc.start) + 1, head[start:], exc.start - start) from None


def _decoded_lines(name: str, raw: IO[bytes], src_ref: list, line_no: int = 0, lines=None,
                   read: list | None = None) -> Iterator[str]:
    """UTF-8 lines (a BOM is dropped); bytes in another encoding raise InputError naming the row.
    (`lines`: the byte lines to read instead of `raw`'s, the first of them line `line_no` + 1;
    `read`: [bytes read before the Source exists], kept up to date.)"""
    first = line_no == 0
    pending = 0  # bytes read before the Source exists (the header)
    if lines is None:
        head = raw.peek(SNIFF_BYTES)[:SNIFF_BYTES] if hasattr(raw, "peek") else b""
        cr_only = b"\r" in head and b"\n" not in head  # classic Mac line endings: lines end at a lone CR
        lines = _cr_lines(raw) if cr_only else raw
    for line in lines:
        line_no += 1
        if src_ref:
            src_ref[0].done += len(line) + pending
            pending = 0
        else:
            pending += len(line)
            if read is not None:
                read[0] = pending
        if first:
            first = False
            if line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            elif line.startswith((b"\xff\xfe", b"\xfe\xff")):
                raise InputError(f"{name}: the file is UTF-16; save it as UTF-8 (CSV UTF-8 in Excel)")
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError as exc:  # the header is line 1; data rows count from 1
            raise _not_utf8(name, line_no, line, exc.start) from None


def _cr_lines(raw: IO[bytes], size: int = 1 << 16) -> Iterator[bytes]:
    """Lines of a file whose line breaks are lone carriage returns, each ending in its CR."""
    pending = b""
    while True:
        chunk = raw.read(size)
        if not chunk:
            break
        parts = (pending + chunk).split(b"\r")
        pending = parts.pop()
        for p in parts:
            yield p + b"\r"
    if pending:
        yield pending


def sniff_delimiter(sample: str) -> str:
    """The delimiter among , TAB ; | that splits the first lines into the most, consistent columns."""
    lines = [ln for ln in sample.splitlines()[:50] if ln.strip()]
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line of a truncated sample may be cut
    best, best_score = ",", (0, 0)
    for d in (",", "\t", ";", "|"):
        try:
            counts = [len(r) for r in csv.reader(lines, delimiter=d)]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        consistent = sum(c == counts[0] for c in counts)
        score = (consistent, counts[0])
        if score > best_score:
            best, best_score = d, score
    return best


def _delimited(name: str, raw: IO[bytes], head: bytes, delimiter: str | None) -> Source:
    if delimiter is None:
        text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
        delimiter = sniff_delimiter(text)
    ref: list = []
    csv.field_size_limit(2**31 - 1)  # a junk cell of any length is one bad row, not the end of the batch
    header_bytes = [0]
    reader = csv.reader(_decoded_lines(name, raw, ref, read=header_bytes), delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InputError(f"{name}: cannot read the header: {exc}") from None
    if header is None:
        header = []
    width = len(header)
    names = [h.strip() for h in header]
    # rows with more cells than the header: the extra cells go in a column of their own, never onto
    # the query cell ('1,79099-07-3,x' under 'id,cas'). Whether that column exists is decided from
    # the first 64 kB (the header is written before any row is read).
    reserve = _has_extra_cells(head, delimiter, width)
    if reserve:
        names.append(EXTRA_CELLS)
    src = Source(name, "tsv" if delimiter == "\t" else "csv", unique_names(names), "", 0, "auto")
    ref.append(src)

    fix = _fixer(src, width, delimiter, reserve)

    def rows() -> Iterator[list]:
        # an empty line is skipped; an empty cell ("" or spaces) is a row, reported invalid
        return (fix(values) for values in reader if values)

    src._first = header
    head_lines = getattr(reader, "line_num", 0)
    cr_only = b"\r" in head and b"\n" not in head
    if cr_only:
        src._rows = _guard_csv(name, rows(), reader)
        return src
    fix = _fixer(src, width, delimiter, reserve)

    def blocks() -> Iterator[list[list]]:
        """Blocks of ~1 MB split with str.split while they hold no quote, CR or NUL (where the csv
        module splits exactly so); from the first block that does, the csv module reads the rest."""
        d = delimiter
        line_no = head_lines
        src.done += header_bytes[0]
        pending = b""
        read = getattr(raw, "read1", raw.read)  # what is there (a pipe is read as it comes)
        while True:
            chunk = read(1 << 20)
            if not chunk:
                body, pending = pending, b""
                if not body:
                    return
            else:
                data = pending + chunk if pending else chunk
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    pending = data
                    continue
                body, pending = data[:cut], data[cut:]
            if b'"' in body or b"\r" in body or b"\0" in body:
                yield from _slow(body, pending, line_no)
                return
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                start = body.rfind(b"\n", 0, exc.start) + 1
                end = body.find(b"\n", exc.start)
                raise _not_utf8(name, line_no + body.count(b"\n", 0, exc.start) + 1,
                                body[start:end if end >= 0 else None], exc.start - start) from None
            lines = text.split("\n")
            if lines[-1] == "":
                lines.pop()
            line_no += len(lines)
            src.done += len(body)
            if width == 1 and d not in text and not reserve:
                block = [[ln] for ln in lines if ln]
            else:
                block = [ln.split(d) for ln in lines if ln]
                ncols = len(src.columns)
                if any(len(v) != ncols for v in block):
                    block = [fix(v) for v in block]
            if block:
                yield block

    def _slow(body: bytes, pending: bytes, line_no: int) -> Iterator[list[list]]:
        """The csv module from here on: the lines in hand, then the rest of the file, line by line."""

        def lines() -> Iterator[bytes]:
            yield from io.BytesIO(body)
            rest = pending
            for line in raw:
                yield rest + line if rest else line
                rest = b""
            if rest:
                yield rest

        slow = csv.reader(_decoded_lines(name, raw, ref, line_no=line_no, lines=lines()), delimiter=delimiter)
        try:
            yield from grouped((fix(values) for values in slow if values), 4096)
        except csv.Error as exc:
            raise InputError(f"{name}: line {line_no + slow.line_num}: {exc}") from None

    src._blocks = blocks()
    return src


def grouped(items: Iterable, size: int) -> Iterator[list]:
    """The items in lists of `size` (the last one shorter)."""
    buf: list = []
    for item in items:
        buf.append(item)
        if len(buf) >= size:
            yield buf
            buf = []
    if buf:
        yield buf


def _fixer(src: Source, width: int, delimiter: str, reserve: bool):
    """A row's cells aligned with the columns: extra cells joined into their own column (or the
    last), missing ones empty (as `_delimited`'s row-by-row reader does)."""

    def fix(values: list) -> list:
        if len(values) > width:
            extra = values[width:]
            values = values[:width]
            while extra and not extra[-1].strip():
                extra.pop()  # a trailing delimiter ('1,79099-07-3,'): nothing was there
            if extra:
                src.ragged += 1
                if reserve:
                    values.append(delimiter.join(extra))
                elif src.index != width - 1:  # after the sample: into the last column, not the query's
                    values[-1] = delimiter.join([values[-1], *extra])
                else:
                    src.extra_dropped += 1
        if len(values) < len(src.columns):
            values = values + [""] * (len(src.columns) - len(values))
        return values

    return fix


EXTRA_CELLS = "extra_cells"


def _has_extra_cells(head: bytes, delimiter: str, width: int) -> bool:
    """Whether a row in the sample has non-empty cells beyond the header's `width`."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    lines = text.splitlines()
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line of the sample may be cut
    try:
        for values in csv.reader(lines[1:], delimiter=delimiter):
            if len(values) > width and any(v.strip() for v in values[width:]):
                return True
    except csv.Error:
        return False
    return False


def _guard_csv(name: str, rows: Iterator[list], reader) -> Iterator[list]:
    try:
        yield from rows
    except csv.Error as exc:
        raise InputError(f"{name}: line {reader.line_num}: {exc}") from None


# -- .smi ------------------------------------------------------------------------------------------


def _smi(name: str, raw: IO[bytes]) -> Source:
    ref: list = []
    lines = _decoded_lines(name, raw, ref)
    src = Source(name, "smi", ["smiles", "name"], "smiles", 0, "smiles")
    ref.append(src)

    def rows() -> Iterator[list]:
        first = True
        for line in lines:
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            parts = s.split(None, 1)
            if first:
                first = False
                if parts[0].lower() in ("smiles", "smi"):
                    continue  # a title line
            yield [parts[0], parts[1] if len(parts) > 1 else ""]

    src._rows = rows()
    return src


# -- SDF -------------------------------------------------------------------------------------------


def _sdf(name: str, raw: IO[bytes]) -> Source:
    """Records as [title, <data fields in order of first appearance, read from the first record>, molblock].

    The query is the molblock (type 'molblock'), turned into a structure in the worker, unless
    `--column` names a data field (e.g. a CAS field).
    """
    ref: list = []
    lines = _decoded_lines(name, raw, ref)
    records = _sdf_records(lines)
    first = next(records, None)
    fields = ["title"] + (list(first[1]) if first else [])
    src = Source(name, "sdf", fields, "", -1, "molblock")
    ref.append(src)

    def rows() -> Iterator[list]:
        if first is None:
            return
        known = set(fields[1:])
        for molblock, data in _chain(first, records):
            title = molblock.split("\n", 1)[0].strip()
            if len(data) > len(known) or not known.issuperset(data):
                src.unlisted.update(k for k in data if k not in known)
            yield [title, *(data.get(f, "") for f in fields[1:]), molblock]

    src._rows = rows()
    return src


def _chain(first, rest):
    yield first
    yield from rest


def _sdf_records(lines: Iterator[str]) -> Iterator[tuple[str, dict]]:
    block: list[str] = []
    data: dict[str, str] = {}
    in_mol = True
    key = None
    for line in lines:
        s = line.rstrip("\r\n")
        if s == "$$$$":
            if block or data:
                yield "\n".join(block), data
            block, data, in_mol, key = [], {}, True, None
            continue
        if in_mol:
            block.append(s)
            if s.startswith("M  END"):
                in_mol = False
            continue
        if s.startswith(">"):
            lt, gt = s.find("<"), s.find(">", s.find("<") + 1)
            key = s[lt + 1:gt] if 0 < lt < gt else s[1:].strip()
            data[key] = ""
        elif key is not None:
            if s == "":
                key = None
            else:
                data[key] = (data[key] + "\n" + s) if data[key] else s
    if any(x.strip() for x in block) or data:
        yield "\n".join(block), data


# -- Parquet ---------------------------------------------------------------------------------------


def _parquet(path: str, raw) -> Source:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("reading Parquet needs pyarrow: pip install 'precursor-check[parquet]'") from None
    try:
        pf = pq.ParquetFile(raw)
    except Exception as exc:
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    columns = unique_names(list(pf.schema_arrow.names))  # 'note', 'note' -> 'note', 'note_2': no value lost
    src = Source(path, "parquet", columns, "", 0, "auto", total=pf.metadata.num_rows, _close=raw.close)
    src.arrow_schema = pf.schema_arrow

    def rows() -> Iterator[list]:
        for batch in pf.iter_batches(batch_size=4096):
            cols = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            for values in zip(*cols):
                src.done += 1
                yield list(values)

    src._rows = rows()
    return src


def unique_names(names: list[str]) -> list[str]:
    """Column names made unique, so that no value is lost in a JSON record: a repeated name gets
    `_2`, `_3` ... ('note', 'note' -> 'note', 'note_2'); an empty one is `column_N`.

    >>> unique_names(["id", "note", "note", ""])
    ['id', 'note', 'note_2', 'column_4']
    """
    out: list[str] = []
    taken: set[str] = set()
    for i, name in enumerate(names, start=1):
        base = name or f"column_{i}"
        new, n = base, 1
        while new in taken:
            n += 1
            new = f"{base}_{n}"
        taken.add(new)
        out.append(new)
    return out


def query_text(value) -> str:
    """A cell as query text: a Parquet float column holding CAS digits (79099073.0, as pandas writes
    whole numbers beside nulls) is the integer's digits; bytes are UTF-8 text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


# -- column choice ---------------------------------------------------------------------------------


def _choose_column(src: Source, column: str | None, input_type: str) -> None:
    forced = input_type not in (None, "", "auto")
    if src.format == "sdf" and not column:
        src.input_type = "molblock" if not forced or input_type == "smiles" else input_type
        return
    if src.format == "smi" and not column:
        src.input_type = input_type if forced else "smiles"
        return
    cols = src.columns
    if column:
        if column in cols:
            idx = cols.index(column)
        else:
            low = {header_key(c): i for i, c in reversed(list(enumerate(cols)))}
            if header_key(column) in low:
                idx = low[header_key(column)]
            elif column.isdigit() and 1 <= int(column) <= len(cols):
                idx = int(column) - 1
                if src.format in ("csv", "tsv") and _clearly_a_query(cols[idx]):
                    _make_headerless(src)  # '--column 2' on a file whose first line is already data
                    cols = src.columns
            else:
                raise UsageError(f"{src.name}: no column {column!r}; the columns are: "
                                 f"{', '.join(repr(c) for c in cols) or '(none)'}")
        found = detect_column([cols[idx]])
        implied = found[1] if found else "auto"
    else:
        found = detect_column(cols)
        if found is None:
            if src.format in ("csv", "tsv") and len(cols) == 1 and _looks_like_query(cols[0]):
                _make_headerless(src)
                idx, implied = 0, "auto"
            elif not cols:
                raise InputError(f"{src.name}: the file is empty; give a file with a header line and one row per chemical")
            else:
                raise InputError(
                    f"{src.name}: cannot tell which column holds the chemicals; the columns are: "
                    f"{', '.join(repr(c) for c in cols) or '(none)'}. Name one with --column "
                    "(recognised headers: cas, cas_number, CAS RN, smiles, inchi, inchikey, name, product ...)")
        else:
            idx, implied = cols.index(found[0]), found[1]
    src.index, src.column = idx, cols[idx]
    src.input_type = input_type if forced else implied


def _looks_like_query(cell: str) -> bool:
    from precursor_check.identify.identifiers import detect_type

    return detect_type(cell) in ("cas", "smiles", "inchi", "inchikey")


def _clearly_a_query(cell: str) -> bool:
    """A first-line cell that no header would be: a CAS number, InChI, InChIKey, or a SMILES with
    punctuation or ring digits ('CCO' could be a column name, 'CC(=O)O' could not)."""
    from precursor_check.identify.identifiers import detect_type, looks_like_cas

    kind = detect_type(cell)
    return looks_like_cas(cell) or kind in ("inchi", "inchikey") or (
        kind == "smiles" and any(ch in cell for ch in "()=#[]%123456789"))


def _make_headerless(src: Source) -> None:
    """A file without a header: its first line is data, not column names (one column: `query`;
    several: `column_1`, `column_2` ...)."""
    first = src._first
    extra = src.columns[len(first):]  # the extra_cells column, when rows have more cells than the first
    src.columns = (["query"] if len(first) == 1 else [f"column_{i + 1}" for i in range(len(first))]) + extra
    if src._blocks is not None:
        rest_blocks = src._blocks

        def blocks():
            yield [list(first) + [""] * len(extra)]
            yield from rest_blocks

        src._blocks = blocks()
        return
    rest = src._rows

    def rows():
        yield list(first) + [""] * len(extra)
        yield from rest

    src._rows = rows()
