"""Masked precursors: what gives a listed precursor back in one or two routine unmasking steps.

A seller whose precursor gets listed switches to a form of it that gives it back in one
textbook step: a protecting group on a nitrogen, a ketone sold as its ketal or oxime, an acid
sold as another ester, amide or nitrile, a beta-keto ester that loses CO2. The transforms are
data (data/transforms.yaml): generic one-step unmasking classes, each a reaction SMARTS that
goes from the masked form back to the parent, named by its class only.

Screening applies them to a query's standardised part, up to two in sequence, and looks every
product up with the entries' identity keys and the legal class rules, as a query would be. A
product that is a *target* entry (an entry a seller would mask; commodity chemicals are not:
`Entry.mask_target`) gives a `masked` hit.

Cost stays off the hot path through two sound gates (docs/unmasking.md has the figures):
  1. counts: the product of unmasking has no atom of any element but O and H that the query
     does not have (the steps only remove atoms, or swap N or S for O), and the masking groups
     carry at most MAX_EXTRA_CARBONS carbons, so a target is possible only when the query's
     element counts allow it;
  2. skeleton: a target's atoms other than its chain oxygens, with its ring bonds as ring bonds
     and its aromatic atoms aromatic, are all in the query (unmasking forms no ring, no C-C or
     C-N bond and no aromatic ring), so its `skeleton` pattern must match. Only the minimal
     skeletons of the targets the counts allow are matched, in one FilterCatalog.
Then the transforms whose reactant pattern matches (one more FilterCatalog) are run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

MAX_STEPS = 2
MAX_EXTRA_CARBONS = 30  # carbons the masking groups of one query may carry (trityl 19 + Boc 5 = 24)
MAX_PRODUCTS = 24  # distinct products kept per step (a guard for molecules with many maskable sites)
CLASSES = (
    "N-protecting group",
    "O-protecting group",
    "carbonyl mask",
    "carboxylic acid derivative",
    "alkene / diol / epoxide",
    "decarboxylation",
)
_ELEMENTS = re.compile(r"([A-Z][a-z]?)(\d*)")
_COUNTED = ("C", "N", "S", "P", "F", "Cl", "Br", "I", "Si", "B")  # elements a product never gains


class TransformError(ValueError):
    """data/transforms.yaml (or a transform) is malformed; the message names the transform."""


@dataclass(frozen=True)
class Example:
    smiles: str
    name: str  # the name OPSIN (or the PubChem-derived table) gave the structure for
    gives: str = ""  # produces: the product's SMILES
    gives_name: str = ""


@dataclass(frozen=True)
class Transform:
    id: str
    name: str  # imperative, as a reviewer reads it: "remove N-sulfonyl group"
    cls: str
    form: str  # what the masked form is called: "N-sulfonyl derivative"
    smarts: tuple[str, ...]
    produces: tuple[Example, ...] = ()
    no_product: tuple[Example, ...] = ()
    origin: str = ""

    @property
    def doing(self) -> str:
        """'remove N-sulfonyl group' -> 'removing the N-sulfonyl group' (for reasons)."""
        verb, _, rest = self.name.partition(" ")
        ing = (verb[:-1] if verb.endswith("e") and not verb.endswith("ee") else verb) + "ing"
        if rest and not rest.startswith(("a ", "an ", "the ", "one ")):
            rest = "the " + rest
        return f"{ing} {rest}".strip()


@dataclass(frozen=True)
class Library:
    transforms: tuple[Transform, ...]
    version: str = ""
    path: str = ""

    def get(self, tid: str) -> Transform:
        return next(t for t in self.transforms if t.id == tid)


def transforms_path() -> Path:
    from precursor_check.resources import data_path

    try:
        return data_path("transforms.yaml")
    except FileNotFoundError:
        raise TransformError("data/transforms.yaml is missing from the installation; reinstall precursor-check") from None


_KEYS = {"id", "name", "class", "form", "smarts", "produces", "no_product"}


def load(path: Path | None = None) -> Library:
    """The transform library, validated: every key known, every SMARTS a one-reactant reaction."""
    from rdkit.Chem import rdChemReactions  # not AllChem: ~10x the import time

    from precursor_check.watchlist.load import parse_yaml

    path = Path(path or transforms_path())
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TransformError(f"cannot read {path}: {exc.strerror}") from None
    doc = parse_yaml(path, raw)
    if not isinstance(doc, dict) or not isinstance(doc.get("transforms"), list):
        raise TransformError(f"{path}: the top level must be a mapping with a `transforms` list")
    out: list[Transform] = []
    seen: set[str] = set()
    for item in doc["transforms"]:
        if not isinstance(item, dict) or not item.get("id"):
            raise TransformError(f"{path}: each transform needs an id")
        where = f"{path.name}: transform {item['id']}"
        unknown = set(item) - _KEYS
        if unknown:
            raise TransformError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
        tid = str(item["id"])
        if tid in seen:
            raise TransformError(f"{where}: the id is used twice")
        seen.add(tid)
        for key in ("name", "class", "form", "smarts"):
            if not item.get(key):
                raise TransformError(f"{where}: no {key}")
        if item["class"] not in CLASSES:
            raise TransformError(f"{where}: class {item['class']!r} is not one of {', '.join(CLASSES)}")
        smarts = (item["smarts"],) if isinstance(item["smarts"], str) else tuple(map(str, item["smarts"]))
        for s in smarts:
            try:
                rxn = rdChemReactions.ReactionFromSmarts(s)
            except Exception:
                rxn = None
            if rxn is None or rxn.GetNumReactantTemplates() != 1 or rxn.GetNumProductTemplates() != 1:
                raise TransformError(f"{where}: not a one-reactant, one-product reaction SMARTS: {s}")
        out.append(Transform(
            id=tid, name=str(item["name"]), cls=str(item["class"]), form=str(item["form"]), smarts=smarts,
            produces=tuple(_example(x, where, True) for x in item.get("produces") or ()),
            no_product=tuple(_example(x, where, False) for x in item.get("no_product") or ()),
            origin=str(path),
        ))
    return Library(tuple(out), str(doc.get("version", "")), str(path))


def _example(x, where: str, produces: bool) -> Example:
    """produces: [SMILES, product SMILES, name, product name]; no_product: [SMILES, name]."""
    n = 4 if produces else 2
    if not isinstance(x, list) or len(x) != n or not all(isinstance(v, str) for v in x):
        what = "[SMILES, product SMILES, name, product name]" if produces else "[SMILES, name]"
        raise TransformError(f"{where}: each {'produces' if produces else 'no_product'} example is {what}")
    return Example(x[0], x[2], x[1], x[3]) if produces else Example(x[0], x[1])


@lru_cache(maxsize=1)
def shipped() -> Library:
    return load()


# ---------------------------------------------------------------- targets (compiled with the watchlist)


def counts(formula: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for el, n in _ELEMENTS.findall(formula):
        out[el] = out.get(el, 0) + (int(n) if n else 1)
    return out


def skeleton(mol) -> str:
    """The SMARTS every masked form of `mol` contains (the skeleton gate).

    Unmasking only removes atoms, adds O and H, and swaps an N, O, S or halogen on a carbon for
    O; it forms no ring, no C-C or C-N bond and no aromatic ring, it never removes an atom
    bonded to a carbon of an aromatic ring that stays, and it never takes a hydrogen from a
    carbon or a nitrogen. So every masked form contains the parent's atoms other than its chain
    oxygens, with: its ring bonds as ring bonds (other bonds: any bond); its aromatic carbons
    aromatic, with the same number of hydrogens; on its other carbons and nitrogens at most as
    many hydrogens as the parent has there (a ketone's carbon: none), and aliphatic atoms
    aliphatic; and, on every
    carbon that carries a chain oxygen in the parent, some atom other than carbon (the masked
    carbonyl or alcohol: a ketal O, an oxime N, an enamine N, a silyl ether O ...), written
    as one more atom where the skeleton has no heteroatom on that carbon already (a bond between
    two atoms the parent keeps is never made by unmasking, so that neighbour is no skeleton atom),
    and as a property of the carbon where the next carbon has a chain O too (an epoxide's one O
    gives both carbons of a 1,2-diol their O); a carbon with two chain oxygens (an acid) carries
    two heteroatom bonds in every masked form (an ester, an amide, a nitrile's triple bond ...).

    >>> from rdkit import Chem
    >>> skeleton(Chem.MolFromSmiles("CC(=O)Cc1ccccc1"))
    'C~[C&H0](~[!#6])~[C;H0,H1,H2]~[c&H0]1@[c&H1]@[c&H1]@[c&H1]@[c&H1]@[c&H1]@1'
    """
    from rdkit import Chem

    return Chem.MolToSmarts(_skeleton_query(skeleton_mol(mol)))


def skeleton_mol(mol):
    """The parent as its skeleton: chain oxygens gone, except that a carbon whose only heteroatoms
    were chain oxygens keeps one neighbour as a dummy atom (`[!#6]` in the pattern); every atom
    keeps its hydrogen count. Not sanitised (rings are found)."""
    from rdkit import Chem

    def chain_o(a) -> bool:
        return a.GetAtomicNum() == 8 and not a.IsInRing()

    rw = Chem.RWMol(mol)
    for a in rw.GetAtoms():
        a.SetNumExplicitHs(a.GetTotalNumHs())
        a.SetNoImplicit(True)
    drop = []
    for a in mol.GetAtoms():
        if not chain_o(a):
            continue
        drop.append(a.GetIdx())
    def bare(a) -> bool:  # a carbon whose only heteroatoms are chain oxygens
        nbrs = a.GetNeighbors()
        return a.GetAtomicNum() == 6 and any(chain_o(n) for n in nbrs) and all(
            n.GetAtomicNum() == 6 or chain_o(n) for n in nbrs)

    dummies = set()
    for a in mol.GetAtoms():
        if not bare(a):
            continue
        if sum(chain_o(n) for n in a.GetNeighbors()) >= 2:  # an acid or ester carbon: see _skeleton_query
            rw.GetAtomWithIdx(a.GetIdx()).SetProp("acid", "1")
            continue
        if any(n.GetAtomicNum() == 6 and any(chain_o(x) for x in n.GetNeighbors()) for n in a.GetNeighbors()):
            # next to another carbon with a chain O: the two may share one heteroatom in the masked
            # form (an epoxide gives a 1,2-diol), so no atom of its own, a property of the carbon
            rw.GetAtomWithIdx(a.GetIdx()).SetProp("hetero", "1")
            continue
        dummies.add(next(n.GetIdx() for n in a.GetNeighbors() if chain_o(n) and n.GetIdx() not in dummies))
    for i in dummies:
        rw.GetAtomWithIdx(i).SetAtomicNum(0)
    for i in sorted(set(drop) - dummies, reverse=True):
        rw.RemoveAtom(i)
    m = rw.GetMol()
    m.UpdatePropertyCache(False)
    Chem.FastFindRings(m)
    return m


def _skeleton_query(m):
    from rdkit import Chem

    qm = Chem.RWMol()
    for a in m.GetAtoms():
        if a.GetAtomicNum() == 0:
            sym = "[!#6]"
        elif a.GetIsAromatic() and a.GetAtomicNum() == 6:
            sym = f"[c;H{a.GetTotalNumHs()}]"
        elif a.GetIsAromatic():
            sym = f"[{a.GetSymbol().lower()}]"
        else:
            h = a.GetTotalNumHs()
            most = f";{','.join(f'H{k}' for k in range(h + 1))}" if a.GetAtomicNum() in (6, 7) and h < 3 else ""
            el = {6: "C", 7: "N", 8: "O", 16: "S"}.get(a.GetAtomicNum(), f"#{a.GetAtomicNum()}")  # aliphatic stays so
            extra = ""
            if a.HasProp("acid"):  # two chain O on it (an acid, an ester): two heteroatom bonds (a nitrile's one triple)
                extra = ";$(*(~[!#6])~[!#6]),$(*#[!#6])"
            elif a.HasProp("hetero"):
                extra = ";$(*~[!#6])"
            sym = f"[{el}{most}{extra}]"
        qm.AddAtom(Chem.AtomFromSmarts(sym))
    ri = m.GetRingInfo()
    for b in m.GetBonds():
        i, j = b.GetBeginAtomIdx(), b.GetEndAtomIdx()
        qm.AddBond(i, j, Chem.BondType.UNSPECIFIED)
        ring = ri.NumBondRings(b.GetIdx()) > 0
        qm.ReplaceBond(qm.GetBondBetweenAtoms(i, j).GetIdx(), Chem.BondFromSmarts("@" if ring else "~"))
    return qm.GetMol()


@dataclass
class Targets:
    """The watchlist's mask targets, as the gates need them (picklable: strings and numbers)."""

    ids: list[str] = field(default_factory=list)
    need: list[dict[str, int]] = field(default_factory=list)  # element counts a query must have
    skeletons: list[str] = field(default_factory=list)
    ring: list[bool] = field(default_factory=list)  # the target has a ring
    benzene: list[bool] = field(default_factory=list)  # the target has an aromatic carbocycle
    implies: list[list[int]] = field(default_factory=list)  # i -> targets j whose skeleton matching implies i's

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __setstate__(self, state):
        self.__dict__.update(state)


def compile_targets(parts: dict[str, object]) -> Targets:
    """`parts`: entry id -> standardised molecule of every mask target."""
    from rdkit import Chem

    from precursor_check.chemistry import molecules as chem

    t = Targets()
    mols = []
    for eid, mol in parts.items():
        c = counts(chem.mol_formula(mol))
        t.ids.append(eid)
        t.need.append({el: n for el, n in c.items() if el in _COUNTED})
        t.skeletons.append(skeleton(mol))
        t.ring.append(mol.GetRingInfo().NumRings() > 0)
        t.benzene.append(_benzene(mol))
        mols.append(skeleton_mol(mol))
    pats = [Chem.MolFromSmarts(s) for s in t.skeletons]
    for i, p in enumerate(pats):
        # skeleton i matches target j's skeleton molecule: then whatever matches j's skeleton matches
        # i's (each constraint of i holds on j's skeleton atoms, and j's pattern pins that much there)
        t.implies.append([j for j, m in enumerate(mols) if j != i and m.HasSubstructMatch(p)])
    return t


# ---------------------------------------------------------------- the engine


@dataclass(frozen=True)
class Found:
    target: str  # entry id, or rule id (a legal class clause)
    steps: tuple[str, ...]  # transform ids, in the order applied
    product: str  # canonical SMILES of the product
    rule: bool = False


class Unmasker:
    """The transforms compiled (on first use in a process) and the gates in front of them."""

    def __init__(self, library: Library, targets: Targets):
        self.library = library
        self.targets = targets
        self.target_set = frozenset(targets.ids)
        self.entry_masks: dict[str, list] = {}  # similarity entry id -> own_masks() (compile.py)
        self._built = False

    def __getstate__(self):
        return {"library": self.library, "targets": self.targets, "target_set": self.target_set,
                "entry_masks": self.entry_masks}  # no caches, no RDKit reactions

    def __setstate__(self, state):
        self.__dict__.update(state, _built=False)

    def _build_gates(self) -> None:
        from rdkit import Chem
        from rdkit.Chem import FilterCatalog

        self._skel_catalogs: dict = {}
        self._skel_patterns = [Chem.MolFromSmarts(s) for s in self.targets.skeletons]
        self._FilterCatalog = FilterCatalog

    def _build(self) -> None:
        """The reactions and their reactant catalogue (only for queries that pass the gates)."""
        from rdkit.Chem import FilterCatalog, rdChemReactions

        from precursor_check.chemistry import gates

        self._rxns = []  # (transform, reaction)
        self._fg_needs = []
        catalog_entries = []
        for t in self.library.transforms:
            for s in t.smarts:
                rxn = rdChemReactions.ReactionFromSmarts(s)
                rxn.Initialize()
                self._rxns.append((t, rxn))
                reactant = s.split(">>")[0]
                ring, els = gates.needs(gates.relax_smarts(reactant))
                if "[Si]" in reactant:  # an element gates.py does not read
                    els = els | {"Si"}
                self._fg_needs.append((ring, els))
                catalog_entries.append(rxn.GetReactantTemplate(0))
        self._fg_patterns = catalog_entries
        self._fg_catalogs: dict = {}
        if "_skel_patterns" not in self.__dict__:
            self._build_gates()
        self._FilterCatalog = FilterCatalog
        self._built = True

    # -- gates

    def candidates(self, formula: str, ring: bool = True, benzene: bool = True) -> tuple[int, ...]:
        """Targets the query's element counts, and whether it has a ring and an aromatic carbocycle
        (unmasking forms no ring and touches no aromatic ring) allow (gate 1); cached per count
        pattern (counts above what any target needs are alike)."""
        memo = self.__dict__.setdefault("_by_formula", {})
        got = memo.get((formula, ring, benzene))
        if got is not None:
            return got
        if len(memo) > 50_000:
            memo.clear()
        got = memo[formula, ring, benzene] = self._candidates(formula, ring, benzene)
        return got

    def _candidates(self, formula: str, ring: bool, benzene: bool) -> tuple[int, ...]:
        c = counts(formula)
        caps = self.__dict__.get("_caps")
        if caps is None:
            caps = self._caps = tuple(max((n.get(el, 0) for n in self.targets.need), default=0)
                                      + (MAX_EXTRA_CARBONS + 1 if el == "C" else 0) for el in _COUNTED)
            self._cands = {}
        key = (ring, benzene, *(min(c.get(el, 0), cap) for el, cap in zip(_COUNTED, caps)))
        got = self._cands.get(key)
        if got is None:
            carbons = key[2]
            rings, benzenes = self.targets.ring, self.targets.benzene
            got = self._cands[key] = tuple(
                i for i, need in enumerate(self.targets.need)
                if (ring or not rings[i]) and (benzene or not benzenes[i])
                and carbons - need.get("C", 0) <= MAX_EXTRA_CARBONS
                and all(c.get(el, 0) >= n for el, n in need.items()))
        return got

    def _skeleton_catalog(self, cands: tuple[int, ...], relaxed: bool = False):
        cat = self._skel_catalogs.get((cands, relaxed))
        if cat is None:
            if len(self._skel_catalogs) > 4096:
                self._skel_catalogs.clear()
            chosen = set(cands)
            # a skeleton that contains another candidate's is implied by it: keep the minimal ones
            implies = self.targets.implies  # implies[j]: targets whose skeleton matching implies j's matches
            # i goes when a weaker j stays; of skeletons that imply each other, the first stays
            minimal = [i for i in cands if not any(
                i in implies[j] and (j < i or j not in implies[i]) for j in chosen if j != i)]
            FilterCatalog = self._FilterCatalog
            cat = FilterCatalog.FilterCatalog()
            patterns = self._relaxed_patterns() if relaxed else self._skel_patterns
            for i in minimal:
                cat.AddEntry(FilterCatalog.FilterCatalogEntry(
                    str(i), FilterCatalog.SmartsMatcher(str(i), patterns[i], 1)))
            self._skel_catalogs[cands, relaxed] = cat
        return cat

    def _relaxed_patterns(self) -> list:
        """Each skeleton with its recursive primitives relaxed (a superset; itself when it has none)."""
        got = self.__dict__.get("_relaxed")
        if got is None:
            from rdkit import Chem

            from precursor_check.chemistry import gates

            got = []
            for smarts, full in zip(self.targets.skeletons, self._skel_patterns):
                relaxed = Chem.MolFromSmarts(gates.relax_smarts(smarts)) if "$(" in smarts else None
                got.append(relaxed if relaxed is not None else full)
            self._relaxed = got
        return got

    def _fg_catalog(self, ring: bool, elements: frozenset[str]):
        key = (ring, elements)
        entry = self._fg_catalogs.get(key)
        if entry is None:
            FilterCatalog = self._FilterCatalog
            chosen = [i for i, (need_ring, need_els) in enumerate(self._fg_needs)
                      if (ring or not need_ring) and need_els <= elements]
            cat = FilterCatalog.FilterCatalog()
            for n, i in enumerate(chosen):
                cat.AddEntry(FilterCatalog.FilterCatalogEntry(
                    str(n), FilterCatalog.SmartsMatcher(str(n), self._fg_patterns[i], 1)))
            entry = self._fg_catalogs[key] = (cat, chosen)
        return entry

    def possible(self, mol, formula: str) -> bool:
        """Whether any target could come out of this molecule (the two gates).

        The aromatic carbocycle count is computed only when a candidate needs one; the skeletons
        are met through their relaxed forms first (gates.relax_smarts: recursive primitives,
        which RDKit evaluates over the whole molecule before matching, reduced to what they say of
        their own atom), which match a superset, so the answer is the same, cheaper."""
        ring = mol.GetRingInfo().NumRings() > 0
        cands = self.candidates(formula, ring, ring)
        if cands and ring and any(self.targets.benzene[i] for i in cands) and not _benzene(mol):
            cands = self.candidates(formula, ring, False)
        if not cands:
            return False
        if "_skel_patterns" not in self.__dict__:
            self._build_gates()
        return self._skeleton_catalog(cands, relaxed=True).HasMatch(mol) and self._skeleton_catalog(cands).HasMatch(mol)

    # -- the steps

    def applicable(self, mol, formula: str) -> list[int]:
        """Indices into self._rxns whose reactant pattern matches."""
        if not self._built:
            self._build()
        els = frozenset(el for el in counts(formula) if el != "H")
        cat, chosen = self._fg_catalog(mol.GetRingInfo().NumRings() > 0, els)
        found = cat.GetMatches(mol)
        if not len(found):
            return []
        return sorted(chosen[int(e.GetDescription())] for e in found)

    def step(self, mol, formula: str) -> list[tuple[str, object, str]]:
        """(transform id, product molecule, its canonical SMILES) for one unmasking step."""
        from rdkit import Chem

        from precursor_check.chemistry import molecules as chem

        out: dict[str, tuple[str, object]] = {}
        for i in self.applicable(mol, formula):
            t, rxn = self._rxns[i]
            for products in rxn.RunReactants((mol,), 64):
                for p in products:
                    for piece in _finish(p):
                        smi = chem.canonical(piece)
                        if smi not in out and smi != "":
                            out[smi] = (t.id, piece)
                if len(out) >= MAX_PRODUCTS:
                    break
        return [(tid, m, smi) for smi, (tid, m) in out.items()]

    def apply(self, mol, tid: str) -> list:
        """Products of the one transform `tid` on `mol` (every site)."""
        if not self._built:
            self._build()
        out = []
        for t, rxn in self._rxns:
            if t.id == tid:
                out += [piece for ps in rxn.RunReactants((mol,), 16) for p in ps for piece in _finish(p)]
        return out

    def own_masks(self, mol) -> list[tuple[str, str, object]]:
        """(transform id, the mask it removes, fingerprint of the product) of every one-step
        unmasking of `mol` (an entry that carries a mask itself: see mask_free_score). The mask is
        told by the formula it takes away."""
        from precursor_check.chemistry import molecules

        if not self._built:
            self._build()
        formula = molecules.mol_formula(mol)
        out = []
        for i in self.applicable(mol, formula):
            t, rxn = self._rxns[i]
            seen = set()
            for ps in rxn.RunReactants((mol,), 16):
                for p in ps:
                    for piece in _finish(p):
                        smi = molecules.canonical(piece)
                        if smi not in seen:
                            seen.add(smi)
                            out.append((t.id, _removed(formula, piece), molecules.fingerprint(piece)))
        return out

    def mask_free_score(self, mol, entry_masks: list[tuple[str, str, object]]) -> float | None:
        """Similarity of `mol` to an entry that carries a mask, without the mask they share: the
        best Tanimoto between their products of the same transform where it removes the same
        atoms from both; None when they share no mask. (N-Boc morpholine is Tanimoto 0.58 to
        1-boc-4-piperidone through the Boc group; morpholine to 4-piperidone is 0.26.)"""
        from rdkit import DataStructs

        from precursor_check.chemistry import molecules

        formula = molecules.mol_formula(mol)
        best = None
        for tid in dict.fromkeys(t for t, _m, _fp in entry_masks):
            for p in self.apply(mol, tid):
                theirs = [fp for t, m, fp in entry_masks if t == tid and m == _removed(formula, p)]
                if theirs:
                    score = max(DataStructs.BulkTanimotoSimilarity(molecules.fingerprint(p), theirs))
                    best = score if best is None else max(best, score)
        return best

    def unmask(self, mol, formula: str) -> list[tuple[tuple[str, ...], object, str, str, bool]]:
        """Every product of one or two steps, shortest first: (transform ids, molecule, canonical
        SMILES, formula, whether it passes the gates); only products that pass are unmasked again."""
        from precursor_check.chemistry import molecules as chem

        seen = {chem.canonical(mol)}
        frontier = [((), mol, formula)]
        out = []
        for _depth in range(MAX_STEPS):
            nxt = []
            for steps, m, f in frontier:
                for tid, p, smi in self.step(m, f):
                    if smi in seen:
                        continue
                    seen.add(smi)
                    pf = chem.mol_formula(p)
                    gated = self.possible(p, pf)  # a target can still come out of it
                    out.append(((*steps, tid), p, smi, pf, gated))
                    if gated:
                        nxt.append(((*steps, tid), p, pf))
            frontier = nxt[:MAX_PRODUCTS]
            if not frontier:
                break
        return out


def _benzene(mol) -> bool:
    from rdkit.Chem import rdMolDescriptors

    return rdMolDescriptors.CalcNumAromaticCarbocycles(mol) > 0


def _removed(formula: str, product) -> str:
    """What a step took away, as a formula difference ('C5H8O2': a Boc group)."""
    from precursor_check.chemistry import molecules

    before, after = counts(formula), counts(molecules.mol_formula(product))
    return " ".join(f"{el}{before.get(el, 0) - after.get(el, 0)}" for el in sorted(set(before) | set(after)))


def _finish(p) -> list:
    """The product as a sanitised molecule (hydrogens recomputed where bonds went), split into
    its pieces; [] when RDKit cannot make sense of it."""
    from rdkit import Chem

    for a in p.GetAtoms():
        if not a.GetIsAromatic():
            a.SetNoImplicit(False)
            a.SetNumExplicitHs(0)
        elif a.GetAtomicNum() == 7 and a.HasProp("_ReactionDegreeChanged") and a.GetDegree() == 2 \
                and not a.GetFormalCharge():
            a.SetNumExplicitHs(1)  # an aromatic N that lost its substituent (N-trityl imidazole) carries the H
    try:
        Chem.SanitizeMol(p)
    except Exception:
        return []
    if len(Chem.GetMolFrags(p)) > 1:
        return [m for m in Chem.GetMolFrags(p, asMols=True) if any(a.GetAtomicNum() == 6 for a in m.GetAtoms())]
    return [p]


# ---------------------------------------------------------------- examples (precheck watchlist validate)


def example_problems(library: Library | None = None) -> list[str]:
    """One line per transform example that does not parse or does not behave as stated, and per
    transform with fewer than 3 examples of each kind."""
    from precursor_check.chemistry import molecules as chem

    library = library or shipped()
    u = Unmasker(library, Targets())
    u._build()
    problems: list[str] = []
    for t in library.transforms:
        if len(t.produces) < 3 or len(t.no_product) < 3:
            problems.append(f"transform {t.id}: needs at least 3 produces and 3 no_product examples")
        mine = [i for i, (tt, _r) in enumerate(u._rxns) if tt.id == t.id]
        for ex, want in [(e, True) for e in t.produces] + [(e, False) for e in t.no_product]:
            mol = chem.parse_smiles(ex.smiles)
            if mol is None:
                problems.append(f"transform {t.id}: example SMILES does not parse: {ex.smiles}")
                continue
            got = {smi for i in mine for smi in _products(u, i, mol)}
            if want:
                expected = chem.parse_smiles(ex.gives)
                if expected is None:
                    problems.append(f"transform {t.id}: product SMILES does not parse: {ex.gives}")
                elif chem.canonical(expected, isomeric=False) not in {_flat(s) for s in got}:
                    problems.append(f"transform {t.id}: {ex.name} should give {ex.gives_name}"
                                    f" ({ex.gives}); gives {', '.join(sorted(got)) or 'nothing'}")
            elif got:
                problems.append(f"transform {t.id}: {ex.name} should give no product; gives {', '.join(sorted(got))}")
    return problems


def _products(u: Unmasker, i: int, mol) -> set[str]:
    from precursor_check.chemistry import molecules as chem

    _t, rxn = u._rxns[i]
    return {chem.canonical(piece) for ps in rxn.RunReactants((mol,), 64) for p in ps for piece in _finish(p)}


def _flat(smiles: str) -> str:
    from precursor_check.chemistry import molecules as chem

    m = chem.parse_smiles(smiles)
    return chem.canonical(m, isomeric=False) if m is not None else smiles
