"""What every command group shares: the global options' state, opening the node, reading as a
user, JSON output, time and marking options. Nothing here imports a command group."""

from __future__ import annotations

import atexit
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from interdict.api import Interdict
from interdict.errors import ValidationError
from interdict.markings import Marking

console = Console()
err = Console(stderr=True)


@dataclass
class GlobalOptions:
    """Set once by the root callback (`interdict --home … --database-url … --debug`)."""

    home: Path | None = None
    database_url: str | None = None
    debug: bool = False


options = GlobalOptions()

USER = typer.Option(..., "--user", "-u", envvar="INTERDICT_USER",
                    help="Read as this user: what you see depends on the user's agency.")
RELEASABLE_TO = typer.Option(None, "--releasable-to", help="Comma-separated agency or country codes.")
HANDLING = typer.Option(None, "--handling", help="SIENA handling code H0-H3.")
ORCON = typer.Option(False, "--orcon/--no-orcon", help="Originator-controlled.")


def open_node(create: bool = True) -> Interdict:
    node = Interdict.open(options.home, options.database_url, create=create)
    node.access_path = "cli"  # what its users read is logged as read through the command line
    atexit.register(node.close)  # signs what the command added to the audit log
    return node


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def marking(tlp: str, releasable_to: str | None, handling: str | None = None, orcon: bool = False) -> Marking:
    """The marking given by --tlp, --releasable-to, --handling and --orcon (strictly parsed)."""
    return Marking.parse({"tlp": tlp, "releasable_to": releasable_to or [], "orcon": orcon, "handling": handling})


def parse_time(value: str | None, option: str) -> datetime | None:
    """An ISO 8601 option value as an aware datetime (UTC when no zone is given)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"not an ISO 8601 time: {value!r}", where=option) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
