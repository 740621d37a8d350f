"""Saved behaviour events: computed per audience (`interdict.audiences`: from what the agencies of
one audience may see, nothing else), replaced per detection window (so re-running never doubles
them) and read back for a viewer from their audience, through the access rule for derived records
(`interdict.access.visible_derived`: every AIS batch an event rests on must still be visible),
decided in the query."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, and_, delete, or_, select, tuple_

from interdict.access import Viewer, visible_derived
from interdict.audiences import Audience, member_of
from interdict.audiences import record as record_audiences
from interdict.tables import DERIVED_EVENT, RESTS_ON_BATCH, ais_batches, ais_events, derived_rests_on, refresh_statistics
from interdict.util import utcnow


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v))


def save(engine: Engine, runs: Mapping[str, list[dict[str, Any]]], audiences: list[Audience], *, engine_name: str,
         since: datetime | None = None, until: datetime | None = None) -> dict[str, int]:
    """Replace the saved events of the window [since, until] (all, when neither is given) with the
    events of each audience (`runs`: audience key -> its events), in one transaction, and record
    the audiences' members (a run over everything forgets earlier audiences)."""
    now = utcnow()
    c = ais_events.c
    window = []
    if since is not None:
        window.append(or_(c.start_ts >= since, and_(c.start_ts.is_(None), c.end_ts >= since)))
    if until is not None:
        window.append(or_(c.start_ts <= until, and_(c.start_ts.is_(None), c.end_ts <= until)))
    rows = [{
        "audience": key, "id": e["id"], "type": e["type"], "mmsi": e["mmsi"], "other_mmsi": e["other_mmsi"],
        "start_ts": e["start"], "end_ts": e["end"], "lat": e["lat"], "lon": e["lon"], "details": _json(e["details"]),
        "thresholds": _json(e["thresholds"]), "evidence": _json(e["evidence"]), "detected_at": now, "engine": engine_name,
    } for key, events in runs.items() for e in events]
    rests = [{"kind": DERIVED_EVENT, "audience": key, "derived_id": e["id"], "record_kind": RESTS_ON_BATCH, "record_id": b}
             for key, events in runs.items() for e in events for b in sorted(set(e["batches"]))]
    r = derived_rests_on.c
    with engine.begin() as conn:
        conn.execute(delete(derived_rests_on).where(r.kind == DERIVED_EVENT, tuple_(r.audience, r.derived_id).in_(
            select(c.audience, c.id).where(*window))))
        removed = conn.execute(delete(ais_events).where(*window)).rowcount
        if rows:
            ids = sorted({r["id"] for r in rows})
            for start in range(0, len(ids), 500):  # an event found again outside the window replaces its old copies
                chunk = ids[start:start + 500]
                conn.execute(delete(derived_rests_on).where(r.kind == DERIVED_EVENT, r.derived_id.in_(chunk)))
                conn.execute(delete(ais_events).where(c.id.in_(chunk)))
            for start in range(0, len(rows), 2000):
                conn.execute(ais_events.insert(), rows[start:start + 2000])
            for start in range(0, len(rests), 5000):
                conn.execute(derived_rests_on.insert(), rests[start:start + 5000])
        record_audiences(conn, DERIVED_EVENT, audiences, replace=since is None and until is None)
        refresh_statistics(conn, ais_events, derived_rests_on, written=len(rows) + len(rests))
    return {"saved": len(rows), "replaced": removed}


def visible_events(viewer: Viewer):  # type: ignore[no-untyped-def]
    """The SQL condition: events of the viewer's audience resting only on AIS batches the viewer
    may see."""
    return and_(member_of(viewer, DERIVED_EVENT, ais_events.c.audience),
                visible_derived(viewer, ais_events.c.id, ais_events.c.audience, derived_rests_on, DERIVED_EVENT,
                                {RESTS_ON_BATCH: ais_batches}))


SORTABLE: dict[str, Callable[[Any], Any]] = {
    "start": lambda c: c.start_ts, "end": lambda c: c.end_ts, "type": lambda c: c.type,
    "mmsi": lambda c: c.mmsi, "other": lambda c: c.other_mmsi,
}


def read(engine: Engine, viewer: Viewer, *, types: tuple[str, ...] = (), mmsi: int | None = None,
         since: datetime | None = None, until: datetime | None = None, limit: int | None = None,
         offset: int = 0, sort: str = "start", descending: bool = False) -> list[dict[str, Any]]:
    """Events the viewer may see (those resting only on batches the viewer may see), oldest first
    or by `sort` (one of SORTABLE), events without that value last."""
    c = ais_events.c
    if sort not in SORTABLE:
        raise ValueError(f"sort: events sort by {', '.join(SORTABLE)}, not {sort!r}")
    stmt = select(ais_events).where(visible_events(viewer))
    if types:
        stmt = stmt.where(c.type.in_(types))
    if mmsi is not None:
        stmt = stmt.where(or_(c.mmsi == mmsi, c.other_mmsi == mmsi))
    if since is not None:
        stmt = stmt.where(or_(c.end_ts >= since, c.end_ts.is_(None)))
    if until is not None:
        stmt = stmt.where(or_(c.start_ts <= until, c.start_ts.is_(None)))
    chosen_column = SORTABLE[sort](c)
    first = (chosen_column.desc() if descending else chosen_column.asc()).nulls_last()
    stmt = stmt.order_by(first, c.start_ts, c.type, c.mmsi, c.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    if offset:
        stmt = stmt.offset(offset)
    r = derived_rests_on.c
    # what the chosen events rest on, in one query over the same selection
    chosen = stmt.with_only_columns(c.audience, c.id).subquery()
    rests = select(r.audience, r.derived_id, r.record_id).where(
        r.kind == DERIVED_EVENT, r.record_kind == RESTS_ON_BATCH,
        tuple_(r.audience, r.derived_id).in_(select(chosen.c.audience, chosen.c.id)))
    batches: dict[tuple[str, str], list[str]] = {}
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
        for audience, derived_id, batch in conn.execute(rests):
            batches.setdefault((audience, derived_id), []).append(batch)
    return [to_dict(row, sorted(batches.get((row.audience, row.id), []))) for row in rows]


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
