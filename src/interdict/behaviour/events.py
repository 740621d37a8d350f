"""Saved behaviour events: replaced per detection window (so re-running never doubles them) and
read back through the access rule for derived records (`interdict.access.visible_derived`: an event
is shown only to a viewer who may see every AIS batch it rests on, decided in the query)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, and_, delete, or_, select

from interdict.access import Viewer, visible_derived
from interdict.tables import DERIVED_EVENT, RESTS_ON_BATCH, ais_batches, ais_events, derived_rests_on, refresh_statistics
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
        "thresholds": _json(e["thresholds"]), "evidence": _json(e["evidence"]), "detected_at": now, "engine": engine_name,
    } for e in events]
    rests = [{"kind": DERIVED_EVENT, "derived_id": e["id"], "record_kind": RESTS_ON_BATCH, "record_id": b}
             for e in events for b in sorted(set(e["batches"]))]
    r = derived_rests_on.c
    with engine.begin() as conn:
        conn.execute(delete(derived_rests_on).where(r.kind == DERIVED_EVENT,
                                                    r.derived_id.in_(select(c.id).where(*window))))
        removed = conn.execute(delete(ais_events).where(*window)).rowcount
        if rows:
            ids = [r["id"] for r in rows]
            for start in range(0, len(ids), 500):  # an event found again outside the window replaces its old copy
                chunk = ids[start:start + 500]
                conn.execute(delete(derived_rests_on).where(r.kind == DERIVED_EVENT, r.derived_id.in_(chunk)))
                conn.execute(delete(ais_events).where(c.id.in_(chunk)))
            for start in range(0, len(rows), 2000):
                conn.execute(ais_events.insert(), rows[start:start + 2000])
            for start in range(0, len(rests), 5000):
                conn.execute(derived_rests_on.insert(), rests[start:start + 5000])
        refresh_statistics(conn, ais_events, derived_rests_on, written=len(rows) + len(rests))
    return {"saved": len(rows), "replaced": removed}


def visible_events(viewer: Viewer):  # type: ignore[no-untyped-def]
    """The SQL condition: events resting only on AIS batches the viewer may see."""
    return visible_derived(viewer, ais_events.c.id, derived_rests_on, DERIVED_EVENT, {RESTS_ON_BATCH: ais_batches})


def read(engine: Engine, viewer: Viewer, *, types: tuple[str, ...] = (), mmsi: int | None = None,
         since: datetime | None = None, until: datetime | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Events the viewer may see, oldest first: those resting only on batches the viewer may see."""
    c = ais_events.c
    stmt = select(ais_events).where(visible_events(viewer))
    if types:
        stmt = stmt.where(c.type.in_(types))
    if mmsi is not None:
        stmt = stmt.where(or_(c.mmsi == mmsi, c.other_mmsi == mmsi))
    if since is not None:
        stmt = stmt.where(or_(c.end_ts >= since, c.end_ts.is_(None)))
    if until is not None:
        stmt = stmt.where(or_(c.start_ts <= until, c.start_ts.is_(None)))
    stmt = stmt.order_by(c.start_ts, c.type, c.mmsi, c.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    r = derived_rests_on.c
    # what the chosen events rest on, in one query over the same selection
    chosen = stmt.with_only_columns(c.id).subquery()
    rests = select(r.derived_id, r.record_id).where(r.kind == DERIVED_EVENT, r.record_kind == RESTS_ON_BATCH,
                                                   r.derived_id.in_(select(chosen.c.id)))
    batches: dict[str, list[str]] = {}
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
        for derived_id, batch in conn.execute(rests):
            batches.setdefault(derived_id, []).append(batch)
    return [to_dict(row, sorted(batches.get(row.id, []))) for row in rows]


def to_dict(row: Any, batches: list[str]) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        if value is None:
            return None

        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")

    return {"id": row.id, "type": row.type, "mmsi": row.mmsi, "other_mmsi": row.other_mmsi,
            "start": iso(row.start_ts), "end": iso(row.end_ts), "lat": row.lat, "lon": row.lon,
            "details": json.loads(row.details), "thresholds": json.loads(row.thresholds),
            "evidence": json.loads(row.evidence), "batches": batches, "engine": row.engine}
