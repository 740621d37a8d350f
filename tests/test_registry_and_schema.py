"""Agencies, users, passwords, tokens; migrations agree with the table definitions."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from interdict.errors import AuthError, NotFound, ValidationError
from interdict.tables import api_tokens, metadata, users
from interdict.workspace import alembic_config


def test_agency_validation(node):
    with pytest.raises(ValidationError, match="alpha-3"):
        node.registry.add_agency("AFP", "Australian Federal Police", "AU", True)
    with pytest.raises(ValidationError, match="invalid agency code"):
        node.registry.add_agency("a", "x", "AUS", True)
    node.registry.add_agency("afp", "Australian Federal Police", "aus", True)
    assert node.registry.agency("AFP").country == "AUS"
    with pytest.raises(NotFound, match="unknown agency"):
        node.registry.agency("NOPE")


def test_users_passwords_and_roles(node):
    node.registry.add_agency("JCG", "Japan Coast Guard", "JPN", True)
    with pytest.raises(ValidationError, match="unknown role"):
        node.registry.add_user("jcg.w", "JCG", ["superuser"], password="long enough pass")
    with pytest.raises(NotFound):
        node.registry.add_user("x.y", "NOPE", ["analyst"], password="long enough pass")
    with pytest.raises(ValidationError, match="at least 12"):
        node.registry.add_user("jcg.w", "JCG", ["analyst"], password="short")
    user = node.registry.add_user("jcg.w", "JCG", ["watch-officer", "analyst"], password="long enough pass")
    assert user.roles == {"watch_officer", "analyst"} and user.viewer.country == "JPN"
    with node.workspace.engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalar()
    assert stored.startswith("$argon2id$") and "long enough pass" not in stored
    assert node.registry.authenticate("JCG.W", "long enough pass").username == "jcg.w"
    for name, password in (("jcg.w", "wrong password"), ("nobody", "long enough pass")):
        with pytest.raises(AuthError, match="wrong username or password"):
            node.registry.authenticate(name, password)


def test_api_tokens_are_stored_hashed(node):
    node.registry.add_agency("KCG", "Korea Coast Guard", "KOR", True)
    node.registry.add_user("kcg.a", "KCG", ["analyst"])
    token = node.registry.issue_token("kcg.a", "script")
    assert node.registry.user_for_token(token).username == "kcg.a"
    with node.workspace.engine.connect() as conn:
        row = conn.execute(select(api_tokens)).one()
    assert token not in row.token_hash and len(row.token_hash) == 64 and row.last_used_at is not None
    with pytest.raises(AuthError):
        node.registry.user_for_token(token + "x")


def test_migrations_match_table_definitions(node):
    with node.workspace.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_migrations_downgrade_and_upgrade(node):
    config = alembic_config()
    with node.workspace.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    with node.workspace.engine.connect() as conn:
        assert "statements" not in inspect(conn).get_table_names()
    node.workspace.migrate()
    with node.workspace.engine.connect() as conn:
        assert {"statements", "claims", "sources", "agencies", "users"} <= set(inspect(conn).get_table_names())


def test_reopening_a_workspace_keeps_data(node, database_url, tmp_path):
    from interdict.api import Interdict

    node.registry.add_agency("USCG", "United States Coast Guard", "USA", True)
    again = Interdict.open(tmp_path / "workspace", database_url, create=False)
    assert [a.code for a in again.registry.agencies()] == ["USCG"]
    again.close()


def test_upgrading_names_sources_per_agency(node):
    """Migration 0009 renames stored sources to AGENCY:id and every reference follows; the
    downgrade gives the old names back."""
    from sqlalchemy import text

    config = alembic_config()
    node.registry.add_agency("AFP", "Australian Federal Police", "AUS", True)
    with node.workspace.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0008")
    now = "2026-11-30 12:00:00"
    with node.workspace.engine.begin() as conn:
        conn.execute(text("INSERT INTO sources (id, title, kind, reliability, agency, tlp, releasable_to, orcon, created_at, "
                          "updated_at, version, dataset) VALUES ('r1', 'Report', 'agency_report', 'B', 'AFP', 'GREEN', '', "
                          "false, :now, :now, 1, 'notes')"), {"now": now})
        conn.execute(text("INSERT INTO statements (id, agency, tlp, releasable_to, orcon, source_id, reliability, credibility, "
                          "created_at, updated_at, version, dataset, entity_id, schema, prop, prop_type, value) VALUES "
                          "('s1', 'AFP', 'GREEN', '', false, 'r1', 'B', '2', :now, :now, 1, 'notes', 'e1', 'Vessel', 'name', "
                          "'name', 'Vessel one')"), {"now": now})
    node.workspace.migrate()
    with node.workspace.engine.connect() as conn:
        assert conn.execute(text("SELECT id FROM sources")).scalars().all() == ["AFP:r1"]
        assert conn.execute(text("SELECT source_id, detached FROM statements")).one() == ("AFP:r1", False)
    with node.workspace.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0008")
    with node.workspace.engine.connect() as conn:
        assert conn.execute(text("SELECT source_id FROM statements")).scalars().all() == ["r1"]
    node.workspace.migrate()
