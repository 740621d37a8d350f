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

from interdict.ais.store import TrackStore
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


def detect_audiences(tracks: TrackStore, audiences: list[Audience], *, engine: str = "local", scheduler: str | None = None,
                     since: datetime | None = None, until: datetime | None = None,
                     preset: str | None = None) -> DetectionRun:
    """Run the detectors once per audience, each over the batches its agencies may see and nothing
    else (interdict.audiences), so no hidden fix, identity or batch shapes an audience's events.
    One audience (everything shared alike) costs one run; each further audience one more. The
    run's `events` hold every audience's events, each tagged with its `audience` key."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    client = cluster = None
    if engine == "dask" and len(audiences) > 1:
        from distributed import Client, LocalCluster

        if scheduler:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
            client = Client(cluster)
    per_audience: list[dict[str, Any]] = []
    positions_total = 0
    vessels: set[int] = set()
    try:
        for audience in audiences:
            t0 = time.perf_counter()
            batches = tracks.visible_batches(audience.viewer)
            positions = window(tracks.node_positions(batches), since, until).collect()
            static = window(tracks.node_static(batches), since, until).collect()
            timings["read"] = timings.get("read", 0.0) + time.perf_counter() - t0
            if client is not None:
                run = run_dask(positions, static, preset=preset, client=client)
            else:
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
    return DetectionRun(engine, events, positions_total, len(vessels), time.perf_counter() - started, timings, per_audience)


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

