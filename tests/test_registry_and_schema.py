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
        node.registry.add_user("jcg.w", "JCG", ["superuser"], password="long enough")
    with pytest.raises(NotFound):
        node.registry.add_user("x.y", "NOPE", ["analyst"], password="long enough")
    with pytest.raises(ValidationError, match="at least 8"):
        node.registry.add_user("jcg.w", "JCG", ["analyst"], password="short")
    user = node.registry.add_user("jcg.w", "JCG", ["watch-officer", "analyst"], password="long enough")
    assert user.roles == {"watch_officer", "analyst"} and user.viewer.country == "JPN"
    with node.workspace.engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalar()
    assert stored.startswith("$argon2id$") and "long enough" not in stored
    assert node.registry.authenticate("JCG.W", "long enough").username == "jcg.w"
    for name, password in (("jcg.w", "wrong password"), ("nobody", "long enough")):
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
