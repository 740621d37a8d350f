"""Intelligence pages and API: screening form, watchlist matches, candidate duplicates with
judgement buttons, and the entity graph (Cytoscape.js shipped in the package) with a path finder.
Registered by `create_app`; every read goes through the user's `UserSession`."""

from __future__ import annotations

from typing import Any, Callable, Optional

from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel

from interdict.api import UserSession
from interdict.errors import AuthError, NotFound, ValidationError
from interdict.markings import Marking
from interdict.intel.matching import THRESHOLD

SCHEMATA = ("Vessel", "Company", "Organization", "Person", "LegalEntity")


class JudgementIn(BaseModel):
    left: str
    right: str
    judgement: str
    note: Optional[str] = None
    score: Optional[float] = None
    marking: Optional[dict[str, Any]] = None


def _resolve_entity(me: UserSession, text: str) -> str:
    """An entity id, or the best search hit for a name."""
    text = text.strip()
    try:
        return me.entity(text).id
    except NotFound:
        hits = me.search(text, limit=1)
        if not hits:
            raise NotFound(f"no entity {text!r}") from None
        return hits[0].id


def register(app: FastAPI, page_session: Callable[..., UserSession], api_session: Callable[..., UserSession],
             render: Callable[..., HTMLResponse]) -> None:

    def fail(exc: Exception) -> HTTPException:
        status = 404 if isinstance(exc, NotFound) else 403 if isinstance(exc, AuthError) else 422
        return HTTPException(status_code=status, detail=str(exc))

    # -- pages ---------------------------------------------------------------------------
    @app.get("/screen", response_class=HTMLResponse, include_in_schema=False)
    def screen_page(request: Request, q: str = "", schema: str = "", country: str = "", min_score: float = 0.5,
                    me: UserSession = Depends(page_session)):
        error, hits = None, []
        if q.strip():
            try:
                hits = me.screen(q, schema=schema or None, country=country or None, limit=20, threshold=min_score)
            except ValidationError as exc:
                error = str(exc)
        return render(request, "screen.html", me, [], q=q, schema=schema, country=country, min_score=min_score,
                      hits=hits, threshold=THRESHOLD, schemata=SCHEMATA, error=error)

    @app.get("/watchlist", response_class=HTMLResponse, include_in_schema=False)
    def watchlist_page(request: Request, kind: str = "", me: UserSession = Depends(page_session)):
        matches = me.watchlist(subject_kind=kind or None)
        return render(request, "watchlist.html", me, [], matches=matches, kind=kind)

    @app.get("/resolve", response_class=HTMLResponse, include_in_schema=False)
    def resolve_page(request: Request, error: str = "", me: UserSession = Depends(page_session)):
        return render(request, "resolve.html", me, [], candidates=me.duplicate_candidates(limit=100),
                      judgements=me.judgements(include_retracted=True)[:100], error=error)

    @app.post("/resolve/judge", include_in_schema=False)
    def judge_form(request: Request, left: str = Form(...), right: str = Form(...), judgement: str = Form(...),
                   score: Optional[float] = Form(None), note: str = Form(""), next: str = Form("/resolve"),
                   me: UserSession = Depends(page_session)):
        target = next if next.startswith("/") and not next.startswith("//") else "/resolve"
        try:
            me.judge(left, right, judgement, note=note or None, score=score)
        except (ValidationError, AuthError, NotFound) as exc:
            return RedirectResponse(f"{target}?error={_quote(str(exc))}", status_code=303)
        return RedirectResponse(target, status_code=303)

    @app.post("/resolve/undo", include_in_schema=False)
    def undo_form(request: Request, judgement_id: str = Form(...), next: str = Form("/resolve"),
                  me: UserSession = Depends(page_session)):
        target = next if next.startswith("/") and not next.startswith("//") else "/resolve"
        try:
            me.undo_judgement(judgement_id)
        except (ValidationError, AuthError, NotFound) as exc:
            return RedirectResponse(f"{target}?error={_quote(str(exc))}", status_code=303)
        return RedirectResponse(target, status_code=303)

    # -- API -----------------------------------------------------------------------------
    @app.get("/api/screen", tags=["intelligence"])
    def screen_api(q: str = Query(..., description="Name or identifier"), schema: Optional[str] = None,
                   country: Optional[str] = None, limit: int = 10, me: UserSession = Depends(api_session)) -> list[dict[str, Any]]:
        return [{**h.to_dict(), "match": h.score >= THRESHOLD}
                for h in me.screen(q, schema=schema, country=country, limit=limit)]

    @app.get("/api/watchlist", tags=["intelligence"])
    def watchlist_api(kind: Optional[str] = Query(None, description="vessel or entity"), subject: Optional[str] = None,
                      me: UserSession = Depends(api_session)) -> list[dict[str, Any]]:
        return me.watchlist(subject_kind=kind, subject=subject)

    @app.get("/api/resolve/candidates", tags=["intelligence"])
    def candidates_api(entity: Optional[str] = None, limit: int = 100, me: UserSession = Depends(api_session)) -> list[dict[str, Any]]:
        try:
            return me.duplicate_candidates(entity_id=entity, limit=limit)
        except NotFound as exc:
            raise fail(exc) from None

    @app.get("/api/resolve/judgements", tags=["intelligence"])
    def judgements_api(entity: Optional[str] = None, all: bool = False, me: UserSession = Depends(api_session)) -> list[dict[str, Any]]:
        try:
            return me.judgements(entity_id=entity, include_retracted=all)
        except NotFound as exc:
            raise fail(exc) from None

    @app.post("/api/resolve/judgements", tags=["intelligence"], status_code=201)
    def judge_api(body: JudgementIn, me: UserSession = Depends(api_session)) -> dict[str, Any]:
        try:
            marking = Marking.parse(body.marking) if body.marking else None
            record = me.judge(body.left, body.right, body.judgement, note=body.note, score=body.score, marking=marking)
        except (ValidationError, AuthError, NotFound) as exc:
            raise fail(exc) from None
        return {**record, "cluster": me.cluster(body.left)}

    @app.post("/api/resolve/judgements/{judgement_id}/undo", tags=["intelligence"])
    def undo_api(judgement_id: str, me: UserSession = Depends(api_session)) -> dict[str, Any]:
        try:
            return me.undo_judgement(judgement_id)
        except (ValidationError, AuthError, NotFound) as exc:
            raise fail(exc) from None

    @app.get("/api/entities/{entity_id}/merged", tags=["intelligence"])
    def merged_api(entity_id: str, me: UserSession = Depends(api_session)) -> dict[str, Any]:
        try:
            return {**me.merged_entity(entity_id).to_dict(), **me.cluster(entity_id)}
        except NotFound as exc:
            raise fail(exc) from None

    @app.get("/api/graph/neighbours/{entity_id}", tags=["intelligence"])
    def neighbours_api(entity_id: str, depth: int = Query(1, ge=1, le=4), me: UserSession = Depends(api_session)) -> dict[str, Any]:
        try:
            return me.graph().neighbours(entity_id, depth=depth)
        except (NotFound, ValidationError) as exc:
            raise fail(exc) from None

    @app.get("/api/graph/path", tags=["intelligence"])
    def path_api(source: str = Query(..., alias="from", description="Entity id or name"),
                 target: str = Query(..., alias="to", description="Entity id or name"),
                 me: UserSession = Depends(api_session)) -> dict[str, Any]:
        try:
            return me.graph().path(_resolve_entity(me, source), _resolve_entity(me, target))
        except (NotFound, ValidationError) as exc:
            raise fail(exc) from None


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text[:300])
