"""The `interdict` command: the root app, its global options and its error handling. Each command
group lives in a module of its own with its own `typer.Typer()`, added here.

Bad input exits with code 2 and one line naming the file, record and field; `--debug` shows the
traceback instead.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# This module is the process's entry point, so it configures the process: Polars' allocator
# (jemalloc) keeps freed pages by default; returning them promptly keeps streaming ingest of large
# files within its memory bound. It must be set before Polars loads, hence before the imports below.
os.environ.setdefault("_RJEM_MALLOC_CONF", "background_thread:true,dirty_decay_ms:0,muzzy_decay_ms:0")

import click
import typer
from typer.exceptions import TyperException

from interdict.cli import accounts, ais, audit, behaviour, entities, intel, lists, monitoring, node
from interdict.cli.common import err, options
from interdict.errors import InterdictError

app = typer.Typer(help="Interdict: shared maritime, intelligence and monitoring system against state-sponsored drug trafficking.",
                  no_args_is_help=True, add_completion=False)
for group in (node.app, entities.app, behaviour.app, intel.app, monitoring.app):
    app.add_typer(group)  # commands at the top level: `interdict demo`, `interdict search`, ...
app.add_typer(accounts.agency_app, name="agency")
app.add_typer(accounts.user_app, name="user")
app.add_typer(lists.app, name="lists")
app.add_typer(ais.app, name="ais")
app.add_typer(intel.resolve_app, name="resolve")
app.add_typer(intel.graph_app, name="graph")
app.add_typer(monitoring.seizures_app, name="seizures")
app.add_typer(node.node_app, name="node")
app.add_typer(audit.app, name="audit")


@app.callback()
def global_options(
    home: Path | None = typer.Option(None, "--home", envvar="INTERDICT_HOME", help="Workspace directory (default: ./interdict-data)."),
    database_url: str | None = typer.Option(None, "--database-url", envvar="INTERDICT_DATABASE_URL",
                                            help="postgresql+psycopg://… to use PostgreSQL instead of the embedded SQLite."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    options.home, options.database_url, options.debug = home, database_url, debug


def main() -> None:
    try:
        code = app(standalone_mode=False)
    except InterdictError as exc:
        if options.debug or os.environ.get("INTERDICT_DEBUG"):
            raise
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except (click.exceptions.Exit, typer.Exit) as exc:
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, typer.Abort):
        err.print("Aborted.")
        sys.exit(1)
    except (click.ClickException, TyperException) as exc:
        # usage errors (a missing argument, an unknown command or option): typer's own exceptions
        # since it carries its own click; one message and the usage line, no traceback
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            err.print(f"error: {exc}", highlight=False)
        sys.exit(getattr(exc, "exit_code", 2))
    # without standalone mode a command's `raise typer.Exit(n)` comes back as its return value
    if isinstance(code, int) and code:
        sys.exit(code)


if __name__ == "__main__":
    main()
