"""A query's parent structure: components split, counter-ions, solvents and isotope labels
stripped and named, charges neutralised; the parts that are screened.

Costly steps are gated on the input string (fragment split only when there is a '.',
neutralisation only when there is a charge): RDKit's ChargeParent, which does it all on every
molecule, costs over ten times as much (docs/performance.md; bench/bench_design.py).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from rdkit import Chem
from rdkit.Chem import rdMolDescriptors

from precursor_check.chemistry import molecules, vocabulary
from precursor_check.chemistry.molecules import mol_formula, parse_smiles


class Part(NamedTuple):  # a NamedTuple, not a dataclass: one is built per query (~0.3 vs ~1.5 µs)
    """One organic component of a query, standardised."""

    mol: Chem.Mol
    formula: str  # neutral molecular formula: the cheap exact-match gate
    charged: bool  # neutralisation changed it


class Standardised(NamedTuple):
    parts: tuple[Part, ...]  # organic components to screen (or the whole input when none is organic)
    removed: tuple[str, ...]  # names of what was stripped ("hydrochloride", "sodium", "hydrate")
    inorganic: bool  # no organic component: only identity applies
    complex: bool = False  # several organic parts, or an unusual inorganic part (metal complex, polymer record)
    # inorganic inputs: the components (each anion or neutral piece neutralised, cations named as
    # removed), screened when the whole is not listed: sodium hypophosphite -> hypophosphorous acid
    components: Standardised | None = None


@lru_cache(maxsize=1)
def _uncharger():
    from rdkit.Chem.MolStandardize import rdMolStandardize

    return rdMolStandardize.Uncharger(canonicalOrder=False)


@lru_cache(maxsize=1)
def counter_ions() -> dict[str, str]:
    """Non-isomeric canonical SMILES of neutral counter-ions/solvents -> name ('hydrochloride')."""
    table: dict[str, str] = {}
    for _cas, name, smi, _kind in vocabulary.salts():
        mol = Chem.MolFromSmiles(smi)
        table[Chem.MolToSmiles(mol, isomericSmiles=False)] = name
    return table


_METAL_NAMES = vocabulary.cations()  # atom symbol (or NH4) -> name: data/vocabulary/cations.tsv
_METALS = vocabulary.metal_names()
CATION_NAMES = frozenset(_METAL_NAMES.values())  # the words a salt's name gives its cation by ('sodium salt')


_CARBON = re.compile(r"C(?![a-z])")  # the element C in a molecular formula (not Cl, Ca, Cs ...)


def _has_carbon(formula: str) -> bool:
    return _CARBON.search(formula) is not None


@lru_cache(maxsize=1)
def _charge_queries():
    """(any charged atom, a charged carbon that is not a stabilised carbanion). A carbanion next to
    a carbonyl, nitrile, nitro or sulfonyl group is an enolate written on carbon (how the PubChem
    table writes the sodium salt of MAPA or of ethyl acetoacetate): its parent is the neutral acid."""
    unstabilised = "[#6;!+0;" + ";".join(f"!$({s})" for s in vocabulary.stabilised_carbanions()) + "]"
    return Chem.MolFromSmarts("[!+0]"), Chem.MolFromSmarts(unstabilised)


ISOTOPE_LABELS = "isotope labels"  # named in `removed` when D, 13C ... were read as ordinary atoms
_ISOTOPE = re.compile(r"\[\d")  # an isotope is written as a number opening a bracket atom: [2H], [13C]


def _unlabelled(mol: Chem.Mol) -> Chem.Mol | None:
    """The molecule with isotope labels removed (deuterium becomes hydrogen), or None if it has none:
    a deuterated or 13C-labelled precursor is the same substance for screening."""
    atoms = [a for a in mol.GetAtoms() if a.GetIsotope()]
    if not atoms:
        return None
    out = Chem.RWMol(mol)
    for a in atoms:
        out.GetAtomWithIdx(a.GetIdx()).SetIsotope(0)
    try:
        return Chem.RemoveHs(out.GetMol())
    except Exception:  # RDKit could not fold the hydrogens back: screen the labelled form
        return None


# an alkali or alkaline-earth metal written uncharged in brackets is bonded to something: sodium
# phenylacetate written 'O=C(O[Na])Cc1ccccc1', sodium cyanide 'N#C[Na]'
_ALKALI = ("Li", "Na", "K", "Rb", "Cs")
_S_BLOCK = (*_ALKALI, "Be", "Mg", "Ca", "Sr", "Ba")  # the metals whose bonds and salts are ionic
_BONDED_METAL = re.compile(r"\[(?:" + "|".join(_S_BLOCK) + r")H?\]")
_S_BLOCK_CATIONS = frozenset(_METAL_NAMES[m] for m in (*_S_BLOCK, "NH4"))  # each in cations.tsv


@lru_cache(maxsize=1)
def _disconnector():
    """RDKit's MetalDisconnector, limited to the metals whose bonds are ionic: an alkali or
    alkaline-earth metal from N, O, S, P and the halogens, an alkali metal also from carbon (the
    Grignard reagents' Mg-C bond and every transition metal's bonds stay as written: KMnO4 and
    organometallics are not salts)."""
    from rdkit.Chem.MolStandardize import rdMolStandardize

    md = rdMolStandardize.MetalDisconnector()
    md.SetMetalNof(Chem.MolFromSmarts(f"[{','.join(_S_BLOCK)}]~[#7,#8,F,#15,#16,#34,Cl,Br,I]"))
    md.SetMetalNon(Chem.MolFromSmarts(f"[{','.join(_ALKALI)}]~[#5,#6,#14]"))
    return md


def _ionic(mol: Chem.Mol) -> Chem.Mol | None:
    """The molecule with its ionic metal bonds broken into ions, or None when it has none."""
    out = _disconnector().Disconnect(mol)
    return out if out.GetNumBonds() < mol.GetNumBonds() else None


_PROTONATED = re.compile(r"H\d*\+")  # a bracket atom with hydrogen and a positive charge: [NH3+], [nH+]


def _neutral(mol: Chem.Mol, smiles: str | None = None) -> tuple[Chem.Mol, str, bool]:
    """(neutral molecule, its formula, whether neutralising changed it).

    `smiles`, when given, is what `mol` was parsed from; it spares the common cases any
    RDKit work beyond the formula: no charge written, or (nitro groups, N-oxides, betaines)
    a net-neutral molecule with no protonated cation, which the Uncharger leaves as it is.
    Otherwise substructure queries in C++ find charges without a Python loop over atoms,
    and formulas (which carry the charge and hydrogen count) tell whether the Uncharger
    changed anything, without two canonical SMILES.
    """
    formula = mol_formula(mol)
    if smiles is not None:
        if "+" not in smiles and "-" not in smiles:
            return mol, formula, False
        if "+" not in formula and "-" not in formula and not _PROTONATED.search(smiles):
            return mol, formula, False
    any_charge, carbon_charge = _charge_queries()
    if "+" not in formula and "-" not in formula and not mol.HasSubstructMatch(any_charge):
        return mol, formula, False  # no charged atom at all (a net-neutral zwitterion has some)
    if mol.HasSubstructMatch(carbon_charge):
        # an unstabilised carbanion or a carbocation (organometallics, Grignard reagents) is not
        # its protonated parent: benzylmagnesium chloride is not toluene. Keep it charged.
        return mol, formula, False
    out = _uncharger().uncharge(mol)
    new = mol_formula(out)
    if new != formula:
        return out, new, True
    # same formula: a zwitterion neutralised (fewer charged atoms), or nothing to do (quaternary ammonium)
    if len(out.GetSubstructMatches(any_charge)) < len(mol.GetSubstructMatches(any_charge)):
        return out, new, True
    return mol, formula, False


@lru_cache(maxsize=1)
def _hydrogen_cyanide() -> Part:
    """The cyanide ion of a simple cyanide (sodium, potassium, calcium, ammonium cyanide: only
    s-block or ammonium cations beside it) is hydrogen cyanide's anion, as an enolate is its
    acid's; a cyanide beside a transition metal (ferrocyanide, Prussian blue) is a complex."""
    return Part(Chem.MolFromSmiles("C#N"), "CHN", True)


def _inorganic_name(mol: Chem.Mol) -> str:
    if mol.GetNumAtoms() == 1:
        atom = mol.GetAtomWithIdx(0)
        if atom.GetSymbol() in _METAL_NAMES:
            return _METAL_NAMES[atom.GetSymbol()]
        if atom.GetSymbol() not in _NONMETALS:  # lead, tin ...
            return Chem.GetPeriodicTable().GetElementName(atom.GetAtomicNum()).lower()
    if Chem.MolToSmiles(mol) == "[NH4+]":
        return "ammonium"
    return rdMolDescriptors.CalcMolFormula(mol)


@lru_cache(maxsize=1)
def _known_names() -> frozenset[str]:
    """Names of the counter-ions, solvents and metals a salt or hydrate is expected to have."""
    return frozenset(counter_ions().values()) | frozenset(_METAL_NAMES.values())


@lru_cache(maxsize=1)
def _ions_by_formula() -> dict[str, dict[str, str]]:
    """Neutral formula -> {flat canonical SMILES -> name}: the formula gates the SMILES comparison."""
    table: dict[str, dict[str, str]] = {}
    for smi, name in counter_ions().items():
        table.setdefault(mol_formula(Chem.MolFromSmiles(smi)), {})[smi] = name
    return table


_PIECE_NAMES: dict[str, str] = {}  # '.'-separated SMILES piece -> the counter-ion/inorganic name it was found to be
_ION_PIECES: dict[str, tuple[Part, str]] = {}  # SMILES piece -> (its part, name) for organic counter-ions (acetate ...)


def _fragments(mol: Chem.Mol, smiles: str | None):
    """(fragment molecule or None, SMILES piece or None) for each component.

    Splitting the SMILES string and parsing its organic pieces costs a fraction of RDKit's
    GetMolFrags(asMols=True), which re-sanitises every fragment; pieces already seen to be
    counter-ions are not parsed again. A piece that does not parse alone (a ring bond written
    across a '.') falls back to splitting the molecule.
    """
    if smiles is not None:
        out = []
        for piece in dict.fromkeys(smiles.split(".")) if smiles.count(".") < 50 else ():
            if piece in _PIECE_NAMES or piece in _ION_PIECES:
                out.append((None, piece))
                continue
            frag = parse_smiles(piece)
            if frag is None:
                break
            out.append((frag, piece))
        else:
            if out:
                return out
        if mol is None:
            mol = parse_smiles(smiles)
            if mol is None:
                return None
    return [(f, None) for f in Chem.GetMolFrags(mol, asMols=True)]


def parsed_whole(smiles: str) -> bool:
    """Whether `standardise_smiles` parses this SMILES whole (else piece by piece: a salt or mixture)."""
    return "." not in smiles or _ISOTOPE.search(smiles) is not None


def standardise_smiles(smiles: str, mol: Chem.Mol | None = None) -> Standardised | None:
    """Standardise straight from SMILES (a salt is parsed piece by piece); None if it does not parse.

    `mol`, when given, is `parse_smiles(smiles)` done beforehand (for a SMILES `parsed_whole`).
    """
    if not smiles or len(smiles) > molecules.MAX_SMILES:
        return None
    if not parsed_whole(smiles):
        return standardise(None, smiles)
    if mol is None:
        mol = parse_smiles(smiles)
    return None if mol is None else standardise(mol, smiles)


def standardise(mol: Chem.Mol | None, smiles: str | None = None) -> Standardised | None:
    """Split into components, drop known counter-ions/solvents and inorganic parts, neutralise.

    Every organic component that is not a known counter-ion is kept (the listed part of a
    salt can be the smaller one, e.g. piperidine tosylate). Given the SMILES the molecule was
    parsed from, the common case (no '.', no charge sign) costs one molecular formula.
    With a SMILES, `mol` may be None (it is parsed only if needed); the result is None only
    then, when the SMILES does not parse.
    """
    if smiles is not None and _BONDED_METAL.search(smiles):
        whole = mol if mol is not None else parse_smiles(smiles)
        ionic = None if whole is None else _ionic(whole)
        if ionic is not None:  # screened as the salt it is
            return standardise(ionic, Chem.MolToSmiles(ionic))
    labelled = smiles is None or _ISOTOPE.search(smiles) is not None
    if labelled and mol is not None:
        plain = _unlabelled(mol)
        if plain is not None:  # screen the unlabelled substance, and say so
            std = standardise(plain, Chem.MolToSmiles(plain))
            if std is not None:
                return std._replace(removed=std.removed + (ISOTOPE_LABELS,))
    if smiles is not None and "." not in smiles:
        neutral, formula, charged = _neutral(mol, smiles)
        if not _has_carbon(formula):
            return Standardised((Part(mol, mol_formula(mol), False),), (), True)
        return Standardised((Part(neutral, formula, charged),), (), False)
    ions = _ions_by_formula()
    parts: list[Part] = []
    removed: list[str] = []
    organic_ions: list[tuple[Part, str]] = []
    seen: dict[str, list[Chem.Mol]] = {}  # formula -> parts kept with it
    frags = _fragments(mol, smiles)
    if frags is None:
        return None
    for frag, piece in frags:
        if frag is None:  # a piece already known to be a counter-ion or inorganic part
            if piece in _ION_PIECES:
                organic_ions.append(_ION_PIECES[piece])
            else:
                removed.append(_PIECE_NAMES[piece])
            continue
        neutral, formula, charged = _neutral(frag, piece)
        flat = Chem.MolToSmiles(neutral, isomericSmiles=False) if formula in ions or not _has_carbon(formula) else ""
        if not _has_carbon(formula):
            name = ions.get(formula, {}).get(flat) or _inorganic_name(frag)
            removed.append(name)
            if piece is not None and len(_PIECE_NAMES) < 10_000:
                _PIECE_NAMES[piece] = name
            continue
        part = Part(neutral, formula, charged)
        if ions.get(formula, {}).get(flat):  # an organic counter-ion or solvent (acetate, ethanol ...)
            organic_ions.append((part, ions[formula][flat]))
            if piece is not None and len(_ION_PIECES) < 10_000:
                _ION_PIECES[piece] = organic_ions[-1]
            continue
        if formula in seen:  # 2:1 salts: screen the repeated part once
            iso = Chem.MolToSmiles(neutral)
            if any(Chem.MolToSmiles(p) == iso for p in seen[formula]):
                continue
        seen.setdefault(formula, []).append(neutral)
        parts.append(part)
    if not parts and organic_ions:  # the counter-ion is the substance itself (acetic acid hydrate)
        parts = [p for p, _name in organic_ions[:1]]
        organic_ions = organic_ions[1:]
    removed += [name for _p, name in organic_ions]
    if not parts:  # nothing organic: the whole input, then its components (KMnO4, NaH2PO2, aqueous HCl)
        whole = mol if mol is not None else parse_smiles(smiles)
        return None if whole is None else _inorganic(whole)
    for acid, name in _free_acids(parts, removed, frags):  # HCl in methanol: a solution of the acid, not a hydrochloride
        parts.append(acid)
        removed = [r for r in removed if r != name]
    if removed and all(r in _S_BLOCK_CATIONS for r in removed):
        parts = [_hydrogen_cyanide() if p.formula == "CN-" else p for p in parts]
    unusual = any(r not in _known_names() for r in removed)
    # a metal with a neutral organic part is an adduct or complex (magnesium bromide etherate),
    # not a salt of that part: a salt needs the organic part to carry the opposite charge
    adduct = any(r in _METALS for r in removed) and not any(p.charged for p in parts)
    return Standardised(tuple(parts), tuple(dict.fromkeys(removed)), False,
                        complex=len(parts) > 1 or unusual or adduct)


_ELEMENT = re.compile(r"[A-Z][a-z]?")
_NONMETALS = vocabulary.nonmetals()


def _takes_a_proton(formula: str) -> bool:
    """Whether a piece can be what an acid piece is the salt of: a cation, a nitrogen or
    phosphorus base, or a metal (the PubChem table writes zirconyl chloride as O=[Zr].Cl.Cl)."""
    if "+" in formula:
        return True
    return any(el in ("N", "P") or el not in _NONMETALS for el in _ELEMENT.findall(formula))


@lru_cache(maxsize=1)
def _inorganic_acid_names() -> frozenset[str]:
    """Names of the counter-ions that are inorganic acids (hydrochloride, sulfate ...)."""
    return frozenset(name for smi, name in counter_ions().items()
                     if name != "hydrate" and not _has_carbon(mol_formula(Chem.MolFromSmiles(smi))))


def _free_acids(parts: list[Part], removed: list[str], frags) -> list[tuple[Part, str]]:
    """(part, its counter-ion name) for each inorganic acid written as a neutral piece beside
    organic parts none of which can take its proton (no nitrogen, nothing protonated): a
    mixture or solution of the acid, not a salt."""
    names = _inorganic_acid_names()
    if not any(r in names for r in removed) or any(p.charged or _takes_a_proton(p.formula) for p in parts):
        return []
    if any(r in _METAL_NAMES.values() or r not in _known_names() for r in removed):
        return []  # a metal, ammonium or another inorganic part is there to be its salt
    ions = _ions_by_formula()
    out: list[tuple[Part, str]] = []
    for frag, piece in frags:
        if frag is None and _PIECE_NAMES.get(piece) in names:
            frag = parse_smiles(piece)
        formula = mol_formula(frag) if frag is not None else "C"
        if _has_carbon(formula) or "+" in formula or "-" in formula:
            continue  # an ion belongs to a salt
        flat = Chem.MolToSmiles(frag, isomericSmiles=False)
        name = ions.get(formula, {}).get(flat)
        if name in names and all(flat != Chem.MolToSmiles(p.mol, isomericSmiles=False) for p, _n in out):
            out.append((Part(frag, formula, False), name))
    return out


def _inorganic(whole: Chem.Mol) -> Standardised:
    """An input with no organic part: the whole without its water first (KMnO4 hydrate is KMnO4),
    and its components as the alternative: each anion or neutral piece neutralised, each cation
    named as removed (sodium hypophosphite -> hypophosphorous acid, removed: sodium)."""
    pieces = [(f, mol_formula(f)) for f in Chem.GetMolFrags(whole, asMols=True)]
    kept = [(f, formula) for f, formula in pieces if formula != "H2O"] or pieces
    water = ("hydrate",) if len(kept) < len(pieces) else ()
    core = whole if not water else parse_smiles(".".join(Chem.MolToSmiles(f) for f, _ in kept)) or whole
    first = Part(core, mol_formula(core), False)
    if len(pieces) == 1:
        return Standardised((first,), (), True)
    removed, comps = list(water), []
    acids = _ions_by_formula()
    for i, (f, formula) in enumerate(kept):
        if "+" in formula:  # a metal cation or ammonium: what the salt is a salt of
            removed.append(_inorganic_name(f))
            continue
        neutral, nformula, charged = _neutral(f)
        if not charged and acids.get(nformula, {}).get(Chem.MolToSmiles(neutral, isomericSmiles=False)) and any(
                _takes_a_proton(other) for j, (_f, other) in enumerate(kept) if j != i):
            charged = True  # an acid written beside its base or metal: hydrazine hydrochloride, NN.Cl
        if all(Chem.MolToSmiles(neutral) != Chem.MolToSmiles(p.mol) for p in comps):
            comps.append(Part(neutral, nformula, charged))
    alternative = Standardised(tuple(comps), tuple(dict.fromkeys(removed)), True, complex=len(comps) > 1) if comps else None
    return Standardised((first,), water, True, components=alternative)
