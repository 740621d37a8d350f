"""Screening form, watchlist matches, candidate duplicates with judgement buttons."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from interdict.api import MATCH_THRESHOLD, UserSession
from interdict.errors import AuthError, NotFound, ValidationError
from interdict.web.deps import page_session, render, safe_next
from interdict.web.listing import Column, csv_download, sorted_page, sorted_rows

router = APIRouter(include_in_schema=False)

SCHEMATA = ("Vessel", "Company", "Organization", "Person", "LegalEntity")


MAX_LIST = 500


@router.get("/screen", response_class=HTMLResponse)
def screen_page(request: Request, q: str = "", schema: str = "", country: str = "", min_score: float = 0.5,
                names: str = "", me: UserSession = Depends(page_session)) -> HTMLResponse:
    error, hits = None, []
    listed: list[dict[str, Any]] = []
    try:
        if q.strip():
            hits = me.screen(q, schema=schema or None, country=country or None, limit=20, threshold=min_score)
        # a list pasted one name per line: each name's best match and how many reach the threshold
        wanted = list(dict.fromkeys(line.strip() for line in names.splitlines() if line.strip()))
        if len(wanted) > MAX_LIST:
            raise ValidationError(f"names: {len(wanted):,} names given; screen at most {MAX_LIST:,} at a time "
                                  "(or use `interdict screen --file`)", where="names")
        for name in wanted:
            found = me.screen(name, schema=schema or None, country=country or None, limit=20, threshold=min_score)
            listed.append({"name": name, "best": found[0] if found else None,
                           "matches": sum(1 for h in found if h.score >= MATCH_THRESHOLD)})
    except ValidationError as exc:
        error = str(exc)
    return render(request, "screen.html", me, q=q, schema=schema, country=country, min_score=min_score, hits=hits,
                  threshold=MATCH_THRESHOLD, schemata=SCHEMATA, error=error, names=names, listed=listed)


def _subject(m: dict[str, Any]) -> str:
    return f"MMSI {m['subject']}" if m["subject_kind"] == "vessel" else m.get("subject_caption") or m["subject"]


WATCHLIST_COLUMNS = (
    Column("score", "Score", lambda m: round(m["score"], 3), numeric=True),
    Column("subject", "Subject", _subject),
    Column("basis", "On", lambda m: m["basis"]),
    Column("value", "Value", lambda m: m["query"]),
    Column("matched", "Matched", lambda m: m["matched"]),
    Column("entity", "Entity", lambda m: m["caption"]),
    Column("listed", "Listed", lambda m: "yes" if m["listed"] else None),
    Column("sources", "Sources", lambda m: "; ".join(m["sources"])),
    Column("screened", "Screened (UTC)", lambda m: m["screened_at"]),
)
KINDS = ("", "vessel", "entity")


def _matches(me: UserSession, kind: str) -> list[dict[str, Any]]:
    if kind not in KINDS:
        raise HTTPException(400, f"kind: {kind!r} is none of vessel, entity (or blank for all)")
    return me.watchlist(subject_kind=kind or None)


@router.get("/watchlist", response_class=HTMLResponse)
def watchlist_page(request: Request, kind: str = "", me: UserSession = Depends(page_session)) -> HTMLResponse:
    page = sorted_page(request, _matches(me, kind), WATCHLIST_COLUMNS, sort="score", descending=True)
    return render(request, "watchlist.html", me, page=page, kind=kind)


@router.get("/watchlist.csv")
def watchlist_csv(request: Request, kind: str = "", me: UserSession = Depends(page_session)) -> Response:
    """Every match of the list, in the page's order, as CSV."""
    rows = sorted_rows(request, _matches(me, kind), WATCHLIST_COLUMNS, sort="score", descending=True)
    columns = (*WATCHLIST_COLUMNS, Column("entity_id", "Entity id", lambda m: m["entity_id"]),
               Column("programs", "Programmes", lambda m: m["programs"]))
    return csv_download(rows, columns, marking=me.banner.label, filename="interdict-watchlist.csv")


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
