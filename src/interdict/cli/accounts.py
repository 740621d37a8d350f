"""`interdict agency ...` and `interdict user ...`: agencies, users, passwords and API tokens."""

from __future__ import annotations

import sys
from typing import Any

import typer
from rich.table import Table

from interdict.api import parse_duration
from interdict.cli.common import console, emit_json, open_node

agency_app = typer.Typer(help="Register and list agencies.", no_args_is_help=True)
user_app = typer.Typer(help="Register users, list them, issue API tokens.", no_args_is_help=True)


@agency_app.command("add")
def agency_add(
    code: str = typer.Argument(..., help="Agency code, e.g. AFP."),
    name: str = typer.Option(..., help="Full name."),
    country: str = typer.Option(..., help="ISO 3166-1 alpha-3 country (X.. for international bodies)."),
    law_enforcement: bool = typer.Option(..., "--law-enforcement/--not-law-enforcement",
                                         help="Whether it may see H0 (law-enforcement only) records."),
) -> None:
    """Register an agency (or update its name, country and kind)."""
    agency = open_node().registry.add_agency(code, name, country, law_enforcement)
    console.print(f"Agency [bold]{agency.code}[/] registered.")


@agency_app.command("list")
def agency_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """List agencies."""
    rows = [a.__dict__ for a in open_node().registry.agencies()]
    if as_json:
        emit_json(rows)
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
    display_name: str | None = typer.Option(None, help="Name shown in the web app."),
    password: str | None = typer.Option(None, envvar="INTERDICT_PASSWORD", help="Password for the web login (prompted if not given)."),
    no_password: bool = typer.Option(False, "--no-password", help="API-token-only user."),
) -> None:
    """Register a user (or update their agency and roles)."""
    if password is None and not no_password:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = open_node().registry.add_user(username, agency, role, password=password, display_name=display_name)
    console.print(f"User [bold]{user.username}[/] ({user.agency.code}; {', '.join(sorted(user.roles))}) registered.")


@user_app.command("list")
def user_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """List users."""
    rows: list[dict[str, Any]] = [{"username": u.username, "agency": u.agency.code, "roles": sorted(u.roles),
                                   "display_name": u.display_name} for u in open_node().registry.users()]
    if as_json:
        emit_json(rows)
        return
    table = Table("username", "agency", "roles", "name")
    for u in rows:
        table.add_row(u["username"], u["agency"], ", ".join(u["roles"]), u["display_name"])
    console.print(table)


@user_app.command("token")
def user_token(
    username: str = typer.Argument(...),
    label: str = typer.Option("api", help="What the token is for."),
    expires: str = typer.Option("90d", help="How long it is valid: 90d, 12h, 30m, or never."),
) -> None:
    """Issue an API token for a user. It is shown once; only its hash is stored."""
    token = open_node().registry.issue_token(username, label, expires_in=parse_duration(expires))
    console.print(f"API token for {username} (shown once, valid {expires}): ", end="")
    sys.stdout.write(token + "\n")


@user_app.command("tokens")
def user_tokens(username: str = typer.Argument(...), as_json: bool = typer.Option(False, "--json")) -> None:
    """List a user's API tokens (ids, labels, times; never the secrets)."""
    rows = open_node().registry.tokens(username)
    if as_json:
        emit_json(rows)
        return
    table = Table("id", "label", "created", "last used", "expires", "revoked")
    for r in rows:
        table.add_row(r["id"], r["label"], (r["created_at"] or "")[:16], (r["last_used_at"] or "")[:16],
                      (r["expires_at"] or "never")[:16], (r["revoked_at"] or "")[:16])
    console.print(table)


@user_app.command("revoke")
def user_revoke(
    token_id: str | None = typer.Argument(None, help="Id of the token to revoke (see `interdict user tokens`)."),
    all_of: str | None = typer.Option(None, "--all-of", help="Revoke every live token of this user."),
) -> None:
    """Revoke an API token, or all of a user's tokens; a revoked token is refused at once."""
    from interdict.errors import ValidationError

    node = open_node()
    if (token_id is None) == (all_of is None):
        raise ValidationError("give a TOKEN_ID or --all-of USERNAME", where="user revoke")
    if token_id is not None:
        node.registry.revoke_token(token_id)
        console.print(f"API token {token_id} revoked.")
    else:
        console.print(f"{node.registry.revoke_tokens(all_of or ''):,} API token(s) of {all_of} revoked.")
