"""HTML report size and build time against the number of flagged rows.

Flagged rows are made from distinct ordinary chemicals of the local PubChem-derived table, each
given a similarity hit (so the slowest path runs: two depictions and a common-substructure search
per row) to a watchlist entry; one more run is a 100,000-row batch with 100 flagged rows.
Baseline in the same run: writing the same records as JSONL.

    python bench/bench_report.py [--sizes 100,1000,2000,5000]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sqlite3
import time


def records(n_flagged: int, n_clear: int = 0, seed: int = 1):
    from precursor_check.identify.localdb import default_path
    from precursor_check.watchlist.load import load

    wl = load()
    entries = [e for e in wl.entries if e.smiles]
    conn = sqlite3.connect(f"file:{default_path()}?mode=ro", uri=True)
    smiles = [s for (s,) in conn.execute(
        "SELECT smiles FROM chem WHERE length(smiles) BETWEEN 12 AND 60 AND smiles NOT LIKE '%.%' LIMIT ?",
        (n_flagged * 2,))]
    rnd = random.Random(seed)
    rnd.shuffle(smiles)
    meta = {"tool_version": "bench", "watchlist_version": wl.version, "watchlist_sha256": wl.sha256}
    out = []
    for i, s in enumerate(smiles[:n_flagged], start=1):
        e = rnd.choice(entries)
        hit = {"id": e.id, "name": e.name, "cas": e.cas, "match": "similarity", "verdict": "analog", "score": 0.61,
               "lists": [{"jurisdiction": x.jurisdiction, "list": x.list, "citation": x.citation,
                          "effective": x.effective} for x in e.listings],
               "reason": f"similar to {e.label}, Tanimoto 0.61", "families": list(e.families), "counted": True,
               "atoms": []}
        out.append({"row": i, "input": s, "input_type": "smiles", "verdict": "analog", "smiles": s, "hits": [hit],
                    **meta})
    for j in range(n_clear):
        out.append({"row": n_flagged + j + 1, "input": "CCO", "input_type": "smiles", "verdict": "clear",
                    "smiles": "CCO", "hits": [], **meta})
    return wl, out


def measure(n_flagged: int, n_clear: int = 0) -> tuple[int, float, float]:
    from precursor_check.io.formats.html import render

    wl, recs = records(n_flagged, n_clear)
    t0 = time.perf_counter()
    buf = io.StringIO()
    for r in recs:
        buf.write(json.dumps(r) + "\n")
    t_jsonl = time.perf_counter() - t0
    out = io.StringIO()
    t0 = time.perf_counter()
    render(recs, out, wl, max_drawn=10**9)
    return len(out.getvalue().encode()), time.perf_counter() - t0, t_jsonl


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,1000,2000,5000")
    args = ap.parse_args()
    print(f"{'flagged':>8} {'total':>8} {'size':>10} {'per flagged':>12} {'build s':>8} {'x JSONL':>8}")
    cases = [(int(n), 0) for n in args.sizes.split(",")] + [(100, 99_900)]
    for n, clear in cases:
        size, t, t_jsonl = measure(n, clear)
        print(f"{n:>8,} {n + clear:>8,} {size / 1e6:>8.2f} MB {size / n / 1e3:>9.1f} kB {t:>8.2f} "
              f"{t / max(t_jsonl, 1e-9):>8.0f}")


if __name__ == "__main__":
    main()
