"""Chinese names: the names China's list writes (`listed_as`) resolve like synonyms, salts written
without a space are salts, and Chinese listings are found in free text."""

import json

import pytest

from conftest import cli_run, run


def _listed_as(watchlist):
    return [(e.id, n) for e in watchlist.entries for lst in e.listings for n in lst.listed_as]


def test_every_name_the_chinese_list_writes_resolves_to_its_entry(shipped_screener):
    pairs = _listed_as(shipped_screener.compiled.watchlist)
    assert len(pairs) >= 35  # the 2005 catalogue and the later additions whose sources give the name
    for eid, name in pairs:
        r = shipped_screener.screen(name, "name")
        assert r.verdict == "controlled" and r.hits[0].id == eid, (name, eid, r.verdict)


@pytest.mark.parametrize("name, eid, form", [
    ("盐酸麻黄素", "PC-0003", "hydrochloride"),      # salt word before the name
    ("麻黄素盐酸盐", "PC-0003", "hydrochloride"),    # ... and after it
    ("硫酸伪麻黄素", "PC-0004", "sulfate"),
    ("苯乙酸钠", "PC-0014", "sodium"),              # sodium phenylacetate
])
def test_a_salt_written_without_a_space_is_the_listed_chemical_salt(shipped_screener, name, eid, form):
    r = shipped_screener.screen(name, "name")
    assert (r.verdict, r.hits[0].id) == ("controlled", eid)
    assert form in r.hits[0].reason


def test_acetic_anhydride_is_not_read_as_a_salt_of_something_else(shipped_screener):
    r = shipped_screener.screen("醋酸酐", "name")  # '醋酸' is also a word; the whole name wins
    assert (r.verdict, r.hits[0].id, r.hits[0].match) == ("controlled", "PC-0001", "exact")


def _scan(text):
    p = cli_run("text", "-", "-f", "jsonl", input=text)
    return p, [(x["text"], x["verdict"], x["hits"][0]["id"] if x["hits"] else None)
               for x in map(json.loads, p.stdout.splitlines())]


def test_chinese_listings_are_found_without_spaces_around_the_name():
    p, got = _scan("供应盐酸麻黄素，现货\n1-苯基-2-丙酮 现货 25kg\nγ-丁内酯（GBL）\n")
    assert ("麻黄素", "controlled", "PC-0003") in got
    assert ("1-苯基-2-丙酮", "controlled", "PC-0013") in got
    assert ("γ-丁内酯", "controlled", "PC-0082") in got
    assert p.returncode == 1


def test_a_two_character_name_inside_another_chemical_name_is_not_that_chemical():
    # toluene inside tosyl chloride, sulfuric acid inside copper sulfate, acetone inside a longer name
    p, got = _scan("甲苯磺酰氯 99%\n硫酸铜 500g\n丙酮酸乙酯\n")
    assert got == [] and p.returncode == 0
    _p, got = _scan("丙酮 25kg/桶\n")  # standing alone it is acetone
    assert got == [("丙酮", "controlled", "PC-0044")]


def test_the_binary_fails_a_gate_on_a_chinese_listing():
    p = run("text", "-", "-q", input="1-苯基-2-丙酮 现货\n")
    assert p.returncode == 1
