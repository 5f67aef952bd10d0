"""Every example in README.md and docs/ whose output is shown prints what is shown.

Convention: a fenced block opened with ```console holds commands, each on a line starting with
`$ `, each followed by its output (stdout and stderr, as a terminal shows them). The commands of
one page run in order in one fresh directory holding the files of tests/fixtures/docs/, through
bash, with the installed `precheck` first on PATH. Times, rates, hashes, versions, dates and
the user, host and pid of audit lines are masked before the comparison; a line `...` in the
expected output stands for any number of lines. Other fences (```bash, ```sh, plain ```) are not
run: use them for commands whose output is not shown or that need a cluster.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "docs"
pytestmark = pytest.mark.opsin  # the examples show what a user sees, with OPSIN as installed

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench" / "README.md"]

_MASKS = [
    (re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z"), "<time>"),
    (re.compile(r"\b[0-9a-f]{64}\b"), "<sha256>"),
    (re.compile(r"\b[0-9a-f]{12}…"), "<sha>…"),
    (re.compile(r"\(\d+(?:\.\d+)? s(?:, [\d,]+ rows/s)?\)"), "(<time> s)"),
    (re.compile(r'"(user|host)": "[^"]*"'), r'"\1": "<\1>"'),
    (re.compile(r'"pid": \d+'), '"pid": <pid>'),
    (re.compile(r"^users: \S+ (\d+)$"), r"users: <user> \1"),
    (re.compile(r"\b20\d\d\.\d\d\.\d\d\b"), "<watchlist-version>"),
    (re.compile(r'("tool_version": "|precheck |precheck, version )\d+\.\d+\.\d+\w*'), r"\1<version>"),
]


def mask(line: str) -> str:
    line = " ".join(line.split())  # tabs and runs of spaces alike (tables, TSV)
    for pattern, repl in _MASKS:
        line = pattern.sub(repl, line)
    return line


def console_blocks(page: Path):
    """[(line number, [(command, [expected lines])])] of every ```console block of a page."""
    blocks, lines = [], page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```console":
            start, steps = i + 1, []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                if lines[i].startswith("$ "):
                    steps.append((lines[i][2:], []))
                elif steps:
                    steps[-1][1].append(lines[i])
                i += 1
            blocks.append((start, steps))
        i += 1
    return blocks


def matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line after masking; an expected '...' matches any number of lines."""
    exp = [mask(x) for x in expected]
    act = [mask(x) for x in actual]

    def go(i: int, j: int) -> bool:
        if i == len(exp):
            return j == len(act)
        if exp[i] == "...":
            return any(go(i + 1, k) for k in range(j, len(act) + 1))
        return j < len(act) and exp[i] == act[j] and go(i + 1, j + 1)

    return go(0, 0)


def _precheck_dir() -> str:
    exe = Path(sys.executable).parent / "precheck"
    return str(exe.parent if exe.exists() else Path(shutil.which("precheck")).parent)


@pytest.mark.parametrize("page", [p for p in PAGES if p.exists() and console_blocks(p)],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_examples_print_what_they_show(page, tmp_path):
    for f in FIXTURES.iterdir():
        shutil.copy(f, tmp_path / f.name)
    env = dict(os.environ, PATH=_precheck_dir() + os.pathsep + os.environ.get("PATH", ""),
               PYTHONUNBUFFERED="1", NO_COLOR="1", COLUMNS="100", LC_ALL="C.UTF-8")
    env.pop("PRECHECK_AUDIT_LOG", None)
    blocks = console_blocks(page)
    if shutil.which("jq") is None and any(" jq " in c for _s, steps in blocks for c, _e in steps):
        pytest.skip(f"{page.name} has examples that use jq, which is not installed")
    failures = []
    for start, steps in blocks:
        for command, expected in steps:
            p = subprocess.run(["bash", "-c", "exec 2>&1\n" + command], cwd=tmp_path, env=env, capture_output=True,
                               text=True, timeout=300)
            actual = p.stdout.splitlines()
            if not matches(expected, actual):
                failures.append(f"{page.name} (block at line {start}): $ {command}\n--- shown\n"
                                + "\n".join(expected) + "\n--- printed\n" + "\n".join(actual))
    assert not failures, "\n\n".join(failures)


def test_mask_and_wildcard():
    assert mask("precheck: 3 queries: 3 controlled (0.24 s)") == mask("precheck: 3 queries: 3 controlled (1.5 s)")
    assert mask("a\tb") == "a b"
    assert matches(["x", "...", "z"], ["x", "y1", "y2", "z"]) and matches(["...", "z"], ["z"])
    assert not matches(["x", "z"], ["x", "y", "z"]) and not matches(["controlled"], ["clear"])
