"""Trajectory operations in the terms MovingPandas uses, over Polars tables: splitting at
observation gaps and stop detection (a stop: the vessel stays within `max_diameter` metres for at
least `min_duration`). `bench/detect_vs_movingpandas.py` checks both against MovingPandas.

Stop detection follows MovingPandas's `TrajectoryStopDetector`: a stop starts when the fixes of the
trailing `min_duration` fit inside the diameter, grows while every fix since its start still fits,
and is kept when it lasts at least `min_duration`. Differences: the window's extent is measured as
the diagonal of its bounding box in a local metric projection (MovingPandas: the geodesic diagonal
of the minimum rotated rectangle), and the trailing windows are evaluated all at once with rolling
minima and maxima; only the (few) stops are then grown one by one.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import numpy as np
import polars as pl

M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON = 111_320.0


def build(df: pl.DataFrame, *, id_col: str = "mmsi") -> pl.DataFrame:
    """Tracks: fixes ordered by time per vessel, one fix per instant (the first reported, as
    MovingPandas keeps it)."""
    return df.unique([id_col, "ts"], keep="first", maintain_order=True).sort(id_col, "ts", maintain_order=True)


def split_gaps(df: pl.DataFrame, gap: timedelta, *, id_col: str = "mmsi") -> pl.DataFrame:
    """Number the segments of each track: a new one wherever consecutive fixes are more than
    `gap` apart (MovingPandas `ObservationGapSplitter`). Adds `segment`, `segment_size` and
    `segment_still` (every fix at one position). Nothing is dropped; MovingPandas drops
    single-fix and zero-length segments, which these two columns identify."""
    out = df.sort(id_col, "ts").with_columns(
        ((pl.col("ts") - pl.col("ts").shift(1).over(id_col)) > gap).fill_null(False).cast(pl.Int32)
        .cum_sum().over(id_col).alias("segment"))
    return out.with_columns(
        pl.len().over(id_col, "segment").alias("segment_size"),
        ((pl.col("lat").n_unique().over(id_col, "segment") == 1) & (pl.col("lon").n_unique().over(id_col, "segment") == 1))
        .alias("segment_still"))


def stops(df: pl.DataFrame, *, max_diameter: float, min_duration: timedelta, id_col: str = "mmsi",
          segment_col: str = "segment") -> pl.DataFrame:
    """Stops per track segment: `id`, `segment`, `start`, `end`, `lat`, `lon` (median), `fixes`."""
    period = f"{int(min_duration.total_seconds())}s"
    keyed = df.sort(id_col, segment_col, "ts").with_columns(
        (pl.col("lon") * M_PER_DEG_LON * (pl.col("lat").mean().over(id_col, segment_col).radians().cos())).alias("x"),
        (pl.col("lat") * M_PER_DEG_LAT).alias("y"))
    # the trailing window of each fix: the fixes of the last `min_duration` (at least two)
    window = (keyed.rolling(index_column="ts", period=period, group_by=[id_col, segment_col])
              .agg(pl.col("x").min().alias("x0"), pl.col("x").max().alias("x1"), pl.col("y").min().alias("y0"),
                   pl.col("y").max().alias("y1"), pl.len().alias("n")))
    keyed = keyed.with_columns(window["x0"], window["x1"], window["y0"], window["y1"], window["n"]).with_columns(
        (((pl.col("x1") - pl.col("x0")) ** 2 + (pl.col("y1") - pl.col("y0")) ** 2).sqrt() < max_diameter).alias("fits"))
    results: list[dict] = []
    min_us = int(min_duration.total_seconds() * 1_000_000)
    # one pass over numpy arrays; segments are contiguous runs of (id, segment)
    ids = keyed[id_col].to_numpy()
    segs = keyed[segment_col].to_numpy()
    ts_all = keyed["ts"].dt.epoch("us").to_numpy()
    x_all, y_all = keyed["x"].to_numpy(), keyed["y"].to_numpy()
    lat_all, lon_all = keyed["lat"].to_numpy(), keyed["lon"].to_numpy()
    n_all = keyed["n"].to_numpy()
    fits_all = keyed["fits"].to_numpy() & (n_all >= 2)
    change = np.flatnonzero((ids[1:] != ids[:-1]) | (segs[1:] != segs[:-1])) + 1
    bounds = np.concatenate([[0], change, [len(ids)]])
    candidates_all = np.flatnonzero(fits_all)
    for b0, b1 in itertools.pairwise(bounds):
        lo = np.searchsorted(candidates_all, b0)
        if b1 - b0 < 2 or lo >= len(candidates_all) or candidates_all[lo] >= b1:
            continue
        ts, x, y = ts_all[b0:b1], x_all[b0:b1], y_all[b0:b1]
        fits, n_window = fits_all[b0:b1], n_all[b0:b1]
        i = 0
        size = b1 - b0
        while i < size:
            candidates = np.flatnonzero(fits[i:])
            if len(candidates) == 0:
                break
            k = i + candidates[0]
            start = max(i, k - n_window[k] + 1)
            # grow the stop while every fix since its start fits inside the diameter
            xs, ys = x[start:], y[start:]
            span = np.hypot(np.maximum.accumulate(xs) - np.minimum.accumulate(xs),
                            np.maximum.accumulate(ys) - np.minimum.accumulate(ys))
            outside = np.flatnonzero(span >= max_diameter)
            end = start + (outside[0] - 1 if len(outside) else len(xs) - 1)
            if ts[end] - ts[start] >= min_us:
                results.append({"id": ids[b0], "segment": int(segs[b0]), "start": int(ts[start]), "end": int(ts[end]),
                                "lat": float(np.median(lat_all[b0 + start:b0 + end + 1])),
                                "lon": float(np.median(lon_all[b0 + start:b0 + end + 1])), "fixes": int(end - start + 1)})
                i = end + 1  # MovingPandas restarts from the fix that left the stop
            else:
                i = k + 1
    if not results:
        return pl.DataFrame(schema={"id": df.schema[id_col], "segment": pl.Int32, "start": pl.Datetime("us", "UTC"),
                                    "end": pl.Datetime("us", "UTC"), "lat": pl.Float64, "lon": pl.Float64, "fixes": pl.Int64})
    return pl.DataFrame(results).with_columns(pl.col("start").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
                                              pl.col("end").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"))
