"""Masked precursors: forms that give a listed precursor back in one or two unmasking steps.

Structures are OPSIN's for the names in the comments (py2opsin), never typed from memory.
"""

from __future__ import annotations

import json

import pytest

from precursor_check.watchlist import unmask
from precursor_check.errors import WatchlistError
from precursor_check.model import MatchKind, Verdict

from conftest import run

# the issue's examples: one ordinary mask on one listed non-commodity precursor, each `clear`
# before the unmasking step existed -> (SMILES, entry it must name, transform ids, in order)
MASKED = [
    ("CCC(=O)N(c1ccccc1)C1CCN(S(=O)(=O)c2ccc(C)cc2)CC1", "PC-0025", ("T-N-SULFONYL",)),  # N-[1-(4-methylbenzenesulfonyl)piperidin-4-yl]-N-phenylpropanamide
    ("CCC(=O)N(c1ccccc1)C1CCN(C(c2ccccc2)(c2ccccc2)c2ccccc2)CC1", "PC-0025", ("T-N-TRITYL",)),  # N-phenyl-N-[1-(triphenylmethyl)piperidin-4-yl]propanamide
    ("N#CC1(O)CCN(CCc2ccccc2)CC1", "PC-0017", ("T-CO-CYANOHYDRIN",)),  # 4-hydroxy-1-(2-phenylethyl)piperidine-4-carbonitrile
    ("C[Si](C)(C)OC1=CCN(CCc2ccccc2)CC1", "PC-0017", ("T-CO-SILYL-ENOL",)),  # 1-(2-phenylethyl)-4-[(trimethylsilyl)oxy]-1,2,3,6-tetrahydropyridine
    ("CC(=Cc1ccccc1)N1CCCC1", "PC-0013", ("T-CO-ENAMINE",)),  # 1-(1-phenylprop-1-en-2-yl)pyrrolidine
    ("CNC(C)C(OC1CCCCO1)c1ccccc1", "PC-0003", ("T-O-ACETAL",)),  # N-methyl-1-(oxan-2-yloxy)-1-phenylpropan-2-amine
    ("CON(C)C(=O)Cc1ccccc1", "PC-0014", ("T-ACID-AMIDE",)),  # N-methoxy-N-methyl-2-phenylacetamide
    ("COC(OC)c1ccc2c(c1)OCO2", "PC-0011", ("T-CO-ACETAL",)),  # 5-(dimethoxymethyl)-2H-1,3-benzodioxole
    # two steps: a Boc group and a ketal together
    ("CC(C)(C)OC(=O)N1CCC2(CC1)OCCO2", "PC-0026", ("T-N-CARBAMATE", "T-CO-ACETAL")),  # tert-butyl 1,4-dioxa-8-azaspiro[4.5]decane-8-carboxylate
    # the PMK analogue of a listed glycidate, methoxy instead of methylenedioxy, is not a mask of anything listed
]

# the same masks on ordinary chemicals, or on commodity entries that are not mask targets
DECOYS = [
    "C1CCC2(CC1)OCCO2",  # 1,4-dioxaspiro[4.5]decane (cyclohexanone ethylene ketal)
    "CC(C)(C)OC(=O)N1CCOCC1",  # tert-butyl morpholine-4-carboxylate
    "CCCCCC(=O)OCc1ccccc1",  # benzyl hexanoate
    "CC(=O)OC1CC(C)CCC1C(C)C",  # 5-methyl-2-(propan-2-yl)cyclohexyl acetate (menthyl acetate)
    "CC1(C)OCCO1",  # 2,2-dimethyl-1,3-dioxolane: a ketal of acetone, a commodity entry
    "CCOC(=O)CC(C)=O",  # ethyl 3-oxobutanoate: gives acetone by decarboxylation
    "Cc1ccc(S(=O)(=O)N2CCCCC2)cc1",  # 1-(4-methylbenzenesulfonyl)piperidine: piperidine is a commodity entry
    "CC(=O)NCc1ccccc1",  # N-benzylacetamide
    "CCOC(=O)c1ccccc1",  # ethyl benzoate
    "CCOC(=O)CC(=O)OCC",  # diethyl propanedioate
]


def masked_hits(result):
    return [h for h in result.hits if h.match is MatchKind.MASKED]


@pytest.mark.parametrize("smiles,entry,steps", MASKED)
def test_masked_form_of_a_listed_precursor_is_flagged(shipped_screener, smiles, entry, steps):
    r = shipped_screener.screen(smiles, input_type="smiles")
    assert r.verdict.is_hit
    hit = next(h for h in masked_hits(r) if h.id == entry)
    assert hit.verdict is Verdict.ANALOG and hit.steps == steps
    e = shipped_screener.compiled.entry(entry)
    assert f"gives {e.label} (" in hit.reason  # names the step and the entry, then its lists
    assert unmask.shipped().get(steps[0]).doing in hit.reason


def test_reason_names_the_step_and_the_entry(shipped_screener):
    r = shipped_screener.screen(MASKED[0][0], input_type="smiles")
    hit = next(h for h in masked_hits(r) if h.id == "PC-0025")
    assert hit.reason.startswith("N-sulfonyl derivative of Norfentanyl: removing the N-sulfonyl group gives "
                                 "Norfentanyl (UN Table I")
    assert hit.product == "CCC(=O)N(c1ccccc1)C1CCNCC1"  # N-phenyl-N-(piperidin-4-yl)propanamide (OPSIN)


@pytest.mark.parametrize("smiles", DECOYS)
def test_masks_on_ordinary_chemicals_give_no_masked_hit(shipped_screener, smiles):
    assert masked_hits(shipped_screener.screen(smiles, input_type="smiles")) == []


@pytest.mark.parametrize("smiles", DECOYS[:6] + DECOYS[7:8])
def test_masks_on_ordinary_chemicals_stay_clear(shipped_screener, smiles):
    assert shipped_screener.screen(smiles, input_type="smiles").verdict is Verdict.CLEAR


def test_a_shared_mask_alone_does_not_make_a_query_similar(shipped_screener):
    """N-Boc morpholine and N-Boc 4-hydroxypiperidine are Tanimoto >= 0.55 to 1-boc-4-piperidone
    through the Boc group alone; N-Boc 3-methyl-4-piperidone is similar without it too."""
    for smiles in ("CC(C)(C)OC(=O)N1CCOCC1",  # tert-butyl morpholine-4-carboxylate
                   "CC(C)(C)OC(=O)N1CCC(O)CC1"):  # tert-butyl 4-hydroxypiperidine-1-carboxylate
        r = shipped_screener.screen(smiles, input_type="smiles")
        assert r.verdict is Verdict.CLEAR and r.nearest[0][0] == "PC-0027" and r.nearest[0][1] >= 0.55
    r = shipped_screener.screen("CC1CN(C(=O)OC(C)(C)C)CCC1=O", input_type="smiles")  # tert-butyl 3-methyl-4-oxopiperidine-1-carboxylate
    assert [(h.id, h.match) for h in r.hits] == [("PC-0027", MatchKind.SIMILARITY)]


def test_legal_clause_on_the_query_itself_still_makes_it_controlled(shipped_screener):
    """N-Boc-4-piperidone ethylene ketal: the US 4-piperidone clause covers its acetals and carbamates."""
    r = shipped_screener.screen(MASKED[8][0], input_type="smiles")
    assert r.verdict is Verdict.CONTROLLED
    assert {h.id for h in masked_hits(r)} >= {"PC-0026", "PC-0027"}  # 4-piperidone; 1-boc-4-piperidone


def test_product_under_a_legal_clause_is_a_masked_hit_on_the_clause(shipped_screener):
    """The Weinreb amide of phenylacetic acid gives phenylacetic acid, which the US clause
    'phenylacetic acid and its esters' covers: named as the clause, still `analog`."""
    r = shipped_screener.screen("CON(C)C(=O)Cc1ccccc1", input_type="smiles")
    clause = [h for h in masked_hits(r) if h.id == "R-US-PHENYLACETIC-ESTERS"]
    assert clause and clause[0].verdict is Verdict.ANALOG and "falls under" in clause[0].reason
    assert r.verdict is Verdict.ANALOG


def test_listed_precursor_itself_names_what_it_masks(shipped_screener):
    """APAAN is listed; the hits also say it gives APAA and P2P back (nitrile, beta-keto acid)."""
    r = shipped_screener.screen("CC(=O)C(C#N)c1ccccc1", input_type="smiles")  # 3-oxo-2-phenylbutanenitrile (OPSIN)
    assert r.verdict is Verdict.CONTROLLED and r.top.match is MatchKind.EXACT
    got = {h.id: h.steps for h in masked_hits(r)}
    assert got["PC-0021"] == ("T-ACID-NITRILE-AMIDE",)
    assert got["PC-0013"] == ("T-ACID-NITRILE", "T-DECARB-BETA-KETO")
    assert "PC-0016" not in got  # never a masked form of itself


def test_json_carries_transform_ids_and_product(tmp_path):
    p = run("smiles", "CC(=Cc1ccccc1)N1CCCC1", "-f", "json", "-q", cwd=tmp_path)
    assert p.returncode == 1, p.stderr  # an analog hit at the default --fail-on analog
    rec = json.loads(p.stdout)["results"][0] if p.stdout.lstrip().startswith("{") else json.loads(p.stdout)[0]
    hit = next(h for h in rec["hits"] if h["match"] == "masked")
    assert hit["id"] == "PC-0013" and hit["steps"] == ["T-CO-ENAMINE"]
    assert hit["product"] == "CC(=O)Cc1ccccc1"  # 1-phenylpropan-2-one (OPSIN)
    other = [h for h in rec["hits"] if h["match"] != "masked"]
    assert all(h["steps"] == [] and h["product"] is None for h in other)


# ---------------------------------------------------------------- the transform library


def test_shipped_transforms_validate():
    assert unmask.example_problems() == []


def test_every_transform_has_three_examples_of_each_kind():
    for t in unmask.shipped().transforms:
        assert len(t.produces) >= 3 and len(t.no_product) >= 3, t.id


def test_every_class_of_the_issue_is_covered():
    by_class = {}
    for t in unmask.shipped().transforms:
        by_class.setdefault(t.cls, []).append(t.id)
    assert set(by_class) == set(unmask.CLASSES)
    ids = {t.id for t in unmask.shipped().transforms}
    for tid in ("T-N-CARBAMATE", "T-N-ACYL", "T-N-SULFONYL", "T-N-TRITYL", "T-N-BENZYL", "T-N-ALLYL", "T-N-SILYL",
                "T-O-ACYL", "T-O-SILYL", "T-O-ACETAL", "T-O-BENZYL", "T-O-SULFONYL",
                "T-CO-ACETAL", "T-CO-THIOACETAL", "T-CO-OXIME", "T-CO-HYDRAZONE", "T-CO-SEMICARBAZONE",
                "T-CO-SULFONYLHYDRAZONE", "T-CO-IMINE", "T-CO-ENAMINE", "T-CO-ENOL-ETHER", "T-CO-ENOL-ESTER",
                "T-CO-SILYL-ENOL", "T-CO-CYANOHYDRIN", "T-CO-BISULFITE",
                "T-ACID-ESTER", "T-ACID-SILYL-ESTER", "T-ACID-AMIDE", "T-ACID-NITRILE", "T-ACID-ORTHOESTER",
                "T-ACID-HALIDE", "T-ACID-ANHYDRIDE", "T-ACID-OXAZOLINE",
                "T-DIOL-ACETAL", "T-EPOXIDE", "T-DECARB-BETA-KETO", "T-DECARB-MALONIC", "T-DECARB-GLYCIDIC"):
        assert tid in ids


def test_gates_are_sound_on_every_example():
    """The two gates claim that a product's counted elements and skeleton are in the masked form
    (unmasking forms no ring, no C-C or C-N bond, no aromatic ring): true of every example."""
    from precursor_check.chemistry import molecules as chem

    for t in unmask.shipped().transforms:
        for ex in t.produces:
            mol, product = chem.parse_smiles(ex.smiles), chem.parse_smiles(ex.gives)
            have = unmask.counts(chem.mol_formula(mol))
            for el, n in unmask.counts(chem.mol_formula(product)).items():
                assert el in ("O", "H") or have.get(el, 0) >= n, (t.id, ex.name)
            from rdkit import Chem

            assert mol.HasSubstructMatch(Chem.MolFromSmarts(unmask.skeleton(product))), (t.id, ex.name)
            # and the product's pinned fingerprint bits (aromatic_bits) are the masked form's too
            bits = unmask.aromatic_bits(product)
            if bits is not None:
                from rdkit import DataStructs

                assert DataStructs.AllProbeBitsMatch(bits, chem.fingerprint(mol)), (t.id, ex.name)


def test_names_are_readable_and_name_no_reagent():
    for t in unmask.shipped().transforms:
        assert t.name.split()[0] in ("remove", "hydrolyse", "decarboxylate", "eliminate", "release"), t.name
        assert t.doing.split()[0].endswith("ing")


def test_library_errors_name_the_transform(tmp_path):
    bad = tmp_path / "t.yaml"
    bad.write_text("transforms:\n  - id: T-X\n    name: remove thing\n    class: N-protecting group\n"
                   "    form: thing\n    smarts: '[N:1]C>>[N:1]'\n    smiles: oops\n")
    with pytest.raises(unmask.TransformError, match="T-X.*smiles"):
        unmask.load(bad)
    bad.write_text("transforms:\n  - id: T-X\n    name: remove thing\n    class: N-protecting group\n"
                   "    form: thing\n    smarts: 'not a reaction'\n")
    with pytest.raises(unmask.TransformError, match="T-X: not a one-reactant"):
        unmask.load(bad)


def test_example_that_does_not_hold_is_reported(tmp_path):
    lib = tmp_path / "t.yaml"
    lib.write_text("transforms:\n  - id: T-X\n    name: remove N-sulfonyl group\n    class: N-protecting group\n"
                   "    form: N-sulfonyl derivative\n    smarts: '[#7X3:1]-!@[SX4](=[OX1])(=[OX1])-[#6]>>[#7:1]'\n"
                   "    produces:\n      - ['CC(=O)Nc1ccccc1', 'Nc1ccccc1', 'N-phenylacetamide', 'aniline']\n"
                   "    no_product:\n      - ['Cc1ccc(S(=O)(=O)N2CCCCC2)cc1', '1-(4-methylbenzenesulfonyl)piperidine']\n")
    problems = unmask.example_problems(unmask.load(lib))
    assert any("needs at least 3" in p for p in problems)
    assert any("N-phenylacetamide should give aniline" in p for p in problems)
    assert any("should give no product; gives C1CCNCC1" in p for p in problems)


# ---------------------------------------------------------------- which entries are targets


def _watchlist(tmp_path, unmask_line: str) -> str:
    path = tmp_path / "wl.yaml"
    path.write_text(f"""schema_version: 1
watchlist_version: test
entries:
  - id: X-1
    name: Piperidine
    cas: 110-89-4
    smiles: C1CCNCC1
    similarity: false
{unmask_line}    listings:
      - jurisdiction: UN
        list: Table II
        citation: test
""")
    return str(path)


def test_commodity_entry_is_no_target_unless_flagged(tmp_path):
    from precursor_check import Screener

    tosyl = "Cc1ccc(S(=O)(=O)N2CCCCC2)cc1"  # 1-(4-methylbenzenesulfonyl)piperidine (OPSIN)
    plain = Screener(watchlists=[_watchlist(tmp_path, "")], replace=True)
    assert plain.screen(tosyl, input_type="smiles").verdict is Verdict.CLEAR
    flagged = Screener(watchlists=[_watchlist(tmp_path, "    unmask: true\n    unmask_reason: test\n")],
                       replace=True)
    r = flagged.screen(tosyl, input_type="smiles")
    assert r.verdict is Verdict.ANALOG and r.top.match is MatchKind.MASKED and r.top.steps == ("T-N-SULFONYL",)


def test_unmask_flag_must_be_a_yes_or_no(tmp_path):
    from precursor_check import Screener

    with pytest.raises(WatchlistError, match="unmask must be true or false"):
        Screener(watchlists=[_watchlist(tmp_path, "    unmask: maybe\n")], replace=True)


def test_shipped_commodity_entries_are_not_targets(shipped_screener):
    c = shipped_screener.compiled
    targets = set(c.unmasker.targets.ids)
    for e in c.watchlist.entries:
        if not e.similarity and e.unmask is None:
            assert e.id not in targets, e.name


def test_every_mask_target_passes_the_gates_as_itself(shipped_screener):
    from precursor_check.chemistry import molecules, standardise

    c = shipped_screener.compiled
    u = c.unmasker
    for eid in u.targets.ids:
        part = standardise.standardise(molecules.parse_smiles(c.entry(eid).smiles)).parts[0]
        assert u.possible(part.mol, part.formula), eid


def test_the_gates_change_no_result(shipped_screener):
    """Gated and ungated unmasking find the same target entries on every structure at hand: the entries,
    the transforms' examples and the rules' examples (the gates are necessary conditions)."""
    import copy

    from precursor_check.chemistry import molecules, standardise
    from precursor_check.watchlist.match import unmasked

    c = shipped_screener.compiled
    ungated = copy.copy(c)
    ungated.unmasker = copy.copy(c.unmasker)
    everything = (1 << len(c.unmasker.targets.ids)) - 1  # every target (bits of an int)
    ungated.unmasker.possible = lambda mol, formula, fp=None: True
    ungated.unmasker.candidates = lambda formula, ring=True: everything
    smiles = [e.smiles for e in c.watchlist.entries if e.smiles]
    smiles += [x.smiles for t in unmask.shipped().transforms for x in (*t.produces, *t.no_product)]
    smiles += [s for r in c.watchlist.rules for s in (*r.examples_match, *r.examples_no_match)]
    smiles += [s for s, _e, _t in MASKED] + DECOYS
    checked = 0
    for smi in smiles:
        mol = molecules.parse_smiles(smi)
        for part in standardise.standardise(mol).parts:
            # entries (clause members are looked for only among products near a target)
            want = {(f.target, f.steps) for f in unmasked(ungated, part.mol, part.formula) if not f.rule}
            got = {(f.target, f.steps) for f in unmasked(c, part.mol, part.formula) if not f.rule} \
                if c.unmasker.possible(part.mol, part.formula) else set()
            assert got == want, smi
            checked += bool(want)
    assert checked >= 40


def test_pinned_bits_drop_no_target_on_ordinary_chemicals(shipped_screener):
    """Every 25th chemical of the PubChem table: where the fingerprint-bit gate (aromatic_bits)
    drops a candidate target whose strict skeleton the molecule still contains (the skeleton is
    the looser claim), ungated unmasking does not give that target either."""
    import copy

    from conftest import pubchem_parts

    from precursor_check.chemistry import molecules
    from precursor_check.watchlist.match import unmasked

    c = shipped_screener.compiled
    u = c.unmasker
    ungated = copy.copy(c)
    ungated.unmasker = copy.copy(u)
    everything = (1 << len(u.targets.ids)) - 1  # every target (bits of an int)
    ungated.unmasker.possible = lambda mol, formula, fp=None: True
    ungated.unmasker.candidates = lambda formula, ring=True: everything
    dropped = suspects = 0
    for smi, part in pubchem_parts(25):
        mol = part.mol
        if mol.GetRingInfo().NumRings() and mol.GetNumHeavyAtoms() <= molecules.MAX_HEAVY_ATOMS:
            fp = molecules.fingerprint(mol)
            u.possible(mol, part.formula, fp)  # builds the gates
            cands = u.candidates(part.formula, True)
            dropped_mask = cands & ~u._with_bits(cands, fp)
            gone = [i for i in range(len(u.targets.ids)) if dropped_mask >> i & 1]
            dropped += len(gone)
            near = {u.targets.ids[i] for i in gone if u._strict_match(mol, i)}
            if near:
                suspects += 1
                found = {f.target for f in unmasked(ungated, mol, part.formula) if not f.rule}
                assert not near & found, (smi, near & found)
    assert dropped > 5000  # the gate was exercised


def test_html_report_draws_the_product_beside_the_input(tmp_path):
    report = tmp_path / "r.html"
    p = run("smiles", "CC(=Cc1ccccc1)N1CCCC1", "-q", "--report", report, cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    html = report.read_text(encoding="utf-8")
    assert "aria-label='product CC(=O)Cc1ccccc1'" in html  # 1-phenylpropan-2-one (OPSIN), drawn
    assert "product of unmasking (T-CO-ENAMINE)" in html
