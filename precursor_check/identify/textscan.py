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
from typing import TYPE_CHECKING

from precursor_check.identify.identifiers import (
    DASHES,
    cas_check_digit,
    cas_digits,
    cas_near_misses,
    detect_type,
    format_cas,
)

if TYPE_CHECKING:  # the watchlist is passed in; identify/ does not import watchlist/
    from precursor_check.watchlist.compile import Compiled

# Boundaries are ASCII letters and digits only: Chinese or Japanese text runs straight into a
# name or 'CAS' (出售BMK油, 产品CAS:79099073), and Python counts those characters as \w.

_HYPHENATED = re.compile(r"(?<![0-9])(?<![0-9]-)(\d{2,7}-\d{2}-\d)(?![0-9])(?!-[0-9])")
_AFTER_CAS = re.compile(
    r"(?<![A-Za-z0-9])CAS(?:[\s.:#-]*(?:RN|Number|No|Nr|Reg\.?\s*No|号|番号))?[\s.:#-]*(\d[\d-]{2,11}\d)(?![0-9])(?!-[0-9])",
    re.I)
_TOKEN = re.compile(r"[^\s,;\"'<>`]{5,}")
_KEY = re.compile(r"[A-Za-z_]{3,}[=:]")  # 'smiles=', 'SMILES:' in front of a pasted SMILES
_DATE_LIKE = re.compile(r"(?:19|20)\d\d-(?:0[1-9]|1[0-2])-\d$")  # 2024-11-5: a date, unless a known CAS
# the same text with full-width forms, typographic dashes and apostrophes written plainly; every
# character maps to one character, so spans in the folded line are spans in the written one
_FOLD = {**DASHES, **{c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)},
         **str.maketrans({"\u2018": "'", "\u2019": "'", "\u2032": "'", "\u00b4": "'", "\u3000": " "})}


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
    def __init__(self, compiled: Compiled, known_cas=None):
        self.c = compiled
        self.known_cas = known_cas or (lambda cas: cas in compiled.cas_index)  # any source the screen resolves

    @cached_property
    def _names(self) -> re.Pattern | None:
        """Names, synonyms and abbreviations, in any case (chats write 'npp', 'pmk oil'). A name may
        be followed by a hyphen ('NPP-HCl', 'GBL-Reiniger'), not preceded by one."""
        terms = {n.strip() for e in self.c.watchlist.entries for n in (e.name, *e.synonyms, *e.abbreviations)
                 if len(n.strip()) >= 3}
        return re.compile(rf"(?<![A-Za-z0-9_-])(?:{_alternatives(terms)})(?![A-Za-z0-9_])", re.I) if terms else None

    def _partial(self, digits: str) -> str | None:
        """A digit prefix that belongs to exactly one watchlist CAS ('79099' -> '79099-07-3')."""
        found = self.c.cas_starting_with(digits)
        return found[0] if len(found) == 1 else None

    def scan(self, lines) -> list[Mention]:
        out: list[Mention] = []
        for no, line in enumerate(lines, start=1):
            written, line = line, line.translate(_FOLD)  # '79099–07–3' is a CAS number too
            taken = bytearray(len(line))  # characters already inside a mention (linear, not quadratic)

            def add(a, b, query, kind, itype):
                if not any(taken[a:b]):
                    taken[a:b] = b"\x01" * (b - a)
                    out.append(Mention(no, a, b, written[a:b], query, kind, itype))

            for m in _AFTER_CAS.finditer(line):
                raw = m.group(1)
                digits = cas_digits(raw)
                valid = bool(digits) and cas_check_digit(digits[:-1]) == int(digits[-1])
                partial = self._partial(raw.replace("-", "")) if "-" not in raw[-2:] else None
                if valid and (self.known_cas(format_cas(digits)) or not partial):
                    add(m.start(), m.end(1), format_cas(digits), "cas", "cas")
                elif partial:  # 'CAS 21409': the start of ANPP's CAS, not the unknown CAS 21-40-9
                    add(m.start(), m.end(1), partial, "partial_cas", "cas")
                elif digits:  # after 'CAS' and CAS-shaped, but the check digit fails: say so
                    add(m.start(), m.end(1), raw, "cas", "cas")
            for m in _HYPHENATED.finditer(line):
                d = m.group(1).replace("-", "")
                if _DATE_LIKE.match(m.group(1)) and not self.known_cas(m.group(1)):
                    continue
                if cas_check_digit(d[:-1]) == int(d[-1]):
                    add(m.start(1), m.end(1), m.group(1), "cas", "cas")
                elif any(c in self.c.cas_index for c in cas_near_misses(m.group(1))):
                    add(m.start(1), m.end(1), m.group(1), "cas", "cas")  # one typo from a listed CAS
            if self._names is not None:
                for m in self._names.finditer(line):
                    add(m.start(), m.end(), m.group(0), "name", "name")
            for m in _TOKEN.finditer(line):
                at, tok = _smiles_token(m.group(0))
                if detect_type(tok) == "smiles" and any(ch in tok for ch in "()=#[]") and _parses(tok):
                    add(m.start() + at, m.start() + at + len(tok), tok, "smiles", "smiles")
        out.sort(key=lambda x: (x.line, x.start))
        return out


def _parses(tok: str) -> bool:
    from precursor_check.chemistry import molecules

    mol = molecules.parse_smiles(tok)
    return mol is not None and mol.GetNumHeavyAtoms() >= 4


def _alternatives(terms) -> str:
    """One regex alternation of the terms, longest first; spaces and hyphens inside a term match
    any run of them, an apostrophe (4'-) may be written or left out."""
    def one(term: str) -> str:
        parts = [re.escape(p).replace("'", "'?") for p in re.split(r"[\s-]+", term)]
        return r"[\s-]+".join(parts)

    return "|".join(one(t) for t in sorted(terms, key=len, reverse=True))


def _smiles_token(tok: str) -> tuple[int, str]:
    """(offset, text) of the SMILES inside a whitespace-delimited token: without a 'smiles=' key,
    a trailing full stop, or brackets and backticks that wrap it ('(CCO)', '`CCO`')."""
    at = 0
    key = _KEY.match(tok)
    if key and not _parses(tok):
        at, tok = key.end(), tok[key.end():]
    tok = tok.rstrip(".")
    # wrapping brackets and backticks off both ends, counting once (linear: 200,000 '(' took a minute)
    opens, closes = tok.count("("), tok.count(")")
    i = 0
    while i < len(tok) and (tok[i] == "`" or (tok[i] == "(" and opens > closes)):
        opens -= tok[i] == "("
        i += 1
    j = len(tok)
    while j > i and (tok[j - 1] == "`" or (tok[j - 1] == ")" and closes > opens)):
        closes -= tok[j - 1] == ")"
        j -= 1
    at, tok = at + i, tok[i:j]
    if tok[:1] == "(" and tok[-1:] == ")" and not _parses(tok) and _parses(tok[1:-1]):
        at, tok = at + 1, tok[1:-1]
    return at, tok
