"""The vessels list and a vessel's page (identity, track, events, risk, screening matches)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from interdict.api import UserSession
from interdict.errors import NotFound
from interdict.web.deps import Mmsi, page_session, render
from interdict.web.listing import Column, csv_download, sorted_page, sorted_rows

router = APIRouter(include_in_schema=False)


def track_svg(track: Any, width: int = 640, height: int = 360) -> str:
    """A vessel's track (a Polars frame with lat, lon) as an inline SVG polyline (equirectangular,
    fitted and centred; the last fix marked): needs nothing from outside."""
    if track.height < 2:
        return ""
    lon, lat = track["lon"].to_list(), track["lat"].to_list()
    x0, x1, y0, y1 = min(lon), max(lon), min(lat), max(lat)
    pad = 16
    scale = min((width - 2 * pad) / max(x1 - x0, 1e-4), (height - 2 * pad) / max(y1 - y0, 1e-4))
    dx = (width - (x1 - x0) * scale) / 2
    dy = (height - (y1 - y0) * scale) / 2
    xy = [(dx + (x - x0) * scale, height - dy - (y - y0) * scale) for x, y in zip(lon, lat)]
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    return (f'<svg class="track" viewBox="0 0 {width} {height}" role="img" aria-label="Track of {track.height} positions">'
            f'<polyline points="{points}" fill="none" stroke="#0b4f8a" stroke-width="1.5"/>'
            f'<circle cx="{xy[-1][0]:.1f}" cy="{xy[-1][1]:.1f}" r="4" fill="#c0392b"/></svg>')


VESSEL_COLUMNS = (
    Column("mmsi", "MMSI", lambda v: v["mmsi"], numeric=True),
    Column("name", "Name", lambda v: v.get("name")),
    Column("imo", "IMO", lambda v: v.get("imo"), numeric=True),
    Column("callsign", "Call sign", lambda v: v.get("callsign")),
    Column("ship_type", "Type", lambda v: v.get("ship_type"), numeric=True),
    Column("flag", "Flag (from MMSI)", lambda v: v.get("flag")),
    Column("positions", "Positions", lambda v: v.get("positions"), numeric=True),
    Column("first_seen", "First seen (UTC)", lambda v: v.get("first_seen")),
    Column("last_seen", "Last seen (UTC)", lambda v: v.get("last_seen")),
)
ALL_VESSELS = 1_000_000_000


@router.get("/vessels", response_class=HTMLResponse)
def vessels_page(request: Request, q: str = "", me: UserSession = Depends(page_session)) -> HTMLResponse:
    page = sorted_page(request, me.vessels(q, limit=ALL_VESSELS), VESSEL_COLUMNS, sort="positions", descending=True)
    return render(request, "vessels.html", me, q=q, page=page, stats=me.ais_stats())


@router.get("/vessels.csv")
def vessels_csv(request: Request, q: str = "", me: UserSession = Depends(page_session)) -> Response:
    """Every vessel of the search, in the page's order, as CSV."""
    rows = sorted_rows(request, me.vessels(q, limit=ALL_VESSELS), VESSEL_COLUMNS, sort="positions", descending=True)
    return csv_download(rows, VESSEL_COLUMNS, marking=me.banner.label, filename="interdict-vessels.csv")


@router.get("/vessels/{mmsi}", response_class=HTMLResponse)
def vessel_page(request: Request, mmsi: Mmsi, me: UserSession = Depends(page_session)) -> HTMLResponse:
    try:
        vessel = me.vessel(mmsi)
    except NotFound:
        return render(request, "not_found.html", me, 404, what=f"MMSI {mmsi}")
    track = me.track(mmsi)
    scored = me.risk(mmsi=mmsi)
    return render(request, "vessel.html", me, vessel=vessel, track=track.tail(200).reverse().to_dicts(),
                  track_svg=track_svg(track), events=me.events(mmsi=mmsi, limit=500), risk=scored[0] if scored else None,
                  matches=me.watchlist(subject_kind="vessel", subject=str(mmsi)))
