"""The map (Leaflet shipped in the package, base map from Natural Earth, no tile server), the
events list with filters, and the risk ranking."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from interdict.api import EVENT_TYPES, UserSession
from interdict.web.deps import OptionalMmsi, page_session, readable_details, render, utc
from interdict.web.listing import Column, csv_download, database_page, page_request, sorted_page, sorted_rows

router = APIRouter(include_in_schema=False)


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, me: UserSession = Depends(page_session)) -> HTMLResponse:
    me.ais_markings()  # the map draws tracks from every batch the user may see
    return render(request, "map.html", me, types=EVENT_TYPES)


EVENT_COLUMNS = (
    Column("type", "Type", lambda e: e["type"]),
    Column("mmsi", "Vessel", lambda e: e["mmsi"], numeric=True),
    Column("other", "Other", lambda e: e["other_mmsi"], numeric=True),
    Column("start", "Start (UTC)", lambda e: e["start"]),
    Column("end", "End", lambda e: e["end"]),
    Column("where", "Where", lambda e: e["lat"], sortable=False),
    Column("details", "Details", lambda e: e["details"], sortable=False),
)


@router.get("/events", response_class=HTMLResponse)
def events_page(request: Request, type: list[str] | None = Query(None), mmsi: OptionalMmsi = None,
                since: datetime | None = None, until: datetime | None = None,
                me: UserSession = Depends(page_session)) -> HTMLResponse:
    asked = page_request(request, EVENT_COLUMNS, sort="start", limit=500)
    rows = me.events(types=tuple(type or ()), mmsi=mmsi, since=utc(since), until=utc(until), limit=asked.limit + 1,
                     offset=asked.offset, sort=asked.sort, descending=asked.descending)
    names = me.vessel_names()
    me.ais_markings()  # the vessels' names come from the batches this user may see
    page = database_page(request, rows, EVENT_COLUMNS, asked, default_sort="start")
    return render(request, "events.html", me, page=page, events=page.rows, types=EVENT_TYPES, chosen=set(type or ()),
                  mmsi=mmsi, since=since, until=until, names=names)


@router.get("/events.csv")
def events_csv(request: Request, type: list[str] | None = Query(None), mmsi: OptionalMmsi = None,
               since: datetime | None = None, until: datetime | None = None,
               me: UserSession = Depends(page_session)) -> Response:
    """Every event of the filter as CSV, in the page's order (details as readable text), for a spreadsheet."""
    asked = page_request(request, EVENT_COLUMNS, sort="start")
    rows = me.events(types=tuple(type or ()), mmsi=mmsi, since=utc(since), until=utc(until), sort=asked.sort,
                     descending=asked.descending)
    names = me.vessel_names()
    me.ais_markings()
    columns = (
        Column("id", "Id", lambda e: e["id"]), EVENT_COLUMNS[0], EVENT_COLUMNS[1],
        Column("vessel", "Vessel", lambda e: names.get(e["mmsi"])), Column("other_mmsi", "Other", lambda e: e["other_mmsi"]),
        Column("other_vessel", "Other vessel", lambda e: names.get(e["other_mmsi"]) if e["other_mmsi"] else None),
        EVENT_COLUMNS[3], EVENT_COLUMNS[4], Column("lat", "Lat", lambda e: e["lat"]), Column("lon", "Lon", lambda e: e["lon"]),
        Column("details", "Details", lambda e: readable_details(e["details"])),
    )
    return csv_download(rows, columns, marking=me.banner.label, filename="interdict-events.csv")


def _reasons(r: dict[str, Any]) -> str:
    return "; ".join(f"+{x['weight']:.0f} {x['text']}" for x in r["reasons"])


RISK_COLUMNS = (
    Column("score", "Score", lambda r: round(r["score"], 1), numeric=True),
    Column("vessel", "Vessel", lambda r: r.get("name") or str(r["mmsi"])),
    Column("mmsi", "MMSI", lambda r: r["mmsi"], numeric=True),
    Column("reasons", "Why", lambda r: len(r["reasons"]), numeric=True),
)


@router.get("/risk", response_class=HTMLResponse)
def risk_page(request: Request, me: UserSession = Depends(page_session)) -> HTMLResponse:
    page = sorted_page(request, me.ranking(), RISK_COLUMNS, sort="score", descending=True, limit=50)
    me.show_risk(page.rows)  # the page's banner: what its rows cite, not the whole ranking
    return render(request, "risk.html", me, page=page)


@router.get("/risk.csv")
def risk_csv(request: Request, me: UserSession = Depends(page_session)) -> Response:
    """The whole ranking, in the page's order, each score with its reasons in words."""
    rows = sorted_rows(request, me.risk(), RISK_COLUMNS, sort="score", descending=True)
    columns = (*RISK_COLUMNS[:3], Column("reasons", "Why", _reasons),
               Column("evidence", "Evidence", lambda r: sorted({e for x in r["reasons"] for e in x["evidence"]})))
    return csv_download(rows, columns, marking=me.banner.label, filename="interdict-risk.csv")
