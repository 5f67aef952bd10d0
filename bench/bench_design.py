"""The measurements behind two design choices of the per-molecule screen (docs/performance.md).

1. Standardisation: precheck's string-gated path (split fragments only when the SMILES has a
   '.', neutralise only when it has a charge) against RDKit's convenience standardisers
   (ChargeParent; LargestFragmentChooser + Uncharger on every molecule).
2. Class rules: the shipped rules' include patterns as one FilterCatalog against precheck's
   gated catalogue (`watchlist.rules.rules_matching`: relaxed gates chosen by ring and
   formula, full pattern only behind a passed gate).

In process, CPU time, best of several interleaved rounds, on a fixed random sample of the
`chemicals` package's PubChem table (the corpus bench_batch.py uses).

    python bench/bench_design.py            # 2,000 molecules (~1 min on 2 cores)
    python bench/bench_design.py --n 10000

Printed, and written to bench/results/design.txt.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_batch import LINES, _loadavg, corpus, say  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "design.txt"


def best_of(stages: dict, rounds: int, n: int) -> dict[str, float]:
    best = dict.fromkeys(stages, float("inf"))
    for _ in range(rounds):
        for label, (fn, items) in stages.items():
            t0 = time.process_time()
            for x in items:
                fn(x)
            best[label] = min(best[label], (time.process_time() - t0) / n * 1e6)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="sample size (default 2000)")
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()

    from rdkit import Chem, RDLogger
    from rdkit.Chem import FilterCatalog
    from rdkit.Chem.MolStandardize import rdMolStandardize

    from precursor_check.chemistry import standardise
    from precursor_check.watchlist.compile import load_compiled
    from precursor_check.watchlist.rules import rules_matching

    RDLogger.DisableLog("rdApp.*")
    smiles = [s for s in random.Random(7).sample(corpus()[0], a.n) if Chem.MolFromSmiles(s) is not None]
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    n = len(smiles)
    chooser, uncharger = rdMolStandardize.LargestFragmentChooser(), rdMolStandardize.Uncharger()

    say(f"load average before: {_loadavg()} (the machine is shared: compare ratios, not microseconds)")
    say(f"{n} molecules, CPU µs per molecule, best of {a.rounds} interleaved rounds")
    say("1. standardisation (parse included in every row)")
    parse = lambda s: Chem.MolFromSmiles(s)  # noqa: E731
    got = best_of({
        "parse only (MolFromSmiles)": (parse, smiles),
        "precheck standardise_smiles (string-gated)": (standardise.standardise_smiles, smiles),
        "LargestFragmentChooser + Uncharger": (lambda s: uncharger.uncharge(chooser.choose(parse(s))), smiles),
        "rdMolStandardize.ChargeParent": (lambda s: rdMolStandardize.ChargeParent(parse(s)), smiles),
    }, a.rounds, n)
    for label, us in got.items():
        say(f"   {label:44s} {us:8.1f}")

    c = load_compiled()
    rules = c.watchlist.rules
    parts = [p for s in smiles for p in standardise.standardise_smiles(s).parts]
    whole = FilterCatalog.FilterCatalog()
    for r in rules:
        for i, smarts in enumerate(r.smarts):
            whole.AddEntry(FilterCatalog.FilterCatalogEntry(f"{r.id}/{i}", FilterCatalog.SmartsMatcher(
                f"{r.id}/{i}", Chem.MolFromSmarts(smarts), 1)))
    passed = sum(bool(c.gates.candidates(p.mol, p.formula)) for p in parts)
    say(f"2. class rules ({len(rules)} rules, {len(c.gates.gates)} include patterns; per standardised part, "
          f"{len(parts)} parts)")
    got = best_of({
        "include patterns, one FilterCatalog": (lambda p: whole.GetMatches(p.mol), parts),
        "gates only (GateCatalog.candidates)": (lambda p: c.gates.candidates(p.mol, p.formula), parts),
        "precheck rules_matching (gates, then patterns)": (lambda p: rules_matching(c, p.mol, p.formula), parts),
    }, a.rounds, len(parts))
    for label, us in got.items():
        say(f"   {label:44s} {us:8.1f}")
    say(f"   parts passing at least one gate: {passed / len(parts):.1%}")
    say(f"load average after: {_loadavg()}")
    RESULTS.write_text("\n".join(LINES) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
