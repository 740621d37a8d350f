"""Every list is paged, sortable and downloadable as CSV (interdict.web.listing): the helper's
rules, then each list of the demo through the web app."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from conftest import form_post
from fastapi import HTTPException
from starlette.requests import Request
from test_web import client, login  # noqa: F401 (the fixture)

from interdict.web.listing import Column, cell, page_request, sort_rows, sorted_page

COLUMNS = (Column("name", "Name", lambda r: r["name"]), Column("n", "N", lambda r: r["n"], numeric=True),
           Column("note", "Note", lambda r: r["note"], sortable=False))
ROWS = [{"name": "beta", "n": 2, "note": ""}, {"name": None, "n": 5, "note": ""}, {"name": "Alpha", "n": None, "note": ""},
        {"name": "gamma", "n": 2, "note": ""}]


def request_for(query: str, path: str = "/things") -> Request:
    return Request({"type": "http", "method": "GET", "path": path, "query_string": query.encode(), "headers": []})


def test_rows_sort_without_regard_to_case_and_empty_values_come_last_either_way():
    assert [r["name"] for r in sort_rows(ROWS, COLUMNS[0], False)] == ["Alpha", "beta", "gamma", None]
    assert [r["name"] for r in sort_rows(ROWS, COLUMNS[0], True)] == ["gamma", "beta", "Alpha", None]
    # ties keep the list's own order, both ways
    assert [r["name"] for r in sort_rows(ROWS, COLUMNS[1], True)] == [None, "beta", "gamma", "Alpha"]
    assert [r["name"] for r in sort_rows(ROWS, COLUMNS[1], False)] == ["beta", "gamma", None, "Alpha"]


def test_a_page_is_cut_after_sorting_and_its_links_keep_the_filters():
    page = sorted_page(request_for("q=x&sort=name&dir=desc&offset=1&limit=2"), ROWS, COLUMNS, sort="n", descending=True)
    assert [r["name"] for r in page.rows] == ["beta", "Alpha"] and page.total == 4 and page.more
    assert (page.first, page.last) == (2, 3)
    assert page.prev_url == "/things?q=x&sort=name&dir=desc&limit=2"
    assert page.next_url == "/things?q=x&sort=name&dir=desc&offset=3&limit=2"
    assert page.csv_url == "/things.csv?q=x&sort=name&dir=desc"
    assert page.sort_url("name") == "/things?q=x&sort=name&dir=asc&limit=2"  # turned around, from the top
    assert page.sort_url("n") == "/things?q=x&sort=n&dir=desc&limit=2"  # numbers start at the largest
    assert page.aria_sort("name") == "descending" and page.aria_sort("n") == "none"
    assert page.here == "/things?q=x&sort=name&dir=desc&offset=1&limit=2"  # a form's way back: as asked
    # without parameters: the list's own order, the default page
    own = sorted_page(request_for(""), ROWS, COLUMNS, sort="n", descending=True)
    assert own.rows == ROWS and not own.more and own.prev_url is None and own.next_url is None
    assert own.here == "/things" and sorted_page(request_for("error=x&limit=2"), ROWS, COLUMNS, sort="n").here == "/things?limit=2"


@pytest.mark.parametrize(("query", "named"), [
    ("sort=colour", "sort: no column 'colour'"), ("sort=note", "sort: no column 'note'"), ("dir=up", "dir: 'up'"),
    ("offset=-1", "offset: -1"), ("limit=0", "limit: 0"), ("limit=5001", "limit: 5001"), ("limit=ten", "limit: 'ten'"),
])
def test_bad_paging_is_a_400_naming_the_parameter(query, named):
    with pytest.raises(HTTPException) as raised:
        page_request(request_for(query), COLUMNS, sort="n")
    assert raised.value.status_code == 400 and named in raised.value.detail


def test_csv_cells_cannot_run_as_spreadsheet_formulas():
    assert cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert [cell(v) for v in ("+1", "-2", "@SUM(A1)", "Kim")] == ["'+1", "'-2", "'@SUM(A1)", "Kim"]
    assert cell(-12.5) == -12.5 and cell(None) == "" and cell(True) == "yes" and cell(["a", "b"]) == "a; b"


def rows_of(response) -> list[dict[str, str]]:
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv"), response.text[:300]
    return list(csv.DictReader(io.StringIO(response.text)))


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)  # the SQL paths: test_events_sort_in_the_database
def test_vessels_page_through_sort_by_any_column_and_download_whole(client):  # noqa: F811
    login(client, "jcg.watch")
    whole = rows_of(client.get("/vessels.csv"))
    assert len(whole) > 250  # more than the old cap of 200
    assert all(r["marking"].startswith("TLP:") for r in whole)
    first = client.get("/vessels?limit=100").text
    assert f"Vessels 1–100 of {len(whole):,}" in first and 'data-testid="pager-next"' in first
    mmsis = re.findall(r'<td><a href="/vessels/(\d+)">', client.get("/vessels?limit=100&offset=200").text)
    assert mmsis == [r["mmsi"] for r in whole[200:300]]  # the third page is the CSV's rows 200..299
    by_name = rows_of(client.get("/vessels.csv?sort=name"))
    names = [r["name"].removeprefix("'") for r in by_name if r["name"]]  # AIS pads names with @: kept from formulas
    assert names == sorted(names, key=str.casefold) and names != [r["name"] for r in whole if r["name"]]
    assert [r["name"] for r in by_name][-1] == ""  # vessels without a name come last
    top = client.get("/vessels?sort=name&dir=desc&limit=3").text
    shown = re.findall(r'<td><a href="/vessels/\d+">\d+</a></td><td>([^<]*)</td>', top)
    assert [html.unescape(n) for n in shown] == names[::-1][:3]
    assert 'aria-sort="descending"' in top
    found = rows_of(client.get(f"/vessels.csv?q={whole[0]['mmsi']}"))
    one = client.get(f"/vessels?q={whole[0]['mmsi']}").text
    assert f"Vessels 1–{len(found)} of {len(found)}" in one and 'data-testid="pager-next"' not in one


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)  # the SQL paths: test_events_sort_in_the_database
def test_search_lists_every_result_a_page_at_a_time(client):  # noqa: F811
    login(client, "afp.analyst")
    whole = rows_of(client.get("/search.csv?schema=Person"))
    assert len(whole) > 6 and whole[0].keys() >= {"name", "type", "id", "marking"}
    page = client.get("/search?schema=Person&limit=3&offset=3").text
    assert f"Results 4–6 of {len(whole):,}" in page
    assert re.findall(r'<td><a href="/entities/([^"]+)">', page) == [r["id"] for r in whole[3:6]]
    by_name = [r["name"] for r in rows_of(client.get("/search.csv?schema=Person&sort=name"))]
    assert by_name == sorted(by_name, key=str.casefold)
    assert client.get("/search?q=kim&sort=colour").status_code == 400


def listed_vessels(node, vessels: list[dict[str, str]], folder) -> None:
    """SYNTHETIC records naming some of the demo's real AIS vessels as sanctioned, for the watchlist."""
    lines = ["# SYNTHETIC vessels on a watchlist, for the list tests", "dataset: test-listing-watch",
             'title: "SYNTHETIC: listing watch"', "agency: JCG", "synthetic: true",
             "defaults:", "  marking: {tlp: GREEN}", "  grade: B2", "sources:", "  - id: test-listing-source",
             '    title: "SYNTHETIC listing source"', "    kind: agency_report", "    reliability: B", "entities:"]
    for i, v in enumerate(vessels):
        lines += [f"  - id: test-listing-vessel-{i}", "    schema: Vessel", "    source: test-listing-source",
                  "    properties:", f'      name: "{v["name"]}"', f'      mmsi: "{v["mmsi"]}"', "      topics: sanction"]
    records = folder / "listing.yaml"
    records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    node.load(records, screen=False)
    node.screen()


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)  # the SQL paths: test_events_sort_in_the_database
def test_risk_and_watchlist_page_sort_and_download(client, demo_node, tmp_path):  # noqa: F811
    demo_node.detect()
    login(client, "jcg.watch")
    named = [r for r in rows_of(client.get("/vessels.csv")) if r["name"].isalpha()][:5]
    listed_vessels(demo_node, named, tmp_path)
    ranked = rows_of(client.get("/risk.csv"))
    assert ranked and [float(r["score"]) for r in ranked] == sorted((float(r["score"]) for r in ranked), reverse=True)
    assert all(r["reasons"] and r["marking"].startswith("TLP:") for r in ranked)
    lowest = rows_of(client.get("/risk.csv?sort=score&dir=asc"))
    assert float(lowest[0]["score"]) == min(float(r["score"]) for r in ranked)
    page = client.get("/risk?limit=2").text
    assert f"Vessels 1–2 of {len(ranked):,}" in page or len(ranked) <= 2
    matches = rows_of(client.get("/watchlist.csv"))
    assert matches and {"score", "subject", "entity", "entity_id", "marking"} <= matches[0].keys()
    vessels = rows_of(client.get("/watchlist.csv?kind=vessel&sort=subject"))
    assert vessels and all(r["subject"].startswith("MMSI ") for r in vessels)
    assert [r["subject"] for r in vessels] == sorted((r["subject"] for r in vessels), key=str.casefold)
    listed = client.get("/watchlist?limit=3").text
    assert listed.count("<tr>") - 1 == 3 and f"Matches 1–3 of {len(matches):,}" in listed
    assert client.get("/watchlist?kind=ships").status_code == 400


def test_events_sort_in_the_database(client, demo_node):  # noqa: F811
    demo_node.detect()
    login(client, "jcg.watch")
    by_type = rows_of(client.get("/events.csv?sort=type&dir=desc"))
    types = [r["type"] for r in by_type]
    assert types == sorted(types, reverse=True) and len(set(types)) > 1
    page = client.get("/events?sort=type&dir=desc&limit=3").text
    assert re.findall(r'<tr id="ev-([^"]+)"', page) == [r["id"] for r in by_type[:3]]
    assert 'aria-sort="descending"' in page and 'data-testid="sort-start"' in page
    bad = client.get("/events?sort=details")
    assert bad.status_code == 400 and "sort:" in bad.text and "<html" in bad.text.lower()


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)  # the SQL paths: test_events_sort_in_the_database
def test_the_analyst_lands_on_searches_duplicates_and_watchlist_changes(client, demo_node, tmp_path):  # noqa: F811
    login(client, "jcg.watch")
    named = [r for r in rows_of(client.get("/vessels.csv")) if r["name"].isalpha()][:3]
    assert "analyst-desk" not in client.get("/").text  # a watch officer's desk is the risk list
    client.cookies.clear()
    listed_vessels(demo_node, named, tmp_path)
    login(client, "kcg.analyst")
    empty = client.get("/").text
    assert 'data-testid="analyst-desk"' in empty and "Your searches will be listed here" in empty
    for q in ("daesung", "pong su", "daesung"):
        client.get("/search", params={"q": q})
    client.get("/search", params={"q": "office", "schema": "Organization"})
    desk = client.get("/").text
    searches = re.findall(r'<li><a href="/search\?q=([^"]+)">', desk.split('data-testid="recent-searches"')[1].split("</section>")[0])
    assert searches == ["office&amp;schema=Organization", "daesung", "pong%20su"]  # newest first, once each
    changes = desk.split('data-testid="watchlist-changes"')[1].split("</section>")[0]
    assert all(f"MMSI {v['mmsi']}" in changes for v in named) and "newest first" in changes
    newest = rows_of(client.get("/watchlist.csv?sort=screened&dir=desc"))
    assert newest[0]["screened"] >= newest[-1]["screened"]
    assert 'data-testid="duplicates-to-judge"' in desk


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)  # the SQL paths: test_events_sort_in_the_database
def test_claims_candidates_and_judgements_filter_page_sort_and_download(client, demo_node, tmp_path):  # noqa: F811
    login(client, "afp.analyst")
    # SYNTHETIC records of a second source naming the case file's organisations: candidates to judge
    named = [r for r in rows_of(client.get("/search.csv?schema=Organization")) if r["id"].startswith("case-")][:6]
    lines = ["# SYNTHETIC organisations named again by another source", "dataset: test-listing-again",
             'title: "SYNTHETIC: listing again"', "agency: AFP", "synthetic: true", "defaults:", "  marking: {tlp: GREEN}",
             "  grade: C3", "sources:", "  - id: test-listing-again-source", '    title: "SYNTHETIC listing again"',
             "    kind: agency_report", "    reliability: C", "entities:"]
    for i, r in enumerate(named):
        lines += [f"  - id: test-again-{i}", "    schema: Organization", "    source: test-listing-again-source",
                  "    properties:", f'      name: "{r["name"].upper()}"']
    (tmp_path / "again.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    demo_node.load(tmp_path / "again.yaml", screen=False)
    demo_node.screen()
    claims = rows_of(client.get("/claims.csv"))
    assert len(claims) > 10 and {"claim", "low", "best", "high", "unit", "source", "marking"} <= claims[0].keys()
    assert f"Claims 2–3 of {len(claims):,}" in client.get("/claims?limit=2&offset=1").text
    bests = [float(r["best"]) for r in rows_of(client.get("/claims.csv?sort=best&dir=desc")) if r["best"]]
    assert bests == sorted(bests, reverse=True) and len(set(bests)) > 3
    heroin = rows_of(client.get("/claims.csv?q=HEROIN"))
    assert 0 < len(heroin) < len(claims) and all("heroin" in ",".join(r.values()).lower() for r in heroin)
    assert "No claim you may see holds" in client.get("/claims?q=zzzz-nothing").text

    candidates = rows_of(client.get("/resolve.csv"))
    assert len(candidates) > 3 and all(r["marking"].startswith("TLP:") for r in candidates)
    scores = [float(r["score"]) for r in candidates]
    assert scores == sorted(scores, reverse=True)
    by_record = [r["record"] for r in rows_of(client.get("/resolve.csv?sort=record"))]
    assert by_record == sorted(by_record, key=str.casefold)
    second = client.get("/resolve?limit=2&offset=2").text
    assert f"Candidates 3–4 of {len(candidates):,}" in second
    pair = candidates[2]
    assert f'data-testid="judge-{pair["left_id"]}-{pair["right_id"]}"' in second
    # judging from a later page returns to that page; a refused judgement comes back with the page's query kept
    back = "/resolve?limit=2&offset=2"
    assert html.escape(back) in second
    done = form_post(client, "/resolve/judge", data={"left": pair["left_id"], "right": pair["right_id"], "judgement": "different",
                                                     "note": "test listing", "next": back}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == back
    refused = form_post(client, "/resolve/judge", data={"left": pair["left_id"], "right": pair["left_id"], "judgement": "same",
                                                        "next": back}, follow_redirects=False)
    assert refused.headers["location"].startswith(back + "&error=")
    assert len(rows_of(client.get("/resolve.csv"))) == len(candidates) - 1  # judged pairs leave the list

    judgements = rows_of(client.get("/judgements.csv"))
    assert [(r["left_id"], r["judgement"], r["note"]) for r in judgements] == [(pair["left_id"], "different", "test listing")]
    assert judgements[0]["who"] == "afp.analyst (AFP)" and judgements[0]["marking"].startswith("TLP:")
    listed = client.get("/judgements?q=test+listing").text
    assert "Judgements 1–1 of 1" in listed and ">Undo</button>" in listed
    assert "No judgements you may see yet" in client.get("/judgements?q=zzzz-nothing").text
    assert client.get("/judgements?sort=marking").status_code == 400
