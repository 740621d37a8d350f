"""The Python API. The CLI and the web app are thin layers over it; a notebook can use it too:

    from interdict.api import Interdict
    node = Interdict.open("interdict-data")
    me = node.as_user("afp.analyst")
    me.search("pong su")
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

from interdict.entities import ClaimView, EntityReader, EntityView, SourceRef
from interdict.recordfile import LoadResult, load_records_file
from interdict.registry import Registry, User
from interdict.workspace import Workspace

CASE_FILE = "case/dprk_narcotics.yaml"


def data_path(relative: str) -> Path:
    """A file shipped in the package's data folder."""
    return Path(str(resources.files("interdict") / "data" / relative))


class Interdict:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.registry = Registry(workspace.engine)
        self.reader = EntityReader(workspace.engine)

    @classmethod
    def open(cls, home: str | Path | None = None, database_url: str | None = None, *, create: bool = True) -> "Interdict":
        return cls(Workspace.open(home, database_url, create=create))

    def close(self) -> None:
        self.workspace.close()

    @property
    def tracks(self):  # type: ignore[no-untyped-def]
        """The AIS track store (positions and static reports in Parquet, manifest in the database)."""
        from interdict.ais.store import TrackStore

        return TrackStore(self.workspace.engine, self.workspace.parquet_dir)

    def load(self, path: str | Path) -> LoadResult:
        """Load a records file (validated whole, written in one transaction)."""
        return load_records_file(self.workspace.engine, path)

    def load_case_file(self) -> LoadResult:
        return self.load(data_path(CASE_FILE))

    def as_user(self, username: str) -> "UserSession":
        return UserSession(self, self.registry.user(username))

    def session_for(self, user: User) -> "UserSession":
        return UserSession(self, user)


@dataclass
class UserSession:
    """Everything a user may read, already filtered by the one access decision."""

    node: Interdict
    user: User

    @property
    def viewer(self):  # type: ignore[no-untyped-def]
        return self.user.viewer

    def entity(self, entity_id: str) -> EntityView:
        return self.node.reader.entity(self.viewer, entity_id)

    def search(self, query: str, *, schema: str | None = None, limit: int = 25) -> list[EntityView]:
        return self.node.reader.search(self.viewer, query, schema=schema, limit=limit)

    def claims(self, *, entity_id: str | None = None) -> list[ClaimView]:
        return self.node.reader.claims(self.viewer, entity_id=entity_id)

    def sources(self) -> list[SourceRef]:
        return self.node.reader.sources(self.viewer)

    def overview(self) -> dict[str, Any]:
        return self.node.reader.overview(self.viewer)

    def export_ftm(self) -> Iterator[dict[str, Any]]:
        return self.node.reader.export_ftm(self.viewer)

    # -- AIS track store -------------------------------------------------------------------
    def ais_stats(self) -> dict[str, Any]:
        return self.node.tracks.stats(self.viewer)

    def vessels(self, query: str = "", *, limit: int = 100) -> list[dict[str, Any]]:
        return self.node.tracks.vessels(self.viewer, query, limit=limit)

    def vessel(self, mmsi: int) -> dict[str, Any]:
        return self.node.tracks.vessel(self.viewer, mmsi)

    def track(self, mmsi: int, start=None, end=None):  # type: ignore[no-untyped-def]
        """The vessel's positions (a Polars DataFrame) in the time window, oldest first."""
        return self.node.tracks.positions(self.viewer, mmsi=mmsi, start=start, end=end).sort("ts").collect()
