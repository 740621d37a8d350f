"""The main job: build or refresh a demo workspace from everything Interdict can load today."""

from __future__ import annotations

from typing import Any

import yaml

from interdict.api import CASE_FILE, Interdict, data_path

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
DEMO_AIS: list[tuple[str, dict[str, Any]]] = [
    ("demo/ais/amsa_ais.txt.gz", {"assume_time": "2012-01-27T11:47:00+00:00"}),
    ("demo/ais/exactearth_augmented.txt", {}),
    ("demo/ais/marinecadastre_2022-01-03.parquet", {}),
    # the Ever Given sample names its vessels by pseudonyms 1-256, not MMSIs
    ("demo/ais/evergiven_suez_2021-03.csv", {"mapping": {"mmsi": "ID", "ts": "ais_pos_timestamp", "lat": "latitude",
                                                          "lon": "longitude"}, "dayfirst": True, "pseudonymous_ids": True}),
]


def ingest_demo_ais(node: Interdict) -> list[dict[str, Any]]:
    from datetime import datetime

    from interdict.ais.store import IngestOptions
    from interdict.markings import TLP, Grade, Marking

    results = []
    for relative, extra in DEMO_AIS:
        options = IngestOptions(agency="INCB", marking=Marking(TLP.CLEAR), grade=Grade("B", "2"),
                                assume_time=datetime.fromisoformat(extra["assume_time"]) if "assume_time" in extra else None,
                                mapping=extra.get("mapping", {}), dayfirst=extra.get("dayfirst", False),
                                pseudonymous_ids=extra.get("pseudonymous_ids", False))
        result = node.ingest_ais(data_path(relative), options, screen=False).to_dict()
        result["path"] = relative
        results.append(result)
    return results


DEMO_LISTS = [
    ("ofac", ["demo/sanctions/sdn.csv.gz", "demo/sanctions/alt.csv.gz"], "2024-05-03"),
    ("un", ["demo/sanctions/consolidated.xml.gz"], None),
]


def import_demo_lists(node: Interdict) -> list[dict[str, Any]]:
    results = []
    for kind, files, date in DEMO_LISTS:
        result = node.import_list(kind, [data_path(f) for f in files], agency="INCB", list_date=date, screen=False)
        results.append({"dataset": result.dataset, "entities": result.entities, "statements": result.statements,
                        "diff": result.diff, "unclean": len(result.unclean)})
    return results


# Real seizure tables (src/interdict/data/demo/seizures/SOURCE.md), recorded by the INCB node with
# each format's default grade; plus one demo return from AFP, restricted to show markings at work.
DEMO_SEIZURES = [
    "demo/seizures/unodc_drug_seizures_2018_2022.csv.gz",
    "demo/seizures/unodc_seizures_kg_equiv_1970_2020.csv.gz",
    "demo/seizures/cbp_nationwide-drugs-fy19-fy22.csv.gz",
    "demo/seizures/cbp_nationwide-drugs-fy23-fy26-dec.csv.gz",
    "demo/seizures/cbp_amo-drug-seizures-fy19-fy22.csv.gz",
    "demo/seizures/cbp_amo-drug-seizures-fy23-fy26-dec.csv.gz",
    "demo/seizures/india_ncb_state_seizures_arrests_2018_2024.csv.gz",
]
DEMO_RESTRICTED_RETURN = "demo/seizures/demo_afp_seizure_return.csv"


def import_demo_seizures(node: Interdict) -> list[dict[str, Any]]:
    from interdict.markings import TLP, Marking

    results = []
    for relative in DEMO_SEIZURES:
        # accept_valid: the UNODC series carries rows for former states and blank cells; every
        # rejected row is kept in the quarantine file and counted in the summary.
        result = node.import_seizures(data_path(relative), agency="INCB", accept_valid=True)
        results.append({**result.to_dict(), "path": relative})
    restricted = node.import_seizures(data_path(DEMO_RESTRICTED_RETURN), agency="AFP", dataset="demo-afp-seizure-return",
                                      marking=Marking(TLP.AMBER, frozenset({"JCG", "KOR"})))
    results.append({**restricted.to_dict(), "path": DEMO_RESTRICTED_RETURN})
    for r in results:
        r.pop("rejections", None)
    return results


def render_demo_brief(node: Interdict, username: str = "incb.monitor") -> dict[str, Any]:
    """The DPRK brief as the INCB monitor sees it, as PDF and HTML in <workspace>/reports/."""
    import time

    folder = node.workspace.home / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    from interdict.monitoring import reports

    me = node.as_user(username)
    started = time.perf_counter()
    html = reports.render_html(*reports.build(me.report_inputs("dprk-brief"), "dprk-brief"))
    (folder / "dprk-brief.html").write_text(html)
    (folder / "dprk-brief.pdf").write_bytes(reports.html_to_pdf(html))
    return {"pdf": str((folder / "dprk-brief.pdf").resolve()), "html": str((folder / "dprk-brief.html").resolve()),
            "user": username, "seconds": round(time.perf_counter() - started, 1)}


def detect_demo(node: Interdict, username: str = "jcg.watch", top: int = 5) -> dict[str, Any]:
    """Behaviour detection over the demo track store, and the top vessels by risk for a watch officer."""
    run = node.detect()
    ranked = node.as_user(username).risk(top=top)
    return {**run.summary(), "user": username,
            "top": [{"mmsi": r["mmsi"], "name": r["name"], "score": r["score"],
                     "reasons": [x["text"] for x in r["reasons"]]} for r in ranked]}


def run_demo(node: Interdict, *, lists: bool = True, ais: bool = True, seizures: bool = True,
             brief: bool = True) -> dict[str, Any]:
    """Register the demo agencies and users, load the case file and demo records, import the real
    sanctions lists, AIS samples and seizure tables, and render the DPRK brief (tests may leave
    the slow parts out)."""
    users = setup_node(node)
    identity = node.ensure_identity()
    case = node.load(data_path(CASE_FILE), screen=False)
    loaded = [node.load(data_path(f), screen=False) for f in DEMO_RECORD_FILES]
    sanctions = import_demo_lists(node) if lists else []
    ais_results = ingest_demo_ais(node) if ais else []
    screened = node.screen()  # once, over everything loaded
    behaviour = detect_demo(node) if ais else None
    seizure_results = import_demo_seizures(node) if seizures else []
    brief_result = render_demo_brief(node) if seizures and brief else None
    stats = node.tracks.stats(node.as_user("incb.monitor").viewer)
    return {
        "workspace": str(node.workspace.home.resolve()),
        "node": {k: identity[k] for k in ("node_id", "public_key", "fingerprint")},
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
        "screening": screened.to_dict(),
        "ais": {"ingested": ais_results, "store": stats},
        "behaviour": behaviour,
        "seizures": seizure_results,
        "dprk_brief": brief_result,
        "agencies": [a.code for a in node.registry.agencies()],
        "users": users,
        "demo_password": DEMO_PASSWORD,
    }
