"""Cheap, sound pre-checks for the class rules, so most molecules never meet a full rule pattern.

RDKit evaluates a pattern's recursive primitives `$(...)` over the whole molecule before it
starts matching, so a rule's include pattern is reached through its *gate*: the pattern with
every recursive primitive relaxed to what it says of its own atom (`relax_smarts`). A gate is
implied by its pattern, so a molecule the pattern matches always passes it: gates change how
fast a rule is found, never whether it is. The gates a molecule meets sit in one FilterCatalog,
matched in one C++ call.

The gates cost a fraction of the full patterns, and the full pattern runs only for the
~1-2 % of molecules that pass a gate (figures and method: docs/performance.md;
bench/bench_design.py measures both). Most of a gate's cost is fixed per substructure search,
so the number of gates a molecule meets matters more than their size. Each gate therefore also
states what it needs (`needs`): a ring (its pattern has a cycle or an aromatic atom) and the
elements its atoms pin down. A molecule meets only the gates its ring and its molecular
formula allow.
"""

from __future__ import annotations

import re

from precursor_check.memo import Memo


def relax_smarts(smarts: str) -> str:
    """The pattern with every recursive primitive relaxed to what it says of its own atom.

    `$(X...)` holds for an atom that is the first atom of a match of `X...`, so it becomes
    that first atom's own expression `X` (relaxed in turn); a negated primitive `!$(...)`, or a
    first atom whose expression has `,` or `;` (which would change meaning inside another
    expression), becomes `*` (any atom). Either way the result matches a superset of what the
    pattern matches.

    >>> relax_smarts("[CX3;$([CH1]),$(C-[#6])](=O)[N;!$(N-C=O)]")
    '[CX3;CH1,C](=O)[N;*]'
    >>> relax_smarts("c-[CH1]=C-[$([NX3+](=O)[O-]),$([N,P](=O)=O)]")
    'c-[CH1]=C-[NX3+,*]'
    """
    out: list[str] = []
    i = 0
    while i < len(smarts):
        neg = smarts.startswith("!$(", i)
        if neg or smarts.startswith("$(", i):
            j, depth = i + (3 if neg else 2), 1
            while depth and j < len(smarts):
                depth += {"(": 1, ")": -1}.get(smarts[j], 0)
                j += 1
            out.append("*" if neg else _first_atom(smarts[i + 2:j - 1]))
            i = j
        else:
            out.append(smarts[i])
            i += 1
    return "".join(out)


_ORGANIC_ATOM = re.compile(r"Cl|Br|[BCNOSPFI]|[cnosp]|\*")


def _first_atom(inner: str) -> str:
    """The expression of the first atom of a SMARTS, usable inside another atom's brackets, or '*'."""
    if inner.startswith("["):
        depth, j = 0, 0
        for j, ch in enumerate(inner):
            depth += {"[": 1, "]": -1}.get(ch, 0)
            if depth == 0:
                break
        expr = relax_smarts(inner[1:j])
    else:
        m = _ORGANIC_ATOM.match(inner)
        expr = m.group(0) if m else "*"
    return "*" if not expr or "," in expr or ";" in expr else expr


_BRACKET_OR_ATOM = re.compile(r"\[([^\]]*)\]|(Cl|Br|[BCNOSPFI]|[cnospa]|\*)")
_ELEMENT_START = re.compile(r"(?:\d*)(Cl|Br|[CNOSPFI](?![a-z])|[cnosp](?![a-z])|a(?![a-z])|#(\d+))")
_BY_NUMBER = {"6": "C", "7": "N", "8": "O", "9": "F", "15": "P", "16": "S", "17": "Cl", "35": "Br", "53": "I"}


def _atom_needs(text: str) -> tuple[str | None, bool]:
    """(element, aromatic) that one SMARTS atom (bracket contents or bare symbol) demands of
    every atom it matches; None / False where it demands none or the text is not understood.

    In `[N,O]` neither element is needed, in `[NX3+,NX3]` N is; a negated primitive pins nothing.
    """
    element, aromatic = None, False
    for term in text.split(";"):  # lowest-precedence AND: every term must hold
        # an OR holds what all its alternatives hold: [NX3+,NX3] needs N, [N,O] neither
        found = [_conjunction_needs(alt) for alt in term.split(",")]
        els = {el for el, _aro in found}
        if len(els) == 1 and None not in els:
            element = element or els.pop()
        aromatic = aromatic or all(aro for _el, aro in found)
    return element, aromatic


def _conjunction_needs(text: str) -> tuple[str | None, bool]:
    """(element, aromatic) pinned by one '&'-joined conjunction of SMARTS primitives."""
    element, aromatic = None, False
    for conj in text.split("&"):
        m = _ELEMENT_START.match(conj)
        if not m or conj.startswith("!"):
            continue
        sym = _BY_NUMBER.get(m.group(2) or "", "") if m.group(2) else m.group(1)
        if sym == "a":
            aromatic = True
        elif sym:
            aromatic = aromatic or sym.islower()
            element = element or sym.capitalize()
    return element, aromatic


def needs(smarts: str) -> tuple[bool, frozenset[str]]:
    """(needs a ring, elements needed) for any molecule the pattern can match.

    A ring: the pattern itself has a cycle, or an atom that must be aromatic (only ring
    atoms are). Elements: those that some atom of the pattern pins down.

    >>> ring, elements = needs("c-[CH2]-[CX3](=[OX1])-[CH3,*]")
    >>> ring, sorted(elements)
    (True, ['C', 'O'])
    >>> ring, elements = needs("[OX2H1,Cl,Br][CH1;!R]-[NX3]")
    >>> ring, sorted(elements)
    (False, ['C', 'N'])
    """
    from rdkit import Chem

    elements: set[str] = set()
    aromatic = False
    for bracket, bare in _BRACKET_OR_ATOM.findall(smarts):
        el, aro = _atom_needs(bracket if bracket else bare)
        aromatic = aromatic or aro
        if el:
            elements.add(el)
    q = Chem.MolFromSmarts(smarts)
    cyclic = q is not None and q.GetNumBonds() > q.GetNumAtoms() - len(Chem.GetMolFrags(q))
    return cyclic or aromatic, frozenset(elements)


class GateCatalog:
    """Every include pattern's gate; a molecule meets the gates its ring and elements allow,
    all in one FilterCatalog (one per kind of molecule, built on first use)."""

    def __init__(self, rules):
        from rdkit import Chem

        self.gates: list[tuple[str, int]] = []  # gate i -> (rule id, pattern index)
        self.smarts: list[str] = []  # gate i's relaxed pattern
        self.needs: list[tuple[bool, frozenset[str]]] = []  # gate i's (ring, elements)
        for r in rules:
            for i, smarts in enumerate(r.smarts):
                relaxed = relax_smarts(smarts)
                if Chem.MolFromSmarts(relaxed) is None:  # cannot happen for a valid pattern; never lose a rule over its gate
                    relaxed = smarts
                self.gates.append((r.id, i))
                self.smarts.append(relaxed)
                self.needs.append(needs(relaxed))
        self.elements = frozenset().union(*(els for _ring, els in self.needs))  # the ones that decide anything
        self._catalogs: dict = {}
        self._keys: Memo = Memo(50_000)  # molecular formula -> the gate elements in it

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k not in ("_catalogs", "_keys")}

    def __setstate__(self, state) -> None:
        self.__dict__.update(state, _catalogs={}, _keys=Memo(50_000))

    def candidates(self, mol, formula: str) -> list[tuple[str, int]]:
        """(rule id, pattern index) of every gate the molecule passes; `formula` is its molecular formula."""
        els = self._keys.get(formula)
        if els is None:
            from precursor_check.chemistry.variants import (
                counts,  # the one molecular-formula parser (cached per formula here)
            )

            els = self._keys.put(formula, self.elements.intersection(counts(formula)))
        key = (mol.GetRingInfo().NumRings() > 0, els)
        entry = self._catalogs.get(key)
        if entry is None:
            entry = self._catalogs[key] = self._catalog(*key)
        catalog, index = entry
        if catalog is None:
            return []
        found = catalog.GetMatches(mol)
        if not len(found):  # iterating RDKit's result costs ~13 µs even when it is empty; len() does not
            return []
        return [index[int(e.GetDescription())] for e in found]

    def _catalog(self, ring: bool, elements: frozenset[str]):
        """(FilterCatalog of the gates a molecule with/without a ring and these elements can pass,
        gate number in it -> (rule id, pattern index)); (None, []) when there is none."""
        from rdkit import Chem
        from rdkit.Chem import FilterCatalog

        chosen = [i for i, (need_ring, need_els) in enumerate(self.needs) if (ring or not need_ring) and need_els <= elements]
        if not chosen:
            return None, []
        catalog = FilterCatalog.FilterCatalog()
        for n, i in enumerate(chosen):
            name = str(n)
            matcher = FilterCatalog.SmartsMatcher(name, Chem.MolFromSmarts(self.smarts[i]), 1)
            catalog.AddEntry(FilterCatalog.FilterCatalogEntry(name, matcher))
        return catalog, [self.gates[i] for i in chosen]
