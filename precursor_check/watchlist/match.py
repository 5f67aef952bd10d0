"""The matching engine: identity (exact / parent / stereo), class rules, similarity -> hits."""

from __future__ import annotations

from dataclasses import dataclass

from rdkit import DataStructs

from precursor_check.chemistry import molecules, standardise, vocabulary
from precursor_check.model import (
    DEFAULT_REGIME,
    DEFAULT_THRESHOLD,
    REGIME_LABELS,
    Hit,
    Listing,
    MatchKind,
    Verdict,
)
from precursor_check.watchlist.compile import Compiled
from precursor_check.watchlist.rules import rules_matching

NEAREST = 3
# a similarity hit on an entry that carries a mask (1-boc-4-piperidone) whose mask the query shares
# stands only if the two are this similar without it: the unmasked rests are small, and small
# molecules score low (4-piperidone to morpholine 0.26, piperidine 0.29, 4-hydroxypiperidine 0.24;
# to 3-methyl-4-piperidone 0.38, 3-piperidone 0.43); see docs/unmasking.md
MASK_FREE_THRESHOLD = 0.35
_KIND_ORDER = {k: i for i, k in enumerate(MatchKind)}
_SOLVENT_FORMS = vocabulary.solvent_names()  # a form with only these removed is a solvate: data/vocabulary/salts.tsv


@dataclass(frozen=True)
class Options:
    """What counts: similarity threshold, regimes and jurisdictions (None = all) and the date the law is read at."""

    threshold: float = DEFAULT_THRESHOLD
    jurisdictions: frozenset[str] | None = None
    as_of: str | None = None  # ISO date
    regimes: frozenset[str] | None = None

    def applies(self, lst: Listing) -> bool:
        if self.regimes is not None and lst.regime not in self.regimes:
            return False
        if self.jurisdictions is not None and lst.jurisdiction not in self.jurisdictions:
            return False
        if self.as_of and lst.effective and lst.effective > self.as_of:
            return False
        return True


    def screens_regime(self, regime: str) -> bool:
        """Whether a hit that belongs to a regime but not to a listing (a watch entry, an alert) counts."""
        return self.regimes is None or regime in self.regimes


def describe_lists(listings) -> str:
    """'UN Table I, ...; US List I, ...'. Listings of several regimes, or of a regime other than
    drug precursors, are grouped under the regime's name: 'chemical weapons: CWC Schedule 3 Part A, ...'."""
    groups: dict[str, list[str]] = {}
    for lst in listings:
        groups.setdefault(lst.regime, []).append(lst.short())
    if set(groups) <= {DEFAULT_REGIME}:
        return "; ".join(groups.get(DEFAULT_REGIME, ()))
    return " | ".join(f"{REGIME_LABELS.get(reg, reg)}: {'; '.join(shorts)}" for reg, shorts in groups.items())


def _form_words(removed: tuple[str, ...]) -> str:
    label = "isotope-labelled " if standardise.ISOTOPE_LABELS in removed else ""
    removed = tuple(r for r in removed if r != standardise.ISOTOPE_LABELS)
    salts = [r for r in removed if r not in _SOLVENT_FORMS]
    solvents = [r for r in removed if r in _SOLVENT_FORMS and r != "hydrate"]
    if salts:
        return f"{label}{' '.join(salts)} salt"
    if solvents:
        return f"{label}{' '.join(solvents)} solvate"
    return f"{label}hydrate" if removed else f"{label}form" if label else ""


def match_part(c: Compiled, part: standardise.Part, removed: tuple[str, ...], opts: Options,
               inorganic: bool = False, fragment: str | None = None,
               complex_input: bool = False, pre: tuple | None = None) -> tuple[list[Hit], list[tuple[str, float]]]:
    """All hits for one standardised component, plus its nearest entries by similarity.

    `pre`, when given, is (`rules_matching(c, part.mol, part.formula)`, the Tanimoto similarities
    to `c.fps`, the fingerprint[, whether the unmasking gates pass]) computed beforehand for a
    whole chunk (`Screener.screen_chunk`).
    """
    hits: list[Hit] = []
    identity_ids: set[str] = set()
    # 1. identity, gated on the neutral formula (canonical SMILES only for ~2-3 % of inputs)
    if part.formula in c.by_formula:
        iso = molecules.canonical(part.mol)
        flat = molecules.canonical(part.mol, isomeric=False)
        found = [(eid, None) for eid in c.by_flat.get(flat, ())]
        if not found and not inorganic:  # written as another tautomer: the entries' enumerated forms
            found = [(eid, "tautomer") for eid in c.by_tautomer.get(flat, ())]
        if not found and not inorganic:  # then RDKit's tautomer hash
            taut = molecules.tautomer_key(part.mol)
            found = [(eid, "tautomer") for eid in c.by_taut.get(taut, ())] if taut else []
        for eid, how in found:
            if inorganic and part.charged and not any(lst.salts for lst in c.entry(eid).listings):
                continue  # sodium chloride is not hydrochloric acid: the lists exclude those salts
            hit = _identity_hit(c, eid, iso, how, removed, part.charged, opts, fragment, complex_input)
            if hit is not None:
                identity_ids.add(eid)
                hits.append(hit)
    if inorganic:
        return hits, []
    mol = part.mol
    # 2. class rules: cheap necessary conditions first (gates.py), full patterns where they pass
    for rid, atoms in (pre[0] if pre is not None else rules_matching(c, mol, part.formula)):
        rule_hit = _rule_hit(c, rid, mol, atoms, opts, fragment, complex_input, removed)
        if rule_hit is not None:
            hits.append(rule_hit)
    # 3. masked forms: what gives a mask target back in one or two unmasking steps (two sound gates first)
    u = c.unmasker
    if pre is not None and len(pre) > 2:  # the chunk's (Screener.screen_chunk): similarity's fingerprint
        fp = pre[2]
    else:
        fp = molecules.fingerprint(mol) if c.fps or u is not None else None  # similarity's, computed once
    if u is not None and (pre[3] if pre is not None and len(pre) > 3 else u.possible(mol, part.formula, fp)):
        for found in unmasked(c, mol, part.formula, identity_ids, {h.id for h in hits}):
            if not found.rule:
                identity_ids.add(found.target)
            hits.append(_masked_hit(c, found, opts, fragment))
    # 4. ring-substituted variants of a listed structure (only inputs with such a formula: ~1-2 %)
    if part.formula in c.variant_formulas and not identity_ids:
        for eid, names in ring_variants(c, part):
            identity_ids.add(eid)
            hits.append(_variant_hit(c, eid, names, opts, fragment))
    # 5. similarity to every similarity-eligible entry
    nearest: list[tuple[str, float]] = []
    if c.fps:
        sims = pre[1] if pre is not None else DataStructs.BulkTanimotoSimilarity(fp, c.fps)
        order = ranked(sims, opts.threshold)
        ids = c.fp_ids
        nearest = [(ids[i], round(sims[i], 3)) for i in order[:NEAREST]]
        for i in order:
            if sims[i] < opts.threshold:
                break
            if ids[i] in identity_ids:
                continue
            masks = u.entry_masks.get(ids[i]) if u is not None else None
            if masks:  # the entry carries a mask: a mask the query shares does not make it similar
                free = u.mask_free_score(mol, masks)
                if free is not None and free < MASK_FREE_THRESHOLD:
                    continue
            hits.append(_similar_hit(c, ids[i], sims[i], opts, fragment))
    return hits, nearest


def ranked(sims: list[float], threshold: float) -> list[int]:
    """Indices of the NEAREST best scores and of every score at or above `threshold`, best
    first (ties in watchlist order).

    One C-level sort of the bare scores, then `list.index` per kept score: pairing every
    score with its index and sorting those costs ~10 µs per molecule, this ~3 µs.

    >>> ranked([0.2, 0.9, 0.5, 0.6, 0.5], 0.55)
    [1, 3, 2]
    >>> ranked([0.7, 0.1, 0.7, 0.6, 0.56], 0.55)
    [0, 2, 3, 4]
    """
    out: list[int] = []
    prev, at = None, -1
    for v in sorted(sims, reverse=True):
        if len(out) >= NEAREST and v < threshold:
            break
        at = sims.index(v, at + 1) if v == prev else sims.index(v)
        prev = v
        out.append(at)
    return out


def ring_variants(c: Compiled, part: standardise.Part) -> list[tuple[str, list[str]]]:
    """(entry id, substituents) for each listed structure this part is a ring-substituted variant of."""
    from precursor_check.chemistry import (
        variants,  # ~1-2 % of inputs get here: off the start-up path
    )

    out: dict[str, list[str]] = {}
    allowed = c.variant_formulas[part.formula]
    for stripped, names in variants.parents(part.mol, part.formula, c.by_formula.__contains__):
        for eid in c.by_flat.get(molecules.canonical(stripped, isomeric=False), ()):
            if eid in allowed and eid not in out:
                out[eid] = names
    return list(out.items())


def _identity_hit(c: Compiled, eid: str, iso: str, how: str | None, removed: tuple[str, ...], charged: bool,
                  opts: Options, fragment: str | None, complex_input: bool = False) -> Hit | None:
    """The hit for an identity match, or None when no listing reaches this form (a listing with
    `mixtures: false` names the pure substance, not a multi-component record containing it)."""
    e = c.entry(eid)
    keys = c.keys[eid]
    same_stereo = iso == keys.iso or iso in keys.also_iso
    is_salt = any(r not in _SOLVENT_FORMS and r != standardise.ISOTOPE_LABELS for r in removed) and not complex_input
    excluded: list[str] = []
    applicable: list[Listing] = []
    left_out: list[Listing] = []
    for i, lst in enumerate(e.listings):
        if not same_stereo and not lst.isomers:
            excluded.append(f"{lst.jurisdiction} {lst.list} covers only the listed stereoisomer")
            left_out.append(lst)
        elif iso in c.except_keys.get((eid, i), ()):
            excluded.append(f"{lst.jurisdiction} {lst.list} excludes this stereoisomer")
        elif is_salt and not lst.salts:
            excluded.append(f"{lst.jurisdiction} {lst.list} excludes its salts")
            left_out.append(lst)
        elif is_salt and lst.salt_forms and any(r not in lst.salt_forms and r not in _SOLVENT_FORMS for r in removed):
            excluded.append(f"{lst.jurisdiction} {lst.list} names only its {' and '.join(lst.salt_forms)}")
            left_out.append(lst)
        else:
            applicable.append(lst)
    if applicable and not any(map(opts.applies, applicable)) and any(map(opts.applies, left_out)):
        # only listings outside --jurisdiction/--regime take this form, and a screened one names the chemical
        # but not this salt or stereoisomer: for review, as without the filter (an explicit exemption stays clear)
        applicable = []
    form = _form_words(removed) or ("charged form" if charged else "")
    if how == "tautomer":
        kind, what = MatchKind.PARENT, f"{form + ' of a ' if form else ''}tautomer of {e.label}"
    elif not same_stereo:
        kind = MatchKind.STEREO
        what = f"{form + ' of a ' if form else ''}stereoisomer (or stereo-unspecified form) of {e.label}"
    elif complex_input and any(r != standardise.ISOTOPE_LABELS for r in removed):  # not a salt: an adduct, a mixture, a complex
        kind = MatchKind.PARENT
        label = "isotope-labelled " if standardise.ISOTOPE_LABELS in removed else ""
        what = f"{label}{e.label} with {', '.join(r for r in removed if r != standardise.ISOTOPE_LABELS)} (mixture, adduct or complex)"
    elif removed or charged:
        kind = MatchKind.PARENT
        what = f"{form} of {e.label}"
    else:  # the whole input, or one component of a mixture record (a parent match then, not exact)
        kind = MatchKind.PARENT if complex_input else MatchKind.EXACT
        what = e.label if e.label.lower() == e.name.lower() else f"{e.label}, {e.name}"
    if e.status == "watch":
        verdict = Verdict.WATCH
        reason = f"{what}: watch-listed designer precursor, not scheduled"
        counted = opts.screens_regime(e.regime)
    elif applicable:
        verdict = Verdict.CONTROLLED
        shown = [lst for lst in applicable if opts.applies(lst)] or applicable
        reason = f"{what} ({describe_lists(shown)})"
        counted = any(opts.applies(lst) for lst in applicable)
    elif not e.listings:  # an entry with no listing (a company list's own chemical): for review
        verdict = Verdict.ANALOG
        reason = f"{what}: on the watchlist without a listing; review"
        counted = opts.screens_regime(e.regime)
    else:  # the structure is listed, but every listing excludes this form
        verdict = Verdict.ANALOG
        reason = f"{what}, but {'; '.join(excluded)}"
        counted = any(opts.screens_regime(lst.regime) for lst in e.listings)
    if verdict is Verdict.CONTROLLED and complex_input and not e.similarity:
        # a commodity chemical (solvent, reagent) as one component of a polymer, mixture or metal
        # complex record is not that chemical: flag for review instead of calling it controlled,
        # under the listings that reach mixtures (none: no hit)
        applicable = [lst for lst in applicable if lst.mixtures]
        if not applicable:
            return None
        counted = any(opts.applies(lst) for lst in applicable)
        verdict = Verdict.ANALOG
        reason = (f"contains {e.label} as one component of a multi-component record (mixture, polymer or "
                  f"complex); review ({describe_lists(applicable)})")
    if excluded and applicable:
        reason += f"; note: {'; '.join(excluded)}"
    return Hit(id=e.id, name=e.name, cas=e.cas, match=kind, verdict=verdict, score=1.0,
               lists=tuple(applicable), reason=reason, families=e.families, fragment=fragment, counted=counted)


def _takes_salt(lst: Listing, removed: tuple[str, ...]) -> bool:
    """Whether a legal rule's listing reaches a salt that had `removed` stripped: `salts: true` every salt,
    `false` none, a list of names only those; the name `protonated` takes every salt whose counter-ion is an
    anion (an acid-addition salt, or an alkylated one: the Annex's "corresponding protonated salts"), not a
    metal or ammonium salt (a sodium thiolate is a salt of the thiol, but not a protonated one)."""
    if not lst.salts:
        return False
    if not lst.salt_forms:
        return True
    ions = [r for r in removed if r not in _SOLVENT_FORMS and r != standardise.ISOTOPE_LABELS]
    if "protonated" in lst.salt_forms and not any(r in standardise.CATION_NAMES for r in ions):
        return True
    return all(r in lst.salt_forms for r in ions)


def _rule_hit(c: Compiled, rid: str, mol, atoms: tuple[int, ...], opts: Options, fragment: str | None,
              complex_input: bool = False, removed: tuple[str, ...] = ()) -> Hit | None:
    """The hit for a class rule, or None when the rule's every listing names pure substances
    (`mixtures: false`) and the input is a multi-component record (mixture, polymer, complex). A salt
    that no listing of a legal rule takes (`salts`) is `analog`, for review, under those listings."""
    r = c.rule(rid)
    listings = r.listings
    if r.kind == "legal" and complex_input:
        listings = tuple(lst for lst in listings if lst.mixtures)
        if not listings:
            return None
    is_salt = any(x not in _SOLVENT_FORMS and x != standardise.ISOTOPE_LABELS for x in removed) and not complex_input
    taken = tuple(lst for lst in listings if not is_salt or _takes_salt(lst, removed))
    atoms = molecules.atoms_in_canonical(mol, atoms)  # index the reported SMILES, not the matcher's molecule
    first = c.entry(r.entries[0]) if r.entries and r.entries[0] in c._entries else None
    if r.kind == "legal" and not taken:  # a salt the clause does not name: for review, never clear
        verdict = Verdict.ANALOG
        kind = MatchKind.CLASS_RULE
        names = " and ".join(x for x in removed if x not in _SOLVENT_FORMS)
        reason = (f"{names} salt of a member of the class clause: {r.name} ({describe_lists(listings)}), "
                  f"but the clause names {_salts_named(listings)}; review")
        counted = any(opts.screens_regime(lst.regime) for lst in listings)
    elif r.kind == "legal":
        listings = taken
        verdict = Verdict.CONTROLLED
        kind = MatchKind.CLASS_RULE
        what = "scheduled drug class" if r.subject == "drug" else "class clause"
        reason = f"{what}: {r.name} ({describe_lists(listings)})"
        counted = any(opts.applies(lst) for lst in listings)
    else:
        verdict = Verdict.WATCH if r.verdict == "watch" else Verdict.ANALOG
        kind = MatchKind.SUBSTRUCTURE
        reason = f"structural alert: {r.name}" + (f" (relative of {first.label})" if first else "")
        # an alert on one jurisdiction's clause counts only where that jurisdiction is screened
        counted = opts.screens_regime(r.regime) and (
            r.jurisdiction is None or opts.jurisdictions is None or r.jurisdiction in opts.jurisdictions)
    return Hit(id=r.id, name=r.name, cas=first.cas if first else None, match=kind, verdict=verdict, score=None,
               lists=listings, reason=reason, families=r.families, subject=r.subject, fragment=fragment,
               atoms=atoms, counted=counted)


def _salts_named(listings) -> str:
    forms = sorted({f for lst in listings for f in lst.salt_forms})
    if not forms or not any(lst.salts for lst in listings):
        return "no salts"
    return "only " + " and ".join("protonated" if f == "protonated" else f for f in forms) + " salts"


def unmasked(c: Compiled, mol, formula: str, skip: set[str] = frozenset(), skip_rules: set[str] = frozenset()):
    """unmask.Found for every mask target (and legal class clause) that one or two unmasking steps
    give, the shortest way first; entries in `skip` (the query itself) and rules in `skip_rules`
    (already hit by the query) are left out."""
    from precursor_check.watchlist.unmask import Found

    u = c.unmasker
    targets = u.target_set
    out: dict[str, Found] = {}
    for steps, p, smi, pf in u.unmask(mol, formula):  # only products a target can still come from
        if pf in c.by_formula:
            flat = molecules.canonical(p, isomeric=False)
            ids = c.by_flat.get(flat) or c.by_tautomer.get(flat)
            if not ids:
                taut = molecules.tautomer_key(p)
                ids = c.by_taut.get(taut, ()) if taut else ()
            for eid in ids:
                if eid in targets and eid not in skip and eid not in out:
                    out[eid] = Found(eid, steps, smi)
        for rid, _atoms in rules_matching(c, p, pf):
            if c.rule(rid).kind == "legal" and rid not in skip_rules and rid not in out:
                out[rid] = Found(rid, steps, smi, rule=True)
    return list(out.values())


def _masked_hit(c: Compiled, found, opts: Options, fragment: str | None) -> Hit:
    """An `analog` hit: the query gives a listed entry (or a member of a legal class) back."""
    lib = c.unmasker.library
    ts = [lib.get(t) for t in found.steps]
    doing = ", then ".join(t.doing for t in ts)
    if found.rule:
        r = c.rule(found.target)
        what = " of the ".join(t.form for t in ts)
        reason = (f"{what} of a chemical under a class clause: {doing} gives {found.product}, which falls under "
                  f"{r.name} ({describe_lists(r.listings)})")
        first = c.entry(r.entries[0]) if r.entries and r.entries[0] in c._entries else None
        return Hit(id=r.id, name=r.name, cas=first.cas if first else None, match=MatchKind.MASKED,
                   verdict=Verdict.ANALOG, score=None, lists=r.listings, reason=reason, families=r.families,
                   subject=r.subject, fragment=fragment, counted=any(opts.applies(lst) for lst in r.listings),
                   steps=found.steps, product=found.product)
    e = c.entry(found.target)
    lists = e.listings
    where = f" ({describe_lists(lists)})" if lists else " (watch list)"
    what = " of the ".join(t.form for t in ts) + f" of {e.label}"
    return Hit(id=e.id, name=e.name, cas=e.cas, match=MatchKind.MASKED, verdict=Verdict.ANALOG, score=None,
               lists=lists, reason=f"{what}: {doing} gives {e.label}{where}", families=e.families,
               fragment=fragment, counted=e.status == "watch" or not lists or any(opts.applies(x) for x in lists),
               steps=found.steps, product=found.product)


def _variant_hit(c: Compiled, eid: str, names: list[str], opts: Options, fragment: str | None) -> Hit:
    from precursor_check.chemistry import variants

    return _relative_hit(c, eid, opts, fragment, MatchKind.SUBSTRUCTURE, None,
                         lambda label, where: f"ring-substituted variant of {label}, {variants.describe(names)}{where}")


def _similar_hit(c: Compiled, eid: str, score: float, opts: Options, fragment: str | None) -> Hit:
    return _relative_hit(c, eid, opts, fragment, MatchKind.SIMILARITY, round(score, 3),
                         lambda label, where: f"similar to {label}{where}, Tanimoto {score:.2f}")


def _relative_hit(c: Compiled, eid: str, opts: Options, fragment: str | None, kind: MatchKind,
                  score: float | None, reason) -> Hit:
    """An `analog` hit on a listed entry's relative; `reason(label, where)` words it."""
    e = c.entry(eid)
    lists = e.listings
    counted = (opts.screens_regime(e.regime) if e.status == "watch" or not lists
               else any(opts.applies(lst) for lst in lists))
    where = f" ({describe_lists(lists)})" if lists else " (watch list)"
    return Hit(id=e.id, name=e.name, cas=e.cas, match=kind, verdict=Verdict.ANALOG, score=score, lists=lists,
               reason=reason(e.label, where), families=e.families, fragment=fragment, counted=counted)


def labelled_for_review(hits: list[Hit]) -> list[Hit]:
    """Hits on an isotope-labelled input (acetone-d6, P2P-d3), every kind alike: the lists name
    substances, and whether a labelled form (an NMR solvent, a reference standard) is covered is
    a reading of the law, so a `controlled` or `watch` hit becomes `analog`: flagged for review,
    never silently clear."""
    from dataclasses import replace

    return [replace(h, verdict=Verdict.ANALOG,
                    reason=h.reason + "; isotope-labelled: whether the listing covers a labelled form is for review")
            if h.verdict in (Verdict.CONTROLLED, Verdict.WATCH) else h for h in hits]


def sort_hits(hits: list[Hit]) -> list[Hit]:
    return sorted(hits, key=lambda h: (not h.counted, -h.verdict.severity, _KIND_ORDER[h.match], -(h.score or 0)))


def verdict_of(hits: list[Hit]) -> Verdict:
    counted = [h.verdict for h in hits if h.counted]
    return max(counted, key=lambda v: v.severity) if counted else Verdict.CLEAR
