"""Single-query start-up: `precheck CAS 79099-07-3` cold, against the import floor, same run.

Floor: `python -c "import rdkit.Chem, click, rich"`. Target: precheck <= 1.3x the floor.
A watchlist CAS number answered before is read back without RDKit (engines/answers.py); a
CAS number of the local table (50-00-0) is screened every time and is measured beside it.
The compiled-watchlist cache and the local-table index are warmed first (as after the
first run on a machine), and the package is byte-compiled (as a regular install is);
"cold" means a fresh process each time.

    python bench/bench_startup.py [--runs 31]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def once(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=31)
    args = ap.parse_args()
    exe = Path(sys.executable).parent / "precheck"
    precheck = [str(exe if exe.exists() else shutil.which("precheck")), "CAS", "79099-07-3"]
    floor = [sys.executable, "-c", "import rdkit.Chem, click, rich"]
    # byte-compile the package first, as `pip install` does for a regular (non-editable) install:
    # an editable checkout run with PYTHONDONTWRITEBYTECODE=1 recompiles every module on every start
    import precursor_check

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(precursor_check.__file__).parent)], check=True)
    other = precheck[:-1] + ["50-00-0"]  # a CAS number of the local table, not the watchlist: screened every time
    subprocess.run(precheck, capture_output=True)  # warm the caches once (the first answer is then stored)
    subprocess.run(other, capture_output=True)
    # strictly alternating triples, so all share the machine's noise; medians and the median of
    # the per-run ratios
    runs = [(once(floor), once(precheck), once(other)) for _ in range(args.runs)]
    f = statistics.median(a for a, _, _ in runs)
    p = statistics.median(b for _, b, _ in runs)
    o = statistics.median(c for _, _, c in runs)
    r = statistics.median(b / a for a, b, _ in runs)
    ro = statistics.median(c / a for a, _, c in runs)
    try:
        load = open("/proc/loadavg").read().split()[0]
    except OSError:
        load = "?"
    lines = [
        f"floor  python -c 'import rdkit.Chem, click, rich': {f * 1000:.0f} ms (median of {args.runs}, alternating; "
        f"load average {load})",
        f"precheck CAS 79099-07-3:                         {p * 1000:.0f} ms",
        f"ratio: {p / f:.2f}x of the medians, {r:.2f}x median per run (target <= 1.30x)",
        f"precheck CAS 50-00-0 (local table, screened):    {o * 1000:.0f} ms: {o / f:.2f}x of the medians, "
        f"{ro:.2f}x median per run",
    ]
    print("\n".join(lines))
    out = Path(__file__).parent / "results" / "startup.txt"
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
