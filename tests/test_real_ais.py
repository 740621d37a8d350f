"""Trustworthy on real AIS (issue 15, first part): identities that cannot be one ship are data
quality, not vessels; a track never bridges a hole in the data; a sparse sample makes no gaps;
positions far apart in the same second are a shared MMSI, not spoofing. Each on SYNTHETIC faults
(labelled) and on the demo's real samples."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from interdict.api import Interdict
from interdict.behaviour import detectors
from interdict.demo import ingest_demo_ais, setup_node
from interdict.mmsi import identity_problem, identity_problem_expr

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def test_the_identity_rule_is_one_rule_in_python_and_polars():
    rng = random.Random(5)
    numbers = [0, 1, 12345678, 99999999, 100000000, 123456789, 111111111, 199999999, 200000000, 201000000, 299000000, 273000000,
               445123456, 431000001, 799999999, 800000000, 970123456, 992351234, 999999999, 1000000000]
    numbers += [rng.randrange(0, 1_100_000_000) for _ in range(2000)]
    expr = pl.DataFrame({"mmsi": numbers}, schema={"mmsi": pl.Int64}).select(identity_problem_expr().alias("p"))["p"]
    assert expr.to_list() == [identity_problem(n) for n in numbers]
    assert identity_problem(431000001) is None and identity_problem(0) == "MMSI 0"
    assert identity_problem(123456789) == "test or default number" and identity_problem(299123456) == "MID not allocated"
    # a MID and six zeros is a transponder's default (the demo's 273000000 was three ships at once)
    assert identity_problem(273000000) == "test or default number" and identity_problem(273000001) is None


def _frame(rows: list[tuple[int, datetime, float, float]], batch: str) -> pl.DataFrame:
    """SYNTHETIC positions in the detectors' input shape."""
    return pl.DataFrame({
        "mmsi": [r[0] for r in rows], "ts": [r[1] for r in rows], "lat": [r[2] for r in rows], "lon": [r[3] for r in rows],
        "sog": [None] * len(rows), "flags": [0] * len(rows), "batch": [batch] * len(rows),
        "source_row": list(range(len(rows)))},
        schema={"mmsi": pl.Int64, "ts": pl.Datetime("us", "UTC"), "lat": pl.Float64, "lon": pl.Float64, "sog": pl.Float64,
                "flags": pl.UInt32, "batch": pl.String, "source_row": pl.Int64})


def _steady(mmsi: int, start: datetime, hours: float, lat: float, lon: float, every_min: int = 10,
            silent: tuple[float, float] | None = None, step: float = 0.001) -> list[tuple[int, datetime, float, float]]:
    """A vessel heard every `every_min` minutes, heading east (`step` degrees a fix: 0.001 drifts,
    0.03 steams at about 10 kn), silent in (`silent`) hours."""
    out = []
    for k in range(int(hours * 60 / every_min) + 1):
        h = k * every_min / 60
        if silent and silent[0] < h < silent[1]:
            continue
        out.append((mmsi, start + timedelta(minutes=k * every_min), lat, lon + step * k))
    return out


def _empty_static() -> pl.DataFrame:
    return pl.DataFrame(schema={"mmsi": pl.Int64, "ts": pl.Datetime("us", "UTC"), "imo": pl.Int64, "name": pl.String,
                                "callsign": pl.String, "ship_type": pl.Int64, "source_row": pl.Int64, "batch": pl.String})


def test_invalid_identities_make_no_events():
    rows = []
    for mmsi in (0, 123456789, 12345678, 992351234, 299000000):  # SYNTHETIC tracks silent 14 h at sea
        rows += _steady(mmsi, T0, 30, 30.0, 160.0, silent=(4, 18))
    rows += _steady(431000001, T0, 30, 31.0, 160.0, silent=(4, 18))  # the control: a ship doing the same
    for k in range(3):  # vessels heard all along: the source covers the silence
        rows += _steady(431000010 + k, T0, 30, 32.0 + k, 160.0, step=0.03)
    events = detectors.detect_all(_frame(rows, "synthetic-faults"), _empty_static())
    assert {e["mmsi"] for e in events} <= {431000001, 431000010, 431000011, 431000012}
    assert [e["mmsi"] for e in events if e["type"] == "gap"] == [431000001]


def test_a_track_never_bridges_two_data_sets_years_apart():
    early = _frame(_steady(431000002, T0 - timedelta(days=3650), 6, 30.0, 160.0, step=0.03)
                   + _steady(431000003, T0 - timedelta(days=3650), 6, 30.5, 160.0, step=0.03), "synthetic-2014")
    late = _frame(_steady(431000002, T0, 6, 10.0, 120.0, step=0.03) + _steady(431000003, T0, 6, 10.5, 120.0, step=0.03),
                  "synthetic-2024")
    events = detectors.detect_all(pl.concat([early, late]), _empty_static())
    assert not [e for e in events if e["type"] in ("gap", "spoofing", "loitering")], events


def test_a_silence_in_covered_hours_is_still_a_gap():
    rows = _steady(431000004, T0, 30, 30.0, 160.0, silent=(4, 18), step=0.03)
    for k in range(3):  # other vessels heard all along: the source covers the silence
        rows += _steady(431000010 + k, T0, 30, 30.5 + k, 160.0, step=0.03)
    events = detectors.detect_all(_frame(rows, "synthetic-covered"), _empty_static())
    assert [e["mmsi"] for e in events if e["type"] == "gap"] == [431000004]


def test_a_sparse_sample_makes_no_gaps_or_loitering():
    rows = []
    for k in range(20):  # SYNTHETIC: three fixes per vessel a day, as in a sampled extract
        rows += _steady(431000100 + k, T0, 24, 30.0 + k * 0.1, 160.0, every_min=480)
    frame = _frame(rows, "synthetic-sparse")
    assert detectors.batch_ends(frame)["sparse"].to_list() == [True]
    events = detectors.detect_all(frame, _empty_static())
    assert not [e for e in events if e["type"] in ("gap", "loitering")], events


def test_positions_far_apart_in_the_same_second_are_a_shared_mmsi():
    rows = _steady(431000005, T0, 6, 30.0, 160.0)
    for k in range(3):  # SYNTHETIC burst: the same second, 200 km away, before the track resumes
        rows.insert(0, (431000005, T0, 31.8, 160.0 + k * 0.01))
    for k in range(3):
        rows += _steady(431000020 + k, T0, 6, 29.0 - k, 160.0)
    events = detectors.detect_all(_frame(sorted(rows, key=lambda r: r[1]), "synthetic-burst"), _empty_static())
    mine = [e for e in events if e["mmsi"] == 431000005]
    assert [e["details"]["field"] for e in mine if e["type"] == "identity_change"] == ["shared_mmsi"]
    assert not [e for e in mine if e["type"] == "spoofing" and e["start"] == e["end"]]


@pytest.fixture(scope="module")
def demo_ais(tmp_path_factory):
    """The demo's four real AIS samples (INCB, CLEAR), detected."""
    node = Interdict.open(tmp_path_factory.mktemp("real-ais") / "ws")
    setup_node(node)
    ingest_demo_ais(node)
    node.detect()
    yield node
    node.close()


def test_real_risk_list_holds_no_invalid_identity(demo_ais):
    me = demo_ais.as_user("jcg.watch")
    ranked = me.risk(top=20)
    assert len(ranked) == 20
    pseudonyms = set(range(1, 257))  # the Ever Given sample's own vessel ids (--pseudonymous-ids)
    assert not [r["mmsi"] for r in ranked if identity_problem(r["mmsi"]) and r["mmsi"] not in pseudonyms]
    assert not [e for e in me.events() if e["mmsi"] in (0, 12345678, 123456789)]


def test_real_events_never_bridge_data_sets(demo_ais):
    me = demo_ais.as_user("jcg.watch")
    spans = detectors.batch_ends(demo_ais.tracks.node_positions().collect())
    for e in me.events(types=("gap", "loitering")):
        if e["end"] is None:
            continue
        ends = pl.Series([datetime.fromisoformat(e["start"]), datetime.fromisoformat(e["end"])])
        first, last = detectors.stretch_of(ends, spans)
        assert first == last, e
    # the 2012 exactEarth and 2022 MarineCadastre samples are ten years apart: nothing that long
    assert max(e["details"]["hours"] for e in me.events(types=("gap",))) < 24 * 30


def test_real_data_quality_view(demo_ais):
    report = demo_ais.as_user("jcg.watch").data_quality()
    reasons = {e["mmsi"]: e["reason"] for e in report["identities"]}
    assert reasons[0] == "MMSI 0" and reasons[123456789] == "test or default number"
    zero = next(e for e in report["identities"] if e["mmsi"] == 0)
    assert zero["positions"] > 100 and zero["name_count"] > 1 and zero["sources"]
    assert not [e for e in report["identities"] if e["mmsi"] in range(1, 257)]  # pseudonyms are not findings
    assert {s["source"] for s in report["sources"]} >= {"marinecadastre_2022-01-03.parquet", "evergiven_suez_2021-03.csv"}


def test_two_ships_on_one_mmsi_are_a_shared_mmsi_and_one_jump_is_spoofing():
    rows = []
    for k in range(37):  # SYNTHETIC: two ships 200 km apart report alternately under one MMSI
        at = T0 + timedelta(minutes=10 * k)
        rows.append((431000006, at, 30.0 if k % 2 else 31.8, 160.0 + 0.03 * k))
    rows += _steady(431000007, T0, 3, 29.0, 150.0, step=0.03)  # one transmitter jumps once and carries on
    rows += [(431000007, T0 + timedelta(hours=3, minutes=10 * k), 27.0, 150.0 + 0.03 * k) for k in range(1, 19)]
    for k in range(3):
        rows += _steady(431000030 + k, T0, 6, 25.0 - k, 160.0, step=0.03)
    events = detectors.detect_all(_frame(sorted(rows, key=lambda r: r[1]), "synthetic-shared"), _empty_static())
    shared = [e for e in events if e["mmsi"] == 431000006]
    assert [(e["type"], e["details"].get("field")) for e in shared] == [("identity_change", "shared_mmsi")]
    assert shared[0]["details"]["transmitters"] == 2
    jumper = [e for e in events if e["mmsi"] == 431000007]
    assert [(e["type"], e["details"].get("kind")) for e in jumper] == [("spoofing", "jump")]


def test_a_gap_reports_coverage_and_weighs_by_it():
    from interdict.behaviour import risk

    rows = _steady(431000008, T0, 30, 30.0, 160.0, silent=(4, 18), step=0.03)
    for k in range(3):
        rows += _steady(431000040 + k, T0, 30, 31.0 + k, 160.0, step=0.03)
    [gap] = [e for e in detectors.detect_all(_frame(rows, "synthetic-covered"), _empty_static()) if e["type"] == "gap"]
    assert gap["details"]["reception_start"] == 1.0 and gap["details"]["reception_end"] == 1.0
    poor = {**gap, "id": "poor", "mmsi": 431000009, "details": {**gap["details"], "reception_start": 0.2}}
    scored = {r["mmsi"]: r for r in risk.score([_iso(gap), _iso(poor)])}
    full, weak = scored[431000008]["reasons"][0], scored[431000009]["reasons"][0]
    assert full["kind"] == weak["kind"] and weak["weight"] == round(full["weight"] * 0.2, 1) > 0
    assert "coverage 100% / 100%" in scored[431000008]["reasons"][0]["text"]


def test_a_gap_weighs_by_the_reception_in_its_own_cell():
    """SYNTHETIC: a vessel silent for 14 h while three neighbours in its 0.5-degree cell are heard
    all along is a strong gap; the same silence while the neighbours fall silent with it (the
    area's receiver was down, vessels far away still heard) proves nothing; a vessel alone in its
    cell is not judged by the cell at all."""
    from interdict.behaviour import risk

    far = [r for k in range(3) for r in _steady(431000060 + k, T0, 30, 40.2 + k * 0.6, 150.2)]
    heard = _steady(431000050, T0, 30, 30.1, 160.1)
    for k in range(3):
        heard += _steady(431000051 + k, T0, 30, 30.2 + k * 0.05, 160.2)
    outage = _steady(431000055, T0, 30, 30.1, 170.1, silent=(4, 18))
    for k in range(3):
        outage += _steady(431000056 + k, T0, 30, 30.2 + k * 0.05, 170.2, silent=(3, 19))
    alone = _steady(431000059, T0, 30, -20.1, 100.1, silent=(4, 18))
    rows = far + _steady(431000049, T0, 30, 30.1, 160.15, silent=(4, 18)) + heard + outage + alone
    events = detectors.detect_all(_frame(rows, "synthetic-cells"), _empty_static())
    gaps = {e["mmsi"]: e["details"] for e in events if e["type"] == "gap"}
    # the neighbours of the outage are silent too: their gaps are judged the same way
    assert set(gaps) == {431000049, 431000055, 431000056, 431000057, 431000058, 431000059}
    assert gaps[431000049]["cell_reception_start"] == 1.0 and gaps[431000049]["cell_reception_end"] == 1.0
    assert gaps[431000049]["cell_hours_start"] == 12
    assert gaps[431000055]["cell_reception_start"] == 0.0 and gaps[431000055]["cell_reception_end"] == 0.0
    for mmsi in range(431000056, 431000059):  # the hour before 431000055 fell silent too is heard: 1 of 12
        assert gaps[mmsi]["cell_reception_start"] == 0.08 and gaps[mmsi]["cell_reception_end"] == 0.08
    assert gaps[431000059]["cell_reception_start"] is None and gaps[431000059]["cell_hours_start"] == 12
    # every gap's source-hours were covered (the far vessels): only the cell tells them apart
    assert all(d["reception_start"] > 0.4 for d in gaps.values())
    scored = {r["mmsi"]: [x for x in r["reasons"] if x["kind"].startswith("gap")] for r in risk.score([_iso(e) for e in events])}
    [strong] = scored[431000049]
    assert "where it fell silent the usual traffic was heard in 12 of 12 h" in strong["text"]
    assert all(x["weight"] == 0 for x in scored.get(431000055, []))
    assert all(x["weight"] < 0.1 * strong["weight"] for mmsi in range(431000056, 431000059) for x in scored.get(mmsi, []))
    [unjudged] = scored[431000059]
    assert unjudged["weight"] == strong["weight"] > 0 and "too little traffic to judge" in unjudged["text"]


def _static(rows: list[tuple[int, datetime, str | None, str | None]]) -> pl.DataFrame:
    """SYNTHETIC static reports (mmsi, time, name, call sign)."""
    return pl.DataFrame({"mmsi": [r[0] for r in rows], "ts": [r[1] for r in rows], "imo": [None] * len(rows),
                         "name": [r[2] for r in rows], "callsign": [r[3] for r in rows], "ship_type": [None] * len(rows),
                         "source_row": list(range(len(rows))), "batch": ["synthetic-static"] * len(rows)},
                        schema=_empty_static().schema)


def test_static_data_alternating_between_two_identities_is_a_shared_mmsi():
    """SYNTHETIC: one MMSI whose name goes A, B, A, B within hours is two transmitters (one finding,
    not four renamings); a ship renamed once, or renamed and back after months, is an identity
    change as before."""
    from interdict.behaviour import risk

    hour = timedelta(hours=1)
    rows = [(431000070, T0 + k * 3 * hour, name, "JA0001" if name == "SEA STAR" else "JA0002")
            for k, name in enumerate(["SEA STAR", "OCEAN PEARL", "SEA STAR", "OCEAN PEARL", "SEA STAR"])]
    rows += [(431000071, T0, "FIRST NAME", None), (431000071, T0 + 5 * hour, "SECOND NAME", None)]
    rows += [(431000072, T0, "OLD NAME", None), (431000072, T0 + 24 * 90 * hour, "NEW NAME", None),
             (431000072, T0 + 24 * 200 * hour, "OLD NAME", None)]
    events = [e for e in detectors.identity_changes(_static(rows)) if e["type"] == "identity_change"]
    shared = [e for e in events if e["details"]["field"] == "shared_mmsi"]
    assert sorted((e["mmsi"], e["details"]["alternating"]) for e in shared) == [(431000070, "callsign"), (431000070, "name")]
    name = next(e for e in shared if e["details"]["alternating"] == "name")
    assert name["details"]["values"] == ["SEA STAR", "OCEAN PEARL"] and name["details"]["flips"] == 4
    assert len(name["evidence"]) == 4 and name["start"] == T0 and name["end"] == T0 + 12 * hour
    assert not [e for e in events if e["mmsi"] == 431000070 and e["details"]["field"] in ("name", "callsign")]
    assert [e["details"]["after"] for e in events if e["mmsi"] == 431000071] == ["SECOND NAME"]
    assert [e["details"]["after"] for e in events if e["mmsi"] == 431000072] == ["NEW NAME", "OLD NAME"]
    [scored] = [r for r in risk.score([_iso(e) for e in events]) if r["mmsi"] == 431000070]
    [reason] = [x for x in scored["reasons"] if x["kind"] == "shared_mmsi"]
    assert "alternates between 'SEA STAR' / 'OCEAN PEARL' (4 changes back and forth)" in reason["text"]


def _iso(event: dict) -> dict:
    return {**event, "start": event["start"].isoformat(), "end": event["end"].isoformat() if event["end"] else None}


def test_dark_now_lists_vessels_silent_in_covered_hours(demo_ais):
    rows = demo_ais.as_user("jcg.watch").dark_now()
    assert rows and all(r["covered_after"] >= 0.5 and r["dark_hours"] >= 12 for r in rows)
    assert [r["dark_hours"] for r in rows] == sorted((r["dark_hours"] for r in rows), reverse=True)
    assert not [r for r in rows if identity_problem(r["mmsi"]) and r["mmsi"] not in range(1, 257)]
