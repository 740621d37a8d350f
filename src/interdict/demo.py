"""The main job: build or refresh a demo workspace from everything Interdict can load today."""

from __future__ import annotations

from typing import Any

import yaml

from interdict.api import Interdict, data_path

DEMO_PASSWORD = "interdict-demo"  # synthetic accounts only; printed on start
NODE_FILE = "demo/node.yaml"
DEMO_RECORD_FILES = ["demo/synthetic_afp_notes.yaml"]


def setup_node(node: Interdict, password: str = DEMO_PASSWORD) -> list[dict[str, Any]]:
    spec = yaml.safe_load(data_path(NODE_FILE).read_text())
    for agency in spec["agencies"]:
        node.registry.add_agency(**agency)
    users = []
    for user in spec["users"]:
        node.registry.add_user(password=password, **user)
        users.append({"username": user["username"], "agency": user["agency"], "roles": user["roles"]})
    return users


# Real AIS samples (src/interdict/data/demo/ais/SOURCE.md): public data, so TLP:CLEAR, compiled by
# the INCB node; graded B2 (official or well-documented providers, content not independently checked).
DEMO_AIS = [
    ("demo/ais/amsa_ais.txt.gz", {"assume_time": "2012-01-27T11:47:00+00:00"}),
    ("demo/ais/exactearth_augmented.txt", {}),
    ("demo/ais/marinecadastre_2022-01-03.parquet", {}),
    ("demo/ais/evergiven_suez_2021-03.csv", {"mapping": {"mmsi": "ID", "ts": "ais_pos_timestamp", "lat": "latitude",
                                                          "lon": "longitude"}, "dayfirst": True}),
]


def ingest_demo_ais(node: Interdict) -> list[dict[str, Any]]:
    from datetime import datetime

    from interdict.ais.store import IngestOptions
    from interdict.markings import TLP, Grade, Marking

    results = []
    for relative, extra in DEMO_AIS:
        options = IngestOptions(agency="INCB", marking=Marking(TLP.CLEAR), grade=Grade("B", "2"),
                                assume_time=datetime.fromisoformat(extra["assume_time"]) if "assume_time" in extra else None,
                                mapping=extra.get("mapping", {}), dayfirst=extra.get("dayfirst", False))
        result = node.tracks.ingest(data_path(relative), options).to_dict()
        result["path"] = relative
        results.append(result)
    return results


DEMO_LISTS = [
    ("ofac", ["demo/sanctions/sdn.csv.gz", "demo/sanctions/alt.csv.gz"], "2024-05-03"),
    ("un", ["demo/sanctions/consolidated.xml.gz"], None),
]


def import_demo_lists(node: Interdict) -> list[dict[str, Any]]:
    from interdict.lists import import_list

    results = []
    for kind, files, date in DEMO_LISTS:
        result = import_list(node.workspace.engine, kind, [data_path(f) for f in files], agency="INCB", list_date=date)
        results.append({"dataset": result.dataset, "entities": result.entities, "statements": result.statements,
                        "diff": result.diff, "unclean": len(result.unclean)})
    return results


def run_demo(node: Interdict, *, lists: bool = True, ais: bool = True) -> dict[str, Any]:
    """Register the demo agencies and users, load the case file and demo records, import the real
    sanctions lists and ingest the real AIS samples (tests may leave the slow parts out)."""
    users = setup_node(node)
    case = node.load_case_file()
    loaded = [node.load(data_path(f)) for f in DEMO_RECORD_FILES]
    sanctions = import_demo_lists(node) if lists else []
    ais_results = ingest_demo_ais(node) if ais else []
    stats = node.tracks.stats(node.as_user("incb.monitor").viewer)
    return {
        "workspace": str(node.workspace.home.resolve()),
        "database": node.workspace.backend,
        "case_file": {
            "dataset": case.dataset,
            "title": case.title,
            "entities": case.entities,
            "statements": case.statements,
            "claims": case.claims,
            "sources": case.sources,
            "changes": case.changes,
        },
        "datasets": [r.to_dict() for r in loaded],
        "sanctions_lists": sanctions,
        "ais": {"ingested": ais_results, "store": stats},
        "agencies": [a.code for a in node.registry.agencies()],
        "users": users,
        "demo_password": DEMO_PASSWORD,
    }
