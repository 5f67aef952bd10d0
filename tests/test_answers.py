"""`precheck CAS <a watchlist CAS number>` answered again without RDKit (engines/answers.py):
the same output, and a stale answer is never used."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import FIXTURE, empty_cache, precheck_bin, run

from precursor_check.engines import answers


def imports_rdkit(*args, env) -> bool:
    p = subprocess.run([sys.executable, "-X", "importtime", precheck_bin(), *args], capture_output=True, text=True,
                       env={**os.environ, **env}, timeout=300)
    return " rdkit" in p.stderr


def test_a_watchlist_cas_is_answered_again_without_rdkit(tmp_path):
    env = {"PRECHECK_CACHE_DIR": str(empty_cache(tmp_path))}
    for args in (["CAS", "79099-07-3"], ["check", "CAS79099073", "79099-07-3", "-f", "csv"],
                 ["cas", "79099-07-3", "--jurisdiction", "US", "-f", "table"], ["CAS", "79099-07-3", "-f", "json"]):
        first = run(*args, "-q", env=env)
        assert first.returncode == 1
        assert not imports_rdkit(*args, "-q", env=env)
        again = run(*args, "-q", env=env)
        assert (again.returncode, again.stdout) == (first.returncode, first.stdout), args
    mixed = ["check", "79099-07-3", "NPP"]  # a name: screened the ordinary way
    run(*mixed, env=env)
    assert imports_rdkit(*mixed, env=env)


def test_a_stale_answer_is_never_used(tmp_path):
    env = {"PRECHECK_CACHE_DIR": str(empty_cache(tmp_path))}
    mine = tmp_path / "mine.yaml"
    mine.write_bytes(FIXTURE.read_bytes())
    args = ["CAS", "79099-07-3", "--watchlist", str(mine), "--replace-watchlist", "-f", "jsonl", "-q"]
    want = run(*args, env=env).stdout
    assert '"controlled"' in want
    # an altered stored answer shows in the output: the file is what answers
    [path] = tmp_path.glob("answers-*.marshal")
    doc = __import__("marshal").loads(path.read_bytes())
    from precursor_check.engines.stored import decode, encode

    [cas] = doc["answers"]
    r = decode(doc["answers"][cas], cas)
    r.__dict__["source"] = "altered in the store"
    doc["answers"][cas] = encode(r)
    path.write_bytes(__import__("marshal").dumps(doc))
    assert "altered in the store" in run(*args, env=env).stdout
    # other options, another key
    assert "altered in the store" not in run(*args, "--threshold", "0.9", env=env).stdout
    # the watchlist edited: the answer is not used, and is replaced
    mine.write_text(mine.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    for _ in range(2):  # screened again, then answered from the new file
        edited = run(*args, env=env).stdout
        assert "altered in the store" not in edited and '"controlled"' in edited
        assert edited.replace(edited.split('"watchlist_sha256": "')[1][:64], "") == \
            want.replace(want.split('"watchlist_sha256": "')[1][:64], "")


def test_the_key_leaves_out_only_output_options():
    opts = {"watchlists": (), "replace_watchlist": False, "threshold": None, "jurisdictions": (), "as_of": None,
            "resolve_files": (), "fmt": "csv", "output": None, "fail_on": "analog", "raw_csv": False, "quiet": True,
            "report": None, "audit_log": None}
    base = answers._key(opts)
    assert answers._key({**opts, "fmt": "jsonl", "quiet": False, "fail_on": "controlled"}) == base
    for k, v in (("threshold", 0.6), ("jurisdictions", ("US",)), ("as_of", "2020-01-01"), ("replace_watchlist", True),
                 ("regimes", ("chemical-weapons",))):
        assert answers._key({**opts, k: v}) != base, k
