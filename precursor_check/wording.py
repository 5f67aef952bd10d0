"""Small wording helpers for messages."""

from __future__ import annotations


def count(n: int, singular: str, plural: str | None = None) -> str:
    """'1 entry', '2 entries', '0 rules'.

    >>> count(1, "entry", "entries"), count(2, "entry", "entries"), count(0, "rule")
    ('1 entry', '2 entries', '0 rules')
    """
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"
