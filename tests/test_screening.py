"""Screening against the real lists and the case file, through the access decision."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from interdict.demo import import_demo_lists
from interdict.intel.screening import ScreeningIndex


@pytest.fixture(scope="module")
def screened(tmp_path_factory):
    """The demo with the real OFAC and UN lists, on SQLite, built once for this module."""
    from interdict.api import Interdict
    from interdict.demo import run_demo

    folder = tmp_path_factory.mktemp("screening")
    node = Interdict.open(folder / "ws", f"sqlite:///{folder / 'ws.db'}")
    run_demo(node, lists=False, ais=False, seizures=False)
    import_demo_lists(node)
    return node


def index_for(node, username):
    return ScreeningIndex.build(node.workspace.engine, node.as_user(username).viewer)


@pytest.mark.parametrize("query, expected", [
    ("Taesong Trading", {"ofac-12219", "un-6908559"}),
    ("Daesung General Trading Corp", {"ofac-12313", "un-6908560"}),
    ("Office No. 39 of the Korean Workers' Party", {"ofac-12209", "un-6908524"}),
    ("Bureau 39", {"ofac-12209", "un-6908524"}),
])
def test_founding_case_names_find_their_listed_entities(screened, query, expected):
    hits = index_for(screened, "jcg.watch").screen(query, limit=10)
    assert expected <= {h.id for h in hits}
    assert all(h.explanation and h.source for h in hits)
    assert all(h.programs for h in hits if h.id in expected)  # list entries name their programmes


def test_pong_su_finds_the_case_vessel_not_a_sanctions_entry(screened):
    hits = index_for(screened, "jcg.watch").screen("Pong Su", schema="Vessel", limit=5)
    assert hits[0].id == "case-pong-su" and hits[0].score == 1.0
    assert all(h.score < 0.8 for h in hits[1:])


def test_identifier_screening(screened):
    index = index_for(screened, "jcg.watch")
    vessel = next(c for c in index.candidates.values() if c.schema == "Vessel" and c.entity_id.startswith("ofac-")
                  and any(k.startswith("IMO") and c.entity_id in ids for k, ids in index.identifiers.items()))
    imo = next(k for k, ids in index.identifiers.items() if k.startswith("IMO") and vessel.entity_id in ids)
    hits = index.screen(imo.replace("IMO", "IMO "), limit=3)
    assert hits[0].id == vessel.entity_id and hits[0].score == 1.0 and "identifier" in hits[0].explanation


def test_screening_never_uses_hidden_statements(screened):
    """The RED synthetic person of the AFP exists for AFP screening only."""
    assert index_for(screened, "afp.analyst").screen("Person of interest 001", limit=3)
    for username in ("jcg.watch", "incb.monitor"):
        hits = index_for(screened, username).screen("Person of interest 001", limit=10)
        assert "synthetic-afp-person-of-interest" not in {h.id for h in hits}


def test_screen_command(screened, tmp_path):
    interdict = str(Path(sys.executable).parent / "interdict")
    env = {"INTERDICT_HOME": str(screened.workspace.home),
           "INTERDICT_DATABASE_URL": screened.workspace.engine.url.render_as_string(hide_password=False),
           "PATH": "/usr/bin:/bin"}
    out = subprocess.run([interdict, "screen", "Taesong Trading", "--user", "kcg.analyst", "--json"],
                         capture_output=True, text=True, env=env, check=True).stdout
    results = json.loads(out)
    assert {"id", "name", "schema", "score", "matched_name", "source", "programs", "explanation"} <= set(results[0])
    assert results[0]["match"] is True
    names = tmp_path / "names.csv"
    names.write_text("name,schema\nBureau 39,Organization\nPong Su,Vessel\n")
    batch = json.loads(subprocess.run([interdict, "screen", "--file", str(names), "--user", "kcg.analyst", "--json"],
                                      capture_output=True, text=True, env=env, check=True).stdout)
    assert [b["query"] for b in batch] == ["Bureau 39", "Pong Su"] and batch[1]["results"][0]["id"] == "case-pong-su"
    bad = tmp_path / "bad.csv"
    bad.write_text("firm\nX\n")
    failed = subprocess.run([interdict, "screen", "--file", str(bad), "--user", "kcg.analyst"], capture_output=True, text=True, env=env)
    assert failed.returncode == 2 and "needs a 'name' column" in failed.stderr


def test_a_large_batch_is_screened_over_forked_workers_with_the_same_results(screened, monkeypatch):
    import interdict.intel.screening as screening

    index = index_for(screened, "jcg.watch")
    names = sorted({value for c in index.candidates.values() for _, value in c.names})[:120]
    queries = [{"name": n} for n in names] + [{"name": "Pong Su", "schema": "Vessel"}]
    single = index.screen_many(queries, limit=3, workers=1)
    monkeypatch.setattr(screening, "PARALLEL_FROM", 10)
    forked = index.screen_many(queries, limit=3, workers=2)
    assert forked == single and len(forked) == len(queries)
    assert forked[-1][0].id == "case-pong-su"


def test_an_agency_record_of_a_listed_bureau_is_paired_with_the_list_entries_but_list_entries_not_with_each_other():
    """The case file's Office 39 (topic sanction, cited from an agency's source) against the OFAC
    and UN entries: the strongest candidate duplicates of the case. OFAC against UN: not compared
    (two lists are not a case; thousands of pairs)."""
    from interdict.intel.screening import Candidate, ScreeningIndex
    from interdict.intel.watchlist import screen_entities

    def candidate(entity_id, name, source):
        found = Candidate(entity_id, "Organization", names=[("name", name)], sources={source}, listed=True)
        found.evidence[name] = [f"st-{entity_id}"]
        return found

    index = ScreeningIndex({"case-office-39": candidate("case-office-39", "Office 39", "AFP:case-report"),
                            "ofac-1": candidate("ofac-1", "OFFICE 39", "INCB:ofac-sdn"),
                            "un-1": candidate("un-1", "Office No. 39", "INCB:un-sc")},
                           {}, {}, {"AFP:case-report": "agency_report", "INCB:ofac-sdn": "dataset", "INCB:un-sc": "dataset"})
    _, rows = screen_entities(index)
    pairs = {frozenset((r["subject"], r["entity_id"])) for r in rows}
    assert frozenset(("case-office-39", "ofac-1")) in pairs and frozenset(("case-office-39", "un-1")) in pairs
    assert frozenset(("ofac-1", "un-1")) not in pairs
