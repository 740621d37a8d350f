"""Loading records files: validation naming file/record/field, transactions, idempotence, versions."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from interdict.errors import ValidationError
from interdict.tables import claims, sources, statements

BASE = {
    "dataset": "afp-notes",
    "agency": "AFP",
    "defaults": {"marking": {"tlp": "GREEN"}},
    "sources": [{"id": "afp-r1", "title": "AFP report 1 (synthetic)", "kind": "agency_report", "reliability": "B"}],
    "entities": [
        {"id": "v1", "schema": "Vessel", "source": "afp-r1", "grade": "B2",
         "properties": {"name": ["Test Vessel (synthetic)"], "flag": "kp", "imoNumber": "IMO 9166778"}},
        {"id": "p1", "schema": "Person", "source": "afp-r1", "grade": "C3",
         "properties": {"name": "Person One (synthetic)"}},
        {"id": "o1", "schema": "Ownership", "source": "afp-r1", "grade": "C3",
         "properties": {"owner": "p1", "asset": "v1"}},
    ],
    "claims": [{"key": "c1", "entity": "v1", "text": "Cargo estimate (synthetic)", "quantity": "cargo",
                "unit": "kg", "low": 10, "best": 20, "high": 40, "reading": "range", "source": "afp-r1", "grade": "C3"}],
}


@pytest.fixture
def afp_node(node):
    node.registry.add_agency("AFP", "Australian Federal Police", "AUS", True)
    node.registry.add_agency("JCG", "Japan Coast Guard", "JPN", True)
    return node


def write(tmp_path: Path, data: dict, name: str = "records.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def snapshot(node) -> list:
    with node.workspace.engine.connect() as conn:
        return [sorted(tuple(r) for r in conn.execute(select(t)).all()) for t in (statements, claims, sources)]


def test_load_counts_and_idempotence(afp_node, tmp_path):
    path = write(tmp_path, BASE)
    first = afp_node.load(path)
    assert (first.entities, first.statements, first.claims, first.sources) == (3, 6, 1, 1)
    assert first.changes["statements"]["added"] == 6
    before = snapshot(afp_node)
    second = afp_node.load(path)
    assert second.changes["statements"] == {"added": 0, "updated": 0, "unchanged": 6, "retracted": 0}
    assert snapshot(afp_node) == before


def test_values_are_cleaned_by_followthemoney(afp_node, tmp_path):
    afp_node.load(write(tmp_path, BASE))
    afp_node.registry.add_user("afp.a", "AFP", ["analyst"])
    view = afp_node.as_user("afp.a").entity("v1")
    assert [s.value for s in view.properties["imoNumber"]] == ["IMO9166778"]
    assert view.schema == "Vessel" and view.caption == "Test Vessel (synthetic)"
    assert any(r.via_schema == "Ownership" and r.others == [("Owner", "p1", "Person One (synthetic)")] for r in view.relations)


def test_changes_bump_versions_and_removals_retract(afp_node, tmp_path):
    afp_node.load(write(tmp_path, BASE))
    changed = yaml.safe_load(yaml.safe_dump(BASE))
    changed["entities"][0]["grade"] = "A1"  # regraded
    changed["entities"][1]["properties"]["name"] = "Person One Renamed (synthetic)"  # old value gone
    result = afp_node.load(write(tmp_path, changed))
    assert result.changes["statements"] == {"added": 1, "updated": 3, "unchanged": 2, "retracted": 1}
    with afp_node.workspace.engine.connect() as conn:
        rows = conn.execute(select(statements).where(statements.c.entity_id.in_(["v1", "p1"]))).all()
    by_value = {r.value: r for r in rows}
    assert by_value["Test Vessel (synthetic)"].version == 2 and by_value["Test Vessel (synthetic)"].reliability == "A"
    assert by_value["Person One (synthetic)"].retracted_at is not None and by_value["Person One (synthetic)"].version == 2
    afp_node.registry.add_user("jcg.w", "JCG", ["watch_officer"])
    names = [s.value for s in afp_node.as_user("jcg.w").entity("p1").statements]
    assert names == ["Person One Renamed (synthetic)"]
    # restoring the old file brings the retracted statement back as a new version
    again = afp_node.load(write(tmp_path, BASE))
    assert again.changes["statements"]["updated"] == 4 and again.changes["statements"]["retracted"] == 1


BAD_CASES = [
    (lambda d: d["entities"][0].update(grade="Z9"), r"entities\[0\] \(id=v1\): grade: unknown source reliability 'Z'"),
    (lambda d: d["entities"][0]["properties"].update(nme="x"), r"entities\[0\] \(id=v1\)\.properties\.nme: schema Vessel has no property 'nme'"),
    (lambda d: d["entities"][0].update(schema="Boat"), r"entities\[0\] \(id=v1\)\.schema: unknown FollowTheMoney schema 'Boat'"),
    (lambda d: d["entities"][0]["properties"].update(flag="Atlantis"), r"properties\.flag: invalid country value 'Atlantis'"),
    (lambda d: d["entities"][0]["properties"].update(imoNumber="IMO 9166779"), r"properties\.imoNumber: invalid identifier value 'IMO 9166779'"),
    (lambda d: d["entities"][2]["properties"].update(owner="nobody"), r"entities\[2\] \(id=o1\)\.properties\.owner: refers to unknown entity 'nobody'"),
    (lambda d: d.pop("defaults"), r"sources\[0\] \(id=afp-r1\): no marking"),
    (lambda d: (d.pop("defaults"), d["sources"][0].update(marking={"tlp": "GREEN"})),
     r"entities\[0\] \(id=v1\)\.properties\.\w+: no marking"),
    (lambda d: d["defaults"].update(marking={"tlp": "PINK"}), r"defaults: marking: tlp: unknown TLP 'PINK'"),
    (lambda d: d.update(agency="NOBODY"), r"agency: unknown agency 'NOBODY'"),
    (lambda d: d["entities"][0].update(source="nope"), r"unknown source 'nope'"),
    (lambda d: d["claims"][0].update(low=50), r"claims\[0\] \(key=c1\): low 50 is above high 40"),
    (lambda d: d["claims"][0].update(reading="guess"), r"claims\[0\] \(key=c1\)\.reading: unknown reading 'guess'"),
    (lambda d: d["claims"][0].update(best="lots"), r"claims\[0\] \(key=c1\)\.best: not a number: 'lots'"),
    (lambda d: d["entities"].append(dict(d["entities"][0])), r"entities\[3\]: duplicate entity id 'v1'"),
    (lambda d: d["sources"][0].update(kind="rumour"), r"sources\[0\] \(id=afp-r1\)\.kind: unknown kind 'rumour'"),
    (lambda d: d.update(extra=1), r"file: unknown field\(s\): extra"),
]


@pytest.mark.parametrize("mutate, message", BAD_CASES)
def test_bad_records_are_rejected_with_location_and_nothing_changes(afp_node, tmp_path, mutate, message):
    afp_node.load(write(tmp_path, BASE, "good.yaml"))
    before = snapshot(afp_node)
    bad = yaml.safe_load(yaml.safe_dump(BASE))
    mutate(bad)
    path = write(tmp_path, bad, "bad.yaml")
    with pytest.raises(ValidationError, match=message) as info:
        afp_node.load(path)
    assert str(info.value).startswith(str(path))
    assert snapshot(afp_node) == before


def test_unparseable_file(afp_node, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("dataset: [unclosed\n")
    with pytest.raises(ValidationError, match=r"broken\.yaml: not valid YAML"):
        afp_node.load(path)


def test_datasets_and_sources_are_named_per_agency(afp_node, tmp_path):
    """JCG using AFP's dataset and source names makes a dataset of its own: nothing of AFP's
    changes and nothing tells JCG that AFP uses those names (issue 14, case 6)."""
    afp_node.load(write(tmp_path, BASE))
    afp_rows = [sorted(r for r in table if "AFP" in r) for table in snapshot(afp_node)]
    namesake = dict(BASE, agency="JCG")
    namesake["entities"] = [{"id": "jcg-v1", "schema": "Vessel", "source": "afp-r1", "grade": "C3",
                             "properties": {"name": "JCG vessel (synthetic)"}}]
    namesake["claims"] = [dict(BASE["claims"][0], entity="jcg-v1")]
    result = afp_node.load(write(tmp_path, namesake, "namesake.yaml"))
    assert result.changes["statements"]["added"] == 1 and result.changes["sources"]["added"] == 1
    assert [sorted(r for r in table if "AFP" in r) for table in snapshot(afp_node)] == afp_rows
    with afp_node.workspace.engine.connect() as conn:
        assert set(conn.execute(select(sources.c.id)).scalars()) == {"AFP:afp-r1", "JCG:afp-r1"}
    again = afp_node.load(write(tmp_path, BASE))  # AFP's dataset is still AFP's alone
    assert again.changes["statements"] == {"added": 0, "updated": 0, "unchanged": 6, "retracted": 0}


def test_statements_under_a_hidden_entity_stay_their_writers(afp_node, tmp_path):
    """JCG naming the id of an entity only AFP may see neither fails nor adds to AFP's entity: its
    statements are JCG's alone (issue 14, case 6)."""
    secret = dict(BASE, defaults={"marking": {"tlp": "RED"}}, claims=[])
    afp_node.load(write(tmp_path, secret))
    afp_node.registry.add_user("afp.one", "AFP", ["analyst"], password="synthetic-password-1")
    afp_node.registry.add_user("jcg.one", "JCG", ["analyst"], password="synthetic-password-1")
    before = afp_node.as_user("afp.one").entity("v1").to_dict()
    intruder = {"dataset": "jcg-notes", "agency": "JCG", "defaults": {"marking": {"tlp": "GREEN"}},
                "sources": [{"id": "jcg-r1", "title": "JCG report (synthetic)", "kind": "agency_report", "reliability": "C"}],
                "entities": [{"id": "v1", "schema": "Vessel", "source": "jcg-r1", "grade": "C3",
                              "properties": {"name": "Planted name (synthetic)"}}]}
    afp_node.load(write(tmp_path, intruder, "intruder.yaml"))
    assert afp_node.as_user("afp.one").entity("v1").to_dict() == before
    jcg_view = afp_node.as_user("jcg.one").entity("v1")
    assert [s.value for s in jcg_view.statements] == ["Planted name (synthetic)"]


def test_failure_midway_writes_nothing(afp_node, tmp_path, monkeypatch):
    """A crash after statements are written but before claims rolls everything back."""
    import interdict.intel.writer as writer

    original = writer.sync_records
    calls = []

    def failing_sync(conn, table, *args, **kwargs):
        calls.append(table.name)
        if table.name == "claims":
            raise RuntimeError("simulated crash")
        return original(conn, table, *args, **kwargs)

    monkeypatch.setattr(writer, "sync_records", failing_sync)
    with pytest.raises(RuntimeError):
        afp_node.load(write(tmp_path, BASE))
    assert calls == ["statements", "claims"]
    with afp_node.workspace.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(statements)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(sources)).scalar() == 0


def test_json_records_file(afp_node, tmp_path):
    import json

    path = tmp_path / "records.json"
    path.write_text(json.dumps(BASE))
    assert afp_node.load(path).statements == 6


def test_docs_example_loads(afp_node, tmp_path):
    """The example in docs/records-file.md is a working file."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "records-file.md").read_text()
    example = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.yaml"
    path.write_text(textwrap.dedent(example))
    with pytest.raises(ValidationError, match="releasable_to names KCG, USCG: no registered agency"):
        afp_node.load(path)  # release codes must name registered agencies (or countries)
    afp_node.registry.add_agency("KCG", "Korea Coast Guard", "KOR", True)
    afp_node.registry.add_agency("USCG", "United States Coast Guard", "USA", True)
    result = afp_node.load(path)
    assert result.statements > 0 and result.claims == 1


def test_references_resolve_only_to_entities_the_loader_may_see(afp_node, tmp_path):
    """A load must not reveal that another agency's hidden entity exists."""
    secret = yaml.safe_load(yaml.safe_dump(BASE))
    secret["dataset"] = "afp-secret"
    secret["defaults"] = {"marking": {"tlp": "RED"}}
    secret["sources"] = [{"id": "afp-r2", "title": "AFP report 2 (synthetic)", "kind": "agency_report", "reliability": "B"}]
    secret["entities"] = [{"id": "afp-hidden", "schema": "Person", "source": "afp-r2", "grade": "C3",
                           "properties": {"name": "Hidden Person (synthetic)"}}]
    secret.pop("claims")
    afp_node.load(write(tmp_path, secret, "secret.yaml"))
    probe = {
        "dataset": "jcg-probe", "agency": "JCG", "defaults": {"marking": {"tlp": "GREEN"}},
        "sources": [{"id": "jcg-r1", "title": "JCG (synthetic)", "kind": "agency_report", "reliability": "B"}],
        "entities": [{"id": "jcg-link", "schema": "UnknownLink", "source": "jcg-r1", "grade": "C3",
                      "properties": {"subject": "afp-hidden", "object": "afp-hidden"}}],
    }
    with pytest.raises(ValidationError, match="refers to unknown entity 'afp-hidden'") as hidden:
        afp_node.load(write(tmp_path, probe, "probe.yaml"))
    probe["entities"][0]["properties"] = {"subject": "never-stored", "object": "never-stored"}
    with pytest.raises(ValidationError, match="refers to unknown entity 'never-stored'") as missing:
        afp_node.load(write(tmp_path, probe, "probe.yaml"))
    assert str(hidden.value).replace("afp-hidden", "X") == str(missing.value).replace("never-stored", "X")
    # the originator itself may refer to its own entity
    own = dict(probe, dataset="afp-own", agency="AFP",
               sources=[{"id": "afp-r3", "title": "AFP 3 (synthetic)", "kind": "agency_report", "reliability": "B"}])
    own["entities"] = [{"id": "afp-link", "schema": "UnknownLink", "source": "afp-r3", "grade": "C3",
                        "properties": {"subject": "afp-hidden", "object": "v1"}}]
    afp_node.load(write(tmp_path, BASE, "base.yaml"))
    assert afp_node.load(write(tmp_path, own, "own.yaml")).statements == 2
