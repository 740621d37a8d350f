"""Entity resolution across agencies: candidate duplicates, analysts' judgements, reversible merges.

- Candidates are pairs of entities from different sources whose names or identifiers match:
  the stored screening matches (interdict.intel.watchlist) and, for one entity, a live screening of its
  names against everything the analyst may see.
- A judgement (same / different / unsure) is a record: who, when, why, with a marking. It is
  never deleted; undoing it retracts it, and a new judgement of the same pair supersedes the old.
- A cluster is the set of entities joined by live "same" judgements; its canonical id is derived
  from its members, so undoing a judgement splits the cluster and its ids change back.

Everything is computed for one viewer: a judgement is shown only when the viewer may see the
judgement and both entities, clusters use only those judgements, and a merged entity carries only
the statements the viewer may see. A judgement therefore never exposes a hidden statement or
even a hidden entity's existence.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from typing import Any

from followthemoney import model
from followthemoney.exc import InvalidData
from sqlalchemy import Engine, and_, or_, select, update

from interdict.access import Viewer, visible
from interdict.errors import AuthError, NotFound, ValidationError
from interdict.intel.entities import EntityReader, EntityView, common_schema
from interdict.markings import TLP, Marking
from interdict.tables import judgements, statements
from interdict.util import utcnow

JUDGEMENTS = ("same", "different", "unsure")
JUDGING_ROLES = ("analyst", "admin")


def canonical_id(members: Iterable[str]) -> str:
    return "ic-" + hashlib.sha1(",".join(sorted(members)).encode()).hexdigest()[:20]


def visible_entities(engine: Engine, viewer: Viewer, ids: Iterable[str]) -> set[str]:
    """The ids among `ids` of entities with at least one live statement the viewer may see."""
    wanted = sorted(set(ids))
    out: set[str] = set()
    with engine.connect() as conn:
        for start in range(0, len(wanted), 500):
            out.update(conn.execute(select(statements.c.entity_id).distinct().where(
                statements.c.entity_id.in_(wanted[start:start + 500]), *visible(statements, viewer))).scalars())
    return out


def _as_dict(row: Any) -> dict[str, Any]:
    return {"id": row.id, "left": row.left_id, "right": row.right_id, "judgement": row.judgement,
            "user": row.username, "agency": row.agency, "note": row.note, "score": row.score,
            "marking": Marking.from_row(row).to_dict(), "at": row.created_at.isoformat(),
            "retracted_at": row.retracted_at.isoformat() if row.retracted_at else None, "retracted_by": row.retracted_by}


def list_judgements(engine: Engine, viewer: Viewer, *, entity_ids: Iterable[str] | None = None,
                    include_retracted: bool = False) -> list[dict[str, Any]]:
    """Judgements the viewer may see (the judgement's marking and both entities), newest first."""
    c = judgements.c
    stmt = select(judgements).where(*visible(judgements, viewer, include_retracted=include_retracted)).order_by(c.created_at.desc())
    if entity_ids is not None:
        ids = list(entity_ids)
        stmt = stmt.where(or_(c.left_id.in_(ids), c.right_id.in_(ids)))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    seen = visible_entities(engine, viewer, {r.left_id for r in rows} | {r.right_id for r in rows})
    return [_as_dict(r) for r in rows if r.left_id in seen and r.right_id in seen]


def clusters(engine: Engine, viewer: Viewer) -> dict[str, frozenset[str]]:
    """entity id -> the members of its cluster (only entities merged with at least one other)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for j in list_judgements(engine, viewer):
        if j["judgement"] == "same":
            parent[find(j["left"])] = find(j["right"])
    groups: dict[str, set[str]] = {}
    for x in list(parent):
        groups.setdefault(find(x), set()).add(x)
    return {member: frozenset(group) for group in groups.values() if len(group) > 1 for member in group}


def cluster_of(engine: Engine, viewer: Viewer, entity_id: str) -> frozenset[str]:
    return clusters(engine, viewer).get(entity_id, frozenset({entity_id}))


def judge(engine: Engine, viewer: Viewer, left: str, right: str, judgement: str, *, note: str | None = None,  # noqa: C901 - one refusal per rule of judging, each with its own message
          score: float | None = None, marking: Marking | None = None) -> dict[str, Any]:
    """Record a judgement of the pair; a live judgement of the same pair by the viewer's agency is
    superseded (retracted) in the same transaction."""
    where = f"judgement {left} / {right}"
    if judgement not in JUDGEMENTS:
        raise ValidationError(f"judgement must be one of {', '.join(JUDGEMENTS)}, not {judgement!r}", where=where)
    if not any(viewer.has_role(r) for r in JUDGING_ROLES):
        raise AuthError(f"{viewer.username} may not judge duplicates (needs the analyst or admin role)")
    if left == right:
        raise ValidationError("an entity cannot be judged against itself", where=where)
    seen = visible_entities(engine, viewer, (left, right))
    for entity_id in (left, right):
        if entity_id not in seen:
            raise NotFound(f"no entity {entity_id!r}")
    groups = clusters(engine, viewer)
    group_left, group_right = groups.get(left, frozenset({left})), groups.get(right, frozenset({right}))
    if judgement == "different" and right in group_left:
        raise ValidationError(f"{left} and {right} are merged by 'same' judgements; undo one of them first "
                              f"(interdict resolve judgements --entity {left})", where=where)
    if judgement == "same":
        views = EntityReader(engine).entities(viewer, (left, right))
        try:
            model.common_schema(views[left].schema, views[right].schema)
        except InvalidData:
            raise ValidationError(f"a {views[left].schema} cannot be the same as a {views[right].schema}", where=where) from None
        for j in list_judgements(engine, viewer, entity_ids=group_left | group_right):
            if j["judgement"] == "different" and {j["left"], j["right"]} <= (group_left | group_right) \
                    and not {j["left"], j["right"]} <= group_left and not {j["left"], j["right"]} <= group_right \
                    and {j["left"], j["right"]} != {left, right}:
                raise ValidationError(f"judgement {j['id']} by {j['user']} says {j['left']} and {j['right']} are "
                                      "different; merging would join them (undo it first)", where=where)
    low, high = sorted((left, right))
    now = utcnow()
    record = {"id": str(uuid.uuid4()), "agency": viewer.agency, **(marking or Marking(TLP.GREEN)).columns(),
              "left_id": low, "right_id": high, "judgement": judgement, "username": viewer.username,
              "note": note, "score": score, "created_at": now, "retracted_at": None, "retracted_by": None}
    c = judgements.c
    with engine.begin() as conn:
        conn.execute(update(judgements).where(c.left_id == low, c.right_id == high, c.agency == viewer.agency,
                                              c.retracted_at.is_(None))
                     .values(retracted_at=now, retracted_by=viewer.username))
        conn.execute(judgements.insert(), [record])
        row = conn.execute(select(judgements).where(c.id == record["id"])).one()
    return _as_dict(row)


def undo(engine: Engine, viewer: Viewer, judgement_id: str) -> dict[str, Any]:
    """Retract a live judgement of the viewer's own agency (others record a judgement of their own)."""
    c = judgements.c
    with engine.begin() as conn:
        row = conn.execute(select(judgements).where(c.id == judgement_id, *visible(judgements, viewer, include_retracted=True))).one_or_none()
        if row is None or not {row.left_id, row.right_id} <= visible_entities(engine, viewer, (row.left_id, row.right_id)):
            raise NotFound(f"no judgement {judgement_id!r}")
        if row.retracted_at is not None:
            raise ValidationError(f"already undone by {row.retracted_by} at {row.retracted_at.isoformat()}",
                                  where=f"judgement {judgement_id}")
        if row.agency != viewer.agency:
            raise AuthError(f"judgement {judgement_id} belongs to {row.agency}; record a judgement of your own instead")
        conn.execute(update(judgements).where(and_(c.id == judgement_id, c.retracted_at.is_(None)))
                     .values(retracted_at=utcnow(), retracted_by=viewer.username))
        row = conn.execute(select(judgements).where(c.id == judgement_id)).one()
    return _as_dict(row)


def merged(reader: EntityReader, viewer: Viewer, entity_id: str, members: frozenset[str]) -> EntityView:
    """One entity made of the visible statements of every member, under the cluster's canonical id."""
    views = reader.entities(viewer, members)
    if entity_id not in views:
        raise NotFound(f"no entity {entity_id!r}")
    stmts = [s for m in sorted(views) for s in views[m].statements]
    schema = common_schema(v.schema for v in views.values())
    caption = views[entity_id].caption
    return EntityView(canonical_id(views) if len(views) > 1 else entity_id, schema, caption, stmts)
