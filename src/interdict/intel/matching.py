"""Name matching: normalisation that knows Korean romanisation, and a scorer that explains itself.

- Names are transliterated to ASCII (Hangul via `normality`, so 김정은 -> gimjeong-eun),
  case-folded and stripped of punctuation; hyphens and spaces inside given names are equivalent.
- Legal forms (Co., Ltd, Corporation, ...) are reduced to canonical short forms with `rigour`
  and kept as weak evidence: they can only lower a score a little, never make a match.
- Korean romanisations (McCune-Reischauer without diacritics, Revised Romanisation, press
  spellings) are folded to one key per token: initial voicing t/d, k/g, p/b, ch/j, r/l; vowels
  o/u/eo (for MR o-breve and u-breve) and ae/e; and the Korean words Chongguk / General Bureau and Sangsa /
  trading company as equivalents.
- Order does not matter (family name first or last).

`compare(a, b)` returns a `Match` with a score in [0, 1], whether it passes the threshold, and
what matched.

This file is also compiled, unchanged, by mypyc into `interdict.intel._matching_native`
(`scripts/build_native.py`, run by `make`): about 2.5 times as fast, same results. The compiled twin
records the SHA-256 of the source it was made from and is used only while that equals this
file's, so an edited matching.py runs as plain Python until it is compiled again; `NATIVE` tells
which runs, and INTERDICT_PURE_PYTHON=1 keeps to plain Python.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from normality import ascii_text
from rapidfuzz import fuzz
from rapidfuzz.distance import Indel
from rigour.names import NameTypeTag, SymbolCategory, analyze_names, extract_org_types, remove_person_prefixes, replace_org_types_compare
from rigour.territories import get_territories

_indel: Final = Indel.distance


def _ratio(x: str, y: str) -> float:
    """fuzz.ratio(x, y): worked out from the Indel distance as rapidfuzz does it (the same double),
    which spares rapidfuzz's per-call argument handling, a good part of a call this small."""
    total = len(x) + len(y)
    return (1.0 - _indel(x, y) / total) * 100 if total else 100.0


THRESHOLD: Final = 0.80
HANGUL: Final = re.compile(r"[\uac00-\ud7a3]")
ARABIC_SCRIPT: Final = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
PERSON_SCHEMATA: Final = {"Person"}
# Korean generic words in entity names, folded to one token each (as weak evidence)
KOREAN_EQUIVALENTS: Final = {
    "chongguk": "bureau", "chonguk": "bureau", "general bureau": "bureau", "bureau": "bureau",
    "sangsa": "trading", "trading company": "trading", "trading": "trading",
}
KOREAN_GENERIC: Final = re.compile(r"\b(" + "|".join(sorted(KOREAN_EQUIVALENTS, key=len, reverse=True)) + r")\b")
KOREAN_SYLLABLE: Final = re.compile(
    r"^(?:(?:kk|tt|pp|ss|jj|ch|ts|[bcdghjklmnprsty])?"
    r"(?:yae|yeo|wae|eo|eu|ae|ya|ye|yo|yu|wa|we|wi|wo|oe|ui|a|e|i|o|u)"
    r"(?:ng|n|m|l|k|p|t|r|g|b|d)?)+$"
)
WEAK_TOKENS: Final = {"co", "ltd", "llc", "corp", "inc", "jsc", "plc", "gmbh", "sa", "ag", "bureau", "trading", "general",
                      "company", "corporation", "the", "of", "and", "limited", "group",
                      # region and scope words: 'Faberlic Europe' is Faberlic's, as 'X International' is X's
                      "europe", "european", "asia", "asian", "africa", "african", "international", "global", "worldwide",
                      "holding", "holdings",
                      # the state's name, common in DPRK entity names ("Korea ... Corporation")
                      "korea", "korean", "dprk", "choson", "joson"}


@dataclass  # not frozen: a frozen dataclass's __init__ stays interpreted Python when compiled
class Match:
    """A comparison's result; never changed once made."""

    score: float
    match: bool
    explanation: str
    matched: tuple[str, str] = field(default=("", ""))

    def to_dict(self) -> dict:
        return {"score": round(self.score, 4), "match": self.match, "explanation": self.explanation}


NAME_SUFFIXES: Final = {"jr", "sr", "ii", "iii", "iv"}
# titles and honorifics in front of a person's name: not part of the name
PERSON_TITLES: Final = re.compile(r"^(?:(?:president|prasident|president-elect|prime minister|premier|chairman|general|gen|colonel|"
                                  r"col|admiral|marshal|shaikh|sheikh|sheik|monsieur|madame|mme|mlle|sir|dame|lord|lady|herr|frau|"
                                  r"senor|senora|dr|prof|professor|his excellency|her excellency|he|comrade)\.?\s+)+")
UNITS: Final = {w: n for n, w in enumerate(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                                             "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
                                             "eighteen", "nineteen"])}
TENS: Final = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
               "ninety": 90}
APOSTROPHES: Final = re.compile(r"['`\u2019\u2018\u02bc]")
NOT_WORD: Final = re.compile(r"[^a-z0-9\- ]+")
TENS_AND_UNITS: Final = re.compile(r"\b([2-9])0 ([1-9])\b")
NUMBER_WORDS: Final = re.compile(r"\b(?:(" + "|".join(TENS) + r")(?:[\s\-]+(" + "|".join(list(UNITS)[1:10]) + r"))?|("
                                 + "|".join(UNITS) + r"))\b")


ORDINALS: Final = {w: f"{n}{'st' if n == 1 else 'nd' if n == 2 else 'rd' if n == 3 else 'th'}" for n, w in enumerate(
    ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"], 1)}
ORDINAL_WORDS: Final = re.compile(r"\b(" + "|".join(ORDINALS) + r")\b")


def _digits(match: re.Match[str]) -> str:
    """'forty-four' -> '44', 'three' -> '3': 'Brigade Forty-Four' is 'Brigade 44'."""
    tens, unit, alone = match.groups()
    if alone:
        return str(UNITS[alone])
    return str(TENS[tens] + (UNITS[unit] if unit else 0))


@lru_cache(maxsize=500_000)
def _ascii_word(word: str) -> str:
    """One word in ASCII; words recur across names, and transliterating other scripts is slow."""
    return word if word.isascii() else (ascii_text(word) or "")


def _uninvert(name: str) -> str:
    """'KHALIMOV, Gulmurod' -> 'Gulmurod KHALIMOV' and 'LAVILLA, Ruben Pestano, Jr.' -> 'Ruben
    Pestano LAVILLA Jr.': lists write persons as 'Surname, Given names', people the other way."""
    parts = [p.strip() for p in name.split(",")]
    suffix = []
    if len(parts) > 1 and re.sub(r"[^a-z]", "", parts[-1].lower()) in NAME_SUFFIXES:
        suffix = [parts.pop()]
    if len(parts) == 2 and all(parts):
        return " ".join([parts[1], parts[0], *suffix])
    return " ".join([*parts, *suffix])


@lru_cache(maxsize=200_000)
def normalise(name: str, schema: str = "LegalEntity") -> str:
    name = unicodedata.normalize("NFC", name)
    if schema in PERSON_SCHEMATA and "," in name:
        name = _uninvert(name)
    if HANGUL.search(name):  # one syllable, one romanised token: 김정은 -> gim jeong eun
        name = HANGUL.sub(lambda m: f" {m.group(0)} ", name)
    if schema not in PERSON_SCHEMATA:
        # legal forms in any language to their generic kind ('Gesellschaft mit beschränkter
        # Haftung', 'GmbH', 'Ltd' -> 'llc'; 'AG', 'OAO', 'S.A.' -> 'jsc') before transliteration;
        # roman numerals are set aside meanwhile (rigour reads 'II' as a legal form)
        name = replace_org_types_compare(_set_roman_aside(name), generic=True)
        # roman numerals as digits ('Sea Dragon II' is 'Sea Dragon 2'; 'Fund XII' is not 'Fund III')
        name = ORDINARY_ASIDE.sub(lambda m: ORDINARY_FORMS[int(m.group(1))], ROMAN_ASIDE.sub(lambda m: f" {m.group(1)} ", name))
        name = TRAILING_ROMAN.sub(lambda m: f" {ROMAN_VALUES[m.group(1).lower()]}", name)
    text = " ".join(_ascii_word(word) for word in name.split())
    text = text.lower().replace("&", " and ")
    if schema in PERSON_SCHEMATA:
        text = remove_person_prefixes(text)
        text = PERSON_TITLES.sub(" ", text)
    text = APOSTROPHES.sub("", text)  # McCune-Reischauer apostrophes and O'Brien: part of the word
    text = NOT_WORD.sub(" ", text)
    text = NUMBER_WORDS.sub(_digits, text)
    text = ORDINAL_WORDS.sub(lambda m: ORDINALS[m.group(1)], text)  # 'First Bank' is '1st Bank'
    if "0 " in text:
        text = TENS_AND_UNITS.sub(r"\1\2", text)  # 'forty 4' -> '40 4' -> '44'
    text = " ".join(text.split())  # only letters, digits, hyphens and spaces are left
    if schema not in PERSON_SCHEMATA:  # 'U.S.' and 'USA' are 'United States'
        text = COUNTRY_SHORT_FORMS.sub(lambda m: COUNTRY_LONG_FORMS[m.group(1)], text)
        # dotted initials are one word: 'T.M.G. Holdings' is 'TMG Holdings'
        text = SPELT_INITIALS.sub(lambda m: m.group(0).replace(" ", ""), text)
    text = KOREAN_GENERIC.sub(lambda m: KOREAN_EQUIVALENTS[m.group(1)], text)
    if schema in PERSON_SCHEMATA:  # Arabic particles in their common spellings: el-/al-, ibn/bin
        text = ARABIC_PARTICLES.sub(lambda m: ARABIC_EQUIVALENTS[m.group(1)] + m.group(2), text)
        text = INNER_BEN.sub("bin", ABD_AL.sub("abdul ", text))
    else:  # 'Int'l' is 'International'
        text = ORG_ABBREVIATIONS.sub(lambda m: ORG_WORDS[m.group(1)], text)
    return text


# ordinary words rigour also reads as legal forms ('in' as LLC, 'as' and 'at' as JSC, 'is' as SOE):
# a legal form stands at either end of a name, so inside it they are words ('Al-Qaida in Iraq')
ORDINARY_FORMS: Final = ("in", "as", "is", "at")
ORDINARY_ASIDE: Final = re.compile(r"ordinaryword(\d)")


def _set_roman_aside(name: str) -> str:
    """Roman numerals (rigour reads 'II' as a legal form) and ordinary words inside the name set
    aside from legal-form recognition; `ROMAN_ASIDE` and `ORDINARY_ASIDE` find them again."""
    words = ROMAN.sub(lambda m: f" romannumeral{ROMAN_VALUES[m.group(1).lower()]} ", name.lower()).split()
    for i in range(1, len(words) - 1):
        if words[i] in ORDINARY_FORMS:
            words[i] = f"ordinaryword{ORDINARY_FORMS.index(words[i])}"
    return " ".join(words)


@lru_cache(maxsize=200_000)
def legal_forms(name: str) -> frozenset[str]:
    """The generic kinds of the legal forms in an organisation's name (rigour's: llc, jsc, lp,
    ...), as they appear among its normalised words. 'Company' and 'Corporation' say nothing
    about the kind: weak words, not legal forms."""
    return frozenset(generic for _, generic in extract_org_types(_set_roman_aside(unicodedata.normalize("NFC", name)),
                                                                 generic=True))
ROMAN_VALUES: Final = {r: n for n, r in enumerate(["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii",
                                                    "xiv", "xv", "xvi", "xvii", "xviii", "xix", "xx"], 1)}
ROMAN_ASIDE: Final = re.compile(r"romannumeral(\d+)")  # how _set_roman_aside writes one
# a lone I, V or X closing the name of a ship, fund or company after a word is a number ('Star I')
TRAILING_ROMAN: Final = re.compile(r"(?<=[a-z]) +([ivx])\.?$", re.IGNORECASE)
# II to XX as whole words (a lone I, V or X is more often an initial than a number)
ROMAN: Final = re.compile(r"(?<![\w.])(" + "|".join(sorted((r for r in ROMAN_VALUES if len(r) > 1), key=len, reverse=True))
                          + r")(?![\w.])", re.IGNORECASE)


ORG_WORDS: Final = {"intl": "international", "natl": "national", "mfg": "manufacturing", "bros": "brothers",
                    "assn": "association", "dept": "department", "univ": "university", "inst": "institute",
                    "ind": "industries", "inds": "industries", "svcs": "services", "mgmt": "management"}
ORG_ABBREVIATIONS: Final = re.compile(r"\b(" + "|".join(ORG_WORDS) + r")\b")
COUNTRY_WORDS: Final = {"korea", "korean", "dprk", "choson", "joson"}


# Country qualifiers in organisation names ('Banco Santander Chile', 'Bank of China'): a branch or
# namesake in another country is another organisation. Korea is left out: it is in most DPRK
# entity names and weak evidence there.
# (U.S., USA, U.K. and UK are spelt out by `normalise` first)
COUNTRY_ALIASES: Final = {"america": "us", "britain": "gb", "great britain": "gb", "holland": "nl", "russia": "ru"}
NOT_QUALIFIERS: Final = {"kp", "kr"}
COUNTRY_LONG_FORMS: Final = {"u s": "united states", "u s a": "united states", "usa": "united states",
                             "u k": "united kingdom", "uk": "united kingdom"}
SPELT_INITIALS: Final = re.compile(r"\b[a-z](?: [a-z]\b)+")
COUNTRY_SHORT_FORMS: Final = re.compile(r"\b(" + "|".join(sorted(COUNTRY_LONG_FORMS, key=len, reverse=True)) + r")\b")


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    names = dict(COUNTRY_ALIASES)
    for territory in get_territories():
        if not (territory.is_country or territory.is_jurisdiction) or territory.is_historical:
            continue
        for label in (territory.name, territory.full_name):
            key = re.sub(r"[^a-z ]+", " ", (ascii_text(label) or "").lower()).split()
            if key and len(key) <= 3:
                names.setdefault(" ".join(key), territory.code)
    return {k: v for k, v in names.items() if v not in NOT_QUALIFIERS}


@lru_cache(maxsize=1)
def _country_first_words() -> frozenset[str]:
    return frozenset(name.split()[0] for name in _country_names())


@lru_cache(maxsize=200_000)
def countries_named(text: str) -> frozenset[str]:
    """Codes of the countries named in a normalised organisation name."""
    names, first_words = _country_names(), _country_first_words()
    tokens = text.split()
    found = set()
    for size in (3, 2, 1):
        for i in range(len(tokens) - size + 1):
            code = names.get(" ".join(tokens[i : i + size])) if tokens[i] in first_words else None
            if code:
                found.add(code)
    return frozenset(found)


TOKEN_BREAKS: Final = re.compile(r"[\s\-]+")


def _tokens(text: str) -> list[str]:
    return [t for t in TOKEN_BREAKS.split(text) if t]


KOREAN_CONSONANTS: Final = str.maketrans("tkplu", "dgbro")


# family names that the North writes with an initial r and the South without (the initial-sound
# rule) or in a spelling of its own: Ri / Yi / I (이) / Lee, Ryu / Yu, Ro / No / Roh, Rim / Im / Lim,
# Ryang / Yang, Ra / Na, Ryom / Yom; and Choe / Choi / Chwe (최)
KOREAN_INITIAL_R: Final = {"i": "ri", "yi": "ri", "li": "ri", "lee": "ri", "rhee": "ri",
                           "yu": "ryu", "yoo": "ryu", "ryoo": "ryu", "no": "ro", "noh": "ro", "roh": "ro",
                           "im": "rim", "lim": "rim", "yang": "ryang", "na": "ra", "yom": "ryom", "yeom": "ryom",
                           "choi": "choe", "chwe": "choe"}


@lru_cache(maxsize=200_000)
def korean_key(token: str) -> str:
    """One spelling for the romanisations of a Korean syllable sequence."""
    t = token.lower().replace("-", "")
    t = KOREAN_INITIAL_R.get(t, t)
    for old, new in (("tch", "j"), ("ch", "j"), ("sh", "s"), ("eo", "o"), ("eu", "u"), ("ae", "e"),
                     ("oe", "e"), ("wo", "o")):
        t = t.replace(old, new)
    t = t.translate(KOREAN_CONSONANTS)
    return re.sub(r"(.)\1+", r"\1", t)


KOREAN_ONE_SYLLABLE: Final = re.compile(KOREAN_SYLLABLE.pattern.replace(")+$", ")$"))
DIFFERENT_KOREAN_SYLLABLE_SCORE: Final = 0.7
KOREAN_COUNTERPART: Final = 70  # key similarity of two spellings of one syllable ('yong' / 'jong' 75; 'chol' / 'ho' 40)


def _korean_syllable_unmatched(ca: list[str], keys_a: list[str], keys_b: list[str]) -> list[str]:
    """Syllables of `ca` with no counterpart of their own among the other name's (one to one,
    order-free, by Korean key: `keys_a` and `keys_b`), when both names have as many parts, each one
    Korean syllable. In a Korean name a syllable is a third of the name: 'Kim Ki Nam' and 'Kim Il
    Nam' are two listed persons."""
    if len(keys_a) != len(keys_b) or len(keys_a) < 2:
        return []
    left = list(range(len(keys_b)))
    missing = []
    for token, key in sorted(zip(ca, keys_a), key=lambda pair: pair[1] not in keys_b):  # exact counterparts first
        best = max(left, key=lambda i: _ratio(key, keys_b[i]), default=None)
        if best is None or _ratio(key, keys_b[best]) < KOREAN_COUNTERPART:
            missing.append(token)
        else:
            left.remove(best)
    return missing


# Korean romanisation rules apply only where a name shows it is Korean: a person by a Korean family
# name, an organisation or ship by a spelling Korean romanisations have and European words rarely
# do -- otherwise 'William Amuri Yakutumba' or 'Maria III' read as Korean syllables too
KOREAN_FAMILY_NAMES: Final = frozenset({
    "kim", "gim", "ri", "yi", "i", "lee", "rhee", "li", "pak", "park", "bak", "choe", "choi", "chwe", "jong", "jung",
    "chung", "jeong", "cheong", "kang", "gang", "han", "jo", "cho", "joh", "yun", "yoon", "jang", "chang", "rim",
    "im", "lim", "o", "oh", "ryu", "yu", "yoo", "song", "sin", "shin", "hwang", "ho", "heo", "hur", "ko", "go",
    "mun", "moon", "ryang", "yang", "son", "sohn", "pae", "bae", "paek", "baek", "paik", "kwon", "gwon", "kwak",
    "sim", "shim", "ro", "no", "noh", "roh", "ha", "chon", "jeon", "jun", "nam", "to", "do", "so", "seo", "suh",
    "an", "ahn", "hyon", "hyun", "won", "kye", "thae", "tae", "sok", "seok", "ju", "chu", "joo", "u", "woo", "ryom",
    "yom", "kil", "gil", "cha", "chae", "jon", "hong", "min", "pyon", "byun", "yon", "sung", "ra", "na", "om", "eom"})
KOREAN_SPELLING: Final = re.compile(r"eo|eu|ae|oe|ui|ong|ung|yo|yu|wo|kk|tt|pp|jj")


def korean_marked(tokens: list[str], person: bool) -> bool:
    if person:
        return any(t in KOREAN_FAMILY_NAMES for t in tokens)
    return any(KOREAN_SPELLING.search(t) for t in tokens if t not in WEAK_TOKENS)


def looks_korean(tokens: list[str]) -> bool:
    return bool(tokens) and all(_korean_word(t) for t in tokens)


@lru_cache(maxsize=200_000)
def _korean_word(token: str) -> bool:
    return token in WEAK_TOKENS or token.isdigit() or KOREAN_SYLLABLE.match(token) is not None


def _core(tokens: list[str], forms: frozenset[str] = frozenset()) -> list[str]:
    core = [t for t in tokens if t not in WEAK_TOKENS and t not in forms]
    return core or tokens


def _initials_match(short: list[str], full: list[str]) -> bool:
    """'j c juncker' ~ 'jean claude juncker': one-letter tokens stand for words with that initial;
    'jc juncker' too, when 'jc' are the initials of neighbouring given names there."""
    initials = "".join([f[0] for f in full])
    expanded: list[str] = []
    letters = False
    for t in short:
        if 2 <= len(t) <= 3 and t in initials and t.isalpha() and not any(_at_least(t, f, 85) for f in full):
            expanded.extend(t)  # 'jc' -> 'j', 'c'
            letters = True
        else:
            expanded.append(t)
            letters = letters or len(t) == 1
    if not letters or len(expanded) != len(full):
        return False
    short = expanded
    rest_full = list(full)
    for token in short:
        hit = next((f for f in rest_full if (f == token) or (len(token) == 1 and f.startswith(token))
                    or _at_least(f, token, 85)), None)
        if hit is None:
            return False
        rest_full.remove(hit)
    return True


@lru_cache(maxsize=200_000)
def name_symbols(token: str) -> frozenset[str]:
    """The names and nicknames (rigour's Wikidata-derived symbols) a person's name part may
    stand for: 'ted' and 'theodore' share one, as do 'hsi' and 'xi', 'usama' and 'osama'."""
    found = set()
    for name in analyze_names(NameTypeTag.PER, [token]):
        for span in name.spans:
            if span.symbol.category in (SymbolCategory.NAME, SymbolCategory.NICK):
                found.add(span.symbol.id)
    return frozenset(found)


def _known_different(a: str, b: str, ratio: float) -> bool:
    """Two spellings of different known names ('castillo' / 'castro', 'ahmed' / 'mohamed');
    `ratio` is their fuzz.ratio."""
    if a == b or ratio >= 85:  # 'barak' / 'barack': one name transliterated two ways
        return False
    sa, sb = name_symbols(a), name_symbols(b)
    return bool(sa) and bool(sb) and not sa & sb


def _ratios(xs: list[str], ys: list[str]) -> list[list[float]]:
    """fuzz.ratio of every part of one name (rows) with every part of the other, worked out once
    per comparison for the rules that look for counterparts; -1.0 where the lengths alone keep it
    below 70, the lowest limit those rules use."""
    return [[_ratio(x, y) if _within_reach(x, y, 70) else -1.0 for y in ys] for x in xs]


def _within_reach(x: str, y: str, limit: int) -> bool:
    """Whether fuzz.ratio(x, y) can reach `limit` at all: it is at most 200 * shorter / (sum of
    both lengths), every letter the longer has over the shorter being one edit."""
    return 200 * min(len(x), len(y)) >= limit * (len(x) + len(y))


def _at_least(x: str, y: str, limit: int) -> bool:
    """fuzz.ratio(x, y) >= limit, without working it out when the lengths alone rule it out."""
    return _within_reach(x, y, limit) and _ratio(x, y) >= limit


def _align(ca: list[str], cb: list[str], ratios: list[list[float]], korean: bool) -> tuple[list[str], list[str], list[str]]:
    """The two names' parts, brought together where they are the same name written otherwise:
    parts written apart ('patr ushev' ~ 'patrushev', 'plat ono vich' ~ 'platonovich'), the same
    given or family name ('ted' ~ 'theodore', 'hsi' ~ 'xi', 'usama' ~ 'osama'), two syllables of
    one word ('tse tung' ~ 'zedong'). Returns both (unchanged lists when nothing applies) and
    what was respelled (`ratios`: see _ratios). Names of the same words are not for here."""
    lonely_a = [x for i, x in enumerate(ca) if not _close_in_row(ratios, i)]
    if not lonely_a:
        return ca, cb, []
    lonely_b = [y for j, y in enumerate(cb) if not _close_in_column(ratios, j)]
    if not lonely_b or not (_may_join(ca, lonely_a, lonely_b) or _may_join(cb, lonely_b, lonely_a)
                            or _may_respell(lonely_a, lonely_b, korean)):
        return ca, cb, []  # the common case in screening: unrelated names, cheaply told apart
    respelled: list[str] = []
    new_a = _rejoin(ca, [y for y in lonely_b if len(y) >= 5])
    new_b = _rejoin(cb, [x for x in lonely_a if len(x) >= 5])
    if new_a is not ca or new_b is not cb:
        ca, cb = new_a, new_b
        lonely_a = [x for x in ca if not any(_at_least(x, y, 85) for y in cb)]
        lonely_b = [y for y in cb if not any(_at_least(y, x, 85) for x in ca)]
    cb = _respell(cb, lonely_b, lonely_a, respelled, korean)
    # then the other way, for what is still alone on both sides
    ca = _respell(ca, [x for x in lonely_a if x not in cb], [y for y in lonely_b if y in cb], respelled, korean)
    return ca, cb, respelled


def _close_in_row(ratios: list[list[float]], i: int) -> bool:
    for r in ratios[i]:
        if r >= 85:
            return True
    return False


def _close_in_column(ratios: list[list[float]], j: int) -> bool:
    for row in ratios:
        if row[j] >= 85:
            return True
    return False


def _may_join(tokens: list[str], lonely: list[str], others: list[str]) -> bool:
    """Whether two or three adjacent lonely parts of `tokens` could spell a lonely word of the
    other name (same first letter, about the same length), or two syllables one word."""
    for i in range(len(tokens) - 1):
        first, second = tokens[i], tokens[i + 1]
        if first not in lonely or second not in lonely:
            continue
        two = first + second
        three = two + tokens[i + 2] if i + 2 < len(tokens) else ""
        for o in others:
            if len(o) >= 5 and o[0] == first[0] and (_at_least(two, o, 90) or (three and _at_least(three, o, 90))):
                return True
        # syllables keep their final sound across romanisations: 'tse tung' ~ 'zedong'
        if len(first) <= 4 and len(second) <= 4 and any(
                o[-1] == second[-1] and abs(len(first) + len(second) - len(o)) <= 3 for o in others):
            return True
    return False


def _may_respell(lonely_a: list[str], lonely_b: list[str], korean: bool) -> bool:
    return any(_same_name(x, y, korean) for x in lonely_a for y in lonely_b)


def _same_name(a: str, b: str, korean: bool) -> bool:
    """Whether rigour's symbols take `a` and `b` for one name ('ted' ~ 'theodore', 'hsi' ~ 'xi').
    Not between two short Korean-looking parts of two Korean-looking names (`korean`): the symbols
    read those as Chinese characters ('kim' ~ 'jin', 'chong' ~ 'sang', 'woo' ~ 'ho'); their
    spellings are the Korean keys' business."""
    if korean and len(a) <= 5 and len(b) <= 5 and _korean_word(a) and _korean_word(b):
        return False
    return bool(name_symbols(a) & name_symbols(b))


def _respell(tokens: list[str], lonely: list[str], free: list[str], respelled: list[str], korean: bool) -> list[str]:
    """`tokens` with each lonely part that stands for the same name as a free part of the other
    name written as that one (and two lonely syllables that spell one free word as that word);
    `korean`: see _same_name."""
    free = list(free)
    out = tokens
    for token in lonely:
        if not free:
            break
        hit = next((r for r in free if _same_name(token, r, korean)), None) if len(token) >= 2 else None
        if hit is not None:
            out = [hit if t == token else t for t in out]
            free.remove(hit)
            respelled.append(f"{token} ~ {hit}")
    i = 0
    while free and i < len(out) - 1:
        first, second = out[i], out[i + 1]
        hit = None
        if len(first) <= 4 and len(second) <= 4 and first in lonely and second in lonely:  # syllables
            hit = next((r for r in free if abs(len(first) + len(second) - len(r)) <= 3
                        and _splits_into(r, first, second, korean)), None)
        if hit is not None:
            out = out[:i] + [hit] + out[i + 2 :]
            free.remove(hit)
            respelled.append(f"{first} {second} ~ {hit}")
        i += 1
    return out


def _same_part(a: str, b: str, korean: bool) -> bool:
    return _at_least(a, b, 85) or _same_name(a, b, korean)


def _splits_into(word: str, first: str, second: str, korean: bool) -> bool:
    """Whether `word` is two parts spelt as `first` and `second` (or names they stand for)."""
    return any(_same_part(word[:k], first, korean) and _same_part(word[k:], second, korean) for k in range(2, len(word) - 1))


def _rejoin(tokens: list[str], wanted: list[str]) -> list[str]:
    """Adjacent parts of `tokens` written together where that spells a `wanted` word none of
    them spells alone; `tokens` itself when there is none."""
    if not wanted or len(tokens) < 2:
        return tokens
    out = tokens
    i = 0
    while i < len(out) - 1:
        if not any(r[0] == out[i][0] for r in wanted):
            i += 1
            continue
        for size in (3, 2):
            if i + size > len(out):
                continue
            piece = "".join(out[i : i + size])
            target = next((r for r in wanted if abs(len(piece) - len(r)) <= 2 and _at_least(piece, r, 90)
                           and not any(_at_least(p, r, 85) for p in out[i : i + size])), None)
            if target is not None:
                out = out[:i] + [piece] + out[i + size :]
                break
        i += 1
    return out


ARABIC_EQUIVALENTS: Final = {"el": "al", "ul": "al", "ibn": "bin"}
ARABIC_PARTICLES: Final = re.compile(r"\b(el|ul|ibn)([\s\-])")
# 'Abd al-Aziz', 'Abdel Aziz', 'Abd-ul-Aziz' are 'Abdul Aziz'; 'Isa ben Tarif' is 'Isa bin Tarif'
# (not at the start: 'Ben Netanyahu' is a given name)
ABD_AL: Final = re.compile(r"\babd[\s\-]*(?:al|el|ul|ur|ar|as|ad|an)[\s\-]+|\babd(?:el|al|ul)\s+")
INNER_BEN: Final = re.compile(r"(?<=\w )ben(?= \w)")
SUBSET_SCORE: Final = 0.86
SIBLING_SCORE: Final = 0.72
NAME_PARTICLES: Final = {"al", "bin", "bint", "abu", "abd", "ben", "van", "von", "de", "der", "da", "di", "du", "la", "le", "y"}
BIN_SWAPPED_SCORE: Final = 0.6


def _around_bin(tokens: list[str]) -> list[tuple[str, str]]:
    """(own name, father's name) around each 'bin' ('Ahmad bin Hasan' -> ('ahmad', 'hasan'))."""
    pairs = []
    for i, token in enumerate(tokens):
        if token != "bin":
            continue
        before = next((t for t in reversed(tokens[:i]) if t not in NAME_PARTICLES), None)
        after = next((t for t in tokens[i + 1 :] if t not in NAME_PARTICLES), None)
        if before and after:
            pairs.append((before, after))
    return pairs


def _bin_swapped(a: list[str], b: list[str]) -> str:
    """'Ahmad bin Hasan' and 'Hasan bin Ahmad' are son and father, not one person."""
    for own, father in _around_bin(a):
        for own_b, father_b in _around_bin(b):
            if _at_least(own, father_b, 85) and _at_least(father, own_b, 85) and not _at_least(own, own_b, 85):
                return f"{own} bin {father} / {own_b} bin {father_b}"
    return ""


ACRONYM_SCORE: Final = 0.85
ABBREVIATED_SCORE: Final = 0.93  # at most, for names equal once shortened words are written out


def _abbreviates(short: str, word: str) -> bool:
    """'trad' ~ 'trading', 'gen' ~ 'general', 'shpg' ~ 'shipping': a shortened word starts as the
    word does and is its beginning, or its consonants in order."""
    if len(short) < 3 or len(short) + 2 > len(word) or short[0] != word[0] or not short.isalpha():
        return False
    if word.startswith(short):  # a cut word ends in a consonant ('gen.', 'trad.'): 'sea' is no cut 'seaboard'
        return len(short) <= 5 and short[-1] not in "aeiouy"
    if any(c in "aeiou" for c in short[1:]):
        return False
    rest = iter(word)
    return all(c in rest for c in short)


def _initials_of(short: str, words: list[str], own: list[str]) -> list[str]:
    """'cb' ~ 'commercial bank' within 'jsc commercial bank sputnik', 'dto' ~ 'drug trafficking
    organization': the initials of consecutive words of the other name, none of them in this one."""
    if not 2 <= len(short) <= 6 or not short.isalpha():
        return []
    n = len(short)
    for i in range(len(words) - n + 1):
        run = words[i : i + n]
        if "".join(w[0] for w in run) == short and not any(w in own for w in run):
            return run
    return []


def _write_out(xs: list[str], ys: list[str], written: list[str]) -> list[str]:
    """`xs` with each word that is not in `ys` but shortens one of its words, or spells the initials
    of a run of them, written out as those words (noted in `written`)."""
    out: list[str] = []
    changed = False
    if len(xs) < 2 or not set(xs) & set(ys):  # a shortened word needs a word both names share beside it
        return xs
    for x in xs:
        if x in ys or x.isdigit():
            out.append(x)
            continue
        word = next((y for y in ys if y not in xs and _abbreviates(x, y)), "")
        run = [word] if word else _initials_of(x, ys, xs)
        if run:
            out.extend(run)
            written.append(f"{x} = {' '.join(run)}")
            changed = True
        else:
            out.append(x)
    return out if changed else xs


def _acronym(short: list[str], full: list[str]) -> bool:
    """'pla' ~ 'peoples liberation army' (small words such as 'of' and 'the' may be left out)."""
    if len(short) != 1 or len(short[0]) < 2 or len(full) < 2 or short[0].isdigit():
        return False
    letters = "".join(t[0] for t in full)
    content = "".join(t[0] for t in full if t not in {"of", "the", "and", "for", "de", "la", "le"})
    return short[0] in (letters, content)


UNMATCHED_PENALTY: Final = 0.12  # per name part of a person without any counterpart
ORG_UNMATCHED_PENALTY: Final = 0.1  # per word of an organisation's name without any counterpart


def _unmatched(tokens: list[str], others: list[str], ratios: list[list[float]], token_keys: list[str],
               keys: list[str], *, strict: bool = False, person: bool = True) -> list[str]:
    """Tokens without a counterpart among `others` (similar spelling or the same Korean key);
    `strict` also needs each counterpart to be a different token. `ratios`: see _ratios; the
    keys: korean_key of each token and each other."""
    limit, key_limit = (85, 95) if strict else (70, 80)
    left = list(range(len(others)))
    missing = []
    for t, row, key in zip(tokens, ratios, token_keys):
        if not strict:  # one counterpart is enough when it need not be a token of its own
            if not _spelt_alike(t, row, others, left, limit, person) and not _keyed_alike(key, keys, left, key_limit):
                missing.append(t)
            continue
        candidates = [i for i in left if (row[i] >= limit and not (person and _known_different(t, others[i], row[i])))
                      or _at_least(key, keys[i], key_limit)]
        if not candidates:
            missing.append(t)
        else:
            left.remove(max(candidates, key=lambda i: row[i] if row[i] >= 0 else _ratio(t, others[i])))
    return missing


def _spelt_alike(t: str, row: list[float], others: list[str], left: list[int], limit: int, person: bool) -> bool:
    """Whether one of `others` (by index in `left`) is spelt like `t` (`row`: t's ratios)."""
    for i in left:
        if row[i] >= limit and not (person and _known_different(t, others[i], row[i])):
            return True
    return False


def _keyed_alike(key: str, keys: list[str], left: list[int], limit: int) -> bool:
    for i in left:
        if _at_least(key, keys[i], limit):
            return True
    return False


@dataclass  # cached and shared: never changed once made (dataclasses.replace makes a new one)
class Prepared:
    """What the comparison needs of one name, worked out once per name and schema."""

    norm: str
    tokens: list[str]
    core: list[str]
    joined: str                 # core words, space-separated
    squeezed: str               # core words written together
    sorted_join: str            # core words sorted, written together (order-free equality)
    sorted_words: str           # core words sorted, space-separated (fuzz.token_sort_ratio's form)
    word_set: frozenset[str]    # core words
    initials: bool              # a core word could be initials: one letter, or two or three ('jc')
    generic: frozenset[str]
    forms: frozenset[str]
    digits: frozenset[str]
    places: frozenset[str]
    syllables: bool             # every core word one Korean syllable ('kim jong un', not 'jongun')
    korean: bool                # every core word could be Korean (looks_korean)
    keys: list[str]             # each core word's Korean key (korean_key)
    korean_sorted: str          # the words' Korean keys sorted, space-separated
    korean_squeezed: str        # the words' Korean keys written together
    hangul: bool                # written in Hangul
    marked: bool                # shows it is Korean (korean_marked) or is written in Hangul
    arabic: bool                # written in Arabic script


@lru_cache(maxsize=200_000)
def prepare(name: str, schema: str = "LegalEntity") -> Prepared:
    norm = normalise(name, schema)
    tokens = _tokens(norm)
    forms = legal_forms(name) & set(tokens) if schema not in PERSON_SCHEMATA else frozenset()
    core = _core(tokens, forms)
    return Prepared(
        norm=norm, tokens=tokens, **_core_forms(core),
        generic=frozenset(t for t in tokens if t in WEAK_TOKENS and t not in forms and t not in COUNTRY_WORDS),
        forms=forms,
        digits=frozenset(t for t in tokens if t.isdigit()),
        places=countries_named(norm) if schema not in PERSON_SCHEMATA else frozenset(),
        syllables=all(KOREAN_ONE_SYLLABLE.match(t) for t in core),
        hangul=HANGUL.search(name) is not None,
        marked=HANGUL.search(name) is not None or korean_marked(tokens, schema in PERSON_SCHEMATA),
        arabic=ARABIC_SCRIPT.search(name) is not None,
    )


def _core_forms(core: list[str]) -> dict[str, Any]:
    """The Prepared fields that follow from the core words (again when an alignment changes them)."""
    ordered = sorted(core)
    korean = looks_korean(core)
    keys = [korean_key(t) for t in core]
    return {"core": core, "joined": " ".join(core), "squeezed": "".join(core), "sorted_join": "".join(ordered),
            "sorted_words": " ".join(ordered), "word_set": frozenset(core),
            "initials": any(len(t) == 1 or (len(t) <= 3 and t.isalpha()) for t in core),
            "korean": korean, "keys": keys, "korean_sorted": " ".join(sorted(keys)), "korean_squeezed": "".join(keys)}


def compare(a: str, b: str, schema: str = "LegalEntity", threshold: float = THRESHOLD) -> Match:
    if "/" in a or "/" in b:  # 'Al-Qa'ida/Islamic Army': a list writing two names as one
        # ('A/S' and 'c/o' are not two names: every part must be a name of its own)
        parts_a, parts_b = _alternatives(a), _alternatives(b)
        alternatives = [(x, y) for x in parts_a for y in parts_b]
        if len(alternatives) > 1:
            return max((_compare(x, y, schema, threshold) for x, y in alternatives), key=lambda m: m.score)
    return _compare(a, b, schema, threshold)


def _alternatives(name: str) -> list[str]:
    parts = [p.strip() for p in name.split("/")]
    if len(parts) > 1 and all(sum(ch.isalpha() for ch in p) >= 4 for p in parts):
        return parts
    return [name]


def _compare(a: str, b: str, schema: str, threshold: float) -> Match:  # noqa: C901 - compiled by mypyc as one function: the rules share locals a split would have to pass around
    pa, pb = prepare(a, schema), prepare(b, schema)
    if pa.hangul and pb.hangul:
        # both in Hangul: each syllable is a letter of the name, so compare the syllables themselves
        ha, hb = re.sub(r"\s+", "", a), re.sub(r"\s+", "", b)
        score = 1.0 if ha == hb else _ratio(ha, hb) / 100 * 0.9
        return Match(score, score >= threshold, f"Hangul compared syllable by syllable: {ha!r} ~ {hb!r}", (ha, hb))
    na, nb = pa.norm, pb.norm
    if not na or not nb:
        # a script the transliteration does not cover (Khmer, for instance): compare the letters themselves
        ra, rb = ("".join(ch for ch in unicodedata.normalize("NFC", x).casefold() if unicodedata.category(ch)[0] in "LMN")
                  for x in (a, b))  # letters, marks (vowel signs) and digits
        if not ra or not rb:
            return Match(0.0, False, "a name is empty after normalisation")
        score = 1.0 if ra == rb else _ratio(ra, rb) / 100 * 0.9
        return Match(score, score >= threshold, f"compared in the original script: {ra!r} ~ {rb!r}", (ra, rb))
    if na == nb:
        return Match(1.0, True, f"same name after normalisation ({na!r})", (na, nb))
    if pa.arabic != pb.arabic and schema in PERSON_SCHEMATA:
        score, why = _skeletons_agree(a, b)
        if score:
            return Match(score, score >= threshold, f"{why}: {na!r} ~ {nb!r}", (na, nb))
    ca, cb = pa.core, pb.core
    respelled: list[str] = []
    written: list[str] = []
    if schema not in PERSON_SCHEMATA and pa.word_set != pb.word_set:
        new_a, new_b = _write_out(ca, cb, written), _write_out(cb, ca, written)
        if new_a is not ca:
            ca = new_a
            pa = replace(pa, **_core_forms(ca))
        if new_b is not cb:
            cb = new_b
            pb = replace(pb, **_core_forms(cb))
    korean_syllables = pa.syllables and pb.syllables
    ratios = _ratios(ca, cb) if schema in PERSON_SCHEMATA or len(ca) == len(cb) > 1 else []
    if schema in PERSON_SCHEMATA:
        # 'Patr ushev' ~ 'Patrushev'; then 'Ted' ~ 'Theodore', 'Hsi' ~ 'Xi', 'Usama' ~ 'Osama'
        korean_names = pa.korean and pb.korean and (pa.marked or pb.marked)
        ca, cb, respelled = _align(ca, cb, ratios, korean_names) if pa.word_set != pb.word_set else (ca, cb, [])
        if ca is not pa.core or cb is not pb.core:
            ratios = _ratios(ca, cb)
        if ca is not pa.core:
            pa = replace(pa, **_core_forms(ca))
        if cb is not pb.core:
            pb = replace(pb, **_core_forms(cb))
    joined_a, joined_b = pa.sorted_join, pb.sorted_join
    plain = _ratio(pa.sorted_words, pb.sorted_words) / 100  # fuzz.token_sort_ratio, the words sorted once per name
    squeezed = _ratio(pa.squeezed, pb.squeezed) / 100  # 'jong un' ~ 'jongun'
    best, why = max((plain, "token similarity"), (squeezed, "similar when spaces and hyphens are ignored"))
    if respelled:
        why += f" (the same given or family names: {', '.join(respelled)})"
    if written:
        best = min(best, ABBREVIATED_SCORE)
        why += f" (written out: {', '.join(written)})"
    if schema not in PERSON_SCHEMATA and min(len(ca), len(cb)) >= 2:
        contained = fuzz.token_set_ratio(pa.joined, pb.joined) / 100 * 0.85
        if contained > best:  # 'office 39' within 'office no 39 of the korean workers party'
            best, why = contained, "one name contains the other"
    if joined_a == joined_b and written:
        best, why = ABBREVIATED_SCORE, f"the same words written out ({', '.join(written)})"
    elif joined_a == joined_b and respelled:
        best, why = 0.95, f"the same names in other spellings ({', '.join(respelled)})"
    elif joined_a == joined_b:
        best, why = (1.0, "same words") if ca == cb else (0.98, "same words in another order")
    if schema not in PERSON_SCHEMATA and best < ACRONYM_SCORE and (_acronym(ca, cb) or _acronym(cb, ca)):
        best, why = ACRONYM_SCORE, "one name is the other's initials"
    initials = schema in PERSON_SCHEMATA and ((pa.initials and _initials_match(ca, cb))
                                              or (pb.initials and _initials_match(cb, ca)))
    if initials and joined_a != joined_b:
        best, why = max(best, 0.9), "initials stand for the given names"
    if joined_a != joined_b and pa.korean and pb.korean and (pa.marked or pb.marked):
        ka = pa.korean_sorted
        korean = max(_ratio(ka, pb.korean_sorted), _ratio(pa.korean_squeezed, pb.korean_squeezed)) / 100
        if korean * 0.97 > best:
            best, why = korean * 0.97, f"same Korean name in another romanisation ({ka!r})"
    # legal forms and generic words: weak evidence, a small penalty when they disagree
    generic_a, generic_b = pa.generic, pb.generic
    if generic_a and generic_b and not generic_a & generic_b:  # 'trading' vs 'bureau'
        best -= 0.05
        why += f"; generic words differ ({', '.join(sorted(generic_a))} / {', '.join(sorted(generic_b))})"
    forms_a, forms_b = pa.forms, pb.forms
    if forms_a and forms_b and not forms_a & forms_b:  # AG and GmbH are different companies
        best -= 0.25
        why += f"; legal forms differ ({', '.join(sorted(forms_a))} / {', '.join(sorted(forms_b))})"
    if schema not in PERSON_SCHEMATA:
        places_a, places_b = pa.places, pb.places
        if places_a != places_b:
            if places_a and places_b:
                best -= 0.2
                why += f"; countries differ ({', '.join(sorted(places_a))} / {', '.join(sorted(places_b))})"
            else:
                best -= 0.1
                why += f"; only one names a country ({', '.join(sorted(places_a | places_b))})"
    # different numbers are different things (vessel 'HAE SONG 1' vs 'HAE SONG 2')
    digits_a, digits_b = pa.digits, pb.digits
    if digits_a != digits_b and (digits_a or digits_b):
        best -= 0.2
        why += "; numbers differ"
    # persons: every name part should find a counterpart
    if schema in PERSON_SCHEMATA and len(ca) > 1 and len(cb) > 1 and not initials:
        unmatched = _unmatched(ca, cb, ratios, pa.keys, pb.keys)
        short, long_ = (pa, pb) if len(ca) < len(cb) else (pb, pa)
        # (not for Korean syllables: 'Kim Chol' and 'Kim Song Chol' are two names, not one shortened)
        if len(short.core) < len(long_.core) and not korean_syllables and not _unmatched(
                short.core, long_.core, ratios if short is pa else [list(c) for c in zip(*ratios)], short.keys, long_.keys,
                strict=True):
            # every part of the shorter name is in the longer: added middle names or a patronymic
            # ('Sergey Lavrov' ~ 'Sergey Viktorovich Lavrov')
            if best < SUBSET_SCORE:
                best, why = SUBSET_SCORE, f"every part of the shorter name is in the longer ({len(long_.core) - len(short.core)} more)"
        elif unmatched:
            best -= UNMATCHED_PENALTY * len(unmatched)
            why += f"; no counterpart for {', '.join(unmatched)}"
            if (unmatched == [ca[0]] and len(ca) >= 4 and len(cb) >= 4 and not korean_syllables and best > SIBLING_SCORE
                    and _unmatched(cb, ca, [list(c) for c in zip(*ratios)], pb.keys, pa.keys) == [cb[0]]):
                # 'Rana Saddam Hussein al-Tikriti' / 'Raghad Saddam Hussein al-Tikriti': the father's
                # and family names agree (four parts at least), the person's own given name does not
                # -- a sibling
                best = SIBLING_SCORE
                why += " (only the first given names differ: another member of the family)"
    if schema not in PERSON_SCHEMATA and len(ca) == len(cb) > 1:
        # organisations: a word swapped for an unrelated one ('Saudi Arabian Gas' / '... Oil')
        # (numbers, roman ones too, are weighed on their own below)
        unmatched = [t for t in _unmatched(ca, cb, ratios, pa.keys, pb.keys, person=False)
                     if not t.isdigit() and t not in ROMAN_VALUES]
        if unmatched:
            best -= ORG_UNMATCHED_PENALTY * len(unmatched)
            why += f"; no counterpart for {', '.join(unmatched)}"
    if schema in PERSON_SCHEMATA and korean_syllables and best > DIFFERENT_KOREAN_SYLLABLE_SCORE:
        different = _korean_syllable_unmatched(ca, pa.keys, pb.keys)
        if different:
            best = DIFFERENT_KOREAN_SYLLABLE_SCORE
            why += f"; Korean syllable without a counterpart ({', '.join(different)}): another name"
    if schema in PERSON_SCHEMATA:
        swapped = _bin_swapped(ca, cb) if "bin" in ca and "bin" in cb else ""
        if swapped and best > BIN_SWAPPED_SCORE:
            best, why = BIN_SWAPPED_SCORE, f"son and father swapped around 'bin' ({swapped})"
    best = max(0.0, min(1.0, best))
    return Match(best, best >= threshold, f"{why}: {na!r} ~ {nb!r}", (na, nb))


SKELETON_SCORE: Final = 0.88


def _skeleton(name: str) -> list[str]:
    """A name's consonants word by word ('Mahmud' and محمود both 'mhmd'): Arabic writes short vowels
    not at all and long ones as w, y and alif, so only the consonants compare across scripts."""
    text = (ascii_text(unicodedata.normalize("NFC", name)) or "").lower()
    words = []
    for word in re.split(r"[^a-z]+", text):
        if word in ("al", "el", "ul"):  # the article, written apart in Latin letters and joined in Arabic
            continue
        if word.startswith(("al", "el")) and len(word) > 4:
            word = word[2:]
        consonants = re.sub(r"[aeiouwy]+", "", word)
        if consonants:
            words.append(re.sub(r"(.)\1+", r"\1", consonants))
    return words


def _skeletons_agree(a: str, b: str) -> tuple[float, str]:
    """For a name in Arabic script against one in Latin letters: every consonant skeleton of the
    shorter is among the longer's, three of them of two consonants or more (one-consonant words
    such as Ali say little); or, for names written together on one side and apart on the other
    ('Najibullah' / نجیب الله), the skeletons run together are the same, ten consonants at least."""
    sa, sb = _skeleton(a), _skeleton(b)
    short, long_ = (sa, sb) if len(sa) <= len(sb) else (sb, sa)
    left = list(long_)
    for word in short:
        if word not in left:
            break
        left.remove(word)
    else:
        if sum(len(word) >= 2 for word in short) >= 3:
            return SKELETON_SCORE, f"the same consonants word by word across scripts ({' '.join(short)})"
    run_a, run_b = (re.sub(r"(.)\1+", r"\1", "".join(x)) for x in (sa, sb))
    if len(run_a) >= 10 and run_a == run_b:
        return SKELETON_SCORE - 0.02, f"the same consonants across scripts, written together ({run_a})"
    return 0.0, ""


def _native_twin() -> Any:
    """This module compiled by mypyc from this very source, or None (not built, built from an
    older source, or turned off)."""
    if __name__ != "interdict.intel.matching" or os.environ.get("INTERDICT_PURE_PYTHON"):
        return None  # the twin itself, or plain Python asked for
    try:
        from interdict.intel import _matching_native as twin  # type: ignore[attr-defined]
    except ImportError:
        return None
    return twin if twin_is_current(twin, Path(__file__).read_bytes()) else None


def twin_is_current(twin: Any, source: bytes) -> bool:
    """Whether the compiled twin was made from `source` (this file as it is now)."""
    return getattr(twin, "SOURCE_SHA256", None) == hashlib.sha256(source).hexdigest()


_TWIN = _native_twin()
NATIVE: Final = _TWIN is not None
if _TWIN is not None:  # every function, class and table from the twin, so no caller sees a mix
    globals().update({name: value for name, value in vars(_TWIN).items()
                      if not name.startswith("__") and name not in ("SOURCE_SHA256", "_native_twin", "twin_is_current", "_TWIN", "NATIVE")})
