"""A person's path through the web app, in headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from contextlib import contextmanager

import pytest
import uvicorn

from interdict.demo import DEMO_PASSWORD
from interdict.web.app import create_app

pytestmark = pytest.mark.browser

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def wait_until(page, expression: str, *, timeout: int) -> None:
    """Poll a condition through the DevTools protocol: the app's Content-Security-Policy forbids
    the in-page eval that Playwright's wait_for_function uses (as it would an attacker's)."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        reason = "Debian chromium not installed (run scripts/install-system-deps.sh)"
        if os.environ.get("INTERDICT_REQUIRE_BROWSER"):
            pytest.fail(reason + " (INTERDICT_REQUIRE_BROWSER is set)")
        pytest.skip(reason)
    return path


@contextmanager
def serving(node):
    """The web app over `node` on a free loopback port, in a thread; yields its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(node), host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        if time.monotonic() > deadline:
            raise RuntimeError("web server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def server(demo_node):
    with serving(demo_node) as url:
        yield url


@pytest.fixture
def page(tmp_path):
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        context = browser.new_context()
        page = context.new_page()
        yield page
        context.close()
        browser.close()


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_login_search_and_entity_page(server, page, tmp_path):
    page.goto(f"{server}/entities/case-pong-su")
    assert "/login" in page.url
    page.fill("input[name=username]", "jcg.watch")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/entities/case-pong-su")
    assert page.inner_text("[data-testid=entity-caption]") == "Pong Su"
    banner = page.inner_text("[data-testid=marking-banner]")
    assert banner.startswith("TLP:AMBER") and "REL TO JCG" in banner
    body = page.inner_text("main")
    assert "Pong Su Shipping Company" in body and "AFP internal only" not in body
    page.screenshot(path=str(tmp_path / "entity.png"), full_page=True)

    page.click("text=Entities")
    page.fill("input[name=q]", "taesong")
    page.press("input[name=q]", "Enter")
    page.wait_for_load_state()
    assert "No results" in page.inner_text("main")  # plain substring search; romanisation-aware matching comes with screening
    page.fill("input[name=q]", "Bureau 39")
    page.press("input[name=q]", "Enter")
    page.click("a[href='/entities/case-office-39']")
    page.wait_for_url(f"{server}/entities/case-office-39")
    assert "Aesung Chongguk" in page.inner_text("main")


@pytest.fixture
def monitoring_server(demo_node):
    """The demo node with the UNODC portal table and the AFP demo return (enough for the pages)."""
    from interdict.api import data_path
    from interdict.demo import DEMO_RESTRICTED_RETURN
    from interdict.markings import TLP, Marking

    demo_node.import_seizures(data_path("demo/seizures/unodc_drug_seizures_2018_2022.csv.gz"), agency="INCB")
    demo_node.import_seizures(data_path(DEMO_RESTRICTED_RETURN), agency="AFP", dataset="demo-afp-seizure-return",
                              marking=Marking(TLP.AMBER, frozenset({"JCG", "KOR"})))
    return demo_node


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_monitoring_dashboard_and_report_download(monitoring_server, page, tmp_path):
    with serving(monitoring_server) as server:
        page.goto(f"{server}/monitoring")
        page.fill("input[name=username]", "jcg.watch")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server}/monitoring")
        assert page.evaluate("document.querySelector('[data-testid=seizure-map]').naturalWidth") > 300
        assert "Japan" in page.inner_text("[data-testid=completeness]")
        assert page.inner_text("[data-testid=marking-banner]").startswith("TLP:AMBER")  # the AFP return
        page.select_option("select[name=group]", "opioids")
        page.wait_for_url("**group=opioids**")
        page.select_option("select[name=c]", "JPN")
        page.wait_for_url(f"{server}/monitoring/countries/JPN")
        assert "Methamphetamine 2020" in page.inner_text("[data-testid=anomalies]")
        page.screenshot(path=str(tmp_path / "country.png"), full_page=True)
        page.goto(f"{server}/reports")
        page.select_option("select[name=kind]", "country")
        page.select_option("select[name=country]", "JPN")
        with page.expect_download(timeout=60_000) as download:
            page.click("[data-testid=report-form] button[type=submit]")
        target = tmp_path / "japan.pdf"
        download.value.save_as(target)
        assert target.read_bytes().startswith(b"%PDF") and download.value.suggested_filename == "interdict-country-jpn.pdf"


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_map_draws_events_and_tracks_without_fetching_anything_outside(demo_node, page, tmp_path):
    demo_node.detect()
    outside = []
    with serving(demo_node) as server:
        page.on("request", lambda request: outside.append(request.url) if not request.url.startswith(server) else None)
        page.goto(f"{server}/map")
        page.fill("input[name=username]", "incb.monitor")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server}/map")
        wait_until(page, "document.getElementById('map-status').textContent.includes('items')", timeout=60_000)
        shown = int(page.inner_text("#map-status").split(" of ")[0])
        assert shown > 10
        wait_until(page, "Object.keys(window.interdictMap._layers).length > 100", timeout=30_000)  # land, tracks, markers
        page.fill("[data-testid=time-slider]", "0")
        page.dispatch_event("[data-testid=time-slider]", "input")
        assert int(page.inner_text("#map-status").split(" of ")[0]) < shown
        page.screenshot(path=str(tmp_path / "map.png"))
        legend = page.inner_text("[data-testid=map-legend]")
        assert "encounter" in legend and "last position" in legend
        # every drawn track ends in a last-position marker, with its time
        page.fill("[data-testid=time-slider]", "1000")
        page.dispatch_event("[data-testid=time-slider]", "input")
        lasts = page.evaluate("Object.values(window.interdictMap._layers).filter(l => l.getTooltip && l.getTooltip() "
                              "&& String(l.getTooltip().getContent()).includes('last position')).length")
        assert lasts >= 1
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{server}/map?mmsi=abc")  # a readable message, not a script error
        wait_until(page, "document.getElementById('map-status').textContent.includes('Could not load')", timeout=30_000)
        assert "mmsi" in page.inner_text("#map-status") and errors == [], errors
        assert outside == [], outside


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_entity_graph_view_path_finder_and_judgement_buttons(server, page, tmp_path):
    outside = []
    page.on("request", lambda request: outside.append(request.url) if not request.url.startswith(server) else None)
    page.goto(f"{server}/entities/case-pong-su")
    page.fill("input[name=username]", "kcg.analyst")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/entities/case-pong-su")
    wait_until(page, "document.querySelector('[data-testid=graph-info]') && "
                     "document.querySelector('[data-testid=graph-info]').textContent.includes('entities')", timeout=30_000)
    assert int(page.inner_text("[data-testid=graph-info]").split(" ")[0]) > 5  # the depth-2 neighbourhood
    assert page.locator("[data-testid=graph] canvas").count() > 0  # drawn by Cytoscape.js
    page.fill("#path-to", "Man Jin Ri")
    page.click("#path-form button")
    page.wait_for_selector("[data-testid=path-result] ol li", timeout=15_000)
    result = page.inner_text("[data-testid=path-result]")
    assert "2 steps" in result and "grade" in result and "Man Jin Ri" in result
    # the founding case's central chain, each step graded; a loading state while it is sought
    page.fill("#path-to", "case-office-39")
    page.click("#path-form button")
    page.wait_for_selector("[data-testid=path-result] ol li", timeout=15_000)
    chain = page.inner_text("[data-testid=path-result]")
    assert "Workers' Party of Korea" in chain and "C3" in chain and "No link" not in chain
    page.screenshot(path=str(tmp_path / "graph.png"), full_page=True)
    # other spellings on the entity search page, with their reason
    page.goto(f"{server}/search?q=Taesong")
    assert "romanisation" in page.inner_text("[data-testid=similar-results]")
    assert outside == [], outside


def test_api_reference_renders_offline_under_the_security_policy(server, page):
    """/api/docs: Swagger UI from the copy shipped in the package, every request to this node, no
    Content-Security-Policy violation (issue 16; its CDN copy left the page blank offline)."""
    hosts, violations = set(), []
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)
    page.goto(f"{server}/api/docs")
    page.fill("input[name=username]", "jcg.watch")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/api/docs")
    page.wait_for_selector(".swagger-ui .information-container", timeout=30_000)
    page.wait_for_selector("[data-path=\"/api/search\"]", timeout=30_000)
    assert hosts == {server.split("/")[2]} and not violations, (hosts, violations)


PHONE_PAGES = ["/", "/search?q=pong", "/entities/case-pong-su", "/screen?q=office+39", "/resolve", "/watchlist", "/claims",
               "/vessels", "/vessels/351118000", "/map", "/events", "/risk", "/monitoring", "/monitoring/countries/AUS",
               "/reports", "/account/password", "/api/docs", "/nope", "/judgements"]


def test_the_phone_and_air_gap_walk_covers_every_page():
    """A page added to the app without a place in PHONE_PAGES fails here (downloads, the report
    renderer and the login form, walked before the list, aside)."""
    import re

    from interdict.web.app import PAGE_ROUTERS

    pages = {route.path for router in PAGE_ROUTERS for route in router.routes if "GET" in getattr(route, "methods", ())}
    walked = {re.sub(r"/(case-pong-su|\d+|[A-Z]{3})$", "/X", p.split("?")[0]) for p in PHONE_PAGES} | {"/login"}
    wanted = {re.sub(r"\{[^}]+\}", "X", p) for p in pages if not p.endswith(".csv")} - {"/reports/render"}
    assert wanted - walked == set(), "pages the phone and air-gap walk does not visit"


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_every_page_fits_a_phone_fetches_nothing_outside_and_the_nav_says_where_you_are(server, page, tmp_path):
    page.set_viewport_size({"width": 390, "height": 844})
    outside = []  # and every page asks the node alone for everything it loads (air-gapped networks)
    page.on("request", lambda request: outside.append(request.url) if not request.url.startswith(server) else None)
    page.goto(f"{server}/login")
    page.fill("input[name=username]", "kcg.analyst")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")
    too_wide = {}
    for path in PHONE_PAGES:
        page.goto(f"{server}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            too_wide[path] = width
            page.screenshot(path=str(tmp_path / f"phone-{len(too_wide)}.png"), full_page=True)
    assert too_wide == {}, too_wide
    assert outside == [], outside
    page.goto(f"{server}/vessels/351118000")
    assert page.get_attribute("nav a[aria-current=page]", "href") == "/vessels"
    page.keyboard.press("Tab")  # the first stop is the skip link, which leads past the nav
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    favicon = page.request.get(f"{server}/favicon.ico")
    assert favicon.status == 200 and favicon.body()[:4] == b"\x00\x00\x01\x00"  # an ICO of our own


def test_the_map_draws_fixes_heard_at_an_assumed_time(page, tmp_path):
    import gzip
    from datetime import UTC, datetime

    from interdict.ais.store import IngestOptions
    from interdict.api import Interdict, data_path
    from interdict.demo import setup_node
    from interdict.markings import TLP, Grade, Marking

    node = Interdict.open(tmp_path / "ws")
    setup_node(node)
    log = tmp_path / "amsa_head.nmea"
    log.write_bytes(b"".join(gzip.open(data_path("demo/ais/amsa_ais.txt.gz")).readlines()[:3000]))
    node.tracks.ingest(log, IngestOptions(agency="INCB", marking=Marking(TLP.CLEAR), grade=Grade("B", "2"),
                                          assume_time=datetime(2012, 1, 27, 11, 47, tzinfo=UTC)))
    mmsi = max(node.as_user("jcg.watch").vessels("", limit=1000), key=lambda v: v["positions"])["mmsi"]
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    with serving(node) as server:
        page.goto(f"{server}/map?mmsi={mmsi}")
        page.fill("input[name=username]", "jcg.watch")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server}/map?mmsi={mmsi}")
        wait_until(page, "document.getElementById('map-status').textContent.includes('items')", timeout=30_000)
        drawn = page.evaluate("Object.values(window.interdictMap._layers).filter(l => l.getTooltip && l.getTooltip() "
                              "&& String(l.getTooltip().getContent()).includes('assumed')).length")
        assert drawn >= 2 and "assumed time" in page.inner_text("[data-testid=map-legend]")
        assert page.inner_text("#map-status").startswith("1 of 1")
    assert errors == [], errors
    node.close()
