"""Find chemical mentions in free text: CAS numbers (also partial, after 'CAS'), watchlist
names and abbreviations on word boundaries, and SMILES-like tokens.

Numbers that are prices, phone numbers or dates are not CAS numbers: a bare digit string
counts only when it is written as a CAS number (hyphenated, or after 'CAS') and its check
digit holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from .compiled import Compiled
from .identifiers import DASHES, cas_check_digit, cas_digits, detect_type, format_cas

_HYPHENATED = re.compile(r"(?<![\d-])(\d{2,7}-\d{2}-\d)(?![\d-])")
_AFTER_CAS = re.compile(r"\bCAS(?:\s*(?:RN|No\.?|Number|#))?\s*[:#.]?\s*(\d[\d-]{3,11}\d)(?![\d-])", re.I)
_TOKEN = re.compile(r"[^\s,;\"']{5,}")


@dataclass(frozen=True)
class Mention:
    line: int  # 1-based
    start: int  # 0-based column of the first character
    end: int  # column after the last character
    text: str  # the matched text as written
    query: str  # what is screened
    kind: str  # cas | partial_cas | name | smiles
    input_type: str  # the Screener input type for `query`


class TextScanner:
    def __init__(self, compiled: Compiled):
        self.c = compiled

    @cached_property
    def _names(self) -> re.Pattern | None:
        terms = set()
        for e in self.c.watchlist.entries:
            for n in (e.name, *e.synonyms, *e.abbreviations):
                n = n.strip()
                if len(n) >= 3:
                    terms.add(n)
        if not terms:
            return None
        alts = sorted(terms, key=len, reverse=True)
        body = "|".join(r"[\s-]+".join(map(re.escape, re.split(r"[\s-]+", t))) for t in alts)
        return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.I)

    def _partial(self, digits: str) -> str | None:
        """A digit prefix that belongs to exactly one watchlist CAS ('79099' -> '79099-07-3')."""
        found = self.c.cas_starting_with(digits)
        return found[0] if len(found) == 1 else None

    def scan(self, lines) -> list[Mention]:
        out: list[Mention] = []
        for no, line in enumerate(lines, start=1):
            written, line = line, line.translate(DASHES)  # '79099–07–3' (en dash) is a CAS number too
            taken: list[tuple[int, int]] = []

            def free(a: int, b: int) -> bool:
                return all(b <= x or a >= y for x, y in taken)

            def add(a, b, query, kind, itype):
                if free(a, b):
                    taken.append((a, b))
                    out.append(Mention(no, a, b, written[a:b], query, kind, itype))

            for m in _AFTER_CAS.finditer(line):
                raw = m.group(1)
                digits = cas_digits(raw)
                if digits and cas_check_digit(digits[:-1]) == int(digits[-1]):
                    add(m.start(), m.end(1), format_cas(digits), "cas", "cas")
                elif raw.isdigit():
                    cas = self._partial(raw)
                    if cas:
                        add(m.start(), m.end(1), cas, "partial_cas", "cas")
            for m in _HYPHENATED.finditer(line):
                d = m.group(1).replace("-", "")
                if cas_check_digit(d[:-1]) == int(d[-1]):
                    add(m.start(1), m.end(1), m.group(1), "cas", "cas")
            if self._names is not None:
                for m in self._names.finditer(line):
                    add(m.start(), m.end(), m.group(0), "name", "name")
            for m in _TOKEN.finditer(line):
                tok = m.group(0).rstrip(".")
                if detect_type(tok) == "smiles" and any(ch in tok for ch in "()=#[]") and _parses(tok):
                    add(m.start(), m.start() + len(tok), tok, "smiles", "smiles")
        out.sort(key=lambda x: (x.line, x.start))
        return out


def _parses(tok: str) -> bool:
    from . import chem

    mol = chem.parse_smiles(tok)
    return mol is not None and mol.GetNumHeavyAtoms() >= 4
