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


CANDIDATE_COLUMNS = (
    Column("score", "Score", lambda c: c["score"], numeric=True),
    Column("record", "Record", lambda c: c["left_caption"]),
    Column("candidate", "Candidate", lambda c: c["right_caption"]),
    Column("why", "Why", lambda c: c["explanation"], sortable=False),
)
JUDGEMENT_COLUMNS = (
    Column("left", "Left", lambda j: j["left_caption"]),
    Column("judgement", "Judgement", lambda j: j["judgement"]),
    Column("right", "Right", lambda j: j["right_caption"]),
    Column("who", "Who", lambda j: f"{j['user']} ({j['agency']})"),
    Column("when", "When (UTC)", lambda j: j["at"]),
    Column("note", "Note", lambda j: j["note"]),
    Column("marking", "Marking", lambda j: j["marking"]["tlp"], sortable=False),
)
LATEST_JUDGEMENTS = 20


def holding(rows: list[dict[str, Any]], q: str, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """The rows any of whose `keys` holds `q`, regardless of case (all rows for a blank `q`)."""
    wanted = q.strip().casefold()
    return [r for r in rows if not wanted or any(wanted in str(r.get(k) or "").casefold() for k in keys)]


def _candidates(me: UserSession, q: str) -> list[dict[str, Any]]:
    with me.unshown():  # the page shows the pairs it keeps
        return holding(me.duplicate_candidates(limit=None), q, ("left_caption", "right_caption", "left", "right"))


def _judgements(me: UserSession, q: str) -> list[dict[str, Any]]:
    with me.unshown():
        return holding(me.judgements(include_retracted=True), q,
                       ("left_caption", "right_caption", "left", "right", "note", "user", "agency"))


def with_error(target: str, exc: Exception) -> str:
    """The page to return to, with the message of what went wrong (keeping the page's own query)."""
    return f"{target}{'&' if '?' in target else '?'}error={quote(str(exc)[:300])}"


@router.get("/resolve", response_class=HTMLResponse)
def resolve_page(request: Request, q: str = "", error: str = "", me: UserSession = Depends(page_session)) -> HTMLResponse:
    page = sorted_page(request, _candidates(me, q), CANDIDATE_COLUMNS, sort="score", descending=True)
    me.show_candidates(page.rows)
    judgements = _judgements(me, q)
    me.show_judgements(judgements[:LATEST_JUDGEMENTS])
    return render(request, "resolve.html", me, page=page, judgements=judgements[:LATEST_JUDGEMENTS],
                  more_judgements=len(judgements) - LATEST_JUDGEMENTS, q=q, error=error)


@router.get("/resolve.csv")
def resolve_csv(request: Request, q: str = "", me: UserSession = Depends(page_session)) -> Response:
    """Every candidate pair, in the page's order, each with the marking of both its records."""
    rows = sorted_rows(request, _candidates(me, q), CANDIDATE_COLUMNS, sort="score", descending=True)
    me.show_candidates(rows)
    columns = (*CANDIDATE_COLUMNS, Column("basis", "On", lambda c: c["basis"]),
               Column("left_id", "Record id", lambda c: c["left"]), Column("left_schema", "Record type", lambda c: c["left_schema"]),
               Column("left_sources", "Record sources", lambda c: c["left_sources"]),
               Column("right_id", "Candidate id", lambda c: c["right"]),
               Column("right_schema", "Candidate type", lambda c: c["right_schema"]),
               Column("right_sources", "Candidate sources", lambda c: c["right_sources"]))
    return csv_download(rows, columns, marking=lambda c: c["banner"], filename="interdict-candidates.csv")


@router.get("/judgements", response_class=HTMLResponse)
def judgements_page(request: Request, q: str = "", error: str = "", me: UserSession = Depends(page_session)) -> HTMLResponse:
    page = sorted_page(request, _judgements(me, q), JUDGEMENT_COLUMNS, sort="when", descending=True)
    me.show_judgements(page.rows)
    return render(request, "judgements.html", me, page=page, judgements=page.rows, q=q, error=error)


@router.get("/judgements.csv")
def judgements_csv(request: Request, q: str = "", me: UserSession = Depends(page_session)) -> Response:
    """Every judgement (undone ones too), in the page's order, each with its own marking."""
    rows = sorted_rows(request, _judgements(me, q), JUDGEMENT_COLUMNS, sort="when", descending=True)
    me.show_judgements(rows)
    columns = (*JUDGEMENT_COLUMNS[:-1], Column("score", "Score", lambda j: j["score"]),
               Column("left_id", "Left id", lambda j: j["left"]), Column("right_id", "Right id", lambda j: j["right"]),
               Column("undone_at", "Undone (UTC)", lambda j: j["retracted_at"]),
               Column("undone_by", "Undone by", lambda j: j["retracted_by"]), Column("id", "Id", lambda j: j["id"]))
    return csv_download(rows, columns, marking=lambda j: j["banner"], filename="interdict-judgements.csv")


@router.post("/resolve/judge")
def judge_form(left: str = Form(...), right: str = Form(...), judgement: str = Form(...),
               score: float | None = Form(None), note: str = Form(""), next: str = Form("/resolve"),
               me: UserSession = Depends(page_session)) -> RedirectResponse:
    target = safe_next(next, "/resolve")
    try:
        me.judge(left, right, judgement, note=note or None, score=score)
    except (ValidationError, AuthError, NotFound) as exc:
        return RedirectResponse(with_error(target, exc), status_code=303)
    return RedirectResponse(target, status_code=303)


@router.post("/resolve/undo")
def undo_form(judgement_id: str = Form(...), next: str = Form("/resolve"),
              me: UserSession = Depends(page_session)) -> RedirectResponse:
    target = safe_next(next, "/resolve")
    try:
        me.undo_judgement(judgement_id)
    except (ValidationError, AuthError, NotFound) as exc:
        return RedirectResponse(with_error(target, exc), status_code=303)
    return RedirectResponse(target, status_code=303)
