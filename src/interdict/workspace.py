"""A workspace: one directory holding the embedded database, the Parquet area and the node's
secret. `INTERDICT_DATABASE_URL` (or `database_url=`) moves the database to PostgreSQL."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event

from interdict.errors import InterdictError
from interdict.readcache import install_triggers

DEFAULT_HOME = "interdict-data"


def default_home() -> Path:
    return Path(os.environ.get("INTERDICT_HOME") or DEFAULT_HOME)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # the web server reads while the CLI writes
    # in WAL mode NORMAL syncs at checkpoints, not at every commit: a power cut may lose the last
    # commits (never half of one), an application crash loses nothing; each audited read is a
    # commit, and an fsync apiece would halve the read rate
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


POOL_SIZE = 20
POOL_OVERFLOW = 30


def make_engine(url: str) -> Engine:
    # sized for the web server: its sync routes run on 40 worker threads, each may hold a connection
    # (the default 5 + 10 answered HTTP 500 at 32 concurrent clients)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW,
                               pool_timeout=60)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql"):
        return create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW, pool_timeout=60)
    raise InterdictError(f"unsupported database URL {url.split(':', 1)[0]!r}: use sqlite:/// or postgresql+psycopg://")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return config


@dataclass
class Workspace:
    home: Path
    engine: Engine

    @classmethod
    def open(cls, home: str | Path | None = None, database_url: str | None = None, *, create: bool = True) -> Workspace:
        home = Path(home) if home is not None else default_home()
        if not home.exists():
            if not create:
                raise InterdictError(f"no workspace at {home} (run `interdict init` or `interdict demo` first)")
            home.mkdir(parents=True)
        url = database_url or os.environ.get("INTERDICT_DATABASE_URL") or f"sqlite:///{(home / 'interdict.db').resolve()}"
        workspace = cls(home=home, engine=make_engine(url))
        workspace.parquet_dir.mkdir(exist_ok=True)
        workspace.migrate()
        with workspace.engine.begin() as connection:  # after every migration: see install_triggers
            install_triggers(connection)
        return workspace

    @property
    def parquet_dir(self) -> Path:
        return self.home / "parquet"

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def migrate(self) -> None:
        """Bring the database to the newest schema (a no-op when it is there already)."""
        config = alembic_config()
        head = ScriptDirectory.from_config(config).get_current_head()
        with self.engine.begin() as connection:
            if MigrationContext.configure(connection).get_current_revision() == head:
                return
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def secret_key(self) -> str:
        """The node's session-signing secret, created once and kept in the workspace."""
        path = self.home / "secret.key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def close(self) -> None:
        self.engine.dispose()
