"""Small helpers shared by several modules."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

# Fixed namespace: the same record content yields the same UUID on every node.
RECORD_NAMESPACE = uuid.UUID("6f1c2a64-2d3e-5b7a-9c41-0e8d2b7f5a10")


def utcnow() -> datetime:
    return datetime.now(UTC)


def stable_uuid(*parts: str) -> str:
    return str(uuid.uuid5(RECORD_NAMESPACE, "\x1f".join(parts)))


def data_path(relative: str) -> Path:
    """A file shipped in the package's data folder."""
    return Path(str(resources.files("interdict") / "data" / relative))


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class LazyFtM:
    """followthemoney's `model` or `registry`, imported on first use: loading the schema costs
    ~46 MB and 0.7 s that every CLI command (an AIS ingest among them) would otherwise pay."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        import followthemoney

        return getattr(getattr(followthemoney, self._name), attr)
