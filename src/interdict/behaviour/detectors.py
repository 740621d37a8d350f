"""Behaviour detectors: pure functions over a Polars table of positions (and static reports),
so the same code runs on the whole store or in one partition of a Dask job.

Input positions need `mmsi, ts, lat, lon, sog, flags, batch, source_row`. Every event is a dict:
`type, mmsi, other_mmsi, start, end, lat, lon, details, thresholds, evidence` (position ids
`<batch[:12]>:<source_row>`) and `batches` (the store batches it rests on, which decide who may
see it). Thresholds come from `data/behaviour/thresholds.yaml` and are recorded with each event.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
import polars as pl
import yaml

from interdict.behaviour import geo
from interdict.mmsi import identity_problem, identity_problem_expr
from interdict.util import stable_uuid

TIME_ASSUMED = 512  # interdict.ais.quality flags
PSEUDONYMOUS_ID = 1024
EVENT_TYPES = ("gap", "encounter", "loitering", "port_call", "identity_change", "spoofing", "eez_transit")


@lru_cache(maxsize=1)
def default_thresholds() -> dict[str, Any]:
    from interdict.util import data_path

    return yaml.safe_load(data_path("behaviour/thresholds.yaml").read_text())


def thresholds(preset: str | None = None, overrides: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    base = {k: dict(v) for k, v in default_thresholds().items() if k != "presets"}
    if preset:
        for section, values in default_thresholds()["presets"][preset].items():
            base[section].update(values)
    for section, values in (overrides or {}).items():
        base[section].update(values)
    return base


def prepare(positions: pl.DataFrame, spans: pl.DataFrame | None = None) -> pl.DataFrame:
    """Sorted by vessel and time, with a position id, the step from the previous fix of the same
    vessel (km, hours, implied knots) and segments (split on impossible jumps, long silences and
    holes between data sets).

    Only ship identities are tracks: positions of MMSI 0, test numbers, short numbers, unallocated
    MIDs and non-ship stations are data-quality findings (`interdict.ais.quality`), left out here
    (a data set's own vessel pseudonyms, ingested with --pseudonymous-ids, are tracks).
    `spans` (from `batch_ends` over every position of the run, not one partition) gives each batch's
    time span and whether it is a sparse sample; a step that leaves one stretch of coverage for
    another (`bridges`) never makes a gap, a jump or a loitering run, and a step from or to a sparse
    batch (`sparse_step`) makes no gap."""
    t = thresholds()["segments"]
    if spans is None:
        spans = batch_ends(positions)
    # A time assumed for a whole log (`--assume-time`, flag 512) says nothing about when a fix was
    # made: such positions cannot show gaps, speeds or meetings, so they are left out.
    # a total order (ties in time broken by batch and row) so every engine sees the same steps
    ship = identity_problem_expr().is_null() | ((pl.col("flags") & PSEUDONYMOUS_ID) > 0)
    df = (positions.filter(((pl.col("flags") & TIME_ASSUMED) == 0) & ship)
          .sort("mmsi", "ts", "batch", "source_row")
          .with_columns((pl.col("batch").str.slice(0, 12) + ":" + pl.col("source_row").cast(pl.String)).alias("pos_id")))
    stretch = stretch_of(df["ts"], spans)
    sparse = set(spans.filter(pl.col("sparse"))["batch"].to_list()) if "sparse" in spans.columns else set()
    df = df.with_columns(pl.Series("stretch", stretch, dtype=pl.Int64),
                         pl.col("batch").is_in(list(sparse)).alias("sparse"))
    # sorted by vessel: the previous row is the vessel's previous fix unless the vessel changes
    # there (cheaper than a window over each vessel)
    same = pl.col("mmsi") == pl.col("mmsi").shift(1)

    def previous(name: str) -> pl.Expr:
        return pl.when(same).then(pl.col(name).shift(1))

    df = df.with_columns(
        geo.haversine_expr(previous("lat"), previous("lon"), pl.col("lat"), pl.col("lon")).alias("step_km"),
        ((pl.col("ts") - previous("ts")).dt.total_microseconds() / 3.6e9).alias("step_h"),
    ).with_columns(
        pl.when(pl.col("step_h") > 0).then(pl.col("step_km") / geo.NM_KM / pl.col("step_h"))
        .when(pl.col("step_km") > 0).then(float("inf")).otherwise(0.0).alias("implied_kn"),
    )
    df = df.with_columns((same & (pl.col("stretch") != pl.col("stretch").shift(1))).fill_null(False).alias("bridges"),
                         (same & (pl.col("sparse") | pl.col("sparse").shift(1))).fill_null(False).alias("sparse_step"),
                         # far apart in the same second: two transmitters, not one ship moving
                         (same & (pl.col("step_h") == 0) & (pl.col("step_km") > t["min_jump_km"])).fill_null(False)
                         .alias("collision"))
    jump = (pl.col("implied_kn") > t["max_speed_kn"]) & (pl.col("step_km") > t["min_jump_km"])
    silence = pl.col("step_h") > t["max_gap_hours"]
    count = pl.col("new_segment").cast(pl.Int32).cum_sum()
    at_vessel_start = pl.when(~same.fill_null(False)).then(count).forward_fill()
    df = df.with_columns((jump | silence | pl.col("bridges")).fill_null(False).alias("new_segment")).with_columns(
        (count - at_vessel_start).alias("segment"))  # numbered from 0 within each vessel
    on_land, inland = geo.land().classify(df["lon"].to_numpy(), df["lat"].to_numpy(),
                                          inside_km=thresholds()["spoofing"]["land_erosion_km"])
    df = df.with_columns(pl.Series("on_land", on_land, dtype=pl.Boolean), pl.Series("inland", inland, dtype=pl.Boolean))
    return df.with_columns(pl.Series("transmitters", transmitter_tracks(df, t), dtype=pl.Int32))


MAX_OPEN_TRACKS = 8


def transmitter_tracks(df: pl.DataFrame, t: dict[str, Any]) -> np.ndarray:
    """For each fix, how many transmitters its MMSI shows: 1, unless the vessel has an impossible
    step (a jump or a same-second collision) and its fixes split into two or more plausible tracks
    that interleave in time -- one MMSI used by several ships (the gpsdio-segment idea: each fix
    joins the track it fits best, at a possible speed, or starts one). Interleaved means both
    tracks report while the other does: a single transmitter that jumps once and carries on, or
    whose fixes leap away for a while and come back while its own track is silent, is spoofing,
    not sharing."""
    out = np.ones(df.height, dtype=np.int32)
    impossible = df.select((((pl.col("implied_kn") > t["max_speed_kn"]) & (pl.col("step_km") > t["min_jump_km"]))
                            | pl.col("collision")).fill_null(False).alias("x"))["x"]
    suspects = df.filter(impossible)["mmsi"].unique().to_list()
    if not suspects:
        return out
    rows = np.flatnonzero(df["mmsi"].is_in(suspects).to_numpy())
    mmsi = df["mmsi"].to_numpy()[rows]
    ts = df["ts"].dt.epoch("us").to_numpy()[rows]
    lat, lon = np.radians(df["lat"].to_numpy()[rows]).tolist(), np.radians(df["lon"].to_numpy()[rows]).tolist()
    ts_list = ts.tolist()
    collided = df["collision"].to_numpy()[rows]
    stale_us = t["max_gap_hours"] * 3.6e9
    starts = np.flatnonzero(np.r_[True, mmsi[1:] != mmsi[:-1]])
    for first, stop in zip(starts, np.r_[starts[1:], len(rows)]):
        tracks: list[list[Any]] = []  # per track: last ts, lat, lon, first ts, fixes, fix times
        open_: list[list[Any]] = []  # the tracks a fix may still join: recent ones, at most MAX_OPEN_TRACKS
        for k in range(first, stop):
            now, la, lo = ts_list[k], lat[k], lon[k]
            best, best_speed = None, math.inf
            for track in open_:
                hav = math.sin((la - track[1]) / 2) ** 2 + math.cos(track[1]) * math.cos(la) * math.sin((lo - track[2]) / 2) ** 2
                km = 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, hav)))
                hours = (now - track[0]) / 3.6e9
                speed = 0.0 if km <= t["min_jump_km"] else (km / geo.NM_KM / hours if hours > 0 else math.inf)
                if speed <= t["max_speed_kn"] and speed < best_speed:
                    best, best_speed = track, speed
            if best is None:
                best = [now, la, lo, now, 0, []]
                tracks.append(best)
                open_.append(best)
            best[0:3] = [now, la, lo]
            best[4] += 1
            best[5].append(now)
            # a track silent for longer than a segment may last is closed; a burst of outliers cannot
            # make the search quadratic
            open_ = sorted((x for x in open_ if now - x[0] <= stale_us), key=lambda x: -x[0])[:MAX_OPEN_TRACKS]
        # interleaved: two tracks of 2+ fixes that both report within the time they overlap
        real = [x for x in tracks if x[4] >= 2]
        shared = [x for i, x in enumerate(real) for y in real[:i] + real[i + 1:] if _interleaved(x, y)]
        if shared or collided[first:stop].any():  # fixes far apart in one second: two transmitters at least
            out[rows[first:stop]] = max(2, len({id(x) for x in shared}))
    return out


def _interleaved(a: list[Any], b: list[Any]) -> bool:
    """Both tracks have a fix inside the span the two share (fix times are in order)."""
    start, end = max(a[3], b[3]), min(a[0], b[0])
    if start >= end:
        return False
    return all(bisect.bisect_right(x[5], end) > bisect.bisect_left(x[5], start) for x in (a, b))


def _event(kind: str, mmsi: int, start: Any, end: Any, lat: float | None, lon: float | None, details: dict[str, Any],
           used: dict[str, Any], evidence: list[str], batches: list[str], other: int | None = None) -> dict[str, Any]:
    start_s = start.isoformat() if start is not None else None
    return {
        "id": stable_uuid("event", kind, str(mmsi), str(other or ""), start_s or "", details.get("key", ""),
                          evidence[0] if evidence else ""),
        "type": kind, "mmsi": int(mmsi), "other_mmsi": int(other) if other is not None else None,
        "start": start, "end": end, "lat": lat, "lon": lon,
        "details": {k: v for k, v in details.items() if k != "key"}, "thresholds": used,
        "evidence": evidence, "batches": sorted(set(batches)),
    }


# -- AIS gaps ------------------------------------------------------------------------------
HOUR_US = 3_600_000_000


def batch_ends(positions: pl.DataFrame) -> pl.DataFrame:
    """Per batch: the time it covers (`batch_start`, `batch_end`: an open gap ends at the end),
    whether it is a sparse sample (`sparse`: its vessels' fixes lie further apart than the sources
    threshold, median over the vessels heard more than once, or no vessel is heard twice), and the
    hours it really covers (`covered_hours`, epoch hours): those in which it heard at least the
    sources share of the vessels it hears in its busiest hour. A file of one day holding the first
    hour's positions and a handful from the evening covers one hour, not the day."""
    t = thresholds()["sources"]
    limit_us = t["sparse_median_step_minutes"] * 60e6
    per_vessel = (positions.group_by("batch", "mmsi")
                  .agg(pl.len().alias("n"), pl.col("ts").min().alias("first"), pl.col("ts").max().alias("last"))
                  .with_columns(pl.when(pl.col("n") > 1)
                                .then((pl.col("last") - pl.col("first")).dt.total_microseconds() / (pl.col("n") - 1))
                                .alias("step_us")))
    hourly = (positions.group_by("batch", (pl.col("ts").dt.epoch("us") // HOUR_US).alias("hour"))
              .agg(pl.col("mmsi").n_unique().alias("vessels"))
              .with_columns((pl.col("vessels") / pl.col("vessels").max().over("batch")).alias("share"))
              .sort("batch", "hour")
              .group_by("batch", maintain_order=True)
              .agg(pl.col("hour").filter(pl.col("share") >= t["coverage_min_share"]).alias("covered_hours"),
                   pl.col("hour").alias("hours"), pl.col("share").alias("shares")))
    spans = (per_vessel.group_by("batch")
             .agg(pl.col("first").min().alias("batch_start"), pl.col("last").max().alias("batch_end"),
                  pl.col("step_us").median().alias("median_step_us"))
             .with_columns((pl.col("median_step_us").is_null() | (pl.col("median_step_us") > limit_us)).alias("sparse"))
             .drop("median_step_us").join(hourly, on="batch", how="left"))
    if {"lat", "lon"} <= set(positions.columns):
        spans = spans.join(_cell_hours(positions), on="batch", how="left")
    return spans.sort("batch")


# -- reception per cell and hour (GFW's raster, from the data itself) -----------------------
CELL_SHIFT = 21  # a cell-hour key: cell << 21 | epoch hour (hours fit in 21 bits until 2209)


def cell_expr(lat: pl.Expr, lon: pl.Expr) -> pl.Expr:
    """The reception cell of a position: a square of the sources' `reception_cell_deg`."""
    deg = float(thresholds()["sources"]["reception_cell_deg"])
    columns = round(360 / deg) + 1
    return ((lat + 90) / deg).floor().cast(pl.Int64) * columns + ((lon + 180) / deg).floor().cast(pl.Int64)


def cell_of(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    deg = float(thresholds()["sources"]["reception_cell_deg"])
    columns = round(360 / deg) + 1
    return np.floor((lat + 90) / deg).astype(np.int64) * columns + np.floor((lon + 180) / deg).astype(np.int64)


def _cell_hours(positions: pl.DataFrame) -> pl.DataFrame:
    """Per batch, the cell-hours it covers (`covered_cells`, keys cell << 21 | hour: the hours in
    which it heard at least the sources share of the vessels it hears in that cell's busiest hour)
    and the cells with enough traffic to judge (`known_cells`: at least `reception_cell_min_vessels`
    vessels in some hour). A cell where a batch hears one vessel at most says nothing either way."""
    t = thresholds()["sources"]
    counted = (positions.group_by("batch", cell_expr(pl.col("lat"), pl.col("lon")).alias("cell"),
                                  (pl.col("ts").dt.epoch("us") // HOUR_US).alias("hour"))
               .agg(pl.col("mmsi").n_unique().alias("vessels"))
               .with_columns(pl.col("vessels").max().over("batch", "cell").alias("busiest"))
               .filter(pl.col("busiest") >= t["reception_cell_min_vessels"]))
    return counted.group_by("batch").agg(
        (pl.col("cell") * (1 << CELL_SHIFT) + pl.col("hour"))
        .filter(pl.col("vessels") >= t["coverage_min_share"] * pl.col("busiest")).alias("covered_cells"),
        pl.col("cell").unique().alias("known_cells"),
    )


def cell_reception(lat: np.ndarray, lon: np.ndarray, first_hour: np.ndarray, last_hour: np.ndarray,
                   spans: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """For each position and span of hours (epoch hours, inclusive): (the share of those hours in
    which some batch covered the position's cell, the number of hours). The share is NaN where no
    batch heard enough vessels in that cell to judge, or the span is empty."""
    n = len(lat)
    hours = np.maximum(last_hour - first_hour + 1, 0).astype(np.int64)
    share = np.full(n, np.nan)
    if not n or "covered_cells" not in spans.columns:
        return share, hours
    covered = np.unique(spans["covered_cells"].explode().drop_nulls().to_numpy().astype(np.int64))
    known = np.unique(spans["known_cells"].explode().drop_nulls().to_numpy().astype(np.int64))
    cells = cell_of(lat, lon)
    judged = np.isin(cells, known) & (hours > 0)
    width = int(hours.max()) if n else 0
    if not judged.any() or width == 0:
        return share, hours
    offsets = np.arange(width)
    keys = cells[:, None] * (1 << CELL_SHIFT) + (first_hour[:, None] + offsets[None, :])
    inside = offsets[None, :] < hours[:, None]
    heard = (np.isin(keys, covered) & inside).sum(axis=1)
    share[judged] = heard[judged] / hours[judged]
    return share, hours


def coverage_stretches(spans: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The hours some batch covers (sorted epoch hours) and, for each, the number of its stretch:
    runs of covered hours, joined across holes no longer than the sources threshold. A track is
    never followed across the hole between two stretches: a silence there is a hole in the data,
    not a ship going dark."""
    if spans.is_empty() or "covered_hours" not in spans.columns:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    hours = np.unique(spans["covered_hours"].explode().drop_nulls().to_numpy().astype(np.int64))
    if not len(hours):
        return hours, hours
    join = int(thresholds()["sources"]["coverage_join_hours"])
    runs = np.r_[0, np.cumsum(np.diff(hours) > 1 + join)]
    return hours, runs.astype(np.int64)


def reception_at(ts: pl.Series, spans: pl.DataFrame) -> np.ndarray:
    """How well the hour of each time was covered: the best share, over the batches, of the
    vessels heard then against the batch's busiest hour (0 where no batch heard anyone)."""
    hour = ts.dt.epoch("us").to_numpy() // HOUR_US
    if spans.is_empty() or "hours" not in spans.columns:
        return np.zeros(len(hour))
    table = (spans.select(pl.col("hours").alias("hour"), pl.col("shares").alias("share")).explode("hour", "share")
             .drop_nulls().group_by("hour").agg(pl.col("share").max()).sort("hour"))
    hours, shares = table["hour"].to_numpy().astype(np.int64), table["share"].to_numpy()
    if not len(hours):
        return np.zeros(len(hour))
    at = np.clip(np.searchsorted(hours, hour), 0, len(hours) - 1)
    return np.where(hours[at] == hour, shares[at], 0.0)


def covered_hours(start: pl.Series, end: pl.Series, spans: pl.DataFrame) -> np.ndarray:
    """For each interval, how many of its hours (after the start's hour, up to the end's) some
    batch covers."""
    hours, _ = coverage_stretches(spans)
    a = start.dt.epoch("us").to_numpy() // HOUR_US
    b = end.dt.epoch("us").to_numpy() // HOUR_US
    return np.searchsorted(hours, b, side="right") - np.searchsorted(hours, a, side="right")


def covered_share(start: pl.Series, end: pl.Series, spans: pl.DataFrame) -> np.ndarray:
    """For each interval, the share of its hours (after the start's hour, up to the end's) some
    batch covers."""
    a = start.dt.epoch("us").to_numpy() // HOUR_US
    b = end.dt.epoch("us").to_numpy() // HOUR_US
    return np.where(b > a, covered_hours(start, end, spans) / np.maximum(b - a, 1), 1.0)


def stretch_of(ts: pl.Series, spans: pl.DataFrame) -> np.ndarray:
    """The coverage stretch of each time: a run of covered hours, or for a time in an hour no batch
    covers, that hour alone (a step to or from it always leaves its stretch)."""
    hours, runs = coverage_stretches(spans)
    hour = ts.dt.epoch("us").to_numpy() // HOUR_US
    if not len(hours):
        return hour + (1 << 40)
    at = np.clip(np.searchsorted(hours, hour), 0, len(hours) - 1)
    return np.where(hours[at] == hour, runs[at], hour + (1 << 40))


def _recent_counts(mmsi: np.ndarray, ts: np.ndarray, rows: np.ndarray, window_us: int) -> np.ndarray:
    """For each of `rows`: how many fixes of the same vessel lie in (ts - window, ts] — what a
    rolling count over each vessel gives, computed for these rows only (arrays sorted by vessel
    and time)."""
    starts = np.flatnonzero(np.r_[True, mmsi[1:] != mmsi[:-1]])
    vessel_start = starts[np.searchsorted(starts, rows, side="right") - 1]
    out = np.empty(len(rows), dtype=np.int64)
    for k, (row, first) in enumerate(zip(rows, vessel_start)):
        low = first + np.searchsorted(ts[first:row + 1], ts[row] - window_us, side="right")
        out[k] = row - low + 1
    return out


def gaps(df: pl.DataFrame, *, data_end: pl.DataFrame | None = None) -> list[dict[str, Any]]:
    t = thresholds()["gap"]
    min_h = t["min_hours"]
    window_us = int(t["reception_window_hours"] * 3.6e9)
    segments = thresholds()["segments"]
    # df is sorted by vessel and time: a gap row's previous fix is the row before it, and the
    # reception before it is counted for those few rows only
    mmsi = df["mmsi"].to_numpy()
    ts = df["ts"].dt.epoch("us").to_numpy()
    is_gap = ((pl.col("step_h") >= min_h) & ~pl.col("bridges") & ~pl.col("sparse_step")
              & ~((pl.col("implied_kn") > segments["max_speed_kn"]) & (pl.col("step_km") > segments["min_jump_km"]))
              ).fill_null(False)
    rows = df.select(is_gap.arg_true()).to_series().to_numpy()
    events = []
    if len(rows):
        before = df[rows - 1].select(pl.col("lat").alias("lat0"), pl.col("lon").alias("lon0"), pl.col("ts").alias("ts0"),
                                     pl.col("pos_id").alias("pos0"), pl.col("batch").alias("batch0"))
        gap_rows = pl.concat([df[rows], before], how="horizontal").with_columns(
            pl.Series("recent0", _recent_counts(mmsi, ts, rows - 1, window_us)))
        land = geo.land()
        d0 = land.distance_to_shore_km(gap_rows["lon0"].to_numpy(), gap_rows["lat0"].to_numpy()) / geo.NM_KM
        d1 = land.distance_to_shore_km(gap_rows["lon"].to_numpy(), gap_rows["lat"].to_numpy()) / geo.NM_KM
        spans = data_end if data_end is not None else pl.DataFrame()
        r0, r1 = reception_at(gap_rows["ts0"], spans), reception_at(gap_rows["ts"], spans)
        # was the sea it fell silent in (and the sea it came back in) listened to meanwhile: the
        # hours of the first / last `reception_window_hours` of the silence in which the data heard
        # the usual traffic of that cell
        h0 = gap_rows["ts0"].dt.epoch("us").to_numpy() // HOUR_US
        h1 = gap_rows["ts"].dt.epoch("us").to_numpy() // HOUR_US
        window_h = int(t["reception_window_hours"])
        c0, n0 = cell_reception(gap_rows["lat0"].to_numpy(), gap_rows["lon0"].to_numpy(), h0 + 1,
                                np.minimum(h0 + window_h, h1 - 1), spans)
        c1, n1 = cell_reception(gap_rows["lat"].to_numpy(), gap_rows["lon"].to_numpy(), np.maximum(h1 - window_h, h0 + 1),
                                h1 - 1, spans)
        for r, s0, s1, rec0, rec1, cell0, hours0, cell1, hours1 in zip(gap_rows.iter_rows(named=True), d0, d1, r0, r1,
                                                                       c0, n0, c1, n1):
            good = (r["recent0"] or 0) >= t["reception_min_positions"]
            disabling = bool(good and s0 > t["disabling_shore_nm"] and s1 > t["disabling_shore_nm"])
            events.append(_event("gap", r["mmsi"], r["ts0"], r["ts"], r["lat0"], r["lon0"], {
                "hours": round(r["step_h"], 2), "distance_km": round(r["step_km"], 2),
                "implied_speed_kn": round(r["implied_kn"], 2), "shore_nm_start": round(float(s0), 1),
                "shore_nm_end": round(float(s1), 1), "end_lat": r["lat"], "end_lon": r["lon"],
                "positions_before": r["recent0"], "reception_good": good, "disabling": disabling, "open": False,
                # how well the data covered the hours the gap starts and ends in (share of the busiest hour)
                "reception_start": round(float(rec0), 2), "reception_end": round(float(rec1), 2),
                # in its reception cell: the share of the silence's first / last hours the data heard
                # that cell's usual traffic (None: too little traffic there to judge)
                "cell_reception_start": _share(cell0), "cell_hours_start": int(hours0),
                "cell_reception_end": _share(cell1), "cell_hours_end": int(hours1),
            }, t, [r["pos0"], r["pos_id"]], [r["batch0"], r["batch"]]))
    if data_end is not None and df.height:
        # open gap: silent from the vessel's last fix to the end of what its source covers
        ends = np.flatnonzero(np.r_[mmsi[1:] != mmsi[:-1], True])
        last = df[ends].with_columns(pl.Series("recent", _recent_counts(mmsi, ts, ends, window_us)))
        last = last.join(data_end.select("batch", "batch_end"), on="batch", how="left")
        open_ = last.filter(((pl.col("batch_end") - pl.col("ts")).dt.total_microseconds() / 3.6e9 >= min_h) & ~pl.col("sparse"))
        # silent only where it would have been heard: at least the minimum of hours the data still
        # covers after its last fix (a file that holds one busy hour and a few fixes in the evening
        # has nothing to say about the hours between)
        open_ = open_.filter(pl.Series(covered_hours(open_["ts"], open_["batch_end"], data_end) >= min_h))
        rec = reception_at(open_["ts"], data_end)
        after = covered_share(open_["ts"], open_["batch_end"], data_end)
        h0 = open_["ts"].dt.epoch("us").to_numpy() // HOUR_US
        h_end = open_["batch_end"].dt.epoch("us").to_numpy() // HOUR_US
        c0, n0 = cell_reception(open_["lat"].to_numpy(), open_["lon"].to_numpy(), h0 + 1,
                                np.minimum(h0 + int(t["reception_window_hours"]), h_end), data_end)
        for r, rec0, share, cell0, hours0 in zip(open_.iter_rows(named=True), rec, after, c0, n0):
            hours = (r["batch_end"] - r["ts"]).total_seconds() / 3600
            events.append(_event("gap", r["mmsi"], r["ts"], None, r["lat"], r["lon"], {
                "hours": round(hours, 2), "open": True, "disabling": False, "positions_before": r.get("recent"),
                "data_end": r["batch_end"].isoformat(), "reception_start": round(float(rec0), 2),
                "covered_after": round(float(share), 2),  # share of the hours since the last fix the data covers
                "cell_reception_start": _share(cell0), "cell_hours_start": int(hours0),
            }, t, [r["pos_id"]], [r["batch"]]))
    return events


def _share(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 2)


def run_number(*columns: str) -> pl.Expr:
    """Numbers runs of rows where all `columns` keep their values, across the whole table. The
    rows are sorted by vessel and time (`prepare`), so with "mmsi" among the columns each run is one
    vessel's, and grouping on this sorted number is far cheaper than per-vessel windows."""
    change = pl.any_horizontal([pl.col(c) != pl.col(c).shift(1) for c in columns]).fill_null(True)
    return change.cum_sum().set_sorted()


def _runs(df: pl.DataFrame, flag: str, key: str = "segment") -> pl.DataFrame:
    """Number the runs of consecutive rows (per vessel and `key`) where `flag` keeps its value."""
    return df.with_columns(run_number("mmsi", key, flag).alias("run"))


def _summarise_runs(df: pl.DataFrame, flag: str, key: str = "segment") -> pl.DataFrame:
    runs = _runs(df, flag, key).filter(pl.col(flag))
    return (runs.group_by("run", maintain_order=True)
            .agg(pl.col("mmsi").first(), pl.col(key).first(), pl.col("ts").first().alias("start"), pl.col("ts").last().alias("end"),
                 pl.col("lat").mean().alias("lat"), pl.col("lon").mean().alias("lon"),
                 pl.col("sog").mean().alias("mean_sog"), pl.col("implied_kn").mean().alias("mean_implied"),
                 pl.col("pos_id"), pl.col("batch").unique(), pl.len().alias("positions"))
            .with_columns(((pl.col("end") - pl.col("start")).dt.total_microseconds() / 3.6e9).alias("hours")))


def _speed(df: pl.DataFrame) -> pl.Expr:
    """Reported speed over ground, or the implied speed where none was reported."""
    return pl.coalesce(pl.col("sog"), pl.col("implied_kn").clip(0, 100))


# -- loitering -------------------------------------------------------------------------------
def loitering(df: pl.DataFrame) -> list[dict[str, Any]]:
    """Runs of slow movement (mean speed under the threshold) lasting long enough. Far enough from
    shore it is loitering; closer in, outside any port, it is reported as anchoring (ships queueing
    off a port or a canal), with `details.kind` saying which."""
    t = thresholds()["loitering"]
    slow = df.with_columns(((_speed(df) < t["max_speed_kn"]) & ~pl.col("sparse")).fill_null(False).alias("slow"))
    runs = _summarise_runs(slow, "slow").filter(pl.col("hours") >= t["min_hours"])
    if runs.is_empty():
        return []
    shore = geo.land().distance_to_shore_km(runs["lon"].to_numpy(), runs["lat"].to_numpy()) / geo.NM_KM
    near = geo.nearest_port(runs.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("pid"), "lat", "lon"),
                            within_km=thresholds()["port_call"]["exit_km"])
    runs = runs.with_columns(pl.Series("shore_nm", shore), near["port_km"]).with_columns(
        pl.when(pl.col("shore_nm") >= t["min_shore_nm"]).then(pl.lit("loitering"))
        .when(pl.col("port_km").is_null() & pl.lit(bool(t.get("report_anchoring", True)))).then(pl.lit("anchoring"))
        .otherwise(None).alias("kind")).filter(pl.col("kind").is_not_null())
    return [_event("loitering", r["mmsi"], r["start"], r["end"], r["lat"], r["lon"], {
        "kind": r["kind"], "hours": round(r["hours"], 2),
        "mean_speed_kn": round(r["mean_sog"] if r["mean_sog"] is not None else r["mean_implied"] or 0, 2),
        "shore_nm": round(r["shore_nm"], 1), "positions": r["positions"]}, t, r["pos_id"], r["batch"]) for r in runs.iter_rows(named=True)]


# -- port calls -----------------------------------------------------------------------------
def port_calls(df: pl.DataFrame) -> list[dict[str, Any]]:
    t = thresholds()["port_call"]
    points = df.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("pid"), "lat", "lon")
    near = geo.nearest_port(points, within_km=t["exit_km"])
    df = df.with_columns(near["port_id"], near["port"], near["port_country"], near["port_km"])
    # hysteresis: inside from the first fix within enter_km until the first fix beyond exit_km
    state = (pl.when(pl.col("port_km") <= t["enter_km"]).then(pl.lit(True))
             .when(pl.col("port_km").is_null() | (pl.col("port_km") > t["exit_km"])).then(pl.lit(False))
             .otherwise(None))
    # df is sorted by vessel: a forward fill must not carry a state over into the next vessel, so
    # each vessel's first row gets a definite state (False when it has none)
    first = (pl.col("mmsi") != pl.col("mmsi").shift(1)).fill_null(True)
    df = df.with_columns(pl.when(first & state.is_null()).then(False).otherwise(state).forward_fill().alias("in_port"))
    runs = df.with_columns(run_number("mmsi", "in_port").alias("run"))
    visits = (runs.filter(pl.col("in_port"))
              .group_by("run", maintain_order=True)
              .agg(pl.col("mmsi").first(), pl.col("ts").first().alias("start"), pl.col("ts").last().alias("end"),
                   pl.col("port_id").drop_nulls().mode().sort().first().alias("port_id"),
                   pl.col("port").drop_nulls().mode().sort().first().alias("port"),
                   pl.col("port_country").drop_nulls().mode().sort().first().alias("port_country"),
                   pl.col("lat").mean(), pl.col("lon").mean(), pl.col("pos_id"), pl.col("batch").unique(),
                   (_speed(df) < t["stop_start_kn"]).any().alias("stopped"), pl.col("port_km").min().alias("closest_km"))
              .with_columns(((pl.col("end") - pl.col("start")).dt.total_microseconds() / 3.6e9).alias("hours"))
              .filter(pl.col("hours") >= t["min_hours"]))
    return [_event("port_call", r["mmsi"], r["start"], r["end"], r["lat"], r["lon"], {
        "port_id": r["port_id"], "port": r["port"], "country": r["port_country"], "hours": round(r["hours"], 2),
        "stopped": r["stopped"], "closest_km": round(r["closest_km"], 2) if r["closest_km"] is not None else None,
        "dprk": r["port_country"] == t["dprk_country"], "key": r["port_id"] or ""},
        t, r["pos_id"], r["batch"]) for r in visits.iter_rows(named=True)]


# -- encounters ------------------------------------------------------------------------------
def encounter_points(df: pl.DataFrame, preset: str | None = None, *, prune: bool = True) -> pl.DataFrame:
    """Each vessel's mean position and median speed per time slot: the input of the pair search
    (per vessel, so it can be computed in the partition that holds the vessel)."""
    t = thresholds(preset)["encounter"]
    slotted = df.with_columns(pl.col("ts").dt.truncate(f"{t['slot_minutes']}m").alias("slot"), _speed(df).alias("speed"))
    # `prepare` sorts by vessel and time, so each (vessel, slot) is one run of rows: number the
    # runs and group on that sorted number (far faster than hashing the two keys)
    points = (slotted.with_columns(run_number("mmsi", "slot").alias("run"))
              .group_by("run", maintain_order=True)
              .agg(pl.col("mmsi").first(), pl.col("slot").first(), pl.col("lat").mean(), pl.col("lon").mean(),
                   pl.col("speed").median(),
                   # evidence: the slot's first fix (its batch and row); access: every batch in the slot
                   pl.col("pos_id").first(), pl.col("batch").unique())
              .drop("run"))
    return _hopeless_left_out(points, t) if prune else points


def _hopeless_left_out(points: pl.DataFrame, t: dict[str, Any]) -> pl.DataFrame:
    """The slot points that could belong to an encounter. A pair's run of slots lies within each
    vessel's run of consecutive slots, so a vessel's run of slots that is
    - shorter than the minimum duration, or
    - wholly within (port distance - pair distance - 0.1 km) of one port (the mean of its points is
      then that close to the port, and the other vessel's mean, never farther than the pair distance
      from it, too close to a port to count)
    can hold no encounter. In ports hundreds of moored vessels lie within the pair distance of each
    other for days: leaving them out here spares the pair search (and, on a cluster, the shuffle)
    millions of pairs that encounter_events would reject one by one. The events are the same
    (tests/test_encounter_pruning.py)."""
    if points.is_empty():
        return points
    step_us = int(t["slot_minutes"] * 60e6)
    min_slots = math.ceil(t["min_hours"] * 60 / t["slot_minutes"])
    reach = t["min_port_distance_km"] - t["max_distance_m"] / 1000 - 0.1
    near = geo.nearest_port(points.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("pid"), "lat", "lon"),
                            within_km=reach)["port_id"] if reach > 0 else pl.Series("port_id", [None] * points.height, pl.String)
    same = pl.col("mmsi") == pl.col("mmsi").shift(1)
    consecutive = same & ((pl.col("slot") - pl.col("slot").shift(1)).dt.total_microseconds() == step_us)
    runs = points.with_columns(near.alias("_port"), (~consecutive).fill_null(True).cum_sum().alias("_run"))
    hopeless = (runs.group_by("_run").agg(
        ((pl.len() < min_slots) | (pl.col("_port").is_not_null().all() & (pl.col("_port").n_unique() == 1))).alias("hopeless"))
        .filter(pl.col("hopeless")).select("_run"))
    return runs.join(hopeless, on="_run", how="anti", maintain_order="left").drop("_port", "_run")


# The cells a point is compared with: its own and four of its eight neighbours. The other four
# are covered from the other side, so each pair of cells is joined once.
HALF_NEIGHBOURS = ((0, 0), (0, 1), (1, -1), (1, 0), (1, 1))
CELL_SPAN = 1 << 20  # cell numbers per axis in the one-column join key (|cy|, |cx| < 2**19)


def encounter_pairs(points: pl.DataFrame, preset: str | None = None) -> pl.DataFrame:
    """Vessel pairs within the distance threshold in the same slot, found with a space-time grid
    join: positions are binned into cells of twice the threshold and only the same or neighbouring
    cells are compared, never all pairs. Partitionable by slot (e.g. by day).

    The join runs on a slim table (row number, one integer key for slot and cell, position) and
    over half the neighbourhood; the points' other columns are joined back to the pairs found."""
    t = thresholds(preset)["encounter"]
    if points.is_empty():
        return pl.DataFrame()
    cell = max(t["max_distance_m"] / 111_320 * 2, 0.002)
    numbered = points.with_row_index("idx")
    slot_number = pl.col("slot").dt.epoch("s") // (t["slot_minutes"] * 60)
    cy = (pl.col("lat") / cell).floor().cast(pl.Int64) + CELL_SPAN // 2
    cx = (pl.col("lon") * pl.col("lat").radians().cos().clip(0.2, 1) / cell).floor().cast(pl.Int64) + CELL_SPAN // 2
    slim = numbered.select("idx", "mmsi", "lat", "lon", ((slot_number * CELL_SPAN + cy) * CELL_SPAN + cx).alias("key"))
    other = slim.select(pl.col("idx").alias("idx_b"), pl.col("mmsi").alias("mmsi_b"), pl.col("lat").alias("lat_b"),
                        pl.col("lon").alias("lon_b"), "key")
    pairs: list[pl.DataFrame] = []
    for dy, dx in HALF_NEIGHBOURS:  # one join per neighbour: only the few close pairs are kept from each
        near = (slim.join(other.with_columns(pl.col("key") - dy * CELL_SPAN - dx), on="key")
                .filter((pl.col("mmsi") != pl.col("mmsi_b")) & (pl.col("idx") < pl.col("idx_b") if (dy, dx) == (0, 0) else True))
                .with_columns(geo.haversine_expr(pl.col("lat"), pl.col("lon"), pl.col("lat_b"), pl.col("lon_b")).alias("km"))
                .filter(pl.col("km") * 1000 <= t["max_distance_m"]))
        pairs.append(near.select(
            pl.when(pl.col("mmsi") < pl.col("mmsi_b")).then(pl.col("idx")).otherwise(pl.col("idx_b")).alias("idx"),
            pl.when(pl.col("mmsi") < pl.col("mmsi_b")).then(pl.col("idx_b")).otherwise(pl.col("idx")).alias("idx_b"),
            "km"))
    found = pl.concat(pairs)
    # the points' other columns, gathered by row number (idx is the row)
    a = points[found["idx"]]
    b = points[found["idx_b"]].rename(lambda c: f"{c}_b")
    return (pl.concat([a, b, found.select("km")], how="horizontal")
            .filter(pl.col("slot") == pl.col("slot_b"))
            .unique(["mmsi", "mmsi_b", "slot"])
            .drop("slot_b"))


def encounter_events(pairs: pl.DataFrame, preset: str | None = None) -> list[dict[str, Any]]:
    """Runs of consecutive slots per pair, kept when long, slow and away from ports."""
    t = thresholds(preset)["encounter"]
    if pairs.is_empty():
        return []
    step = pl.duration(minutes=t["slot_minutes"])
    # runs of consecutive slots per pair, numbered across the sorted table (no per-pair windows)
    pairs = pairs.sort("mmsi", "mmsi_b", "slot").with_columns(
        ((pl.col("mmsi") != pl.col("mmsi").shift(1)) | (pl.col("mmsi_b") != pl.col("mmsi_b").shift(1))
         | ((pl.col("slot") - pl.col("slot").shift(1)) != step)).fill_null(True).cum_sum().set_sorted().alias("run"))
    # the measures first, the evidence lists only for the runs that qualify: in ports, hundreds of
    # moored pairs lie within the distance for days and none of them qualifies
    runs = (pairs.group_by("run", maintain_order=True)
            .agg(pl.col("mmsi").first(), pl.col("mmsi_b").first(),
                 pl.col("slot").first().alias("start"), pl.col("slot").last().alias("last"),
                 pl.col("lat").mean(), pl.col("lon").mean(), pl.col("km").median().alias("median_km"),
                 pl.col("speed").median().alias("speed_a"), pl.col("speed_b").median().alias("speed_b"))
            .with_columns((pl.col("last") + step).alias("end"))
            .with_columns(((pl.col("end") - pl.col("start")).dt.total_microseconds() / 3.6e9).alias("hours"))
            .filter((pl.col("hours") >= t["min_hours"])
                    & (pl.col("speed_a").fill_null(0) < t["max_median_speed_kn"])
                    & (pl.col("speed_b").fill_null(0) < t["max_median_speed_kn"])))
    if runs.is_empty():
        return []
    near = geo.nearest_port(runs.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("pid"), "lat", "lon"),
                            within_km=t["min_port_distance_km"])
    runs = runs.with_columns(near["port_km"]).filter(pl.col("port_km").is_null())
    if runs.is_empty():
        return []
    explode = {"keep_nulls": False, "empty_as_null": False}
    evidence = (pairs.join(runs.select("run"), on="run", how="semi").group_by("run", maintain_order=True)
                .agg(pl.col("pos_id").alias("ev_a"), pl.col("pos_id_b").alias("ev_b"),
                     pl.col("batch").list.explode(**explode).alias("b_a"), pl.col("batch_b").list.explode(**explode).alias("b_b")))
    runs = runs.join(evidence, on="run", how="left", maintain_order="left")
    return [_event("encounter", r["mmsi"], r["start"], r["end"], r["lat"], r["lon"], {
        "hours": round(r["hours"], 2), "median_distance_m": round(r["median_km"] * 1000, 1),
        "median_speed_kn": round(max(r["speed_a"] or 0, r["speed_b"] or 0), 2)},
        t, sorted(set(r["ev_a"]) | set(r["ev_b"])), [*r["b_a"], *r["b_b"]], other=r["mmsi_b"]) for r in runs.iter_rows(named=True)]


def encounters(df: pl.DataFrame, preset: str | None = None) -> list[dict[str, Any]]:
    return encounter_events(encounter_pairs(encounter_points(df, preset), preset), preset)


# -- spoofing --------------------------------------------------------------------------------
def spoofing(df: pl.DataFrame) -> list[dict[str, Any]]:
    t = thresholds()["spoofing"]
    events = []
    # a same-second collision is two transmitters on one MMSI (identity_changes), a step between
    # data sets is no movement at all: neither is an impossible movement of one transmitter
    moved = ~pl.col("bridges") & ~pl.col("collision") & (pl.col("transmitters") <= 1)
    jumps = df.select(((pl.col("implied_kn") > t["max_speed_kn"]) & (pl.col("step_km") > t["min_jump_km"]) & moved)
                      .fill_null(False).arg_true()).to_series().to_numpy()
    if len(jumps):
        # a jump has a step, so its previous row is the same vessel's previous fix
        prev = pl.concat([df[jumps], df[jumps - 1].select(pl.col("pos_id").alias("pos0"), pl.col("batch").alias("batch0"),
                                                          pl.col("ts").alias("ts0"))], how="horizontal")
        stray = _stray_fixes(df, jumps, t["min_jump_km"])
        for r, alone in zip(prev.iter_rows(named=True), stray):
            events.append(_event("spoofing", r["mmsi"], r["ts0"], r["ts"], r["lat"], r["lon"], {
                "kind": "jump", "distance_km": round(r["step_km"], 2),
                "implied_speed_kn": None if r["implied_kn"] == float("inf") else round(r["implied_kn"], 1),
                "new_segment": True, "stray_fix": bool(alone), "key": r["pos_id"]}, t,
                [p for p in (r["pos0"], r["pos_id"]) if p], [b for b in (r["batch0"], r["batch"]) if b]))
    on_land = df["inland"].to_numpy()
    if on_land.any():
        # A segment mostly "on land" is a vessel on inland waters the 1:50m land mask does not
        # carve out (the Great Lakes, rivers): the mask is wrong there, not the vessel. Only
        # on-land fixes in an otherwise seagoing segment are signs of spoofing.
        jump = (pl.col("implied_kn") > t["max_speed_kn"]) & (pl.col("step_km") > t["min_jump_km"]) & moved
        marked = (df.with_columns(pl.Series("on_land", on_land), jump.fill_null(False).alias("jump"))
                  .with_columns(pl.col("on_land").mean().over("mmsi", "segment").alias("land_share"),
                                pl.when(pl.col("mmsi") == pl.col("mmsi").shift(-1)).then(pl.col("jump").shift(-1))
                                .fill_null(False).alias("jump_out"))
                  .with_columns(run_number("mmsi", "on_land").alias("run")))
        # a teleport onto land is a segment of its own (the jump splits it), all "on land": it is
        # judged by the jump, not by the land share of its segment
        runs = (marked.filter(pl.col("on_land"))
                .group_by("run", maintain_order=True)
                .agg(pl.col("mmsi").first(), pl.col("ts").first().alias("start"), pl.col("ts").last().alias("end"), pl.col("lat").mean(),
                     pl.col("lon").mean(), pl.col("pos_id"), pl.col("batch").unique(), pl.len().alias("positions"),
                     pl.col("jump").first().alias("jumped_in"), pl.col("jump_out").last().alias("jumped_out"),
                     pl.col("land_share").max())
                .filter((pl.col("land_share") <= t["max_land_share"]) | pl.col("jumped_in") | pl.col("jumped_out")))
        if runs.height:
            near = geo.nearest_port(runs.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("pid"), "lat", "lon"),
                                    within_km=t["port_exemption_km"])
            inland_km = geo.land().distance_to_coast_km(runs["lon"].to_numpy(), runs["lat"].to_numpy())
            runs = runs.with_columns(near["port_km"], pl.Series("inland_km", inland_km)).filter(
                pl.col("port_km").is_null()
                # a canal or a river mouth lies inside the coarse coastline too: only a teleport onto
                # land, or a fix deep inland, is a sign of spoofing
                & (pl.col("jumped_in") | pl.col("jumped_out") | (pl.col("inland_km") > t["deep_inland_km"])))
            for r in runs.iter_rows(named=True):
                events.append(_event("spoofing", r["mmsi"], r["start"], r["end"], r["lat"], r["lon"], {
                    "kind": "on_land", "positions": r["positions"], "inland_km": round(r["inland_km"], 1),
                    "teleported": bool(r["jumped_in"] or r["jumped_out"]), "key": f"land:{r['start'].isoformat()}"},
                    t, r["pos_id"], r["batch"]))
    return events


def _stray_fixes(df: pl.DataFrame, jumps: np.ndarray, km: float) -> np.ndarray:
    """For each jump (row index), whether it leads to or away from a single stray fix: the track
    is back within `km` of where it was one fix later (the jumped-to fix, or the one before the
    jump, stood alone) -- a GPS fault or a stray reception more often than spoofing."""
    mmsi = df["mmsi"].to_numpy()
    lat, lon = df["lat"].to_numpy(), df["lon"].to_numpy()
    n = len(mmsi)
    out = np.zeros(len(jumps), dtype=bool)
    for a, b in ((jumps - 1, jumps + 1), (jumps - 2, jumps)):  # around the fix jumped to; around the one left
        ok = (a >= 0) & (b < n)
        a, b, j = np.clip(a, 0, n - 1), np.clip(b, 0, n - 1), np.clip(jumps, 0, n - 1)
        ok &= (mmsi[a] == mmsi[j]) & (mmsi[b] == mmsi[j])
        out |= ok & (geo.haversine_np(lat[a], lon[a], lat[b], lon[b]) <= km)
    return out


# -- EEZ transits ----------------------------------------------------------------------------
def eez_transits(df: pl.DataFrame) -> list[dict[str, Any]]:
    zones = geo.eezs()
    index = zones.zone_index(df["lon"].to_numpy(), df["lat"].to_numpy())
    # zones stay small integers (-1: high seas) until the few stays are reported
    zone = pl.Series("zone", index, dtype=pl.Int32)
    # a fix on land (a canal, a berth the coarse coastline covers) stays in the zone it came from
    z = df.select("mmsi", "ts", "lat", "lon", "pos_id", "batch", "on_land").with_columns(zone).with_columns(
        pl.when(pl.col("on_land") & (pl.col("zone") < 0)).then(None).otherwise(pl.col("zone")).alias("zone"))
    z = z.with_columns(pl.col("zone").forward_fill().over("mmsi").fill_null(-1))
    # rows are sorted by vessel and time: a run is a stretch of one vessel in one zone, numbered
    # across the table so the grouping is on one sorted key
    runs = (z.with_columns(run_number("mmsi", "zone").alias("run"))
            .group_by("run", maintain_order=True)
            .agg(pl.col("mmsi").first(), pl.col("zone").first(), pl.col("ts").first().alias("start"),
                 pl.col("ts").last().alias("end"), pl.col("lat").first(), pl.col("lon").first(),
                 pl.col("pos_id").first().alias("entry"), pl.col("pos_id").last().alias("exit"), pl.col("batch").unique(),
                 pl.len().alias("positions"))
            .with_columns(pl.col("zone").shift(1).over("mmsi").alias("came_from"), pl.col("zone").shift(-1).over("mmsi").alias("went_to"),
                          (pl.col("run") > pl.col("run").min().over("mmsi")).alias("entered"),
                          (pl.col("run") < pl.col("run").max().over("mmsi")).alias("exited")))
    # a stay is an event only where a crossing was seen: an entry, an exit, or both
    stays = runs.filter((pl.col("zone") >= 0) & (pl.col("entered") | pl.col("exited")))
    ids = zones.ids

    def zone_id(number: int | None) -> str | None:
        return ids[number] if number is not None and number >= 0 else None

    names = dict(zip(zones.ids, zones.names))
    events = []
    for r in stays.iter_rows(named=True):
        zone_code, came_from, went_to = zone_id(r["zone"]), zone_id(r["came_from"]), zone_id(r["went_to"])
        events.append(_event("eez_transit", r["mmsi"], r["start"] if r["entered"] else None, r["end"] if r["exited"] else None,
                             r["lat"], r["lon"], {
            "zone": zone_code, "name": names.get(zone_code or ""), "entered": r["entered"], "exited": r["exited"],
            "from": names.get(came_from or "", "high seas") if r["entered"] else None,
            "to": names.get(went_to or "", "high seas") if r["exited"] else None,
            "first_seen": r["start"].isoformat(), "last_seen": r["end"].isoformat(), "positions": r["positions"],
            "key": f"{zone_code}:{r['start'].isoformat()}"},
            {}, [p for p in (r["entry"] if r["entered"] else None, r["exit"] if r["exited"] else None) if p], r["batch"]))
    return events


# -- identity --------------------------------------------------------------------------------
IDENTITY_FIELDS = ("name", "callsign", "imo", "ship_type")


def identity_changes(static: pl.DataFrame | None = None, positions: pl.DataFrame | None = None) -> list[dict[str, Any]]:
    """Changes of name, call sign, IMO or ship type for one MMSI and one IMO on several MMSIs (from
    static reports, across vessels); one MMSI used by more than one transmitter (from prepared
    positions, per vessel: fixes far apart in the same second). Either input may be left out.

    Only ship identities have changes: the reports of MMSI 0 or a test number come from unrelated
    ships. An IMO number also used under such an MMSI is still a finding for the ship that uses it
    properly (a switch to an invalid identity)."""
    events: list[dict[str, Any]] = []
    if static is not None and static.height:
        everyone = static
        s = static.filter(identity_problem_expr().is_null()).sort("mmsi", "ts", "batch", "source_row")
        for field in IDENTITY_FIELDS:
            events += _field_changes(s, field)
        shared = (everyone.drop_nulls("imo").filter(pl.col("imo") > 0).group_by("imo")
                  .agg(pl.col("mmsi").unique().sort(), pl.col("ts").min(), pl.col("batch").unique())
                  .filter(pl.col("mmsi").list.len() > 1))
        for r in shared.iter_rows(named=True):
            invalid = [m for m in r["mmsi"] if identity_problem(m)]
            for mmsi in r["mmsi"]:
                if mmsi in invalid:
                    continue
                events.append(_event("identity_change", mmsi, r["ts"], r["ts"], None, None, {
                    "field": "shared_imo", "imo": r["imo"], "mmsis": r["mmsi"], "invalid_mmsis": invalid,
                    "key": f"imo:{r['imo']}"}, {}, [], r["batch"]))
    if positions is None or "collision" not in positions.columns:
        return events
    shared = (positions.filter(pl.col("collision") | (pl.col("transmitters") > 1)).group_by("mmsi")
              .agg(pl.col("ts").min().alias("start"), pl.col("ts").max().alias("end"),
                   pl.col("pos_id").filter(pl.col("collision")).head(5).alias("collided"), pl.col("pos_id").head(5),
                   pl.col("batch").unique(), pl.col("collision").sum().alias("collisions"),
                   pl.col("step_km").filter(pl.col("collision")).max().alias("max_km"),
                   pl.col("transmitters").max()))
    for r in shared.iter_rows(named=True):
        events.append(_event("identity_change", r["mmsi"], r["start"], r["end"], None, None, {
            "field": "shared_mmsi", "collisions": r["collisions"], "transmitters": max(2, r["transmitters"]),
            "max_distance_km": round(r["max_km"], 1) if r["max_km"] is not None else None,
            "key": "shared_mmsi"}, {}, r["collided"] or r["pos_id"], r["batch"]))
    return events


def _field_changes(static: pl.DataFrame, field: str) -> list[dict[str, Any]]:
    """One field's changes per MMSI (static reports of ship identities, sorted by MMSI and time):
    an identity change per change, or one shared-MMSI finding where the field alternates."""
    col = static.select("mmsi", "ts", field, "batch", "source_row").drop_nulls(field)
    text = col.schema[field] == pl.String
    if text:
        col = col.filter(pl.col(field).str.strip_chars() != "")

    def norm(value: pl.Expr) -> pl.Expr:
        # a name spelled with other punctuation or spacing ("CAPT. ANTHONY", "J R W") is the same name
        return value.str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "") if text else value

    changed = col.with_columns(pl.col(field).shift(1).over("mmsi").alias("before"), norm(pl.col(field)).alias("_text"),
                               pl.col("ts").shift(1).over("mmsi").alias("ts0")).filter(
        pl.col("before").is_not_null() & (pl.col("_text") != pl.col("_text").shift(1).over("mmsi")))
    alternating = _alternating(changed, field, norm)
    events = [_event("identity_change", r["mmsi"], r["start"], r["end"], None, None, {
        "field": "shared_mmsi", "alternating": field, "values": r["values"], "flips": r["flips"],
        "transmitters": len(r["values"]), "key": f"shared_mmsi:{field}"}, {},
        [f"{b[:12]}:static:{row}" for b, row in zip(r["batches"], r["rows"])][:5], r["batches"])
        for r in alternating.iter_rows(named=True)]
    changed = changed.join(alternating.select("mmsi"), on="mmsi", how="anti")
    return events + [_event("identity_change", r["mmsi"], r["ts"], r["ts"], None, None, {
        "field": field, "before": r["before"], "after": r[field], "previous_report": r["ts0"].isoformat(),
        "key": f"{field}:{r['before']}->{r[field]}"}, {}, [f"{r['batch'][:12]}:static:{r['source_row']}"], [r["batch"]])
        for r in changed.iter_rows(named=True)]


def _alternating(changed: pl.DataFrame, field: str, norm: Callable[[pl.Expr], pl.Expr]) -> pl.DataFrame:
    """MMSIs whose `field` goes back to the value it had before its previous change (A -> B -> A)
    within `identity.alternation_hours`: two transmitters sending different static data under one
    MMSI, not a ship renamed twice. One row per MMSI: the values, the number of changes, the span
    and the changes' reports (evidence). `changed`: the field's changes, sorted by MMSI and time."""
    window_us = int(thresholds()["identity"]["alternation_hours"] * 3.6e9)
    previous = pl.col("mmsi") == pl.col("mmsi").shift(1)
    back = changed.with_columns((previous & (norm(pl.col(field)) == norm(pl.col("before")).shift(1))
                                 & ((pl.col("ts") - pl.col("ts").shift(1)).dt.total_microseconds() <= window_us))
                                .fill_null(False).alias("_back"))
    rows = back.filter(pl.col("_back").any().over("mmsi"))
    if rows.is_empty():
        return pl.DataFrame(schema={"mmsi": pl.Int64, "start": pl.Datetime("us", "UTC"), "end": pl.Datetime("us", "UTC"),
                                    "values": pl.List(pl.String), "flips": pl.UInt32, "batches": pl.List(pl.String),
                                    "rows": pl.List(pl.Int64)})
    return (rows.group_by("mmsi", maintain_order=True)
            .agg(pl.col("ts0").min().alias("start"), pl.col("ts").max().alias("end"),
                 pl.concat_list(pl.col("before").cast(pl.String), pl.col(field).cast(pl.String))
                 .list.explode(keep_nulls=False, empty_as_null=False)
                 .unique(maintain_order=True).alias("values"),
                 pl.len().alias("flips"), pl.col("batch").alias("batches"), pl.col("source_row").alias("rows")))


PER_VESSEL = ("gap", "loitering", "port_call", "spoofing", "eez_transit")


def detect_vessels(positions: pl.DataFrame, *, data_end: pl.DataFrame | None = None,
                   types: tuple[str, ...] = EVENT_TYPES) -> tuple[list[dict[str, Any]], pl.DataFrame]:
    """The detectors that need only each vessel's own track, plus the vessels' encounter slot
    points; all of a vessel's positions must be in `positions` (one partition per vessel group)."""
    if positions.is_empty():
        return [], pl.DataFrame()
    if data_end is None:
        data_end = batch_ends(positions)
    df = prepare(positions, data_end)
    events: list[dict[str, Any]] = []
    if "gap" in types:
        events += gaps(df, data_end=data_end)
    if "loitering" in types:
        events += loitering(df)
    if "port_call" in types:
        events += port_calls(df)
    if "spoofing" in types:
        events += spoofing(df)
    if "eez_transit" in types:
        events += eez_transits(df)
    if "identity_change" in types:
        events += identity_changes(positions=df)  # shared MMSIs; static reports are handled once, centrally
    points = encounter_points(df) if "encounter" in types else pl.DataFrame()
    return events, points


def detect_all(positions: pl.DataFrame, static: pl.DataFrame, *, data_end: pl.DataFrame | None = None,
               preset: str | None = None, types: tuple[str, ...] = EVENT_TYPES) -> list[dict[str, Any]]:
    """Every detector over one table of positions, in one process (the local engine)."""
    if data_end is None and not positions.is_empty():
        data_end = batch_ends(positions)
    events, points = detect_vessels(positions, data_end=data_end, types=types)
    if "encounter" in types and not points.is_empty():
        if preset:
            points = encounter_points(prepare(positions, data_end), preset)
        events += encounter_events(encounter_pairs(points, preset), preset)
    if "identity_change" in types:
        events += identity_changes(static)
    return sort_events(events)


def sort_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    far = "9999"
    return sorted(events, key=lambda e: (str(e["start"] or far), e["type"], e["mmsi"], e["other_mmsi"] or 0, e["id"]))
