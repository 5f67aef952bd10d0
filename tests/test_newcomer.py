"""A newcomer's first hour, through the real binary: messages, help, exit codes, first run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import run


def test_reason_names_the_confidence_with_its_list_and_keeps_the_act_number():
    """An unconfirmed listing says so right after its list ('US List II (recollection), 21 CFR ...'),
    and EU citations keep their act number. Checked on whichever shipped entries carry such listings."""
    from precursor_check.watchlist.load import default_paths, load

    wl = load(default_paths())
    unsure = next(e for e in wl.entries if e.cas and e.status == "controlled" and e.listings
                  and e.listings[0].confidence != "confirmed" and e.listings[0].regime == "drug-precursors")
    first = unsure.listings[0]
    p = run("cas", unsure.cas, "-f", "jsonl", "-q")
    reason = json.loads(p.stdout)["hits"][0]["reason"]
    assert f"{first.jurisdiction} {first.list} ({first.confidence})" in reason, reason
    assert f"; {first.confidence})" not in reason and f"; {first.confidence};" not in reason
    eu = next(e for e in wl.entries if e.cas and any(lst.jurisdiction == "EU" and "Regulation" in lst.citation
                                                        for lst in e.listings))
    p = run("cas", eu.cas, "-f", "jsonl", "-q")
    reason = json.loads(p.stdout)["hits"][0]["reason"]
    assert re.search(r"EU Category [^,;]*, (Delegated |Implementing )?Regulation \((EC|EU)\) (No )?\d{3,4}/\d+", reason), reason


# -- nothing screened ------------------------------------------------------------------------------


def test_header_only_csv_is_exit_3_with_one_line(tmp_path):
    src = tmp_path / "orders.csv"
    src.write_text("order_id,cas\n", encoding="utf-8")
    for args in ((src,), (src, "-q"), (src, "-o", tmp_path / "out.csv")):
        p = run("screen", *args)
        assert p.returncode == 3, p.stderr
        assert p.stderr.strip().splitlines() == ["precheck: nothing screened: the input holds no queries"]


def test_empty_stdin_is_exit_3():
    for cmd in ("check", "cas", "name"):
        p = run(cmd, "-", "-q", input="")
        assert p.returncode == 3 and "nothing screened" in p.stderr, (cmd, p.stderr)
    assert run("text", "-", input="\n\n").returncode == 3


def test_text_without_a_mention_is_not_a_failure():
    p = run("text", "-", input="Nothing to see here, just a friendly hello.\n")
    assert p.returncode == 0 and "no chemical mention" in p.stderr


# -- messages --------------------------------------------------------------------------------------


def test_missing_resolve_file_is_one_clean_line(tmp_path):
    p = run("check", "CCO", "--resolve-file", tmp_path / "nope.csv")
    assert p.returncode == 3
    assert p.stderr.strip() == f"Error: cannot read resolve file {tmp_path / 'nope.csv'}: no such file or directory"


def test_non_utf8_csv_prints_nothing_before_the_error(tmp_path):
    src = tmp_path / "latin1.csv"
    src.write_bytes("cas,name\n79099-07-3,Boc\n50-00-0,caf\xe9\n".encode("latin-1"))
    p = run("screen", src, "-f", "csv")
    assert p.returncode == 3 and p.stdout == ""
    assert "row 2 (line 3) is not UTF-8 (byte 0xe9 at column 12)" in p.stderr


def test_one_entry_not_one_entries(tmp_path):
    one = tmp_path / "one.yaml"
    one.write_text(
        "schema_version: 1\nwatchlist_version: t-1\nentries:\n"
        "  - {id: T-1, name: Test one, cas: 108-24-7, smiles: CC(=O)OC(C)=O, status: controlled,\n"
        "     listings: [{jurisdiction: US, list: List I, citation: x}]}\nrules: []\n", encoding="utf-8")
    p = run("watchlist", "validate", one)
    assert "1 entry, 0 rules, 0 rule examples checked" in p.stdout, p.stdout + p.stderr
    p = run("watchlist", "stats", "--watchlist", one, "--replace-watchlist")
    assert "drug-precursors): 1 entry\n" in p.stdout and "US: 1 entry (" in p.stdout, p.stdout


def test_partial_cas_leads_with_the_listed_match():
    p = run("cas", "CAS79099", "-f", "jsonl", "-q")
    rec = json.loads(p.stdout)
    assert rec["error"].startswith("the start of a listed CAS number: 79099-07-3 (1-boc-4-Piperidone)")
    assert rec["suggestions"][0] == "79099-07-3"


def test_inchikey_given_to_inchi_points_to_check():
    p = run("inchi", "ROUYFJUVMYHXFJ-UHFFFAOYSA-N", "-f", "jsonl", "-q")
    assert "precheck check" in json.loads(p.stdout)["error"] and p.returncode == 3


def test_common_chemical_in_no_offline_source_says_how_to_supply_it():
    p = run("check", "50-78-2", "aspirin", "-f", "jsonl", "-q")
    cas, name = (json.loads(x) for x in p.stdout.splitlines())
    assert cas["verdict"] == name["verdict"] == "unresolved"
    for rec in (cas, name):
        assert "in no offline source" in rec["error"] and "--resolve-file" in rec["error"] and "SMILES" in rec["error"]
    assert "OPSIN" not in name["error"]  # a trivial name: no OPSIN run was worth it


@pytest.mark.opsin  # OPSIN on: the point is that it is not asked
def test_a_plain_trivial_name_does_not_start_java(tmp_path):
    """A `java` on PATH that records being started: a one-word trivial name never starts it."""
    from conftest import java_spy

    path, marker = java_spy(tmp_path)
    env = {"PATH": path}
    p = run("name", "aspirin", "-f", "jsonl", "-q", env=env)
    assert json.loads(p.stdout)["verdict"] == "unresolved" and not marker.exists()
    run("name", "2-(4-fluorophenyl)-nonsense-ylidene-4-one", "-f", "jsonl", "-q", env=env)
    assert marker.exists()  # a systematic-looking name still goes to OPSIN


# -- help and options ------------------------------------------------------------------------------


def test_threshold_help_shows_its_value_and_screen_help_points_at_no_docs():
    p = run("screen", "-h")
    assert "[default: 0.55]" in " ".join(p.stdout.split())
    assert "docs/" not in p.stdout and "README" not in p.stdout


def test_watchlist_and_audit_help_have_examples():
    assert "precheck watchlist show" in run("watchlist", "-h").stdout
    assert "precheck audit verify" in run("audit", "-h").stdout
    assert "_PRECHECK_COMPLETE=bash_source precheck" in run("-h").stdout  # shell completion


def test_version_shows_the_watchlist_version_and_v_is_an_alias():
    import re

    for flag in ("--version", "-V"):
        p = run(flag)
        assert p.returncode == 0 and re.fullmatch(r"precheck \d+\.\d+\.\d+\S*, watchlist 20\d\d\.\d\d\.\d\d\n", p.stdout)


def test_upper_case_options_are_usage_errors_but_commands_are_not():
    for args in (("check", "CCO", "-Q"), ("check", "CCO", "-F", "CSV"), ("CAS", "79099-07-3", "--Quiet")):
        p = run(*args)
        assert p.returncode == 2 and "No such option" in p.stderr, args
    assert run("CAS", "79099-07-3", "-q", "-f", "CSV").returncode == 1  # a choice's value may be any case


def test_shell_completion_script_is_generated():
    p = run(env={"_PRECHECK_COMPLETE": "bash_source"})
    assert p.returncode == 0 and "_precheck_completion" in p.stdout


# -- the first run builds the offline index: say so ------------------------------------------------


def small_chemicals(tmp_path):
    """A `chemicals` package whose identifier tables are the first 300 records of the real one:
    the index build runs as usual, in a second instead of half a minute."""
    import importlib.util

    real = Path(importlib.util.find_spec("chemicals").submodule_search_locations[0]) / "Identifiers"
    root = tmp_path / "site"
    ident = root / "chemicals" / "Identifiers"
    ident.mkdir(parents=True)
    (root / "chemicals" / "__init__.py").write_text("")
    (root / "chemicals-0.0.1.dist-info").mkdir()
    from precursor_check.identify.localdb import TABLES

    for i, table in enumerate(TABLES):
        with open(real / table, encoding="utf-8") as fh:
            head = [line for _, line in zip(range(300 if i == 0 else 0), fh)]
        (ident / table).write_text("".join(head), encoding="utf-8")
    return {"PYTHONPATH": str(root), "PRECHECK_CACHE_DIR": str(tmp_path / "cache")}


def test_first_run_announces_the_index_build_in_one_line_then_never_again(tmp_path):
    env = small_chemicals(tmp_path)
    p = run("cas", "78-96-6", "-q", "-f", "csv", env=env)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("precheck: building the offline name/CAS index"), p.stderr
    assert str(tmp_path / "cache") in lines[0]
    p = run("cas", "78-96-6", "-q", "-f", "csv", env=env)
    assert p.stderr == ""


def test_index_build_ahead_of_time(tmp_path):
    env = small_chemicals(tmp_path)
    p = run("index", "build", env=env)
    assert p.returncode == 0 and "index built" in p.stderr, p.stderr
    assert list((tmp_path / "cache").glob("localdb-*-chemicals-0.0.1.sqlite"))
    p = run("index", "build", env=env)
    assert "index up to date" in p.stderr
    p = run("cas", "78-96-6", "-q", "-f", "csv", env=env)  # nothing left to build on the first screen
    assert p.stderr == "" and ",clear," in p.stdout


def run_on_a_terminal(*args, env=None, timeout=300):
    """Run the binary with stderr on a pseudo-terminal (progress bars are drawn only there);
    returns (exit code, everything written to the terminal)."""
    import os
    import pty
    import select
    import subprocess

    from conftest import precheck_bin

    master, slave = pty.openpty()
    e = dict(os.environ, TERM="xterm", COLUMNS="160", **(env or {}))
    e.pop("NO_COLOR", None)
    proc = subprocess.Popen([precheck_bin(), *map(str, args)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=slave, env=e)
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            out += data
        elif proc.poll() is not None:
            break
    proc.wait(timeout=timeout)
    os.close(master)
    return proc.returncode, out.decode("utf-8", "replace")


def test_index_build_draws_a_progress_bar_on_a_terminal(tmp_path):
    code, screen = run_on_a_terminal("index", "build", env=small_chemicals(tmp_path))
    assert code == 0 and "building the offline name/CAS index" in screen and "100%" in screen, screen[-2000:]


def test_progress_bar_counts_rows_done(tmp_path):
    """Each frame's percentage is that of the input read up to the rows done, never ahead of them
    (it used to count the rows handed to workers: 100 % while a tenth were still being screened)."""
    import re

    rows = [f"{'C' * (3 + i % 40)}O{'C' * (3 + i // 40)}" for i in range(3000)]
    src = tmp_path / "many.csv"
    src.write_text("smiles\n" + "".join(r + "\n" for r in rows), encoding="utf-8")
    ends, pos = [], len("smiles\n")
    for r in rows:
        pos += len(r) + 1
        ends.append(pos)
    code, screen = run_on_a_terminal("screen", src, "-o", tmp_path / "out.csv", "--workers", "2",
                                     "--chunk-size", "32")
    assert code in (0, 1), screen[-2000:]
    frames = [(int(pct), int(n)) for pct, n in re.findall(r"(\d+)%\s+(\d+) rows", screen)]
    assert frames, screen[-2000:]
    for pct, n in frames:
        expected = 100 * ends[n - 1] / ends[-1] if n else 0
        assert abs(pct - expected) <= 1, (pct, n, expected)


def test_first_run_on_a_terminal_draws_the_index_build_progress_bar(tmp_path):
    """Not only `precheck index build`: the first screen that needs the index shows the bar too."""
    code, screen = run_on_a_terminal("cas", "78-96-6", "-q", "-f", "csv", env=small_chemicals(tmp_path))
    assert code == 0 and "building the offline name/CAS index" in screen and "100%" in screen, screen[-2000:]
    assert "built the offline name/CAS index" in screen
