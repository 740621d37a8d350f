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
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Import a sanctions list (A1, TLP:CLEAR). A newer version is recorded as a diff, never duplicated."""
    from interdict.markings import parse_agency_code

    node = open_node()
    code = parse_agency_code(agency, where="--agency")
    with console.status(f"Importing {kind} list and screening vessels and entities against it…", spinner="dots") if not as_json else nullcontext():
        result = node.import_list(kind, files, agency=code, list_date=list_date, dataset=dataset)
    if as_json:
        emit_json(result.to_dict())
        return
    d = result.diff
    console.print(f"[green]{result.dataset}[/]: {result.entities:,} entities, {result.statements:,} statements — "
                  f"added {d['added']:,}, removed {d['removed']:,}, changed {d['changed']:,}, unchanged {d['unchanged']:,}")
    if result.unclean:
        console.print(f"{len(result.unclean):,} values could not be cleaned and were not stored, e.g. "
                      + "; ".join(f"{u['entity']} {u['prop']}={u['value']!r}" for u in result.unclean[:3]))


