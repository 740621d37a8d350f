"""What every route depends on: the node, who is asking (session cookie or API token), the
templates, and `render`, the one place a page's marking banner is computed.

A route gets a `UserSession` of its own per request; every read through it records the markings
of what it returned (`interdict.api.UserSession.shown`), and `render` prints the highest of them
as the page's banner. A page cannot forget its banner or pass the wrong one: it has none to pass.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from interdict import __version__
from interdict.api import Interdict, UserSession, flag_names, readable_number
from interdict.errors import AuthError
from interdict.markings import TLP
from interdict.web.security import csrf_token

HERE = FilePath(__file__).parent

templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals["version"] = __version__
templates.env.filters["tlp_class"] = lambda tlp: "tlp-" + TLP(tlp).value.lower().replace("+", "-")
templates.env.filters["num"] = lambda v: "" if v is None else readable_number(v)  # 219,089,000, never 2.19089e+08
templates.env.filters["details"] = lambda details: readable_details(details)
templates.env.filters["flags"] = lambda bits: ", ".join(flag_names(bits or 0)).replace("_", " ")
# every state-changing form carries the session's CSRF token (interdict.web.security)
templates.env.globals["csrf_field"] = lambda request: Markup(
    f'<input type="hidden" name="csrf" value="{escape(csrf_token(request.session))}">')


# An MMSI has nine digits: a larger number is no vessel (and overflowed the database's integer)
MMSI_MAX = 999_999_999
Mmsi = Annotated[int, Path(ge=0, le=MMSI_MAX, description="MMSI (up to nine digits)")]
OptionalMmsi = Annotated[int | None, Query(ge=0, le=MMSI_MAX, description="MMSI (up to nine digits)")]


def readable_details(details: dict[str, Any]) -> str:
    """An event's details as words: "hours 12.5; covered after 0.92; dprk yes" (lists and nested
    values are left to the JSON API)."""
    parts = []
    for key, value in details.items():
        if value is None or isinstance(value, (dict, list)):
            continue
        if isinstance(value, bool):
            shown = "yes" if value else "no"
        elif isinstance(value, float):
            shown = f"{value:,.3g}" if abs(value) < 1e6 else f"{value:,.0f}"
        else:
            shown = str(value)
        parts.append(f"{key.replace('_', ' ')} {shown}")
    return "; ".join(parts)


def node_of(request: Request) -> Interdict:
    node: Interdict = request.app.state.node
    return node


def request_id(request: Request) -> str:
    """The request's id, as the audit log keeps it (the client's X-Request-ID when it sends a
    sane one, so a proxy's log and ours can be joined)."""
    given = request.headers.get("x-request-id", "")
    if given and len(given) <= 64 and given.replace("-", "").isalnum():
        return given
    return uuid.uuid4().hex


def api_session(request: Request) -> UserSession:
    """The caller of a JSON route: `Authorization: Bearer <token>` or the login cookie; else 401."""
    node = node_of(request)
    header = request.headers.get("authorization", "")
    try:
        if header.lower().startswith("bearer "):
            return node.session_for(node.registry.user_for_token(header[7:]), path="api", request_id=request_id(request))
        session_id = request.session.get("sid")
        if session_id:
            return node.session_for(node.registry.session_user(session_id), path="api", request_id=request_id(request))
    except AuthError as exc:
        request.session.clear()
        raise HTTPException(status_code=401, detail=str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
    raise HTTPException(status_code=401, detail="log in or send an API token", headers={"WWW-Authenticate": "Bearer"})


def page_session(request: Request) -> UserSession:
    """The logged-in user of a page (a live server-side session); otherwise 401, which the app
    turns into the login page."""
    session_id = request.session.get("sid")
    if session_id:
        node = node_of(request)
        try:
            return node.session_for(node.registry.session_user(session_id), path="web", request_id=request_id(request))
        except AuthError:
            request.session.clear()
    raise HTTPException(status_code=401, detail="log in first")


def render(request: Request, template: str, me: UserSession | None, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page; its banner is the highest marking of everything `me` was shown for it."""
    banner = me.banner if me is not None else None
    return templates.TemplateResponse(request, template, {"me": me, "banner": banner, **context}, status_code=status_code)


def safe_next(target: str, default: str = "/") -> str:
    """A redirect target on this site only (no scheme-relative or absolute URLs)."""
    return target if target.startswith("/") and not target.startswith("//") else default


def utc(value: datetime | None) -> datetime | None:
    """A query parameter's time as UTC (a time without a zone is taken as UTC)."""
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
