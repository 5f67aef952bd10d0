"""A newcomer's first hour, through the real binary: messages, help, exit codes, first run."""

from __future__ import annotations

import json
import re

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
