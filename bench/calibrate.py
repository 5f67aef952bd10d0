"""Calibrate the similarity threshold on ordinary chemicals, and check recall on relatives.

Screens the ~71k chemicals of the `chemicals` package's PubChem table ("pubchem large")
with the shipped watchlist, records each molecule's non-similarity verdict and its best
Tanimoto to a similarity-eligible entry, and reports for a range of thresholds:
  - how many ordinary chemicals come out controlled / watch / analog;
  - recall on relatives, which must never come out clear: the salt of every entry, the
    methyl/ethyl esters of every acid, every ring position substituted with F/Cl/CH3, and the
    must-match examples of every rule (designer relatives), per kind.
It also lists every chemical that comes out `controlled`, for review: each must be a
listed substance, a salt of one, or a member of a legal clause; per regime (chemical
weapons, explosives precursors), every chemical that is controlled only because of that
regime (screened a second time with `regimes=["drug-precursors"]` to tell them apart).
And every chemical with a
`masked` hit (docs/unmasking.md) goes to bench/results/unmasking-flagged.tsv with its
transforms and target, marked `new` where unmasking alone flags it at the default threshold.

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
_D = None  # the same watchlist, drug-precursor listings only


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
    global _S, _D
    from precursor_check import Screener

    _S = Screener(threshold=1.01)  # similarity recorded via `nearest`, applied offline
    _D = Screener(threshold=1.01, regimes=["drug-precursors"])


def _screen(batch):
    from precursor_check.chemistry import molecules
    from precursor_check.model import MatchKind
    from precursor_check.watchlist.match import MASK_FREE_THRESHOLD, verdict_of

    u = _S.compiled.unmasker
    out = []
    for cas, smi, name in batch:
        r = _S.screen(smi, input_type="smiles")
        base = r.verdict.value
        best = 0.0
        for eid, score in r.nearest:  # the best similarity that would make a hit (a shared mask alone does not)
            masks = u.entry_masks.get(eid) if u is not None else None
            if masks and score >= min(THRESHOLDS):
                frees = [u.mask_free_score(p.mol, masks) for p in _parts(molecules.parse_smiles(smi))]
                frees = [f for f in frees if f is not None]
                if frees and max(frees) < MASK_FREE_THRESHOLD:
                    continue
            best = score
            break
        top = r.top.reason if r.top else ""
        masked = [(h.id, "+".join(h.steps), h.product) for h in r.hits if h.match is MatchKind.MASKED and h.counted]
        without = verdict_of([h for h in r.hits if h.match is not MatchKind.MASKED]).value if masked else base
        regimes = sorted({lst.regime for h in r.hits if h.counted and h.verdict.value == "controlled" for lst in h.lists})
        drug = _D.screen(smi, input_type="smiles").verdict.value if base != "clear" else base
        out.append((cas, smi, name, base, best, top, masked, without, drug, regimes))
    return out


def _parts(mol):
    from precursor_check.chemistry import standardise

    return standardise.standardise(mol).parts if mol is not None else ()


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
    _init()
    positives = positives_set()
    lines.append("threshold  controlled  watch  analog (share)   relatives not clear: " + ", ".join(positives))
    for t in THRESHOLDS:
        c = Counter()
        for _cas, _smi, _name, v, best, *_rest in results:
            if v in ("clear",) and best >= t:
                v = "analog"
            c[v] += 1
        rec = recall(positives, t)
        lines.append(f"  {t:.2f}     {c['controlled']:6d}  {c['watch']:5d}  {c['analog']:6d} ({c['analog'] / n:.2%})   "
                     + ", ".join(f"{a}/{b}" for a, b in rec.values()))
    lines.append("")
    lines.append("every ordinary chemical that came out `controlled` (review: each must be a listed substance,")
    lines.append("a salt or isomer of one, or a member of a legal clause):")
    for cas, smi, name, v, _best, top, *_rest in sorted(results, key=lambda r: r[5]):
        if v == "controlled":
            lines.append(f"  {cas:12s} {name[:40]:40s} {top[:110]}")
    drug = Counter(r[8] for r in results)
    lines.append("")
    lines.append("drug-precursor listings only (regimes=['drug-precursors']), without similarity: "
                 + ", ".join(f"{k} {v}" for k, v in drug.most_common()))
    for regime in ("chemical-weapons", "explosives-precursors"):
        new = [r for r in results if r[3] == "controlled" and r[8] != "controlled" and regime in r[9]]
        lines.append("")
        lines.append(f"controlled only because of the {regime} regime ({len(new)}; review: each must be a listed")
        lines.append("substance, a salt of one, or a member of a family the Annex defines):")
        for cas, smi, name, v, _best, top, *_rest in sorted(new, key=lambda r: r[5]):
            lines.append(f"  {cas:12s} {name[:40]:40s} {top[:150]}")
    lines += [""] + unmasking_report(results)
    text = "\n".join(lines)
    print(text)
    out = Path(__file__).parent / "results" / "calibration.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text + "\n")


def unmasking_report(results, default: float = 0.55) -> list[str]:
    """Summary lines, and every chemical with a masked hit written to results/unmasking-flagged.tsv."""
    flagged = [r for r in results if r[6]]
    new = [r for r in flagged if r[7] == "clear" and r[4] < default]
    by_transform: Counter = Counter()
    by_target: Counter = Counter()
    rows = ["cas\tname\tsmiles\tnew\tverdict_without_unmasking\tbest_similarity\ttransforms\ttarget\tproduct"]
    for cas, smi, name, _v, best, _top, masked, without, *_rest in sorted(flagged, key=lambda r: (r[6][0][1], r[6][0][0])):
        is_new = without == "clear" and best < default
        for target, steps, product in masked:
            rows.append(f"{cas}\t{name}\t{smi}\t{'new' if is_new else ''}\t{without}\t{best:.2f}\t{steps}\t{target}\t{product}")
        if is_new:
            by_transform[masked[0][1]] += 1
            by_target[masked[0][0]] += 1
    out = Path(__file__).parent / "results" / "unmasking-flagged.tsv"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(rows) + "\n")
    n = len(results)
    lines = [f"unmasking: {len(flagged)} chemicals have a `masked` hit; {len(new)} ({len(new) / n:.2%}) are flagged by "
             f"it alone at {default:.2f} (every one in results/unmasking-flagged.tsv)",
             "  newly flagged, by first transform chain: " + ", ".join(f"{k} {v}" for k, v in by_transform.most_common()),
             "  newly flagged, by target: " + ", ".join(f"{k} {v}" for k, v in by_target.most_common())]
    return lines


def positives_set() -> dict[str, list[str]]:
    """Relatives that must not come out clear, by kind, built from the watchlist by structure edits:
    the hydrochloride of every entry, the methyl and ethyl esters of every acid entry, every
    single ring position of every entry with F, Cl or CH3 in place of H, and every rule's
    must-match examples (designer relatives written by hand)."""
    from rdkit import Chem
    from rdkit.Chem import AllChem

    wl = _S.watchlist
    bases = [Chem.MolFromSmiles(e.smiles) for e in wl.entries if e.smiles and e.similarity]
    bases = [m for m in bases if m is not None and m.GetNumHeavyAtoms() >= 6]
    edits = {
        "esters": ["[C:1](=[O:2])[OX2H1:3]>>[C:1](=[O:2])[O:3]C", "[C:1](=[O:2])[OX2H1:3]>>[C:1](=[O:2])[O:3]CC"],
        "ring-substituted": ["[cH:1]>>[c:1]F", "[cH:1]>>[c:1]Cl", "[cH:1]>>[c:1]C"],
    }
    pos: dict[str, list[str]] = {"salts": [Chem.MolToSmiles(m) + ".Cl" for m in bases]}
    for kind, smarts in edits.items():
        found: set[str] = set()
        for sm in smarts:
            rxn = AllChem.ReactionFromSmarts(sm)
            for m in bases:
                for prods in rxn.RunReactants((m,)):
                    p = prods[0]
                    try:
                        Chem.SanitizeMol(p)
                    except Exception:
                        continue
                    found.add(Chem.MolToSmiles(p))
        pos[kind] = sorted(found)
    pos["rule examples"] = [s for r in wl.rules for s in r.examples_match]
    return pos


def recall(pos: dict[str, list[str]], t: float) -> dict[str, tuple[int, int]]:
    out = {}
    for kind, smiles in pos.items():
        caught = 0
        for smi in smiles:
            r = _S.screen(smi, input_type="smiles")
            best = r.nearest[0][1] if r.nearest else 0.0
            if r.verdict.is_hit or best >= t:
                caught += 1
        out[kind] = (caught, len(smiles))
    return out


if __name__ == "__main__":
    main()
