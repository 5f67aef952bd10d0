"""CAS parsing and check digits; strict query-type detection."""

import pytest

from precursor_check.identify.identifiers import (
    cas_is_valid,
    cas_near_misses,
    detect_type,
    normalise_cas,
)


@pytest.mark.parametrize("text", ["79099-07-3", "79099073", "CAS 79099-07-3", "CAS No. 79099-07-3",
                                  "  79099-07-3  ", "CAS#79099-07-3", "cas rn: 79099-07-3",
                                  "79099\u201307\u20133", "CAS 79099\u201107\u20113", "79099\u221207\u22123",
                                  "079099-07-3", "0000079099-07-3"])  # leading zeros are padding
def test_cas_forms_people_write(text):
    assert normalise_cas(text) == "79099-07-3"


def test_wrong_check_digit_is_rejected_with_the_reason():
    with pytest.raises(ValueError, match="check digit"):
        normalise_cas("1609-66-5")


def test_near_misses_cover_one_digit_and_neighbour_swaps():
    assert "79099-07-3" in cas_near_misses("79099-07-4")  # check digit typo
    assert "79099-07-3" in cas_near_misses("79909-07-3")  # neighbours swapped
    assert all(cas_is_valid(c) for c in cas_near_misses("79099-07-4"))


@pytest.mark.parametrize("text,kind", [
    ("79099-07-3", "cas"), ("79099073", "cas"), ("CAS 79099-07-3", "cas"),
    ("NPP", "name"), ("BOC", "name"), ("P2P", "name"), ("PMK", "name"), ("4-AP", "name"),
    ("1-boc-4-piperidone", "name"), ("BMK methyl glycidate", "name"),
    ("CCO", "smiles"), ("c1ccccc1", "smiles"), ("O=C1CCN(CCc2ccccc2)CC1", "smiles"), ("C1CCCCC1", "smiles"),
    ("Brc1ccccc1", "smiles"), ("[Na+].[Cl-]", "smiles"), ("C%10CCCCC%10", "smiles"), ("C[C@@H](N)Cc1ccccc1", "smiles"),
    ("Cr", "name"), ("Cla", "name"), ("acetone", "name"), ("CC |$a;b$|", "smiles"),  # CXSMILES
    ("O=C1CCN(CCc2ccccc2)CC1 |(-5.9,1.2,;1.0,2.0,)|", "smiles"), ("acetone 99% |x|", "name"),
    ("rouyfjuvmyhxfj-uhfffaoysa-n", "inchikey"),
    ("InChI=1S/CH4/h1H4", "inchi"), ("ROUYFJUVMYHXFJ-UHFFFAOYSA-N", "inchikey"), ("   ", "empty"),
])
def test_strict_type_detection(text, kind):
    assert detect_type(text) == kind


# -- CAS numbers written wrongly: never a silent `unresolved` or a wrong type ------------------------


def _one(query):
    import json

    from conftest import cli_run

    p = cli_run("check", query, "-f", "jsonl")
    return p.returncode, json.loads(p.stdout.splitlines()[0])


@pytest.mark.parametrize("query", ["[79099-07-3]", "(79099-07-3)", "'79099-07-3", '"79099-07-3"'])
def test_a_cas_number_in_brackets_or_quotes_is_that_cas_number(query):
    code, r = _one(query)
    assert (r["input_type"], r["verdict"], r["hits"][0]["id"]) == ("cas", "controlled", "PC-0027")
    assert code == 1


@pytest.mark.parametrize("query", ["79099-7-3", "79O99-07-3", "79099-007-3"])
def test_a_malformed_cas_number_is_invalid_with_the_listed_one_it_may_mean(query):
    code, r = _one(query)
    assert (r["input_type"], r["verdict"]) == ("cas", "invalid")
    assert r["suggestions"][0] == "79099-07-3" and "did you mean 79099-07-3" in r["error"]
    assert code == 3


def test_two_cas_numbers_in_one_cell_are_invalid_and_say_which_are_listed():
    code, r = _one("79099-07-3; 64-17-5")
    assert r["verdict"] == "invalid" and code == 3
    assert "2 CAS numbers in one query" in r["error"] and "79099-07-3 (1-boc-4-Piperidone, listed)" in r["error"]
    assert "64-17-5 (" not in r["error"]  # ethanol is not listed
