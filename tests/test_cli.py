"""The command line: every verdict, every exit code, the output contract. The real installed binary
where the binary is the point (the documented example, exit codes, RDKit's C-level stderr,
`python -m`); the rest in process through click's CliRunner (`cli_run`), which parses and runs the
same commands without a Python start per call."""

import csv
import io
import json

import pytest
from conftest import MINI, cli_run, run


def jsonl(out):
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_design_card_example_exactly_as_written():
    p = run("CAS", "79099-07-3", "-f", "jsonl")
    assert p.returncode == 1, p.stderr
    rec = jsonl(p.stdout)[0]
    assert rec["verdict"] == "controlled"
    assert rec["hits"][0]["cas"] == "79099-07-3"
    assert rec["watchlist_version"] and len(rec["watchlist_sha256"]) == 64 and rec["tool_version"]


@pytest.mark.parametrize("cmd", ["cas", "CAS", "Cas"])
def test_command_names_are_case_insensitive(cmd):
    assert cli_run(cmd, "79099-07-3", *MINI, "-q").returncode == 1


def test_jsonl_fields_for_every_verdict():
    p = cli_run("check", "79099-07-3", "O=C1CCN(Cc2ccccc2)CC1", "CC(=Cc1ccc(Cl)cc1)[N+](=O)[O-]", "CCO",
            "zzqx-unknown-chemical", "1609-66-5", *MINI, "-f", "jsonl")
    recs = jsonl(p.stdout)
    assert [r["verdict"] for r in recs] == ["controlled", "watch", "analog", "clear", "unresolved", "invalid"]
    for r in recs:
        assert {"row", "input", "input_type", "verdict", "smiles", "hits", "error"} <= set(r)
    hit = recs[0]["hits"][0]
    assert {"id", "name", "cas", "match", "score", "lists", "reason"} <= set(hit)
    assert recs[4]["error"] and recs[5]["error"]
    assert "precheck: 6 queries: 1 controlled, 1 watch, 1 analog, 1 clear, 1 unresolved, 1 invalid" in p.stderr


@pytest.mark.parametrize("queries,fail_on,code", [
    (["CCO"], "analog", 0),  # clear
    (["79099-07-3"], "analog", 1),  # controlled
    (["CC(=Cc1ccc(Cl)cc1)[N+](=O)[O-]"], "analog", 1),  # analog counts by default
    (["CC(=Cc1ccc(Cl)cc1)[N+](=O)[O-]"], "controlled", 0),  # ... but not with --fail-on controlled
    (["O=C1CCN(Cc2ccccc2)CC1"], "watch", 1),
    (["1609-66-5"], "analog", 3),  # invalid, no hit
    (["zzqx-unknown-chemical", "CCO"], "analog", 3),  # unresolved, no hit
    (["zzqx-unknown-chemical", "79099-07-3"], "analog", 1),  # a hit outranks the incomplete screen
])
def test_exit_codes(queries, fail_on, code):
    p = run("check", *queries, *MINI, "--fail-on", fail_on, "-q", "-f", "jsonl")
    assert p.returncode == code, p.stderr


def test_usage_error_is_2():
    assert cli_run("cas").returncode == 2
    assert cli_run("check", "CCO", "--fail-on", "bogus").returncode == 2
    assert cli_run("no-such-command").returncode == 2


def test_unreadable_watchlist_is_3_with_one_line(tmp_path):
    p = cli_run("cas", "79099-07-3", "--watchlist", tmp_path / "missing.yaml")
    assert p.returncode == 3
    assert "cannot read watchlist" in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_invalid_watchlist_names_the_bad_entry(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\nwatchlist_version: x\nentries:\n"
                   "  - {id: X-1, name: Broken, cas: 79099-07-4, smiles: CCO}\n")
    p = cli_run("cas", "79099-07-3", "--watchlist", bad)
    assert p.returncode == 3 and "X-1" in p.stderr and "check digit" in p.stderr


HEAD = "schema_version: 1\nwatchlist_version: x\nentries:\n"


@pytest.mark.parametrize("body,message", [
    ("  - {id: X-1, name: A, smile: CCO}\n", "unknown key 'smile' (did you mean 'smiles'?)"),  # a typo drops nothing silently
    ("  - id: X-1\n    name: A\n    smiles: CCO\n    smiles: CCN\n", "key 'smiles' given twice"),
    ("  - {id: X-1, name: A, smiles: CCO, similarity: 'no thanks'}\n", "similarity must be true or false"),
    ("  - id: X-1\n    name: A\n    listings:\n      - {jurisdiction: US, list: L, effective: 2025-02-30}\n",
     "day is out of range"),
])
def test_a_watchlist_mistake_is_one_line_naming_it(tmp_path, body, message):
    bad = tmp_path / "bad.yaml"
    bad.write_text(HEAD + body)
    p = cli_run("cas", "79099-07-3", "--watchlist", bad)
    assert p.returncode == 3 and message in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr


def test_validate_checks_a_list_as_it_will_be_used_beside_the_shipped_one(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text(HEAD + "  - {id: PC-0001, name: Mine, cas: 64-17-5, status: watch}\n")
    p = cli_run("watchlist", "validate", mine)  # valid alone (--replace-watchlist), but it clashes beside the shipped list
    assert p.returncode == 0 and "with --watchlist (beside the shipped list) this fails" in p.stdout and "PC-0001" in p.stdout


def test_a_rule_that_contradicts_its_examples_does_not_screen(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text("schema_version: 1\nwatchlist_version: x\nrules:\n"
                    "  - id: X-R\n    kind: alert\n    name: everything\n    smarts: ['*']\n"
                    "    examples: {match: [CCO, CCN, CCC], no_match: [c1ccccc1, CC=O, CCCl]}\n")
    p = cli_run("check", "CCO", "--watchlist", mine)  # a stray '*' would have flagged every query
    assert p.returncode == 3 and "rule X-R: example c1ccccc1 should not match" in p.stderr


def test_a_watchlist_cas_without_hyphens_is_found(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text(HEAD + "  - {id: X-1, name: Mine, cas: '8007452', status: watch}\n")
    p = cli_run("cas", "8007-45-2", "--watchlist", mine, "--replace-watchlist", "-f", "jsonl")
    assert json.loads(p.stdout)["verdict"] == "watch"


def test_stdin_dash_reads_one_query_per_line():
    p = cli_run("check", "-f", "jsonl", *MINI, "-", input="79099-07-3\n\nCCO\n")
    assert [r["input"] for r in jsonl(p.stdout)] == ["79099-07-3", "CCO"]


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "tsv", "table"])
def test_machine_formats_print_even_with_zero_hits(fmt):
    p = cli_run("check", "CCO", *MINI, "-f", fmt, "-q")
    assert p.returncode == 0 and p.stdout.strip()
    if fmt == "json":
        doc = json.loads(p.stdout)
        assert doc["meta"]["watchlist_version"] == "test-1" and doc["results"][0]["verdict"] == "clear"
    if fmt == "csv":
        row = next(csv.DictReader(io.StringIO(p.stdout)))
        assert row["verdict"] == "clear" and row["watchlist_sha256"]


def test_output_file_is_written_and_format_follows_extension(tmp_path):
    out = tmp_path / "report.csv"
    p = cli_run("check", "79099-07-3", *MINI, "-o", out)
    assert p.returncode == 1 and p.stdout == ""
    rows = list(csv.DictReader(out.open()))
    assert rows[0]["verdict"] == "controlled"
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(".")]  # no temp file left


def test_csv_neutralises_formula_injection():
    p = cli_run("name", "=HYPERLINK(\"http://x\")", *MINI, "-f", "csv", "-q")
    row = next(csv.DictReader(io.StringIO(p.stdout)))
    assert row["input"].startswith("'=")
    raw = cli_run("name", "=HYPERLINK(\"http://x\")", *MINI, "-f", "csv", "-q", "--raw-csv")
    assert next(csv.DictReader(io.StringIO(raw.stdout)))["input"].startswith("=")


def test_rdkit_noise_never_reaches_the_user():
    p = run("smiles", "C1CC", "c1cccc1", *MINI, "-f", "jsonl")
    assert p.returncode == 3
    assert "SMILES Parse Error" not in p.stderr and "Can't kekulize" not in p.stderr


def test_jurisdiction_filter():
    # 1-boc-4-piperidone is on no UN list in the fixture: only the US and EU
    assert cli_run("cas", "79099-07-3", *MINI, "--jurisdiction", "UN", "-q", "-f", "jsonl").returncode == 0
    assert cli_run("cas", "79099-07-3", *MINI, "--jurisdiction", "us,eu", "-q", "-f", "jsonl").returncode == 1
    assert cli_run("cas", "79099-07-3", *MINI, "--jurisdiction", "XX").returncode == 2


def test_python_dash_m_works():
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-m", "precursor_check", "--version"], capture_output=True, text=True)
    assert p.returncode == 0 and "precheck" in p.stdout


def test_watchlist_commands():
    assert "T-NPP" in cli_run("watchlist", "list", *MINI).stdout
    show = cli_run("watchlist", "show", "T-NPP", *MINI)
    assert show.returncode == 0 and "39742-60-4" in show.stdout and "citation" in show.stdout
    assert cli_run("watchlist", "show", "NOPE", *MINI).returncode == 3
    stats = cli_run("watchlist", "stats", *MINI)
    assert "newest effective date: 2025-10-02" in stats.stdout
    from conftest import FIXTURE

    assert cli_run("watchlist", "validate", FIXTURE).returncode == 0


def test_validate_catches_a_failing_rule_example(tmp_path):
    bad = tmp_path / "rules.yaml"
    bad.write_text("""schema_version: 1
watchlist_version: x
rules:
  - id: X-R
    kind: alert
    name: benzene
    smarts: ["c1ccccc1"]
    examples:
      match: ["c1ccccc1", "Cc1ccccc1", "CCO"]
      no_match: ["C1CCCCC1", "CC", "CN"]
""")
    p = cli_run("watchlist", "validate", bad)
    assert p.returncode == 3 and "X-R" in p.stderr and "CCO should match" in p.stderr
