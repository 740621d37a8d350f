"""Detectors at the edges of their thresholds (SYNTHETIC, labelled): a behaviour 10 % past a
threshold fires, 10 % short of one does not; the on-land spoofing path (a teleport inland fires,
inland waters and a river mouth do not); and the real-data faults the scenario generator plants
as near-misses (a shared MMSI, a same-second burst, test numbers, data sets ten years apart, a
sparse sample) never fire."""

from __future__ import annotations

import pytest

from interdict.behaviour import detectors, scenario

CHECKED = ("gap", "encounter", "loitering", "port_call", "spoofing")


@pytest.fixture(scope="module", params=[0, 1, 2])
def edges(request):
    sc = scenario.generate_edges(request.param)
    return sc, detectors.detect_all(sc.positions, sc.static)


def test_edge_scenario_is_labelled_synthetic(edges):
    sc, _ = edges
    assert set(sc.positions["station"].unique()) == {"SYNTHETIC"}
    assert all(b.startswith("synthetic-") for b in sc.positions["batch"].unique())


def test_behaviour_just_past_a_threshold_fires(edges):
    sc, events = edges
    result = scenario.score(events, sc.truth, types=CHECKED)
    for kind in CHECKED:
        assert result[kind]["truth"] >= 1
        assert result[kind]["tp"] == result[kind]["truth"], (kind, result[kind])


def test_behaviour_just_short_of_a_threshold_does_not_fire(edges):
    sc, events = edges
    assert len(sc.near_misses) >= 10
    for miss in sc.near_misses:
        fired = [(e["type"], e["details"]) for e in events if e["mmsi"] == miss["mmsi"] and e["type"] in miss["types"]]
        assert not fired, (miss["why"], fired)


def test_no_unplanted_event_on_an_edge_vessel(edges):
    sc, events = edges
    planted = {t["mmsi"] for t in sc.truth} | {m["mmsi"] for m in sc.near_misses}
    for e in events:
        if e["type"] in CHECKED and e["mmsi"] in planted:
            assert any(scenario._matches(e, t) for t in sc.truth if t["type"] == e["type"]), e


def test_a_teleport_onto_land_is_on_land_spoofing(edges):
    sc, events = edges
    teleported = {t["mmsi"] for t in sc.truth if t.get("kind") == "on_land"}
    assert len(teleported) == 1
    kinds = sorted(e["details"]["kind"] for e in events if e["mmsi"] in teleported and e["type"] == "spoofing")
    assert kinds == ["jump", "jump", "on_land"]
    on_land = next(e for e in events if e["mmsi"] in teleported and e["details"].get("kind") == "on_land")
    assert on_land["details"]["teleported"] and on_land["details"]["inland_km"] > 500
    # not one transmitter among others: its track does not interleave with the inland fixes
    assert not [e for e in events if e["mmsi"] in teleported and e["type"] == "identity_change"]


def test_thresholds_move_the_edges(monkeypatch):
    """The edges follow the configured thresholds: the same scenario against a 15 % higher gap
    minimum loses the just-past gap (so the edge test can fail for the right reason)."""
    sc = scenario.generate_edges(0)
    gap_mmsi = next(t["mmsi"] for t in sc.truth if t["type"] == "gap")
    assert [e for e in detectors.detect_all(sc.positions, sc.static, types=("gap",)) if e["mmsi"] == gap_mmsi]
    stricter = {k: dict(v) if isinstance(v, dict) else v for k, v in detectors.default_thresholds().items()}
    stricter["gap"]["min_hours"] *= 1.15
    monkeypatch.setattr(detectors, "default_thresholds", lambda: stricter)
    assert not [e for e in detectors.detect_all(sc.positions, sc.static, types=("gap",)) if e["mmsi"] == gap_mmsi]


@pytest.mark.parametrize("seed", range(4))
def test_real_data_faults_are_planted_and_do_not_fire(seed):
    sc = scenario.generate(seed)
    assert {b for b in sc.positions["batch"].unique()} == {
        f"synthetic-scenario-{seed:04d}", f"synthetic-scenario-{seed:04d}-2014", f"synthetic-scenario-{seed:04d}-sample"}
    events = detectors.detect_all(sc.positions, sc.static)
    whys = {m["why"] for m in sc.near_misses}
    assert len(whys) == 5 and {0, 123456789} <= {m["mmsi"] for m in sc.near_misses}
    for miss in sc.near_misses:
        fired = [(e["type"], e["details"]) for e in events if e["mmsi"] == miss["mmsi"] and e["type"] in miss["types"]]
        assert not fired, (miss["why"], fired)
    shared = {t["mmsi"] for t in sc.truth if t.get("field") == "shared_mmsi"}
    found = {e["mmsi"] for e in events if e["type"] == "identity_change" and e["details"]["field"] == "shared_mmsi"}
    assert shared and shared <= found
