"""A link to an entity a viewer may not see is itself hidden, on every path: entity views (CLI,
pages, JSON API), merged views, the graph and the FtM export. Otherwise a visible link would tell
the viewer the hidden entity's id while `entity <id>` answers "no entity"."""

from __future__ import annotations

import json
import textwrap

import pytest
from conftest import form_post
from fastapi.testclient import TestClient

from interdict.demo import DEMO_PASSWORD, setup_node
from interdict.errors import NotFound
from interdict.web.app import create_app

RECORDS = textwrap.dedent("""\
    # SYNTHETIC records for the hidden-link test
    dataset: test-afp-hidden-parent
    title: "SYNTHETIC: a GREEN front whose parent is RED"
    agency: AFP
    synthetic: true
    defaults:
      grade: B2
      marking: {tlp: GREEN}
    sources:
      - id: test-afp-link-source
        title: "SYNTHETIC link source"
        kind: agency_report
        reliability: B
        marking: {tlp: GREEN}
    entities:
      - id: test-secret-bureau
        schema: Organization
        source: test-afp-link-source
        marking: {tlp: RED}
        properties:
          name: "[SYNTHETIC] Secret bureau"
      - id: test-front-company
        schema: Organization
        source: test-afp-link-source
        properties:
          name: "[SYNTHETIC] Front trading company"
          parent: test-secret-bureau
    """)


@pytest.fixture
def linked(node, tmp_path):
    setup_node(node)
    path = tmp_path / "links.yaml"
    path.write_text(RECORDS, encoding="utf-8")
    node.load(path)
    return node


def test_the_originator_sees_the_link(linked):
    view = linked.as_user("afp.analyst").entity("test-front-company")
    assert [s.value for s in view.statements if s.prop == "parent"] == ["test-secret-bureau"]


def test_a_link_to_a_hidden_entity_is_hidden(linked):
    jcg = linked.as_user("jcg.watch")
    with pytest.raises(NotFound):
        jcg.entity("test-secret-bureau")
    view = jcg.entity("test-front-company")
    assert view.caption == "[SYNTHETIC] Front trading company"
    assert "test-secret-bureau" not in json.dumps(view.to_dict())
    assert "test-secret-bureau" not in json.dumps(jcg.merged_entity("test-front-company").to_dict())
    assert all("test-secret-bureau" not in json.dumps(item) for item in jcg.export_ftm())
    with pytest.raises(NotFound):
        jcg.neighbours("test-front-company")  # no link the viewer may see: not in the graph


def test_web_pages_and_api_hide_the_link(linked):
    client = TestClient(create_app(linked))
    form_post(client, "/login", data={"username": "jcg.watch", "password": DEMO_PASSWORD, "next": "/"})
    for path in ("/entities/test-front-company", "/api/entities/test-front-company",
                 "/api/entities/test-front-company/merged", "/api/export.ftm.jsonl"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "test-secret-bureau" not in response.text and "Secret bureau" not in response.text, path
    assert client.get("/api/entities/test-secret-bureau").status_code == 404


def test_the_founding_case_links_pong_su_to_office_39_with_every_step_graded(demo_node):
    """The case's central chain, as the sources carry it: the vessel, its boarding, its political
    secretary, his post for the Workers' Party (inferred from his title: C3), the Party, Office
    No. 39 under it. Every user may see it (the case file is CLEAR)."""
    for username in ("jcg.watch", "kcg.analyst", "incb.monitor", "afp.analyst"):
        path = demo_node.as_user(username).path("case-pong-su", "case-office-39")
        assert path["found"], username
        ids = [path["steps"][0]["from"]["id"], *(step["to"]["id"] for step in path["steps"])]
        assert "case-dong-song-choi" in ids and "case-wpk" in ids
        grades = {s["grade"] for step in path["steps"] for s in step["statements"]}
        assert "C3" in grades  # the weakest step says so
