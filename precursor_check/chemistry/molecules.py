"""RDKit chemistry: parse quietly, molecular formula, identity keys, fingerprints.

One module (with standardise.py for standardisation) so that the watchlist and the queries go
through exactly the same steps.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rdkit import Chem, RDLogger
from rdkit.Chem import rdMolDescriptors

RDLogger.DisableLog("rdApp.*")  # RDKit's own log noise never reaches the user

FP_RADIUS = 2
FP_BITS = 2048
MAX_HEAVY_ATOMS = 400  # beyond this a query is not a precursor; screened by identity only
MAX_SMILES = 5000  # characters: a longer SMILES is not parsed at all (it is not a precursor)


# Stereo marks, an explicit hydrogen atom ([H], [2H]; not [Hg] or [NH4+]) or anything after a space
# (CXSMILES: wedges, coordinates): such a SMILES is parsed by MolFromSmiles in full. Any other is parsed unsanitised and then sanitised, which is the same
# molecule without MolFromSmiles' final stereo perception (~20 µs of a ~75 µs parse): with no
# stereo written there is none to perceive, and canonical SMILES and InChI perceive their own.
_FULL_PARSE = re.compile(r"[@/\\\s|]|\[\d*H(?![a-z])")


_WHITESPACE = re.compile(r"\s")


def whole_smiles(text: str) -> tuple[str | None, str | None]:
    """(SMILES to parse, None) or (None, why not): a SMILES is read whole, nothing in it is a title.

    RDKit takes everything after the first space as the molecule's name and throws it away, so
    'CCO O=C1CCN(CCc2ccccc2)CC1' would be ethanol alone. Whitespace-separated SMILES are read as
    components ('CCO.O=C1CCN(CCc2ccccc2)CC1'); a CXSMILES extension ('CCO |$;;$|') is allowed only
    as the very end of the text.

    >>> whole_smiles("CCO  CC(=O)O")
    ('CCO.CC(=O)O', None)
    >>> whole_smiles("CCO |$;;$|")
    ('CCO |$;;$|', None)
    >>> whole_smiles("CCO |$;;$| CCN |")[0] is None
    True
    """
    s = text.strip()
    if not _WHITESPACE.search(s):
        return s, None
    head, tail = s.split(None, 1)
    if tail.startswith("|"):
        end = tail.find("|", 1)
        if end == -1:
            return None, "the CXSMILES extension after the space is not closed with '|'"
        rest = tail[end + 1:].strip()
        if rest:
            return None, (f"text after the CXSMILES extension ({rest[:40]!r}): a SMILES is screened whole; "
                          "write further components with '.'")
        return s, None
    tokens = s.split()
    if any("|" in t for t in tokens):
        return None, "a '|' inside the SMILES: only one CXSMILES extension, at the end, is read"
    return ".".join(tokens), None


_ATOM_MAP = re.compile(r":\d+\]")  # an atom-map number, [CH3:1]: an annotation, not chemistry


def parse_smiles(smiles: str) -> Chem.Mol | None:
    """RDKit molecule, or None when the SMILES does not parse (RDKit stays silent).

    The same molecule as `Chem.MolFromSmiles` (tests/test_chem.py compares them on ~1,400
    chemicals), a quarter cheaper when the SMILES carries no stereo. Atom-map numbers (reaction
    and notebook exports) are cleared, so they never reach an identity key.
    """
    if not smiles or len(smiles) > MAX_SMILES:
        return None
    if _WHITESPACE.search(smiles):  # never let RDKit read part of it as a title and drop it
        smiles, _why = whole_smiles(smiles)
        if smiles is None:
            return None
    if _FULL_PARSE.search(smiles):
        mol = Chem.MolFromSmiles(smiles)
    else:
        mol = Chem.MolFromSmiles(smiles, sanitize=False)
        if mol is None or Chem.SanitizeMol(mol, catchErrors=True) != Chem.SanitizeFlags.SANITIZE_NONE:
            return None
    if mol is not None and "]" in smiles and _ATOM_MAP.search(smiles):
        for atom in mol.GetAtoms():
            atom.SetAtomMapNum(0)
    return mol


def parse_inchi(inchi: str) -> Chem.Mol | None:
    """RDKit molecule, or None when the InChI does not parse or does not hold together: the
    structure read back must have the formula the InChI states (a truncated InChI without its
    hydrogen layer parses into radicals with too few hydrogens)."""
    try:
        mol = Chem.MolFromInchi(inchi, sanitize=True, removeHs=True, logLevel=None, treatWarningAsError=False)
        if mol is None:
            return None
        stated = inchi.split("/")[1] if inchi.count("/") >= 1 else ""
        back = Chem.MolToInchi(mol, logLevel=None)
    except Exception:  # RDKit raises on some malformed InChI strings
        return None
    return mol if back and back.split("/")[1] == stated else None


def mol_formula(mol: Chem.Mol) -> str:
    """Molecular formula in Hill order, charge included ('C9H10O', 'C2H3O2-')."""
    return rdMolDescriptors.CalcMolFormula(mol)


def canonical(mol: Chem.Mol, isomeric: bool = True) -> str:
    return Chem.MolToSmiles(mol, isomericSmiles=isomeric)


def atoms_in_canonical(mol: Chem.Mol, atoms) -> tuple[int, ...]:
    """Atom indices of `mol` renumbered to the atom order of its canonical SMILES (`canonical(mol)`).

    Hits report atoms so that a reader can highlight them on the SMILES the result shows.
    """
    if not atoms:
        return ()
    Chem.MolToSmiles(mol)
    order = list(mol.GetPropsAsDict(True, True).get("_smilesAtomOutputOrder", ()))
    if not order:
        return tuple(atoms)
    new = {old: i for i, old in enumerate(order)}
    return tuple(new[a] for a in atoms if a in new)


def tautomer_key(mol: Chem.Mol) -> str:
    """Tautomer-insensitive hash (keto/enol forms share it); costs ~140 µs, so only on gate hits."""
    from rdkit.Chem import rdMolHash

    try:
        return rdMolHash.MolHash(Chem.Mol(mol), rdMolHash.HashFunction.HetAtomTautomerv2)
    except Exception:
        return ""


def tautomers(mol: Chem.Mol, limit: int = 64) -> list[str]:
    """Non-isomeric canonical SMILES of the molecule's other tautomers (RDKit's enumeration, at
    most `limit`); for watchlist entries at compile time (~1 ms each), so that a query written
    as an enol is found by a dictionary lookup instead of a tautomer hash per query."""
    from rdkit.Chem.MolStandardize import rdMolStandardize

    enumerator = rdMolStandardize.TautomerEnumerator()
    enumerator.SetMaxTautomers(limit)
    try:
        found = {Chem.MolToSmiles(t, isomericSmiles=False) for t in enumerator.Enumerate(mol)}
    except Exception:  # a structure RDKit cannot enumerate: no extra keys
        return []
    return sorted(found - {Chem.MolToSmiles(mol, isomericSmiles=False)})


def inchikey(mol: Chem.Mol) -> str | None:
    try:
        return Chem.MolToInchiKey(mol) or None
    except Exception:
        return None


def fingerprint(mol: Chem.Mol):
    """Morgan radius-2, 2048-bit fingerprint.

    rdMolDescriptors' Morgan function gives the same bits as rdFingerprintGenerator's
    MorganGenerator (tests/test_chem.py checks), as fast with RDKit's log off, without
    importing numpy, which would add ~140 ms to every start-up and ~12 MB to every process.
    """
    return _fp_function()(mol)


@lru_cache(maxsize=1)
def _fp_function():
    legacy = getattr(rdMolDescriptors, "GetMorganFingerprintAsBitVect", None)
    if legacy is not None:
        return lambda m: legacy(m, FP_RADIUS, FP_BITS)
    from rdkit.Chem import rdFingerprintGenerator

    gen = rdFingerprintGenerator.GetMorganGenerator(radius=FP_RADIUS, fpSize=FP_BITS)
    return gen.GetFingerprint
