"""Whether a word looks like (part of) a chemical name, from the pieces of IUPAC nomenclature in
data/name_forms.yaml: 'piperidone' (piperid + one) is a chemical word, 'cyclic' a piece of one,
'sale' neither. Used to find candidate names in free text and to decide which names are worth
an OPSIN run; whether a candidate *is* a chemical is always the resolver's answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# the pieces of a hyphenated or bracketed name: '1-(2-phenylethyl)-4-piperidone'
_SPLIT = re.compile(r"[-()\[\]{},'′’/+·.:]+")
# a locant or descriptor before a hyphen: '4-', "2',4'-", 'N-', 'N,N-', 'tert-', 'alpha-', '(R)-', '(±)-'
_LOCANT = re.compile(r"(?:^|[-(\[,])(?:\d+[a-z]?'*(?:,\d+[a-z]?'*)*|[NOSP](?:,[NOSP])*|[RSEZ]|[αβγδ±+]|"
                     r"alpha|beta|gamma|delta|tert|sec|iso|cis|trans|dl|rac|[nompt])\)?-", re.I)


@dataclass(frozen=True)
class Vocabulary:
    multipliers: frozenset
    stems: frozenset
    connectors: frozenset
    endings: frozenset
    substituent_endings: frozenset
    name_words: frozenset
    protecting_groups: frozenset
    descriptors: frozenset
    not_names: frozenset
    capitals_only: frozenset
    label_words: frozenset
    context_words: frozenset
    not_after_article: frozenset
    longest: int


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    import yaml

    from precursor_check.resources import data_path

    with open(data_path("name_forms.yaml"), encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    sets = {k: frozenset(str(x).lower() for x in raw.get(k) or ()) for k in (
        "multipliers", "stems", "connectors", "endings", "substituent_endings", "name_words",
        "protecting_groups", "descriptors", "not_names", "label_words", "context_words",
        "not_after_article")}
    sets["capitals_only"] = frozenset(str(x) for x in raw.get("capitals_only") or ())
    longest = max(len(p) for k in ("multipliers", "stems", "connectors") for p in sets[k])
    return Vocabulary(**sets, longest=longest)


NAME, PIECE, ENDING = "name", "piece", "ending"


@lru_cache(maxsize=200_000)
def word_kind(word: str) -> str | None:
    """'name' for a word built of nomenclature pieces that ends like a whole name ('piperidone',
    'hydrochloride', 'acetic'); 'piece' for one that ends like a substituent or a stem ('phenethyl',
    'methylenedioxy', 'propan'); 'ending' for a bare ending ('one' in 'propan-2-one'); else None.

    >>> word_kind("piperidone"), word_kind("Phenethyl"), word_kind("one"), word_kind("sale"), word_kind("decide")
    ('name', 'piece', 'ending', None, None)
    """
    v = vocabulary()
    s = word.lower()
    if s in v.not_names or not s.isalpha():
        return None
    if s in v.endings:
        return ENDING
    n = len(s)
    # reach[i]: 1 = s[:i] is built of pieces, 2 = and one of them is a stem (word-break DP: linear)
    reach = [0] * (n + 1)
    reach[0] = 1
    for i in range(n):
        if not reach[i]:
            continue
        for j in range(i + 1, min(n, i + v.longest) + 1):
            piece = s[i:j]
            if piece in v.stems:
                reach[j] |= 2
            elif piece in v.multipliers or piece in v.connectors:
                reach[j] |= reach[i]
    kind = None
    for j in range(n):
        if reach[j] & 2:
            if s[j:] in v.endings:
                return NAME
            if s[j:] in v.substituent_endings:
                kind = PIECE
    return kind or (PIECE if reach[n] & 2 else None)


def could_be_systematic_word(word: str) -> bool:
    """A one-word name worth an OPSIN run: built of nomenclature pieces ('benzene', 'piperidone'),
    not a trivial name ('aspirin', 'caffeine') that OPSIN cannot read."""
    return word_kind(word) == NAME


@dataclass(frozen=True)
class Form:
    """What the form of one whitespace-delimited token says."""

    chemical: bool  # has a part built of nomenclature pieces (4+ letters), or a protecting group joined to more
    complete: bool  # ends like a whole name ('...-4-piperidone', 'propan-2-one'), not like a substituent
    systematic: bool  # complete, and with locants, brackets, several such parts or a protecting group


@lru_cache(maxsize=200_000)
def token_form(token: str) -> Form:
    """The form of a token as written in a text.

    >>> token_form("Boc-4-piperidone")
    Form(chemical=True, complete=True, systematic=True)
    >>> token_form("4-methyl").systematic, token_form("COVID-19").chemical, token_form("sale").chemical
    (False, False, False)
    """
    v = vocabulary()
    parts = [p for p in _SPLIT.split(token) if p]
    alpha = [p for p in parts if p.isalpha()]
    kinds = [word_kind(p) if len(p) >= 4 or p.lower() in v.endings else None for p in alpha]
    chem = sum(k in (NAME, PIECE) for k in kinds)
    guarded = any(p.lower() in v.protecting_groups for p in alpha) and len(parts) > 1
    chemical = bool(chem) or guarded
    complete = bool(kinds) and kinds[-1] in (NAME, ENDING) and chemical
    systematic = complete and (chem >= 2 or guarded or bool(_LOCANT.search(token)) or "(" in token or "[" in token)
    return Form(chemical, complete, systematic)
