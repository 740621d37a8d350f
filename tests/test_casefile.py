"""The founding case file: loads cleanly, says what the sources say, grades honestly."""

from __future__ import annotations

import pytest

from interdict.errors import NotFound


@pytest.fixture
def monitor(demo_node):
    return demo_node.as_user("incb.monitor")


def test_case_file_entities_and_relations(monitor):
    office = monitor.entity("case-office-39")
    names = {s.value for s in office.statements if s.prop in ("name", "alias")}
    assert {"Office No. 39", "OFFICE 39", "BUREAU 39", "DIVISION 39"} <= names
    linked = {r.via_caption for r in office.relations}
    assert {"Aesung Chongguk", "Workers' Party of Korea"} <= linked
    partners = {caption for r in office.relations for _, _, caption in r.others}
    assert any("Yakuza" in p for p in partners) and any("Russian" in p for p in partners)

    sangsa = monitor.entity("case-daesung-sangsa")
    owners = [o for r in sangsa.relations if r.via_schema == "Ownership" for o in r.others]
    assert owners == [("Owner", "case-daesung-chongguk", "Daesung Chongguk")]


def test_pong_su_has_no_invented_imo(monitor):
    vessel = monitor.entity("case-pong-su")
    assert vessel.schema == "Vessel"
    assert "imoNumber" not in vessel.properties
    assert [s.value for s in vessel.properties["flag"]] == ["tv"]
    owner = [o for r in vessel.relations if r.via_schema == "Ownership" for o in r.others]
    assert owner == [("Owner", "case-pong-su-shipping", "Pong Su Shipping Company")]
    events = {r.via_caption for r in vessel.relations if r.via_schema == "Event"}
    assert "Pong Su heroin landing at Boggaley Creek" in events
    assert "Boarding of the Pong Su after a four-day chase" in events


def test_grades_are_honest(monitor):
    """Designations and court outcomes are graded above defector and witness accounts."""
    def grades(entity_id):
        return {s.grade.code for s in monitor.entity(entity_id).statements}

    assert grades("case-yakuza") == {"D4"}
    assert "B1" in grades("case-man-sun-song")
    office = monitor.entity("case-office-39")
    assert {s.grade.code for s in office.statements if s.source and s.source.id == "INCB:ofac-sdn-2024-05-03"} == {"A1"}


def test_quantitative_claims_as_ranges(monitor):
    claims = {c.key: c for c in monitor.claims()}
    revenue = claims["dprk-drug-revenue-range"]
    assert (revenue.low, revenue.high, revenue.unit, revenue.reading) == (48e6, 1e9, "USD/year", "range")
    assert revenue.source.title.startswith("End North Korea's Drug Trade")
    assert claims["dprk-narcotics-exports-usfk"].best == 500e6
    assert claims["dprk-opium-production"].low == 40 and claims["dprk-opium-production"].reading == "lower_bound"
    areas = [claims[f"dprk-poppy-area-{y}"].best for y in (1992, 1993, 1994)]
    assert areas == [1.3e6, 12.8e6, 21.8e6]
    assert claims["pong-su-heroin-landed"].best == 150


def test_everything_in_the_case_file_is_clear_and_sourced(demo_node):
    me = demo_node.as_user("incb.monitor")
    overview = me.overview()
    assert overview["entities"] >= 28 and overview["claims"] == 13
    for item in me.search("", limit=1000):
        for s in item.statements:
            if s.agency == "INCB":
                assert s.marking.tlp.value == "CLEAR" and s.source is not None


def test_synthetic_restricted_person_exists_only_for_its_agency(demo_node):
    assert demo_node.as_user("afp.analyst").entity("synthetic-afp-person-of-interest")
    for username in ("jcg.watch", "kcg.analyst", "incb.monitor", "uscg.watch"):
        with pytest.raises(NotFound, match="no entity 'synthetic-afp-person-of-interest'"):
            demo_node.as_user(username).entity("synthetic-afp-person-of-interest")
        assert not demo_node.as_user(username).search("Person of interest")


def test_link_analysis_paths_and_neighbours_use_only_visible_statements(demo_node):
    from interdict.errors import NotFound

    kcg = demo_node.as_user("kcg.analyst").graph()
    path = kcg.path("case-man-jin-ri", "case-pong-su")
    assert path["found"] and path["length"] == 2
    assert path["steps"][0]["to"]["id"] == "case-event-pong-su-boarding"
    assert all(s["grade"] and s["source"] and s["marking"]["tlp"] for step in path["steps"] for s in step["statements"])
    # the founding chain runs through the political secretary's Party post, the one inferred step (C3)
    chain = kcg.path("case-pong-su", "case-office-39")
    assert chain["found"] and any(s["grade"] == "C3" for step in chain["steps"] for s in step["statements"])
    near = kcg.neighbours("case-office-39", depth=2)
    ids = {n["id"] for n in near["nodes"]}
    assert {"case-wpk", "case-aesung-chongguk", "case-link-yakuza", "case-yakuza"} <= ids
    assert all(0 <= n["degree_centrality"] <= 1 for n in near["nodes"])
    # the AFP's RED person of interest exists only for AFP users: for others it is not in the graph
    with pytest.raises(NotFound):
        demo_node.as_user("jcg.watch").graph().neighbours("synthetic-afp-person-of-interest")
    with pytest.raises(NotFound):
        kcg.path("case-pong-su", "no-such-entity")
