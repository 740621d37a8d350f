"""Sanctions list importers on the real OFAC and UN lists: entities, identifiers, list diffs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interdict.errors import NotFound, ValidationError
from interdict.intel.lists import import_list

DPRK_ENTS = ("12209", "12312", "12313", "12219")


@pytest.fixture
def list_node(node):
    node.registry.add_agency("INCB", "INCB", "XUN", False)
    node.registry.add_agency("AFP", "AFP", "AUS", True)
    node.registry.add_user("afp.u", "AFP", ["analyst"])
    return node


def sdn_subset(shared_data, tmp_path, *, drop=(), change=None, name="sdn.csv"):
    """A real slice of sdn.csv: the first 300 records, the DPRK ones the case needs, and vessels."""
    raw = (shared_data / "sanctions/ofac_sdn_csv_2024-05-03/sdn.csv").read_bytes().decode("cp1252")
    lines = [l for l in raw.splitlines() if l.strip() and l.strip() != "\x1a"]
    keep = lines[:300] + [l for l in lines if l.split(",")[0] in DPRK_ENTS or '"vessel","DPRK' in l][:60]
    keep = [l for l in keep if l.split(",")[0] not in drop]
    if change:
        keep = [change(l) for l in keep]
    path = tmp_path / name
    path.write_bytes("\r\n".join(dict.fromkeys(keep)).encode("cp1252"))
    return path


def test_ofac_import_and_list_diff(list_node, shared_data, tmp_path):
    alt = shared_data / "sanctions/ofac_alt_add_csv_2026-06/alt.csv"
    first = import_list(list_node.workspace.engine, "ofac", [sdn_subset(shared_data, tmp_path), alt], agency="INCB",
                        list_date="2024-05-03")
    assert first.diff["added"] == first.entities and first.diff["removed"] == 0
    me = list_node.as_user("afp.u")
    office = me.entity("ofac-12209")
    assert office.schema == "LegalEntity"
    assert {"OFFICE 39", "BUREAU 39", "DIVISION 39"} <= {s.value for s in office.statements if s.prop in ("name", "alias")}
    assert all(s.grade.code == "A1" and s.marking.tlp.value == "CLEAR" for s in office.statements)
    assert any(r.via_schema == "Sanction" for r in office.relations)
    bank = me.entity("ofac-12312")
    assert {"TAESONG BANK", "CHOSON TAESONG UNHAENG"} <= {s.value for s in bank.statements if s.prop == "alias"}
    vessels = [v for v in me.search("", schema="Vessel", limit=1000) if v.id.startswith("ofac-")]
    assert vessels and all(any(s.prop == "imoNumber" and s.value.startswith("IMO") for s in v.statements)
                           for v in vessels if any("IMO" in s.value for s in v.statements if s.prop == "notes"))
    # a newer version: one delisting, one amended record
    newer = sdn_subset(shared_data, tmp_path, drop=("12219",), name="sdn-newer.csv",
                       change=lambda l: l.replace('"OFFICE 39"', '"OFFICE NO. 39 OF THE KWP"') if l.startswith("12209,") else l)
    second = import_list(list_node.workspace.engine, "ofac", [newer, alt], agency="INCB", list_date="2024-06-01")
    assert second.diff["removed"] == 2  # the delisted entity and its Sanction record
    assert second.diff["changed"] >= 1 and second.diff["added"] == 0
    with pytest.raises(NotFound):
        me.entity("ofac-12219")
    assert "OFFICE NO. 39 OF THE KWP" in {s.value for s in me.entity("ofac-12209").statements}
    again = import_list(list_node.workspace.engine, "ofac", [newer, alt], agency="INCB", list_date="2024-06-01")
    assert again.diff == {"added": 0, "removed": 0, "changed": 0, "unchanged": second.entities}


def test_un_import(list_node, shared_data):
    result = import_list(list_node.workspace.engine, "un", [shared_data / "sanctions/un_sc_consolidated_2024-09-26/consolidated.xml"],
                         agency="INCB")
    me = list_node.as_user("afp.u")
    office = [v for v in me.search("office 39") if v.id.startswith("un-")]
    assert office and "KPe.030" in {s.value for s in office[0].statements if s.prop == "programId"}
    sanction = next(r for r in me.entity(office[0].id).relations if r.via_schema == "Sanction")
    assert any(s.prop == "listingDate" and s.value == "2016-03-02" for s in sanction.statements)
    assert result.entities > 1700 and not result.unclean
    persons = me.search("", schema="Person", limit=5000)
    assert any(any(s.prop == "birthDate" for s in p.statements) for p in persons if p.id.startswith("un-"))


def test_ftm_round_trip(list_node, shared_data, tmp_path):
    import_list(list_node.workspace.engine, "un", [shared_data / "sanctions/un_sc_consolidated_2024-09-26/consolidated.xml"],
                agency="INCB")
    exported = tmp_path / "export.ftm.jsonl"
    with open(exported, "w") as handle:
        for item in list_node.as_user("afp.u").export_ftm():
            handle.write(json.dumps(item) + "\n")
    other = tmp_path / "other"
    from interdict.api import Interdict

    node2 = Interdict.open(other, f"sqlite:///{tmp_path / 'other.db'}")
    node2.registry.add_agency("AFP", "AFP", "AUS", True)
    result = import_list(node2.workspace.engine, "ftm", [exported], agency="AFP", dataset="from-node-1")
    assert result.entities == sum(1 for _ in open(exported))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "schema": "Spaceship", "properties": {}}\n')
    with pytest.raises(ValidationError, match=r"bad\.jsonl: line 1 \(id=x\): unknown schema 'Spaceship'"):
        import_list(node2.workspace.engine, "ftm", [bad], agency="AFP", dataset="bad")


def test_bad_list_input(list_node, tmp_path):
    broken = tmp_path / "consolidated.xml"
    broken.write_text("<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL>")
    with pytest.raises(ValidationError, match="not valid XML"):
        import_list(list_node.workspace.engine, "un", [broken], agency="INCB")
    short = tmp_path / "sdn.csv"
    short.write_text('1,"X","individual"\n')
    with pytest.raises(ValidationError, match=r"sdn\.csv: row 1: expected 12 columns"):
        import_list(list_node.workspace.engine, "ofac", [short], agency="INCB")


def test_ofac_advanced_xml_import(node, tmp_path):
    """OFAC's sdn_advanced.xml (SYNTHETIC sample in tests/data with the real structure): the same
    entity ids as the CSV importer, names from typed name parts, vessel features and IMO from ID
    documents, programmes, relationships; a re-import changes nothing."""
    from interdict.intel.lists import import_list
    from interdict.intel.screening import ScreeningIndex

    node.registry.add_agency("INCB", "INCB", "XUN", False)
    node.registry.add_user("incb.monitor", "INCB", ["monitor"])
    sample = Path(__file__).parent / "data" / "ofac_advanced_synthetic.xml"
    result = import_list(node.workspace.engine, "ofac-advanced", [sample], agency="INCB")
    assert result.dataset == "ofac-sdn" and result.entities == 5 and not result.unclean, result.unclean
    me = node.as_user("incb.monitor")
    vessel = me.entity("ofac-990001").ftm()["properties"]
    assert vessel["name"] == ["SYNTHETIC SONGBIRD"] and vessel["previousName"] == ["SYNTHETIC SAE BYOL"]
    assert vessel["imoNumber"] == ["IMO9912347"] and vessel["callSign"] == ["HMSY7"] and vessel["flag"] == ["kp"]
    assert vessel["type"] == ["General Cargo"] and vessel["tonnage"] == ["2745"] and vessel["program"] == ["DPRK3"]
    person = me.entity("ofac-990002").ftm()["properties"]
    assert person["name"] == ["RI, Synthetic Chol"] and person["weakAlias"] == ["SYNTHETIC UNCLE"]
    assert person["birthDate"] == ["1961-03-14"] and person["nationality"] == ["kp"] and person["passportNumber"] == ["SYN123456"]
    assert person["address"] == ["SYNTHETIC Street 1, Pyongyang, Korea, North"]
    sanction = me.entity("ofac-990001-sanction").ftm()["properties"]
    assert sanction["listingDate"] == ["2017-09-21"] and sanction["entity"] == ["ofac-990001"]
    link = me.entity("ofac-990002-link-990001").ftm()["properties"]
    assert link["role"] == ["Associate Of (OFAC)"]
    index = ScreeningIndex.build(node.workspace.engine, me.viewer)
    assert index.screen("IMO 9912347", limit=1)[0].id == "ofac-990001"
    assert index.screen("Ri Synthetic Chol", schema="Person", limit=1)[0].id == "ofac-990002"
    again = import_list(node.workspace.engine, "ofac-advanced", [sample], agency="INCB")
    assert again.diff["added"] == again.diff["removed"] == again.diff["changed"] == 0


def test_ofac_advanced_rejects_other_xml(node, tmp_path):
    from interdict.errors import ValidationError
    from interdict.intel.lists import import_list

    node.registry.add_agency("INCB", "INCB", "XUN", False)
    other = tmp_path / "other.xml"
    other.write_text("<CONSOLIDATED_LIST/>")
    with pytest.raises(ValidationError, match="not an OFAC advanced XML"):
        import_list(node.workspace.engine, "ofac-advanced", [other], agency="INCB")
    broken = tmp_path / "broken.xml"
    broken.write_text("<Sanctions><DistinctParties>")
    with pytest.raises(ValidationError, match="not XML"):
        import_list(node.workspace.engine, "ofac-advanced", [broken], agency="INCB")


def _live(node, dataset: str) -> int:
    from sqlalchemy import func, select

    from interdict.tables import statements

    with node.workspace.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(statements).where(
            statements.c.dataset == dataset, statements.c.retracted_at.is_(None))).scalar()


def test_an_empty_list_file_never_wipes_the_list(list_node, shared_data, tmp_path):
    """A valid but empty UN file (100 bytes) once retracted all 1,750 entities with exit code 0:
    now it is refused with the diff, nothing written, unless --allow-shrink; --dry-run shows the diff."""
    real = shared_data / "sanctions/un_sc_consolidated_2024-09-26/consolidated.xml"
    first = import_list(list_node.workspace.engine, "un", [real], agency="INCB")
    live = _live(list_node, first.dataset)
    empty = tmp_path / "consolidated.xml"
    empty.write_text('<CONSOLIDATED_LIST dateGenerated="2024-10-01T00:00:00"><INDIVIDUALS/><ENTITIES/></CONSOLIDATED_LIST>')
    with pytest.raises(ValidationError, match=r"would retract 1,\d{3} of the 1,\d{3} entities .*\(100%, more than the 10% allowed\)"
                                               r".*nothing was written") as refused:
        import_list(list_node.workspace.engine, "un", [empty], agency="INCB")
    assert refused.value.where == "consolidated.xml"
    assert _live(list_node, first.dataset) == live
    preview = import_list(list_node.workspace.engine, "un", [empty], agency="INCB", dry_run=True, allow_shrink=True)
    assert preview.dry_run and preview.diff["removed"] == first.diff["added"] and len(preview.removed) == 20
    assert any(e["name"] for e in preview.removed)
    assert _live(list_node, first.dataset) == live
    # a small delisting is an ordinary update; a large one passes when allowed, or under a looser limit
    shrunk = import_list(list_node.workspace.engine, "un", [empty], agency="INCB", max_shrink=1.0)
    assert shrunk.diff["removed"] == first.diff["added"] and _live(list_node, first.dataset) == 0
    with pytest.raises(ValidationError, match="between 0 and 1"):
        import_list(list_node.workspace.engine, "un", [real], agency="INCB", max_shrink=1.5)


def test_lists_import_cli_refuses_a_shrinking_list(list_node, shared_data, tmp_path):
    """Through the real entry point: exit 2 and one line naming the file, no traceback."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "INTERDICT_HOME": str(list_node.workspace.home), "COLUMNS": "200",
           "INTERDICT_DATABASE_URL": list_node.workspace.engine.url.render_as_string(hide_password=False)}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(Path(sys.executable).parent / "interdict"), "lists", "import", "un", *args, "--agency", "INCB"],
                              capture_output=True, text=True, env=env, timeout=300)

    real = shared_data / "sanctions/un_sc_consolidated_2024-09-26/consolidated.xml"
    assert run(str(real), "--json").returncode == 0
    empty = tmp_path / "consolidated.xml"
    empty.write_text('<CONSOLIDATED_LIST dateGenerated="2024-10-01T00:00:00"><INDIVIDUALS/><ENTITIES/></CONSOLIDATED_LIST>')
    refused = run(str(empty))
    assert refused.returncode == 2 and "--allow-shrink" in refused.stderr and "Traceback" not in refused.stderr
    assert refused.stderr.strip().startswith("error: consolidated.xml: this version would retract 1,750"), refused.stderr
    dry = run(str(empty), "--dry-run", "--allow-shrink")
    assert dry.returncode == 0 and "dry run: nothing was written" in dry.stdout and "retracted (would be)" in dry.stdout
