"""The web app: Jinja2 pages for people, a JSON API under /api for programs.

Pages use a signed session cookie set at login (argon2-checked password); the API takes
`Authorization: Bearer <token>` or the same session. Every read goes through the user's
`UserSession`, so the one access decision applies to pages and API alike. All CSS and JS ships in
`interdict/web/static`: nothing is fetched from the internet (users are often air-gapped).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Optional

import polars as pl
from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from interdict import __version__
from interdict.api import Interdict, UserSession
from interdict.errors import AuthError, NotFound
from interdict.ais.quality import flag_names
from interdict.markings import TLP, Marking, highest

HERE = Path(__file__).parent


def track_svg(track: pl.DataFrame, width: int = 640, height: int = 360) -> str:
    """A vessel's track as an inline SVG polyline (equirectangular, fitted and centred; the last
    fix marked). The map with coastlines comes with the behaviour analytics; this needs nothing
    from outside."""
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


def create_app(node: Interdict) -> FastAPI:
    app = FastAPI(title="Interdict", version=__version__, docs_url="/api/docs", openapi_url="/api/openapi.json", redoc_url=None)
    app.add_middleware(SessionMiddleware, secret_key=node.workspace.secret_key(), session_cookie="interdict_session",
                       same_site="strict", https_only=False, max_age=12 * 3600)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals["version"] = __version__
    templates.env.filters["tlp_class"] = lambda tlp: "tlp-" + TLP(tlp).value.lower().replace("+", "-")
    templates.env.filters["num"] = lambda v: "" if v is None else f"{v:,.6g}"
    templates.env.filters["flags"] = lambda bits: ", ".join(flag_names(bits or 0)).replace("_", " ")
    app.state.node = node

    # -- who is asking -------------------------------------------------------------------
    def api_session(request: Request) -> UserSession:
        header = request.headers.get("authorization", "")
        try:
            if header.lower().startswith("bearer "):
                return node.session_for(node.registry.user_for_token(header[7:]))
            username = request.session.get("user")
            if username:
                return node.as_user(username)
        except AuthError as exc:
            raise HTTPException(status_code=401, detail=str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
        raise HTTPException(status_code=401, detail="log in or send an API token", headers={"WWW-Authenticate": "Bearer"})

    def page_session(request: Request) -> UserSession:
        """The logged-in user; otherwise 401, which the handler below turns into the login page."""
        username = request.session.get("user")
        if username:
            try:
                return node.as_user(username)
            except AuthError:
                request.session.clear()
        raise HTTPException(status_code=401, detail="log in first")

    def render(request: Request, template: str, me: UserSession, banner_markings: list, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(
            request, template, {"me": me, "banner": highest(banner_markings), **context}
        )

    def login_redirect(request: Request) -> RedirectResponse:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    # -- pages ---------------------------------------------------------------------------
    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next: str = "/", error: str = "") -> HTMLResponse:
        return templates.TemplateResponse(request, "login.html", {"next": next, "error": error, "me": None, "banner": None})

    @app.post("/login", include_in_schema=False)
    def login(request: Request, username: str = Form(...), password: str = Form(...), next: str = Form("/")):
        try:
            user = node.registry.authenticate(username, password)
        except AuthError as exc:
            return templates.TemplateResponse(request, "login.html", {"next": next, "error": str(exc), "me": None, "banner": None},
                                              status_code=401)
        request.session.clear()
        request.session["user"] = user.username
        target = next if next.startswith("/") and not next.startswith("//") else "/"
        return RedirectResponse(target, status_code=303)

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request) -> RedirectResponse:
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def overview_page(request: Request, me: UserSession = Depends(page_session)):
        overview = me.overview()
        return render(request, "overview.html", me, [], overview=overview)

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request, q: str = "", schema: str = "", me: UserSession = Depends(page_session)):
        results = me.search(q, schema=schema or None, limit=100) if q or schema else []
        # names spelled another way (romanisations, word order, legal forms), each with its reason
        shown = {v.id for v in results}
        similar = [h for h in me.screen(q, schema=schema or None, limit=15, threshold=0.7) if h.id not in shown] if q.strip() else []
        markings = [s.marking for v in results for s in v.statements if s.prop_type in ("name", "identifier")]
        markings += [s.marking for v in me.node.reader.entities(me.viewer, [h.id for h in similar]).values()
                     for s in v.statements if s.prop_type in ("name", "identifier")]
        return render(request, "search.html", me, markings, q=q, schema=schema, results=results, similar=similar)

    @app.get("/entities/{entity_id}", response_class=HTMLResponse, include_in_schema=False)
    def entity_page(request: Request, entity_id: str, error: str = "", me: UserSession = Depends(page_session)):
        try:
            view = me.entity(entity_id)
        except NotFound:
            return render(request, "not_found.html", me, [], what=entity_id)
        claim_rows = me.claims(entity_id=entity_id)
        cluster = me.cluster(entity_id)
        merged = me.merged_entity(entity_id) if len(cluster["members"]) > 1 else None
        markings = [s.marking for s in view.statements] + [s.marking for r in view.relations for s in r.statements]
        markings += [c.marking for c in claim_rows] + [s.marking for s in (merged.statements if merged else [])]
        judgement_rows = me.judgements(entity_id=entity_id, include_retracted=True)
        markings += [Marking.parse(j["marking"]) for j in judgement_rows]
        captions = {k: v.caption for k, v in me.node.reader.entities(me.viewer, cluster["members"]).items()}
        return render(request, "entity.html", me, markings, entity=view, claims=claim_rows, cluster=cluster, merged=merged,
                      captions=captions, judgements=judgement_rows, candidates=me.duplicate_candidates(entity_id=entity_id, limit=10),
                      matches=me.watchlist(subject_kind="entity", subject=entity_id), error=error)

    @app.get("/claims", response_class=HTMLResponse, include_in_schema=False)
    def claims_page(request: Request, me: UserSession = Depends(page_session)):
        rows = me.claims()
        return render(request, "claims.html", me, [c.marking for c in rows], claims=rows)

    @app.get("/vessels", response_class=HTMLResponse, include_in_schema=False)
    def vessels_page(request: Request, q: str = "", me: UserSession = Depends(page_session)):
        rows = me.vessels(q, limit=200)
        stats = me.ais_stats()
        return render(request, "vessels.html", me, node.tracks.markings(me.viewer), q=q, vessels=rows, stats=stats)

    @app.get("/vessels/{mmsi}", response_class=HTMLResponse, include_in_schema=False)
    def vessel_page(request: Request, mmsi: int, me: UserSession = Depends(page_session)):
        try:
            vessel = me.vessel(mmsi)
        except NotFound:
            return render(request, "not_found.html", me, [], what=f"MMSI {mmsi}")
        track = me.track(mmsi)
        events = me.events(mmsi=mmsi, limit=500)
        scored = [r for r in me.risk() if r["mmsi"] == mmsi]
        matches = me.watchlist(subject_kind="vessel", subject=str(mmsi))
        matched = me.node.reader.entities(me.viewer, {m["entity_id"] for m in matches})
        markings = node.tracks.markings(me.viewer, mmsi) + [s.marking for v in matched.values() for s in v.statements]
        return render(request, "vessel.html", me, markings, vessel=vessel,
                      track=track.tail(200).reverse().to_dicts(), track_svg=track_svg(track), events=events,
                      risk=scored[0] if scored else None, matches=matches)

    from interdict.web.behaviour import register as register_behaviour
    from interdict.web.intel import register as register_intel
    from interdict.web.monitoring import register as register_monitoring

    register_behaviour(app, page_session, api_session, render)
    register_monitoring(app, page_session, api_session, render)
    register_intel(app, page_session, api_session, render)

    # -- API -----------------------------------------------------------------------------
    @app.get("/api/health", tags=["node"])
    def health() -> dict[str, Any]:
        """Liveness and database reachability (no login needed, no data revealed)."""
        with node.workspace.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return {"status": "ok", "version": __version__, "database": node.workspace.backend}

    @app.get("/api/me", tags=["node"])
    def me_api(me: UserSession = Depends(api_session)) -> dict[str, Any]:
        u = me.user
        return {"username": u.username, "agency": u.agency.code, "country": u.agency.country, "roles": sorted(u.roles)}

    @app.get("/api/overview", tags=["entities"])
    def overview_api(me: UserSession = Depends(api_session)) -> dict[str, Any]:
        return me.overview()

    @app.get("/api/search", tags=["entities"])
    def search_api(q: str = Query("", description="Part of a name or identifier"), schema: Optional[str] = None,
                   limit: int = Query(25, ge=1, le=500), me: UserSession = Depends(api_session)) -> list[dict[str, Any]]:
        return [{"id": v.id, "schema": v.schema, "caption": v.caption, "banner": v.banner.to_dict()}
                for v in me.search(q, schema=schema, limit=limit)]

    @app.get("/api/entities/{entity_id}", tags=["entities"])
    def entity_api(entity_id: str, me: UserSession = Depends(api_session)) -> dict[str, Any]:
        try:
            return me.entity(entity_id).to_dict()
        except NotFound as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None

    @app.get("/api/claims", tags=["entities"])
    def claims_api(entity: Optional[str] = None, me: UserSession = Depends(api_session)) -> list[dict[str, Any]]:
        return [c.to_dict() for c in me.claims(entity_id=entity)]

    @app.get("/api/export.ftm.jsonl", tags=["entities"])
    def export_api(me: UserSession = Depends(api_session)) -> StreamingResponse:
        """FollowTheMoney JSON lines of what the caller may pass on outside the node."""

        def lines() -> Iterator[str]:
            for item in me.export_ftm():
                yield json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n"

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    @app.get("/api/ais/stats", tags=["ais"])
    def ais_stats_api(me: UserSession = Depends(api_session)) -> dict[str, Any]:
        """What the track store holds that the caller may see."""
        return me.ais_stats()

    @app.get("/api/vessels", tags=["ais"])
    def vessels_api(q: str = Query("", description="Part of a name, MMSI, IMO or call sign"),
                    limit: int = Query(100, ge=1, le=10_000), me: UserSession = Depends(api_session)) -> list[dict[str, Any]]:
        return me.vessels(q, limit=limit)

    @app.get("/api/vessels/{mmsi}", tags=["ais"])
    def vessel_api(mmsi: int, me: UserSession = Depends(api_session)) -> dict[str, Any]:
        try:
            return me.vessel(mmsi)
        except NotFound as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None

    @app.get("/api/vessels/{mmsi}/track", tags=["ais"])
    def track_api(mmsi: int, start: Optional[datetime] = Query(None, description="ISO 8601, inclusive"),
                  end: Optional[datetime] = Query(None, description="ISO 8601, inclusive"),
                  me: UserSession = Depends(api_session)) -> dict[str, Any]:
        """Positions of one vessel in a time window, oldest first (times in UTC)."""
        utc = lambda t: t if t is None or t.tzinfo else t.replace(tzinfo=timezone.utc)  # noqa: E731
        track = me.track(mmsi, utc(start), utc(end))
        if track.height == 0:
            try:
                me.vessel(mmsi)
            except NotFound as exc:
                raise HTTPException(status_code=404, detail=str(exc)) from None
        rows = track.with_columns(pl.col("ts").dt.to_string("%Y-%m-%dT%H:%M:%S%.fZ")).to_dicts()
        for row in rows:
            row["flags"] = flag_names(row.get("flags") or 0)
        return {"mmsi": mmsi, "positions": rows}

    @app.exception_handler(401)
    async def unauthorized(request: Request, exc: HTTPException):  # type: ignore[no-untyped-def]
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=401, headers=getattr(exc, "headers", None))
        return login_redirect(request)

    return app
