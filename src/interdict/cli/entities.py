"""`interdict search`, `entity`, `claims`, `export`, `match` and `screen`: reading records as a user."""

from __future__ import annotations

import io
import json
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from interdict.cli.common import USER, console, emit_json, err, open_node

app = typer.Typer()


@app.command()
def search(
    query: str = typer.Argument(..., help="Part of a name or identifier."),
    user: str = USER,
    schema: str | None = typer.Option(None, help="Only this FtM schema (e.g. Vessel, Person)."),
    limit: int = typer.Option(25),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Search entities by name or identifier."""
    results = open_node(create=False).as_user(user).search(query, schema=schema, limit=limit)
    if as_json:
        emit_json([{"id": v.id, "schema": v.schema, "caption": v.caption, "banner": v.banner.to_dict()} for v in results])
        return
    table = Table("id", "schema", "name", "marking")
    for v in results:
        table.add_row(v.id, v.schema, v.caption, v.banner.label)
    console.print(table)


@app.command()
def entity(
    entity_id: str = typer.Argument(...),
    user: str = USER,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Show one entity: properties with source, grade and marking; relations."""
    view = open_node(create=False).as_user(user).entity(entity_id)
    if as_json:
        emit_json(view.to_dict())
        return
    console.print(f"[bold]{view.caption}[/] ({view.schema}, {view.id})   [reverse] {view.banner.label} [/]")
    table = Table("property", "value", "grade", "marking", "source", "agency")
    for prop, stmts in view.properties.items():
        for s in stmts:
            table.add_row(view.prop_label(prop), s.display, s.grade.code, s.marking.label, s.source.title if s.source else "", s.agency)
    console.print(table)
    for r in view.relations:
        others = "; ".join(f"{p}: {c}" for p, _, c in r.others)
        console.print(f"  {(r.direction == 'in' and '←') or '→'} {r.via_schema} [bold]{r.via_caption}[/] ({r.prop}) {others}")


@app.command()
def claims(
    user: str = USER,
    entity_id: str | None = typer.Option(None, "--entity", help="Only claims about this entity."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List quantitative claims (ranges with units, each with source and grade)."""
    rows = open_node(create=False).as_user(user).claims(entity_id=entity_id)
    if as_json:
        emit_json([c.to_dict() for c in rows])
        return
    table = Table("key", "quantity", "low", "best", "high", "unit", "grade", "source")

    def fmt(v: float | None) -> str:
        return "" if v is None else f"{v:,.6g}"

    for c in rows:
        table.add_row(c.key, c.quantity, fmt(c.low), fmt(c.best), fmt(c.high), c.unit, c.grade.code, c.source.title if c.source else "")
    console.print(table)


@app.command()
def export(
    user: str = USER,
    output: Path | None = typer.Option(None, "-o", "--output", help="File to write (default: standard output)."),
) -> None:
    """Export, as FollowTheMoney JSON lines, what this user may pass on outside the node."""
    session = open_node(create=False).as_user(user)
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

    from interdict.api import compare_names
    from interdict.errors import ValidationError

    if model.get(schema) is None:
        raise ValidationError(f"unknown FtM schema {schema!r}", where="--schema")
    result = compare_names(name1, name2, schema)
    if as_json:
        emit_json(result.to_dict())
        return
    verdict = "[green]match[/]" if result.match else "[red]no match[/]"
    console.print(f"{verdict} {result.score:.2f} — {result.explanation}", highlight=False)


@app.command()
def screen(
    name: str | None = typer.Argument(None, help="Name or identifier (IMO, MMSI, call sign) to screen."),
    user: str = USER,
    schema: str | None = typer.Option(None, help="Only this FtM schema: Vessel, Company, Person, Organization."),
    country: str | None = typer.Option(None, help="Only entities linked to this country (ISO code)."),
    limit: int = typer.Option(10, help="Results per name."),
    min_score: float = typer.Option(0.5, help="Leave out results scoring below this."),
    file: Path | None = typer.Option(None, "--file", help="CSV with a 'name' column (optional 'schema', 'country')."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Screen names against the lists and records this user may see, each result with its reason."""
    import csv as csv_module

    from followthemoney import model

    from interdict.api import MATCH_THRESHOLD
    from interdict.errors import ValidationError

    if (name is None) == (file is None):
        raise ValidationError("give a NAME or --file names.csv", where="screen")
    if schema and model.get(schema) is None:
        raise ValidationError(f"unknown FtM schema {schema!r}", where="--schema")
    node = open_node(create=False)
    me = node.as_user(user)
    with console.status("Building the screening index…", spinner="dots") if not as_json else nullcontext():
        me.screening_index()  # built once, before the batch
    queries: list[dict[str, Any]] = []
    if file is not None:
        from interdict.io import open_input, text_of

        with open_input(file) as stream:
            text = text_of(stream.read(), str(file))
        with io.StringIO(text, newline="") as handle:
            reader = csv_module.DictReader(handle)
            if not reader.fieldnames or "name" not in reader.fieldnames:
                raise ValidationError("the CSV needs a 'name' column", where=str(file))
            for n, row in enumerate(reader, 2):
                if not (row.get("name") or "").strip():
                    raise ValidationError("empty name", where=f"{file}: line {n}")
                queries.append({"name": row["name"], "schema": row.get("schema") or schema, "country": row.get("country") or country})
    else:
        queries.append({"name": name, "schema": schema, "country": country})
    results = [{"query": q["name"], "results": [{**h.to_dict(), "match": h.score >= MATCH_THRESHOLD} for h in hits]}
               for q, hits in zip(queries, me.screen_many(queries, limit=limit, threshold=min_score))]
    if as_json:
        emit_json(results[0]["results"] if file is None else results)
        return
    for item in results:
        table = Table("score", "name", "schema", "matched name", "programs", "source", "why", title=f"Screening: {item['query']}")
        for h in item["results"]:
            table.add_row(f"{h['score']:.2f}" + (" ✓" if h["match"] else ""), h["name"], h["schema"], h["matched_name"],
                          ", ".join(h["programs"]), h["source"], h["explanation"])
        console.print(table)


