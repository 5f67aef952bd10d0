"""Would precheck have flagged each designer precursor before it was listed?

For every entry of the shipped watchlist with a dated first listing (the designer precursors
listed in the last ~15 years; undated entries are the long-listed ones they mask), screen its
structure as the law stood the day before that first listing (`--as-of`), and count only hits
that do not depend on hindsight:

  - `masked` (one or two unmasking steps give the entry back) and `similarity` hits,
  - on an entry other than the substance itself, in force that day (its first dated listing on
    or before the day, or long-listed: no dated listing at all); watch-list entries, which carry
    no listing date, do not count,
  - never a class rule or an alert rule (rules were written later, some for these very
    substances), nor a ring-substituted variant hit.

Commodity entries (`similarity: false`) are left out: they are not designer precursors.

    python bench/backtest.py            # prints the table, writes bench/results/backtest.txt
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "backtest.txt"
KINDS = ("masked", "similarity")


def first_listed(entry) -> str | None:
    dates = [lst.effective for lst in entry.listings if lst.effective]
    return min(dates) if dates else None


def in_force(entry, day: str) -> bool:
    """Listed on `day`: its first dated listing on or before it, or long-listed (no date at all)."""
    if entry.status == "watch" or not entry.listings:
        return False
    first = first_listed(entry)
    return first is None or first <= day


def main() -> None:
    from precursor_check import Screener

    base = Screener()
    wl = base.compiled.watchlist
    rows = []
    for e in wl.entries:
        first = first_listed(e)
        if not first or not e.smiles or not e.similarity:
            continue
        day = (dt.date.fromisoformat(first) - dt.timedelta(days=1)).isoformat()
        s = Screener(as_of=day)
        r = s.screen(e.smiles, input_type="smiles")
        found = []
        for h in r.hits:
            if h.match.value not in KINDS or h.id == e.id or h.id not in base.compiled._entries:
                continue
            target = base.compiled.entry(h.id)
            if not in_force(target, day):
                continue
            if h.match.value == "masked":
                found.append((0, len(h.steps), f"{' + '.join(h.steps)} -> {target.label}"))
            else:
                found.append((1, -h.score, f"similarity {h.score:.2f} -> {target.label}"))
        found.sort()
        rows.append((first, e.label, e.id, found))
    rows.sort()
    flagged = sum(1 for *_x, found in rows if found)
    lines = [
        "Designer precursors screened as the law stood the day before their first listing",
        "(only unmasking and similarity hits on entries already in force that day count):",
        "",
        f"{'first listed':12s}  {'substance':34s}  {'flagged':7s}  through",
    ]
    for first, label, eid, found in rows:
        how = found[0][2] if found else "-"
        more = f" (+{len(found) - 1} more)" if len(found) > 1 else ""
        lines.append(f"{first:12s}  {label[:34]:34s}  {'yes' if found else 'no':7s}  {how}{more}")
    lines += ["", f"flagged before listing: {flagged} of {len(rows)}"]
    text = "\n".join(lines)
    print(text)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text + "\n")


if __name__ == "__main__":
    main()
