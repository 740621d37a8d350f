"""Interdict vs MovingPandas on the Ever Given sample (22,287 fixes, 256 vessels), same process:
trajectory build + gap splitting at 2 h + stop detection (2 h, 1 km diameter). Both engines are
warmed up once (imports and first-call caches are not timed), then run alternately; prints the
median of N for both, the ratio (target >= 100x), whether the gap segments are identical, and how the stops
compare (target: count within 5 %, >= 95 % of MovingPandas's stops overlapped in time).

    .venv/bin/pip install movingpandas      # the peer (BSD-3), not a runtime dependency
    .venv/bin/python bench/detect_vs_movingpandas.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from datetime import timedelta
from pathlib import Path

import polars as pl

from interdict.behaviour.trajectories import build, split_gaps, stops

DATA = Path(__file__).resolve().parents[2] / "shared/data/ais/movingpandas_evergiven/boat-positions.csv"
GAP = timedelta(hours=2)
MIN_DURATION = timedelta(hours=2)
DIAMETER = 1000.0


def interdict_run(path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    df = (pl.read_csv(path, schema_overrides={"ais_pos_timestamp": pl.String})
          .rename({"ID": "mmsi", "latitude": "lat", "longitude": "lon"})
          .with_columns(pl.col("ais_pos_timestamp").str.to_datetime("%d/%m/%Y %H:%M", time_zone="UTC").alias("ts")))
    segments = split_gaps(build(df), GAP)
    moving = segments.filter((pl.col("segment_size") > 1) & ~pl.col("segment_still"))
    found = stops(moving, max_diameter=DIAMETER, min_duration=MIN_DURATION)
    return segments, found


def movingpandas_run(path: Path):  # type: ignore[no-untyped-def]
    import movingpandas as mpd
    import pandas as pd

    df = pd.read_csv(path, encoding="utf-8-sig")
    df["t"] = pd.to_datetime(df["ais_pos_timestamp"], format="%d/%m/%Y %H:%M")
    tc = mpd.TrajectoryCollection(df, "ID", t="t", x="longitude", y="latitude", crs="EPSG:4326")
    split = mpd.ObservationGapSplitter(tc).split(gap=GAP)
    ranges = mpd.TrajectoryStopDetector(split).get_stop_time_ranges(max_diameter=DIAMETER, min_duration=MIN_DURATION)
    return split, ranges


def _py(value):  # type: ignore[no-untyped-def]
    value = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    return value.replace(tzinfo=None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    if not args.data.exists():
        sys.exit(f"data not found: {args.data}")
    warnings.filterwarnings("ignore")
    # same protocol for both: one warm-up run (imports, first-call caches, the file in the page
    # cache), then the median of --runs timed runs
    interdict_run(args.data)
    movingpandas_run(args.data)
    ours, times_peer = [], []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        segments, found = interdict_run(args.data)
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        split, ranges = movingpandas_run(args.data)
        times_peer.append(time.perf_counter() - t0)
    theirs = statistics.median(times_peer)

    # gap segments: MovingPandas keeps segments of two or more fixes that move at all
    kept = segments.filter((pl.col("segment_size") > 1) & ~pl.col("segment_still")).group_by("mmsi", "segment").agg(
        pl.col("ts").min().alias("start"), pl.col("ts").max().alias("end"), pl.len().alias("n"))
    mine = sorted((int(r["mmsi"]), r["start"].replace(tzinfo=None), r["end"].replace(tzinfo=None), r["n"]) for r in kept.iter_rows(named=True))
    peer = sorted((int(str(t.id).rsplit("_", 1)[0]), _py(t.get_start_time()), _py(t.get_end_time()), len(t.df))
                  for t in split.trajectories)
    identical = mine == peer

    # stops: MovingPandas's time ranges carry the sub-trajectory id "<ID>_<segment>"
    peer_stops = [(int(str(r.traj_id).rsplit("_", 1)[0]), _py(r.t_0), _py(r.t_n)) for r in ranges]
    my_stops = [(int(r["id"]), r["start"].replace(tzinfo=None), r["end"].replace(tzinfo=None)) for r in found.iter_rows(named=True)]
    by_vessel: dict[int, list] = {}
    for vessel, start, end in my_stops:
        by_vessel.setdefault(vessel, []).append((start, end))
    overlapped = sum(1 for vessel, start, end in peer_stops
                     if any(s <= end and e >= start for s, e in by_vessel.get(vessel, [])))
    count_ratio = len(my_stops) / len(peer_stops) if peer_stops else float("nan")
    median = statistics.median(ours)
    print(f"Ever Given sample: {args.data.name}, {segments.height:,} fixes, {segments['mmsi'].n_unique()} vessels")
    print(f"both warmed up once, then median of {args.runs} alternating runs: MovingPandas {theirs:.2f} s "
          f"(range {min(times_peer):.2f}-{max(times_peer):.2f}); Interdict {median * 1000:.1f} ms "
          f"(range {min(ours) * 1000:.1f}-{max(ours) * 1000:.1f}); ratio {theirs / median:,.0f}x "
          f"(target >= 100x)")
    print(f"gap segments (2 h): Interdict {len(mine)}, MovingPandas {len(peer)}; identical: {identical}")
    print(f"stops (2 h, 1 km): Interdict {len(my_stops)}, MovingPandas {len(peer_stops)} (count ratio {count_ratio:.3f}, "
          f"target 0.95-1.05); MovingPandas stops overlapped by ours: {overlapped}/{len(peer_stops)} "
          f"({overlapped / max(len(peer_stops), 1):.1%}, target >= 95%)")


if __name__ == "__main__":
    main()
