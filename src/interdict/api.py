"""The Python API. The CLI and the web app are thin layers over it; a notebook can use it too:

    from interdict.api import Interdict
    node = Interdict.open("interdict-data")
    me = node.as_user("afp.analyst")
    me.search("pong su")
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from interdict.intel.entities import ClaimView, EntityReader, EntityView, SourceRef
from interdict.intel.recordfile import LoadResult, load_records_file
from interdict.accounts import Registry, User
from interdict.util import data_path  # noqa: F401  (re-exported: interdict.api.data_path)
from interdict.workspace import Workspace

if TYPE_CHECKING:
    from interdict.behaviour.engine import DetectionRun

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

    def load(self, path: str | Path, *, screen: bool = True) -> LoadResult:
        """Load a records file (validated whole, written in one transaction), then screen the
        node's entities and vessels against what changed."""
        result = load_records_file(self.workspace.engine, path)
        if screen:
            self.screen()
        return result

    def import_list(self, kind: str, paths: list[Path], *, agency: str, screen: bool = True, **options: Any):  # type: ignore[no-untyped-def]
        """Import a sanctions list (OFAC, UN, FtM JSON lines; see interdict.intel.lists.import_list),
        then screen the node's vessels and entities against it."""
        from interdict.intel.lists import import_list

        self.registry.agency(agency)
        result = import_list(self.workspace.engine, kind, [Path(p) for p in paths], agency=agency, **options)
        if screen:
            self.screen()
        return result

    def ingest_ais(self, path: str | Path, options, *, progress=None, screen: bool = True):  # type: ignore[no-untyped-def]
        """Ingest one AIS file into the track store, then screen its vessels (MMSI, IMO, call
        sign, name) against the node's entities."""
        result = self.tracks.ingest(Path(path), options, progress=progress)
        if screen and result.status == "ingested":
            self.screen(batches=[result.batch], entities=False)
        return result

    def screening_index(self):  # type: ignore[no-untyped-def]
        """The node-level screening index (every statement), rebuilt when statements change. Only
        for derived matches, which are filtered by the access rule when read."""
        from interdict.intel.screening import ScreeningIndex
        from interdict.intel.watchlist import index_fingerprint

        fingerprint = index_fingerprint(self.workspace.engine)
        cached = getattr(self, "_screening_index", None)
        if cached is None or cached[0] != fingerprint:
            cached = self._screening_index = (fingerprint, ScreeningIndex.build(self.workspace.engine, None))
        return cached[1]

    def screen(self, *, vessels: bool = True, entities: bool = True, batches: list[str] | None = None):  # type: ignore[no-untyped-def]
        """Screen AIS vessels (all, or those of `batches`) and entities against the node's
        entities, replacing the stored matches (interdict.intel.watchlist)."""
        from interdict.intel import watchlist

        return watchlist.refresh(self.workspace.engine, self.screening_index(), vessels=vessels, entities=entities,
                                 batches=batches)

    def load_case_file(self) -> LoadResult:
        return self.load(data_path(CASE_FILE))

    def import_seizures(self, path: str | Path, *, agency: str, **options: Any):  # type: ignore[no-untyped-def]
        """Import a seizure table (validated whole; rejected rows kept in the quarantine folder).
        Options: fmt, dataset, grade, marking, accept_valid, published (see monitoring.import_seizures)."""
        from interdict.monitoring import import_seizures

        self.registry.agency(agency)
        return import_seizures(self.workspace.engine, path, agency=agency,
                               quarantine_dir=self.workspace.home / "quarantine" / "seizures", **options)

    def detect(self, *, engine: str = "local", scheduler: str | None = None, since: datetime | None = None,
               until: datetime | None = None, preset: str | None = None) -> DetectionRun:
        """Run the behaviour detectors over the whole track store (every live batch) in a time
        window and save the events, replacing those of the same window. Returns the run (events,
        counts, timings)."""
        from interdict.behaviour import engine as detection
        from interdict.behaviour import events as event_store

        started = time.perf_counter()
        positions = detection.window(self.tracks.node_positions(), since, until).collect()
        static = detection.window(self.tracks.node_static(), since, until).collect()
        read_s = time.perf_counter() - started
        run = detection.detect(positions, static, engine=engine, scheduler=scheduler, preset=preset)
        run.timings["read"] = read_s
        started = time.perf_counter()
        event_store.save(self.workspace.engine, run.events, engine_name=run.engine, since=since, until=until)
        run.timings["save"] = time.perf_counter() - started
        return run

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
        """The entity graph built from the statements this user may see (interdict.intel.graph)."""
        from interdict.intel import graph

        if "graph" not in self._cache:
            self._cache["graph"] = graph.build(self.node.workspace.engine, self.viewer)
        return self._cache["graph"]

    # -- screening matches and entity resolution ---------------------------------------------
    def watchlist(self, *, subject_kind: str | None = None, subject: str | None = None, entity_id: str | None = None,
                  listed: bool | None = None) -> list[dict[str, Any]]:
        """Screening matches (AIS vessels and entities against the node's entities) this user may
        see, each with the matched entity's caption and programmes as this user sees them."""
        from interdict.intel import watchlist

        matches = watchlist.read(self.node.workspace.engine, self.viewer, subject_kind=subject_kind, subject=subject, entity_id=entity_id, listed=listed)
        ids = {m["entity_id"] for m in matches} | {m["subject"] for m in matches if m["subject_kind"] == "entity"}
        views = self.node.reader.entities(self.viewer, ids)
        out = []
        for m in matches:
            view = views.get(m["entity_id"])
            if view is None:
                continue
            props = view.properties
            m["caption"] = view.caption
            m["schema"] = view.schema
            m["programs"] = sorted({s.value for s in props.get("program", [])})
            m["sources"] = sorted({s.source.title for s in view.statements if s.source})
            if m["subject_kind"] == "entity":
                subject_view = views.get(m["subject"])
                if subject_view is None:
                    continue
                m["subject_caption"] = subject_view.caption
            out.append(m)
        return out

    def screening_index(self):  # type: ignore[no-untyped-def]
        """The screening index of what this user may see (rebuilt when statements change)."""
        from interdict.intel.screening import ScreeningIndex
        from interdict.intel.watchlist import index_fingerprint

        v = self.viewer
        key = (v.agency, v.country, v.law_enforcement, index_fingerprint(self.node.workspace.engine))
        cache = self.node.__dict__.setdefault("_user_indexes", {})
        if key not in cache:
            cache.clear()  # one index per kind of viewer at a time: they are large
            cache[key] = ScreeningIndex.build(self.node.workspace.engine, v)
        return cache[key]

    def screen(self, name: str, **options: Any) -> list[Any]:
        """Screen a name or identifier against everything this user may see (interdict.intel.screening)."""
        return self.screening_index().screen(name, **options)

    def duplicate_candidates(self, *, entity_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Candidate duplicates across sources, best first, not yet judged and not already merged:
        the stored screening matches between entities, and for `entity_id` a live screening of its
        names against everything this user may see."""
        from interdict.intel import resolution
        from interdict.intel.matching import THRESHOLD

        engine = self.node.workspace.engine
        judged = {frozenset((j["left"], j["right"])) for j in resolution.list_judgements(engine, self.viewer)}
        groups = resolution.clusters(engine, self.viewer)
        out: dict[frozenset[str], dict[str, Any]] = {}

        def offer(left: str, right: str, score: float, basis: str, query: str, matched: str, explanation: str) -> None:
            pair = frozenset((left, right))
            if left == right or pair in judged or right in groups.get(left, ()):
                return
            if pair not in out or out[pair]["score"] < score:
                out[pair] = {"left": left, "right": right, "score": round(score, 4), "basis": basis, "query": query,
                             "matched": matched, "explanation": explanation}

        matches = self.watchlist(subject_kind="entity", subject=entity_id) if entity_id else self.watchlist(subject_kind="entity")
        if entity_id:
            matches += self.watchlist(subject_kind="entity", entity_id=entity_id)
        for m in matches:
            offer(m["subject"], m["entity_id"], m["score"], m["basis"], m["query"], m["matched"], m["explanation"])
        if entity_id:
            view = self.entity(entity_id)
            index = self.screening_index()
            own = index.candidates.get(entity_id)
            for name in [s.value for s in view.statements if s.prop in ("name", "alias", "previousName")][:6]:
                for hit in index.screen(name, schema=view.schema, threshold=THRESHOLD, limit=10):
                    target = index.candidates.get(hit.id)
                    if own is not None and target is not None and own.sources & target.sources:
                        continue
                    offer(entity_id, hit.id, hit.score, "name", name, hit.matched_name, hit.explanation)
        ids = {x for pair in out for x in pair}
        views = self.node.reader.entities(self.viewer, ids)
        ranked = []
        for c in sorted(out.values(), key=lambda c: (-c["score"], c["left"], c["right"])):
            if c["left"] in views and c["right"] in views:
                for side in ("left", "right"):
                    v = views[c[side]]
                    c[f"{side}_caption"], c[f"{side}_schema"] = v.caption, v.schema
                    c[f"{side}_sources"] = sorted({s.source.title for s in v.statements if s.source})
                ranked.append(c)
        return ranked[:limit]

    def judge(self, left: str, right: str, judgement: str, *, note: str | None = None, score: float | None = None,
              marking=None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        """Record this user's judgement that two entities are the same, different, or unsure."""
        from interdict.intel import resolution

        return resolution.judge(self.node.workspace.engine, self.viewer, left, right, judgement, note=note,
                                score=score, marking=marking)

    def undo_judgement(self, judgement_id: str) -> dict[str, Any]:
        from interdict.intel import resolution

        return resolution.undo(self.node.workspace.engine, self.viewer, judgement_id)

    def judgements(self, *, entity_id: str | None = None, include_retracted: bool = False) -> list[dict[str, Any]]:
        from interdict.intel import resolution

        ids = self.cluster(entity_id)["members"] if entity_id else None
        return resolution.list_judgements(self.node.workspace.engine, self.viewer, entity_ids=ids,
                                          include_retracted=include_retracted)

    def cluster(self, entity_id: str) -> dict[str, Any]:
        """The entity's cluster as this user sees it: canonical id and members."""
        from interdict.intel import resolution

        self.entity(entity_id)  # NotFound when hidden
        members = resolution.cluster_of(self.node.workspace.engine, self.viewer, entity_id)
        return {"canonical_id": resolution.canonical_id(members) if len(members) > 1 else entity_id,
                "members": sorted(members)}

    def merged_entity(self, entity_id: str) -> EntityView:
        """The entity merged with every entity judged the same (only statements this user may see)."""
        from interdict.intel import resolution

        members = frozenset(self.cluster(entity_id)["members"])
        return resolution.merged(self.node.reader, self.viewer, entity_id, members)

    # -- behaviour -------------------------------------------------------------------------
    def events(self, *, types: tuple[str, ...] = (), mmsi: int | None = None, since=None, until=None,  # type: ignore[no-untyped-def]
               limit: int | None = None) -> list[dict[str, Any]]:
        """Behaviour events this user may see (every batch they rest on must be visible)."""
        from interdict.behaviour import events as event_store

        return event_store.read(self.node.workspace.engine, self.viewer, types=types, mmsi=mmsi, since=since, until=until, limit=limit)

    def risk(self, *, top: int | None = None) -> list[dict[str, Any]]:
        """Vessels ranked by risk from the events this user may see, each score with its reasons."""
        from interdict.behaviour import risk

        from interdict.intel.watchlist import by_vessel

        names = {v["mmsi"]: v["name"] for v in self.vessels("", limit=1_000_000) if v.get("name")}
        ranked = risk.score(self.events(), names=names, watchlist=by_vessel(self.watchlist(subject_kind="vessel")))
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

    def report_inputs(self, kind: str) -> Any:
        """What a report of `kind` is built from, read as this user (interdict.monitoring.reports)."""
        from interdict.monitoring import reports

        records = self.seizure_records()
        source_ids = {r["source_id"] for r in records if r["source_id"]}
        entities = {}
        if kind == "dprk-brief":
            entities = self.node.reader.entities(self.viewer, list(reports.brief_spec().entities))
        return reports.ReportInputs(
            username=self.user.username, agency=self.user.agency.code, agency_name=self.user.agency.name,
            seizure_records=records, claims={c.key: c for c in self.claims()}, routes=self.routes(),
            sources=self.node.reader.sources_by_id(self.viewer, source_ids), entities=entities)

    def report(self, kind: str, *, fmt: str = "html", country: str | None = None, region: str | None = None,
               seed: int = 0, samples: int | None = None) -> bytes:
        """A report (HTML or PDF bytes) built from what this user may see, its banner the highest
        marking of its content on every page."""
        from interdict.monitoring import reports

        return reports.render(self.report_inputs(kind), kind, fmt=fmt, country=country, region=region, seed=seed,
                              samples=samples)
