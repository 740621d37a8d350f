"""Reading entities, claims and sources, always as a given viewer.

Every query here filters with `interdict.access.visible`: an entity's view is assembled
only from statements the viewer may see, so a hidden statement leaves no trace (no count, no
placeholder, no schema hint). An entity none of whose statements is visible does not exist for
that viewer: it raises the same `NotFound` as an id that was never stored.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, distinct, func, select

from interdict.access import Purpose, Viewer, visible
from interdict.errors import NotFound
from interdict.markings import Banner, Grade, Marking, highest
from interdict.tables import claims, sources, statements
from interdict.util import LazyFtM

model = LazyFtM("model")
registry = LazyFtM("registry")

SEARCHABLE_TYPES = ("name", "identifier")


@dataclass(frozen=True)
class SourceRef:
    id: str
    title: str
    publisher: str | None
    published: str | None
    url: str | None
    kind: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class StatementView:
    id: str
    entity_id: str
    schema: str
    prop: str
    prop_type: str
    value: str
    agency: str
    grade: Grade
    marking: Marking
    source: SourceRef | None
    version: int
    updated_at: datetime

    @property
    def display(self) -> str:
        """The value as people read it (country names rather than ISO codes, for instance)."""
        kind = registry.get(self.prop_type)
        if kind is None or kind.name in ("entity", "text", "string"):
            return self.value
        return kind.caption(self.value) or self.value

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "prop": self.prop,
            "value": self.value,
            "display": self.display,
            "agency": self.agency,
            "grade": self.grade.code,
            "grade_meaning": self.grade.meaning,
            "marking": self.marking.to_dict(),
            "source": self.source.to_dict() if self.source else None,
            "version": self.version,
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass
class EntityView:
    id: str
    schema: str
    caption: str
    statements: list[StatementView]
    relations: list[Relation] = field(default_factory=list)

    @property
    def properties(self) -> dict[str, list[StatementView]]:
        grouped: dict[str, list[StatementView]] = defaultdict(list)
        for stmt in self.statements:
            grouped[stmt.prop].append(stmt)
        schema = model.get(self.schema)
        order = {name: i for i, name in enumerate(schema.properties)} if schema else {}
        return dict(sorted(grouped.items(), key=lambda kv: (kv[0] not in ("name",), order.get(kv[0], 999), kv[0])))

    def prop_label(self, prop: str) -> str:
        schema = model.get(self.schema)
        return schema.properties[prop].label if schema and prop in schema.properties else prop

    @property
    def banner(self) -> Banner:
        shown = [s.marking for s in self.statements]
        for relation in self.relations:
            shown.extend(s.marking for s in relation.statements)
        return highest(shown)

    def ftm(self) -> dict[str, Any]:
        """FollowTheMoney entity dict (id, schema, properties) of what the viewer sees."""
        return _ftm_dict(self.id, self.schema, self.statements)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "schema": self.schema,
            "caption": self.caption,
            "properties": {prop: [s.to_dict() for s in stmts] for prop, stmts in self.properties.items()},
            "relations": [r.to_dict() for r in self.relations],
            "banner": self.banner.to_dict(),
        }


@dataclass
class Relation:
    """Another entity that links to this one (an Ownership, Membership, Event, ...) or that this
    one links to, with the linking statements and the other side's caption."""

    via_id: str
    via_schema: str
    via_caption: str
    prop: str
    direction: str  # "in": via points at us; "out": we point at via
    statements: list[StatementView]
    others: list[tuple[str, str, str]]  # (prop label, entity id, caption) of the other ends

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.via_id,
            "schema": self.via_schema,
            "caption": self.via_caption,
            "prop": self.prop,
            "direction": self.direction,
            "others": [{"prop": p, "id": i, "caption": c} for p, i, c in self.others],
            "statements": [s.to_dict() for s in self.statements],
        }


@dataclass(frozen=True)
class ClaimView:
    id: str
    key: str
    entity_id: str | None
    text: str
    quantity: str
    unit: str
    low: float | None
    best: float | None
    high: float | None
    period_start: str | None
    period_end: str | None
    reading: str
    agency: str
    grade: Grade
    marking: Marking
    source: SourceRef | None

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k not in ("grade", "marking", "source")}
        data["grade"] = self.grade.code
        data["marking"] = self.marking.to_dict()
        data["source"] = self.source.to_dict() if self.source else None
        return data


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _live(table, viewer: Viewer, purpose: Purpose = Purpose.VIEW):
    """Rows of `table` the viewer may see that are not retracted."""
    return visible(table, viewer, purpose)


class EntityReader:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- building blocks ------------------------------------------------------------------
    def _sources(self, conn: Connection, viewer: Viewer, ids: Iterable[str]) -> dict[str, SourceRef]:
        wanted = {i for i in ids if i}
        if not wanted:
            return {}
        rows = conn.execute(select(sources).where(sources.c.id.in_(wanted), *visible(sources, viewer)))
        return {r.id: SourceRef(r.id, r.title, r.publisher, r.published, r.url, r.kind) for r in rows}

    def _statements(
        self, conn: Connection, viewer: Viewer, entity_ids: Iterable[str], purpose: Purpose = Purpose.VIEW
    ) -> dict[str, list[StatementView]]:
        ids = list(set(entity_ids))
        out: dict[str, list[StatementView]] = defaultdict(list)
        if not ids:
            return out
        rows = conn.execute(
            select(statements)
            .where(statements.c.entity_id.in_(ids), *_live(statements, viewer, purpose))
            .order_by(statements.c.entity_id, statements.c.prop, statements.c.value)
        ).all()
        refs = self._sources(conn, viewer, (r.source_id for r in rows))
        # a link to an entity the viewer may not see is no link: it would tell the hidden entity's id
        targets = {r.value for r in rows if r.prop_type == "entity"}
        reachable = self._existing(conn, viewer, targets, purpose)
        for r in rows:
            if r.prop_type == "entity" and r.value not in reachable:
                continue
            out[r.entity_id].append(
                StatementView(
                    id=r.id,
                    entity_id=r.entity_id,
                    schema=r.schema,
                    prop=r.prop,
                    prop_type=r.prop_type,
                    value=r.value,
                    agency=r.agency,
                    grade=Grade(r.reliability, r.credibility),
                    marking=Marking.from_row(r),
                    source=refs.get(r.source_id),
                    version=r.version,
                    updated_at=_utc(r.updated_at),
                )
            )
        return out

    def _existing(self, conn: Connection, viewer: Viewer, entity_ids: set[str], purpose: Purpose) -> set[str]:
        """The entities among `entity_ids` of which the viewer may see at least one statement."""
        found: set[str] = set()
        wanted = sorted(entity_ids)
        for start in range(0, len(wanted), 500):
            found.update(conn.execute(
                select(statements.c.entity_id).where(statements.c.entity_id.in_(wanted[start:start + 500]),
                                                     *_live(statements, viewer, purpose)).distinct()).scalars())
        return found

    def _views(self, conn: Connection, viewer: Viewer, entity_ids: Iterable[str], purpose: Purpose = Purpose.VIEW) -> dict[str, EntityView]:
        grouped = self._statements(conn, viewer, entity_ids, purpose)
        views = {}
        for entity_id, stmts in grouped.items():
            schema = common_schema(s.schema for s in stmts)
            views[entity_id] = EntityView(entity_id, schema, _caption(entity_id, schema, stmts), stmts)
        return views

    # -- public reads ---------------------------------------------------------------------
    def entities(self, viewer: Viewer, entity_ids: Iterable[str]) -> dict[str, EntityView]:
        """Views of the given entities the viewer may see (hidden or missing ones are absent)."""
        with self.engine.connect() as conn:
            return self._views(conn, viewer, list(entity_ids))

    def entity(self, viewer: Viewer, entity_id: str) -> EntityView:
        with self.engine.connect() as conn:
            view = self._views(conn, viewer, [entity_id]).get(entity_id)
            if view is None:
                raise NotFound(f"no entity {entity_id!r}")
            view.relations = self._relations(conn, viewer, view)
        return view

    def _relations(self, conn: Connection, viewer: Viewer, view: EntityView) -> list[Relation]:
        incoming = conn.execute(
            select(statements.c.entity_id, statements.c.prop)
            .where(statements.c.prop_type == "entity", statements.c.value == view.id, *_live(statements, viewer))
            .distinct()
        ).all()
        outgoing = [(s.value, s.prop) for s in view.statements if s.prop_type == "entity"]
        linked = self._views(conn, viewer, [r.entity_id for r in incoming] + [v for v, _ in outgoing])
        # the far ends of each linking entity (e.g. the owner of an Ownership whose asset is us)
        far_ids = {s.value for v in linked.values() for s in v.statements if s.prop_type == "entity" and s.value != view.id}
        far = self._views(conn, viewer, far_ids)
        relations = []
        for direction, pairs in (("in", [(r.entity_id, r.prop) for r in incoming]), ("out", outgoing)):
            for other_id, prop in pairs:
                other = linked.get(other_id)
                if other is None:
                    continue  # the linked entity is not visible at all: nothing to show
                others = [
                    (other.prop_label(s.prop), s.value, far[s.value].caption)
                    for s in other.statements
                    if s.prop_type == "entity" and s.value != view.id and s.value in far
                ]
                relations.append(Relation(other.id, other.schema, other.caption, prop, direction,
                                          [s for s in other.statements if s.prop_type != "entity"], others))
        return relations

    def search(self, viewer: Viewer, query: str, *, schema: str | None = None, limit: int | None = 25,
               text: SearchText | None = None) -> list[EntityView]:
        """Entities with a name or identifier containing `query` (any case), exact matches first,
        then those starting with it. `text`: the viewer's `searchable` values, read once and kept
        (the web app caches them per data version); without it the database is scanned."""
        needle = query.strip().lower()
        ranked: dict[str, int] = {}
        with self.engine.connect() as conn:
            if text is not None:
                found: Iterable[tuple[str, str]] = text.containing(needle)
            else:
                stmt = select(statements.c.entity_id, statements.c.value).where(
                    statements.c.prop_type.in_(SEARCHABLE_TYPES), *_live(statements, viewer))
                if needle:
                    stmt = stmt.where(func.lower(statements.c.value).contains(needle, autoescape=True))
                found = ((r[0], r[1]) for r in conn.execute(stmt))
            for entity_id, value in found:
                value_l = value.lower()
                rank = 0 if value_l == needle else 1 if value_l.startswith(needle) else 2
                ranked[entity_id] = min(rank, ranked.get(entity_id, 9))
            views = self._views(conn, viewer, ranked)
        matched = [v for v in views.values() if schema is None or model.get(v.schema).is_a(schema)]
        matched.sort(key=lambda v: (ranked[v.id], v.caption.lower()))
        return matched[:limit]

    def searchable(self, viewer: Viewer) -> SearchText:
        """Every name and identifier the viewer may see, for `search`."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(statements.c.entity_id, statements.c.value)
                                .where(statements.c.prop_type.in_(SEARCHABLE_TYPES), *_live(statements, viewer))).all()
        return SearchText([r[0] for r in rows], [r[1] for r in rows])

    def claims(self, viewer: Viewer, *, entity_id: str | None = None) -> list[ClaimView]:
        with self.engine.connect() as conn:
            stmt = select(claims).where(*_live(claims, viewer)).order_by(claims.c.key)
            if entity_id:
                stmt = stmt.where(claims.c.entity_id == entity_id)
            rows = conn.execute(stmt).all()
            refs = self._sources(conn, viewer, (r.source_id for r in rows))
        return [
            ClaimView(
                id=r.id, key=r.key, entity_id=r.entity_id, text=r.text, quantity=r.quantity, unit=r.unit,
                low=r.low, best=r.best, high=r.high, period_start=r.period_start, period_end=r.period_end,
                reading=r.reading, agency=r.agency, grade=Grade(r.reliability, r.credibility),
                marking=Marking.from_row(r), source=refs.get(r.source_id),
            )
            for r in rows
        ]

    def sources(self, viewer: Viewer) -> list[SourceRef]:
        return [ref for ref, _ in self.sources_by_id(viewer).values()]

    def sources_by_id(self, viewer: Viewer, ids: set[str] | list[str] | None = None) -> dict[str, tuple[SourceRef, Marking]]:
        """The sources among `ids` (all, when None) that the viewer may see, by id, each with its
        own marking."""
        if ids is not None and not ids:
            return {}
        query = select(sources).where(*visible(sources, viewer)).order_by(sources.c.id)
        if ids is not None:
            query = query.where(sources.c.id.in_(list(ids)))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return {r.id: (SourceRef(r.id, r.title, r.publisher, r.published, r.url, r.kind), Marking.from_row(r)) for r in rows}

    def overview(self, viewer: Viewer, *, latest: int = 10) -> dict[str, Any]:
        """Counts and the latest-changed entities, all computed over visible records only."""
        with self.engine.connect() as conn:
            live = _live(statements, viewer)
            entity_count = conn.execute(select(func.count(distinct(statements.c.entity_id))).where(*live)).scalar()
            statement_count = conn.execute(select(func.count()).select_from(statements).where(*live)).scalar()
            claim_count = conn.execute(select(func.count()).select_from(claims).where(*_live(claims, viewer))).scalar()
            source_count = conn.execute(
                select(func.count()).select_from(sources).where(*visible(sources, viewer))
            ).scalar()
            by_schema_rows = conn.execute(
                select(statements.c.entity_id, statements.c.schema).where(*live).distinct()
            ).all()
            recent = conn.execute(
                select(statements.c.entity_id, func.max(statements.c.updated_at).label("changed"))
                .where(*live)
                .group_by(statements.c.entity_id)
                .order_by(func.max(statements.c.updated_at).desc(), statements.c.entity_id)
                .limit(latest)
            ).all()
            views = self._views(conn, viewer, [r.entity_id for r in recent])
        schemata: dict[str, set[str]] = defaultdict(set)
        for entity_id, schema_name in by_schema_rows:
            schemata[entity_id].add(schema_name)
        by_schema: dict[str, int] = defaultdict(int)
        for names in schemata.values():
            by_schema[common_schema(names)] += 1
        return {
            "entities": entity_count,
            "statements": statement_count,
            "claims": claim_count,
            "sources": source_count,
            "by_schema": dict(sorted(by_schema.items())),
            "latest": [
                {"id": r.entity_id, "schema": views[r.entity_id].schema, "caption": views[r.entity_id].caption,
                 "changed": _utc(r.changed).isoformat()}
                for r in recent
                if r.entity_id in views
            ],
        }

    def export_ftm(self, viewer: Viewer) -> Iterator[dict[str, Any]]:
        """FtM entity dicts of everything the viewer may pass on outside the node."""
        with self.engine.connect() as conn:
            ids = conn.execute(
                select(statements.c.entity_id).where(*_live(statements, viewer, Purpose.DISSEMINATE))
                .distinct().order_by(statements.c.entity_id)
            ).scalars().all()
            for start in range(0, len(ids), 500):
                views = self._views(conn, viewer, ids[start : start + 500], Purpose.DISSEMINATE)
                for entity_id in ids[start : start + 500]:
                    if entity_id in views:
                        yield views[entity_id].ftm()


class SearchText:
    """Names and identifiers held as one lower-cased text, so that finding every value containing
    a string is a scan in C (str.find) rather than a table scan per query."""

    def __init__(self, entity_ids: list[str], values: list[str]) -> None:
        self.entity_ids = entity_ids
        self.values = values
        # values never contain the separator (a line break inside a name is searched as a space)
        lowered = [v.lower().replace("\n", " ") for v in values]
        self.starts: list[int] = []
        position = 0
        for value in lowered:
            self.starts.append(position)
            position += len(value) + 1
        self.blob = "\n".join(lowered)

    def containing(self, needle: str) -> Iterator[tuple[str, str]]:
        """(entity id, value) of every value containing `needle` (all values for an empty one)."""
        if not needle:
            yield from zip(self.entity_ids, self.values, strict=True)
            return
        if "\n" in needle:
            return
        last = -1
        position = self.blob.find(needle)
        while position >= 0:
            index = bisect_right(self.starts, position) - 1
            if index != last:
                yield self.entity_ids[index], self.values[index]
                last = index
            position = self.blob.find(needle, position + 1)


def common_schema(names: Iterable[str]) -> str:
    """The most specific schema compatible with all given ones (first wins on a conflict)."""
    from followthemoney.exc import InvalidData

    result = None
    for name in names:
        if result is None:
            result = model.get(name)
            continue
        try:
            result = model.common_schema(result, name)
        except InvalidData:
            continue
    return result.name if result else "Thing"


def _ftm_dict(entity_id: str, schema: str, stmts: Iterable[StatementView]) -> dict[str, Any]:
    props: dict[str, list[str]] = defaultdict(list)
    for s in stmts:
        if s.value not in props[s.prop]:
            props[s.prop].append(s.value)
    return {"id": entity_id, "schema": schema, "properties": dict(props)}


def _caption(entity_id: str, schema: str, stmts: list[StatementView]) -> str:
    proxy = model.get_proxy(_ftm_dict(entity_id, schema, stmts), cleaned=True)
    return proxy.caption or entity_id
