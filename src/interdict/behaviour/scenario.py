"""SYNTHETIC scenario generator: realistic background traffic with planted behaviours and their
ground truth, for testing the detectors. Everything it makes is labelled synthetic (batch
`synthetic-scenario-<seed>`, station `SYNTHETIC`); none of it describes real vessels.

Planted: ship-to-ship meetings at sea, dark periods far offshore, loitering, calls at Nampo and
Chongjin, renamed and re-flagged vessels (one IMO on two MMSIs), spoofed jumps, an EEZ crossing;
and near misses that must NOT fire: two ships passing at 400 m for 10 minutes, a ship anchored
inside a port, and the faults of real AIS (two ships alternating on one MMSI, a same-second burst
of positions far apart, MMSI 0 and a test number, the same ship in a data set ten years older, a
sparse sample with one fix per vessel every six hours), each listed in `near_misses`.

`generate_edges` plants behaviours 10 % past each threshold (must fire) and 10 % short of one
(must not), and the on-land spoofing cases.
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
EVERY_TYPE = ("gap", "encounter", "loitering", "port_call", "spoofing", "eez_transit", "identity_change")
OPEN_SEA = (30.5, 33.5, 162.0, 171.0)  # North Pacific high seas: > 500 nm from any coast or EEZ
PORTS = {"Nampo": (38.716667, 125.4, 60280), "Ch'ongjin": (41.766667, 129.816667, 60500)}
PORT_APPROACH = {"Nampo": (38.55, 124.9), "Ch'ongjin": (41.65, 130.0)}  # a few nm off, at sea, inside the DPRK EEZ


@dataclass
class Scenario:
    seed: int
    positions: pl.DataFrame
    static: pl.DataFrame
    truth: list[dict[str, Any]] = field(default_factory=list)
    # planted situations that must NOT fire: {"mmsi", "types" (event types that must not fire), "why"}
    near_misses: list[dict[str, Any]] = field(default_factory=list)


def _km_to_deg(lat: float, north_km: float, east_km: float) -> tuple[float, float]:
    return north_km / 111.32, east_km / (111.32 * math.cos(math.radians(lat)))


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.rows: list[tuple] = []
        self.batches: list[str] = []
        self.batch = f"synthetic-scenario-{seed:04d}"
        self.static: list[tuple] = []
        self.truth: list[dict[str, Any]] = []
        self.near_misses: list[dict[str, Any]] = []
        self.next_mmsi = 0

    def mmsi(self, mid: str = "351") -> int:  # 351 = Panama
        self.next_mmsi += 1
        return int(f"{mid}{self.seed % 1000:03d}{self.next_mmsi:03d}")

    def track(self, mmsi: int, fixes: list[tuple[datetime, float, float, float]]) -> None:
        for ts, lat, lon, sog in fixes:
            self.rows.append((mmsi, ts, lat, lon, sog))
            self.batches.append(self.batch)

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
        # (p starts well west: two days east at 12 kn from further east would reach Hawaii's EEZ)
        b.transit(p, START, HOURS, lat, lon - 6.0, 90, 12)
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
        # then waits at its anchorage off the coast (inside the DPRK EEZ, within 20 nm of shore) until the end
        leave = _call_at(b, m, (plat, plon), (alat, alon), arrive, stay, end)
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
    _real_data_faults(b, seed)
    return _scenario(b, seed)


def _real_data_faults(b: _Builder, seed: int) -> None:
    """The faults real AIS brings (issue 15), planted as labelled near-misses: none may make a
    gap, a jump, loitering or a vessel of its own. Two of them are a shared MMSI, which is an
    identity finding (in the truth)."""
    end = START + timedelta(hours=HOURS)
    # a shared MMSI: two ships 200 km apart report alternately under one number for two days
    m = b.mmsi()
    lat, lon = b.sea_point()
    fixes = [(START + timedelta(minutes=10 * k), lat if k % 2 else lat - 1.8, lon - 0.03 * k, 9.5) for k in range(HOURS * 6)]
    b.track(m, fixes)
    b.truth.append({"type": "identity_change", "mmsi": m, "field": "shared_mmsi", "start": START, "end": end})
    b.near_misses.append({"mmsi": m, "types": ("spoofing", "gap", "loitering", "encounter"),
                          "why": "two ships alternating on one MMSI: a shared MMSI, not jumps"})
    # a same-second collision burst: the file opens with three positions of one MMSI in the same
    # second 200 km from where the ship then steams on
    m = b.mmsi()
    lat, lon = b.sea_point()
    b.track(m, [(START, lat + 1.8, lon + 0.01 * k, 0.0) for k in range(3)])
    b.transit(m, START, HOURS, lat, lon, 270, 12)
    b.truth.append({"type": "identity_change", "mmsi": m, "field": "shared_mmsi", "start": START, "end": START})
    b.near_misses.append({"mmsi": m, "types": ("spoofing", "gap", "loitering"),
                          "why": "positions far apart in one second: a collision, not an impossible movement"})
    # test and default numbers: a silence, a jump and slow drifting, none of it a vessel's behaviour
    for number in (0, 123456789):
        lat, lon = b.sea_point()
        lat1, lon1 = b.transit(number, START, 10, lat, lon, 90, 12)
        b.transit(number, START + timedelta(hours=24), 6, lat1 + 3.0, lon1, 90, 12)
        b.drift(number, START + timedelta(hours=31), 10, lat1 + 3.0, lon1)
        b.near_misses.append({"mmsi": number, "types": EVERY_TYPE, "why": "an invalid identity is data quality, never a vessel"})
    # two sources ten years apart: the same ship in an old data set and in this one
    m = b.mmsi()
    lat, lon = b.sea_point()
    main_batch, b.batch = b.batch, f"synthetic-scenario-{seed:04d}-2014"
    old = START - timedelta(days=3650)
    b.transit(m, old, 6, lat, lon, 0, 12)
    for k in range(2):  # the old data set hears others too
        b.transit(b.mmsi(), old, 6, lat - 0.3 - 0.2 * k, lon, 0, 12)
    b.batch = main_batch
    b.transit(m, START, HOURS, lat - 1.5, lon, 270, 11)
    b.near_misses.append({"mmsi": m, "types": ("gap", "spoofing", "loitering"),
                          "why": "ten years between two data sets is a hole in the data, not a silence or a jump"})
    # a sparse sample: a data set holding one fix per vessel every six hours, some ships slow
    b.batch = f"synthetic-scenario-{seed:04d}-sample"
    for k in range(20):
        m = b.mmsi()
        lat, lon = b.sea_point()
        b.transit(m, START, HOURS, lat, lon, 300, 1.0 if k % 2 else 11.0, every_min=360)
        b.near_misses.append({"mmsi": m, "types": ("gap", "loitering", "spoofing"),
                              "why": "fixes six hours apart in a sampled extract are the sampling, not silences or loitering"})
    b.batch = main_batch


def _scenario(b: _Builder, seed: int) -> Scenario:
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
        pl.Series("batch", b.batches, dtype=pl.String))
    static = pl.DataFrame({
        "mmsi": [s[0] for s in b.static], "ts": [s[1] for s in b.static], "imo": [s[2] for s in b.static],
        "name": [s[3] for s in b.static], "callsign": [s[4] for s in b.static], "ship_type": [s[5] for s in b.static],
    }, schema={"mmsi": pl.Int64, "ts": pl.Datetime("us", "UTC"), "imo": pl.Int64, "name": pl.String, "callsign": pl.String,
               "ship_type": pl.Int64}).with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("source_row"),
                                                    pl.lit(f"synthetic-scenario-{seed:04d}").alias("batch"))
    return Scenario(seed, positions, static, b.truth, b.near_misses)


def _call_at(b: _Builder, mmsi: int, port: tuple[float, float], anchorage: tuple[float, float], arrive: datetime,
             hours: float, end: datetime) -> datetime:
    """Three hours in from the anchorage, `hours` moored at the port, three hours out, then at anchor
    until `end`. Returns when it leaves the berth."""
    _steps_in(b, mmsi, arrive - timedelta(hours=3), arrive - timedelta(minutes=STEP_MIN), anchorage, port)
    b.drift(mmsi, arrive, hours, port[0], port[1], knots=0.05, radius_m=60)
    leave = arrive + timedelta(hours=hours, minutes=STEP_MIN)
    _steps_in(b, mmsi, leave, leave + timedelta(hours=3), port, anchorage)
    b.drift(mmsi, leave + timedelta(hours=3, minutes=STEP_MIN), (end - leave).total_seconds() / 3600 - 3.1, anchorage[0],
            anchorage[1], knots=0.2, radius_m=150)
    return leave


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


def generate_edges(seed: int = 0, *, margin: float = 0.1, background: int = 20) -> Scenario:  # noqa: C901 - one planted case after another, read top to bottom
    """A 48-hour SYNTHETIC scenario of behaviours at the edges of the detectors' thresholds: each
    planted `margin` (10 %) past its threshold is in the truth and must fire; each `margin` short of
    one threshold (the others met) is a near miss and must not. Also the on-land spoofing path: a
    seagoing ship whose fixes teleport deep inland (fires), a ship on inland waters the coarse land
    mask covers, and a ship sailing up a river mouth (neither fires)."""
    from interdict.behaviour.detectors import thresholds

    t = thresholds()
    over, under = 1 + margin, 1 - margin
    b = _Builder(seed)
    b.batch = f"synthetic-edges-{seed:04d}"
    end = START + timedelta(hours=HOURS)
    for _ in range(background):  # ordinary traffic heard all along: the hours are covered
        m = b.mmsi()
        lat, lon = float(b.rng.uniform(30.5, 33.5)), float(b.rng.uniform(157.5, 161.0))
        b.transit(m, START, HOURS, lat, lon, float(b.rng.uniform(70, 110)), float(b.rng.uniform(9, 14)))

    def miss(mmsi: int, types: tuple[str, ...], why: str) -> None:
        b.near_misses.append({"mmsi": mmsi, "types": types, "why": why})

    # -- gaps: silent just longer / just shorter than the minimum, far offshore, after good reception
    for hours, fires in ((t["gap"]["min_hours"] * over, True), (t["gap"]["min_hours"] * under, False)):
        m = b.mmsi()
        lat, lon = b.sea_point()
        lon -= 4
        off = START + timedelta(hours=12)
        lat1, lon1 = b.transit(m, START, 12, lat, lon, 90, 12)
        back = off + timedelta(hours=hours)
        km = 12 * 1.852 * hours
        dlat, dlon = _km_to_deg(lat1, 0, km)
        b.transit(m, back, (end - back).total_seconds() / 3600, lat1, lon1 + dlon, 90, 12)
        if fires:
            b.truth.append({"type": "gap", "mmsi": m, "start": off, "end": back})
        else:
            miss(m, ("gap",), f"silent {hours:.1f} h, under the {t['gap']['min_hours']} h minimum")

    # -- encounters: two ships side by side, slow, at a set distance for a set time
    e = t["encounter"]
    cases = [(e["max_distance_m"] * under, e["min_hours"] * over, e["max_median_speed_kn"] * 0.5, True, ""),
             (e["max_distance_m"] * over, e["min_hours"] * 1.25, e["max_median_speed_kn"] * 0.5, False, "too far apart"),
             (e["max_distance_m"] * under, e["min_hours"] * under, e["max_median_speed_kn"] * 0.5, False, "too short"),
             (e["max_distance_m"] * under, e["min_hours"] * 1.25, e["max_median_speed_kn"] * over, False, "too fast")]
    for distance_m, hours, knots, fires, why in cases:
        a, c = b.mmsi(), b.mmsi()
        lat, lon = b.sea_point()
        meet = START + timedelta(hours=12)
        dlat, _ = _km_to_deg(lat, distance_m / 1000, 0)
        approach = 12 - STEP_MIN / 60
        _, west = _km_to_deg(lat, 0, 10 * 1.852 * 12)
        b.transit(a, START, approach, lat, lon - west, 90, 10)
        b.transit(c, START, approach, lat + dlat, lon + west, 270, 10)
        lat_a, lon_a = b.transit(a, meet, hours, lat, lon, 90, knots)
        lat_c, lon_c = b.transit(c, meet, hours, lat + dlat, lon, 90, knots)
        leave = meet + timedelta(hours=hours, minutes=STEP_MIN)
        rest = (end - leave).total_seconds() / 3600
        b.transit(a, leave, rest, lat_a, lon_a, 0 if lat < 32 else 150, 10)
        b.transit(c, leave, rest, lat_c, lon_c, 60 if lat < 32 else 180, 10)
        if fires:
            b.truth.append({"type": "encounter", "mmsi": min(a, c), "other_mmsi": max(a, c), "start": meet,
                            "end": meet + timedelta(hours=hours)})
        else:
            miss(a, ("encounter",), f"side by side {distance_m:.0f} m, {hours:.1f} h, {knots:.1f} kn: {why}")
            miss(c, ("encounter",), f"side by side {distance_m:.0f} m, {hours:.1f} h, {knots:.1f} kn: {why}")

    # -- loitering: slow in open sea just longer / shorter than the minimum, or just too fast
    lo = t["loitering"]
    for hours, knots, fires, why in ((lo["min_hours"] * over, lo["max_speed_kn"] * 0.5, True, ""),
                                     (lo["min_hours"] * under, lo["max_speed_kn"] * 0.5, False, "too short"),
                                     (lo["min_hours"] * 1.5, lo["max_speed_kn"] * over, False, "too fast")):
        m = b.mmsi()
        lat, lon = b.sea_point()
        slow = START + timedelta(hours=12)
        lat1, lon1 = b.transit(m, START, 12 - STEP_MIN / 60, lat, lon, 45, 12)
        lat2, lon2 = b.transit(m, slow, hours, lat1, lon1, 45, knots)
        after = slow + timedelta(hours=hours, minutes=STEP_MIN)
        b.transit(m, after, (end - after).total_seconds() / 3600, lat2, lon2, 45, 12)
        if fires:
            b.truth.append({"type": "loitering", "mmsi": m, "start": slow, "end": slow + timedelta(hours=hours)})
        else:
            miss(m, ("loitering",), f"{hours:.1f} h at {knots:.1f} kn: {why}")

    # -- port calls: a visit (inside the entry radius, out past the exit one) just longer / shorter
    # than the minimum, at anchor offshore before and after
    pc = t["port_call"]
    for k, (hours, fires) in enumerate(((pc["min_hours"] * over, True), (pc["min_hours"] * under, False))):
        plat, plon, _ = PORTS["Nampo"]
        alat, alon = PORT_APPROACH["Nampo"]
        alat -= 0.1 * k
        m = b.mmsi()
        arrive = START + timedelta(hours=9)
        km = float(np.hypot((plat - alat) * 111.32, (plon - alon) * 111.32 * math.cos(math.radians(alat))))
        inside = (pc["enter_km"] + pc["exit_km"]) / km * 3  # hours spent within the radii on the 3 h way in and out
        moored = hours - inside
        b.drift(m, START, 6 - 2 * STEP_MIN / 60, alat, alon, knots=0.2, radius_m=150)
        leave = _call_at(b, m, (plat, plon), (alat, alon), arrive, moored, end)
        b.truth.append({"type": "loitering", "mmsi": m, "start": START, "end": arrive - timedelta(hours=3), "kind": "anchoring"})
        b.truth.append({"type": "loitering", "mmsi": m, "start": leave + timedelta(hours=3), "end": end, "kind": "anchoring"})
        if fires:
            b.truth.append({"type": "port_call", "mmsi": m, "start": arrive, "end": leave, "port": "Nampo"})
        else:
            miss(m, ("port_call",), f"in port {hours:.1f} h, under the {pc['min_hours']} h minimum")

    # -- jumps: a step past both the speed and the distance limit fires; one short of either does not
    s = t["spoofing"]
    jumps = [(s["min_jump_km"] * over, s["max_speed_kn"] * over, True, ""),
             (s["min_jump_km"] * under, s["max_speed_kn"] * 6, False, "too short a step (GPS noise)"),
             (s["min_jump_km"] * 4, s["max_speed_kn"] * under, False, "fast, but a ship can do it")]
    for km, knots, fires, why in jumps:
        m = b.mmsi()
        lat, lon = b.sea_point()
        jump_at = START + timedelta(hours=20)
        lat1, lon1 = b.transit(m, START, 20, lat, lon, 90, 12)
        seconds = km / (knots * 1.852) * 3600
        dlat, _ = _km_to_deg(lat1, km, 0)
        landed = jump_at + timedelta(seconds=seconds)
        b.transit(m, landed, (end - landed).total_seconds() / 3600, lat1 + dlat, lon1, 90, 12)
        if fires:
            b.truth.append({"type": "spoofing", "mmsi": m, "start": jump_at, "end": landed})
        else:
            miss(m, ("spoofing",), f"{km:.1f} km at {knots:.0f} kn: {why}")

    # -- on land: a seagoing ship whose fixes teleport 2,000 km inland for half an hour and back
    m = b.mmsi()
    lat, lon = b.sea_point()
    away = START + timedelta(hours=24)
    lat1, lon1 = b.transit(m, START, 24 - STEP_MIN / 60, lat, lon, 270, 12)
    b.drift(m, away, 0.5, 40.0, 105.0, knots=10, radius_m=2000)  # SYNTHETIC fixes in the Gobi: 1,300 km from any sea
    back = away + timedelta(minutes=30 + STEP_MIN)
    b.transit(m, back, (end - back).total_seconds() / 3600, lat1, lon1, 270, 12)
    for start_, end_, kind in ((away - timedelta(minutes=STEP_MIN), away, "jump"), (away, away + timedelta(minutes=30), "on_land"),
                               (away + timedelta(minutes=30), back, "jump")):
        b.truth.append({"type": "spoofing", "mmsi": m, "start": start_, "end": end_, "kind": kind})
    # inland waters the 1:50m land mask covers: a laker on Lake Superior for two days
    m = b.mmsi("316")  # 316 = Canada
    b.transit(m, START, HOURS, 47.6, -89.5, 80, 4)
    miss(m, ("spoofing",), "a track mostly 'on land' is on inland waters the coarse mask lacks")
    # a river mouth inside the coarse coastline: from the German Bight up the Elbe, no jump
    m = b.mmsi("211")  # 211 = Germany
    _steps_in(b, m, START, START + timedelta(hours=38), (54.3, 2.0), (54.0, 8.3))
    _steps_in(b, m, START + timedelta(hours=38, minutes=STEP_MIN), end, (54.0, 8.3), (53.55, 9.95))
    miss(m, ("spoofing",), "a river fairway inside the coarse coastline, reached without a jump")
    return _scenario(b, seed)
