"""Behaviour analytics: detectors against a SYNTHETIC scenario with ground truth (and near misses
that must not fire), the real Ever Given sample, Dask equal to local on real data, saved events
(idempotent, access-controlled) and risk with reasons."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from conftest import form_post

from interdict.api import Interdict, data_path
from interdict.behaviour import detectors, engine, scenario
from interdict.demo import DEMO_AIS, setup_node

SEEDS = range(10)


@pytest.fixture(scope="module")
def scenarios():
    return [(s, detectors.detect_all(s.positions, s.static)) for s in (scenario.generate(seed) for seed in SEEDS)]


def test_scenario_is_labelled_synthetic():
    sc = scenario.generate(0)
    assert set(sc.positions["station"].unique()) == {"SYNTHETIC"}
    assert all(b.startswith("synthetic-scenario-0000") for b in sc.positions["batch"].unique())


@pytest.mark.parametrize("kind", detectors.EVENT_TYPES)
def test_precision_and_recall_per_type_over_many_seeds(scenarios, kind):
    found = truth = hits = 0
    for sc, events in scenarios:
        result = scenario.score(events, sc.truth, types=(kind,))[kind]
        found, truth, hits = found + result["found"], truth + result["truth"], hits + result["tp"]
    assert truth >= 3 * len(SEEDS)
    assert hits / found >= 0.95, (kind, found, truth, hits)
    assert hits / truth >= 0.95, (kind, found, truth, hits)


def test_near_misses_do_not_fire(scenarios):
    for sc, events in scenarios:
        # the passing pairs: consecutive MMSIs planted 400 m apart at 12 kn
        planted_pairs = {(t["mmsi"], t["other_mmsi"]) for t in sc.truth if t["type"] == "encounter"}
        assert {(e["mmsi"], e["other_mmsi"]) for e in events if e["type"] == "encounter"} <= planted_pairs
        busan = {t["mmsi"] for t in sc.truth if t["type"] == "port_call" and t["port"] == "Busan"}
        assert busan and not [e for e in events if e["mmsi"] in busan and e["type"] in ("loitering", "encounter", "gap")]


def test_events_carry_thresholds_and_evidence_from_the_input(scenarios):
    sc, events = scenarios[0]
    ids = set((sc.positions["batch"].str.slice(0, 12) + ":" + sc.positions["source_row"].cast(pl.String)).to_list())
    for e in events:
        assert e["type"] in detectors.EVENT_TYPES and e["batches"] == ["synthetic-scenario-0000"]
        if e["type"] in ("gap", "encounter", "loitering", "port_call", "spoofing"):
            assert e["thresholds"] and e["evidence"] and set(e["evidence"]) <= ids
    encounter = next(e for e in events if e["type"] == "encounter")
    assert encounter["thresholds"]["max_distance_m"] == 500 and encounter["details"]["median_distance_m"] <= 500
    dprk = [e for e in events if e["type"] == "port_call" and e["details"]["dprk"]]
    assert {e["details"]["port"] for e in dprk} == {"Nampo", "Ch'ongjin"}


def _pairs_at(meetings: list[tuple[float, float]]) -> pl.DataFrame:
    """SYNTHETIC positions: for each (distance m, hours) two ships drifting side by side on the high
    seas at that distance for that long, a fix every 5 minutes, each pair far from the others."""
    rows = []
    for k, (metres, hours) in enumerate(meetings):
        lat, lon = 31.0 + k * 0.5, 165.0
        for i in range(int(hours * 12) + 1):
            ts = scenario.START + timedelta(minutes=5 * i)
            drift = i * 0.00003  # about 0.4 kn north
            rows.append((351900001 + 2 * k, ts, lat + drift, lon, 0.4))
            rows.append((351900002 + 2 * k, ts, lat + drift + metres / 111_320, lon, 0.4))
    frame = pl.DataFrame(rows, schema={"mmsi": pl.Int64, "ts": pl.Datetime("us", "UTC"), "lat": pl.Float64,
                                       "lon": pl.Float64, "sog": pl.Float64}, orient="row")
    return frame.with_columns(
        pl.lit(None, dtype=pl.Float64).alias("cog"), pl.lit(None, dtype=pl.Int64).alias("heading"),
        pl.lit(0, dtype=pl.Int64).alias("nav_status"), pl.lit(1, dtype=pl.Int64).alias("msg_type"),
        pl.lit("A").alias("channel"), pl.lit("SYNTHETIC").alias("station"), pl.col("ts").dt.second().cast(pl.Int64).alias("second"),
        pl.int_range(pl.len(), dtype=pl.Int64).alias("source_row"), pl.lit(0, dtype=pl.UInt32).alias("flags"),
        pl.lit("synthetic-presets").alias("batch"))


def test_skylight_preset_applies_its_own_thresholds():
    """Skylight's encounter is closer (250 m, not 500) and shorter (30 min, not 2 h): a meeting at
    400 m for 3 h is an encounter by default only; one at 100 m for 1 h by Skylight only; one at
    100 m for 3 h by both."""
    positions = _pairs_at([(400, 3), (100, 1), (100, 3)])
    static = scenario.generate(0).static.clear()

    def pairs(preset: str | None) -> set[int]:
        found = [e for e in detectors.detect_all(positions, static, preset=preset) if e["type"] == "encounter"]
        assert all(e["thresholds"]["max_distance_m"] == (250 if preset else 500) for e in found)
        return {e["mmsi"] for e in found}

    assert pairs(None) == {351900001, 351900005}
    assert pairs("skylight") == {351900003, 351900005}


def test_spoofed_jump_splits_the_track_into_segments():
    sc = scenario.generate(1)
    jumper = next(t["mmsi"] for t in sc.truth if t["type"] == "spoofing")
    prepared = detectors.prepare(sc.positions.filter(pl.col("mmsi") == jumper))
    assert prepared["segment"].n_unique() == 2


# -- real data ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_node(tmp_path_factory):
    """The Ever Given (Suez, March 2021) and exactEarth samples shipped with the demo, ingested by
    the INCB (TLP:CLEAR)."""
    from interdict.ais.store import IngestOptions
    from interdict.markings import TLP, Grade, Marking

    node = Interdict.open(tmp_path_factory.mktemp("behaviour") / "ws")
    setup_node(node)
    for relative, extra in DEMO_AIS:
        if "evergiven" in relative or "exactearth" in relative:
            node.tracks.ingest(data_path(relative), IngestOptions(
                agency="INCB", marking=Marking(TLP.CLEAR), grade=Grade("B", "2"), mapping=extra.get("mapping", {}),
                dayfirst=extra.get("dayfirst", False), pseudonymous_ids=extra.get("pseudonymous_ids", False)))
    yield node
    node.close()


def test_ever_given_queue_and_port_calls(real_node):
    events = real_node.detect().events
    gulf = [e for e in events if e["type"] == "loitering" and 29.4 < e["lat"] < 30.1 and 32.3 < e["lon"] < 32.8]
    assert len({e["mmsi"] for e in gulf}) >= 50, "the March 2021 queue in the Gulf of Suez"
    assert all(e["details"]["kind"] == "anchoring" for e in gulf)  # the gulf is narrow: within 20 nm of shore
    ports = Counter(e["details"]["port"] for e in events if e["type"] == "port_call")
    assert ports["As Suways"] >= 1 and ports["Bur Sa'id"] >= 1  # Suez and Port Said (WPI names)


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local, Client(local) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        yield client


def test_dask_events_equal_local_events_on_real_data(real_node, cluster):
    positions = real_node.tracks.node_positions().collect()
    static = real_node.tracks.node_static().collect()
    local = engine.run_local(positions, static)
    distributed = engine.run_dask(positions, static, client=cluster)
    assert len(local.events) > 300
    dump = lambda events: [json.dumps(e, sort_keys=True, default=str) for e in events]  # noqa: E731
    assert dump(distributed.events) == dump(local.events)
    assert set(distributed.timings) >= {"vessels", "encounter_pairs", "central"}


def test_dask_workers_read_the_store_files_and_find_the_same_events(real_node, cluster):
    """The Dask engine as a node runs it: workers get file paths, read their own vessels from the
    Parquet store, and return events identical to the local engine's (coverage per batch included)."""
    files = real_node.tracks.position_files()
    static = real_node.tracks.node_static().collect()
    local = engine.run_local(real_node.tracks.node_positions().collect(), static)
    distributed = engine.run_dask_files(files, static, client=cluster)
    assert len(files) > 1 and len(local.events) > 300
    dump = lambda events: [json.dumps(e, sort_keys=True, default=str) for e in events]  # noqa: E731
    assert dump(distributed.events) == dump(local.events)
    assert distributed.positions == local.positions and distributed.vessels == local.vessels
    assert set(distributed.timings) >= {"coverage", "vessels", "encounters", "central"}
    # a window is applied by the workers as it is locally
    since = datetime(2021, 3, 22, tzinfo=UTC)
    windowed = engine.run_dask_files(files, static, client=cluster, since=since)
    positions = engine.window(real_node.tracks.node_positions(), since, None).collect()
    assert dump(windowed.events) == dump(engine.run_local(positions, static).events)


def test_node_detect_on_dask_saves_what_local_saves(real_node, cluster):
    """`interdict detect --engine dask --scheduler ADDRESS`: the same events per audience as local."""
    address = cluster.scheduler.address
    local = real_node.detect()
    distributed = real_node.detect(engine="dask", scheduler=address)
    assert distributed.engine == "dask" and distributed.summary()["by_type"] == local.summary()["by_type"]
    assert distributed.vessels == local.vessels and distributed.positions == local.positions
    assert [sorted(e["id"] for e in a["events"]) for a in distributed.audiences] == \
        [sorted(e["id"] for e in a["events"]) for a in local.audiences]


def test_detect_is_idempotent_and_replaces_its_window(real_node):
    from sqlalchemy import func, select

    from interdict.tables import ais_events

    first = real_node.detect().events
    second = real_node.detect().events
    with real_node.workspace.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(ais_events)).scalar()
    assert len(first) == len(second) == stored
    since = datetime(2021, 3, 23, 12, tzinfo=UTC)
    partial = real_node.detect(since=since).events
    with real_node.workspace.engine.connect() as conn:
        after_window = conn.execute(select(func.count()).select_from(ais_events)).scalar()
    assert partial and all((e["start"] or e["end"]) >= since for e in partial)
    again = real_node.detect(since=since).events
    with real_node.workspace.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ais_events)).scalar() == after_window
    assert [e["id"] for e in again] == [e["id"] for e in partial]


def test_events_follow_the_access_rule_for_derived_records(real_node, tmp_path):
    from interdict.ais.store import IngestOptions
    from interdict.markings import TLP, Grade, Marking

    sc = scenario.generate(2)
    path = tmp_path / "synthetic.csv"
    sc.positions.select("mmsi", pl.col("ts").dt.strftime("%Y-%m-%dT%H:%M:%SZ").alias("ts"), "lat", "lon", "sog").write_csv(path)
    real_node.tracks.ingest(path, IngestOptions(agency="AFP", marking=Marking(TLP.AMBER, frozenset({"JCG"})), grade=Grade("C", "3"),
                                                 format="table", mapping={"mmsi": "mmsi", "ts": "ts", "lat": "lat", "lon": "lon",
                                                                          "sog": "sog"}))
    real_node.detect()
    afp_batch = {e["batches"][0] for e in real_node.as_user("afp.analyst").events() if e["mmsi"] > 300_000_000
                 and e["type"] == "encounter"}
    assert afp_batch, "the synthetic meetings are found in AFP's batch"
    for user, sees in (("afp.analyst", True), ("jcg.watch", True), ("kcg.analyst", False), ("incb.monitor", False)):
        mine = real_node.as_user(user).events(types=("encounter",))
        assert bool([e for e in mine if e["mmsi"] > 300_000_000]) is sees, user
    ranked = real_node.as_user("incb.monitor").risk()
    visible_ids = {e["id"] for e in real_node.as_user("incb.monitor").events()}
    assert all(c in visible_ids or c.startswith("mmsi:") for r in ranked for reason in r["reasons"] for c in reason["evidence"])
    dprk = [r for r in real_node.as_user("jcg.watch").risk() if str(r["mmsi"]).startswith("445")]
    assert dprk and dprk[0]["score"] >= 70
    kinds = {reason["kind"] for reason in dprk[0]["reasons"]}
    assert {"dprk_flag", "dprk_port_call"} <= kinds
    assert all(set(reason) >= {"kind", "text", "weight", "evidence"} for reason in dprk[0]["reasons"])


def test_web_events_risk_map_and_vessel_pages(real_node):
    from fastapi.testclient import TestClient

    from interdict.web.app import create_app

    real_node.detect()
    client = TestClient(create_app(real_node))
    assert client.get("/api/events").status_code == 401
    assert client.get("/map", follow_redirects=False).status_code == 303
    form_post(client, "/login", data={"username": "jcg.watch", "password": "interdict-demo"})
    events = client.get("/api/events", params={"type": "port_call"}).json()
    assert events and {e["type"] for e in events} == {"port_call"}
    assert all(set(e) >= {"id", "type", "mmsi", "other_mmsi", "start", "end", "lat", "lon", "details"} for e in events)
    ranked = client.get("/api/risk", params={"top": 5}).json()
    assert ranked and ranked[0]["score"] >= ranked[-1]["score"] and ranked[0]["reasons"][0]["evidence"]
    data = client.get("/api/map/data", params={"type": ["port_call", "loitering"]}).json()
    assert data["events"] and data["tracks"]
    track = next(iter(data["tracks"].values()))
    assert len(track["lat"]) == len(track["lon"]) == len(track["t"]) == len(track["segment"]) >= 2
    assert client.get("/api/map/land.geojson").json()["type"] == "FeatureCollection"
    page = client.get("/map").text
    assert "/static/vendor/leaflet/leaflet.js" in page and "/static/map.js" in page and "unpkg" not in page
    assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200
    listing = client.get("/events", params={"type": "loitering"})
    assert listing.status_code == 200 and "anchoring" in listing.text
    mmsi = ranked[0]["mmsi"]
    vessel = client.get(f"/vessels/{mmsi}")
    assert vessel.status_code == 200 and 'data-testid="risk"' in vessel.text and "/ 100" in vessel.text
    assert "Vessels by risk" in client.get("/risk").text


def test_risk_reasons_from_events_and_context():
    from interdict.behaviour import risk

    base = {"other_mmsi": None, "lat": 38.7, "lon": 125.4, "start": "2024-03-01T00:00:00Z", "end": "2024-03-01T08:00:00Z",
            "thresholds": {}, "evidence": [], "batches": ["b"]}
    events = [
        {**base, "id": "e1", "type": "port_call", "mmsi": 351000001, "details": {"port": "Nampo", "country": "North Korea", "dprk": True}},
        {**base, "id": "e2", "type": "identity_change", "mmsi": 351000001,
         "details": {"field": "shared_imo", "imo": 9100001, "mmsis": [351000001, 445000001]}},
        {**base, "id": "e2b", "type": "identity_change", "mmsi": 445000001,  # the detector makes one per MMSI
         "details": {"field": "shared_imo", "imo": 9100001, "mmsis": [351000001, 445000001]}},
        {**base, "id": "e3", "type": "encounter", "mmsi": 351000001, "other_mmsi": 412000001, "details": {"hours": 3}},
        {**base, "id": "e4", "type": "gap", "mmsi": 412000001, "details": {"hours": 20, "disabling": True, "open": False}},
    ]
    ranked = {r["mmsi"]: r for r in risk.score(events)}
    kinds = {x["kind"]: x for x in ranked[351000001]["reasons"]}
    assert {"dprk_port_call", "past_dprk_flag", "shared_imo", "encounter"} <= set(kinds)
    assert kinds["dprk_port_call"]["evidence"] == ["e1"] and "Nampo" in kinds["dprk_port_call"]["text"]
    assert ranked[351000001]["score"] == min(100, sum(x["weight"] for x in kinds.values()))
    # the other party met a vessel with a DPRK port call: that encounter counts as risky for it
    assert "encounter_risky" in {x["kind"] for x in ranked[412000001]["reasons"]}
    assert ranked[445000001]["reasons"][0]["kind"] == "dprk_flag"
    assert "past_dprk_flag" not in {x["kind"] for x in ranked[445000001]["reasons"]}
    assert list(ranked) == sorted(ranked, key=lambda m: (-ranked[m]["score"], m))


def test_risk_weighs_findings_by_the_strength_of_their_evidence():
    """Each reason weighs its points times its evidence's strength: a jump to or from a single stray
    fix (0.3), loitering seen in few positions, and the Admiralty reliability of the weakest source."""
    from interdict.behaviour import risk

    base = {"other_mmsi": None, "lat": 30.0, "lon": 160.0, "start": "2024-03-01T00:00:00Z", "end": "2024-03-01T08:00:00Z",
            "thresholds": {}, "evidence": [], "batches": ["good"]}
    jump = {"kind": "jump", "distance_km": 120.0}
    events = [
        {**base, "id": "j1", "type": "spoofing", "mmsi": 431000001, "details": {**jump, "stray_fix": False}},
        {**base, "id": "j2", "type": "spoofing", "mmsi": 431000002, "details": {**jump, "stray_fix": True}},
        {**base, "id": "j3", "type": "spoofing", "mmsi": 431000003, "details": {**jump, "stray_fix": False}, "batches": ["poor"]},
        {**base, "id": "l1", "type": "loitering", "mmsi": 431000004, "details": {"hours": 6, "positions": 72}},
        {**base, "id": "l2", "type": "loitering", "mmsi": 431000005, "details": {"hours": 6, "positions": 3}},
    ]
    ranked = {r["mmsi"]: r for r in risk.score(events, batch_grades={"good": "B2", "poor": "E3"})}
    full = risk.weights()["spoofing"]["points"]
    assert ranked[431000001]["score"] == full
    assert ranked[431000002]["score"] == round(full * risk.STRAY_FIX_STRENGTH, 1)
    assert "single stray fix" in ranked[431000002]["reasons"][0]["text"]
    assert ranked[431000003]["score"] == round(full * risk.source_strength("E3"), 1) < full
    assert "source graded E3" in ranked[431000003]["reasons"][0]["text"]
    assert ranked[431000005]["score"] < ranked[431000004]["score"] and "only 3 positions" in ranked[431000005]["reasons"][0]["text"]


def test_a_single_stray_fix_is_marked_on_both_jumps():
    from interdict.behaviour import scenario

    sc = scenario.generate_edges(0)
    events = detectors.detect_all(sc.positions, sc.static, types=("spoofing",))
    jumps = [e for e in events if e["details"].get("kind") == "jump"]
    assert jumps and not any(e["details"]["stray_fix"] for e in jumps)  # jumps that carry on, or a stay inland
    t0 = datetime(2024, 3, 1, tzinfo=UTC)
    rows = [(431000009, t0 + timedelta(minutes=5 * k), 30.0, 160.0 + 0.01 * k) for k in range(12)]
    rows[6] = (431000009, rows[6][1], 31.0, 160.06)  # SYNTHETIC: one fix 110 km off, then back on track
    frame = pl.DataFrame({"mmsi": [r[0] for r in rows], "ts": [r[1] for r in rows], "lat": [r[2] for r in rows],
                          "lon": [r[3] for r in rows], "sog": [12.0] * 12, "flags": [0] * 12, "batch": ["synthetic-stray"] * 12,
                          "source_row": list(range(12))},
                         schema={"mmsi": pl.Int64, "ts": pl.Datetime("us", "UTC"), "lat": pl.Float64, "lon": pl.Float64,
                                 "sog": pl.Float64, "flags": pl.UInt32, "batch": pl.String, "source_row": pl.Int64})
    stray = [e for e in detectors.detect_all(frame, sc.static.head(0), types=("spoofing",)) if e["mmsi"] == 431000009]
    assert len(stray) == 2 and all(e["details"]["stray_fix"] for e in stray)


def test_the_map_draws_fixes_heard_at_an_assumed_time_apart_from_the_track(tmp_path):
    """A log without receive times, read with --assume-time (the AMSA sample), shows where each
    vessel was heard: the map data carries those fixes apart, never as a timed track."""
    import gzip

    from fastapi.testclient import TestClient

    from interdict.ais.store import IngestOptions
    from interdict.markings import TLP, Grade, Marking
    from interdict.web.app import create_app

    node = Interdict.open(tmp_path / "ws")
    setup_node(node)
    log = tmp_path / "amsa_head.nmea"
    log.write_bytes(b"".join(gzip.open(data_path("demo/ais/amsa_ais.txt.gz")).readlines()[:3000]))
    result = node.tracks.ingest(log, IngestOptions(agency="INCB", marking=Marking(TLP.CLEAR), grade=Grade("B", "2"),
                                                   assume_time=datetime(2012, 1, 27, 11, 47, tzinfo=UTC)))
    assert result.positions > 0 and result.flags["time_assumed"] == result.positions
    me = node.as_user("jcg.watch")
    mmsi = max(me.vessels("", limit=1000), key=lambda v: v["positions"])["mmsi"]
    client = TestClient(create_app(node))
    form_post(client, "/login", data={"username": "jcg.watch", "password": "interdict-demo"})
    track = client.get("/api/map/data", params={"mmsi": mmsi}).json()["tracks"][str(mmsi)]
    assert track["t"] == [] and track["segment"] == []  # no time, so no track to draw in time
    assert track["assumed"]["count"] == me.vessel(mmsi)["positions"] >= 2
    assert len(track["assumed"]["lat"]) == len(track["assumed"]["lon"]) >= 2
    node.close()
