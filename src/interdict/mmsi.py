"""MMSI rules: which numbers can be one ship's identity. Reference knowledge (the ITU's allocated
maritime identification digits, numbers transponders ship with) used wherever AIS identities are
read: ingest quality flags, the behaviour detectors, the screening of vessels.
"""

from __future__ import annotations

import csv
from functools import lru_cache

import polars as pl

from interdict.util import data_path


@lru_cache(maxsize=1)
def mid_table() -> dict[int, str]:
    """MID -> flag administration, from the ITU table shipped in the package."""
    with open(data_path("reference/itu_mid.csv"), newline="", encoding="utf-8") as handle:
        return {int(row["MID"]): row["Allocated_to"] for row in csv.DictReader(handle)}


def mid_of(mmsi: int) -> int | None:
    """The MID of a ship MMSI (MIDxxxxxx); None for other MMSI kinds."""
    if 200_000_000 <= mmsi <= 799_999_999:
        return mmsi // 1_000_000
    return None


# Numbers that transponders ship with or installers type in: never one ship's identity.
TEST_MMSIS = frozenset({123456789, 987654321, 100000000, 999999999, 111111111, 222222222, 333333333, 444444444,
                        555555555, 666666666, 777777777, 888888888, 123456780, 12345678, 1234567, 0})
IDENTITY_PROBLEMS = ("MMSI 0", "fewer than 9 digits", "more than 9 digits", "test or default number",
                     "MID not allocated", "not a ship station")


def identity_problem_expr(column: str = "mmsi") -> pl.Expr:
    """Why an MMSI cannot be one ship's identity (null when it can): the reasons of
    `IDENTITY_PROBLEMS`. Such positions are data-quality findings, never a vessel's track: MMSI 0
    and test numbers are shared by unrelated transmitters, and coast stations, aids to navigation,
    SAR aircraft and distress beacons (MMSIs outside 2xx-7xx) are not ships."""
    mmsi = pl.col(column)
    allocated = pl.Series(sorted(mid_table()), dtype=pl.Int64)
    return (pl.when(mmsi == 0).then(pl.lit("MMSI 0"))
            .when(mmsi < 100_000_000).then(pl.lit("fewer than 9 digits"))
            .when(mmsi > 999_999_999).then(pl.lit("more than 9 digits"))
            .when(mmsi.is_in(pl.Series(sorted(TEST_MMSIS), dtype=pl.Int64).implode())
                  | ((mmsi % 1_000_000 == 0) & mmsi.is_between(200_000_000, 799_999_999))).then(pl.lit("test or default number"))
            .when(~mmsi.is_between(200_000_000, 799_999_999)).then(pl.lit("not a ship station"))
            .when(~(mmsi // 1_000_000).is_in(allocated.implode())).then(pl.lit("MID not allocated"))
            .otherwise(None))


def identity_problem(mmsi: int) -> str | None:
    """`identity_problem_expr` for one MMSI, in plain Python (the tests hold the two equal)."""
    if mmsi == 0:
        return "MMSI 0"
    if mmsi < 100_000_000:
        return "fewer than 9 digits"
    if mmsi > 999_999_999:
        return "more than 9 digits"
    if mmsi in TEST_MMSIS or (200_000_000 <= mmsi <= 799_999_999 and mmsi % 1_000_000 == 0):
        return "test or default number"  # a MID and six zeros: the number a transponder ships with
    if not 200_000_000 <= mmsi <= 799_999_999:
        return "not a ship station"
    if mmsi // 1_000_000 not in mid_table():
        return "MID not allocated"
    return None


