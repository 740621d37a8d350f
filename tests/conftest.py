"""Shared fixtures. Database tests run on both back ends: SQLite in a temporary directory, and
PostgreSQL in a schema of its own per test (dropped afterwards). Without a reachable server the
PostgreSQL runs skip with the reason; with INTERDICT_REQUIRE_POSTGRES=1 (set by .ci/run) they fail.
Tests that read `../shared/data` skip without it, and fail with INTERDICT_REQUIRE_SHARED_DATA=1 (also
set by .ci/run)."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from interdict.api import Interdict
from interdict.demo import run_demo

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
PG_URL = os.environ.get("INTERDICT_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_or_skip() -> sa.Engine:
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as exc:
        reason = f"PostgreSQL not reachable at {PG_URL}: {str(exc).splitlines()[0]}"
        if os.environ.get("INTERDICT_REQUIRE_POSTGRES"):
            pytest.fail(reason + " (INTERDICT_REQUIRE_POSTGRES is set)")
        pytest.skip(reason)
    return engine


@pytest.fixture(params=["sqlite", "postgresql"])
def database_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(database_kind: str, tmp_path: Path) -> Iterator[str]:
    yield from database_for(database_kind, tmp_path)


def database_for(kind: str, folder: Path) -> Iterator[str]:
    """A fresh database of the given kind: a SQLite file in `folder`, or a PostgreSQL schema."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'interdict.db'}"
        return
    admin = _postgres_or_skip()
    schema = "test_" + uuid.uuid4().hex[:16]
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        sep = "&" if "?" in PG_URL else "?"
        yield f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def node(database_url: str, tmp_path: Path) -> Iterator[Interdict]:
    instance = Interdict.open(tmp_path / "workspace", database_url)
    yield instance
    instance.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SQLite demo node built once per test process; each test works on a copy of it."""
    folder = tmp_path_factory.mktemp("demo-template")
    instance = Interdict.open(folder / "workspace", f"sqlite:///{folder / 'interdict.db'}")
    run_demo(instance, lists=False, seizures=False)
    instance.close()
    return folder


def _database_url(name: str) -> str:
    """PG_URL pointing at another database of the same server."""
    return sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def demo_pg_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The demo built once per test process in a PostgreSQL database of its own, which each test
    copies (CREATE DATABASE ... TEMPLATE) with the workspace beside it."""
    admin = _postgres_or_skip()
    name = "interdict_demo_" + uuid.uuid4().hex[:12]
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    folder = tmp_path_factory.mktemp("demo-pg-template")
    try:
        instance = Interdict.open(folder / "workspace", _database_url(name))
        run_demo(instance, lists=False, seizures=False)
        instance.close()
        yield folder, name
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def demo_node(request: pytest.FixtureRequest, database_kind: str, tmp_path: Path) -> Iterator[Interdict]:
    """The demo without the sanctions lists and seizure tables (slow to import; tested in
    test_lists, test_monitoring and test_cli), on each database: a copy of one build per test
    process (the demo itself is built from scratch in test_cli), in the test's own SQLite file or
    PostgreSQL database."""
    if database_kind == "sqlite":
        template: Path = request.getfixturevalue("demo_template")
        shutil.copytree(template / "workspace", tmp_path / "workspace")
        for file in template.glob("interdict.db*"):
            shutil.copy2(file, tmp_path / file.name)
        instance = Interdict.open(tmp_path / "workspace", f"sqlite:///{tmp_path / 'interdict.db'}")
        yield instance
        instance.close()
        return
    folder, name = request.getfixturevalue("demo_pg_template")
    copy = "interdict_test_" + uuid.uuid4().hex[:12]
    admin = _postgres_or_skip()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
    shutil.copytree(folder / "workspace", tmp_path / "workspace")
    instance = Interdict.open(tmp_path / "workspace", _database_url(copy))
    try:
        yield instance
    finally:
        instance.close()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        admin.dispose()


# shared-data files the package ships byte-identical (tests/test_ais_store.py checks): tests read
# the bundled copy, so they run from a fresh clone without ../shared
BUNDLED = {
    "ais/amsa_risky/ais.txt.gz": "demo/ais/amsa_ais.txt.gz",
    "ais/amsa_risky/exact-earth-augmented.txt": "demo/ais/exactearth_augmented.txt",
    "ais/movingpandas_evergiven/boat-positions.csv": "demo/ais/evergiven_suez_2021-03.csv",
    "ais/noaa_marinecadastre_vesselsummaryais/AISdata.parquet": "demo/ais/marinecadastre_2022-01-03.parquet",
}


@pytest.fixture
def ais_sample() -> Callable[[str], Path]:
    """A real AIS sample by its path under ../shared/data, read from the copy bundled in the package."""
    from interdict.util import data_path

    def find(relative: str) -> Path:
        return Path(str(data_path(BUNDLED[relative])))
    return find


@pytest.fixture
def shared_data() -> Path:
    path = SHARED / "data"
    if not path.exists():
        reason = f"shared data not found at {path}"
        if os.environ.get("INTERDICT_REQUIRE_SHARED_DATA"):
            pytest.fail(reason + " (INTERDICT_REQUIRE_SHARED_DATA is set)")
        pytest.skip(reason)
    return path


# -- web forms: every state-changing request carries the session's CSRF token ----------------------
_CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(client, page: str = "/login") -> str:
    """The CSRF token of the client's session, as a page's form carries it."""
    found = _CSRF_FIELD.search(client.get(page).text)
    assert found, f"no csrf field on {page}"
    return found.group(1)


def form_post(client, url: str, data: dict | None = None, **kwargs):
    """POST a page form the way a browser does: with the csrf field of the session's forms."""
    token = csrf_of(client, "/login" if url == "/login" else "/account/password")
    return client.post(url, data={**(data or {}), "csrf": token}, **kwargs)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Each phase's report kept on the test item, so a fixture can tell whether the test failed
    (the browser journeys save a screenshot then)."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report
