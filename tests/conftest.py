"""Shared fixtures: an isolated cache directory, the fixture watchlist, the installed binary (`run`) and
the same command line in process (`cli_run`); OPSIN off but for the tests about it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdkit import RDLogger

RDLogger.DisableLog("rdApp.*")

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "mini.yaml"


@pytest.fixture(scope="session", autouse=True)
def _cache_dir(tmp_path_factory):
    """One private cache (compiled watchlists, local table index) for the whole test session."""
    path = tmp_path_factory.mktemp("precheck-cache")
    old = os.environ.get("PRECHECK_CACHE_DIR")
    os.environ["PRECHECK_CACHE_DIR"] = str(path)
    os.environ.pop("PRECHECK_WATCHLIST", None)
    _local_index(tmp_path_factory, path)  # up front: no test's output depends on being the first to need it
    _SESSION_CACHE.append(path)
    yield path
    if old is None:
        os.environ.pop("PRECHECK_CACHE_DIR", None)
    else:
        os.environ["PRECHECK_CACHE_DIR"] = old


_SESSION_CACHE: list[Path] = []


def empty_cache(path: Path) -> Path:
    """A new cache directory at `path` with nothing in it but the local table's index (hard-linked
    from the session's): for tests about what precheck caches, without a 20 s index build."""
    path.mkdir(parents=True, exist_ok=True)
    for index in _SESSION_CACHE[0].glob("localdb-*.sqlite"):
        os.link(index, path / index.name)
    return path


def _local_index(tmp_path_factory, cache: Path) -> None:
    """Build the local table's index in `cache`; with pytest-xdist, once for all workers (under a
    lock in their common temporary directory) and hard-linked into each worker's private cache."""
    from precursor_check.identify import localdb

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        localdb.LocalDB()._connect()
        return
    import fcntl

    shared = tmp_path_factory.getbasetemp().parent / "precheck-shared-index"
    shared.mkdir(exist_ok=True)
    with open(shared / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        os.environ["PRECHECK_CACHE_DIR"] = str(shared)
        try:
            target = localdb.default_path()
            if target is not None and not target.exists():
                localdb.LocalDB()._connect()
        finally:
            os.environ["PRECHECK_CACHE_DIR"] = str(cache)
    if target is not None and target.exists():
        os.link(target, cache / target.name)


@pytest.fixture(autouse=True)
def _opsin_off(request, monkeypatch):
    """OPSIN (a Java start of 1-3 s) only for the tests about it: tests/test_opsin.py and tests
    marked `opsin`. Everything else runs with PRECHECK_OPSIN=0, in process and in subprocesses."""
    if request.node.get_closest_marker("opsin") is None and request.node.path.name != "test_opsin.py":
        monkeypatch.setenv("PRECHECK_OPSIN", "0")


@pytest.fixture(scope="session")
def mini_screener():
    from precursor_check import Screener

    return Screener(watchlists=[FIXTURE], replace=True)


@pytest.fixture(scope="session")
def shipped_screener():
    from precursor_check import Screener

    return Screener()


def pubchem_parts(every: int):
    """(SMILES, standardised part) of every `every`-th chemical of the `chemicals` package's PubChem
    table (ordinary chemicals; inorganic and unparsable records skipped)."""
    chemicals = pytest.importorskip("chemicals")
    from precursor_check.chemistry import standardise

    table = Path(chemicals.__file__).resolve().parent / "Identifiers" / "chemical identifiers pubchem large.tsv"
    with open(table, encoding="utf-8") as fh:
        smiles = [line.split("\t")[4] for i, line in enumerate(fh) if i % every == 0]
    for smi in smiles:
        std = standardise.standardise_smiles(smi)
        if std is not None and not std.inorganic:
            for part in std.parts:
                yield smi, part


def java_spy(tmp_path: Path) -> tuple[str, Path]:
    """A `java` that only records being started: (a PATH that finds it first, the mark it leaves)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    mark = tmp_path / "java-started"
    java = bindir / "java"
    java.write_text(f"#!/bin/sh\ntouch {mark}\nexit 1\n")
    java.chmod(0o755)
    return f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}", mark


def precheck_bin() -> str:
    exe = Path(sys.executable).parent / "precheck"
    return str(exe) if exe.exists() else shutil.which("precheck")


def run(*args, input: str | None = None, cwd=None, env=None):
    """Run the real installed `precheck` binary."""
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([precheck_bin(), *map(str, args)], input=input, capture_output=True, text=True,
                          cwd=cwd, env=e, timeout=300)


def cli_run(*args, input: str | None = None, cwd=None, env=None) -> subprocess.CompletedProcess:
    """`precheck ARGS` in this process, through click's CliRunner: the same parsing, commands and
    exit codes as the binary without a Python start (~0.5-1 s each). For tests where the binary
    itself is not the point (not signals, terminals, RDKit's C-level stderr or installation)."""
    from click.testing import CliRunner

    from precursor_check.cli import cli

    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        r = CliRunner().invoke(cli, [str(a) for a in args], input=input, env=env, prog_name="precheck",
                               catch_exceptions=False)
    finally:
        os.chdir(old)
    return subprocess.CompletedProcess(["precheck", *map(str, args)], r.exit_code, r.stdout, r.stderr)


MINI = ("--watchlist", str(FIXTURE), "--replace-watchlist")
