"""Batch screening: chunking, worker processes, caching, time guards and input order.

Layers, from the inside out (each usable on its own):

* `screen_query(screener, query, input_type)` - one query -> one `Result`, never raises
  (a SDF molblock is turned into a structure here; huge molecules are cut off by the
  screener's heavy-atom cap).
* `screen_queries(screener, queries, input_type)` - a list of query strings -> Results,
  identical strings computed once, CAS numbers resolved with one bulk lookup. This is
  the per-partition function: a worker process, a Dask or Spark partition all call it.
* `screen_records(screener, rows, column, input_type)` - a list of dict rows -> flat
  output dicts (the input row's own columns + RESULT_COLUMNS), for DataFrame engines.
* `BatchRunner.run(items)` - the streaming engine behind `precheck screen`: reads
  (row, query, extra) items lazily, sends chunks of query STRINGS (never molecules) to a
  `multiprocessing` pool whose workers each build their own Screener once from a
  picklable `ScreenerConfig`, keeps a bounded number of chunks in flight (memory is
  flat however large the input), yields Results in input order, and cuts off a chunk
  that runs past its deadline (the pool is restarted and the chunk's queries are re-run
  one at a time, so only the guilty row is marked). `BatchRunner.run_chunks(items)` is
  the same stream a chunk at a time, results not yet stamped with their rows, for
  writers that take a chunk whole (`formats.batchcsv`).
"""

from __future__ import annotations

import contextlib
import gc
import operator
import os
import re
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from precursor_check.engines.stored import Lazy, encode, lazy
from precursor_check.model import Result, Verdict

if TYPE_CHECKING:
    from precursor_check.io.formats.batchcsv import TailRenderer

DEFAULT_CHUNK = 256  # query strings per task: large enough to amortise IPC, small enough to balance
DEFAULT_MAX_ATOMS = 250  # heavy atoms; precursors have < 60, so beyond this a row is cut off, not screened
DEFAULT_ROW_TIMEOUT = 10.0  # seconds one row may take before it is cut off
STARTUP_TIMEOUT = 120.0  # seconds a new worker may take to build its Screener (normally well under 1 s)
TEARDOWN_TIMEOUT = 5.0  # seconds the pool may take to shut down before its workers are killed
CACHE_SIZE = 100_000  # results kept per run for repeated inputs (a few hundred bytes to ~2 KB each)


@dataclass(frozen=True)
class ScreenerConfig:
    """The Screener's constructor arguments: picklable, so each worker builds its own Screener.

    (RDKit objects cannot be pickled; a worker builds the Screener once, in the pool initializer.)
    """

    watchlists: tuple[str, ...] = ()
    replace: bool = False
    threshold: float | None = None
    jurisdictions: tuple[str, ...] | None = None
    as_of: str | None = None
    resolve_files: tuple[str, ...] = ()
    local_db: bool = True
    opsin: bool = True
    max_atoms: int | None = DEFAULT_MAX_ATOMS
    regimes: tuple[str, ...] | None = None

    def build(self):
        from precursor_check.engines.screener import Screener

        s = Screener(watchlists=self.watchlists, replace=self.replace, threshold=self.threshold,
                     jurisdictions=self.jurisdictions, as_of=self.as_of, resolve_files=self.resolve_files,
                     local_db=self.local_db, opsin=self.opsin, regimes=self.regimes)
        s.max_heavy_atoms = self.max_atoms
        return s


# -- the per-partition functions --------------------------------------------------------------------


def screen_query(screener, query: str, input_type: str = "auto") -> Result:
    """Screen one query; any failure becomes an `invalid` Result with a reason (the batch goes on)."""
    try:
        if input_type == "molblock":
            return _molblock(screener, query)
        return screener.screen(query, input_type)
    except Exception as exc:  # a bug or an RDKit exception on one row must not stop the batch
        return Result(query, input_type, Verdict.INVALID, error=f"could not screen this row: {type(exc).__name__}: {exc}")


def _molblock(screener, block: str) -> Result:
    from rdkit import Chem

    from precursor_check.chemistry import molecules  # noqa: F401 - silences RDKit's log

    mol = Chem.MolFromMolBlock(block) if block.strip() else None
    if mol is None:
        title = block.split("\n", 1)[0].strip()
        return Result(title, "sdf", Verdict.INVALID, error="SDF record does not parse (molblock)")
    smiles = Chem.MolToSmiles(mol)
    if "." in smiles or not smiles:
        return screener.screen(smiles, "smiles") if smiles else Result("", "sdf", Verdict.INVALID, error="empty molecule")
    from precursor_check.identify.resolve import Resolved

    return screener.screen_mol(mol, smiles, "smiles", Resolved(smiles, "input"))


def screen_queries(screener, queries: list[str], input_type: str = "auto") -> list[Result]:
    """Screen a list of query strings (one partition); identical strings are computed once.

    CAS numbers of the partition are resolved with one bulk lookup first: in the store of
    known chemicals screened ahead for these options (engines/known.py), whose results
    are used as they are, then in the local table. Results carry no row number; the caller
    attaches rows and extra columns.
    """
    stored = _prefetch_cas(screener, queries, input_type)
    _prefetch_opsin(screener, queries, input_type)
    seen: dict[str, Result] = {}
    chunk = getattr(screener, "screen_chunk", None)
    if chunk is not None and input_type in ("auto", "smiles"):  # SMILES a step at a time over the chunk
        todo = [q for q in dict.fromkeys(queries) if q not in stored]
        seen.update((q, r) for q, r in zip(todo, chunk(todo, input_type)) if r is not None)
    out = []
    for q in queries:
        r = seen.get(q)
        if r is None:
            blob = stored.get(q)
            if blob is not None:
                from precursor_check.engines.stored import decode

                r = seen[q] = decode(blob, q)
            else:
                r = seen[q] = screen_query(screener, q, input_type)
        out.append(r)
    return out


def screen_records(screener, rows: list[dict], column: str, input_type: str = "auto", meta: dict | None = None,
                   start_row: int = 1) -> list[dict]:
    """Dict rows in, flat output dicts out (the row's own columns first, then RESULT_COLUMNS).

    For DataFrame engines (Dask `map_partitions`, Spark `mapInPandas`): build the Screener
    once per worker, then call this per partition. Input columns whose names clash with
    result columns are renamed `input_<name>` (see `output_columns`).
    """
    from precursor_check.io.formats import flat_record

    meta = meta or {"tool_version": "", "watchlist_version": "", "watchlist_sha256": ""}
    from precursor_check.io.readers import query_text

    results = screen_queries(screener, [query_text(r.get(column)) for r in rows], input_type)
    out = []
    for i, (row, res) in enumerate(zip(rows, results)):
        names = output_columns(list(row))
        rec = {names[k]: v for k, v in row.items()}
        rec.update(flat_record(replace(res, row=start_row + i), meta))
        out.append(rec)
    return out


RESERVED = frozenset((
    "row", "input", "input_type", "verdict", "hit_id", "hit_name", "hit_cas", "match", "score", "lists", "reason",
    "smiles", "inchikey", "source", "error", "tool_version", "watchlist_version", "watchlist_sha256", "removed",
    "hits", "nearest", "suggestions",
))


def output_columns(columns: list[str]) -> dict[str, str]:
    """Input column -> output name: a name used by the result columns gets an `input_` prefix.

    >>> output_columns(["id", "smiles", "qty"])
    {'id': 'id', 'smiles': 'input_smiles', 'qty': 'qty'}
    """
    out: dict[str, str] = {}
    taken = set(RESERVED) | set(columns)
    for c in columns:
        name = c
        if c in RESERVED:
            name = "input_" + c
            while name in taken:
                name = "input_" + name
            taken.add(name)
        out[c] = name
    return out


_PLAIN_CAS = re.compile(r"[1-9]\d{1,6}-\d\d-\d")  # a CAS number as `format_cas` writes it


def cas_keys(queries: Iterable[str]) -> dict[str, str]:
    """{query: CAS number} for the distinct queries that are CAS-shaped (any writing; in an `auto`
    column a CAS-shaped string is always read as one), check digits unchecked: the store of known
    chemicals holds valid numbers only, so an invalid one is never found there."""
    from precursor_check.identify.identifiers import cas_digits, format_cas

    wanted: dict[str, str] = {}
    plain = _PLAIN_CAS.fullmatch
    for q in dict.fromkeys(queries):
        if q and plain(q):  # written as the CAS number is formatted: most catalogues
            wanted[q] = q
            continue
        d = cas_digits(q) if q else None
        if d and len(d) >= 5:
            wanted[q] = format_cas(d)
    return wanted


def _prefetch_cas(screener, queries: list[str], input_type: str) -> dict[str, bytes]:
    """One look-up for the partition's CAS numbers: in the store of known chemicals screened
    ahead for these options (engines/known.py) when there is one, then in the local table.

    Returns {query: stored result (undecoded)} for the queries the store answers: a query that
    is a CAS number (any writing; in an `auto` column a CAS-shaped string is always read as
    one) with a valid check digit, which `Screener.screen` would answer from the store too.
    """
    local = getattr(getattr(screener, "resolver", None), "local", None)
    if local is None or not hasattr(local, "prefetch_cas") or input_type not in ("auto", "cas"):
        return {}
    wanted = cas_keys(queries)
    if not wanted:
        return {}
    cas = set(wanted.values())
    stored: dict[str, bytes] = {}
    if hasattr(screener, "known") and cas:
        from precursor_check.engines import known

        store = known.attach(screener)
        if store is not None:
            found = store.prefetch(cas)
            stored = {q: found[c] for q, c in wanted.items() if c in found}
            cas.difference_update(found)
    if len(cas) > 1:
        local.prefetch_cas(cas)
    return stored


def _prefetch_opsin(screener, queries: list[str], input_type: str) -> None:
    """Names that no table knows go to OPSIN in one run per partition, not one Java start each."""
    resolver = getattr(screener, "resolver", None)
    if resolver is None or not getattr(resolver, "opsin", False) or input_type not in ("auto", "name"):
        return
    from precursor_check.identify.identifiers import detect_type

    names = [q.strip() for q in dict.fromkeys(queries)
             if q and (input_type == "name" or detect_type(q) == "name")]
    unknown = [n for n in names if resolver.name(n) is None]
    if len(unknown) > 1:
        resolver.prefetch_opsin(unknown)


# -- worker side -------------------------------------------------------------------------------------

_WORKER = None


_TAIL = None


def _init_worker(config, tail=None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if hasattr(signal, "pthread_sigmask"):  # and blocked: RDKit's substructure search swaps in its own
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # handler, which would cut a search short
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # pool.terminate() must kill, whatever the parent installed
    gc.enable()  # a worker forked while the parent pauses its GC (see BatchRunner._pooled) screens with it on
    global _WORKER, _TAIL
    _WORKER = config.build()
    _TAIL = tail


def _work(task: tuple[list[str], str]) -> tuple[tuple | list[Result], list[str] | None]:
    """A chunk's results, and (for a CSV/TSV report) their rendered result columns: rendered here,
    in parallel, not in the parent. The results travel as (verdicts, marshalled values) (`_packed`):
    cheaper to send and to receive than pickled Results, and a CSV report never unpacks them."""
    queries, input_type = task
    results = screen_queries(_WORKER, queries, input_type)
    tails = [_TAIL(r) for r in results] if _TAIL is not None else None
    if input_type == "molblock":  # the result's input is the structure's SMILES, not the query: sent whole
        return results, tails
    return ([r.verdict.value for r in results], [encode(r) for r in results]), tails


def _unpacked(results, queries: list[str]) -> list[Result]:
    """`_work`'s results as Results (decoded when first used, see stored.Lazy)."""
    if isinstance(results, tuple):
        verdicts, blobs = results
        return list(map(lazy, verdicts, blobs, queries))
    return results


# -- the engine --------------------------------------------------------------------------------------


def _timed_out(query: str, input_type: str, seconds: float) -> Result:
    return Result(query, input_type, Verdict.INVALID,
                  error=f"cut off: screening this row did not finish within {seconds:g} s (a pathological "
                        "structure, or the worker process crashed on it)")


def stamp(r: Result, row: int, query: str, extra: dict | None) -> Result:
    """A copy of a (cached) result for this row; ~10x cheaper than dataclasses.replace."""
    if r.__class__ is Lazy:
        r.load()
    new = object.__new__(Result)
    d = new.__dict__
    d.update(r.__dict__)
    d["row"], d["input"], d["extra"] = row, query, extra if extra is not None else {}
    return new


_QUERY = operator.itemgetter(1)  # an item's query


class _Chunk:
    __slots__ = ("items", "todo", "future", "results", "tails")

    def __init__(self, items, todo):
        self.items = items  # [(row, query, extra)]
        self.todo = todo  # unique query strings that must be computed
        self.future = None
        self.results: dict[str, Result] = {}
        self.tails: dict[str, str] = {}  # query -> CSV result columns rendered by the worker


class BatchRunner:
    """Streams (row, query, extra) items through a worker pool; yields Results in input order.

    workers=0 screens in this process (no pool, no hard time guard; for libraries and
    debugging); workers>=1 uses that many processes.
    """

    def __init__(self, config: ScreenerConfig, input_type: str = "auto", workers: int | None = None,
                 chunk_size: int = DEFAULT_CHUNK, row_timeout: float = DEFAULT_ROW_TIMEOUT,
                 cache_size: int = CACHE_SIZE, screener=None, max_inflight: int | None = None,
                 tail: TailRenderer | None = None, known=None):
        self.config = config
        self.tail = tail  # workers render CSV result columns with it (see TailRenderer)
        # the store of known chemicals (engines/known.py): CAS numbers are answered from it here,
        # before any worker, and workers start only for what it does not answer
        self.known = known
        self.input_type = input_type
        self.workers = (os.cpu_count() or 1) if workers is None else max(0, workers)
        self.chunk_size = max(1, chunk_size)
        self.row_timeout = row_timeout
        self.cache_size = 0 if input_type == "molblock" else cache_size  # molblocks are big and rarely repeat
        self._screener = screener
        self.max_inflight = max_inflight or max(2, 3 * self.workers)
        self.cache: dict[str, Result] = {}
        self.tails: dict[str, str] = {}  # rendered CSV result columns of cached results (with `tail`)
        self.pool = None
        self._ready = None  # the pool's start-up probe, until a worker has answered it
        self.cut_off = 0

    # -- pool management
    def _ctx(self):
        import multiprocessing as mp  # here, not at import: a batch the store answers starts no worker

        methods = mp.get_all_start_methods()
        return mp.get_context("fork" if "fork" in methods else "spawn")

    def _warm(self) -> None:
        """Build the caches the workers share (compiled watchlist, local CAS table) before they start,
        so a first run's one-off index build is not taken for a hanging row."""
        local = getattr(getattr(self.screener(), "resolver", None), "local", None)
        if local is not None:
            local.by_cas("50-00-0")

    def _start(self) -> None:
        from precursor_check.engines.pool import Pool

        self.pool = Pool(self.workers, initializer=_init_worker, initargs=(self.config, self.tail),
                          context=self._ctx())
        self._ready = self.pool.apply_async(os.getpid)  # runs once a worker has built its Screener

    def _wait_ready(self) -> None:
        """Block until a worker has started, so that the start-up (seconds on a loaded machine) is
        never counted against a row's time limit; the parent keeps reading and submitting meanwhile."""
        import multiprocessing as mp

        if self._ready is None:
            return
        try:
            self._ready.get(timeout=STARTUP_TIMEOUT)
        except mp.TimeoutError:
            self._kill()
            from precursor_check.errors import PrecheckError

            raise PrecheckError(f"worker processes did not start within {STARTUP_TIMEOUT:g} s; "
                                "try --workers 0 to screen in one process") from None
        self._ready = None

    def _restart(self) -> None:
        self._kill()
        self._start()

    def _kill(self) -> None:
        """Tear the pool down, in bounded time. CPython's terminate() can block for good on a queue
        lock that a worker held when it was killed (SIGTERM to the whole process group, as `timeout`
        and CI runners send); then its workers are killed and the pool is left to its daemon threads."""
        pool, self.pool = self.pool, None
        if pool is None:
            return
        done = threading.Thread(target=lambda: (pool.terminate(), pool.join()), daemon=True)
        done.start()
        done.join(timeout=TEARDOWN_TIMEOUT)
        if done.is_alive():
            for proc in list(pool._pool):
                with contextlib.suppress(Exception):
                    proc.kill()

    def screener(self):
        if self._screener is None:
            self._screener = self.config.build()
        return self._screener

    # -- the stream
    def run(self, items: Iterable[tuple[int, str, dict | None]]) -> Iterator[Result]:
        """Results for (row, query, extra) items, in order, each stamped with its row, input and extra."""
        for rows, results, _tails in self.run_chunks(items):
            yield from self.stamped(rows, results)

    def run_chunks(self, items: Iterable, blocks: bool = False) -> Iterator[tuple[list, list[Result], list | None]]:
        """(items, results, tails) a chunk at a time, in order; results[i] answers items[i] but is not
        stamped with its row (rows with the same query share one Result); tails[i], when the workers
        render CSV result columns (`tail`), is results[i]'s, else None. The pool is always torn down.
        With `blocks`, `items` are lists of items (a reader's blocks), chunked here."""
        from precursor_check.io.readers import grouped

        try:
            chunks = self._chunks(items if blocks else grouped(items, self.chunk_size))
            if self.workers == 0:
                yield from self._inline(chunks)
            else:
                yield from self._pooled(chunks)
        finally:
            self._kill()

    def stamped(self, rows: list, results: list[Result], columns: list[str] | None = None) -> Iterator[Result]:
        """A chunk's results as per-row copies carrying row, input and extra (with `columns`, an item's
        third element is a list of cell values, zipped into the extra dict)."""
        molblock = self.input_type == "molblock"  # report the structure's SMILES, not the molblock
        for (row, q, extra), r in zip(rows, results):
            if columns is not None:
                extra = dict(zip(columns, extra))
            yield stamp(r, row, r.input if molblock else q, extra)

    def _chunks(self, blocks) -> Iterator[_Chunk]:
        """Chunks of `chunk_size` items from lists of items; each chunk's distinct queries not in the cache."""
        size, cache, buf = self.chunk_size, self.cache, []
        for block in blocks:
            if buf:
                block = buf + block
            start, n = 0, len(block)
            while n - start >= size:
                part = block[start:start + size]
                start += size
                yield _Chunk(part, [q for q in dict.fromkeys(map(_QUERY, part)) if q not in cache])
            buf = block[start:] if start < n else []
        if buf:
            yield _Chunk(buf, [q for q in dict.fromkeys(map(_QUERY, buf)) if q not in cache])

    def _answer(self, ch: _Chunk) -> None:
        """The chunk's CAS numbers that the store of known chemicals holds, answered in this process
        (decoded, and their CSV columns rendered): `todo` keeps only what must be screened."""
        if self.known is None or not ch.todo or self.input_type not in ("auto", "cas"):
            return
        keys = cas_keys(ch.todo)
        if not keys:
            return
        found = self.known.lookup(set(keys.values()))
        if not found:
            return
        results, tails, tail = ch.results, ch.tails, self.tail
        # the CSV columns as stored, when this report's are rendered the same way (else rendered here)
        same = tail is not None and tail.delimiter == "," and tail.escape and tail.suffix == self.known.csv_suffix
        for q, c in keys.items():
            got = found.get(c)
            if got is not None:
                verdict, rendered, blob = got
                r = results[q] = lazy(verdict, blob, q)
                if tail is not None:
                    tails[q] = rendered if same else tail(r)
        ch.todo = [q for q in ch.todo if q not in results]

    def _inline(self, chunks) -> Iterator[Result]:
        for ch in chunks:
            self._answer(ch)
            if ch.todo:
                ch.results.update(zip(ch.todo, screen_queries(self.screener(), ch.todo, self.input_type)))
            yield from self._emit(ch)

    def _pooled(self, chunks) -> Iterator[Result]:
        pending: deque[_Chunk] = deque()
        inflight: set[str] = set()
        # The cache holds up to `cache_size` results, millions of small objects, and Python's cyclic
        # GC would walk them all on each full collection: ~30 % of this process's CPU on distinct
        # SMILES. Results hold no reference cycles, so the cyclic GC pauses while this process only
        # reads, dispatches and writes (workers re-enable their own in `_init_worker`).
        gc_was_on = gc.isenabled()
        gc.disable()
        try:
            for ch in chunks:
                self._answer(ch)
                if inflight:  # computed by an earlier chunk still in flight: don't compute it twice
                    ch.todo = [q for q in ch.todo if q not in inflight]
                self._submit(ch)
                inflight.update(ch.todo)
                pending.append(ch)
                while len(pending) >= self.max_inflight:
                    done = pending.popleft()
                    yield from self._finish(done, pending)
                    inflight.difference_update(done.todo)
            while pending:
                done = pending.popleft()
                yield from self._finish(done, pending)
                inflight.difference_update(done.todo)
        finally:
            if gc_was_on:
                gc.enable()

    def _submit(self, ch: _Chunk) -> None:
        if ch.todo and self.pool is None:  # the first row that needs screening: the workers start
            self._warm()
            self._start()
        ch.future = self.pool.apply_async(_work, ((ch.todo, self.input_type),)) if ch.todo else None

    def _finish(self, ch: _Chunk, pending: deque) -> Iterator[Result]:
        if ch.future is not None:
            import multiprocessing as mp

            self._wait_ready()
            deadline = self.row_timeout + 0.05 * len(ch.todo)
            try:
                results, tails = ch.future.get(timeout=deadline)
                ch.results.update(zip(ch.todo, _unpacked(results, ch.todo)))
                if tails is not None:
                    ch.tails.update(zip(ch.todo, tails))
            except mp.TimeoutError:
                ch.results.update(self._isolate(ch.todo))
                for other in pending:  # their work died with the pool: send it again
                    self._submit(other)
        yield from self._emit(ch)

    def _isolate(self, todo: list[str]) -> dict[str, Result]:
        """Re-run a chunk that ran past its deadline one query at a time; cut off the slow ones."""
        import multiprocessing as mp

        self._restart()
        out: dict[str, Result] = {}
        for q in todo:
            fut = self.pool.apply_async(_work, (([q], self.input_type),))
            self._wait_ready()
            try:
                out[q] = _unpacked(fut.get(timeout=self.row_timeout + 1.0)[0], [q])[0]
            except mp.TimeoutError:
                out[q] = _timed_out(q, self.input_type, self.row_timeout)
                self.cut_off += 1
                self._restart()
        return out

    def _emit(self, ch: _Chunk) -> Iterator[tuple[list, list[Result], list | None]]:
        cache, fresh, tcache = self.cache, ch.results, self.tails
        if fresh:
            if len(cache) + len(fresh) > self.cache_size:
                for k in list(cache)[: max(len(fresh), self.cache_size // 10)]:  # drop the oldest
                    del cache[k]
                    tcache.pop(k, None)
            cache.update(fresh)
            if ch.tails and self.cache_size:
                tcache.update(ch.tails)
        queries = list(map(_QUERY, ch.items))
        try:
            results = [cache[q] for q in queries]
        except KeyError:
            results = []
            for q in queries:
                r = fresh.get(q) or cache.get(q)
                if r is None:  # evicted between submit and now (tiny cache): compute it here
                    r = cache[q] = screen_query(self.screener(), q, self.input_type)
                results.append(r)
        if self.tail is None:
            yield ch.items, results, None
            return
        tails = ch.tails
        get = tcache.get
        yield ch.items, results, [tails.get(q) or get(q) for q in queries]
