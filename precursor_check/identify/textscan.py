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
from typing import TYPE_CHECKING

from precursor_check.identify.identifiers import (
    DASHES,
    cas_check_digit,
    cas_digits,
    cas_near_misses,
    detect_type,
    format_cas,
)
from precursor_check.identify.nameforms import could_be_systematic_word, token_form, vocabulary
from precursor_check.identify.names import HAN_CHAR, normalise_name

if TYPE_CHECKING:  # the watchlist is passed in; identify/ does not import watchlist/
    from precursor_check.watchlist.compile import Compiled

# Boundaries are ASCII letters and digits only: Chinese or Japanese text runs straight into a
# name or 'CAS' (出售BMK油, 产品CAS:79099073), and Python counts those characters as \w.

_HYPHENATED = re.compile(r"(?<![0-9])(?<![0-9]-)(\d{2,7}-\d{2}-\d)(?![0-9])(?!-[0-9])")
_AFTER_CAS = re.compile(
    r"(?<![A-Za-z0-9])CAS(?:[\s.:#-]*(?:RN|Number|No|Nr|Reg\.?\s*No|号|番号))?[\s.:#-]*(\d[\d-]{2,11}\d)(?![0-9])(?!-[0-9])",
    re.I)
_HAN_ONLY = re.compile(rf"{HAN_CHAR}+")
_SMILES_MARKS = re.compile(r"[()=#\[\]]")  # a SMILES worth parsing has a branch, a bond or a bracket atom
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
        be followed by a hyphen ('NPP-HCl', 'GBL-Reiniger'); one preceded by a hyphen counts only
        after a stereo descriptor ('dl-', '(+)-'), not inside another name ('1-boc-4-piperidone').
        Chinese text has no spaces: a name in Han characters counts inside a run of them
        ('供应盐酸麻黄素'), except a two-character one, which must stand alone ('丙酮 25kg'): '甲苯'
        (toluene) inside '甲苯磺酰氯' (tosyl chloride) or '硫酸' inside '硫酸铜' is another chemical."""
        every = {n.strip() for e in self.c.watchlist.entries for n in e.names}
        terms = {n for n in every if len(n) >= 3}
        short_han = sorted(n for n in every if len(n) == 2 and _HAN_ONLY.fullmatch(n))
        capitals = vocabulary().capitals_only  # 'TEA', never 'tea'
        terms -= capitals
        if not terms:
            return None
        rx = rf"(?:{_alternatives(terms)})"
        if capitals:
            rx = rf"(?:(?-i:{'|'.join(map(re.escape, sorted(capitals)))})|{rx})"
        if short_han:
            rx = rf"(?:(?<!{HAN_CHAR})(?:{'|'.join(short_han)})(?!{HAN_CHAR})|{rx})"
        return re.compile(rf"(?<![A-Za-z0-9_]){rx}(?![A-Za-z0-9_])", re.I)

    @cached_property
    def _listed_keys(self) -> tuple[frozenset, frozenset]:
        """(keys, their prefixes): the normalised names that identify a listed chemical, from the
        watchlist and from the local table (every name it keeps for a listed CAS number: trade,
        foreign and index names too, 'spirits of salt', 'Benzene, methyl-')."""
        keys = set(self.c.name_index)
        if self.resolver is not None and self.resolver.local is not None:
            # 5 letters or more: a short synonym in the local table is often an ordinary word ('tea')
            keys |= {k for k in listed_local_keys(self.resolver.local, self.c) if len(k) >= 5}
        keys = {k for k in keys if sum(ch.isalpha() for ch in k) >= 3}  # names, not CAS numbers or codes
        keys -= {normalise_name(a) for a in vocabulary().capitals_only}  # matched as written, by _names
        return frozenset(keys), frozenset(k[:i] for k in keys for i in range(1, len(k) + 1))

    def _line_words(self, line: str) -> tuple[list[tuple[int, int]], list[str], bool]:
        """The words of a line (`_words`), their lookup keys, and whether any of them can start or
        extend a name; worked out once per distinct token (texts repeat them)."""
        cache = self.__dict__.setdefault("_tokens", {})
        out: list[tuple[int, int]] = []
        keys: list[str] = []
        any_name = False
        for m in _NONSPACE.finditer(line):
            tok = m.group()
            got = cache.get(tok)
            if got is None:
                parts = _token_words(tok)
                got = (parts, [_key(tok[x:y]) for x, y in parts],
                       any(y - x >= 2 and _word_class(tok[x:y]) is not None for x, y in parts))
                if len(cache) > 500_000:
                    cache.clear()
                cache[tok] = got
            parts = got[0]
            a = m.start()
            if len(parts) == 1:
                out.append((a + parts[0][0], a + parts[0][1]))
            else:
                out += [(a + x, a + y) for x, y in parts]
            keys += got[1]
            any_name = any_name or got[2]
        return out, keys, any_name

    def _partial(self, digits: str) -> str | None:
        """A digit prefix that belongs to exactly one watchlist CAS ('79099' -> '79099-07-3')."""
        found = self.c.cas_starting_with(digits)
        return found[0] if len(found) == 1 else None

    def scan(self, lines) -> list[Mention]:
        out: list[Mention] = []
        later = []  # lines with name candidates, finished once OPSIN has been asked (once for the whole text)
        for no, line in enumerate(lines, start=1):
            written = line
            if not line.isascii():
                line = line.translate(_FOLD)  # '79099–07–3' is a CAS number too
            taken = bytearray(len(line))  # characters already inside a mention (linear, not quadratic)
            first = len(out)
            self._cas(no, written, line, taken, out)
            cas_here = out[first:]
            # the words, with one-character ones ('Zyklon B'); a line with no listed name and no word
            # that can start or extend a name is not looked at further (most lines of a chat)
            every, keys, names_here = self._line_words(line) if self.resolver is not None else ([], [], False)

            def context(line=line, keys=keys, names_here=names_here, cas_here=cas_here) -> bool:
                return bool(names_here or cas_here or _QUANTITY.search(line)
                            or not vocabulary().context_words.isdisjoint(keys))

            listed = self._listed_matches(line, every, keys, context)
            words = [w for w in every if w[1] - w[0] >= 2] if names_here or listed else []
            runs = _runs(line, words, listed) if words else []
            spans = [(a, b, line[a:b]) for a, b in listed]
            if runs:
                spans += self._table_spans(line, runs)
                later.append((no, written, line, taken, spans, runs, cas_here))
            else:
                self._finish(no, written, line, taken, spans, out, cas_here=cas_here)
        read = self._ask_opsin(later)
        for no, written, line, taken, spans, runs, cas_here in later:
            for run in runs:
                spans += [(a, b, line[a:b]) for a, b in _windows(run) if line[a:b] in read]
            self._finish(no, written, line, taken, spans, out, runs, cas_here)
        out.sort(key=lambda x: (x.line, x.start))
        return out

    @staticmethod
    def _add(out, no, written, taken, a, b, query, kind, itype) -> bool:
        if any(taken[a:b]):
            return False
        taken[a:b] = b"\x01" * (b - a)
        out.append(Mention(no, a, b, written[a:b], query, kind, itype))
        return True

    def _cas(self, no, written, line, taken, out) -> None:
        for m in _AFTER_CAS.finditer(line):
            raw = m.group(1)
            digits = cas_digits(raw)
            valid = bool(digits) and cas_check_digit(digits[:-1]) == int(digits[-1])
            partial = self._partial(raw.replace("-", "")) if "-" not in raw[-2:] else None
            if valid and (self.known_cas(format_cas(digits)) or not partial):
                self._add(out, no, written, taken, m.start(), m.end(1), format_cas(digits), "cas", "cas")
            elif partial:  # 'CAS 21409': the start of ANPP's CAS, not the unknown CAS 21-40-9
                self._add(out, no, written, taken, m.start(), m.end(1), partial, "partial_cas", "cas")
            elif digits:  # after 'CAS' and CAS-shaped, but the check digit fails: say so
                self._add(out, no, written, taken, m.start(), m.end(1), raw, "cas", "cas")
        for m in _HYPHENATED.finditer(line):
            d = m.group(1).replace("-", "")
            if _DATE_LIKE.match(m.group(1)) and not self.known_cas(m.group(1)):
                continue
            if cas_check_digit(d[:-1]) == int(d[-1]) or any(c in self.c.cas_index for c in cas_near_misses(m.group(1))):
                self._add(out, no, written, taken, m.start(1), m.end(1), m.group(1), "cas", "cas")

    @cached_property
    def _abbreviation_keys(self) -> frozenset:
        """Keys of the watchlist's abbreviations that are not also one of its names ('pcc', 'npp')."""
        wl = self.c.watchlist.entries
        names = {normalise_name(n) for e in wl for n in (e.name, *e.synonyms)}
        return frozenset(normalise_name(a) for e in wl for a in e.abbreviations) - names

    def _listed_matches(self, line: str, words: list[tuple[int, int]], wkeys: list[str],
                        context=lambda: True) -> list[tuple[int, int]]:
        """Listed names in a line: the watchlist's names as written, and any run of words whose
        normalised form (`wkeys`: each word's key) is a name of a listed chemical. What also reads as
        ordinary English counts only when `context()` says the line is about chemicals, or another
        listed name is on it: an abbreviation written in lower case ('pcc' in 'I'll pcc you' is not
        PCC), an ordinary word with a one-letter label ('agent T', 'vitamin L')."""
        found, lower_abbr = [], []
        if self._names is not None:
            for m in self._names.finditer(line):
                a = m.start()
                if a and line[a - 1] == "-" and not _DESCRIPTOR.fullmatch(line, _word_start(line, a), a):
                    continue  # '-4-piperidone' inside '1-boc-4-piperidone': part of another name
                found.append((a, m.end()))
        if self.resolver is not None:
            found += self._key_runs(line, words, wkeys)
        kept = []
        for a, b in found:
            text = line[a:b]
            ordinary = _labelled_word(text) or (text.islower() and _key(text) in self._abbreviation_keys)
            (lower_abbr if ordinary else kept).append((a, b))
        if lower_abbr and (kept or context()):
            kept += lower_abbr
        return kept

    def _key_runs(self, line: str, words: list[tuple[int, int]], wkeys: list[str]) -> list[tuple[int, int]]:
        """Runs of words whose joined keys are a name of a listed chemical (the local table's too)."""
        found = []
        keys, prefixes = self._listed_keys
        for i, key in enumerate(wkeys):
            if key not in prefixes or _ARTICLE.fullmatch(line, *words[i]):
                continue
            a, j = words[i][0], i
            while key in prefixes:
                if key in keys:
                    found.append(_balanced(line, a, words[j][1]))
                j += 1
                if j == len(words) or j - i >= MAX_KEY_WORDS or not _joins_key(line, words[j - 1][1], words[j][0]):
                    break
                more = wkeys[j]
                if _ARTICLE.fullmatch(line, *words[j]) and _article_before(line, words[j][1]):
                    break  # 'Sodium is a new library' is not 'Sodium ISA'; 'Taboon a, 99%' is Taboon A
                if not more:  # a dash or other punctuation between words is not part of a name; a sign
                    if not _SIGN.fullmatch(line, *words[j]):  # of rotation after an index name is ('(-)-')
                        break
                    if key in keys:
                        found.append(_balanced(line, a, words[j][1]))
                key += more
        return found

    def _resolves(self, text: str) -> bool:
        got = self._resolved.get(text)
        if got is None:
            if len(self._resolved) > 200_000:
                self._resolved.clear()
            got = self._resolved[text] = self.resolver.name(text) is not None
        return got

    def _table_spans(self, line: str, runs: list[list[_Word]]) -> list[tuple[int, int, str]]:
        """The longest span from each word of each run that the tables resolve (watchlist,
        --resolve-file, the local table); overlapping spans are settled longest first later."""
        found = []
        for run in runs:
            for a, b in _windows(run, longest_first=True):
                if self._resolves(line[a:b]) and not any(x[0] == a and x[1] > b for x in found):
                    found.append((a, b, line[a:b]))
        return found

    def _ask_opsin(self, later) -> set[str]:
        """The spans OPSIN reads, asked in one run for the whole text: every span of a run that
        reads like a systematic name and that no table resolved."""
        if self.resolver is None or not self.resolver.opsin:
            return set()
        asked = []
        for _no, _w, line, _t, spans, runs, _c in later:
            known = {(a, b) for a, b, _q in spans}
            for run in runs:
                asked += [line[a:b] for a, b in _windows(run) if (a, b) not in known
                          and (_systematic(run, a, b) or could_be_systematic_word(line[a:b]))]
        if not asked:
            return set()
        return {n for n, (res, _why) in self.resolver.prefetch_opsin(asked).items() if res is not None}

    def _finish(self, no, written, line, taken, spans, out, runs=(), cas_here=()) -> None:
        """Settle the names of a line longest first, report what reads like a systematic name but
        resolved nowhere (its screen says `unresolved`), then the SMILES. A name that holds a CAS
        number found on its own is the longer span and wins ('7790-93-4 (parent)', a PubChem
        synonym of potassium chlorate, is screened as that name, as `precheck name` does)."""
        for a, b, query in sorted(spans, key=lambda x: (x[0] - x[1], x[0])):
            if _material_of_a_thing(line, a, b):
                taken[a:b] = b"\x01" * (b - a)  # 'aluminium foil bag': a material, not a chemical offered
                continue
            if cas_here and any(taken[a:b]):
                inner = [m for m in cas_here if a <= m.start and m.end <= b and m.end - m.start < b - a]
                rest = bytearray(taken[a:b])
                for m in inner:
                    rest[m.start - a:m.end - a] = bytes(m.end - m.start)
                if inner and not any(rest):
                    for m in inner:
                        out.remove(m)
                        taken[m.start:m.end] = bytes(m.end - m.start)
            self._add(out, no, written, taken, a, b, query, "name", "name")
        for run in runs:
            for a, b in _unresolved_segments(run, taken):
                self._add(out, no, written, taken, a, b, line[a:b], "name", "name")
        for m in _TOKEN.finditer(line) if _SMILES_MARKS.search(line) else ():
            got = _smiles_in(m.group(0))
            if got is not None:
                at, tok = got
                self._add(out, no, written, taken, m.start() + at, m.start() + at + len(tok), tok, "smiles", "smiles")


def listed_local_keys(local, compiled: Compiled) -> set[str]:
    """The local table's normalised names of the listed CAS numbers, cached beside the index (a
    scan of its name table takes ~0.5 s)."""
    import json

    from precursor_check.identify.localdb import default_path
    from precursor_check.resources import cache_dir

    cas = sorted({c for e in compiled.watchlist.entries for c in e.all_cas()})
    db = local._path or default_path()
    if db is None or not cas:
        return set()
    import hashlib

    tag = hashlib.sha256(("\n".join(cas) + str(db)).encode()).hexdigest()[:16]
    path = cache_dir() / f"listed-names-{tag}.json"
    try:
        return set(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        pass
    conn = local._connect()
    if conn is None:
        return set()
    keys = set()
    for i in range(0, len(cas), 900):
        part = cas[i:i + 900]
        keys |= {r[0] for r in conn.execute(f"SELECT key FROM names WHERE cas IN ({','.join('?' * len(part))})", part)}
    try:
        import os
        import tempfile

        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".listed-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(sorted(keys), fh)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only cache: computed again next time
    return keys


MAX_WORDS = 6  # the longest name span tried, in words ('2-phenylacetic acid ethyl ester hydrochloride')
MAX_KEY_WORDS = 12  # the longest run of words looked up as a listed name's key (each must extend a known key)
# characters that never occur inside a chemical name as written in a text (outside brackets)
_SEPARATOR_CHARS = frozenset(";|/\"“”«»!?<>*`=~")
_OPEN, _CLOSE = "([{", ")]}"
# stereo and other descriptors written before a name with hyphens: 'dl-', '(+)-', '(1S,2R)-', '1s,2s-(+)-'
_DESCRIPTOR = re.compile(r"(?:(?:\(?(?:[+±]|-|\+/-|\+-)\)?|[dl]{1,2}|rac|meso|threo|erythro|\.?alpha\.?|"
                         r"\(?\d*[RS]\*?(?:,\d*[RS]\*?)*\)?)-)+", re.I)
# a locant on each side of a comma: '2,4', "3',4'", '6,6a', 'N,N', '1S,2R', 's,s'
_LOCANT_LEFT = re.compile(r"(?:^|[^A-Za-z0-9'*])(?:\d+[A-Za-z]?|[A-Za-z])'*\*?$")
_LOCANT_RIGHT = re.compile(r"(?:\d+[A-Za-z]?|[A-Za-z])'*\*?(?:[^A-Za-z]|$)")


@dataclass(frozen=True)
class _Word:
    start: int
    end: int
    starts: bool  # can start a name: built of nomenclature pieces, a protecting group joined to more, a listed name
    ends: bool  # can end a name: ends like a whole name ('...piperidone'), or a class word ('ketone', 'acid')
    systematic: bool  # reads like a whole systematic name ('1-(2-phenylethyl)-4-piperidone')


def _words(line: str) -> list[tuple[int, int]]:
    """(start, end) of the words of a line: split at whitespace, and outside brackets at characters
    that are never part of a name (a comma only when it is not between locants, as in '2,4-' or
    '(1S,2R)'), without the full stops, quotes and unbalanced brackets around them."""
    out = []
    for m in _NONSPACE.finditer(line):
        a = m.start()
        parts = _token_words(m.group())
        if len(parts) == 1 and parts[0][0] == 0:
            out.append((a, a + parts[0][1]))
        else:
            out += [(a + x, a + y) for x, y in parts]
    return out


_TOKEN_WORDS: dict[str, tuple] = {}


def _token_words(token: str) -> tuple:
    """The words of one whitespace-delimited token, as (start, end) within it; cached: texts repeat
    their tokens, and a token's words do not depend on what is around it."""
    got = _TOKEN_WORDS.get(token)
    if got is None:
        b = len(token)
        if _SPLITS.search(token):
            got = tuple(_split_words(token, 0, b))
        elif token[0] in _TRIM_START or token[-1] in _TRIM_END:
            got = tuple(_trimmed(token, 0, b))
        elif b >= 2 or token.isalnum():
            got = ((0, b),)
        else:
            got = ()
        if len(_TOKEN_WORDS) > 500_000:
            _TOKEN_WORDS.clear()
        _TOKEN_WORDS[token] = got
    return got


_NONSPACE = re.compile(r"\S+")
# the English article, a lower-case 'a' before another word: never a part of a listed name's key
# (a name with a letter in it writes it in capitals, 'Taboon A', or ends with it, 'taboon a, 99%')
_ARTICLE = re.compile(r"a")
_BEFORE_A_WORD = re.compile(r"\s+([A-Za-z0-9]+)")


def _article_before(line: str, end: int) -> bool:
    """Whether the 'a' ending at `end` reads as the article: another word follows it, and not one
    that never follows an article ('profume a in stock', 'taboon a with best price')."""
    m = _BEFORE_A_WORD.match(line, end)
    return bool(m) and m.group(1).lower() not in vocabulary().not_after_article


_LABELLED = re.compile(r"([A-Za-z]+)[\s-]+[A-Za-z0-9]")


def _labelled_word(text: str) -> bool:
    """An ordinary English word with a one-letter or one-digit label after it ('agent T', 'vitamin
    L', 'Symptom 2'; data/name_forms.yaml label_words): PubChem keeps a few as synonyms of listed
    chemicals, but in ordinary text they are the words they read as."""
    m = _LABELLED.fullmatch(text)
    return bool(m) and m.group(1).lower() in vocabulary().label_words


# chemical context for an abbreviation written in lower case: a quantity or purity
_QUANTITY = re.compile(r"(?<![A-Za-z])\d+(?:[.,]\d+)?\s*(?:%|kg|g|mg|ml|l|lb|lbs|oz|kilos?|grams?|litres?|liters?)(?![A-Za-z])",
                       re.I)
_SIGN = re.compile(r"\((?:[+±-]|\+/-|\+-)\)-?")  # a sign of optical rotation: '(-)-', '(+)', '(±)-'
# a Greek letter written between full stops, as CAS index names do ('.alpha.-tolunitrile')
_DOTTED_GREEK = re.compile(r"\.(?:alpha|beta|gamma|delta|epsilon|omega|psi|xi|mu|eta|kappa|lambda|sigma|tau)\.", re.I)
# PubChem's synonyms write a Greek letter as a bar and a Latin one ('|a-phenyl' for alpha-phenyl,
# '(|as)-', 'ergoline-8|a-carboxamide', 'pentachloro-|e5-phosphane' for lambda5): inside a name,
# that bar is not a separator
_BAR_GREEK = re.compile(r"\|[a-z?]\d*(?:[-,]|[rs]?\))")
# a character lost to an encoding ('?-[(1R)-1-(methylamino)ethyl]', '(?R)-' for alpha and (alphaR)):
# a '?' at the start of a word part, before a hyphen, a comma or an R/S descriptor's bracket
_LOST = re.compile(r"\?(?:[-,]|[rs]?\))", re.I)
# an HTML entity ('Quadrapure&reg; EDA', '&alpha;-PAAN', '&#945;'): its ';' does not end the word; the
# entity is kept as written, the resolver reads it as `precheck name` does
_ENTITY_BEFORE = re.compile(r"&(?:[A-Za-z]{2,8}|#\d{2,6}|#[xX][0-9A-Fa-f]{2,6})$")


def _inside_name(line: str, i: int) -> bool:
    """Whether the separator-like character at line[i] is a part of a name as written: a Greek
    letter written '|a', a lost character '?', a double prime written '"' (2,2',2"-, also doubled
    by CSV as 2"" -), or the ';' closing an HTML entity."""
    ch = line[i]
    if ch == "|":
        return bool(_BAR_GREEK.match(line, i))
    if ch == "?":
        return (i == 0 or line[i - 1] in " \t(,[-|") and bool(_LOST.match(line, i))
    if ch == '"':
        k, j = i, i
        while k > 0 and line[k - 1] == '"':
            k -= 1
        while j < len(line) and line[j] == '"':
            j += 1
        return k > 0 and (line[k - 1].isdigit() or line[k - 1] == "'") and j < len(line) and line[j] in "-,)"
    if ch == ";":
        return bool(_ENTITY_BEFORE.search(line, max(0, i - 12), i))
    return False
_TRIM_START, _TRIM_END = frozenset("'.:([{"), frozenset("'.:)]}")
_SPLITS = re.compile(r"[;|/\"“”«»!?<>*`=~,]")


def _split_words(line: str, start: int, n: int):
    i = start
    while i < n:
        while i < n and (line[i].isspace() or line[i] in _SEPARATOR_CHARS or line[i] == ",") and \
                not _inside_name(line, i):
            i += 1
        a, depth = i, 0
        while i < n and not line[i].isspace():
            ch = line[i]
            if ch in _OPEN:
                depth += 1
            elif ch in _CLOSE:
                depth = max(0, depth - 1)
            elif depth == 0 and (ch in _SEPARATOR_CHARS or (ch == "," and not _locant_comma(line, i))) and \
                    not _inside_name(line, i):
                break
            i += 1
        yield from _trimmed(line, a, i)


def _trimmed(line: str, a: int, b: int):
    """The word line[a:b] without the full stops, quotes and unbalanced brackets around it.

    Bracket counts of the window are kept as it shrinks: linear in the word's length (a run of
    200,000 '(' is one word)."""
    window = line[a:b]
    n = {ch: window.count(ch) for ch in "()[]{}"}
    pair = {"(": ")", "[": "]", "{": "}", ")": "(", "]": "[", "}": "{"}
    while a < b and (line[a] in "'.:" or (line[a] in _OPEN and n[line[a]] > n[pair[line[a]]])) and \
            not _DOTTED_GREEK.match(line, a):
        if line[a] in n:
            n[line[a]] -= 1
        a += 1
    while b > a and (line[b - 1] in "'.:" or (line[b - 1] in _CLOSE and n[line[b - 1]] > n[pair[line[b - 1]]])):
        if line[b - 1] in n:
            n[line[b - 1]] -= 1
        b -= 1
    while b - a > 2 and line[a] in _OPEN and line[b - 1] == pair[line[a]] and \
            n[line[a]] - 1 == n[line[b - 1]] - 1:  # '(N-phenethyl-4-piperidone)': the inside is balanced
        n[line[a]] -= 1
        n[line[b - 1]] -= 1
        a, b = a + 1, b - 1
    return [(a, b)] if b - a >= 2 or (b > a and line[a].isalnum()) else []


def _word_start(line: str, i: int) -> int:
    """Where the whitespace-delimited word ending at position i starts."""
    while i > 0 and not line[i - 1].isspace():
        i -= 1
    return i


def _locant_comma(line: str, i: int) -> bool:
    """A comma between locants ('2,4-', "3',4'-", '6,6a', 'N,N-', '(1S,2R)'), not between words.

    >>> _locant_comma("2,4-dichloro", 1), _locant_comma("N,N-dimethyl", 1), _locant_comma("is,a test", 2)
    (True, True, False)
    """
    return bool(_LOCANT_LEFT.search(line, max(0, i - 8), i)) and bool(_LOCANT_RIGHT.match(line, i + 1))


@lru_cache(maxsize=100_000)
def _extends(word: str) -> bool:
    """A word that belongs to a name written in several words but never makes one alone: 'acid',
    'ketone', 'ester', 'hydrochloride', 'sodium', 'salt', 'tert', 'Boc'."""
    from precursor_check.chemistry.standardise import CATION_NAMES
    from precursor_check.identify.resolve import SALT_WORDS

    v = vocabulary()
    w = word.lower().strip("()[]±")
    return (w in v.name_words or w in SALT_WORDS or w in CATION_NAMES or w in v.descriptors
            or w in v.protecting_groups or (len(w) >= 4 and w in v.endings)
            or w.replace("sulph", "sulf") in _element_names() or bool(_LOCANTS_ONLY.fullmatch(w)))


# a word of locants only, written apart from the rest of its name: '9,10-' in '6-methyl- 9,10- didehydroergoline'
_LOCANTS_ONLY = re.compile(r"\d+[a-z]?'*(?:,\d+[a-z]?'*)*-")


@lru_cache(maxsize=1)
def _element_names() -> frozenset[str]:
    """The non-metal elements' names ('sulfur chloride', 'phosphorus trichloride'): data/vocabulary/nonmetals.tsv."""
    from precursor_check.chemistry.vocabulary import rows

    return frozenset(name.lower() for _symbol, name in rows("nonmetals.tsv"))


@lru_cache(maxsize=200_000)
def _key(word: str) -> str:
    return normalise_name(word)


def _joins(line: str, end: int, start: int, word: str) -> bool:
    """Whether a word continues the name before it: only spaces between them; or a comma before the
    rest of an inverted index name ('Benzene, methyl-', 'Benzeneacetic acid, sodium salt',
    '4-piperidone,1-benzyl'); or a semicolon joining a salt's ions ('sodium;2-phenylacetate')."""
    gap = line[end:start]
    if not gap.strip(" \t"):
        return len(gap) <= 3
    if gap.strip(" \t") == ",":
        return word.endswith("-") or _extends(word) or token_form(word).chemical or _ends_like_a_class(word)
    return gap == ";" and (token_form(word).chemical or _extends(word))


def _joins_key(line: str, end: int, start: int) -> bool:
    """Whether the next word may continue a listed name's key: a name is known only when the whole
    run of words is one of its exact keys, so the words may be apart by spaces, brackets, full stops
    and one comma ('chlorowodor [Polish]', 'saltpeter (Chile)', 'Benzenemethanol, .alpha.-methyl-',
    'nitric acid, ammonium salt (2:1)'), or by a semicolon joining a salt's ions."""
    gap = line[end:start]
    return len(gap) <= 6 and gap.count(",") <= 1 and not gap.strip(_KEY_GAP)


# what may stand between the words of a listed name's key: only the whole run's key counts, so a
# synonym list joined by ';' or '~' as PubChem writes it, or CSV-doubled quotes ('Kampstoff ""Lost""'),
# are read as the name they are written as
_KEY_GAP = " \t,.:;~'\"()[]{}"


def _balanced(line: str, a: int, b: int) -> tuple[int, int]:
    """The span a..b widened over the brackets that close or open inside it ('saltpeter (Chile)',
    '(phenylmethyl) 4-oxopiperidine-1-carboxylate')."""
    text = line[a:b]
    for o, c in ("()", "[]", "{}"):
        missing = text.count(o) - text.count(c)
        while missing > 0 and b < len(line) and line[b] == c:
            b, missing = b + 1, missing - 1
        while missing < 0 and a > 0 and line[a - 1] == o:
            a, missing = a - 1, missing + 1
    return a, b


def _ends_like_a_class(word: str) -> bool:
    """"1,1'-anhydride", 'phenyl-nitrile': a word whose last part is a class word."""
    last = re.split(r"[-(),'\[\]]+", word.lower())[-1]
    return len(last) >= 4 and last in vocabulary().endings


def _runs(line: str, words: list[tuple[int, int]], listed: list[tuple[int, int]]) -> list[list[_Word]]:
    """Candidate name spans: runs of joined words, each able to start or to extend a name, with at
    least one that starts one (a listed name counts)."""
    inside = None
    if listed:
        inside = bytearray(len(line) + 1)
        for a, b in listed:
            inside[a:b] = b"\x01" * (b - a)
    runs: list[list[_Word]] = []
    run: list[_Word] = []
    starts_any = False
    for a, b in words:
        text = line[a:b]
        kind = _word_class(text)
        listed_here = inside is not None and any(inside[a:b])
        if kind is None and not listed_here:
            if starts_any:
                runs.append(run)
            run, starts_any = [], False
            continue
        starts, ends, systematic = kind or (False, False, False)
        starts = starts or listed_here
        if run and not _joins(line, run[-1].end, a, text):
            if starts_any:
                runs.append(run)
            run, starts_any = [], False
        run.append(_Word(a, b, starts, ends, systematic))
        starts_any = starts_any or starts
    if starts_any:
        runs.append(run)
    return runs


_CLASSES: dict[str, tuple[bool, bool, bool] | None] = {}


def _word_class(text: str) -> tuple[bool, bool, bool] | None:
    """(starts, ends, systematic) of a word that can start or extend a name, else None; cached:
    texts repeat their words."""
    got = _CLASSES.get(text, False)
    if got is False:
        form = token_form(text)
        extends = _extends(text)
        got = None
        if form.chemical or extends:
            got = (form.chemical, form.complete or (extends and text.lower() not in _NOT_ENDS), form.systematic)
        elif _condensed_formula(text):
            got = (True, True, False)  # looked up in the tables only: never asked of OPSIN, never reported
        if len(_CLASSES) > 500_000:
            _CLASSES.clear()
        _CLASSES[text] = got
    return got


_NOT_ENDS = frozenset({"tert", "sec", "n", "boc", "cbz", "fmoc"})
# a condensed formula: element symbols and the common group abbreviations, with counts ('MeNH2',
# 'SOCl2', 'Cl2SO', 'EtOAc' does not count: no digit); a word of this form is a name only when the
# tables resolve it, as `precheck name` does
_FORMULA = re.compile(
    r"(?:(?:Me|Et|Pr|Bu|Ph|Ac|Bn|Cl|Br|Na|Li|Mg|Al|Si|Ca|Zn|Cu|Fe|Mn|Cr|Ba|Hg|Pb|Sn|Pd|Pt|Ag|Au|Se|As|Sb|"
    r"Bi|Ni|Co|Ti|Sr|Cs|Tl|Cd|I|H|B|C|N|O|F|P|S|K)\d*){2,}", re.I)


def _condensed_formula(text: str) -> bool:
    """'MeNH2', 'menh2', 'SOCl2': element symbols with at least one count, starting with a letter.

    >>> _condensed_formula("MeNH2"), _condensed_formula("SOCl2"), _condensed_formula("2000W"), _condensed_formula("hello")
    (True, True, False, False)
    """
    return 3 <= len(text) <= 16 and text[0].isalpha() and any(c.isdigit() for c in text) and \
        bool(_FORMULA.fullmatch(text))


def _windows(run: list[_Word], longest_first: bool = False):
    """(start, end) of every span of a run up to MAX_WORDS words that holds a word starting a name;
    from each word, the longest first when asked."""
    for i in range(len(run)):
        ends = range(min(len(run), i + MAX_WORDS) - 1, i - 1, -1)
        for j in (ends if longest_first else reversed(ends)):
            if any(w.starts for w in run[i:j + 1]):
                yield run[i].start, run[j].end


def _systematic(run: list[_Word], a: int, b: int) -> bool:
    """Worth asking OPSIN: a span with a word that reads like a systematic name, or several name
    words ending like a name ('ethyl phenylacetate', 'benzyl methyl ketone')."""
    words = [w for w in run if a <= w.start and w.end <= b]
    return any(w.systematic for w in words) or (len(words) >= 2 and words[0].starts and words[-1].ends)


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


def _material_of_a_thing(line: str, a: int, b: int) -> bool:
    """A metal's name written as the material of a thing: 'aluminium foil bag', 'Aluminum alloy
    stand' (data/vocabulary/material_words.tsv), not 'aluminium powder'."""
    materials, things = _material_words()
    if line[a:b].lower() not in materials:
        return False
    m = _NEXT_WORD.match(line, b)
    return bool(m) and m.group(1).lower() in things


_NEXT_WORD = re.compile(r"[\s-]+([A-Za-z]+)")


@lru_cache(maxsize=1)
def _material_words() -> tuple[frozenset, frozenset]:
    from precursor_check.chemistry.standardise import CATION_NAMES
    from precursor_check.chemistry.vocabulary import rows

    got = rows("material_words.tsv")
    return (frozenset(w for w, role in got if role == "material") | frozenset(CATION_NAMES),
            frozenset(w for w, role in got if role == "thing"))


@lru_cache(maxsize=100_000)
def _smiles_in(token: str) -> tuple[int, str] | None:
    """(offset, SMILES) of the SMILES a token holds, else None; cached: chats repeat their tokens."""
    if not _SMILES_MARKS.search(token):
        return None
    at, tok = _smiles_token(token)
    if any(ch in tok for ch in "()=#[]") and detect_type(tok) == "smiles" and _parses(tok):
        return at, tok
    return None


def _parses(tok: str) -> bool:
    from precursor_check.chemistry import molecules

    mol = molecules.parse_smiles(tok)
    return mol is not None and mol.GetNumHeavyAtoms() >= 4


def _alternatives(terms) -> str:
    """One regex alternation of the terms, as a trie (shared beginnings written once: a scan of
    a 10 MB chat tries each alternative at each character, so this is what makes it fast).
    Spaces and hyphens inside a term match any run of them, an apostrophe (4'-) may be written or
    left out; longer terms win over their own beginnings.

    >>> import re; rx = re.compile(_alternatives(["NPP", "NPP hydrochloride", "4'-MPP"]), re.I)
    >>> [m.group(0) for m in rx.finditer("npp  HYDROCHLORIDE, NPP, 4-MPP")]
    ['npp  HYDROCHLORIDE', 'NPP', '4-MPP']
    """
    trie: dict = {}
    for term in terms:
        node = trie
        for atom in _atoms(term.lower()):
            node = node.setdefault(atom, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [atom + emit(child) for atom, child in sorted(node.items()) if atom]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


def _atoms(term: str) -> list[str]:
    out: list[str] = []
    for ch in term:
        if ch in " \t-":
            if out[-1:] != [r"[\s-]+"]:
                out.append(r"[\s-]+")
        elif ch == "'":
            out.append("'?")
        else:
            out.append(re.escape(ch))
    return out


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
