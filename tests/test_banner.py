"""Every page's marking banner is at least as strict as the strictest item on it.

AFP loads SYNTHETIC canary records under TLP:RED that reach every kind of page: an entity (named,
sanctioned, with an MMSI), a claim, a judgement, a candidate duplicate (two records of two sources), an AIS batch with positions and identity, an event
resting on that batch, the screening match between the two, and a seizure record. An AFP user
must see the canary on each page under a RED banner; a JCG user must see neither the canary nor a
RED banner. A page added to the app without a check here fails `test_every_page_is_checked`.
"""

from __future__ import annotations

import csv
import io
import re
import textwrap
from datetime import UTC, datetime

import pytest
from conftest import form_post
from fastapi.testclient import TestClient

from interdict.api import IngestOptions, Interdict, data_path
from interdict.demo import DEMO_PASSWORD, setup_node
from interdict.markings import TLP, Grade, Marking
from interdict.web.app import PAGE_ROUTERS, create_app

CANARY = "CANARYRED"
CANARY_MMSI = 538009917
CANARY_COUNTRY = "AUS"

RECORDS = textwrap.dedent(f"""\
    # SYNTHETIC canary records for the banner test
    dataset: test-afp-red-canary
    title: "SYNTHETIC: AFP red canary"
    agency: AFP
    synthetic: true
    defaults:
      marking: {{tlp: RED}}
      grade: B2
    sources:
      - id: test-afp-red-canary-source
        title: "SYNTHETIC {CANARY} source"
        kind: agency_report
        reliability: B
        marking: {{tlp: RED}}
      - id: test-afp-red-canary-registry
        title: "SYNTHETIC {CANARY} company registry extract"
        kind: agency_report
        reliability: B
        marking: {{tlp: RED}}
    entities:
      - id: test-canary-vessel
        schema: Vessel
        source: test-afp-red-canary-source
        properties:
          name: "{CANARY} TRADER"
          mmsi: "{CANARY_MMSI}"
          topics: sanction
      - id: test-canary-company
        schema: Company
        source: test-afp-red-canary-source
        properties:
          name: "{CANARY} TRADER SHIPPING"
      - id: test-canary-registered-company
        schema: Company
        source: test-afp-red-canary-registry
        properties:
          name: "{CANARY} TRADER SHIPPING CO"
    claims:
      - key: test-canary-claim
        entity: test-canary-vessel
        text: "[SYNTHETIC] {CANARY} cargo estimate"
        quantity: cargo
        unit: kg
        best: 100
        reading: point
        source: test-afp-red-canary-source
    """)

# every HTML page of the app: path -> text that shows the canary is on the page for AFP (and must
# not be for JCG). Monitoring pages show the canary seizure only in aggregates: the node holds no
# other Australian record, so Australia appears there only through it. The map draws from the
# JSON API, so only its banner is checked.
PAGES = {
    "/": CANARY,
    "/search?q=canaryred": CANARY,
    "/entities/test-canary-vessel": CANARY,
    "/claims": CANARY,
    "/vessels?q=canaryred": CANARY,
    f"/vessels/{CANARY_MMSI}": CANARY,
    "/map": None,
    f"/events?mmsi={CANARY_MMSI}": CANARY,
    "/risk": CANARY,
    "/screen?q=canaryred+trader": CANARY,
    "/watchlist": CANARY,
    "/resolve": CANARY,
    "/judgements": CANARY,
    "/monitoring": "Australia",
    f"/monitoring/countries/{CANARY_COUNTRY}": "Australia",
    "/reports": "Australia",
}
# downloads: each row says the marking of everything the download holds (no banner to print)
CSV_PAGES = {"/events.csv": f"?mmsi={CANARY_MMSI}", "/vessels.csv": "?q=canaryred", "/search.csv": "?q=canaryred",
             "/risk.csv": "", "/watchlist.csv": "", "/claims.csv": "?q=canaryred", "/resolve.csv": "?q=canaryred",
             "/judgements.csv": "?q=canaryred"}
# pages that are not content: the login form
NOT_CONTENT = {"/login", "/account/password"}  # no records on them


@pytest.fixture(scope="module")
def canary_node(tmp_path_factory) -> Interdict:
    folder = tmp_path_factory.mktemp("banner")
    node = Interdict.open(folder / "ws", f"sqlite:///{folder / 'interdict.db'}")
    setup_node(node)
    node.load(data_path("case/dprk_narcotics.yaml"), screen=False)
    records = folder / "canary.yaml"
    records.write_text(RECORDS, encoding="utf-8")
    node.load(records, screen=False)
    red = Marking(TLP.RED)
    positions = folder / "canary_positions.csv"
    positions.write_text("mmsi,time,lat,lon,name\n" + "".join(
        f"{CANARY_MMSI},2025-06-01T{h:02d}:00:00Z,{-30 + h * 0.05:.2f},{150 + h * 0.05:.2f},{CANARY} TRADER\n" for h in range(6)))
    result = node.ingest_ais(positions, IngestOptions(agency="AFP", marking=red, grade=Grade("B", "2"), format="table",
                                                      mapping={"mmsi": "mmsi", "ts": "time", "lat": "lat", "lon": "lon",
                                                               "name": "name"}), screen=False)
    node.screen()
    from interdict.behaviour import events

    at = datetime(2025, 6, 1, 3, tzinfo=UTC)
    afp_audience = next(a for a in node.tracks.audiences() if "AFP" in a.agencies)  # the event is AFP's to see
    events.save(node.workspace.engine, {afp_audience.key: [{
        "id": "test-canary-event", "type": "gap", "mmsi": CANARY_MMSI, "other_mmsi": None, "start": at, "end": at,
        "lat": -29.9, "lon": 150.1, "details": {"hours": 14.0, "note": f"{CANARY} synthetic"}, "thresholds": {},
        "evidence": [], "batches": [result.batch]}]}, [afp_audience], engine_name="test", since=at, until=at)
    afp = node.as_user("afp.analyst")
    afp.judge("test-canary-vessel", "test-canary-company", "different", note=f"{CANARY} judgement", marking=red)
    seizure = folder / "canary_seizures.csv"
    seizure.write_text("kind,country,area,date,year,month,drug_group,drug,quantity,unit,purity,producing_country,"
                       "departure_country,transit_countries,destination_country,conveyance,concealment,seizing_agency,"
                       "events,arrests,entity_ids\n"
                       f"seizure,{CANARY_COUNTRY},{CANARY} wharf,2024-05-01,2024,5,ats,Methamphetamine,12,kg,,,,,,sea,cargo,"
                       "AFP,1,2,\n")
    node.import_seizures(seizure, agency="AFP", dataset="test-afp-red-canary-seizures", marking=red)
    yield node
    node.close()


def client_for(node: Interdict, username: str) -> TestClient:
    client = TestClient(create_app(node))
    response = form_post(client, "/login", data={"username": username, "password": DEMO_PASSWORD, "next": "/"})
    assert response.status_code == 200
    return client


def banner_of(html: str) -> str:
    found = re.search(r'data-testid="marking-banner"[^>]*>([^<]*)<', html)
    assert found, "page has no marking banner"
    return found.group(1).strip()


def test_every_page_is_checked():
    pages = {route.path for router in PAGE_ROUTERS for route in router.routes if "GET" in getattr(route, "methods", ())}
    assert "/risk" in pages and "/entities/{entity_id}" in pages
    checked = {re.sub(r"\?.*", "", p) for p in PAGES} | NOT_CONTENT | set(CSV_PAGES)
    patterns = {re.sub(r"\{[^}]+\}", "X", p) for p in pages}
    covered = {re.sub(r"/(test-canary-vessel|\d+|[A-Z]{3})$", "/X", p) for p in checked}
    assert patterns - covered - {"/reports/render"} == set(), "pages without a banner check"


@pytest.mark.parametrize("path", list(PAGES))
def test_banner_covers_the_strictest_item(canary_node, path):
    html = client_for(canary_node, "afp.analyst").get(path).text
    if PAGES[path]:
        assert PAGES[path] in html, f"{path}: the canary is not on the page, so the check proves nothing"
    assert banner_of(html).startswith("TLP:RED"), f"{path}: RED content under banner {banner_of(html)!r}"


@pytest.mark.parametrize("path", list(PAGES))
def test_other_agencies_see_neither_canary_nor_its_banner(canary_node, path):
    response = client_for(canary_node, "jcg.watch").get(path)
    assert CANARY not in response.text and (PAGES[path] is None or PAGES[path] not in response.text)
    if response.status_code == 200 and "marking-banner" in response.text:
        assert not banner_of(response.text).startswith("TLP:RED")


def test_banner_is_not_stricter_than_needed(canary_node):
    """The banner follows what a page shows: lists of public records by name are not RED, even for
    the agency that also holds RED records on the node."""
    client = client_for(canary_node, "afp.analyst")
    for path, shows in (("/search?q=office+39", "office 39"), ("/screen?q=office+39", "office 39"),
                        ("/claims?q=pong+su", "pong su"), ("/claims?sort=claim&dir=desc&limit=3", "tonnage"),
                        ("/resolve?q=office+39", "office 39")):
        html = client.get(path).text
        assert shows in html.lower() and CANARY not in html, path
        assert banner_of(html).startswith(("TLP:CLEAR", "TLP:GREEN")), f"{path}: {banner_of(html)}"


@pytest.mark.parametrize("path", list(CSV_PAGES))
def test_a_download_carries_the_strictest_marking_and_only_to_those_who_may_see(canary_node, path):
    owner = client_for(canary_node, "afp.analyst").get(path + CSV_PAGES[path]).text
    rows = list(csv.DictReader(io.StringIO(owner)))
    assert rows and any(CANARY in ",".join(r.values()) for r in rows), "the canary is not in the download"
    assert all(r["marking"].startswith("TLP:RED") for r in rows)
    other = client_for(canary_node, "jcg.watch").get(path + CSV_PAGES[path]).text
    assert CANARY not in other and "TLP:RED" not in other


@pytest.mark.parametrize(("audience", "banner", "canary"), [
    (None, "TLP:RED", True), ("AFP", "TLP:RED", True), ("JCG", None, False), ("partners", None, False),
    ("public", "TLP:CLEAR", False),
])
def test_a_report_for_an_audience_keeps_only_what_it_may_receive_and_says_what_was_left_out(canary_node, audience, banner,
                                                                                            canary):
    me = canary_node.as_user("afp.analyst")
    html = me.report("dprk-brief", fmt="html", audience=audience).decode()
    assert (CANARY in html) is canary, audience
    shown = re.search(r'data-banner>([^<]+)<', html).group(1)
    if banner:
        assert shown.startswith(banner), (audience, shown)
    else:
        assert not shown.startswith(("TLP:RED", "TLP:AMBER")), (audience, shown)
    if audience in ("JCG", "partners", "public"):
        edition = re.search(r"<div class=\"box\" data-audience>(.*?)</div>", html, re.S).group(1)
        assert "seizure or arrest record" in edition or "seizure and arrest records" in edition, edition
    else:
        assert "data-audience" not in html if audience is None else "Edition for agency AFP" in html


def test_a_report_for_an_unknown_audience_is_refused_by_name(canary_node):
    from interdict.errors import ValidationError

    with pytest.raises(ValidationError, match="audience 'nobody'"):
        canary_node.as_user("afp.analyst").report("dprk-brief", fmt="html", audience="nobody")
