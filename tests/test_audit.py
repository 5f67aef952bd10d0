"""The append-only audit log (--audit-log / PRECHECK_AUDIT_LOG) and `precheck audit verify`."""

from __future__ import annotations

import json
import multiprocessing as mp
import subprocess

import pytest
from conftest import MINI, cli_run, precheck_bin, run

from precursor_check.io.audit import REQUIRED, AuditLog, verify

META = {"tool_version": "t", "watchlist_version": "w", "watchlist_sha256": "s" * 64}
QUERIES = ["79099-07-3", "O=C1CCN(Cc2ccccc2)CC1", "CC(=Cc1ccc(Cl)cc1)[N+](=O)[O-]", "CCO",
           "zzqx-unknown-chemical", "1609-66-5"]


def lines(path):
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def test_one_line_per_query_with_every_field(tmp_path):
    log = tmp_path / "audit.jsonl"
    p = cli_run("check", *QUERIES, "NPP", *MINI, "-q", "-f", "jsonl", "--audit-log", log)
    assert p.returncode == 1, p.stderr
    recs = lines(log)
    assert [r["input"] for r in recs] == [*QUERIES, "NPP"]
    assert [r["verdict"] for r in recs] == ["controlled", "watch", "analog", "clear", "unresolved", "invalid",
                                           "controlled"]
    for r in recs:
        assert set(REQUIRED) <= set(r)
        assert r["time"].endswith("Z") and r["user"] and r["host"]
        assert r["watchlist_version"] == "test-1" and len(r["watchlist_sha256"]) == 64 and r["tool_version"]
    assert recs[0]["smiles"] == "CC(C)(C)OC(=O)N1CCC(=O)CC1" and "T-BOCPIP" in recs[0]["hits"]
    assert recs[0]["source"].startswith("watchlist")
    assert recs[3]["hits"] == [] and recs[3]["smiles"] == "CCO" and recs[3]["source"] == "input"
    assert recs[6]["hits"][0] == "T-NPP"  # resolved by abbreviation: the structure and its source are logged
    assert recs[6]["smiles"] and "T-NPP" in recs[6]["source"]


def test_env_var_and_append_never_rewrites(tmp_path):
    log = tmp_path / "audit.jsonl"
    assert cli_run("cas", "79099-07-3", *MINI, "-q", env={"PRECHECK_AUDIT_LOG": str(log)}).returncode == 1
    first = log.read_bytes()
    assert first.count(b"\n") == 1
    assert cli_run("smiles", "CCO", "c1ccccc1", *MINI, "-q", env={"PRECHECK_AUDIT_LOG": str(log)}).returncode == 0
    after = log.read_bytes()
    assert after.startswith(first) and after.count(b"\n") == 3
    v = verify(log)
    assert v.ok and v.lines == 3 and v.verdicts == {"controlled": 1, "clear": 2}


def test_verify_reports_span_and_counts_through_the_binary(tmp_path):
    log = tmp_path / "audit.jsonl"
    run("check", *QUERIES, *MINI, "-q", "--audit-log", log)
    p = run("audit", "verify", log)
    assert p.returncode == 0, p.stderr
    assert "6 lines, well formed" in p.stdout and "span: " in p.stdout
    assert "1 controlled, 1 watch, 1 analog, 1 clear, 1 unresolved, 1 invalid" in p.stdout
    assert "users: " in p.stdout


def test_verify_fails_on_malformed_out_of_order_and_truncated_lines(tmp_path):
    log = tmp_path / "audit.jsonl"
    with AuditLog(log, META, batch_lines=1) as a:
        for q in ("a", "b", "c"):
            a.add_record({"input": q, "smiles": None, "source": None, "verdict": "clear", "hits": []})
    good = log.read_text()
    assert cli_run("audit", "verify", log).returncode == 0

    recs = [json.loads(x) for x in good.splitlines()]
    recs[1]["time"] = "2000-01-01T00:00:00.000000Z"  # a line edited (or spliced in) with an earlier time
    log.write_text("".join(json.dumps(r) + "\n" for r in recs))
    p = cli_run("audit", "verify", log)
    assert p.returncode == 3 and "earlier than a line before them: line 2" in p.stderr

    log.write_text(good + "not json\n" + json.dumps({"time": recs[0]["time"]}) + "\n")
    p = cli_run("audit", "verify", log)
    assert p.returncode == 3
    assert "line 4: not JSON" in p.stderr and "line 5: missing user" in p.stderr
    assert "NOT well formed" in p.stdout

    log.write_text(good + good.splitlines()[-1][:40])  # a torn write: no newline at the end
    p = cli_run("audit", "verify", log)
    assert p.returncode == 3 and "line 4: no newline" in p.stderr

    log.write_text("")
    assert cli_run("audit", "verify", log).returncode == 3
    assert cli_run("audit", "verify", tmp_path / "missing.jsonl").returncode == 3


def test_unwritable_audit_log_is_exit_3_before_screening(tmp_path):
    p = cli_run("cas", "79099-07-3", *MINI, "--audit-log", tmp_path / "no" / "such" / "dir" / "audit.jsonl")
    assert p.returncode == 3 and "cannot open audit log" in p.stderr
    assert not p.stdout


@pytest.mark.slow
def test_concurrent_processes_never_interleave_lines(tmp_path):
    """4 real precheck processes x 50 queries each append to one log: 200 whole lines."""
    log = tmp_path / "audit.jsonl"
    procs = []
    for k in range(4):
        queries = "".join(f"{q}\n" for q in (QUERIES * 9)[:50])
        p = subprocess.Popen([precheck_bin(), "check", "-", *MINI, "-q", "-f", "jsonl", "-o", str(tmp_path / f"{k}.jsonl"),
                              "--audit-log", str(log)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        procs.append((p, queries))
    for p, queries in procs:
        p.communicate(queries, timeout=300)
        assert p.returncode == 1
    recs = lines(log)
    assert len(recs) == 200
    assert len({r["pid"] for r in recs}) == 4
    v = verify(log)
    assert v.ok, (v.problems, v.out_of_order)
    assert v.lines == 200 and sum(v.verdicts.values()) == 200


def _writer(path, k, n):
    big = "x" * 20_000  # lines far above PIPE_BUF (4 KiB): atomicity comes from the lock, not the kernel
    with AuditLog(path, META, batch_lines=1 + k) as a:
        for i in range(n):
            a.add_record({"input": f"{k}:{i}:{big}", "smiles": None, "source": None, "verdict": "clear",
                          "hits": []})


@pytest.mark.slow
def test_concurrent_large_lines_from_the_library(tmp_path):
    log = tmp_path / "audit.jsonl"
    ctx = mp.get_context("spawn")
    ps = [ctx.Process(target=_writer, args=(str(log), k, 50)) for k in range(4)]
    for p in ps:
        p.start()
    for p in ps:
        p.join(120)
        assert p.exitcode == 0
    recs = lines(log)
    assert len(recs) == 200
    for k in range(4):  # each writer's lines are all there, whole and in its own order
        mine = [int(r["input"].split(":")[1]) for r in recs if r["input"].startswith(f"{k}:")]
        assert mine == list(range(50))
    assert verify(log).ok


def test_batch_screen_command_logs_too(tmp_path):
    src = tmp_path / "orders.csv"
    src.write_text("id,cas\n1,79099-07-3\n2,64-17-5\n3,1609-66-5\n")
    log = tmp_path / "audit.jsonl"
    p = cli_run("screen", src, *MINI, "-q", "-j", "0", "-f", "jsonl", "--audit-log", log)
    assert p.returncode == 1, p.stderr
    recs = lines(log)
    assert [r["input"] for r in recs] == ["79099-07-3", "64-17-5", "1609-66-5"]
    assert recs[0]["verdict"] == "controlled" and recs[2]["verdict"] == "invalid"
