"""All behaviour detectors on 1 M, 4 M and 16 M positions, local engine; optionally the Dask engine
on a local 2-worker cluster. Prints rows/s per size, the exponent of time against rows (targets:
exponent <= 1.15, >= 1 M positions/s end to end) and the events found.

    .venv/bin/python bench/detect_scaling.py [--data real|generated] [--sizes 1,4,16] [--dask]

`--data real` (the default) tiles the bundled real MarineCadastre sample (US coastal traffic,
10,616 vessels heard in 2022-01-03 00:00-00:23 UTC, 99,646 positions: the sample is the day file's
first 100,000 rows): tile k is that span shifted k spans later, every second tile played
backwards, so each vessel shuttles along its own real path without a hole (a U-turn at each tile
boundary, never a jump), with a few metres of GPS noise per tile -- coastal, in ports and
estuaries, many vessels, the event density real data has. (Until session 9 the tiles were an hour
apart, leaving a 37-minute hole in every hour: no vessel was followed for the two hours an
encounter needs, so the encounter search was never exercised in full.) `--data generated` is the earlier SYNTHETIC set:
straight-line traffic across the North Pacific with one planted scenario per million positions.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

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


REAL = Path(__file__).resolve().parents[1] / "src/interdict/data/demo/ais/marinecadastre_2022-01-03.parquet"


def real_tile_source() -> tuple[pl.DataFrame, pl.DataFrame]:
    """The MarineCadastre sample's busy first hour (in fact its first 23 minutes) as the detectors read it (ingested once)."""
    from interdict.ais.store import IngestOptions
    from interdict.api import Interdict
    from interdict.markings import TLP, Grade, Marking

    with tempfile.TemporaryDirectory() as tmp:
        node = Interdict.open(Path(tmp) / "ws", f"sqlite:///{tmp}/ws.db")
        node.registry.add_agency("INCB", "INCB", "XUN", False)
        node.tracks.ingest(REAL, IngestOptions(agency="INCB", marking=Marking(TLP.CLEAR), grade=Grade("B", "2")))
        positions = node.tracks.node_positions().collect()
        static = node.tracks.node_static().collect()
        node.close()
    hour = positions["ts"].min()
    positions = positions.filter(pl.col("ts") < hour + timedelta(hours=1))
    return positions.with_columns(pl.lit("real-tiled-marinecadastre").alias("batch")), static


def real_dataset(millions: int, source: tuple[pl.DataFrame, pl.DataFrame]) -> tuple[pl.DataFrame, pl.DataFrame]:
    positions, static = source
    tiles = -(-millions * 1_000_000 // positions.height)
    t0, t1 = positions["ts"].min(), positions["ts"].max()
    parts = []
    rng = np.random.default_rng(0)
    for k in range(tiles):
        shift = k * (t1 - t0 + timedelta(seconds=1))  # tiles abut: no hole between them
        ts = (pl.col("ts") + shift) if k % 2 == 0 else (t1 - pl.col("ts") + t0 + shift)
        # GPS noise of a few metres, so no tile repeats another's coordinates exactly
        noise = {c: pl.col(c) + rng.normal(0, 2e-5, positions.height) for c in ("lat", "lon")} if k else {}
        parts.append(positions.with_columns(ts.alias("ts"), pl.col("source_row") + k * 1_000_000, **noise))
    tiled = pl.concat(parts).head(millions * 1_000_000)
    return tiled, static.with_columns(pl.lit("real-tiled-marinecadastre").alias("batch"))


def compare_dask(positions: pl.DataFrame, static: pl.DataFrame, client) -> str:  # type: ignore[no-untyped-def]
    """Both engines as a node runs them: the positions written once as a track store's Parquet files
    (one file per 500,000 rows, not timed), then local = read the files + detect in this process,
    dask = workers read their own vessels from the files (paths travel, not rows) on the 2-worker
    cluster; each warmed up once on the same files, then timed; events compared."""
    from interdict.ais.store import scan_positions

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "batches" / "0123456789abcdef" / "positions" / "date=tiles"
        folder.mkdir(parents=True)
        files = []
        for k, part in enumerate(positions.drop("batch").iter_slices(500_000)):
            files.append(str(folder / f"part-{k}.parquet"))
            part.write_parquet(files[-1], statistics=True)
        timings = {}
        for label, run in (("local", lambda: engine.run_local(scan_positions(files).collect(), static)),
                           ("dask", lambda: engine.run_dask_files(files, static, client=client))):
            run()  # warm-up: imports and geography loaded in every process
            t0 = time.perf_counter()
            timings[label] = (run(), time.perf_counter() - t0)
    (local, t_local), (dask, t_dask) = timings["local"], timings["dask"]
    same = [e["id"] for e in local.events] == [e["id"] for e in dask.events]
    return (f"from the files: local {t_local:.2f} s, dask (2 workers reading the files) {t_dask:.2f} s, "
            f"ratio {t_dask / t_local:.2f} (target <= 1.5); events identical: {same}; dask steps "
            f"{ {k: round(v, 2) for k, v in dask.timings.items()} }")


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
    parser.add_argument("--data", choices=("real", "generated"), default="real")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    source = real_tile_source() if args.data == "real" else None
    client = cluster = None
    if args.dask:
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    if source is not None:
        print(f"real tiles: {source[0].height:,} positions of {source[0]['mmsi'].n_unique():,} vessels in "
              f"{source[0]['ts'].max() - source[0]['ts'].min()} a tile", flush=True)
        engine.run_local(*real_dataset(1, source))  # warm-up: land, ports and zones loaded
    for millions in sizes:
        positions, static = real_dataset(millions, source) if source is not None else dataset(millions)
        t0 = time.perf_counter()
        run = engine.run_local(positions, static)
        seconds = time.perf_counter() - t0
        results.append((positions.height, seconds))
        kinds = Counter(e["type"] for e in run.events)
        print(f"{positions.height:>11,} positions ({positions['mmsi'].n_unique():,} vessels): local {seconds:6.2f} s, "
              f"{positions.height / seconds:,.0f} positions/s, {len(run.events):,} events {dict(sorted(kinds.items()))}", flush=True)
        if args.dask:
            print(f"{'':>11}             {compare_dask(positions, static, client)}", flush=True)
        del positions, static
    if len(results) >= 2:
        xs = np.log([r for r, _ in results])
        ys = np.log([s for _, s in results])
        exponent = float(np.polyfit(xs, ys, 1)[0])
        print(f"exponent of time vs rows: {exponent:.3f} (target <= 1.15)")
    print(f"throughput at the largest size: {results[-1][0] / results[-1][1]:,.0f} positions/s (target >= 1,000,000)")
    if client is not None:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
