"""Seizure records, country indicators, estimates and reports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response

from interdict.api import UserSession, countries, estimate_catalogue
from interdict.errors import NotFound, ValidationError
from interdict.web import models
from interdict.web.deps import api_session
from interdict.web.jsonapi.errors import http_error
from interdict.web.reports import report_response

router = APIRouter(prefix="/api", tags=["monitoring"])


@router.get("/seizures", response_model=models.SeizuresOut)
def seizures_api(country: list[str] | None = Query(None, description="ISO3 codes"), year: int | None = None,
                 limit: int = Query(1000, ge=1, le=100_000), me: UserSession = Depends(api_session)) -> dict[str, Any]:
    """Seizure and arrest records the caller may see."""
    try:
        wanted = {countries().resolve(c, where="country") for c in country or []}
    except ValidationError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    rows = [r for r in me.seizure_records() if (not wanted or r["country"] in wanted) and (year is None or r["year"] == year)]
    return {"total": len(rows), "records": [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()}
                                             for r in rows[:limit]]}


@router.get("/indicators/{country}")
def indicators_api(country: str, me: UserSession = Depends(api_session)) -> dict[str, Any]:
    try:
        return me.indicators(country)
    except (NotFound, ValidationError) as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None


@router.get("/estimates", response_model=models.EstimateCatalogue)
def estimates_list_api(me: UserSession = Depends(api_session)) -> dict[str, Any]:
    return estimate_catalogue()


@router.get("/estimates/{name}", response_model=models.EstimateOut)
def estimate_api(name: str, seed: int = 0, samples: int = Query(100_000, ge=100, le=2_000_000),
                 me: UserSession = Depends(api_session)) -> dict[str, Any]:
    try:
        result: dict[str, Any] = me.estimate(name, seed=seed, samples=samples).to_dict()
        return result
    except NotFound as exc:
        raise http_error(exc) from None


@router.get("/reports/{kind}")
def report_api(kind: str, format: str = "pdf", country: str | None = None, region: str | None = None,
               seed: int = 0, audience: str | None = Query(None, description="public, partners or an agency code: keep "
                                                             "only what may be released to it"),
               me: UserSession = Depends(api_session)) -> Response:
    """A report rendered for the caller (HTML or PDF), or for an audience beyond the caller."""
    return report_response(me, kind, format, country, region, seed, audience)
