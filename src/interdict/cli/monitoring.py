"""`interdict seizures ...`, `indicators`, `estimate` and `report`: monitoring for the INCB and the UN."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from interdict.api import countries, estimate_catalogue, seizure_template
from interdict.cli.common import HANDLING, ORCON, RELEASABLE_TO, USER, console, emit_json, err, marking, open_node
from interdict.errors import InterdictError

app = typer.Typer()
seizures_app = typer.Typer(help="Seizure and arrest records: import tables, make the member-state template, list records.", no_args_is_help=True)


class RejectedRows(InterdictError):
    """A file was refused because some rows failed validation (nothing was written)."""


@seizures_app.command("import")
def seizures_import(
    files: list[Path] = typer.Argument(..., help="Seizure tables: UNODC portal CSV/xlsx, UNODC kg-equivalent, CBP, India NCB, or the template."),
    agency: str = typer.Option(..., help="Agency recording the import (registered code)."),
    fmt: str = typer.Option("auto", "--format", help="auto, unodc-portal, unodc-kg-equiv, cbp, india-ncb or template."),
    dataset: str | None = typer.Option(None, help="Dataset name (default: from the file name)."),
    grade: str | None = typer.Option(None, help="Admiralty grade (default per format, e.g. A2 for UNODC)."),
    tlp: str = typer.Option("CLEAR", help="TLP marking of the records."),
    releasable_to: str | None = RELEASABLE_TO,
    handling: str | None = HANDLING,
    orcon: bool = ORCON,
    published: str | None = typer.Option(None, help="Publication date of the table (YYYY-MM-DD)."),
    accept_valid: bool = typer.Option(False, "--accept-valid", help="Import the valid rows even when some are rejected "
                                      "(rejected rows are kept in the quarantine file either way)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Import seizure tables. Every row is validated first; by default a file with a rejected row is
    refused whole, so nothing is half-imported. Re-importing a file changes nothing."""
    from interdict.markings import Grade, parse_agency_code

    node = open_node()
    code = parse_agency_code(agency, where="--agency")
    records_marking = marking(tlp, releasable_to, handling, orcon)
    results = []
    with console.status("Importing seizure tables…", spinner="dots") if not as_json else nullcontext():
        for path in files:
            results.append(node.import_seizures(path, agency=code, fmt=fmt, dataset=dataset, marking=records_marking,
                                                grade=Grade.parse(grade) if grade else None, accept_valid=accept_valid,
                                                published=published))
    refused = [r for r in results if not r.written]
    if as_json:
        emit_json([r.to_dict() for r in results] if len(results) > 1 else results[0].to_dict())
    else:
        table = Table("file", "format", "dataset", "rows", "accepted", "rejected", "added", "updated", "unchanged", "retracted")
        for r in results:
            ch = r.changes or {}
            table.add_row(Path(r.path).name, r.format, r.dataset, f"{r.rows:,}", f"{r.accepted:,}", f"{len(r.rejected):,}",
                          *(f"{ch.get(k, 0):,}" if r.written else "—" for k in ("added", "updated", "unchanged", "retracted")))
        console.print(table)
        for r in results:
            for rejected in r.rejected[:10]:
                err.print(f"{Path(r.path).name} row {rejected.row}: {rejected.reason}", highlight=False)
            if len(r.rejected) > 10:
                err.print(f"… {len(r.rejected) - 10:,} more; all rejected rows with reasons: {r.quarantine}", highlight=False)
            elif r.rejected:
                err.print(f"rejected rows with reasons: {r.quarantine}", highlight=False)
    if refused:
        names = ", ".join(Path(r.path).name for r in refused)
        raise RejectedRows(f"{names}: {sum(len(r.rejected) for r in refused):,} row(s) rejected, nothing imported from "
                           f"{'this file' if len(refused) == 1 else 'these files'} (fix the rows, or pass --accept-valid)")


@seizures_app.command("template")
def seizures_template(output: Path = typer.Option(..., "-o", "--output", help="File to write: .csv or .xlsx.")) -> None:
    """Write the seizure return template a member state fills in (columns from the model; the
    Excel version adds a field guide and drop-down code lists)."""
    seizure_template(output)
    console.print(f"Template written to [bold]{output}[/]. Import it with: interdict seizures import {output} --agency CODE")


@seizures_app.command("list")
def seizures_list(
    user: str = USER,
    country: list[str] | None = typer.Option(None, help="ISO3 code(s)."),
    year: int | None = typer.Option(None, help="Reference year."),
    limit: int = typer.Option(50, help="Rows to print (JSON prints all)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Seizure and arrest records you may see."""
    me = open_node(create=False).as_user(user)
    wanted = {countries().resolve(c, where="--country") for c in country or []}
    rows = [r for r in me.seizure_records() if (not wanted or r["country"] in wanted) and (year is None or r["year"] == year)]
    if as_json:
        emit_json(rows)
        return
    table = Table("country", "area", "year", "month", "group", "drug", "quantity", "unit", "kg", "events", "arrests", "dataset")
    for r in rows[:limit]:
        quantity = f"{r['quantity']:,.4g}" if r["quantity"] is not None else r["quantity_status"].replace("_", " ")
        table.add_row(r["country"], r["area"] or "", str(r["year"]), str(r["month"] or ""), r["drug_group"] or "",
                      r["drug"] or "", quantity, r["unit"] or "", f"{r['kg']:,.4g}" if r["kg"] is not None else "—",
                      str(r["events"] if r["events"] is not None else ""), str(r["arrests"] if r["arrests"] is not None else ""),
                      r["dataset"])
    console.print(table)
    console.print(f"{len(rows):,} record(s){'' if len(rows) <= limit else f', first {limit} shown'}.")


@seizures_app.command("datasets")
def seizures_datasets(user: str = USER, as_json: bool = typer.Option(False, "--json")) -> None:
    """Seizure datasets you may see, with their coverage."""
    rows = open_node(create=False).as_user(user).seizure_datasets()
    if as_json:
        emit_json(rows)
        return
    table = Table("dataset", "agency", "records", "countries", "years")
    for r in rows:
        table.add_row(r["dataset"], r["agency"], f"{r['records']:,}", str(r["countries"]), f"{r['year_from']}-{r['year_to']}")
    console.print(table)


@app.command()
def indicators(
    country: str = typer.Option(..., help="ISO3 code (or UN name) of the country."),
    user: str = USER,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Country indicators: quantities by drug and trend, share of the sub-region, reporting
    completeness, enforcement ratios, anomaly flags and trafficking routes."""
    result = open_node(create=False).as_user(user).indicators(country)
    if as_json:
        emit_json(result)
        return
    console.print(f"[bold]{result['name']}[/] ({result['country']}), {result['subregion']}; series: {', '.join(result['datasets'])}")
    table = Table("drug group", "latest year", "kg", "change on year before", "a year over 5 years")
    for t in result["trend"]:
        table.add_row(t["label"], str(t["last_year"]), f"{t['kg']:,.4g}", _pct(t["change"]), _pct(t["annual_change_5y"]))
    console.print(table)
    c = result["completeness"]
    if c:
        console.print(f"Reported in {c['years_reported']} of {len(c['cells'])} years covered by the data.")
    for a in result["anomalies"]:
        console.print(f"[red]anomaly[/] {a['text']}", highlight=False)
    for e in result["enforcement"][-5:]:
        console.print(f"{e['year']}: {e['cases']:,} cases, {e['arrests']:,} arrests ({(e['arrests_per_case'] or 0):.2f} per case) [{e['dataset']}]")
    for r in result["routes"]:
        console.print(f"{r['drug']} routes: from {', '.join(x['country'] for x in r['from'][:6]) or '—'}; "
                      f"to {', '.join(x['country'] for x in r['to'][:6]) or '—'}")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.1f}%"


@app.command()
def estimate(  # noqa: C901 - the command's three modes (--list, --compare, one estimate) as the user reads them
    name: str | None = typer.Argument(None, help="Estimate name (see --list)."),
    list_all: bool = typer.Option(False, "--list", help="List the estimates and comparisons."),
    compare: str | None = typer.Option(None, "--compare", help="Show a comparison (several figures side by side)."),
    seed: int = typer.Option(0, help="Random seed: the same seed gives the same result."),
    samples: int | None = typer.Option(None, help="Monte Carlo draws (default 100,000)."),
    user: str | None = typer.Option(None, "--user", "-u", envvar="INTERDICT_USER", help="Read claims as this user."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Estimates with uncertainty: best, 5th/50th/95th percentiles and mean, with every input's
    distribution, basis and (for case-file claims) source and grade."""
    from interdict.errors import ValidationError

    if list_all:
        catalogue = estimate_catalogue()
        items = catalogue["estimates"]
        if as_json:
            emit_json(catalogue)
            return
        table = Table("name", "title", "unit", "claims used")
        for e in items:
            table.add_row(e["name"], e["title"], e["unit"], ", ".join(e["claims"]) or "—")
        console.print(table)
        console.print("Comparisons: " + ", ".join(catalogue["comparisons"]))
        return
    if not user:
        raise ValidationError("give --user (estimates read case-file claims, which depend on who you are)", where="--user")
    me = open_node(create=False).as_user(user)
    if compare:
        result = me.compare_estimates(compare, seed=seed, samples=samples)
        data = {**result, "items": [_compare_item(i) for i in result["items"]]}
        if as_json:
            emit_json(data)
            return
        table = Table("figure", "best", "p5", "p50", "p95")
        for item in data["items"]:
            if item["kind"] == "estimate":
                table.add_row(item["title"], *(f"{item[k]:,.4g}" for k in ("best", "p5", "p50", "p95")))
            elif item["kind"] == "claim":
                table.add_row(f"claim: {item['text']}", f"{item['best'] if item['best'] is not None else item['low']}", "", "", "")
            else:
                table.add_row(item["name"], f"unavailable: {item['reason']}", "", "", "")
        console.print(table)
        return
    if not name:
        raise ValidationError("give an estimate name, --compare NAME or --list", where="estimate")
    result = me.estimate(name, seed=seed, samples=samples)
    if as_json:
        emit_json(result.to_dict())
        return
    console.print(f"[bold]{result.title}[/] ({result.unit}) — {result.formula}")
    console.print(f"best {result.best:,.4g} · p5 {result.p5:,.4g} · p50 {result.p50:,.4g} · p95 {result.p95:,.4g} · "
                  f"mean {result.mean:,.4g}  ({result.samples:,} draws, seed {result.seed})")
    for i in result.inputs:
        grade = f" [{i.claim.grade.code}]" if i.claim else ""
        console.print(f"  {i.name}: {i.distribution} {i.params}{grade} — {i.basis}", highlight=False)
    if result.caveats:
        console.print(f"Caveat: {result.caveats}")


def _compare_item(item: dict[str, Any]) -> dict[str, Any]:
    if item["kind"] == "estimate":
        return {"kind": "estimate", **item["estimate"].to_dict()}
    if item["kind"] == "claim":
        return {"kind": "claim", **item["claim"].to_dict()}
    return item


@app.command()
def report(
    kind: str = typer.Option(..., "--kind", help="country, region or dprk-brief."),
    output: Path = typer.Option(..., "-o", "--output", help="File to write."),
    user: str = USER,
    country: str | None = typer.Option(None, help="ISO3 code for --kind country."),
    region: str | None = typer.Option(None, help="Region for --kind region (default east-asia-oceania)."),
    fmt: str | None = typer.Option(None, "--format", help="pdf or html (default: from the file name)."),
    seed: int = typer.Option(0, help="Random seed for the estimates."),
    audience: str | None = typer.Option(None, help="public, partners or an agency code: keep only what may be "
                                                     "released to it (the report says what was left out)."),
) -> None:
    """Render a report (HTML or PDF) from what the user may see -- for an --audience, only what
    may be released to it -- marked with the highest marking of its contents on every page."""
    import time

    fmt = fmt or ("pdf" if output.suffix.lower() == ".pdf" else "html")
    me = open_node(create=False).as_user(user)
    started = time.perf_counter()
    with console.status(f"Rendering the {kind} report…", spinner="dots"):
        data = me.report(kind, fmt=fmt, country=country, region=region, seed=seed, audience=audience)
    output.write_bytes(data)
    console.print(f"Wrote [bold]{output}[/] ({len(data) / 1024:,.0f} KB, {fmt}) in {time.perf_counter() - started:.1f} s.")
