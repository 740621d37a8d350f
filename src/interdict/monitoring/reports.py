"""Reports for monitoring officers: a country report, a regional report and the DPRK narcotics
brief for the Security Council, as HTML or PDF (Jinja2 + WeasyPrint, charts by matplotlib).

A report is built for one user from what that user may see, and every record it shows (seizure
rows, claims, statements, sources) adds its marking to the banner printed at the top and bottom
of every page, so the banner is the highest marking of the content.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import jinja2
import polars as pl
from markupsafe import Markup

from interdict.errors import ValidationError
from interdict.markings import Banner, Marking, highest
from interdict.monitoring import charts, estimates, indicators
from interdict.monitoring.codes import code_lists, countries, regions
from interdict.monitoring.seizures import record_markings

if TYPE_CHECKING:
    from interdict.intel.entities import ClaimView, EntityView, SourceRef
    from interdict.monitoring.routes import RouteSet

KINDS = ("country", "region", "dprk-brief")
REGION_BBOX = {"east-asia-oceania": (90.0, 190.0, -50.0, 50.0)}
BRIEF_FILE = "monitoring/dprk_brief.yaml"


@dataclass(frozen=True)
class BriefSpec:
    """What the DPRK brief draws on besides seizure tables: the case-file entities it presents and
    the neighbouring countries it compares (data, in `data/monitoring/dprk_brief.yaml`)."""

    entities: tuple[str, ...]
    neighbours: tuple[str, ...]


def brief_spec() -> BriefSpec:
    import yaml

    from interdict.util import data_path

    raw = yaml.safe_load(data_path(BRIEF_FILE).read_text(encoding="utf-8"))
    return BriefSpec(tuple(raw["entities"]), tuple(raw["neighbours"]))


@dataclass
class ReportInputs:
    """Everything a report is built from, gathered for one user by the API
    (`interdict.api.UserSession.report_inputs`) from what that user may see; this module reads
    nothing else."""

    username: str
    agency: str
    agency_name: str
    seizure_records: list[dict[str, Any]]
    claims: dict[str, ClaimView]
    routes: RouteSet
    sources: dict[str, tuple[SourceRef, Marking]]
    entities: dict[str, EntityView] = field(default_factory=dict)
    audience: str | None = None  # whom the report is for beyond its reader ("the public", ...)
    left_out: dict[str, int] = field(default_factory=dict)  # what the reader may see but the audience may not


Keep = Callable[[str, Marking], bool]  # (originating agency, marking) -> may go to the audience


def released(inputs: ReportInputs, keep: Keep, audience: str, public_routes: RouteSet) -> ReportInputs:
    """The inputs cut to what `keep` lets go to `audience`, with counts of what was left out
    (of what the reader may see: the counts tell the reader nothing new). Routes are rebuilt
    from the kept records on top of `public_routes`; an entity keeps only its releasable
    statements, takes its caption from a releasable name and is left out without one."""
    from interdict.intel.entities import EntityView
    from interdict.monitoring import routes as route_sets

    left: dict[str, int] = {}

    def count(what: str, n: int) -> None:
        if n:
            left[what] = left.get(what, 0) + n

    records = [r for r in inputs.seizure_records if keep(r["agency"], record_markings([r])[0])]
    count("seizure and arrest records", len(inputs.seizure_records) - len(records))
    claims = {k: c for k, c in inputs.claims.items() if keep(c.agency, c.marking)}
    count("claims", len(inputs.claims) - len(claims))
    # a source is named only through what cites it: its own marking decides (its origin unknown here)
    sources = {k: (ref, m) for k, (ref, m) in inputs.sources.items() if keep("", m)}
    count("sources", len(inputs.sources) - len(sources))
    entities: dict[str, EntityView] = {}
    for entity_id, view in inputs.entities.items():
        kept = [st for st in view.statements if keep(st.agency, st.marking)]
        names = [st.value for st in kept if st.prop == "name"]
        count("statements about case-file entities", len(view.statements) - len(kept))
        if not names:
            count("case-file entities", 1)
            continue
        caption = view.caption if view.caption in names else names[0]
        entities[entity_id] = EntityView(view.id, view.schema, caption, kept)  # links left to the entity pages
    network = route_sets.merged(public_routes, route_sets.from_records(records))
    return ReportInputs(username=inputs.username, agency=inputs.agency, agency_name=inputs.agency_name,
                        seizure_records=records, claims=claims, routes=network, sources=sources, entities=entities,
                        audience=audience, left_out=left)


@dataclass
class Content:
    """What a report shows, with the markings of every record it drew on."""

    markings: list[Marking] = field(default_factory=list)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_records(self, records: list[dict[str, Any]]) -> None:
        self.markings.extend(record_markings(records))

    def add_source(self, source_id: str | None, *, title: str, publisher: str | None, grade: str, marking: Marking,
                   used_for: str) -> None:
        if not source_id:
            return
        entry = self.sources.setdefault(source_id, {"id": source_id, "title": title, "publisher": publisher,
                                                    "grades": set(), "marking": marking.label, "used_for": set()})
        entry["grades"].add(grade)
        entry["used_for"].add(used_for)
        self.markings.append(marking)

    @property
    def banner(self) -> Banner:
        return highest(self.markings)


def img(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


fmt_number = indicators.readable_number  # the one way a report writes a quantity


def fmt_money(value: Any) -> str:
    if value is None:
        return "—"
    v = float(value)
    if abs(v) >= 1e9:
        return f"${v / 1e9:,.2f} B"
    if abs(v) >= 1e6:
        return f"${v / 1e6:,.0f} M"
    return f"${v:,.0f}"


def fmt_quantity(value: Any, unit: str) -> str:
    return fmt_money(value) + "/year" if unit == "USD/year" else f"{fmt_number(value)} {unit}"


def css_string(text: str) -> Markup:
    """A CSS string literal (for @page margin boxes): quotes and backslashes escaped, and '<'
    too, since a style element ends at the first '</'."""
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ").replace("\n", " ")
    return Markup(f'"{escaped}"')


def claim_figure(claim: Any) -> str:
    """A claim's figure as its source gives it: a range, a point, or a bound."""
    def one(v: Any) -> str:
        return fmt_money(v) if claim.unit.startswith("USD") else fmt_number(v)
    unit = "" if claim.unit.startswith("USD") else f" {claim.unit}"
    per = "/year" if claim.unit.endswith("/year") and claim.unit.startswith("USD") else ""
    if claim.reading == "lower_bound" and claim.low is not None:
        return f"at least {one(claim.low)}{unit}{per}"
    if claim.reading == "upper_bound" and (claim.best or claim.high) is not None:
        return f"up to {one(claim.best if claim.best is not None else claim.high)}{unit}{per}"
    if claim.low is not None and claim.high is not None:
        middle = f" (best {one(claim.best)})" if claim.best is not None else ""
        return f"{one(claim.low)}-{one(claim.high)}{unit}{per}{middle}"
    value = claim.best if claim.best is not None else claim.low if claim.low is not None else claim.high
    return f"{one(value)}{unit}{per}"


def fmt_pct(value: Any) -> str:
    return "—" if value is None else f"{value * 100:,.1f}%"


_ENV: jinja2.Environment | None = None


def environment() -> jinja2.Environment:
    global _ENV
    if _ENV is None:
        env = jinja2.Environment(loader=jinja2.PackageLoader("interdict.monitoring", "templates"),
                                 autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
        env.filters.update({"num": fmt_number, "money": fmt_money, "qty": fmt_quantity, "pct": fmt_pct, "css_string": css_string,
                            "claim_figure": claim_figure, "img": img,
                            "country": lambda c: countries().name(c) if c else "—",
                            "group": lambda g: code_lists()["drug_groups"].labels.get(g, g or "—")})
        _ENV = env
    return _ENV


def _dataset_sources(inputs: ReportInputs, content: Content, records: list[dict[str, Any]], used_for: str) -> None:
    """List the sources of `records` that the user may see, with the grades the records carry."""
    grades: dict[str, set[str]] = {}
    for r in records:
        if r["source_id"]:
            grades.setdefault(r["source_id"], set()).add(r["reliability"] + r["credibility"])
    for source_id, codes in grades.items():
        if source_id not in inputs.sources:
            continue
        ref, marking = inputs.sources[source_id]
        for code in codes:
            content.add_source(ref.id, title=ref.title, publisher=ref.publisher, grade=code, marking=marking,
                               used_for=used_for)


def _base_context(inputs: ReportInputs, title: str, subtitle: str) -> dict[str, Any]:
    return {"title": title, "subtitle": subtitle, "generated": datetime.now(UTC).strftime("%d %B %Y, %H:%M UTC"),
            "user": inputs.username, "agency": inputs.agency, "agency_name": inputs.agency_name,
            "audience": inputs.audience, "left_out": [counted(n, what) for what, n in inputs.left_out.items()]}


SINGULAR = {"seizure and arrest records": "seizure or arrest record", "claims": "claim", "sources": "source",
            "statements about case-file entities": "statement about case-file entities",
            "case-file entities": "case-file entity"}


def counted(n: int, plural: str) -> str:
    return f"{n:,} {SINGULAR.get(plural, plural) if n == 1 else plural}"


def group_series(groups: pl.DataFrame, country: str) -> dict[str, list[tuple[int, float]]]:
    labels = code_lists()["drug_groups"].labels
    out: dict[str, list[tuple[int, float]]] = {}
    for r in groups.filter((pl.col("country") == country) & pl.col("kg").is_not_null()).iter_rows(named=True):
        out.setdefault(labels.get(r["drug_group"], r["drug_group"]), []).append((r["year"], r["kg"]))
    return out


def country_report(inputs: ReportInputs, country: str) -> tuple[dict[str, Any], Content]:
    code = countries().resolve(country, where="--country")
    content = Content()
    records = inputs.seizure_records
    df = indicators.frame(records)
    mine = [r for r in records if r["country"] == code]
    if not mine:
        raise ValidationError(f"no seizure records you may see for {countries().name(code)} ({code})", where="--country")
    routes = inputs.routes
    result = indicators.country_indicators(df, code, routes=routes.country(code))
    series = indicators.choose_series(df)
    groups = indicators.by_group(series)
    used = series.filter(pl.col("country") == code)
    content.add_records(mine)
    _dataset_sources(inputs, content, mine, "seizure records")
    years = sorted({r["year"] for r in result["series"]})
    recent = [y for y in years if y >= (years[-1] - 9)] if years else []
    table: dict[str, dict[int, Any]] = {}
    for r in result["series"]:
        table.setdefault(r["drug_group"], {})[r["year"]] = r["kg"]
    sub_national = (df.filter((pl.col("country") == code) & pl.col("area").is_not_null() & (pl.col("kind") == "seizure"))
                    .group_by("dataset", "area").agg(pl.col("kg").sum(), pl.col("year").max().alias("last_year"))
                    .sort("kg", descending=True, nulls_last=True).head(12))
    ctx = _base_context(inputs, f"{result['name']}: drug seizures and enforcement",
                        f"Country report · {result['subregion'] or 'region not known'}")
    ctx.update({
        "kind": "country", "country": code, "ind": result, "recent_years": recent, "table": table,
        "trend_png": charts.trend_chart(group_series(groups, code), title=f"Seizures by drug group, {result['name']}"),
        "sub_national": sub_national.to_dicts(),
        "latest_share": _latest_by_group(result["share_of_region"]),
        "series_datasets": sorted(set(used["dataset"].to_list())),
        "methods": _methods(extra=["Share of region: the country's kilograms over the sum of the countries of its UNODC "
                                   "sub-region that reported that drug group and year."]),
    })
    return ctx, content


def _latest_by_group(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r["drug_group"] not in latest or r["year"] > latest[r["drug_group"]]["year"]:
            latest[r["drug_group"]] = r
    return sorted(latest.values(), key=lambda r: -(r["kg"] or 0))


def _methods(extra: list[str] | None = None) -> list[str]:
    return [
        "Quantities are bulk kilograms as reported, not purity-adjusted. Litres count at 1 kg/L; tablets and other "
        "items only through the configured item weights (data/monitoring/units.yaml); anything else keeps its unit "
        "and has no kilogram figure.",
        "Where several datasets cover the same country and year, one is used (national totals first, the most recent "
        "series winning) so nothing is counted twice; each table names its datasets. Where the dataset changes from "
        "one year to the next (India from 2023, when only the NCB state tables exist), the series has a break: "
        "the datasets count and convert differently.",
        "Missing, 'not known' and zero are different: a blank is not a zero, and a country that did not report is "
        "shown as not reporting, not as seizing nothing.",
        "Drug-group totals add every line reported in the group; UNODC exports also carry 'reported total' lines, "
        "which can overlap the lines for single drugs.",
        f"Anomaly flags mark a year at least {indicators.ANOMALY_FACTOR:,.0f} times below or above the neighbouring "
        "years; they point to a reporting or unit error to check with the member state, not to a real change.",
        *(extra or []),
    ]


def region_report(inputs: ReportInputs, region: str = "east-asia-oceania") -> tuple[dict[str, Any], Content]:
    spec = regions().get(region)
    if spec is None:
        raise ValidationError(f"unknown region {region!r} ({', '.join(regions())})", where="--region")
    members = list(spec["countries"])
    content = Content()
    records = [r for r in inputs.seizure_records if r["country"] in members]
    if not records:
        raise ValidationError(f"no seizure records you may see for {spec['title']}", where="--region")
    content.add_records(records)
    _dataset_sources(inputs, content, records, "seizure records")
    df = indicators.frame(records)
    series = indicators.choose_series(df)
    groups = indicators.by_group(series)
    completeness = last_years(indicators.completeness(df, members), 10)
    last_year = int(groups.select(pl.col("year").max()).item())
    maps = []
    for group in ("ats", "opioids"):
        year, values = best_map_year(groups, group, members)
        reported_any = {r["country"] for r in groups.filter(pl.col("year") == year).iter_rows(named=True)}
        maps.append({"group": group, "year": year, "png": charts.choropleth(
            values, title=f"{code_lists()['drug_groups'].labels[group]} seized, {year}", bbox=REGION_BBOX.get(region, (-180, 180, -60, 80)),
            not_reported=[c for c in members if c not in reported_any])})
    latest = (groups.filter(pl.col("year") == last_year).pivot(on="drug_group", index="country", values="kg", aggregate_function="sum"))
    totals = groups.group_by("year", "drug_group").agg(pl.col("kg").sum())
    region_series: dict[str, list[tuple[int, float]]] = {}
    for r in totals.iter_rows(named=True):
        region_series.setdefault(code_lists()["drug_groups"].labels.get(r["drug_group"], r["drug_group"]), []).append((r["year"], r["kg"]))
    ctx = _base_context(inputs, f"{spec['title']}: drug seizures", f"Regional report · {len(members)} countries and territories")
    ctx.update({
        "kind": "region", "region": spec["title"], "maps": maps, "completeness": completeness, "last_year": last_year,
        "latest": sorted(latest.to_dicts(), key=lambda r: -sum(v or 0 for k, v in r.items() if k != "country")),
        "latest_groups": [g for g in ("ats", "ecstasy", "opioids", "cannabis", "cocaine", "nps", "precursors") if g in latest.columns],
        "trend_png": charts.trend_chart({k: v for k, v in region_series.items()}, title=f"{spec['title']}: seizures by drug group"),
        "anomalies": [a.to_dict() for a in indicators.anomalies(series)],
        "methods": _methods(extra=["Maps shade each country by the kilograms it reported for the drug group in the "
                                   "year with the most reporting countries; hatched countries sent no report that year."]),
    })
    return ctx, content


def last_years(completeness: dict[str, Any], years: int) -> dict[str, Any]:
    """The completeness table cut to its last `years` years."""
    if not completeness["years"]:
        return completeness
    keep = set(completeness["years"][-years:])
    completeness["years"] = [y for y in completeness["years"] if y in keep]
    for row in completeness["countries"]:
        row["cells"] = [c for c in row["cells"] if c["year"] in keep]
        row["years_reported"] = sum(1 for c in row["cells"] if c["reported"])
    return completeness


def best_map_year(groups: pl.DataFrame, group: str, members: list[str]) -> tuple[int, dict[str, float | None]]:
    part = groups.filter((pl.col("drug_group") == group) & pl.col("country").is_in(members))
    counts = part.group_by("year").agg(pl.col("country").n_unique().alias("n")).sort(["n", "year"], descending=True)
    year = int(counts["year"][0]) if not counts.is_empty() else int(groups.select(pl.col("year").max()).item())
    values = {r["country"]: r["kg"] for r in part.filter(pl.col("year") == year).iter_rows(named=True)}
    return year, values


def dprk_brief(inputs: ReportInputs, *, seed: int = 0, samples: int | None = None) -> tuple[dict[str, Any], Content]:  # noqa: C901 - the brief's sections in the order the template shows them
    content = Content()
    claims = inputs.claims
    spec = brief_spec()
    neighbours = list(spec.neighbours)
    for c in claims.values():
        content.markings.append(c.marking)
        if c.source:
            content.add_source(c.source.id, title=c.source.title, publisher=c.source.publisher, grade=c.grade.code,
                               marking=c.marking, used_for="case-file claims")
    shown_entities = []
    for entity_id in spec.entities:
        view = inputs.entities.get(entity_id)
        if view is None:
            continue
        statements = [s for s in view.statements if s.prop in ("name", "alias", "notes", "summary", "description",
                                                                 "date", "startDate", "country", "flag", "program")]
        for s in statements:
            content.markings.append(s.marking)
            if s.source:
                content.add_source(s.source.id, title=s.source.title, publisher=s.source.publisher, grade=s.grade.code,
                                   marking=s.marking, used_for="case-file entities")
        shown_entities.append({"id": view.id, "schema": view.schema, "caption": view.caption, "statements": statements})
    comparisons = []
    for name in estimates.comparisons():
        comparison = estimates.compare(name, claims, seed=seed, samples=samples)
        rows = []
        for item in comparison["items"]:
            if item["kind"] == "estimate":
                e = item["estimate"]
                content.markings.extend(e.markings())
                spread = e.p95 > e.p5
                rows.append({"label": e.title, "estimate": e, "best": e.best, "p5": e.p5, "p50": e.p50, "p95": e.p95,
                             "histogram": charts.histogram(e.draws, title=e.title[:60], unit=e.unit, best=e.best) if spread else None})
            elif item["kind"] == "claim":
                c = item["claim"]
                rows.append({"label": f"Claim: {c.text[:70]}", "claim": c, "best": c.best,
                             "lower_bound": c.low if c.reading == "lower_bound" else None})
            else:
                rows.append({"label": item["name"], "unavailable": item["reason"]})
        drawable = [r for r in rows if "unavailable" not in r]
        comparisons.append({**comparison, "rows": rows,
                            "png": charts.interval_chart(drawable, title=comparison["title"], unit=comparison["unit"]) if drawable else None})
    records = [r for r in inputs.seizure_records if r["country"] in neighbours + ["PRK"]]
    content.add_records(records)
    _dataset_sources(inputs, content, records, "seizure records")
    df = indicators.frame(records)
    series = indicators.choose_series(df)
    groups = indicators.by_group(series)
    neighbour_charts = []
    for group in ("ats", "opioids"):
        lines = {countries().name(c): [(r["year"], r["kg"]) for r in groups.filter(
            (pl.col("country") == c) & (pl.col("drug_group") == group) & pl.col("kg").is_not_null() & (pl.col("year") >= 2000)).iter_rows(named=True)]
            for c in neighbours}
        neighbour_charts.append({"group": group, "png": charts.trend_chart(
            lines, title=f"{code_lists()['drug_groups'].labels[group]} seized by the DPRK's neighbours and partners, 2000-")})
    prk_records = [r for r in records if r["country"] == "PRK"]
    brief_map = _brief_map(groups, inputs.routes, neighbours, reported=bool(prk_records))
    completeness = last_years(indicators.completeness(df, neighbours + ["PRK"]), 15)
    anomalies = [a.to_dict() for a in indicators.anomalies(series)
                 if a.year >= 2000 and a.drug_group in ("ats", "opioids", "cocaine")][:12]
    key = {k: claims.get(k) for k in ("dprk-drug-revenue-range", "dprk-narcotics-exports-usfk", "dprk-opium-production",
                                      "pong-su-heroin-landed", "pong-su-heroin-recovered", "japan-meth-seizure-2002",
                                      "dprk-arrests-since-1976", "japan-drug-imports-from-dprk-share")}
    ctx = _base_context(inputs, "North Korea's narcotics trade", "Brief for the Security Council · prepared for the INCB")
    ctx.update({
        "kind": "dprk-brief", "claims": sorted(claims.values(), key=lambda c: c.key), "key": key,
        "entities": shown_entities, "comparisons": comparisons, "neighbour_charts": neighbour_charts, "map": brief_map,
        "completeness": completeness, "prk_records": len(prk_records), "anomalies": anomalies,
        "routes": [r for c in ("JPN", "KOR", "AUS", "CHN") for r in ([{"country": c, **x} for x in inputs.routes.country(c)])],
        "seed": seed,
        "methods": _methods(extra=[
            "Estimates are Monte Carlo propagations (seeded, reproducible) of the input distributions listed with each "
            "estimate; 'best' evaluates the formula at each input's central value. Independent-looking figures are shown "
            "side by side and never pooled: they share sources and assumptions.",
            "Claims from defectors and intelligence services are graded as such (Admiralty scale); a lower grade means "
            "the figure deserves more scepticism, not that it is false.",
        ]),
    })
    return ctx, content


BRIEF_BBOX = (95.0, 180.0, -48.0, 52.0)
BRIEF_SINCE = 2000


def _brief_map(groups: pl.DataFrame, network: RouteSet, neighbours: list[str], *, reported: bool) -> dict[str, Any]:
    """The brief's map: the neighbours shaded by the methamphetamine-type stimulants and opioids
    they seized since 2000, the DPRK outlined (hatched when it sent no report), and the
    trafficking links that touch the region, wider for links reported in more years."""
    part = groups.filter(pl.col("country").is_in(neighbours) & pl.col("drug_group").is_in(["ats", "opioids"])
                         & (pl.col("year") >= BRIEF_SINCE) & pl.col("kg").is_not_null())
    totals = part.group_by("country").agg(pl.col("kg").sum())
    values = {r["country"]: r["kg"] for r in totals.iter_rows(named=True)}
    region = set(neighbours) | {"PRK"}
    years: dict[tuple[str, str], set[int]] = {}
    for edge in network.edges:
        if edge["from"] in region or edge["to"] in region:
            years.setdefault((edge["from"], edge["to"]), set()).add(edge["year"])
    links = sorted((a, b, len(ys)) for (a, b), ys in years.items())
    drawn = charts.links_inside(links, BRIEF_BBOX)
    png = charts.route_map(values, links, title=f"Stimulants and opioids seized since {BRIEF_SINCE}, and trafficking links",
                           bbox=BRIEF_BBOX, highlight="PRK", label=f"kg since {BRIEF_SINCE}",
                           not_reported=[] if reported else ["PRK"])
    return {"png": png, "countries": len(values), "links": len(links), "drawn": len(drawn), "since": BRIEF_SINCE}


def build(inputs: ReportInputs, kind: str, *, country: str | None = None, region: str | None = None,
          seed: int = 0, samples: int | None = None) -> tuple[dict[str, Any], Content]:
    """The report's template context and its content (markings, sources), from `inputs` alone."""
    if kind == "country":
        if not country:
            raise ValidationError("a country report needs --country ISO3", where="--country")
        return country_report(inputs, country)
    if kind == "region":
        return region_report(inputs, region or "east-asia-oceania")
    if kind == "dprk-brief":
        return dprk_brief(inputs, seed=seed, samples=samples)
    raise ValidationError(f"unknown report kind {kind!r} ({', '.join(KINDS)})", where="--kind")


def render_html(ctx: dict[str, Any], content: Content) -> str:
    sources = sorted(({**s, "grades": sorted(s["grades"]), "used_for": sorted(s["used_for"])} for s in content.sources.values()),
                     key=lambda s: s["id"])
    return environment().get_template(f"report_{ctx['kind'].replace('-', '_')}.html").render(
        **ctx, banner=content.banner, sources=sources)


def render(inputs: ReportInputs, kind: str, *, fmt: str = "html", country: str | None = None, region: str | None = None,
           seed: int = 0, samples: int | None = None) -> bytes:
    if fmt not in ("html", "pdf"):
        raise ValidationError(f"format must be html or pdf, got {fmt!r}", where="--format")
    ctx, content = build(inputs, kind, country=country, region=region, seed=seed, samples=samples)
    html = render_html(ctx, content)
    return html.encode() if fmt == "html" else html_to_pdf(html)


def html_to_pdf(html: str) -> bytes:
    import logging

    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    from weasyprint.urls import URLFetcher

    # Everything the page needs is inline (data: URIs); a fetcher limited to data: makes sure
    # nothing is ever fetched from a network (users are often air-gapped).
    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()
