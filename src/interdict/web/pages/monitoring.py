"""The monitoring dashboard (charts, map, completeness, estimates), country pages and reports."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from interdict.api import REPORT_KINDS, UserSession, countries, regions
from interdict.errors import NotFound, ValidationError
from interdict.web.deps import node_of, page_session, render
from interdict.web.reports import report_response

router = APIRouter(include_in_schema=False)


@router.get("/monitoring", response_class=HTMLResponse)
def dashboard(request: Request, region: str = "east-asia-oceania", group: str = "ats", year: int | None = None,
              me: UserSession = Depends(page_session)) -> HTMLResponse:
    try:
        context = me.dashboard(region, group, year)
    except ValidationError as exc:
        raise HTTPException(400, str(exc)) from None
    return render(request, "monitoring.html", me, **context)


@router.get("/monitoring/countries/{country}", response_class=HTMLResponse)
def country_page(request: Request, country: str, me: UserSession = Depends(page_session)) -> HTMLResponse:
    try:
        found = me.country_trend(country)
    except (NotFound, ValidationError):
        return render(request, "not_found.html", me, 404, what=f"seizure records for {country}")
    return render(request, "monitoring_country.html", me, ind=found["indicators"], trend=found["trend"])


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, me: UserSession = Depends(page_session)) -> HTMLResponse:
    present = me.seizure_countries()
    return render(request, "reports.html", me, kinds=REPORT_KINDS, regions=regions(),
                  agencies=[a.code for a in node_of(request).registry.agencies()],
                  countries=sorted(((c, countries().name(c)) for c in present), key=lambda x: x[1]))


@router.get("/reports/render")
def report_download(kind: str, format: str = "pdf", country: str | None = None, region: str | None = None,
                    seed: int = 0, audience: str | None = None, me: UserSession = Depends(page_session)) -> Response:
    return report_response(me, kind, format, country, region, seed, audience)
