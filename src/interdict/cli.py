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

import click
import typer
from rich.console import Console
from rich.table import Table

from interdict.api import Interdict
from interdict.errors import InterdictError

app = typer.Typer(help="Interdict: shared maritime, intelligence and monitoring system against state-sponsored drug trafficking.",
                  no_args_is_help=True, add_completion=False)
agency_app = typer.Typer(help="Register and list agencies.", no_args_is_help=True)
user_app = typer.Typer(help="Register users, list them, issue API tokens.", no_args_is_help=True)
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
    with console.status("Loading the founding case file and demo records…", spinner="dots") if not as_json else _null():
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
