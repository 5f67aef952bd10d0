"""Single-query start-up: `precheck CAS 79099-07-3` cold, against the import floor, same run.

Floor: `python -c "import rdkit.Chem, click, rich"`. Target: precheck <= 1.3x the floor.
The compiled-watchlist cache and the local-table index are warmed first (as after the
first run on a machine); "cold" means a fresh process each time.

    python bench/bench_startup.py [--runs 21]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def wall(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=21)
    args = ap.parse_args()
    exe = Path(sys.executable).parent / "precheck"
    precheck = [str(exe if exe.exists() else shutil.which("precheck")), "CAS", "79099-07-3"]
    floor = [sys.executable, "-c", "import rdkit.Chem, click, rich"]
    subprocess.run(precheck, capture_output=True)  # warm the caches once
    # interleave to share the machine's noise
    f1 = wall(floor, args.runs // 2)
    p1 = wall(precheck, args.runs // 2)
    f2 = wall(floor, args.runs - args.runs // 2)
    p2 = wall(precheck, args.runs - args.runs // 2)
    f, p = min(f1, f2), min(p1, p2)
    lines = [
        f"floor  python -c 'import rdkit.Chem, click, rich': {f * 1000:.0f} ms (median of {args.runs // 2}+)",
        f"precheck CAS 79099-07-3:                         {p * 1000:.0f} ms",
        f"ratio: {p / f:.2f}x (target <= 1.30x)",
    ]
    print("\n".join(lines))
    out = Path(__file__).parent / "results" / "startup.txt"
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
