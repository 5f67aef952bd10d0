"""The chemical vocabulary, read once from data/vocabulary/: salts, solvents, cations, grade words.

Each file says what it is for in its header. What lives here is words and patterns that a
chemist would extend (a new counter-ion, a metal, a catalogue's grade word), so that doing so
is a data change, not a code change.
"""

from __future__ import annotations

from functools import lru_cache

from precursor_check.resources import data_path


FILES = ("salts.tsv", "salt_words.tsv", "salt_affixes.tsv", "cations.tsv", "nonmetals.tsv", "stabilised_carbanions.tsv",
         "grade_words.txt", "substituents.tsv", "generic_words.tsv", "material_words.tsv")


def files() -> list:
    """The paths of the vocabulary files (a compiled watchlist depends on them)."""
    return [data_path(f"vocabulary/{name}") for name in FILES]


def rows(name: str) -> list[list[str]]:
    """The tab-separated rows of data/vocabulary/`name`, without its '#' header and blank lines."""
    text = data_path(f"vocabulary/{name}").read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=1)
def salts() -> tuple[tuple[str, str, str, str], ...]:
    """(cas, name, smiles, kind) of every counter-ion and solvent (salts.tsv); kind is
    'counter-ion' or 'solvent'."""
    return tuple((cas, name, smiles, kind) for cas, name, smiles, kind in rows("salts.tsv"))


@lru_cache(maxsize=1)
def solvent_names() -> frozenset[str]:
    """Names of the solvents of salts.tsv: a form with only these removed is a solvate, not a salt."""
    return frozenset(name for _cas, name, _smiles, kind in salts() if kind == "solvent")


@lru_cache(maxsize=1)
def salt_words() -> dict[str, str]:
    """A salt or hydrate word after a name (lower case) -> the name reasons use ('hcl' -> 'hydrochloride')."""
    return {word: name for word, name in rows("salt_words.tsv")}


@lru_cache(maxsize=1)
def salt_affixes() -> tuple[tuple[str, bool, str], ...]:
    """(affix, written before the name?, the name reasons use) of the salt words that Chinese names
    write without a space ('盐酸麻黄素', '苯乙酸钠'), longest first."""
    got = ((affix, where == "before", name) for affix, where, name in rows("salt_affixes.tsv"))
    return tuple(sorted(got, key=lambda r: -len(r[0])))


@lru_cache(maxsize=1)
def cations() -> dict[str, str]:
    """Atom symbol ('Na', or 'NH4') -> the cation's name ('sodium')."""
    return {symbol: name for symbol, name, _kind in rows("cations.tsv")}


@lru_cache(maxsize=1)
def metal_names() -> frozenset[str]:
    """Names of the metal cations (ammonium is not one)."""
    return frozenset(name for _symbol, name, kind in rows("cations.tsv") if kind == "metal")


@lru_cache(maxsize=1)
def nonmetals() -> frozenset[str]:
    """Symbols of the non-metal elements."""
    return frozenset(symbol for symbol, _name in rows("nonmetals.tsv"))


@lru_cache(maxsize=1)
def stabilised_carbanions() -> tuple[str, ...]:
    """SMARTS (charged carbon first) of the groups that make a charged carbon an enolate-like anion."""
    return tuple(smarts for _group, smarts in rows("stabilised_carbanions.tsv"))


@lru_cache(maxsize=1)
def grade_words() -> tuple[str, ...]:
    """Regular expressions of the purity, grade and form words that may trail a name."""
    return tuple(line[0] for line in rows("grade_words.txt"))


@lru_cache(maxsize=1)
def substituents() -> tuple[tuple[str, str, str], ...]:
    """(name, group SMILES with * where attached, SMARTS of the group on its aromatic carbon)."""
    return tuple((name, group, smarts) for name, group, smarts in rows("substituents.tsv"))


@lru_cache(maxsize=1)
def generic_words() -> dict[str, str]:
    """A word that is no chemical name on its own (lower case) -> its kind (locant, salt, prefix, class)."""
    return {word.strip(): kind.strip() for word, kind, *_ in rows("generic_words.tsv")}
