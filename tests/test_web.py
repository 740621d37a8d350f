"""Web pages and JSON API (in-process client)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from interdict.demo import DEMO_PASSWORD
from interdict.web.app import create_app


@pytest.fixture
def client(demo_node):
    return TestClient(create_app(demo_node))


def login(client, username):
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "next": "/"})
    assert response.status_code == 200, response.text
    return response


def test_health_and_openapi(client):
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and health["database"] in ("sqlite", "postgresql")
    spec = client.get("/api/openapi.json").json()
    assert {"/api/health", "/api/search", "/api/entities/{entity_id}", "/api/claims"} <= set(spec["paths"])


def test_pages_need_login(client):
    response = client.get("/entities/case-pong-su", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert client.get("/api/entities/case-pong-su").status_code == 401


def test_wrong_password(client):
    response = client.post("/login", data={"username": "jcg.watch", "password": "nope"})
    assert response.status_code == 401 and "wrong username or password" in response.text


def test_overview_search_entity_claims_pages(client):
    login(client, "jcg.watch")
    overview = client.get("/").text
    assert "Overview" in overview and re.search(r'data-testid="count-entities">\d+<', overview)
    search = client.get("/search", params={"q": "bureau 39"}).text
    assert "/entities/case-office-39" in search
    page = client.get("/entities/case-pong-su").text
    assert "Pong Su" in page and "Pong Su Shipping Company" in page
    assert 'data-testid="marking-banner"' in page and "TLP:AMBER" in page and "REL TO JCG" in page
    assert "B2" in page and "Pong Su incident" in page  # grade and source shown
    assert "AFP internal only" not in page
    claims = client.get("/claims").text
    assert "48,000,000" in claims or "4.8e+07" in claims
    assert "Not found" in client.get("/entities/synthetic-afp-person-of-interest").text


def test_banner_follows_viewer(client):
    login(client, "afp.analyst")
    assert "TLP:RED" in client.get("/entities/case-pong-su").text
    client.post("/logout")
    login(client, "incb.monitor")
    page = client.get("/entities/case-pong-su").text
    assert "TLP:GREEN" in page and "TLP:AMBER" not in page


def test_api_with_token(client, demo_node):
    token = demo_node.registry.issue_token("kcg.analyst")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/me", headers=headers).json()["agency"] == "KCG"
    entity = client.get("/api/entities/case-pong-su", headers=headers).json()
    assert entity["schema"] == "Vessel" and entity["banner"]["tlp"] == "AMBER"
    assert client.get("/api/entities/synthetic-afp-person-of-interest", headers=headers).status_code == 404
    assert client.get("/api/entities/never-existed", headers=headers).json() == {"detail": "no entity 'never-existed'"}
    results = client.get("/api/search", params={"q": "daesung"}, headers=headers).json()
    assert {"case-daesung-chongguk", "case-daesung-sangsa"} <= {r["id"] for r in results}
    assert client.get("/api/me", headers={"Authorization": "Bearer idt_wrong"}).status_code == 401


def test_no_external_assets(client):
    login(client, "jcg.watch")
    html = client.get("/entities/case-pong-su").text + client.get("/login").text
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert client.get("/static/interdict.css").status_code == 200
