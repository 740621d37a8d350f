"""Behaviour events, risk, and the map's data and base map."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from interdict.api import UserSession, data_path
from interdict.web import models
from interdict.web.deps import OptionalMmsi, api_session, utc

router = APIRouter(prefix="/api", tags=["behaviour"])

TRACK_POINTS = 400  # per vessel on the map (evenly thinned)
MAP_VESSELS = 60


@router.get("/events", response_model=list[models.EventOut])
def events_api(type: list[str] | None = Query(None, description="gap, encounter, loitering, port_call, identity_change, spoofing, eez_transit"),
               mmsi: OptionalMmsi = None, since: datetime | None = None, until: datetime | None = None,
               limit: int = Query(1000, ge=1, le=100_000), me: UserSession = Depends(api_session)) -> list[dict[str, Any]]:
    """Behaviour events the caller may see (every batch an event rests on must be visible)."""
    return me.events(types=tuple(type or ()), mmsi=mmsi, since=utc(since), until=utc(until), limit=limit)


@router.get("/risk", response_model=list[models.RiskOut])
def risk_api(top: int = Query(20, ge=1, le=10_000), me: UserSession = Depends(api_session)) -> list[dict[str, Any]]:
    """Vessels ranked by risk from the events the caller may see, with reasons and evidence."""
    return me.risk(top=top)


@router.get("/map/land.geojson")
def land_api(me: UserSession = Depends(api_session)) -> Response:
    """The base map: Natural Earth 1:110m countries (public domain), shipped in the package."""
    return Response(data_path("reference/ne_110m_admin_0_countries.json").read_bytes(), media_type="application/geo+json",
                    headers={"Cache-Control": "max-age=86400"})


@router.get("/map/data", response_model=models.MapData)
def map_data_api(type: list[str] | None = Query(None), mmsi: OptionalMmsi = None,
                 since: datetime | None = None, until: datetime | None = None,
                 me: UserSession = Depends(api_session)) -> dict[str, Any]:
    """Events as markers and the tracks of the vessels they concern (segments numbered), for
    the map: the vessels with the most events first, at most 60, tracks thinned to 400 fixes."""
    return me.map_data(types=tuple(type or ()), mmsi=mmsi, since=utc(since), until=utc(until), vessels=MAP_VESSELS,
                       points=TRACK_POINTS)
