"""Results as data: the ordered verdicts, hits and per-query results."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from enum import Enum

DEFAULT_THRESHOLD = 0.55  # Tanimoto for `analog`, calibrated by bench/calibrate.py (docs/calibration.md)


class Verdict(str, Enum):
    """Verdicts, most severe first (their meaning: README.md, "Verdicts")."""

    CONTROLLED = "controlled"
    WATCH = "watch"
    ANALOG = "analog"
    CLEAR = "clear"
    UNRESOLVED = "unresolved"
    INVALID = "invalid"

    @property
    def severity(self) -> int:
        """Higher is worse; unresolved and invalid rank below clear for hit logic."""
        return _SEVERITY[self]

    @property
    def is_hit(self) -> bool:
        return self in (Verdict.CONTROLLED, Verdict.WATCH, Verdict.ANALOG)

    def __str__(self) -> str:
        return self.value


_SEVERITY = {
    Verdict.CONTROLLED: 5,
    Verdict.WATCH: 4,
    Verdict.ANALOG: 3,
    Verdict.CLEAR: 2,
    Verdict.UNRESOLVED: 1,
    Verdict.INVALID: 0,
}


class MatchKind(str, Enum):
    EXACT = "exact"  # same structure, as given
    PARENT = "parent"  # same parent after salt/solvent stripping, neutralisation or tautomer
    STEREO = "stereo"  # same parent, different or missing stereo
    CLASS_RULE = "class_rule"  # a `legal` class rule of the watchlist
    SUBSTRUCTURE = "substructure"  # an `alert` structural rule
    MASKED = "masked"  # gives a listed entry back in one or two unmasking steps (data/transforms.yaml)
    SIMILARITY = "similarity"  # fingerprint similarity at or above the threshold

    def __str__(self) -> str:
        return self.value


REGIMES = ("drug-precursors", "chemical-weapons", "explosives-precursors")
DEFAULT_REGIME = "drug-precursors"
REGIME_LABELS = {"drug-precursors": "drug precursors", "chemical-weapons": "chemical weapons",
                 "explosives-precursors": "explosives precursors"}


@dataclass(frozen=True)
class Listing:
    jurisdiction: str
    list: str
    regime: str = DEFAULT_REGIME  # drug-precursors | chemical-weapons | explosives-precursors
    limit: str = ""  # a concentration limit the list applies above ("above 12 % w/w"); precheck screens identity
    mixtures: bool = True  # False: the listing names the pure substance; a multi-component record containing it is not flagged
    citation: str = ""
    effective: str | None = None  # ISO date
    confidence: str = "confirmed"
    salts: bool = True
    salt_forms: tuple[str, ...] = ()  # the only salts the listing names ('hydrochloride'); empty: every salt
    isomers: bool = True
    except_smiles: tuple[str, ...] = ()
    wording: str = ""
    note: str = ""
    instrument: str = ""  # the act that put it there: CND decision, FR document, regulation, SOR, notice
    source_url: str = ""  # the official (or best available) text this listing was checked against
    listed_as: tuple[str, ...] = ()  # the names the list itself writes, in its own language ('麻黄素')

    def short(self) -> str:
        """The list, the confidence of the fact when it is not confirmed, and the head of the
        citation with its act number: 'US List II (recollection), 21 CFR 1310.02(b)',
        'EU Category 1, Delegated Regulation (EU) 2018/729'; and a concentration limit
        when the list names one ('EU Annex I (restricted), Regulation (EU) 2019/1148, above 12 % w/w')."""
        cite = _CITE_END.split(self.citation.split(";")[0])[0].strip()
        limit = f", {self.limit}" if self.limit else ""
        return (f"{self.label()}, {cite}" if cite else self.label()) + limit

    def label(self) -> str:
        """'US List I', or 'CN Category II (recollection)' when the fact is not confirmed."""
        return f"{self.jurisdiction} {self.list}" + (f" ({self.confidence})" if self.doubt() else "")

    def doubt(self) -> str:
        """The confidence when the listing is not a confirmed fact ('recollection', 'inferred' ...), else ''."""
        return self.confidence if self.confidence not in ("confirmed", "") else ""


# where a citation's head ends: a remark in brackets (not the '(EU)' of an act's number), a second
# act after ' / ', or its amendments
_CITE_END = re.compile(r" \((?!EU\)|EC\)|EEC\))| / |, as amended")


@dataclass(frozen=True)
class Hit:
    id: str  # entry or rule id
    name: str
    cas: str | None
    match: MatchKind
    verdict: Verdict  # what this hit alone means
    score: float | None
    lists: tuple[Listing, ...]
    reason: str
    families: tuple[str, ...] = ()
    subject: str = "precursor"  # precursor | drug
    fragment: str | None = None  # the screened fragment's SMILES (multi-component inputs)
    atoms: tuple[int, ...] = ()  # matched atoms in `fragment` (class rules / substructure)
    counted: bool = True  # False when filtered out by --jurisdiction / --as-of
    steps: tuple[str, ...] = ()  # masked: the transform ids, in the order applied
    product: str | None = None  # masked: SMILES of the product that is the listed entry

    def to_dict(self) -> dict:
        # field by field: dataclasses.asdict deep-copies every nested value and was most of the
        # time of a JSONL report with many hits (a long text repeating a listed name)
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["match"] = self.match.value
        d["verdict"] = self.verdict.value
        d["lists"] = [{f.name: v for f in fields(lst) if f.name != "except_smiles"
                       and ((v := getattr(lst, f.name)) not in ("", (), None) or f.name == "effective")
                       and not (f.name == "mixtures" and v is True)}  # the default is not repeated
                      for lst in self.lists]
        d["families"] = list(self.families)
        d["atoms"] = list(self.atoms)
        d["steps"] = list(self.steps)
        return d


@dataclass(frozen=True)
class Result:
    input: str
    input_type: str  # cas | smiles | inchi | name | empty
    verdict: Verdict
    hits: tuple[Hit, ...] = ()
    smiles: str | None = None  # hits: the canonical parent(s) screened; clear: the structure as resolved
    source: str | None = None  # where the structure came from (watchlist, local table, user file, input ...)
    removed: tuple[str, ...] = ()  # what standardisation removed ("hydrochloride", ...)
    error: str | None = None  # for invalid / unresolved
    suggestions: tuple[str, ...] = ()  # "did you mean" candidates
    inchikey: str | None = None  # reported for hits
    nearest: tuple[tuple[str, float], ...] = ()  # nearest entries by similarity (id, score)
    row: int | None = None
    extra: dict = field(default_factory=dict, compare=False)  # input row's own columns (batch)

    @property
    def top(self) -> Hit | None:
        counted = [h for h in self.hits if h.counted]
        return counted[0] if counted else None

    def reason(self) -> str:
        if self.top:
            return self.top.reason
        return self.error or ""

    def to_dict(self) -> dict:
        d = {
            "row": self.row,
            "input": self.input,
            "input_type": self.input_type,
            "verdict": self.verdict.value,
            "smiles": self.smiles,
            "inchikey": self.inchikey,
            "source": self.source,
            "removed": list(self.removed),
            "hits": [h.to_dict() for h in self.hits],
            "nearest": [{"id": i, "score": s} for i, s in self.nearest],
            "error": self.error,
            "suggestions": list(self.suggestions),
        }
        return d
