"""Files precheck writes get the mode a normal file would get (0o666 & ~umask), not mkstemp's 0600."""

from __future__ import annotations

import os
import stat
import subprocess

import pytest
from conftest import MINI, precheck_bin


def run_with_umask(mask: int, *args, cwd):
    return subprocess.run([precheck_bin(), *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          umask=mask, timeout=300)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_output_file_follows_umask(tmp_path, mask):
    p = run_with_umask(mask, "cas", "79099-07-3", *MINI, "-q", "-f", "json", "-o", "out.json", cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    assert mode(tmp_path / "out.json") == 0o666 & ~mask
    assert [f.name for f in tmp_path.iterdir()] == ["out.json"]  # no temp file left behind


def test_report_audit_log_and_parquet_follow_umask(tmp_path):
    pytest.importorskip("pyarrow")
    mask = 0o002
    p = run_with_umask(mask, "check", "79099-07-3", "CCO", *MINI, "-q", "-o", "out.parquet",
                       "--report", "review.html", "--audit-log", "audit.jsonl", cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    for name in ("out.parquet", "review.html", "audit.jsonl"):
        assert mode(tmp_path / name) == 0o666 & ~mask, name


def test_existing_file_keeps_its_mode(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("old\n")
    out.chmod(0o640)
    p = run_with_umask(0o022, "cas", "79099-07-3", *MINI, "-q", "-o", out, cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    assert mode(out) == 0o640 and out.read_text() != "old\n"


def test_html_report_from_jsonl_follows_umask(tmp_path):
    mask = 0o027
    run_with_umask(mask, "cas", "79099-07-3", *MINI, "-q", "-o", "r.jsonl", cwd=tmp_path)
    p = run_with_umask(mask, "report", "r.jsonl", "-o", "r.html", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert mode(tmp_path / "r.html") == 0o666 & ~mask


def test_table_shows_brackets_as_written(tmp_path):
    """rich markup is escaped: '[nH]' in a SMILES is not a style tag."""
    p = run_with_umask(0o022, "smiles", "c1cc[nH]c1", "[link=x]CCO", *MINI, "-q", "-f", "table", cwd=tmp_path)
    assert "c1cc[nH]c1" in p.stdout and "[link=x]CCO" in p.stdout
