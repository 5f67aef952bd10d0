"""Calibrate the similarity threshold on ordinary chemicals, and check recall on relatives.

Screens the ~71k chemicals of the `chemicals` package's PubChem table ("pubchem large")
with the shipped watchlist, records each molecule's non-similarity verdict and its best
Tanimoto to a similarity-eligible entry, and reports for a range of thresholds:
  - how many ordinary chemicals come out controlled / watch / analog;
  - recall on positives: salts of every entry, and the must-match examples of every rule
    (designer relatives), which must never come out clear.
It also lists every chemical that comes out `controlled`, for review: each must be a
listed substance, a salt of one, or a member of a legal clause.

    python bench/calibrate.py [--limit N] [--workers 2]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from importlib.util import find_spec
from pathlib import Path

THRESHOLDS = (0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)
_S = None


def corpus(limit: int | None) -> list[tuple[str, str, str]]:
    ident = Path(list(find_spec("chemicals").submodule_search_locations)[0]) / "Identifiers"
    rows = []
    with open(ident / "chemical identifiers pubchem large.tsv", encoding="utf-8") as fh:
        for line in fh:
            p = line.split("\t")
            rows.append((p[1], p[4], p[8]))
            if limit and len(rows) >= limit:
                break
    return rows


def _init():
    global _S
    from precursor_check import Screener

    _S = Screener(threshold=1.01)  # similarity recorded via `nearest`, applied offline


def _screen(batch):
    out = []
    for cas, smi, name in batch:
        r = _S.screen(smi, input_type="smiles")
        base = r.verdict.value
        best = r.nearest[0][1] if r.nearest else 0.0
        top = r.top.reason if r.top else ""
        out.append((cas, smi, name, base, best, top))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    rows = corpus(args.limit)
    t0 = time.perf_counter()
    chunks = [rows[i:i + 500] for i in range(0, len(rows), 500)]
    results = []
    with ProcessPoolExecutor(args.workers, initializer=_init) as ex:
        for part in ex.map(_screen, chunks):
            results.extend(part)
    secs = time.perf_counter() - t0
    n = len(results)
    lines = [f"corpus: {n} chemicals of the chemicals package's PubChem table, screened in {secs:.0f} s"]
    base = Counter(r[3] for r in results)
    lines.append("without similarity: " + ", ".join(f"{k} {v}" for k, v in base.most_common()))
    lines.append("")
    lines.append("threshold  controlled  watch  analog (share)   recall on relatives")
    _init()
    positives = positives_set()
    for t in THRESHOLDS:
        c = Counter()
        for _cas, _smi, _name, v, best, _ in results:
            if v in ("clear",) and best >= t:
                v = "analog"
            c[v] += 1
        rec = recall(positives, t)
        lines.append(f"  {t:.2f}     {c['controlled']:6d}  {c['watch']:5d}  {c['analog']:6d} ({c['analog'] / n:.2%})"
                     f"   {rec[0]}/{rec[1]} caught")
    lines.append("")
    lines.append("every ordinary chemical that came out `controlled` (review: each must be a listed substance,")
    lines.append("a salt or isomer of one, or a member of a legal clause):")
    for cas, smi, name, v, _best, top in sorted(results, key=lambda r: r[5]):
        if v == "controlled":
            lines.append(f"  {cas:12s} {name[:40]:40s} {top[:110]}")
    text = "\n".join(lines)
    print(text)
    out = Path(__file__).parent / "results" / "calibration.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text + "\n")


def positives_set() -> list[str]:
    """Relatives that must not come out clear: salts of every entry and every rule's match examples."""
    wl = _S.watchlist
    pos = [f"{e.smiles}.Cl" for e in wl.entries if e.smiles and e.similarity]
    for r in wl.rules:
        pos += list(r.examples_match)
    return pos


def recall(pos: list[str], t: float) -> tuple[int, int]:
    caught = 0
    for smi in pos:
        r = _S.screen(smi, input_type="smiles")
        best = r.nearest[0][1] if r.nearest else 0.0
        if r.verdict.is_hit or best >= t:
            caught += 1
    return caught, len(pos)


if __name__ == "__main__":
    main()
