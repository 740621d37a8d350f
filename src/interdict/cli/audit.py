"""`interdict audit`: check the tamper-evident log, prove entries to an auditor, ask who read a record."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table

from interdict.cli.common import console, emit_json, open_node
from interdict.errors import ValidationError

app = typer.Typer(help="The tamper-evident audit log: verify it, prove entries, ask who read a record.", no_args_is_help=True)


@app.command()
def verify(as_json: bool = typer.Option(False, "--json", help="Print the result as JSON.")) -> None:
    """Recompute every entry and root and check every signed checkpoint; exit 1 naming the first
    entry that does not belong."""
    result = open_node(create=False).audit_verify()
    if as_json:
        emit_json(result)
    elif result["ok"]:
        console.print(f"Audit log intact: {result['entries']:,} entries, {result['checkpoints']:,} signed checkpoints "
                      f"({result['covered']:,} entries under the latest).")
    else:
        console.print(f"[bold red]Audit log broken[/]: {result['problem']}", highlight=False)
    if not result["ok"]:
        raise typer.Exit(1)


@app.command()
def checkpoint(as_json: bool = typer.Option(False, "--json")) -> None:
    """Sign a checkpoint of the whole log now (the server does so every 256 entries or 60 s)."""
    made = open_node(create=False).audit_checkpoint(force=True)
    if as_json:
        emit_json(made)
    elif made is None:
        console.print("Nothing new to sign: the latest checkpoint covers the whole log.")
    else:
        console.print(made["note"], highlight=False, markup=False)


@app.command("log")
def log(user: str | None = typer.Option(None, "--user", help="Only this user's entries."),
        since: datetime | None = typer.Option(None, "--since", help="Only entries from this time (UTC)."),
        as_json: bool = typer.Option(False, "--json")) -> None:
    """The log's entries in order."""
    rows = open_node(create=False).audit_log(username=user, since=since)
    if as_json:
        emit_json(rows)
        return
    table = Table("seq", "at (UTC)", "user", "agency", "action", "objects", "markings", "path")
    for e in rows:
        table.add_row(str(e["seq"]), e["at"][:19].replace("T", " "), e["user"] or "", e["agency"] or "", e["action"],
                      ", ".join(e["objects"]), ", ".join(e["markings"]), e["path"])
    console.print(table)


@app.command("prove-inclusion")
def prove_inclusion(entry: int = typer.Argument(..., help="The entry's number (seq)."),
                    size: int | None = typer.Option(None, "--size", help="The checkpoint's size (default: the latest).")) -> None:
    """The proof that an entry is in the signed log, as JSON an auditor checks offline
    (docs/audit.md)."""
    emit_json(open_node(create=False).audit_prove_inclusion(entry, size))


@app.command("prove-consistency")
def prove_consistency(old: int = typer.Argument(..., help="The older checkpoint's size."),
                      new: int = typer.Argument(..., help="The newer checkpoint's size.")) -> None:
    """The proof that the older signed log is a prefix of the newer one, as JSON."""
    emit_json(open_node(create=False).audit_prove_consistency(old, new))


@app.command("who-saw")
def who_saw(entity: str = typer.Argument(..., help="The entity's id."),
            user: str = typer.Option(..., "--user", help="Who asks: a user of an agency with statements on it, or an admin."),
            as_json: bool = typer.Option(False, "--json")) -> None:
    """Every read of an entity: who, of which agency, when, through which path."""
    node = open_node(create=False)
    me = node.as_user(user)
    rows = me.who_saw(entity)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        raise ValidationError("no read of it is logged", where=entity)
    table = Table("seq", "at (UTC)", "user", "agency", "path", "request")
    for r in rows:
        table.add_row(str(r["seq"]), r["at"][:19].replace("T", " "), r["user"] or "", r["agency"] or "", r["path"],
                      r["request_id"] or "")
    console.print(table)
