"""The real shipped watchlist: it loads, validates (rule examples included), and the design card works."""

from pathlib import Path

import pytest

from precursor_check.model import MatchKind, Verdict
from precursor_check.watchlist.load import shipped_path
from precursor_check.watchlist.validate import validate


def test_shipped_watchlist_validates():
    problems, summary = validate([shipped_path()])
    assert problems == [], "\n".join(problems)
    assert summary.startswith("OK")


def test_every_rule_has_three_examples_each_way(shipped_screener):
    for r in shipped_screener.watchlist.rules:
        assert len(r.examples_match) >= 3 and len(r.examples_no_match) >= 3, r.id
        if r.kind == "legal":
            assert r.listings and all(lst.citation for lst in r.listings), r.id


def test_design_card_example(shipped_screener):
    r = shipped_screener.screen("79099-07-3")
    assert r.verdict is Verdict.CONTROLLED
    assert r.top.match is MatchKind.EXACT and r.top.cas == "79099-07-3"


def test_traps_stay_apart(shipped_screener):
    """BMK ethyl glycidate is listed; the strawberry flavouring 77-83-8 is not and must not be controlled."""
    assert shipped_screener.screen("41232-97-7").verdict is Verdict.CONTROLLED
    assert shipped_screener.screen("77-83-8").verdict is Verdict.CLEAR


def test_designer_relatives_are_caught(shipped_screener):
    # other carbamates of 4-piperidone are inside the US clause
    assert shipped_screener.screen("O=C1CCN(C(=O)OCc2ccccc2)CC1").verdict is Verdict.CONTROLLED
    # a ring-substituted P2NP is a structural relative
    assert shipped_screener.screen("CC(=Cc1ccc(F)cc1)[N+](=O)[O-]").verdict.is_hit


def test_ordinary_look_alikes_stay_clear(shipped_screener):
    for smi in ("CC(=O)Nc1ccc(O)cc1", "CCO", "c1ccccc1", "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "CN1C=NC2=C1C(=O)N(C(=O)N2C)C"):
        assert shipped_screener.screen(smi).verdict is Verdict.CLEAR, smi


def test_readme_lists_every_command():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    from precursor_check.cli import cli

    for name in cli.commands:
        assert f"precheck {name}" in readme, name


def _brute(c, mol) -> set[str]:
    """Every rule whose patterns match and excludes do not, checked one by one, then each rule's
    `except_rules` applied ("except for those listed in Schedule 1")."""
    found = {r.id for r in c.watchlist.rules
             if any(mol.HasSubstructMatch(p) for p in c.patterns(r.id))
             and not any(mol.HasSubstructMatch(x) for x in c.excludes[r.id])}
    return {rid for rid in found if not set(c.rule(rid).except_rules) & found}


def test_rule_gates_never_lose_a_match(shipped_screener):
    """Rules are reached through relaxed gates (gates.py); the rules found must be exactly
    those whose full patterns match, on every rule example checked against every rule."""
    from rdkit import Chem

    from precursor_check.watchlist.rules import rules_matching

    c = shipped_screener.compiled
    examples = [s for r in c.watchlist.rules for s in r.examples_match + r.examples_no_match]
    for smi in examples:
        mol = Chem.MolFromSmiles(smi)
        assert {rid for rid, _atoms in rules_matching(c, mol)} == _brute(c, mol), smi


def test_gates_never_lose_a_match_on_ordinary_chemicals(shipped_screener):
    """The same check over ~1,400 PubChem-table chemicals (every 50th), most of them without a
    ring or without one of the elements a gate needs, so the per-molecule gate choice is exercised."""
    from conftest import pubchem_parts

    from precursor_check.watchlist.rules import rules_matching

    c = shipped_screener.compiled
    checked = 0
    for smi, part in pubchem_parts(50):
        assert {rid for rid, _atoms in rules_matching(c, part.mol, part.formula)} == _brute(c, part.mol), smi
        checked += 1
    assert checked > 1000


def test_gate_needs_are_read_from_the_pattern():
    from precursor_check.chemistry.gates import needs

    assert needs("[NX3;R1]1[CH2][CH2][*,*][CH2][CH2]1") == (True, frozenset({"C", "N"}))  # a cycle
    assert needs("c-[CH2]-[CX3](=[OX1])-[CH3,*]")[0]  # an aromatic atom: only ring atoms are
    assert needs("[N,O]-[#6]") == (False, frozenset({"C"}))  # an OR pins no element
    assert needs("[!N;C]-[CH3]") == (False, frozenset({"C"}))  # a negation pins nothing
    assert needs("[Cl,Br,I]-[CH1]-[#8]") == (False, frozenset({"C", "O"}))


def test_relaxed_gate_is_a_superset_of_the_pattern():
    from rdkit import Chem

    from precursor_check.chemistry.gates import relax_smarts

    pattern = "[CX3;$([CH1]),$(C-[#6])](=O)[N;!$(N-C=O)]"
    gate = Chem.MolFromSmarts(relax_smarts(pattern))
    for smi in ("CC(=O)NC", "CC(=O)NC(C)=O", "O=CN"):
        if Chem.MolFromSmiles(smi).HasSubstructMatch(Chem.MolFromSmarts(pattern)):
            assert Chem.MolFromSmiles(smi).HasSubstructMatch(gate)
    assert Chem.MolFromSmiles("CC(=O)NC(C)=O").HasSubstructMatch(gate)  # the relaxed N no longer excludes
    # a recursive primitive keeps what it says of its own atom: the nitro N of a nitroalkene
    nitro = "c-[CH1]=[CX3;H1,$(C-[CH3])]-[$([NX3+](=[OX1])[OX1-]),$([NX3](=[OX1])=[OX1])]"
    gate = Chem.MolFromSmarts(relax_smarts(nitro))
    assert Chem.MolFromSmiles("CC(=Cc1ccccc1)[N+](=O)[O-]").HasSubstructMatch(gate)
    assert not Chem.MolFromSmiles("CC(=Cc1ccccc1)C(=O)O").HasSubstructMatch(gate)


def test_a_salt_name_resolves_through_the_watchlist_first(shipped_screener):
    """The local table's first 'pseudoephedrine hydrochloride' is the other enantiomer; the
    curated watchlist entry, asked for the name without its salt word, wins."""
    r = shipped_screener.screen("pseudoephedrine hydrochloride")
    assert (r.top.id, r.top.match.value) == ("PC-0004", "parent") and r.source.startswith("watchlist")


@pytest.mark.parametrize("query,verdict,removed", [
    ("7681-53-0", "controlled", ("sodium",)),  # sodium hypophosphite, as the PubChem table writes it ([O-]P=O)
    ("[NH4+].[O-][PH2]=O", "controlled", ("ammonium",)),  # named in the US listing itself
    ("10039-56-2", "controlled", ("hydrate", "sodium")),
    ("Cl.O", "controlled", ("hydrate",)),  # hydrochloric acid is HCl in water
    ("10193-30-3", "controlled", ("hydrate",)),  # sulfuric acid monohydrate
    ("[O-][Mn](=O)(=O)=O.[K+].O", "controlled", ("hydrate",)),
    ("8014-95-7", "analog", ()),  # oleum: sulfuric acid with SO3, one component of a mixture
    ("II.[K+].[I-]", "analog", ("potassium",)),  # iodine in potassium iodide solution
    ("Cl.CO", "analog", ()),  # HCl in methanol: a solution of the acid, not a 'hydrochloride' of methanol
    ("[Na+].[Cl-]", "clear", ()),  # the lists exclude the salts of hydrochloric and sulfuric acid
    ("[Na+].[Cl-].O", "clear", ("hydrate",)),
    ("[Na+].[O-]S(=O)(=O)[O-].[Na+]", "clear", ()),
    ("7681-11-0", "clear", ()),  # potassium iodide is not hydriodic acid
    ("CN.Cl", "controlled", ("hydrochloride",)),  # an amine with HCl is its salt
    ("CC(=O)[C-](C(=O)OC)c1ccccc1.[Na+]", "controlled", ("sodium",)),  # MAPA's sodium salt written on carbon
    ("CC(=O)[C-](C#N)c1ccccc1.[Na+]", "controlled", ("sodium",)),  # APAAN's sodium salt, the same way
    ("CC1(C)OC(=O)C(=C([O-])Cc2ccc3OCOc3c2)C(=O)O1.[Na+]", "controlled", ("sodium",)),  # IMDPAM's enolate
    ("CC1(C)OC(=O)C(=C(O)Cc2ccc3OCOc3c2)C(=O)O1", "controlled", ()),  # IMDPAM as its enol
    ("[CH2-]c1ccccc1.[Mg+2].[Cl-]", "clear", ("magnesium", "hydrochloride")),  # a Grignard reagent is not toluene
])
def test_salts_hydrates_tautomers_and_acid_solutions(shipped_screener, query, verdict, removed):
    r = shipped_screener.screen(query)
    assert (r.verdict.value, r.removed) == (verdict, removed), r.top and r.top.reason


@pytest.mark.parametrize("name_smiles", [  # SMILES from OPSIN, as in the rules' examples
    "COC(CC1=CC=CC=C1)(C)OC",  # P2P dimethyl ketal
    "CC1(OCCO1)CC1=CC2=C(OCO2)C=C1",  # PMK ethylene ketal
    "OC(CC1=CC=CC=C1)(C)S(=O)(=O)[O-].[Na+]",  # P2P bisulfite adduct
    "O1COC2=C1C=CC(=C2)CC(C)=NO",  # PMK oxime
    "CN1C(OC(C1C)C1=CC=CC=C1)=O",  # ephedrine cyclic carbamate
    "C(C)(=O)O[C@H]([C@H](C)NC)C1=CC=CC=C1",  # O-acetyl-pseudoephedrine
    "CCOC(=O)CC1=CC=C(C=C1)Cl",  # ethyl 4-chlorophenylacetate: a ring-substituted phenylacetic ester
    "COC(=O)C1=C(C=CC(=C1)Cl)N",  # methyl 2-amino-5-chlorobenzoate: a ring-substituted anthranilate
    "N1CCC(CC1)=NO",  # 4-piperidone oxime
    "C1(=CC=CC=C1)N=C1CCN(CC1)C(=O)OC(C)(C)C",  # the phenylimine of 1-boc-4-piperidone
])
def test_masked_and_ring_substituted_precursors_are_never_clear(shipped_screener, name_smiles):
    assert shipped_screener.screen(name_smiles).verdict.is_hit


def test_a_jurisdictions_policy_alert_counts_only_where_it_is_screened():
    """Canada's 'derivatives and analogues' alert: a watch flag when Canada is screened, nothing for a US-only screen."""
    from precursor_check import Screener

    benzyl_piperidone = "O=C1CCN(Cc2ccccc2)CC1"
    ca = Screener(jurisdictions=["CA"]).screen(benzyl_piperidone)
    us = Screener(jurisdictions=["US"], as_of="2023-01-01").screen(benzyl_piperidone)
    assert "R-CA-DERIVATIVES-ANALOGUES" in [h.id for h in ca.hits if h.counted]
    assert "R-CA-DERIVATIVES-ANALOGUES" not in [h.id for h in us.hits if h.counted]


@pytest.mark.parametrize("smiles", [
    "[2H]C([2H])([2H])C(=O)Cc1ccccc1",  # P2P-d3: identity, the P2P alerts and Canada's analogue flag
    "CC(C)(C)OC(=O)N1C([2H])([2H])C([2H])([2H])C(=O)C([2H])([2H])C1([2H])[2H]",  # 1-boc-4-piperidone-d8: US class rule
])
def test_isotope_labelled_forms_are_analog_on_every_path(shipped_screener, smiles):
    r = shipped_screener.screen(smiles)
    assert r.verdict.value == "analog" and all(h.verdict.value in ("analog", "clear") for h in r.hits)
