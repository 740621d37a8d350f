"""The `interdict` command through its real entry point (a subprocess, as a user runs it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent / "interdict"


def run(*args: str, home: Path, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "INTERDICT_DATABASE_URL"}
    full_env.update({"INTERDICT_HOME": str(home), "COLUMNS": "200", **(env or {})})
    result = subprocess.run([str(BIN), *args], capture_output=True, text=True, env=full_env, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} exited {result.returncode}: {result.stderr}")
    return result


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def cli_home(request, tmp_path_factory):
    """A demo workspace built once per back end through the CLI; the tests below read it, and
    what they write (re-runs, rejected loads) leaves it as it was."""
    from conftest import database_for

    folder = tmp_path_factory.mktemp(f"cli-{request.param}")
    urls = database_for(request.param, folder)
    url = next(urls)
    home = folder / "ws"
    env = {"INTERDICT_DATABASE_URL": url}
    summary = json.loads(run("demo", "--no-serve", "--json", home=home, env=env).stdout)
    yield home, env, summary
    urls.close()


def test_help_lists_commands(tmp_path):
    out = run("--help", home=tmp_path).stdout
    for command in ("demo", "serve", "init", "load", "search", "entity", "claims", "export", "agency", "user"):
        assert command in out


def test_demo_json_summary(cli_home):
    _, _, summary = cli_home
    case = summary["case_file"]
    assert case["dataset"] == "case-dprk-narcotics"
    assert case["entities"] == 29 and case["statements"] == 133 and case["claims"] == 13
    assert summary["datasets"][0]["synthetic"] is True
    lists = {item["dataset"]: item for item in summary["sanctions_lists"]}
    assert lists["ofac-sdn"]["entities"] > 30000 and lists["un-sc-consolidated"]["entities"] > 1700
    assert {u["username"] for u in summary["users"]} >= {"afp.analyst", "incb.monitor"}
    assert summary["screening"]["vessels_screened"] > 10000 and summary["screening"]["matches"] > 0


def test_watchlist_and_resolve_commands(cli_home):
    home, env, _ = cli_home
    # real DMA vessels transmit IMO numbers of OFAC-listed vessels: identifier matches, in the risk score
    listed = json.loads(run("watchlist", "--user", "jcg.watch", "--kind", "vessel", "--listed", "--json", home=home, env=env).stdout)
    by_imo = [m for m in listed if m["basis"] == "imo"]
    assert by_imo and all(m["score"] == 1.0 and m["listed"] for m in by_imo)
    risk = json.loads(run("risk", "--user", "jcg.watch", "--json", home=home, env=env).stdout)
    reasons = {r["mmsi"]: {x["kind"] for x in r["reasons"]} for r in risk}
    assert "watchlist" in reasons[int(by_imo[0]["subject"])]
    # the case file's Daesung Sangsa is offered as a duplicate of the listed Daesong/Taesong companies
    candidates = json.loads(run("resolve", "candidates", "--user", "kcg.analyst", "--entity", "case-daesung-sangsa", "--json",
                                home=home, env=env).stdout)
    right = {c["right"] for c in candidates}
    assert right & {"ofac-12313", "un-6908560", "ofac-12219", "un-6908559"}
    judged = json.loads(run("resolve", "judge", "case-daesung-sangsa", "ofac-12313", "same", "--user", "kcg.analyst",
                            "--note", "test", "--json", home=home, env=env).stdout)
    assert judged["cluster"]["members"] == ["case-daesung-sangsa", "ofac-12313"]
    shown = json.loads(run("resolve", "show", "ofac-12313", "--user", "kcg.analyst", "--json", home=home, env=env).stdout)
    assert shown["canonical_id"] == judged["cluster"]["canonical_id"] and shown["id"] == shown["canonical_id"]
    run("resolve", "undo", judged["id"], "--user", "kcg.analyst", home=home, env=env)
    shown = json.loads(run("resolve", "show", "ofac-12313", "--user", "kcg.analyst", "--json", home=home, env=env).stdout)
    assert shown["members"] == ["ofac-12313"]
    bad = run("resolve", "judge", "case-daesung-sangsa", "ofac-12313", "maybe", "--user", "kcg.analyst", home=home, env=env,
              check=False)
    assert bad.returncode == 2 and "same, different, unsure" in bad.stderr


def test_demo_twice_changes_nothing(cli_home):
    home, env, _ = cli_home
    again = json.loads(run("demo", "--no-serve", "--json", home=home, env=env).stdout)
    assert again["case_file"]["changes"]["statements"] == {"added": 0, "updated": 0, "unchanged": 133, "retracted": 0}
    assert all(item["diff"]["added"] == item["diff"]["removed"] == item["diff"]["changed"] == 0 for item in again["sanctions_lists"])


def test_read_commands_as_users(cli_home):
    home, env, _ = cli_home
    found = json.loads(run("search", "pong su", "--user", "jcg.watch", "--json", home=home, env=env).stdout)
    assert found[0]["id"] == "case-pong-su"
    entity = json.loads(run("entity", "case-pong-su", "--user", "incb.monitor", "--json", home=home, env=env).stdout)
    notes = [s["value"] for s in entity["properties"]["notes"]]
    assert not any("AFP internal" in n or "Law-enforcement only" in n for n in notes)
    claims = json.loads(run("claims", "--user", "incb.monitor", "--json", home=home, env=env).stdout)
    assert len(claims) == 13
    table = run("entity", "case-pong-su", "--user", "afp.analyst", home=home, env=env).stdout
    assert "TLP:RED" in table and "Pong Su" in table
    exported = run("export", "--user", "jcg.watch", home=home, env=env).stdout.splitlines()
    assert any(json.loads(line)["id"] == "case-pong-su" for line in exported)
    assert "originator-controlled" not in "\n".join(exported)  # ORCON stays on the node


def test_bad_input_exits_2_without_traceback(cli_home, tmp_path):
    home, env, _ = cli_home
    bad = tmp_path / "bad.yaml"
    bad.write_text("dataset: x\nagency: AFP\ndefaults: {marking: {tlp: GREEN}}\n"
                   "sources: [{id: s, title: t, kind: press, reliability: B}]\n"
                   "entities: [{id: e, schema: Vessel, source: s, grade: B9, properties: {name: X}}]\n")
    result = run("load", str(bad), home=home, env=env, check=False)
    assert result.returncode == 2
    assert "bad.yaml: entities[0] (id=e): grade: unknown information credibility '9'" in result.stderr
    assert "Traceback" not in result.stderr
    debug = run("--debug", "load", str(bad), home=home, env=env, check=False)
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_unknown_user_and_missing_workspace(tmp_path):
    result = run("search", "x", "--user", "nobody", home=tmp_path / "none", check=False)
    assert result.returncode == 2 and "no workspace at" in result.stderr


def test_agency_and_user_commands(tmp_path):
    home = tmp_path / "ws"
    run("init", home=home)
    run("agency", "add", "AFP", "--name", "Australian Federal Police", "--country", "AUS", "--law-enforcement", home=home)
    bad = run("agency", "add", "AFP", "--name", "x", "--country", "Australia", "--law-enforcement", home=home, check=False)
    assert bad.returncode == 2 and "alpha-3" in bad.stderr
    run("user", "add", "afp.x", "--agency", "AFP", "--role", "analyst", "--password", "long enough pw", home=home)
    users = json.loads(run("user", "list", "--json", home=home).stdout)
    assert users == [{"username": "afp.x", "agency": "AFP", "roles": ["analyst"], "display_name": "afp.x"}]
    token = run("user", "token", "afp.x", home=home).stdout.strip().split()[-1]
    assert token.startswith("idt_")
    run("user", "token", "afp.x", "--label", "cron", "--expires", "never", home=home)
    bad = run("user", "token", "afp.x", "--expires", "soon", home=home, check=False)
    assert bad.returncode == 2 and "expected a duration" in bad.stderr
    tokens = json.loads(run("user", "tokens", "afp.x", "--json", home=home).stdout)
    assert {t["label"]: bool(t["expires_at"]) for t in tokens} == {"api": True, "cron": False}
    cron = next(t["id"] for t in tokens if t["label"] == "cron")
    run("user", "revoke", cron, home=home)
    assert run("user", "revoke", cron, home=home, check=False).returncode == 2  # no live token of that id
    assert "1 API token(s)" in run("user", "revoke", "--all-of", "afp.x", home=home).stdout
    revoked = json.loads(run("user", "tokens", "afp.x", "--json", home=home).stdout)
    assert all(t["revoked_at"] for t in revoked)


def test_ais_commands(cli_home, shared_data, ais_sample, tmp_path):
    home, env, summary = cli_home
    assert summary["ais"]["store"]["batches"] == 4 and summary["ais"]["store"]["vessels"] > 13000
    stats = json.loads(run("ais", "stats", "--user", "incb.monitor", "--json", home=home, env=env).stdout)
    assert stats["positions"] == summary["ais"]["store"]["positions"]
    vessels = json.loads(run("ais", "vessels", "EVER SHINING", "--user", "jcg.watch", "--json", home=home, env=env).stdout)
    assert vessels[0]["mmsi"] == 351118000 and vessels[0]["imo"] == 9209312
    quality = json.loads(run("ais", "quality", "--user", "jcg.watch", "--json", home=home, env=env).stdout)
    assert {0: "MMSI 0", 123456789: "test or default number"}.items() <= {e["mmsi"]: e["reason"] for e in quality["identities"]}.items()
    assert len(quality["sources"]) == 4
    dark = json.loads(run("dark-now", "--user", "jcg.watch", "--top", "5", "--json", home=home, env=env).stdout)
    assert 0 < len(dark) <= 5 and all(r["covered_after"] >= 0.5 for r in dark)
    assert "dark (h)" in run("dark-now", "--user", "jcg.watch", "--top", "3", home=home, env=env).stdout
    again = json.loads(run("ais", "ingest", str(ais_sample("ais/amsa_risky/exact-earth-augmented.txt")), "--agency", "INCB",
                           "--tlp", "CLEAR", "--grade", "B2", "--json", home=home, env=env).stdout)
    assert again["status"] == "unchanged"  # the demo bundled the same file
    bad = run("ais", "ingest", str(ais_sample("ais/amsa_risky/ais.txt.gz")), "--agency", "INCB", "--tlp", "PINK",
              "--grade", "B2", home=home, env=env, check=False)
    assert bad.returncode == 2 and "unknown TLP 'PINK'" in bad.stderr
    decoded = run("ais", "decode", str(shared_data / "ais/pyais/nmea_data_sample.txt"), "--json", home=home, env=env)
    first = json.loads(decoded.stdout.splitlines()[0])
    assert {"msg_type", "mmsi", "lat", "lon", "speed", "course", "heading", "status", "turn"} <= set(first)
    totals = json.loads(decoded.stderr.strip().splitlines()[-1])
    assert totals["messages"] == len(decoded.stdout.splitlines())
    # the same messages as the reference decoder, pyais, finds in the file; the rest rejected with reasons
    from pyais.stream import FileReaderStream

    reference = 0
    for message in FileReaderStream(str(shared_data / "ais/pyais/nmea_data_sample.txt")):
        try:
            message.decode()
        except Exception:  # pyais raises several kinds for a bad payload: counted as not decoded
            continue
        reference += 1
    assert totals["messages"] == reference > 0
    assert totals["rejected"] == sum(totals["rejected_by_reason"].values()) > 0


def test_graph_commands(cli_home):
    home, env, _ = cli_home
    path = json.loads(run("graph", "path", "case-man-jin-ri", "case-pong-su", "--user", "kcg.analyst", "--json",
                          home=home, env=env).stdout)
    assert path["found"] and [s["to"]["id"] for s in path["steps"]] == ["case-event-pong-su-boarding", "case-pong-su"]
    near = json.loads(run("graph", "neighbours", "case-office-39", "--depth", "2", "--user", "jcg.watch", "--json",
                          home=home, env=env).stdout)
    assert "case-yakuza" in {n["id"] for n in near["nodes"]}
    hidden = run("graph", "neighbours", "synthetic-afp-person-of-interest", "--user", "jcg.watch", home=home, env=env, check=False)
    assert hidden.returncode == 2 and "no entity" in hidden.stderr
