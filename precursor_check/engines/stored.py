"""A screening result stored without its per-row fields, for the stores of results screened
ahead (engines/known.py, engines/answers.py): marshal for the plain values (fast to read), the
hits (rare) pickled inside. Reading one back needs no RDKit."""

from __future__ import annotations

import marshal
import pickle
from dataclasses import fields

from precursor_check.model import Result, Verdict

_SKIP = ("input", "row", "extra")  # per-row fields, not stored
_FIELDS = tuple(f.name for f in fields(Result) if f.name not in _SKIP)
_VERDICT, _HITS = _FIELDS.index("verdict"), _FIELDS.index("hits")
_VERDICTS = {v.value: v for v in Verdict}


def encode(r: Result) -> bytes:
    """A result without its per-row fields: its values in `_FIELDS` order, marshalled (fast to read),
    the hits (rare) pickled inside."""
    values = [getattr(r, k) for k in _FIELDS]
    values[_VERDICT] = r.verdict.value
    values[_HITS] = pickle.dumps(r.hits, protocol=pickle.HIGHEST_PROTOCOL) if r.hits else None
    try:
        return b"m" + marshal.dumps(tuple(values))
    except ValueError:  # a value marshal cannot hold (a field added later): the whole result pickled
        return b"p" + pickle.dumps({k: getattr(r, k) for k in _FIELDS}, protocol=pickle.HIGHEST_PROTOCOL)


def decode(blob: bytes, query: str) -> Result:
    """The stored result as the result for `query` (its `input`)."""
    r = object.__new__(Result)  # a frozen dataclass: filled like `batch._stamp` does
    d = r.__dict__
    d["input"] = query  # the fields in their declared order, as a Result made by its constructor
    if blob[:1] == b"m":
        values = marshal.loads(memoryview(blob)[1:])
        d.update(zip(_FIELDS, values))
        d["verdict"] = _VERDICTS[values[_VERDICT]]
        d["hits"] = pickle.loads(values[_HITS]) if values[_HITS] else ()
    else:
        d.update(pickle.loads(blob[1:]))
    d["row"], d["extra"] = None, {}
    return r


class Lazy(Result):
    """A stored result decoded on first use: its `input` and `verdict` are there at once (what a
    run's count needs, and all a CSV row needs when its result columns were stored rendered);
    using any other field decodes the rest and makes it an ordinary `Result` (its class switched),
    so it compares, copies and pickles as one."""

    def load(self) -> Result:
        d = self.__dict__
        if "_blob" in d:
            full = decode(d["_blob"], d["input"]).__dict__
            full["row"], full["extra"] = d.get("row"), d.get("extra", {})
            d.clear()
            d.update(full)
            object.__setattr__(self, "__class__", Result)
        return self

    def __eq__(self, other):
        return self.load() == other

    __hash__ = Result.__hash__


def _field(name: str) -> property:
    return property(lambda self: getattr(self.load(), name))


for _name in (*_FIELDS, "row", "extra"):  # shadow the dataclass defaults (class attributes) too
    if _name not in ("input", "verdict"):
        setattr(Lazy, _name, _field(_name))


def lazy(verdict: str, blob: bytes, query: str) -> Result:
    """The stored result for `query`, decoded when a field other than `input` and `verdict` is used."""
    r = object.__new__(Lazy)
    d = r.__dict__
    d["input"], d["verdict"], d["_blob"] = query, _VERDICTS[verdict], blob
    return r
