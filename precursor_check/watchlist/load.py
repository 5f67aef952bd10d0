"""The watchlist: YAML files (safe loader) -> validated, frozen dataclasses.

Validation happens at load and names the bad entry. Chemistry compilation (keys,
fingerprints, rule catalogue) lives in `watchlist/compile.py`.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from precursor_check.errors import WatchlistError
from precursor_check.identify.identifiers import cas_is_valid, normalise_cas
from precursor_check.model import DEFAULT_REGIME, REGIMES, Listing
from precursor_check.resources import data_path

SCHEMA_VERSION = 1
# drug precursors: UN, US, EU, CA, CN, UK, AU, JP, IN, MX; chemical weapons: CWC (the Convention's
# Annex on Chemicals), AG (the Australia Group's list); explosives precursors: EU (Regulation 2019/1148)
JURISDICTIONS = ("UN", "US", "EU", "CA", "CN", "UK", "AU", "JP", "IN", "MX", "CWC", "AG")
CONFIDENCE = ("confirmed", "recollection", "inferred", "unverified")
STATUSES = ("controlled", "watch")
RULE_KINDS = ("legal", "alert")


@dataclass(frozen=True)
class OtherCas:
    cas: str
    form: str
    source: str = ""


@dataclass(frozen=True)
class Entry:
    id: str
    name: str
    status: str = "controlled"
    abbreviations: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()
    cas: str | None = None
    other_cas: tuple[OtherCas, ...] = ()
    smiles: str | None = None
    also_smiles: tuple[str, ...] = ()  # other writings of the same substance (a database's), identity only
    structure_source: str = ""
    similarity: bool = True
    # a mask target: forms that give this entry back in one or two unmasking steps are flagged
    # (unmask.py); None follows `similarity` (commodity chemicals are neither)
    unmask: bool | None = None
    unmask_reason: str = ""
    families: tuple[str, ...] = ()
    listings: tuple[Listing, ...] = ()
    sources: tuple[str, ...] = ()
    note: str = ""
    origin: str = ""  # file it came from
    regime: str = DEFAULT_REGIME  # the regime of a watch entry (or one without listings); listings carry their own

    @property
    def regimes(self) -> tuple[str, ...]:
        """The regimes this entry is listed under (its own regime when it has no listing)."""
        return tuple(dict.fromkeys(lst.regime for lst in self.listings)) or (self.regime,)

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the entry is found by: its name, synonyms, abbreviations, and the names its
        lists write in their own language (a listing's `listed_as`: '1-苯基-2-丙酮')."""
        listed = (n for lst in self.listings for n in lst.listed_as)
        return tuple(dict.fromkeys((self.name, *self.synonyms, *self.abbreviations, *listed)))

    @property
    def label(self) -> str:
        """Short name for reasons: the first abbreviation, else the name."""
        return self.abbreviations[0] if self.abbreviations else self.name

    @property
    def mask_target(self) -> bool:
        return self.similarity if self.unmask is None else self.unmask

    def all_cas(self) -> list[str]:
        return ([self.cas] if self.cas else []) + [o.cas for o in self.other_cas]


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    name: str
    smarts: tuple[str, ...]
    description: str = ""
    subject: str = "precursor"
    exclude_smarts: tuple[str, ...] = ()
    entries: tuple[str, ...] = ()
    families: tuple[str, ...] = ()
    verdict: str | None = None
    jurisdiction: str | None = None  # an alert that reads one jurisdiction's clause (Canada's "analogues")
    listings: tuple[Listing, ...] = ()
    examples_match: tuple[str, ...] = ()
    examples_no_match: tuple[str, ...] = ()
    origin: str = ""
    regime: str = DEFAULT_REGIME  # an alert's regime (a legal rule's listings carry their own)
    except_rules: tuple[str, ...] = ()  # when one of these rules matches too, this one does not

    @property
    def regimes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(lst.regime for lst in self.listings)) or (self.regime,)


@dataclass(frozen=True)
class Watchlist:
    version: str
    sha256: str
    files: tuple[str, ...]
    entries: tuple[Entry, ...]
    rules: tuple[Rule, ...]
    title: str = ""
    coverage: tuple[tuple[str, str], ...] = ()  # (jurisdiction, what of its list is not encoded)

    def listed_jurisdictions(self) -> frozenset[str]:
        """The jurisdictions at least one entry or rule is listed under."""
        return frozenset(lst.jurisdiction for item in (*self.entries, *self.rules) for lst in item.listings)

    def partial(self, jurisdiction: str) -> str:
        """What of `jurisdiction`'s list the loaded files say is not encoded ('' when nothing is said)."""
        return next((note for j, note in self.coverage if j == jurisdiction), "")

    def entry(self, id_: str) -> Entry | None:
        return next((e for e in self.entries if e.id == id_), None)

    def rule(self, id_: str) -> Rule | None:
        return next((r for r in self.rules if r.id == id_), None)

    def newest_effective(self) -> str | None:
        dates = [
            lst.effective
            for item in (*self.entries, *self.rules)
            for lst in item.listings
            if lst.effective
        ]
        return max(dates) if dates else None


def shipped_path() -> Path:
    """data/watchlist.yaml inside the installed package (or the source checkout)."""
    try:
        return data_path("watchlist.yaml")
    except FileNotFoundError:
        pass
    raise WatchlistError("the shipped watchlist is missing from the installation; reinstall precursor-check")


def default_paths(extra: tuple[str, ...] = (), replace: bool = False) -> list[Path]:
    """The watchlist files to load: the shipped one unless replaced, then --watchlist / PRECHECK_WATCHLIST."""
    paths = [] if replace else [shipped_path()]
    env = os.environ.get("PRECHECK_WATCHLIST", "")
    for p in [*extra, *[x for x in env.split(os.pathsep) if x]]:
        paths.append(Path(p))
    if not paths:
        raise WatchlistError("no watchlist: --replace-watchlist needs at least one --watchlist PATH")
    return paths


def file_closure(paths: list[Path]) -> list[tuple[Path, bytes]]:
    """Every file to load, includes expanded depth-first, with its bytes (for hashing and caching)."""
    out: list[tuple[Path, bytes]] = []
    seen: set[Path] = set()

    def visit(path: Path) -> None:
        path = path.resolve()
        if path in seen:
            return
        seen.add(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise WatchlistError(f"cannot read watchlist {path}: {exc.strerror}") from None
        out.append((path, raw))
        doc = parse_yaml(path, raw)
        if not isinstance(doc, dict):
            raise WatchlistError(f"{path}: the top level must be a mapping with schema_version, entries, rules")
        for inc in _items(doc.get("include"), str(path), "include"):
            if not isinstance(inc, str) or not inc.strip():
                raise WatchlistError(f"{path}: include: each item must be a file name, not {inc!r}")
            visit(path.parent / inc)

    for p in paths:
        visit(p)
    return out


_TOP_KEYS = {"schema_version", "watchlist_version", "title", "include", "entries", "rules"}
_ENTRY_KEYS = {"id", "name", "status", "abbreviations", "synonyms", "cas", "other_cas", "smiles", "also_smiles",
               "structure_source", "similarity", "unmask", "unmask_reason", "families", "listings", "sources", "note"}
_LISTING_KEYS = {"jurisdiction", "list", "citation", "effective", "confidence", "salts", "isomers",
                 "except_smiles", "wording", "note", "instrument", "source_url"}
_OTHER_CAS_KEYS = {"cas", "form", "source"}
# regimes and overlays: a file's `regime` is the default of its entries, rules and listings; its
# `listing_defaults` fill every listing it gives; its `listings` add listings to entries (or rules) by id,
# wherever they are defined (a jurisdiction's own file over the shipped entries)
_TOP_KEYS |= {"regime", "listing_defaults", "listings", "coverage"}
_ENTRY_KEYS |= {"regime"}
_LISTING_KEYS |= {"regime", "limit", "mixtures"}
_LISTING_KEYS |= {"listed_as"}
_RULE_KEYS = {"id", "kind", "name", "description", "subject", "smarts", "exclude_smarts", "entries", "families",
              "verdict", "jurisdiction", "listings", "examples", "regime", "except_rules"}


def _items(value, where: str, key: str) -> list:
    """A list-valued field: missing or null is empty; anything but a list is one line naming it."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise WatchlistError(f"{where}: {key} must be a list, not {type(value).__name__} {str(value)[:40]!r}")
    return value


def _known_keys(item, allowed: set[str], where: str) -> None:
    """A misspelt or misplaced key ('smile:', 'CAS:') would silently drop its value: refuse it."""
    if not isinstance(item, dict):
        return
    for key in item:
        if key not in allowed:
            import difflib

            near = difflib.get_close_matches(str(key).lower(), sorted(allowed), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else f" (allowed: {', '.join(sorted(allowed))})"
            raise WatchlistError(f"{where}: unknown key {key!r}{hint}")


_PARSED: dict[tuple[str, bytes], object] = {}  # (path, bytes) -> document: a compile reads each file twice


def parse_yaml(path, raw: bytes):
    """The YAML document, with the safe loader; a repeated key, a syntax error or an impossible
    value (2025-02-30) is one WatchlistError line naming the file and the place. The same bytes
    are parsed once per process (callers only read the document)."""
    key = (str(path), raw)
    if key not in _PARSED:
        if len(_PARSED) >= 64:
            _PARSED.clear()
        _PARSED[key] = _parse_yaml(path, raw)
    return _PARSED[key]


def _parse_yaml(path, raw: bytes):
    import yaml

    class StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser when there is one
        def get_single_node(self):
            node = super().get_single_node()
            if b"&" in raw:  # no anchor, no alias: nothing to expand
                _check_aliases(node, path)
            return node

        def construct_mapping(self, node, deep=False):
            seen = set()
            for key_node, _value in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    line = key_node.start_mark.line + 1
                    raise WatchlistError(f"{path}: line {line}: a key must be plain text, not a "
                                         f"{'list' if isinstance(key_node, yaml.SequenceNode) else 'mapping'}")
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    line = key_node.start_mark.line + 1
                    raise WatchlistError(f"{path}: line {line}: key {key!r} given twice in the same mapping "
                                         "(a missing '- ' in front of a list item?)")
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    try:
        return yaml.load(raw, Loader=StrictLoader) or {}  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise WatchlistError(f"{path}: not valid YAML: {at}{problem}") from None
    except ValueError as exc:  # a value YAML itself cannot build, such as the date 2025-02-30
        raise WatchlistError(f"{path}: not valid YAML: {exc}") from None


ALIAS_BUDGET = 10_000  # nodes that YAML aliases may add by repetition; a real list needs a few hundred


def _check_aliases(root, path) -> None:
    """Refuse a document whose aliases expand beyond ALIAS_BUDGET nodes (a 500-byte 'billion
    laughs' expands to 10^9) or refer to themselves: one line, before anything is built."""
    import yaml

    if root is None:
        return
    size: dict[int, int] = {}  # node id -> nodes in its expansion
    unique: set[int] = set()
    stack = [(root, False)]
    active: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            active.discard(key)
            children = _children(node, yaml)
            size[key] = 1 + sum(size[id(c)] for c in children)
            if size[key] - len(unique) > ALIAS_BUDGET:
                raise WatchlistError(f"{path}: YAML aliases expand to more than {ALIAS_BUDGET:,} extra values "
                                     f"(line {node.start_mark.line + 1}); write the values out instead of '*' aliases")
            continue
        if key in size:
            continue
        if key in active:
            raise WatchlistError(f"{path}: line {node.start_mark.line + 1}: a YAML alias refers to the value it is in")
        active.add(key)
        unique.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node, yaml) if id(c) not in size)


def _children(node, yaml) -> list:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [x for pair in node.value for x in pair]
    return []


def _flag(value, where: str, key: str) -> bool:
    """A yes/no field: true or false (quoted 'false' is not true)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no"):
        return value.strip().lower() in ("true", "yes")
    raise WatchlistError(f"{where}: {key} must be true or false, not {value!r}")


def digest(files: list[tuple[Path, bytes]]) -> str:
    """sha256 over the files' own sha256 digests, in load order."""
    import hashlib

    h = hashlib.sha256()
    for _path, raw in files:
        h.update(hashlib.sha256(raw).digest())
    return h.hexdigest()


def load(paths: list[Path] | None = None) -> Watchlist:
    """Load and validate watchlist files (raises WatchlistError naming the bad entry)."""
    files = file_closure(paths or default_paths())
    entries: list[Entry] = []
    rules: list[Rule] = []
    versions: list[str] = []
    overlays: list[tuple[str, str, tuple[Listing, ...]]] = []  # (file, entry or rule id, listings to add)
    coverage: list[tuple[str, str]] = []
    title = ""
    for path, raw in files:
        doc = parse_yaml(path, raw)
        where = str(path)
        _known_keys(doc, _TOP_KEYS, where)
        if doc.get("schema_version") != SCHEMA_VERSION:
            raise WatchlistError(
                f"{where}: unknown schema_version {doc.get('schema_version')!r} (this precheck reads {SCHEMA_VERSION})"
            )
        if doc.get("watchlist_version"):
            versions.append(str(doc["watchlist_version"]))
        title = title or str(doc.get("title") or "")
        coverage.extend(_coverage(doc.get("coverage"), where))
        defaults = _file_defaults(doc, where)
        for i, item in enumerate(_items(doc.get("entries"), where, "entries")):
            entries.append(_entry(item, f"{where}: entries[{i}]", where, defaults))
        for i, item in enumerate(_items(doc.get("rules"), where, "rules")):
            rules.append(_rule(item, f"{where}: rules[{i}]", where, defaults))
        extra = doc.get("listings") or {}
        if not isinstance(extra, dict):
            raise WatchlistError(f"{where}: top-level `listings` must map entry ids to lists of listings")
        for id_, items in extra.items():
            if not isinstance(items, list):
                items = [items]
            if not isinstance(id_, (str, int)):
                raise WatchlistError(f"{where}: listings: an entry id must be text, not {id_!r}")
            at = f"{where}: listings for {id_}"
            overlays.append((where, str(id_), tuple(_listing(x, at, defaults) for x in items)))
    if not versions:
        raise WatchlistError(f"{files[0][0]}: watchlist_version is missing")
    ids: dict[str, str] = {}
    for item in (*entries, *rules):
        if item.id in ids:
            raise WatchlistError(f"{item.origin}: duplicate id {item.id} (also in {ids[item.id]})")
        ids[item.id] = item.origin
    entries, rules = _apply_overlays(entries, rules, overlays)
    for r in rules:
        for other in r.except_rules:
            if other not in ids or other == r.id:
                raise WatchlistError(f"{r.origin}: rule {r.id}: except_rules names {other}, which is no other rule")
    return Watchlist(
        version="+".join(dict.fromkeys(versions)),
        sha256=digest(files),
        files=tuple(str(p) for p, _ in files),
        entries=tuple(entries),
        rules=tuple(rules),
        title=title,
        coverage=tuple(coverage),
    )


def _coverage(value, where: str) -> list[tuple[str, str]]:
    """A file's `coverage`: jurisdiction code -> what of that list is not encoded (a partial list)."""
    if value is None:
        return []
    if not isinstance(value, dict):
        raise WatchlistError(f"{where}: coverage must map jurisdiction codes to what of the list is not encoded")
    out = []
    for jur, note in value.items():
        if str(jur).upper() not in JURISDICTIONS or not isinstance(note, str) or not note.strip():
            raise WatchlistError(f"{where}: coverage: {jur!r} must be one of {', '.join(JURISDICTIONS)} "
                                 "with a sentence saying what is not encoded")
        out.append((str(jur).upper(), note.strip()))
    return out


def _file_defaults(doc: dict, where: str) -> dict:
    """What a file's listings (and entries, rules) inherit: its `regime` and its `listing_defaults`."""
    regime = str(doc.get("regime") or DEFAULT_REGIME)
    if regime not in REGIMES:
        raise WatchlistError(f"{where}: regime {regime!r} is not one of {', '.join(REGIMES)}")
    defaults = doc.get("listing_defaults") or {}
    if not isinstance(defaults, dict):
        raise WatchlistError(f"{where}: listing_defaults must be a mapping of listing fields")
    _known_keys(defaults, _LISTING_KEYS, f"{where}: listing_defaults")
    return {"regime": regime, **defaults}


def _apply_overlays(entries: list, rules: list, overlays) -> tuple[list, list]:
    """Add each overlay file's listings to the entry (or rule) it names; an unknown id is an error."""
    if not overlays:
        return entries, rules
    from dataclasses import replace

    pos = {e.id: ("e", i) for i, e in enumerate(entries)} | {r.id: ("r", i) for i, r in enumerate(rules)}
    for where, id_, listings in overlays:
        if id_ not in pos:
            raise WatchlistError(f"{where}: listings for {id_}, which is no entry or rule of the watchlist")
        kind, i = pos[id_]
        target = entries if kind == "e" else rules
        item = target[i]
        if kind == "r" and item.kind != "legal":
            raise WatchlistError(f"{where}: listings for {id_}, an alert rule (only entries and legal rules are listed)")
        target[i] = replace(item, listings=item.listings + listings)
    return entries, rules


def _strs(value, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, int, float)):
        return (str(value),)
    if not isinstance(value, list):
        raise WatchlistError(f"{where}: {key} must be a list")
    bad = next((v for v in value if isinstance(v, (list, dict)) or v is None), False)
    if bad is not False:
        raise WatchlistError(f"{where}: {key}: each item must be text, not {bad!r}")
    return tuple(str(v) for v in value)


def _date(value, where: str) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise WatchlistError(f"{where}: effective date {value!r} is not YYYY-MM-DD") from None


def _listing(item, where: str, defaults: dict | None = None) -> Listing:
    _known_keys(item, _LISTING_KEYS, f"{where}: listing")
    if not isinstance(item, dict):
        raise WatchlistError(f"{where}: a listing must be a mapping")
    item = {**(defaults or {}), **item}
    regime = str(item.get("regime") or DEFAULT_REGIME)
    if regime not in REGIMES:
        raise WatchlistError(f"{where}: regime {regime!r} is not one of {', '.join(REGIMES)}")
    jur = str(item.get("jurisdiction", "")).upper()
    if jur not in JURISDICTIONS:
        raise WatchlistError(f"{where}: jurisdiction {item.get('jurisdiction')!r} is not one of {', '.join(JURISDICTIONS)}")
    conf = str(item.get("confidence", "confirmed"))
    if conf not in CONFIDENCE:
        raise WatchlistError(f"{where}: confidence {conf!r} is not one of {', '.join(CONFIDENCE)}")
    if not item.get("list"):
        raise WatchlistError(f"{where}: listing has no `list`")
    salts = _salts(item.get("salts", True), where)
    return Listing(
        jurisdiction=jur,
        list=str(item["list"]),
        regime=regime,
        limit=str(item.get("limit") or ""),
        mixtures=_flag(item.get("mixtures", True), where, "mixtures"),
        citation=str(item.get("citation") or ""),
        effective=_date(item.get("effective"), where),
        confidence=conf,
        salts=salts is not False,
        salt_forms=salts if isinstance(salts, tuple) else (),
        isomers=_flag(item.get("isomers", True), where, "isomers"),
        except_smiles=_strs(item.get("except_smiles"), where, "except_smiles"),
        wording=str(item.get("wording") or ""),
        note=str(item.get("note") or ""),
        instrument=str(item.get("instrument") or ""),
        source_url=_url(item.get("source_url"), where),
        listed_as=_strs(item.get("listed_as"), where, "listed_as"),
    )


def _salts(value, where: str) -> bool | tuple[str, ...]:
    """A listing's `salts`: true, false, or the list of the only salt forms it names
    ([hydrochloride]: the Australia Group's item 53 is triethanolamine hydrochloride, not its sulfate)."""
    if isinstance(value, list):
        forms = tuple(str(v).strip().lower() for v in value if str(v).strip())
        if not forms:
            raise WatchlistError(f"{where}: salts must be true, false or a list of salt names, not an empty list")
        return forms
    return _flag(value, where, "salts")


def _url(value, where: str) -> str:
    """A listing's source: a public http(s) address (a file path would mean nothing to a reader)."""
    if value in (None, ""):
        return ""
    url = str(value).strip()
    if not url.lower().startswith(("https://", "http://")) or any(c.isspace() for c in url):
        raise WatchlistError(f"{where}: source_url {url!r} is not an http(s) address")
    return url


def _check_cas(cas, where: str) -> str | None:
    if cas in (None, ""):
        return None
    cas = str(cas).strip()
    if not cas_is_valid(cas):
        raise WatchlistError(f"{where}: CAS {cas} fails its check digit")
    return normalise_cas(cas)  # '107142', 'CAS 107-14-2' -> '107-14-2': the form every lookup uses


def _own_regime(item: dict, defaults: dict | None, where: str) -> str:
    regime = str(item.get("regime") or (defaults or {}).get("regime") or DEFAULT_REGIME)
    if regime not in REGIMES:
        raise WatchlistError(f"{where}: regime {regime!r} is not one of {', '.join(REGIMES)}")
    return regime


def _entry(item, where: str, origin: str, defaults: dict | None = None) -> Entry:
    from precursor_check.chemistry.molecules import parse_smiles

    if not isinstance(item, dict) or not item.get("id") or not item.get("name"):
        raise WatchlistError(f"{where}: an entry needs at least `id` and `name`")
    if not all(isinstance(item[k], (str, int)) for k in ("id", "name")):
        raise WatchlistError(f"{where}: `id` and `name` must be text")
    where = f"{origin}: entry {item['id']} ({item['name']})"
    _known_keys(item, _ENTRY_KEYS, where)
    status = str(item.get("status", "controlled"))
    if status not in STATUSES:
        raise WatchlistError(f"{where}: status {status!r} is not one of {', '.join(STATUSES)}")
    smiles = item.get("smiles")
    if smiles is not None and parse_smiles(str(smiles)) is None:
        raise WatchlistError(f"{where}: SMILES does not parse: {smiles}")
    also = _strs(item.get("also_smiles"), where, "also_smiles")
    for s in also:
        if parse_smiles(s) is None:
            raise WatchlistError(f"{where}: also_smiles does not parse: {s}")
    others = []
    for o in _items(item.get("other_cas"), where, "other_cas"):
        if isinstance(o, (str, int)):
            o = {"cas": str(o), "form": "other form"}
        _known_keys(o, _OTHER_CAS_KEYS, f"{where}: other_cas")
        if not isinstance(o, dict) or not o.get("cas"):
            raise WatchlistError(f"{where}: each other_cas needs a cas")
        others.append(OtherCas(cas=_check_cas(o.get("cas"), where), form=str(o.get("form", "other form")),
                               source=str(o.get("source", ""))))
    regime = _own_regime(item, defaults, where)
    listings = tuple(_listing(x, where, {**(defaults or {}), "regime": regime})
                     for x in _items(item.get("listings"), where, "listings"))
    for lst in listings:
        for s in lst.except_smiles:
            if parse_smiles(s) is None:
                raise WatchlistError(f"{where}: except_smiles does not parse: {s}")
    return Entry(
        id=str(item["id"]),
        name=str(item["name"]),
        status=status,
        abbreviations=_strs(item.get("abbreviations"), where, "abbreviations"),
        synonyms=_strs(item.get("synonyms"), where, "synonyms"),
        cas=_check_cas(item.get("cas"), where),
        other_cas=tuple(others),
        smiles=str(smiles) if smiles is not None else None,
        also_smiles=also,
        structure_source=str(item.get("structure_source") or ""),
        similarity=_flag(item.get("similarity", True), where, "similarity"),
        unmask=None if item.get("unmask") is None else _flag(item.get("unmask"), where, "unmask"),
        unmask_reason=str(item.get("unmask_reason") or ""),
        families=_strs(item.get("families"), where, "families"),
        listings=listings,
        sources=_strs(item.get("sources"), where, "sources"),
        note=str(item.get("note") or ""),
        origin=origin,
        regime=regime,
    )


def _rule(item, where: str, origin: str, defaults: dict | None = None) -> Rule:
    from rdkit import Chem

    if not isinstance(item, dict) or not item.get("id"):
        raise WatchlistError(f"{where}: a rule needs an `id`")
    if not isinstance(item["id"], (str, int)) or not isinstance(item.get("name", ""), (str, int)):
        raise WatchlistError(f"{where}: a rule's `id` and `name` must be text")
    where = f"{origin}: rule {item['id']}"
    _known_keys(item, _RULE_KEYS, where)
    kind = str(item.get("kind", ""))
    if kind not in RULE_KINDS:
        raise WatchlistError(f"{where}: kind {kind!r} is not one of {', '.join(RULE_KINDS)}")
    smarts = _strs(item.get("smarts"), where, "smarts")
    if not smarts:
        raise WatchlistError(f"{where}: no smarts")
    exclude = _strs(item.get("exclude_smarts"), where, "exclude_smarts")
    for s in (*smarts, *exclude):
        if Chem.MolFromSmarts(s) is None:
            raise WatchlistError(f"{where}: SMARTS does not parse: {s}")
    verdict = item.get("verdict")
    if verdict not in (None, "analog", "watch", "controlled"):
        raise WatchlistError(f"{where}: verdict {verdict!r} must be analog or watch")
    if kind == "legal" and not item.get("listings"):
        raise WatchlistError(f"{where}: a legal rule needs listings (jurisdiction, list, citation)")
    jur = item.get("jurisdiction")
    if jur is not None and str(jur).upper() not in JURISDICTIONS:
        raise WatchlistError(f"{where}: jurisdiction {jur!r} is not one of {', '.join(JURISDICTIONS)}")
    regime = _own_regime(item, defaults, where)
    examples = item.get("examples") or {}
    if not isinstance(examples, dict):
        raise WatchlistError(f"{where}: examples must be a mapping with `match` and `no_match` lists")
    _known_keys(examples, {"match", "no_match"}, f"{where}: examples")
    return Rule(
        id=str(item["id"]),
        kind=kind,
        name=str(item.get("name") or item["id"]),
        smarts=smarts,
        description=str(item.get("description") or ""),
        subject=str(item.get("subject") or "precursor"),
        exclude_smarts=exclude,
        entries=_strs(item.get("entries"), where, "entries"),
        families=_strs(item.get("families"), where, "families"),
        verdict=verdict,
        jurisdiction=str(jur).upper() if jur is not None else None,
        listings=tuple(_listing(x, where, {**(defaults or {}), "regime": regime})
                       for x in _items(item.get("listings"), where, "listings")),
        examples_match=_strs(examples.get("match"), where, "examples.match"),
        examples_no_match=_strs(examples.get("no_match"), where, "examples.no_match"),
        origin=origin,
        regime=regime,
        except_rules=_strs(item.get("except_rules"), where, "except_rules"),
    )
