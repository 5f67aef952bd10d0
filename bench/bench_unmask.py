"""What the unmasking step costs a batch: the same screen with and without it, in one run.

Corpus: the ~71k SMILES of the `chemicals` package's PubChem table ("pubchem large"). One
process screens every row with the shipped watchlist twice per repeat, once as shipped and once
with the unmasking step taken out (the compiled watchlist's unmasker set to None), alternating,
and sums the CPU time (`time.process_time`: this process only, so other load on a shared
machine moves it less than wall time) of each, interleaved in chunks of 256 rows. Two paths:
the batch path (`Screener.screen_chunk`, what `precheck screen` runs on a chunk of SMILES) and
the single-row path (`Screener.screen`, row by row). Then, per molecule part: how many pass the
two gates and what the gates and the unmasking itself cost.

    python bench/bench_unmask.py [--limit N] [--repeat 1] [--path chunk|row|both]   # writes bench/results/unmask.txt

`--single` measures one query instead, as `precheck smiles` screens it: a fresh process per
query (compiled-watchlist cache warm, package byte-compiled), the first `Screener.screen` call
timed (wall and CPU), with and without the unmasking step, alternating, medians of `--runs`:

    python bench/bench_unmask.py --single [--runs 9]   # writes bench/results/unmask-single.txt
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


def interleaved(s, u, rows: list[str], repeat: int, chunked: bool) -> tuple[dict, int]:
    """CPU seconds per mode ({"with", "without"}) over `repeat` passes, and verdicts that differ."""
    spent = {"with": 0.0, "without": 0.0}
    verdicts: dict[str, list] = {"with": [], "without": []}
    for _ in range(repeat):
        verdicts = {"with": [], "without": []}
        for start in range(0, len(rows), 256):
            chunk = rows[start:start + 256]
            for mode in (("with", "without") if start % 512 else ("without", "with")):
                s.compiled.unmasker = u if mode == "with" else None
                t0 = time.process_time()
                if chunked:
                    got = s.screen_chunk(chunk, "smiles")
                    got = [r if r is not None else s.screen(q, input_type="smiles") for q, r in zip(chunk, got)]
                else:
                    got = [s.screen(smi, input_type="smiles") for smi in chunk]
                spent[mode] += time.process_time() - t0
                verdicts[mode] += [r.verdict.value for r in got]
    s.compiled.unmasker = u
    return spent, sum(a != b for a, b in zip(verdicts["with"], verdicts["without"]))


SINGLE = [  # (label, SMILES): structures from OPSIN by name
    ("ibuprofen (plain)", "CC(C)Cc1ccc(cc1)C(C)C(=O)O"),  # 2-[4-(2-methylpropyl)phenyl]propanoic acid
    ("P2P pyrrolidine enamine", "CC(=Cc1ccccc1)N1CCCC1"),  # 1-(1-phenylprop-1-en-2-yl)pyrrolidine
    ("P2P ethylene ketal", "CC1(Cc2ccccc2)OCCO1"),  # 2-benzyl-2-methyl-1,3-dioxolane
    ("N-tosyl norfentanyl", "CCC(=O)N(c1ccccc1)C1CCN(S(=O)(=O)c2ccc(C)cc2)CC1"),
    # N-[1-(4-methylbenzenesulfonyl)piperidin-4-yl]-N-phenylpropanamide
]
_ONE = """
import sys, time
from precursor_check import Screener
s = Screener()
if sys.argv[2] == "without":
    s.compiled.unmasker = None
t0, c0 = time.perf_counter(), time.process_time()
r = s.screen(sys.argv[1], input_type="smiles")
print((time.perf_counter() - t0) * 1e3, (time.process_time() - c0) * 1e3, r.verdict.value)
"""


def single(runs: int) -> None:
    import statistics
    import subprocess
    import sys

    import precursor_check

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(precursor_check.__file__).parent)], check=True)
    subprocess.run([sys.executable, "-c", _ONE, "CCO", "with"], check=True, capture_output=True)  # warm the cache
    got: dict = {}
    for _ in range(runs):
        for label, smi in SINGLE:
            for mode in ("with", "without"):
                out = subprocess.run([sys.executable, "-c", _ONE, smi, mode], check=True, capture_output=True,
                                     text=True).stdout.split()
                got.setdefault((label, mode), []).append((float(out[0]), float(out[1]), out[2]))
    load = open("/proc/loadavg").read().split()[0]
    lines = [f"one query, first Screener.screen call in a fresh process, with and without the unmasking step "
             f"(medians of {runs} alternating runs; load average at the end {load}): wall ms / CPU ms"]
    for label, smi in SINGLE:
        w = got[(label, "with")]
        wo = got[(label, "without")]
        med = statistics.median
        lines.append(f"  {label:26s} with {med(x[0] for x in w):5.1f} / {med(x[1] for x in w):5.1f}   "
                     f"without {med(x[0] for x in wo):5.1f} / {med(x[1] for x in wo):5.1f}   "
                     f"({w[0][2]} / {wo[0][2]})  {smi}")
    # what a user waits for: the whole `precheck smiles` command, start-up included
    import shutil

    exe = shutil.which("precheck")
    if exe:
        whole: dict = {}
        for _ in range(runs):
            for label, smi in SINGLE:
                t0 = time.perf_counter()
                subprocess.run([exe, "smiles", smi, "-q"], capture_output=True)
                whole.setdefault(label, []).append((time.perf_counter() - t0) * 1e3)
        lines.append(f"the whole command, `precheck smiles SMILES -q` (wall ms, medians of {runs}):")
        lines += [f"  {label:26s} {statistics.median(whole[label]):5.0f}" for label, _smi in SINGLE]
    text = "\n".join(lines)
    print(text)
    (RESULTS.parent / "unmask-single.txt").write_text(text + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--path", choices=("chunk", "row", "both"), default="both")
    ap.add_argument("--single", action="store_true", help="one query in a fresh process, not the corpus")
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    if args.single:
        return single(args.runs)
    from precursor_check.chemistry import molecules, standardise
    from precursor_check.engines.batch import ScreenerConfig
    from precursor_check.watchlist.match import unmasked

    rows = corpus(args.limit)
    s = ScreenerConfig().build()  # as a batch worker builds it
    u = s.compiled.unmasker
    for start in range(0, min(2000, len(rows)), 256):  # warm both paths (catalogues are built on first use)
        s.screen_chunk(rows[start:start + 256], "smiles")
    n = len(rows)
    load = open("/proc/loadavg").read().split()[0]
    lines = [f"corpus: {n} SMILES of the chemicals package's PubChem table; shipped watchlist; one process, "
             f"CPU time, with and without the unmasking step interleaved in chunks of 256 rows, "
             f"{args.repeat} pass(es) each; load average at the start {load}"]
    paths = [("batch path (Screener.screen_chunk, as `precheck screen`)", True),
             ("single-row path (Screener.screen)", False)]
    for label, chunked in paths:
        if args.path != "both" and chunked != (args.path == "chunk"):
            continue
        spent, changed = interleaved(s, u, rows, args.repeat, chunked)
        best = {k: v / args.repeat for k, v in spent.items()}
        lines += [f"{label}:",
                  f"  without unmasking: {best['without']:.1f} s ({best['without'] / n * 1e6:.0f} us/row)",
                  f"  with unmasking:    {best['with']:.1f} s ({best['with'] / n * 1e6:.0f} us/row)",
                  f"  cost of the unmasking step: {best['with'] / best['without'] - 1:+.1%} (target: at most +10 %)",
                  f"  verdicts that differ: {changed} ({changed / n:.2%})"]
        print("\n".join(lines[-5:]), flush=True)
    parts = []
    for smi in rows:
        std = standardise.standardise_smiles(smi)
        if std is not None and not std.inorganic:
            parts += [p for p in std.parts if p.mol.GetNumHeavyAtoms() <= molecules.MAX_HEAVY_ATOMS]
    fps = [molecules.fingerprint(p.mol) for p in parts]  # the screen computes it for similarity anyway
    t0 = time.process_time()
    passed = [p for p, fp in zip(parts, fps) if u.possible(p.mol, p.formula, fp)]
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
