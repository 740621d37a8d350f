import pytest

from interdict.errors import ValidationError
from interdict.markings import TLP, Grade, Handling, Marking, highest


@pytest.mark.parametrize("text, expected", [("CLEAR", TLP.CLEAR), ("tlp:amber+strict", TLP.AMBER_STRICT),
                                            ("WHITE", TLP.CLEAR), (" red ", TLP.RED)])
def test_tlp_parse(text, expected):
    assert TLP.parse(text) is expected


@pytest.mark.parametrize("bad", [None, "", "PURPLE", "AMBER-STRICT", 3])
def test_tlp_rejects_unknown_and_missing(bad):
    with pytest.raises(ValidationError):
        TLP.parse(bad)


def test_tlp_order():
    assert [t.rank for t in (TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED)] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("bad", ["", "G1", "A7", "A", "AA", "11", None])
def test_grade_rejects_unknown(bad):
    with pytest.raises(ValidationError):
        Grade.parse(bad)


def test_grade_meaning():
    grade = Grade.parse("b2")
    assert grade.code == "B2"
    assert "usually reliable" in grade.meaning and "probably true" in grade.meaning


def test_marking_requires_tlp_and_rejects_unknown_fields():
    with pytest.raises(ValidationError, match="TLP is required"):
        Marking.parse({"releasable_to": ["AFP"]})
    with pytest.raises(ValidationError, match="unknown marking field"):
        Marking.parse({"tlp": "GREEN", "classification": "SECRET"})
    with pytest.raises(ValidationError, match="handling"):
        Marking.parse({"tlp": "GREEN", "handling": "H9"})
    with pytest.raises(ValidationError, match="orcon"):
        Marking.parse({"tlp": "GREEN", "orcon": "yes"})
    with pytest.raises(ValidationError, match="releasable-to"):
        Marking.parse({"tlp": "AMBER", "releasable_to": ["a b c!"]})


def test_marking_round_trip_through_columns():
    marking = Marking.parse({"tlp": "AMBER", "releasable_to": "afp, JPN", "orcon": True, "handling": "h2"})
    assert marking.releasable_to == {"AFP", "JPN"}
    assert marking.releasable_column == ",AFP,JPN,"

    class Row:
        tlp, releasable_to, orcon, handling = "AMBER", ",AFP,JPN,", True, "H2"

    assert Marking.from_row(Row) == marking
    assert marking.handling is Handling.H2


def test_highest_marking():
    banner = highest([
        Marking(TLP.GREEN),
        Marking(TLP.AMBER, frozenset({"AFP", "JCG"})),
        Marking(TLP.AMBER, frozenset({"JCG", "KOR"}), orcon=True, handling=Handling.H1),
        Marking(TLP.CLEAR, handling=Handling.H2),
    ])
    assert banner.tlp is TLP.AMBER
    assert banner.releasable_to == {"JCG"}
    assert banner.orcon and banner.handling is Handling.H2
    assert banner.label.startswith("TLP:AMBER · REL TO JCG · ORCON · H2")


def test_highest_with_disjoint_release_lists_is_not_unrestricted():
    banner = highest([Marking(TLP.AMBER, frozenset({"AFP"})), Marking(TLP.AMBER, frozenset({"JCG"}))])
    assert banner.releasable_to == frozenset()
    assert "ORIGINATORS ONLY" in banner.label


def test_highest_of_nothing_is_clear_and_unrestricted():
    banner = highest([])
    assert banner.tlp is TLP.CLEAR and banner.releasable_to is None
