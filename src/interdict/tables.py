"""Database tables (SQLAlchemy Core). Alembic migrations in `interdict/migrations` create them;
`tests/test_migrations.py` proves the migrations and these definitions agree.

Every shared record (source, statement, claim, and later AIS events, seizures, cases) carries the
same record columns: a stable UUID, originating agency, created/updated timestamps, a version
number for node-to-node sync, source and Admiralty grade, handling markings, and a retraction
time (records are retracted, never deleted, so a retraction can be synchronised too).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def marking_columns() -> list[Column[Any]]:
    return [
        Column("agency", String(32), ForeignKey("agencies.code"), nullable=False),
        Column("tlp", String(12), nullable=False),
        Column("releasable_to", Text, nullable=False, default=""),
        Column("orcon", Boolean, nullable=False, default=False),
        Column("handling", String(2), nullable=True),
    ]


def record_columns() -> list[Column[Any]]:
    return [
        Column("id", String(36), primary_key=True),
        *marking_columns(),
        Column("source_id", String(128), ForeignKey("sources.id"), nullable=True),
        Column("reliability", String(1), nullable=False),
        Column("credibility", String(1), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("version", Integer, nullable=False, default=1),
        Column("retracted_at", DateTime(timezone=True), nullable=True),
        Column("dataset", String(128), nullable=False),
    ]


agencies = Table(
    "agencies",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("country", String(3), nullable=False),
    Column("law_enforcement", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("agency", String(32), ForeignKey("agencies.code"), nullable=False),
    Column("display_name", Text, nullable=False),
    Column("roles", Text, nullable=False),
    Column("password_hash", Text, nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("failed_logins", Integer, nullable=False, default=0, server_default="0"),  # since the last success or lock
    Column("locked_until", DateTime(timezone=True), nullable=True),  # too many failed logins: refused until then
    Column("password_changed_at", DateTime(timezone=True), nullable=True),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("expires_at", DateTime(timezone=True), nullable=True),  # NULL: never (asked for explicitly)
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

# Web login sessions, kept on the server so that logging out, an idle or an absolute timeout ends
# them for good (the signed cookie only carries the session's random id).
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=True),
)

sources = Table(
    "sources",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("title", Text, nullable=False),
    Column("publisher", Text, nullable=True),
    Column("published", String(10), nullable=True),
    Column("url", Text, nullable=True),
    Column("kind", String(32), nullable=False),
    Column("reliability", String(1), nullable=False),
    Column("notes", Text, nullable=True),
    *marking_columns(),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False, default=1),
    Column("dataset", String(128), nullable=False),
)

def source_key(agency: str, declared: str) -> str:
    """The stored id of a source an agency declared: sources are named per agency, so two agencies
    may each have a source "report-1" (interdict.intel.writer)."""
    return f"{agency}:{declared}"


statements = Table(
    "statements",
    metadata,
    *record_columns(),
    Column("entity_id", String(128), nullable=False, index=True),
    Column("schema", String(64), nullable=False),
    Column("prop", String(64), nullable=False),
    Column("prop_type", String(32), nullable=False),
    Column("value", Text, nullable=False),
    Column("lang", String(8), nullable=True),
    Column("original_value", Text, nullable=True),
    # written under an entity id that existed only in records its agency may not see: shown to
    # its own agency alone, so no agency can add to (or learn of) another's hidden entity
    Column("detached", Boolean, nullable=False, default=False, server_default=text("false")),
    # Reverse references (who points at this entity). Partial: long texts such as notes would
    # overflow PostgreSQL's btree row limit, and only entity references are looked up by value.
    Index(
        "ix_statements_entity_refs",
        "value",
        postgresql_where=text("prop_type = 'entity'"),
        sqlite_where=text("prop_type = 'entity'"),
    ),
    Index("ix_statements_dataset", "dataset"),
)

claims = Table(
    "claims",
    metadata,
    *record_columns(),
    Column("key", String(128), nullable=False),  # unique per agency (claims are named per agency)
    Column("entity_id", String(128), nullable=True, index=True),
    Column("text", Text, nullable=False),
    Column("quantity", String(64), nullable=False),
    Column("unit", String(32), nullable=False),
    Column("low", Float, nullable=True),
    Column("best", Float, nullable=True),
    Column("high", Float, nullable=True),
    Column("period_start", String(10), nullable=True),
    Column("period_end", String(10), nullable=True),
    Column("reading", String(32), nullable=False),
    UniqueConstraint("agency", "key", name="uq_claims_agency_key"),
)

imports = Table(
    "imports",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("dataset", String(128), nullable=False),
    Column("path", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("agency", String(32), ForeignKey("agencies.code"), nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    Column("counts", Text, nullable=False),
)

# -- AIS track store (the positions themselves live in Parquet, one directory per batch) -----
ais_batches = Table(
    "ais_batches",
    metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the input's content
    *marking_columns(),
    Column("source_id", String(128), ForeignKey("sources.id"), nullable=True),
    Column("reliability", String(1), nullable=False),
    Column("credibility", String(1), nullable=False),
    Column("path", Text, nullable=False),
    Column("format", String(32), nullable=False),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False, default=1),
    Column("retracted_at", DateTime(timezone=True), nullable=True),
    Column("input_records", Integer, nullable=False),
    Column("positions", Integer, nullable=False),
    Column("static_reports", Integer, nullable=False),
    Column("other_messages", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("duplicates", Integer, nullable=False),
    Column("counts", Text, nullable=False),  # JSON: rejected by reason, skipped lines, flags
    Column("time_start", DateTime(timezone=True), nullable=True),
    Column("time_end", DateTime(timezone=True), nullable=True),
)

ais_tracks = Table(
    "ais_tracks",
    metadata,
    Column("batch_id", String(64), ForeignKey("ais_batches.id", ondelete="CASCADE"), primary_key=True),
    Column("mmsi", BigInteger, primary_key=True),
    Column("positions", Integer, nullable=False),
    Column("first_ts", DateTime(timezone=True), nullable=False),
    Column("last_ts", DateTime(timezone=True), nullable=False),
    Column("lat_min", Float, nullable=False),
    Column("lat_max", Float, nullable=False),
    Column("lon_min", Float, nullable=False),
    Column("lon_max", Float, nullable=False),
    Column("flagged", Integer, nullable=False),
    Index("ix_ais_tracks_mmsi", "mmsi"),
)

ais_identities = Table(
    "ais_identities",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("batch_id", String(64), ForeignKey("ais_batches.id", ondelete="CASCADE"), nullable=False),
    Column("mmsi", BigInteger, nullable=False),
    Column("first_ts", DateTime(timezone=True), nullable=False),
    Column("last_ts", DateTime(timezone=True), nullable=False),
    Column("reports", Integer, nullable=False),
    Column("name", Text, nullable=True),
    Column("imo", BigInteger, nullable=True),
    Column("callsign", String(16), nullable=True),
    Column("ship_type", Integer, nullable=True),
    Column("length", Float, nullable=True),
    Column("width", Float, nullable=True),
    Column("destination", Text, nullable=True),
    Index("ix_ais_identities_mmsi", "mmsi"),
    Index("ix_ais_identities_batch_id", "batch_id"),
)

# -- Monitoring: seizures and arrests reported by member states (interdict.monitoring) ---------
seizures = Table(
    "seizures",
    metadata,
    *record_columns(),
    Column("kind", String(16), nullable=False),  # seizure | arrests (enforcement totals)
    Column("country", String(3), nullable=False),  # ISO 3166-1 alpha-3 of the seizing country
    Column("country_name", Text, nullable=True),
    Column("region", Text, nullable=True),
    Column("subregion", Text, nullable=True),
    Column("area", Text, nullable=True),  # state, field office or branch inside the country
    Column("year", Integer, nullable=False),
    Column("month", Integer, nullable=True),
    Column("date", String(10), nullable=True),  # ISO date when the day is known
    Column("drug_group", String(32), nullable=True),  # code from data/monitoring/codelists.yaml
    Column("drug", Text, nullable=True),
    Column("quantity", Float, nullable=True),
    Column("unit", String(32), nullable=True),
    Column("quantity_status", String(12), nullable=False),  # reported | not_known | missing
    Column("kg", Float, nullable=True),
    Column("kg_basis", Text, nullable=True),  # the conversion used, in words
    Column("purity", Float, nullable=True),
    Column("producing_country", String(3), nullable=True),
    Column("departure_country", String(3), nullable=True),
    Column("transit_countries", Text, nullable=True),
    Column("destination_country", String(3), nullable=True),
    Column("conveyance", String(16), nullable=True),
    Column("concealment", String(16), nullable=True),
    Column("seizing_agency", Text, nullable=True),
    Column("events", Integer, nullable=True),  # seizure events or cases
    Column("arrests", Integer, nullable=True),
    Column("entity_ids", Text, nullable=True),  # linked entities (vessel, people, companies), comma list
    Column("source_row", Text, nullable=False),  # file and row it came from
    Column("details", Text, nullable=True),  # JSON: the original row, as read
    Index("ix_seizures_country_year", "country", "year"),
    Index("ix_seizures_dataset", "dataset"),
)

# -- Derived records: what each rests on ---------------------------------------------------------
# Behaviour events and screening matches are derived by the node from records of several agencies.
# Each row here names one record a derived record rests on; a user sees the derived record only
# when they may see every one of them (interdict.access.visible_derived, a SQL filter, so limits
# and ordering stay in the query).
DERIVED_EVENT = "event"
DERIVED_MATCH = "match"
RESTS_ON_BATCH = "batch"  # ais_batches.id
RESTS_ON_STATEMENT = "statement"  # statements.id
derived_rests_on = Table(
    "derived_rests_on",
    metadata,
    Column("kind", String(8), primary_key=True),  # event | match
    Column("audience", String(16), primary_key=True),
    Column("derived_id", String(40), primary_key=True),
    Column("record_kind", String(9), primary_key=True),  # batch | statement
    Column("record_id", String(128), primary_key=True),
    Index("ix_derived_rests_on_record", "record_kind", "record_id"),
)

# Derived records are computed per audience: the agencies that may see the same inputs
# (interdict.audiences). A derived row carries its audience's key; this table says which agencies
# belong to each audience of a kind.
derived_audiences = Table(
    "derived_audiences",
    metadata,
    Column("kind", String(8), primary_key=True),  # event | match
    Column("audience", String(16), primary_key=True),
    Column("agency", String(32), ForeignKey("agencies.code"), primary_key=True),
    Column("computed_at", DateTime(timezone=True), nullable=False),
)

# -- Behaviour events derived from the track store (interdict.behaviour) ------------------------
# Derived by the node from AIS batches (listed in derived_rests_on).
ais_events = Table(
    "ais_events",
    metadata,
    Column("audience", String(16), primary_key=True),  # computed from what this audience may see
    Column("id", String(36), primary_key=True),
    Column("type", String(32), nullable=False),
    Column("mmsi", BigInteger, nullable=False),
    Column("other_mmsi", BigInteger, nullable=True),
    Column("start_ts", DateTime(timezone=True), nullable=True),
    Column("end_ts", DateTime(timezone=True), nullable=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("details", Text, nullable=False),  # JSON
    Column("thresholds", Text, nullable=False),  # JSON: the thresholds the event was found with
    Column("evidence", Text, nullable=False),  # JSON list of position ids <batch[:12]>:<source_row>
    Column("detected_at", DateTime(timezone=True), nullable=False),
    Column("engine", String(16), nullable=False),
    Index("ix_ais_events_mmsi", "mmsi"),
    Index("ix_ais_events_type", "type"),
    Index("ix_ais_events_start_ts", "start_ts"),
)

# -- Screening on ingest and entity resolution (interdict.intel.watchlist, interdict.intel.resolution) ------
# A match is derived by the node: an AIS vessel or an entity screened against the entities of the
# node. It rests on the statements on both sides and, for a vessel, on the AIS batch its identity
# came from (listed in derived_rests_on); a user sees it only when they may see all of them.
entity_matches = Table(
    "entity_matches",
    metadata,
    Column("audience", String(16), primary_key=True),  # computed from what this audience may see
    Column("id", String(40), primary_key=True),
    Column("subject_kind", String(8), nullable=False),  # vessel | entity
    Column("subject", String(128), nullable=False),  # MMSI or entity id
    Column("entity_id", String(128), nullable=False),  # the entity it matched
    Column("listed", Boolean, nullable=False),  # the matched entity is on a sanctions list
    Column("score", Float, nullable=False),
    Column("basis", String(16), nullable=False),  # imo | mmsi | callsign | name
    Column("query", Text, nullable=False),  # the subject's value that was screened
    Column("matched", Text, nullable=False),  # the entity's value it matched
    Column("explanation", Text, nullable=False),
    Column("screened_at", DateTime(timezone=True), nullable=False),
    Index("ix_entity_matches_subject", "subject"),
    Index("ix_entity_matches_entity_id", "entity_id"),
)

# An analyst's judgement that two entities are the same, different, or unsure: kept as data (who,
# when, why), undone by retraction, never deleted. Marked like any record: it is shown only to
# users who may see the judgement and both entities.
judgements = Table(
    "judgements",
    metadata,
    Column("id", String(36), primary_key=True),
    *marking_columns(),
    Column("left_id", String(128), nullable=False),
    Column("right_id", String(128), nullable=False),
    Column("judgement", String(12), nullable=False),  # same | different | unsure
    Column("username", String(64), nullable=False),
    Column("note", Text, nullable=True),
    Column("score", Float, nullable=True),  # the match score shown when judging
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("retracted_at", DateTime(timezone=True), nullable=True),
    Column("retracted_by", String(64), nullable=True),
    Index("ix_judgements_left_id", "left_id"),
    Index("ix_judgements_right_id", "right_id"),
)


# A change counter per table (SQLite: bumped by triggers in the writing transaction; PostgreSQL
# counts NOTIFYs instead and leaves it empty). Cached reads are keyed by it (interdict.readcache).
data_versions = Table(
    "data_versions",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("version", BigInteger, nullable=False),
)


# The audit log (interdict.audit): one row per logged action, the leaves of an RFC 9162 Merkle
# tree, and the node's signed checkpoints of that tree. Neither is ever updated or deleted: a
# trigger refuses it on both databases (verification does not rely on that).
audit_entries = Table(
    "audit_entries",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("username", String(128), nullable=True),
    Column("agency", String(32), nullable=True),
    Column("action", String(64), nullable=False),
    Column("objects", Text, nullable=False),  # JSON list of object ids
    Column("markings", Text, nullable=False),  # JSON list of their markings' labels
    Column("path", String(32), nullable=False),  # web, api, cli, python
    Column("request_id", String(64), nullable=True),
    Column("leaf", String(64), nullable=False),  # hex RFC 9162 leaf hash of the entry, as written
)
Index("ix_audit_entries_at", audit_entries.c.at)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("note", Text, nullable=False),  # the C2SP signed note (interdict.identity)
)


BULK_ROWS = 1000  # a write this large refreshes the planner's statistics at once


def refresh_statistics(conn: Connection, *tables: Table, written: int) -> None:
    """After a bulk write, let PostgreSQL's planner know the tables' new sizes (without fresh
    statistics it plans the derived-record filters as if the tables were nearly empty, and a
    read of thousands of events takes seconds). Small writes (a live feed's micro-batches) are
    left to autovacuum; SQLite plans without statistics."""
    if conn.dialect.name == "postgresql" and written >= BULK_ROWS:
        conn.exec_driver_sql("ANALYZE " + ", ".join(table.name for table in tables))
