"""`precheck text`: does free text find every name `precheck name` knows, stay quiet on ordinary
prose, and scan a large chat export quickly?

Three measurements, all through the installed `precheck` binary:

1. Recall on name forms. The forms: every name, synonym and abbreviation of every watchlist
   entry, the names the PubChem table of the `chemicals` package gives each listed CAS number
   (its name, IUPAC name and synonyms; catalogue codes such as 'UNII-...' or 'NSC 1234' are not
   names and are left out, and counted), and bench/corpora/name_forms.txt. Only the forms that
   `precheck name` resolves count. Each is written into a listing-style sentence; it is found when
   a finding on that line covers it and has the verdict `precheck name` gives it.
2. Quiet on prose: bench/corpora/listing_prose.txt (listing-style prose) and README-like English
   (the descriptions of the installed Python packages, read from their metadata at run time).
   Goal: no `unresolved` finding. Other findings (real chemicals named in cosmetics listings)
   are counted and listed.
3. Speed: a ~10 MB chat export (the prose and the listings above, with time stamps and user
   names, repeated) through `precheck text`, wall time.

    python bench/bench_text.py            # all three; results also in bench/results/text.txt
    python bench/bench_text.py --quick    # a 1 MB chat instead of 10 MB
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPORA = HERE / "corpora"
RESULTS = HERE / "results" / "text.txt"
TEMPLATES = [
    "Hot sale {}, 99%, 25kg/drum",
    "We can supply {} with the best price and fast delivery.",
    "{} in stock now",
    "Selling {} (high purity) - contact us on WhatsApp",
    "offer: {}; MOQ 1kg",
]
# catalogue and registry codes among PubChem synonyms: identifiers, not names written in listings
_CODE_PREFIX = re.compile(r"(?:UNII|EINECS|EC |NSC|CCRIS|HSDB|BRN|AI3|DTXSID|DTXCID|CHEMBL|SCHEMBL|MFCD|ZINC|AKOS|"
                          r"CAS|InChI|SMR|MLS|NCGC|BDBM|HMS|KBio|Spectrum|WLN|Tox21|CHEBI|BIDD|SBI|NCI|Lopac|"
                          r"Prestwick|PDSP|NINDS|EN300|Caswell|EPA|RCRA|UN\d|FEMA|BSPBio|IDI1|Pharmakon|STR|"
                          r"SpecPlus|BPBio|DivK|NSC-)", re.I)


def is_code(name: str) -> bool:
    """A catalogue or registry code among a chemical's synonyms ('UNII-5Q9...', 'NSC 1234', 'AB-123')."""
    return bool(_CODE_PREFIX.match(name)) or (not re.search(r"[a-z]", name) and bool(re.search(r"\d", name))) \
        or not re.search(r"[A-Za-z]{3}", name)


PACKAGES = ["rich", "click", "rapidfuzz", "platformdirs", "pandas", "numpy", "pytest", "pluggy", "packaging",
            "fsspec", "toolz", "cloudpickle", "psutil", "msgpack", "sortedcontainers", "partd",
            "markdown-it-py", "python-dateutil", "iniconfig", "locket", "tblib", "jinja2", "tornado"]


def precheck() -> str:
    exe = Path(sys.executable).parent / "precheck"
    return str(exe) if exe.exists() else shutil.which("precheck")


def run_text(text: str, workdir: Path) -> tuple[list[dict], float]:
    src = workdir / "input.txt"
    src.write_text(text, encoding="utf-8")
    out = workdir / "out.jsonl"
    import resource

    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run([precheck(), "text", str(src), "-f", "jsonl", "-o", str(out), "-q"],
                       capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    run_text.cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime  # Java (OPSIN) included
    if p.returncode not in (0, 1, 3):
        sys.exit(f"precheck text failed ({p.returncode}): {p.stderr}")
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()], seconds


def table_names(cas_numbers: set[str]) -> tuple[list[str], int]:
    """Names the `chemicals` PubChem table gives these CAS numbers, and how many codes were left out."""
    import importlib.util

    ident = Path(importlib.util.find_spec("chemicals").submodule_search_locations[0]) / "Identifiers"
    names, codes = [], 0
    for table in ("chemical identifiers pubchem small.tsv", "chemical identifiers pubchem large.tsv"):
        with open(ident / table, encoding="utf-8") as fh:
            for line in fh:
                p = line.rstrip("\n").split("\t")
                if len(p) > 8 and p[1] in cas_numbers:
                    for n in [p[8], p[7], *p[9:34]]:
                        if not n:
                            continue
                        if is_code(n):
                            codes += 1
                        else:
                            names.append(n)
    return names, codes


def name_forms() -> tuple[list[str], int]:
    from precursor_check import Screener

    wl = Screener(local_db=False, opsin=False).watchlist
    forms = [n for e in wl.entries for n in e.names]
    extra, codes = table_names({c for e in wl.entries for c in ([e.cas] if e.cas else []) + [o.cas for o in e.other_cas]})
    forms += extra
    forms += [ln.strip() for ln in (CORPORA / "name_forms.txt").read_text(encoding="utf-8").splitlines()
              if ln.strip() and not ln.startswith("#")]
    seen, out = set(), []
    for f in forms:
        f = " ".join(f.split())
        if f.lower() not in seen and len(f) >= 3:
            seen.add(f.lower())
            out.append(f)
    return out, codes


def resolved_by_name(forms: list[str], workdir: Path) -> dict[str, str]:
    """form -> the verdict `precheck name` gives it, for the forms it resolves. Screened as a batch of
    names (`precheck screen --type name`: the same resolver, with one OPSIN run per chunk rather
    than one Java start per name)."""
    import csv

    src = workdir / "names.csv"
    with open(src, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["name"])
        w.writerows([f] for f in forms)
    out_path = workdir / "names.jsonl"
    subprocess.run([precheck(), "screen", str(src), "--type", "name", "-f", "jsonl", "-o", str(out_path), "-q",
                    "--chunk-size", "2000"], capture_output=True, text=True)
    out = {}
    for line in out_path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        if r["verdict"] not in ("unresolved", "invalid"):
            out[r["input"]] = r["verdict"]
    return out


def recall(workdir: Path, report) -> None:
    forms, codes = name_forms()
    known = resolved_by_name(forms, workdir)
    lines, where = [], []
    rng = random.Random(16)
    for f in forms:
        if f in known:
            tpl = rng.choice(TEMPLATES)
            lines.append(tpl.format(f))
            where.append((f, tpl.index("{}")))
    findings, _s = run_text("\n".join(lines) + "\n", workdir)
    by_line: dict[int, list[dict]] = {}
    for r in findings:
        by_line.setdefault(r["line"], []).append(r)
    found = whole = 0
    missed, shorter = [], []
    for no, (f, at) in enumerate(where, start=1):
        same = [r for r in by_line.get(no, []) if r["start"] < at + len(f) and r["end"] > at
                and r["verdict"] == known[f]]
        if same:
            found += 1
            if any(r["start"] <= at and r["end"] >= at + len(f) for r in same):
                whole += 1
            else:
                shorter.append(f"{f!r}: found {[r['text'] for r in same]}")
        else:
            got = [(r["text"], r["verdict"]) for r in by_line.get(no, [])]
            missed.append(f"{f!r} ({known[f]}): found {got}")
    report(f"recall: {found}/{len(where)} name forms that `precheck name` resolves are found in text with "
           f"the verdict `precheck name` gives ({100 * found / max(1, len(where)):.1f} %); {whole} of them "
           f"with a span covering the whole form, {len(shorter)} as a part of it (a name without its "
           f"annotation: 'sulfuric acid' of 'sulfuric acid [nf]')")
    report(f"  forms tried: {len(forms)} ({len(forms) - len(where)} that `precheck name` does not resolve; "
           f"{codes} catalogue codes among the PubChem synonyms left out)")
    for m in missed:
        report(f"  missed: {m}")
    for m in shorter[:10]:
        report(f"  part: {m}")
    if len(shorter) > 10:
        report(f"  part: ... and {len(shorter) - 10} more")


def prose() -> list[str]:
    lines = [ln for ln in (CORPORA / "listing_prose.txt").read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.startswith("#")]
    readme = []
    for pkg in PACKAGES:
        try:
            meta = importlib.metadata.metadata(pkg)
        except importlib.metadata.PackageNotFoundError:
            continue
        body = meta.get_payload() or meta.get("Description") or ""
        readme += [ln for ln in body.splitlines() if re.search(r"[A-Za-z]{3}", ln)]
    return lines, readme


def quiet(workdir: Path, report) -> None:
    listing, readme = prose()
    for label, lines in (("listing-style prose", listing), ("README-like English", readme)):
        findings, _s = run_text("\n".join(lines) + "\n", workdir)
        counts: dict[str, int] = {}
        for r in findings:
            counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
        report(f"prose: {label}, {len(lines)} lines: {counts.get('unresolved', 0)} unresolved findings "
               f"(goal 0); all findings: {json.dumps(counts, sort_keys=True)}")
        for r in findings:
            report(f"  {r['verdict']}: {r['text']!r} (line {r['line']}: {lines[r['line'] - 1][:80]!r})")


def chat(size: int) -> str:
    listing, readme = prose()
    forms = [ln.strip() for ln in (CORPORA / "name_forms.txt").read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.startswith("#")]
    rng = random.Random(10)
    users = [f"user{i}" for i in range(40)]
    out, total, minute = [], 0, 0
    while total < size:
        minute += 1
        if rng.random() < 0.05:
            body = rng.choice(TEMPLATES).format(rng.choice(forms))
        else:
            body = rng.choice(listing if rng.random() < 0.6 else readme)
        line = f"[2026-11-{1 + minute // 1440 % 28:02d} {minute // 60 % 24:02d}:{minute % 60:02d}] {rng.choice(users)}: {body}\n"
        out.append(line)
        total += len(line.encode("utf-8"))
    return "".join(out)


def speed(workdir: Path, size: int, report) -> None:
    text = chat(size)
    findings, seconds = run_text(text, workdir)
    mb = len(text.encode("utf-8")) / 1e6
    report(f"speed: a {mb:.1f} MB chat export ({text.count(chr(10)):,} lines) scanned in {seconds:.1f} s wall, "
           f"{run_text.cpu:.1f} s CPU ({mb / run_text.cpu:.2f} MB per CPU second), {len(findings):,} findings, end to "
           f"end through the binary, one OPSIN run included (wall time depends on the machine's load: see the "
           f"load average above)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a 1 MB chat instead of 10 MB")
    ap.add_argument("--only", choices=["recall", "prose", "speed"], help="run one measurement")
    args = ap.parse_args()
    lines: list[str] = []

    def report(s: str) -> None:
        print(s, flush=True)
        lines.append(s)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    report(f"bench_text.py, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, load average {load:.1f}")
    with tempfile.TemporaryDirectory(prefix="bench-text-") as tmp:
        work = Path(tmp)
        if args.only in (None, "recall"):
            recall(work, report)
        if args.only in (None, "prose"):
            quiet(work, report)
        if args.only in (None, "speed"):
            speed(work, 1_000_000 if args.quick else 10_000_000, report)
    if args.only is None and not args.quick:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
