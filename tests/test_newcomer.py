"""A newcomer's first hour, through the real binary: messages, help, exit codes, first run."""

from __future__ import annotations

import json

from conftest import run


def test_reason_names_the_confidence_with_its_list_and_keeps_the_act_number():
    p = run("cas", "7722-64-7", "-f", "jsonl", "-q")  # US List II still from recollection (issue 20)
    reason = json.loads(p.stdout)["hits"][0]["reason"]
    assert "US List II (recollection), 21 CFR 1310.02(b)" in reason
    assert "; recollection" not in reason
    assert "EU Category 2B, Regulation (EC) 273/2004" in reason
    p = run("cas", "39742-60-4", "-f", "jsonl", "-q")
    reason = json.loads(p.stdout)["hits"][0]["reason"]
    assert "EU Category 1 (recollection), Delegated Regulation (EU) 2018/729" in reason
    assert "CN Category I (unverified), 易制毒化学品的分类和品种目录" in reason
