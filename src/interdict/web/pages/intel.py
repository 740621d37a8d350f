"""Screening form, watchlist matches, candidate duplicates with judgement buttons."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from interdict.api import MATCH_THRESHOLD, UserSession
from interdict.errors import AuthError, NotFound, ValidationError
from interdict.web.deps import page_session, render, safe_next

router = APIRouter(include_in_schema=False)

SCHEMATA = ("Vessel", "Company", "Organization", "Person", "LegalEntity")


@router.get("/screen", response_class=HTMLResponse)
def screen_page(request: Request, q: str = "", schema: str = "", country: str = "", min_score: float = 0.5,
                me: UserSession = Depends(page_session)) -> HTMLResponse:
    error, hits = None, []
    if q.strip():
        try:
            hits = me.screen(q, schema=schema or None, country=country or None, limit=20, threshold=min_score)
        except ValidationError as exc:
            error = str(exc)
    return render(request, "screen.html", me, q=q, schema=schema, country=country, min_score=min_score, hits=hits,
                  threshold=MATCH_THRESHOLD, schemata=SCHEMATA, error=error)


@router.get("/watchlist", response_class=HTMLResponse)
def watchlist_page(request: Request, kind: str = "", me: UserSession = Depends(page_session)) -> HTMLResponse:
    return render(request, "watchlist.html", me, matches=me.watchlist(subject_kind=kind or None), kind=kind)


@router.get("/resolve", response_class=HTMLResponse)
def resolve_page(request: Request, error: str = "", me: UserSession = Depends(page_session)) -> HTMLResponse:
    return render(request, "resolve.html", me, candidates=me.duplicate_candidates(limit=100),
                  judgements=me.judgements(include_retracted=True)[:100], error=error)


@router.post("/resolve/judge")
def judge_form(left: str = Form(...), right: str = Form(...), judgement: str = Form(...),
               score: float | None = Form(None), note: str = Form(""), next: str = Form("/resolve"),
               me: UserSession = Depends(page_session)) -> RedirectResponse:
    target = safe_next(next, "/resolve")
    try:
        me.judge(left, right, judgement, note=note or None, score=score)
    except (ValidationError, AuthError, NotFound) as exc:
        return RedirectResponse(f"{target}?error={quote(str(exc)[:300])}", status_code=303)
    return RedirectResponse(target, status_code=303)


@router.post("/resolve/undo")
def undo_form(judgement_id: str = Form(...), next: str = Form("/resolve"),
              me: UserSession = Depends(page_session)) -> RedirectResponse:
    target = safe_next(next, "/resolve")
    try:
        me.undo_judgement(judgement_id)
    except (ValidationError, AuthError, NotFound) as exc:
        return RedirectResponse(f"{target}?error={quote(str(exc)[:300])}", status_code=303)
    return RedirectResponse(target, status_code=303)
