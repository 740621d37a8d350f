"""`interdict lists import`: sanctions lists (OFAC, UN, FollowTheMoney JSON lines)."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import typer

from interdict.cli.common import console, emit_json, open_node

app = typer.Typer(help="Sanctions lists: OFAC SDN, UN Security Council, FollowTheMoney JSON lines.", no_args_is_help=True)


@app.command("import")
def lists_import(
    kind: str = typer.Argument(..., help="ofac (sdn.csv [alt.csv] [add.csv]), ofac-advanced (sdn_advanced.xml), "
                                          "un (consolidated.xml) or ftm (JSON lines)."),
    files: list[Path] = typer.Argument(..., help="The list's files."),
    agency: str = typer.Option(..., help="Agency recording the import (registered code)."),
    list_date: str | None = typer.Option(None, help="Publication date of this list version (YYYY-MM-DD)."),
    dataset: str | None = typer.Option(None, help="Dataset name (required for ftm)."),
    max_shrink: float = typer.Option(0.1, envvar="INTERDICT_LIST_MAX_SHRINK",
                                     help="Refuse a version that retracts more than this share of the list's entities."),
    allow_shrink: bool = typer.Option(False, "--allow-shrink", help="Accept a version that retracts more than --max-shrink."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the diff; write nothing."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Import a sanctions list (A1, TLP:CLEAR). A newer version is recorded as a diff, never duplicated;
    one that would retract more than --max-shrink of the list (an empty or cut file) is refused."""
    from interdict.markings import parse_agency_code

    node = open_node()
    code = parse_agency_code(agency, where="--agency")
    with console.status(f"Importing {kind} list and screening vessels and entities against it…", spinner="dots") if not as_json else nullcontext():
        result = node.import_list(kind, files, agency=code, list_date=list_date, dataset=dataset, max_shrink=max_shrink,
                                  allow_shrink=allow_shrink, dry_run=dry_run)
    if as_json:
        emit_json(result.to_dict())
        return
    d = result.diff
    console.print(f"[green]{result.dataset}[/]: {result.entities:,} entities, {result.statements:,} statements — "
                  f"added {d['added']:,}, removed {d['removed']:,}, changed {d['changed']:,}, unchanged {d['unchanged']:,}")
    if result.removed:
        console.print("retracted" + (" (would be)" if dry_run else "") + ": "
                      + ", ".join(f"{e['id']} ({e['name']})" if e["name"] else str(e["id"]) for e in result.removed)
                      + (f" and {d['removed'] - len(result.removed):,} more" if d["removed"] > len(result.removed) else ""))
    if dry_run:
        console.print("dry run: nothing was written")
    if result.unclean:
        console.print(f"{len(result.unclean):,} values could not be cleaned and were not stored, e.g. "
                      + "; ".join(f"{u['entity']} {u['prop']}={u['value']!r}" for u in result.unclean[:3]))


