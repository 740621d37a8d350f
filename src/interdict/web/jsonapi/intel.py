"""Screening, watchlist matches, entity resolution (candidates, judgements, merged views) and
link analysis."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from interdict.api import MATCH_THRESHOLD, UserSession
from interdict.errors import AuthError, NotFound, ValidationError
from interdict.markings import Marking
from interdict.web import models
from interdict.web.deps import api_session
from interdict.web.jsonapi.errors import http_error

router = APIRouter(prefix="/api", tags=["intelligence"])


def resolve_entity(me: UserSession, text: str) -> str:
    """An entity id, or the best search hit for a name."""
    text = text.strip()
    try:
        return me.entity(text).id
    except NotFound:
        hits = me.search(text, limit=1)
        if not hits:
            raise NotFound(f"no entity {text!r}") from None
        return hits[0].id


@router.get("/screen", response_model=list[models.ScreenHit])
def screen_api(q: str = Query(..., description="Name or identifier"), schema: str | None = None,
               country: str | None = None, limit: int = 10, me: UserSession = Depends(api_session)) -> list[dict[str, Any]]:
    try:
        hits = me.screen(q, schema=schema, country=country, limit=limit)
    except ValidationError as exc:
        raise http_error(exc) from None
    return [{**h.to_dict(), "match": h.score >= MATCH_THRESHOLD} for h in hits]


@router.get("/watchlist", response_model=list[models.MatchOut])
def watchlist_api(kind: str | None = Query(None, description="vessel or entity"), subject: str | None = None,
                  me: UserSession = Depends(api_session)) -> list[dict[str, Any]]:
    return me.watchlist(subject_kind=kind, subject=subject)


@router.get("/resolve/candidates", response_model=list[models.CandidateOut])
def candidates_api(entity: str | None = None, limit: int = 100, me: UserSession = Depends(api_session)) -> list[dict[str, Any]]:
    try:
        return me.duplicate_candidates(entity_id=entity, limit=limit)
    except NotFound as exc:
        raise http_error(exc) from None


@router.get("/resolve/judgements", response_model=list[models.JudgementOut])
def judgements_api(entity: str | None = None, all: bool = False, me: UserSession = Depends(api_session)) -> list[dict[str, Any]]:
    try:
        return me.judgements(entity_id=entity, include_retracted=all)
    except NotFound as exc:
        raise http_error(exc) from None


@router.post("/resolve/judgements", status_code=201, response_model=models.JudgementOut)
def judge_api(body: models.JudgementIn, me: UserSession = Depends(api_session)) -> dict[str, Any]:
    try:
        marking = Marking.parse(body.marking) if body.marking else None
        record = me.judge(body.left, body.right, body.judgement, note=body.note, score=body.score, marking=marking)
    except (ValidationError, AuthError, NotFound) as exc:
        raise http_error(exc) from None
    return {**record, "cluster": me.cluster(body.left)}


@router.post("/resolve/judgements/{judgement_id}/undo", response_model=models.JudgementOut)
def undo_api(judgement_id: str, me: UserSession = Depends(api_session)) -> dict[str, Any]:
    try:
        return me.undo_judgement(judgement_id)
    except (ValidationError, AuthError, NotFound) as exc:
        raise http_error(exc) from None


@router.get("/entities/{entity_id}/merged", response_model=models.MergedEntityOut)
def merged_api(entity_id: str, me: UserSession = Depends(api_session)) -> dict[str, Any]:
    try:
        return {**me.merged_entity(entity_id).to_dict(), **me.cluster(entity_id)}
    except NotFound as exc:
        raise http_error(exc) from None


@router.get("/graph/neighbours/{entity_id}", response_model=models.GraphNeighbours)
def neighbours_api(entity_id: str, depth: int = Query(1, ge=1, le=4), me: UserSession = Depends(api_session)) -> dict[str, Any]:
    try:
        return me.neighbours(entity_id, depth)
    except (NotFound, ValidationError) as exc:
        raise http_error(exc) from None


@router.get("/graph/path", response_model=models.GraphPath)
def path_api(source: str = Query(..., alias="from", description="Entity id or name"),
             target: str = Query(..., alias="to", description="Entity id or name"),
             me: UserSession = Depends(api_session)) -> dict[str, Any]:
    try:
        return me.path(resolve_entity(me, source), resolve_entity(me, target))
    except (NotFound, ValidationError) as exc:
        raise http_error(exc) from None
