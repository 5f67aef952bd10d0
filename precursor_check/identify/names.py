"""Chemical-name normalisation for exact lookups (case, spacing, punctuation, Greek, prefixes)."""

from __future__ import annotations

import re
import string
import unicodedata

_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ω": "omega",
    "Α": "alpha", "Β": "beta", "Γ": "gamma", "Δ": "delta",
}
# spelled-out protecting groups and N-substituents -> the short form chemists write
_SUBSTITUENTS = re.compile(
    r"(?P<boc>tert-?butoxy-?carbonyl|tert-?butyloxy-?carbonyl|t-boc)"
    r"|(?P<cbz>benzyloxy-?carbonyl|carbobenzoxy|carbobenzyloxy)"
    r"|(?P<fmoc>9-?fluorenylmethoxy-?carbonyl|fluorenylmethyloxycarbonyl)"
    r"|(?P<phenethyl>2-?phenylethyl|phenylethyl)"
    r"|(?P<sulf>sulph)"
    r"|(?P<piperidone>piperidinone)"
)
_TRIGGERS = ("carbonyl", "boc", "carbobenz", "phenylethyl", "sulph", "piperidinone")
_GROUPS = ("boc", "cbz", "fmoc", "benzyl", "phenethyl", "acetyl", "tosyl")
_LOCANT_BEFORE_GROUP = re.compile(r"(^|[^a-z0-9])(?:n|1)-?\(?(" + "|".join(_GROUPS) + r")\)?")
HAN_CHAR = r"[\u3400-\u9fff]"  # a Chinese character (or a Japanese kanji): names written without spaces
_ACCENTS = re.compile("[\u0300-\u036f]")  # combining diacritical marks (after NFD)
_DROP = str.maketrans("", "", string.punctuation.replace("+", "") + string.whitespace + "′’")


def normalise_name(name: str) -> str:
    """A lookup key: '1-(tert-Butoxycarbonyl)-4-piperidone' and 'N-Boc-4-piperidone' agree.

    >>> normalise_name("1-(tert-Butoxycarbonyl)-4-piperidone") == normalise_name("N-Boc-4-piperidone")
    True
    >>> normalise_name("α-Phenylacetoacetonitrile") == normalise_name("alpha-phenylacetoacetonitrile")
    True
    >>> normalise_name("N-Phenethyl-4-piperidinone") == normalise_name("1-(2-phenylethyl)-4-piperidone")
    True

    Accents are dropped, as sellers who type without them do ('Phenylessigsaure', 'anhidrido acetico'):

    >>> normalise_name("Phenylessigsäure") == normalise_name("Phenylessigsaure")
    True
    >>> normalise_name("anhídrido acético") == normalise_name("ANHIDRIDO ACETICO")
    True
    """
    s = name.lower().strip()
    if not s.isascii():
        s = unicodedata.normalize("NFKC", "".join(_GREEK.get(ch, ch) for ch in s)).casefold()
        if not s.isascii():  # a Latin letter's accents dropped (kana voicing marks and Hangul are kept)
            s = unicodedata.normalize("NFC", _ACCENTS.sub("", unicodedata.normalize("NFD", s)))
    if any(t in s for t in _TRIGGERS):
        s = _SUBSTITUENTS.sub(lambda m: m.lastgroup, s)
    if any(g in s for g in _GROUPS):
        s = _LOCANT_BEFORE_GROUP.sub(lambda m: m.group(1) + m.group(2), s)
    return s.translate(_DROP)
