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
formula allow: how many atoms of each element its atoms pin down (two pinned N atoms need
two N in the formula: a match maps pattern atoms to distinct atoms), and how many independent
cycles its pattern has (a molecule that contains the pattern contains its cycles, so its ring
count is at least that: RDKit's ring count is never below the cycle rank).
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


def element_counts(smarts: str) -> dict[str, int]:
    """How many atoms of each element the pattern pins down (distinct atoms of any match).

    >>> element_counts("[NX3;R1]1[CH2][CH2][CX4][CH2][CH2]1-[NX3]")
    {'N': 2, 'C': 5}
    >>> element_counts("[N,O]-[#6]")
    {'C': 1}
    """
    out: dict[str, int] = {}
    for bracket, bare in _BRACKET_OR_ATOM.findall(smarts):
        el, _aro = _atom_needs(bracket if bracket else bare)
        if el:
            out[el] = out.get(el, 0) + 1
    return out


def cycle_rank(smarts: str) -> int:
    """Independent cycles of the pattern's graph (bonds - atoms + pieces): a molecule it matches
    has at least as many rings.

    >>> cycle_rank("c1ccc2ccccc2c1"), cycle_rank("[NX3;R1]1[CH2][CH2][CX4][CH2][CH2]1"), cycle_rank("CC(=O)O")
    (2, 1, 0)
    """
    from rdkit import Chem

    q = Chem.MolFromSmarts(smarts)
    return 0 if q is None else q.GetNumBonds() - q.GetNumAtoms() + len(Chem.GetMolFrags(q))


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


class LazyCatalog:
    """Patterns searched together: an RDKit FilterCatalog, built once it has been used BUILD_AFTER
    times. Until then each pattern is searched on its own: building a catalogue of n patterns
    costs ~4 µs an entry (more when a pattern's matcher is made) and, the first time in a
    process, the import of RDKit's FilterCatalog module (~3 ms), more than a few molecules'
    searches; a single query meets each of its catalogues once, a masked one (its products are
    screened too) a few times. `matches` gives the keys of the patterns that match, in the order
    the keys were given (the catalogue's order too)."""

    BUILD_AFTER = 8
    __slots__ = ("keys", "pattern", "matcher", "catalog", "used")

    def __init__(self, keys, pattern, matcher):
        self.keys = list(keys)  # what `matches` reports for each pattern
        self.pattern = pattern  # key -> query molecule
        self.matcher = matcher  # key -> FilterCatalog.SmartsMatcher (made once per pattern, shared)
        self.catalog = None
        self.used = 0

    def matches(self, mol) -> list:
        catalog = self.catalog
        if catalog is None:
            if self.used < self.BUILD_AFTER:
                self.used += 1
                return [k for k in self.keys if mol.HasSubstructMatch(self.pattern(k))]
            from rdkit.Chem import FilterCatalog

            catalog = self.catalog = FilterCatalog.FilterCatalog()
            for n, k in enumerate(self.keys):
                catalog.AddEntry(FilterCatalog.FilterCatalogEntry(str(n), self.matcher(k)))
        found = catalog.GetMatches(mol)
        if not len(found):  # iterating RDKit's result costs ~13 µs even when it is empty; len() does not
            return []
        keys = self.keys
        return [keys[int(e.GetDescription())] for e in found]


class GateCatalog:
    """Every include pattern's gate; a molecule meets the gates its rings and element counts
    allow, all in one FilterCatalog (one per set of gates, built on first use)."""

    def __init__(self, rules):
        from rdkit import Chem

        self.gates: list[tuple[str, int]] = []  # gate i -> (rule id, pattern index)
        self.smarts: list[str] = []  # gate i's relaxed pattern
        self.needs: list[tuple[bool, frozenset[str]]] = []  # gate i's (ring, elements)
        self.counts: list[dict[str, int]] = []  # gate i's pinned atoms per element
        self.cycles: list[int] = []  # gate i's cycle rank: rings a molecule needs
        for r in rules:
            for i, smarts in enumerate(r.smarts):
                relaxed = relax_smarts(smarts)
                if Chem.MolFromSmarts(relaxed) is None:  # cannot happen for a valid pattern; never lose a rule over its gate
                    relaxed = smarts
                self.gates.append((r.id, i))
                self.smarts.append(relaxed)
                self.needs.append(needs(relaxed))
                self.counts.append(element_counts(relaxed))
                self.cycles.append(cycle_rank(relaxed))
        self.elements = frozenset().union(*(els for _ring, els in self.needs))  # the ones that decide anything
        # (element, count above which every molecule is alike), for the elements some gate pins
        self.caps = tuple((el, max(c.get(el, 0) for c in self.counts)) for el in sorted(self.elements))
        self.max_cycles = max(self.cycles, default=0)
        self._catalogs: dict = {}
        self._keys: Memo = Memo(50_000)  # molecular formula -> its capped counts of the gate elements

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k not in ("_catalogs", "_keys", "_chosen", "_matchers", "_patterns")}

    def __setstate__(self, state) -> None:
        self.__dict__.update(state, _catalogs={}, _keys=Memo(50_000))

    def candidates(self, mol, formula: str) -> list[tuple[str, int]]:
        """(rule id, pattern index) of every gate the molecule passes; `formula` is its molecular formula."""
        els = self._keys.get(formula)
        if els is None:
            from precursor_check.chemistry.variants import (
                counts,  # the one molecular-formula parser (cached per formula here)
            )

            have = counts(formula)
            els = self._keys.put(formula, tuple(min(have.get(el, 0), cap) for el, cap in self.caps))
        key = (min(mol.GetRingInfo().NumRings(), self.max_cycles), els)
        catalog = self._catalogs.get(key)
        if catalog is None:
            catalog = self._catalogs[key] = self._catalog(*key)
        if not catalog:
            return []
        gates = self.gates
        return [gates[i] for i in catalog.matches(mol)]

    def chosen(self, rings: int, have: dict[str, int]) -> list[int]:
        """The gates a molecule with `rings` rings and these element counts can pass."""
        return [i for i, ((need_ring, need_els), need, cyc) in enumerate(zip(self.needs, self.counts, self.cycles))
                if (rings or not need_ring) and cyc <= rings and need_els <= have.keys()
                and all(have[el] >= n for el, n in need.items())]

    def _catalog(self, rings: int, els: tuple[int, ...]):
        """The LazyCatalog of the gates a molecule with `rings` rings and these capped element
        counts can pass (keys: gate numbers), or False when there is none. Molecules that meet
        the same gates share one catalogue."""
        chosen = tuple(self.chosen(rings, {el: n for (el, _cap), n in zip(self.caps, els) if n}))
        shared = self.__dict__.setdefault("_chosen", {})
        if chosen not in shared:
            shared[chosen] = LazyCatalog(chosen, self._pattern, self._matcher) if chosen else False
        return shared[chosen]

    def _pattern(self, i: int):
        made = self.__dict__.setdefault("_patterns", {})
        q = made.get(i)
        if q is None:
            from rdkit import Chem

            q = made[i] = Chem.MolFromSmarts(self.smarts[i])
        return q

    def _matcher(self, i: int):
        made = self.__dict__.setdefault("_matchers", {})  # one matcher per gate, shared by the catalogues
        m = made.get(i)
        if m is None:
            from rdkit.Chem import FilterCatalog

            m = made[i] = FilterCatalog.SmartsMatcher(str(i), self._pattern(i), 1)
        return m
