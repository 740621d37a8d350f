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


def run_demo(node: Interdict) -> dict[str, Any]:
    """Register the demo agencies and users, load the case file and demo records; a summary."""
    users = setup_node(node)
    case = node.load_case_file()
    loaded = [node.load(data_path(f)) for f in DEMO_RECORD_FILES]
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
        "agencies": [a.code for a in node.registry.agencies()],
        "users": users,
        "demo_password": DEMO_PASSWORD,
    }
