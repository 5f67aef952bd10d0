"""Watchlist validation: every problem of a watchlist listed at once, for `watchlist validate`.

Load errors, rule examples that do not behave as stated, duplicate structures, rules naming
unknown entries, and how a list of one's own fares beside the shipped list."""

from __future__ import annotations

from pathlib import Path

from precursor_check.errors import WatchlistError
from precursor_check.watchlist.compile import compile_watchlist
from precursor_check.watchlist.load import load, shipped_path
from precursor_check.watchlist.rules import example_problems
from precursor_check.wording import count


def validate(paths: list[Path]) -> tuple[list[str], str]:
    """(problems, one-line summary). Load errors are reported as a single problem."""
    try:
        wl = load(paths)
        c = compile_watchlist(wl, check_examples=False)  # every failing example is listed below, not the first
    except WatchlistError as exc:
        return [str(exc)], "invalid"
    problems: list[str] = [problem for _origin, problem in example_problems(c)]
    note = ""
    shipped = shipped_path().resolve()
    if all(Path(p).resolve() != shipped for p in paths):  # a list of one's own: also as --watchlist adds it
        try:
            compile_watchlist(load([shipped_path(), *paths]), check_examples=False)
        except WatchlistError as exc:  # fine with --replace-watchlist, so a note, not a failure
            note = f"\nnote: with --watchlist (beside the shipped list) this fails: {exc}; with --replace-watchlist it is fine"
    for key, ids in c.by_flat.items():
        isos = {c.keys[i].iso for i in ids}
        if len(ids) > 1 and len(isos) < len(ids):
            problems.append(f"entries {', '.join(ids)} have the same structure ({key})")
    for eid in {i for r in wl.rules for i in r.entries}:
        if eid not in c._entries:
            problems.append(f"a rule refers to unknown entry {eid}")
    examples = sum(len(r.examples_match) + len(r.examples_no_match) for r in wl.rules)
    from precursor_check.watchlist import unmask  # the unmasking transforms' own examples (data/transforms.yaml)

    try:
        library = unmask.shipped()
        problems += unmask.example_problems(library)
        n_transforms = len(library.transforms)
        t_examples = sum(len(t.produces) + len(t.no_product) for t in library.transforms)
    except unmask.TransformError as exc:
        problems.append(str(exc))
        n_transforms = t_examples = 0
    for r in wl.rules:
        if len(r.examples_match) < 3 or len(r.examples_no_match) < 3:
            problems.append(f"rule {r.id}: needs at least 3 match and 3 no_match examples")
    summary = (f"{'FAILED' if problems else 'OK'}: {count(len(wl.entries), 'entry', 'entries')}, "
               f"{count(len(wl.rules), 'rule')}, {count(examples, 'rule example')} checked; "
               f"{count(n_transforms, 'unmasking transform')}, {count(t_examples, 'transform example')} checked; "
               f"watchlist {wl.version} sha256 {wl.sha256[:16]}") + note
    return problems, summary
