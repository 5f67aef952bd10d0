"""Cheap, sound pre-checks for the class rules, so most molecules never meet a full rule pattern.

RDKit evaluates a pattern's recursive primitives `$(...)` over the whole molecule before it
starts matching, so a rule's include pattern is reached through its *gate*: the pattern with
every recursive primitive relaxed to `*` (`relax_smarts`). A gate is a sub-query of its
pattern, so a molecule the pattern matches always passes it: gates change how fast a rule
is found, never whether it is. All gates sit in one FilterCatalog, matched in one C++ call.

Measured here (shared/PERFORMANCE.md has the method): the 28 include patterns of the shipped
rules cost ~375 µs per molecule as one catalogue; their gates ~45 µs, and the full pattern
runs only on the ~1-2 % of molecules that pass a gate. Each call into RDKit costs ~5 µs and
each catalogue entry ~1.5 µs, and reading matched entries back out of a catalogue copies
them (~12 µs each); trees of catalogues over shared sub-patterns were tried and were slower.
"""

from __future__ import annotations


def relax_smarts(smarts: str) -> str:
    """The pattern with every recursive primitive `$(...)` / `!$(...)` replaced by `*` (any atom).

    The result matches a superset of what the pattern matches (inside an atom expression
    `*` is true, and a negated primitive is dropped, not negated).

    >>> relax_smarts("[CX3;$([CH1]),$(C-[#6])](=O)[N;!$(N-C=O)]")
    '[CX3;*,*](=O)[N;*]'
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
            out.append("*")
            i = j
        else:
            out.append(smarts[i])
            i += 1
    return "".join(out)


class GateCatalog:
    """Every include pattern's gate in one FilterCatalog; entry descriptions index `gates`."""

    def __init__(self, rules):
        from rdkit import Chem
        from rdkit.Chem import FilterCatalog

        self.gates: list[tuple[str, int]] = []  # gate i -> (rule id, pattern index)
        self.catalog = FilterCatalog.FilterCatalog()
        for r in rules:
            for i, smarts in enumerate(r.smarts):
                q = Chem.MolFromSmarts(relax_smarts(smarts))
                if q is None:  # cannot happen for a valid pattern; never lose a rule over its gate
                    q = Chem.MolFromSmarts(smarts)
                name = str(len(self.gates))
                self.catalog.AddEntry(FilterCatalog.FilterCatalogEntry(name, FilterCatalog.SmartsMatcher(name, q, 1)))
                self.gates.append((r.id, i))

    def candidates(self, mol) -> list[tuple[str, int]]:
        """(rule id, pattern index) of every gate the molecule passes."""
        found = self.catalog.GetMatches(mol)
        if not len(found):  # iterating RDKit's result costs ~13 µs even when it is empty; len() does not
            return []
        gates = self.gates
        return [gates[int(e.GetDescription())] for e in found]
