"""Whole-watchlist checks beyond load-time validation: duplicate structures and rule examples."""

from __future__ import annotations

from pathlib import Path

from precursor_check.errors import WatchlistError
from precursor_check.wording import count


def validate(paths: list[Path]) -> tuple[list[str], str]:
    """(problems, one-line summary). Load errors are reported as a single problem."""
    from precursor_check.watchlist.compile import compile_watchlist
    from precursor_check.watchlist.load import load, shipped_path

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
    for r in wl.rules:
        if len(r.examples_match) < 3 or len(r.examples_no_match) < 3:
            problems.append(f"rule {r.id}: needs at least 3 match and 3 no_match examples")
    summary = (f"{'FAILED' if problems else 'OK'}: {count(len(wl.entries), 'entry', 'entries')}, "
               f"{count(len(wl.rules), 'rule')}, {count(examples, 'rule example')} checked; watchlist {wl.version} sha256 {wl.sha256[:16]}") + note
    return problems, summary


def example_problems(c) -> list[tuple[str, str]]:
    """(file, problem) for each rule example that does not parse or does not behave as stated.
    Compiling a watchlist refuses it when there is any, so the examples always hold."""
    from precursor_check.chemistry import molecules, standardise

    out = []
    for r in c.watchlist.rules:
        for smi, want in [(s, True) for s in r.examples_match] + [(s, False) for s in r.examples_no_match]:
            mol = molecules.parse_smiles(smi)
            if mol is None:
                out.append((r.origin, f"rule {r.id}: example SMILES does not parse: {smi}"))
            elif any(rule_matches(c, r.id, p.mol) for p in standardise.standardise(mol).parts) != want:
                out.append((r.origin, f"rule {r.id}: example {smi} should {'' if want else 'not '}match"))
    return out


def rule_matches(c, rid: str, mol) -> bool:
    """Whether the rule matches, through the same gated catalogue that screening uses."""
    from precursor_check.watchlist.match import rules_matching

    return any(found == rid for found, _atoms in rules_matching(c, mol))
