"""Identifier -> structure: the watchlist first, then the user's own file, the local
PubChem-derived table, and (optionally) OPSIN for systematic names.

Every answer says where the structure came from.
"""

from __future__ import annotations

import csv
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from precursor_check.chemistry import vocabulary
from precursor_check.chemistry.standardise import CATION_NAMES
from precursor_check.errors import InputError
from precursor_check.identify.localdb import LocalDB
from precursor_check.identify.names import HAN_CHAR, normalise_name
from precursor_check.memo import Memo

if TYPE_CHECKING:  # the watchlist is passed in; identify/ does not import watchlist/
    from precursor_check.watchlist.compile import Compiled

_HAN = re.compile(HAN_CHAR)
SALT_WORDS = vocabulary.salt_words()  # 'hcl' -> 'hydrochloride': data/vocabulary/salt_words.tsv


def salt_words(form: str | None) -> tuple[str, ...]:
    """The counter-ion and solvent names in a form's description, as reasons name them.

    >>> salt_words("hydrochloride monohydrate (piperidine-4,4-diol hydrochloride)"), salt_words("sodium salt")
    (('hydrochloride', 'hydrate'), ('sodium',))
    >>> salt_words("(1R,2S)-(-)-norephedrine")
    ()
    """
    if not form:
        return ()
    words = re.findall(r"[a-z]+", form.lower())
    return tuple(dict.fromkeys(SALT_WORDS.get(w) or w for w in words if w in SALT_WORDS or w in CATION_NAMES))


class Resolved(NamedTuple):  # one per query: a NamedTuple is built ~5x faster than a frozen dataclass
    smiles: str | None  # None for structureless watchlist entries (mixtures)
    source: str  # "watchlist PC-0018", "local table (PubChem CID 96437)", "user file orders.csv", "OPSIN"
    entry_id: str | None = None  # resolved to a watchlist entry by identifier
    form: str | None = None  # salt/hydrate form named by the identifier ("hydrochloride")
    name: str | None = None


class UserTable:
    """A user's own catalogue: CSV/TSV with a CAS and/or name column and a SMILES column."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.by_cas: dict[str, str] = {}
        self.by_name: dict[str, str] = {}
        try:
            text = self.path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise InputError(f"cannot read resolve file {path}: {(exc.strerror or str(exc)).lower()}") from None
        except UnicodeDecodeError:
            raise InputError(f"cannot read resolve file {path}: it is not UTF-8; save it as UTF-8") from None
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;") if text.strip() else csv.excel
        except csv.Error:  # one column, or no delimiter the sniffer can see: read it as plain CSV
            dialect = csv.excel
        rows = csv.DictReader(text.splitlines(), dialect=dialect)
        try:
            fields = {f.lower().strip(): f for f in rows.fieldnames or []}
        except csv.Error as exc:
            raise InputError(f"cannot read resolve file {path}: its header: {exc}") from None
        smi = next((fields[k] for k in ("smiles", "structure", "canonical_smiles") if k in fields), None)
        cas = next((fields[k] for k in ("cas", "cas_number", "cas rn", "casrn", "cas_no") if k in fields), None)
        name = next((fields[k] for k in ("name", "product", "chemical", "chemical_name") if k in fields), None)
        if smi is None or (cas is None and name is None):
            raise InputError(f"resolve file {path} needs a SMILES column and a CAS or name column")
        try:
            self._read(rows, smi, cas, name)
        except csv.Error as exc:
            raise InputError(f"cannot read resolve file {path}: line {rows.line_num}: {exc}") from None

    def _read(self, rows, smi: str, cas: str | None, name: str | None) -> None:
        from precursor_check.identify.identifiers import cas_digits, format_cas

        for row in rows:
            s = (row.get(smi) or "").strip()
            if not s:
                continue
            if cas and row.get(cas):
                d = cas_digits(row[cas])
                if d:
                    self.by_cas[format_cas(d)] = s
            if name and row.get(name):
                self.by_name[normalise_name(row[name])] = s


class Resolver:
    def __init__(self, compiled: Compiled, local: LocalDB | None = None, user_files: tuple[str, ...] = (),
                 opsin: bool = True):
        self.c = compiled
        self.local = local if local is not None else LocalDB()
        self.user = [UserTable(p) for p in user_files]
        self.opsin = opsin

    def _entry(self, eid: str, form: str | None, via: str) -> Resolved:
        e = self.c.entry(eid)
        if form and salt_words(form) != (form,):  # a form other than a plain salt word (an enantiomer): say so
            via = f"{via}, {form}"
        return Resolved(e.smiles, f"watchlist {eid} ({via})", entry_id=eid, form=form, name=e.name)

    def cas(self, cas: str) -> Resolved | None:
        if cas in self.c.cas_index:
            eid, form = self.c.cas_index[cas]
            return self._entry(eid, form, f"CAS {cas}")
        for t in self.user:
            if cas in t.by_cas:
                return Resolved(t.by_cas[cas], f"user file {t.path.name}")
        rec = self.local.by_cas(cas) if self.local else None
        if rec:
            return Resolved(rec.smiles, f"local table (PubChem CID {rec.cid})", name=rec.name)
        return None

    def known_cas(self, cas: str) -> bool:
        return cas in self.c.cas_index or any(cas in t.by_cas for t in self.user) or bool(
            self.local and self.local.has_cas(cas))

    def name(self, text: str) -> Resolved | None:
        """A name (or abbreviation), with a trailing salt word ('NPP hydrochloride') allowed.

        Each source is asked for the whole text and then for the name without its salt word
        before the next source is asked: the curated watchlist knows 'pseudoephedrine' better
        than the local table knows 'pseudoephedrine hydrochloride' (whose first record there is
        the other enantiomer).
        """
        base, form = split_salt_word(text)
        candidates = [(text, None)] + ([(base, form)] if base != text else [])
        plain = strip_grade(text)  # 'N-Boc-4-piperidone, 99%', 'acetone ACS reagent'
        if plain != text:
            pbase, pform = split_salt_word(plain)
            candidates += [(plain, None)] + ([(pbase, pform)] if pbase != plain else [])
        keys = [(c, f, k) for c, f in candidates if (k := normalise_name(c))]
        for candidate, f, key in keys:
            eid = self.c.name_index.get(key) or self.c.abbreviations.get(candidate.strip().upper())
            if eid:
                return self._entry(eid, f, f"name {candidate.strip()!r}")
        if generic_name(text):  # 'hydrochloride', 'alpha', 'ethyl': no source is asked
            return None
        for candidate, f, key in keys:
            for t in self.user:
                if key in t.by_name:
                    return Resolved(t.by_name[key], f"user file {t.path.name}", form=f)
        for candidate, f, key in keys:
            rec = self.local.by_name(candidate) if self.local else None
            if rec:
                return Resolved(rec.smiles, f"local table (PubChem CID {rec.cid}, {rec.name!r})", form=f,
                                name=rec.name)
        return None

    def opsin_name(self, text: str) -> tuple[Resolved | None, str | None]:
        """(structure, None) or (None, why not) for a systematic name via OPSIN (optional extra)."""
        if not self.opsin or not could_be_systematic(text):
            return None, None
        if opsin_switched_off():
            return None, OPSIN_OFF
        return self.prefetch_opsin([text])[text]

    def prefetch_opsin(self, names) -> dict[str, tuple[Resolved | None, str | None]]:
        """OPSIN's answers for these names, all new ones in one run (each run starts Java: ~1-3 s).

        Answers are remembered; a reason (no Java, no extra) is not, since it can be fixed.
        """
        cache = self.__dict__.get("_opsin")
        if cache is None:
            cache = self._opsin = Memo(100_000)
        todo = [] if opsin_switched_off() else [
            n for n in dict.fromkeys(names) if n not in cache and could_be_systematic(n) and not generic_name(n)]
        fresh = opsin_resolve_many(todo) if todo else {}
        for n, got in fresh.items():
            if got[1] is None:
                cache.put(n, got)
        return {n: fresh.get(n) or cache.get(n) or (None, None) for n in names}

    def ambiguous(self, text: str) -> list[str]:
        """The CAS numbers a name left out of the local index as ambiguous may mean (else none)."""
        if not self.local:
            return []
        return self.local.candidates(text) or self.local.candidates(split_salt_word(text)[0])

    def suggestions(self, text: str, limit: int = 3) -> list[str]:
        """'Did you mean' candidates: the CAS numbers of an ambiguous name, else near names."""
        from rapidfuzz import fuzz, process

        key = normalise_name(text)
        if not key:
            return []
        cas = self.ambiguous(text)
        if cas:
            return cas[:limit]
        choices = {normalise_name(n): n for e in self.c.watchlist.entries
                   for n in e.names}
        best = process.extract(key, list(choices), scorer=fuzz.ratio, limit=limit, score_cutoff=75)
        out = [choices[k] for k, _s, _i in best]
        if self.local and len(out) < limit:
            names = _local_names(self.local)
            more = process.extract(key, list(names), scorer=fuzz.ratio, limit=limit, score_cutoff=85)
            out += [names[k] for k, _s, _i in more if names[k] not in out and k != key]
        return out[:limit]


_LOCAL_NAMES: dict[int, dict[str, str]] = {}


def _local_names(local: LocalDB) -> dict[str, str]:
    if id(local) not in _LOCAL_NAMES:
        _LOCAL_NAMES[id(local)] = {normalise_name(n): n for n in local.common_names() if n}
    return _LOCAL_NAMES[id(local)]


@lru_cache(maxsize=1)
def _grade():
    """One trailing purity, grade or form word group (data/vocabulary/grade_words.txt) with its separators."""
    return re.compile(r"[\s,;/(]*(?:" + "|".join(vocabulary.grade_words()) + r")\s*\)?\s*$", re.I)


def strip_grade(text: str) -> str:
    """The name without trailing purity, grade and physical-form words, as catalogues and order
    lines write them.

    >>> strip_grade("N-Boc-4-piperidone, 99%"), strip_grade("Acetone ACS reagent"), strip_grade("piperonal (98+%) powder")
    ('N-Boc-4-piperidone', 'Acetone', 'piperonal')
    """
    out = text.strip()
    while True:
        new = _grade().sub("", out).strip()
        if new == out or not new:
            return out
        out = new


_WORD_SPLIT = re.compile(r"[^a-z]+")


def generic_name(text: str) -> str | None:
    """Why `text` is not a chemical name, or None: it is only locants, only salt words, or one
    prefix or class word ('hydrochloride', 'alpha', '4-ethyl', 'amine'); such a word matches an
    arbitrary record in a large table. 'ethyl acetate' and 'methyl ethyl ketone' are names.

    >>> generic_name("hydrochloride"), generic_name("alpha"), generic_name("N-ethyl")
    ('a salt or form word', 'a locant or stereo descriptor', 'a substituent prefix')
    >>> generic_name("ethyl acetate") is None, generic_name("NPP") is None
    (True, True)
    """
    s = text.lower()
    if not s.isascii():
        from precursor_check.identify.names import normalise_name as _n  # Greek letters spelled out, full-width folded

        s = _n(text) if not any(ch.isspace() for ch in text) else s
    table = vocabulary.generic_words()
    words = [w for w in _WORD_SPLIT.split(s) if w]
    if not words:
        return None  # digits or punctuation only: not a word at all (CAS, SMILES are decided before)
    kinds = [table.get(w) or ("locant" if len(w) == 1 else None) for w in words]
    if None in kinds:
        return None
    rest = [k for k in kinds if k != "locant"]
    if not rest:
        return "a locant or stereo descriptor"
    if all(k == "salt" for k in rest):
        return "a salt or form word"
    if len(rest) == 1:
        return {"prefix": "a substituent prefix", "class": "a class or fragment word"}[rest[0]]
    return None


def could_be_systematic(name: str) -> bool:
    """Whether OPSIN (systematic names, one Java start per batch) is worth asking: a short token in
    capitals is an abbreviation or a SMILES ('BOC', 'CPC', 'SS'), and a plain word that is not
    built of nomenclature pieces is a trivial name OPSIN cannot read ('aspirin').

    >>> could_be_systematic("ethyl 2-phenylacetate"), could_be_systematic("CPC"), could_be_systematic("benzene")
    (True, False, True)
    >>> could_be_systematic("aspirin"), could_be_systematic("Aspirin")
    (False, False)
    """
    s = name.strip()
    if not s or (len(s) <= 6 and s == s.upper() and not any(ch.isspace() for ch in s)):
        return False
    if s.isalpha():
        from precursor_check.identify.nameforms import could_be_systematic_word

        return could_be_systematic_word(s)
    return True


def split_salt_word(text: str) -> tuple[str, str | None]:
    """'NPP hydrochloride' -> ('NPP', 'hydrochloride'); 'PMK glycidic acid sodium salt' and
    'PMK glycidic acid sodium' -> ('PMK glycidic acid', 'sodium'); Chinese names write the salt
    word without a space, before or after the name ('盐酸麻黄素', '苯乙酸钠'); French and Spanish
    write it before ('chlorhydrate d'éphédrine', 'clorhidrato de efedrina').

    >>> split_salt_word("盐酸麻黄素"), split_salt_word("麻黄素盐酸盐"), split_salt_word("苯乙酸钠")
    (('麻黄素', 'hydrochloride'), ('麻黄素', 'hydrochloride'), ('苯乙酸', 'sodium'))
    >>> split_salt_word("Chlorhydrate d’éphédrine"), split_salt_word("clorhidrato de efedrina")
    (('éphédrine', 'hydrochloride'), ('efedrina', 'hydrochloride'))
    """
    plain = text.strip()
    low = plain.lower().replace("\u2019", "'")  # the same length as `plain`: positions hold
    han = bool(_HAN.search(plain))
    for affix, before, form in vocabulary.salt_affixes():
        if bool(_HAN.match(affix)) != han:
            continue
        rest = plain[len(affix):] if before and low.startswith(affix) else (
            plain[:-len(affix)] if not before and low.endswith(affix) else "")
        if len(rest.strip()) >= 2:
            return rest.strip(), form
    words = re.split(r"[\s·.]+", text.strip())
    if len(words) > 2 and words[-1].lower() == "salt" and words[-2].lower() in CATION_NAMES:
        return " ".join(words[:-2]), words[-2].lower()
    if len(words) > 1 and words[-1].lower() in SALT_WORDS:
        return " ".join(words[:-1]), SALT_WORDS[words[-1].lower()]
    if len(words) > 1 and words[-1].lower() in CATION_NAMES:
        return " ".join(words[:-1]), words[-1].lower()
    return text, None


OPSIN_EXTRA = "systematic names need the OPSIN extra: pip install 'precursor-check[opsin]' (and Java)"
OPSIN_JAVA = "systematic names need Java for OPSIN; install a Java runtime (e.g. apt-get install default-jre)"
OPSIN_FAILED = "OPSIN failed to run: check that `java -version` works (OPSIN needs Java 8 or newer)"
OPSIN_OFF = "OPSIN is switched off by PRECHECK_OPSIN=0"


def opsin_switched_off() -> bool:
    """PRECHECK_OPSIN=0 (or false, no, off): never start Java for OPSIN, in this process or its workers."""
    return os.environ.get("PRECHECK_OPSIN", "").strip().lower() in ("0", "false", "no", "off")


def opsin_resolve(name: str) -> tuple[Resolved | None, str | None]:
    """OPSIN via py2opsin: (structure, None), (None, None) for a name OPSIN cannot parse, or
    (None, one-line reason) when the extra or Java is missing or OPSIN fails."""
    return opsin_resolve_many([name])[name]


def opsin_resolve_many(names: list[str]) -> dict[str, tuple[Resolved | None, str | None]]:
    """`opsin_resolve` for many names in one OPSIN (Java) run."""
    import shutil
    import tempfile
    import warnings

    # one name per line in OPSIN's input: a name with a line break in it cannot be a chemical name
    names = list(dict.fromkeys(names))
    clean = [n for n in names if n and "\n" not in n and "\r" not in n]
    out: dict[str, tuple[Resolved | None, str | None]] = {n: (None, None) for n in names}
    if not clean:
        return out
    # py2opsin reports through warnings (on import too, when Java is missing): the reason goes
    # in the result instead, as one line
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from py2opsin import py2opsin
        except ImportError:
            return {n: (None, OPSIN_EXTRA) for n in names}
        if shutil.which("java") is None:
            return {n: (None, OPSIN_JAVA) for n in names}
        try:
            # py2opsin writes its input to a fixed file name in the working directory: give it a
            # private one, so concurrent runs do not share it and a read-only directory works
            with tempfile.TemporaryDirectory(prefix="precheck-opsin-") as tmp:
                got = py2opsin(clean, tmp_fpath=os.path.join(tmp, "names.txt"))
        except Exception:  # a Java that does not run (py2opsin then fails in its own error handling)
            return {n: (None, OPSIN_FAILED) for n in names}
    if isinstance(got, str):
        got = [got]
    if len(got) != len(clean):  # OPSIN's output did not line up with its input: resolve nothing
        return {n: (None, OPSIN_FAILED) for n in names}
    for name, smiles in zip(clean, got):
        if smiles:
            out[name] = (Resolved(smiles, "OPSIN (systematic name)"), None)
    return out
