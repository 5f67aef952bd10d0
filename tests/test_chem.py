"""Standardisation to parent fragments, and the one fingerprint function."""

from pathlib import Path

import pytest
from rdkit import Chem

from precursor_check.chemistry import molecules, standardise


def parent_smiles(smiles):
    std = standardise.standardise(Chem.MolFromSmiles(smiles))
    return [Chem.MolToSmiles(p.mol) for p in std.parts], std.removed


def test_hydrochloride_is_stripped_and_named():
    parts, removed = parent_smiles("CC(C)(C)OC(=O)N1CCC(=O)CC1.Cl")
    assert parts == [Chem.CanonSmiles("CC(C)(C)OC(=O)N1CCC(=O)CC1")]
    assert removed == ("hydrochloride",)


def test_charged_salt_is_neutralised():
    parts, removed = parent_smiles("O=C1CC[NH+](CCc2ccccc2)CC1.[Cl-]")
    assert parts == [Chem.CanonSmiles("O=C1CCN(CCc2ccccc2)CC1")]
    assert removed == ("hydrochloride",)


def test_smaller_listed_part_of_a_salt_is_kept():
    """Piperidine tosylate: the tosylate is the larger fragment, the piperidine is what matters."""
    parts, removed = parent_smiles("C1CCNCC1.Cc1ccc(S(=O)(=O)O)cc1")
    assert parts == ["C1CCNCC1"]
    assert removed == ("tosylate",)


def test_two_organic_parts_are_both_screened():
    parts, _ = parent_smiles("O=C1CCN(CCc2ccccc2)CC1.CC(C)(C)OC(=O)N1CCC(=O)CC1")
    assert len(parts) == 2


def test_inorganic_input_is_kept_whole():
    std = standardise.standardise(Chem.MolFromSmiles("[O-][Mn](=O)(=O)=O.[K+]"))
    assert std.inorganic and len(std.parts) == 1


def test_zwitterion_is_neutralised_and_carbanion_is_not():
    std = standardise.standardise(Chem.MolFromSmiles("[NH3+]CC(=O)[O-]"))
    assert Chem.MolToSmiles(std.parts[0].mol) == "NCC(=O)O" and std.parts[0].charged
    std = standardise.standardise(Chem.MolFromSmiles("[CH2-]c1ccccc1.[Mg+2].[Cl-]"))  # benzylmagnesium chloride
    assert Chem.MolToSmiles(std.parts[0].mol) == "[CH2-]c1ccccc1"


def test_metal_with_a_neutral_organic_part_is_a_complex_not_a_salt():
    assert standardise.standardise(Chem.MolFromSmiles("CCOCC.[Mg+2].[Br-].[Br-]")).complex
    assert not standardise.standardise(Chem.MolFromSmiles("[Na+].[O-]C(=O)Cc1ccccc1")).complex


def test_fingerprint_bits_equal_the_generator_api():
    from rdkit.Chem import rdFingerprintGenerator

    gen = rdFingerprintGenerator.GetMorganGenerator(radius=molecules.FP_RADIUS, fpSize=molecules.FP_BITS)
    for smi in ("O=C1CCN(CCc2ccccc2)CC1", "CC(=O)Cc1ccc2OCOc2c1", "CN[C@@H](C)[C@H](O)c1ccccc1"):
        mol = Chem.MolFromSmiles(smi)
        assert molecules.fingerprint(mol) == gen.GetFingerprint(mol)


def test_counter_ion_table_matches_the_chemicals_package():
    """data/salts.tsv structures agree with the PubChem-derived table of `chemicals`, by CAS."""
    chemicals = pytest.importorskip("chemicals")
    ident = Path(chemicals.__file__).parent / "Identifiers"
    table = {}
    for name in ("chemical identifiers pubchem small.tsv", "chemical identifiers pubchem large.tsv", "Inorganic db.tsv"):
        for line in open(ident / name, encoding="utf-8"):
            p = line.split("\t")
            table.setdefault(p[1], p[4])
    salts = Path(__file__).resolve().parent.parent / "data" / "vocabulary" / "salts.tsv"
    for line in salts.read_text().splitlines():
        if line.startswith("#"):
            continue
        cas, name, smi, kind = line.split("\t")
        assert Chem.CanonSmiles(table[cas]) == Chem.CanonSmiles(smi), name
        assert kind in ("counter-ion", "solvent"), name


def test_substituent_patterns_match_their_groups():
    """Each substituent's SMARTS (data/vocabulary/substituents.tsv) finds its group on benzene,
    every atom of it and nothing more; not another listed group, nor its own grown by a carbon
    (ethyl is not methyl, ethoxy not methoxy); and removing it gives benzene back."""
    from precursor_check.chemistry import variants, vocabulary

    table = vocabulary.substituents()
    assert {name for name, _g, _s in table} == {"F", "Cl", "Br", "I", "CH3", "OCH3", "CF3"}
    for name, group, smarts in table:
        query = Chem.MolFromSmarts(smarts)
        mol = Chem.MolFromSmiles(group.replace("*", "c1ccccc1"))
        (match,) = mol.GetSubstructMatches(query)
        assert len(match) == mol.GetNumAtoms() - 5, name  # the ring carbon and the whole group
        others = [g.replace("*", "c1ccccc1") for n, g, _s in table if n != name]
        for other in others + [group.replace("*", "c1ccccc1") + "C"]:
            grown = Chem.MolFromSmiles(other)
            assert grown is None or not grown.GetSubstructMatches(query), (name, other)
        ((stripped, names),) = variants.parents(mol, molecules.mol_formula(mol), lambda f: f == "C6H6")
        assert names == [name] and Chem.MolToSmiles(stripped) == "c1ccccc1"


def test_parse_smiles_is_the_same_molecule_as_molfromsmiles():
    """parse_smiles skips MolFromSmiles' stereo perception when no stereo is written; the molecule
    (canonical SMILES with stereo, InChIKey, fingerprint, invalid or not) must not change, on
    hand-picked edge cases and ~1,400 PubChem-table chemicals (every 50th)."""
    chemicals = pytest.importorskip("chemicals")
    table = Path(chemicals.__file__).resolve().parent / "Identifiers" / "chemical identifiers pubchem large.tsv"
    with open(table, encoding="utf-8") as fh:
        smiles = [line.split("\t")[4] for i, line in enumerate(fh) if i % 50 == 0]
    smiles += ["C[C@H](N)Cc1ccccc1", "F/C=C/F", "[2H]C([2H])N", "[H]OC", "[Hg+2].[Cl-].[Cl-]", "C1CC", "c1cccc1",
               "C(C)(C)(C)(C)C", "[NH4+].[O-]C(=O)C", "CC(N)Cc1ccccc1 |r|", "O=[N+]([O-])c1ccccc1", "CC(O)C(=O)O",
               "C1=CC2=CC=C1C2", "[Na+].[O-]c1ccccc1", "B(O)(O)c1ccccc1", "CS(=O)(=O)[O-].C[N+](C)(C)C"]
    fast = 0
    for smi in smiles:
        ref, got = Chem.MolFromSmiles(smi), molecules.parse_smiles(smi)
        assert (ref is None) == (got is None), smi
        if ref is None:
            continue
        fast += not molecules._FULL_PARSE.search(smi)
        assert Chem.MolToSmiles(got) == Chem.MolToSmiles(ref), smi
        assert molecules.inchikey(got) == molecules.inchikey(ref), smi
        assert molecules.fingerprint(got) == molecules.fingerprint(ref), smi
    assert fast > 1000  # the cheaper path was the one tested


def test_every_vocabulary_file_is_read_and_says_what_it_is_for():
    """data/vocabulary/ holds exactly the files the code reads (so the compiled-watchlist cache
    watches them all), each with a header saying what it is for."""
    from precursor_check.chemistry import vocabulary

    folder = Path(__file__).resolve().parent.parent / "data" / "vocabulary"
    assert sorted(p.name for p in folder.iterdir()) == sorted(vocabulary.FILES)
    for name in vocabulary.FILES:
        head = (folder / name).read_text(encoding="utf-8").splitlines()[:2]
        assert all(line.startswith("# ") for line in head), name
        assert vocabulary.rows(name), name

