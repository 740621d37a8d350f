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
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from normality import ascii_text
from rapidfuzz import fuzz, process
from rigour.names import remove_person_prefixes, replace_org_types_compare

THRESHOLD = 0.80
HANGUL = re.compile(r"[\uac00-\ud7a3]")
PERSON_SCHEMATA = {"Person"}
# Korean generic words in entity names, folded to one token each (as weak evidence)
KOREAN_EQUIVALENTS = {
    "chongguk": "bureau", "chonguk": "bureau", "general bureau": "bureau", "bureau": "bureau",
    "sangsa": "trading", "trading company": "trading", "trading": "trading",
}
KOREAN_SYLLABLE = re.compile(
    r"^(?:(?:kk|tt|pp|ss|jj|ch|ts|[bcdghjklmnprsty])?"
    r"(?:yae|yeo|wae|eo|eu|ae|ya|ye|yo|yu|wa|we|wi|wo|oe|ui|a|e|i|o|u)"
    r"(?:ng|n|m|l|k|p|t|r|g|b|d)?)+$"
)
WEAK_TOKENS = {"co", "ltd", "llc", "corp", "inc", "jsc", "plc", "gmbh", "sa", "ag", "bureau", "trading", "general",
               "company", "corporation", "the", "of", "and", "limited", "group",
               # the state's name, common in DPRK entity names ("Korea ... Corporation")
               "korea", "korean", "dprk", "choson", "joson"}


@dataclass(frozen=True)
class Match:
    score: float
    match: bool
    explanation: str
    matched: tuple[str, str] = field(default=("", ""))

    def to_dict(self) -> dict:
        return {"score": round(self.score, 4), "match": self.match, "explanation": self.explanation}


NAME_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}
# titles and honorifics in front of a person's name: not part of the name
PERSON_TITLES = re.compile(r"^(?:(?:president|prasident|president-elect|prime minister|premier|chairman|general|gen|colonel|"
                           r"col|admiral|marshal|shaikh|sheikh|sheik|monsieur|madame|mme|mlle|sir|dame|lord|lady|herr|frau|"
                           r"senor|senora|dr|prof|professor|his excellency|her excellency|he|comrade)\.?\s+)+")
UNITS = {w: n for n, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                    "fourteen fifteen sixteen seventeen eighteen nineteen".split())}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
        "ninety": 90}
NUMBER_WORDS = re.compile(r"\b(?:(" + "|".join(TENS) + r")(?:[\s\-]+(" + "|".join(list(UNITS)[1:10]) + r"))?|("
                          + "|".join(UNITS) + r"))\b")


def _digits(match: re.Match[str]) -> str:
    """'forty-four' -> '44', 'three' -> '3': 'Brigade Forty-Four' is 'Brigade 44'."""
    tens, unit, alone = match.groups()
    if alone:
        return str(UNITS[alone])
    return str(TENS[tens] + (UNITS[unit] if unit else 0))


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
    text = ascii_text(name) or ""
    text = text.lower().replace("&", " and ")
    if schema in PERSON_SCHEMATA:
        text = remove_person_prefixes(text)
        text = PERSON_TITLES.sub(" ", text)
    else:
        text = replace_org_types_compare(text)
    text = re.sub(r"['`\u2019\u2018\u02bc]", "", text)  # McCune-Reischauer apostrophes and O'Brien: part of the word
    text = re.sub(r"[^a-z0-9\- ]+", " ", text)
    text = NUMBER_WORDS.sub(_digits, text)
    text = re.sub(r"\b([2-9])0 ([1-9])\b", r"\1\2", text)  # 'forty 4' -> '40 4' -> '44'
    text = re.sub(r"\s+", " ", text).strip()
    for phrase, canonical in KOREAN_EQUIVALENTS.items():
        text = re.sub(rf"\b{phrase}\b", canonical, text)
    if schema in PERSON_SCHEMATA:  # Arabic particles in their common spellings: el-/al-, ibn/bin
        text = ARABIC_PARTICLES.sub(lambda m: ARABIC_EQUIVALENTS[m.group(1)] + m.group(2), text)
    return text


LEGAL_FORMS = {"co": "co", "company": "co", "ltd": "ltd", "limited": "ltd", "llc": "llc", "corp": "corp",
               "corporation": "corp", "inc": "inc", "incorporated": "inc", "jsc": "jsc", "plc": "plc",
               "gmbh": "gmbh", "sa": "sa", "ag": "ag"}


COUNTRY_WORDS = {"korea", "korean", "dprk", "choson", "joson"}


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[\s\-]+", text) if t]


@lru_cache(maxsize=200_000)
def korean_key(token: str) -> str:
    """One spelling for the romanisations of a Korean syllable sequence."""
    t = token.lower().replace("-", "")
    for old, new in (("tch", "j"), ("ch", "j"), ("sh", "s"), ("eo", "o"), ("eu", "u"), ("ae", "e"),
                     ("oe", "e"), ("wo", "o")):
        t = t.replace(old, new)
    t = t.translate(str.maketrans({"t": "d", "k": "g", "p": "b", "l": "r", "u": "o"}))
    return re.sub(r"(.)\1+", r"\1", t)


def looks_korean(tokens: list[str]) -> bool:
    return bool(tokens) and all(KOREAN_SYLLABLE.match(t) for t in tokens if t not in WEAK_TOKENS and not t.isdigit())


def _core(tokens: list[str]) -> list[str]:
    core = [t for t in tokens if t not in WEAK_TOKENS]
    return core or tokens


def _initials_match(short: list[str], full: list[str]) -> bool:
    """'j c juncker' ~ 'jean claude juncker': one-letter tokens stand for words with that initial."""
    if not any(len(t) == 1 for t in short) or len(short) != len(full):
        return False
    rest_full = list(full)
    for token in short:
        hit = next((f for f in rest_full if (f == token) or (len(token) == 1 and f.startswith(token))
                    or fuzz.ratio(f, token) >= 85), None)
        if hit is None:
            return False
        rest_full.remove(hit)
    return True


ARABIC_EQUIVALENTS = {"el": "al", "ul": "al", "ibn": "bin"}
ARABIC_PARTICLES = re.compile(r"\b(el|ul|ibn)([\s\-])")
SUBSET_SCORE = 0.86
ACRONYM_SCORE = 0.85


def _acronym(short: list[str], full: list[str]) -> bool:
    """'pla' ~ 'peoples liberation army' (small words such as 'of' and 'the' may be left out)."""
    if len(short) != 1 or len(short[0]) < 2 or len(full) < 2 or short[0].isdigit():
        return False
    letters = "".join(t[0] for t in full)
    content = "".join(t[0] for t in full if t not in {"of", "the", "and", "for", "de", "la", "le"})
    return short[0] in (letters, content)
UNMATCHED_PENALTY = 0.12  # per name part of a person without any counterpart


def _unmatched(tokens: list[str], others: list[str], *, strict: bool = False) -> list[str]:
    """Tokens without a counterpart among `others` (similar spelling or the same Korean key);
    `strict` also needs each counterpart to be a different token."""
    keys = [korean_key(u) for u in others]
    left = list(range(len(others)))
    missing = []
    for t in tokens:
        limit, key_limit = (90, 95) if strict else (70, 80)
        candidates = [i for i in left if fuzz.ratio(t, others[i]) >= limit or fuzz.ratio(korean_key(t), keys[i]) >= key_limit]
        if not candidates:
            missing.append(t)
        elif strict:
            left.remove(max(candidates, key=lambda i: fuzz.ratio(t, others[i])))
    return missing


def compare(a: str, b: str, schema: str = "LegalEntity", threshold: float = THRESHOLD) -> Match:
    if HANGUL.search(a) and HANGUL.search(b):
        # both in Hangul: each syllable is a letter of the name, so compare the syllables themselves
        ha, hb = re.sub(r"\s+", "", a), re.sub(r"\s+", "", b)
        score = 1.0 if ha == hb else fuzz.ratio(ha, hb) / 100 * 0.9
        return Match(score, score >= threshold, f"Hangul compared syllable by syllable: {ha!r} ~ {hb!r}", (ha, hb))
    na, nb = normalise(a, schema), normalise(b, schema)
    if not na or not nb:
        # a script the transliteration does not cover (Khmer, for instance): compare the letters themselves
        ra, rb = ("".join(ch for ch in unicodedata.normalize("NFC", x).casefold() if unicodedata.category(ch)[0] in "LMN")
                  for x in (a, b))  # letters, marks (vowel signs) and digits
        if not ra or not rb:
            return Match(0.0, False, "a name is empty after normalisation")
        score = 1.0 if ra == rb else fuzz.ratio(ra, rb) / 100 * 0.9
        return Match(score, score >= threshold, f"compared in the original script: {ra!r} ~ {rb!r}", (ra, rb))
    if na == nb:
        return Match(1.0, True, f"same name after normalisation ({na!r})", (na, nb))
    ta, tb = _tokens(na), _tokens(nb)
    ca, cb = _core(ta), _core(tb)
    joined_a, joined_b = "".join(sorted(ca)), "".join(sorted(cb))
    plain = fuzz.token_sort_ratio(" ".join(ca), " ".join(cb)) / 100
    squeezed = fuzz.ratio("".join(ca), "".join(cb)) / 100  # 'jong un' ~ 'jongun'
    best, why = max((plain, "token similarity"), (squeezed, "similar when spaces and hyphens are ignored"))
    if schema not in PERSON_SCHEMATA and min(len(ca), len(cb)) >= 2:
        contained = fuzz.token_set_ratio(" ".join(ca), " ".join(cb)) / 100 * 0.85
        if contained > best:  # 'office 39' within 'office no 39 of the korean workers party'
            best, why = contained, "one name contains the other"
    if joined_a == joined_b:
        best, why = 0.98, "same words in another order"
    if schema not in PERSON_SCHEMATA and ACRONYM_SCORE > best and (_acronym(ca, cb) or _acronym(cb, ca)):
        best, why = ACRONYM_SCORE, "one name is the other's initials"
    initials = schema in PERSON_SCHEMATA and (_initials_match(ca, cb) or _initials_match(cb, ca))
    if initials and joined_a != joined_b:
        best, why = max(best, 0.9), "initials stand for the given names"
    if looks_korean(ca) and looks_korean(cb):
        ka = " ".join(sorted(korean_key(t) for t in ca))
        kb = " ".join(sorted(korean_key(t) for t in cb))
        korean = fuzz.ratio(ka, kb) / 100
        squeezed_k = fuzz.ratio("".join(korean_key(t) for t in ca), "".join(korean_key(t) for t in cb)) / 100
        korean = max(korean, squeezed_k)
        if korean * 0.97 > best:
            best, why = korean * 0.97, f"same Korean name in another romanisation ({ka!r})"
    # legal forms and generic words: weak evidence, a small penalty when they disagree
    generic_a = {t for t in ta if t in WEAK_TOKENS and t not in LEGAL_FORMS and t not in COUNTRY_WORDS}
    generic_b = {t for t in tb if t in WEAK_TOKENS and t not in LEGAL_FORMS and t not in COUNTRY_WORDS}
    if generic_a and generic_b and not generic_a & generic_b:  # 'trading' vs 'bureau'
        best -= 0.05
        why += f"; generic words differ ({', '.join(sorted(generic_a))} / {', '.join(sorted(generic_b))})"
    forms_a = {LEGAL_FORMS[t] for t in ta if t in LEGAL_FORMS}
    forms_b = {LEGAL_FORMS[t] for t in tb if t in LEGAL_FORMS}
    if forms_a and forms_b and not forms_a & forms_b:  # AG and GmbH are different companies
        best -= 0.2
        why += f"; legal forms differ ({', '.join(sorted(forms_a))} / {', '.join(sorted(forms_b))})"
    # different numbers are different things (vessel 'HAE SONG 1' vs 'HAE SONG 2')
    digits_a, digits_b = {t for t in ta if t.isdigit()}, {t for t in tb if t.isdigit()}
    if digits_a != digits_b and (digits_a or digits_b):
        best -= 0.2
        why += "; numbers differ"
    # persons: every name part should find a counterpart
    if schema in PERSON_SCHEMATA and len(ca) > 1 and len(cb) > 1 and not initials:
        unmatched = _unmatched(ca, cb)
        short, long_ = (ca, cb) if len(ca) < len(cb) else (cb, ca)
        if len(short) < len(long_) and not _unmatched(short, long_, strict=True):
            # every part of the shorter name is in the longer: added middle names or a patronymic
            # ('Sergey Lavrov' ~ 'Sergey Viktorovich Lavrov')
            if SUBSET_SCORE > best:
                best, why = SUBSET_SCORE, f"every part of the shorter name is in the longer ({len(long_) - len(short)} more)"
        elif unmatched:
            best -= UNMATCHED_PENALTY * len(unmatched)
            why += f"; no counterpart for {', '.join(unmatched)}"
    best = max(0.0, min(1.0, best))
    return Match(best, best >= threshold, f"{why}: {na!r} ~ {nb!r}", (na, nb))
