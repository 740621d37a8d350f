"""`interdict ais ...`: decode NMEA, ingest files and live feeds into the track store, inspect it."""

from __future__ import annotations

import json
import sys
from datetime import UTC
from pathlib import Path

import typer
from rich.table import Table

from interdict.api import IngestOptions, decode_ais, parse_mapping
from interdict.cli.common import HANDLING, ORCON, RELEASABLE_TO, USER, console, emit_json, err, marking, open_node, parse_time

app = typer.Typer(help="AIS: decode NMEA, ingest positions into the track store, inspect it.", no_args_is_help=True)


@app.command("decode")
def ais_decode(
    path: Path = typer.Argument(..., help="NMEA file (plain, gzip, zstd or zip)."),
    as_json: bool = typer.Option(False, "--json", help="JSON Lines: one object per message, pyais field names."),
    assume_time: str | None = typer.Option(None, help="Receive time (ISO 8601) for lines that carry none."),
) -> None:
    """Decode AIS sentences. Non-AIS lines are skipped and counted; bad sentences are reported."""
    import math

    assumed = parse_time(assume_time, "--assume-time")
    totals = {"sentences": 0, "messages": 0, "rejected": 0}
    reasons: dict[str, int] = {}
    skipped: dict[str, int] = {}
    out = sys.stdout
    for decoded in decode_ais(path, assume_time=assumed.timestamp() if assumed else None):
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
                    from datetime import datetime

                    item["ts"] = datetime.fromtimestamp(row["ts"], UTC).isoformat()
                out.write(json.dumps(item, ensure_ascii=False) + "\n")
    summary = {**totals, "rejected_by_reason": reasons, "skipped": skipped}
    if as_json:
        err.print(json.dumps(summary), highlight=False, soft_wrap=True)
    else:
        console.print_json(data=summary)


@app.command("ingest")
def ais_ingest(
    paths: list[Path] = typer.Argument(..., help="Files: NMEA, MarineCadastre, DMA, CSV/Parquet with --map, GeoParquet."),
    agency: str = typer.Option(..., help="Originating agency of the data (registered code)."),
    tlp: str = typer.Option(..., help="TLP marking of the data: CLEAR, GREEN, AMBER, AMBER+STRICT, RED."),
    grade: str = typer.Option(..., help="Admiralty grade of the data, e.g. B2."),
    releasable_to: str | None = RELEASABLE_TO,
    handling: str | None = HANDLING,
    orcon: bool = ORCON,
    source: str | None = typer.Option(None, help="Source the data comes from: your agency's source id, or AGENCY:id of "
                                                 "another agency's source you may see."),
    fmt: str = typer.Option("auto", "--format", help="auto, nmea, marinecadastre, dma, table or geoparquet."),
    assume_time: str | None = typer.Option(None, help="Receive time (ISO 8601) for NMEA lines that carry none."),
    mapping: list[str] | None = typer.Option(None, "--map", help="FIELD=COLUMN pairs for --format table, e.g. mmsi=ID,ts=time,lat=y,lon=x."),
    dayfirst: bool = typer.Option(False, help="Read dates like 03/04/2021 as 3 April."),
    pseudonymous_ids: bool = typer.Option(False, "--pseudonymous-ids",
                                          help="The id column holds the data set's own vessel pseudonyms, not MMSIs."),
    max_speed: float = typer.Option(60.0, help="Implied speed (knots) above which a fix is flagged."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Ingest AIS into the track store. Re-ingesting a file adds nothing; a failed run leaves no trace."""
    from rich.progress import BarColumn, Progress, TimeElapsedColumn

    from interdict.markings import Grade, parse_agency_code

    node = open_node()
    code = parse_agency_code(agency, where="--agency")
    node.registry.agency(code)
    options = IngestOptions(
        agency=code,
        marking=marking(tlp, releasable_to, handling, orcon),
        grade=Grade.parse(grade), source_id=source, format=fmt, assume_time=parse_time(assume_time, "--assume-time"),
        mapping=parse_mapping(mapping), dayfirst=dayfirst, max_speed_kn=max_speed, pseudonymous_ids=pseudonymous_ids,
    )
    results = []
    with Progress("[progress.description]{task.description}", BarColumn(), "{task.completed:,} records",
                  TimeElapsedColumn(), console=err, disable=as_json or not err.is_terminal) as progress:
        for path in paths:
            task = progress.add_task(path.name, total=None)
            results.append(node.ingest_ais(path, options, progress=lambda n, t=task: progress.advance(t, n)).to_dict())
    if as_json:
        emit_json(results if len(results) > 1 else results[0])
        return
    table = Table("file", "format", "status", "records", "positions", "static", "duplicates", "rejected", "vessels")
    for r in results:
        table.add_row(Path(r["path"]).name, r["format"], r["status"], f"{r['input_records']:,}", f"{r['positions']:,}",
                      f"{r['static_reports']:,}", f"{r['duplicates']:,}", f"{r['rejected']:,}", f"{r['vessels']:,}")
    console.print(table)
    for r in results:
        if r["rejected_by_reason"]:
            console.print(f"{Path(r['path']).name} rejected: " + ", ".join(f"{k} {v:,}" for k, v in r["rejected_by_reason"].items()))


@app.command("listen")
def ais_listen(
    agency: str = typer.Option(..., help="Originating agency of the feed (registered code)."),
    tlp: str = typer.Option(..., help="TLP marking of the feed."),
    grade: str = typer.Option(..., help="Admiralty grade of the feed, e.g. B2."),
    udp: int | None = typer.Option(None, help="Listen for UDP datagrams on this port."),
    tcp: str | None = typer.Option(None, help="Connect to a TCP feed at HOST:PORT (reconnects when it drops)."),
    bind: str = typer.Option("127.0.0.1", help="Address to listen on for --udp."),
    releasable_to: str | None = RELEASABLE_TO,
    handling: str | None = HANDLING,
    flush_messages: int = typer.Option(1000, help="Ingest after this many messages."),
    flush_seconds: float = typer.Option(5.0, help="Ingest after this many seconds."),
) -> None:
    """Ingest a live AIS feed in micro-batches until Ctrl+C or SIGTERM (pending messages are flushed)."""
    import signal
    import threading

    from interdict.errors import ValidationError
    from interdict.markings import Grade, parse_agency_code

    if (udp is None) == (tcp is None):
        raise ValidationError("give exactly one of --udp PORT or --tcp HOST:PORT", where="ais listen")
    node = open_node()
    code = parse_agency_code(agency, where="--agency")
    node.registry.agency(code)
    options = IngestOptions(agency=code, grade=Grade.parse(grade), format="nmea",
                            marking=marking(tlp, releasable_to, handling))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    def report(result) -> None:  # type: ignore[no-untyped-def]
        if result.status == "ingested":
            try:
                node.screen(batches=[result.batch], entities=False)
            except Exception as exc:
                err.print(f"[yellow]batch {result.batch[:12]} stored but not screened:[/] {exc}", highlight=False)
        err.print(f"batch {result.batch[:12]}: {result.positions:,} positions, {result.static_reports:,} static, "
                  f"{result.rejected:,} rejected", highlight=False)

    live = node.live_ingest(options, flush_messages=flush_messages, flush_seconds=flush_seconds, on_flush=report)
    if udp is not None:
        err.print(f"Listening for AIS on udp://{bind}:{udp}", highlight=False)
        live.serve_udp(bind, udp, stop)
    else:
        host, _, port = (tcp or "").rpartition(":")
        if not host or not port.isdigit():
            raise ValidationError(f"expected HOST:PORT, got {tcp!r}", where="--tcp")
        err.print(f"Reading AIS from tcp://{host}:{port}", highlight=False)
        live.serve_tcp(host, int(port), stop)
    counters = live.stats.counters()
    live.save_counters(feed=f"udp://{bind}:{udp}" if udp is not None else f"tcp://{tcp}")
    emit_json(counters)


@app.command("verify")
def ais_verify(
    repair: bool = typer.Option(False, "--repair", help="Forget batches whose files are gone or short (re-ingest them), "
                                                        "remove unrecorded folders and what killed ingests left."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Check that the track store's manifest and its files agree (run by the node's administrator).
    Exits 1 when something is wrong and --repair was not given."""
    report = open_node(create=False).verify_ais(repair=repair)
    if as_json:
        emit_json(report)
    else:
        console.print(f"{report['batches']:,} batches recorded")
        for b in report["broken"]:
            console.print(f"batch {b['batch'][:16]}: {b['problem']}" + (" -- forgotten; ingest the file again" if repair else ""))
        for name in report["orphan_folders"]:
            console.print(f"folder {name[:16]} is no recorded batch" + (" -- removed" if repair else ""))
        for name in report["stale_staging"]:
            console.print(f"staging folder {name} left by a killed ingest" + (" -- removed" if repair else ""))
        if report["ok"]:
            console.print("manifest and files agree")
    if not report["ok"] and not repair:
        raise typer.Exit(1)


@app.command("stats")
def ais_stats(user: str = USER, as_json: bool = typer.Option(False, "--json")) -> None:
    """What the track store holds that this user may see: rows, vessels, time span, bounding box."""
    stats = open_node(create=False).as_user(user).ais_stats()
    if as_json:
        emit_json(stats)
        return
    console.print_json(data=stats)


@app.command("quality")
def ais_quality(user: str = USER, as_json: bool = typer.Option(False, "--json")) -> None:
    """What the behaviour analytics set aside as data quality: identities that cannot be one ship
    (MMSI 0, test numbers, short numbers, unallocated MIDs, non-ship stations) and sparse sources."""
    from rich.table import Table

    report = open_node(create=False).as_user(user).data_quality()
    if as_json:
        emit_json(report)
        return
    table = Table("MMSI", "why not a vessel", "positions", "batches", "first", "last", "names reported", "sources",
                  title="Identities set aside")
    for e in report["identities"]:
        names = ", ".join(e["names"][:3]) + (f" (+{e['name_count'] - 3})" if e["name_count"] > 3 else "")
        table.add_row(str(e["mmsi"]), e["reason"], f"{e['positions']:,}", str(e["batches"]), (e["first"] or "")[:16],
                      (e["last"] or "")[:16], names, ", ".join(e["sources"]))
    console.print(table)
    sources = Table("source", "from", "to", "sparse sample", title="Sources")
    for r in report["sources"]:
        sources.add_row(r["source"], (r["start"] or "")[:16], (r["end"] or "")[:16], "yes: no gaps or loitering from it"
                        if r["sparse"] else "")
    console.print(sources)


@app.command("vessels")
def ais_vessels(
    query: str = typer.Argument("", help="Part of a name, MMSI, IMO or call sign."),
    user: str = USER,
    limit: int = typer.Option(25),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Vessels in the track store with their latest identity and position count."""
    rows = open_node(create=False).as_user(user).vessels(query, limit=limit)
    if as_json:
        emit_json(rows)
        return
    table = Table("MMSI", "name", "IMO", "call sign", "type", "flag", "positions", "last seen")
    for v in rows:
        table.add_row(str(v["mmsi"]), v["name"] or "", str(v["imo"] or ""), v["callsign"] or "", str(v["ship_type"] or ""),
                      v["flag"] or "", f"{v['positions']:,}", (v["last_seen"] or "")[:16])
    console.print(table)


