"""Country indicators over seizure records: pure functions over a Polars table of the records a
viewer may see (`seizures.read`), so the same code serves the CLI, the web app and the reports.

Which series counts. Several datasets can report the same country and year (the UNODC Data
Portal export and the UNODC kg-equivalent series overlap in 2018-2019; CBP and India NCB break a
country down by office or state). Adding them would double count, so for each (country, year) the
indicators use one dataset: national-total datasets (records without an `area`) first, the one
whose coverage reaches the latest year winning; sub-national datasets are summed only where no
national dataset covers that country and year. Every figure says which dataset it came from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import polars as pl

from interdict.monitoring.codes import code_lists, countries

SCHEMA = {
    "dataset": pl.String, "kind": pl.String, "country": pl.String, "area": pl.String, "year": pl.Int64,
    "month": pl.Int64, "drug_group": pl.String, "drug": pl.String, "quantity": pl.Float64, "unit": pl.String,
    "quantity_status": pl.String, "kg": pl.Float64, "events": pl.Int64, "arrests": pl.Int64,
    "subregion": pl.String, "departure_country": pl.String, "destination_country": pl.String,
    "producing_country": pl.String, "transit_countries": pl.String, "tlp": pl.String, "agency": pl.String,
    "reliability": pl.String, "credibility": pl.String, "source_id": pl.String,
}

ANOMALY_FACTOR = 100.0  # a year 100x below or above both neighbours is flagged
ANOMALY_MIN_KG = 10.0  # neighbours below this are too small to judge by


def frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    rows = [{k: r.get(k) for k in SCHEMA} for r in records]
    return pl.DataFrame(rows, schema=SCHEMA)


def choose_series(df: pl.DataFrame) -> pl.DataFrame:
    """The seizure rows that count: one dataset per (country, year), as the module doc explains."""
    seizures = df.filter(pl.col("kind") == "seizure")
    if seizures.is_empty():
        return seizures
    coverage = (seizures.group_by("dataset")
                .agg(pl.col("area").is_null().all().alias("national"), pl.col("year").max().alias("last_year"),
                     pl.len().alias("records")))
    ranked = coverage.sort(["national", "last_year", "records", "dataset"], descending=[True, True, True, False])
    rank = {name: i for i, name in enumerate(ranked["dataset"].to_list())}
    per_key = (seizures.select("country", "year", "dataset").unique()
               .with_columns(pl.col("dataset").replace_strict(rank, return_dtype=pl.Int64).alias("rank"))
               .sort("rank").group_by("country", "year").first().select("country", "year", "dataset"))
    return seizures.join(per_key, on=["country", "year", "dataset"], how="inner")


def by_group(series: pl.DataFrame) -> pl.DataFrame:
    """country x year x drug_group: kg (null when nothing convertible was reported), records, dataset."""
    return (series.group_by("country", "year", "drug_group")
            .agg(pl.col("kg").sum().alias("kg"), pl.col("kg").is_not_null().any().alias("has_kg"),
                 pl.len().alias("records"), pl.col("dataset").first().alias("dataset"),
                 (pl.col("quantity_status") != "reported").sum().alias("not_reported"))
            .with_columns(pl.when(pl.col("has_kg")).then(pl.col("kg")).otherwise(None).alias("kg"))
            .drop("has_kg").sort("country", "drug_group", "year"))



def readable_number(value: Any, digits: int = 3) -> str:
    """A quantity as a reader writes it: 125,200 (never 1.252e+05), 12.5, 0.0312; "—" for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    v = float(value)
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 1:
        return f"{v:,.{max(0, digits - len(str(int(abs(v)))))}f}".rstrip("0").rstrip(".") if v != int(v) else f"{int(v):,}"
    return f"{v:.{digits}g}"

@dataclass(frozen=True)
class Anomaly:
    country: str
    drug: str
    drug_group: str
    year: int
    kg: float
    before: float
    after: float | None
    ratio: float
    group_total: float | None
    text: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def anomalies(series: pl.DataFrame) -> list[Anomaly]:
    """Years whose quantity for a drug is ANOMALY_FACTOR times below or above the neighbouring years
    (both, or the previous one at the end of the series): a reporting or unit error is likelier than
    a real change of that size. Each flag says what it compared."""
    per_drug = (series.filter(pl.col("kg").is_not_null()).group_by("country", "drug_group", "drug", "year")
                .agg(pl.col("kg").sum()).sort("country", "drug", "year"))
    groups = {(r["country"], r["drug_group"], r["year"]): r["kg"] for r in by_group(series).iter_rows(named=True)}
    found: list[Anomaly] = []
    for (country, group, drug), part in per_drug.group_by(["country", "drug_group", "drug"], maintain_order=True):
        years = part["year"].to_list()
        values = part["kg"].to_list()
        for i, (year, value) in enumerate(zip(years, values)):
            before = values[i - 1] if i > 0 and years[i - 1] == year - 1 else None
            after = values[i + 1] if i + 1 < len(values) and years[i + 1] == year + 1 else None
            neighbours = [v for v in (before, after) if v is not None]
            if before is None or not neighbours or min(neighbours) < ANOMALY_MIN_KG:
                continue
            reference = math.sqrt(math.prod(neighbours)) if len(neighbours) == 2 else neighbours[0]
            ratio = (value / reference) if reference else math.inf
            low = value * ANOMALY_FACTOR <= min(neighbours)
            high = value >= ANOMALY_FACTOR * max(neighbours)
            if not (low or high):
                continue
            around = (f"{readable_number(before)} kg in {year - 1}"
                      + (f" and {readable_number(after)} kg in {year + 1}" if after is not None else ""))
            total = groups.get((country, group, year))
            text = (f"{drug} {year}: {readable_number(value)} kg against {around} "
                    f"({'1/' + format(1 / ratio, ',.0f') if ratio and ratio < 1 else format(ratio, ',.0f') + 'x'}); "
                    "likely a reporting or unit error")
            if total is not None and low and total > value * ANOMALY_FACTOR:
                text += f"; the {group} group total for {year} is {readable_number(total)} kg, so the quantity may sit on another line"
            found.append(Anomaly(country, drug, group, year, value, before, after, ratio, total, text))
    # Largest neighbours first: a collapse from tonnes matters more than one from a few kilograms.
    return sorted(found, key=lambda a: -min(v for v in (a.before, a.after) if v is not None))


def completeness(df: pl.DataFrame, country_codes: list[str] | None = None) -> dict[str, Any]:
    """Which years and drug groups each country reported (any record, any status), over the years
    the multi-country collections cover (a national dataset such as CBP's reaching 2025 does not
    make every other country late for 2025)."""
    seizures = df.filter(pl.col("kind") == "seizure")
    if seizures.is_empty():
        return {"years": [], "countries": []}
    international = seizures.group_by("dataset").agg(pl.col("country").n_unique().alias("n")).filter(pl.col("n") > 1)
    span = seizures.filter(pl.col("dataset").is_in(international["dataset"].to_list())) if not international.is_empty() else seizures
    years = list(range(int(span.select(pl.col("year").min()).item()), int(span.select(pl.col("year").max()).item()) + 1))
    reported = (seizures.group_by("country", "year").agg(pl.col("drug_group").unique().sort().alias("groups"),
                                                        (pl.col("quantity_status") == "reported").sum().alias("reported"))
                .sort("country", "year"))
    rows = []
    codes = country_codes or sorted(seizures["country"].unique().to_list())
    table = {(r["country"], r["year"]): r for r in reported.iter_rows(named=True)}
    for code in codes:
        cells = [{"year": y, "groups": table[(code, y)]["groups"] if (code, y) in table else [],
                  "reported": table[(code, y)]["reported"] if (code, y) in table else 0} for y in years]
        covered = sum(1 for c in cells if c["reported"])
        rows.append({"country": code, "name": countries().name(code), "years_reported": covered,
                     "share": covered / len(years), "cells": cells})
    return {"years": years, "countries": rows}


def enforcement(df: pl.DataFrame, country: str) -> list[dict[str, Any]]:
    """Arrests per case and seized kg per case, by year, where a dataset reports arrests."""
    part = df.filter(pl.col("country") == country)
    arrests = (part.filter(pl.col("kind") == "arrests").group_by("dataset", "year")
               .agg(pl.col("events").sum().alias("cases"), pl.col("arrests").sum().alias("arrests")))
    if arrests.is_empty():
        return []
    kg = (part.filter(pl.col("kind") == "seizure").group_by("dataset", "year")
          .agg(pl.col("kg").sum().alias("kg")))
    joined = arrests.join(kg, on=["dataset", "year"], how="left").sort("dataset", "year")
    out = []
    for r in joined.iter_rows(named=True):
        cases, held = r["cases"], r["arrests"]
        out.append({"dataset": r["dataset"], "year": r["year"], "cases": cases, "arrests": held, "kg": r["kg"],
                    "arrests_per_case": (held / cases) if cases else None,
                    "kg_per_case": (r["kg"] / cases) if cases and r["kg"] is not None else None})
    return out


def trend(groups: pl.DataFrame, country: str) -> list[dict[str, Any]]:
    """Per drug group: latest year, change on the year before, and the compound annual change
    over up to five years (when both ends are positive)."""
    out = []
    part = groups.filter((pl.col("country") == country) & pl.col("kg").is_not_null())
    labels = code_lists()["drug_groups"].labels
    for (group,), rows in part.sort("year").group_by(["drug_group"], maintain_order=True):
        years, values = rows["year"].to_list(), rows["kg"].to_list()
        last_year, last = years[-1], values[-1]
        prev = values[-2] if len(years) > 1 and years[-2] == last_year - 1 else None
        window = [(y, v) for y, v in zip(years, values) if y >= last_year - 5]
        cagr = None
        if len(window) >= 3 and window[0][1] > 0 and last > 0:
            cagr = (last / window[0][1]) ** (1 / (last_year - window[0][0])) - 1
        out.append({"drug_group": group, "label": labels.get(group, group), "last_year": last_year, "kg": last,
                    "previous_kg": prev, "change": (last - prev) / prev if prev else None,
                    "annual_change_5y": cagr, "years": len(years)})
    return sorted(out, key=lambda r: -(r["kg"] or 0))


def share_of_region(groups: pl.DataFrame, country: str, members: list[str]) -> list[dict[str, Any]]:
    region = groups.filter(pl.col("country").is_in(members) & pl.col("kg").is_not_null())
    totals = region.group_by("year", "drug_group").agg(pl.col("kg").sum().alias("region_kg"),
                                                        pl.col("country").n_unique().alias("reporting"))
    mine = region.filter(pl.col("country") == country).join(totals, on=["year", "drug_group"])
    return [{"year": r["year"], "drug_group": r["drug_group"], "kg": r["kg"], "region_kg": r["region_kg"],
             "share": r["kg"] / r["region_kg"] if r["region_kg"] else None, "countries_reporting": r["reporting"]}
            for r in mine.sort("drug_group", "year").iter_rows(named=True)]


def region_members(country: str) -> tuple[str, list[str]]:
    """The UNODC sub-region of a country and its members (from the country table)."""
    info = countries().get(country)
    if info is None or not info.subregion:
        return "", [country]
    return info.subregion, sorted(c.iso3 for c in countries().by_code.values() if c.subregion == info.subregion)


def country_indicators(df: pl.DataFrame, country: str, *, routes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    series = choose_series(df)
    groups = by_group(series)
    subregion, members = region_members(country)
    mine = groups.filter(pl.col("country") == country)
    info = countries().get(country)
    return {
        "country": country,
        "name": info.name if info else country,
        "subregion": subregion,
        "series": [dict(r) for r in mine.iter_rows(named=True)],
        "datasets": sorted(set(series.filter(pl.col("country") == country)["dataset"].to_list())),
        "trend": trend(groups, country),
        "share_of_region": share_of_region(groups, country, members),
        "completeness": completeness(df, [country])["countries"][0] if not df.filter(pl.col("country") == country).is_empty() else None,
        "enforcement": enforcement(df, country),
        "anomalies": [a.to_dict() for a in anomalies(series.filter(pl.col("country") == country))],
        "routes": routes or [],
    }
