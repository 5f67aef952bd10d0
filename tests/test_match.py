"""The matching engine against the small fixture watchlist (tests/fixtures/mini.yaml)."""

import pytest
from conftest import FIXTURE

from precursor_check import Screener
from precursor_check.model import MatchKind, Verdict


def top(s, q, **kw):
    r = s.screen(q, **kw)
    return r, r.top


def test_cas_of_a_listed_chemical_is_an_exact_controlled_hit(mini_screener):
    r, hit = top(mini_screener, "79099-07-3")
    assert r.verdict is Verdict.CONTROLLED
    assert (hit.id, hit.match) == ("T-BOCPIP", MatchKind.EXACT)
    assert "US List I" in hit.reason and "FR Doc 2025-19349" in hit.reason


def test_salt_is_a_parent_match_and_says_so(mini_screener):
    r, hit = top(mini_screener, "O=C1CCN(CCc2ccccc2)CC1.Cl")
    assert (r.verdict, hit.match) == (Verdict.CONTROLLED, MatchKind.PARENT)
    assert hit.reason.startswith("hydrochloride salt of NPP (UN Table I")


def test_salt_cas_resolves_to_the_parent(mini_screener):
    r, hit = top(mini_screener, "99990-01-9")
    assert hit.match is MatchKind.PARENT and "hydrochloride" in hit.reason


def test_stereoisomer_matches_when_the_listing_covers_isomers(mini_screener):
    r, hit = top(mini_screener, "C[C@@H]([C@@H](c1ccccc1)O)N")  # (1S,2S) is cathine; this is another isomer
    assert r.verdict is Verdict.CONTROLLED and hit.match is MatchKind.STEREO


def test_listing_exception_drops_only_that_listing(mini_screener):
    """EU Category 1 excludes cathine; the US listing still applies."""
    r, hit = top(mini_screener, "N[C@H]([C@@H](O)C1=CC=CC=C1)C")
    assert r.verdict is Verdict.CONTROLLED
    assert [lst.jurisdiction for lst in hit.lists] == ["US"]
    assert "EU Category 1 excludes this stereoisomer" in hit.reason
    eu = Screener(watchlists=[FIXTURE], replace=True, jurisdictions=["EU"])
    assert eu.screen("N[C@H]([C@@H](O)C1=CC=CC=C1)C").verdict is Verdict.CLEAR


def test_tautomer_is_a_parent_match(mini_screener):
    r, hit = top(mini_screener, "CC(O)=Cc1ccccc1")  # enol of P2P
    assert r.verdict is Verdict.CONTROLLED and hit.id == "T-P2P" and "tautomer" in hit.reason


def test_legal_class_rule(mini_screener):
    r, hit = top(mini_screener, "COC(=O)N1CCC(=O)CC1")
    assert (r.verdict, hit.match, hit.id) == (Verdict.CONTROLLED, MatchKind.CLASS_RULE, "T-R-4PIP-CARB")
    assert hit.atoms  # the atoms the rule matched, for highlighting


def test_rule_atoms_index_the_reported_smiles(mini_screener):
    """A reader highlights hit.atoms on the SMILES the result shows: the indices must fit it."""
    from rdkit import Chem

    r, hit = top(mini_screener, "O=C1CCN(C(=O)OC)CC1.Cl")  # atom order differs from the canonical SMILES
    mol = Chem.MolFromSmiles(r.smiles)
    pattern = Chem.MolFromSmarts(mini_screener.compiled.rule(hit.id).smarts[0])
    assert set(hit.atoms) in [set(m) for m in mol.GetSubstructMatches(pattern)]


def test_alert_rule_is_an_analog(mini_screener):
    r, hit = top(mini_screener, "CC(=Cc1ccc(Cl)cc1)[N+](=O)[O-]")
    assert (r.verdict, hit.match) == (Verdict.ANALOG, MatchKind.SUBSTRUCTURE)


def test_similarity_flags_a_close_relative_with_its_score(mini_screener):
    r, hit = top(mini_screener, "O=C1CCN(CCCc2ccccc2)CC1")  # one CH2 longer than NPP
    assert (r.verdict, hit.match, hit.id) == (Verdict.ANALOG, MatchKind.SIMILARITY, "T-NPP")
    assert 0.6 <= hit.score < 1
    assert r.nearest[0][0] == "T-NPP"


def test_watch_entry(mini_screener):
    assert mini_screener.screen("O=C1CCN(Cc2ccccc2)CC1").verdict is Verdict.WATCH


def test_ordinary_chemical_is_clear(mini_screener):
    assert mini_screener.screen("CCO").verdict is Verdict.CLEAR


def test_multicomponent_reports_the_worst_part(mini_screener):
    r = mini_screener.screen("Oc1ccccc1.O=C1CCN(CCc2ccccc2)CC1")
    assert r.verdict is Verdict.CONTROLLED and r.top.fragment


def test_metal_adduct_of_a_neutral_listed_chemical_is_not_its_salt(mini_screener):
    """A metal with a neutral organic part is a complex: flagged for review, not 'salt of'."""
    r = mini_screener.screen("O=C1CCN(CCc2ccccc2)CC1.[Mg+2].[Br-].[Br-]")
    assert r.verdict is Verdict.CONTROLLED and "salt" not in r.top.reason
    assert "(mixture, adduct or complex)" in r.top.reason


def test_structureless_entry_by_cas(mini_screener):
    r = mini_screener.screen("7723-14-0")
    assert r.verdict is Verdict.CONTROLLED and r.top.id == "T-REDP"


def test_hcl_salt_listing_excludes_salts_of_hcl(mini_screener):
    assert mini_screener.screen("Cl", input_type="smiles").verdict is Verdict.CONTROLLED
    assert mini_screener.screen("[Na+].[Cl-]").verdict is Verdict.CLEAR


@pytest.mark.parametrize("query,verdict", [
    ("1609-66-5", Verdict.INVALID),  # check digit fails
    ("C1CC", Verdict.INVALID),  # SMILES does not parse
    ("", Verdict.INVALID),
    ("zzqx-unknown-chemical", Verdict.UNRESOLVED),
])
def test_bad_and_unknown_inputs(mini_screener, query, verdict):
    r = mini_screener.screen(query)
    assert r.verdict is verdict and r.error


def test_wrong_check_digit_suggests_a_known_cas(mini_screener):
    r = mini_screener.screen("79099-07-4")
    assert r.verdict is Verdict.INVALID and "79099-07-3" in r.suggestions


@pytest.mark.parametrize("query", ["CAS79099", "79099", "CAS 7909"])
def test_partial_cas_is_invalid_and_names_the_listed_cas_it_begins(mini_screener, query):
    r = mini_screener.screen(query, input_type="cas")
    assert r.verdict is Verdict.INVALID and r.suggestions[0] == "79099-07-3"
    assert "start of a listed CAS number: 79099-07-3" in r.error


@pytest.mark.parametrize("query,entry", [
    ("[CH3:1][C:2](=[O:3])[CH2:4][c:5]1[cH:6][cH:7][cH:8][cH:9][cH:10]1", "T-P2P"),  # atom maps are annotations
    ("InChI=1S/C13H17NO/c15-13-7-10-14(11-8-13)9-6-12-4-2-1-3-5-12/h1-5H,6-11H2", "T-NPP"),
    ("rouyfjuvmyhxfj-uhfffaoysa-n", "T-BOCPIP"),  # an InChIKey in lower case
])
def test_the_same_substance_written_differently_is_found(mini_screener, query, entry):
    r = mini_screener.screen(query)
    assert (r.verdict, r.top.id) == (Verdict.CONTROLLED, entry)


def test_a_truncated_inchi_is_invalid_not_clear(mini_screener):
    r = mini_screener.screen("InChI=1S/C13H17NO/c15-13-7-10-14(11-8-13)9-6-12-4-2-1-3-5-12")  # no /h layer
    assert r.verdict is Verdict.INVALID and "truncated InChI" in r.error


@pytest.mark.parametrize("name,form", [("NPP hydrochloride", "hydrochloride"), ("NPP sodium salt", "sodium"),
                                       ("NPP potassium", "potassium")])
def test_a_salt_name_resolves_to_the_salt_of_the_entry(mini_screener, name, form):
    r = mini_screener.screen(name, input_type="name")
    assert (r.verdict, r.top.id, r.removed) == (Verdict.CONTROLLED, "T-NPP", (form,))


@pytest.mark.parametrize("name", ["NPP, 99%", "NPP 98+% powder", "NPP hydrochloride (technical grade)"])
def test_purity_and_grade_words_do_not_hide_a_name(mini_screener, name):
    r = mini_screener.screen(name, input_type="name")
    assert (r.verdict, r.top.id) == (Verdict.CONTROLLED, "T-NPP")


def test_unlisted_cas_resolves_through_the_local_table(mini_screener):
    r = mini_screener.screen("64-17-5")  # ethanol
    assert r.verdict is Verdict.CLEAR and r.source.startswith("local table")


def test_names_and_abbreviations(mini_screener):
    assert mini_screener.screen("NPP").top.id == "T-NPP"
    assert mini_screener.screen("N-Boc-4-piperidone").top.id == "T-BOCPIP"
    assert mini_screener.screen("1-(tert-butoxycarbonyl)-4-piperidone").top.id == "T-BOCPIP"
    r = mini_screener.screen("npp hydrochloride")
    assert r.top.match is MatchKind.PARENT


def test_as_of_reads_the_law_at_a_date():
    before = Screener(watchlists=[FIXTURE], replace=True, as_of="2020-01-01")
    r = before.screen("79099-07-3")  # listed 2025; the 2023 carbamate clause did not exist yet either
    assert r.verdict is Verdict.CLEAR


def test_screen_many_keeps_order_and_rows(mini_screener):
    rs = list(mini_screener.screen_many(["CCO", "NPP", "CCO"]))
    assert [r.row for r in rs] == [1, 2, 3]
    assert [r.input for r in rs] == ["CCO", "NPP", "CCO"]


@pytest.mark.parametrize("smiles, names", [
    ("CC(=O)Cc1ccc(F)cc1", "F in place of a ring H"),  # 4-fluoro P2P
    ("CC(=O)Cc1cc(Cl)ccc1OC", "Cl and OCH3 in place of ring H"),
    ("Cl.CC(=O)Cc1ccccc1C(F)(F)F", "CF3 in place of a ring H"),  # a salt of one is one too
])
def test_ring_substituted_variant_of_a_listed_structure(mini_screener, smiles, names):
    r = mini_screener.screen(smiles)
    hit = next(h for h in r.hits if h.reason.startswith("ring-substituted"))
    assert (r.verdict, hit.id, hit.match) == (Verdict.ANALOG, "T-P2P", MatchKind.SUBSTRUCTURE)
    assert names in hit.reason


def test_ring_variants_need_a_listed_parent(mini_screener):
    # three substituents, a commodity-style parent, or no aromatic ring: not a variant
    for smiles in ("CC(=O)Cc1c(F)cc(F)cc1F", "Cc1ccccc1C", "CC(=O)CC1CCC(F)CC1"):
        r = mini_screener.screen(smiles)
        assert not any(h.reason.startswith("ring-substituted") for h in r.hits), smiles


def test_a_word_that_no_name_comes_near_is_read_as_smiles(mini_screener):
    r = mini_screener.screen("Cl")  # written like a word; no name is close; a valid SMILES
    assert (r.verdict, r.top.id, r.input_type) == (Verdict.CONTROLLED, "T-HCL", "smiles")
    assert r.source.startswith("input (read as SMILES")
    typo = mini_screener.screen("NPPP")  # also a valid SMILES, but close to the name NPP: a suggestion
    assert typo.verdict is Verdict.UNRESOLVED and "NPP" in typo.suggestions


@pytest.mark.parametrize("smiles,entry", [("[2H]C([2H])([2H])C(=O)Cc1ccccc1", "T-P2P"),
                                          ("CC(=O)C[13c]1ccccc1", "T-P2P"),
                                          ("O=C1CCN(CC([2H])([2H])c2ccccc2)CC1.Cl", "T-NPP")])  # a salt of it
def test_isotope_labelled_form_is_found_and_flagged_for_review(mini_screener, smiles, entry):
    r, hit = top(mini_screener, smiles)
    assert (r.verdict, hit.id, hit.match) == (Verdict.ANALOG, entry, MatchKind.PARENT)  # for review
    assert "isotope-labelled" in hit.reason and "isotope labels" in r.removed
