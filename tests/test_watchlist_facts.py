"""The legal facts behind the shipped watchlist: every listing says where it comes from.

A verdict is only as good as the listing behind it, so the shipped data is held to rules a
reader can check: a `confirmed` listing names the public text it was checked against, a
listing with a date names the act that set it, a legal rule's quoted wording names the act
it was quoted from. The individual corrections of issue 20 are pinned here too, so a later
regeneration of the data cannot quietly undo them.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import run

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


def _files():
    return [DATA / "watchlist.yaml", *sorted((DATA / "rules").glob("*.yaml"))]


@pytest.fixture(scope="module")
def items():
    """(file, item) for every entry and rule of the shipped files."""
    out = []
    for path in _files():
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        out += [(path.name, e) for e in doc.get("entries") or []]
        out += [(path.name, r) for r in doc.get("rules") or []]
    return out


@pytest.fixture(scope="module")
def by_id(items):
    return {item["id"]: item for _f, item in items}


def listing(item, jur, n=0):
    found = [lst for lst in item.get("listings") or [] if lst["jurisdiction"] == jur]
    assert len(found) > n, f"{item['id']} has no {jur} listing #{n}"
    return found[n]


def test_no_machine_path_in_the_shipped_data():
    for path in _files():
        text = path.read_text(encoding="utf-8")
        assert not any(bad in text for bad in ("/wo" + "rk/", "/ho" + "me/", "file:" + "//")), path.name


def test_source_urls_are_public_addresses(items):
    for _f, item in items:
        for lst in item.get("listings") or []:
            url = lst.get("source_url")
            if url is not None:
                assert str(url).startswith(("https://", "http://")), (item["id"], url)


@pytest.fixture(scope="module")
def shipped():
    """The shipped watchlist as precheck loads it: every included file, overlay listings merged in."""
    from precursor_check.watchlist.load import load

    return load()


def _listings(wl, kinds=("entry", "legal", "alert")):
    for item in (*wl.entries, *wl.rules):
        kind = getattr(item, "kind", "entry")
        if kind in kinds:
            for lst in item.listings:
                yield item, lst


def test_the_loaded_list_spans_every_shipped_file(shipped):
    origins = {Path(item.origin).name for item in (*shipped.entries, *shipped.rules)}
    assert {"watchlist.yaml", "amphetamines.yaml", "fentanyl.yaml"} <= origins


def test_no_listing_is_confirmed_without_a_source_url(shipped):
    bare = [(item.id, lst.jurisdiction, lst.list) for item, lst in _listings(shipped)
            if lst.confidence == "confirmed" and not lst.source_url]
    assert not bare, f"confirmed without source_url: {bare}"


def test_every_listing_with_a_date_names_its_instrument(shipped):
    bare = [(item.id, lst.jurisdiction, lst.effective) for item, lst in _listings(shipped)
            if lst.effective and not lst.instrument.strip()]
    assert not bare, f"effective date without instrument: {bare}"


def test_every_legal_rules_quoted_wording_names_its_instrument(shipped):
    legal = list(_listings(shipped, kinds=("legal",)))
    assert legal
    bare = [(item.id, lst.jurisdiction) for item, lst in legal if lst.wording and not lst.instrument.strip()]
    assert not bare, f"quoted wording without instrument: {bare}"


# --- the corrections of issue 20, each against the text it was read in ---------------------

def test_mapa_is_on_us_list_i(by_id):
    us = listing(by_id["PC-0022"], "US")
    assert us["list"] == "List I" and str(us["effective"]) == "2021-12-20"
    assert "2021-24952" in us["instrument"] and us["confidence"] == "confirmed" and us["source_url"]


@pytest.mark.parametrize("pid", ["PC-0026", "PC-0027", *[f"PC-{n:04d}" for n in range(28, 44)]])
def test_2024_un_listings_took_effect_on_3_december_2024(by_id, pid):
    un = listing(by_id[pid], "UN")
    assert str(un["effective"]) == "2024-12-03" and "incb.org" in un["source_url"] and un["instrument"]


def test_apaan_un_and_us_instruments(by_id):
    un, us = listing(by_id["PC-0016"], "UN"), listing(by_id["PC-0016"], "US")
    assert "57/1" in un["instrument"] and str(un["effective"]) == "2014-10-06"
    assert "82 FR 32457" in us["instrument"] and str(us["effective"]) == "2017-08-14"


@pytest.mark.parametrize("pid", ["PC-0017", "PC-0018"])
def test_npp_and_anpp_dates(by_id, pid):
    un, cn = listing(by_id[pid], "UN"), listing(by_id[pid], "CN")
    assert "16 Mar 2017" in un["instrument"] and str(un["effective"]) == "2017-10-18"
    assert str(cn["effective"]) == "2018-02-01"


def test_canada_4_piperidone_clause_comes_from_sor_2024_98(by_id):
    for pid in ("PC-0026", "PC-0027"):
        ca = listing(by_id[pid], "CA")
        assert "SOR/2024-98" in ca["instrument"], pid
        assert "SOR/2024-100" not in ca["instrument"], pid


def test_4ap_class_rule_cites_both_rules(by_id):
    us = listing(by_id["R-US-4AP-CLASS"], "US")
    assert "85 FR 20822" in us["instrument"] and "88 FR 74352" in us["instrument"]


def test_frs_rule_quotes_the_exclusion_paragraph(by_id):
    us = listing(by_id["R-US-FRS-CLASS"], "US")
    assert "(e)(3)" in us["wording"] and "HALT Fentanyl Act" in us["instrument"]


@pytest.mark.parametrize("pid", ["PC-0001", "PC-0044", "PC-0046", "PC-0088"])
def test_us_list_ii_read_in_deas_table(by_id, pid):
    us = listing(by_id[pid], "US")
    assert us["list"] == "List II" and us["confidence"] == "confirmed" and us["source_url"]


def test_overstated_eu_listings_are_lowered(by_id):
    assert listing(by_id["PC-0017"], "EU")["confidence"] != "confirmed"  # 2018/729 attributed from recollection
    for n in range(60, 69):  # 2026/314: one secondary source
        assert listing(by_id[f"PC-{n:04d}"], "EU")["confidence"] != "confirmed"


# --- what a user sees -------------------------------------------------------------------------

def test_mapa_is_controlled_under_the_us_jurisdiction():
    p = run("cas", "16648-44-5", "--jurisdiction", "US", "-q", "-f", "jsonl")
    assert p.returncode == 1 and '"verdict": "controlled"' in p.stdout
    assert "US List I" in p.stdout and "2021-24952" in p.stdout


def test_watchlist_show_prints_each_listings_instrument_date_confidence_and_url():
    out = run("watchlist", "show", "PC-0022").stdout
    assert "list: US List I" in out and "instrument: FR Doc 2021-24952" in out
    assert "effective: '2021-12-20'" in out and "confidence: confirmed" in out
    assert "source_url: https://www.federalregister.gov/d/2021-24952" in out


HEAD = "schema_version: 1\nwatchlist_version: x\nentries:\n"


def test_a_custom_listing_without_the_new_fields_still_loads(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text(HEAD + "  - id: X-1\n    name: Mine\n    smiles: CCCCCCCCO\n    listings:\n"
                    "      - {jurisdiction: US, list: List I, citation: 'my note', effective: 2020-01-01}\n")
    p = run("smiles", "CCCCCCCCO", "--watchlist", mine, "--replace-watchlist", "-q", "-f", "jsonl")
    assert p.returncode == 1 and "X-1" in p.stdout


def test_a_source_url_that_is_not_an_address_is_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(HEAD + "  - id: X-1\n    name: Mine\n    smiles: CCCCCCCCO\n    listings:\n"
                   "      - {jurisdiction: US, list: List I, source_url: /home/me/notes.txt}\n")
    p = run("smiles", "CCCCCCCCO", "--watchlist", bad)
    assert p.returncode == 3 and "source_url" in p.stderr and len(p.stderr.strip().splitlines()) == 1
