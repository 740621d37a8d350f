"""Name matching: Korean romanisations, name order, legal forms, Hangul; explanation; quality floor."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from interdict.matching import compare, korean_key, normalise

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


def test_romanisation_key_and_normalisation():
    assert korean_key("taesong") == korean_key("daesung") == korean_key("daeseong")
    assert korean_key("pyongyang") == korean_key("pyeongyang")
    assert normalise("김정은", "Person") == "gim jeong eun"
    assert "daesong" in normalise("Korea Daesong General Trading Corporation", "Company")


def test_match_is_symmetric_enough():
    for a, b, schema in SAME + DIFFERENT:
        assert compare(a, b, schema).match == compare(b, a, schema).match


def test_quality_floor_on_name_bench(shared_data):
    """The issue's target, F1 >= 0.88 (0.890 when raised; logic-v2 0.796 on the same pairs);
    bench/name_bench.py prints the full figures."""
    rows = list(csv.DictReader(open(shared_data / "matching/nomenklatura_name_bench/cases.csv", encoding="utf-8")))
    tp = fp = fn = 0
    for row in rows:
        predicted, truth = compare(row["name1"], row["name2"], row["schema"]).match, row["is_match"] == "true"
        tp += predicted and truth
        fp += predicted and not truth
        fn += truth and not predicted
    f1 = 2 * tp / (2 * tp + fp + fn)
    assert f1 >= 0.88


def test_match_command(tmp_path):
    interdict = str(Path(sys.executable).parent / "interdict")
    out = subprocess.run([interdict, "match", "Daesung General Trading Corp", "KOREA DAESONG GENERAL TRADING CORPORATION",
                          "--schema", "Company", "--json"], capture_output=True, text=True, check=True).stdout
    result = json.loads(out)
    assert result["match"] is True and "romanisation" in result["explanation"]
    bad = subprocess.run([interdict, "match", "a", "b", "--schema", "Boat"], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown FtM schema 'Boat'" in bad.stderr
