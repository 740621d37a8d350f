"""Behaviour pages and API: the map (Leaflet shipped in the package, base map drawn from Natural
Earth, no tile server), the events list with filters, and risk. Registered by `create_app`;
every read goes through the user's `UserSession` (events only where all their batches are visible)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, Optional

import polars as pl
from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response

from interdict.api import UserSession, data_path

TRACK_POINTS = 400  # per vessel on the map (evenly thinned)
MAP_VESSELS = 60


def _utc(value: Optional[datetime]) -> Optional[datetime]:
    return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)


def register(app: FastAPI, page_session: Callable[..., UserSession], api_session: Callable[..., UserSession],
             render: Callable[..., HTMLResponse]) -> None:
    from interdict.behaviour import detectors

    def batch_markings(me: UserSession, events: list[dict[str, Any]]) -> list:
        from interdict.markings import Marking
        from interdict.tables import ais_batches

        wanted = {b for e in events for b in e["batches"]}
        if not wanted:
            return []
        from sqlalchemy import select

        with me.node.workspace.engine.connect() as conn:
            rows = conn.execute(select(ais_batches).where(ais_batches.c.id.in_(wanted))).all()
        return [Marking.from_row(r) for r in rows]

    @app.get("/map", response_class=HTMLResponse, include_in_schema=False)
    def map_page(request: Request, me: UserSession = Depends(page_session)):
        return render(request, "map.html", me, me.node.tracks.markings(me.viewer), types=detectors.EVENT_TYPES)

    @app.get("/events", response_class=HTMLResponse, include_in_schema=False)
    def events_page(request: Request, type: Optional[list[str]] = Query(None), mmsi: Optional[int] = None,
                    since: Optional[datetime] = None, until: Optional[datetime] = None, limit: int = 500,
                    me: UserSession = Depends(page_session)):
        rows = me.events(types=tuple(type or ()), mmsi=mmsi, since=_utc(since), until=_utc(until), limit=limit)
        return render(request, "events.html", me, batch_markings(me, rows), events=rows, types=detectors.EVENT_TYPES,
                      chosen=set(type or ()), mmsi=mmsi, since=since, until=until, limit=limit)

    @app.get("/risk", response_class=HTMLResponse, include_in_schema=False)
    def risk_page(request: Request, me: UserSession = Depends(page_session)):
        ranked = me.risk(top=50)
        cited = {c for r in ranked for reason in r["reasons"] for c in reason["evidence"]}
        events = [e for e in me.events() if e["id"] in cited]
        return render(request, "risk.html", me, batch_markings(me, events), ranked=ranked)

    # -- API -----------------------------------------------------------------------------
    @app.get("/api/events", tags=["behaviour"])
    def events_api(type: Optional[list[str]] = Query(None, description="gap, encounter, loitering, port_call, identity_change, spoofing, eez_transit"),
                   mmsi: Optional[int] = None, since: Optional[datetime] = None, until: Optional[datetime] = None,
                   limit: int = Query(1000, ge=1, le=100_000), me: UserSession = Depends(api_session)) -> list[dict[str, Any]]:
        """Behaviour events the caller may see (every batch an event rests on must be visible)."""
        return me.events(types=tuple(type or ()), mmsi=mmsi, since=_utc(since), until=_utc(until), limit=limit)

    @app.get("/api/risk", tags=["behaviour"])
    def risk_api(top: int = Query(20, ge=1, le=10_000), me: UserSession = Depends(api_session)) -> list[dict[str, Any]]:
        """Vessels ranked by risk from the events the caller may see, with reasons and evidence."""
        return me.risk(top=top)

    @app.get("/api/map/land.geojson", tags=["behaviour"])
    def land_api(me: UserSession = Depends(api_session)) -> Response:
        """The base map: Natural Earth 1:110m countries (public domain), shipped in the package."""
        return Response(data_path("reference/ne_110m_admin_0_countries.json").read_bytes(), media_type="application/geo+json",
                        headers={"Cache-Control": "max-age=86400"})

    @app.get("/api/map/data", tags=["behaviour"])
    def map_data_api(type: Optional[list[str]] = Query(None), mmsi: Optional[int] = None,
                     since: Optional[datetime] = None, until: Optional[datetime] = None,
                     me: UserSession = Depends(api_session)) -> dict[str, Any]:
        """Events as markers and the tracks of the vessels they concern (segments numbered), for
        the map: the vessels with the most events first, at most 60, tracks thinned to 400 fixes."""
        events = me.events(types=tuple(type or ()), mmsi=mmsi, since=_utc(since), until=_utc(until), limit=5000)
        placed = [e for e in events if e["lat"] is not None]
        counts: dict[int, int] = {}
        for e in placed:
            counts[e["mmsi"]] = counts.get(e["mmsi"], 0) + 1
        vessels = sorted(counts, key=lambda m: -counts[m])[:MAP_VESSELS] if mmsi is None else [mmsi]
        tracks = {}
        for vessel in vessels:
            track = me.track(vessel, _utc(since), _utc(until))
            if track.height < 2:
                continue
            track = track.with_columns(pl.lit("v").alias("batch")).with_columns(
                pl.int_range(pl.len(), dtype=pl.Int64).alias("source_row"))
            segmented = detectors.prepare(track)
            step = max(1, segmented.height // TRACK_POINTS)
            thin = segmented.gather_every(step)
            tracks[str(vessel)] = {"lat": thin["lat"].round(5).to_list(), "lon": thin["lon"].round(5).to_list(),
                                   "t": thin["ts"].dt.epoch("s").to_list(), "segment": thin["segment"].to_list()}
        return {"events": placed[:2000], "tracks": tracks}
