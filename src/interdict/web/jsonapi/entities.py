"""Node health, the caller, overview, search, entities, claims and the FtM export."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse

from interdict import __version__
from interdict.api import UserSession
from interdict.errors import NotFound
from interdict.web import models
from interdict.web.deps import api_session, node_of
from interdict.web.jsonapi.errors import http_error

router = APIRouter(prefix="/api")


@router.get("/health", tags=["node"], response_model=models.Health)
def health(request: Request) -> dict[str, Any]:
    """Liveness and database reachability (no login needed, no data revealed)."""
    node = node_of(request)
    with node.workspace.engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    return {"status": "ok", "version": __version__, "database": node.workspace.backend}


@router.get("/me", tags=["node"], response_model=models.Me)
def me_api(me: UserSession = Depends(api_session)) -> dict[str, Any]:
    u = me.user
    return {"username": u.username, "agency": u.agency.code, "country": u.agency.country, "roles": sorted(u.roles)}


@router.get("/overview", tags=["entities"], response_model=models.Overview)
def overview_api(me: UserSession = Depends(api_session)) -> dict[str, Any]:
    return me.overview()


@router.get("/search", tags=["entities"], response_model=list[models.SearchResult])
def search_api(q: str = Query("", description="Part of a name or identifier"), schema: str | None = None,
               limit: int = Query(25, ge=1, le=500), me: UserSession = Depends(api_session)) -> list[dict[str, Any]]:
    return [{"id": v.id, "schema": v.schema, "caption": v.caption, "banner": v.banner.to_dict()}
            for v in me.search(q, schema=schema, limit=limit)]


@router.get("/entities/{entity_id}", tags=["entities"], response_model=models.EntityOut)
def entity_api(entity_id: str, me: UserSession = Depends(api_session)) -> dict[str, Any]:
    try:
        return me.entity(entity_id).to_dict()
    except NotFound as exc:
        raise http_error(exc) from None


@router.get("/claims", tags=["entities"], response_model=list[models.ClaimOut])
def claims_api(entity: str | None = None, me: UserSession = Depends(api_session)) -> list[dict[str, Any]]:
    return [c.to_dict() for c in me.claims(entity_id=entity)]


class Download(FileResponse):
    chunk_size = 1024 * 1024  # a large export in 1 MB reads, not 64 KB (each read is a hop to a worker thread)


@router.get("/export.ftm.jsonl", tags=["entities"])
def export_api(me: UserSession = Depends(api_session)) -> Download:
    """FollowTheMoney JSON lines of what the caller may pass on outside the node."""
    return Download(me.export_ftm_file(), media_type="application/x-ndjson", filename="interdict-export.ftm.jsonl")

