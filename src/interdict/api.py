"""The Python API. The CLI and the web app are thin layers over it; a notebook can use it too:

    from interdict.api import Interdict
    node = Interdict.open("interdict-data")
    me = node.as_user("afp.analyst")
    me.search("pong su")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from interdict.entities import ClaimView, EntityReader, EntityView, SourceRef
from interdict.recordfile import LoadResult, load_records_file
from interdict.registry import Registry, User
from interdict.util import data_path  # noqa: F401  (re-exported: interdict.api.data_path)
from interdict.workspace import Workspace

CASE_FILE = "case/dprk_narcotics.yaml"


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

    def import_seizures(self, path: str | Path, *, agency: str, **options: Any):  # type: ignore[no-untyped-def]
        """Import a seizure table (validated whole; rejected rows kept in the quarantine folder).
        Options: fmt, dataset, grade, marking, accept_valid, published (see monitoring.import_seizures)."""
        from interdict.monitoring import import_seizures

        self.registry.agency(agency)
        return import_seizures(self.workspace.engine, path, agency=agency,
                               quarantine_dir=self.workspace.home / "quarantine" / "seizures", **options)

    def detect(self, *, engine: str = "local", scheduler: str | None = None, since=None, until=None,  # type: ignore[no-untyped-def]
               preset: str | None = None):
        """Run the behaviour detectors over the whole track store and save the events (replacing
        those of the same window). Returns the run (events, counts, timings)."""
        from interdict.behaviour.engine import detect_store

        return detect_store(self, engine=engine, scheduler=scheduler, since=since, until=until, preset=preset)

    def as_user(self, username: str) -> "UserSession":
        return UserSession(self, self.registry.user(username))

    def session_for(self, user: User) -> "UserSession":
        return UserSession(self, user)


@dataclass
class UserSession:
    """Everything a user may read, already filtered by the one access decision."""

    node: Interdict
    user: User
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

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

    # -- link analysis ---------------------------------------------------------------------
    def graph(self):  # type: ignore[no-untyped-def]
        """The entity graph built from the statements this user may see (interdict.graph)."""
        from interdict import graph

        if "graph" not in self._cache:
            self._cache["graph"] = graph.build(self.node.workspace.engine, self.viewer)
        return self._cache["graph"]

    # -- behaviour -------------------------------------------------------------------------
    def events(self, *, types: tuple[str, ...] = (), mmsi: int | None = None, since=None, until=None,  # type: ignore[no-untyped-def]
               limit: int | None = None) -> list[dict[str, Any]]:
        """Behaviour events this user may see (every batch they rest on must be visible)."""
        from interdict.behaviour import store

        return store.read(self.node.workspace.engine, self.viewer, set(self.node.tracks.visible_batches(self.viewer)),
                          types=types, mmsi=mmsi, since=since, until=until, limit=limit)

    def risk(self, *, top: int | None = None) -> list[dict[str, Any]]:
        """Vessels ranked by risk from the events this user may see, each score with its reasons."""
        from interdict.behaviour import risk

        names = {v["mmsi"]: v["name"] for v in self.vessels("", limit=1_000_000) if v.get("name")}
        ranked = risk.score(self.events(), names=names)
        return ranked[:top] if top else ranked

    # -- monitoring ------------------------------------------------------------------------
    def seizure_records(self) -> list[dict[str, Any]]:
        """Every live seizure/arrest record this user may see (read once per session)."""
        from interdict.monitoring import seizures

        if "seizures" not in self._cache:
            self._cache["seizures"] = seizures.read(self.node.workspace.engine, self.viewer)
        return self._cache["seizures"]

    def seizure_datasets(self) -> list[dict[str, Any]]:
        from interdict.monitoring import seizures

        return seizures.datasets(self.node.workspace.engine, self.viewer)

    def routes(self):  # type: ignore[no-untyped-def]
        """The trafficking-route network: UNODC IDS links shipped with Interdict, plus the links
        named by seizure records this user may see."""
        from interdict.monitoring import routes

        if "routes" not in self._cache:
            self._cache["routes"] = routes.merged(routes.load_ids_network(data_path(routes.IDS_FOLDER)),
                                                  routes.from_records(self.seizure_records()))
        return self._cache["routes"]

    def indicators(self, country: str) -> dict[str, Any]:
        from interdict.errors import NotFound
        from interdict.monitoring import indicators
        from interdict.monitoring.codes import countries

        code = countries().resolve(country, where="country")
        records = self.seizure_records()
        if not any(r["country"] == code for r in records):
            raise NotFound(f"no seizure records you may see for {countries().name(code)} ({code})")
        return indicators.country_indicators(indicators.frame(records), code, routes=self.routes().country(code))

    def estimate(self, name: str, *, seed: int = 0, samples: int | None = None):  # type: ignore[no-untyped-def]
        from interdict.monitoring import estimates

        return estimates.run(name, {c.key: c for c in self.claims()}, seed=seed, samples=samples)

    def report(self, kind: str, *, fmt: str = "html", country: str | None = None, region: str | None = None,
               seed: int = 0, samples: int | None = None) -> bytes:
        from interdict.monitoring import reports

        return reports.render(self, kind, fmt=fmt, country=country, region=region, seed=seed, samples=samples)
