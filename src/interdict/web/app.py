"""The web app: Jinja2 pages for people (`interdict.web.pages`), a JSON API under /api for programs
(`interdict.web.jsonapi`), one router per area each.

Pages use a signed session cookie set at login (argon2-checked password); the API takes
`Authorization: Bearer <token>` or the same session. Every read goes through the user's
`UserSession`, so the one access decision applies to pages and API alike, and every page's banner
is computed in one place (`interdict.web.deps.render`). All CSS and JS ships in
`interdict/web/static`: nothing is fetched from the internet (users are often air-gapped).
"""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from interdict import __version__
from interdict.api import Interdict, UserSession
from interdict.web.deps import HERE, api_session, page_session, templates
from interdict.web.errorpages import install_error_pages
from interdict.web.forms import BlankFieldsAreAbsent
from interdict.web.jsonapi import ais as ais_api
from interdict.web.jsonapi import behaviour as behaviour_api
from interdict.web.jsonapi import entities as entities_api
from interdict.web.jsonapi import intel as intel_api
from interdict.web.jsonapi import monitoring as monitoring_api
from interdict.web.pages import ais as ais_pages
from interdict.web.pages import behaviour as behaviour_pages
from interdict.web.pages import entities as entity_pages
from interdict.web.pages import intel as intel_pages
from interdict.web.pages import monitoring as monitoring_pages
from interdict.web.security import SecurityMiddleware

PAGE_ROUTERS = (entity_pages.router, ais_pages.router, behaviour_pages.router, intel_pages.router, monitoring_pages.router)
API_ROUTERS = (entities_api.router, ais_api.router, behaviour_api.router, intel_api.router, monitoring_api.router)


def create_app(node: Interdict, *, tls: bool = False) -> FastAPI:
    """The app over `node`. `tls`: served over HTTPS (`interdict serve --cert --key`): the session
    cookie is then sent over HTTPS only and browsers are told to keep to HTTPS (HSTS)."""
    app = FastAPI(title="Interdict", version=__version__, docs_url=None, openapi_url=None, redoc_url=None)
    # the security middleware runs inside the session middleware (added last, so outermost)
    app.add_middleware(BlankFieldsAreAbsent)
    app.add_middleware(SecurityMiddleware, tls=tls)
    app.add_middleware(SessionMiddleware, secret_key=node.workspace.secret_key(), session_cookie="interdict_session",
                       same_site="strict", https_only=tls, max_age=12 * 3600)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.state.node = node
    for router in (*PAGE_ROUTERS, *API_ROUTERS):
        app.include_router(router)

    # the API reference, for logged-in users only, from the Swagger UI shipped in the package
    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi_schema(me: UserSession = Depends(api_session)) -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/api/docs", include_in_schema=False)
    def api_docs(request: Request, me: UserSession = Depends(page_session)) -> Response:
        return templates.TemplateResponse(request, "api_docs.html", {})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(HERE / "static" / "favicon.ico", media_type="image/x-icon", headers={"Cache-Control": "max-age=86400"})

    install_error_pages(app)
    return app

