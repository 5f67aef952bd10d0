"""Class-rule matching: the gated catalogue, then each rule's full include and exclude patterns.

It needs only the rule catalogue of a compiled watchlist (`gates`, `patterns`, `excludes`), so
compiling (which checks every rule against its own examples), validation and matching all use
it without importing each other.
"""

from __future__ import annotations

from precursor_check.chemistry import molecules, standardise


def rules_matching(c, mol, formula: str | None = None) -> list[tuple[str, tuple[int, ...]]]:
    """(rule id, matched atoms) for every rule whose include pattern matches and no exclude does,
    unless a rule named in its `except_rules` matches too ("except for those listed in Schedule 1").

    `c` is a compiled watchlist; `formula` the molecule's molecular formula when already known.
    """
    found: dict[str, tuple[int, ...]] = {}
    for rid, pi in c.gates.candidates(mol, formula or molecules.mol_formula(mol)):
        if rid in found:
            continue
        atoms = mol.GetSubstructMatch(c.patterns(rid)[pi])  # the gates passed; the full pattern decides
        if atoms and not any(mol.HasSubstructMatch(x) for x in c.excludes[rid]):
            found[rid] = tuple(atoms)
    if len(found) > 1:  # a rule yields to the rules it names in except_rules
        return [(rid, atoms) for rid, atoms in found.items()
                if not any(other in found for other in c.rule(rid).except_rules)]
    return list(found.items())


def rule_matches(c, rid: str, mol) -> bool:
    """Whether the rule matches, through the same gated catalogue that screening uses."""
    return any(found == rid for found, _atoms in rules_matching(c, mol))


def example_problems(c) -> list[tuple[str, str]]:
    """(file, problem) for each rule example that does not parse or does not behave as stated.
    Compiling a watchlist refuses it when there is any, so the examples always hold."""
    out = []
    for r in c.watchlist.rules:
        for smi, want in [(s, True) for s in r.examples_match] + [(s, False) for s in r.examples_no_match]:
            mol = molecules.parse_smiles(smi)
            if mol is None:
                out.append((r.origin, f"rule {r.id}: example SMILES does not parse: {smi}"))
            elif any(rule_matches(c, r.id, p.mol) for p in standardise.standardise(mol).parts) != want:
                out.append((r.origin, f"rule {r.id}: example {smi} should {'' if want else 'not '}match"))
    return out
