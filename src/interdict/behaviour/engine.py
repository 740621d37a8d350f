"""Running the detectors: `local` (Polars in this process, multi-threaded) or `dask` (Dask
distributed: a scheduler address, or a local cluster). Both run the same detector functions:

1. per-vessel detectors on partitions that each hold whole vessels (MMSI hash buckets), which also
   return each vessel's encounter slot points;
2. the encounter pair search on the slot points partitioned by hour (a pair is within one slot);
3. run building, identity changes from static reports (cross-vessel: one IMO on several MMSIs)
   and sorting, centrally; these are small.

On a node, `detect_audiences` runs them once per audience (interdict.audiences) over what that
audience may see.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from interdict.ais.store import TrackStore, scan_positions
from interdict.audiences import Audience
from interdict.behaviour import detectors


@dataclass
class DetectionRun:
    engine: str
    events: list[dict[str, Any]]
    positions: int
    vessels: int
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    # per audience (interdict.audiences): its key, agencies, batches, positions and events
    audiences: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for e in self.events:
            counts[e["type"]] = counts.get(e["type"], 0) + 1
        out = {"engine": self.engine, "positions": self.positions, "vessels": self.vessels, "events": len(self.events),
               "by_type": dict(sorted(counts.items())), "seconds": round(self.seconds, 2),
               "timings": {k: round(v, 2) for k, v in self.timings.items()}}
        if self.audiences:
            out["audiences"] = [{k: v for k, v in a.items() if k != "events"} | {"events": len(a["events"])}
                                for a in self.audiences]
        return out


def window(frame: pl.LazyFrame, since: datetime | None, until: datetime | None) -> pl.LazyFrame:
    """Rows of `frame` whose `ts` lies in [since, until] (either end open when None)."""
    if since is not None:
        frame = frame.filter(pl.col("ts") >= since)
    if until is not None:
        frame = frame.filter(pl.col("ts") <= until)
    return frame


def run_local(positions: pl.DataFrame, static: pl.DataFrame, *, preset: str | None = None) -> DetectionRun:
    started = time.perf_counter()
    events = detectors.detect_all(positions, static, preset=preset)
    return DetectionRun("local", events, positions.height, positions["mmsi"].n_unique() if positions.height else 0,
                        time.perf_counter() - started)


def _vessel_part(part: pl.DataFrame, data_end: pl.DataFrame) -> tuple[list[dict[str, Any]], pl.DataFrame]:
    return detectors.detect_vessels(part, data_end=data_end)


def _pair_part(points: pl.DataFrame, preset: str | None) -> pl.DataFrame:
    return detectors.encounter_pairs(points, preset)


def _client(scheduler: str | None) -> tuple[Any, Any]:
    """A Dask client for `scheduler` (tcp://host:port), or for a local cluster of two worker
    processes started for this run (returned too, to close)."""
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster), cluster


def run_dask(positions: pl.DataFrame, static: pl.DataFrame, *, scheduler: str | None = None, partitions: int | None = None,
             preset: str | None = None, client: Any = None) -> DetectionRun:
    """The same detectors on a Dask cluster: `scheduler` (tcp://host:port), an existing `client`,
    or a local cluster of two worker processes started for this run."""
    from distributed import Client, LocalCluster

    started = time.perf_counter()
    timings: dict[str, float] = {}
    own_cluster = None
    if client is None:
        if scheduler:
            client = Client(scheduler)
        else:
            own_cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
            client = Client(own_cluster)
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        # whole vessels per partition; about a million positions each keeps workers' memory bounded
        n = partitions or max(workers * 2, -(-positions.height // 1_000_000))
        data_end = detectors.batch_ends(positions)
        t0 = time.perf_counter()
        bucketed = positions.with_columns((pl.col("mmsi").hash(seed=0) % n).alias("_part"))
        parts = [p.drop("_part") for _, p in bucketed.group_by("_part", maintain_order=True)]
        timings["partition"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        end_future = client.scatter(data_end, broadcast=True)
        futures = [client.submit(_vessel_part, part, end_future, pure=False) for part in client.scatter(parts)]
        results = client.gather(futures)
        timings["vessels"] = time.perf_counter() - t0
        events = [e for part_events, _ in results for e in part_events]
        points = [p for _, p in results if p is not None and not p.is_empty()]
        if preset and points:
            points = [detectors.encounter_points(detectors.prepare(part, data_end), preset) for part in parts]
        if points:
            t0 = time.perf_counter()
            all_points = pl.concat(points, how="vertical_relaxed")
            # a pair lies within one slot: partition the slot points by hour
            by_day = [p.drop("_day") for _, p in all_points.with_columns(pl.col("slot").dt.truncate("1h").alias("_day"))
                      .group_by("_day", maintain_order=True)]
            pair_futures = [client.submit(_pair_part, day, preset, pure=False) for day in client.scatter(by_day)]
            pairs = [p for p in client.gather(pair_futures) if not p.is_empty()]
            timings["encounter_pairs"] = time.perf_counter() - t0
            if pairs:
                events += detectors.encounter_events(pl.concat(pairs, how="vertical_relaxed"), preset)
        t0 = time.perf_counter()
        events += detectors.identity_changes(static)
        timings["central"] = time.perf_counter() - t0
    finally:
        if own_cluster is not None:
            client.close()
            own_cluster.close()
    return DetectionRun("dask", detectors.sort_events(events), positions.height,
                        positions["mmsi"].n_unique() if positions.height else 0, time.perf_counter() - started, timings)


def _batch_span(files: list[str], since: datetime | None, until: datetime | None) -> pl.DataFrame:
    return detectors.batch_ends(window(scan_positions(files), since, until).collect())


def _vessel_files(files: list[str], part: int, parts: int, since: datetime | None, until: datetime | None,
                  data_end: pl.DataFrame, preset: str | None) -> tuple[list[dict[str, Any]], pl.DataFrame, int, int]:
    """One partition of vessels, read by the worker from the store's files (not sent to it)."""
    positions = window(scan_positions(files, pl.col("mmsi").hash(seed=0) % parts == part), since, until).collect()
    events, points = detectors.detect_vessels(positions, data_end=data_end)
    if preset:
        points = detectors.encounter_points(detectors.prepare(positions, data_end), preset)
    return events, points, positions.height, positions["mmsi"].n_unique() if positions.height else 0


def _without_points(result: tuple[list[dict[str, Any]], pl.DataFrame, int, int]) -> tuple[list[dict[str, Any]], int, int]:
    return result[0], result[2], result[3]


def _points_of(result: tuple[list[dict[str, Any]], pl.DataFrame, int, int], bucket: int, buckets: int) -> pl.DataFrame:
    """This partition's slot points of the hours in `bucket` (a pair lies within one slot)."""
    points = result[1]
    if points is None or not points.height:
        return pl.DataFrame()
    return points.filter(pl.col("slot").dt.truncate("1h").hash(seed=0) % buckets == bucket)


def _pairs_in_hours(points: list[pl.DataFrame], preset: str | None) -> pl.DataFrame:
    """The encounter pairs among these slot points (all vessels' points of some hours)."""
    mine = [p for p in points if p.height]
    return detectors.encounter_pairs(pl.concat(mine, how="vertical_relaxed"), preset) if mine else pl.DataFrame()


def _pairs_of(pairs: pl.DataFrame, bucket: int, buckets: int) -> pl.DataFrame:
    """These pairs of vessels in `bucket` (all of a pair's slots go to one task: a run may cross hours)."""
    if not pairs.height:
        return pairs
    return pairs.filter(pl.struct("mmsi", "mmsi_b").hash(seed=0) % buckets == bucket)


def _encounters_of_pairs(pairs: list[pl.DataFrame], preset: str | None) -> list[dict[str, Any]]:
    mine = [p for p in pairs if p.height]
    return detectors.encounter_events(pl.concat(mine, how="vertical_relaxed"), preset) if mine else []


def _partitions(files: list[str], workers: int) -> int:
    """Vessel partitions: two per worker, more for big stores (about a million positions each keeps a
    worker's memory bounded), counted from the files' metadata."""
    import pyarrow.parquet as pq

    rows = sum(pq.read_metadata(f).num_rows for f in files)
    return max(workers * 2, -(-rows // 1_000_000))


def run_dask_files(files: list[str], static: pl.DataFrame, *, client: Any, since: datetime | None = None,
                   until: datetime | None = None, partitions: int | None = None, preset: str | None = None) -> DetectionRun:
    """The detectors on a Dask cluster whose workers read the track store's Parquet files
    themselves (paths travel, not positions): each batch's coverage in a task of its own, then
    each partition of vessels (an MMSI hash bucket), then the encounter pair search by hour and
    the encounter runs by pair of vessels, between the workers. Only events and counts come back
    to the client. Workers on other machines need the store at the same path (a shared volume)."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    n = partitions or _partitions(files, workers)
    t0 = time.perf_counter()
    by_batch: dict[str, list[str]] = {}
    for path in files:
        by_batch.setdefault(path.split("/positions/")[0], []).append(path)
    spans = [s for s in client.gather([client.submit(_batch_span, group, since, until, pure=False) for group in by_batch.values()])
             if s.height]
    data_end = pl.concat(spans, how="vertical_relaxed") if spans else detectors.batch_ends(scan_positions([]).collect())
    timings["coverage"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    end_future = client.scatter(data_end, broadcast=True)
    parts = [client.submit(_vessel_files, files, k, n, since, until, end_future, preset, pure=False) for k in range(n)]
    # only events and counts come back here; the slot points stay on the workers for the pair search
    results = client.gather([client.submit(_without_points, part, pure=False) for part in parts])
    timings["vessels"] = time.perf_counter() - t0
    events = [e for part_events, _, _ in results for e in part_events]
    rows, vessels = sum(r[1] for r in results), sum(r[2] for r in results)  # partitions hold disjoint vessels
    t0 = time.perf_counter()
    # a shuffle between workers, never through here, each task holding one bucket: slot points by
    # hour (a pair lies within one slot), then pairs by pair of vessels (a run may cross hours)
    points = [[client.submit(_points_of, part, j, n, pure=False) for j in range(n)] for part in parts]
    pairs = [client.submit(_pairs_in_hours, [row[j] for row in points], preset, pure=False) for j in range(n)]
    by_pair = [[client.submit(_pairs_of, hour, i, n, pure=False) for i in range(n)] for hour in pairs]
    found = client.gather([client.submit(_encounters_of_pairs, [row[i] for row in by_pair], preset, pure=False)
                           for i in range(n)])
    events += [e for part in found for e in part]
    timings["encounters"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    events += detectors.identity_changes(static)
    timings["central"] = time.perf_counter() - t0
    return DetectionRun("dask", detectors.sort_events(events), rows, vessels, time.perf_counter() - started, timings)


def detect_audiences(tracks: TrackStore, audiences: list[Audience], *, engine: str = "local", scheduler: str | None = None,
                     since: datetime | None = None, until: datetime | None = None,
                     preset: str | None = None) -> DetectionRun:
    """Run the detectors once per audience, each over the batches its agencies may see and nothing
    else (interdict.audiences), so no hidden fix, identity or batch shapes an audience's events.
    One audience (everything shared alike) costs one run; each further audience one more. The
    run's `events` hold every audience's events, each tagged with its `audience` key."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    client: Any = None
    cluster: Any = None
    per_audience: list[dict[str, Any]] = []
    positions_total = 0
    vessels: set[int] = set()
    counted = 0  # vessels the Dask workers counted (their positions never come here)
    try:
        for audience in audiences:
            t0 = time.perf_counter()
            batches = tracks.visible_batches(audience.viewer)
            static = window(tracks.node_static(batches), since, until).collect()
            if engine == "dask":  # the workers read the store's files themselves
                if client is None:
                    client, cluster = _client(scheduler)
                timings["read"] = timings.get("read", 0.0) + time.perf_counter() - t0
                run = run_dask_files(tracks.position_files(batches), static, client=client, since=since, until=until,
                                     preset=preset)
                positions = pl.DataFrame({"mmsi": pl.Series([], dtype=pl.Int64)})
                counted = max(counted, run.vessels)
            else:
                positions = window(tracks.node_positions(batches), since, until).collect()
                timings["read"] = timings.get("read", 0.0) + time.perf_counter() - t0
                run = detect(positions, static, engine=engine, scheduler=scheduler, preset=preset)
            for step, seconds in run.timings.items():
                timings[step] = timings.get(step, 0.0) + seconds
            for event in run.events:
                event["audience"] = audience.key
            per_audience.append({"audience": audience.key, "agencies": list(audience.agencies), "batches": len(batches),
                                 "positions": run.positions, "seconds": round(time.perf_counter() - t0, 2),
                                 "events": run.events})
            positions_total = max(positions_total, run.positions)
            if positions.height:
                vessels.update(positions["mmsi"].unique().to_list())
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    events = [e for a in per_audience for e in a["events"]]
    return DetectionRun(engine, events, positions_total, max(len(vessels), counted), time.perf_counter() - started, timings,
                        per_audience)


def detect(positions: pl.DataFrame, static: pl.DataFrame, *, engine: str = "local", scheduler: str | None = None,
           preset: str | None = None) -> DetectionRun:
    """Run every detector over positions and static reports with the chosen engine (local: Polars
    in this process; dask: partitions on a Dask cluster). The caller reads the track store and
    saves the events (`interdict.api.Interdict.detect`)."""
    if engine == "local":
        return run_local(positions, static, preset=preset)
    if engine == "dask":
        return run_dask(positions, static, scheduler=scheduler, preset=preset)
    from interdict.errors import ValidationError

    raise ValidationError(f"engine must be local or dask, got {engine!r}", where="--engine")

