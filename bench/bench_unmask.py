"""What the unmasking step costs a batch: the same screen with and without it, in one run.

Corpus: the ~71k SMILES of the `chemicals` package's PubChem table ("pubchem large"). One
process screens every row with the shipped watchlist twice per repeat, once as shipped and once
with the unmasking step taken out (the compiled watchlist's unmasker set to None), alternating,
and keeps the best CPU time (`time.process_time`: this process only, so other load on a shared
machine moves it less than wall time) of each. Then, per molecule part: how many pass the two
gates and what the gates and the unmasking itself cost.

    python bench/bench_unmask.py [--limit N] [--repeat 2]     # writes bench/results/unmask.txt
"""

from __future__ import annotations

import argparse
import time
from importlib.util import find_spec
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "unmask.txt"


def corpus(limit: int | None) -> list[str]:
    ident = Path(list(find_spec("chemicals").submodule_search_locations)[0]) / "Identifiers"
    rows = []
    with open(ident / "chemical identifiers pubchem large.tsv", encoding="utf-8") as fh:
        for line in fh:
            p = line.split("\t", 6)
            if len(p) > 4 and p[4]:
                rows.append(p[4])
            if limit and len(rows) >= limit:
                break
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    from precursor_check import Screener
    from precursor_check.chemistry import molecules, standardise
    from precursor_check.watchlist.match import unmasked

    rows = corpus(args.limit)
    s = Screener()
    u = s.compiled.unmasker
    for smi in rows[:2000]:  # warm both paths (catalogues are built on first use)
        s.screen(smi, input_type="smiles")
    best = {"with": float("inf"), "without": float("inf")}
    verdicts = {}
    for _ in range(args.repeat):
        for mode in ("with", "without"):
            s.compiled.unmasker = u if mode == "with" else None
            t0 = time.process_time()
            out = [s.screen(smi, input_type="smiles").verdict.value for smi in rows]
            best[mode] = min(best[mode], time.process_time() - t0)
            verdicts[mode] = out
    s.compiled.unmasker = u
    n = len(rows)
    changed = sum(a != b for a, b in zip(verdicts["with"], verdicts["without"]))
    lines = [f"corpus: {n} SMILES of the chemicals package's PubChem table; shipped watchlist; one process, "
             f"best CPU time of {args.repeat} alternating runs each",
             f"  without unmasking: {best['without']:.1f} s ({best['without'] / n * 1e6:.0f} us/row)",
             f"  with unmasking:    {best['with']:.1f} s ({best['with'] / n * 1e6:.0f} us/row)",
             f"  cost of the unmasking step: {best['with'] / best['without'] - 1:+.1%} (target: at most +10 %)",
             f"  verdicts that differ: {changed} ({changed / n:.2%})"]
    parts = []
    for smi in rows:
        std = standardise.standardise_smiles(smi)
        if std is not None and not std.inorganic:
            parts += [p for p in std.parts if p.mol.GetNumHeavyAtoms() <= molecules.MAX_HEAVY_ATOMS]
    t0 = time.process_time()
    passed = [p for p in parts if u.possible(p.mol, p.formula)]
    gates = time.process_time() - t0
    t0 = time.process_time()
    found = sum(bool(unmasked(s.compiled, p.mol, p.formula)) for p in passed)
    work = time.process_time() - t0
    m = len(parts)
    lines += [f"per molecule part ({m} parts): {len(passed) / m:.2%} pass the gates ({gates / m * 1e6:.1f} us/part "
              f"for the gates); unmasking those costs {work / max(len(passed), 1) * 1e6:.0f} us each "
              f"({work / m * 1e6:.1f} us/part on average); {found} give a target or a clause's member"]
    text = "\n".join(lines)
    print(text)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text + "\n")


if __name__ == "__main__":
    main()
