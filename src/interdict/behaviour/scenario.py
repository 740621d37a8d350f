"""SYNTHETIC scenario generator: realistic background traffic with planted behaviours and their
ground truth, for testing the detectors. Everything it makes is labelled synthetic (batch
`synthetic-scenario-<seed>`, station `SYNTHETIC`); none of it describes real vessels.

Planted: ship-to-ship meetings at sea, dark periods far offshore, loitering, calls at Nampo and
Chongjin, renamed and re-flagged vessels (one IMO on two MMSIs), spoofed jumps, an EEZ crossing;
and near misses that must NOT fire: two ships passing at 400 m for 10 minutes, a ship anchored
inside a port.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

START = datetime(2024, 3, 1, tzinfo=UTC)
HOURS = 48
STEP_MIN = 5
OPEN_SEA = (30.5, 33.5, 162.0, 171.0)  # North Pacific high seas: > 500 nm from any coast or EEZ
PORTS = {"Nampo": (38.716667, 125.4, 60280), "Ch'ongjin": (41.766667, 129.816667, 60500)}
PORT_APPROACH = {"Nampo": (38.55, 124.9), "Ch'ongjin": (41.65, 130.0)}  # a few nm off, at sea, inside the DPRK EEZ


@dataclass
class Scenario:
    seed: int
    positions: pl.DataFrame
    static: pl.DataFrame
    truth: list[dict[str, Any]] = field(default_factory=list)


def _km_to_deg(lat: float, north_km: float, east_km: float) -> tuple[float, float]:
    return north_km / 111.32, east_km / (111.32 * math.cos(math.radians(lat)))


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.rows: list[tuple] = []
        self.static: list[tuple] = []
        self.truth: list[dict[str, Any]] = []
        self.next_mmsi = 0

    def mmsi(self, mid: str = "351") -> int:  # 351 = Panama
        self.next_mmsi += 1
        return int(f"{mid}{self.seed % 1000:03d}{self.next_mmsi:03d}")

    def track(self, mmsi: int, fixes: list[tuple[datetime, float, float, float]]) -> None:
        for ts, lat, lon, sog in fixes:
            self.rows.append((mmsi, ts, lat, lon, sog))

    def transit(self, mmsi: int, start: datetime, hours: float, lat: float, lon: float, course: float, knots: float,
                every_min: float = STEP_MIN) -> tuple[float, float]:
        fixes = []
        steps = int(hours * 60 / every_min)
        for i in range(steps + 1):
            km = knots * 1.852 * (i * every_min / 60)
            dlat, dlon = _km_to_deg(lat, km * math.cos(math.radians(course)), km * math.sin(math.radians(course)))
            fixes.append((start + timedelta(minutes=i * every_min), lat + dlat, lon + dlon, knots + self.rng.normal(0, 0.2)))
        self.track(mmsi, fixes)
        return fixes[-1][1], fixes[-1][2]

    def drift(self, mmsi: int, start: datetime, hours: float, lat: float, lon: float, knots: float = 0.5,
              radius_m: float = 80) -> None:
        fixes = []
        for i in range(int(hours * 60 / STEP_MIN) + 1):
            dlat, dlon = _km_to_deg(lat, self.rng.normal(0, radius_m / 1000 / 2), self.rng.normal(0, radius_m / 1000 / 2))
            fixes.append((start + timedelta(minutes=i * STEP_MIN), lat + dlat, lon + dlon, abs(self.rng.normal(knots, 0.2))))
        self.track(mmsi, fixes)

    def sea_point(self) -> tuple[float, float]:
        lat0, lat1, lon0, lon1 = OPEN_SEA
        return float(self.rng.uniform(lat0 + 0.5, lat1 - 0.5)), float(self.rng.uniform(lon0 + 1, lon1 - 1))

    def name(self, mmsi: int, name: str, imo: int, callsign: str, ts: datetime, ship_type: int = 70) -> None:
        self.static.append((mmsi, ts, imo, name, callsign, ship_type))


def generate(seed: int = 0, *, background: int = 40, each: int = 3) -> Scenario:
    """A 48-hour SYNTHETIC scenario: `background` ordinary transits plus `each` planted instances
    of every behaviour, with ground truth."""
    b = _Builder(seed)
    end = START + timedelta(hours=HOURS)
    # -- background: ships crossing the open sea eastward at 9-14 kn (staying on the high seas)
    for _ in range(background):
        m = b.mmsi()
        lat, lon = float(b.rng.uniform(30.5, 33.5)), float(b.rng.uniform(157.5, 161.0))
        b.transit(m, START, HOURS, lat, lon, float(b.rng.uniform(70, 110)), float(b.rng.uniform(9, 14)))
        b.name(m, f"SYNTHETIC CARGO {m % 1000}", 9000000 + m % 1000000, f"SYN{m % 10000}", START)
    for k in range(each):
        # -- encounter: two ships meet and drift together for 3-5 h, then part
        a, c = b.mmsi(), b.mmsi()
        lat, lon = b.sea_point()
        meet = START + timedelta(hours=float(b.rng.uniform(6, 30)))
        hours = float(b.rng.uniform(3, 5))
        # approach, drift together, leave (both vessels)
        for m, side in ((a, -1), (c, 1)):
            approach_h = (meet - START).total_seconds() / 3600
            dlat, dlon = _km_to_deg(lat, 0, side * approach_h * 10 * 1.852)
            b.transit(m, START, approach_h - STEP_MIN / 60, lat, lon + dlon, 90 if side < 0 else 270, 10)
            b.drift(m, meet, hours, lat, lon + side * 0.0005)
            b.transit(m, meet + timedelta(hours=hours, minutes=STEP_MIN), (end - meet).total_seconds() / 3600 - hours - 0.1,
                      lat, lon, 0 if side < 0 else 180, 11)
        b.truth.append({"type": "encounter", "mmsi": min(a, c), "other_mmsi": max(a, c), "start": meet,
                        "end": meet + timedelta(hours=hours)})
        if hours >= 4:  # drifting together for 4 h or more is also loitering, for both ships
            b.truth += [{"type": "loitering", "mmsi": m, "start": meet, "end": meet + timedelta(hours=hours)} for m in (a, c)]
        # -- near miss: two ships pass at 400 m for about 10 minutes at speed (must not fire)
        p, q = b.mmsi(), b.mmsi()
        lat, lon = b.sea_point()
        b.transit(p, START, HOURS, lat, lon - 1.0, 90, 12)
        dlat, _ = _km_to_deg(lat, 0.4, 0)
        b.transit(q, START, HOURS, lat + dlat, lon + 1.0, 270, 12)
        # -- dark period far offshore after good reception
        m = b.mmsi()
        lat, lon = b.sea_point()
        lon -= 4  # it steams east for two days: start further west so it stays on the high seas
        off = START + timedelta(hours=float(b.rng.uniform(8, 20)))
        dark = float(b.rng.uniform(13, 20))
        course, knots = float(b.rng.uniform(60, 120)), 12.0
        lat1, lon1 = b.transit(m, START, (off - START).total_seconds() / 3600, lat, lon, course, knots)
        back = off + timedelta(hours=dark)
        # resumes where it would be at the same speed (a plausible, unobserved voyage)
        km = knots * 1.852 * dark
        dlat, dlon = _km_to_deg(lat1, km * math.cos(math.radians(course)), km * math.sin(math.radians(course)))
        b.transit(m, back, (end - back).total_seconds() / 3600, lat1 + dlat, lon1 + dlon, course, knots)
        b.truth.append({"type": "gap", "mmsi": m, "start": off, "end": back})
        # -- loitering: 5-9 h at under 2 kn in open sea
        m = b.mmsi()
        lat, lon = b.sea_point()
        t0 = START + timedelta(hours=float(b.rng.uniform(6, 24)))
        hours = float(b.rng.uniform(5, 9))
        lat1, lon1 = b.transit(m, START, (t0 - START).total_seconds() / 3600 - STEP_MIN / 60, lat, lon, 45, 12)
        b.drift(m, t0, hours, lat1, lon1, knots=0.8, radius_m=600)
        b.transit(m, t0 + timedelta(hours=hours, minutes=STEP_MIN), (end - t0).total_seconds() / 3600 - hours - 0.1,
                  lat1, lon1, 45, 12)
        b.truth.append({"type": "loitering", "mmsi": m, "start": t0, "end": t0 + timedelta(hours=hours)})
        # -- port call at a DPRK port: approach, moor 6-12 h, leave
        port = ["Nampo", "Ch'ongjin"][k % 2]
        plat, plon, _ = PORTS[port]
        alat, alon = PORT_APPROACH[port]
        alat -= 0.1 * (k // 2)  # ships bound for the same port wait at different anchorages
        m = b.mmsi("445" if k == 0 else "351")
        arrive = START + timedelta(hours=float(b.rng.uniform(4, 16)))
        stay = float(b.rng.uniform(6, 12))
        _steps_in(b, m, arrive - timedelta(hours=3), arrive - timedelta(minutes=STEP_MIN), (alat, alon), (plat, plon))
        b.drift(m, arrive, stay, plat, plon, knots=0.05, radius_m=60)
        leave = arrive + timedelta(hours=stay, minutes=STEP_MIN)
        _steps_in(b, m, leave, leave + timedelta(hours=3), (plat, plon), (alat, alon))
        # then waits at its anchorage off the coast (inside the DPRK EEZ, within 20 nm of shore) until the end
        b.drift(m, leave + timedelta(hours=3, minutes=STEP_MIN), (end - leave).total_seconds() / 3600 - 3.1, alat, alon,
                knots=0.2, radius_m=150)
        b.truth.append({"type": "port_call", "mmsi": m, "start": arrive, "end": arrive + timedelta(hours=stay), "port": port})
        b.truth.append({"type": "loitering", "mmsi": m, "start": leave + timedelta(hours=3), "end": end, "kind": "anchoring"})
        # -- near miss: a ship at anchor inside a (non-DPRK) port the whole time: a port call, never loitering
        m = b.mmsi()
        b.drift(m, START, HOURS, 35.0833, 129.0333, knots=0.1, radius_m=100)  # Busan (WPI), inside the harbour
        b.truth.append({"type": "port_call", "mmsi": m, "start": START, "end": end, "port": "Busan"})
        # -- renamed and re-flagged: new name and call sign mid-scenario; its IMO also on a second MMSI
        m, m2 = b.mmsi(), b.mmsi("667")  # 667 = Sierra Leone
        lat, lon = b.sea_point()
        b.transit(m, START, HOURS / 2, lat, lon, 180, 11)
        b.transit(m2, START + timedelta(hours=HOURS / 2 + 1), HOURS / 2 - 1.1, lat - 2.0, lon, 180, 11)
        imo = 9100000 + seed * 10 + k
        b.name(m, f"SYNTHETIC OCEAN {k}", imo, f"SYO{k}", START)
        renamed = START + timedelta(hours=12)
        b.name(m, f"SYNTHETIC STAR {k}", imo, f"SYS{k}", renamed)
        b.name(m2, f"SYNTHETIC STAR {k}", imo, f"SYS{k}", START + timedelta(hours=HOURS / 2 + 1))
        b.truth.append({"type": "identity_change", "mmsi": m, "field": "name", "start": renamed, "end": renamed})
        b.truth.append({"type": "identity_change", "mmsi": m, "field": "callsign", "start": renamed, "end": renamed})
        b.truth.append({"type": "identity_change", "mmsi": m, "field": "shared_imo", "start": START, "end": START})
        b.truth.append({"type": "identity_change", "mmsi": m2, "field": "shared_imo", "start": START, "end": START})
        # the old MMSI falls silent when the ship takes the new one: an open gap
        b.truth.append({"type": "gap", "mmsi": m, "start": START + timedelta(hours=HOURS / 2), "end": end})
        # -- spoofed jump: the reported position leaps 400+ km in five minutes, and stays there
        m = b.mmsi()
        lat, lon = b.sea_point()
        jump = START + timedelta(hours=float(b.rng.uniform(10, 36)))
        lat1, lon1 = b.transit(m, START, (jump - START).total_seconds() / 3600 - STEP_MIN / 60, lat, lon, 270, 12)
        b.transit(m, jump, (end - jump).total_seconds() / 3600, lat1 + 4.0, lon1, 270, 12)
        b.truth.append({"type": "spoofing", "mmsi": m, "start": jump - timedelta(minutes=STEP_MIN), "end": jump})
        # -- EEZ crossing: from the high seas west into Japan's EEZ
        m = b.mmsi()
        lat = float(b.rng.uniform(31, 33))
        b.transit(m, START, HOURS, lat, 155.5, 270, 15)  # 15 kn x 48 h ~ 1,330 km: crosses 150 E-ish boundary
        b.truth.append({"type": "eez_transit", "mmsi": m, "zone_name": "Japan", "start": None, "end": None})
    rows = b.rows
    positions = pl.DataFrame({
        "mmsi": [r[0] for r in rows], "ts": [r[1] for r in rows], "lat": [r[2] for r in rows], "lon": [r[3] for r in rows],
        "sog": [max(0.0, round(float(r[4]), 1)) for r in rows],
    }, schema={"mmsi": pl.Int64, "ts": pl.Datetime("us", "UTC"), "lat": pl.Float64, "lon": pl.Float64, "sog": pl.Float64})
    positions = positions.with_columns(
        pl.lit(None, dtype=pl.Float64).alias("cog"), pl.lit(None, dtype=pl.Int64).alias("heading"),
        pl.lit(0, dtype=pl.Int64).alias("nav_status"), pl.lit(1, dtype=pl.Int64).alias("msg_type"),
        pl.lit("A").alias("channel"), pl.lit("SYNTHETIC").alias("station"), pl.col("ts").dt.second().cast(pl.Int64).alias("second"),
        pl.int_range(pl.len(), dtype=pl.Int64).alias("source_row"), pl.lit(0, dtype=pl.UInt32).alias("flags"),
        pl.lit(f"synthetic-scenario-{seed:04d}").alias("batch"))
    static = pl.DataFrame({
        "mmsi": [s[0] for s in b.static], "ts": [s[1] for s in b.static], "imo": [s[2] for s in b.static],
        "name": [s[3] for s in b.static], "callsign": [s[4] for s in b.static], "ship_type": [s[5] for s in b.static],
    }, schema={"mmsi": pl.Int64, "ts": pl.Datetime("us", "UTC"), "imo": pl.Int64, "name": pl.String, "callsign": pl.String,
               "ship_type": pl.Int64}).with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("source_row"),
                                                    pl.lit(f"synthetic-scenario-{seed:04d}").alias("batch"))
    return Scenario(seed, positions, static, b.truth)


def _steps_in(b: _Builder, mmsi: int, start: datetime, end: datetime, origin: tuple[float, float],
              target: tuple[float, float]) -> None:
    """Straight run from origin to target between start and end (fixes every STEP_MIN)."""
    steps = max(1, int((end - start).total_seconds() / 60 / STEP_MIN))
    km = float(np.hypot((target[0] - origin[0]) * 111.32, (target[1] - origin[1]) * 111.32 * math.cos(math.radians(origin[0]))))
    knots = km / 1.852 / max((end - start).total_seconds() / 3600, 0.01)
    fixes = []
    for i in range(steps + 1):
        f = i / steps
        fixes.append((start + timedelta(minutes=i * STEP_MIN), origin[0] + f * (target[0] - origin[0]),
                      origin[1] + f * (target[1] - origin[1]), knots))
    b.track(mmsi, fixes)


def score(events: list[dict[str, Any]], truth: list[dict[str, Any]], *, types: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """Precision and recall per event type, matching each detection to at most one truth item by
    vessel(s) and time overlap (and port, field or zone where the type has one)."""
    out = {}
    for kind in types:
        found = [e for e in events if e["type"] == kind]
        wanted = [t for t in truth if t["type"] == kind]
        matched_truth: set[int] = set()
        true_positive = 0
        for e in found:
            for i, t in enumerate(wanted):
                if i in matched_truth or not _matches(e, t):
                    continue
                matched_truth.add(i)
                true_positive += 1
                break
        out[kind] = {"found": len(found), "truth": len(wanted), "tp": true_positive,
                     "precision": true_positive / len(found) if found else (1.0 if not wanted else 0.0),
                     "recall": true_positive / len(wanted) if wanted else 1.0}
    return out


def _matches(e: dict[str, Any], t: dict[str, Any]) -> bool:
    if e["mmsi"] != t["mmsi"] or (t.get("other_mmsi") is not None and e.get("other_mmsi") != t["other_mmsi"]):
        return False
    d = e["details"]
    if t["type"] == "identity_change":
        return d.get("field") == t["field"]
    if t["type"] == "eez_transit":
        return d.get("name") == t["zone_name"]
    if t["type"] == "port_call" and d.get("port") != t["port"] and not str(d.get("port", "")).startswith(t["port"][:4]):
        return False
    start, end = _time(e["start"]), _time(e["end"])
    slack = timedelta(minutes=30)
    return (start or t["start"]) <= t["end"] + slack and (end or t["end"]) >= t["start"] - slack


def _time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
