"""The one access decision: its rules, SQL == Python, and no leak through any public read path.

The hypothesis tests generate agencies, viewers and markings; they must fail if any rule in
`interdict.access` is weakened (see the mutation notes in docs/access-control.md).
"""

from __future__ import annotations

import itertools
import json
import uuid

import pytest
from conftest import form_post
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from interdict.access import Purpose, Recipient, Viewer, can_see, may_release, visible_filter
from interdict.errors import NotFound
from interdict.intel.writer import DatasetWrite, SourceRecord, StatementRecord, write_dataset
from interdict.markings import TLP, Grade, Handling, Marking
from interdict.tables import statements
from interdict.util import utcnow

AGENCIES = {"AFP": ("AUS", True), "A_P": ("NZL", True), "JCG": ("JPN", True), "KCG": ("KOR", True),
            "INCB": ("XUN", False)}
CODES = sorted(AGENCIES) + ["AUS", "JPN", "KOR", "XUN", "USA"]

viewers = st.sampled_from(sorted(AGENCIES)).map(
    lambda code: Viewer(username=f"{code.lower()}.user", agency=code, country=AGENCIES[code][0],
                        law_enforcement=AGENCIES[code][1], roles=frozenset({"analyst"}))
)
markings = st.builds(
    Marking,
    tlp=st.sampled_from(list(TLP)),
    releasable_to=st.frozensets(st.sampled_from(CODES + ["AXP"]), max_size=3),
    orcon=st.booleans(),
    handling=st.sampled_from([None, *Handling]),
)
origins = st.sampled_from(sorted(AGENCIES))
purposes = st.sampled_from(list(Purpose))


# -- the rule ----------------------------------------------------------------------------
@given(viewers, origins, markings, purposes)
def test_never_shared_markings_stay_with_the_originator(viewer, origin, marking, purpose):
    visible = can_see(viewer, origin, marking, purpose)
    if viewer.agency == origin:
        assert visible
        return
    if marking.tlp in (TLP.RED, TLP.AMBER_STRICT):
        assert not visible
    if marking.tlp is TLP.AMBER and not marking.releasable_to:
        assert not visible
    if marking.releasable_to and viewer.agency not in marking.releasable_to and viewer.country not in marking.releasable_to:
        assert not visible
    if marking.handling is Handling.H0 and not viewer.law_enforcement:
        assert not visible
    if purpose is Purpose.DISSEMINATE and (marking.orcon or marking.handling in (Handling.H2, Handling.H3)):
        assert not visible


def test_open_markings_are_shared():
    jcg = Viewer("j", "JCG", "JPN", True)
    incb = Viewer("i", "INCB", "XUN", False)
    assert can_see(jcg, "AFP", Marking(TLP.CLEAR))
    assert can_see(incb, "AFP", Marking(TLP.GREEN))
    assert can_see(jcg, "AFP", Marking(TLP.AMBER, frozenset({"JPN"})))  # by country
    assert can_see(jcg, "AFP", Marking(TLP.AMBER, frozenset({"JCG"}), orcon=True))  # ORCON: may view...
    assert not can_see(jcg, "AFP", Marking(TLP.AMBER, frozenset({"JCG"}), orcon=True), Purpose.DISSEMINATE)  # ...not pass on
    assert can_see(jcg, "AFP", Marking(TLP.GREEN, handling=Handling.H0))
    assert not can_see(incb, "AFP", Marking(TLP.GREEN, handling=Handling.H0))


@given(origins, markings)
def test_a_release_to_the_public_or_to_partners_keeps_only_what_they_may_receive(origin, marking):
    public = may_release(Recipient.public(), origin, marking)
    partners = may_release(Recipient.partners(), origin, marking)
    # the public: CLEAR with nothing attached, whoever holds it
    assert public == (marking.tlp is TLP.CLEAR and not marking.releasable_to and not marking.orcon
                      and marking.handling is None)
    # partners: what every agency, law enforcement or not, may be passed (never the originator's privilege)
    assert partners == (marking.tlp in (TLP.CLEAR, TLP.GREEN) and not marking.releasable_to and not marking.orcon
                        and marking.handling in (None, Handling.H1))
    assert not public or partners  # the public gets nothing the partners do not
    for code, (country, law_enforcement) in AGENCIES.items():
        viewer = Viewer("", code, country, law_enforcement)
        released = may_release(Recipient.for_agency(code, country, law_enforcement), origin, marking)
        assert released == can_see(viewer, origin, marking, Purpose.DISSEMINATE)
        assert not partners or released  # what goes to all partners goes to each


def test_recipients_read_as_words():
    assert Recipient.public().label == "the public" and Recipient.partners().label == "partner agencies"
    assert Recipient.for_agency("JCG", "JPN", True).label == "agency JCG"
    assert not may_release(Recipient.public(), "AFP", Marking(TLP.GREEN))
    assert may_release(Recipient.partners(), "AFP", Marking(TLP.GREEN, handling=Handling.H1))
    assert not may_release(Recipient.partners(), "AFP", Marking(TLP.GREEN, handling=Handling.H0))  # the INCB is a partner
    assert may_release(Recipient.for_agency("AFP", "AUS", True), "AFP", Marking(TLP.RED))  # an agency's own, to itself


# -- SQL filter == Python predicate, on both back ends -----------------------------------
def _statement(entity_id: str, marking: Marking, n: int) -> StatementRecord:
    return StatementRecord(entity_id=entity_id, schema="Person", prop="name", prop_type="name",
                           value=f"Name {n}", source_id="src", grade=Grade("B", "2"), marking=marking)


@pytest.fixture
def agencies_node(node):
    for code, (country, le) in AGENCIES.items():
        node.registry.add_agency(code, f"Agency {code}", country, le)
    return node


def test_sql_filter_equals_predicate(agencies_node):
    engine = agencies_node.workspace.engine

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(st.tuples(origins, markings), min_size=1, max_size=25), viewers, purposes)
    def check(records, viewer, purpose):
        conn = engine.connect()
        tx = conn.begin()
        try:
            now = utcnow()
            rows = []
            for i, (origin, marking) in enumerate(records):
                rows.append({"id": str(uuid.uuid4()), "agency": origin, "dataset": "d", "created_at": now,
                             "updated_at": now, "version": 1, **_statement(f"e{i}", marking, i).columns(),
                             "source_id": None})
            conn.execute(statements.insert(), rows)
            got = set(conn.execute(select(statements.c.id).where(visible_filter(statements, viewer, purpose))).scalars())
            want = {r["id"] for r, (origin, marking) in zip(rows, records) if can_see(viewer, origin, marking, purpose)}
            assert got == want
        finally:
            tx.rollback()
            conn.close()

    check()


# -- no leak through any public read function --------------------------------------------
EVERY_MARKING = [
    Marking(tlp, frozenset(rel), orcon, handling)
    for tlp, rel, orcon, handling in itertools.product(
        list(TLP), [(), ("JCG",), ("KOR",), ("AUS", "JCG"), ("AFP",)], [False, True], [None, *Handling]
    )
]


@pytest.fixture
def marked_node(agencies_node):
    """Every marking combination, on statements, claims-free entities, from two originators."""
    node = agencies_node
    for code in AGENCIES:
        node.registry.add_user(f"{code.lower().replace('_', '-')}.user", code, ["analyst"], password="correct horse")
    n = 0
    for origin in ("AFP", "KCG"):
        write = DatasetWrite(dataset=f"marks-{origin}", agency=origin)
        write.sources.append(SourceRecord(id=f"src-{origin}", title=f"Source of {origin}", kind="agency_report",
                                          reliability="B", marking=Marking(TLP.GREEN)))
        for marking in EVERY_MARKING:
            n += 1
            entity = f"ent-{origin}-{n}"
            # a lone entity (exists only through this statement) and a shared one
            for entity_id in (entity, "shared-vessel"):
                write.statements.append(StatementRecord(
                    entity_id=entity_id, schema="Vessel", prop="name", prop_type="name",
                    value=f"Secret {origin} {n} {marking.label}", source_id=f"src-{origin}",
                    grade=Grade("B", "2"), marking=marking))
        with node.workspace.engine.begin() as conn:
            write_dataset(conn, write, path="test", sha256="x")
    return node


def _all_rows(node):
    with node.workspace.engine.connect() as conn:
        return conn.execute(select(statements)).all()


def test_public_functions_never_leak(marked_node):
    node = marked_node
    rows = _all_rows(node)
    for user in node.registry.users():
        me = node.session_for(user)
        viewer = user.viewer
        allowed = {r.id for r in rows if can_see(viewer, r.agency, Marking.from_row(r))}
        allowed_out = {r.id for r in rows if can_see(viewer, r.agency, Marking.from_row(r), Purpose.DISSEMINATE)}
        hidden_values = {r.value for r in rows if r.id not in allowed}

        # entity pages
        seen = set()
        for entity_id in {r.entity_id for r in rows}:
            try:
                view = me.entity(entity_id)
            except NotFound as exc:
                assert not any(r.entity_id == entity_id and r.id in allowed for r in rows)
                assert str(exc) == f"no entity {entity_id!r}"  # same words as for an id never stored
                continue
            seen |= {s.id for s in view.statements}
            assert view.banner.tlp.rank >= max(s.marking.tlp.rank for s in view.statements)
        assert seen == allowed

        # search
        found = me.search("secret", limit=10_000)
        assert {s.id for v in found for s in v.statements} == allowed
        # overview counts only what is visible
        overview = me.overview()
        assert overview["statements"] == len(allowed)
        assert overview["entities"] == len({r.entity_id for r in rows if r.id in allowed})
        # export for dissemination
        exported = list(me.export_ftm())
        exported_values = {v for e in exported for vals in e["properties"].values() for v in vals}
        assert exported_values == {r.value for r in rows if r.id in allowed_out}
        assert not exported_values & hidden_values
        # never-shared markings never reach another agency
        for r in rows:
            if r.agency != viewer.agency and r.tlp in ("RED", "AMBER+STRICT"):
                assert r.id not in seen


def test_web_and_cli_never_leak(marked_node, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from interdict.cli.main import app as cli_app
    from interdict.web.app import create_app

    node = marked_node
    rows = _all_rows(node)
    client = TestClient(create_app(node))
    for user in node.registry.users():
        viewer = user.viewer
        hidden = [r for r in rows if not can_see(viewer, r.agency, Marking.from_row(r))]
        token = node.registry.issue_token(user.username)
        headers = {"Authorization": f"Bearer {token}"}
        api_text = client.get("/api/entities/shared-vessel", headers=headers).text
        api_text += client.get("/api/search", params={"q": "secret", "limit": 500}, headers=headers).text
        api_text += client.get("/api/export.ftm.jsonl", headers=headers).text
        form_post(client, "/login", data={"username": user.username, "password": "correct horse"})
        page = client.get("/entities/shared-vessel").text + client.get("/search", params={"q": "secret"}).text
        form_post(client, "/logout")
        for r in hidden:
            assert r.value not in api_text, (user.username, r.value)
            assert r.value not in page.replace("&#43;", "+"), (user.username, r.value)
        lone_hidden = next(r for r in hidden if r.entity_id != "shared-vessel") if hidden else None
        if lone_hidden is not None:
            assert client.get(f"/api/entities/{lone_hidden.entity_id}", headers=headers).status_code == 404

    # The CLI reads through the same session objects; check one restricted viewer end to end.
    monkeypatch.setenv("INTERDICT_DATABASE_URL", str(node.workspace.engine.url.render_as_string(hide_password=False)))
    runner = CliRunner()
    result = runner.invoke(cli_app, ["--home", str(node.workspace.home), "entity", "shared-vessel", "--user", "incb.user", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    incb = node.registry.user("incb.user").viewer
    for values in shown["properties"].values():
        for s in values:
            assert can_see(incb, s["agency"], Marking.parse({k: v for k, v in s["marking"].items()}))
    assert not any(r.value in result.stdout for r in rows if not can_see(incb, r.agency, Marking.from_row(r)))
