"""Login, the overview, entity search, entity pages and claims."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from interdict.api import ClaimView, UserSession
from interdict.errors import AuthError, NotFound, ValidationError
from interdict.web.deps import node_of, page_session, render, safe_next, templates
from interdict.web.listing import Column, csv_download, sorted_page, sorted_rows

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "", error: str = "") -> HTMLResponse:
    return templates.TemplateResponse(request, "login.html", {"next": next, "error": error, "me": None, "banner": None})


@router.post("/login")
def login(request: Request, username: str = Form(...), password: str = Form(...), next: str = Form("")) -> Response:
    try:
        user = node_of(request).registry.authenticate(username, password)
    except AuthError as exc:
        return templates.TemplateResponse(request, "login.html", {"next": next, "error": str(exc), "me": None, "banner": None},
                                          status_code=401)
    request.session.clear()
    request.session["sid"] = node_of(request).registry.start_session(user)
    return RedirectResponse(safe_next(next) if next else landing_page(user.roles), status_code=303)


# where each role starts its work when it asked for no page in particular
LANDING = (("watch_officer", "/risk"), ("monitor", "/monitoring"), ("analyst", "/"), ("admin", "/"))


def landing_page(roles: frozenset[str]) -> str:
    return next((page for role, page in LANDING if role in roles), "/")


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    """Ends the session on the server: the cookie, if kept or copied, no longer logs anyone in."""
    session_id = request.session.get("sid")
    if session_id:
        node_of(request).registry.end_session(session_id)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request, me: UserSession = Depends(page_session)) -> HTMLResponse:
    return render(request, "account_password.html", me, error="", done=False)


@router.post("/account/password", response_class=HTMLResponse)
def change_password(request: Request, current: str = Form(...), new: str = Form(...), confirm: str = Form(...),
                    me: UserSession = Depends(page_session)) -> HTMLResponse:
    """Change one's own password (the policy: interdict.accounts.check_password); other sessions
    of the user stay valid until they end."""
    if new != confirm:
        return render(request, "account_password.html", me, error="the new password and its confirmation differ", done=False,
                      status_code=400)
    try:
        node_of(request).registry.change_password(me.user.username, current, new)
    except (AuthError, ValidationError) as exc:
        return render(request, "account_password.html", me, error=getattr(exc, "reason", None) or str(exc), done=False,
                      status_code=400)
    return render(request, "account_password.html", me, error="", done=True)


RECENT_SEARCHES = 8


def remember_search(request: Request, q: str, schema: str) -> None:
    """The user's last searches, newest first, kept in their own signed session cookie (never on
    the node): the analyst's landing page offers them again."""
    entry = {"q": q.strip(), "schema": schema}
    if not entry["q"]:
        return
    earlier = [e for e in request.session.get("searches", []) if isinstance(e, dict) and e != entry]
    request.session["searches"] = [entry, *earlier][:RECENT_SEARCHES]


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request, me: UserSession = Depends(page_session)) -> HTMLResponse:
    work: dict[str, Any] = {}
    if me.user.roles & {"analyst", "admin"}:
        # the analyst's desk: searches to pick up again, pairs to judge, what screening found last
        matches = sorted(me.watchlist(), key=lambda m: (m["screened_at"] or "", m["score"]), reverse=True)
        work = {"searches": request.session.get("searches", []), "candidates": me.duplicate_candidates(limit=5),
                "changes": matches[:8], "matches": len(matches)}
    return render(request, "overview.html", me, overview=me.overview(), work=work)


SEARCH_COLUMNS = (
    Column("relevance", "Relevance", lambda r: r["rank"], numeric=True),
    Column("name", "Name", lambda r: r["view"].caption),
    Column("type", "Type", lambda r: r["view"].schema),
    Column("marking", "Marking", lambda r: r["view"].banner.tlp.rank, numeric=True),
)


def _search_rows(me: UserSession, q: str, schema: str) -> list[dict[str, Any]]:
    """Every result, exact names first, then names starting with the query (shown only when on
    the page: a result on a later page does not raise this page's banner)."""
    if not (q or schema):
        return []
    with me.unshown():
        return [{"rank": i + 1, "view": v} for i, v in enumerate(me.search(q, schema=schema or None, limit=None))]


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, q: str = "", schema: str = "", me: UserSession = Depends(page_session)) -> HTMLResponse:
    page = sorted_page(request, _search_rows(me, q, schema), SEARCH_COLUMNS, sort="relevance")
    remember_search(request, q, schema)
    me.show_entities((r["view"] for r in page.rows), captions_only=True)
    # names spelled another way (romanisations, word order, legal forms), each with its reason
    shown = {r["view"].id for r in page.rows}
    similar = ([h for h in me.screen(q, schema=schema or None, limit=15, threshold=0.7) if h.id not in shown]
               if q.strip() and page.asked.offset == 0 else [])
    return render(request, "search.html", me, q=q, schema=schema, page=page, similar=similar)


@router.get("/search.csv")
def search_csv(request: Request, q: str = "", schema: str = "", me: UserSession = Depends(page_session)) -> Response:
    """Every result of the search, in the page's order, each with its own marking."""
    rows = sorted_rows(request, _search_rows(me, q, schema), SEARCH_COLUMNS, sort="relevance")
    me.show_entities((r["view"] for r in rows), captions_only=True)
    columns = (*SEARCH_COLUMNS[:3], Column("id", "Id", lambda r: r["view"].id))
    return csv_download(rows, columns, marking=lambda r: r["view"].banner.label, filename="interdict-search.csv")


@router.get("/entities/{entity_id}", response_class=HTMLResponse)
def entity_page(request: Request, entity_id: str, error: str = "", me: UserSession = Depends(page_session)) -> HTMLResponse:
    try:
        view = me.entity(entity_id)
    except NotFound:
        return render(request, "not_found.html", me, 404, what=entity_id)
    cluster = me.cluster(entity_id)
    merged = me.merged_entity(entity_id) if len(cluster["members"]) > 1 else None
    captions = {k: v.caption for k, v in me.entities(cluster["members"], captions_only=True).items()}
    return render(request, "entity.html", me, entity=view, claims=me.claims(entity_id=entity_id), cluster=cluster,
                  merged=merged, captions=captions, judgements=me.judgements(entity_id=entity_id, include_retracted=True),
                  candidates=me.duplicate_candidates(entity_id=entity_id, limit=10),
                  matches=me.watchlist(subject_kind="entity", subject=entity_id), error=error)


def _period(c: ClaimView) -> str | None:
    if c.period_end and c.period_end != c.period_start:
        return f"{c.period_start or ''}–{c.period_end}"
    return c.period_start


CLAIM_COLUMNS = (
    Column("claim", "Claim", lambda c: c.text),
    Column("low", "Low", lambda c: c.low, numeric=True),
    Column("best", "Best", lambda c: c.best, numeric=True),
    Column("high", "High", lambda c: c.high, numeric=True),
    Column("unit", "Unit", lambda c: c.unit),
    Column("period", "Period", _period),
    Column("grade", "Grade", lambda c: c.grade.code),
    Column("marking", "Marking", lambda c: c.marking.tlp.rank, numeric=True),
    Column("source", "Source", lambda c: c.source.title if c.source else None),
)


def _claims(me: UserSession, q: str) -> list[ClaimView]:
    """The claims this user may see whose text, unit, quantity or source holds `q` (all for a
    blank `q`), read unshown: the page shows what it keeps."""
    wanted = q.strip().casefold()
    with me.unshown():
        rows = me.claims()
    return [c for c in rows if not wanted or any(wanted in (text or "").casefold() for text in
                                                 (c.text, c.unit, c.quantity, c.source.title if c.source else None))]


@router.get("/claims", response_class=HTMLResponse)
def claims_page(request: Request, q: str = "", me: UserSession = Depends(page_session)) -> HTMLResponse:
    page = sorted_page(request, _claims(me, q), CLAIM_COLUMNS, sort="claim")
    me.show(c.marking for c in page.rows)
    return render(request, "claims.html", me, page=page, claims=page.rows, q=q)


@router.get("/claims.csv")
def claims_csv(request: Request, q: str = "", me: UserSession = Depends(page_session)) -> Response:
    """Every claim of the list, in the page's order, each with its own marking."""
    rows = sorted_rows(request, _claims(me, q), CLAIM_COLUMNS, sort="claim")
    me.show(c.marking for c in rows)
    columns = (*(c for c in CLAIM_COLUMNS if c.key != "marking"),
               Column("reading", "Reading", lambda c: c.reading), Column("agency", "Agency", lambda c: c.agency),
               Column("entity_id", "Entity id", lambda c: c.entity_id), Column("id", "Id", lambda c: c.id))
    return csv_download(rows, columns, marking=lambda c: c.marking.label, filename="interdict-claims.csv")
