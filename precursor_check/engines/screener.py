"""One query in, one result out: detect the type, resolve, standardise, match, decide."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from rdkit import DataStructs

from precursor_check.chemistry import molecules, standardise
from precursor_check.identify.identifiers import (
    cas_list,
    cas_near_misses,
    cas_regroupings,
    detect_type,
    looks_like_inchikey,
    looks_like_smiles,
    normalise_cas,
    strip_cas_prefix,
)
from precursor_check.identify.localdb import LocalDB
from precursor_check.identify.resolve import Resolved, Resolver, could_be_systematic, generic_name, salt_words
from precursor_check.errors import UsageError
from precursor_check.model import Hit, MatchKind, Result, Verdict
from precursor_check.watchlist.compile import Compiled, load_compiled
from precursor_check.watchlist.load import default_paths
from precursor_check.watchlist.match import (
    DEFAULT_THRESHOLD,
    Options,
    _rule_hit,
    labelled_for_review,
    match_part,
    rules_matching,
    sort_hits,
    verdict_of,
)

INPUT_TYPES = ("auto", "cas", "smiles", "inchi", "inchikey", "name")


class Screener:
    """Compiles the watchlist once and screens many queries.

    >>> s = Screener()                                  # doctest: +SKIP
    >>> s.screen("79099-07-3").verdict.value            # doctest: +SKIP
    'controlled'
    """

    def __init__(
        self,
        watchlists: Iterable[str | Path] = (),
        replace: bool = False,
        threshold: float | None = None,
        jurisdictions: Iterable[str] | None = None,
        as_of: str | None = None,
        resolve_files: Iterable[str | Path] = (),
        use_cache: bool = True,
        regimes: Iterable[str] | None = None,
        local_db: bool = True,
        opsin: bool = True,
    ):
        paths = default_paths(tuple(str(p) for p in watchlists), replace)
        self.compiled: Compiled = load_compiled(paths, use_cache=use_cache)
        jur = frozenset(j.upper() for j in jurisdictions) if jurisdictions else None
        if jur:  # a law with nothing listed under it would make every query clear
            missing = sorted(jur - self.compiled.watchlist.listed_jurisdictions())
            if missing:
                raise UsageError(f"--jurisdiction {','.join(missing)}: the loaded watchlists list nothing under "
                                 f"{' or '.join(missing)}; add such a list with --watchlist")
        reg = frozenset(r.lower() for r in regimes) if regimes else None
        self.options = Options(threshold=DEFAULT_THRESHOLD if threshold is None else threshold,
                               jurisdictions=jur, as_of=as_of, regimes=reg)
        self.resolver = Resolver(self.compiled, LocalDB() if local_db else None,
                                 tuple(str(p) for p in resolve_files), opsin=opsin)
        # results of every CAS number the offline sources know, screened ahead (engines/known.py);
        # batches attach it, a single query screens live
        self.known = None

    @property
    def watchlist(self):
        return self.compiled.watchlist

    # -- public API -----------------------------------------------------------------------
    def screen(self, query: str, input_type: str | None = None, row: int | None = None) -> Result:
        """Screen one query (CAS, SMILES, InChI, InChIKey or name; auto-detected unless given)."""
        query = "" if query is None else str(query)
        if not query.isascii() and _SURROGATE.search(query):  # bytes that were not UTF-8 (argv, stdin)
            return _with_row(_not_utf8(query, input_type), row, query)
        kind = detect_type(query) if input_type in (None, "auto") else input_type
        try:
            result = self._screen(query.strip(), kind)
        except RecursionError:
            result = Result(query, kind, Verdict.INVALID, error="structure too deeply nested to screen")
        return _with_row(result, row, query)

    def screen_many(self, queries: Iterable[str], input_type: str | None = None) -> Iterator[Result]:
        """Screen queries in order; identical queries are computed once."""
        cache: dict[str, Result] = {}
        for i, q in enumerate(queries, start=1):
            hit = cache.get(q)
            if hit is None:
                hit = self.screen(q, input_type)
                if len(cache) < 100_000:
                    cache[q] = hit
            yield _with_row(hit, i, q)

    # -- steps ----------------------------------------------------------------------------
    def _screen(self, q: str, kind: str) -> Result:
        if kind == "empty" or not q:
            return Result(q, "empty", Verdict.INVALID, error="empty input")
        if kind == "cas":
            return self._cas(q)
        if kind == "smiles":
            return self._smiles(q, kind, Resolved(q, "input"))
        if kind == "inchi":
            if looks_like_inchikey(q):
                return Result(q, kind, Verdict.INVALID,
                              error="an InChIKey, not an InChI: screen it with `precheck check`, which detects it")
            mol = molecules.parse_inchi(q)
            if mol is None:
                return Result(q, kind, Verdict.INVALID,
                              error="InChI does not parse, or its structure does not have the formula it states "
                                    "(a truncated InChI?); give the whole standard InChI")
            return self.screen_mol(mol, q, kind, Resolved(None, "input"))
        if kind == "inchikey":
            return self._inchikey(q)
        if kind == "name":
            return self._name(q)
        return Result(q, kind, Verdict.INVALID, error=f"unknown input type {kind!r}")

    def _cas(self, q: str) -> Result:
        try:
            cas = normalise_cas(q)
        except ValueError as exc:
            several = cas_list(q)
            if several:  # one query, one chemical: say which of them are listed
                named = ", ".join(f"{c} ({self.compiled.entry(self.compiled.cas_index[c][0]).name}, listed)"
                                  if c in self.compiled.cas_index else c for c in several)
                return Result(q, "cas", Verdict.INVALID, suggestions=tuple(several[:3]),
                              error=f"{len(several)} CAS numbers in one query: {named}; screen one per query "
                                    "or row, or scan the cell with `precheck text`")
            near = [c for c in dict.fromkeys((*cas_regroupings(q), *cas_near_misses(q))) if self.resolver.known_cas(c)]
            msg = str(exc) + (f"; did you mean {' or '.join(near[:3])}?" if near else "")
            partial = self._partial_cas(q)
            if partial:  # 'CAS79099': the first digits of a listed CAS, as sellers write them
                named = ", ".join(f"{cas} ({self.compiled.entry(self.compiled.cas_index[cas][0]).name})"
                                  for cas in partial[:3])
                msg = f"the start of a listed CAS number: {named}; read as a whole CAS number: {msg}"
            sugg = tuple(dict.fromkeys(partial + near))[:3]
            return Result(q, "cas", Verdict.INVALID, error=msg, suggestions=sugg)
        if self.known is not None:
            stored = self.known.get(cas)
            if stored is not None:
                return stored
        res = self.resolver.cas(cas)
        if res is None:
            return Result(q, "cas", Verdict.UNRESOLVED,
                          error=f"CAS {cas} is in no offline source (the watchlist, the local PubChem table"
                                f"{', your --resolve-file' if self.resolver.user else ''}); to screen it, give its "
                                "SMILES, or add it to a --resolve-file (a CSV with cas,smiles columns)")
        return self._resolved(q, "cas", res)

    def _partial_cas(self, q: str) -> list[str]:
        """Watchlist CAS numbers that an unhyphenated run of 4+ digits is the start of."""
        digits = strip_cas_prefix(q)
        return self.compiled.cas_starting_with(digits) if digits.isdigit() and len(digits) >= 4 else []

    def _inchikey(self, q: str) -> Result:
        if not looks_like_inchikey(q):
            return Result(q, "inchikey", Verdict.INVALID,
                          error=f"not an InChIKey: {q!r} (expected 14-10-1 capital letters, e.g. ROUYFJUVMYHXFJ-UHFFFAOYSA-N)")
        q = q.upper()
        for eid, keys in self.compiled.keys.items():
            if keys.inchikey == q:
                return self._resolved(q, "inchikey", Resolved(self.compiled.entry(eid).smiles, f"watchlist {eid}"))
        rec = self.resolver.local.by_inchikey(q) if self.resolver.local else None
        if rec:
            return self._resolved(q, "inchikey", Resolved(rec.smiles, f"local table (PubChem CID {rec.cid})"))
        return Result(q, "inchikey", Verdict.UNRESOLVED, error="InChIKey is in no available source; screen the structure instead")

    def _name(self, q: str) -> Result:
        res = self.resolver.name(q)
        why = None
        generic = generic_name(q) if res is None else None
        if generic:
            return Result(q, "name", Verdict.UNRESOLVED,
                          error=f"{q.strip()!r} is not a chemical name on its own ({generic}); give the whole "
                                "name, the CAS number or the SMILES")
        if res is None:
            res, why = self.resolver.opsin_name(q)
        if res is not None:
            return self._resolved(q, "name", res)
        shared = self.resolver.ambiguous(q)
        sugg = tuple(shared[:3] or self.resolver.suggestions(q))
        if not sugg and looks_like_smiles(q) and molecules.parse_smiles(q) is not None:
            # 'Cl', 'II', 'OCCO': written like a word, but no name is even close and it is a valid
            # SMILES ('BOC' has near names, so it stays unresolved with suggestions)
            return self._smiles(q, "smiles", Resolved(q, "input (read as SMILES: no name matched)"))
        if shared:  # the local table has the name, but for several chemicals (or as a short code)
            msg = (f"name {q!r} is ambiguous in the local table (several chemicals, or a short code); "
                   f"screen the CAS number instead: {' or '.join(sugg)}")
        else:
            msg = (f"name {q!r} is in no offline source (the watchlist, the local PubChem table"
                   f"{', your --resolve-file' if self.resolver.user else ''}")
            if why:  # OPSIN would be asked, but is not installed or does not run
                msg += f"; {why}"
            elif self.resolver.opsin and could_be_systematic(q):
                msg += "; OPSIN could not read it as a systematic name"
            msg += ")"
            if sugg:
                msg += f"; did you mean {' or '.join(repr(s) for s in sugg)}?"
            msg += "; to screen it, give its SMILES, or add it to a --resolve-file (a CSV with name,smiles columns)"
        if why and shared:
            msg += f" ({why})"
        return Result(q, "name", Verdict.UNRESOLVED, error=msg, suggestions=sugg)

    def _resolved(self, q: str, kind: str, res: Resolved) -> Result:
        if res.smiles is None and res.entry_id:  # a structureless entry (a mixture): identifier match
            e = self.compiled.entry(res.entry_id)
            from precursor_check.watchlist.match import describe_lists

            applicable = [lst for lst in e.listings]
            hit = Hit(id=e.id, name=e.name, cas=e.cas, match=MatchKind.EXACT,
                      verdict=Verdict.WATCH if e.status == "watch" else Verdict.CONTROLLED, score=1.0,
                      lists=tuple(applicable), reason=f"{e.name}, identified by {kind.upper() if kind == 'cas' else kind} ({describe_lists(applicable)})",
                      families=e.families,
                      counted=(self.options.screens_regime(e.regime) if e.status == "watch" or not applicable
                               else any(self.options.applies(lst) for lst in applicable)))
            return Result(q, kind, verdict_of([hit]), hits=(hit,), source=res.source)
        if not res.smiles:
            return Result(q, kind, Verdict.UNRESOLVED, source=res.source,
                          error=f"the structure from {res.source} does not parse")
        return self._smiles(q, kind, res)

    def _smiles(self, q: str, kind: str, res: Resolved) -> Result:
        """Screen res.smiles (a salt or mixture is parsed piece by piece, never twice)."""
        if len(res.smiles) > molecules.MAX_SMILES:
            return Result(q, kind, Verdict.INVALID, source=res.source,
                          error=f"not screened: a SMILES of {len(res.smiles):,} characters, above the limit of "
                                f"{molecules.MAX_SMILES:,} (precursors are small)")
        whole, why = molecules.whole_smiles(res.smiles)
        if whole is None:
            if res.source == "input":
                return Result(q, kind, Verdict.INVALID, error=f"SMILES not screened: {why}")
            return Result(q, kind, Verdict.UNRESOLVED, source=res.source,
                          error=f"the structure from {res.source} is not one SMILES: {why}")
        if whole != res.smiles:  # whitespace-separated SMILES: components, never a discarded title
            res = res._replace(smiles=whole)
        std = standardise.standardise_smiles(whole)
        if std is not None:
            return self._screen_std(std, q, kind, res)
        if res.source == "input":
            return Result(q, kind, Verdict.INVALID, error="SMILES does not parse (check brackets, ring closures and valences)")
        return Result(q, kind, Verdict.UNRESOLVED, source=res.source, error=f"the structure from {res.source} does not parse")

    max_heavy_atoms: int | None = None  # batch guard: larger molecules are reported, not screened

    def screen_mol(self, mol, q: str, kind: str, res: Resolved) -> Result:
        """Screen an RDKit molecule (already resolved) against the compiled watchlist.

        res.smiles, when given, must be the SMILES `mol` was parsed from (it gates the
        standardisation steps); pass Resolved(None, source) otherwise.
        """
        return self._screen_std(standardise.standardise(mol, res.smiles), q, kind, res)

    def screen_chunk(self, queries: list[str], input_type: str | None = None) -> list[Result | None]:
        """`screen` for the SMILES of a chunk, one step at a time over the whole chunk.

        Every structure is parsed, then standardised, then every component meets the class rules,
        then every fingerprint is made and compared: each RDKit step then runs with its code and
        tables warm in the processor's caches, instead of each molecule passing through all of
        them in turn (bench/README.md: ~30 % less time per molecule). The results are those of
        `screen`, query by query; None for a query this path leaves to `screen` (not a SMILES,
        inorganic, does not parse, or any step raised).
        """
        auto = input_type in (None, "auto")
        out: list[Result | None] = [None] * len(queries)
        smiles: list[tuple[int, str, str]] = []
        for i, q in enumerate(queries):
            if not q or (detect_type(q) if auto else input_type) != "smiles":
                continue
            s = q.strip()
            if s and len(s) <= molecules.MAX_SMILES and not any(ch.isspace() for ch in s):  # components: `screen`
                smiles.append((i, q, s))
        mols: dict[int, object] = {}  # every SMILES parsed whole is parsed first, then standardised
        for i, _q, s in smiles:
            if standardise.parsed_whole(s):
                with contextlib.suppress(Exception):  # RecursionError included: `screen` reports it
                    mols[i] = molecules.parse_smiles(s)
        todo: list[tuple[int, str, str, standardise.Standardised]] = []
        for i, q, s in smiles:
            if standardise.parsed_whole(s) and mols.get(i) is None:
                continue  # does not parse, or raised: `screen` says so
            try:
                std = standardise.standardise_smiles(s, mols.get(i))
            except Exception:
                continue
            if std is not None and not std.inorganic:
                todo.append((i, q, s, std))
        cap = self.max_heavy_atoms
        parts = [p for _i, _q, _s, std in todo
                 if not cap or sum(p.mol.GetNumHeavyAtoms() for p in std.parts) <= cap
                 for p in std.parts if p.mol.GetNumHeavyAtoms() <= molecules.MAX_HEAVY_ATOMS]
        c = self.compiled
        rules: dict[int, list] = {}
        for p in parts:
            with contextlib.suppress(Exception):  # a part whose step raises: its query goes to `screen`
                rules[id(p.mol)] = rules_matching(c, p.mol, p.formula)
        fps: dict[int, object] = {}
        for p in parts:
            if id(p.mol) in rules:
                with contextlib.suppress(Exception):
                    fps[id(p.mol)] = molecules.fingerprint(p.mol)
        pre: dict[int, tuple] = {}
        bulk = DataStructs.BulkTanimotoSimilarity
        for key, fp in fps.items():
            with contextlib.suppress(Exception):
                pre[key] = (rules[key], bulk(fp, c.fps) if c.fps else None, fp)
        u = c.unmasker
        if u is not None:  # the unmasking step's gates, a stage of their own too
            for p in parts:
                key = id(p.mol)
                if key in pre:
                    try:
                        pre[key] += (u.possible(p.mol, p.formula, pre[key][2]),)
                    except Exception:
                        del pre[key]
        for i, q, s, std in todo:
            try:
                r = self._screen_std(std, s, "smiles", Resolved(s, "input"), pre)
            except Exception:
                continue
            out[i] = _with_row(r, None, q)
        return out

    def _screen_std(self, std: standardise.Standardised, q: str, kind: str, res: Resolved,
                    pre: dict[int, tuple] | None = None) -> Result:
        parts = std.parts
        heavy = sum(p.mol.GetNumHeavyAtoms() for p in parts)
        if self.max_heavy_atoms and heavy > self.max_heavy_atoms:
            return Result(q, kind, Verdict.UNRESOLVED, source=res.source,
                          error=f"not screened: {heavy} heavy atoms, over the limit of "
                                f"{self.max_heavy_atoms} (precursors are small; see --max-atoms)")
        removed = std.removed + tuple(w for w in salt_words(res.form) if w not in std.removed)
        multi = len(parts) > 1
        hits: list[Hit] = []
        nearest: list[tuple[str, float]] = []
        oversized: list[int] = []  # heavy atoms of each part screened by class rules only
        for part in parts:
            if part.mol.GetNumHeavyAtoms() > molecules.MAX_HEAVY_ATOMS:
                # far too large for a precursor: no listed structure is identical or similar, but a
                # listed scaffold may be inside it, so the class rules still run; never `clear`
                oversized.append(part.mol.GetNumHeavyAtoms())
                frag = molecules.canonical(part.mol) if multi else None
                hits += [_rule_hit(self.compiled, rid, part.mol, atoms, self.options, frag)
                         for rid, atoms in rules_matching(self.compiled, part.mol, part.formula)]
                continue
            computed = pre.get(id(part.mol)) if pre is not None else None
            if pre is not None and computed is None and not std.inorganic:
                raise LookupError("a step failed on this part in the chunk: screen it alone")
            h, n = match_part(self.compiled, part, removed, self.options, inorganic=std.inorganic,
                              complex_input=std.complex, pre=computed)
            if h and multi:  # say which component matched
                frag = molecules.canonical(part.mol)
                h = [replace(x, fragment=frag) for x in h]
            hits += h
            nearest += n
        if multi:
            nearest = sorted(nearest, key=lambda x: -x[1])[:3]
        if not hits and std.components is not None:  # an inorganic whole not listed: its components
            alt = self._screen_std(std.components, q, kind, res)
            if alt.verdict is not Verdict.CLEAR:
                return alt
        if not hits and oversized:
            return Result(q, kind, Verdict.UNRESOLVED, source=res.source, removed=removed,
                          error=f"not screened: {max(oversized)} heavy atoms, over the limit of "
                                f"{molecules.MAX_HEAVY_ATOMS} (precursors are small); no class rule matched it, "
                                "but it was not compared with the listed structures")
        if not hits:  # clear: the structure as resolved (the common case: nothing more to compute)
            smiles = res.smiles if res.smiles is not None else ".".join(molecules.canonical(p.mol) for p in parts)
            return Result(q, kind, Verdict.CLEAR, smiles=smiles, source=res.source, removed=removed,
                          nearest=tuple(nearest))
        if standardise.ISOTOPE_LABELS in removed:
            hits = labelled_for_review(hits)
        hits = sort_hits(hits)
        verdict = verdict_of(hits)
        # canonical parent SMILES and InChIKey cost ~60 + ~230 µs: only where a human will look
        smiles = ".".join(molecules.canonical(p.mol) for p in parts)
        key = None
        if verdict.is_hit:
            key = ".".join(k for k in (molecules.inchikey(p.mol) for p in parts) if k) or None
        return Result(q, kind, verdict, hits=tuple(hits), smiles=smiles, source=res.source,
                      removed=removed, inchikey=key, nearest=tuple(nearest))


_SURROGATE = re.compile("[\udc80-\udcff]")  # how Python keeps an undecodable byte (surrogateescape)


def _printable(query: str) -> str:
    """The query with each undecodable byte shown as U+FFFD (output is always valid UTF-8)."""
    return query.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _not_utf8(query: str, input_type: str | None) -> Result:
    m = _SURROGATE.search(query)
    byte = ord(m.group()) - 0xDC00
    return Result(_printable(query), input_type if input_type not in (None, "auto") else "unknown", Verdict.INVALID,
                  error=f"not UTF-8 text: byte 0x{byte:02x} at character {m.start() + 1}; give the query as UTF-8")


def _with_row(result: Result, row: int | None, query: str) -> Result:
    if not query.isascii() and _SURROGATE.search(query):
        query = _printable(query)
    if row is None and result.input == query:
        return result
    return replace(result, row=row, input=query)
