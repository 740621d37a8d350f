"""The monitoring dashboard as data: a region's map, trend, completeness and anomalies for one
drug group, and the estimate panels, computed from the records and comparisons handed in (the API
gathers them for one user; the web page only lays them out)."""

from __future__ import annotations

from typing import Any

import polars as pl

from interdict.errors import ValidationError
from interdict.monitoring import charts, indicators
from interdict.monitoring.codes import code_lists, countries
from interdict.monitoring.reports import REGION_BBOX, best_map_year, group_series, img, last_years

DEFAULT_REGION = "east-asia-oceania"
DEFAULT_GROUP = "ats"


def map_years(groups: pl.DataFrame, group: str, members: list[str]) -> list[int]:
    """The years in which some member reported a quantity of the drug group, oldest first."""
    part = groups.filter((pl.col("drug_group") == group) & pl.col("country").is_in(members) & pl.col("kg").is_not_null())
    return sorted(int(y) for y in part["year"].unique().to_list())


def region(records: list[dict[str, Any]], spec: dict[str, Any], region_key: str, group: str, *,
           datasets: list[dict[str, Any]], comparisons: list[dict[str, Any]], year: int | None = None) -> dict[str, Any]:
    """The dashboard's context: `records` are the region's seizure records, `comparisons` the
    results of `estimates.compare` for each comparison shown; the map shows `year` (by default
    the latest year in which some member reported the drug group; a year without reports is a
    ValidationError naming the years there are)."""
    members = list(spec["countries"])
    labels = code_lists()["drug_groups"].labels
    group = group if group in labels else DEFAULT_GROUP
    context: dict[str, Any] = {"region": spec["title"], "region_key": region_key, "group": group, "groups": labels,
                               "datasets": datasets, "has_data": bool(records)}
    if records:
        df = indicators.frame(records)
        series = indicators.choose_series(df)
        groups = indicators.by_group(series)
        years = map_years(groups, group, members)
        if year is not None and year not in years:
            span = f"{years[0]}-{years[-1]}" if years else "none"
            raise ValidationError(f"year: no {labels[group]} seizures reported in {spec['title']} in {year} "
                                  f"(years with reports: {span})", where="year")
        year = year if year is not None else (years[-1] if years else best_map_year(groups, group, members)[0])
        part = groups.filter((pl.col("drug_group") == group) & pl.col("country").is_in(members) & (pl.col("year") == year))
        values = {r["country"]: r["kg"] for r in part.iter_rows(named=True)}
        reported = {r["country"] for r in groups.filter(pl.col("year") == year).iter_rows(named=True)}
        totals: dict[str, list[tuple[int, float]]] = {}
        for r in groups.filter(pl.col("drug_group") == group).iter_rows(named=True):
            if r["kg"] is not None:
                totals.setdefault(countries().name(r["country"]), []).append((r["year"], r["kg"]))
        top = sorted(totals, key=lambda k: -max(v for _, v in totals[k]))[:8]
        context.update({
            "map": img(charts.choropleth(values, title=f"{labels[group]} seized, {year}",
                                         bbox=REGION_BBOX.get(region_key, (-180, 180, -60, 80)),
                                         not_reported=[c for c in members if c not in reported])),
            "map_year": year, "map_years": years,
            "map_reporting": len({c for c in reported if c in members}), "members": len(members),
            "trend": img(charts.trend_chart({k: totals[k] for k in top}, title=f"{labels[group]}: the eight largest seizing countries")),
            "completeness": last_years(indicators.completeness(df, members), 10),
            "anomalies": [a.to_dict() for a in indicators.anomalies(series)][:15],
            "countries": sorted({(r["country"], countries().name(r["country"])) for r in records}, key=lambda x: x[1]),
        })
    context["estimates"] = [estimate_panel(result) for result in comparisons]
    return context


def estimate_panel(result: dict[str, Any]) -> dict[str, Any]:
    """One comparison (estimates and claims side by side) as table rows and an interval chart."""
    rows = []
    for item in result["items"]:
        if item["kind"] == "estimate":
            e = item["estimate"]
            rows.append({"label": e.title, "name": e.name, "best": e.best, "p5": e.p5, "p50": e.p50, "p95": e.p95})
        elif item["kind"] == "claim":
            c = item["claim"]
            rows.append({"label": "Claim: " + c.text, "best": c.best if c.best is not None else c.low,
                         "p5": None, "p50": None, "p95": None,
                         "lower_bound": c.low if c.reading == "lower_bound" else None})
        else:
            rows.append({"label": item["name"], "unavailable": item["reason"]})
    drawable = [r for r in rows if "unavailable" not in r]
    return {"title": result["title"], "unit": result["unit"], "rows": rows,
            "chart": img(charts.interval_chart(drawable, title=result["title"], unit=result["unit"])) if drawable else None}


def country_trend(records: list[dict[str, Any]], country: str, name: str) -> str:
    """A country's seizures by drug group over the years (from its own records), as a chart (data: URI)."""
    groups = indicators.by_group(indicators.choose_series(indicators.frame(records)))
    return img(charts.trend_chart(group_series(groups, country), title=f"Seizures by drug group, {name}"))
