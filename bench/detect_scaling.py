"""All behaviour detectors on 1 M, 4 M and 16 M generated positions (SYNTHETIC: straight-line
traffic across the North Pacific with one planted scenario per million positions), local engine;
optionally the Dask engine on a local 2-worker cluster. Prints rows/s per size, the exponent of
time against rows (targets: exponent <= 1.15, >= 1 M positions/s end to end) and where the time
goes.

    .venv/bin/python bench/detect_scaling.py [--sizes 1,4,16] [--dask]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

import numpy as np
import polars as pl

from interdict.behaviour import engine, scenario

STEP_S = 300  # a fix every 5 minutes


def traffic(rows: int, seed: int = 0) -> pl.DataFrame:
    """`rows` positions of straight-line SYNTHETIC traffic (vectorised), 577 fixes per vessel."""
    rng = np.random.default_rng(seed)
    per_vessel = 577  # 48 h at 5 minutes
    vessels = max(1, rows // per_vessel)
    lat0 = rng.uniform(25, 40, vessels)
    lon0 = rng.uniform(150, 175, vessels)
    course = np.radians(rng.uniform(0, 360, vessels))
    knots = rng.uniform(8, 18, vessels)
    steps = np.arange(per_vessel)
    km = knots[:, None] * 1.852 * steps[None, :] * STEP_S / 3600
    lat = lat0[:, None] + km * np.cos(course)[:, None] / 111.32
    lon = lon0[:, None] + km * np.sin(course)[:, None] / (111.32 * np.cos(np.radians(lat0))[:, None])
    start = int(datetime(2024, 3, 1, tzinfo=UTC).timestamp() * 1_000_000)
    ts = start + (steps * STEP_S * 1_000_000)[None, :].repeat(vessels, axis=0)
    mmsi = (412_000_000 + np.arange(vessels))[:, None].repeat(per_vessel, axis=1)
    n = vessels * per_vessel
    return pl.DataFrame({
        "mmsi": mmsi.ravel(), "ts": pl.Series(ts.ravel()).cast(pl.Datetime("us", "UTC")), "lat": lat.ravel(),
        "lon": lon.ravel(), "sog": np.repeat(knots, per_vessel),
    }).with_columns(
        pl.lit(None, dtype=pl.Float64).alias("cog"), pl.lit(None, dtype=pl.Int64).alias("heading"),
        pl.lit(0, dtype=pl.Int64).alias("nav_status"), pl.lit(1, dtype=pl.Int64).alias("msg_type"),
        pl.lit("A").alias("channel"), pl.lit("SYNTHETIC").alias("station"), pl.lit(0, dtype=pl.Int64).alias("second"),
        pl.int_range(n, dtype=pl.Int64).alias("source_row"), pl.lit(0, dtype=pl.UInt32).alias("flags"),
        pl.lit("synthetic-scaling").alias("batch"))


def dataset(millions: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    parts, statics = [], []
    for k in range(millions):
        sc = scenario.generate(k)
        parts.append(sc.positions.with_columns(pl.col("source_row") + k * 10_000_000))
        statics.append(sc.static)
        parts.append(traffic(1_000_000 - sc.positions.height, seed=k).with_columns(
            pl.col("mmsi") + k * 100_000, pl.col("source_row") + k * 10_000_000 + 1_000_000))
    return pl.concat(parts, how="vertical_relaxed"), pl.concat(statics, how="vertical_relaxed")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,4,16", help="millions of positions, comma-separated")
    parser.add_argument("--dask", action="store_true", help="also run the Dask engine on a local 2-worker cluster")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    for millions in sizes:
        positions, static = dataset(millions)
        t0 = time.perf_counter()
        run = engine.run_local(positions, static)
        seconds = time.perf_counter() - t0
        results.append((positions.height, seconds))
        print(f"{positions.height:>11,} positions: local {seconds:6.2f} s, {positions.height / seconds:,.0f} positions/s, "
              f"{len(run.events):,} events", flush=True)
        if args.dask:
            dask_run = engine.run_dask(positions, static)
            print(f"{'':>11}             dask  {dask_run.seconds:6.2f} s (ratio dask/local {dask_run.seconds / seconds:.2f}); "
                  f"time: {dask_run.timings}", flush=True)
        del positions, static
    if len(results) >= 2:
        xs = np.log([r for r, _ in results])
        ys = np.log([s for _, s in results])
        exponent = float(np.polyfit(xs, ys, 1)[0])
        print(f"exponent of time vs rows: {exponent:.3f} (target <= 1.15)")
    print(f"throughput at the largest size: {results[-1][0] / results[-1][1]:,.0f} positions/s (target >= 1,000,000)")


if __name__ == "__main__":
    main()
