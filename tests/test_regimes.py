"""Regimes (drug precursors, chemical weapons, explosives precursors) and jurisdiction overlays:
the loader's file defaults and overlays, the --regime and --jurisdiction filters, stats and list."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURE
from conftest import cli_run as run  # in process: the binary is not the point here

from precursor_check.errors import WatchlistError
from precursor_check.model import Verdict

CW = FIXTURE.parent / "regime-cw.yaml"
UK = FIXTURE.parent / "overlay-uk.yaml"
ALL = ("--replace-watchlist", "--watchlist", FIXTURE, "--watchlist", CW, "--watchlist", UK)


@pytest.fixture(scope="module")
def wl():
    from precursor_check.watchlist.load import load

    return load([FIXTURE, CW, UK])


def test_existing_listings_default_to_drug_precursors(wl):
    bocpip = wl.entry("T-BOCPIP")
    assert {lst.regime for lst in bocpip.listings} == {"drug-precursors"}
    assert bocpip.regimes == ("drug-precursors",)


def test_file_regime_and_listing_defaults_fill_each_listing(wl):
    pcl3 = wl.entry("T-PCL3")
    cwc, ag = pcl3.listings
    assert (cwc.regime, cwc.jurisdiction, cwc.citation, cwc.effective) == (
        "chemical-weapons", "CWC", "Annex on Chemicals", "1997-04-29")
    assert (ag.jurisdiction, ag.citation) == ("AG", "Australia Group list")  # a listing's own value wins


def test_overlay_adds_listings_to_an_entry_of_another_file(wl):
    npp = wl.entry("T-NPP")
    uk = [lst for lst in npp.listings if lst.jurisdiction == "UK"]
    assert len(npp.listings) == 3 and len(uk) == 1
    assert uk[0].confidence == "unverified" and uk[0].regime == "drug-precursors"
    hcl = wl.entry("T-HCL")
    assert set(hcl.regimes) == {"drug-precursors", "explosives-precursors"}


def test_overlay_for_an_unknown_id_names_it(tmp_path):
    from precursor_check.watchlist.load import load

    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\nlistings:\n  T-NOPE:\n    - {jurisdiction: UK, list: Category 1}\n")
    with pytest.raises(WatchlistError, match="T-NOPE"):
        load([FIXTURE, bad])


def test_unknown_regime_is_refused(tmp_path):
    from precursor_check.watchlist.load import load

    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\nregime: weapons\nentries: []\n")
    with pytest.raises(WatchlistError, match="regime 'weapons'"):
        load([FIXTURE, bad])


def test_reason_names_the_regime_and_the_limit():
    from precursor_check import Screener

    s = Screener(watchlists=[FIXTURE, CW, UK], replace=True)
    tea = s.screen("102-71-6")
    assert tea.verdict is Verdict.CONTROLLED
    assert tea.top.reason.startswith("Triethanolamine (chemical weapons: CWC Schedule 3 Part B, Annex on Chemicals")
    hcl = s.screen("7647-01-0")
    assert "explosives precursors: EU Annex II (reportable), Regulation (EU) 2019/1148 Annex II, above 10 % w/w" in (
        hcl.top.reason)
    assert "drug precursors: UN Table II" in hcl.top.reason  # two regimes: each named
    npp = s.screen("39742-60-4")
    assert "UK Category 1 (unverified), Regulation (EC) 273/2004 Annex I" in npp.top.reason
    assert "drug precursors" not in npp.top.reason  # one regime, drug precursors: worded as before


def test_regime_filter_counts_only_that_regime():
    from precursor_check import Screener

    cw_only = Screener(watchlists=[FIXTURE, CW, UK], replace=True, regimes=["chemical-weapons"])
    assert cw_only.screen("102-71-6").verdict is Verdict.CONTROLLED
    assert cw_only.screen("39742-60-4").verdict is Verdict.CLEAR  # NPP: drug precursor only
    drugs = Screener(watchlists=[FIXTURE, CW, UK], replace=True, regimes=["drug-precursors"])
    assert drugs.screen("102-71-6").verdict is Verdict.CLEAR
    hcl = drugs.screen("7647-01-0")
    assert hcl.verdict is Verdict.CONTROLLED
    assert "explosives" not in hcl.top.reason  # the filtered-out regime is not shown as the reason


def test_cli_regime_and_jurisdiction(tmp_path):
    p = run("cas", "102-71-6", "7719-12-2", "39742-60-4", *ALL, "--regime", "chemical-weapons", "-f", "json")
    assert p.returncode == 1, p.stderr
    rows = json.loads(p.stdout)["results"]
    assert [r["verdict"] for r in rows] == ["controlled", "controlled", "clear"]
    assert rows[0]["hits"][0]["lists"][0]["regime"] == "chemical-weapons"
    # comma-separated regimes, and the new jurisdiction codes
    p = run("cas", "39742-60-4", *ALL, "--regime", "chemical-weapons,drug-precursors", "--jurisdiction", "UK",
            "-f", "json")
    assert p.returncode == 1 and json.loads(p.stdout)["results"][0]["verdict"] == "controlled"
    p = run("cas", "7719-12-2", *ALL, "--jurisdiction", "AG", "-f", "json")
    assert json.loads(p.stdout)["results"][0]["verdict"] == "controlled"
    p = run("cas", "102-71-6", *ALL, "--jurisdiction", "AG", "-f", "json")  # TEA is on no AG list here
    assert p.returncode == 0 and json.loads(p.stdout)["results"][0]["verdict"] == "clear"
    p = run("cas", "102-71-6", *ALL, "--regime", "nerve")
    assert p.returncode == 2 and "--regime" in p.stderr


def test_cli_screen_batch_takes_regime(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("cas\n102-71-6\n39742-60-4\n")
    p = run("screen", src, *ALL, "--regime", "drug-precursors", "-f", "jsonl", "-j", "0")
    rows = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
    assert [r["verdict"] for r in rows if "verdict" in r] == ["clear", "controlled"]


def test_cli_stats_and_list_per_regime():
    p = run("watchlist", "stats", *ALL)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert "chemical weapons (chemical-weapons): 2 entries" in out
    assert "CWC: 2 entries (newest effective 1997-04-29)" in out
    assert "explosives precursors (explosives-precursors): 1 entry" in out
    assert "UK: 1 entry (newest effective 2020-12-31, 1 unverified)" in out
    p = run("watchlist", "list", *ALL, "--regime", "chemical-weapons", "--no-rules")
    assert [line.split("\t")[0] for line in p.stdout.splitlines()] == ["T-TEA", "T-PCL3"]
    p = run("watchlist", "list", *ALL, "--jurisdiction", "UK", "--no-rules")
    assert [line.split("\t")[0] for line in p.stdout.splitlines()] == ["T-NPP"]
