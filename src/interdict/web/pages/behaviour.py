"""The map (Leaflet shipped in the package, base map from Natural Earth, no tile server), the
events list with filters, and the risk ranking."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from interdict.api import EVENT_TYPES, UserSession
from interdict.web.deps import page_session, render, utc

router = APIRouter(include_in_schema=False)


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, me: UserSession = Depends(page_session)) -> HTMLResponse:
    me.ais_markings()  # the map draws tracks from every batch the user may see
    return render(request, "map.html", me, types=EVENT_TYPES)


@router.get("/events", response_class=HTMLResponse)
def events_page(request: Request, type: list[str] | None = Query(None), mmsi: int | None = None,
                since: datetime | None = None, until: datetime | None = None, limit: int = 500,
                me: UserSession = Depends(page_session)) -> HTMLResponse:
    rows = me.events(types=tuple(type or ()), mmsi=mmsi, since=utc(since), until=utc(until), limit=limit)
    return render(request, "events.html", me, events=rows, types=EVENT_TYPES, chosen=set(type or ()), mmsi=mmsi,
                  since=since, until=until, limit=limit)


@router.get("/risk", response_class=HTMLResponse)
def risk_page(request: Request, me: UserSession = Depends(page_session)) -> HTMLResponse:
    return render(request, "risk.html", me, ranked=me.risk(top=50))
