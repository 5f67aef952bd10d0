"""Ring-substituted variants: a listed structure with one or two aromatic H replaced.

Swapping a ring hydrogen for F, Cl, Br, I, CH3, OCH3 or CF3 is the commonest way to make an
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

# substituent -> change of the molecular formula when it replaces one aromatic H
SUBSTITUENTS: dict[str, dict[str, int]] = {
    "F": {"F": 1, "H": -1},
    "Cl": {"Cl": 1, "H": -1},
    "Br": {"Br": 1, "H": -1},
    "I": {"I": 1, "H": -1},
    "CH3": {"C": 1, "H": 2},
    "OCH3": {"C": 1, "O": 1, "H": 2},
    "CF3": {"C": 1, "F": 3, "H": -1},
}
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
    subs = list(SUBSTITUENTS.values())
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
def _query():
    """Aromatic carbon - (halogen | CH3 | CF3 | O of OCH3): a superset, narrowed in Python."""
    from rdkit import Chem

    return Chem.MolFromSmarts("c-[F,Cl,Br,I,CX4,OX2]")


def _substituent(mol, ring: int, first: int) -> tuple[str, tuple[int, ...]] | None:
    """(name, atoms to remove) when the atom `first` on ring atom `ring` starts a known substituent."""
    a = mol.GetAtomWithIdx(first)
    sym = a.GetSymbol()
    if sym in ("F", "Cl", "Br", "I"):
        return (sym, (first,)) if a.GetDegree() == 1 and not a.GetFormalCharge() else None
    others = [n for n in a.GetNeighbors() if n.GetIdx() != ring]
    if sym == "C" and a.GetDegree() == 1 and a.GetTotalNumHs() == 3:
        return "CH3", (first,)
    if sym == "C" and a.GetDegree() == 4 and all(n.GetSymbol() == "F" and n.GetDegree() == 1 for n in others):
        return "CF3", (first, *(n.GetIdx() for n in others))
    if sym == "O" and len(others) == 1:
        m = others[0]
        if m.GetSymbol() == "C" and m.GetDegree() == 1 and m.GetTotalNumHs() == 3:
            return "OCH3", (first, m.GetIdx())
    return None


def parents(mol, formula: str, wanted) -> list[tuple[object, list[str]]]:
    """(stripped molecule, substituent names) for every way of removing one or two ring
    substituents that leaves a formula `wanted(formula)` accepts."""
    from rdkit import Chem

    base = counts(formula)
    subs = []
    seen_atoms: set[int] = set()
    for ring, first in mol.GetSubstructMatches(_query(), uniquify=True, maxMatches=50):
        if first in seen_atoms:
            continue
        found = _substituent(mol, ring, first)
        if found:
            seen_atoms.add(first)
            subs.append((ring, *found))
    out = []
    for k in range(1, min(MAX_SUBSTITUENTS, len(subs)) + 1):
        for combo in combinations(subs, k):
            c = dict(base)
            for _ring, name, _atoms in combo:
                for el, n in SUBSTITUENTS[name].items():
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


__all__ = ["SUBSTITUENTS", "variant_formulas", "parents", "describe"]
