"""The three journeys of the people Interdict is for, whole, in headless Chromium: the watch
officer from the risk list to a vessel's evidence, the analyst from a search to an undone merge,
the INCB monitor from the dashboard to a public brief. Each asserts what the person sees; a failing
journey leaves a screenshot of where it stopped in test-screenshots/ (and says so)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_browser import monitoring_server, page, serving, wait_until  # noqa: F401 (fixtures)

from interdict.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-screenshots"


@pytest.fixture
def journey(page, request):  # noqa: F811
    """The browser page; a screenshot of it if the journey fails, and no request leaves the node."""
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith("http://127.0.0.1:") else None)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    call = getattr(request.node, "report_call", None)
    if call is not None and call.failed:
        SCREENSHOTS.mkdir(exist_ok=True)
        target = SCREENSHOTS / (re.sub(r"[^\w.-]+", "_", request.node.name) + ".png")
        page.screenshot(path=str(target), full_page=True)
        print(f"journey failed at {page.url}: screenshot {target}")
    assert outside == [], f"requests left the node: {outside}"
    assert errors == [], f"script errors: {errors}"


def log_in(tab, server: str, username: str) -> None:
    tab.goto(f"{server}/login")
    tab.fill("input[name=username]", username)
    tab.fill("input[name=password]", DEMO_PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_load_state()


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_watch_officer_from_the_risk_list_to_the_evidence_and_back(demo_node, journey):
    demo_node.detect()
    tab = journey
    with serving(demo_node) as server:
        log_in(tab, server, "jcg.watch")
        assert tab.url == f"{server}/risk"  # the watch officer lands on the risk list
        assert "Vessels by risk" in tab.inner_text("h1")
        top = tab.locator("[data-testid=risk-table] tbody tr").first
        name = top.locator("td").nth(1).locator("a").inner_text()
        score = int(top.locator("td").first.inner_text())
        assert score > 0 and name
        # the top vessel's tab: identity, risk with reasons, events
        top.locator("td").nth(1).locator("a").click()
        tab.wait_for_url(re.compile(r".*/vessels/\d+$"))
        mmsi = tab.url.rsplit("/", 1)[1]
        assert name in tab.inner_text("main")
        # its track on the map, with its events
        tab.click("text=Show on the map")
        tab.wait_for_url(re.compile(rf".*/map\?mmsi={mmsi}$"))
        wait_until(tab, "document.getElementById('map-status').textContent.includes('items')", timeout=60_000)
        shown = int(tab.inner_text("#map-status").split(" of ")[0])
        assert shown >= 2  # the track and at least one event
        tooltips = tab.evaluate("Object.values(window.interdictMap._layers).filter(l => l.getTooltip && l.getTooltip())"
                                 ".map(l => String(l.getTooltip().getContent()))")
        assert any(f"MMSI {mmsi}: last position" in t for t in tooltips), tooltips[:5]
        # a reason's evidence: the event row it rests on, highlighted on the events tab
        tab.go_back()
        tab.go_back()
        tab.wait_for_url(f"{server}/risk")
        evidence = tab.locator("[data-testid=risk-table] tbody tr").first.locator("[data-testid=evidence-link]").first
        event_id = evidence.get_attribute("href").split("#ev-")[1]
        evidence.click()
        tab.wait_for_url(re.compile(rf".*/events\?mmsi={mmsi}.*#ev-{event_id}$"))
        row = tab.locator(f"tr#ev-{event_id}")
        assert row.count() == 1 and row.evaluate("r => r.matches(':target')")
        kind = row.locator("td").first.inner_text().split(" (")[0].replace(" ", "_")
        start = row.locator("td").nth(3).inner_text()
        # filter the events by that type and a window around the event
        tab.goto(f"{server}/events")
        form = tab.locator("[data-testid=event-filters]")
        form.locator(f"input[name=type][value={kind}]").check()
        form.locator("input[name=since]").fill(start.replace(" ", "T"))
        form.locator("button[type=submit]").click()
        tab.wait_for_load_state()
        assert f"type={kind}" in tab.url and "since=" in tab.url and "/events?" in tab.url
        rows = tab.locator("[data-testid=events] tbody tr")
        assert rows.count() >= 1
        types = {t.split(" (")[0] for t in rows.locator("td:first-child").all_inner_texts()}
        assert types == {kind.replace("_", " ")}, types
        assert all(s.replace(" ", "T") >= start.replace(" ", "T")[:10]  # ended on or after the start asked for
                   for s in rows.locator("td:nth-child(5)").all_inner_texts() if s)
        # back where the journey began
        tab.go_back()
        tab.go_back()
        tab.wait_for_load_state()
        assert f"#ev-{event_id}" in tab.url


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_analyst_from_two_romanisations_to_an_undone_merge(demo_node, journey):
    from interdict.api import data_path

    # the UN list (real, bundled) gives the case file its duplicate candidates: Office 39 on the list and in the case
    demo_node.import_list("un", [data_path("demo/sanctions/consolidated.xml.gz")], agency="INCB", screen=False)
    demo_node.screen(vessels=False)
    tab = journey
    with serving(demo_node) as server:
        log_in(tab, server, "kcg.analyst")
        assert tab.url == f"{server}/"
        assert tab.locator("[data-testid=analyst-desk]").count() == 1
        # one bureau, two romanisations: Daesung (the South's) and Taesong (the North's)
        tab.fill("form.search input[name=q]", "Daesung")
        tab.press("form.search input[name=q]", "Enter")
        tab.wait_for_load_state()
        assert "Daesung" in tab.inner_text("[data-testid=search-results]")
        tab.goto(f"{server}/search?q=Taesong")
        similar = tab.inner_text("[data-testid=similar-results]")
        assert "Daesung" in similar and "romanisation" in similar
        # the entity tab: sources, grades, markings
        tab.locator("[data-testid=similar-results] a", has_text="Daesung").first.click()
        tab.wait_for_url(re.compile(r".*/entities/.+"))
        main = tab.inner_text("main")
        assert re.search(r"\b[A-F][1-6]\b", main), "no grade on the entity page"
        assert "TLP:" in tab.inner_text("[data-testid=marking-banner]")
        # the graph, and the founding chain Pong Su <-> Office 39
        tab.goto(f"{server}/entities/case-pong-su")
        wait_until(tab, "document.querySelector('[data-testid=graph-info]') && "
                         "document.querySelector('[data-testid=graph-info]').textContent.includes('entities')", timeout=30_000)
        assert tab.locator("[data-testid=graph] canvas").count() > 0
        tab.fill("#path-to", "case-office-39")
        tab.click("#path-form button")
        tab.wait_for_selector("[data-testid=path-result] ol li", timeout=15_000)
        chain = tab.inner_text("[data-testid=path-result]")
        assert re.match(r"\d+ steps", chain) and "grade" in chain and "OFFICE 39" in chain.upper()
        # three names screened at once
        tab.goto(f"{server}/screen")
        tab.fill("textarea[name=names]", "Taesong Bank\nPong Su\nNo Such Trading Company Zzyzx")
        tab.click("[data-testid=screen-list-form] button")
        tab.wait_for_load_state()
        rows = tab.locator("[data-testid=screen-list-results] tbody tr")
        assert rows.count() == 3
        assert "Pong Su" in rows.nth(1).inner_text() and int(rows.nth(1).locator("td").nth(1).inner_text()) >= 1
        assert int(rows.nth(2).locator("td").nth(1).inner_text()) == 0
        # a duplicate pair judged the same: the merge shows on the entity tab; undone, it is gone
        tab.goto(f"{server}/resolve")
        pair = tab.locator("[data-testid=candidates-table] tbody tr").first
        left = pair.locator("td").nth(1).locator("a").get_attribute("href")
        pair.locator("input[name=note]").fill("journey test: same bureau")
        pair.locator("button[value=same]").click()
        tab.wait_for_url(f"{server}/resolve")
        tab.goto(f"{server}{left}")
        assert tab.locator("[data-testid=canonical-id]").count() == 1, "the merge does not show"
        tab.goto(f"{server}/resolve")
        tab.locator("form[action='/resolve/undo'] button").first.click()
        tab.wait_for_url(f"{server}/resolve")
        assert "undone by kcg.analyst" in tab.inner_text("main")
        tab.goto(f"{server}{left}")
        assert tab.locator("[data-testid=canonical-id]").count() == 0, "the merge outlived its undo"


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_monitor_from_the_dashboard_to_a_public_brief(monitoring_server, journey, tmp_path):  # noqa: F811
    tab = journey
    with serving(monitoring_server) as server:
        log_in(tab, server, "incb.monitor")
        assert tab.url == f"{server}/monitoring"  # the monitor lands on the dashboard
        assert tab.evaluate("document.querySelector('[data-testid=seizure-map]').naturalWidth") > 300
        latest = tab.locator("[data-testid=map-year] option[selected]").get_attribute("value")
        years = tab.locator("[data-testid=map-year] option").evaluate_all("os => os.map(o => o.value)")
        assert latest == years[0] and len(years) > 1
        tab.select_option("[data-testid=map-year]", years[1])  # the map's year control
        tab.wait_for_url(re.compile(rf".*year={years[1]}.*"))
        assert f"seized in {years[1]}" in tab.inner_text("[data-testid=map-caption]")
        # a country tab
        tab.select_option("select[name=c]", "JPN")
        tab.wait_for_url(f"{server}/monitoring/countries/JPN")
        assert "Japan" in tab.inner_text("h1")
        # the DPRK brief for the public
        tab.goto(f"{server}/reports")
        tab.select_option("select[name=kind]", "dprk-brief")
        tab.select_option("[data-testid=report-audience]", "public")
        with tab.expect_download(timeout=120_000) as download:
            tab.click("[data-testid=report-form] button[type=submit]")
        pdf = tmp_path / "brief.pdf"
        download.value.save_as(pdf)
        assert pdf.read_bytes().startswith(b"%PDF") and "public" in download.value.suggested_filename
        if not shutil.which("pdftotext"):
            pytest.fail("poppler-utils not installed (scripts/install-system-deps.sh)")
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        pages = text.split("\f")
        assert all(p.strip().startswith("TLP:CLEAR") for p in pages if p.strip()), "a page without the CLEAR banner"
        assert "Edition for the public" in text and "TLP:GREEN" not in text and "TLP:AMBER" not in text
        assert "trafficking links between countries on the map" in text  # the map's caption
        images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert sum(1 for line in images.splitlines()[2:] if " image " in line) >= 6  # the map and the charts
