"""Cross-checks of the shipped watchlist structures against independent sources.

Offline and fast: the PubChem-derived identifier tables shipped with the
``chemicals`` package are read once per session, OPSIN (py2opsin) is called once
for all "opsin:" entries.  Uses only rdkit, yaml, pytest and py2opsin; it does
not import precursor_check.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

Chem = pytest.importorskip("rdkit.Chem")
from rdkit import RDLogger  # noqa: E402

RDLogger.DisableLog("rdApp.*")

ROOT = Path(__file__).resolve().parents[1]
WATCHLIST = ROOT / "data" / "watchlist.yaml"
CAS_RE = re.compile(r"^(\d{2,7})-(\d{2})-(\d)$")
# both halves of the PubChem-derived table (the "small" file holds the common
# chemicals that the "large" one leaves out)
TABLES = ("chemical identifiers pubchem large.tsv", "chemical identifiers pubchem small.tsv")


def cas_ok(cas: str) -> bool:
    m = CAS_RE.match(cas or "")
    if not m:
        return False
    digits = (m.group(1) + m.group(2))[::-1]
    return sum((i + 1) * int(d) for i, d in enumerate(digits)) % 10 == int(m.group(3))


def ikey(smiles: str) -> str:
    mol = Chem.MolFromSmiles(smiles)
    assert mol is not None, f"RDKit cannot parse {smiles!r}"
    return Chem.MolToInchiKey(mol)


def parent_key(smiles: str) -> str:
    """InChIKey first block of the largest fragment (salt/hydrate stripped, neutralised)."""
    from rdkit.Chem.MolStandardize import rdMolStandardize

    mol = Chem.MolFromSmiles(smiles)
    frag = max(Chem.GetMolFrags(mol, asMols=True), key=lambda f: f.GetNumHeavyAtoms())
    frag = rdMolStandardize.Uncharger().uncharge(frag)
    return Chem.MolToInchiKey(frag)[:14]


def has_stereo(smiles: str) -> bool:
    return "@" in smiles or "/" in smiles or "\\" in smiles


@pytest.fixture(scope="module")
def watchlist():
    with open(WATCHLIST, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def entries(watchlist):
    return watchlist["entries"]


@pytest.fixture(scope="module")
def pubchem():
    """CAS -> (CID, SMILES, InChIKey, name) from the chemicals package tables."""
    chemicals = pytest.importorskip("chemicals", reason="the chemicals package is not installed")
    folder = Path(chemicals.__file__).resolve().parent / "Identifiers"
    table = {}
    found = False
    for name in TABLES:
        path = folder / name
        if not path.exists():
            continue
        found = True
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                p = line.split("\t", 9)
                table.setdefault(p[1], (p[0], p[4], p[6], p[8]))
    if not found:
        pytest.skip("the chemicals package has no PubChem identifier table")
    return table


def test_file_basics(watchlist, entries):
    assert watchlist["schema_version"] == 1
    assert watchlist["watchlist_version"] == "2026.12.07"
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"PC-\d{4}", i) for i in ids)
    statuses = [e["status"] for e in entries]
    assert statuses.count("controlled") == 101
    # watch ids follow the controlled ones
    first_watch = statuses.index("watch")
    assert all(s == "watch" for s in statuses[first_watch:])
    for inc in watchlist.get("include", []):
        assert (WATCHLIST.parent / inc).exists(), inc
    rules = sorted(p.name for p in (ROOT / "data" / "rules").glob("*.yaml"))
    assert sorted(Path(i).name for i in watchlist.get("include", []) if i.startswith("rules/")) == rules
    for e in entries:
        assert e["status"] in ("controlled", "watch")
        if e["status"] == "controlled":
            assert e["listings"], e["id"]
        else:
            assert not e["listings"] and e["sources"], e["id"]
        for lst in e["listings"]:
            assert lst["jurisdiction"] in ("UN", "US", "EU", "CA", "CN")
            assert lst["confidence"] in ("confirmed", "recollection", "inferred", "unverified")
            assert lst["citation"]


def test_every_cas_passes_check_digit(entries):
    bad = []
    for e in entries:
        for cas in [e.get("cas")] + [o["cas"] for o in e.get("other_cas", [])]:
            if cas is not None and not cas_ok(str(cas)):
                bad.append((e["id"], cas))
    assert not bad


def test_every_smiles_parses_and_structure_is_sourced(entries):
    for e in entries:
        if "smiles" in e:
            ikey(e["smiles"])
            src = e.get("structure_source", "")
            assert src.split(":")[0] in ("chemicals", "opsin", "manual"), e["id"]


def test_no_duplicate_structures_except_listed_stereoisomers(entries):
    seen = {}
    for e in entries:
        if "smiles" not in e:
            continue
        k = ikey(e["smiles"])
        seen.setdefault(k[:14], []).append((e["id"], k))
    for block, group in seen.items():
        if len(group) > 1:
            full = [k for _, k in group]
            assert len(set(full)) == len(full), f"same structure twice: {group}"


def _covers_isomers(entry) -> bool:
    return any(lst.get("isomers", True) for lst in entry.get("listings", []))


def test_structures_match_pubchem_table(entries, pubchem):
    problems = []
    for e in entries:
        if "smiles" not in e or not e.get("cas"):
            continue
        src = e.get("structure_source", "")
        row = pubchem.get(str(e["cas"]))
        if row is None:
            if not (src.startswith("opsin:") or src.startswith("manual:")):
                problems.append((e["id"], "CAS not in the table: structure_source must be opsin:/manual:"))
            continue
        if not src.startswith("chemicals:"):
            problems.append((e["id"], "CAS is in the table: structure_source must start with chemicals:"))
        mine = ikey(e["smiles"])
        theirs = row[2]
        if _covers_isomers(e) or not has_stereo(row[1]):
            ok = mine[:14] == theirs[:14]
        else:
            ok = mine == theirs
        if not ok:
            problems.append((e["id"], e["name"], mine, theirs, "CID " + row[0]))
    assert not problems, problems


def test_other_cas_from_table_have_the_same_parent(entries, pubchem):
    problems = []
    for e in entries:
        for o in e.get("other_cas", []):
            if not o["source"].startswith("chemicals: PubChem CID"):
                continue
            row = pubchem.get(str(o["cas"]))
            if row is None:
                problems.append((e["id"], o["cas"], "not in table"))
            elif parent_key(row[1]) != ikey(e["smiles"])[:14]:
                problems.append((e["id"], o["cas"], row[3]))
    assert not problems, problems


@pytest.mark.slow
@pytest.mark.opsin
def test_opsin_structures(entries, tmp_path):
    py2opsin = pytest.importorskip("py2opsin", reason="py2opsin is not installed")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Java is not available for OPSIN")
    todo = [(e, e["structure_source"][len("opsin:"):].strip()) for e in entries
            if e.get("structure_source", "").startswith("opsin:")]
    assert todo
    # a private input file: py2opsin's default is fixed in the working directory, shared by parallel workers
    results = py2opsin.py2opsin([name for _, name in todo], tmp_fpath=str(tmp_path / "names.txt"))
    if isinstance(results, str):
        results = [results]
    bad = []
    for (e, name), smi in zip(todo, results):
        if not smi:
            bad.append((e["id"], name, "OPSIN could not parse"))
        elif ikey(smi) != ikey(e["smiles"]):
            bad.append((e["id"], name, smi, e["smiles"]))
    assert not bad, bad


def test_manual_ergocristine_constitution(entries, pubchem):
    """Ergocristine is hand-derived: its constitution must match the table's ergocristinine (C-8 epimer)."""
    e = next(x for x in entries if x["name"] == "Ergocristine")
    row = pubchem["74137-64-7"]  # ergocristinine methanesulfonate
    assert parent_key(row[1]) == ikey(e["smiles"])[:14]


# ---- known CAS/name mix-ups in published lists and vendor catalogues -------------

def _by_cas(entries, cas):
    return [e for e in entries if e.get("cas") == cas]


def test_trap_16648_44_5_is_mapa(entries):
    (e,) = _by_cas(entries, "16648-44-5")
    assert "MAPA" in e.get("abbreviations", [])
    assert ikey(e["smiles"])[:14] == ikey("COC(=O)C(C(C)=O)c1ccccc1")[:14]  # methyl 3-oxo-2-phenylbutanoate
    bmk_methyl = _by_cas(entries, "80532-66-7")
    assert bmk_methyl and "BMK glycidate" not in e.get("abbreviations", []) + e.get("synonyms", [])
    assert ikey(bmk_methyl[0]["smiles"]) != ikey(e["smiles"])


def test_trap_3612_20_2_is_benzylpiperidone(entries, pubchem):
    (e,) = _by_cas(entries, "3612-20-2")
    assert "benzyl" in e["name"].lower()
    (pip,) = [x for x in entries if x["name"] == "4-Piperidone"]
    assert pip["cas"] != "3612-20-2"
    assert "3612-20-2" not in [o["cas"] for o in pip.get("other_cas", [])]
    assert ikey(e["smiles"]) != ikey(pip["smiles"])
    assert pubchem["3612-20-2"][2] == ikey(e["smiles"])


def test_trap_norfentanyl_cas(entries):
    assert cas_ok("1609-66-1") and not cas_ok("1609-66-5")
    (e,) = [x for x in entries if x["name"] == "Norfentanyl"]
    assert e["cas"] == "1609-66-1"
    assert all(x.get("cas") != "1609-66-5" for x in entries)


def test_trap_strawberry_glycidate(entries, pubchem):
    (bmk_ethyl,) = _by_cas(entries, "41232-97-7")
    flavour = pubchem["77-83-8"]  # ethyl methylphenylglycidate (strawberry aldehyde)
    assert flavour[2][:14] != ikey(bmk_ethyl["smiles"])[:14]
    every_cas = {e.get("cas") for e in entries} | {o["cas"] for e in entries for o in e.get("other_cas", [])}
    assert "77-83-8" not in every_cas
    assert all(ikey(e["smiles"])[:14] != flavour[2][:14] for e in entries if "smiles" in e)


def test_cathine_exception(entries):
    """Cathine is (1S,2S)-norpseudoephedrine, CAS 492-39-7; the EU norephedrine listing excludes it."""
    from rdkit.Chem import rdCIPLabeler

    (nor,) = [x for x in entries if x["name"] == "Norephedrine"]
    (npe,) = [x for x in entries if x["name"] == "Norpseudoephedrine"]
    assert npe["cas"] == "492-39-7"
    mol = Chem.MolFromSmiles(npe["smiles"])
    rdCIPLabeler.AssignCIPLabels(mol)
    labels = sorted(a.GetProp("_CIPCode") for a in mol.GetAtoms() if a.HasProp("_CIPCode"))
    assert labels == ["S", "S"]
    cathine = ikey(npe["smiles"])  # OPSIN-checked in test_opsin_structures
    eu = [lst for lst in nor["listings"] if lst["jurisdiction"] == "EU"]
    excluded = [s for lst in eu for s in lst.get("except_smiles", [])]
    assert excluded and all(ikey(s) == cathine for s in excluded)
    assert ikey(nor["smiles"]) != cathine  # norephedrine itself is not cathine


def test_mineral_acid_salts_excluded(entries):
    for name in ("Hydrochloric acid", "Sulphuric acid"):
        (e,) = [x for x in entries if x["name"] == name]
        for lst in e["listings"]:
            if (lst["jurisdiction"], lst["list"]) in (("UN", "Table II"), ("EU", "Category 3")):
                assert lst["salts"] is False, (name, lst)
