"""The track store: what it holds for the caller, vessels, a vessel's track."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
from fastapi import APIRouter, Depends, Query, Response

from interdict.api import UserSession, flag_names
from interdict.errors import NotFound
from interdict.web import models
from interdict.web.deps import Mmsi, api_session, utc
from interdict.web.jsonapi.errors import http_error

router = APIRouter(prefix="/api", tags=["ais"])


@router.get("/ais/stats", response_model=models.AisStats)
def ais_stats_api(me: UserSession = Depends(api_session)) -> dict[str, Any]:
    """What the track store holds that the caller may see."""
    return me.ais_stats()


@router.get("/vessels", response_model=list[models.VesselOut])
def vessels_api(response: Response, q: str = Query("", description="Part of a name, MMSI, IMO or call sign"),
                limit: int = Query(100, ge=1, le=1_000, description="Vessels per page"),
                offset: int = Query(0, ge=0, description="Vessels to skip (the page's start)"),
                me: UserSession = Depends(api_session)) -> list[dict[str, Any]]:
    """A page of the vessels the caller may see, the most heard first; `X-Total-Count` gives how
    many there are in all."""
    response.headers["X-Total-Count"] = str(me.vessel_count(q))
    return me.vessels(q, limit=limit, offset=offset)


@router.get("/vessels/{mmsi}", response_model=models.VesselOut)
def vessel_api(mmsi: Mmsi, me: UserSession = Depends(api_session)) -> dict[str, Any]:
    try:
        return me.vessel(mmsi)
    except NotFound as exc:
        raise http_error(exc) from None


@router.get("/vessels/{mmsi}/track", response_model=models.TrackOut)
def track_api(mmsi: Mmsi, start: datetime | None = Query(None, description="ISO 8601, inclusive"),
              end: datetime | None = Query(None, description="ISO 8601, inclusive"),
              me: UserSession = Depends(api_session)) -> dict[str, Any]:
    """Positions of one vessel in a time window, oldest first (times in UTC)."""
    track = me.track(mmsi, utc(start), utc(end))
    if track.height == 0:
        try:
            me.vessel(mmsi)
        except NotFound as exc:
            raise http_error(exc) from None
    rows = track.with_columns(pl.col("ts").dt.to_string("%Y-%m-%dT%H:%M:%S%.fZ")).to_dicts()
    for row in rows:
        row["flags"] = flag_names(row.get("flags") or 0)
    return {"mmsi": mmsi, "positions": rows}
