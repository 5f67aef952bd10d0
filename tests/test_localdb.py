"""The local table's name index: names it leaves out (shared by several chemicals, short codes)
come out unresolved with the CAS numbers they may mean as suggestions, never as a guess."""

from __future__ import annotations

import pytest
from conftest import FIXTURE

from precursor_check.identify import localdb
from precursor_check.identify.localdb import LocalDB


def row(cid, cas, smiles, iupac, name, *synonyms):
    """One line of a `chemicals` identifier table; name ranks: name 0, IUPAC name 1, synonyms 2, 3 ..."""
    return "\t".join([cid, cas, "", "", smiles, "", f"KEY-{cid}", iupac, name, *synonyms]) + "\n"


@pytest.fixture()
def tiny(tmp_path, monkeypatch):
    """A three-table `chemicals` look-alike, built into a private index."""
    src = tmp_path / "Identifiers"
    src.mkdir()
    small, large, inorganic = (src / t for t in localdb.TABLES)
    small.write_text(
        row("1", "50-00-1", "CCO", "ethanol", "ethyl alcohol", "spirit of wine", "EtOH")
        + row("2", "50-00-2", "C[C@H](N)C(=O)O", "2-aminopropanoic acid", "alanine", "spirit of wine")
        + row("3", "50-00-3", "C[C@@H](N)C(=O)O", "2-aminopropanoic acid", "alanine")
        + row("4", "50-00-4", "CC(=O)C", "propan-2-one", "acetone", "DCNA"),
        encoding="utf-8")
    large.write_text(row("5", "50-00-1", "CCCO", "propan-1-ol", "a later row for a CAS already seen"),
                     encoding="utf-8")
    inorganic.write_text(row("6", "50-00-5", "[Na+].[Cl-]", "sodium chloride", "salt", "DCNA", "acetone"),
                         encoding="utf-8")
    monkeypatch.setattr(localdb, "_chemicals_dir", lambda: (src, "test"))
    return LocalDB(localdb.build(tmp_path / "idx.sqlite"))


def test_names_shared_by_several_chemicals_are_left_out(tiny):
    assert tiny.by_name("alanine") is None  # the name of two stereo forms (two CAS numbers)
    assert tiny.by_name("2-aminopropanoic acid") is None
    assert tiny.candidates("Alanine") == ["50-00-2", "50-00-3"]
    assert tiny.by_name("spirit of wine") is None and tiny.candidates("spirit of wine") == ["50-00-1", "50-00-2"]


def test_a_better_rank_wins(tiny):
    assert tiny.by_name("acetone").cas == "50-00-4"  # a name beats another chemical's synonym
    assert tiny.candidates("acetone") == []  # a name in the index has no candidates
    assert tiny.by_name("sodium chloride").cas == "50-00-5"


def test_short_synonyms_are_left_out(tiny):
    assert tiny.by_name("EtOH") is None and tiny.candidates("etoh") == ["50-00-1"]
    assert tiny.by_name("DCNA") is None and tiny.candidates("DCNA") == ["50-00-4", "50-00-5"]
    assert tiny.by_name("salt").cas == "50-00-5"  # a short name (rank 0) stays
    assert tiny.by_cas("50-00-1").smiles == "CCO" and tiny.by_name("propan-1-ol") is None  # first table wins


def test_screen_suggests_the_cas_numbers_of_an_ambiguous_name():
    """The real table: 'puromycin' names two records (stereo unspecified and defined)."""
    from precursor_check import Screener

    s = Screener(watchlists=[FIXTURE], replace=True, opsin=False)
    r = s.screen("puromycin", input_type="name")
    assert r.verdict.value == "unresolved" and r.smiles is None
    assert set(r.suggestions) == {"58-58-2", "53-79-2"} and "is ambiguous in the local table" in r.error
    assert all(s.screen(c, input_type="cas").source.startswith("local table") for c in r.suggestions)
    short = s.screen("DCNA", input_type="name")  # a short synonym of dichloran
    assert short.verdict.value == "unresolved" and short.suggestions == ("99-30-9",)
    assert s.screen("dichloran", input_type="name").smiles
