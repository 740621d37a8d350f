"""The tamper-evident audit log (interdict.audit) on both databases: reads are logged before they
leave, checkpoints are signed with the node's key, `verify` fails on any altered, deleted, inserted
or reordered entry, proofs check offline, and only the originator (or an admin) learns who read."""

from __future__ import annotations

import base64
import json
import textwrap
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from test_cli import run

from interdict import audit, identity, merkle
from interdict.demo import setup_node
from interdict.errors import NotFound

RECORDS = textwrap.dedent("""\
    # SYNTHETIC records for the audit tests
    dataset: test-audit
    title: "SYNTHETIC: audit"
    agency: AFP
    synthetic: true
    defaults:
      marking: {tlp: AMBER, releasable_to: [JPN]}
      grade: B2
    sources:
      - id: test-audit-source
        title: "SYNTHETIC audit source"
        kind: agency_report
        reliability: B
    entities:
      - id: test-audit-person
        schema: Person
        source: test-audit-source
        properties:
          name: "SYNTHETIC Audited Person"
      - id: test-audit-company
        schema: Company
        source: test-audit-source
        marking: {tlp: GREEN}
        properties:
          name: "SYNTHETIC Audited Trading"
    """)


@pytest.fixture
def audited(node, tmp_path):
    setup_node(node)
    records = tmp_path / "audit.yaml"
    records.write_text(RECORDS, encoding="utf-8")
    node.load(records, screen=False)
    node.ensure_identity()
    return node


def _reads(node) -> None:
    node.as_user("afp.analyst").entity("test-audit-person")
    node.as_user("jcg.watch", path="web").entity("test-audit-person")
    node.as_user("kcg.analyst").entity("test-audit-company")
    node.audit_checkpoint(force=True)
    node.as_user("afp.analyst", path="cli").entity("test-audit-company")
    node.as_user("uscg.watch").entity("test-audit-company")
    node.audit_checkpoint(force=True)


def _tamper(node, sql: str, **params) -> None:
    """Change the log behind the application's back: the append-only triggers set aside, as
    someone with the database file or superuser rights can."""
    engine = node.workspace.engine
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            for name in ("audit_entries_no_update", "audit_entries_no_delete"):
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
        else:
            conn.exec_driver_sql("ALTER TABLE audit_entries DISABLE TRIGGER USER")
        conn.execute(sa.text(sql), params)


def test_reads_are_logged_with_who_how_and_markings_and_the_untouched_log_verifies(audited):
    _reads(audited)
    log = audited.audit_log()
    assert [(e["user"], e["agency"], e["objects"], e["path"]) for e in log] == [
        ("afp.analyst", "AFP", ["test-audit-person"], "python"), ("jcg.watch", "JCG", ["test-audit-person"], "web"),
        ("kcg.analyst", "KCG", ["test-audit-company"], "python"), ("afp.analyst", "AFP", ["test-audit-company"], "cli"),
        ("uscg.watch", "USCG", ["test-audit-company"], "python")]
    assert log[0]["markings"] == ["TLP:AMBER releasable to JPN"] or log[0]["markings"][0].startswith("TLP:AMBER")
    assert all(e["action"] == "read entity" and e["request_id"] for e in log)
    result = audited.audit_verify()
    assert result["ok"] and result["entries"] == 5 and result["checkpoints"] == 2 and result["covered"] == 5, result
    # a user who may not see the record leaves no entry: nothing was read
    with pytest.raises(NotFound):
        audited.as_user("incb.monitor").entity("test-audit-person")
    assert len(audited.audit_log()) == 5


def test_the_log_refuses_update_and_delete_on_both_databases(audited):
    _reads(audited)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), audited.workspace.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_entries SET username = 'nobody' WHERE seq = 0"))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), audited.workspace.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_checkpoints"))
    assert audited.audit_verify()["ok"]


@pytest.mark.parametrize(("change", "sql", "first_bad"), [
    ("altered", "UPDATE audit_entries SET username = 'nobody' WHERE seq = 1", 1),
    ("altered with its leaf rewritten", "UPDATE audit_entries SET username = 'afp.analyst', leaf = :leaf WHERE seq = 2", None),
    ("deleted", "DELETE FROM audit_entries WHERE seq = 3", 3),
    ("reordered", "", 0),
])
def test_verify_fails_on_any_change_and_names_what_it_can(audited, change, sql, first_bad):
    _reads(audited)
    params = {}
    if ":leaf" in sql:  # the forger recomputes the leaf hash too: only the signed root tells
        rows = audit.entries(audited.workspace.engine)
        forged = audit.Entry(**{**rows[2].__dict__, "username": "afp.analyst"})
        params = {"leaf": forged.leaf().hex()}
    if change == "reordered":  # entries 0 and 4 change places
        _tamper(audited, "UPDATE audit_entries SET seq = 100 WHERE seq = 0")
        with audited.workspace.engine.begin() as conn:
            conn.execute(sa.text("UPDATE audit_entries SET seq = 0 WHERE seq = 4"))
            conn.execute(sa.text("UPDATE audit_entries SET seq = 4 WHERE seq = 100"))
    else:
        _tamper(audited, sql, **params)
    result = audited.audit_verify()
    assert not result["ok"], change
    if change == "reordered":
        assert result["first_bad"] == 0 and "entry 0 was changed" in result["problem"]
    elif first_bad is not None:
        assert result["first_bad"] == first_bad, result
    else:
        assert "between 0 and 2" in result["problem"], result


def test_an_entry_appended_behind_the_nodes_back_fails_once_it_should_have_been_signed(audited):
    _reads(audited)
    with audited.workspace.engine.begin() as conn:  # appending is what the triggers allow: a forged read
        audit.append(conn, action="read entity", username="afp.analyst", agency="AFP", objects=["test-audit-person"])
    assert audited.audit_verify()["ok"]  # within the signing interval: not yet vouched for, not yet late
    later = audit.verify(audited.workspace.engine, audited.workspace.home,
                         now=datetime.now(UTC) + timedelta(seconds=audit.CHECKPOINT_SECONDS * 3))
    assert not later.ok and later.first_bad == 5 and "older than any checkpoint" in later.problem


def test_a_forged_or_foreign_checkpoint_is_refused(audited, tmp_path):
    _reads(audited)
    stranger = tmp_path / "stranger"
    identity.create(stranger)
    with audited.workspace.engine.connect() as conn:
        note = conn.execute(sa.text("SELECT note FROM audit_checkpoints ORDER BY size DESC")).scalar()
    forged = identity.sign_note(stranger, audit.origin(audited.workspace.home), note.split("\n\n")[0] + "\n")
    _tamper(audited, "SELECT 1")
    with audited.workspace.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_checkpoints_no_update") if conn.dialect.name == "sqlite" else \
            conn.exec_driver_sql("ALTER TABLE audit_checkpoints DISABLE TRIGGER USER")
        conn.execute(sa.text("UPDATE audit_checkpoints SET note = :note WHERE size = 5"), {"note": forged})
    result = audited.audit_verify()
    assert not result["ok"] and "no signature" in result["problem"], result


def test_an_inclusion_and_a_consistency_proof_check_offline(audited):
    _reads(audited)
    proof = audited.audit_prove_inclusion(1)
    public = identity.load(audited.workspace.home).public_key
    # what an auditor does with the JSON and the node's public key alone (docs/audit.md)
    text = identity.verify_note(proof["checkpoint"], audit.origin(audited.workspace.home), public)
    size, root = int(text.splitlines()[1]), base64.b64decode(text.splitlines()[2])
    leaf = merkle.leaf_hash(proof["canonical"].encode())
    assert leaf.hex() == proof["leaf_hash"] and json.loads(proof["canonical"])["user"] == "jcg.watch"
    assert merkle.verify_inclusion(leaf, 1, size, [bytes.fromhex(p) for p in proof["proof"]], root)
    assert not merkle.verify_inclusion(merkle.leaf_hash(b"another entry"), 1, size, [bytes.fromhex(p) for p in proof["proof"]], root)
    steps = audited.audit_prove_consistency(3, 5)
    old = identity.verify_note(steps["old_checkpoint"], audit.origin(audited.workspace.home), public).splitlines()
    new = identity.verify_note(steps["new_checkpoint"], audit.origin(audited.workspace.home), public).splitlines()
    assert merkle.verify_consistency(3, 5, base64.b64decode(old[2]), base64.b64decode(new[2]),
                                     [bytes.fromhex(p) for p in steps["proof"]])


def test_who_saw_answers_the_originator_and_admins_and_no_one_else(audited):
    _reads(audited)
    readers = audited.as_user("afp.analyst").who_saw("test-audit-person")
    assert [(r["user"], r["agency"], r["path"]) for r in readers] == [("afp.analyst", "AFP", "python"), ("jcg.watch", "JCG", "web")]
    assert [r["user"] for r in audited.as_user("incb.admin").who_saw("test-audit-company")] == ["kcg.analyst", "afp.analyst", "uscg.watch"]
    with pytest.raises(NotFound, match="whose readers you may ask about"):
        audited.as_user("jcg.watch").who_saw("test-audit-person")  # JCG read it, but it is AFP's
    with pytest.raises(NotFound):
        audited.as_user("kcg.analyst").who_saw("test-audit-person")  # hidden from KCG: as if it did not exist


def test_audit_commands(tmp_path):
    home = tmp_path / "ws"
    run("node", "init", home=home)
    records = tmp_path / "audit.yaml"
    records.write_text(RECORDS, encoding="utf-8")
    for code, country in (("AFP", "AUS"), ("JCG", "JPN")):
        run("agency", "add", code, "--name", code, "--country", country, "--law-enforcement", home=home)
    run("user", "add", "afp.analyst", "--agency", "AFP", "--role", "analyst", "--password", "long-enough-password", home=home)
    run("user", "add", "jcg.watch", "--agency", "JCG", "--role", "analyst", "--password", "long-enough-password", home=home)
    run("load", str(records), home=home)
    run("entity", "test-audit-person", "--user", "jcg.watch", home=home)
    ok = run("audit", "verify", home=home)
    assert "Audit log intact: 1 entries" in ok.stdout or "Audit log intact: 1 entry" in ok.stdout
    who = json.loads(run("audit", "who-saw", "test-audit-person", "--user", "afp.analyst", "--json", home=home).stdout)
    assert [(r["user"], r["path"]) for r in who] == [("jcg.watch", "cli")]
    refused = run("audit", "who-saw", "test-audit-person", "--user", "jcg.watch", home=home, check=False)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    proof = json.loads(run("audit", "prove-inclusion", "0", home=home).stdout)
    assert proof["tree_size"] >= 1 and proof["entry"]["user"] == "jcg.watch"
    db = home / "interdict.db"
    with sa.create_engine(f"sqlite:///{db}").begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_entries_no_update")
        conn.exec_driver_sql("UPDATE audit_entries SET username = 'someone else' WHERE seq = 0")
    broken = run("audit", "verify", home=home, check=False)
    assert broken.returncode == 1 and "entry 0 was changed" in broken.stdout


def test_readers_at_once_never_take_the_same_entry_number(audited):
    """Threads of a server logging reads together: each entry gets its own number (the log's write
    lock is taken before the last number is read)."""
    import threading

    errors: list[str] = []

    def read(username: str) -> None:
        for _ in range(15):
            try:
                audited.as_user(username).entity("test-audit-company")
            except Exception as exc:  # collected and asserted below
                errors.append(repr(exc))

    threads = [threading.Thread(target=read, args=(u,)) for u in ("afp.analyst", "jcg.watch", "kcg.analyst", "uscg.watch")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [e["seq"] for e in audited.audit_log()] == list(range(60))
    audited.audit_checkpoint(force=True)
    assert audited.audit_verify()["ok"]


def test_a_checkpoint_is_signed_when_enough_entries_wait_or_the_oldest_has_waited_long_enough(audited, monkeypatch):
    for username in ("afp.analyst", "jcg.watch", "kcg.analyst"):
        audited.as_user(username).entity("test-audit-company")
    assert audited.audit_checkpoint() is None  # 3 entries, seconds old: not yet due
    monkeypatch.setattr(audit, "CHECKPOINT_EVERY", 3)
    assert audited.audit_checkpoint()["size"] == 3
    assert audited.audit_checkpoint() is None and audited.audit_checkpoint(force=True) is None  # nothing new
    monkeypatch.setattr(audit, "CHECKPOINT_EVERY", 256)
    audited.as_user("uscg.watch").entity("test-audit-company")
    assert audited.audit_checkpoint() is None
    monkeypatch.setattr(audit, "CHECKPOINT_SECONDS", 0.0)
    assert audited.audit_checkpoint()["size"] == 4
    assert audited.audit_verify()["ok"]
