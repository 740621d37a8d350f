"""Web pages and JSON API (in-process client)."""

from __future__ import annotations

import re

import pytest
from conftest import csrf_of, form_post
from fastapi.testclient import TestClient

from interdict.demo import DEMO_PASSWORD
from interdict.web.app import create_app


@pytest.fixture
def client(demo_node):
    return TestClient(create_app(demo_node))


def login(client, username):
    response = form_post(client, "/login", data={"username": username, "password": DEMO_PASSWORD, "next": "/"})
    assert response.status_code == 200, response.text
    return response


def test_health_and_openapi(client):
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and health["database"] in ("sqlite", "postgresql")
    assert client.get("/api/openapi.json").status_code == 401  # the API reference is for logged-in users
    login(client, "jcg.watch")
    spec = client.get("/api/openapi.json").json()
    assert {"/api/health", "/api/search", "/api/entities/{entity_id}", "/api/claims"} <= set(spec["paths"])


def test_pages_need_login(client):
    response = client.get("/entities/case-pong-su", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert client.get("/api/entities/case-pong-su").status_code == 401
    # the page asked for comes back after the login with its filters
    asked = client.get("/events?mmsi=338415278&type=gap", follow_redirects=False).headers["location"]
    assert asked == "/login?next=%2Fevents%3Fmmsi%3D338415278%26type%3Dgap"
    form = client.get(asked).text
    assert 'value="/events?mmsi=338415278&amp;type=gap"' in form
    done = form_post(client, "/login", data={"username": "jcg.watch", "password": DEMO_PASSWORD,
                                             "next": "/events?mmsi=338415278&type=gap"}, follow_redirects=False)
    assert done.headers["location"] == "/events?mmsi=338415278&type=gap"


def test_wrong_password(client):
    response = form_post(client, "/login", data={"username": "jcg.watch", "password": "nope"})
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
    assert "48,000,000" in claims and "e+0" not in claims  # figures as people write them
    assert "Not found" in client.get("/entities/synthetic-afp-person-of-interest").text


def test_banner_follows_viewer(client):
    login(client, "afp.analyst")
    assert "TLP:RED" in client.get("/entities/case-pong-su").text
    form_post(client, "/logout")
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


def test_vessel_pages_and_ais_api(client, demo_node):
    login(client, "jcg.watch")
    listing = client.get("/vessels", params={"q": "ever shining"}).text
    assert "/vessels/351118000" in listing and 'data-testid="marking-banner"' in listing
    page = client.get("/vessels/351118000").text
    assert "EVER SHINING" in page and "9209312" in page and 'data-testid="identity-history"' in page and "<svg" in page
    assert "Not found" in client.get("/vessels/123456").text
    token = demo_node.registry.issue_token("kcg.analyst")
    headers = {"Authorization": f"Bearer {token}"}
    stats = client.get("/api/ais/stats", headers=headers).json()
    assert stats["batches"] == 4 and stats["positions"] > 140_000
    found = client.get("/api/vessels", params={"q": "9209312"}, headers=headers).json()
    assert [v["mmsi"] for v in found] == [351118000]
    # paged: X-Total-Count, then pages that do not overlap and together hold them all
    first = client.get("/api/vessels", params={"limit": 1000}, headers=headers)
    total = int(first.headers["X-Total-Count"])
    assert total > 1000 and len(first.json()) == 1000 and "_haystack" not in first.json()[0]
    second = client.get("/api/vessels", params={"limit": 1000, "offset": 1000}, headers=headers).json()
    assert not {v["mmsi"] for v in first.json()} & {v["mmsi"] for v in second}
    assert client.get("/api/vessels", params={"limit": 5000}, headers=headers).status_code == 422
    vessel = client.get("/api/vessels/351118000", headers=headers).json()
    assert vessel["identity_history"][0]["name"] == "EVER SHINING"
    window = client.get("/api/vessels/351118000/track", params={"start": "2012-01-31T00:00:00Z"}, headers=headers).json()
    whole = client.get("/api/vessels/351118000/track", headers=headers).json()
    assert 0 < len(window["positions"]) < len(whole["positions"])
    assert all(p["ts"] >= "2012-01-31" for p in window["positions"])
    assert [p["ts"] for p in whole["positions"]] == sorted(p["ts"] for p in whole["positions"])
    assert client.get("/api/vessels/123456/track", headers=headers).status_code == 404


def test_ais_batches_follow_markings(client, demo_node, tmp_path):
    """A restricted AIS batch is invisible to other agencies on every AIS page and endpoint."""
    from interdict.ais.store import IngestOptions
    from interdict.markings import TLP, Grade, Marking

    path = tmp_path / "afp-only.csv"
    path.write_text("id,t,y,x\n503999001,2024-01-01T00:00:00Z,-38.5,143.9\n503999001,2024-01-01T01:00:00Z,-38.6,144.0\n")
    demo_node.tracks.ingest(path, IngestOptions(agency="AFP", marking=Marking(TLP.RED), grade=Grade("B", "2"),
                                                mapping={"mmsi": "id", "ts": "t", "lat": "y", "lon": "x"}))
    for username, visible in (("afp.analyst", True), ("jcg.watch", False), ("incb.monitor", False)):
        token = demo_node.registry.issue_token(username)
        headers = {"Authorization": f"Bearer {token}"}
        assert (client.get("/api/vessels/503999001", headers=headers).status_code == 200) is visible
        assert (client.get("/api/vessels/503999001/track", headers=headers).status_code == 200) is visible
        assert any(v["mmsi"] == 503999001 for v in client.get("/api/vessels", params={"q": "503999001"}, headers=headers).json()) is visible
    login(client, "afp.analyst")
    assert "TLP:RED" in client.get("/vessels/503999001").text


def test_screening_search_and_watchlist_pages(client):
    login(client, "kcg.analyst")
    search = client.get("/search", params={"q": "Taesong"}).text
    assert 'data-testid="similar-results"' in search and "/entities/case-daesung-sangsa" in search
    assert "romanisation" in search  # the reason is shown
    screen = client.get("/screen", params={"q": "Daesong Trading"}).text
    assert "/entities/case-daesung-sangsa" in screen and "romanisation" in screen
    bogus = client.get("/api/screen", params={"q": "Daesong Trading", "schema": "Spaceship"})
    assert bogus.status_code == 422 and "unknown FtM schema 'Spaceship'" in bogus.text
    api = client.get("/api/screen", params={"q": "Daesong Trading"}).json()
    assert api[0]["id"] == "case-daesung-sangsa" and api[0]["match"] is True
    assert client.get("/watchlist").status_code == 200
    # a RED AFP entity is never a screening result for another agency
    assert all(h["id"] != "synthetic-afp-person-of-interest"
               for h in client.get("/api/screen", params={"q": "Person of interest 001"}).json())


def test_judgement_buttons_merge_and_undo(client):
    login(client, "kcg.analyst")
    response = form_post(client, "/resolve/judge", data={"left": "case-daesung-sangsa", "right": "case-daesung-chongguk",
                                                    "judgement": "same", "note": "test", "next": "/entities/case-daesung-sangsa"})
    assert response.status_code == 200 and "case-daesung-chongguk" in response.text  # followed back to the entity page
    assert 'data-testid="canonical-id">ic-' in response.text and 'data-testid="same-as"' in response.text
    path = client.get("/api/graph/path", params={"from": "case-daesung-sangsa", "to": "case-daesung-chongguk"}).json()
    assert path["found"] and path["steps"][0]["statements"][0]["prop"] == "sameAs"
    assert "kcg.analyst" in path["steps"][0]["statements"][0]["source"]
    # a conflicting judgement comes back as a message, not an error page
    page = form_post(client, "/resolve/judge", data={"left": "case-daesung-sangsa", "right": "case-daesung-chongguk",
                                               "judgement": "different", "next": "/resolve"}).text
    assert 'data-testid="error"' in page and "are merged by" in page
    judgement = client.get("/api/resolve/judgements", params={"entity": "case-daesung-sangsa"}).json()
    live = [j for j in judgement if j["judgement"] == "same"]
    assert len(live) == 1
    # the judging agency's users are offered the undo, on the entity page and on /resolve
    for page_path in ("/entities/case-daesung-sangsa", "/resolve"):
        shown = client.get(page_path).text
        assert f'name="judgement_id" value="{live[0]["id"]}"' in shown and ">Undo</button>" in shown, page_path
        assert '<a href="/entities/case-daesung-sangsa">Daesung Sangsa</a>' in shown, page_path  # names, not raw ids
    form_post(client, "/resolve/undo", data={"judgement_id": live[0]["id"], "next": "/entities/case-daesung-sangsa"})
    page = client.get("/entities/case-daesung-sangsa").text
    assert 'data-testid="canonical-id"' not in page and "undone by kcg.analyst" in page
    # watch officers may not judge; hidden entities are not there
    login(client, "jcg.watch")
    response = client.post("/api/resolve/judgements", json={"left": "case-daesung-sangsa", "right": "case-daesung-chongguk",
                                                             "judgement": "same"}, headers={"X-CSRF-Token": csrf_of(client, "/")})
    assert response.status_code == 403 and "may not" in response.text, response.text
    assert client.get("/api/graph/neighbours/synthetic-afp-person-of-interest").status_code == 404
    assert client.get("/api/entities/synthetic-afp-person-of-interest/merged").status_code == 404


def test_errors_are_pages_of_the_app_with_the_right_status(client):
    login(client, "jcg.watch")
    cases = {
        "/nope": 404,
        "/vessels/abc": 404,  # a path that names no record answers as an unknown record
        "/vessels/99999999999999999999": 404,  # not an MMSI (it overflowed the database's integer: a 500)
        "/entities/no-such-entity": 404,
        "/entities/synthetic-afp-person-of-interest": 404,  # hidden from JCG: the same answer as unknown
        "/events?mmsi=abc": 400,
        "/events?since=yesterday": 400,
    }
    for path, status in cases.items():
        response = client.get(path)
        assert response.status_code == status, (path, response.status_code)
        assert response.headers["content-type"].startswith("text/html"), path
        assert '<nav' in response.text and "/logout" in response.text, path  # in the app's frame, logged in
    bad = client.get("/events?mmsi=abc").text
    assert "mmsi" in bad and "integer" in bad  # names the field and the reason
    # the API keeps answering JSON
    assert client.get("/api/nope").json() == {"detail": "Not Found"}
    assert client.get("/api/vessels/abc").status_code == 422
    assert client.get("/api/vessels/99999999999999999999").status_code == 422


def test_a_filter_form_left_blank_means_any(client):
    login(client, "jcg.watch")
    blank = client.get("/events?type=gap&mmsi=&since=&until=")
    assert blank.status_code == 200 and blank.text == client.get("/events?type=gap").text
    assert client.get("/api/events?mmsi=").status_code == 422  # the API still says "" is no number


def test_an_unexpected_error_is_a_page_with_a_reference_and_no_trace(client, monkeypatch):
    from interdict.api import UserSession

    def broken(self, *args, **kwargs):
        raise RuntimeError("secret internals")

    login(client, "jcg.watch")  # lands on the risk list: break it afterwards
    monkeypatch.setattr(UserSession, "_ranking", broken)
    client_no_raise = TestClient(client.app, raise_server_exceptions=False)
    client_no_raise.cookies = client.cookies
    page = client_no_raise.get("/risk")
    assert page.status_code == 500 and "reference" in page.text and "secret internals" not in page.text
    api = client_no_raise.get("/api/risk")
    assert api.status_code == 500 and "reference" in api.json()["detail"] and "secret" not in api.text


def test_each_role_lands_where_its_work_starts(client):
    for username, landing in (("jcg.watch", "/risk"), ("incb.monitor", "/monitoring"), ("kcg.analyst", "/")):
        client.cookies.clear()
        response = form_post(client, "/login", data={"username": username, "password": DEMO_PASSWORD}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == landing, (username, response.headers)
    client.cookies.clear()
    asked = form_post(client, "/login", data={"username": "jcg.watch", "password": DEMO_PASSWORD, "next": "/vessels"},
                      follow_redirects=False)
    assert asked.headers["location"] == "/vessels"  # a page asked for wins


def test_events_page_through_name_vessels_read_as_words_and_export_as_csv(client, demo_node):
    demo_node.detect()
    login(client, "jcg.watch")
    every = demo_node.as_user("jcg.watch").events()
    assert len(every) > 4
    first = client.get("/events?limit=2").text
    assert 'data-testid="events-pager-next"' in first and 'data-testid="events-pager-prev"' not in first
    second = client.get("/events?limit=2&offset=2").text
    assert f'id="ev-{every[2]["id"]}"' in second and f'id="ev-{every[0]["id"]}"' not in second
    assert 'data-testid="events-pager-prev"' in second
    names = demo_node.as_user("jcg.watch").vessel_names()
    named = next(e for e in every if e["mmsi"] in names)
    page = client.get(f"/events?mmsi={named['mmsi']}&limit=5000").text
    assert names[named["mmsi"]] in page and "{'" not in page  # names, and details as words, not a dict
    table = client.get("/events.csv").text.splitlines()
    assert table[0].startswith("id,type,mmsi,vessel") and len(table) == len(every) + 1
    # each risk reason links to the events it rests on, and those links lead to a row of the events page
    risk = client.get("/risk").text
    link = re.search(r'href="(/events\?mmsi=\d+&amp;limit=5000)#ev-([^"]+)" data-testid="evidence-link"', risk)
    assert link, "no evidence link"
    assert f'id="ev-{link.group(2)}"' in client.get(link.group(1).replace("&amp;", "&")).text
