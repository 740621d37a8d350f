"""Web sessions end on the server (logout, idle and absolute timeouts) and API tokens expire and
can be revoked, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import form_post
from fastapi.testclient import TestClient
from sqlalchemy import update

from interdict.accounts import SESSION_ABSOLUTE, SESSION_IDLE, parse_duration
from interdict.demo import DEMO_PASSWORD, setup_node
from interdict.errors import AuthError, NotFound, ValidationError
from interdict.tables import api_tokens, web_sessions
from interdict.util import utcnow
from interdict.web.app import create_app


@pytest.fixture
def accounts(node):
    setup_node(node)
    return node


def logged_in(node) -> TestClient:
    client = TestClient(create_app(node))
    assert form_post(client, "/login", data={"username": "jcg.watch", "password": DEMO_PASSWORD, "next": "/"}).status_code == 200
    return client


def test_logout_ends_the_session_for_a_copied_cookie(accounts):
    client = logged_in(accounts)
    cookie = client.cookies.get("interdict_session")
    assert client.get("/api/me").json()["username"] == "jcg.watch"
    form_post(client, "/logout")
    thief = TestClient(create_app(accounts))
    thief.cookies.set("interdict_session", cookie)  # the cookie as it was before logging out
    assert thief.get("/api/me").status_code == 401
    page = thief.get("/claims", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


@pytest.mark.parametrize("column, age", [("last_seen_at", SESSION_IDLE), ("created_at", SESSION_ABSOLUTE)])
def test_idle_and_absolute_timeouts(accounts, column, age):
    client = logged_in(accounts)
    with accounts.workspace.engine.begin() as conn:
        conn.execute(update(web_sessions).values({column: utcnow() - age - timedelta(minutes=1)}))
    response = client.get("/api/me")
    assert response.status_code == 401 and "timed out" in response.json()["detail"]
    assert client.get("/api/me").status_code == 401  # and it stays ended


def test_a_busy_session_stays_alive(accounts):
    client = logged_in(accounts)
    with accounts.workspace.engine.begin() as conn:
        conn.execute(update(web_sessions).values(last_seen_at=utcnow() - SESSION_IDLE + timedelta(minutes=5)))
    assert client.get("/api/me").status_code == 200


def test_tokens_expire_and_can_be_revoked(accounts):
    registry = accounts.registry
    token = registry.issue_token("jcg.watch", "script")
    assert registry.user_for_token(token).username == "jcg.watch"
    listed = registry.tokens("jcg.watch")
    assert len(listed) == 1 and listed[0]["expires_at"] and listed[0]["revoked_at"] is None
    with accounts.workspace.engine.begin() as conn:
        conn.execute(update(api_tokens).values(expires_at=utcnow() - timedelta(seconds=1)))
    with pytest.raises(AuthError, match="expired"):
        registry.user_for_token(token)
    other = registry.issue_token("jcg.watch", "cron", expires_in=None)
    assert registry.user_for_token(other).username == "jcg.watch"
    registry.revoke_token(next(t for t in registry.tokens("jcg.watch") if t["label"] == "cron")["id"])
    with pytest.raises(AuthError, match="revoked"):
        registry.user_for_token(other)
    client = TestClient(create_app(accounts))
    assert client.get("/api/me", headers={"Authorization": f"Bearer {other}"}).status_code == 401
    with pytest.raises(NotFound):
        registry.revoke_token("no-such-token")
    third = registry.issue_token("jcg.watch")
    assert registry.revoke_tokens("jcg.watch") == 2  # the expired one and the new one; "cron" was revoked already
    with pytest.raises(AuthError):
        registry.user_for_token(third)


def test_durations():
    assert parse_duration("90d") == timedelta(days=90) and parse_duration("12h") == timedelta(hours=12)
    assert parse_duration("30m") == timedelta(minutes=30) and parse_duration("never") is None
    for bad in ("0d", "90", "1w", "-3d", ""):
        with pytest.raises(ValidationError, match="duration"):
            parse_duration(bad)
