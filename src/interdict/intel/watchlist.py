"""Screening on ingest: every AIS vessel (MMSI, IMO, call sign, name) and every entity that is not
itself on a sanctions list is screened against the entities of the node. Hits are kept as matches
(table `entity_matches`): the risk score uses a vessel's matches, entity resolution offers an
entity's matches as candidate duplicates.

A match is derived by the node, once per audience (`interdict.audiences`: the agencies that may
see the same statements, sources and AIS batches) from what that audience may see: its score, its
"listed" flag and which hits make the top few depend on nothing hidden from the audience. It
records what it rests on: the statements on both sides and, for a vessel, the AIS batch its
identity came from (table `derived_rests_on`). A user sees the matches of their audience whose
records are all still visible to them (`interdict.access.visible_derived`, decided in the query).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, select, tuple_

from interdict.access import Viewer, visible, visible_derived
from interdict.audiences import Audience, member_of
from interdict.audiences import record as record_audiences
from interdict.intel.matching import THRESHOLD
from interdict.intel.screening import NAME_PROPS, Hit, ScreeningIndex
from interdict.mmsi import identity_problem
from interdict.tables import (
    DERIVED_MATCH,
    RESTS_ON_BATCH,
    RESTS_ON_STATEMENT,
    ais_batches,
    ais_identities,
    derived_rests_on,
    entity_matches,
    refresh_statistics,
    statements,
)
from interdict.util import utcnow

VESSEL_NAME_THRESHOLD = 0.92  # ship names are short and common: only near-identical names count
CALLSIGN_SCORE = 0.85  # call signs are reassigned: strong, not conclusive
MAX_NAMES_PER_ENTITY = 6
HITS_PER_QUERY = 5


@dataclass(frozen=True)
class Screened:
    vessels: int
    entities: int
    matches: int

    def to_dict(self) -> dict[str, int]:
        return {"vessels_screened": self.vessels, "entities_screened": self.entities, "matches": self.matches}


def _row(kind: str, subject: str, hit: Hit, *, query: str, basis: str, score: float, rests_on: Iterable[str],
         batch: str = "", now=None) -> dict[str, Any]:
    key = "|".join((kind, subject, hit.id, basis, query, batch))
    return {"audience": "", "id": hashlib.sha1(key.encode()).hexdigest(), "subject_kind": kind, "subject": subject,
            "entity_id": hit.id, "listed": hit.listed, "score": round(score, 4), "basis": basis, "query": query,
            "matched": hit.matched_name, "explanation": hit.explanation, "screened_at": now or utcnow(),
            "rests_on": [(RESTS_ON_STATEMENT, s) for s in sorted(set(rests_on))] + ([(RESTS_ON_BATCH, batch)] if batch else [])}


def screen_vessels(engine: Engine, index: ScreeningIndex, *, viewer: Viewer,
                   batches: Iterable[str] | None = None) -> tuple[int, list[dict[str, Any]]]:
    """Matches of the AIS vessels the viewer may see (of the given batches, or all) against the
    Vessel entities of `index` (built for the same viewer)."""
    c = ais_identities.c
    stmt = (select(c.batch_id, c.mmsi, c.name, c.imo, c.callsign).join(ais_batches, ais_batches.c.id == c.batch_id)
            .where(*visible(ais_batches, viewer)).distinct())
    if batches is not None:
        stmt = stmt.where(c.batch_id.in_(list(batches)))
    with engine.connect() as conn:
        identities = conn.execute(stmt).all()
    by_name: dict[str, list[Hit]] = {}
    rows: dict[str, dict[str, Any]] = {}
    now = utcnow()
    vessels = set()
    for batch, mmsi, name, imo, callsign in identities:
        if identity_problem(mmsi):
            continue  # MMSI 0, a test number...: the reports of unrelated ships, not one vessel to screen
        vessels.add(mmsi)
        subject = str(mmsi)
        found: list[tuple[Hit, str, str, float]] = [(h, subject, "mmsi", 1.0) for h in
                                                   index.identifier_hits(subject, props=("mmsi",), schema="Vessel")]
        if imo and 1_000_000 <= int(imo) <= 9_999_999:
            found += [(h, f"IMO{int(imo)}", "imo", 1.0) for h in index.identifier_hits(f"IMO{int(imo)}", props=("imoNumber",))]
        sign = (callsign or "").strip().upper()
        if len(sign) >= 4 and sign.isalnum() and not sign.isdigit():
            found += [(h, sign, "callsign", CALLSIGN_SCORE) for h in
                      index.identifier_hits(sign, props=("callSign",), schema="Vessel")]
        clean = " ".join((name or "").split())
        if len(clean) >= 3 and not clean.replace(" ", "").isdigit():
            if clean not in by_name:
                by_name[clean] = index.screen(clean, schema="Vessel", threshold=VESSEL_NAME_THRESHOLD, limit=HITS_PER_QUERY)
            found += [(h, clean, "name", h.score) for h in by_name[clean]]
        for hit, query, basis, score in found:
            row = _row("vessel", subject, hit, query=query, basis=basis, score=score, rests_on=hit.statements,
                       batch=batch, now=now)
            rows[row["id"]] = row
    return len(vessels), list(rows.values())


def screen_entities(index: ScreeningIndex) -> tuple[int, list[dict[str, Any]]]:
    """Matches of every entity against the entities of other sources (names and identifiers),
    except the entries of imported sanctions lists among themselves: an agency's record of a
    listed bureau (the case file's Office 39) is matched with the list entries, list entries
    are not compared with one another."""
    rows: dict[str, dict[str, Any]] = {}
    now = utcnow()
    subjects = [c for c in index.candidates.values() if c.names and not (c.listed and index.from_lists_only(c))]
    for subject in subjects:
        found: list[tuple[Hit, str, str, list[str]]] = []
        for prop_key, said in subject.evidence.items():
            if ":" in prop_key and prop_key.split(":", 1)[0] not in NAME_PROPS:
                prop, key = prop_key.split(":", 1)
                found += [(h, key, prop, said) for h in index.identifier_hits(key, props=(prop,))]
        for _, name in subject.names[:MAX_NAMES_PER_ENTITY]:
            found += [(h, name, "name", subject.evidence.get(name, [])) for h in
                      index.screen(name, schema=subject.schema, threshold=THRESHOLD, limit=HITS_PER_QUERY)]
        for hit, query, basis, said in found:
            target = index.candidates[hit.id]
            if hit.id == subject.entity_id or (target.sources & subject.sources):
                continue  # one source's own records: that source already tells them apart
            row = _row("entity", subject.entity_id, hit, query=query, basis=basis, score=hit.score,
                       rests_on=[*said, *hit.statements], now=now)
            previous = rows.get(row["id"])
            if previous is None or previous["score"] < row["score"]:
                rows[row["id"]] = row
    return len(subjects), list(rows.values())


def refresh(engine: Engine, audiences: list[Audience], index_for: Callable[[Audience], ScreeningIndex], *,
            vessels: bool = True, entities: bool = True, batches: Iterable[str] | None = None) -> Screened:
    """Screen and replace the stored matches, in one transaction: all vessel matches (or those of
    `batches`), all entity matches. Each audience (interdict.audiences) is screened with the index
    of what it may see (`index_for`), so a hidden statement never makes a match, a "listed" flag,
    or crowds a visible hit out of the top few."""
    batch_list = list(batches) if batches is not None else None
    rows: list[dict[str, Any]] = []
    vessel_count = entity_count = 0
    for audience in audiences:
        index = index_for(audience)
        vessel_seen, vessel_rows = (screen_vessels(engine, index, viewer=audience.viewer, batches=batch_list)
                                    if vessels else (0, []))
        entity_seen, entity_rows = screen_entities(index) if entities else (0, [])
        vessel_count, entity_count = max(vessel_count, vessel_seen), max(entity_count, entity_seen)
        for row in vessel_rows + entity_rows:
            row["audience"] = audience.key
        rows += vessel_rows + entity_rows
    c = entity_matches.c
    r = derived_rests_on.c
    mine = r.kind == DERIVED_MATCH

    def drop(conn: Connection, condition: Any) -> None:
        doomed = select(c.audience, c.id).where(condition)
        conn.execute(delete(derived_rests_on).where(mine, tuple_(r.audience, r.derived_id).in_(doomed)))
        conn.execute(delete(entity_matches).where(condition))

    with engine.begin() as conn:
        if vessels:
            if batch_list is None:
                drop(conn, c.subject_kind == "vessel")
            else:
                for batch in batch_list:
                    drop(conn, and_(c.subject_kind == "vessel", tuple_(c.audience, c.id).in_(
                        select(r.audience, r.derived_id).where(mine, r.record_kind == RESTS_ON_BATCH, r.record_id == batch))))
        if entities:
            drop(conn, c.subject_kind == "entity")
        rests = [{"kind": DERIVED_MATCH, "audience": row["audience"], "derived_id": row["id"], "record_kind": kind,
                  "record_id": record} for row in rows for kind, record in row["rests_on"]]
        for start in range(0, len(rows), 1000):
            conn.execute(entity_matches.insert(), [{k: v for k, v in row.items() if k != "rests_on"}
                                                   for row in rows[start:start + 1000]])
        for start in range(0, len(rests), 5000):
            conn.execute(derived_rests_on.insert(), rests[start:start + 5000])
        record_audiences(conn, DERIVED_MATCH, audiences, replace=vessels and entities and batch_list is None)
        refresh_statistics(conn, entity_matches, derived_rests_on, written=len(rows) + len(rests))
    return Screened(vessel_count, entity_count, len(rows))


def visible_matches(viewer: Viewer):
    """The SQL condition: matches of the viewer's audience resting only on statements and AIS
    batches the viewer may see."""
    return and_(member_of(viewer, DERIVED_MATCH, entity_matches.c.audience),
                visible_derived(viewer, entity_matches.c.id, entity_matches.c.audience, derived_rests_on, DERIVED_MATCH,
                                {RESTS_ON_STATEMENT: statements, RESTS_ON_BATCH: ais_batches}))


def read(engine: Engine, viewer: Viewer, *, subject_kind: str | None = None, subject: str | None = None,
         entity_id: str | None = None, listed: bool | None = None) -> list[dict[str, Any]]:
    """The matches the viewer may see, best first; a vessel's matches from several batches are
    shown once (the best of them)."""
    c = entity_matches.c
    stmt = select(entity_matches).where(visible_matches(viewer))
    for column, value in ((c.subject_kind, subject_kind), (c.subject, subject), (c.entity_id, entity_id), (c.listed, listed)):
        if value is not None:
            stmt = stmt.where(column == value)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    best: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in rows:
        key = (r["subject"], r["entity_id"], r["basis"])
        if key not in best or (-r["score"], r["id"]) < (-best[key]["score"], best[key]["id"]):
            best[key] = r  # the best score; among equals the same row whatever order the database gives
    out = []
    for r in best.values():
        out.append({"id": r["id"], "subject_kind": r["subject_kind"], "subject": r["subject"], "entity_id": r["entity_id"],
                    "listed": bool(r["listed"]), "score": r["score"], "basis": r["basis"], "query": r["query"],
                    "matched": r["matched"], "explanation": r["explanation"],
                    "screened_at": r["screened_at"].isoformat() if r["screened_at"] else None})
    out.sort(key=lambda m: (-m["score"], m["subject"], m["entity_id"]))
    return out


def by_vessel(matches: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for m in matches:
        if m["subject_kind"] == "vessel":
            out[int(m["subject"])].append(m)
    return out
