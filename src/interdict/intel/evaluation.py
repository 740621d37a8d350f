"""Labelled name pairs for evaluating the matcher: a fixed tuning / held-out split, and a second
labelled set built from the real OFAC and UN lists.

The split is by content, not by position, so it stays the same when rows are added or reordered:
a pair is held out when the SHA-256 of ``schema|name1|name2`` is odd, except the 33 name_bench
rows tests and comments already quoted when the split was made (`QUOTED_BEFORE_THE_SPLIT`), which
are tuning rows. The matcher's rules were written (sessions 1-6) looking at all of name_bench, so
its held-out half is held out only for changes made since; the list-built set was never looked at
row by row before the split. Tuning (looking at errors,
writing rules, copying pairs into tests) uses the tuning half only; the held-out half is scored,
never read row by row. The list-built set is split the same way.

The list-built set (``list_pairs``) labels pairs by facts the lists state, never by a name
similarity rule a matcher could share:

* ``alias``: an entry's primary name against one of its own aliases (Latin script both) that shares
  at least half of the shorter name's words (of three letters or more, and two of them when both
  names have two) with it but is not the same
  words — a spelling variant or a longer form of one listed name, not a nom de guerre;
* ``original script``: a primary name against the entry's alias in another script (Arabic,
  Cyrillic, Hangul, Chinese ...);
* ``both lists``: the OFAC and the UN primary names of one person or organisation, where the two
  entries carry a name with exactly the same words (and, for persons, a common date of birth; for
  organisations, primary names sharing a word), and the primary names differ;
* ``similar, different entries`` (the negatives): two entries of one list (or an OFAC and a UN
  entry not linked as above) of the same kind whose primary names share at least half of the
  longer name's words (of three letters or more); persons only when both have dates of birth and
  none in common.
"""

from __future__ import annotations

import csv
import hashlib
import random
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KINDS = {"Person": "Person", "Organization": "Organization", "Company": "Organization", "LegalEntity": "Organization",
         "Vessel": "Vessel"}
# name_bench rows quoted by tests/test_matching.py or matching.py's comments before the split was
# made: tuning rows whatever their hash says (so no test copies a held-out row)
QUOTED_BEFORE_THE_SPLIT = frozenset({
    ("'Abd al-Aziz al-Nuristani", 'Abdul Aziz Nooristani'),
    ('AHMAD BIN HASAN AL-UBAIDI', 'HASAN BIN AHMAD AL-UBAIDI'),
    ('Al Qaeda', "Al-Qa'ida/Islamic Army"),
    ('Banco Santander México S.A.', 'Banco Santander Chile S.A.'),
    ('Banco Santander S.A.', 'Banco Santander Chile S.A.'),
    ('Banco Santander S.A.', 'Banco Santander México S.A.'),
    ('Brigade Forty-Four', 'Brigade 44'),
    ('Deutsche Bank AG', 'Deutsche Bank'),
    ('Deutsche Bank AG', 'Deutsche Bank GmbH'),
    ('Government of Estonia', 'Government of Ethiopia'),
    ('Hsi Chin-ping', 'Xi Jinping'),
    ('Industrial and Commercial Bank of Chad Limited', 'Industrial and Commercial Bank of China Limited'),
    ('J.-C. Juncker', 'Jean-Claude Juncker'),
    ('JC Juncker', 'Jean-Claude Juncker'),
    ('KIM SOK JIN', 'KIM SOK CHOL'),
    ('Kim Jong On', 'Kim Jong Un'),
    ('Kim Jong-un', 'Kim Jong Un'),
    ('Luís Monteiro', 'Luís Montenegro'),
    ('Mao Tse-tung', 'Mao Zedong'),
    ('Mendez, Denmark A/S', 'Mendez Norge A/S'),
    ('Nikolai Patr ushev', 'Nikolai Platonovich Patrushev'),
    ('OAO Gazprom', 'Open Joint Stock Company Gasprom'),
    ('OTHMAN AHMED OTHMAN AL-HARBI', 'OTHMAN AHMED OTHMAN AL-GHAMDI'),
    ('RA SONG-SU', "RA KY'ONG-SU"),
    ('RI MYONG-CHUL', 'RI PYONG CHUL'),
    ('SON YONG HYOK', 'SON JONG HYOK'),
    ('Saudi Arabian Gas Company', 'Saudi Arabian Oil Company'),
    ('Sergey Viktorovich Lavrov', 'Sergey Lavrov'),
    ('Ted Doe', 'Theodore Doe'),
    ('U.S. Department of State', 'United States Department of State'),
    ('Volkswagen Gesellschaft mit beschränkter Haftung', 'Volkswagen GmbH'),
    ('김종은', '김정은'),
})
LIMITS = {"alias": 400, "original script": 120, "both lists": 250, "similar, different entries": 700}


@dataclass(frozen=True)
class Pair:
    schema: str
    name1: str
    name2: str
    is_match: bool
    category: str = ""
    source: str = ""
    notes: str = ""

    @property
    def held_out(self) -> bool:
        return held_out(self.schema, self.name1, self.name2)


def held_out(schema: str, name1: str, name2: str) -> bool:
    if (name1, name2) in QUOTED_BEFORE_THE_SPLIT:
        return False
    digest = hashlib.sha256(f"{schema}|{name1}|{name2}".encode()).digest()
    return bool(digest[-1] & 1)


def name_bench_pairs(path: Path) -> list[Pair]:
    """The rows of nomenklatura's name_bench `cases.csv`."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [Pair(r["schema"], r["name1"], r["name2"], r["is_match"] == "true", r.get("category", ""),
                     f"name_bench:{r.get('case_group', '')}", r.get("notes", "")) for r in csv.DictReader(handle)]


def scores(outcomes: Iterable[tuple[bool, bool]]) -> dict[str, float]:
    """Precision, recall, F1 and counts from (predicted, true) pairs."""
    tp = fp = fn = tn = 0
    for predicted, truth in outcomes:
        tp += predicted and truth
        fp += predicted and not truth
        fn += truth and not predicted
        tn += not predicted and not truth
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "n": tp + fp + fn + tn, "tp": tp, "fp": fp, "fn": fn, "tn": tn}


def _words(name: str) -> frozenset[str]:
    text = unicodedata.normalize("NFKC", name).casefold()
    return frozenset(w for w in re.split(r"[^\w]+", text) if w)


def _content(name: str) -> frozenset[str]:
    """The words that say something: one- and two-letter words (de, al, s, a) are left out."""
    return frozenset(w for w in _words(name) if len(w) > 2)


def _close(a: str, b: str) -> bool:
    """At least half of the shorter name's words are in the longer one."""
    mine, theirs = _content(a), _content(b)
    shared = len(mine & theirs)
    return bool(mine and theirs) and shared * 2 >= min(len(mine), len(theirs)) and shared >= min(2, len(mine), len(theirs))


def _latin(name: str) -> bool:
    return all(not ch.isalpha() or ord(ch) < 0x250 for ch in name)


def _entries(builder: Any, prefix: str) -> list[dict[str, Any]]:
    out = []
    for entity_id, (schema, props) in builder.entities.items():
        kind = KINDS.get(schema)
        names = props.get("name") or []
        if kind is None or not names:
            continue
        out.append({"id": entity_id, "list": prefix, "schema": schema, "kind": kind, "name": names[0],
                    "aliases": list(props.get("alias") or []), "dates": frozenset(props.get("birthDate") or [])})
    return out


def list_pairs(ofac: Any, un: Any, *, seed: int = 0, limits: dict[str, int] | None = None) -> list[Pair]:  # noqa: C901 - one pass per category, read top to bottom
    """Labelled pairs from parsed OFAC and UN lists (`interdict.intel.lists.parse_ofac` / `parse_un`
    builders), at most `limits[category]` of each, sampled with `seed`."""
    limits = limits or LIMITS
    entries = _entries(ofac, "ofac") + _entries(un, "un")
    rng = random.Random(seed)
    found: dict[str, list[Pair]] = defaultdict(list)

    for entry in entries:
        primary = entry["name"]
        for alias in entry["aliases"]:
            if alias == primary:
                continue
            if not _latin(alias) and _latin(primary):
                found["original script"].append(Pair(entry["schema"], primary, alias, True, "original script", entry["id"]))
            elif _latin(alias) and _latin(primary) and _close(alias, primary) and _words(alias) != _words(primary):
                found["alias"].append(Pair(entry["schema"], primary, alias, True, "alias", entry["id"]))

    # the same entity on both lists: a name with exactly the same words (and a common birth date)
    by_words: dict[tuple[str, frozenset[str]], list[dict[str, Any]]] = defaultdict(list)
    for entry in entries:
        if entry["list"] == "un":
            for name in [entry["name"], *entry["aliases"]]:
                if _latin(name) and len(_words(name)) >= 2:
                    by_words[(entry["kind"], _words(name))].append(entry)
    linked: set[tuple[str, str]] = set()
    for entry in entries:
        if entry["list"] != "ofac":
            continue
        partners = {u["id"]: u for name in [entry["name"], *entry["aliases"]]
                    for u in by_words.get((entry["kind"], _words(name)), [])}
        for partner in partners.values():
            if entry["kind"] == "Person" and not (entry["dates"] & partner["dates"]):
                continue
            if entry["kind"] != "Person" and not _content(entry["name"]) & _content(partner["name"]):
                continue  # organisations: the lists reuse a group's old name for another, so the primaries must share a word
            linked.add((entry["id"], partner["id"]))
            if _words(entry["name"]) != _words(partner["name"]) and _latin(entry["name"]) and _latin(partner["name"]):
                found["both lists"].append(Pair(entry["schema"], entry["name"], partner["name"], True, "both lists",
                                                f"{entry['id']}={partner['id']}"))

    # hard negatives: different entries of one kind whose names share at least half their words
    by_word: dict[tuple[str, str], list[int]] = defaultdict(list)
    for n, entry in enumerate(entries):
        for word in _content(entry["name"]):
            by_word[(entry["kind"], word)].append(n)
    seen: set[tuple[int, int]] = set()
    for n, entry in enumerate(entries):
        if not _latin(entry["name"]):
            continue
        mine = _content(entry["name"])
        for word in mine:
            posting = by_word[(entry["kind"], word)]
            if len(posting) > 400:  # a word half the list shares (KIM, AL, TRADING) says nothing alone
                continue
            for m in posting:
                if m <= n or (n, m) in seen:
                    continue
                seen.add((n, m))
                other = entries[m]
                theirs = _content(other["name"])
                if len(mine & theirs) * 2 < max(len(mine), len(theirs)) or _words(entry["name"]) == _words(other["name"]):
                    continue
                if (entry["id"], other["id"]) in linked or (other["id"], entry["id"]) in linked:
                    continue
                if entry["kind"] == "Person" and (not entry["dates"] or not other["dates"] or entry["dates"] & other["dates"]):
                    continue
                found["similar, different entries"].append(Pair(entry["schema"], entry["name"], other["name"], False,
                                                                "similar, different entries", f"{entry['id']}/{other['id']}"))
    out: list[Pair] = []
    for category in LIMITS:
        pool = sorted(set(found[category]), key=lambda p: (p.source, p.name1, p.name2))
        out += rng.sample(pool, min(limits.get(category, 0), len(pool)))
    return out


def write_pairs(pairs: list[Pair], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["schema", "name1", "name2", "is_match", "category", "source", "held_out"])
        for p in pairs:
            writer.writerow([p.schema, p.name1, p.name2, str(p.is_match).lower(), p.category, p.source, str(p.held_out).lower()])
