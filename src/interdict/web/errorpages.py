"""Errors as the user meets them: on a page, a page of the app with the right status (404 for an
unknown and a hidden record alike, 400 naming each unusable value, 500 with a reference to the
log and nothing else); on the API, JSON as before. A login that is missing sends a page to the
login form and answers the API with 401."""

from __future__ import annotations

import logging
import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from interdict.api import UserSession
from interdict.web.deps import page_session, render

log = logging.getLogger("interdict.web")


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") and request.url.path != "/api/docs"


def error_page(request: Request, status: int, title: str, message: str, problems: list[dict[str, Any]] | None = None) -> Response:
    """An error as a page of the app: its nav for a logged-in user, the login link otherwise."""
    try:
        me: UserSession | None = page_session(request)
    except HTTPException:
        me = None
    return render(request, "error.html", me, status, title=title, message=message, problems=problems or [])


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 401:
        if is_api(request):
            return JSONResponse({"detail": exc.detail}, status_code=401, headers=getattr(exc, "headers", None))
        # the page asked for, with its filters (a link to /events?mmsi=... keeps its vessel)
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?{urlencode({'next': wanted})}", status_code=303)
    if is_api(request):
        return await http_exception_handler(request, exc)
    if exc.status_code == 404:
        return error_page(request, 404, "Not found", f"There is no page {request.url.path}.")
    return error_page(request, exc.status_code, "Cannot do that", str(exc.detail))


async def invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if is_api(request):
        return await request_validation_exception_handler(request, exc)
    problems = [{"where": str((e.get("loc") or ("",))[0]), "field": ".".join(str(p) for p in e.get("loc", ())[1:]) or "request",
                 "reason": e.get("msg", "invalid")} for e in exc.errors()]
    if any(p["where"] == "path" for p in problems):  # /vessels/abc names no record: answered as an unknown one
        return error_page(request, 404, "Not found", f"There is no record {request.url.path.rsplit('/', 1)[-1]!r}.")
    return error_page(request, 400, "Check what you asked for", "Some values of the request cannot be used:", problems)


async def server_error(request: Request, exc: Exception) -> Response:
    reference = uuid.uuid4().hex[:12]
    log.error("unexpected error on %s %s (reference %s)", request.method, request.url.path, reference, exc_info=exc)
    if is_api(request):
        return JSONResponse({"detail": f"internal error (reference {reference})"}, status_code=500)
    return error_page(request, 500, "Something went wrong",
                      f"The error was logged with reference {reference}; this page changed nothing.")


def install_error_pages(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(Exception, server_error)
