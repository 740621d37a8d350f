"""The AIS track store: positions and static reports as Parquet, one directory per ingested
input (a batch), and a manifest of batches in the database.

Layout under the workspace (schema: docs/track-store.md):

    parquet/ais/batches/<batch>/positions/date=YYYY-MM-DD/part-N.parquet   (batch: SHA-256 of agency + content)
    parquet/ais/batches/<batch>/static/part-N.parquet
    parquet/ais/batches/<batch>/rejected.parquet        (quarantine: source_row, reason, raw)

A batch is written into a staging directory and renamed into place in one step, then recorded
in the `ais_batches` table. Readers use only recorded batches, so a crash or kill mid-ingest
leaves the store exactly as before, and the next run (same content, same batch id) completes it.
Re-ingesting the same content by the same agency adds nothing. Every batch carries its originating agency, source,
grade and markings; every read goes through `interdict.access.visible` on the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import IntegrityError

from interdict.access import Viewer, visible
from interdict.accounts import check_release_codes
from interdict.ais import formats
from interdict.ais.quality import DEFAULT_MAX_SPEED_KN, FLAG_NAMES, check_positions, flag_implied_speed
from interdict.audiences import Audience, form
from interdict.errors import NotFound, ValidationError
from interdict.markings import Grade, Marking
from interdict.mmsi import identity_problem
from interdict.tables import agencies, ais_batches, ais_identities, ais_tracks, source_key, sources
from interdict.util import file_digest, utcnow

# The same report heard by several receivers (or in several files): same MMSI, position, motion
# and AIS time-stamp second, received within DUPLICATE_WINDOW of each other.
REPORT_KEY = ["mmsi", "lat", "lon", "sog", "cog", "heading", "second"]
DUPLICATE_WINDOW_US = 60 * 1_000_000


def drop_duplicates(frame):
    """Collapse repeated copies of one report (works on DataFrames and LazyFrames alike)."""
    ordered = frame.with_row_index("_order").sort([*REPORT_KEY, "ts"], nulls_last=True)
    same = pl.all_horizontal([pl.col(c).eq_missing(pl.col(c).shift(1)) for c in REPORT_KEY])
    close = (pl.col("ts") - pl.col("ts").shift(1)).dt.total_microseconds() <= DUPLICATE_WINDOW_US
    return ordered.filter(~(same & close).fill_null(False)).sort("_order").drop("_order")


IDENTITY = ["name", "imo", "callsign", "ship_type", "length", "width", "destination"]


@dataclass
class IngestOptions:
    agency: str
    marking: Marking
    grade: Grade
    source_id: str | None = None
    format: str = "auto"
    assume_time: datetime | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    dayfirst: bool = False
    pseudonymous_ids: bool = False  # the id column holds a data set's pseudonyms for vessels, not MMSIs
    max_speed_kn: float = DEFAULT_MAX_SPEED_KN
    chunk_bytes: int = field(default_factory=lambda: int(os.environ.get("INTERDICT_AIS_CHUNK_BYTES", 4 * 1024 * 1024)))
    table_rows: int = field(default_factory=lambda: int(os.environ.get("INTERDICT_AIS_TABLE_ROWS", formats.TABLE_CHUNK_ROWS)))


@dataclass
class IngestResult:
    path: str
    batch: str
    format: str
    status: str                       # "ingested" or "unchanged"
    input_records: int = 0
    messages: int = 0
    positions: int = 0
    static_reports: int = 0
    other_messages: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    flags: dict[str, int] = field(default_factory=dict)
    vessels: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class TrackStore:
    def __init__(self, engine: Engine, root: Path) -> None:
        self.engine = engine
        self.root = root / "ais"
        self.batches_dir = self.root / "batches"
        self.staging_dir = self.root / ".staging"

    # -- ingest ---------------------------------------------------------------------------
    def ingest(self, path: str | Path, options: IngestOptions,
               progress: Callable[[int], None] | None = None) -> IngestResult:
        path = Path(path)
        if not path.is_file():
            raise ValidationError("no such file", where=str(path))
        # one batch per agency and content: the same file from two agencies is two records, each
        # with its own marking; the same file again from one agency changes nothing
        batch_id = hashlib.sha256(f"{options.agency}\x1f{file_digest(path)}".encode()).hexdigest()
        with self.engine.connect() as conn:
            known = conn.execute(select(ais_batches.c.id).where(ais_batches.c.id == batch_id)).first()
            if options.source_id:
                self._cited_source(conn, options)  # refused before any work when unknown
            check_release_codes(conn, [options.marking], where="--releasable-to")
        fmt = formats.sniff(path) if options.format == "auto" else options.format
        if fmt not in formats.FORMATS[1:]:
            raise ValidationError(f"unknown format {fmt!r} (one of {', '.join(formats.FORMATS)})", where="--format")
        if known:
            return IngestResult(path=str(path), batch=batch_id, format=fmt, status="unchanged")
        self.cleanup_staging()
        # the writer's process id in the name and in the folder: clean-up and verification leave a
        # live writer's work alone
        staging = self.staging_dir / f"{batch_id}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        staging.mkdir(parents=True)
        (staging / WRITER).write_text(str(os.getpid()))
        (staging / "positions").mkdir()
        (staging / "static").mkdir()
        try:
            result, tracks, identities, span = self._write_staging(path, fmt, batch_id, options, staging, progress)
            self._commit(staging, batch_id, options, result, tracks, identities, span, path, fmt)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return result

    def _batches(self, path: Path, fmt: str, options: IngestOptions, staging: Path) -> Iterator[tuple[formats.Batch, bool]]:
        """The input's batches, each with whether another follows (a table's last chunk carries
        nothing forward)."""
        if fmt == "nmea":
            assume = options.assume_time.timestamp() if options.assume_time else None
            for batch in formats.nmea_batches(path, assume_time=assume, chunk_bytes=options.chunk_bytes):
                yield batch, True
            return
        chunks = formats.table_batches(path, fmt, mapping=options.mapping, dayfirst=options.dayfirst, scratch=staging,
                                       rows=options.table_rows)
        current = next(chunks, None)
        while current is not None:
            following = next(chunks, None)
            yield current, following is not None
            current = following

    def _write_staging(self, path: Path, fmt: str, batch_id: str, options: IngestOptions, staging: Path,  # noqa: C901 - one streaming pass per chunk; splitting it would hold chunk state across calls
                       progress: Callable[[int], None] | None):
        result = IngestResult(path=str(path), batch=batch_id, format=fmt, status="ingested")
        rejected_parts: list[Path] = []
        identity_runs: list[Path] = []  # closed identity runs, on disk (bounded memory)
        open_runs: pl.DataFrame | None = None  # each vessel's latest identity run, still open
        track_parts: list[pl.DataFrame] = []
        seen_keys: pl.DataFrame | None = None
        last_fix: pl.DataFrame | None = None
        for part, (batch, chunked) in enumerate(self._batches(path, fmt, options, staging)):
            result.input_records += batch.input_records
            result.other_messages += batch.other_messages
            for k, v in batch.skipped.items():
                result.skipped[k] = result.skipped.get(k, 0) + v
            kept, bad = check_positions(batch.positions, max_speed_kn=options.max_speed_kn,
                                        pseudonymous=options.pseudonymous_ids)
            if last_fix is not None and kept.height:  # implied speed across chunk boundaries
                joined = pl.concat([last_fix.with_columns(pl.lit(True).alias("_prev")),
                                    kept.with_columns(pl.lit(False).alias("_prev"))], how="diagonal_relaxed")
                kept = flag_implied_speed(joined, options.max_speed_kn).filter(~pl.col("_prev")).drop("_prev")
            before = kept.height
            received = kept.select(*REPORT_KEY, "ts")
            if seen_keys is not None and kept.height:
                # copies of reports from the previous chunk: its last minute goes first, as the
                # predecessors a single pass over the whole file would compare with
                joined = pl.concat([seen_keys.with_columns(pl.lit(True).alias("_prev")),
                                    kept.with_columns(pl.lit(False).alias("_prev"))], how="diagonal_relaxed")
                kept = drop_duplicates(joined).filter(~pl.col("_prev")).drop("_prev")
            else:
                kept = drop_duplicates(kept)
            result.duplicates += before - kept.height
            if received.height and chunked:
                recent = pl.concat([seen_keys, received]) if seen_keys is not None else received
                # (bounded: a file read under one assumed time has every report in its last minute)
                since = recent.select(pl.col("ts").max() - pl.duration(microseconds=DUPLICATE_WINDOW_US)).item()
                seen_keys = recent.filter(pl.col("ts") >= since).tail(200_000)
            if kept.height:
                if chunked:
                    last = kept.sort("ts").group_by("mmsi").last().select("mmsi", "ts", "lat", "lon", "flags")
                    last_fix = last if last_fix is None else pl.concat([last_fix, last]).sort("ts").group_by("mmsi").last()
                kept = kept.with_columns(pl.col("ts").dt.date().alias("date"))
                for (day,), group in kept.group_by("date"):
                    folder = staging / "positions" / f"date={day}"
                    folder.mkdir(exist_ok=True)
                    group.drop("date").write_parquet(folder / f"part-{part}.parquet", statistics=True)
                track_parts.append(_track_summary(kept))
                result.positions += kept.height
                for bit, name in FLAG_NAMES.items():
                    n = int(((kept["flags"] & bit) > 0).sum())
                    if n:
                        result.flags[name] = result.flags.get(name, 0) + n
            if batch.static.height:
                batch.static.write_parquet(staging / "static" / f"part-{part}.parquet")
                # merged chunk by chunk: only each vessel's latest run stays in memory, the closed
                # ones go to disk (a small result could pin the chunk's string buffers)
                runs = _identities(batch.static.select("mmsi", "ts", *IDENTITY), open_runs)
                merged = _merge_identity_runs(runs if open_runs is None else pl.concat([open_runs, runs]))
                latest = pl.col("first_ts") == pl.col("first_ts").max().over("mmsi")
                closed = merged.filter(~latest)
                open_runs = merged.filter(latest).rechunk()
                if closed.height:
                    closed.write_parquet(staging / f"identities-{part}.parquet")
                    identity_runs.append(staging / f"identities-{part}.parquet")
                result.static_reports += batch.static.height
            rejected = pl.concat([
                batch.rejected.select("source_row", "reason", "raw"),
                bad.select("source_row", pl.col("reason"), pl.lit(None, pl.String).alias("raw")),
            ])
            if rejected.height:  # kept on disk, not in memory: a large input can reject a lot
                rejected.write_parquet(staging / f"rejected-{part}.parquet")
                rejected_parts.append(staging / f"rejected-{part}.parquet")
            if progress:
                progress(batch.input_records)
        rejected_all = pl.read_parquet(rejected_parts) if rejected_parts else formats.rejected_frame([], [], [])
        rejected_all.write_parquet(staging / "rejected.parquet")
        for file in rejected_parts:
            file.unlink()
        result.rejected = rejected_all.height
        result.rejected_by_reason = dict(sorted(rejected_all["reason"].value_counts().iter_rows())) if rejected_all.height else {}
        if fmt == "nmea":  # decoded messages; sentences that did not decode are counted in `rejected`
            result.messages = result.positions + result.duplicates + result.static_reports + result.other_messages + \
                sum(v for k, v in result.rejected_by_reason.items() if k in _POSITION_REASONS)
        else:  # rows: each is a position, a duplicate or rejected (static reports are derived from them)
            result.messages = result.input_records
        tracks = _combine_tracks(track_parts)
        result.vessels = tracks.height
        if open_runs is not None:  # out-of-order input can leave runs to join across chunks: one last merge
            identities = _merge_identity_runs(pl.concat([*(pl.read_parquet(f) for f in identity_runs), open_runs]))
        else:
            identities = None
        for file in identity_runs:
            file.unlink()
        span = (tracks["first_ts"].min(), tracks["last_ts"].max()) if tracks.height else (None, None)
        return result, tracks, identities, span

    def _commit(self, staging: Path, batch_id: str, options: IngestOptions, result: IngestResult,
                tracks: pl.DataFrame, identities: pl.DataFrame | None, span, path: Path, fmt: str) -> None:
        """Record the batch and put its files in place, so that of two writers of the same batch
        exactly one does: the manifest row is inserted first, and its unique key decides (the
        database makes the other writer wait, then refuses it). Only the holder of the row touches
        the batch's folder, and only while it holds it; the loser leaves the winner's files alone
        and reports the batch as already stored."""
        with self.engine.connect() as conn:
            source_id = self._cited_source(conn, options) if options.source_id else None
        target = self.batches_dir / batch_id
        self.batches_dir.mkdir(parents=True, exist_ok=True)
        try:
            with self.engine.begin() as conn:
                conn.execute(ais_batches.insert().values(
                    id=batch_id, agency=options.agency, **options.marking.columns(), source_id=source_id,
                    reliability=options.grade.reliability, credibility=options.grade.credibility, path=str(path),
                    format=fmt, ingested_at=utcnow(), version=1, input_records=result.input_records,
                    positions=result.positions, static_reports=result.static_reports,
                    other_messages=result.other_messages, rejected=result.rejected, duplicates=result.duplicates,
                    counts=json.dumps({"rejected_by_reason": result.rejected_by_reason, "skipped": result.skipped,
                                       "flags": result.flags}),
                    time_start=span[0], time_end=span[1],
                ))
                try:
                    if target.exists():  # left by a run that died after the rename, before its commit
                        shutil.rmtree(target)
                    os.replace(staging, target)
                    if tracks.height:
                        _bulk_insert(conn, ais_tracks, tracks.with_columns(pl.lit(batch_id).alias("batch_id")))
                    if identities is not None and identities.height:
                        _bulk_insert(conn, ais_identities, identities.with_columns(pl.lit(batch_id).alias("batch_id")))
                except BaseException:
                    shutil.rmtree(target, ignore_errors=True)  # still holding the row: the folder is ours
                    raise
        except IntegrityError:
            with self.engine.connect() as conn:
                stored = conn.execute(select(ais_batches.c.id).where(ais_batches.c.id == batch_id)).first()
            if stored is None:
                raise
            result.status = "unchanged"  # another writer stored the same batch first
            return
        (target / WRITER).unlink(missing_ok=True)

    def _cited_source(self, conn: Connection, options: IngestOptions) -> str:
        """The stored id of the source a batch cites: the agency's own source of that name, or
        another source (AGENCY:name) the agency may see. Another agency's hidden source answers
        exactly as a missing one does."""
        assert options.source_id
        for candidate in (source_key(options.agency, options.source_id), options.source_id):
            found = conn.execute(select(sources.c.id).where(
                sources.c.id == candidate, *visible(sources, self._ingester(conn, options.agency)))).scalar()
            if found:
                return str(found)
        raise ValidationError(f"unknown source {options.source_id!r}", where="--source")

    @staticmethod
    def _ingester(conn: Connection, agency: str) -> Viewer:
        row = conn.execute(select(agencies).where(agencies.c.code == agency)).first()
        if row is None:
            raise ValidationError(f"unknown agency {agency!r} (register it with `interdict agency add`)", where="--agency")
        return Viewer(username=f"ingest:{agency}", agency=agency, country=row.country, law_enforcement=row.law_enforcement)

    def cleanup_staging(self) -> list[str]:
        """Remove what writers killed mid-ingest left in the staging area (a live writer's folder
        is kept). Returns the folders removed."""
        removed = []
        for folder in sorted(self.staging_dir.glob("*")) if self.staging_dir.exists() else []:
            if not _writer_alive(folder):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder.name)
        return removed

    def verify(self, *, repair: bool = False) -> dict[str, Any]:
        """Check that the manifest and the files agree: every recorded batch has its folder and
        as many stored positions as recorded; every folder is a recorded batch (or a live writer's).
        `repair`: forget recorded batches whose files are missing or short (a re-ingest then
        stores them again), remove unrecorded folders and stale staging folders."""
        import pyarrow.parquet as pq

        with self.engine.connect() as conn:
            recorded = {r.id: r.positions for r in conn.execute(select(ais_batches.c.id, ais_batches.c.positions))}
        broken: list[dict[str, Any]] = []
        for batch, positions in sorted(recorded.items()):
            folder = self.batches_dir / batch
            files = sorted(folder.glob("positions/*/*.parquet")) if folder.is_dir() else []
            try:
                stored = sum(pq.read_metadata(f).num_rows for f in files)
            except (OSError, ValueError) as exc:  # pyarrow raises ArrowInvalid (a ValueError) on a damaged file
                broken.append({"batch": batch, "problem": f"unreadable positions file: {exc}"})
                continue
            if not folder.is_dir():
                broken.append({"batch": batch, "problem": "folder missing"})
            elif stored != positions:
                broken.append({"batch": batch, "problem": f"{stored:,} positions in its files, {positions:,} recorded"})
        orphans = [f.name for f in sorted(self.batches_dir.glob("*")) if self.batches_dir.exists()
                   and f.name not in recorded and not _writer_alive(f)]
        stale = [f.name for f in sorted(self.staging_dir.glob("*")) if self.staging_dir.exists() and not _writer_alive(f)]
        if repair:
            if broken:
                with self.engine.begin() as conn:
                    conn.execute(ais_batches.delete().where(ais_batches.c.id.in_([b["batch"] for b in broken])))
                for b in broken:
                    shutil.rmtree(self.batches_dir / b["batch"], ignore_errors=True)
            for name in orphans:
                shutil.rmtree(self.batches_dir / name, ignore_errors=True)
            self.cleanup_staging()
        return {"batches": len(recorded), "broken": broken, "orphan_folders": orphans, "stale_staging": stale,
                "repaired": repair, "ok": not (broken or orphans or stale)}

    # -- reads (always as a viewer) -------------------------------------------------------
    def visible_batches(self, viewer: Viewer) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(
                select(ais_batches.c.id).where(*visible(ais_batches, viewer))
                .order_by(ais_batches.c.ingested_at)
            ).scalars())

    def batch_files(self, viewer: Viewer) -> dict[str, str]:
        """Each visible batch's input file name, by batch id."""
        with self.engine.connect() as conn:
            return {r.id: Path(r.path).name for r in conn.execute(select(ais_batches.c.id, ais_batches.c.path)
                                                                   .where(*visible(ais_batches, viewer)))}

    def batch_markings(self, viewer: Viewer) -> dict[str, Marking]:
        """Each visible batch's marking, by batch id."""
        with self.engine.connect() as conn:
            return {r.id: Marking.from_row(r) for r in conn.execute(select(ais_batches).where(*visible(ais_batches, viewer)))}

    def batch_grades(self, viewer: Viewer) -> dict[str, str]:
        """Each visible batch's Admiralty grade ('B2'), by batch id."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(ais_batches.c.id, ais_batches.c.reliability, ais_batches.c.credibility)
                                .where(*visible(ais_batches, viewer)))
            return {r.id: f"{r.reliability}{r.credibility}" for r in rows}

    def markings(self, viewer: Viewer, mmsi: int | None = None) -> list[Marking]:
        """Markings of the visible batches (holding `mmsi`, if given): what a page built on them shows."""
        query = select(ais_batches).where(*visible(ais_batches, viewer))
        if mmsi is not None:
            query = query.where(ais_batches.c.id.in_(select(ais_tracks.c.batch_id).where(ais_tracks.c.mmsi == mmsi)))
        with self.engine.connect() as conn:
            return [Marking.from_row(r) for r in conn.execute(query)]

    def positions(self, viewer: Viewer, *, mmsi: int | None = None, start: datetime | None = None,
                  end: datetime | None = None) -> pl.LazyFrame:
        """Positions the viewer may see, duplicates across inputs collapsed."""
        files = [str(p) for b in self.visible_batches(viewer) for p in (self.batches_dir / b / "positions").glob("date=*/*.parquet")]
        if not files:
            return formats.empty(formats.POSITIONS_SCHEMA | {"flags": pl.UInt32}).lazy()
        frame = pl.scan_parquet(files, hive_partitioning=False, missing_columns="insert")
        if mmsi is not None:
            frame = frame.filter(pl.col("mmsi") == mmsi)
        if start is not None:
            frame = frame.filter(pl.col("ts") >= start)
        if end is not None:
            frame = frame.filter(pl.col("ts") <= end)
        return drop_duplicates(frame)

    def node_positions(self, batches: list[str] | None = None) -> pl.LazyFrame:
        """Every live batch's positions with a `batch` column, duplicates collapsed: what the node's
        own analytics run over. Not a user read path: derived events say which batches they rest
        on, and a user sees an event only if they may see all of them (`interdict.access`)."""
        return scan_positions(self.position_files(batches))

    def position_files(self, batches: list[str] | None = None) -> list[str]:
        """The Parquet files holding the positions of these batches (every live batch when None):
        what a Dask worker reads itself (`scan_positions`), on this machine or one sharing the store."""
        ids = batches if batches is not None else self._live_batches()
        return [str(p) for b in ids for p in sorted((self.batches_dir / b / "positions").glob("date=*/*.parquet"))]

    def node_static(self, batches: list[str] | None = None) -> pl.LazyFrame:
        ids = batches if batches is not None else self._live_batches()
        files = [str(p) for b in ids for p in (self.batches_dir / b / "static").glob("*.parquet")]
        if not files:
            return formats.empty(formats.STATIC_SCHEMA | {"batch": pl.String}).lazy()
        frame = pl.scan_parquet(files, include_file_paths="_path")
        return frame.with_columns(pl.col("_path").str.extract(r"batches/([0-9a-f]+)/static").alias("batch")).drop("_path")

    def audiences(self) -> list[Audience]:
        """The node's agencies grouped by the AIS batches they may see (interdict.audiences)."""
        with self.engine.connect() as conn:
            return form(conn, {"batch": ais_batches})

    def _live_batches(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(ais_batches.c.id).where(ais_batches.c.retracted_at.is_(None))
                                     .order_by(ais_batches.c.ingested_at)).scalars())

    def static_reports(self, viewer: Viewer) -> pl.LazyFrame:
        files = [str(p) for b in self.visible_batches(viewer) for p in (self.batches_dir / b / "static").glob("*.parquet")]
        if not files:
            return formats.empty(formats.STATIC_SCHEMA).lazy()
        return pl.scan_parquet(files)

    def rejected(self, viewer: Viewer) -> pl.DataFrame:
        files = [str(self.batches_dir / b / "rejected.parquet") for b in self.visible_batches(viewer)]
        return pl.read_parquet(files) if files else formats.rejected_frame([], [], [])

    def stats(self, viewer: Viewer) -> dict[str, Any]:
        return {**self.stored_stats(viewer), "live_feeds": self.feed_counters(viewer)}

    def stored_stats(self, viewer: Viewer) -> dict[str, Any]:
        """Counts, time span and extent of the positions of the batches the viewer may see."""
        positions = self.positions(viewer).select(
            pl.len().alias("rows"), pl.col("mmsi").n_unique().alias("vessels"),
            pl.col("ts").min().alias("start"), pl.col("ts").max().alias("end"),
            pl.col("lat").min().alias("lat_min"), pl.col("lat").max().alias("lat_max"),
            pl.col("lon").min().alias("lon_min"), pl.col("lon").max().alias("lon_max"),
        ).collect().row(0, named=True)
        with self.engine.connect() as conn:
            shown = visible(ais_batches, viewer)
            batches = conn.execute(select(func.count(), func.sum(ais_batches.c.static_reports),
                                          func.sum(ais_batches.c.rejected)).where(*shown)).one()
        return {
            "batches": batches[0],
            "positions": positions["rows"],
            "static_reports": int(batches[1] or 0),
            "rejected": int(batches[2] or 0),
            "vessels": positions["vessels"],
            "time_span": [_iso(positions["start"]), _iso(positions["end"])],
            "bbox": None if positions["rows"] == 0 else
            [positions["lon_min"], positions["lat_min"], positions["lon_max"], positions["lat_max"]],
        }

    def feed_counters(self, viewer: Viewer) -> dict[str, Any]:
        """The latest session of each live feed of the viewer's own agency: what was received and
        every loss counted (kernel drops, queue overflow, oversized lines). Another agency's feeds
        are not shown: their volume is that agency's business."""
        path = self.root / "live" / "feeds.json"
        try:
            feeds = json.loads(path.read_text()) if path.exists() else {}
        except ValueError:
            return {}
        return {name: counters for name, counters in feeds.items() if counters.get("agency") == viewer.agency}

    def identity_findings(self, viewer: Viewer) -> list[dict[str, Any]]:
        """The data-quality view of identities: per MMSI that cannot be one ship's identity (MMSI 0,
        test numbers, short numbers, unallocated MIDs, non-ship stations; `interdict.mmsi`), its
        reason, positions, batches, time span and the names reported under it -- from the batches
        the viewer may see. These positions are never a vessel's track nor ranked as one. A data
        set's own pseudonyms (--pseudonymous-ids) are not findings."""
        t, b, i = ais_tracks.c, ais_batches.c, ais_identities.c
        found: dict[int, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.mmsi, t.batch_id, t.positions, t.first_ts, t.last_ts, b.path, b.counts)
                                .join(ais_batches, b.id == t.batch_id).where(*visible(ais_batches, viewer)))
            for mmsi, batch, count, first, last, path, counts in rows:
                problem = identity_problem(mmsi)
                if problem is None or json.loads(counts).get("flags", {}).get("pseudonymous_id"):
                    continue
                entry = found.setdefault(mmsi, {"mmsi": mmsi, "reason": problem, "positions": 0, "batches": set(),
                                                "sources": set(), "first": first, "last": last, "names": set()})
                entry["positions"] += count
                entry["batches"].add(batch)
                entry["sources"].add(Path(path).name)
                entry["first"], entry["last"] = min(entry["first"], first), max(entry["last"], last)
            if found:
                names = conn.execute(select(i.mmsi, i.name).where(i.mmsi.in_(list(found)), i.name.is_not(None),
                                                                   *visible(ais_batches, viewer))
                                     .join(ais_batches, b.id == i.batch_id).distinct())
                for mmsi, name in names:
                    found[mmsi]["names"].add(name)
        out = [{**e, "batches": len(e["batches"]), "sources": sorted(e["sources"]), "first": _iso(e["first"]),
                "last": _iso(e["last"]), "names": sorted(e["names"])[:10], "name_count": len(e["names"])}
               for e in found.values()]
        return sorted(out, key=lambda e: (-e["positions"], e["mmsi"]))

    def vessels(self, viewer: Viewer, query: str = "", *, limit: int = 100, offset: int = 0,
                mmsi: int | None = None) -> list[dict[str, Any]]:
        """Vessels with their latest identity and position count, searchable by name, MMSI, IMO
        or call sign, from the batches the viewer may see (`mmsi`: that vessel only), the most
        heard first; `offset` and `limit` page through them (`vessel_count` gives the total)."""
        found = self._matching_vessels(viewer, query, mmsi)
        return [{k: v for k, v in item.items() if k != "_haystack"} for item in found[offset:offset + limit]]

    def vessel_count(self, viewer: Viewer, query: str = "") -> int:
        return len(self._matching_vessels(viewer, query, None))

    def _matching_vessels(self, viewer: Viewer, query: str, mmsi: int | None) -> list[dict[str, Any]]:
        text = query.strip().lower()
        if mmsi is not None:
            return [v for v in self._vessel_list(viewer, mmsi) if not text or text in v["_haystack"]]
        return [v for v in self._vessel_list(viewer, None) if not text or text in v["_haystack"]]

    def _vessel_list(self, viewer: Viewer, mmsi: int | None) -> list[dict[str, Any]]:
        """Every vessel of the visible batches, assembled once per set of batches: a batch never
        changes once stored (its id is its content's hash), so the same set gives the same list,
        and a new or forgotten batch makes a new set. Bounded: the last 16 sets per process."""
        with self.engine.connect() as conn:
            batches = tuple(sorted(r.id for r in conn.execute(select(ais_batches.c.id).where(*visible(ais_batches, viewer)))))
        key = (str(self.engine.url), batches, mmsi)
        cached = _VESSEL_LISTS.get(key)
        if cached is not None:
            _VESSEL_LISTS.move_to_end(key)
            return cached
        assembled = self._assemble_vessels(viewer, mmsi)
        _VESSEL_LISTS[key] = assembled
        while len(_VESSEL_LISTS) > 16:
            _VESSEL_LISTS.popitem(last=False)
        return assembled

    def _assemble_vessels(self, viewer: Viewer, mmsi: int | None) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            shown = list(visible(ais_batches, viewer))
            track_filter = [*shown, *([ais_tracks.c.mmsi == mmsi] if mmsi is not None else [])]
            identity_filter = [*shown, *([ais_identities.c.mmsi == mmsi] if mmsi is not None else [])]
            tracks = conn.execute(
                select(ais_tracks.c.mmsi, func.sum(ais_tracks.c.positions), func.min(ais_tracks.c.first_ts),
                       func.max(ais_tracks.c.last_ts))
                .join(ais_batches, ais_batches.c.id == ais_tracks.c.batch_id).where(*track_filter)
                .group_by(ais_tracks.c.mmsi)
            ).all()
            ids = conn.execute(
                select(ais_identities).join(ais_batches, ais_batches.c.id == ais_identities.c.batch_id)
                .where(*identity_filter).order_by(ais_identities.c.mmsi, ais_identities.c.last_ts)
            ).all()
        latest: dict[int, Any] = {}
        for row in ids:
            latest[row.mmsi] = row
        out = []
        for mmsi, count, first, last in tracks:
            identity = latest.get(mmsi)
            item: dict[str, Any] = {"mmsi": mmsi, "positions": int(count), "first_seen": _iso(first), "last_seen": _iso(last),
                    **{k: getattr(identity, k) if identity else None for k in ("name", "imo", "callsign", "ship_type")},
                    "flag": _flag(mmsi)}
            item["_haystack"] = " ".join(str(v).lower() for v in (mmsi, item["name"], item["imo"], item["callsign"]) if v)
            out.append(item)
        out.sort(key=lambda v: (-v["positions"], v["mmsi"]))
        return out

    def vessel(self, viewer: Viewer, mmsi: int) -> dict[str, Any]:
        found = self.vessels(viewer, mmsi=mmsi)
        if not found:
            raise NotFound(f"no vessel with MMSI {mmsi}")
        with self.engine.connect() as conn:
            history = conn.execute(
                select(ais_identities).join(ais_batches, ais_batches.c.id == ais_identities.c.batch_id)
                .where(ais_identities.c.mmsi == mmsi, *visible(ais_batches, viewer))
                .order_by(ais_identities.c.first_ts)
            ).all()
        return {**found[0], "identity_history": [
            {k: (_iso(getattr(r, k)) if k.endswith("_ts") else getattr(r, k))
             for k in ("first_ts", "last_ts", "reports", *IDENTITY)} for r in history]}


_POSITION_REASONS = {"no time", "time before 1990", "time in the future", "position not available",
                     "position missing", "position out of range"}


def scan_positions(files: list[str], where: pl.Expr | None = None) -> pl.LazyFrame:
    """Positions from track-store files with their `batch` column, duplicates collapsed; `where`
    (e.g. one partition of vessels) is applied before the collapse, which compares copies of one
    vessel's report only."""
    if not files:
        return formats.empty(formats.POSITIONS_SCHEMA | {"flags": pl.UInt32, "batch": pl.String}).lazy()
    frame = pl.scan_parquet(files, hive_partitioning=False, missing_columns="insert", include_file_paths="_path")
    frame = frame.with_columns(pl.col("_path").str.extract(r"batches/([0-9a-f]+)/positions").alias("batch")).drop("_path")
    if where is not None:
        frame = frame.filter(where)
    return drop_duplicates(frame)


_VESSEL_LISTS: OrderedDict[tuple[Any, ...], list[dict[str, Any]]] = OrderedDict()

WRITER = "WRITER"  # a batch folder's writer: its process id, removed once the batch is recorded


def _writer_alive(folder: Path) -> bool:
    """Whether the process that wrote `folder` is still running (on this machine): the process id
    in its WRITER file, or for a staging folder (BATCH-PID-RANDOM) the one in its name, which
    exists before the file does."""
    try:
        pid = int((folder / WRITER).read_text())
    except (OSError, ValueError):
        parts = folder.name.split("-")
        if len(parts) != 3 or not parts[1].isdigit():
            return False
        pid = int(parts[1])
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _bulk_insert(conn, table, frame: pl.DataFrame) -> None:
    """Insert many rows in bulk on the caller's connection (they commit or roll back with the rest
    of its transaction): PostgreSQL reads them as CSV through COPY; SQLite through the driver's
    executemany (measured faster than handing it one JSON document to unpack). Times go in the
    form each dialect stores."""
    columns = [c for c in frame.columns if c in table.c]
    frame = frame.select(columns)
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
            for part in frame.iter_slices(50_000):
                # an unquoted empty field is NULL, a quoted one an empty string
                copy.write(part.write_csv(include_header=False, null_value="", datetime_format="%Y-%m-%dT%H:%M:%S%.6f%z"))
        return
    if conn.dialect.name == "sqlite":  # SQLAlchemy's SQLite DateTime storage format
        frame = frame.with_columns(
            pl.col(c).dt.convert_time_zone("UTC").dt.replace_time_zone(None).dt.strftime("%Y-%m-%d %H:%M:%S.%6f")
            for c, dtype in frame.schema.items() if isinstance(dtype, pl.Datetime)
        )
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f'INSERT INTO {table.name} ({names}) VALUES ({", ".join([marker] * len(columns))})'
    for part in frame.iter_slices(20_000):  # bounded: a row as Python tuples costs ~10x its Arrow size
        conn.exec_driver_sql(sql, part.rows())


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def _flag(mmsi: int) -> str | None:
    from interdict.ais.quality import mid_of, mid_table

    mid = mid_of(mmsi)
    return mid_table().get(mid) if mid is not None else None


def _track_summary(positions: pl.DataFrame) -> pl.DataFrame:
    return positions.group_by("mmsi").agg(
        pl.len().alias("positions"), pl.col("ts").min().alias("first_ts"), pl.col("ts").max().alias("last_ts"),
        pl.col("lat").min().alias("lat_min"), pl.col("lat").max().alias("lat_max"),
        pl.col("lon").min().alias("lon_min"), pl.col("lon").max().alias("lon_max"),
        (pl.col("flags") > 0).sum().alias("flagged"),
    )


def _combine_tracks(parts: list[pl.DataFrame]) -> pl.DataFrame:
    if not parts:
        return pl.DataFrame()
    return pl.concat(parts).group_by("mmsi").agg(
        pl.col("positions").sum(), pl.col("first_ts").min(), pl.col("last_ts").max(),
        pl.col("lat_min").min(), pl.col("lat_max").max(), pl.col("lon_min").min(), pl.col("lon_max").max(),
        pl.col("flagged").sum(),
    ).with_columns(pl.col("positions", "flagged").cast(pl.Int64)).sort("mmsi")


def _identities(static: pl.DataFrame, carried: pl.DataFrame | None = None) -> pl.DataFrame:
    """Identity history: consecutive static reports of one MMSI with the same identity, merged.

    Type 24 part A (name) and part B (call sign, type, size) arrive separately; each is carried
    forward to the other, so a history row is a whole identity. `carried`: each vessel's identity
    at the end of the previous chunk, carried into this one (so chunks give the history one file
    would)."""
    if static.height == 0:
        return static
    # sorted by vessel, so a vessel's rows are contiguous: each value is carried forward from the
    # row of its last report within the vessel (windows per vessel cost a group-by per column)
    new_vessel = pl.col("mmsi").ne_missing(pl.col("mmsi").shift(1))
    row = pl.int_range(pl.len(), dtype=pl.UInt32)
    ordered = static.sort("mmsi", "ts").with_columns(
        [pl.col(c).gather(pl.when(pl.col(c).is_not_null() | new_vessel).then(row).forward_fill()) for c in IDENTITY]
    )
    if carried is not None and carried.height:
        # only into reports after it: input out of time order is merged as well as it can be at the end
        later = pl.col("ts") > pl.col("_carried_ts")
        ordered = ordered.join(carried.select("mmsi", pl.col("last_ts").alias("_carried_ts"),
                                              *[pl.col(c).alias(f"{c}_carried") for c in IDENTITY]),
                               on="mmsi", how="left", maintain_order="left").with_columns(
            [pl.when(pl.col(c).is_null() & later).then(pl.col(f"{c}_carried")).otherwise(pl.col(c)).alias(c) for c in IDENTITY]
        ).drop("_carried_ts", *[f"{c}_carried" for c in IDENTITY])
    new_vessel = pl.col("mmsi").ne_missing(pl.col("mmsi").shift(1))
    change = new_vessel | pl.any_horizontal([pl.col(c).ne_missing(pl.col(c).shift(1)) for c in IDENTITY])
    grouped = ordered.with_columns(change.fill_null(True).cum_sum().alias("_run"))
    return grouped.group_by("_run", maintain_order=True).agg(
        pl.col("mmsi").first(), pl.col("ts").min().alias("first_ts"), pl.col("ts").max().alias("last_ts"),
        pl.len().alias("reports"), *[pl.col(c).last() for c in IDENTITY],
    ).drop("_run").sort("mmsi", "first_ts").with_columns(pl.col("reports").cast(pl.Int64))


def _merge_identity_runs(runs: pl.DataFrame) -> pl.DataFrame:
    """Join identity runs computed chunk by chunk: consecutive runs of one MMSI with the same
    identity become one."""
    ordered = runs.sort("mmsi", "first_ts")
    change = pl.col("mmsi").ne_missing(pl.col("mmsi").shift(1)) | pl.any_horizontal(
        [pl.col(c).ne_missing(pl.col(c).shift(1)) for c in IDENTITY])
    grouped = ordered.with_columns(change.fill_null(True).cum_sum().alias("_run"))
    return grouped.group_by("_run").agg(
        pl.col("mmsi").first(), pl.col("first_ts").min(), pl.col("last_ts").max(), pl.col("reports").sum(),
        *[pl.col(c).first() for c in IDENTITY],
    ).drop("_run").sort("mmsi", "first_ts").with_columns(pl.col("reports").cast(pl.Int64))
