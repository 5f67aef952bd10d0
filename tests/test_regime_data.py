"""The regime and jurisdiction data files (data/regimes/, data/jurisdictions/): every file is included
and says what it is for, every entry parses with valid CAS check digits, every structure (entries and
rule examples alike) matches the independent source it names, every new listing carries its sources,
and the shipped list screens the regimes and jurisdictions as documented through the real binary.

Structures are cross-checked as in test_shipped_structures.py: `chemicals:` against the PubChem-derived
table of the `chemicals` package by CAS (InChIKey), `opsin:` against OPSIN from the name."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import run

Chem = pytest.importorskip("rdkit.Chem")

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
FILES = sorted([*(DATA / "regimes").glob("*.yaml"), *(DATA / "jurisdictions").glob("*.yaml")])
NEW_CODES = {"UK", "AU", "JP", "IN", "MX", "CWC", "AG"}
EXAMPLE = re.compile(r'^\s+- "(?P<smi>[^"]+)"\s+#.*?\((?:CAS (?P<cas>[\d-]+)|OPSIN: (?P<name>.+))\)\s*$')


def ikey(smiles: str) -> str:
    mol = Chem.MolFromSmiles(smiles)
    assert mol is not None, smiles
    return Chem.MolToInchiKey(mol)


def parent_key(smiles: str) -> str:
    from rdkit.Chem.MolStandardize import rdMolStandardize

    mol = Chem.MolFromSmiles(smiles)
    frag = max(Chem.GetMolFrags(mol, asMols=True), key=lambda f: f.GetNumHeavyAtoms())
    return Chem.MolToInchiKey(rdMolStandardize.Uncharger().uncharge(frag))


def cas_ok(cas: str) -> bool:
    m = re.fullmatch(r"(\d{2,7})-(\d{2})-(\d)", cas or "")
    if not m:
        return False
    digits = (m.group(1) + m.group(2))[::-1]
    return sum((i + 1) * int(d) for i, d in enumerate(digits)) % 10 == int(m.group(3))


@pytest.fixture(scope="module")
def docs():
    return {p: yaml.safe_load(p.read_text(encoding="utf-8")) for p in FILES}


@pytest.fixture(scope="module")
def pubchem():
    chemicals = pytest.importorskip("chemicals")
    folder = Path(chemicals.__file__).resolve().parent / "Identifiers"
    table = {}
    for name in ("chemical identifiers pubchem large.tsv", "chemical identifiers pubchem small.tsv"):
        if (folder / name).exists():
            with open(folder / name, encoding="utf-8") as fh:
                for line in fh:
                    p = line.split("\t", 9)
                    table.setdefault(p[1], (p[0], p[4], p[6]))
    if not table:
        pytest.skip("the chemicals package has no PubChem identifier table")
    return table


@pytest.fixture(scope="module")
def opsin(tmp_path_factory):
    py2opsin = pytest.importorskip("py2opsin")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Java is not available for OPSIN")
    import warnings

    cache: dict[str, str] = {}

    def convert(names):
        todo = sorted({n for n in names if n not in cache})
        if todo:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # py2opsin's input file is fixed in the working directory unless given: parallel
                # test workers would read each other's names
                out = py2opsin.py2opsin(todo, tmp_fpath=str(tmp_path_factory.mktemp("opsin") / "names.txt"))
            for n, s in zip(todo, [out] if isinstance(out, str) else out):
                cache[n] = s
        return cache

    return convert


def test_every_data_file_is_included_and_has_a_header(docs):
    top = yaml.safe_load((DATA / "watchlist.yaml").read_text(encoding="utf-8"))
    included = {(DATA / i).resolve() for i in top["include"]}
    for p in FILES:
        assert p.resolve() in included, p.name
        assert p.read_text(encoding="utf-8").startswith("# precheck:"), p.name
        assert "What this file is for" in p.read_text(encoding="utf-8"), p.name


def test_entries_parse_and_cas_check_digits_hold(docs):
    ids = set()
    for p, doc in docs.items():
        for e in doc.get("entries") or []:
            assert e["id"] not in ids, e["id"]
            ids.add(e["id"])
            for cas in [e.get("cas")] + [o["cas"] for o in e.get("other_cas", [])]:
                assert cas is None or cas_ok(str(cas)), (p.name, e["id"], cas)
            if "smiles" in e:
                ikey(e["smiles"])
                assert e["structure_source"].split(":")[0] in ("chemicals", "opsin"), e["id"]
            else:
                assert "no structure" in e.get("note", "").lower() or "name only" in e.get("note", "").lower() \
                    or "cas and name only" in e.get("note", "").lower(), e["id"]


@pytest.mark.opsin  # py2opsin converts the names the structures were taken from
def test_entry_structures_match_their_source(docs, pubchem, opsin):
    bad = []
    entries = [e for doc in docs.values() for e in doc.get("entries") or [] if "smiles" in e]
    names = opsin([e["structure_source"][len("opsin: "):] for e in entries if e["structure_source"].startswith("opsin:")])
    for e in entries:
        src = e["structure_source"]
        if src.startswith("chemicals:"):
            row = pubchem.get(str(e["cas"]))
            same = row is not None and (row[2][:14] == ikey(e["smiles"])[:14]  # or the table's own SMILES, where
                                        or Chem.CanonSmiles(row[1]) == Chem.CanonSmiles(e["smiles"]))  # RDKit's InChI differs (chlorates)
            if not same or f"CID {row[0]} " not in src + " ":
                bad.append((e["id"], "table", row))
        else:
            smi = names.get(src[len("opsin: "):])
            if not smi or ikey(smi) != ikey(e["smiles"]):
                bad.append((e["id"], "opsin", smi))
        for o in e.get("other_cas", []):  # a salt's CAS: the same parent in the table
            row = pubchem.get(str(o["cas"]))
            if row is None or parent_key(row[1])[:14] != ikey(e["smiles"])[:14]:
                bad.append((e["id"], o["cas"], row))
    assert not bad, bad


@pytest.mark.opsin  # py2opsin converts the names the structures were taken from
def test_rule_example_structures_match_their_source(docs, pubchem, opsin):
    """Every rule example line names where its structure came from: '(CAS n)' or '(OPSIN: name)'."""
    lines = [m for p in FILES for line in p.read_text(encoding="utf-8").splitlines() if (m := EXAMPLE.match(line))]
    examples = [s for doc in docs.values() for r in doc.get("rules") or []
                for s in r["examples"]["match"] + r["examples"]["no_match"]]
    assert examples and sorted(m["smi"] for m in lines) == sorted(examples)  # every example says its source
    names = opsin([m["name"] for m in lines if m["name"]])
    bad = []
    for m in lines:
        mine = ikey(m["smi"])
        if m["cas"]:
            row = pubchem.get(m["cas"])
            if row is None or row[2] != mine:
                bad.append((m["smi"], m["cas"], row and row[2]))
        elif ikey(names[m["name"]]) != mine:
            bad.append((m["smi"], m["name"], names[m["name"]]))
    assert not bad, bad


def test_every_new_listing_carries_its_sources(shipped_screener):
    wl = shipped_screener.watchlist
    seen = 0
    for item in (*wl.entries, *wl.rules):
        for lst in item.listings:
            if lst.jurisdiction in NEW_CODES or lst.regime != "drug-precursors":
                seen += 1
                assert lst.citation and lst.instrument and lst.source_url.startswith("http"), (item.id, lst)
                assert lst.confidence in ("confirmed", "unverified"), (item.id, lst)
    assert seen > 200


def test_every_cwc_family_rule_cites_schedule_and_quotes_the_annex(shipped_screener):
    rules = [r for r in shipped_screener.watchlist.rules if r.id.startswith("R-CWC-")]
    assert len(rules) >= 12
    for r in rules:
        (lst,) = r.listings
        assert lst.regime == "chemical-weapons" and lst.jurisdiction == "CWC"
        assert re.fullmatch(r"Schedule [123] Part [AB]", lst.list) and re.search(r"Schedule [123] [AB]\.\d+", lst.citation)
        assert len(lst.wording) > 40, r.id
        assert len(r.examples_match) >= 3 and len(r.examples_no_match) >= 3, r.id


# Every item of the Annex on Chemicals (Schedule 1 Part A numbers 1-8, Part B 9-12, and the 2019 amendment's
# A.13-A.16, in force 7 Jun 2020), and which items define a family rather than name chemicals. Schedule 3
# defines no family.
ANNEX_ITEMS = {
    "Schedule 1 A": [*range(1, 9), *range(13, 17)], "Schedule 1 B": range(9, 13),
    "Schedule 2 A": range(1, 4), "Schedule 2 B": range(4, 15),
    "Schedule 3 A": range(1, 5), "Schedule 3 B": range(5, 18),
}
ANNEX_FAMILIES = {"Schedule 1 A.1", "Schedule 1 A.2", "Schedule 1 A.3", "Schedule 1 A.13", "Schedule 1 A.14",
                  "Schedule 1 A.16", "Schedule 1 B.9", "Schedule 1 B.10", "Schedule 2 B.4", "Schedule 2 B.5",
                  "Schedule 2 B.6", "Schedule 2 B.10", "Schedule 2 B.11", "Schedule 2 B.12"}


def test_every_item_of_the_annex_is_encoded_or_declared_missing(docs):
    """Each item of Schedules 1-3 is cited by an entry or a rule; each family item by a `legal` class
    rule (the shipped examples are run by `precheck watchlist validate`); an item that is not encoded
    is named in the file's `coverage` note, which precheck prints when --jurisdiction CWC is screened."""
    (doc,) = [d for p, d in docs.items() if p.name == "cwc.yaml"]
    cited_by_entry, cited_by_rule = set(), set()
    for e in doc["entries"]:
        cited_by_entry |= {lst["citation"].removeprefix("Annex on Chemicals, ") for lst in e["listings"]}
    for r in doc["rules"]:
        if r["kind"] == "legal":
            cited_by_rule |= {lst["citation"].removeprefix("Annex on Chemicals, ") for lst in r["listings"]}
    items = {f"{part}.{n}" for part, numbers in ANNEX_ITEMS.items() for n in numbers}
    missing = sorted(items - cited_by_entry - cited_by_rule)
    assert missing == ["Schedule 1 A.16"], missing
    assert "Schedule 1 A.16" in doc["coverage"]["CWC"]
    assert ANNEX_FAMILIES - {"Schedule 1 A.16"} <= cited_by_rule
    assert not cited_by_rule - ANNEX_FAMILIES, "a class rule for an item that names chemicals only"


def test_schedule_2_families_name_pure_substances_not_records_that_contain_one(shipped_screener):
    """Schedule 2's family rules have `mixtures: false`, as its named chemicals do: a PubChem record in which
    a member is one component of a mixture, polymer or metal complex is not reported under the family (found
    by the calibration: a DMMP blend, a polymer with oxirane, a platinum complex drawn with a P-methyl). A
    pure member still is; Schedule 1 and the drug-precursor clauses still reach such records."""
    def ids(smiles):
        return {h.id for h in shipped_screener.screen(smiles).hits if h.verdict.value == "controlled"}

    blend = "C(CCl)OP(=O)(OCCCl)OCCCl"  # tris(2-chloroethyl) phosphate
    assert "R-CWC-2B4" in ids("CC(C)OP(=O)(C)OC(C)C")
    assert not ids(f"CC(C)OP(=O)(C)OC(C)C.{blend}")
    assert "R-CWC-2B11" in ids("CC(C)N(CCO)C(C)C") and "R-CWC-2B11" not in ids(f"CC(C)N(CCO)C(C)C.{blend}")
    assert "R-CWC-1A1" in ids(f"CC(C)OP(C)(=O)F.{blend}")
    assert "R-US-ANTHRANILIC-ESTERS" in ids(f"CCOC(=O)c1ccccc1N.{blend}")


def test_families_that_name_protonated_salts_take_those_and_not_metal_salts(shipped_screener):
    """Schedule 2 B.10-B.12 name "corresponding protonated salts" (Schedule 1 A.3, A.13, A.14, B.10 "alkylated or
    protonated"): a hydrochloride, hydrobromide or methiodide is the listed chemical; a sodium thiolate or alkoxide
    is a salt the clause does not name, so `analog` for review (found by the calibration: sodium
    2-(dimethylamino)ethanethiolate), never `clear`. Schedule 2 B.4 names no salts but defines its members by a
    phosphorus atom, which a salt still contains."""
    def hit(smiles, rid):
        r = shipped_screener.screen(smiles)
        return r.verdict.value, next(h for h in r.hits if h.id == rid)

    for smiles in ("CN(C)CCS.Cl", "C[NH+](C)CCS.[Br-]"):
        assert hit(smiles, "R-CWC-2B12")[0] == "controlled", smiles
    verdict, h = hit("CN(C)CC[S-].[Na+]", "R-CWC-2B12")
    assert verdict == "analog" and h.verdict.value == "analog"
    assert "sodium salt" in h.reason and "names only protonated salts" in h.reason
    assert hit("CC(C)N(CC[O-])C(C)C.[Na+]", "R-CWC-2B11")[1].verdict.value == "analog"
    assert hit("CCOP(=O)(C)SCC[N+](C)(C(C)C)C(C)C.[I-]", "R-CWC-1A3")[1].verdict.value == "controlled"
    assert hit("C[P](=O)([O-])[O-].[Na+].[Na+]", "R-CWC-2B4")[1].verdict.value == "controlled"


# ---- through the real binary ----------------------------------------------------------------------

def _rows(p):
    return json.loads(p.stdout)["results"]


def test_cwc_schedule_3_and_families_are_controlled_with_schedule_in_the_reason():
    p = run("check", "102-71-6", "7719-12-2", "CCOP(C)(=O)F", "COP(C)(=O)OC", "-f", "json")
    assert p.returncode == 1, p.stderr
    rows = _rows(p)
    assert [r["verdict"] for r in rows] == ["controlled"] * 4
    assert "chemical weapons: CWC Schedule 3 Part B, Annex on Chemicals, Schedule 3 B.17" in rows[0]["hits"][0]["reason"]
    assert "CWC Schedule 1 Part A, Annex on Chemicals, Schedule 1 A.1" in rows[2]["hits"][0]["reason"]
    assert rows[2]["hits"][0]["match"] == "class_rule"
    assert {lst["regime"] for lst in rows[1]["hits"][0]["lists"]} == {"chemical-weapons"}


def test_exemptions_stay_clear():
    # fonofos (Schedule 2 B.4) and N,N-dimethylaminoethanol (B.11) are exempted by name
    p = run("check", "944-22-9", "108-01-0", "-f", "json")
    assert [r["verdict"] for r in _rows(p)] == ["clear", "clear"]


def test_regime_filter_through_the_cli():
    p = run("cas", "102-71-6", "--regime", "drug-precursors", "-f", "json")
    assert p.returncode == 0 and _rows(p)[0]["verdict"] == "clear"
    p = run("cas", "39742-60-4", "--regime", "chemical-weapons,explosives-precursors", "-f", "json")
    assert p.returncode == 0 and _rows(p)[0]["verdict"] == "clear"  # NPP is a drug precursor only
    p = run("cas", "7722-84-1", "--regime", "explosives-precursors", "-f", "json")
    hit = _rows(p)[0]["hits"][0]
    assert p.returncode == 1 and "above 12 % w/w" in hit["reason"] and hit["lists"][0]["limit"] == "above 12 % w/w"
    # calcium ammonium nitrate, a fertiliser mixture with no structure, by the CAS number Annex II gives it (was unresolved)
    p = run("cas", "15245-12-2", "--regime", "explosives-precursors", "-f", "json")
    assert p.returncode == 1 and "EU Annex II (reportable)" in _rows(p)[0]["hits"][0]["reason"]


def test_new_jurisdictions_through_the_cli():
    p = run("cas", "39742-60-4", "--jurisdiction", "UK", "-f", "json")  # NPP: retained EU Category 1
    hit = _rows(p)[0]["hits"][0]
    assert p.returncode == 1 and "UK Category 1 (unverified)" in hit["reason"]
    p = run("cas", "79099-07-3", "--jurisdiction", "UK", "-f", "json")  # 1-boc-4-piperidone: EU 2025, not UK
    assert _rows(p)[0]["verdict"] != "controlled"  # (a relative of UK-listed NPP: analog at most)
    p = run("cas", "7681-49-4", "--jurisdiction", "AG", "-f", "json")  # sodium fluoride
    assert _rows(p)[0]["verdict"] == "controlled"
    p = run("cas", "1205-17-0", "--jurisdiction", "AU", "-f", "json")  # helional, restricted listing
    assert _rows(p)[0]["verdict"] == "controlled"
    p = run("cas", "120-57-0", "--jurisdiction", "IN,JP", "-f", "json")  # piperonal
    assert {lst["jurisdiction"] for lst in _rows(p)[0]["hits"][0]["lists"]} >= {"IN", "JP"}
    p = run("cas", "120-57-0", "--jurisdiction", "XX")
    assert p.returncode == 2


def test_stats_and_list_per_regime():
    p = run("watchlist", "stats")
    assert p.returncode == 0
    for line in ("chemical weapons (chemical-weapons):", "explosives precursors (explosives-precursors):",
                 "CWC: ", "AG: ", "UK: ", "AU: ", "JP: ", "IN: "):
        assert line in p.stdout, line
    p = run("watchlist", "list", "--regime", "explosives-precursors", "--no-rules")
    ids = [line.split("\t")[0] for line in p.stdout.splitlines()]
    assert "EX-0001" in ids and "PC-0050" in ids and "PC-0013" not in ids


def test_schedule_1_takes_precedence_over_schedule_2_b4(shipped_screener):
    """'Chemicals, except for those listed in Schedule 1, ...': O-ethyl methylphosphonofluoridate
    is reported under Schedule 1 A.1 only; its O-phenyl analogue (not an alkyl) under 2 B.4."""
    ids = {h.id for h in shipped_screener.screen("CCOP(C)(=O)F").hits}
    assert "R-CWC-1A1" in ids and "R-CWC-2B4" not in ids
    ids = {h.id for h in shipped_screener.screen("CP(=O)(F)Oc1ccccc1").hits}
    assert "R-CWC-2B4" in ids and "R-CWC-1A1" not in ids


def test_salts_and_records_of_schedule_3_chemicals(shipped_screener):
    from precursor_check.model import Verdict

    from precursor_check import Screener

    # the Annex names triethanolamine, not its salts: under the CWC a salt is for review, not controlled
    cwc_only = Screener(jurisdictions=["CWC"])
    for salt in ("OCCN(CCO)CCO.Cl", "OC1CN2CCC1CC2.Cl"):  # never clear because AG, not screened, takes the salt
        r = cwc_only.screen(salt)
        assert r.verdict is Verdict.ANALOG and "CWC Schedule" in r.top.reason and "excludes its salts" in r.top.reason
    # the Australia Group lists the hydrochloride itself (item 53): controlled, and the reason says AG
    r = shipped_screener.screen("OCCN(CCO)CCO.Cl")
    assert r.verdict is Verdict.CONTROLLED and "AG Chemical weapons precursors" in r.top.reason
    # a record in which it is one part of several (a shampoo surfactant) is not reported (mixtures: false)
    assert shipped_screener.screen("CCCCCCCCCCCCOS(=O)(=O)O.OCCN(CCO)CCO").verdict is Verdict.CLEAR
    # aluminium powder is identified by CAS and name: an aluminium mineral is not it
    assert shipped_screener.screen("O.O[Si](O)(O)O.[Al].[Al]").verdict is Verdict.CLEAR
    assert shipped_screener.screen("7429-90-5").verdict is Verdict.CONTROLLED


def test_free_text_does_not_read_ordinary_words_as_agents():
    """Abbreviations of the new entries must not fire on ordinary words ('tea', '16 GB', 'HD video',
    MDEA the drug): only real names do."""
    p = run("text", "-", "-f", "jsonl", input="16 GB RAM, green tea, HD video, MDEA pills; triethanolamine 99%\n")
    rows = [json.loads(line) for line in p.stdout.splitlines() if '"verdict"' in line]
    assert p.returncode == 1, p.stderr
    assert [r["text"] for r in rows] == ["triethanolamine"]


def test_2019_schedule_1_additions_are_schedule_1_and_say_unverified(shipped_screener):
    """Schedule 1 A.14 (a family) and A.15 (one chemical), read in a third-party copy of the amended
    Annex: reported under Schedule 1 only (not Schedule 2 B.4, which excepts Schedule 1) and marked
    unverified in the reason; an O-phenyl relative is not A.14."""
    r = shipped_screener.screen("CCOP(=O)(F)N=C(C)N(CC)CC")
    ids = {h.id for h in r.hits}
    assert r.verdict.value == "controlled" and "R-CWC-1A14" in ids and "R-CWC-2B4" not in ids
    r = shipped_screener.screen("CCN(CC)C(=NP(C)(=O)F)N(CC)CC")
    ids = {h.id for h in r.hits}
    assert "CW-0053" in ids and "R-CWC-2B4" not in ids and "(unverified)" in r.top.reason
    assert "R-CWC-1A14" not in {h.id for h in shipped_screener.screen("CCN(CC)C(C)=NP(=O)(F)Oc1ccccc1").hits}


def test_readme_table_matches_watchlist_stats():
    """README's "What ships" table (counts per regime and jurisdiction, class rules, newest effective
    date) is what `precheck watchlist stats` prints for the shipped list."""
    p = run("watchlist", "stats")
    assert p.returncode == 0, p.stderr
    live, regime = {}, None
    for line in p.stdout.splitlines():
        m = re.match(r"^(\w[\w ]*) \(([\w-]+)\): \d+ entr", line)
        if m:
            regime = m.group(1)
            continue
        m = re.match(r"^([A-Z]+): (\d+) entr\w+ \((?:(\d+) class rules?, )?newest effective ([\d-]+|unknown)", line)
        if m and regime:
            live[(regime, m.group(1))] = (int(m.group(2)), int(m.group(3) or 0), m.group(4))
    head = re.search(r"^entries: (\d+) \((\d+) controlled, (\d+) watch\); rules: (\d+) \((\d+) legal, (\d+) alert\)",
                     p.stdout, re.M)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table, regime = {}, None
    for row in re.findall(r"^\|(.*)\|$", readme, re.M):
        cells = [c.strip() for c in row.split("|")]
        if len(cells) != 5 or not cells[2][:1].isdigit():
            continue
        if cells[0] == "total":
            total = cells
            continue
        regime = cells[0] or regime
        table[(regime, cells[1].split()[0])] = (int(cells[2]), int(cells[3] or 0), cells[4])
    assert table == live
    assert total[2] == f"{head.group(1)} ({head.group(2)} controlled, {head.group(3)} watch)"
    assert total[3] == f"{head.group(4)} ({head.group(5)} legal, {head.group(6)} alert)"


@pytest.mark.parametrize("smiles, verdict", [
    ("OCCN(CCO)CCO.Cl", "controlled"),  # triethanolamine hydrochloride: Australia Group item 53
    ("OCCN(CCO)CCO", "controlled"),  # the base: CWC Schedule 3, AG item 46
    ("OCCN(CCO)CCO.OS(=O)(=O)O", "analog"),  # its sulfate: named by neither list
    ("OCCN(CCO)CCO.OC(=O)c1ccccc1O", "analog"),  # its salicylate (a sunscreen salt)
])
def test_a_listing_that_names_one_salt_takes_only_that_salt(smiles, verdict):
    p = run("smiles", smiles, "-f", "jsonl", "-q")
    rec = json.loads(p.stdout)
    assert rec["verdict"] == verdict and rec["hits"][0]["id"] == "CW-0052", rec
    if verdict == "analog":
        assert "names only its hydrochloride" in rec["hits"][0]["reason"]


def test_salts_takes_true_false_or_a_list_of_names(tmp_path):
    wl = tmp_path / "wl.yaml"
    base = ("schema_version: 1\nwatchlist_version: t\nentries:\n  - id: X-1\n    name: Piperidine\n    cas: 110-89-4\n    smiles: C1CCNCC1\n"
            "    listings:\n      - {{jurisdiction: US, list: List I, salts: {salts}}}\n")
    wl.write_text(base.format(salts="[hydrochloride]"))
    p = run("smiles", "C1CCNCC1.Cl", "C1CCNCC1.OS(=O)(=O)O", "--watchlist", wl, "--replace-watchlist", "-f", "jsonl", "-q")
    assert [json.loads(line)["verdict"] for line in p.stdout.splitlines()] == ["controlled", "analog"]
    wl.write_text(base.format(salts="[]"))
    p = run("smiles", "C1CCNCC1", "--watchlist", wl, "--replace-watchlist")
    assert p.returncode == 3 and "salts must be true, false or a list of salt names" in p.stderr


def test_a_jurisdiction_with_nothing_listed_is_refused_not_all_clear(tmp_path):
    # every code has listings in the shipped list (MX since its file): a watchlist of one US listing lists nothing under MX
    wl = tmp_path / "wl.yaml"
    wl.write_text("schema_version: 1\nwatchlist_version: t\nentries:\n  - id: X-1\n    name: Piperidine\n    cas: 110-89-4\n"
                  "    smiles: C1CCNCC1\n    listings:\n      - {jurisdiction: US, list: List I}\n")
    p = run("check", "110-89-4", "--jurisdiction", "MX", "--watchlist", wl, "--replace-watchlist")
    assert p.returncode == 2 and "list nothing under MX" in p.stderr and not p.stdout


def test_a_partly_encoded_list_says_so_when_screened_under_it():
    p = run("check", "64-17-5", "--jurisdiction", "AU", "-f", "jsonl")
    assert json.loads(p.stdout)["verdict"] == "clear"
    assert "AU: only part of the list is encoded" in p.stderr and "does not mean not listed there" in p.stderr
    quiet = run("check", "64-17-5", "--jurisdiction", "AU", "-f", "jsonl", "-q")
    assert quiet.stderr == "" and quiet.stdout == p.stdout
    assert "only part of the list" not in run("check", "64-17-5", "--jurisdiction", "US", "-f", "jsonl").stderr
