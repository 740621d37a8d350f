"""Reads cached per data version and audience (interdict.readcache): a write by any process
changes what the next read returns, above all a tightened marking; viewers the access decision
cannot tell apart share a result, the others never do; one computation per key under concurrency."""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import text, update

from interdict import readcache
from interdict.access import Viewer, audience_key, can_see
from interdict.intel.writer import DatasetWrite, SourceRecord, StatementRecord, write_dataset
from interdict.markings import TLP, Grade, Handling, Marking
from interdict.readcache import VERSIONED_TABLES, ReadCache, install_triggers
from interdict.tables import statements

EVERY_MARKING = [Marking(tlp, frozenset(rel), orcon, handling)
                 for tlp in TLP for rel in ((), ("JCG",), ("JPN",), ("AUS",)) for orcon in (False, True)
                 for handling in (None, *Handling)]


def test_the_audience_key_holds_everything_the_access_decision_reads():
    """Viewers with one key see the same on every marking from every origin; a rule that comes to
    read more of the viewer (a role, the user) must extend `audience_key`, or this fails."""
    base = Viewer("a.one", "JCG", "JPN", True, frozenset({"analyst"}))
    twins = [Viewer("a.two", "JCG", "JPN", True, frozenset()), Viewer("a.three", "JCG", "JPN", True, frozenset({"admin"}))]
    others = [Viewer("x", "KCG", "JPN", True), Viewer("x", "JCG", "KOR", True), Viewer("x", "JCG", "JPN", False)]
    for twin in twins:
        assert audience_key(twin) == audience_key(base)
        for origin, marking in itertools.product(("JCG", "AFP", "KCG"), EVERY_MARKING):
            assert can_see(twin, origin, marking) == can_see(base, origin, marking), (twin, origin, marking)
    for other in others:
        assert audience_key(other) != audience_key(base)
        # and each difference matters to some marking: sharing across them would leak
        assert any(can_see(other, origin, m) != can_see(base, origin, m)
                   for origin, m in itertools.product(("JCG", "AFP", "KCG"), EVERY_MARKING)), other


@pytest.fixture
def shared_node(node):
    node.registry.add_agency("AFP", "Australian Federal Police", "AUS", True)
    node.registry.add_agency("JCG", "Japan Coast Guard", "JPN", True)
    node.registry.add_user("afp.user", "AFP", ["analyst"], password="correct horse battery")
    node.registry.add_user("jcg.user", "JCG", ["analyst"], password="correct horse battery")
    node.registry.add_user("jcg.other", "JCG", ["watch_officer"], password="correct horse battery")
    write = DatasetWrite(dataset="afp-notes", agency="AFP")
    write.sources.append(SourceRecord(id="src-afp", title="AFP report", kind="agency_report", reliability="B",
                                      marking=Marking(TLP.GREEN)))
    write.statements.append(StatementRecord(entity_id="v-sea-star", schema="Vessel", prop="name", prop_type="name",
                                            value="SEA STAR", source_id="src-afp", grade=Grade("B", "2"),
                                            marking=Marking(TLP.GREEN)))
    write.statements.append(StatementRecord(entity_id="v-sea-star", schema="Vessel", prop="owner", prop_type="entity",
                                            value="c-front", source_id="src-afp", grade=Grade("B", "2"),
                                            marking=Marking(TLP.GREEN)))
    write.statements.append(StatementRecord(entity_id="c-front", schema="Company", prop="name", prop_type="name",
                                            value="FRONT TRADING", source_id="src-afp", grade=Grade("B", "2"),
                                            marking=Marking(TLP.GREEN)))
    with node.workspace.engine.begin() as conn:
        write_dataset(conn, write, path="test", sha256="x")
    return node


def _tighten_elsewhere(database_url: str, value: str) -> None:
    """Mark a statement RED from another process, as `interdict` on the command line would while
    `interdict serve` runs."""
    script = (
        "import sys; from sqlalchemy import create_engine, update\n"
        "from interdict.tables import statements\n"
        "engine = create_engine(sys.argv[1])\n"
        "with engine.begin() as conn:\n"
        "    n = conn.execute(update(statements).where(statements.c.value == sys.argv[2]).values(tlp='RED')).rowcount\n"
        "assert n == 1, n\n")
    subprocess.run([sys.executable, "-c", script, database_url, value], check=True, timeout=60)


def _settled(read, want, seconds: float = 5.0):
    """PostgreSQL hears of another process's commit by NOTIFY, a few milliseconds after it."""
    deadline = time.monotonic() + seconds
    while (got := read()) != want and time.monotonic() < deadline:
        time.sleep(0.01)
    return got


def test_a_marking_tightened_by_another_process_hides_at_once_what_was_cached(shared_node):
    node = shared_node
    url = node.workspace.engine.url.render_as_string(hide_password=False)
    jcg = node.as_user("jcg.user")
    assert [v.id for v in jcg.search("sea star")] == ["v-sea-star"]
    assert jcg.overview()["entities"] == 2
    assert {n["id"] for n in jcg.neighbours("v-sea-star")["nodes"]} == {"v-sea-star", "c-front"}
    assert jcg.entity("c-front").caption == "FRONT TRADING"
    misses = node.reads.misses
    assert [v.id for v in node.as_user("jcg.user").search("sea star")] == ["v-sea-star"]
    assert node.reads.misses == misses, "an unchanged read is served from the cache"

    _tighten_elsewhere(url, "FRONT TRADING")  # the company's only name: it is gone for JCG

    assert _settled(lambda: node.as_user("jcg.user").overview()["entities"], 1) == 1
    assert [v.id for v in node.as_user("jcg.user").search("front")] == []
    with pytest.raises(Exception, match="c-front"):
        node.as_user("jcg.user").neighbours("c-front")
    with pytest.raises(Exception, match="v-sea-star"):  # its one link led to the hidden company
        node.as_user("jcg.user").neighbours("v-sea-star")
    # the entity read (cached per version: a page reads it several times) hides it too
    with pytest.raises(Exception, match="c-front"):
        node.as_user("jcg.user").entity("c-front")
    # the originator still sees it
    assert [v.id for v in node.as_user("afp.user").search("front")] == ["c-front"]
    assert node.as_user("afp.user").entity("c-front").caption == "FRONT TRADING"


def test_viewers_of_one_audience_share_results_and_others_do_not(shared_node):
    node = shared_node
    with node.workspace.engine.begin() as conn:  # AFP's own RED note: only AFP may see it
        conn.execute(update(statements).where(statements.c.value == "SEA STAR").values(tlp="RED"))
    afp, jcg, jcg_other = (node.as_user(u) for u in ("afp.user", "jcg.user", "jcg.other"))
    assert [v.id for v in afp.search("sea")] == ["v-sea-star"]
    assert jcg.search("sea") == []
    misses = node.reads.misses
    assert jcg_other.search("sea") == []  # same audience as jcg.user: the same cached text
    assert node.reads.misses == misses
    assert afp.overview()["statements"] == 3 and jcg.overview()["statements"] == 2


def test_concurrent_requests_compute_a_result_once(tmp_path):
    from interdict.workspace import Workspace

    workspace = Workspace.open(tmp_path / "w")
    cache = ReadCache(workspace.engine)
    calls = []

    def slow() -> list[int]:
        calls.append(1)
        time.sleep(0.2)
        return [1, 2, 3]

    viewer = Viewer("u", "AFP", "AUS", True)
    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("x", viewer, ("statements",), None, slow)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(results) == 8 and all(r is results[0] for r in results)
    workspace.close()


def test_a_failed_computation_is_not_cached(tmp_path):
    from interdict.workspace import Workspace

    workspace = Workspace.open(tmp_path / "w")
    cache = ReadCache(workspace.engine)
    viewer = Viewer("u", "AFP", "AUS", True)

    def fail() -> int:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        cache.get("x", viewer, ("statements",), None, fail)
    assert cache.get("x", viewer, ("statements",), None, lambda: 7) == 7
    workspace.close()


def test_many_small_reads_do_not_push_out_the_large_ones(tmp_path):
    from interdict.workspace import Workspace

    workspace = Workspace.open(tmp_path / "w")
    cache = ReadCache(workspace.engine, per_name=4, limits={"index": 1})
    viewer = Viewer("u", "AFP", "AUS", True)
    cache.get("graph", viewer, ("statements",), None, lambda: "G")
    for mmsi in range(50):
        cache.get("events", viewer, ("ais_events",), mmsi, lambda: [])
    assert cache.get("graph", viewer, ("statements",), None, lambda: "rebuilt") == "G"
    cache.get("index", viewer, ("statements",), None, lambda: "I1")
    cache.get("index", Viewer("u", "JCG", "JPN", True), ("statements",), None, lambda: "I2")
    assert cache.get("index", viewer, ("statements",), None, lambda: "again") == "again"  # one index kept
    workspace.close()


def test_every_write_to_a_versioned_table_moves_its_version(node):
    versions = node.reads.versions
    n = len(VERSIONED_TABLES)
    before = versions.current(VERSIONED_TABLES)[-n:]
    node.registry.add_agency("AFP", "Australian Federal Police", "AUS", True)
    deadline = time.monotonic() + 5
    while (after := versions.current(VERSIONED_TABLES)[-n:]) == before and time.monotonic() < deadline:
        time.sleep(0.01)  # PostgreSQL: the NOTIFY arrives just after the commit
    assert {t for t, x, y in zip(VERSIONED_TABLES, before, after, strict=True) if x != y} == {"agencies"}
    # sessions and logins are not data: they change no version
    node.registry.add_user("afp.user", "AFP", ["analyst"], password="correct horse battery")
    node.registry.start_session(node.registry.authenticate("afp.user", "correct horse battery"))
    time.sleep(0.05)
    assert versions.current(VERSIONED_TABLES)[-n:] == after


def test_triggers_lost_by_a_table_rebuild_come_back_on_open(node, database_url, tmp_path):
    from interdict.api import Interdict

    engine = node.workspace.engine
    name = "data_version_statements_insert" if engine.dialect.name == "sqlite" else "data_version_statements"
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TRIGGER {name}" + ("" if engine.dialect.name == "sqlite" else " ON statements"))
    again = Interdict.open(tmp_path / "workspace", database_url)
    with again.workspace.engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            found = conn.execute(text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = :n"), {"n": name})
        else:
            found = conn.execute(text("SELECT count(*) FROM pg_trigger WHERE tgname = :n"), {"n": name})
        assert found.scalar() >= 1
    with again.workspace.engine.begin() as conn:
        install_triggers(conn)  # idempotent
    again.close()


def test_a_lost_listening_connection_forgets_everything(node, monkeypatch):
    if node.workspace.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's counters are read from the database every time")
    versions = node.reads.versions
    first = versions.current(("statements",))
    pid = versions._listener.info.backend_pid
    with node.workspace.engine.begin() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    monkeypatch.setattr(readcache, "LISTENER_CHECK_SECONDS", 0.0)  # checked at most once a second otherwise
    assert versions.current(("statements",)) != first


def test_a_cached_report_still_names_its_own_reader(demo_node):
    node = demo_node
    node.registry.add_user("jcg.second", "JCG", ["watch_officer"], password="correct horse battery")
    first = node.as_user("jcg.watch").report("dprk-brief", fmt="html").decode()
    second = node.as_user("jcg.second").report("dprk-brief", fmt="html").decode()
    assert "jcg.watch" in first and "jcg.second" not in first
    assert "jcg.second" in second and "jcg.watch" not in second
    assert node.as_user("jcg.watch").report("dprk-brief", fmt="html").decode() == first  # the same document again


def test_the_export_file_follows_the_data_and_the_audience(shared_node):
    node = shared_node
    jcg = node.as_user("jcg.user")
    path = jcg.export_ftm_file()
    assert "FRONT TRADING" in path.read_text()
    assert node.as_user("jcg.other").export_ftm_file() == path  # one audience, one file
    with node.workspace.engine.begin() as conn:
        conn.execute(update(statements).where(statements.c.value == "FRONT TRADING").values(tlp="RED"))
    fresh = _settled(lambda: node.as_user("jcg.user").export_ftm_file() != path, True)
    assert fresh
    newer = node.as_user("jcg.user").export_ftm_file()
    assert "FRONT TRADING" not in newer.read_text() and not path.exists()  # the older file is gone
    assert "FRONT TRADING" in node.as_user("afp.user").export_ftm_file().read_text()


def test_the_warm_up_computes_what_the_first_requests_read(demo_node):
    stopped = demo_node.warm_up(stop=_set_event())
    assert stopped["audiences"] == 0  # told to stop before it began
    done = demo_node.warm_up()
    assert done["audiences"] == len({audience_key(u.viewer) for u in demo_node.registry.users()}) >= 4
    misses = demo_node.reads.misses
    for username in ("kcg.analyst", "incb.monitor"):
        me = demo_node.as_user(username)
        me.overview(), me.risk(top=50), me.graph(), me.map_data(), me.watchlist()
    assert demo_node.reads.misses == misses
    for username in ("kcg.analyst", "incb.monitor"):
        demo_node.as_user(username).search("pong su")
    assert demo_node.reads.misses == misses + 2  # each new query's own result; the text it scans was warm


def _set_event():
    event = threading.Event()
    event.set()
    return event
