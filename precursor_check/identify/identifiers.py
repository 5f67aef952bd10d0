"""CAS numbers (parsing, check digit, near misses) and query-type detection."""

from __future__ import annotations

import re

# "CAS 79099-07-3", "CAS No. 79099-07-3", "CAS#79099-07-3", "CAS RN: 79099-07-3", "79099073"
_CAS_PREFIX = re.compile(r"^\s*(?:CAS(?:[\s-]*(?:RN|No\.?|Number|Reg\.?\s*No\.?))?\s*[:#.]?\s*)", re.I)
_CAS_BODY = re.compile(r"^0*(\d{2,7})-(\d{2})-(\d)$|^0*(\d{5,10})$", re.ASCII)  # leading zeros are padding
# hyphens and dashes a word processor or web page writes for "-" (same length: text positions hold)
DASHES = str.maketrans(dict.fromkeys("\u00ad\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"))
# Full-width forms (U+FF01-FF5E: '７９０９９－０７－３', 'CAS：'), the ideographic space, and any other
# script's decimal digits are read as their ASCII counterparts by every command, not only `text`
_FULL_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
CAS_FOLD = {**DASHES, **_FULL_WIDTH, 0x3000: " ", 0x00A0: " ", 0x202F: " ", 0x2009: " "}


def fold_typography(text: str) -> str:
    """ASCII digits, hyphens, colons and spaces for their typographic and full-width forms.

    >>> fold_typography("CAS\uff1a\uff17\uff19\uff10\uff19\uff19\uff0d\uff10\uff17\u2013\uff13")
    'CAS:79099-07-3'
    """
    if text.isascii():
        return text
    out = text.translate(CAS_FOLD)
    if out.isascii():
        return out
    import unicodedata

    return "".join(str(d) if not ch.isascii() and (d := unicodedata.decimal(ch, None)) is not None else ch
                   for ch in out)


_INCHIKEY = re.compile(r"^[A-Z]{14}-[A-Z]{8}[SN][A-Z]-[A-Z]$")
# A string of SMILES tokens (organic subset, bracket atoms, bonds, branches, ring closures), each
# token taken as the first alternative that fits (atomic groups: no re-splitting "Cl" into C + l)
_SMILES_TOKENS = re.compile(r"(?>\[[^\[\]]+\]|Br|Cl|[BCNOPSFIbcnops*]|[-=#$:/\\.()+]|%\d\d|\d|@)++")
_CAS_WORD = re.compile(r"CAS\b", re.I)
_SPACE = re.compile(r"\s")
_SMILES_PUNCT = set("()[]=#@/\\.+%$")
_PLAIN_SMILES_LETTERS = set("CNOScnos")


def cas_check_digit(digits: str) -> int:
    """Check digit of the CAS RN whose leading digits (without the check digit) are given.

    >>> cas_check_digit("7909907")
    3
    >>> cas_check_digit("5000")
    0
    """
    return sum(i * int(d) for i, d in enumerate(reversed(digits), start=1)) % 10


def format_cas(digits: str) -> str:
    """'79099073' -> '79099-07-3'."""
    return f"{digits[:-3]}-{digits[-3:-1]}-{digits[-1]}"


def cas_is_valid(cas: str) -> bool:
    """True when `cas` is a well-formed CAS RN whose check digit holds.

    >>> cas_is_valid("1609-66-1"), cas_is_valid("1609-66-5")
    (True, False)
    """
    digits = cas_digits(cas)
    return digits is not None and cas_check_digit(digits[:-1]) == int(digits[-1])


def strip_cas_prefix(text: str) -> str:
    """The text without a leading 'CAS', 'CAS No.' ..., typographic dashes written as '-', and
    without brackets or quotes around it ('[79099-07-3]', Excel's leading apostrophe).

    >>> strip_cas_prefix("[79099-07-3]"), strip_cas_prefix("'79099-07-3"), strip_cas_prefix("CAS (79099-07-3)")
    ('79099-07-3', '79099-07-3', '79099-07-3')
    """
    body = _CAS_PREFIX.sub("", fold_typography(text), count=1).strip()
    wrapped = _WRAPPED.match(body)
    return wrapped.group(1) if wrapped else body


# a CAS number in brackets or quotes, or after a spreadsheet's text apostrophe
_WRAPPED = re.compile(r"""^[\[("'](\d[\d-]*\d)[\])"']?$""")


def cas_digits(text: str) -> str | None:
    """The digits of a CAS-shaped string (any common writing), or None if it is not CAS-shaped."""
    body = strip_cas_prefix(text)
    m = _CAS_BODY.match(body)
    if not m:
        return None
    return "".join(g for g in m.groups() if g) if m.group(4) is None else m.group(4)


def looks_like_cas(text: str) -> bool:
    return cas_digits(text) is not None


def normalise_cas(text: str) -> str:
    """Canonical 'NNNNN-NN-N' form of a CAS-shaped string; raises ValueError with the reason.

    >>> normalise_cas(" CAS No. 79099073 ")
    '79099-07-3'
    """
    digits = cas_digits(text)
    if digits is None:
        raise ValueError(f"not a CAS number: {text.strip()!r} (expected e.g. 79099-07-3)")
    cas = format_cas(digits)
    expected = cas_check_digit(digits[:-1])
    if expected != int(digits[-1]):
        raise ValueError(f"CAS check digit fails for {cas} (the check digit would be {expected})")
    return cas


def cas_near_misses(text: str) -> list[str]:
    """Valid CAS numbers one typo away: one digit changed, or two neighbouring digits swapped."""
    digits = cas_digits(text)
    if digits is None:
        return []
    out: list[str] = []
    seen = {digits}
    candidates = []
    for i in range(len(digits)):
        for d in "0123456789":
            if d != digits[i]:
                candidates.append(digits[:i] + d + digits[i + 1 :])
    for i in range(len(digits) - 1):
        candidates.append(digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :])
    for c in candidates:
        if c in seen or c[0] == "0":
            continue
        seen.add(c)
        if cas_check_digit(c[:-1]) == int(c[-1]):
            out.append(format_cas(c))
    return out


# CAS-shaped but malformed: a group of the wrong length ('79099-7-3'), a letter O or l for a digit
_CAS_LOOSE = re.compile(r"^[\dOoIl]{1,9}-[\dOoIl]{1,3}-[\dOoIl]{1,2}$")
_LOOKALIKE_DIGITS = str.maketrans("OoIl", "0011")
# several CAS numbers in one query or cell ('79099-07-3; 103-79-7', '79099-07-3 / 103-79-7')
_CAS_SEPARATORS = re.compile(r"\s*(?:[;,/|&+]|\band\b)\s*|\s+", re.I)


def cas_regroupings(text: str) -> list[str]:
    """The valid CAS number a malformed CAS-shaped string may mean (a list of none or one): a
    letter O or l written for a digit, a group padded with zeros or missing one ('79099-7-3').

    >>> cas_regroupings("79099-7-3"), cas_regroupings("79O99-07-3"), cas_regroupings("103-079-7")
    (['79099-07-3'], ['79099-07-3'], ['103-79-7'])
    >>> cas_regroupings("103-79-07"), cas_regroupings("103-100-7")
    (['103-79-7'], [])
    """
    body = strip_cas_prefix(text)
    if not _CAS_LOOSE.match(body):
        return []
    a, b, c = body.translate(_LOOKALIKE_DIGITS).split("-")
    a, b, c = a.lstrip("0"), b.lstrip("0").zfill(2), c.lstrip("0") or "0"
    digits = a + b + c
    if len(a) >= 2 and len(b) == 2 and len(c) == 1 and cas_check_digit(digits[:-1]) == int(c):
        return [format_cas(digits)]
    return []


def cas_list(text: str) -> list[str]:
    """The CAS numbers of a query that holds two or more of them (and nothing else), else [].

    >>> cas_list("79099-07-3; 103-79-7"), cas_list("CAS 79099-07-3 / 103-79-7"), cas_list("79099-07-3")
    (['79099-07-3', '103-79-7'], ['79099-07-3', '103-79-7'], [])
    """
    parts = [p for p in _CAS_SEPARATORS.split(strip_cas_prefix(text)) if p]
    if len(parts) < 2 or not all(_CAS_BODY.match(p) and "-" in p for p in parts):
        return []
    return [format_cas(cas_digits(p)) for p in parts]


def detect_type(text: str) -> str:
    """Classify a query: 'cas', 'inchi', 'inchikey', 'smiles', 'name' or 'empty'.

    Strict: a CAS-shaped string is never SMILES, and a plain word such as NPP, BOC,
    P2P or PMK is a name.

    >>> [detect_type(q) for q in ("79099-07-3", "CCO", "NPP", "BOC", "P2P", "c1ccccc1", "4-AP")]
    ['cas', 'smiles', 'name', 'name', 'name', 'smiles', 'name']
    """
    s = text.strip()
    if not s:
        return "empty"
    if s.startswith("InChI="):
        return "inchi"
    if looks_like_inchikey(s):
        return "inchikey"
    if looks_like_cas(s) or _CAS_WORD.match(fold_typography(s)):
        return "cas"
    loose = strip_cas_prefix(s)
    if (_CAS_LOOSE.match(loose) and sum(ch.isdigit() for ch in loose) >= 4) or cas_list(s):
        return "cas"  # a malformed CAS number, or several: `invalid`, with what they may mean
    if _SPACE.search(s):  # a name, unless a CXSMILES: 'SMILES |extensions|'
        head, _, tail = s.partition(" ")
        cxsmiles = tail.strip().startswith("|") and _is_smiles_tokens(head)
        if cxsmiles:  # (text after the extension makes it invalid, never a dropped title)
            return "smiles"
        # SMILES separated by whitespace ('CCO O=C1CCN(CCc2ccccc2)CC1'): components, screened whole;
        # one of them must be unmistakably SMILES (punctuation or a ring digit), so 'NPP CCO' stays a name
        tokens = s.split()
        if all(detect_type(t) == "smiles" for t in tokens) and any(
                set(t) & _SMILES_PUNCT or any(ch.isdigit() for ch in t) for t in tokens):
            return "smiles"
        return "name"
    if not _is_smiles_tokens(s):
        return "name"
    if not (set(s) & _SMILES_PUNCT):
        # letters and digits only: SMILES only when it uses common organic atoms and has carbon
        letters = set(re.sub(r"Cl|Br|[\d\-]", "", s))
        if not letters <= _PLAIN_SMILES_LETTERS or not (letters & {"C", "c"}) or len(s) < 2:
            return "name"
    return "smiles"


def looks_like_inchikey(s: str) -> bool:
    return _INCHIKEY.match(s.strip().upper()) is not None


def looks_like_smiles(s: str) -> bool:
    """Only SMILES tokens and no whitespace (it may still be a name: 'NPP', 'BOC').

    >>> looks_like_smiles("Cl"), looks_like_smiles("II"), looks_like_smiles("acetone 99%")
    (True, True, False)
    """
    return bool(s) and not _SPACE.search(s) and _is_smiles_tokens(s)


def _is_smiles_tokens(s: str) -> bool:
    return _SMILES_TOKENS.fullmatch(s) is not None
