"""The Python API. The CLI and the web app are thin layers over it; a notebook can use it too:

    from interdict.api import Interdict
    node = Interdict.open("interdict-data")
    me = node.as_user("afp.analyst")
    me.search("pong su")
    me.banner.label          # the highest marking of everything `me` has been shown so far

The faces (CLI, web) import nothing below this module: what they need of the wings (ingest
options, event types, the match threshold, code lists) is re-exported here.

Every read of a `UserSession` records the markings of what it returned (`shown`, `banner`), so a
page or a document built from one session carries a banner computed in one place from what it
shows; a web request or a CLI command gets a session of its own.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from interdict.access import Recipient, may_release
from interdict.accounts import Registry, User, parse_duration
from interdict.ais.formats import parse_mapping
from interdict.ais.quality import flag_names
from interdict.ais.store import IngestOptions, IngestResult, TrackStore
from interdict.audit import CHECKPOINT_SECONDS as AUDIT_CHECKPOINT_SECONDS
from interdict.behaviour.detectors import EVENT_TYPES
from interdict.errors import InterdictError, NotFound, ValidationError
from interdict.intel.entities import ClaimView, EntityReader, EntityView, SourceRef
from interdict.intel.matching import THRESHOLD as MATCH_THRESHOLD
from interdict.intel.matching import Match, compare
from interdict.intel.recordfile import LoadResult, load_records_file
from interdict.markings import Banner, Marking, highest
from interdict.monitoring import estimates as _estimates
from interdict.monitoring.codes import code_lists, countries, regions
from interdict.monitoring.indicators import readable_number
from interdict.monitoring.reports import KINDS as REPORT_KINDS
from interdict.readcache import ReadCache
from interdict.util import data_path
from interdict.workspace import Workspace

if TYPE_CHECKING:
    from interdict.audiences import Audience
    from interdict.behaviour.engine import DetectionRun
    from interdict.intel.graph import EntityGraph
    from interdict.intel.screening import Hit, ScreeningIndex
    from interdict.monitoring.routes import RouteSet

T = TypeVar("T")

__all__ = [
    "AUDIT_CHECKPOINT_SECONDS", "EVENT_TYPES", "MATCH_THRESHOLD", "REPORT_KINDS",
    "ClaimView", "EntityView", "IngestOptions", "IngestResult", "Interdict",
    "Match", "SourceRef", "UserSession", "code_lists", "compare_names", "countries", "data_path", "estimate_catalogue",
    "flag_names", "parse_duration", "parse_mapping", "readable_number", "regions", "seizure_template",
]

# What a list of entities by name shows of each: its caption and identifiers (search results,
# screening hits, the overview, graph nodes). An entity shown whole counts all its statements.
CAPTION_TYPES = ("name", "identifier")
CAPTION_PROPS = ("program", "topics")

# The tables each cached read depends on (interdict.readcache: a write to any of them makes the
# read compute again).
ENTITY_TABLES = ("statements", "sources", "claims", "judgements")
EVENT_TABLES = ("ais_events", "derived_rests_on", "derived_audiences", "ais_batches")
SEIZURE_TABLES = ("seizures", "agencies", "sources")
VESSEL_TABLES = ("ais_batches", "ais_tracks", "ais_identities")
INDEX_TABLES = ("statements", "sources")  # what a screening index is built from
MATCH_TABLES = ("entity_matches", "derived_rests_on", "derived_audiences", "statements", "sources", "ais_batches")


def compare_names(name1: str, name2: str, schema: str = "LegalEntity") -> Match:
    """Compare two names (romanisation-aware), with the score's reason (interdict.intel.matching)."""
    return compare(name1, name2, schema)


def estimate_catalogue() -> dict[str, Any]:
    """The estimates and comparisons Interdict can compute (no claims read)."""
    return {"estimates": _estimates.describe(), "comparisons": _estimates.comparisons()}


def seizure_template(path: str | Path) -> None:
    """Write the seizure return template a member state fills in (.csv or .xlsx)."""
    from interdict.monitoring.template import write_template

    write_template(Path(path))

CASE_FILE = "case/dprk_narcotics.yaml"


class Interdict:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.registry = Registry(workspace.engine)
        self.reader = EntityReader(workspace.engine)
        # heavy reads, once per data version and audience; a screening index is large (about
        # 150 MB for the demo's lists), so only so many audiences keep one
        self.reads = ReadCache(workspace.engine, limits={"screening_index": int(os.environ.get("INTERDICT_SCREENING_INDEXES", "6")),
                                                         "search": 32})  # a search's results: up to a few MB
        self.access_path = "python"  # how users reach this node, for the audit log: cli, web, api, python
        self._closed = False

    @classmethod
    def open(cls, home: str | Path | None = None, database_url: str | None = None, *, create: bool = True) -> Interdict:
        node = cls(Workspace.open(home, database_url, create=create))
        node.tracks.cleanup_staging()  # what an ingest killed mid-way left (a live writer's work is kept)
        return node

    def close(self) -> None:
        """Sign what the audit log holds unsigned (the log is checkpointed on shutdown), then
        release the database."""
        from interdict import audit

        if self._closed:
            return
        self._closed = True
        try:
            if audit.uncovered(self.workspace.engine):
                self.audit_checkpoint(force=True)
        except (InterdictError, SQLAlchemyError) as exc:  # closing goes on; `audit verify` will say
            logging.getLogger(__name__).warning("audit log not checkpointed on close: %s", exc)
        self.reads.close()
        self.workspace.close()

    # -- the node's identity (interdict.identity) ----------------------------------------------
    def init_identity(self) -> dict[str, Any]:
        """Give this node its Ed25519 key pair and node id (refused when it has one)."""
        from interdict import identity

        identity.create(self.workspace.home)
        return self.identity()

    def ensure_identity(self) -> dict[str, Any]:
        """The node's identity, made first when it has none (the demo's start)."""
        from interdict import identity

        if not (self.workspace.home / identity.INFO_FILE).exists():
            return self.init_identity()
        return self.identity()

    def identity(self) -> dict[str, Any]:
        """The node's id, public key and fingerprint, and the agencies it hosts."""
        from interdict import identity

        found = identity.load(self.workspace.home).to_dict()
        return {**found, "agencies": [{"code": a.code, "name": a.name, "country": a.country}
                                      for a in self.registry.agencies()]}

    @property
    def tracks(self) -> TrackStore:
        """The AIS track store (positions and static reports in Parquet, manifest in the database)."""
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
        if screen and not result.dry_run:
            self.screen()
        return result

    def ingest_ais(self, path: str | Path, options: IngestOptions, *, progress: Any = None, screen: bool = True) -> IngestResult:
        """Ingest one AIS file into the track store, then screen its vessels (MMSI, IMO, call
        sign, name) against the node's entities."""
        result = self.tracks.ingest(Path(path), options, progress=progress)
        if screen and result.status == "ingested":
            self.screen(batches=[result.batch], entities=False)
        return result

    def verify_ais(self, *, repair: bool = False) -> dict[str, Any]:
        """Whether the track store's manifest and files agree (the node administrator's check;
        `repair` forgets batches whose files are gone, so that re-ingesting restores them)."""
        return self.tracks.verify(repair=repair)

    def match_audiences(self) -> list[Audience]:
        """The node's agencies grouped by the statements, sources and AIS batches they may see."""
        from interdict.audiences import form
        from interdict.tables import ais_batches, sources, statements

        with self.workspace.engine.connect() as conn:
            return form(conn, {"batch": ais_batches, "source": sources, "statement": statements})

    def screening_index(self, audience: Audience) -> ScreeningIndex:
        """The screening index of what an audience may see (for its derived matches), rebuilt when
        statements change."""
        from interdict.intel.screening import ScreeningIndex
        fingerprint = self.reads.versions.current(INDEX_TABLES)
        cache = self.__dict__.setdefault("_audience_indexes", {})
        if cache.get("fingerprint") != fingerprint:
            cache.clear()
            cache["fingerprint"] = fingerprint
        if audience.key not in cache:
            cache[audience.key] = ScreeningIndex.build(self.workspace.engine, audience.viewer)
        index: ScreeningIndex = cache[audience.key]
        return index

    def screen(self, *, vessels: bool = True, entities: bool = True, batches: list[str] | None = None):  # type: ignore[no-untyped-def]
        """Screen AIS vessels (all, or those of `batches`) and entities against the node's
        entities, once per audience, replacing the stored matches (interdict.intel.watchlist)."""
        from interdict.intel import watchlist

        return watchlist.refresh(self.workspace.engine, self.match_audiences(), self.screening_index, vessels=vessels,
                                 entities=entities, batches=batches)

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
        """Run the behaviour detectors in a time window, once per audience (the agencies that may
        see the same AIS batches, interdict.audiences) over what that audience may see, and save
        the events, replacing those of the same window. Returns the run (events, counts, timings,
        audiences)."""
        from interdict.behaviour import engine as detection
        from interdict.behaviour import events as event_store

        groups = self.tracks.audiences()
        run = detection.detect_audiences(self.tracks, groups, engine=engine, scheduler=scheduler, since=since,
                                         until=until, preset=preset)
        started = time.perf_counter()
        event_store.save(self.workspace.engine, {a["audience"]: a["events"] for a in run.audiences}, groups,
                         engine_name=run.engine, since=since, until=until)
        run.timings["save"] = time.perf_counter() - started
        return run

    def warm_up(self, *, stop: Any = None) -> dict[str, Any]:
        """Compute the heavy reads of the web app for every audience of the node's users before
        anyone asks (`interdict serve` runs this in the background at start-up): the first search
        after a restart took 12.7 s, the first screening 34 s. `stop`: a threading.Event that
        ends the warm-up early. Returns the audiences warmed and the seconds each read took."""
        from interdict.access import audience_key

        readers: dict[Any, User] = {}
        for user in self.registry.users():
            readers.setdefault(audience_key(user.viewer), user)
        reads: list[tuple[str, Callable[[UserSession], Any]]] = [
            ("overview", lambda me: me.overview()), ("search", lambda me: me.search("a")),
            ("screening index", lambda me: me.screening_index()), ("graph", lambda me: me.graph()),
            ("events", lambda me: me.events(limit=1000)), ("risk", lambda me: me.risk(top=50)),
            ("map", lambda me: me.map_data()), ("watchlist", lambda me: me.watchlist()),
            ("vessels", lambda me: me.ais_stats()), ("seizures", lambda me: me.seizure_records()),
            ("dashboard", lambda me: me.dashboard("east-asia-oceania", "ats")),
        ]
        timings: dict[str, dict[str, float]] = {}
        for user in readers.values():
            for name, read in reads:
                if stop is not None and stop.is_set():
                    return {"audiences": len(timings), "seconds": timings}
                started = time.perf_counter()
                read(self.session_for(user))
                timings.setdefault(user.agency.code, {})[name] = round(time.perf_counter() - started, 3)
        return {"audiences": len(timings), "seconds": timings}

    def as_user(self, username: str, *, path: str | None = None) -> UserSession:
        return UserSession(self, self.registry.user(username), access_path=path or self.access_path)

    def session_for(self, user: User, *, path: str | None = None, request_id: str | None = None) -> UserSession:
        return UserSession(self, user, access_path=path or self.access_path, request_id=request_id)

    # -- the audit log (interdict.audit) -------------------------------------------------------
    def audit_checkpoint(self, *, force: bool = False) -> dict[str, Any] | None:
        """Sign a checkpoint of the audit log when entries are uncovered (always with `force`)."""
        from interdict import audit

        if not audit.uncovered(self.workspace.engine):
            return None
        self.ensure_identity()
        return audit.checkpoint(self.workspace.engine, self.workspace.home, force=force)

    def audit_verify(self) -> dict[str, Any]:
        """Recompute the whole log and check every checkpoint (interdict.audit.verify)."""
        from interdict import audit

        return audit.verify(self.workspace.engine, self.workspace.home).to_dict()

    def audit_log(self, *, username: str | None = None, since: datetime | None = None) -> list[dict[str, Any]]:
        """The audit log's entries in order (of one user, from a time)."""
        from interdict import audit

        return [e.to_dict() for e in audit.entries(self.workspace.engine, username=username, since=since)]

    def audit_prove_inclusion(self, seq: int, size: int | None = None) -> dict[str, Any]:
        from interdict import audit

        return audit.prove_inclusion(self.workspace.engine, seq, size)

    def audit_prove_consistency(self, old: int, new: int) -> dict[str, Any]:
        from interdict import audit

        return audit.prove_consistency(self.workspace.engine, old, new)

    def live_ingest(self, options: IngestOptions, **settings: Any) -> Any:
        """A live AIS feed reader writing micro-batches into the track store (interdict.ais.live)."""
        from interdict.ais.live import LiveIngest

        return LiveIngest(self.tracks, options, **settings)


def decode_ais(path: str | Path, *, assume_time: float | None = None) -> Iterator[Any]:
    """Decode an NMEA file chunk by chunk (interdict.ais.stream.decode_path)."""
    from interdict.ais.stream import decode_path

    return decode_path(path, assume_time=assume_time)


@dataclass
class UserSession:
    """Everything a user may read, already filtered by the one access decision."""

    node: Interdict
    user: User
    access_path: str = "python"  # how the user came: web, api, cli, python (the audit log says)
    request_id: str | None = None
    _cache: dict[Hashable, Any] = field(default_factory=dict, repr=False)
    _shown: dict[Marking, None] = field(default_factory=dict, repr=False)  # an ordered set
    _quiet: int = field(default=0, repr=False)
    _logged: set[tuple[str, str]] = field(default_factory=set, repr=False)

    def _audit(self, action: str, objects: list[str], markings: Iterable[Marking]) -> None:
        """Log a read before its answer leaves (once per object and session); if the log cannot
        be written, the read fails."""
        from interdict import audit

        new = [o for o in objects if (action, o) not in self._logged]
        if not new:
            return
        with self.node.workspace.engine.begin() as conn:
            audit.append(conn, action=action, username=self.user.username, agency=self.user.agency.code, objects=new,
                         markings=sorted({m.label for m in markings}), path=self.access_path, request_id=self.request_id)
        self._logged.update((action, o) for o in new)

    def who_saw(self, entity_id: str) -> list[dict[str, Any]]:
        """Every logged read of an entity: who, of which agency, when, by which path. For the
        agencies whose statements it holds and for administrators; anyone else is told it does
        not exist, as for any record they may not see."""
        from interdict import audit

        with self.unshown():
            view = self.entity(entity_id)
        originators = {s.agency for s in view.statements}
        if self.user.agency.code not in originators and "admin" not in self.user.roles:
            raise NotFound(f"no entity {entity_id!r} whose readers you may ask about")
        return [{"seq": e.seq, "at": e.at, "user": e.username, "agency": e.agency, "path": e.path, "action": e.action,
                 "request_id": e.request_id} for e in audit.entries(self.node.workspace.engine, objects=[entity_id])]

    @property
    def viewer(self):  # type: ignore[no-untyped-def]
        return self.user.viewer

    def _cached(self, name: str, tables: tuple[str, ...], params: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, or its result for this user's audience when none of `tables` changed since
        (interdict.readcache). The result is shared: never modify it; record what it shows after."""
        return self.node.reads.get(name, self.viewer, tables, params, compute)

    # -- what this session has shown ---------------------------------------------------------
    def show(self, markings: Iterable[Marking]) -> None:
        """Record that what carries these markings was handed to the user."""
        if not self._quiet:
            for marking in markings:
                self._shown[marking] = None

    def show_entities(self, views: Iterable[EntityView], *, captions_only: bool = False) -> None:
        """Entities handed to the user: whole, or by caption (names, identifiers, programmes)."""
        self.show(s.marking for v in views for s in v.statements
                  if not captions_only or s.prop_type in CAPTION_TYPES or s.prop in CAPTION_PROPS)

    @property
    def shown(self) -> list[Marking]:
        return list(self._shown)

    @property
    def banner(self) -> Banner:
        """The highest marking of everything this session has shown: a page's or a document's banner."""
        return highest(self._shown)

    @contextmanager
    def unshown(self) -> Iterator[None]:
        """Reads inside are working material, not shown (the caller shows what it keeps)."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    # -- records -------------------------------------------------------------------------------
    def entity(self, entity_id: str) -> EntityView:
        # one page reads an entity several times (its cluster, its judgements): once per session
        # and data version (not in the node's cache: browsing many entities would only churn it)
        key = ("entity", entity_id, self.node.reads.versions.current(INDEX_TABLES))
        if key not in self._cache:
            self._cache[key] = self.node.reader.entity(self.viewer, entity_id)
        view: EntityView = self._cache[key]
        if not self._quiet:
            self._audit("read entity", [entity_id], (s.marking for s in view.statements))
        self.show_entities([view])
        self.show(s.marking for r in view.relations for s in r.statements)
        return view

    def entities(self, ids: Iterable[str], *, captions_only: bool = False) -> dict[str, EntityView]:
        """The entities among `ids` this user may see; all their visible statements count as shown,
        or only those of their captions (names, identifiers, programmes)."""
        views = self.node.reader.entities(self.viewer, list(ids))
        self.show_entities(views.values(), captions_only=captions_only)
        return views

    def search(self, query: str, *, schema: str | None = None, limit: int | None = 25) -> list[EntityView]:
        reader = self.node.reader
        text = self._cached("search_text", ENTITY_TABLES, None, lambda: reader.searchable(self.viewer))
        # a list paged through and then downloaded runs the same search each time: kept per version
        results: list[EntityView] = self._cached(
            "search", ENTITY_TABLES, (query, schema, limit),
            lambda: reader.search(self.viewer, query, schema=schema, limit=limit, text=text))
        self.show_entities(results, captions_only=True)
        return list(results)

    def claims(self, *, entity_id: str | None = None) -> list[ClaimView]:
        rows = self.node.reader.claims(self.viewer, entity_id=entity_id)
        self.show(c.marking for c in rows)
        return rows

    def sources(self) -> list[SourceRef]:
        found = self.node.reader.sources_by_id(self.viewer)
        self.show(marking for _, marking in found.values())
        return [ref for ref, _ in found.values()]

    def overview(self) -> dict[str, Any]:
        """Counts of what this user may see and the latest-changed entities."""
        result = self._cached("overview", ENTITY_TABLES, None, lambda: self.node.reader.overview(self.viewer))
        self.entities((item["id"] for item in result["latest"]), captions_only=True)
        return result

    def export_ftm(self) -> Iterator[dict[str, Any]]:
        return self.node.reader.export_ftm(self.viewer)

    def export_ftm_file(self) -> Path:
        """`export_ftm` as an FtM JSON-lines file in the workspace, written once per data version
        for this user's audience (the demo's 37k entities take 10-20 s) and served from disk, so
        memory does not grow with the export. Older files of the audience are removed."""
        import hashlib
        import json

        from interdict.access import audience_key

        def write() -> Path:
            folder = self.node.workspace.home / "exports"
            folder.mkdir(exist_ok=True)
            audience = hashlib.sha256(repr(audience_key(self.viewer)).encode()).hexdigest()[:16]
            version = hashlib.sha256(repr(self.node.reads.versions.current(ENTITY_TABLES)).encode()).hexdigest()[:16]
            path = folder / f"ftm-{audience}-{version}.jsonl"
            if not path.exists():
                partial = path.with_suffix(f".{os.getpid()}.partial")
                with partial.open("w", encoding="utf-8") as out:
                    for item in self.export_ftm():
                        out.write(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")
                partial.replace(path)
            for old in folder.glob(f"ftm-{audience}-*.jsonl"):
                if old != path:
                    old.unlink(missing_ok=True)
            return path

        path: Path = self._cached("export_ftm_file", ENTITY_TABLES, None, write)
        return path if path.exists() else write()  # removed meanwhile (a newer version's writer): write again

    # -- AIS track store -------------------------------------------------------------------
    def batch_markings(self) -> dict[str, Marking]:
        if "batch_markings" not in self._cache:
            self._cache["batch_markings"] = self.node.tracks.batch_markings(self.viewer)
        markings: dict[str, Marking] = self._cache["batch_markings"]
        return markings

    def ais_stats(self) -> dict[str, Any]:
        self.show(self.batch_markings().values())
        tracks = self.node.tracks
        stored: dict[str, Any] = self._cached("ais_stats", VESSEL_TABLES, None, lambda: tracks.stored_stats(self.viewer))
        return {**stored, "live_feeds": tracks.feed_counters(self.viewer)}  # live counters: read every time

    def data_quality(self) -> dict[str, Any]:
        """What the behaviour analytics set aside, from the AIS batches this user may see:
        identities that cannot be one ship (per MMSI, with reason, counts, sources and the names
        reported under it) and sparse sources (samples whose silences are the sampling's)."""
        from interdict.behaviour.detectors import batch_ends

        markings = self.batch_markings()
        self.show(markings.values())
        tracks = self.node.tracks
        batches = list(markings)
        spans = batch_ends(tracks.node_positions(batches).select("batch", "mmsi", "ts").collect()) if batches else None
        files = tracks.batch_files(self.viewer)
        sources = [{"batch": r["batch"], "source": files.get(r["batch"], ""),
                    "start": r["batch_start"].isoformat() if r["batch_start"] else None,
                    "end": r["batch_end"].isoformat() if r["batch_end"] else None, "sparse": r["sparse"]}
                   for r in spans.iter_rows(named=True)] if spans is not None else []
        return {"identities": tracks.identity_findings(self.viewer), "sources": sources}

    def ais_markings(self, mmsi: int | None = None) -> list[Marking]:
        """Markings of the AIS batches this user may see (holding `mmsi`, if given), shown; read
        once per session and vessel."""
        if mmsi is None:
            markings = list(self.batch_markings().values())
        else:
            key = f"ais_markings:{mmsi}"
            if key not in self._cache:
                self._cache[key] = self.node.tracks.markings(self.viewer, mmsi)
            markings = self._cache[key]
        self.show(markings)
        return markings

    def vessels(self, query: str = "", *, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        self.ais_markings()
        return self.node.tracks.vessels(self.viewer, query, limit=limit, offset=offset)

    def vessel_count(self, query: str = "") -> int:
        """How many vessels `vessels(query)` pages through."""
        return self.node.tracks.vessel_count(self.viewer, query)

    def vessel(self, mmsi: int) -> dict[str, Any]:
        found = self.node.tracks.vessel(self.viewer, mmsi)
        self.ais_markings(mmsi)
        return found

    def track(self, mmsi: int, start: datetime | None = None, end: datetime | None = None) -> Any:
        """The vessel's positions (a Polars DataFrame) in the time window, oldest first."""
        self.ais_markings(mmsi)
        return self.node.tracks.positions(self.viewer, mmsi=mmsi, start=start, end=end).sort("ts").collect()

    def map_data(self, *, types: tuple[str, ...] = (), mmsi: int | None = None, since: datetime | None = None,
                 until: datetime | None = None, vessels: int = 60, points: int = 400) -> dict[str, Any]:
        """Events as markers and the tracks of the vessels they concern (segments numbered): the
        vessels with the most events first, at most `vessels`, tracks thinned to `points` fixes."""
        result: dict[str, Any] = self._cached("map_data", EVENT_TABLES, (types, mmsi, since, until, vessels, points),
                                              lambda: self._map_data(types, mmsi, since, until, vessels, points))
        self._show_events(result["events"])
        self.ais_markings()  # the tracks drawn come from the batches this user may see
        return result

    def _map_data(self, types: tuple[str, ...], mmsi: int | None, since: datetime | None, until: datetime | None,
                  vessels: int, points: int) -> dict[str, Any]:
        import polars as pl

        from interdict.behaviour import detectors

        with self.unshown():
            events = self.events(types=types, mmsi=mmsi, since=since, until=until, limit=5000)
        placed = [e for e in events if e["lat"] is not None]
        counts: dict[int, int] = {}
        for e in placed:
            counts[e["mmsi"]] = counts.get(e["mmsi"], 0) + 1
        chosen = sorted(counts, key=lambda m: -counts[m])[:vessels] if mmsi is None else [mmsi]
        tracks = {}
        # one scan for all the chosen vessels (a scan per vessel read every file 60 times)
        wanted = (self.node.tracks.positions(self.viewer, start=since, end=until).filter(pl.col("mmsi").is_in(chosen))
                  .collect() if chosen else pl.DataFrame())
        by_vessel = {key[0]: part for key, part in wanted.partition_by("mmsi", as_dict=True).items()} if wanted.height else {}
        for vessel in chosen:
            track = by_vessel.get(vessel)
            if track is None:  # a vessel heard once is still drawn (a fix and its last-position marker)
                continue
            track = track.sort("ts", "source_row", "lat", "lon")  # fixes of one second in a fixed order, however read
            track = track.with_columns(pl.lit("v").alias("batch")).with_columns(
                pl.int_range(pl.len(), dtype=pl.Int64).alias("source_row"))
            # a fix whose time was assumed for a whole log (--assume-time) shows where the vessel
            # was heard, not when: drawn apart, never joined into the track or cut by the time slider
            assumed = track.filter((pl.col("flags") & detectors.TIME_ASSUMED) > 0)
            segmented = detectors.prepare(track)
            thin = segmented.gather_every(max(1, segmented.height // points))
            few = assumed.gather_every(max(1, assumed.height // points))
            if thin.height or few.height:
                tracks[str(vessel)] = {"lat": thin["lat"].round(5).to_list(), "lon": thin["lon"].round(5).to_list(),
                                       "t": thin["ts"].dt.epoch("s").to_list(), "segment": thin["segment"].to_list(),
                                       "assumed": {"lat": few["lat"].round(5).to_list(), "lon": few["lon"].round(5).to_list(),
                                                   "count": assumed.height}}
        return {"events": placed[:2000], "tracks": tracks}

    # -- link analysis ---------------------------------------------------------------------
    def graph(self) -> EntityGraph:
        """The entity graph built from the statements this user may see (interdict.intel.graph).
        Use `path` and `neighbours` to have what they return count as shown."""
        from interdict.intel import graph

        built: EntityGraph = self._cached("graph", ENTITY_TABLES, None,
                                          lambda: graph.build(self.node.workspace.engine, self.viewer))
        return built

    def path(self, source: str, target: str) -> dict[str, Any]:
        """The shortest chain of visible links between two entities, each link with its source and grade."""
        result = self.graph().path(source, target)
        self.show(Marking.parse(s["marking"]) for step in result["steps"] for s in step["statements"])
        named = {source, target} | {step[end]["id"] for step in result["steps"] for end in ("from", "to")}
        self.entities(named, captions_only=True)
        return result

    def neighbours(self, entity_id: str, depth: int = 1) -> dict[str, Any]:
        """Entities within `depth` visible links, with degree centrality and community."""
        result = self._cached("neighbours", ENTITY_TABLES, (entity_id, depth), lambda: self.graph().neighbours(entity_id, depth))
        self.show(Marking.parse(e["marking"]) for e in result["edges"])
        self.entities((n["id"] for n in result["nodes"]), captions_only=True)
        return result

    # -- screening matches and entity resolution ---------------------------------------------
    def watchlist(self, *, subject_kind: str | None = None, subject: str | None = None, entity_id: str | None = None,
                  listed: bool | None = None) -> list[dict[str, Any]]:
        """Screening matches (AIS vessels and entities against the node's entities) this user may
        see, each with the matched entity's caption and programmes as this user sees them."""
        def read() -> tuple[list[dict[str, Any]], list[Marking], bool]:
            from interdict.intel import watchlist

            matches = watchlist.read(self.node.workspace.engine, self.viewer, subject_kind=subject_kind, subject=subject,
                                     entity_id=entity_id, listed=listed)
            ids = {m["entity_id"] for m in matches} | {m["subject"] for m in matches if m["subject_kind"] == "entity"}
            with self.unshown():
                views = self.entities(ids)
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
            # what the user is shown: every visible statement of the entities named
            markings = list(dict.fromkeys(s.marking for v in views.values() for s in v.statements))
            return out, markings, any(m["subject_kind"] == "vessel" for m in matches)

        if subject is None and entity_id is None:  # the whole list: cached; one subject's matches are a quick read
            found, markings, vessels = self._cached("watchlist", (*MATCH_TABLES, *ENTITY_TABLES, *VESSEL_TABLES),
                                                    (subject_kind, listed), read)
        else:
            found, markings, vessels = read()
        self.show(markings)
        if vessels:
            self.ais_markings()
        return list(found)  # a list of its own (the rows themselves are shared: never modify them)

    def screening_index(self) -> ScreeningIndex:
        """The screening index of what this user may see (rebuilt when statements change). What
        it answers is not recorded as shown: use `screen` for that."""
        from interdict.intel.screening import ScreeningIndex

        index: ScreeningIndex = self._cached("screening_index", INDEX_TABLES, None,
                                             lambda: ScreeningIndex.build(self.node.workspace.engine, self.viewer))
        return index

    def screen(self, name: str, **options: Any) -> list[Hit]:
        """Screen a name or identifier against everything this user may see (interdict.intel.screening)."""
        hits = self.screening_index().screen(name, **options)
        self.entities((h.id for h in hits), captions_only=True)
        return hits

    def screen_many(self, queries: list[dict[str, Any]], **options: Any) -> list[list[Hit]]:
        """Screen a batch of names ({name, schema, country} each), in parallel where it pays."""
        batches = self.screening_index().screen_many(queries, **options)
        self.entities({h.id for hits in batches for h in hits}, captions_only=True)
        return batches

    def duplicate_candidates(self, *, entity_id: str | None = None, limit: int | None = 100) -> list[dict[str, Any]]:
        """Candidate duplicates across sources, best first, not yet judged and not already merged:
        the stored screening matches between entities, and for `entity_id` a live screening of its
        names against everything this user may see (`limit=None`: all of them). The two sides of
        each kept pair count as shown."""
        def find() -> tuple[list[dict[str, Any]], list[Marking]]:
            with self.unshown():
                ranked, views = self._duplicate_candidates(entity_id=entity_id, limit=limit)
            shown = {c[side] for c in ranked for side in ("left", "right")}
            return ranked, list(dict.fromkeys(s.marking for e in shown for s in views[e].statements))

        ranked, markings = self._cached("duplicate_candidates", (*MATCH_TABLES, *ENTITY_TABLES), (entity_id, limit), find)
        self.show(markings)
        return list(ranked)

    def _duplicate_candidates(self, *, entity_id: str | None,  # noqa: C901 - gathers stored and live candidates in one pass
                              limit: int | None) -> tuple[list[dict[str, Any]], dict[str, EntityView]]:
        from interdict.intel import resolution
        from interdict.intel.matching import THRESHOLD

        engine = self.node.workspace.engine
        judged = {frozenset((j["left"], j["right"])) for j in resolution.list_judgements(engine, self.viewer)}
        groups = self._clusters()
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
        views = self.entities({x for pair in out for x in pair})
        ranked = []
        for c in sorted(out.values(), key=lambda c: (-c["score"], c["left"], c["right"])):
            if c["left"] in views and c["right"] in views:
                for side in ("left", "right"):
                    v = views[c[side]]
                    c[f"{side}_caption"], c[f"{side}_schema"] = v.caption, v.schema
                    c[f"{side}_sources"] = sorted({s.source.title for s in v.statements if s.source})
                # the pair's own marking: everything of both records it names (a row of a download)
                c["banner"] = highest(s.marking for side in ("left", "right") for s in views[c[side]].statements).label
                ranked.append(c)
        return ranked[:limit], views

    def show_candidates(self, candidates: Iterable[dict[str, Any]]) -> None:
        """Record as shown both sides of these candidate pairs (a page of a list read unshown)."""
        self.entities({c[side] for c in candidates for side in ("left", "right")})

    def judge(self, left: str, right: str, judgement: str, *, note: str | None = None, score: float | None = None,
              marking: Marking | None = None) -> dict[str, Any]:
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
        rows = resolution.list_judgements(self.node.workspace.engine, self.viewer, entity_ids=ids,
                                          include_retracted=include_retracted)
        self.show(Marking.parse(j["marking"]) for j in rows)
        views = self.entities({j[side] for j in rows for side in ("left", "right")}, captions_only=True)
        named = {k: [s.marking for s in v.statements if s.prop_type in CAPTION_TYPES or s.prop in CAPTION_PROPS]
                 for k, v in views.items()}
        for j in rows:  # judgements are shown only when both entities are visible (list_judgements)
            j["left_caption"], j["right_caption"] = (views[j[side]].caption if j[side] in views else j[side]
                                                     for side in ("left", "right"))
            # the row's own marking: the judgement and the names it shows (a row of a download)
            j["banner"] = highest([Marking.parse(j["marking"]), *named.get(j["left"], []), *named.get(j["right"], [])]).label
        return rows

    def show_judgements(self, rows: Iterable[dict[str, Any]]) -> None:
        """Record as shown these judgements and the names of their two entities (a page of a list
        read unshown)."""
        chosen = list(rows)
        self.show(Marking.parse(j["marking"]) for j in chosen)
        self.entities({j[side] for j in chosen for side in ("left", "right")}, captions_only=True)

    def cluster(self, entity_id: str) -> dict[str, Any]:
        """The entity's cluster as this user sees it: canonical id and members."""
        from interdict.intel import resolution

        self.entity(entity_id)  # NotFound when hidden
        members = self._clusters().get(entity_id, frozenset({entity_id}))
        return {"canonical_id": resolution.canonical_id(members) if len(members) > 1 else entity_id,
                "members": sorted(members)}

    def _clusters(self) -> dict[str, frozenset[str]]:
        """Every entity in a cluster of more than one, with its cluster, as this user sees them."""
        from interdict.intel import resolution

        found: dict[str, frozenset[str]] = self._cached(
            "clusters", ("judgements", *INDEX_TABLES), None, lambda: resolution.clusters(self.node.workspace.engine, self.viewer))
        return found

    def merged_entity(self, entity_id: str) -> EntityView:
        """The entity merged with every entity judged the same (only statements this user may see)."""
        from interdict.intel import resolution

        members = frozenset(self.cluster(entity_id)["members"])
        view = resolution.merged(self.node.reader, self.viewer, entity_id, members)
        self.show_entities([view])
        return view

    # -- behaviour -------------------------------------------------------------------------
    def events(self, *, types: tuple[str, ...] = (), mmsi: int | None = None, since: datetime | None = None,
               until: datetime | None = None, limit: int | None = None, offset: int = 0, sort: str = "start",
               descending: bool = False) -> list[dict[str, Any]]:
        """Behaviour events this user may see (every batch they rest on must be visible), oldest
        first or by `sort` (start, end, type, mmsi, other); `offset` and `limit` page through them."""
        from interdict.behaviour import events as event_store

        rows: list[dict[str, Any]] = self._cached(
            "events", EVENT_TABLES, (types, mmsi, since, until, limit, offset, sort, descending),
            lambda: event_store.read(self.node.workspace.engine, self.viewer, types=types, mmsi=mmsi, since=since, until=until,
                                     limit=limit, offset=offset, sort=sort, descending=descending))
        self._show_events(rows)
        return rows

    def vessel_names(self) -> dict[int, str]:
        """The latest name of every vessel this user may see, by MMSI."""
        with self.unshown():
            names: dict[int, str] = self._cached("vessel_names", VESSEL_TABLES, None, lambda: {
                v["mmsi"]: v["name"] for v in self.vessels("", limit=1_000_000) if v.get("name")})
        return names

    def _show_events(self, rows: list[dict[str, Any]]) -> None:
        markings = self.batch_markings()
        self.show(markings[b] for e in rows for b in e["batches"] if b in markings)

    def risk(self, *, top: int | None = None, mmsi: int | None = None) -> list[dict[str, Any]]:
        """Vessels ranked by risk from the events this user may see, each score with its reasons;
        the events and matches the kept reasons cite count as shown."""
        ranked, matches = self._ranking()
        if mmsi is not None:
            ranked = [r for r in ranked if r["mmsi"] == mmsi]
        ranked = ranked[:top] if top else ranked
        self._show_ranked(ranked, matches)
        return ranked

    def ranking(self) -> list[dict[str, Any]]:
        """The whole ranking of `risk()`, nothing counted as shown: a page shows some of it and
        passes those rows to `show_risk`."""
        return self._ranking()[0]

    def show_risk(self, ranked: list[dict[str, Any]]) -> None:
        """Record as shown what these rows of the ranking cite."""
        self._show_ranked(ranked, self._ranking()[1])

    def _ranking(self) -> tuple[list[dict[str, Any]], dict[int, list[dict[str, Any]]]]:
        from interdict.behaviour import risk
        from interdict.intel.watchlist import by_vessel

        def rank() -> tuple[list[dict[str, Any]], dict[int, list[dict[str, Any]]]]:
            with self.unshown():
                names = {v["mmsi"]: v["name"] for v in self.vessels("", limit=1_000_000) if v.get("name")}
                matches = by_vessel(self.watchlist(subject_kind="vessel"))
                return risk.score(self.events(), names=names, watchlist=matches,
                                  batch_grades=self.node.tracks.batch_grades(self.viewer)), matches

        found: tuple[list[dict[str, Any]], dict[int, list[dict[str, Any]]]] = self._cached(
            "risk", (*EVENT_TABLES, *MATCH_TABLES, *VESSEL_TABLES), None, rank)
        return found

    def _show_ranked(self, ranked: list[dict[str, Any]], matches: dict[int, list[dict[str, Any]]]) -> None:
        with self.unshown():
            events = self.events()
        cited = {c for r in ranked for reason in r["reasons"] for c in reason["evidence"]}
        self._show_events([e for e in events if e["id"] in cited])
        kept = {r["mmsi"] for r in ranked}
        self.entities({m["entity_id"] for vessel, found in matches.items() if vessel in kept for m in found})
        if ranked:
            self.ais_markings()  # names and identities of the ranked vessels come from the track store

    def dark_now(self, *, min_coverage: float = 0.5, limit: int | None = None) -> list[dict[str, Any]]:
        """Vessels whose transmissions stopped and have not resumed by the end of the data that
        carried them, while that data kept covering the hours since (at least `min_coverage` of
        them): open gaps this user may see, the longest first, each with the vessel's name."""
        with self.unshown():
            names = {v["mmsi"]: v["name"] for v in self.vessels("", limit=1_000_000) if v.get("name")}
            gaps = [e for e in self.events(types=("gap",)) if e["details"].get("open")
                    and e["details"].get("covered_after", 0) >= min_coverage]
        gaps.sort(key=lambda e: (-e["details"]["hours"], e["mmsi"]))
        kept = gaps[:limit] if limit else gaps
        self._show_events(kept)
        if kept:
            self.ais_markings()
        return [{"mmsi": e["mmsi"], "name": names.get(e["mmsi"]), "last_seen": e["start"], "lat": e["lat"], "lon": e["lon"],
                 "dark_hours": e["details"]["hours"], "data_end": e["details"].get("data_end"),
                 "covered_after": e["details"].get("covered_after"), "reception_at_last_fix": e["details"].get("reception_start"),
                 # the share of the first hours since in which its reception cell heard its usual traffic
                 "cell_reception_after": e["details"].get("cell_reception_start"),
                 "positions_before": e["details"].get("positions_before"), "event": e["id"]} for e in kept]

    # -- monitoring ------------------------------------------------------------------------
    def seizure_records(self) -> list[dict[str, Any]]:
        """Every live seizure/arrest record this user may see (read once per session)."""
        from interdict.monitoring import seizures

        def read() -> tuple[list[dict[str, Any]], list[Marking]]:
            # a record is the same row whoever may see it: audiences share one copy (90k records
            # are ~180 MB as dicts; most are public and seen by every audience)
            pool: dict[tuple[str, int], dict[str, Any]] = self.node.reads.get("seizure_rows", None, ("seizures",), None, dict)
            records = [pool.setdefault((r["id"], r["version"]), r) for r in seizures.read(self.node.workspace.engine, self.viewer)]
            return records, seizures.record_markings(records)

        records, markings = self._cached("seizures", ("seizures", "agencies"), None, read)
        self.show(markings)
        found: list[dict[str, Any]] = records
        return found

    def seizure_countries(self) -> list[str]:
        """Countries with seizure records this user may see (ISO3)."""
        return sorted({r["country"] for r in self.seizure_records()})

    def show_records(self, records: list[dict[str, Any]]) -> None:
        """Seizure/arrest records (dicts with marking columns) handed to the user."""
        from interdict.monitoring.seizures import record_markings

        self.show(record_markings(records))

    def seizure_datasets(self) -> list[dict[str, Any]]:
        from interdict.monitoring import seizures

        rows: list[dict[str, Any]] = self._cached("seizure_datasets", ("seizures", "agencies"), None,
                                                  lambda: seizures.datasets(self.node.workspace.engine, self.viewer))
        self.seizure_records()  # the datasets' coverage is drawn from every record shown to this user
        return rows

    def routes(self) -> RouteSet:
        """The trafficking-route network: UNODC IDS links shipped with Interdict, plus the links
        named by seizure records this user may see."""
        from interdict.monitoring import routes

        network: RouteSet = self._cached("routes", ("seizures", "agencies"), None, lambda: routes.merged(
            routes.load_ids_network(data_path(routes.IDS_FOLDER)), routes.from_records(self.seizure_records())))
        self.seizure_records()  # the links named by records count as shown
        return network

    def indicators(self, country: str) -> dict[str, Any]:
        from interdict.monitoring import indicators
        from interdict.monitoring.codes import countries

        code = countries().resolve(country, where="country")
        records = self.seizure_records()
        network = self.routes()

        def compute() -> dict[str, Any] | None:
            if not any(r["country"] == code for r in records):
                return None
            return indicators.country_indicators(self._seizure_frame(), code, routes=network.country(code))

        found: dict[str, Any] | None = self._cached("indicators", SEIZURE_TABLES, code, compute)
        if found is None:
            raise NotFound(f"no seizure records you may see for {countries().name(code)} ({code})")
        return found

    def _seizure_frame(self) -> Any:
        """The seizure records this user may see as the indicators' table (built once per data version)."""
        from interdict.monitoring import indicators

        return self._cached("seizure_frame", SEIZURE_TABLES, None, lambda: indicators.frame(self.seizure_records()))

    def estimate(self, name: str, *, seed: int = 0, samples: int | None = None) -> Any:
        """A Monte Carlo estimate from the case-file claims this user may see."""
        from interdict.monitoring import estimates

        with self.unshown():
            claims = {c.key: c for c in self.claims()}
        result = estimates.run(name, claims, seed=seed, samples=samples)
        self.show(result.markings())
        return result

    def compare_estimates(self, name: str, *, seed: int = 0, samples: int | None = None) -> dict[str, Any]:
        """Several figures side by side (estimates and claims), never pooled."""
        from interdict.monitoring import estimates

        def compare() -> dict[str, Any]:
            with self.unshown():
                claims = {c.key: c for c in self.claims()}
            return estimates.compare(name, claims, seed=seed, samples=samples)

        result: dict[str, Any] = self._cached("compare_estimates", ENTITY_TABLES, (name, seed, samples), compare)
        for item in result["items"]:
            if item["kind"] == "estimate":
                self.show(item["estimate"].markings())
            elif item["kind"] == "claim":
                self.show([item["claim"].marking])
        return result

    def dashboard(self, region: str, group: str, year: int | None = None) -> dict[str, Any]:
        """The monitoring dashboard of a region and drug group, its map of `year` (by default the
        latest year with data) (interdict.monitoring.dashboard)."""
        from interdict.monitoring import dashboard

        spec = regions().get(region) or regions()["east-asia-oceania"]
        def in_region() -> tuple[list[dict[str, Any]], list[Marking]]:
            from interdict.monitoring.seizures import record_markings

            members = set(spec["countries"])
            with self.unshown():
                found = [r for r in self.seizure_records() if r["country"] in members]
            return found, record_markings(found)

        records, markings = self._cached("region_records", ("seizures", "agencies"), region, in_region)
        self.show(markings)
        panels = [self.compare_estimates(name, samples=20_000) for name in _estimates.comparisons()]
        datasets = self.seizure_datasets()
        built: dict[str, Any] = self._cached(
            "dashboard", ("seizures", "agencies", *ENTITY_TABLES), (region, group, year),
            lambda: dashboard.region(records, spec, region, group, datasets=datasets, comparisons=panels, year=year))
        return built

    def country_trend(self, country: str) -> dict[str, Any]:
        """Indicators of a country and its seizures by drug group as a chart (the country page)."""
        from interdict.monitoring import dashboard

        result = self.indicators(country)

        def trend() -> Any:
            records = [r for r in self.seizure_records() if r["country"] == result["country"]]
            return dashboard.country_trend(records, result["country"], result["name"])

        return {"indicators": result, "trend": self._cached("country_trend", SEIZURE_TABLES, result["country"], trend)}

    def report_inputs(self, kind: str) -> Any:
        """What a report of `kind` is built from, read as this user (interdict.monitoring.reports)."""
        from interdict.monitoring import reports

        records = self.seizure_records()
        source_ids = {r["source_id"] for r in records if r["source_id"]}
        entities: dict[str, EntityView] = {}
        if kind == "dprk-brief":
            entities = self.entities(reports.brief_spec().entities)
        return reports.ReportInputs(
            username=self.user.username, agency=self.user.agency.code, agency_name=self.user.agency.name,
            seizure_records=records, claims={c.key: c for c in self.claims()}, routes=self.routes(),
            sources=self.node.reader.sources_by_id(self.viewer, source_ids), entities=entities)

    def recipient(self, audience: str) -> Recipient:
        """`public`, `partners` or an agency code as the recipient of a released document."""
        name = audience.strip()
        if name.lower() == Recipient.PUBLIC:
            return Recipient.public()
        if name.lower() == Recipient.PARTNERS:
            return Recipient.partners()
        try:
            agency = self.node.registry.agency(name)
        except NotFound:
            raise ValidationError(f"audience {audience!r} is neither public, partners nor an agency of this node",
                                  where="--audience") from None
        return Recipient.for_agency(agency.code, agency.country, agency.law_enforcement)

    def report(self, kind: str, *, fmt: str = "html", country: str | None = None, region: str | None = None,
               seed: int = 0, samples: int | None = None, audience: str | None = None) -> bytes:
        """A report (HTML or PDF bytes) built from what this user may see -- and, for an
        `audience` (public, partners or an agency code), only what may be released to it, with
        counts of what was left out -- its banner the highest marking of its content on every page."""
        from interdict.monitoring import reports
        from interdict.monitoring import routes as route_sets

        recipient = self.recipient(audience) if audience else None

        def make() -> bytes:
            inputs = self.report_inputs(kind)
            if recipient is not None:
                inputs = reports.released(inputs, lambda origin, marking: may_release(recipient, origin, marking),
                                          recipient.label, route_sets.load_ids_network(data_path(route_sets.IDS_FOLDER)))
            return reports.render(inputs, kind, fmt=fmt, country=country, region=region, seed=seed, samples=samples)

        # asked again before any data changes, a report is the same document (the same bytes, its
        # "generated" time that of its first making); it names its reader, so it is kept per user
        return self.node.reads.get(
            "report", self.viewer, (*SEIZURE_TABLES, *ENTITY_TABLES),
            (self.user.username, kind, fmt, country, region, seed, samples, recipient), make)
