"""RDKit chemistry: parse quietly, standardise to parent fragments, identity keys, fingerprints.

One module so that the watchlist and the queries go through exactly the same steps.
Costly steps are gated on the input string (fragment split only when there is a '.',
neutralisation only when there is a charge), as measured in shared/PERFORMANCE.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rdkit import Chem, RDLogger
from rdkit.Chem import rdMolDescriptors

RDLogger.DisableLog("rdApp.*")  # RDKit's own log noise never reaches the user

FP_RADIUS = 2
FP_BITS = 2048
MAX_HEAVY_ATOMS = 400  # beyond this a query is not a precursor; screened by identity only


@dataclass(frozen=True)
class Part:
    """One organic component of a query, standardised."""

    mol: Chem.Mol
    formula: str  # neutral molecular formula: the cheap exact-match gate
    charged: bool  # neutralisation changed it


@dataclass(frozen=True)
class Standardised:
    parts: tuple[Part, ...]  # organic components to screen (or the whole input when none is organic)
    removed: tuple[str, ...]  # names of what was stripped ("hydrochloride", "sodium", "hydrate")
    inorganic: bool  # no organic component: only identity applies
    complex: bool = False  # several organic parts, or an unusual inorganic part (metal complex, polymer record)


def parse_smiles(smiles: str) -> Chem.Mol | None:
    """RDKit molecule, or None when the SMILES does not parse (RDKit stays silent)."""
    if not smiles or len(smiles) > 5000:
        return None
    return Chem.MolFromSmiles(smiles)


def parse_inchi(inchi: str) -> Chem.Mol | None:
    try:
        return Chem.MolFromInchi(inchi, sanitize=True, removeHs=True, logLevel=None, treatWarningAsError=False)
    except Exception:  # RDKit raises on some malformed InChI strings
        return None


@lru_cache(maxsize=1)
def _uncharger():
    from rdkit.Chem.MolStandardize import rdMolStandardize

    return rdMolStandardize.Uncharger(canonicalOrder=False)


def _data_file(name: str) -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "data" / name, here.parent / "data" / name):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(name)


@lru_cache(maxsize=1)
def counter_ions() -> dict[str, str]:
    """Non-isomeric canonical SMILES of neutral counter-ions/solvents -> name ('hydrochloride')."""
    table: dict[str, str] = {}
    for line in _data_file("salts.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        _cas, name, smi = line.split("\t")
        mol = Chem.MolFromSmiles(smi)
        table[Chem.MolToSmiles(mol, isomericSmiles=False)] = name
    return table


_METAL_NAMES = {
    "Na": "sodium", "K": "potassium", "Li": "lithium", "Ca": "calcium", "Mg": "magnesium",
    "Zn": "zinc", "Ba": "barium", "Al": "aluminium", "Fe": "iron", "Cs": "caesium", "NH4": "ammonium",
}


def _has_carbon(mol: Chem.Mol) -> bool:
    return any(a.GetAtomicNum() == 6 for a in mol.GetAtoms())


def _neutral(mol: Chem.Mol) -> tuple[Chem.Mol, bool]:
    charged = [a for a in mol.GetAtoms() if a.GetFormalCharge()]
    if not charged:
        return mol, False
    if any(a.GetAtomicNum() == 6 for a in charged):
        # a carbanion or carbocation (organometallics, Grignard reagents) is not its protonated
        # parent: benzylmagnesium chloride is not toluene. Keep it charged.
        return mol, False
    out = _uncharger().uncharge(mol)
    return out, Chem.MolToSmiles(out) != Chem.MolToSmiles(mol)


def _inorganic_name(mol: Chem.Mol) -> str:
    if mol.GetNumAtoms() == 1:
        sym = mol.GetAtomWithIdx(0).GetSymbol()
        if sym in _METAL_NAMES:
            return _METAL_NAMES[sym]
    if Chem.MolToSmiles(mol) == "[NH4+]":
        return "ammonium"
    return rdMolDescriptors.CalcMolFormula(mol)


def standardise(mol: Chem.Mol, split: bool = True) -> Standardised:
    """Split into components, drop known counter-ions/solvents and inorganic parts, neutralise.

    Every organic component that is not a known counter-ion is kept (the listed part of a
    salt can be the smaller one, e.g. piperidine tosylate).
    """
    frags = Chem.GetMolFrags(mol, asMols=True) if split else (mol,)
    if len(frags) == 1:
        neutral, charged = _neutral(frags[0])
        if not _has_carbon(neutral):
            return Standardised((Part(frags[0], _formula(frags[0]), False),), (), True)
        return Standardised((Part(neutral, _formula(neutral), charged),), (), False)
    ions = counter_ions()
    parts: list[Part] = []
    removed: list[str] = []
    seen: set[str] = set()
    for frag in frags:
        neutral, charged = _neutral(frag)
        if not _has_carbon(neutral):
            flat = Chem.MolToSmiles(neutral, isomericSmiles=False)
            removed.append(ions.get(flat) or _inorganic_name(frag))
            continue
        flat = Chem.MolToSmiles(neutral, isomericSmiles=False)
        if flat in ions:
            removed.append(ions[flat])
            continue
        iso = Chem.MolToSmiles(neutral)
        if iso in seen:  # 2:1 salts: screen the repeated part once
            continue
        seen.add(iso)
        parts.append(Part(neutral, _formula(neutral), charged))
    if not parts:  # nothing organic: identity of the whole input only (KMnO4, NaMnO4 ...)
        whole = mol
        return Standardised((Part(whole, _formula(whole), False),), (), True)
    known = set(ions.values()) | set(_METAL_NAMES.values())
    unusual = any(r not in known for r in removed)
    return Standardised(tuple(parts), tuple(dict.fromkeys(removed)), False, complex=len(parts) > 1 or unusual)


def _formula(mol: Chem.Mol) -> str:
    return rdMolDescriptors.CalcMolFormula(mol)


def canonical(mol: Chem.Mol, isomeric: bool = True) -> str:
    return Chem.MolToSmiles(mol, isomericSmiles=isomeric)


def tautomer_key(mol: Chem.Mol) -> str:
    """Tautomer-insensitive hash (keto/enol forms share it); costs ~140 µs, so only on gate hits."""
    from rdkit.Chem import rdMolHash

    try:
        return rdMolHash.MolHash(Chem.Mol(mol), rdMolHash.HashFunction.HetAtomTautomerv2)
    except Exception:
        return ""


def inchikey(mol: Chem.Mol) -> str | None:
    try:
        return Chem.MolToInchiKey(mol) or None
    except Exception:
        return None


def fingerprint(mol: Chem.Mol):
    """Morgan radius-2, 2048-bit fingerprint.

    rdMolDescriptors' Morgan function gives the same bits as rdFingerprintGenerator's
    MorganGenerator (tests/test_chem.py checks) without importing numpy, which would add
    ~100 ms to every single-query start-up.
    """
    return _fp_function()(mol)


@lru_cache(maxsize=1)
def _fp_function():
    legacy = getattr(rdMolDescriptors, "GetMorganFingerprintAsBitVect", None)
    if legacy is not None:
        return lambda m: legacy(m, FP_RADIUS, nBits=FP_BITS)
    from rdkit.Chem import rdFingerprintGenerator

    gen = rdFingerprintGenerator.GetMorganGenerator(radius=FP_RADIUS, fpSize=FP_BITS)
    return gen.GetFingerprint


