"""Name matching: Korean romanisations, name order, legal forms, Hangul; explanation; quality floor."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from interdict.intel.matching import compare, korean_key, normalise

SAME = [
    ("Daesung", "Taesong", "Company"),
    ("Daeseong", "Daesung", "Company"),
    ("Daesung General Trading Corp", "KOREA DAESONG GENERAL TRADING CORPORATION", "Company"),
    ("Taesong Trading", "KOREA TAESONG TRADING COMPANY", "Company"),
    ("Daesung Chongguk", "Daesong General Bureau", "Organization"),
    ("Pong Su", "Bongsu", "Vessel"),
    ("Ri Man Jin", "Man Jin Ri", "Person"),
    ("Song Man Sun", "Man Sun Song", "Person"),
    ("Kim Jong-un", "Kim Jong Un", "Person"),
    ("김정은", "Kim Jong Un", "Person"),
    ("Chongjin", "Cheongjin", "Company"),
    ("Office No. 39", "OFFICE 39", "Organization"),
    ("J.-C. Juncker", "Jean-Claude Juncker", "Person"),
]
SAME += [
    ("Sergey Lavrov", "Sergey Viktorovich Lavrov", "Person"),  # patronymic added
    ("LAVILLA, Ruben Pestano, Jr.", "RUBEN PESTANO LAVILLA, JR", "Person"),  # list order 'Surname, Given'
    ("Brigade Forty-Four", "Brigade 44", "Organization"),
    ("PLA", "People's Liberation Army", "Organization"),
    ("MUN CHO'NG-MIN", "Mun Chong Min", "Person"),  # McCune-Reischauer apostrophe
]
SAME += [
    ("Volkswagen Gesellschaft mit beschränkter Haftung", "Volkswagen GmbH", "Company"),  # legal form in words
    ("OAO Gazprom", "Open Joint Stock Company Gasprom", "Company"),
    ("First Bank Int'l", "First International Bank", "Company"),
    ("U.S. Department of State", "United States Department of State", "Organization"),
    ("Al Qaeda", "Al-Qa'ida/Islamic Army", "Organization"),  # two names written as one
    ("Ted Doe", "Theodore Doe", "Person"),  # nickname
    ("Mao Tse-tung", "Mao Zedong", "Person"),  # Wade-Giles and pinyin
    ("Hsi Chin-ping", "Xi Jinping", "Person"),
    ("Nikolai Patr ushev", "Nikolai Platonovich Patrushev", "Person"),  # a name written apart
    ("'Abd al-Aziz al-Nuristani", "Abdul Aziz Nooristani", "Person"),
    ("JC Juncker", "Jean-Claude Juncker", "Person"),
    ("RI, Yong Gil", "YI, Yo'ng-kil", "Person"),  # one listed person: the North's Ri is the South's Yi
    ("Im Chol", "Rim Chol", "Person"),
    ("Na Song Il", "Ra Song Il", "Person"),
    ("이영길", "Ri Yong Gil", "Person"),  # the South's Hangul 이 against the North's Ri
    ("최룡해", "Choe Ryong Hae", "Person"),
]
DIFFERENT = [
    ("Kim Jong Un", "Kim Jong Il", "Person"),
    ("김종은", "김정은", "Person"),
    ("Deutsche Bank AG", "Deutsche Bank GmbH", "Company"),
    ("HAE SONG 1", "HAE SONG 2", "Vessel"),
    ("KIM SOK JIN", "KIM SOK CHOL", "Person"),
    ("OTHMAN AHMED OTHMAN AL-HARBI", "OTHMAN AHMED OTHMAN AL-GHAMDI", "Person"),  # another family
    ("RA SONG-SU", "RA KY'ONG-SU", "Person"),
    ("Brigade 44", "Brigade 45", "Organization"),
    ("AHMAD BIN HASAN AL-UBAIDI", "HASAN BIN AHMAD AL-UBAIDI", "Person"),  # son and father
    ("Banco Santander S.A.", "Banco Santander Chile S.A.", "Company"),  # another country's bank
    ("Industrial and Commercial Bank of Chad Limited", "Industrial and Commercial Bank of China Limited", "Company"),
    ("Government of Estonia", "Government of Ethiopia", "Organization"),
    ("Saudi Arabian Gas Company", "Saudi Arabian Oil Company", "Company"),
    ("Luís Monteiro", "Luís Montenegro", "Person"),  # two known family names, not one misspelt
    ("Mendez, Denmark A/S", "Mendez Norge A/S", "Company"),  # 'A/S' is a legal form, not two names
    # two listed DPRK persons each: one syllable of three differs
    ("KIM, Ki Nam", "KIM, Il Nam", "Person"),
    ("JO, Yong Chol", "JO, Yong-Won", "Person"),
    ("KIM, Jung Jong", "KIM, Yo Jong", "Person"),
    ("KIM, Cho'ng-man", "KIM, Sang Man", "Person"),  # rigour reads both as one Chinese name
    ("JANG, Myong Chol", "Chang Myong Ho", "Person"),
    ("KIM, Ch'o'l", "KIM TONG CHOL", "Person"),  # a Korean given name without a syllable is another
    ("KIM, Jong Un", "YU, Jin", "Person"),
    ("YU, Jin", "Kim Young-Chol", "Person"),  # rigour's symbols: 'jin' ~ 'kim' (金), 'yu' ~ 'young'
    ("CHO, Il Woo", "CHON, Il Ho", "Person"),  # and 'woo' ~ 'ho'
]


@pytest.mark.parametrize("a, b, schema, reason", [
    ("Banco Santander S.A.", "Banco Santander México S.A.", "Company", "only one names a country (mx)"),
    ("Bank of China", "Bank of Chad", "Company", "countries differ (cn / td)"),
    ("AHMAD BIN HASAN", "HASAN BIN AHMAD", "Person", "son and father swapped around 'bin'"),
    ("Ted Doe", "Theodore Doe", "Person", "the same names in other spellings (theodore ~ ted)"),
    ("Deutsche Bank AG", "Deutsche Bank GmbH", "Company", "legal forms differ (jsc / llc)"),
    ("Saudi Arabian Gas Company", "Saudi Arabian Oil Company", "Company", "no counterpart for gas"),
])
def test_explanations_name_the_rule(a, b, schema, reason):
    assert reason in compare(a, b, schema).explanation


@pytest.mark.parametrize("a, b, schema", SAME)
def test_same_names_match_with_a_reason(a, b, schema):
    result = compare(a, b, schema)
    assert result.match, result
    assert result.explanation and 0.8 <= result.score <= 1.0


@pytest.mark.parametrize("a, b, schema", DIFFERENT)
def test_different_names_do_not_match(a, b, schema):
    assert not compare(a, b, schema).match


def test_one_different_korean_syllable_is_another_name():
    result = compare("KIM, Ki Nam", "KIM, Il Nam", "Person")
    assert "Korean syllable without a counterpart (ki): another name" in result.explanation
    # romanisations of the same syllable are counterparts
    for a, b in (("SON YONG HYOK", "SON JONG HYOK"), ("RI MYONG-CHUL", "RI PYONG CHUL"), ("Kim Jong On", "Kim Jong Un")):
        assert compare(a, b, "Person").match, (a, b)


def _dprk_persons(shared_data: Path) -> list[list[str]]:
    rows = csv.DictReader(open(shared_data / "sanctions/dprk_extract/dprk_extract.csv", encoding="utf-8"))
    return [[row["name"]] + [a.split(":", 1)[1] for a in row["aliases"].split("|") if ":" in a]
            for row in rows if row["type"] == "individual"]


def _one_given_syllable_apart(a: str, b: str) -> bool:
    """'Family, Given Given' names with the same family name, one given syllable spelt the same and
    the other sharing not a single letter ('Hyok Chol' / 'Mun Chol'). Chosen by spelling alone, not
    by the similarity the matcher's own syllable rule uses, so the test cannot agree with the rule
    by construction."""
    def parts(name: str) -> tuple[str, list[str]] | None:
        family, _, given = name.partition(",")
        syllables = normalise(given, "Person").replace("-", " ").split()
        return (korean_key(normalise(family, "Person")), syllables) if given and len(syllables) == 2 else None
    pa, pb = parts(a), parts(b)
    if pa is None or pb is None or pa[0] != pb[0]:
        return False
    (x1, x2), (y1, y2) = pa[1], pb[1]
    return (x1 == y1 and set(x2).isdisjoint(y2)) or (x2 == y2 and set(x1).isdisjoint(y1))


def test_different_listed_dprk_persons_one_syllable_apart_do_not_match(shared_data):
    """On the real lists, 'Kim Kyong Nam', 'Kim Kyong Ok', 'Kim Kyong Il', 'Kim Kyong Hak' are four
    listed persons: a wholly different syllable is another person (11 of 322 such pairs matched before)."""
    persons = _dprk_persons(shared_data)
    keys = [{normalise(n, "Person") for n in names} for names in persons]
    pairs = [(a, b) for i, names in enumerate(persons) for j in range(i + 1, len(persons)) if not keys[i] & keys[j]
             for a in names for b in persons[j] if _one_given_syllable_apart(a, b)]
    assert len(pairs) > 100  # the form is common among different listed persons
    matched = [(a, b) for a, b in pairs if compare(a, b, "Person").match]
    assert not matched


def test_romanisation_key_and_normalisation():
    assert korean_key("taesong") == korean_key("daesung") == korean_key("daeseong")
    assert korean_key("pyongyang") == korean_key("pyeongyang")
    assert normalise("김정은", "Person") == "gim jeong eun"
    assert "daesong" in normalise("Korea Daesong General Trading Corporation", "Company")


def test_match_is_symmetric_enough():
    for a, b, schema in SAME + DIFFERENT:
        assert compare(a, b, schema).match == compare(b, a, schema).match


def test_quality_floor_on_name_bench(shared_data):
    """F1 >= 0.88 on the held-out half of name_bench (0.90 when the split was made; logic-v2 0.80
    on the same rows); bench/name_bench.py prints the full figures."""
    from interdict.intel.evaluation import name_bench_pairs, scores

    pairs = [p for p in name_bench_pairs(shared_data / "matching/nomenklatura_name_bench/cases.csv") if p.held_out]
    result = scores((compare(p.name1, p.name2, p.schema).match, p.is_match) for p in pairs)
    assert result["f1"] >= 0.88, result


def test_match_command(tmp_path):
    interdict = str(Path(sys.executable).parent / "interdict")
    out = subprocess.run([interdict, "match", "Daesung General Trading Corp", "KOREA DAESONG GENERAL TRADING CORPORATION",
                          "--schema", "Company", "--json"], capture_output=True, text=True, check=True).stdout
    result = json.loads(out)
    assert result["match"] is True and "romanisation" in result["explanation"]
    bad = subprocess.run([interdict, "match", "a", "b", "--schema", "Boat"], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown FtM schema 'Boat'" in bad.stderr


def _plain_matching():  # type: ignore[no-untyped-def]
    """interdict/matching.py loaded as plain Python, beside the compiled twin the package uses."""
    import importlib.util

    import interdict.intel.matching as matching

    source = Path(matching.__file__)
    spec = importlib.util.spec_from_file_location("interdict_matching_plain", source)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(bool(os.environ.get("INTERDICT_PURE_PYTHON")), reason="plain Python asked for")
def test_matching_runs_compiled():
    """make compiles matching.py with mypyc (scripts/build_native.py); the speed figures rest on it."""
    import interdict.intel.matching as matching

    assert matching.NATIVE, "the compiled twin is missing or older than matching.py: run scripts/build_native.py"
    assert type(matching.compare).__name__ == "builtin_function_or_method"


def test_compiled_and_plain_give_the_same_results(shared_data):
    import interdict.intel.matching as matching

    plain = _plain_matching()
    assert not plain.NATIVE and type(plain.compare).__name__ == "function"
    rows = csv.DictReader(open(shared_data / "matching/nomenklatura_name_bench/cases.csv", encoding="utf-8"))
    pairs = [(r["name1"], r["name2"], r["schema"]) for r in rows] + SAME + DIFFERENT
    persons = _dprk_persons(shared_data)
    pairs += [(a, b, "Person") for names in persons[:150] for a in names[:3] for b in persons[0][:2] + names[1:3]]
    def fields(m):  # type: ignore[no-untyped-def]  # two Match classes, one per module
        return m.score, m.match, m.explanation, m.matched

    for a, b, schema in pairs:
        assert fields(matching.compare(a, b, schema)) == fields(plain.compare(a, b, schema)), (a, b, schema)


def test_a_twin_from_another_source_is_not_used():
    import interdict.intel.matching as matching

    class Twin:
        SOURCE_SHA256 = hashlib.sha256(b"def compare(): ...").hexdigest()

    assert matching.twin_is_current(Twin, b"def compare(): ...")
    assert not matching.twin_is_current(Twin, b"def compare(): return 1")
    assert not matching.twin_is_current(object(), b"def compare(): ...")


# Error classes seen on pairs drawn from the real OFAC and UN lists (issue 22), each a rule with its
# own examples. None of these pairs is from the held-out halves (interdict.intel.evaluation).
@pytest.mark.parametrize("a, b, schema, same", [
    # Korean romanisation only where the name shows it is Korean
    ("William Amuri Yakutumba", "Yakutumba", "Person", False),
    ("Maria III", "Maria E", "Vessel", False),
    ("Daesung General Trading Corp", "KOREA DAESONG GENERAL TRADING CORPORATION", "Company", True),
    ("Ri Yong Gil", "Yi Yong-kil", "Person", True),
    # an ordinary word is not a legal form inside a name (test_ordinary_words_are_not_legal_forms)
    ("Al-Qaida in Iraq", "Al-Qaida in Iraq Group", "Organization", True),
    # shortened words, initials of the name's own words, dotted initials
    ("Ace Shpg Co", "Ace Shipping Company", "Company", True),
    ("Drug Trafficking Organization Los Zetas", "DTO Los Zetas", "Organization", True),
    ("Public Joint-Stock Company Commercial Bank Sputnik", "CB Sputnik", "Company", True),
    ("T.M.G. Holdings", "TMG Holdings", "Company", True),
    ("Ace Sea", "Ace Seaboard", "Company", False),  # 'sea' is a word, not a cut 'seaboard'
    # roman numerals are numbers
    ("Ocean Fund XII", "Ocean Fund III", "Company", False),
    ("Sea Dragon II", "Sea Dragon 2", "Vessel", True),
    ("Star I", "Star 1", "Vessel", True),
    # siblings: the family agrees, the person's own given name does not
    ("AL-TIKRITI, Rana Saddam Hussein", "RAGHAD SADDAM HUSSEIN AL-TIKRITI", "Person", False),
    ("Ali Reda Hassan al-Banai", "Ali Ridha Hasan al-Banai", "Person", True),
    # the original script against the Latin list spelling
    ("UMAR MAHMUD IRHAYYIM AL-KUBAYSI", "عمر محمود إرحيم الفياض الكبيسي", "Person", True),
    ("NAJIBULLAH HAQQANI HIDAYATULLAH", "نجیب الله حقانی هدايت الله", "Person", True),
    ("Mohammed Ali Hassan", "محمد علي حسين", "Person", False),  # Hassan is not Husayn: too little to go on
    ("ISLAM SEIT-UMAROVICH ATABIEV", "Ислам Сеит-Умарович Атабиев", "Person", True),
])
def test_error_classes_from_real_list_pairs(a, b, schema, same):
    result = compare(a, b, schema)
    assert result.match is same, result
    assert compare(b, a, schema).match is same


def test_ordinary_words_are_not_legal_forms():
    from interdict.intel.matching import legal_forms

    assert normalise("Al-Qaida in Iraq", "Organization") == "al-qaida in iraq"
    assert legal_forms("Al-Qaida in Iraq") == frozenset() and legal_forms("Ansar al-Sharia is Tunisia") == frozenset()
    assert legal_forms("Equinor AS") == {"jsc"} and legal_forms("IN Holdings Inc") == {"llc"}
    assert "legal forms differ" not in compare("Al-Qaida in Iraq", "Al-Qaida Iraq JSC", "Organization").explanation


def test_held_out_split_is_fixed_and_keeps_quoted_rows_for_tuning(shared_data):
    from interdict.intel.evaluation import QUOTED_BEFORE_THE_SPLIT, held_out, name_bench_pairs

    pairs = name_bench_pairs(shared_data / "matching/nomenklatura_name_bench/cases.csv")
    held = [p for p in pairs if p.held_out]
    assert 350 <= len(held) <= 450  # about half, by a hash of the content
    assert not [p for p in held if (p.name1, p.name2) in QUOTED_BEFORE_THE_SPLIT]
    assert held_out("Person", "A", "B") == held_out("Person", "A", "B")
    # no pair these tests quote is a held-out row
    quoted = {(a, b) for a, b, _ in SAME + DIFFERENT} | {(b, a) for a, b, _ in SAME + DIFFERENT}
    assert not [p for p in held if (p.name1, p.name2) in quoted]


def test_list_built_pairs_are_labelled_by_what_the_lists_say(shared_data):
    from interdict.intel.evaluation import list_pairs
    from interdict.intel.lists import parse_ofac, parse_un

    s = shared_data / "sanctions"
    ofac = parse_ofac(s / "ofac_sdn_csv_2024-05-03/sdn.csv", s / "ofac_alt_add_csv_2026-06/alt.csv")
    un, _ = parse_un(s / "un_sc_consolidated_2024-09-26/consolidated.xml")
    pairs = list_pairs(ofac, un, limits={"alias": 50, "original script": 20, "both lists": 30, "similar, different entries": 80})
    assert {p.category for p in pairs} == {"alias", "original script", "both lists", "similar, different entries"}
    entries = {**ofac.entities, **un.entities}
    for p in pairs:
        if p.category in ("alias", "original script"):  # the entry's own primary name and one of its aliases
            props = entries[p.source][1]
            assert p.is_match and p.name1 in props["name"] and p.name2 in props["alias"]
        elif p.category == "both lists":
            a, b = p.source.split("=")
            assert p.is_match and a.startswith("ofac-") and b.startswith("un-")
        else:  # two different listed entries; persons with birth dates none in common
            a, b = p.source.split("/")
            assert not p.is_match and a != b
            if p.schema == "Person":
                assert not set(entries[a][1]["birthDate"]) & set(entries[b][1]["birthDate"])
    assert pairs == list_pairs(ofac, un, limits={"alias": 50, "original script": 20, "both lists": 30,
                                                 "similar, different entries": 80})  # the same every time
