"""A bounded memo: the one dedupe cache behind gate keys, OPSIN answers and report depictions.

A dict that forgets everything once it holds `limit` entries, so endless input cannot grow it
without bound while a repeated key stays a dict lookup."""

from __future__ import annotations


class Memo(dict):
    """A dict with a size limit: `put` empties it first when it is full.

    >>> m = Memo(2)
    >>> m.put("a", 1), m.put("b", 2), m.put("c", 3)
    (1, 2, 3)
    >>> dict(m)
    {'c': 3}
    """

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def put(self, key, value):
        """Remember `value` under `key` and return it."""
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value
