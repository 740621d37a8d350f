"""The `interdict` command line: a thin layer over `interdict.api`.

Bad input exits with code 2 and one line naming the file, record and field; `--debug` shows the
traceback instead.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Optional

# Polars' allocator (jemalloc) keeps freed pages by default; return them promptly so that
# streaming ingest of large files stays within its memory bound. Must be set before Polars loads.
os.environ.setdefault("_RJEM_MALLOC_CONF", "background_thread:true,dirty_decay_ms:0,muzzy_decay_ms:0")

import click  # noqa: E402
import typer  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from interdict.api import Interdict  # noqa: E402
from interdict.errors import InterdictError  # noqa: E402

app = typer.Typer(help="Interdict: shared maritime, intelligence and monitoring system against state-sponsored drug trafficking.",
                  no_args_is_help=True, add_completion=False)
agency_app = typer.Typer(help="Register and list agencies.", no_args_is_help=True)
user_app = typer.Typer(help="Register users, list them, issue API tokens.", no_args_is_help=True)
ais_app = typer.Typer(help="AIS: decode NMEA, ingest positions into the track store, inspect it.", no_args_is_help=True)
app.add_typer(ais_app, name="ais")
lists_app = typer.Typer(help="Sanctions lists: OFAC SDN, UN Security Council, FollowTheMoney JSON lines.", no_args_is_help=True)
app.add_typer(lists_app, name="lists")
app.add_typer(agency_app, name="agency")
app.add_typer(user_app, name="user")

console = Console()
err = Console(stderr=True)


class State:
    home: Optional[Path] = None
    database_url: Optional[str] = None
    debug: bool = False


state = State()


@app.callback()
def _global(
    home: Optional[Path] = typer.Option(None, "--home", envvar="INTERDICT_HOME", help="Workspace directory (default: ./interdict-data)."),
    database_url: Optional[str] = typer.Option(None, "--database-url", envvar="INTERDICT_DATABASE_URL", help="postgresql+psycopg://… to use PostgreSQL instead of the embedded SQLite."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    state.home, state.database_url, state.debug = home, database_url, debug


def _node(create: bool = True) -> Interdict:
    return Interdict.open(state.home, state.database_url, create=create)


def _emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


UserOption = typer.Option(..., "--user", "-u", envvar="INTERDICT_USER", help="Read as this user: what you see depends on the user's agency.")


# -- workspace ---------------------------------------------------------------------------
@app.command()
def init() -> None:
    """Create the workspace (or bring its database schema up to date)."""
    node = _node()
    console.print(f"Workspace ready at [bold]{node.workspace.home.resolve()}[/] ({node.workspace.backend}).")


@app.command()
def demo(
    port: int = typer.Option(8000, help="Port for the web app."),
    host: str = typer.Option("127.0.0.1", help="Address to serve on."),
    serve_app: bool = typer.Option(True, "--serve/--no-serve", help="Serve the web app after loading."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Build or refresh the demo workspace from the bundled real data, then serve the web app."""
    from interdict.demo import run_demo

    node = _node()
    with console.status("Loading the case file, sanctions lists, AIS samples and seizure tables; detecting behaviour; "
                        "rendering the DPRK brief…",
                        spinner="dots") if not as_json else _null():
        summary = run_demo(node)
    if as_json:
        _emit_json(summary)
    else:
        _print_demo_summary(summary)
    if serve_app:
        _serve(node, host, port, demo_login=(summary["users"], summary["demo_password"]))


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _print_demo_summary(summary: dict[str, Any]) -> None:
    case = summary["case_file"]
    table = Table(title=f"Workspace {summary['workspace']} ({summary['database']})")
    table.add_column("dataset")
    table.add_column("entities", justify="right")
    table.add_column("statements", justify="right")
    table.add_column("claims", justify="right")
    table.add_column("added / updated / retracted", justify="right")
    for item in [case, *summary["datasets"]]:
        ch = item["changes"]["statements"]
        table.add_row(item["dataset"], str(item["entities"]), str(item["statements"]), str(item["claims"]),
                      f"{ch['added']} / {ch['updated']} / {ch['retracted']}")
    console.print(table)
    for item in summary.get("sanctions_lists", []):
        d = item["diff"]
        console.print(f"Sanctions list [bold]{item['dataset']}[/]: {item['entities']:,} entities "
                      f"(added {d['added']:,}, removed {d['removed']:,}, changed {d['changed']:,}, unchanged {d['unchanged']:,})")
    ais = summary.get("ais")
    if ais:
        table = Table(title="AIS track store (real samples)")
        for column in ("file", "format", "positions", "static", "duplicates", "rejected", "vessels"):
            table.add_column(column, justify="left" if column in ("file", "format") else "right")
        for r in ais["ingested"]:
            table.add_row(Path(r["path"]).name, r["format"], f"{r['positions']:,}", f"{r['static_reports']:,}",
                          f"{r['duplicates']:,}", f"{r['rejected']:,}", f"{r['vessels']:,}")
        console.print(table)
        store = ais["store"]
        console.print(f"Store: {store['positions']:,} positions of {store['vessels']:,} vessels, "
                      f"{store['time_span'][0][:10]} to {store['time_span'][1][:10]}.")
    screening = summary.get("screening")
    if screening:
        console.print(f"Screening on ingest: {screening['vessels_screened']:,} vessels and {screening['entities_screened']:,} "
                      f"records screened against the lists and records: {screening['matches']:,} matches "
                      "(`interdict watchlist`, /watchlist).")
    behaviour = summary.get("behaviour")
    if behaviour:
        console.print(f"Behaviour detection ({behaviour['engine']}, {behaviour['seconds']} s): " +
                      ", ".join(f"{k} {v:,}" for k, v in behaviour["by_type"].items()))
        table = Table(title=f"Highest-risk vessels for {behaviour['user']}")
        for column in ("score", "MMSI", "name", "why"):
            table.add_column(column)
        for r in behaviour["top"]:
            table.add_row(f"{r['score']:.0f}", str(r["mmsi"]), r["name"] or "", "\n".join(r["reasons"]))
        console.print(table)
    if summary.get("seizures"):
        table = Table(title="Seizure tables (real data)")
        for column in ("file", "format", "rows", "accepted", "rejected", "added"):
            table.add_column(column, justify="left" if column in ("file", "format") else "right")
        for r in summary["seizures"]:
            table.add_row(Path(r["path"]).name, r["format"], f"{r['rows']:,}", f"{r['accepted']:,}", f"{r['rejected']:,}",
                          f"{(r['changes'] or {}).get('added', 0):,}")
        console.print(table)
    brief = summary.get("dprk_brief")
    if brief:
        console.print(f"DPRK brief for the Security Council ({brief['user']}, {brief['seconds']} s): {brief['pdf']}")


@app.command()
def serve(
    port: int = typer.Option(8000, help="Port for the web app."),
    host: str = typer.Option("127.0.0.1", help="Address to serve on."),
) -> None:
    """Serve the web app over an existing workspace."""
    _serve(_node(create=False), host, port)


def _serve(node: Interdict, host: str, port: int, demo_login: tuple[list[dict[str, Any]], str] | None = None) -> None:
    import uvicorn

    from interdict.web.app import create_app

    if demo_login:
        users, password = demo_login
        console.print(f"\n[bold]Demo logins[/] (synthetic accounts), password [bold]{password}[/]:")
        for user in users:
            console.print(f"  {user['username']:<14} {user['agency']:<5} {', '.join(user['roles'])}")
    console.print(f"\nServing on [bold]http://{host}:{port}/[/] — Ctrl+C to stop.", highlight=False)
    uvicorn.run(create_app(node), host=host, port=port, log_level="warning")


@app.command()
def load(
    files: list[Path] = typer.Argument(..., help="Records files (YAML or JSON; see docs/records-file.md)."),
    as_json: bool = typer.Option(False, "--json", help="Print results as JSON."),
) -> None:
    """Load records files. Each is validated whole and written in one transaction."""
    node = _node()
    results = [node.load(path).to_dict() for path in files]
    if as_json:
        _emit_json(results)
        return
    for r in results:
        ch = r["changes"]["statements"]
        console.print(f"[green]{r['dataset']}[/]: {r['entities']} entities, {r['statements']} statements, "
                      f"{r['claims']} claims — added {ch['added']}, updated {ch['updated']}, "
                      f"unchanged {ch['unchanged']}, retracted {ch['retracted']}")


# -- agencies and users ------------------------------------------------------------------
@agency_app.command("add")
def agency_add(
    code: str = typer.Argument(..., help="Agency code, e.g. AFP."),
    name: str = typer.Option(..., help="Full name."),
    country: str = typer.Option(..., help="ISO 3166-1 alpha-3 country (X.. for international bodies)."),
    law_enforcement: bool = typer.Option(..., "--law-enforcement/--not-law-enforcement", help="Whether it may see H0 (law-enforcement only) records."),
) -> None:
    """Register an agency (or update its name, country and kind)."""
    agency = _node().registry.add_agency(code, name, country, law_enforcement)
    console.print(f"Agency [bold]{agency.code}[/] registered.")


@agency_app.command("list")
def agency_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """List agencies."""
    rows = [a.__dict__ for a in _node().registry.agencies()]
    if as_json:
        _emit_json(rows)
        return
    table = Table("code", "name", "country", "law enforcement")
    for a in rows:
        table.add_row(a["code"], a["name"], a["country"], "yes" if a["law_enforcement"] else "no")
    console.print(table)


@user_app.command("add")
def user_add(
    username: str = typer.Argument(...),
    agency: str = typer.Option(..., help="Agency code."),
    role: list[str] = typer.Option(..., "--role", help="analyst, watch_officer, monitor or admin (repeatable)."),
    display_name: Optional[str] = typer.Option(None, help="Name shown in the web app."),
    password: Optional[str] = typer.Option(None, envvar="INTERDICT_PASSWORD", help="Password for the web login (prompted if not given)."),
    no_password: bool = typer.Option(False, "--no-password", help="API-token-only user."),
) -> None:
    """Register a user (or update their agency and roles)."""
    if password is None and not no_password:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = _node().registry.add_user(username, agency, role, password=password, display_name=display_name)
    console.print(f"User [bold]{user.username}[/] ({user.agency.code}; {', '.join(sorted(user.roles))}) registered.")


@user_app.command("list")
def user_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """List users."""
    rows = [{"username": u.username, "agency": u.agency.code, "roles": sorted(u.roles), "display_name": u.display_name}
            for u in _node().registry.users()]
    if as_json:
        _emit_json(rows)
        return
    table = Table("username", "agency", "roles", "name")
    for u in rows:
        table.add_row(u["username"], u["agency"], ", ".join(u["roles"]), u["display_name"])
    console.print(table)


@user_app.command("token")
def user_token(username: str = typer.Argument(...), label: str = typer.Option("api", help="What the token is for.")) -> None:
    """Issue an API token for a user. It is shown once; only its hash is stored."""
    token = _node().registry.issue_token(username, label)
    console.print(f"API token for {username} (shown once): ", end="")
    sys.stdout.write(token + "\n")


# -- reading (always as a user) ----------------------------------------------------------
@app.command()
def search(
    query: str = typer.Argument(..., help="Part of a name or identifier."),
    user: str = UserOption,
    schema: Optional[str] = typer.Option(None, help="Only this FtM schema (e.g. Vessel, Person)."),
    limit: int = typer.Option(25),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Search entities by name or identifier."""
    results = _node(create=False).as_user(user).search(query, schema=schema, limit=limit)
    if as_json:
        _emit_json([{"id": v.id, "schema": v.schema, "caption": v.caption, "banner": v.banner.to_dict()} for v in results])
        return
    table = Table("id", "schema", "name", "marking")
    for v in results:
        table.add_row(v.id, v.schema, v.caption, v.banner.label)
    console.print(table)


@app.command()
def entity(
    entity_id: str = typer.Argument(...),
    user: str = UserOption,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Show one entity: properties with source, grade and marking; relations."""
    view = _node(create=False).as_user(user).entity(entity_id)
    if as_json:
        _emit_json(view.to_dict())
        return
    console.print(f"[bold]{view.caption}[/] ({view.schema}, {view.id})   [reverse] {view.banner.label} [/]")
    table = Table("property", "value", "grade", "marking", "source", "agency")
    for prop, stmts in view.properties.items():
        for s in stmts:
            table.add_row(view.prop_label(prop), s.display, s.grade.code, s.marking.label, s.source.title if s.source else "", s.agency)
    console.print(table)
    for r in view.relations:
        others = "; ".join(f"{p}: {c}" for p, _, c in r.others)
        console.print(f"  {r.direction == 'in' and '←' or '→'} {r.via_schema} [bold]{r.via_caption}[/] ({r.prop}) {others}")


@app.command()
def claims(
    user: str = UserOption,
    entity_id: Optional[str] = typer.Option(None, "--entity", help="Only claims about this entity."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List quantitative claims (ranges with units, each with source and grade)."""
    rows = _node(create=False).as_user(user).claims(entity_id=entity_id)
    if as_json:
        _emit_json([c.to_dict() for c in rows])
        return
    table = Table("key", "quantity", "low", "best", "high", "unit", "grade", "source")
    fmt = lambda v: "" if v is None else f"{v:,.6g}"  # noqa: E731
    for c in rows:
        table.add_row(c.key, c.quantity, fmt(c.low), fmt(c.best), fmt(c.high), c.unit, c.grade.code, c.source.title if c.source else "")
    console.print(table)


@app.command()
def export(
    user: str = UserOption,
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="File to write (default: standard output)."),
) -> None:
    """Export, as FollowTheMoney JSON lines, what this user may pass on outside the node."""
    session = _node(create=False).as_user(user)
    stream = open(output, "w", encoding="utf-8") if output else sys.stdout
    count = 0
    try:
        for item in session.export_ftm():
            stream.write(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    finally:
        if output:
            stream.close()
    err.print(f"Exported {count} entities.")


@app.command()
def match(
    name1: str = typer.Argument(...),
    name2: str = typer.Argument(...),
    schema: str = typer.Option("LegalEntity", help="FtM schema: Person, Company, Organization, LegalEntity, Vessel."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Compare two names (romanisation-aware) at the default threshold, with the reason."""
    from followthemoney import model

    from interdict.errors import ValidationError
    from interdict.matching import compare

    if model.get(schema) is None:
        raise ValidationError(f"unknown FtM schema {schema!r}", where="--schema")
    result = compare(name1, name2, schema)
    if as_json:
        _emit_json(result.to_dict())
        return
    verdict = "[green]match[/]" if result.match else "[red]no match[/]"
    console.print(f"{verdict} {result.score:.2f} — {result.explanation}", highlight=False)


@app.command()
def screen(
    name: Optional[str] = typer.Argument(None, help="Name or identifier (IMO, MMSI, call sign) to screen."),
    user: str = UserOption,
    schema: Optional[str] = typer.Option(None, help="Only this FtM schema: Vessel, Company, Person, Organization."),
    country: Optional[str] = typer.Option(None, help="Only entities linked to this country (ISO code)."),
    limit: int = typer.Option(10, help="Results per name."),
    min_score: float = typer.Option(0.5, help="Leave out results scoring below this."),
    file: Optional[Path] = typer.Option(None, "--file", help="CSV with a 'name' column (optional 'schema', 'country')."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Screen names against the lists and records this user may see, each result with its reason."""
    import csv as csv_module

    from followthemoney import model

    from interdict.errors import ValidationError
    from interdict.matching import THRESHOLD

    if (name is None) == (file is None):
        raise ValidationError("give a NAME or --file names.csv", where="screen")
    if schema and model.get(schema) is None:
        raise ValidationError(f"unknown FtM schema {schema!r}", where="--schema")
    node = _node(create=False)
    me = node.as_user(user)
    with console.status("Building the screening index…", spinner="dots") if not as_json else _null():
        index = me.screening_index()
    queries: list[dict[str, Any]] = []
    if file is not None:
        with open(file, newline="", encoding="utf-8-sig") as handle:
            reader = csv_module.DictReader(handle)
            if not reader.fieldnames or "name" not in reader.fieldnames:
                raise ValidationError("the CSV needs a 'name' column", where=str(file))
            for n, row in enumerate(reader, 2):
                if not (row.get("name") or "").strip():
                    raise ValidationError("empty name", where=f"{file}: line {n}")
                queries.append({"name": row["name"], "schema": row.get("schema") or schema, "country": row.get("country") or country})
    else:
        queries.append({"name": name, "schema": schema, "country": country})
    results = [{"query": q["name"], "results": [{**h.to_dict(), "match": h.score >= THRESHOLD} for h in hits]}
               for q, hits in zip(queries, index.screen_many(queries, limit=limit, threshold=min_score))]
    if as_json:
        _emit_json(results[0]["results"] if file is None else results)
        return
    for item in results:
        table = Table("score", "name", "schema", "matched name", "programs", "source", "why", title=f"Screening: {item['query']}")
        for h in item["results"]:
            table.add_row(f"{h['score']:.2f}" + (" ✓" if h["match"] else ""), h["name"], h["schema"], h["matched_name"],
                          ", ".join(h["programs"]), h["source"], h["explanation"])
        console.print(table)


# -- sanctions lists -----------------------------------------------------------------------------
@lists_app.command("import")
def lists_import(
    kind: str = typer.Argument(..., help="ofac (sdn.csv [alt.csv] [add.csv]), ofac-advanced (sdn_advanced.xml), un (consolidated.xml) or ftm (JSON lines)."),
    files: list[Path] = typer.Argument(..., help="The list's files."),
    agency: str = typer.Option(..., help="Agency recording the import (registered code)."),
    list_date: Optional[str] = typer.Option(None, help="Publication date of this list version (YYYY-MM-DD)."),
    dataset: Optional[str] = typer.Option(None, help="Dataset name (required for ftm)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Import a sanctions list (A1, TLP:CLEAR). A newer version is recorded as a diff, never duplicated."""
    from interdict.markings import parse_agency_code

    node = _node()
    code = parse_agency_code(agency, where="--agency")
    with console.status(f"Importing {kind} list and screening vessels and entities against it…", spinner="dots") if not as_json else _null():
        result = node.import_list(kind, files, agency=code, list_date=list_date, dataset=dataset)
    if as_json:
        _emit_json(result.to_dict())
        return
    d = result.diff
    console.print(f"[green]{result.dataset}[/]: {result.entities:,} entities, {result.statements:,} statements — "
                  f"added {d['added']:,}, removed {d['removed']:,}, changed {d['changed']:,}, unchanged {d['unchanged']:,}")
    if result.unclean:
        console.print(f"{len(result.unclean):,} values could not be cleaned and were not stored, e.g. "
                      + "; ".join(f"{u['entity']} {u['prop']}={u['value']!r}" for u in result.unclean[:3]))


# -- AIS -------------------------------------------------------------------------------------
def _parse_time(value: Optional[str], option: str):  # type: ignore[no-untyped-def]
    from datetime import datetime, timezone

    from interdict.errors import ValidationError

    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"not an ISO 8601 time: {value!r}", where=option) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


@ais_app.command("decode")
def ais_decode(
    path: Path = typer.Argument(..., help="NMEA file (plain, gzip, zstd or zip)."),
    as_json: bool = typer.Option(False, "--json", help="JSON Lines: one object per message, pyais field names."),
    assume_time: Optional[str] = typer.Option(None, help="Receive time (ISO 8601) for lines that carry none."),
) -> None:
    """Decode AIS sentences. Non-AIS lines are skipped and counted; bad sentences are reported."""
    import math

    from interdict.ais.stream import decode_path

    assumed = _parse_time(assume_time, "--assume-time")
    totals = {"sentences": 0, "messages": 0, "rejected": 0}
    reasons: dict[str, int] = {}
    skipped: dict[str, int] = {}
    out = sys.stdout
    for decoded in decode_path(path, assume_time=assumed.timestamp() if assumed else None):
        totals["sentences"] += decoded.sentences
        totals["messages"] += decoded.messages.height
        totals["rejected"] += decoded.rejected.height
        for k, v in decoded.rejected_by_reason().items():
            reasons[k] = reasons.get(k, 0) + v
        for k, v in decoded.skipped.items():
            skipped[k] = skipped.get(k, 0) + v
        if as_json and decoded.messages.height:
            for row in decoded.messages.drop("line").iter_rows(named=True):
                item = {k: v for k, v in row.items() if v is not None and k != "ts"}
                if row.get("ts") is not None and not math.isnan(row["ts"]):
                    from datetime import datetime, timezone

                    item["ts"] = datetime.fromtimestamp(row["ts"], timezone.utc).isoformat()
                out.write(json.dumps(item, ensure_ascii=False) + "\n")
    summary = {**totals, "rejected_by_reason": reasons, "skipped": skipped}
    if as_json:
        err.print(json.dumps(summary), highlight=False, soft_wrap=True)
    else:
        console.print_json(data=summary)


@ais_app.command("ingest")
def ais_ingest(
    paths: list[Path] = typer.Argument(..., help="Files: NMEA, MarineCadastre, DMA, CSV/Parquet with --map, GeoParquet."),
    agency: str = typer.Option(..., help="Originating agency of the data (registered code)."),
    tlp: str = typer.Option(..., help="TLP marking of the data: CLEAR, GREEN, AMBER, AMBER+STRICT, RED."),
    grade: str = typer.Option(..., help="Admiralty grade of the data, e.g. B2."),
    releasable_to: Optional[str] = typer.Option(None, help="Comma-separated agency or country codes."),
    handling: Optional[str] = typer.Option(None, help="SIENA handling code H0-H3."),
    orcon: bool = typer.Option(False, help="Originator-controlled."),
    source: Optional[str] = typer.Option(None, help="Id of a registered source the data comes from."),
    fmt: str = typer.Option("auto", "--format", help="auto, nmea, marinecadastre, dma, table or geoparquet."),
    assume_time: Optional[str] = typer.Option(None, help="Receive time (ISO 8601) for NMEA lines that carry none."),
    mapping: Optional[list[str]] = typer.Option(None, "--map", help="FIELD=COLUMN pairs for --format table, e.g. mmsi=ID,ts=time,lat=y,lon=x."),
    dayfirst: bool = typer.Option(False, help="Read dates like 03/04/2021 as 3 April."),
    max_speed: float = typer.Option(60.0, help="Implied speed (knots) above which a fix is flagged."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Ingest AIS into the track store. Re-ingesting a file adds nothing; a failed run leaves no trace."""
    from rich.progress import BarColumn, Progress, TimeElapsedColumn

    from interdict.ais.formats import parse_mapping
    from interdict.ais.store import IngestOptions
    from interdict.markings import Grade, Marking, parse_agency_code

    node = _node()
    code = parse_agency_code(agency, where="--agency")
    node.registry.agency(code)
    options = IngestOptions(
        agency=code,
        marking=Marking.parse({"tlp": tlp, "releasable_to": releasable_to or [], "orcon": orcon, "handling": handling}),
        grade=Grade.parse(grade), source_id=source, format=fmt, assume_time=_parse_time(assume_time, "--assume-time"),
        mapping=parse_mapping(mapping), dayfirst=dayfirst, max_speed_kn=max_speed,
    )
    results = []
    with Progress("[progress.description]{task.description}", BarColumn(), "{task.completed:,} records",
                  TimeElapsedColumn(), console=err, disable=as_json or not err.is_terminal) as progress:
        for path in paths:
            task = progress.add_task(path.name, total=None)
            results.append(node.ingest_ais(path, options, progress=lambda n, t=task: progress.advance(t, n)).to_dict())
    if as_json:
        _emit_json(results if len(results) > 1 else results[0])
        return
    table = Table("file", "format", "status", "records", "positions", "static", "duplicates", "rejected", "vessels")
    for r in results:
        table.add_row(Path(r["path"]).name, r["format"], r["status"], f"{r['input_records']:,}", f"{r['positions']:,}",
                      f"{r['static_reports']:,}", f"{r['duplicates']:,}", f"{r['rejected']:,}", f"{r['vessels']:,}")
    console.print(table)
    for r in results:
        if r["rejected_by_reason"]:
            console.print(f"{Path(r['path']).name} rejected: " + ", ".join(f"{k} {v:,}" for k, v in r["rejected_by_reason"].items()))


@ais_app.command("listen")
def ais_listen(
    agency: str = typer.Option(..., help="Originating agency of the feed (registered code)."),
    tlp: str = typer.Option(..., help="TLP marking of the feed."),
    grade: str = typer.Option(..., help="Admiralty grade of the feed, e.g. B2."),
    udp: Optional[int] = typer.Option(None, help="Listen for UDP datagrams on this port."),
    tcp: Optional[str] = typer.Option(None, help="Connect to a TCP feed at HOST:PORT (reconnects when it drops)."),
    bind: str = typer.Option("127.0.0.1", help="Address to listen on for --udp."),
    releasable_to: Optional[str] = typer.Option(None, help="Comma-separated agency or country codes."),
    handling: Optional[str] = typer.Option(None, help="SIENA handling code H0-H3."),
    flush_messages: int = typer.Option(1000, help="Ingest after this many messages."),
    flush_seconds: float = typer.Option(5.0, help="Ingest after this many seconds."),
) -> None:
    """Ingest a live AIS feed in micro-batches until Ctrl+C or SIGTERM (pending messages are flushed)."""
    import signal
    import threading

    from interdict.ais.live import LiveIngest
    from interdict.ais.store import IngestOptions
    from interdict.errors import ValidationError
    from interdict.markings import Grade, Marking, parse_agency_code

    if (udp is None) == (tcp is None):
        raise ValidationError("give exactly one of --udp PORT or --tcp HOST:PORT", where="ais listen")
    node = _node()
    code = parse_agency_code(agency, where="--agency")
    node.registry.agency(code)
    options = IngestOptions(agency=code, grade=Grade.parse(grade), format="nmea",
                            marking=Marking.parse({"tlp": tlp, "releasable_to": releasable_to or [], "handling": handling}))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    def report(result) -> None:  # type: ignore[no-untyped-def]
        if result.status == "ingested":
            try:
                node.screen(batches=[result.batch], entities=False)
            except Exception as exc:  # noqa: BLE001 - the feed goes on; `interdict watchlist --rescreen` catches up
                err.print(f"[yellow]batch {result.batch[:12]} stored but not screened:[/] {exc}", highlight=False)
        err.print(f"batch {result.batch[:12]}: {result.positions:,} positions, {result.static_reports:,} static, "
                  f"{result.rejected:,} rejected", highlight=False)

    live = LiveIngest(node.tracks, options, flush_messages=flush_messages, flush_seconds=flush_seconds, on_flush=report)
    if udp is not None:
        err.print(f"Listening for AIS on udp://{bind}:{udp}", highlight=False)
        live.serve_udp(bind, udp, stop)
    else:
        host, _, port = (tcp or "").rpartition(":")
        if not host or not port.isdigit():
            raise ValidationError(f"expected HOST:PORT, got {tcp!r}", where="--tcp")
        err.print(f"Reading AIS from tcp://{host}:{port}", highlight=False)
        live.serve_tcp(host, int(port), stop)
    s = live.stats
    _emit_json({"received": s.received, "batches": s.batches, "positions": s.positions, "rejected": s.rejected,
                "reconnects": s.reconnects})


@ais_app.command("stats")
def ais_stats(user: str = UserOption, as_json: bool = typer.Option(False, "--json")) -> None:
    """What the track store holds that this user may see: rows, vessels, time span, bounding box."""
    stats = _node(create=False).as_user(user).ais_stats()
    if as_json:
        _emit_json(stats)
        return
    console.print_json(data=stats)


@ais_app.command("vessels")
def ais_vessels(
    query: str = typer.Argument("", help="Part of a name, MMSI, IMO or call sign."),
    user: str = UserOption,
    limit: int = typer.Option(25),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Vessels in the track store with their latest identity and position count."""
    rows = _node(create=False).as_user(user).vessels(query, limit=limit)
    if as_json:
        _emit_json(rows)
        return
    table = Table("MMSI", "name", "IMO", "call sign", "type", "flag", "positions", "last seen")
    for v in rows:
        table.add_row(str(v["mmsi"]), v["name"] or "", str(v["imo"] or ""), v["callsign"] or "", str(v["ship_type"] or ""),
                      v["flag"] or "", f"{v['positions']:,}", (v["last_seen"] or "")[:16])
    console.print(table)


# The behaviour and monitoring commands live in their own modules; importing them registers them on `app`.
import interdict.cli_behaviour  # noqa: E402,F401
import interdict.cli_intel  # noqa: E402,F401
import interdict.cli_monitoring  # noqa: E402,F401


def main() -> None:
    try:
        app(standalone_mode=False)
    except InterdictError as exc:
        if state.debug or os.environ.get("INTERDICT_DEBUG"):
            raise
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        err.print("Aborted.")
        sys.exit(1)


if __name__ == "__main__":
    main()
