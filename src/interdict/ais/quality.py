"""Quality checks on positions: flags on what is kept, reasons on what is rejected.

Flags (a bitmask in the `flags` column; `FLAG_NAMES` spells them out):
    invalid_mmsi        not a 9-digit ship MMSI (100000000-999999999)
    unallocated_mid     9 digits, but the MID (first three for ships) is not allocated by the ITU
    sog_unavailable     102.3 kn ("not available"): speed set to null
    sog_out_of_range    above 102.2 kn: speed set to null
    cog_unavailable     360 degrees ("not available"): course set to null
    cog_out_of_range    above 360 degrees: course set to null
    heading_unavailable 511 ("not available"): heading set to null
    heading_out_of_range 360-510: heading set to null
    implied_speed       moving from the previous fix of the same MMSI needs more than the speed
                        limit (a spoofing or shared-MMSI signal for the behaviour analytics)
    time_assumed        the receive time came from --assume-time, not from the data
    pseudonymous_id     the vessel id is a data set's own pseudonym, not an MMSI (--pseudonymous-ids):
                        one vessel's track, though no MMSI rule applies to it

Rejected (quarantined with the reason, never stored as positions): latitude/longitude "not
available" (91/181) or out of range, no time, a time before 1990 or more than a day in the future.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from interdict.mmsi import IDENTITY_PROBLEMS, TEST_MMSIS, identity_problem, identity_problem_expr, mid_of, mid_table

__all__ = ["FLAGS", "FLAG_NAMES", "IDENTITY_PROBLEMS", "TEST_MMSIS", "check_positions", "flag_implied_speed", "flag_names",
           "identity_problem", "identity_problem_expr", "mid_of", "mid_table"]

FLAGS = {
    "invalid_mmsi": 1,
    "unallocated_mid": 2,
    "sog_unavailable": 4,
    "sog_out_of_range": 8,
    "cog_unavailable": 16,
    "cog_out_of_range": 32,
    "heading_unavailable": 64,
    "heading_out_of_range": 128,
    "implied_speed": 256,
    "time_assumed": 512,
    "pseudonymous_id": 1024,
}
FLAG_NAMES = {bit: name for name, bit in FLAGS.items()}
DEFAULT_MAX_SPEED_KN = 60.0
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)


def flag_names(bits: int) -> list[str]:
    return [name for bit, name in FLAG_NAMES.items() if bits & bit]


def check_positions(positions: pl.DataFrame, *, max_speed_kn: float = DEFAULT_MAX_SPEED_KN,
                    now: datetime | None = None, pseudonymous: bool = False) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(kept positions with `flags`, rejected rows with `reason`) from a normalised positions frame.
    `pseudonymous`: the ids are a data set's pseudonyms for vessels, not MMSIs (no MMSI rule applies).

    Expects columns mmsi, ts (UTC datetime), lat, lon, sog, cog, heading and optionally flags."""
    now = now or datetime.now(UTC)
    latest = now + timedelta(days=1)
    allocated = np.array(sorted(mid_table()), dtype=np.int64)
    frame = positions if "flags" in positions.columns else positions.with_columns(pl.lit(0, pl.UInt32).alias("flags"))
    reason = (
        pl.when(pl.col("ts").is_null()).then(pl.lit("no time"))
        .when(pl.col("ts") < EARLIEST).then(pl.lit("time before 1990"))
        .when(pl.col("ts") > latest).then(pl.lit("time in the future"))
        .when((pl.col("lat") == 91) | (pl.col("lon") == 181)).then(pl.lit("position not available"))
        .when(pl.col("lat").is_null() | pl.col("lon").is_null()).then(pl.lit("position missing"))
        .when((pl.col("lat").abs() > 90) | (pl.col("lon").abs() > 180)).then(pl.lit("position out of range"))
        .otherwise(None)
    )
    frame = frame.with_columns(reason.alias("reason"))
    rejected = frame.filter(pl.col("reason").is_not_null())
    kept = frame.filter(pl.col("reason").is_null()).drop("reason")
    mid = (pl.col("mmsi") // 1_000_000)
    ship = pl.col("mmsi").is_between(200_000_000, 799_999_999) & pl.lit(not pseudonymous)
    if pseudonymous:
        kept = kept.with_columns((pl.col("flags") | pl.lit(FLAGS["pseudonymous_id"], pl.UInt32)).alias("flags"))
    bit = lambda name: pl.lit(FLAGS[name], pl.UInt32)  # noqa: E731
    kept = kept.with_columns(
        (
            pl.col("flags")
            | pl.when(~pl.col("mmsi").is_between(100_000_000, 999_999_999) & pl.lit(not pseudonymous))
            .then(bit("invalid_mmsi")).otherwise(0)
            | pl.when(ship & ~mid.is_in(allocated)).then(bit("unallocated_mid")).otherwise(0)
            | pl.when(pl.col("sog") == 102.3).then(bit("sog_unavailable")).otherwise(0)
            | pl.when((pl.col("sog") > 102.2) & (pl.col("sog") != 102.3) | (pl.col("sog") < 0)).then(bit("sog_out_of_range")).otherwise(0)
            | pl.when(pl.col("cog") == 360).then(bit("cog_unavailable")).otherwise(0)
            | pl.when((pl.col("cog") > 360) | (pl.col("cog") < 0)).then(bit("cog_out_of_range")).otherwise(0)
            | pl.when(pl.col("heading") == 511).then(bit("heading_unavailable")).otherwise(0)
            | pl.when(pl.col("heading").is_between(360, 510) | (pl.col("heading") > 511) | (pl.col("heading") < 0))
            .then(bit("heading_out_of_range")).otherwise(0)
        ).cast(pl.UInt32).alias("flags")
    ).with_columns(
        pl.when((pl.col("sog") >= 0) & (pl.col("sog") <= 102.2)).then(pl.col("sog")).alias("sog"),
        pl.when((pl.col("cog") >= 0) & (pl.col("cog") < 360)).then(pl.col("cog")).alias("cog"),
        pl.when((pl.col("heading") >= 0) & (pl.col("heading") < 360)).then(pl.col("heading")).alias("heading"),
    )
    return flag_implied_speed(kept, max_speed_kn), rejected


def flag_implied_speed(positions: pl.DataFrame, max_speed_kn: float) -> pl.DataFrame:
    """Flag fixes reached from the previous fix of the same MMSI faster than `max_speed_kn`. The
    result is sorted by MMSI and time (the order the store and the detectors want)."""
    if positions.height == 0:
        return positions
    ordered = positions.sort("mmsi", "ts")
    # sorted by vessel: the previous fix is the row before, when it is the same vessel's (a window
    # per vessel would cost a group-by for each of the four shifted columns)
    same = pl.col("mmsi") == pl.col("mmsi").shift(1)
    lat1, lon1 = pl.col("lat").radians(), pl.col("lon").radians()
    lat0, lon0 = pl.col("lat").shift(1).radians(), pl.col("lon").shift(1).radians()
    hav = ((lat1 - lat0) / 2).sin() ** 2 + lat0.cos() * lat1.cos() * ((lon1 - lon0) / 2).sin() ** 2
    distance_nm = 2 * 3440.065 * hav.sqrt().arcsin()
    hours = (pl.col("ts") - pl.col("ts").shift(1)).dt.total_microseconds() / 3.6e9
    too_fast = same & (hours > 0) & (distance_nm / hours > max_speed_kn)
    return ordered.with_columns(
        (pl.col("flags") | pl.when(too_fast).then(pl.lit(FLAGS["implied_speed"], pl.UInt32)).otherwise(0)).cast(pl.UInt32).alias("flags")
    )
