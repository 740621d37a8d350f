"""`interdict init`, `demo`, `serve` and `load`: the workspace, the demo and the web server."""

from __future__ import annotations

import threading
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from interdict.api import AUDIT_CHECKPOINT_SECONDS, Interdict
from interdict.cli.common import console, emit_json, open_node
from interdict.errors import ValidationError

app = typer.Typer()


@app.command()
def init() -> None:
    """Create the workspace (or bring its database schema up to date)."""
    node = open_node()
    console.print(f"Workspace ready at [bold]{node.workspace.home.resolve()}[/] ({node.workspace.backend}).")


node_app = typer.Typer(help="The node's identity: its Ed25519 key pair and node id (partners know it by them).",
                       no_args_is_help=True)


@node_app.command("init")
def node_init(as_json: bool = typer.Option(False, "--json", help="Print the identity as JSON.")) -> None:
    """Give this node its key pair (the private key stays in the workspace, mode 0600)."""
    found = open_node().init_identity()
    if as_json:
        emit_json(found)
        return
    console.print(f"Node [bold]{found['node_id']}[/] created; its public key for partners:\n{found['public_key']}\n"
                  f"fingerprint {found['fingerprint']}", highlight=False)


@node_app.command("info")
def node_info(as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """The node's id, public key, fingerprint and the agencies it hosts."""
    found = open_node(create=False).identity()
    if as_json:
        emit_json(found)
        return
    table = Table(show_header=False, box=None)
    for label, value in (("Node id", found["node_id"]), ("Public key", found["public_key"]),
                         ("Fingerprint", found["fingerprint"]), ("Created", found["created_at"]),
                         ("Agencies", ", ".join(f"{a['code']} ({a['country']})" for a in found["agencies"]) or "none yet")):
        table.add_row(f"[bold]{label}[/]", value)
    console.print(table)


@app.command()
def demo(
    port: int = typer.Option(8000, help="Port for the web app."),
    host: str = typer.Option("127.0.0.1", help="Address to serve on."),
    serve_app: bool = typer.Option(True, "--serve/--no-serve", help="Serve the web app after loading."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Build or refresh the demo workspace from the bundled real data, then serve the web app."""
    from interdict.demo import run_demo

    node = open_node()
    with console.status("Loading the case file, sanctions lists, AIS samples and seizure tables; detecting behaviour; "
                        "rendering the DPRK brief…",
                        spinner="dots") if not as_json else nullcontext():
        summary = run_demo(node)
    if as_json:
        emit_json(summary)
    else:
        _print_demo_summary(summary)
    if serve_app:
        _serve(node, host, port, demo_login=(summary["users"], summary["demo_password"]))



def _print_demo_summary(summary: dict[str, Any]) -> None:  # noqa: C901 - one table per part of the demo, in the order the demo builds them
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
    host: str = typer.Option("127.0.0.1", help="Address to serve on (keep 127.0.0.1 unless TLS is on)."),
    cert: Path | None = typer.Option(None, "--cert", help="TLS certificate (PEM): serve over HTTPS."),
    key: Path | None = typer.Option(None, "--key", help="TLS private key (PEM) of --cert."),
    warm_up: bool = typer.Option(True, help="Compute the heavy reads of every audience at start-up, in the background."),
) -> None:
    """Serve the web app over an existing workspace; with --cert and --key over HTTPS (session
    cookies then travel over HTTPS only, and browsers are told to keep to it)."""
    if (cert is None) != (key is None):
        raise ValidationError("give both --cert and --key, or neither", where="serve")
    for path in (cert, key):
        if path is not None and not path.is_file():
            raise ValidationError("no such file", where=str(path))
    _serve(open_node(create=False), host, port, tls=(cert, key) if cert and key else None, warm_up=warm_up)


def _serve(node: Interdict, host: str, port: int, demo_login: tuple[list[dict[str, Any]], str] | None = None,
           tls: tuple[Path, Path] | None = None, warm_up: bool = True) -> None:
    import ssl

    import uvicorn

    from interdict.web.app import create_app

    if demo_login:
        users, password = demo_login
        console.print(f"\n[bold]Demo logins[/] (synthetic accounts), password [bold]{password}[/]:")
        for user in users:
            console.print(f"  {user['username']:<14} {user['agency']:<5} {', '.join(user['roles'])}")
    scheme = "https" if tls else "http"
    console.print(f"\nServing on [bold]{scheme}://{host}:{port}/[/] — Ctrl+C to stop.", highlight=False)
    if tls:
        try:  # a bad certificate or key is named here, not in a traceback from the server
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(str(tls[0]), str(tls[1]))
        except (ssl.SSLError, OSError) as exc:
            raise ValidationError(f"cannot use this certificate and key: {exc}", where=str(tls[0])) from None
    # the heavy reads of every audience, computed while the server already answers (a request for
    # one being computed waits for that computation rather than starting its own)
    stop = threading.Event()
    warming = threading.Thread(target=_warm_up, args=(node, stop), name="interdict-warm-up", daemon=True)
    if warm_up:
        warming.start()
    signing = threading.Thread(target=_checkpoints, args=(node, stop), name="interdict-audit-checkpoints", daemon=True)
    signing.start()
    try:
        uvicorn.run(create_app(node, tls=tls is not None), host=host, port=port, log_level="warning",
                    ssl_certfile=str(tls[0]) if tls else None, ssl_keyfile=str(tls[1]) if tls else None)
    finally:
        stop.set()
        node.close()  # the audit log's last checkpoint


def _checkpoints(node: Interdict, stop: threading.Event) -> None:
    """Sign the audit log's new entries every so often, off the request path."""
    while not stop.wait(AUDIT_CHECKPOINT_SECONDS / 4):
        try:
            node.audit_checkpoint()
        except Exception as exc:
            console.print(f"[red]audit checkpoint failed[/]: {exc}")


def _warm_up(node: Interdict, stop: threading.Event) -> None:
    started = time.perf_counter()
    try:
        done = node.warm_up(stop=stop)
    except Exception as exc:  # a warm-up that fails leaves the reads to the first requests: say so, do not stop serving
        console.print(f"[yellow]warm-up stopped: {exc}[/]")
        return
    if not stop.is_set():
        console.print(f"warmed the heavy reads of {done['audiences']} audiences in {time.perf_counter() - started:.0f} s", highlight=False)


@app.command()
def load(
    files: list[Path] = typer.Argument(..., help="Records files (YAML or JSON; see docs/records-file.md)."),
    as_json: bool = typer.Option(False, "--json", help="Print results as JSON."),
) -> None:
    """Load records files. Each is validated whole and written in one transaction."""
    node = open_node()
    results = [node.load(path).to_dict() for path in files]
    if as_json:
        emit_json(results)
        return
    for r in results:
        ch = r["changes"]["statements"]
        console.print(f"[green]{r['dataset']}[/]: {r['entities']} entities, {r['statements']} statements, "
                      f"{r['claims']} claims — added {ch['added']}, updated {ch['updated']}, "
                      f"unchanged {ch['unchanged']}, retracted {ch['retracted']}")


