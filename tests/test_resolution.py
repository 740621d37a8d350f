"""Screening on ingest (watchlist matches), their use by the risk score, and entity resolution with
judgements and reversible merges — all through the access decision. Lists and AIS here are
SYNTHETIC and small, so each test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import form_post

from interdict.ais.store import IngestOptions
from interdict.errors import AuthError, NotFound, ValidationError
from interdict.markings import TLP, Grade, Marking

LISTED_IMO = 9912347  # SYNTHETIC


def _ftm(path: Path, entities: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(e) for e in entities) + "\n", encoding="utf-8")
    return path


def _ais_csv(path: Path, rows: list[tuple]) -> Path:
    """MarineCadastre-style CSV (SYNTHETIC positions)."""
    header = "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass"
    lines = [header]
    for mmsi, name, imo, callsign in rows:
        for hour in range(3):
            lines.append(f"{mmsi},2024-01-0{1}T0{hour}:00:00,35.{hour}0,129.{hour}0,10.0,90.0,90,{name},"
                         f"{'IMO' + str(imo) if imo else ''},{callsign},70,0,100,20,5.0,70,A")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def intel(node, tmp_path):
    """Agencies and users, a SYNTHETIC sanctions list (FtM JSON lines, TLP:CLEAR) and an AFP-only list."""
    r = node.registry
    r.add_agency("INCB", "INCB (synthetic)", "XUN", False)
    r.add_agency("AFP", "AFP (synthetic)", "AUS", True)
    r.add_agency("JCG", "JCG (synthetic)", "JPN", True)
    r.add_user("afp.analyst", "AFP", ["analyst"], password=None)
    r.add_user("jcg.analyst", "JCG", ["analyst"], password=None)
    r.add_user("jcg.watch", "JCG", ["watch_officer"], password=None)
    node.import_list("ftm", [_ftm(tmp_path / "list.jsonl", [
        {"id": "syn-vessel", "schema": "Vessel", "properties": {
            "name": ["SYNTHETIC STAR"], "imoNumber": [f"IMO{LISTED_IMO}"], "callSign": ["SYN123"],
            "topics": ["sanction"], "program": ["SYNTHETIC-PROGRAM"]}},
        {"id": "syn-bureau", "schema": "Organization", "properties": {
            "name": ["Korea Taesong Trading Company"], "topics": ["sanction"], "program": ["SYNTHETIC-PROGRAM"]}},
    ])], agency="INCB", dataset="synthetic-list")
    node.import_list("ftm", [_ftm(tmp_path / "afp.jsonl", [
        {"id": "afp-hidden-vessel", "schema": "Vessel", "properties": {"name": ["SYNTHETIC SECRET"], "imoNumber": ["IMO9900007"],
                                                                      "topics": ["sanction"]}},
    ])], agency="AFP", dataset="synthetic-afp-list", marking=Marking(TLP.AMBER))
    return node


def _ingest(node, path: Path, agency: str = "INCB", marking: Marking | None = None):
    options = IngestOptions(agency=agency, marking=marking or Marking(TLP.CLEAR), grade=Grade("B", "2"), format="marinecadastre")
    return node.ingest_ais(path, options)


def test_vessels_are_screened_on_ingest_and_feed_the_risk_score(intel, tmp_path):
    _ingest(intel, _ais_csv(tmp_path / "ais.csv", [
        (440123001, "RENAMED ONE", LISTED_IMO, "ZZZ9"),   # listed IMO under another name
        (440123002, "SYNTHETIC STAR", None, ""),          # listed name only
        (440123003, "BLAMELESS", 9300001, "ABCD"),        # nothing
        (440123004, "OTHER", None, "SYN123"),             # listed call sign
    ]))
    me = intel.as_user("jcg.watch")
    matches = {(int(m["subject"]), m["basis"]): m for m in me.watchlist(subject_kind="vessel")}
    assert set(matches) == {(440123001, "imo"), (440123002, "name"), (440123004, "callsign")}
    imo = matches[(440123001, "imo")]
    assert imo["entity_id"] == "syn-vessel" and imo["listed"] and imo["score"] == 1.0
    assert imo["programs"] == ["SYNTHETIC-PROGRAM"] and "IMO9912347" in imo["explanation"]
    assert matches[(440123004, "callsign")]["score"] < 1.0  # call signs are reassigned: not conclusive
    ranked = {r["mmsi"]: r for r in me.risk()}
    reason = next(x for x in ranked[440123001]["reasons"] if x["kind"] == "watchlist")
    assert reason["weight"] == 60 and f"match:{imo['id']}" in reason["evidence"] and "SYNTHETIC STAR" in reason["text"]
    name_only = next(x for x in ranked[440123002]["reasons"] if x["kind"] == "watchlist_name")
    assert name_only["weight"] < reason["weight"]
    assert 440123003 not in ranked
    # re-ingesting the same file adds nothing, re-screening does not double
    before = len(me.watchlist())
    intel.screen()
    assert len(intel.as_user("jcg.watch").watchlist()) == before


def test_a_match_is_hidden_when_the_list_or_the_ais_batch_is(intel, tmp_path):
    _ingest(intel, _ais_csv(tmp_path / "public.csv", [(440123010, "PUBLIC", 9900007, "")]))
    _ingest(intel, _ais_csv(tmp_path / "afp.csv", [(440123011, "PRIVATE", LISTED_IMO, "")]), agency="AFP",
            marking=Marking(TLP.AMBER))
    afp = {int(m["subject"]) for m in intel.as_user("afp.analyst").watchlist()}
    jcg = {int(m["subject"]) for m in intel.as_user("jcg.watch").watchlist()}
    assert afp == {440123010, 440123011}  # AFP sees its own list and its own batch
    assert jcg == set()  # the first rests on AFP's list, the second on AFP's batch
    assert all(r["mmsi"] not in (440123010, 440123011) for r in intel.as_user("jcg.watch").risk())


def test_entities_are_screened_against_other_sources(intel, tmp_path):
    records = tmp_path / "records.yaml"
    records.write_text("""
dataset: synthetic-jcg-records
title: "SYNTHETIC JCG records"
agency: JCG
synthetic: true
sources:
  - {id: synthetic-jcg-report, title: "SYNTHETIC JCG report", kind: agency_report, reliability: B, marking: {tlp: AMBER, releasable_to: [AFP]}}
entities:
  - id: jcg-daesung
    schema: Company
    source: synthetic-jcg-report
    grade: B2
    marking: {tlp: AMBER, releasable_to: [AFP]}
    properties: {name: "Daesung Trading Co."}
""", encoding="utf-8")
    intel.load(records)
    for user in ("afp.analyst", "jcg.analyst"):
        m = intel.as_user(user).watchlist(subject_kind="entity")
        assert [(x["subject"], x["entity_id"]) for x in m] == [("jcg-daesung", "syn-bureau")], user
        assert "romanisation" in m[0]["explanation"]
    assert intel.as_user("jcg.watch").watchlist(subject_kind="entity")  # same agency
    intel.registry.add_user("incb.monitor", "INCB", ["monitor"], password=None)
    assert intel.as_user("incb.monitor").watchlist(subject_kind="entity") == []  # AMBER, not released to INCB


def test_judgements_merge_reversibly_and_respect_markings(intel, tmp_path):
    records = tmp_path / "records.yaml"
    records.write_text("""
dataset: synthetic-afp-records
title: "SYNTHETIC AFP records"
agency: AFP
synthetic: true
sources:
  - {id: synthetic-afp-report, title: "SYNTHETIC AFP report", kind: agency_report, reliability: B, marking: {tlp: GREEN}}
entities:
  - id: afp-taesong
    schema: Company
    source: synthetic-afp-report
    grade: B2
    marking: {tlp: GREEN}
    properties: {name: "Taesong Sangsa"}
  - id: afp-secret-person
    schema: Person
    source: synthetic-afp-report
    grade: B2
    marking: {tlp: RED}
    properties: {name: "SYNTHETIC secret person"}
""", encoding="utf-8")
    intel.load(records)
    afp = intel.as_user("afp.analyst")
    candidates = afp.duplicate_candidates(entity_id="afp-taesong")
    assert candidates[0]["right"] == "syn-bureau" and candidates[0]["score"] >= 0.8
    record = afp.judge("afp-taesong", "syn-bureau", "same", note="SYNTHETIC: same bureau", score=candidates[0]["score"])
    cluster = afp.cluster("syn-bureau")
    assert cluster["members"] == ["afp-taesong", "syn-bureau"] and cluster["canonical_id"].startswith("ic-")
    merged = afp.merged_entity("afp-taesong")
    assert merged.id == cluster["canonical_id"]
    assert {s.value for s in merged.statements if s.prop == "name"} == {"Taesong Sangsa", "Korea Taesong Trading Company"}
    assert all(c["right"] != "syn-bureau" for c in afp.duplicate_candidates(entity_id="afp-taesong"))  # judged: not offered again
    # another agency sees the GREEN judgement and the merge
    jcg = intel.as_user("jcg.analyst")
    assert jcg.cluster("afp-taesong")["canonical_id"] == cluster["canonical_id"]
    # conflicting judgements are refused with the reason
    with pytest.raises(ValidationError, match="merged"):
        afp.judge("syn-bureau", "afp-taesong", "different")
    with pytest.raises(ValidationError, match="cannot be the same"):
        afp.judge("afp-taesong", "syn-vessel", "same")
    # roles and visibility
    with pytest.raises(AuthError):
        intel.as_user("jcg.watch").judge("afp-taesong", "syn-vessel", "different")
    with pytest.raises(NotFound):
        jcg.judge("afp-secret-person", "syn-bureau", "different")  # a hidden entity is not there at all
    with pytest.raises(AuthError):
        jcg.undo_judgement(record["id"])  # AFP's judgement: JCG records its own instead
    # an AMBER judgement of AFP's (not released) stays with AFP, and so does its merge
    afp.judge("afp-secret-person", "syn-bureau", "unsure", marking=Marking(TLP.AMBER))
    assert all(j["left"] != "afp-secret-person" for j in jcg.judgements(include_retracted=True))
    assert any(j["left"] == "afp-secret-person" for j in afp.judgements())
    # undo: the merge is split again, the judgement is kept as data
    afp.undo_judgement(record["id"])
    assert afp.cluster("afp-taesong") == {"canonical_id": "afp-taesong", "members": ["afp-taesong"]}
    kept = [j for j in afp.judgements(include_retracted=True) if j["id"] == record["id"]]
    assert kept and kept[0]["retracted_by"] == "afp.analyst" and kept[0]["note"] == "SYNTHETIC: same bureau"
    with pytest.raises(ValidationError, match="already undone"):
        afp.undo_judgement(record["id"])
    # a new judgement of the same pair supersedes the agency's previous live one
    first = afp.judge("afp-taesong", "syn-bureau", "unsure")
    second = afp.judge("afp-taesong", "syn-bureau", "different")
    live = [j for j in afp.judgements() if {j["left"], j["right"]} == {"afp-taesong", "syn-bureau"}]
    assert [j["id"] for j in live] == [second["id"]] and first["id"] != second["id"]


def test_vessel_page_shows_its_watchlist_matches(intel, tmp_path):
    from fastapi.testclient import TestClient

    from interdict.web.app import create_app

    _ingest(intel, _ais_csv(tmp_path / "ais.csv", [(440123001, "RENAMED ONE", LISTED_IMO, "ZZZ9")]))
    intel.registry.add_user("jcg.web", "JCG", ["watch_officer"], password="synthetic-password-1")
    client = TestClient(create_app(intel))
    assert form_post(client, "/login", data={"username": "jcg.web", "password": "synthetic-password-1", "next": "/"}).status_code == 200
    page = client.get("/vessels/440123001").text
    assert 'data-testid="watchlist"' in page and "SYNTHETIC STAR" in page and "SYNTHETIC-PROGRAM" in page
    assert 'href="/entities/syn-vessel"' in page  # the risk reason's evidence links to the entry
    assert "/vessels/440123001" in client.get("/watchlist", params={"kind": "vessel"}).text
