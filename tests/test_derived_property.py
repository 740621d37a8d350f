"""Property: every derived record a user sees -- behaviour events, risk scores and reasons,
watchlist matches -- is exactly what the same code computes on a node holding only what that user
may see. Random agencies' AIS batches and records files, random markings (at batch, entity and
statement level), SYNTHETIC tracks split across batches so that gaps, meetings and identity changes
span agencies; the node's answers per user are compared with an oracle node built from the user's
visible data alone (SQLite), on both databases."""

from __future__ import annotations

import random
import textwrap
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from interdict.access import Viewer, can_see
from interdict.api import IngestOptions, Interdict
from interdict.behaviour import scenario
from interdict.demo import setup_node
from interdict.markings import TLP, Grade, Handling, Marking

SEEDS = (11, 23, 37, 58)  # 11 and 58 detach statements under hidden shared ids
USERS = {"INCB": "incb.monitor", "AFP": "afp.analyst", "JCG": "jcg.watch", "KCG": "kcg.analyst", "USCG": "uscg.watch"}
VIEWERS = {"INCB": Viewer("x", "INCB", "XUN", False), "AFP": Viewer("x", "AFP", "AUS", True),
           "JCG": Viewer("x", "JCG", "JPN", True), "KCG": Viewer("x", "KCG", "KOR", True),
           "USCG": Viewer("x", "USCG", "USA", True)}
MARKINGS = [
    Marking(TLP.CLEAR), Marking(TLP.GREEN), Marking(TLP.GREEN), Marking(TLP.AMBER, frozenset({"JCG"})),
    Marking(TLP.AMBER, frozenset({"KOR", "USA"})), Marking(TLP.AMBER_STRICT), Marking(TLP.RED),
    Marking(TLP.GREEN, handling=Handling.H0), Marking(TLP.GREEN, frozenset({"AFP", "JPN"})),
]
MAPPING = {c: c for c in ("mmsi", "ts", "lat", "lon", "sog", "name", "imo", "callsign")}
N_BATCHES = 5


def _marking_yaml(m: Marking) -> dict[str, Any]:
    out: dict[str, Any] = {"tlp": m.tlp.value}
    if m.releasable_to:
        out["releasable_to"] = sorted(m.releasable_to)
    if m.handling:
        out["handling"] = m.handling.value
    return out


def _world(seed: int, folder: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """SYNTHETIC AIS batches (file, agency, marking) and records (agency, entities with statements)."""
    rng = random.Random(seed)
    sc = scenario.generate(seed, background=6, each=1)
    static = sc.static.select("mmsi", "ts", "name", "imo", "callsign").sort("ts")
    rows = (sc.positions.select("mmsi", "ts", "lat", "lon", "sog").sort("ts")
            .join_asof(static, on="ts", by="mmsi", strategy="backward", check_sortedness=False)
            .with_columns((pl.col("ts").dt.epoch("s") // (4 * 3600)).alias("block")))
    keys = rows.select("mmsi", "block").unique().sort("mmsi", "block")
    assign = keys.with_columns(pl.Series("part", [rng.randrange(N_BATCHES) for _ in range(keys.height)]))
    rows = rows.join(assign, on=["mmsi", "block"])
    vessels = sorted(rows["mmsi"].unique().to_list())
    batches = []
    for part in range(N_BATCHES):
        chunk = rows.filter(pl.col("part") == part).drop("block", "part")
        if chunk.is_empty():
            continue
        if rng.random() < 0.5:  # this source knows one vessel by another name: an identity change across batches
            renamed = rng.choice(vessels)
            chunk = chunk.with_columns(pl.when(pl.col("mmsi") == renamed).then(pl.lit(f"RENAMED {renamed % 1000}"))
                                       .otherwise(pl.col("name")).alias("name"))
        path = folder / f"batch-{seed}-{part}.csv"
        chunk.with_columns(pl.col("ts").dt.strftime("%Y-%m-%dT%H:%M:%SZ")).write_csv(path)
        batches.append({"path": path, "agency": rng.choice(list(USERS)), "marking": rng.choice(MARKINGS)})
    names = static.unique("mmsi").sort("mmsi")
    records = []
    for agency in USERS:
        entities = []
        for k in range(3):
            target = names.row(rng.randrange(names.height), named=True)
            statements = [{"prop": "name", "value": rng.choice([target["name"], target["name"] + " II", target["name"][:-1]]),
                           "marking": _marking_yaml(rng.choice(MARKINGS))}]
            if rng.random() < 0.5:
                statements.append({"prop": "topics", "value": "sanction", "marking": _marking_yaml(rng.choice(MARKINGS))})
            if rng.random() < 0.3:
                statements.append({"prop": "mmsi", "value": str(target["mmsi"]),
                                   "marking": _marking_yaml(rng.choice(MARKINGS))})
            # some ids are used by several agencies: under an entity hidden from it an agency's statements are detached
            entity_id = f"test-shared-{seed}-{k}" if rng.random() < 0.35 else f"test-{agency.lower()}-{seed}-{k}"
            entities.append({"id": entity_id, "schema": "Vessel", "statements": statements})
        records.append({"agency": agency, "entities": entities})
    _mark_detached(records)
    return batches, records


def _mark_detached(records: list[dict[str, Any]]) -> None:
    """What the node decides on load (in this order): an agency's entity is detached when the id
    exists only in statements of other agencies of which it may see none."""
    earlier: dict[str, list[tuple[str, Marking, bool]]] = {}
    for r in records:
        writer = VIEWERS[r["agency"]]
        for e in r["entities"]:
            if not e["statements"]:
                continue
            others = [(a, m, d) for a, m, d in earlier.get(e["id"], []) if a != r["agency"]]
            e["detached"] = bool(others) and not any(not d and can_see(writer, a, m) for a, m, d in others)
        for e in r["entities"]:
            earlier.setdefault(e["id"], []).extend((r["agency"], Marking.parse(s["marking"]), e.get("detached", False))
                                                   for s in e["statements"])


def _records_file(folder: Path, seed: int, agency: str, entities: list[dict[str, Any]], *, remark: bool) -> Path:
    doc = {"dataset": f"test-property-{agency.lower()}-{seed}", "title": f"SYNTHETIC property records of {agency}",
           "agency": agency, "synthetic": True, "defaults": {"grade": "B2"},
           "sources": [{"id": f"test-property-source-{agency.lower()}-{seed}", "title": f"SYNTHETIC {agency} source",
                        "kind": "agency_report", "reliability": "B", "marking": {"tlp": "GREEN"}}],
           "entities": [{"id": e["id"], "schema": e["schema"], "source": f"test-property-source-{agency.lower()}-{seed}",
                         "statements": [{**s, "marking": {"tlp": "GREEN"}} if remark else s for s in e["statements"]]}
                        for e in entities if e["statements"]]}
    path = folder / f"records-{agency}-{seed}-{'oracle' if remark else 'node'}.yaml"
    path.write_text("# SYNTHETIC\n" + yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def _build(node: Interdict, folder: Path, seed: int, batches: list[dict[str, Any]], records: list[dict[str, Any]],
           *, oracle: bool) -> None:
    setup_node(node)
    for r in records:
        if any(e["statements"] for e in r["entities"]):
            node.load(_records_file(folder, seed, r["agency"], r["entities"], remark=oracle))
    for b in batches:
        node.ingest_ais(b["path"], IngestOptions(agency=b["agency"], marking=Marking(TLP.GREEN) if oracle else b["marking"],
                                                 grade=Grade("B", "2"), format="table", mapping=MAPPING))
    node.detect()


def _visible_to(viewer: Viewer, batches: list[dict[str, Any]], records: list[dict[str, Any]]):
    mine = [b for b in batches if can_see(viewer, b["agency"], b["marking"])]
    kept = [{"agency": r["agency"], "entities": [
        {**e, "statements": [s for s in e["statements"] if can_see(viewer, r["agency"], Marking.parse(s["marking"]))
                             and (not e.get("detached") or viewer.agency == r["agency"])]}
        for e in r["entities"]]} for r in records]
    return mine, kept


def _derived(node: Interdict, username: str) -> dict[str, Any]:
    me = node.as_user(username)
    events = sorted((e["id"], e["type"], e["mmsi"], e["other_mmsi"], e["start"], e["end"], repr(e["details"]),
                     tuple(e["evidence"]), tuple(e["batches"])) for e in me.events())
    matches = sorted((m["id"], m["subject_kind"], m["subject"], m["entity_id"], m["listed"], m["score"], m["basis"],
                      m["query"], m["matched"], m["explanation"]) for m in me.watchlist())
    risk = [(r["mmsi"], r["score"], tuple((x["kind"], x["text"], x["weight"], tuple(x["evidence"])) for x in r["reasons"]))
            for r in me.risk()]
    return {"events": events, "matches": matches, "risk": risk}


# the oracle's answers per seed and visible data: the same for both databases' runs of a seed
ORACLES: dict[tuple[int, Any], dict[str, Any]] = {}


@pytest.mark.parametrize("seed", SEEDS)
def test_derived_records_equal_those_computed_from_visible_data_alone(node, tmp_path, seed):
    batches, records = _world(seed, tmp_path)
    _build(node, tmp_path, seed, batches, records, oracle=False)
    oracles: set[Any] = set()
    interesting = 0
    for agency, username in USERS.items():
        mine, kept = _visible_to(VIEWERS[agency], batches, records)
        key = (seed, tuple(Path(b["path"]).name for b in mine),
               repr([(r["agency"], [(e["id"], e["statements"]) for e in r["entities"]]) for r in kept]))
        oracles.add(key)
        if key not in ORACLES:
            folder = tmp_path / f"oracle-{len(oracles)}"
            folder.mkdir()
            oracle = Interdict.open(folder / "workspace", f"sqlite:///{folder / 'oracle.db'}")
            try:
                _build(oracle, folder, seed, mine, kept, oracle=True)
                ORACLES[key] = _derived(oracle, username)
            finally:
                oracle.close()
        got, want = _derived(node, username), ORACLES[key]
        for part in ("events", "matches", "risk"):
            assert got[part] == want[part], textwrap.shorten(f"{agency} {part}: node {got[part]!r} oracle {want[part]!r}", 2000)
        interesting += bool(want["events"]) + bool(want["matches"])
    assert interesting, "the generated world gives some user events or matches"
    assert len(oracles) > 1, "the generated world has more than one audience"
