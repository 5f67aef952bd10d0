"""Names the lists write in their own languages (`listed_as`): the EU's German, French, Spanish,
Italian, Dutch, Polish and Lithuanian names, Canada's French ones. Each is a name of its entry for
`precheck name` and `precheck text`, and none is also a name of another entry."""

import json

import pytest

from conftest import run
from precursor_check.identify.names import normalise_name


def _listed(watchlist, jurisdictions=None):
    return [(e.id, lst.jurisdiction, n) for e in watchlist.entries for lst in e.listings for n in lst.listed_as
            if jurisdictions is None or lst.jurisdiction in jurisdictions]


def test_every_listed_name_resolves_to_its_entry(shipped_screener):
    wl = shipped_screener.compiled.watchlist
    assert len(_listed(wl, {"EU", "CA"})) >= 70  # German, French, Spanish, Italian, Dutch, Polish, Lithuanian; Canada's French
    for eid, _j, name in _listed(wl):
        r = shipped_screener.screen(name, "name")
        assert r.verdict == "controlled" and r.hits[0].id == eid, (name, eid, r.verdict, [h.id for h in r.hits])


def test_no_listed_name_is_also_a_name_of_another_entry(shipped_screener):
    # the compiled name index keeps the first entry for a name silently: a listed name that is also
    # another entry's name (in any language, after normalisation) would find the wrong chemical
    wl = shipped_screener.compiled.watchlist
    owners: dict[str, set[str]] = {}
    for e in wl.entries:
        for n in e.names:
            owners.setdefault(normalise_name(n), set()).add(e.id)
    clashes = {(eid, name): sorted(owners[normalise_name(name)]) for eid, _j, name in _listed(wl)
               if owners[normalise_name(name)] != {eid}}
    assert clashes == {}


@pytest.mark.parametrize("name, eid", [
    ("Phenylessigsäure", "PC-0014"),          # German (Austrian Finance Ministry's list of the EU annex)
    ("Essigsäureanhydrid", "PC-0001"),
    ("anhydride acétique", "PC-0001"),        # French (Regulation 1258/2013)
    ("anhídrido acético", "PC-0001"),         # Spanish (Regulation 1258/2013)
    ("nadmanganian potasu", "PC-0015"),       # Polish (sanitary inspection's table of the EU annex)
    ("(1R, 2S)-(-)-Cloroefedrina", "PC-0052"),  # Italian (Ministry of Health)
    ("acide phénylacétique", "PC-0014"),      # Canada, French Precursor Control Regulations
])
def test_the_binary_finds_a_listed_name(name, eid):
    p = run("name", name, "-f", "jsonl")
    r = json.loads(p.stdout.splitlines()[0])
    assert (r["verdict"], r["hits"][0]["id"], p.returncode) == ("controlled", eid, 1)
    assert name in r["source"]  # found as the name the list writes


@pytest.mark.parametrize("line, found, eid", [
    ("Verkaufe Phenylaceton 1kg, sofort lieferbar", "Phenylaceton", "PC-0013"),
    ("Vends anhydride acétique pur, bidon de 25 L", "anhydride acétique", "PC-0001"),
    ("Vendo anhídrido acético 99%, envío rápido", "anhídrido acético", "PC-0001"),
])
def test_a_seller_line_in_another_language_fails_the_gate(line, found, eid):
    p = run("text", "-", "-f", "jsonl", input=line + "\n")
    got = [(x["text"], x["verdict"], x["hits"][0]["id"]) for x in map(json.loads, p.stdout.splitlines())]
    assert got == [(found, "controlled", eid)]
    assert p.returncode == 1


def test_ordinary_german_french_spanish_prose_stays_quiet():
    text = ("Verkaufe gebrauchtes Damenfahrrad, sehr guter Zustand, Abholung in Köln\n"
            "Vends canapé d'angle en tissu gris, livraison gratuite dès 50 euros\n"
            "Vendo bicicleta de montaña, poco uso, envío gratis en 24/48 horas\n")
    p = run("text", "-", "-f", "jsonl", input=text)
    assert (p.stdout, p.returncode) == ("", 0)


def test_a_name_of_a_neighbouring_chemical_is_not_the_listed_one():
    # Polish 'kwas siarkowy (VI)' is sulfuric acid; 'kwas siarkowy(IV)' is sulfurous acid, not listed
    p = run("text", "-", "-f", "jsonl", input="kwas siarkowy (VI) 96%\nkwas siarkowy(IV) 1 l\n")
    got = [(x["line"], x["hits"][0]["id"] if x["hits"] else None) for x in map(json.loads, p.stdout.splitlines())]
    assert got == [(1, "PC-0050")]


@pytest.mark.parametrize("written, eid", [("Phenylessigsaure", "PC-0014"), ("anhidrido acetico", "PC-0001"),
                                          ("EPHEDRINE", "PC-0003")])
def test_a_name_typed_without_its_accents_is_the_listed_name(written, eid):
    from conftest import cli_run

    p = cli_run("text", "-", "-f", "jsonl", input=f"Verkaufe {written} 1kg\n")
    got = [(r["text"], r["hits"][0]["id"]) for r in map(json.loads, p.stdout.splitlines())]
    assert got == [(written, eid)] and p.returncode == 1


@pytest.mark.parametrize("name", ["chlorhydrate d'éphédrine", "Chlorhydrate d\u2019éphédrine", "clorhidrato de efedrina",
                                  "Efedrina cloridrato", "Ephedrin Hydrochlorid"])
def test_a_salt_word_of_another_language_is_a_salt_word(name):
    from conftest import cli_run

    p = cli_run("name", name, "-f", "jsonl")
    r = json.loads(p.stdout.splitlines()[0])
    assert (r["verdict"], r["hits"][0]["id"]) == ("controlled", "PC-0003") and "hydrochloride" in r["hits"][0]["reason"]
