"""`interdict detect`, `risk` and `events`: the behaviour analytics."""

from __future__ import annotations

from contextlib import nullcontext

import typer
from rich.table import Table

from interdict.cli.common import console, emit_json, open_node, parse_time

app = typer.Typer()


@app.command()
def detect(
    engine: str = typer.Option("local", help="local (Polars in this process) or dask (Dask distributed)."),
    scheduler: str | None = typer.Option(None, help="Dask scheduler tcp://HOST:PORT (default: a local cluster of 2 workers)."),
    since: str | None = typer.Option(None, help="Only positions at or after this time (ISO 8601)."),
    until: str | None = typer.Option(None, help="Only positions at or before this time (ISO 8601)."),
    preset: str | None = typer.Option(None, help="Threshold preset, e.g. skylight (encounters at 250 m for 30 min)."),
    user: str | None = typer.Option(None, "--user", "-u", envvar="INTERDICT_USER", help="Print the events this user may see."),
    as_json: bool = typer.Option(False, "--json", help="Print the events as JSON (needs --user)."),
) -> None:
    """Run every behaviour detector over the track store and save the events; re-running replaces
    the events of the same window, so runs never double them."""
    from interdict.errors import ValidationError

    if as_json and not user:
        raise ValidationError("--json prints events, which depend on who reads them: give --user", where="--user")
    node = open_node(create=False)
    window = {"since": parse_time(since, "--since"), "until": parse_time(until, "--until")}
    with console.status(f"Detecting ({engine})…", spinner="dots") if not as_json else nullcontext():
        run = node.detect(engine=engine, scheduler=scheduler, preset=preset, **window)
    if as_json:
        emit_json(node.as_user(user or "").events(since=window["since"], until=window["until"]))
        return
    summary = run.summary()
    table = Table("event type", "events", title=f"{summary['events']:,} events from {summary['positions']:,} positions of "
                                                f"{summary['vessels']:,} vessels ({summary['engine']}, {summary['seconds']} s)")
    for kind, count in summary["by_type"].items():
        table.add_row(kind, f"{count:,}")
    console.print(table)
    audiences = summary.get("audiences", [])
    if len(audiences) > 1:  # each computed from what its agencies may see (docs/access-control.md)
        console.print(f"computed for {len(audiences)} audiences: " + "; ".join(
            f"{'+'.join(a['agencies'])} {a['events']:,} events from {a['positions']:,} positions" for a in audiences),
            highlight=False)
    if user:
        console.print(f"{len(node.as_user(user).events(since=window['since'], until=window['until'])):,} "
                      f"of them visible to {user}.")


@app.command()
def risk(
    user: str = typer.Option(..., "--user", "-u", envvar="INTERDICT_USER", help="Rank from the events this user may see."),
    top: int = typer.Option(20, help="How many vessels."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Vessels ranked by risk (0-100), each score with its reasons and their evidence."""
    ranked = open_node(create=False).as_user(user).risk(top=top)
    if as_json:
        emit_json(ranked)
        return
    table = Table("score", "MMSI", "name", "reasons")
    for r in ranked:
        table.add_row(f"{r['score']:.0f}", str(r["mmsi"]), r["name"] or "",
                      "\n".join(f"+{x['weight']:.0f} {x['text']}" for x in r["reasons"]))
    console.print(table)


@app.command("dark-now")
def dark_now(
    user: str = typer.Option(..., "--user", "-u", envvar="INTERDICT_USER"),
    min_coverage: float = typer.Option(0.5, help="Share of the hours since the last fix the data must cover (0-1)."),
    top: int = typer.Option(50, help="How many vessels."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Vessels dark now: their transmissions stopped and have not resumed by the end of the data,
    which kept hearing other vessels since (not a hole in the data)."""
    rows = open_node(create=False).as_user(user).dark_now(min_coverage=min_coverage, limit=top)
    if as_json:
        emit_json(rows)
        return
    table = Table("MMSI", "name", "last seen", "position", "dark (h)", "data covered since", "its cell heard since",
                  "positions before")
    for r in rows:
        cell = r["cell_reception_after"]
        table.add_row(str(r["mmsi"]), r["name"] or "", (r["last_seen"] or "")[:16], f"{r['lat']:.3f}, {r['lon']:.3f}",
                      f"{r['dark_hours']:.1f}", f"{r['covered_after']:.0%}", "too little traffic" if cell is None else f"{cell:.0%}",
                      str(r["positions_before"] or ""))
    console.print(table)


@app.command()
def events(
    user: str = typer.Option(..., "--user", "-u", envvar="INTERDICT_USER"),
    kind: list[str] | None = typer.Option(None, "--type", help="gap, encounter, loitering, port_call, identity_change, spoofing, eez_transit."),
    mmsi: int | None = typer.Option(None),
    since: str | None = typer.Option(None),
    until: str | None = typer.Option(None),
    limit: int = typer.Option(100),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Saved behaviour events you may see."""
    rows = open_node(create=False).as_user(user).events(types=tuple(kind or ()), mmsi=mmsi, since=parse_time(since, "--since"),
                                                     until=parse_time(until, "--until"), limit=limit)
    if as_json:
        emit_json(rows)
        return
    table = Table("type", "MMSI", "other", "start", "end", "position", "details")
    for e in rows:
        where = f"{e['lat']:.3f}, {e['lon']:.3f}" if e["lat"] is not None else ""
        table.add_row(e["type"], str(e["mmsi"]), str(e["other_mmsi"] or ""), (e["start"] or "")[:16], (e["end"] or "")[:16], where,
                      ", ".join(f"{k}={v}" for k, v in e["details"].items() if not isinstance(v, (list, dict)))[:90])
    console.print(table)


