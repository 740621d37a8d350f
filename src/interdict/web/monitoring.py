"""Monitoring pages and API: the dashboard (charts, map, completeness), country indicators,
estimates and the reports page. Registered on the app by `interdict.web.app.create_app`; every
read goes through the user's `UserSession`."""

from __future__ import annotations

import re
from typing import Any, Callable, Optional

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from interdict.api import UserSession
from interdict.errors import InterdictError, NotFound, ValidationError
from interdict.markings import Marking


def _record_markings(records: list[dict[str, Any]]) -> list[Marking]:
    from interdict.monitoring.reports import Content

    content = Content()
    content.add_records(records)
    return content.markings


def register(app: FastAPI, page_session: Callable[..., UserSession], api_session: Callable[..., UserSession],
             render: Callable[..., HTMLResponse]) -> None:
    from interdict.monitoring import charts, estimates, indicators
    from interdict.monitoring.codes import code_lists, countries, regions
    from interdict.monitoring.reports import KINDS, REGION_BBOX, best_map_year as _best_map_year, img as _img, last_years as _window

    @app.get("/monitoring", response_class=HTMLResponse, include_in_schema=False)
    def dashboard(request: Request, region: str = "east-asia-oceania", group: str = "ats",
                  me: UserSession = Depends(page_session)):
        spec = regions().get(region) or regions()["east-asia-oceania"]
        members = list(spec["countries"])
        labels = code_lists()["drug_groups"].labels
        group = group if group in labels else "ats"
        records = [r for r in me.seizure_records() if r["country"] in members]
        context: dict[str, Any] = {"region": spec["title"], "region_key": region, "group": group, "groups": labels,
                                   "datasets": me.seizure_datasets(), "has_data": bool(records)}
        markings = _record_markings(records)
        if records:
            df = indicators.frame(records)
            series = indicators.choose_series(df)
            groups = indicators.by_group(series)
            year, values = _best_map_year(groups, group, members)
            reported = {r["country"] for r in groups.filter(groups["year"] == year).iter_rows(named=True)}
            totals: dict[str, list[tuple[int, float]]] = {}
            for r in groups.filter(groups["drug_group"] == group).iter_rows(named=True):
                if r["kg"] is not None:
                    totals.setdefault(countries().name(r["country"]), []).append((r["year"], r["kg"]))
            top = sorted(totals, key=lambda k: -max(v for _, v in totals[k]))[:8]
            context.update({
                "map": _img(charts.choropleth(values, title=f"{labels[group]} seized, {year}",
                                              bbox=REGION_BBOX.get(region, (-180, 180, -60, 80)),
                                              not_reported=[c for c in members if c not in reported])),
                "map_year": year,
                "trend": _img(charts.trend_chart({k: totals[k] for k in top}, title=f"{labels[group]}: the eight largest seizing countries")),
                "completeness": _window(indicators.completeness(df, members), 10),
                "anomalies": [a.to_dict() for a in indicators.anomalies(series)][:15],
                "countries": sorted({(r["country"], countries().name(r["country"])) for r in records}, key=lambda x: x[1]),
            })
        claims = {c.key: c for c in me.claims()}
        panels = []
        for name in estimates.comparisons():
            result = estimates.compare(name, claims, samples=20_000)
            rows = []
            for item in result["items"]:
                if item["kind"] == "estimate":
                    e = item["estimate"]
                    markings.extend(e.markings())
                    rows.append({"label": e.title, "name": e.name, "best": e.best, "p5": e.p5, "p50": e.p50, "p95": e.p95})
                elif item["kind"] == "claim":
                    markings.append(item["claim"].marking)
                    c = item["claim"]
                    rows.append({"label": "Claim: " + c.text, "best": c.best if c.best is not None else c.low,
                                 "p5": None, "p50": None, "p95": None,
                                 "lower_bound": c.low if c.reading == "lower_bound" else None})
                else:
                    rows.append({"label": item["name"], "unavailable": item["reason"]})
            drawable = [r for r in rows if "unavailable" not in r]
            panels.append({"title": result["title"], "unit": result["unit"], "rows": rows,
                           "chart": _img(charts.interval_chart(drawable, title=result["title"], unit=result["unit"])) if drawable else None})
        context["estimates"] = panels
        return render(request, "monitoring.html", me, markings, **context)

    @app.get("/monitoring/countries/{country}", response_class=HTMLResponse, include_in_schema=False)
    def country_page(request: Request, country: str, me: UserSession = Depends(page_session)):
        try:
            result = me.indicators(country)
        except (NotFound, ValidationError):
            return render(request, "not_found.html", me, [], what=f"seizure records for {country}")
        records = [r for r in me.seizure_records() if r["country"] == result["country"]]
        df = indicators.frame(records)
        groups = indicators.by_group(indicators.choose_series(df))
        labels = code_lists()["drug_groups"].labels
        lines: dict[str, list[tuple[int, float]]] = {}
        for r in groups.iter_rows(named=True):
            if r["kg"] is not None:
                lines.setdefault(labels.get(r["drug_group"], r["drug_group"]), []).append((r["year"], r["kg"]))
        return render(request, "monitoring_country.html", me, _record_markings(records), ind=result,
                      trend=_img(charts.trend_chart(lines, title=f"Seizures by drug group, {result['name']}")))

    @app.get("/reports", response_class=HTMLResponse, include_in_schema=False)
    def reports_page(request: Request, me: UserSession = Depends(page_session)):
        present = sorted({r["country"] for r in me.seizure_records()})
        return render(request, "reports.html", me, [], kinds=KINDS, regions=regions(),
                      countries=sorted(((c, countries().name(c)) for c in present), key=lambda x: x[1]))

    @app.get("/reports/render", include_in_schema=False)
    def report_download(kind: str, format: str = "pdf", country: Optional[str] = None, region: Optional[str] = None,
                        seed: int = 0, me: UserSession = Depends(page_session)) -> Response:
        return _report_response(me, kind, format, country, region, seed)

    # -- API ---------------------------------------------------------------------------
    @app.get("/api/seizures", tags=["monitoring"])
    def seizures_api(country: Optional[list[str]] = Query(None, description="ISO3 codes"), year: Optional[int] = None,
                     limit: int = Query(1000, ge=1, le=100_000), me: UserSession = Depends(api_session)) -> dict[str, Any]:
        """Seizure and arrest records the caller may see."""
        try:
            wanted = {countries().resolve(c, where="country") for c in country or []}
        except ValidationError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        rows = [r for r in me.seizure_records() if (not wanted or r["country"] in wanted) and (year is None or r["year"] == year)]
        return {"total": len(rows), "records": [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()}
                                                 for r in rows[:limit]]}

    @app.get("/api/indicators/{country}", tags=["monitoring"])
    def indicators_api(country: str, me: UserSession = Depends(api_session)) -> dict[str, Any]:
        try:
            return me.indicators(country)
        except (NotFound, ValidationError) as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None

    @app.get("/api/estimates", tags=["monitoring"])
    def estimates_list_api(me: UserSession = Depends(api_session)) -> dict[str, Any]:
        return {"estimates": estimates.describe(), "comparisons": estimates.comparisons()}

    @app.get("/api/estimates/{name}", tags=["monitoring"])
    def estimate_api(name: str, seed: int = 0, samples: int = Query(100_000, ge=100, le=2_000_000),
                     me: UserSession = Depends(api_session)) -> dict[str, Any]:
        try:
            return me.estimate(name, seed=seed, samples=samples).to_dict()
        except NotFound as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None

    @app.get("/api/reports/{kind}", tags=["monitoring"])
    def report_api(kind: str, format: str = "pdf", country: Optional[str] = None, region: Optional[str] = None,
                   seed: int = 0, me: UserSession = Depends(api_session)) -> Response:
        """A report rendered for the caller (HTML or PDF)."""
        return _report_response(me, kind, format, country, region, seed)

    def _report_response(me: UserSession, kind: str, fmt: str, country: Optional[str], region: Optional[str], seed: int) -> Response:
        try:
            data = me.report(kind, fmt=fmt, country=country, region=region, seed=seed)
        except InterdictError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        name = re.sub(r"[^a-z0-9-]+", "-", f"interdict-{kind}-{country or region or ''}".lower()).strip("-")
        media = "application/pdf" if fmt == "pdf" else "text/html; charset=utf-8"
        disposition = "attachment" if fmt == "pdf" else "inline"
        return Response(data, media_type=media, headers={"Content-Disposition": f'{disposition}; filename="{name}.{fmt}"'})
