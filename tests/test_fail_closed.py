"""Fail closed (issue 14): inputs a seller can shape so that a listed chemical would come out
`clear`, tried through the real installed binary.

Each test is one way round the screen: whitespace inside a SMILES, a structure too large to
compare, a trailing delimiter, a full-width CAS number, a bare salt word or prefix as a "name",
a reader that goes away (`| head`), a watchlist edited without changing its size or time.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from conftest import MINI, precheck_bin, run

NPP = "O=C1CCN(CCc2ccccc2)CC1"
BOC = "79099-07-3"


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# -- whitespace inside a SMILES is never a discarded title ------------------------------------------


@pytest.mark.parametrize("query", [f"CCO {NPP}", f"CCO\t{NPP}", f"CC(=O)O  {NPP}", f"{NPP}\nCCO"])
def test_whitespace_separated_smiles_are_components(query):
    p = run("smiles", query, *MINI, "-f", "jsonl", "-q")
    (rec,) = jsonl(p.stdout)
    assert rec["verdict"] == "controlled" and rec["hits"][0]["id"] == "T-NPP", rec
    assert p.returncode == 1


def test_check_detects_whitespace_separated_smiles_as_smiles():
    p = run("check", f"CC(=O)O  {NPP}", *MINI, "-f", "jsonl", "-q")
    (rec,) = jsonl(p.stdout)
    assert rec["input_type"] == "smiles" and rec["verdict"] == "controlled" and p.returncode == 1


def test_text_after_a_cxsmiles_extension_is_invalid_not_ignored():
    p = run("check", f"CCO |$;;$| {NPP} |", *MINI, "-f", "jsonl", "-q")
    (rec,) = jsonl(p.stdout)
    assert rec["verdict"] == "invalid" and "CXSMILES" in rec["error"] and p.returncode == 3


def test_a_plain_cxsmiles_is_still_read():
    p = run("smiles", "CCO |$;;$|", *MINI, "-f", "jsonl", "-q")
    assert jsonl(p.stdout)[0]["verdict"] == "clear" and p.returncode == 0


@pytest.mark.parametrize("header", ["smiles", "product"])
def test_csv_cell_with_two_smiles_is_screened_whole(tmp_path, header):
    f = tmp_path / "in.csv"
    f.write_text(f"id,{header}\n1,CC(=O)O  {NPP}\n")
    p = run("screen", f, *MINI, "-f", "jsonl", "-q")
    (rec,) = jsonl(p.stdout)
    assert rec["verdict"] == "controlled" and p.returncode == 1, rec


def test_smi_files_keep_smiles_then_name(tmp_path):
    f = tmp_path / "in.smi"
    f.write_text(f"{NPP} NPP sample 7\nCCO ethanol\n")
    p = run("screen", f, *MINI, "-f", "jsonl", "-q")
    recs = jsonl(p.stdout)
    assert [r["verdict"] for r in recs] == ["controlled", "clear"]
    assert [r["name"] for r in recs] == ["NPP sample 7", "ethanol"]


# -- a structure too large to compare is never clear ------------------------------------------------


def test_over_the_atom_limit_is_unresolved_not_clear():
    p = run("smiles", "C" * 420, *MINI, "-f", "jsonl", "-q")
    (rec,) = jsonl(p.stdout)
    assert rec["verdict"] == "unresolved" and "420 heavy atoms, over the limit of 400" in rec["error"]
    assert p.returncode == 3


def test_over_the_atom_limit_still_meets_the_class_rules():
    # a listed scaffold (a carbamate of 4-piperidone) at the end of a 400-carbon chain
    p = run("smiles", "C" * 400 + "OC(=O)N1CCC(=O)CC1", *MINI, "-f", "jsonl", "-q")
    (rec,) = jsonl(p.stdout)
    assert rec["verdict"] == "controlled" and rec["hits"][0]["id"] == "T-R-4PIP-CARB"


def test_a_listed_component_beside_an_oversized_one_is_found():
    p = run("smiles", "C" * 420 + "." + NPP, *MINI, "-f", "jsonl", "-q")
    assert jsonl(p.stdout)[0]["verdict"] == "controlled" and p.returncode == 1


def test_max_atoms_in_a_batch_is_unresolved(tmp_path):
    f = tmp_path / "in.csv"
    f.write_text(f"smiles\n{'C' * 60}\n")
    p = run("screen", f, *MINI, "--max-atoms", "50", "-f", "jsonl", "-q")
    (rec,) = jsonl(p.stdout)
    assert rec["verdict"] == "unresolved" and "60 heavy atoms, over the limit of 50" in rec["error"]
    assert p.returncode == 3


# -- the query cell is the cell under its header ------------------------------------------------------


@pytest.mark.parametrize("body,extra", [("1,79099-07-3,\n", None), ("1,79099-07-3,extra\n", "extra"),
                                        ("1,79099-07-3,,\n2,79099-07-3,a,b\n", "a,b")])
def test_trailing_delimiter_and_extra_cells_never_reach_the_query(tmp_path, body, extra):
    f = tmp_path / "in.csv"
    f.write_text("id,cas\n" + body)
    p = run("screen", f, *MINI, "-f", "jsonl", "-q")
    recs = jsonl(p.stdout)
    assert {r["verdict"] for r in recs} == {"controlled"} and p.returncode == 1, recs
    assert all(r["input"] == BOC for r in recs)
    if extra is not None:
        assert recs[-1]["extra_cells"] == extra


def test_extra_cells_column_in_csv_output(tmp_path):
    f = tmp_path / "in.csv"
    f.write_text("id,cas\n1,79099-07-3,x\n2,64-17-5\n")
    p = run("screen", f, *MINI, "-f", "csv")
    lines = p.stdout.splitlines()
    assert lines[0].startswith("id,cas,extra_cells,row,input")
    assert lines[1].startswith("1,79099-07-3,x,1,79099-07-3,cas,controlled")
    assert "1 row(s) had more cells than the header" in p.stderr


# -- typographic CAS numbers, in every command -------------------------------------------------------


@pytest.mark.parametrize("cmd", ["cas", "check"])
@pytest.mark.parametrize("query", ["７９０９９－０７－３", "CAS：79099-07-3", "ＣＡＳ　７９０９９－０７－３",
                                   "79099\u201307\u20133", "CAS\u00a079099-07-3"])
def test_full_width_and_typographic_cas(cmd, query):
    p = run(cmd, query, *MINI, "-f", "jsonl", "-q")
    (rec,) = jsonl(p.stdout)
    assert rec["verdict"] == "controlled" and rec["hits"][0]["cas"] == BOC, rec


def test_full_width_cas_in_a_csv_cas_column(tmp_path):
    f = tmp_path / "in.csv"
    f.write_text("id,cas\n1,７９０９９－０７－３\n2,CAS：79099-07-3\n", encoding="utf-8")
    p = run("screen", f, *MINI, "-f", "jsonl", "-q")
    assert [r["verdict"] for r in jsonl(p.stdout)] == ["controlled", "controlled"]


# -- a bare salt word, locant or prefix is not a chemical name --------------------------------------


@pytest.mark.parametrize("word", ["hydrochloride", "alpha", "ethyl", "4-methyl", "HCl salt"])
def test_generic_words_are_unresolved(word):
    p = run("name", word, "-f", "jsonl", "-q")
    (rec,) = jsonl(p.stdout)
    assert rec["verdict"] == "unresolved" and "not a chemical name" in rec["error"], rec
    assert rec["smiles"] is None and p.returncode == 3


def test_real_names_made_of_such_words_still_resolve():
    p = run("name", "ethyl acetate", "methyl ethyl ketone", "-f", "jsonl", "-q")
    assert [r["verdict"] != "unresolved" for r in jsonl(p.stdout)] == [True, True]


# -- a reader that goes away -------------------------------------------------------------------------


@pytest.mark.parametrize("cmd", ["screen", "cas"])
def test_broken_pipe_after_hits_is_not_exit_0(tmp_path, cmd):
    if cmd == "screen":
        f = tmp_path / "big.csv"
        f.write_text("id,cas\n" + "".join(f"{i},{BOC}\n" for i in range(20000)))
        args = ["screen", str(f), "-j", "0"]
    else:
        args = ["cas"] + [BOC] * 5000
    p = subprocess.Popen([precheck_bin(), *args, *MINI, "-f", "csv", "-q"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdout.readline()
    p.stdout.close()  # as `| head -1` does
    err = p.stderr.read().decode()
    assert p.wait(timeout=300) == 1, err
    assert "Traceback" not in err and "Exception ignored" not in err


# -- the compiled-watchlist cache is keyed by content --------------------------------------------------


def test_same_size_same_mtime_edit_is_seen(tmp_path):
    text = (FIXTURE_TEXT := open(MINI[1], encoding="utf-8").read())
    wl = tmp_path / "wl.yaml"
    wl.write_text(text, encoding="utf-8")
    st = os.stat(wl)
    env = {"PRECHECK_CACHE_DIR": str(tmp_path / "cache")}
    first = run("cas", BOC, "--watchlist", wl, "--replace-watchlist", "-f", "jsonl", "-q", env=env)
    assert jsonl(first.stdout)[0]["verdict"] == "controlled"
    # the same number of bytes: the BOC-piperidone entry's CAS becomes another, checksum-valid one
    edited = FIXTURE_TEXT.replace("cas: 79099-07-3", "cas: 97909-07-4")
    assert len(edited.encode()) == len(text.encode()) and edited != text
    wl.write_text(edited, encoding="utf-8")
    os.utime(wl, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(wl).st_size == st.st_size and os.stat(wl).st_mtime_ns == st.st_mtime_ns
    second = run("cas", BOC, "--watchlist", wl, "--replace-watchlist", "-f", "jsonl", "-q", env=env)
    rec = jsonl(second.stdout)[0]
    assert rec["watchlist_sha256"] != jsonl(first.stdout)[0]["watchlist_sha256"]
    assert not any(h["cas"] == BOC for h in rec["hits"])


# -- one signal handler for every command --------------------------------------------------------------


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP", "SIGINT"])
@pytest.mark.parametrize("cmd", ["check", "cas", "text"])
def test_signals_leave_no_partial_file_and_exit_130(tmp_path, sig, cmd):
    import signal
    import time

    out = tmp_path / "out.jsonl"
    p = subprocess.Popen([precheck_bin(), cmd, "-", *MINI, "-o", str(out)], stdin=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    p.stdin.write(BOC + "\n")
    p.stdin.flush()
    deadline = time.time() + 120

    def ready() -> bool:  # precheck's handlers are installed (Linux: the caught-signal mask in /proc)
        with open(f"/proc/{p.pid}/status") as fh:
            caught = int(next(x for x in fh if x.startswith("SigCgt:")).split()[1], 16)
        if not caught & (1 << (signal.SIGTERM - 1)):
            return False
        # query commands open -o as they start writing; `text` reads all of stdin first
        return cmd == "text" or bool(list(tmp_path.glob(".out.jsonl.*.tmp")))

    while time.time() < deadline and not ready():
        time.sleep(0.05)
    p.send_signal(getattr(signal, sig))
    assert p.wait(timeout=60) == 130
    err = p.stderr.read()
    p.stdin.close()
    assert "interrupted" in err and "Traceback" not in err and "Aborted" not in err
    assert [x.name for x in tmp_path.iterdir()] == []
