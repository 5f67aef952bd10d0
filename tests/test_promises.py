"""Options and behaviours the README and the command help promise, each checked as a user uses it.

In process through click's CliRunner (the command line is parsed exactly as the binary parses
it) unless the binary itself is the point (whether stdout is a terminal).
"""

from __future__ import annotations

import json
import os
import pty
import subprocess

from conftest import MINI, cli_run, precheck_bin

UNKNOWN_CAS = "99990-00-8"  # checksum-valid, in no source


def precheck(*args, env=None):
    """`precheck ARGS` in this process: (exit code, stdout, stderr)."""
    p = cli_run(*args, env=env)
    return p.returncode, p.stdout, p.stderr


def records(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


# --resolve-file -------------------------------------------------------------------------------

def test_resolve_file_is_asked_before_the_local_table(tmp_path):
    mine = tmp_path / "mine.csv"
    mine.write_text("cas,name,smiles\n"
                    f"{UNKNOWN_CAS},,C1CN(CCC1=O)CCC2=CC=CC=C2\n"  # NPP's structure under a CAS no source knows
                    ",our intermediate 7,CC(=O)CC1=CC=CC=C1\n"  # P2P under a house name
                    "64-17-5,,CC(=O)CC1=CC=CC=C1\n")  # ethanol's CAS, which the local table knows
    code, out, _ = precheck("check", UNKNOWN_CAS, "our intermediate 7", "64-17-5", *MINI, "-f", "jsonl", "-q")
    assert [r["verdict"] for r in records(out)] == ["unresolved", "unresolved", "clear"] and code == 3
    code, out, _ = precheck("check", UNKNOWN_CAS, "our intermediate 7", "64-17-5", *MINI, "--resolve-file", mine,
                            "-f", "jsonl", "-q")
    recs = records(out)
    assert code == 1
    assert [(r["verdict"], r["hits"][0]["id"]) for r in recs] == [("controlled", "T-NPP"), ("controlled", "T-P2P"),
                                                                  ("controlled", "T-P2P")]
    assert all(r["source"] == "user file mine.csv" for r in recs)


def test_resolve_file_that_cannot_be_used_is_one_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("cas,formula\n64-17-5,C2H6O\n")
    code, out, err = precheck("cas", "64-17-5", *MINI, "--resolve-file", bad)
    assert code == 3 and out == ""
    assert err.strip().endswith("needs a SMILES column and a CAS or name column") and err.count("\n") == 1


# PRECHECK_WATCHLIST ---------------------------------------------------------------------------

EXTRA = """schema_version: 1
watchlist_version: "extra-1"
entries:
  - {{id: X-{n}, name: {name}, cas: {cas}, smiles: {smiles}, status: watch, similarity: false}}
"""


def test_precheck_watchlist_adds_lists_to_the_shipped_one(tmp_path):
    ethanol = tmp_path / "ethanol.yaml"
    ethanol.write_text(EXTRA.format(n="ETOH", name="Ethanol", cas="64-17-5", smiles="CCO"))
    cyclohexane = tmp_path / "cyclohexane.yaml"
    cyclohexane.write_text(EXTRA.format(n="CHX", name="Cyclohexane", cas="110-82-7", smiles="C1CCCCC1"))
    queries = ("CCO", "C1CCCCC1", "79099-07-3")
    code, out, _ = precheck("check", *queries, "-f", "jsonl", "-q")
    assert [r["verdict"] for r in records(out)] == ["clear", "clear", "controlled"]
    env = {"PRECHECK_WATCHLIST": f"{ethanol}{os.pathsep}{cyclohexane}"}
    code, out, _ = precheck("check", *queries, "-f", "jsonl", "-q", env=env)
    recs = records(out)
    assert [r["verdict"] for r in recs] == ["watch", "watch", "controlled"]  # the shipped list is still there
    assert [r["hits"][0]["id"] for r in recs[:2]] == ["X-ETOH", "X-CHX"]
    code, out, _ = precheck("watchlist", "list", "--no-rules", env=env)
    ids = [line.split("\t")[0] for line in out.splitlines()]
    assert ids[-2:] == ["X-ETOH", "X-CHX"] and len(ids) > 100


# --threshold and --as-of on the command line --------------------------------------------------

def test_threshold_moves_the_analog_line():
    butanone, hydratropic = "CCC(=O)Cc1ccccc1", "CC(=O)C(C)c1ccccc1"  # Tanimoto 0.60 to P2P; 0.43 to norephedrine
    code, out, _ = precheck("smiles", butanone, hydratropic, *MINI, "-f", "jsonl", "-q")
    assert [r["verdict"] for r in records(out)] == ["analog", "clear"]
    code, out, _ = precheck("smiles", butanone, hydratropic, *MINI, "--threshold", "0.65", "-f", "jsonl", "-q")
    assert [r["verdict"] for r in records(out)] == ["clear", "clear"] and code == 0
    code, out, _ = precheck("smiles", butanone, hydratropic, *MINI, "--threshold", "0.4", "-f", "jsonl", "-q")
    recs = records(out)
    assert [r["verdict"] for r in recs] == ["analog", "analog"] and code == 1
    assert recs[1]["hits"][0]["id"] == "T-NOREPH" and recs[1]["hits"][0]["match"] == "similarity"
    code, _out, err = precheck("smiles", butanone, *MINI, "--threshold", "1.5")
    assert code == 2 and "--threshold" in err


def test_as_of_reads_the_law_on_that_day():
    """1-boc-4-piperidone: by name on EU Category 1 from 2025-07-25 and US List I from 2025-10-02;
    before that inside the US clause on carbamates of 4-piperidone, from 2023-05-12."""
    def counted(*extra):
        """(verdict, {hit id: reason} of the hits that count on that day)."""
        code, out, _ = precheck("cas", "79099-07-3", *MINI, "-f", "jsonl", "-q", *extra)
        (rec,) = records(out)
        return rec["verdict"], {h["id"]: h["reason"] for h in rec["hits"] if h["counted"]}

    clause = "class clause: carbamates of 4-piperidone (US List I, 88 FR 21902)"
    verdict, hits = counted()
    assert verdict == "controlled" and hits["T-R-4PIP-CARB"] == clause
    assert hits["T-BOCPIP"] == "1-boc-4-Piperidone (US List I, FR Doc 2025-19349; EU Category 1, Delegated Reg. 2025/1475)"
    assert counted("--as-of", "2025-08-01") == (
        "controlled", {"T-BOCPIP": "1-boc-4-Piperidone (EU Category 1, Delegated Reg. 2025/1475)", "T-R-4PIP-CARB": clause})
    assert counted("--as-of", "2024-01-01") == ("controlled", {"T-R-4PIP-CARB": clause})
    assert counted("--as-of", "2020-01-01") == ("clear", {})
    code, out, err = precheck("cas", "79099-07-3", *MINI, "--as-of", "2025-13-01")
    assert code == 2 and out == "" and "--as-of" in err


# watchlist list filters -------------------------------------------------------------------------

def _ids(*args) -> list[str]:
    code, out, _ = precheck("watchlist", "list", *MINI, *args)
    assert code == 0
    return [line.split("\t")[0] for line in out.splitlines()]


def test_watchlist_list_filters():
    assert _ids() == ["T-NPP", "T-BOCPIP", "T-NOREPH", "T-P2P", "T-HCL", "T-REDP", "T-WATCH",
                      "T-R-4PIP-CARB", "T-R-NITROPROPENE"]
    assert _ids("--no-rules") == ["T-NPP", "T-BOCPIP", "T-NOREPH", "T-P2P", "T-HCL", "T-REDP", "T-WATCH"]
    assert _ids("--jurisdiction", "EU") == ["T-BOCPIP", "T-NOREPH", "T-P2P"]
    assert _ids("--jurisdiction", "UN,EU", "--no-rules") == ["T-NPP", "T-BOCPIP", "T-NOREPH", "T-P2P", "T-HCL"]
    assert _ids("--family", "fentanyl") == ["T-NPP", "T-BOCPIP", "T-WATCH", "T-R-4PIP-CARB"]
    assert _ids("--jurisdiction", "US", "--family", "FENTANYL") == ["T-NPP", "T-BOCPIP", "T-R-4PIP-CARB"]
    assert _ids("--family", "no-such-family") == []
    code, _out, err = precheck("watchlist", "list", *MINI, "--jurisdiction", "XX")
    assert code == 2 and "'XX' is not one of" in err


# the default output format ----------------------------------------------------------------------

def test_default_format_is_jsonl_when_piped_and_a_table_on_a_terminal():
    """The binary is the point here: what it prints depends on whether stdout is a terminal."""
    args = [precheck_bin(), "cas", "79099-07-3", *MINI, "-q"]
    piped = subprocess.run(args, capture_output=True, text=True, timeout=120)
    (rec,) = records(piped.stdout)
    assert piped.returncode == 1 and rec["verdict"] == "controlled"
    leader, follower = pty.openpty()
    try:
        p = subprocess.Popen(args, stdout=follower, stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "200"})
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: the command is done
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert p.wait(timeout=120) == 1
    finally:
        os.close(leader)
    screen = b"".join(chunks).decode("utf-8", errors="replace")
    assert "controlled" in screen and "79099-07-3" in screen and "T-BOCPIP" in screen
    assert not screen.lstrip().startswith("{")  # a table, not JSON
    assert "─" in screen or "━" in screen  # rich draws the table's rules


def test_output_extension_picks_the_format(tmp_path):
    out = tmp_path / "r.csv"
    code, stdout, _ = precheck("cas", "79099-07-3", *MINI, "-q", "-o", out)
    assert code == 1 and stdout == ""
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith("row,input,input_type,verdict")


# report --max-drawn --------------------------------------------------------------------------

def test_report_max_drawn(tmp_path):
    results = tmp_path / "results.jsonl"
    code, _out, _err = precheck("check", "79099-07-3", "O=C1CCN(Cc2ccccc2)CC1", "NPP", "CCO", *MINI,
                                "-f", "jsonl", "-q", "-o", results)
    assert code == 1
    pages = {}
    for n in (None, "1", "0"):
        page = tmp_path / f"report-{n}.html"
        code, _out, err = precheck("report", results, "-o", page, *MINI, *(("--max-drawn", n) if n else ()))
        assert code == 0, err
        pages[n] = page.read_text(encoding="utf-8")
    assert pages[None].count("<use href=") == 6 and "over the depiction limit" not in pages[None]
    assert pages["1"].count("<use href=") == 2 and "2 flagged rows are listed without depictions" in pages["1"]
    assert pages["0"].count("<use href=") == 0 and "3 flagged rows are listed without depictions" in pages["0"]


# the compiled-watchlist cache ----------------------------------------------------------------------

def test_editing_a_watchlist_recompiles_it(tmp_path):
    """The compiled list is cached on disk; an edit to the YAML (or to a file it includes) is seen
    by the next run, with no command to clear anything."""
    mine = tmp_path / "mine.yaml"
    mine.write_text(EXTRA.format(n="ETOH", name="Ethanol", cas="64-17-5", smiles="CCO"))
    args = ("smiles", "CCO", "CCCO", "--watchlist", mine, "--replace-watchlist", "-f", "jsonl", "-q")
    code, out, _ = precheck(*args)
    assert [r["verdict"] for r in records(out)] == ["watch", "clear"]
    code, out, _ = precheck(*args)  # from the cache: the same
    assert [r["verdict"] for r in records(out)] == ["watch", "clear"]
    mine.write_text(EXTRA.format(n="PROH", name="1-Propanol", cas="71-23-8", smiles="CCCO"))
    code, out, _ = precheck(*args)
    recs = records(out)
    assert [r["verdict"] for r in recs] == ["clear", "watch"] and recs[1]["hits"][0]["id"] == "X-PROH"
    assert recs[0]["watchlist_version"] == "extra-1"


def test_editing_an_included_file_recompiles_too(tmp_path):
    top, part = tmp_path / "top.yaml", tmp_path / "part.yaml"
    top.write_text('schema_version: 1\nwatchlist_version: "inc-1"\ninclude: [part.yaml]\n')
    entry = ("schema_version: 1\nentries:\n"
             "  - {{id: X-1, name: {name}, cas: {cas}, smiles: {smiles}, status: watch, similarity: false}}\n")
    part.write_text(entry.format(name="Ethanol", cas="64-17-5", smiles="CCO"))
    args = ("smiles", "CCO", "--watchlist", top, "--replace-watchlist", "-f", "jsonl", "-q")
    code, out, err = precheck(*args)
    assert [r["verdict"] for r in records(out)] == ["watch"], err
    part.write_text(entry.format(name="1-Propanol", cas="71-23-8", smiles="CCCO"))
    code, out, _ = precheck(*args)
    assert [r["verdict"] for r in records(out)] == ["clear"]
