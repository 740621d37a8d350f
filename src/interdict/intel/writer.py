"""Writing a dataset: sources, statements and claims of one agency, in one transaction.

Record ids are derived from their content key (agency, dataset, entity, property, value, source),
so loading the same dataset twice changes nothing. A record whose grade, marking or details changed
gets a new version; a record that disappeared from the dataset is retracted (kept, with a
retraction time and a new version) so the change can be synchronised to other nodes.

Names are per agency: a dataset is the agency's own (two agencies may each have a dataset
"notes" without touching each other's), and a source is stored as `AGENCY:declared-id`
(`source_key`), so no write can collide with, or be refused because of, another agency's names --
a refusal would tell the writer that a name it may not see exists. For the same reason a statement
written under an entity id that exists only in records the writer may not see is *detached*
(column `detached`): the writer sees it as usual, no other agency does, and nothing is added to
the hidden entity (`interdict.access.visible`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, select, update

from interdict.errors import ValidationError
from interdict.markings import TLP, Grade, Marking
from interdict.tables import agencies, claims, imports, source_key, sources, statements
from interdict.util import stable_uuid, utcnow


@dataclass(frozen=True)
class SourceRecord:
    id: str
    title: str
    kind: str
    reliability: str
    marking: Marking
    publisher: str | None = None
    published: str | None = None
    url: str | None = None
    notes: str | None = None

    def columns(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "kind": self.kind,
            "reliability": self.reliability,
            "publisher": self.publisher,
            "published": self.published,
            "url": self.url,
            "notes": self.notes,
            **self.marking.columns(),
        }


@dataclass(frozen=True)
class StatementRecord:
    entity_id: str
    schema: str
    prop: str
    prop_type: str
    value: str
    source_id: str
    grade: Grade
    marking: Marking
    lang: str | None = None
    original_value: str | None = None

    def record_id(self, dataset: str, agency: str) -> str:
        return stable_uuid("statement", agency, dataset, self.entity_id, self.prop, self.value, self.source_id)

    def columns(self) -> dict[str, Any]:
        return {
            "entity_id": self.entity_id,
            "schema": self.schema,
            "prop": self.prop,
            "prop_type": self.prop_type,
            "value": self.value,
            "lang": self.lang,
            "original_value": self.original_value,
            "source_id": self.source_id,
            "reliability": self.grade.reliability,
            "credibility": self.grade.credibility,
            **self.marking.columns(),
        }


@dataclass(frozen=True)
class ClaimRecord:
    key: str
    text: str
    quantity: str
    unit: str
    reading: str
    source_id: str
    grade: Grade
    marking: Marking
    entity_id: str | None = None
    low: float | None = None
    best: float | None = None
    high: float | None = None
    period_start: str | None = None
    period_end: str | None = None

    def record_id(self, dataset: str, agency: str) -> str:
        return stable_uuid("claim", agency, dataset, self.key)

    def columns(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "entity_id": self.entity_id,
            "text": self.text,
            "quantity": self.quantity,
            "unit": self.unit,
            "low": self.low,
            "best": self.best,
            "high": self.high,
            "period_start": self.period_start,
            "period_end": self.period_end,
            "reading": self.reading,
            "source_id": self.source_id,
            "reliability": self.grade.reliability,
            "credibility": self.grade.credibility,
            **self.marking.columns(),
        }


@dataclass
class WriteCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    retracted: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class DatasetWrite:
    dataset: str
    agency: str
    sources: list[SourceRecord] = field(default_factory=list)
    statements: list[StatementRecord] = field(default_factory=list)
    claims: list[ClaimRecord] = field(default_factory=list)


MAX_SOURCE_ID = 128  # sources.id


def hidden_entities(conn: Connection, entity_ids: set[str], agency: str) -> set[str]:
    """Of `entity_ids`, those that exist in live records of other agencies of which the writing
    agency may see none: statements written under them are detached (see the module's doc)."""
    from interdict.access import Viewer, visible

    if not entity_ids:
        return set()
    row = conn.execute(select(agencies).where(agencies.c.code == agency)).first()
    if row is None:
        raise ValidationError(f"unknown agency {agency!r} (register it with `interdict agency add`)", where="agency")
    writer = Viewer(username=f"writer:{agency}", agency=agency, country=row.country, law_enforcement=row.law_enforcement)
    c = statements.c
    others: set[str] = set()
    seen: set[str] = set()
    ids = sorted(entity_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        others |= set(conn.execute(select(c.entity_id).where(c.entity_id.in_(chunk), c.agency != agency,
                                                              c.retracted_at.is_(None)).distinct()).scalars())
        seen |= set(conn.execute(select(c.entity_id).where(c.entity_id.in_(chunk), c.agency != agency,
                                                            *visible(statements, writer)).distinct()).scalars())
    return others - seen


def sync_records(conn: Connection, table: Table, dataset: str, agency: str, wanted: dict[str, dict[str, Any]],
                 *, uncompared: frozenset[str] = frozenset()) -> WriteCounts:
    """Make the dataset's rows in `table` equal `wanted` (id -> columns), versioning changes.
    Columns in `uncompared` (where a record was read from, say) are written with a change but
    are not a change themselves: re-importing the same rows from a renamed file changes nothing."""
    counts = WriteCounts()
    now = utcnow()
    compared = [name for name in next(iter(wanted.values()), {}) if name not in uncompared]
    columns = [table.c.id, table.c.version, table.c.retracted_at, *[table.c[name] for name in compared]]
    existing = {row.id: row for row in conn.execute(select(*columns).where(table.c.dataset == dataset,
                                                                           table.c.agency == agency))}
    inserts = []
    for record_id, values in wanted.items():
        row = existing.get(record_id)
        if row is None:
            inserts.append({"id": record_id, "dataset": dataset, "agency": agency, "created_at": now,
                            "updated_at": now, "version": 1, **values})
            counts.added += 1
        elif row.retracted_at is not None or any(getattr(row, k) != values[k] for k in compared):
            conn.execute(
                update(table).where(table.c.id == record_id)
                .values(**values, retracted_at=None, updated_at=now, version=row.version + 1)
            )
            counts.updated += 1
        else:
            counts.unchanged += 1
    if inserts:
        conn.execute(table.insert(), inserts)
    for record_id, row in existing.items():
        if record_id not in wanted and row.retracted_at is None:
            conn.execute(
                update(table).where(table.c.id == record_id)
                .values(retracted_at=now, updated_at=now, version=row.version + 1)
            )
            counts.retracted += 1
    return counts


def write_dataset(conn: Connection, write: DatasetWrite, *, path: str, sha256: str) -> dict[str, dict[str, int]]:
    """Write sources, statements and claims of one dataset on `conn` (the caller's transaction)."""
    from interdict.accounts import check_release_codes

    agency = write.agency
    first_use: dict[frozenset[str], str] = {}  # each distinct releasable-to list, and the first record using it
    for kind, records in (("source", write.sources), ("statement", write.statements), ("claim", write.claims)):
        for record in records:
            if record.marking.releasable_to and record.marking.releasable_to not in first_use:
                name = getattr(record, "entity_id", None) or getattr(record, "id", "")
                first_use[record.marking.releasable_to] = f"{write.dataset}: {kind} {name}"
    for codes, where in first_use.items():
        check_release_codes(conn, [Marking(TLP.CLEAR, codes)], where=where)
    source_counts = write_sources(conn, write.sources, dataset=write.dataset, agency=agency)
    detached = hidden_entities(conn, {s.entity_id for s in write.statements}, agency)

    def stored(columns: dict[str, Any]) -> dict[str, Any]:
        return {**columns, "source_id": source_key(agency, columns["source_id"]) if columns["source_id"] else None}

    statement_rows = {s.record_id(write.dataset, agency): {**stored(s.columns()), "detached": s.entity_id in detached}
                      for s in write.statements}
    claim_rows = {c.record_id(write.dataset, agency): stored(c.columns()) for c in write.claims}
    result = {
        "sources": source_counts.to_dict(),
        "statements": sync_records(conn, statements, write.dataset, write.agency, statement_rows).to_dict(),
        "claims": sync_records(conn, claims, write.dataset, write.agency, claim_rows).to_dict(),
    }
    conn.execute(
        imports.insert().values(
            id=stable_uuid("import", write.dataset, sha256, utcnow().isoformat()),
            dataset=write.dataset,
            path=path,
            sha256=sha256,
            agency=write.agency,
            loaded_at=utcnow(),
            counts=json.dumps(result, sort_keys=True),
        )
    )
    return result


def write_sources(conn: Connection, records: list[SourceRecord], *, dataset: str, agency: str) -> WriteCounts:
    # Sources are shared across datasets by id (the same brief may back several datasets), so
    # they are upserted, never retracted with a dataset.
    counts = WriteCounts()
    now = utcnow()
    for source in records:
        key = source_key(agency, source.id)
        if len(key) > MAX_SOURCE_ID:
            raise ValidationError(f"source id {source.id!r} is too long: at most {MAX_SOURCE_ID - len(agency) - 1} "
                                  f"characters for agency {agency}", where=f"source {source.id}")
        row = conn.execute(select(sources).where(sources.c.id == key)).first()
        values = source.columns()
        if row is None:
            conn.execute(sources.insert().values(id=key, agency=agency, dataset=dataset,
                                                 created_at=now, updated_at=now, version=1, **values))
            counts.added += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            conn.execute(update(sources).where(sources.c.id == key)
                         .values(**values, updated_at=now, version=row.version + 1))
            counts.updated += 1
        else:
            counts.unchanged += 1
    return counts
