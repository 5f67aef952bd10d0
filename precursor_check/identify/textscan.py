"""Find chemical mentions in free text: CAS numbers (also partial, after 'CAS'), chemical names,
and SMILES-like tokens.

Numbers that are prices, phone numbers or dates are not CAS numbers: a bare digit string
counts only when it is written as a CAS number (hyphenated, or after 'CAS') and its check
digit holds.

Names are found in two ways. The watchlist's names and abbreviations are matched on word
boundaries in any case ('NPP', 'pmk oil'). Every other name is found by its form: words built
of nomenclature pieces, with locants, brackets, protecting groups or salt words
(`nameforms.py`, data/name_forms.yaml) start a candidate, which extends over the name-like
words next to it; every span of the candidate is sent to the same resolver as `precheck name`
(watchlist, --resolve-file, the local table; then OPSIN, once per text, for what the tables do
not know), and the longest span that resolves wins. A candidate that reads like a systematic
name but resolves nowhere is reported (its screen says `unresolved`), never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from precursor_check.identify.identifiers import (
    DASHES,
    cas_check_digit,
    cas_digits,
    cas_near_misses,
    detect_type,
    format_cas,
)
from precursor_check.identify.nameforms import token_form, vocabulary
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
    def __init__(self, compiled: Compiled, known_cas=None, resolver=None):
        self.c = compiled
        self.known_cas = known_cas or (lambda cas: cas in compiled.cas_index)  # any source the screen resolves
        self.resolver = resolver  # the screen's Resolver: names found by their form are resolved with it
        self._resolved: dict[str, bool] = {}  # span text -> whether the tables resolve it (texts repeat names)

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
        pending: list[tuple] = []  # systematic-looking spans no table resolves: OPSIN gets them all at once
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
            listed = [(m.start(), m.end()) for m in self._names.finditer(line)] if self._names is not None else []
            spans = [(a, b, line[a:b]) for a, b in listed]
            runs = _runs(line, listed) if self.resolver is not None else []
            for run in runs:
                spans += self._resolved_spans(line, run)
            for a, b, query in sorted(spans, key=lambda x: (x[0] - x[1], x[0])):  # longest first
                add(a, b, query, "name", "name")
            for run in runs:
                for a, b in list(_unresolved_segments(run, taken)):
                    taken[a:b] = b"\x01" * (b - a)  # reserved: reported after OPSIN has been asked
                    pending.append((no, a, b, written[a:b], line[a:b], run))
            for m in _TOKEN.finditer(line):
                at, tok = _smiles_token(m.group(0))
                if detect_type(tok) == "smiles" and any(ch in tok for ch in "()=#[]") and _parses(tok):
                    add(m.start() + at, m.start() + at + len(tok), tok, "smiles", "smiles")
        out += self._systematic(pending)
        out.sort(key=lambda x: (x.line, x.start))
        return out

    def _resolves(self, text: str) -> bool:
        got = self._resolved.get(text)
        if got is None:
            if len(self._resolved) > 200_000:
                self._resolved.clear()
            got = self._resolved[text] = self.resolver.name(text) is not None
        return got

    def _resolved_spans(self, line: str, run: list[_Word]) -> list[tuple[int, int, str]]:
        """Every span of a run (up to MAX_WORDS words, holding a word that starts a name) that
        the tables resolve; overlapping ones are settled longest first by the caller."""
        found = []
        for i in range(len(run)):
            for j in range(min(len(run), i + MAX_WORDS) - 1, i - 1, -1):
                if not any(w.starts for w in run[i:j + 1]):
                    continue
                a, b = run[i].start, run[j].end
                if self._resolves(line[a:b]):
                    found.append((a, b, line[a:b]))
                    break  # the longest span from this word; shorter ones would lose to it
        return found

    def _systematic(self, pending) -> list[Mention]:
        """Spans that read like systematic names but no table resolves. OPSIN (one run for the
        whole text) is asked for each span and for each systematic word in it; the span is
        reported if OPSIN reads it or none of its words, else the words it reads. The screen
        then resolves each reported span the same way, or says it is `unresolved`."""
        if not pending:
            return []
        words = {id(p): [(w.start, w.end) for w in p[5] if w.systematic and p[1] <= w.start and w.end <= p[2]]
                 for p in pending}
        read: set[str] = set()
        if self.resolver.opsin:
            asked = [p[4] for p in pending] + [p[4][a - p[1]:b - p[1]] for p in pending for a, b in words[id(p)]]
            read = {n for n, (res, _why) in self.resolver.prefetch_opsin(asked).items() if res is not None}
        out = []
        for p in pending:
            no, a0, b0, text, query, _run = p
            parts = [(a, b) for a, b in words[id(p)] if query[a - a0:b - a0] in read and (a, b) != (a0, b0)]
            if query in read or not parts:
                out.append(Mention(no, a0, b0, text, query, "name", "name"))
            else:
                out += [Mention(no, a, b, text[a - a0:b - a0], query[a - a0:b - a0], "name", "name") for a, b in parts]
        return out


MAX_WORDS = 6  # the longest name span tried, in words ('2-phenylacetic acid ethyl ester hydrochloride')
# characters that never occur inside a chemical name as written in a text
_SEPARATORS = re.compile(r"[\s;|/\"“”«»!?<>*`=~]+|,(?![0-9NOSP]-?)|(?<![0-9'NOSP]),")
_OPEN, _CLOSE = "([{", ")]}"


@dataclass(frozen=True)
class _Word:
    start: int
    end: int
    starts: bool  # can start a name: built of nomenclature pieces, a protecting group joined to more, a listed name
    systematic: bool  # reads like a whole systematic name ('1-(2-phenylethyl)-4-piperidone')


def _words(line: str):
    """(start, end) of the words of a line: split at whitespace and at characters that are never
    part of a name (a comma only when it is not between locants, as in '2,4-'), without the
    full stops, quotes and unbalanced brackets around them."""
    at = 0
    for m in _SEPARATORS.finditer(line + " "):
        a, b = at, m.start()
        at = m.end()
        while a < b and (line[a] in "'.:" or (line[a] in _OPEN and _unbalanced(line[a:b], line[a]))):
            a += 1
        while b > a and (line[b - 1] in "'.:" or (line[b - 1] in _CLOSE and _unbalanced(line[a:b], line[b - 1]))):
            b -= 1
        while b - a > 2 and line[a] in _OPEN and line[b - 1] == _CLOSE[_OPEN.index(line[a])] and \
                not _unbalanced(line[a + 1:b - 1], line[a]) and not _unbalanced(line[a + 1:b - 1], line[b - 1]):
            a, b = a + 1, b - 1  # '(N-phenethyl-4-piperidone)'
        if b - a >= 2:
            yield a, b


def _unbalanced(word: str, ch: str) -> bool:
    pair = {"(": ")", "[": "]", "{": "}", ")": "(", "]": "[", "}": "{"}[ch]
    return word.count(ch) > word.count(pair)


@lru_cache(maxsize=100_000)
def _extends(word: str) -> bool:
    """A word that belongs to a name written in several words but never makes one alone: 'acid',
    'ester', 'hydrochloride', 'sodium', 'salt', 'tert', 'Boc'."""
    from precursor_check.chemistry.standardise import CATION_NAMES
    from precursor_check.identify.resolve import SALT_WORDS

    v = vocabulary()
    w = word.lower().strip("()[]±")
    return w in v.name_words or w in SALT_WORDS or w in CATION_NAMES or w in v.descriptors or w in v.protecting_groups


def _runs(line: str, listed: list[tuple[int, int]]) -> list[list[_Word]]:
    """Candidate name spans: runs of words separated by spaces only, each word able to start a
    name or to extend one, with at least one that starts one (a listed name counts)."""
    inside = bytearray(len(line) + 1)
    for a, b in listed:
        inside[a:b] = b"\x01" * (b - a)
    runs: list[list[_Word]] = []
    run: list[_Word] = []

    def flush():
        if any(w.starts for w in run):
            runs.append(run[:])
        run.clear()

    open_end = None  # where the last word of the run ended, if only spaces may follow it
    for a, b in _words(line):
        text = line[a:b]
        form = token_form(text)
        starts = form.chemical or any(inside[a:b])
        if not starts and not _extends(text):
            flush()
            open_end = None
            continue
        if run and (open_end is None or line[open_end:a].strip(" \t") or a - open_end > 3):
            flush()
        run.append(_Word(a, b, starts, form.systematic))
        open_end = b if b >= len(line) or line[b] in " \t" else None
        if open_end is None:  # a comma, a full stop, a bracket: the name ends here
            flush()
    flush()
    return runs


def _unresolved_segments(run: list[_Word], taken: bytearray):
    """Stretches of a run left outside every mention that hold a systematic-looking word, without
    the extending words at their edges: (start, end)."""
    seg: list[_Word] = []
    for w in [*run, None]:
        if w is not None and not any(taken[w.start:w.end]):
            seg.append(w)
            continue
        while seg and not seg[0].starts:
            seg.pop(0)
        while seg and not seg[-1].starts:
            seg.pop()
        if any(x.systematic for x in seg):
            yield seg[0].start, seg[-1].end
        seg = []


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
    while tok[:1] in ("(", "`") and (tok[0] == "`" or tok.count("(") > tok.count(")")):
        at, tok = at + 1, tok[1:]
    while tok[-1:] in (")", "`") and (tok[-1] == "`" or tok.count(")") > tok.count("(")):
        tok = tok[:-1]
    if tok[:1] == "(" and tok[-1:] == ")" and not _parses(tok) and _parses(tok[1:-1]):
        at, tok = at + 1, tok[1:-1]
    return at, tok
