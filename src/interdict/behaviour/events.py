"""Saved behaviour events: replaced per detection window (so re-running never doubles them) and
read back through the access rule for derived records."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, delete, or_, select

from interdict.access import Viewer, can_see_derived
from interdict.tables import ais_events
from interdict.util import utcnow


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v))


def save(engine: Engine, events: list[dict[str, Any]], *, engine_name: str, since: datetime | None = None,
         until: datetime | None = None) -> dict[str, int]:
    """Replace the saved events of the window [since, until] (all, when neither is given) with
    `events`, in one transaction."""
    now = utcnow()
    c = ais_events.c
    window = []
    if since is not None:
        window.append(or_(c.start_ts >= since, and_(c.start_ts.is_(None), c.end_ts >= since)))
    if until is not None:
        window.append(or_(c.start_ts <= until, and_(c.start_ts.is_(None), c.end_ts <= until)))
    rows = [{
        "id": e["id"], "type": e["type"], "mmsi": e["mmsi"], "other_mmsi": e["other_mmsi"], "start_ts": e["start"],
        "end_ts": e["end"], "lat": e["lat"], "lon": e["lon"], "details": _json(e["details"]),
        "thresholds": _json(e["thresholds"]), "evidence": _json(e["evidence"]),
        "batches": "," + ",".join(e["batches"]) + ",", "detected_at": now, "engine": engine_name,
    } for e in events]
    with engine.begin() as conn:
        removed = conn.execute(delete(ais_events).where(*window)).rowcount
        if rows:
            ids = [r["id"] for r in rows]
            for start in range(0, len(ids), 500):  # an event found again outside the window replaces its old copy
                conn.execute(delete(ais_events).where(c.id.in_(ids[start:start + 500])))
            for start in range(0, len(rows), 2000):
                conn.execute(ais_events.insert(), rows[start:start + 2000])
    return {"saved": len(rows), "replaced": removed}


def read(engine: Engine, viewer: Viewer, visible_batches: set[str], *, types: tuple[str, ...] = (),
         mmsi: int | None = None, since: datetime | None = None, until: datetime | None = None,
         limit: int | None = None) -> list[dict[str, Any]]:
    """Events the viewer may see: those resting only on batches the viewer may see."""
    c = ais_events.c
    stmt = select(ais_events)
    if types:
        stmt = stmt.where(c.type.in_(types))
    if mmsi is not None:
        stmt = stmt.where(or_(c.mmsi == mmsi, c.other_mmsi == mmsi))
    if since is not None:
        stmt = stmt.where(or_(c.end_ts >= since, c.end_ts.is_(None)))
    if until is not None:
        stmt = stmt.where(or_(c.start_ts <= until, c.start_ts.is_(None)))
    stmt = stmt.order_by(c.start_ts, c.type, c.mmsi, c.id)
    out = []
    with engine.connect() as conn:
        for row in conn.execute(stmt):
            batches = [b for b in row.batches.split(",") if b]
            if not can_see_derived(visible_batches, batches):
                continue
            out.append(to_dict(row, batches))
            if limit is not None and len(out) >= limit:
                break
    return out


def to_dict(row: Any, batches: list[str]) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        if value is None:
            return None
        from datetime import timezone

        value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")

    return {"id": row.id, "type": row.type, "mmsi": row.mmsi, "other_mmsi": row.other_mmsi,
            "start": iso(row.start_ts), "end": iso(row.end_ts), "lat": row.lat, "lon": row.lon,
            "details": json.loads(row.details), "thresholds": json.loads(row.thresholds),
            "evidence": json.loads(row.evidence), "batches": batches, "engine": row.engine}
