"""The watchlist compiled for matching: identity keys, fingerprints, rule catalogue, lookups.

Compiling costs ~100 ms for a few hundred entries, so the result is pickled in the user
cache directory (3 ms to load). The cache file is named by the cache format, the tool version
and a CRC of the watchlist paths; it is used only while every file the watchlist includes, every
file of data/vocabulary/ and the unmasking transforms have the sha256 recorded in it, so any
edit to one of them recompiles.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from pathlib import Path

from precursor_check import __version__
from precursor_check.chemistry import molecules, standardise, vocabulary
from precursor_check.errors import WatchlistError
from precursor_check.identify.names import normalise_name
from precursor_check.resources import cache_dir
from precursor_check.watchlist.load import (
    Entry,
    Rule,
    Watchlist,
    default_paths,
    digest,
    file_closure,
    load,
)
from precursor_check.watchlist.rules import example_problems

CACHE_FORMAT = 36  # 19: listings carry regime and limit; 20-21, 23-32: the unmasker; 22: keyed by the files' sha256; 33: gates count elements and rings; 34: more pinned bits for the unmasking gate; 36: pinned bits as ints


@dataclass(frozen=True)
class EntryKeys:
    iso: str  # isomeric canonical SMILES of the parent
    flat: str  # the same without stereo: the stereo-insensitive identity key
    formula: str
    taut: str  # tautomer-insensitive hash
    inchikey: str | None
    also_iso: frozenset[str] = frozenset()  # isomeric keys of the entry's also_smiles (other writings)


@dataclass
class Compiled:
    watchlist: Watchlist
    keys: dict[str, EntryKeys] = field(default_factory=dict)  # entry id -> keys
    by_formula: dict[str, list[str]] = field(default_factory=dict)
    by_flat: dict[str, list[str]] = field(default_factory=dict)
    by_taut: dict[str, list[str]] = field(default_factory=dict)
    by_tautomer: dict[str, list[str]] = field(default_factory=dict)  # flat SMILES of an entry's other tautomers
    except_keys: dict[tuple[str, int], frozenset[str]] = field(default_factory=dict)
    variant_formulas: dict[str, set[str]] = field(default_factory=dict)  # see variants.py
    fps: list = field(default_factory=list)  # fingerprints of similarity-eligible entries
    fp_ids: list[str] = field(default_factory=list)
    gates: object = None  # gates.GateCatalog: cheap necessary conditions in front of every include pattern
    excludes: dict[str, list] = field(default_factory=dict)  # rule id -> exclude pattern mols
    cas_index: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # cas -> (entry id, form)
    name_index: dict[str, str] = field(default_factory=dict)  # normalised name -> entry id
    abbreviations: dict[str, str] = field(default_factory=dict)  # upper-case abbreviation -> entry id
    unmasker: object = None  # unmask.Unmasker: the transforms and the mask targets' gates (None: no target)

    def entry(self, id_: str) -> Entry:
        return self._entries[id_]

    def rule(self, id_: str) -> Rule:
        return self._rules[id_]

    def patterns(self, rule_id: str) -> list:
        """The rule's include patterns as query molecules (compiled on first use, not cached on disk)."""
        cache = self.__dict__.setdefault("_patterns", {})
        if rule_id not in cache:
            from rdkit import Chem

            cache[rule_id] = [Chem.MolFromSmarts(s) for s in self._rules[rule_id].smarts]
        return cache[rule_id]

    def cas_starting_with(self, digits: str) -> list[str]:
        """Watchlist CAS numbers whose digits begin with `digits` (a partial CAS: '79099' -> ['79099-07-3'])."""
        return sorted({cas for cas in self.cas_index if cas.replace("-", "").startswith(digits)})

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_patterns", None)
        return state

    def __post_init__(self):
        self._entries = {e.id: e for e in self.watchlist.entries}
        self._rules = {r.id: r for r in self.watchlist.rules}


def _only_part(e: Entry, smiles: str, what: str, std: standardise.Standardised | None = None) -> standardise.Part:
    """The one standardised part of an entry's structure (a watchlist entry is one substance)."""
    std = std or standardise.standardise(molecules.parse_smiles(smiles))
    if len(std.parts) != 1:
        raise WatchlistError(f"{e.origin}: entry {e.id}: {what} has {len(std.parts)} organic parts; "
                             "list each substance separately")
    return std.parts[0]


def compile_watchlist(wl: Watchlist, check_examples: bool = True) -> Compiled:
    from rdkit import Chem

    c = Compiled(wl)
    ring_entries: dict[str, str] = {}  # entries whose ring-substituted variants are looked for
    mask_targets: dict[str, object] = {}  # entry id -> standardised structure (unmask.py)
    sim_mols: dict[str, object] = {}  # similarity entries' standardised structures
    for e in wl.entries:
        for cas in e.all_cas():
            form = None if cas == e.cas else next(o.form for o in e.other_cas if o.cas == cas)
            prev = c.cas_index.get(cas)
            if prev and prev[0] != e.id:
                raise WatchlistError(f"{e.origin}: entry {e.id}: CAS {cas} is also used by entry {prev[0]}")
            c.cas_index[cas] = (e.id, form)
        for n in e.names:
            c.name_index.setdefault(normalise_name(n), e.id)
        for a in e.abbreviations:
            c.abbreviations.setdefault(a.upper(), e.id)
        if not e.smiles:
            continue
        std = standardise.standardise(molecules.parse_smiles(e.smiles))
        part = _only_part(e, e.smiles, "SMILES", std)
        flat = molecules.canonical(part.mol, isomeric=False)
        also = [_only_part(e, s, "also_smiles") for s in e.also_smiles]
        keys = EntryKeys(
            iso=molecules.canonical(part.mol),
            flat=flat,
            formula=part.formula,
            taut=molecules.tautomer_key(part.mol),
            inchikey=molecules.inchikey(part.mol),
            also_iso=frozenset(molecules.canonical(p.mol) for p in also),
        )
        c.keys[e.id] = keys
        others = [(p, molecules.canonical(p.mol, isomeric=False), molecules.tautomer_key(p.mol)) for p in also]
        for p, flat_key, taut_key in [(part, keys.flat, keys.taut), *others]:  # its structure and other writings alike
            for index, key in ((c.by_formula, p.formula), (c.by_flat, flat_key), (c.by_taut, taut_key)):
                if key and e.id not in index.get(key, ()):
                    index.setdefault(key, []).append(e.id)
            for key in molecules.tautomers(p.mol):  # its enols, imidic acids ...: the same substance
                if e.id not in c.by_tautomer.get(key, ()):
                    c.by_tautomer.setdefault(key, []).append(e.id)
        for i, lst in enumerate(e.listings):
            if lst.except_smiles:
                c.except_keys[(e.id, i)] = frozenset(
                    molecules.canonical(standardise.standardise(molecules.parse_smiles(s)).parts[0].mol) for s in lst.except_smiles
                )
        if e.mask_target and not std.inorganic:
            mask_targets[e.id] = part.mol
        if e.similarity and not std.inorganic:
            sim_mols[e.id] = part.mol
            c.fps.append(molecules.fingerprint(part.mol))
            c.fp_ids.append(e.id)
            if part.mol.GetNumHeavyAtoms() >= 6 and any(a.GetIsAromatic() for a in part.mol.GetAtoms()):
                ring_entries[e.id] = keys.formula
    for r in wl.rules:
        c.excludes[r.id] = [Chem.MolFromSmarts(s) for s in r.exclude_smarts]
    from precursor_check.chemistry import (
        gates,
        variants,  # compile time only (unpickling imports gates by itself)
    )

    c.gates = gates.GateCatalog(wl.rules)
    c.variant_formulas = variants.variant_formulas(ring_entries)
    if mask_targets:
        from precursor_check.watchlist import unmask

        c.unmasker = unmask.Unmasker(unmask.shipped(), unmask.compile_targets(mask_targets))
        for eid in c.fp_ids:  # entries that carry a mask themselves (1-boc-4-piperidone): see match.py
            masks = c.unmasker.own_masks(sim_mols[eid])
            if masks:
                c.unmasker.entry_masks[eid] = masks
    wrong = example_problems(c) if check_examples else []  # a rule contradicting its examples must not screen
    if wrong:
        more = f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""
        raise WatchlistError(f"{wrong[0][0]}: {wrong[0][1]}{more}; `precheck watchlist validate` lists them")
    return c


def load_compiled(paths: list[Path] | None = None, use_cache: bool = True) -> Compiled:
    """The compiled watchlist for these files, from the cache when the files are unchanged."""
    paths = paths or default_paths()
    cache = cache_dir() / f"watchlist-{CACHE_FORMAT}-{__version__}-{_paths_key(paths)}.pickle"
    if use_cache:
        try:
            with open(cache, "rb") as fh:
                files, compiled = pickle.load(fh)
            if all(_content_key(Path(p)) == key for p, key in files):
                return compiled
        except Exception:  # missing, stale or unreadable cache: rebuild
            pass
    closure = file_closure(paths)
    compiled = compile_watchlist(load(paths))
    if use_cache:
        from precursor_check.watchlist.unmask import transforms_path

        # the vocabulary and the unmasking transforms shape what is compiled too
        files = [(str(p), _sha256(raw)) for p, raw in closure] + [
            (str(p), _content_key(p)) for p in (*vocabulary.files(), transforms_path())]
        _write_atomic(cache, pickle.dumps((files, compiled), protocol=pickle.HIGHEST_PROTOCOL))
    return compiled


def _paths_key(paths: list[Path]) -> str:
    import zlib  # built in; hashlib would cost ~5 ms of start-up

    joined = "\0".join(str(Path(p).resolve()) for p in paths)
    return f"{zlib.crc32(joined.encode()):08x}"


def _sha256(raw: bytes) -> str:
    """sha256 of the bytes. The builtin module (~0.3 ms to import, ~2 ms for the shipped list)
    rather than hashlib, whose OpenSSL import costs ~8 ms of every start-up."""
    try:
        from _sha256 import sha256  # Python 3.11
    except ImportError:
        try:
            from _sha2 import sha256  # Python 3.12+
        except ImportError:
            from hashlib import sha256
    return sha256(raw).hexdigest()


def _content_key(path: Path) -> str | None:
    """The cache is valid for these exact bytes: a same-size edit within the same mtime tick (or
    a restored mtime) is still seen. Not (mtime, size), which such an edit keeps."""
    try:
        return _sha256(path.read_bytes())
    except OSError:
        return None


def _write_atomic(path: Path, data: bytes) -> None:
    from precursor_check.resources import replacing

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(path, prefix=".tmp-") as tmp:
            Path(tmp).write_bytes(data)
    except OSError:
        pass  # an unwritable cache only costs time


__all__ = ["Compiled", "compile_watchlist", "load_compiled", "digest"]
