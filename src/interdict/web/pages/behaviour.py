"""The map (Leaflet shipped in the package, base map from Natural Earth, no tile server), the
events list with filters, and the risk ranking."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from interdict.api import EVENT_TYPES, UserSession
from interdict.web.deps import OptionalMmsi, page_session, readable_details, render, utc

router = APIRouter(include_in_schema=False)


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, me: UserSession = Depends(page_session)) -> HTMLResponse:
    me.ais_markings()  # the map draws tracks from every batch the user may see
    return render(request, "map.html", me, types=EVENT_TYPES)


@router.get("/events", response_class=HTMLResponse)
def events_page(request: Request, type: list[str] | None = Query(None), mmsi: OptionalMmsi = None,
                since: datetime | None = None, until: datetime | None = None, limit: int = Query(500, ge=1, le=5000),
                offset: int = Query(0, ge=0), me: UserSession = Depends(page_session)) -> HTMLResponse:
    rows = me.events(types=tuple(type or ()), mmsi=mmsi, since=utc(since), until=utc(until), limit=limit + 1, offset=offset)
    names = me.vessel_names()
    me.ais_markings()  # the vessels' names come from the batches this user may see
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "offset"]
    return render(request, "events.html", me, events=rows[:limit], types=EVENT_TYPES, chosen=set(type or ()), mmsi=mmsi,
                  since=since, until=until, limit=limit, offset=offset, more=len(rows) > limit, names=names,
                  page_url=lambda at: "/events?" + urlencode([*query, ("offset", at)]),
                  csv_url="/events.csv?" + urlencode([(k, v) for k, v in query if k != "limit"]))


EVENT_CSV_COLUMNS = ("id", "type", "mmsi", "vessel", "other_mmsi", "other_vessel", "start", "end", "lat", "lon", "details")


@router.get("/events.csv")
def events_csv(type: list[str] | None = Query(None), mmsi: OptionalMmsi = None, since: datetime | None = None,
               until: datetime | None = None, me: UserSession = Depends(page_session)) -> Response:
    """Every event of the filter as CSV (details as readable text), for a spreadsheet."""
    rows = me.events(types=tuple(type or ()), mmsi=mmsi, since=utc(since), until=utc(until))
    names = me.vessel_names()
    me.ais_markings()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*EVENT_CSV_COLUMNS, "marking"])
    banner = me.banner.label
    for e in rows:
        writer.writerow([e["id"], e["type"], e["mmsi"], names.get(e["mmsi"], ""), e["other_mmsi"] or "",
                         names.get(e["other_mmsi"], "") if e["other_mmsi"] else "", e["start"] or "", e["end"] or "",
                         e["lat"] if e["lat"] is not None else "", e["lon"] if e["lon"] is not None else "",
                         readable_details(e["details"]), banner])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="interdict-events.csv"'})


@router.get("/risk", response_class=HTMLResponse)
def risk_page(request: Request, me: UserSession = Depends(page_session)) -> HTMLResponse:
    return render(request, "risk.html", me, ranked=me.risk(top=50))
