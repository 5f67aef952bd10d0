"""Dask engine overhead against the local multiprocessing engine, same input, same run.

Input: the first --rows SMILES (column 5; 0: all 71k) of the `chemicals` package's "chemical
identifiers pubchem large.tsv", written as --files Parquet files (the dask input) and as one Parquet file
with the same rows (the local engine's input). Both engines screen with the shipped watchlist on
--workers processes, end to end through the real `precheck` binary (start-up, cluster start,
reading, screening, writing). The two are interleaved --repeats times; the best of each counts.
Also printed: each run's own screen time (the summary line), i.e. without process start-up.

    python bench/bench_dask.py [--rows 0] [--files 8] [--workers 2] [--repeats 3]

Writes bench/results/dask.txt. The machine's 1-minute load average is recorded before every run:
other processes on a shared 2-core box inflate both figures, the ratio less so (the engines
alternate, so both see the same load on average).
"""

from __future__ import annotations

import argparse
import importlib.resources
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def smiles_corpus(rows: int) -> list[str]:
    base = importlib.resources.files("chemicals") / "Identifiers" / "chemical identifiers pubchem large.tsv"
    out = []
    with base.open("r", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            cols = line.rstrip("\n").split("\t")
            if len(cols) > 4 and cols[4]:
                out.append(cols[4])
                if rows and len(out) >= rows:
                    break
    return out


def precheck() -> str:
    exe = Path(sys.executable).parent / "precheck"
    return str(exe if exe.exists() else shutil.which("precheck"))


def timed(cmd: list[str], summary_json: Path | None = None) -> tuple[float, float, str, float | None]:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode not in (0, 1, 3):
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
    line = [ln for ln in r.stderr.splitlines() if " queries: " in ln][-1]
    inner = float(re.search(r"\(([\d.]+) s", line).group(1))
    tasks = None
    if summary_json is not None:
        import json

        tasks = json.loads(summary_json.read_text())["task_seconds"]
    return wall, inner, line.split(" (")[0], tasks


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=0)
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    import pyarrow as pa
    import pyarrow.parquet as pq

    smiles = smiles_corpus(args.rows)
    n = len(smiles)
    tmp = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    try:
        (tmp / "in").mkdir()
        per = -(-n // args.files)
        for k in range(args.files):
            part = smiles[k * per:(k + 1) * per]
            pq.write_table(pa.table({"id": list(range(k * per, k * per + len(part))), "smiles": part}),
                           tmp / "in" / f"part-{k:02d}.parquet")
        pq.write_table(pa.table({"id": list(range(n)), "smiles": smiles}), tmp / "all.parquet")
        exe = precheck()
        j = ["-j", str(args.workers)]
        local = [exe, "screen", str(tmp / "all.parquet"), "-o", str(tmp / "local.parquet"), *j]
        dask = [exe, "screen", str(tmp / "in" / "*.parquet"), "--engine", "dask", "-o", str(tmp / "out"), *j]
        subprocess.run([exe, "screen", str(tmp / "in" / "part-00.parquet"), "-o", str(tmp / "warm.parquet")],
                       capture_output=True)  # warm the watchlist cache
        runs: dict[str, list[tuple[float, float]]] = {"local": [], "dask": []}
        task_seconds: list[float] = []
        loads: list[float] = []
        counts = {}
        for _ in range(args.repeats):
            for name, cmd in (("local", local), ("dask", dask)):
                loads.append(os.getloadavg()[0])
                wall, inner, summary, tasks = timed(cmd, tmp / "out" / "_precheck_summary.json" if name == "dask" else None)
                runs[name].append((wall, inner))
                if tasks is not None:
                    task_seconds.append(tasks)
                counts[name] = summary.split(": ", 1)[1]
                print(f"  {name:5s} load {loads[-1]:4.1f}  wall {wall:6.2f} s   screen {inner:6.2f} s   {summary}",
                      flush=True)
        loads.append(os.getloadavg()[0])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    lw, li = min(w for w, _ in runs["local"]), min(i for _, i in runs["local"])
    dw, di = min(w for w, _ in runs["dask"]), min(i for _, i in runs["dask"])
    lines = [
        f"bench_dask: {n:,} SMILES (pubchem large.tsv, column 5) in {args.files} Parquet files vs one file; "
        f"shipped watchlist; {args.workers} workers; {os.cpu_count()} cores; best of {args.repeats}",
        f"1-min load average before each run and at the end: {' '.join(f'{x:.1f}' for x in loads)} "
        f"(other processes share these cores)",
        f"local (multiprocessing Pool): wall {lw:6.2f} s ({n / lw:7,.0f} rows/s) | screen {li:6.2f} s "
        f"({n / li:7,.0f} rows/s, {n / li / args.workers:6,.0f} rows/s/core)",
        f"dask (LocalCluster, 1 thread/worker): wall {dw:6.2f} s ({n / dw:7,.0f} rows/s) | screen {di:6.2f} s "
        f"({n / di:7,.0f} rows/s, {n / di / args.workers:6,.0f} rows/s/core)",
        f"ratio dask/local: wall {dw / lw:.2f}x, screen (incl. cluster start and worker warm-up) {di / li:.2f}x",
        f"dask overhead: {100 * (dw / lw - 1):+.0f}% wall ({dw - lw:+.1f} s), "
        f"{100 * (di / li - 1):+.0f}% screen ({di - li:+.1f} s)",
        f"dask per core inside the tasks (rows / summed task seconds, best run): {n / min(task_seconds):,.0f} rows/s "
        f"(local engine: {n / li / args.workers:,.0f} rows/s/core incl. pool start)",
        f"verdicts identical: {counts['local'] == counts['dask']} ({counts['dask']})",
    ]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    out = Path(__file__).resolve().parent / "results" / "dask.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)


if __name__ == "__main__":
    main()
