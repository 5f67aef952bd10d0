"""Free-text scanning: CAS numbers in any writing, partial CAS, names, SMILES, with spans."""

import json

import pytest

from conftest import MINI
from conftest import cli_run as run  # in process: the binary is not the point here

LISTING = (
    "Hi, we have CAS79099 powder in stock, 99% pure.\n"
    "Also NPP and P2P, call +1 555-123-4567, price 12,500 USD, order 79099073, date 2026-11-23.\n"
    "CAS No. 103-79-7 and 64-17-5. SMILES O=C1CCN(CCc2ccccc2)CC1\n"
)


def scan(text, *args):
    p = run("text", "-", *MINI, "-f", "jsonl", *args, input=text)
    return p, [json.loads(x) for x in p.stdout.splitlines()]


def test_finds_each_kind_of_mention_with_line_and_span():
    p, recs = scan(LISTING)
    found = [(r["line"], r["text"], r["found_as"], r["verdict"]) for r in recs]
    assert found == [
        (1, "CAS79099", "partial_cas", "controlled"),
        (2, "NPP", "name", "controlled"),
        (2, "P2P", "name", "controlled"),
        (3, "CAS No. 103-79-7", "cas", "controlled"),
        (3, "64-17-5", "cas", "clear"),
        (3, "O=C1CCN(CCc2ccccc2)CC1", "smiles", "controlled"),
    ]
    first = recs[0]
    assert LISTING.splitlines()[0][first["start"]:first["end"]] == "CAS79099"
    assert first["input"] == "79099-07-3" and "partial" in first["error"]
    assert p.returncode == 1


def test_prices_phones_dates_and_bare_numbers_are_not_cas():
    p, recs = scan("call 555-123-4567 or 0800 79099073; 12,500 USD; 2026-11-23; lot 50-00-1\n")
    assert recs == [] and p.returncode == 0


def test_cas_written_with_typographic_dashes_is_found_as_written():
    text = "offer 79099\u201307\u20133 99%, also 103\u201179\u20117 (word-processor dashes)\n"
    p, recs = scan(text)
    assert [(r["text"], r["input"], r["verdict"]) for r in recs] == [
        ("79099\u201307\u20133", "79099-07-3", "controlled"), ("103\u201179\u20117", "103-79-7", "controlled")]
    assert text[recs[0]["start"]:recs[0]["end"]] == recs[0]["text"] and p.returncode == 1


def test_ambiguous_partial_cas_is_not_reported():
    _p, recs = scan("CAS 7 and CAS 10 are too short to mean anything\n")
    assert recs == []


def test_csv_output_has_span_columns(tmp_path):
    src = tmp_path / "mail.txt"
    src.write_text("Selling NPP, 1 kg\n", encoding="utf-8")
    p = run("text", src, *MINI, "-f", "csv", "-q")
    header = p.stdout.splitlines()[0].split(",")
    assert header[:5] == ["line", "start", "end", "text", "found_as"]


def test_unreadable_file_is_exit_3(tmp_path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9 NPP".encode("latin-1"))
    p = run("text", bad, *MINI)
    assert p.returncode == 3 and "UTF-8" in p.stderr


def test_listing_writings_sellers_use_are_found_with_the_shipped_watchlist():
    """Found by an audit of `precheck text`: each of these was missed (or mis-read) before."""
    text = ("出售BMK油，现货供应NPP，产品CAS:79099073\n"  # CJK text runs straight into names and 'CAS'
            "CAS\uff1a79099073 and CAS-79099-07-3, CAS-Nr. 39742604\n"  # full-width colon, 'CAS-', 'CAS-Nr.'
            "P2P-\u00d6l, NPP-HCl\n"  # a name followed by a hyphen
            "CAS 21409 powder; typo 39742-60-5; shipped 2024-11-5\n"  # partial CAS that passes a check digit; typo; date
            "2-bromo-4-methylpropiophenone, 4\u2019-Methylpropiophenone\n"  # prime left out, curly apostrophe
            "bro u got npp? pmk oil too\n"  # chats write abbreviations in lower case
            "\uff43\uff41\uff53 \uff17\uff19\uff10\uff19\uff19-\uff10\uff17-\uff13\n"  # full-width
            "smiles=CC(=O)Cc1ccccc1 (O=C1CCN(CCc2ccccc2)CC1)\n")
    p, recs = scan_shipped(text)
    found = [(r["line"], r["input"], r["verdict"]) for r in recs]
    assert found == [
        (1, "BMK", "controlled"), (1, "NPP", "controlled"), (1, "79099-07-3", "controlled"),
        (2, "79099-07-3", "controlled"), (2, "79099-07-3", "controlled"), (2, "39742-60-4", "controlled"),
        (3, "P2P", "controlled"), (3, "NPP", "controlled"),
        (4, "21409-26-7", "controlled"), (4, "39742-60-5", "invalid"),
        (5, "2-bromo-4-methylpropiophenone", "controlled"), (5, "4'-Methylpropiophenone", "controlled"),
        (6, "npp", "controlled"), (6, "pmk", "controlled"),
        (7, "79099-07-3", "controlled"),
        (8, "CC(=O)Cc1ccccc1", "controlled"), (8, "O=C1CCN(CCc2ccccc2)CC1", "controlled"),
    ]
    lines = text.split("\n")
    assert all(lines[r["line"] - 1][r["start"]:r["end"]] == r["text"] for r in recs)  # spans index the text as written
    assert p.returncode == 1


def scan_shipped(text):
    p = run("text", "-", "-f", "jsonl", input=text)
    return p, [json.loads(x) for x in p.stdout.splitlines()]


# -- names found by their form, resolved like `precheck name` --------------------------------------


def test_a_listing_naming_a_controlled_chemical_by_a_form_of_its_name_is_a_hit():
    text = "Hot sale Boc-4-piperidone, 99%, 25kg/drum\n"
    p, recs = scan_shipped(text)
    assert [(r["text"], r["start"], r["end"], r["found_as"], r["verdict"]) for r in recs] == [
        ("Boc-4-piperidone", 9, 25, "name", "controlled")]
    assert p.returncode == 1


@pytest.mark.opsin  # some forms resolve only through OPSIN, as with `precheck name`
def test_every_form_precheck_name_resolves_is_found_with_its_span():
    forms = ["N-(tert-Butoxycarbonyl)-4-piperidone", "Boc-4-piperidone", "N-Boc-piperidin-4-one", "Boc-4-AP",
             "1-(2-phenylethyl)-4-piperidone", "tert-butyl 4-oxopiperidine-1-carboxylate", "ethyl phenylacetate",
             "benzyl methyl ketone", "dl-methylephedrine hydrochloride", "Benzene, methyl-", "spirits of salt"]
    names = {json.loads(x)["input"]: json.loads(x)["verdict"]
             for x in run("name", *forms, "-f", "jsonl", "-q").stdout.splitlines()}
    text = "".join(f"We supply {f} with the best price.\n" for f in forms)
    _p, recs = scan_shipped(text)
    found = {(r["line"], r["text"]): r["verdict"] for r in recs}
    for no, f in enumerate(forms, start=1):
        assert found.get((no, f)) == names[f] != "unresolved", (f, found)


@pytest.mark.opsin  # some forms resolve only through OPSIN, as with `precheck name`
def test_the_longest_resolved_span_wins():
    _p, recs = scan_shipped("NPP hydrochloride and 4-piperidone hydrochloride monohydrate in stock\n")
    assert [r["text"] for r in recs] == ["NPP hydrochloride", "4-piperidone hydrochloride monohydrate"]


def test_a_systematic_looking_name_that_resolves_nowhere_is_unresolved_with_its_span():
    text = "Also 2-(4-fluorophenyl)-3-zorkylpropan-1-one available\n"
    p, recs = scan_shipped(text)
    assert [(r["text"], r["verdict"]) for r in recs] == [("2-(4-fluorophenyl)-3-zorkylpropan-1-one", "unresolved")]
    assert text[recs[0]["start"]:recs[0]["end"]] == recs[0]["text"]
    assert p.returncode == 3


def test_names_resolve_through_the_users_resolve_file(tmp_path):
    """The same resolver as `precheck name`: a name only the user's catalogue knows is found."""
    mine = tmp_path / "mine.csv"
    mine.write_text("name,smiles\n1-(4-zorkylphenyl)propan-2-one,CC(=O)Cc1ccccc1\n", encoding="utf-8")
    p = run("text", "-", "-f", "jsonl", "--resolve-file", mine, input="offer 1-(4-zorkylphenyl)propan-2-one now\n")
    (rec,) = [json.loads(x) for x in p.stdout.splitlines()]
    assert rec["text"] == "1-(4-zorkylphenyl)propan-2-one" and rec["verdict"] == "controlled"
    assert rec["source"].startswith("user file")


def test_ordinary_prose_stays_quiet():
    text = ("Free shipping on the COVID-19 rapid test, e-mail us for the 3-phase non-ionic 24-hour offer.\n"
            "Wi-Fi smart plug, USB-C charger, x86-64 build, a so-called built-in one-liner, p-value 0.05.\n"
            "Please decide on the formal 2-day delivery; the cyclic re-run is done by the 4-wheel drive team.\n"
            "Sodium is a new, easy-to-use software library for encryption.\n")  # not 'Sodium ISA', a listed name
    p, recs = scan_shipped(text)
    assert recs == [] and p.returncode == 0


def test_listed_names_with_annotations_codes_and_index_punctuation_are_found_whole():
    """Names of listed chemicals as the PubChem table writes them: with a language or source tag in
    brackets, a one-letter part, an inverted index name with '.alpha.', a salt ratio."""
    forms = [("chlorowodor [Polish]", "controlled"), ("Zyklon B", "controlled"), ("saltpeter (Chile)", "controlled"),
             ("Benzenemethanol, .alpha.-(1-aminoethyl)-", "controlled"),
             ("nitric acid, ammonium salt (2:1)", "controlled"),
             ("6-methyl- 9,10- didehydroergoline- 8-carboxylic acid", "controlled"),
             (".alpha.-Tolunitrile", "controlled"), ("Norephedrine, hydrochloride, (-)-", "controlled")]
    text = "".join(f"Hot sale {f}, 99%, 25kg/drum\n" for f, _v in forms)
    p, recs = scan_shipped(text)
    assert [(r["text"], r["verdict"]) for r in recs] == forms
    assert all(r["start"] == 9 for r in recs) and p.returncode == 1


def test_a_metal_named_as_the_material_of_a_thing_is_not_a_chemical_mention():
    """'aluminium foil bag' is packaging (data/vocabulary/material_words.tsv); aluminium powder is a
    listed EU explosives precursor and stays a hit."""
    p, recs = scan_shipped("Packing: 1kg aluminium foil bag, 25kg fiber drum; Aluminum alloy laptop stand\n")
    assert recs == [] and p.returncode == 0
    p, recs = scan_shipped("aluminium powder 5kg, in an aluminium-foil pouch\n")
    assert [(r["text"], r["verdict"]) for r in recs] == [("aluminium powder", "controlled")] and p.returncode == 1


def test_a_dash_after_a_name_is_not_part_of_it():
    _p, recs = scan_shipped("acetone - contact us\n")
    assert [r["text"] for r in recs] == ["acetone"]


def test_names_as_exports_and_scrapes_write_them_are_found_as_written():
    """PubChem synonyms as they reach listings: an HTML entity kept, a Greek letter or a lost character
    written '|e5' or '?', CSV-doubled quotes, synonyms joined by '~' or ';', a CAS number with a note
    after it, a condensed formula, a trade name ending in a lower-case letter. Each is found, with
    its span as written, and screened as `precheck name` screens it."""
    forms = ["quadrapure&reg; eda", "pentachloro-|e5-phosphane",
             "benzenemethanol, ?-[(1r)-1-(methylamino)ethyl]-, hydrochloride, (?r)-",
             "triethylamine, 2,2',2\"\"-trichloro-", "4-acetylphenylboronic acid~4-boronoacetophenone",
             "phosphono,dimethyl ester (8ci); dimethoxyphosphinyl", "7790-93-4 (parent)", "menh2", "profume a"]
    names = {json.loads(x)["input"]: json.loads(x)["verdict"]
             for x in run("name", *forms, "-f", "jsonl", "-q").stdout.splitlines()}
    text = "".join(f"We can supply {f} with the best price.\n" for f in forms)
    _p, recs = scan_shipped(text)
    assert [(r["text"], r["verdict"]) for r in recs] == [(f, names[f]) for f in forms]
    assert all(r["start"] == 14 for r in recs)


def test_ordinary_words_with_a_label_and_lower_case_abbreviations_in_prose_are_not_names():
    """'Agent T', 'Vitamin L' and 'Symptom 2' are PubChem synonyms of listed chemicals and 'PCC' is a
    listed abbreviation; in ordinary prose they are the words they read as. With chemical context
    on their line (a quantity, a chemical word, a trade word) they count."""
    text = ("Secret agent T action figure with cape\n"
            "Symptom 2 on the checklist: a headache\n"
            "Our vitamin L blend supports healthy joints\n"
            "I will pcc you on the next email\n")
    p, recs = scan_shipped(text)
    assert recs == [] and p.returncode == 0
    _p, recs = scan_shipped("PCC in stock\nneed 5g pcc\nbro u got npp? pmk oil too\nZyklon B, Taboon A\n"
                            "Agent T, 99%, 25kg/drum\n")
    assert [(r["line"], r["text"]) for r in recs] == [
        (1, "PCC"), (2, "pcc"), (3, "npp"), (3, "pmk"), (4, "Zyklon B"), (4, "Taboon A"), (5, "Agent T")]
