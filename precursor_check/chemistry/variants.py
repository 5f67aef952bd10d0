"""Ring-substituted variants: a listed structure with one or two aromatic H replaced.

Swapping a ring hydrogen for F, Cl, Br, I, CH3, OCH3 or CF3 (data/vocabulary/substituents.tsv)
is the commonest way to make an
unlisted relative of a listed precursor, and on a small molecule it moves the fingerprint
a long way (2-fluorophenylacetic acid is Tanimoto 0.50 to phenylacetic acid). So the
relation is tested directly: remove the substituents and look the rest up by identity.

The cost stays off the hot path: a molecule can only be such a variant if its formula is an
entry's formula plus one or two substituents, and those formulas are computed once per
watchlist (`variant_formulas`); only the ~1-2 % of inputs with such a formula are edited.
Commodity entries (`similarity: false`: solvents, reagents) take no part: xylene is not a
relative of toluene in this sense.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import combinations

from precursor_check.chemistry import vocabulary

MAX_SUBSTITUENTS = 2
_ELEMENT = re.compile(r"([A-Z][a-z]?)(\d*)")


def counts(formula: str) -> dict[str, int]:
    """Element counts of a neutral molecular formula.

    >>> counts("C9H10O")
    {'C': 9, 'H': 10, 'O': 1}
    """
    out: dict[str, int] = {}
    for el, n in _ELEMENT.findall(formula):
        out[el] = out.get(el, 0) + (int(n) if n else 1)
    return out


def hill(c: dict[str, int]) -> str:
    """Hill-order formula (C, H, then alphabetical), as RDKit's CalcMolFormula writes it.

    >>> hill({"O": 1, "H": 10, "C": 9, "Cl": 1})
    'C9H10ClO'
    """
    def part(el: str) -> str:
        return el + (str(c[el]) if c[el] != 1 else "")

    present = [el for el in c if c[el] > 0]
    if "C" in present:
        head = ["C"] + (["H"] if "H" in present else [])
        return "".join(part(el) for el in head + sorted(el for el in present if el not in ("C", "H")))
    return "".join(part(el) for el in sorted(present))


def variant_formulas(entry_formulas: dict[str, str]) -> dict[str, set[str]]:
    """Formula of every variant with 1..MAX_SUBSTITUENTS substituents -> entry ids it could come from."""
    out: dict[str, set[str]] = {}
    subs = list(substituents().values())
    for eid, formula in entry_formulas.items():
        base = counts(formula)
        for k in range(1, MAX_SUBSTITUENTS + 1):
            for combo in _multisets(subs, k):
                c = dict(base)
                for delta in combo:
                    for el, n in delta.items():
                        c[el] = c.get(el, 0) + n
                if min(c.values()) >= 0:
                    out.setdefault(hill(c), set()).add(eid)
    return out


def _multisets(items: list, k: int):
    if k == 0:
        yield ()
        return
    for i, x in enumerate(items):
        for rest in _multisets(items[i:], k - 1):
            yield (x, *rest)


@lru_cache(maxsize=1)
def substituents() -> dict[str, dict[str, int]]:
    """Substituent name -> change of the molecular formula when it replaces one aromatic H.

    >>> substituents()["OCH3"] == {"C": 1, "O": 1, "H": 2}, substituents()["CF3"] == {"C": 1, "F": 3, "H": -1}
    (True, True)
    """
    from rdkit import Chem

    out: dict[str, dict[str, int]] = {}
    for name, group, _smarts in vocabulary.substituents():
        delta = {"H": -1}  # the ring H it replaces
        for atom in Chem.MolFromSmiles(group).GetAtoms():
            if atom.GetAtomicNum():  # not the * it is attached by
                delta[atom.GetSymbol()] = delta.get(atom.GetSymbol(), 0) + 1
                delta["H"] += atom.GetTotalNumHs()
        out[name] = delta
    return out


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[str, object], ...]:
    """(name, query) per substituent: its aromatic carbon, then the whole group."""
    from rdkit import Chem

    return tuple((name, Chem.MolFromSmarts(smarts)) for name, _group, smarts in vocabulary.substituents())


def _found(mol) -> list[tuple[int, str, tuple[int, ...]]]:
    """(ring atom, substituent name, the substituent's atoms) for every known substituent on an
    aromatic carbon, in the order of (ring atom, first atom); one substituent per first atom."""
    found: dict[tuple[int, int], tuple[str, tuple[int, ...]]] = {}
    for name, query in _patterns():
        for match in mol.GetSubstructMatches(query, uniquify=True, maxMatches=50):
            found.setdefault((match[0], match[1]), (name, tuple(match[1:])))
    return [(ring, name, atoms) for (ring, _first), (name, atoms) in sorted(found.items())]


def parents(mol, formula: str, wanted) -> list[tuple[object, list[str]]]:
    """(stripped molecule, substituent names) for every way of removing one or two ring
    substituents that leaves a formula `wanted(formula)` accepts."""
    from rdkit import Chem

    base = counts(formula)
    subs = _found(mol)
    deltas = substituents()
    out = []
    for k in range(1, min(MAX_SUBSTITUENTS, len(subs)) + 1):
        for combo in combinations(subs, k):
            c = dict(base)
            for _ring, name, _atoms in combo:
                for el, n in deltas[name].items():
                    c[el] = c.get(el, 0) - n
            if not wanted(hill(c)):
                continue
            rw = Chem.RWMol(mol)
            for ring, _name, _atoms in combo:
                atom = rw.GetAtomWithIdx(ring)
                atom.SetNoImplicit(False)
                atom.SetNumExplicitHs(0)
            for idx in sorted((i for _r, _n, atoms in combo for i in atoms), reverse=True):
                rw.RemoveAtom(idx)
            try:
                stripped = rw.GetMol()
                Chem.SanitizeMol(stripped)
            except Exception:
                continue
            out.append((stripped, [name for _r, name, _a in combo]))
    return out


def describe(names: list[str]) -> str:
    """'Cl' -> 'Cl in place of a ring H'; ['F', 'CH3'] -> 'F and CH3 in place of ring H'."""
    if len(names) == 1:
        return f"{names[0]} in place of a ring H"
    return f"{' and '.join(names)} in place of ring H"


__all__ = ["substituents", "variant_formulas", "parents", "describe"]
