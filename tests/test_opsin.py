"""Systematic names without OPSIN: no py2opsin, no Java, a Java that does not run.

The name is unresolved (exit 3, never clear, never a crash) with one line that says what is
missing and how to install it. The pieces are taken away for real: the binary runs with a PATH
that holds no `java`, with a `py2opsin` that cannot be imported, or with a `java` that fails.
"""

from __future__ import annotations

import json
import os
import shutil
import sys

import pytest
from conftest import FIXTURE, MINI, java_spy, run

from precursor_check.identify import resolve

# a systematic name in no table (the watchlist, the local table): only OPSIN could resolve it
NAME = "1-(2,4,6-trifluorophenyl)-2-nitrobut-1-ene"


def path_without_java(tmp_path) -> str:
    """The current PATH less every directory that holds a `java`, plus an empty directory."""
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep)
            if d and not os.path.exists(os.path.join(d, "java"))]
    return os.pathsep.join([*dirs, str(tmp_path)])


def unimportable_py2opsin(tmp_path) -> str:
    """A directory for PYTHONPATH whose `py2opsin` raises ImportError, as when it is not installed."""
    fake = tmp_path / "fake"
    fake.mkdir(exist_ok=True)
    (fake / "py2opsin.py").write_text("raise ImportError('simulated: py2opsin is not installed')\n")
    return str(fake)


def screen_binary(tmp_path, env, *args):
    p = run("name", NAME, *MINI, "-f", "jsonl", *args, env=env, cwd=tmp_path)
    assert "Traceback" not in p.stderr and "Warning" not in p.stderr, p.stderr
    assert p.returncode == 3, p.stderr  # README: unresolved and no hit -> 3
    (rec,) = [json.loads(x) for x in p.stdout.splitlines()]
    assert rec["verdict"] == "unresolved" and rec["smiles"] is None and rec["hits"] == []
    assert "\n" not in rec["error"]
    return rec, p


def test_no_java_on_path(tmp_path):
    env = {"PATH": path_without_java(tmp_path)}
    assert shutil.which("java", path=env["PATH"]) is None
    rec, p = screen_binary(tmp_path, env, "-q")
    assert f"; {resolve.OPSIN_JAVA})" in rec["error"]  # what is missing, then how to supply the structure
    assert "Java" in rec["error"] and "apt-get install default-jre" in rec["error"]
    assert p.stderr == ""  # py2opsin's own import-time warning about Java does not leak


def test_py2opsin_not_importable(tmp_path):
    rec, p = screen_binary(tmp_path, {"PYTHONPATH": unimportable_py2opsin(tmp_path)})
    assert f"; {resolve.OPSIN_EXTRA})" in rec["error"]  # what is missing, then how to supply the structure
    assert "pip install 'precursor-check[opsin]'" in rec["error"] and "Java" in rec["error"]
    assert p.stderr.startswith("precheck: 1 query: 1 unresolved") and p.stderr.count("\n") == 1  # the summary only


def test_table_shows_the_install_command(tmp_path):
    """The table (rich) must not eat '[opsin]' as markup."""
    env = {"PYTHONPATH": unimportable_py2opsin(tmp_path), "COLUMNS": "400"}
    p = run("name", NAME, *MINI, "-f", "table", "-q", env=env)
    assert p.returncode == 3
    assert "pip install 'precursor-check[opsin]' (and Java)" in p.stdout


def test_java_that_does_not_run(tmp_path):
    pytest.importorskip("py2opsin")
    bad = tmp_path / "bin"
    bad.mkdir()
    java = bad / "java"
    java.write_text("#!/bin/sh\necho 'Error: could not create the Java Virtual Machine.' >&2\nexit 1\n")
    java.chmod(0o755)
    rec, _ = screen_binary(tmp_path, {"PATH": f"{bad}{os.pathsep}{path_without_java(tmp_path)}"}, "-q")
    assert f"; {resolve.OPSIN_FAILED})" in rec["error"]  # what is missing, then how to supply the structure
    assert not list(tmp_path.glob("py2opsin_temp_input*"))  # py2opsin's scratch file stays out of the cwd


@pytest.fixture(scope="module")
def screener():
    from precursor_check import Screener

    return Screener(watchlists=[FIXTURE], replace=True)


def test_in_process_without_py2opsin(screener, monkeypatch):
    monkeypatch.setitem(sys.modules, "py2opsin", None)  # `import py2opsin` raises ImportError
    r = screener.screen(NAME, input_type="name")
    assert r.verdict.value == "unresolved" and resolve.OPSIN_EXTRA in r.error


def test_in_process_without_java(screener, monkeypatch, tmp_path):
    pytest.importorskip("py2opsin")
    monkeypatch.setenv("PATH", path_without_java(tmp_path))
    r = screener.screen(NAME, input_type="name")
    assert r.verdict.value == "unresolved" and resolve.OPSIN_JAVA in r.error
    assert screener.screen("79099-07-3").verdict.value == "controlled"  # the rest still works


def test_a_batch_of_unknown_names_starts_opsin_once(monkeypatch):
    """Each OPSIN run starts Java (~1-3 s): a batch resolves all its unknown names in one run."""
    from precursor_check import Screener
    from precursor_check.engines.batch import screen_queries

    calls = []

    def fake_many(names):
        calls.append(list(names))
        return {n: (resolve.Resolved("CCO" if "ethan" in n else "CC(C)O", "OPSIN (systematic name)"), None)
                for n in names}

    monkeypatch.setattr(resolve, "opsin_resolve_many", fake_many)
    s = Screener(watchlists=[FIXTURE], replace=True, local_db=False)
    names = ["2-ethanyl-oxidane", "propan-2-ol-ish name", "2-ethanyl-oxidane", "79099-07-3"]
    results = screen_queries(s, names, "auto")
    assert len(calls) == 1 and sorted(calls[0]) == ["2-ethanyl-oxidane", "propan-2-ol-ish name"]
    assert [r.source for r in results[:3]] == ["OPSIN (systematic name)"] * 3
    assert results[0].smiles == "CCO" and results[3].verdict.value == "controlled"


def test_switched_off_never_starts_java(tmp_path):
    """PRECHECK_OPSIN=0: a systematic name is unresolved, saying OPSIN is off, and Java never
    starts (a `java` first on PATH would leave a mark), for one query and for a batch."""
    pytest.importorskip("py2opsin")
    path, mark = java_spy(tmp_path)
    env = {"PATH": path, "PRECHECK_OPSIN": "0"}
    rec, _ = screen_binary(tmp_path, env, "-q")
    assert f"; {resolve.OPSIN_OFF})" in rec["error"]  # what is missing, then how to supply the structure
    batch = tmp_path / "names.csv"
    batch.write_text(f'name\n"{NAME}"\n2-methyl-1-phenylpropan-2-amine-ish\n')
    p = run("screen", batch, *MINI, "-f", "jsonl", "-q", "-j", "1", env=env, cwd=tmp_path)
    assert p.returncode == 3 and [json.loads(x)["verdict"] for x in p.stdout.splitlines()] == ["unresolved"] * 2
    assert not mark.exists()
    env["PRECHECK_OPSIN"] = "1"  # the same fake java is started when OPSIN is on: the mark means something
    screen_binary(tmp_path, env, "-q")
    assert mark.exists()
