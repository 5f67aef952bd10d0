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
     C-N bond and no aromatic ring: `skeleton` has the whole argument), so its `skeleton`
     pattern must match. First the fingerprint bits every masked form of a target keeps
     (`aromatic_bits`: environments of its pinned atoms), then the minimal cheap cores (no recursive SMARTS) of the targets left, in one FilterCatalog,
     then the strict skeletons behind a core that matched.
Then the transforms whose reactant pattern matches (one more FilterCatalog) are run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from precursor_check.chemistry.gates import LazyCatalog

MAX_STEPS = 2
MAX_EXTRA_CARBONS = 30  # carbons the masking groups of one query may carry (trityl 19 + Boc 5 = 24)
MAX_MATCHES = 64  # skeleton matches looked at per target (more: the gate lets the molecule through)
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
_NOT_COUNTED = re.compile(r"(?:H|O)(?![a-z])\d*")  # hydrogen and oxygen in a Hill formula (not Ho, Os ...)
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


def skeleton(mol, strict: bool = True) -> str:
    """The SMARTS every masked form of `mol` contains (the skeleton gate).

    Unmasking only removes atoms, adds O and H, and swaps an N, O, S or halogen on a carbon for
    O; it forms no ring, no C-C or C-N bond and no aromatic ring; it never removes an atom bonded
    to an aromatic carbon that stays; it never takes a hydrogen from a carbon or a nitrogen; and
    it changes a carbon's neighbours only where the mask sits (heteroatoms, carbonyl carbons, the
    carbon next to one: decarboxylation, enamines; alkene carbons: dihalides). So every masked
    form contains the parent's atoms other than its chain oxygens, with
      - its ring bonds as ring bonds (other bonds: any bond), aliphatic atoms aliphatic;
      - its aromatic carbons aromatic, with the same number of hydrogens;
      - on its other carbons and nitrogens at most as many hydrogens as the parent has there
        (a ketone's carbon: none);
      - the same number of neighbours on a carbon no mask reaches (no chain O on it or on a
        carbon next to it, no multiple bond to carbon), and no heteroatom on a carbon that has
        none (unless it is next to a ketone's or aldehyde's carbon: a glycidic acid's epoxide O
        sits there; or in a double bond: a dihalide's halogens); and on every other carbon no
        more plain carbon neighbours than the parent has there (a mask adds only nitrile or
        carboxyl-level carbons: a cyanohydrin's CN, a glycidic or malonic acid's COOH; and never
        turns a carboxyl-level carbon plain);
      - on every carbon that carries a chain oxygen in the parent, some atom other than carbon
        (the masked carbonyl or alcohol: a ketal O, an oxime N, an enamine N, a silyl ether
        O ...), written as one more atom where the skeleton has no heteroatom on that carbon
        already (a bond between two atoms the parent keeps is never made, so that neighbour is no
        skeleton atom), and as a property of the carbon where the next carbon has a chain O too
        (an epoxide's one O gives both carbons of a 1,2-diol their O); a carbon with two chain
        oxygens (an acid) carries two heteroatom bonds (an ester, an amide, a nitrile's triple
        bond ...).

    >>> from rdkit import Chem
    >>> skeleton(Chem.MolFromSmiles("CCNc1ccccc1"))  # N-ethylaniline
    '[C&D1&!$(*~[!#6])]~[C;H0,H1,H2;D2]~[N;H0,H1]~[c&H0]1@[c&H1]@[c&H1]@[c&H1]@[c&H1]@[c&H1]@1'
    """
    from rdkit import Chem

    return Chem.MolToSmarts(_skeleton_query(skeleton_mol(mol), strict))


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
    for a in mol.GetAtoms():  # carbons no mask can reach keep their neighbours: exact degree
        if a.GetAtomicNum() == 6 and not a.GetIsAromatic() and not any(chain_o(n) for n in a.GetNeighbors()) \
                and not any(b.GetBondType() != Chem.BondType.SINGLE and b.GetOtherAtom(a).GetAtomicNum() == 6
                            for b in a.GetBonds()) \
                and not any(n.GetAtomicNum() == 6 and any(chain_o(x) for x in n.GetNeighbors())
                            for n in a.GetNeighbors()):
            rw.GetAtomWithIdx(a.GetIdx()).SetProp("degree", str(a.GetDegree()))
    def carbonyl(n) -> bool:  # a ketone's or aldehyde's carbon (a glycidic acid puts an O next to it)
        return n.GetAtomicNum() == 6 and any(b.GetBondType() == Chem.BondType.DOUBLE and chain_o(b.GetOtherAtom(n))
                                             for b in n.GetBonds()) \
            and all(x.GetAtomicNum() == 6 or chain_o(x) for x in n.GetNeighbors()) \
            and sum(chain_o(x) for x in n.GetNeighbors()) == 1

    for a in mol.GetAtoms():  # a carbon gains no carbon neighbour from a mask, but a nitrile or carboxyl one
        if a.GetAtomicNum() == 6 and not a.GetIsAromatic() and not rw.GetAtomWithIdx(a.GetIdx()).HasProp("degree"):
            rw.GetAtomWithIdx(a.GetIdx()).SetProp("carbons", str(sum(_plain_carbon(n) for n in a.GetNeighbors())))
    for a in mol.GetAtoms():  # carbons with no heteroatom get none from a mask
        if a.GetAtomicNum() == 6 and not a.GetIsAromatic() \
                and all(n.GetAtomicNum() == 6 and not carbonyl(n) for n in a.GetNeighbors()) \
                and not any(b.GetBondType() != Chem.BondType.SINGLE for b in a.GetBonds()):
            rw.GetAtomWithIdx(a.GetIdx()).SetProp("carbon_only", "1")
    for i in sorted(set(drop) - dummies, reverse=True):
        rw.RemoveAtom(i)
    m = rw.GetMol()
    m.UpdatePropertyCache(False)
    Chem.FastFindRings(m)
    return m


def _core_implied(core, own, other) -> bool:
    """Whether `core` (of skeleton molecule `own`) matches skeleton molecule `other` at atoms whose
    degree `other`'s core pins wherever `core` pins one."""
    pinned = [(a.GetIdx(), a.GetProp("degree")) for a in own.GetAtoms() if a.HasProp("degree")]
    for match in other.GetSubstructMatches(core, uniquify=False, maxMatches=256):
        if all(other.GetAtomWithIdx(match[k]).HasProp("degree")
               and other.GetAtomWithIdx(match[k]).GetProp("degree") == d for k, d in pinned):
            return True
    return False


def _plain_neighbours(atom) -> int:
    return sum(_plain_carbon(n) for n in atom.GetNeighbors())


def _plain_carbon(atom) -> bool:
    """A carbon that is not carboxyl-level: fewer than two heteroatom neighbours and no triple bond
    to one (the `plain` atom of _skeleton_query, on a molecule)."""
    if atom.GetAtomicNum() != 6:
        return False
    hetero = [b for b in atom.GetBonds() if b.GetOtherAtom(atom).GetAtomicNum() not in (1, 6)]
    return len(hetero) < 2 and not any(b.GetBondType() == b.GetBondType().TRIPLE for b in hetero)


def _skeleton_query(m, strict: bool = True):
    """The skeleton as a query molecule; `strict=False`: the core, without recursive SMARTS (cheap
    to match), on which one target's pattern can be shown to imply another's (compile_targets):
    elements, aromaticity, ring bonds, hydrogens, heteroatom neighbours as atoms, degrees."""
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
            if not strict:
                pass
            elif a.HasProp("acid"):  # two chain O on it (an acid, an ester): two heteroatom bonds (a nitrile's one triple)
                extra = ";$(*(~[!#6])~[!#6]),$(*#[!#6])"
            elif a.HasProp("hetero"):
                extra = ";$(*~[!#6])"
            if a.HasProp("degree"):  # in the core too: compile_targets checks it when one core implies another
                extra += f";D{a.GetProp('degree')}"
            if strict and a.HasProp("carbon_only"):
                extra += ";!$(*~[!#6])"
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
    skeletons: list[str] = field(default_factory=list)  # skeleton(): checked on whatever passes a core
    plain_limits: list = field(default_factory=list)  # [(skeleton atom, most plain carbon neighbours)], checked on a match
    cores: list[str] = field(default_factory=list)  # skeleton(strict=False): the catalogue's, cheap
    ring: list[bool] = field(default_factory=list)  # the target has a ring
    aromatic_bits: list = field(default_factory=list)  # fingerprint bits every masked form has (aromatic_bits()), as ints, or None
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
    for eid, mol in parts.items():  # (mols: each target's skeleton molecule)
        c = counts(chem.mol_formula(mol))
        t.ids.append(eid)
        t.need.append({el: n for el, n in c.items() if el in _COUNTED})
        t.skeletons.append(skeleton(mol))
        t.cores.append(skeleton(mol, strict=False))
        sk = skeleton_mol(mol)
        t.plain_limits.append([(a.GetIdx(), int(a.GetProp("carbons"))) for a in sk.GetAtoms() if a.HasProp("carbons")])
        t.ring.append(mol.GetRingInfo().NumRings() > 0)
        bv = aromatic_bits(mol)
        t.aromatic_bits.append(tuple(bv.GetOnBits()) if bv is not None else None)  # plain ints: cheap to unpickle
        mols.append(skeleton_mol(mol))
    pats = [Chem.MolFromSmarts(s) for s in t.cores]
    for i, p in enumerate(pats):
        # core i matches target j's skeleton molecule, with every degree i pins pinned alike by j:
        # then whatever matches j's core matches i's (each constraint of i holds on j's skeleton
        # atoms, and j's core pins that much there)
        t.implies.append([j for j, m in enumerate(mols) if j != i and _core_implied(p, mols[i], m)])
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
        # each reaction's reactant pattern relaxed (no recursive SMARTS) and what it needs (a ring,
        # elements): worked out here, at compile time, so that a query pays only for what it meets
        self.fg = [_reactant_gate(s) for t in library.transforms for s in t.smarts]
        self._built = False

    def __getstate__(self):
        return {"library": self.library, "targets": self.targets, "target_set": self.target_set,
                "entry_masks": self.entry_masks, "fg": self.fg}  # no caches, no RDKit reactions

    def __setstate__(self, state):
        self.__dict__.update(state, _built=False)

    def _build_gates(self) -> None:
        from rdkit import DataStructs

        self._skel_catalogs: dict = {}
        self._skel_patterns = _Lazy(self.targets.skeletons)  # compiled on first use: a single query
        self._core_patterns = _Lazy(self.targets.cores)  # meets a few of them
        # the pinned-bit gate (_with_bits): the union of every target's bits, and per pattern of
        # those bits that a fingerprint has, the targets it allows (bits of an int)
        from precursor_check.chemistry.molecules import FP_BITS

        groups: dict[frozenset, int] = {}  # a target's bits -> the targets that have just those
        for i, on in enumerate(self.targets.aromatic_bits):
            if on is not None:
                groups[frozenset(on)] = groups.get(frozenset(on), 0) | 1 << i
        self._bit_groups = tuple(groups.items())
        self._bit_targets = sum(groups.values())
        self._bit_union = DataStructs.ExplicitBitVect(FP_BITS)
        self._bit_union.SetBitsFromList(sorted(set().union(*groups)))
        self._bit_keys: dict[str, int] = {}

    def _build(self) -> None:
        """The reactions and their reactant catalogue (only for queries that pass the gates)."""
        self._rxns = _Reactions(self.library)  # (transform, reaction), each compiled when first run
        self._fg_needs = [(ring, els) for _smarts, ring, els in self.fg]
        self._fg_patterns = _Lazy([smarts for smarts, _ring, _els in self.fg])
        self._fg_catalogs: dict = {}
        if "_skel_patterns" not in self.__dict__:
            self._build_gates()
        self._built = True

    # -- gates

    def candidates(self, formula: str, ring: bool = True) -> int:
        """Targets the query's element counts, and whether it has a ring (unmasking forms none),
        allow (gate 1), as the bits of an int (bit i: target i; 0: none); cached per formula,
        then per formula without H and O, and per count pattern (counts above what any target
        needs are alike, elements no target has do not count)."""
        by_formula = self.__dict__.get("_by_formula")
        if by_formula is None:
            by_formula = self._by_formula = ({}, {})
        seen = by_formula[ring]
        got = seen.get(formula)
        if got is not None:
            return got
        if len(seen) > 100_000:
            seen.clear()
        memo = self.__dict__.get("_memo")
        if memo is None:
            memo = self._memo = {}
        short = (ring, _NOT_COUNTED.sub("", formula))  # H and O never decide
        got = memo.get(short)
        if got is not None:
            seen[formula] = got
            return got
        if len(memo) > 100_000:
            memo.clear()
        plan = self.__dict__.get("_count_plan")
        if plan is None:
            plan = self._plan_counts()
        c = dict((el, int(n) if n else 1) for el, n in _ELEMENTS.findall(formula))  # Hill formulas: each element once
        key = (ring, *[min(c.get(el, 0), cap) for el, cap, _masks in plan])
        got = self._cands.get(key)
        if got is None:
            # the targets as bits of an int: those each element's count allows, ANDed
            allowed = self._ring_mask[ring]
            for (el, _cap, masks), n in zip(plan, key[1:]):
                mask = masks.get(n)
                if mask is None:
                    mask = masks[n] = self._count_mask(el, n)
                allowed &= mask
            got = self._cands[key] = allowed
        memo[short] = seen[formula] = got
        return got

    def _plan_counts(self):
        """(element some target has, the count above which all are alike, {count: the targets
        that count allows, as an int bit mask}), and the targets a molecule with and without a
        ring allows; each mask is worked out when first met, so a new count pattern costs a few
        int ANDs."""
        need = self.targets.need
        self._count_plan = plan = tuple(
            (el, max(n.get(el, 0) for n in need) + (MAX_EXTRA_CARBONS + 1 if el == "C" else 0), {})
            for el in _COUNTED if any(n.get(el, 0) for n in need))
        self._ring_mask = {True: (1 << len(need)) - 1,
                           False: sum(1 << i for i, r in enumerate(self.targets.ring) if not r)}
        self._cands = {}
        return plan

    def _count_mask(self, el: str, have: int) -> int:
        """The targets whose need for element `el` a (capped) count of `have` meets, as bits.
        Carbons: also at most MAX_EXTRA_CARBONS more than the target has (the masking groups;
        a count at the cap is above every target's need by more than that)."""
        ok = 0
        for i, n in enumerate(self.targets.need):
            want = n.get(el, 0)
            if have >= want and (el != "C" or have - want <= MAX_EXTRA_CARBONS):
                ok |= 1 << i
        return ok

    def _with_bits(self, cands: int, fp) -> int:
        """The candidates (bits of an int) whose pinned bits (aromatic_bits) the fingerprint has.
        The fingerprint's bits among all targets' pinned bits decide which targets it allows:
        one bitwise AND and one dict look-up per molecule (~3 µs), the targets per pattern of
        those bits worked out when it is first met."""
        if not cands & self._bit_targets:
            return cands
        have = fp & self._bit_union
        key = have.ToBase64()
        allowed = self._bit_keys.get(key)
        if allowed is None:
            if len(self._bit_keys) > 50_000:
                self._bit_keys.clear()
            on = set(have.GetOnBits())
            allowed = ~self._bit_targets
            for need, members in self._bit_groups:
                if need <= on:
                    allowed |= members
            self._bit_keys[key] = allowed
        return cands & allowed

    def _skeleton_catalog(self, mask: int):
        cat = self._skel_catalogs.get(mask)
        if cat is None:
            if len(self._skel_catalogs) > 4096:
                self._skel_catalogs.clear()
            cands = [i for i in range(len(self.targets.ids)) if mask >> i & 1]
            chosen = set(cands)
            # a skeleton that contains another candidate's is implied by it: keep the minimal ones
            implies = self.targets.implies  # implies[j]: targets whose skeleton matching implies j's matches
            # i goes when a weaker j stays; of skeletons that imply each other, the first stays
            minimal = [i for i in cands if not any(
                i in implies[j] and (j < i or j not in implies[i]) for j in chosen if j != i)]
            cat = LazyCatalog(minimal, self._core_patterns.__getitem__, lambda i: self._matcher("_core_matchers", i))
            # behind each core: the candidates whose strict skeleton to check when it matches
            behind = {i: [j for j in cands if j == i or j in implies[i]] for i in minimal}
            cat = self._skel_catalogs[mask] = (cat, behind)
        return cat

    def _matcher(self, kind: str, i: int):
        """Pattern i's SmartsMatcher (`_core_matchers`: the skeleton cores; `_fg_matchers`: the
        reactant gates), made once: a catalogue entry shares it, so a new catalogue of n
        patterns costs ~4 µs per entry instead of ~40-80 µs for copying or parsing its pattern."""
        made = self.__dict__.setdefault(kind, {})
        m = made.get(i)
        if m is None:
            from rdkit.Chem import FilterCatalog  # imported only once a catalogue is built (~5-10 ms)

            pattern = self._core_patterns[i] if kind == "_core_matchers" else self._fg_patterns[i]
            m = made[i] = FilterCatalog.SmartsMatcher(str(i), pattern, 1)
        return m

    def _fg_catalog(self, ring: bool, elements: frozenset[str]):
        key = (ring, elements)
        entry = self._fg_catalogs.get(key)
        if entry is None:
            chosen = [i for i, (need_ring, need_els) in enumerate(self._fg_needs)
                      if (ring or not need_ring) and need_els <= elements]
            entry = self._fg_catalogs[key] = LazyCatalog(chosen, self._fg_patterns.__getitem__,
                                                         lambda i: self._matcher("_fg_matchers", i))
        return entry

    def possible(self, mol, formula: str, fp=None) -> bool:
        """Whether any target could come out of this molecule (the gates). `fp`: its similarity
        fingerprint, when the caller has it (else computed here for molecules with a ring)."""
        ring = mol.GetRingInfo().NumRings() > 0
        cands = self.candidates(formula, ring)
        if not cands:
            return False
        if "_skel_patterns" not in self.__dict__:
            self._build_gates()
        if ring and cands & self._bit_targets:  # targets with a benzene ring: their ring's bits (aromatic_bits)
            if fp is None:
                from precursor_check.chemistry import molecules

                fp = molecules.fingerprint(mol)
            cands = self._with_bits(cands, fp)
            if not cands:
                return False
        catalog, behind = self._skeleton_catalog(cands)
        found = catalog.matches(mol)
        if not found:
            return False
        tried: set[int] = set()
        for i in found:  # a core matched: the strict skeletons behind it decide
            for j in behind[i]:
                if j not in tried:
                    tried.add(j)
                    if self._strict_match(mol, j):
                        return True
        return False

    def _strict_match(self, mol, j: int) -> bool:
        """Target j's strict skeleton matches, at atoms with no more plain carbon neighbours than
        the target has there (counted here: a SMARTS for it nests recursion and costs ~10x)."""
        limits = self.targets.plain_limits[j]
        matches = mol.GetSubstructMatches(self._skel_patterns[j], uniquify=False, maxMatches=MAX_MATCHES)
        if not matches:
            return False
        if not limits or len(matches) >= MAX_MATCHES:  # too many ways to tell: let it through
            return True
        atom = mol.GetAtomWithIdx
        return any(all(_plain_neighbours(atom(m[k])) <= most for k, most in limits) for m in matches)

    # -- the steps

    def applicable(self, mol, formula: str) -> list[int]:
        """Indices into self._rxns whose reactant pattern matches."""
        if not self._built:
            self._build()
        els = frozenset(el for el in counts(formula) if el != "H")
        return sorted(self._fg_catalog(mol.GetRingInfo().NumRings() > 0, els).matches(mol))

    def step(self, mol, formula: str) -> list[tuple[str, object, str, str]]:
        """(transform id, product, its canonical SMILES, its formula) of one unmasking step, for
        the products from which a target can still come (the gates; cheap counts first)."""
        from precursor_check.chemistry import molecules as chem

        from rdkit import Chem
        from rdkit.Chem.rdMolDescriptors import CalcMolFormula

        out: dict[str, tuple[str, object, str]] = {}
        dropped: set[str] = set()
        done: set = set()
        for i in self.applicable(mol, formula):
            t, rxn = self._rxns[i]
            for products in rxn.RunReactants((mol,), 64):
                for p in products:
                    atoms = [p.GetAtomWithIdx(k) for k in range(p.GetNumAtoms())]  # (by index: ~2x iterating GetAtoms)
                    kept = frozenset(a.GetIntProp("react_atom_idx") for a in atoms if a.HasProp("react_atom_idx"))
                    if (t.id, kept) in done:  # the same product by a symmetric match (a sulfonyl's two O)
                        continue
                    done.add((t.id, kept))
                    _hydrogens(p, atoms)
                    if len(Chem.GetMolFrags(p)) == 1:  # its counts first: most products go here, unsanitised
                        p.UpdatePropertyCache(strict=False)
                        if not self.candidates(CalcMolFormula(p), True):
                            continue
                    for piece in _finish(p, hydrogens=False):
                        pf = chem.mol_formula(piece)
                        if pf in dropped:
                            continue
                        if not self.candidates(pf, piece.GetRingInfo().NumRings() > 0):
                            dropped.add(pf)  # no target has room in it: not even a canonical SMILES
                            continue
                        smi = chem.canonical(piece)
                        if smi not in out and self.possible(piece, pf):
                            out[smi] = (t.id, piece, pf)
                if len(out) >= MAX_PRODUCTS:
                    break
        return [(tid, m, smi, pf) for smi, (tid, m, pf) in out.items()]

    def apply(self, mol, tid: str) -> list:
        """Products of the one transform `tid` on `mol` (every site)."""
        if not self._built:
            self._build()
        out = []
        for i, (t, _s) in enumerate(self._rxns.smarts):
            if t.id == tid:
                rxn = self._rxns[i][1]
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

    def unmask(self, mol, formula: str) -> list[tuple[tuple[str, ...], object, str, str]]:
        """Every product of one or two steps from which a target can come (each passes the gates),
        shortest first: (transform ids, molecule, canonical SMILES, formula)."""
        seen: set[str] = set()  # (the query is never its own product: every step changes the formula)
        frontier = [((), mol, formula)]
        out = []
        for depth in range(MAX_STEPS):
            nxt = []
            for steps, m, f in frontier:
                for tid, p, smi, pf in self.step(m, f):
                    if smi in seen:
                        continue
                    seen.add(smi)
                    out.append(((*steps, tid), p, smi, pf))
                    if depth + 1 < MAX_STEPS:
                        nxt.append(((*steps, tid), p, pf))
            frontier = nxt[:MAX_PRODUCTS]
            if not frontier:
                break
        return out


def aromatic_bits(mol):
    """The similarity fingerprint's bits (chemistry.molecules.fingerprint) that every masked form
    of `mol` sets too, as a bit vector, or None when there are none: those of environments whose
    atoms are the same in every masked form (`pinned_atoms`): environments made of aromatic
    carbons only (unmasking never touches an aromatic carbon's neighbours or hydrogens, so such an
    environment, and its bit, is the same in the masked form), and environments of radius 1 made
    of pinned atoms. A monosubstituted benzene ring gives the bit of its para CH at radius 2 (five
    CH in a row), a tolyl group that of its methyl-bearing ring carbon at radius 1.

    Radius 1 at most beyond aromatic carbons: RDKit drops an environment whose bonds another atom's
    environment already covers, and at radius 1 (the bonds of one atom) that happens only in a
    two-atom piece, so the bit cannot go missing in a larger masked form."""
    from rdkit import Chem, DataStructs
    from rdkit.Chem import rdMolDescriptors

    from precursor_check.chemistry.molecules import FP_BITS, FP_RADIUS

    info: dict = {}
    rdMolDescriptors.GetMorganFingerprintAsBitVect(mol, FP_RADIUS, FP_BITS, bitInfo=info)
    dist = Chem.GetDistanceMatrix(mol)
    arom_c = {a.GetIdx() for a in mol.GetAtoms() if a.GetIsAromatic() and a.GetAtomicNum() == 6}
    pinned = pinned_atoms(mol)

    def kept(center: int, radius: int) -> bool:
        ball = [j for j in range(mol.GetNumAtoms()) if dist[center][j] <= radius]
        return all(j in arom_c for j in ball) or (radius <= 1 and all(j in pinned for j in ball))

    bits = [bit for bit, envs in info.items() if any(kept(center, radius) for center, radius in envs)]
    if not bits:
        return None
    bv = DataStructs.ExplicitBitVect(FP_BITS)
    for b in bits:
        bv.SetBit(b)
    return bv


def pinned_atoms(mol) -> set[int]:
    """Atoms of a target whose fingerprint invariants (element, neighbours, hydrogens, charge,
    ring membership) and bonds to each other are the same in every masked form of it:
      - aromatic carbons (unmasking forms no aromatic ring and never touches their neighbours);
      - halogens on an aromatic carbon (an atom bonded to an aromatic carbon that stays is kept,
        and a halogen has one neighbour);
      - ring oxygens with two neighbours (ring bonds stay ring bonds, and the skeleton keeps the
        O: `skeleton`);
      - uncharged sp3 carbons no mask reaches (no chain oxygen on them or on a carbon next to
        them: their neighbours stay, `skeleton`), bonded only to ring oxygens and to carbons
        without a double or triple bond (so no double bond can move onto them: their hydrogens
        stay), that are ring atoms (they stay in a ring) or have one neighbour (they cannot be in
        one)."""
    from rdkit import Chem

    def chain_o(a) -> bool:
        return a.GetAtomicNum() == 8 and not a.IsInRing()

    out: set[int] = set()
    for a in mol.GetAtoms():
        z = a.GetAtomicNum()
        if a.GetFormalCharge() or a.GetIsotope() or a.GetNumRadicalElectrons():
            continue
        nbrs = a.GetNeighbors()
        if z == 6 and a.GetIsAromatic():
            out.add(a.GetIdx())
        elif z in (9, 17, 35, 53) and len(nbrs) == 1 and nbrs[0].GetIsAromatic() and nbrs[0].GetAtomicNum() == 6:
            out.add(a.GetIdx())
        elif z == 8 and a.IsInRing() and a.GetDegree() == 2 and not a.GetIsAromatic():
            out.add(a.GetIdx())
        elif z == 6 and (a.IsInRing() or a.GetDegree() == 1) \
                and all(b.GetBondType() in (Chem.BondType.SINGLE, Chem.BondType.AROMATIC) for b in a.GetBonds()) \
                and all((n.GetAtomicNum() == 6 and all(b.GetBondType() in (Chem.BondType.SINGLE, Chem.BondType.AROMATIC)
                                                       for b in n.GetBonds()))
                        or (n.GetAtomicNum() == 8 and n.IsInRing()) for n in nbrs) \
                and not any(n.GetAtomicNum() == 6 and any(chain_o(x) for x in n.GetNeighbors()) for n in nbrs):
            out.add(a.GetIdx())
    return out


def _removed(formula: str, product) -> str:
    """What a step took away, as a formula difference ('C5H8O2': a Boc group)."""
    from precursor_check.chemistry import molecules

    before, after = counts(formula), counts(molecules.mol_formula(product))
    return " ".join(f"{el}{before.get(el, 0) - after.get(el, 0)}" for el in sorted(set(before) | set(after)))


class _Reactions:
    """The library's reaction SMARTS as (transform, reaction), each compiled when first asked for
    (a single query that passes the gates meets two or three of them)."""

    def __init__(self, library: Library):
        self.smarts = [(t, s) for t in library.transforms for s in t.smarts]
        self.done: dict[int, tuple] = {}

    def __len__(self) -> int:
        return len(self.smarts)

    def __getitem__(self, i: int):
        got = self.done.get(i)
        if got is None:
            from rdkit.Chem import rdChemReactions

            t, s = self.smarts[i]
            rxn = rdChemReactions.ReactionFromSmarts(s)
            rxn.Initialize()
            got = self.done[i] = (t, rxn)
        return got

    def __iter__(self):
        return (self[i] for i in range(len(self.smarts)))


class _Lazy:
    """SMARTS strings, each compiled when first asked for (`lazy[i]`)."""

    def __init__(self, smarts: list[str]):
        self.smarts = smarts
        self.mols: dict[int, object] = {}

    def __getitem__(self, i: int):
        m = self.mols.get(i)
        if m is None:
            from rdkit import Chem

            m = self.mols[i] = Chem.MolFromSmarts(self.smarts[i])
        return m


def _reactant_gate(reaction_smarts: str) -> tuple[str, bool, frozenset[str]]:
    """(the reactant pattern with recursive SMARTS relaxed: a superset, cheaper to match; whether
    it needs a ring; the elements it needs), as gates.py works them out for the class rules."""
    from rdkit import Chem

    from precursor_check.chemistry import gates

    reactant = reaction_smarts.split(">>")[0]
    relaxed = gates.relax_smarts(reactant)
    if Chem.MolFromSmarts(relaxed) is None:  # cannot happen for a valid pattern; never lose a transform
        relaxed = reactant
    ring, els = gates.needs(relaxed)
    if "[Si]" in reactant:  # an element gates.py does not read
        els = els | {"Si"}
    return relaxed, ring, els


def _hydrogens(p, atoms=None) -> None:
    """Hydrogens recomputed on a reaction product where bonds went (idempotent); `atoms`: the
    product's atoms, when the caller has them."""
    for a in atoms if atoms is not None else [p.GetAtomWithIdx(k) for k in range(p.GetNumAtoms())]:
        if not a.GetIsAromatic():
            a.SetNoImplicit(False)
            a.SetNumExplicitHs(0)
        elif a.GetAtomicNum() == 7 and a.HasProp("_ReactionDegreeChanged") and a.GetDegree() == 2 \
                and not a.GetFormalCharge():
            a.SetNumExplicitHs(1)  # an aromatic N that lost its substituent (N-trityl imidazole) carries the H


def _finish(p, hydrogens: bool = True) -> list:
    """The product as a sanitised molecule (hydrogens recomputed where bonds went, unless the
    caller did: `hydrogens=False`), split into its pieces; [] when RDKit cannot make sense of it."""
    from rdkit import Chem

    if hydrogens:
        _hydrogens(p)
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
