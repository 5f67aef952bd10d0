"""The library API the CLI wraps: screen_file / iter_screen_file / scan_text / screen_queries, sinks, RunSummary.

A Python user must be able to do what the command line does, with the same results: these tests
run the library in-process against the fixture watchlist and compare with the real binary.
"""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURE, MINI, run

from precursor_check import (
    RunSummary,
    ScreenerConfig,
    iter_scan_text,
    iter_screen_file,
    scan_text,
    screen_file,
    screen_queries,
    writer_sink,
)
from precursor_check.errors import ExitCode
from precursor_check.io.sinks import AuditSink, HtmlSink

CONFIG = ScreenerConfig(watchlists=(str(FIXTURE),), replace=True)
ORDERS = "id,cas,qty\n1,79099-07-3,5\n2,64-17-5,1\n3,79099-07-4,2\n"  # controlled, clear, invalid check digit


@pytest.fixture()
def orders(tmp_path):
    p = tmp_path / "orders.csv"
    p.write_text(ORDERS)
    return p


def test_screen_file_writes_what_the_cli_writes(orders, tmp_path):
    out = tmp_path / "lib.jsonl"
    summary = screen_file(str(orders), CONFIG, workers=0, sinks=[writer_sink("jsonl", str(out))])
    assert summary.counts == {"controlled": 1, "clear": 1, "invalid": 1}
    assert summary.rows == 3 and summary.exit_code() == ExitCode.HIT
    assert summary.exit_code(fail_on="controlled") == ExitCode.HIT
    cli = run("screen", orders, "-f", "jsonl", *MINI)
    assert cli.returncode == 1, cli.stderr
    strip = [{k: v for k, v in json.loads(line).items()} for line in out.read_text().splitlines()]
    assert strip == [json.loads(line) for line in cli.stdout.splitlines()]
    assert [r["id"] for r in strip] == ["1", "2", "3"]  # the input's own cells ride along


def test_iter_screen_file_yields_one_result_per_row_in_order(orders):
    run_ = iter_screen_file(str(orders), CONFIG, workers=0)
    results = list(run_)
    assert [r.row for r in results] == [1, 2, 3]
    assert [r.verdict.value for r in results] == ["controlled", "clear", "invalid"]
    assert results[0].extra == {"id": "1", "cas": "79099-07-3", "qty": "5"}
    assert run_.summary.rows == 3 and run_.summary.counts["invalid"] == 1


def test_a_file_with_no_rows_is_not_a_completed_screen(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_text("id,cas\n")
    summary = screen_file(str(p), CONFIG, workers=0)
    assert summary.rows == 0 and summary.exit_code() == ExitCode.INCOMPLETE
    assert "nothing screened" in summary.line()


def test_unresolved_without_hits_is_incomplete():
    s = RunSummary({}, counts={"clear": 3, "unresolved": 1}, rows=4)
    assert s.exit_code() == ExitCode.INCOMPLETE
    s = RunSummary({}, counts={"analog": 1, "unresolved": 1}, rows=2)
    assert s.exit_code() == ExitCode.HIT and s.exit_code("controlled") == ExitCode.INCOMPLETE


def test_scan_text_finds_and_screens_mentions(mini_screener):
    text = "Hot sale!\nCAS79099 powder, NPP in stock, ethanol too"
    results = list(iter_scan_text(text, mini_screener))
    found = {(r.extra["text"], r.verdict.value) for r in results}
    assert ("CAS79099", "controlled") in found and ("NPP", "controlled") in found
    cas = next(r for r in results if r.extra["text"] == "CAS79099")
    assert cas.extra["line"] == 2 and text.splitlines()[1][cas.extra["start"]:cas.extra["end"]] == "CAS79099"
    summary = scan_text(text, mini_screener)
    assert summary.exit_code() == ExitCode.HIT
    assert scan_text("nothing chemical here", mini_screener).exit_code() == ExitCode.OK  # free text may hold none


def test_screen_queries_feeds_every_sink(mini_screener, tmp_path):
    audit, html, out = tmp_path / "audit.jsonl", tmp_path / "r.html", tmp_path / "out.csv"
    sinks = [writer_sink("csv", str(out)), AuditSink(str(audit)), HtmlSink(str(html), mini_screener.watchlist)]
    summary = screen_queries(["79099-07-3", "CCO", "NPP"], mini_screener, None, sinks)
    assert summary.counts == {"controlled": 2, "clear": 1}
    assert out.read_text().count("\n") == 4  # header + 3 rows
    assert [json.loads(line)["input"] for line in audit.read_text().splitlines()] == ["79099-07-3", "CCO", "NPP"]
    assert "79099-07-3" in html.read_text()


def test_a_failed_run_leaves_no_partial_file(tmp_path, mini_screener):
    out = tmp_path / "out.jsonl"

    def queries():
        yield "79099-07-3"
        raise KeyboardInterrupt  # Ctrl-C (or SIGTERM, which the CLI turns into it) mid-run

    with pytest.raises(KeyboardInterrupt):
        screen_queries(queries(), mini_screener, None, [writer_sink("jsonl", str(out))])
    assert not out.exists() and not list(tmp_path.iterdir())  # no report, no temp file
