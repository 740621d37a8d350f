"""Reads computed once per data version and audience, shared by every user the access decision
cannot tell apart.

Why: the heavy reads of the web app (the entity graph, the overview, the map's tracks, the risk
list) took 0.5-1.5 s each and were computed again for every request, so eight analysts at once
waited seconds for each page. Their results depend on two things only: the records they read and
what the viewer may see of them. This module makes both exact parts of a cache key:

- **Data version** — a change counter per table, bumped by the database itself in the transaction
  that writes (triggers), so a write by any process (the CLI ingesting while `interdict serve`
  runs, another worker) changes the key the moment it commits; nothing is cached by time. On
  SQLite row triggers count into `data_versions`; on PostgreSQL a statement trigger sends a
  NOTIFY on commit (no lock shared between writers, so concurrent writers never wait on, or
  deadlock over, a counter row) and each process counts what its listening connection hears.
- **Audience** — `interdict.access.audience_key`: everything the one access decision reads about
  a viewer. Two viewers with the same key are shown the same records on every read path.

A cached value is shared between requests and threads: callers must not modify it. Concurrent
requests for the same key compute it once (the others wait for that result).
"""

from __future__ import annotations

import gc
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, text

from interdict.access import Viewer, audience_key

T = TypeVar("T")

# the tables whose writes change what a cached read returns (not the accounts and session tables,
# which change on every login and decide who the viewer is, not what a viewer may see)
VERSIONED_TABLES = ("agencies", "sources", "statements", "claims", "imports", "ais_batches", "ais_tracks", "ais_identities",
                    "seizures", "derived_rests_on", "derived_audiences", "ais_events", "entity_matches", "judgements")
CHANNEL = "interdict_data_changed"
THAW_GROWTH = 2
LISTENER_CHECK_SECONDS = 1.0
_PG_FUNCTION = "interdict_data_changed"


def install_triggers(conn: Connection) -> None:
    """Create the change counters and triggers where they are missing (idempotent; run after every
    migration: on SQLite a migration that rebuilds a table drops its triggers)."""
    present = set(_trigger_names(conn))
    if conn.dialect.name == "sqlite":
        for table in VERSIONED_TABLES:
            conn.exec_driver_sql("INSERT OR IGNORE INTO data_versions (name, version) VALUES (?, 0)", (table,))
            for action in ("INSERT", "UPDATE", "DELETE"):
                name = f"data_version_{table}_{action.lower()}"
                if name not in present:
                    conn.exec_driver_sql(f"CREATE TRIGGER {name} AFTER {action} ON {table} BEGIN "
                                         f"UPDATE data_versions SET version = version + 1 WHERE name = '{table}'; END")
    elif conn.dialect.name == "postgresql":
        if _PG_FUNCTION not in set(conn.execute(text("SELECT proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                                                     "WHERE n.nspname = current_schema()")).scalars()):
            conn.exec_driver_sql(
                f"CREATE FUNCTION {_PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"PERFORM pg_notify('{CHANNEL}', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME); RETURN NULL; END $$")
        for table in VERSIONED_TABLES:
            name = f"data_version_{table}"
            if name not in present:
                conn.exec_driver_sql(f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                                     f"FOR EACH STATEMENT EXECUTE FUNCTION {_PG_FUNCTION}()")


def drop_triggers(conn: Connection) -> None:
    """Remove the change-counting triggers (a downgrade below the counters' migration)."""
    for name in _trigger_names(conn):
        if not name.startswith("data_version_"):
            continue
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        else:
            table = name.removeprefix("data_version_")
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")


def _trigger_names(conn: Connection) -> list[str]:
    if conn.dialect.name == "sqlite":
        return list(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    return list(conn.execute(text("SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                                  "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
                                  "AND NOT t.tgisinternal")).scalars())


class DataVersions:
    """The change counters of a database, as this process can see them now."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._epoch = 0  # a new epoch invalidates everything (the listening connection was lost)
        self._listener: Any = None
        self._schema = ""
        self._checked = 0.0

    def current(self, tables: Iterable[str]) -> tuple[int, ...]:
        """The counters of `tables`, in order: equal tuples mean no committed write in between."""
        names = list(tables)
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as conn:
                found = {name: version for name, version in conn.execute(text("SELECT name, version FROM data_versions"))}
            return tuple(found.get(name, -1) for name in names)
        with self._lock:
            self._drain()
            return (self._epoch, *(self._counts.get(name, 0) for name in names))

    def _drain(self) -> None:
        """Count the change notices heard since the last call (PostgreSQL)."""
        try:
            if self._listener is None:
                self._listen()
            now = time.monotonic()
            if now - self._checked > LISTENER_CHECK_SECONDS:  # a dropped connection hears nothing and says nothing
                self._listener.execute("SELECT 1")
                self._checked = now
            for notice in self._listener.notifies(timeout=0):
                schema, _, table = notice.payload.partition(".")
                if schema == self._schema:
                    self._counts[table] = self._counts.get(table, 0) + 1
        except Exception:  # any failure of the listening connection: listen again, forget everything
            self.close()
            self._epoch += 1
            self._listen()

    def _listen(self) -> None:
        raw = self.engine.raw_connection()
        connection = raw.driver_connection
        assert connection is not None
        raw.detach()  # ours alone: the pool must never hand it out
        connection.autocommit = True
        self._schema = str(connection.execute("SELECT current_schema()").fetchone()[0])
        connection.execute(f"LISTEN {CHANNEL}")
        self._listener = connection
        self._epoch += 1  # whatever was cached before this connection listened may be stale

    def close(self) -> None:
        if self._listener is not None:
            try:
                self._listener.close()
            finally:
                self._listener = None


class ReadCache:
    """Results of reads, one per (name, audience, parameters, tables read), each valid for the data
    version it was computed at (a newer version replaces it); the least recently used go beyond
    `max_entries` (and beyond `per_name` of one name for one audience, or its `limits`)."""

    def __init__(self, engine: Engine, *, max_entries: int = 256, per_name: int = 16,
                 limits: dict[str, int] | None = None) -> None:
        self.versions = DataVersions(engine)
        self.max_entries = max_entries
        # per name and audience: so that many small reads (one per vessel) cannot push out the few large ones
        self.per_name = per_name
        self.limits = dict(limits or {})  # per name (all audiences), where one result is large
        self._entries: OrderedDict[Hashable, tuple[tuple[int, ...], Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}
        self.hits = 0
        self.misses = 0
        self._frozen_after_collection = 0

    def get(self, name: str, viewer: Viewer | None, tables: Iterable[str], params: Hashable,
            compute: Callable[[], T]) -> T:
        """The cached result of `compute` for this read, computed again if a table it reads changed
        since. `viewer`: the reader (None: a read that does not depend on who reads); `tables`:
        every table `compute` reads; `params`: everything else it depends on."""
        names = tuple(tables)
        key = (name, None if viewer is None else audience_key(viewer), params, names)
        version = self.versions.current(names)
        with self._lock:
            found = self._fresh(key, version)
            if found is not None:
                return found[1]
            gate = self._computing.setdefault(key, threading.Lock())
        with gate:  # one computation per key; the others wait for it
            with self._lock:
                found = self._fresh(key, version)
                if found is not None:
                    return found[1]
            try:
                value = compute()
            finally:
                with self._lock:
                    self._computing.pop(key, None)
            with self._lock:
                self.misses += 1
                self._settle()
                self._entries[key] = (version, value)
                self._entries.move_to_end(key)
                if name in self.limits:
                    same, limit = [k for k in self._entries if k[0] == name], self.limits[name]  # type: ignore[index]
                else:
                    same, limit = [k for k in self._entries if k[:2] == key[:2]], self.per_name  # type: ignore[index]
                for stale in same[:max(0, len(same) - limit)]:
                    del self._entries[stale]
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return value

    def _settle(self) -> None:
        """Keep the cyclic garbage collector off the cached values. A cache holds millions of
        objects that live long; every full collection walked them all, a pause of 100 ms to 2 s
        in whatever request triggered it (seen under load). Frozen objects are still freed when
        no longer referenced (cached values hold no reference cycles); should cycles pile up
        anyway, the frozen set doubling since the last full collection starts another."""
        gc.collect(1)  # the young garbage of the computation, so that it is not frozen with the result
        gc.freeze()
        frozen = gc.get_freeze_count()
        if self._frozen_after_collection == 0 or frozen > THAW_GROWTH * self._frozen_after_collection:
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            self._frozen_after_collection = gc.get_freeze_count()

    def _fresh(self, key: Hashable, version: tuple[int, ...]) -> tuple[tuple[int, ...], Any] | None:
        found = self._entries.get(key)
        if found is None or found[0] != version:
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return found

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def close(self) -> None:
        self.versions.close()
