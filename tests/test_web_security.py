"""The web's security basics (issue 16), each seen failing before: a cross-site POST was stored,
30 wrong passwords then the right one logged in, no security headers, cookies without Secure over
TLS, /api/docs open and loaded from a CDN, "password" accepted as a password."""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import csrf_of, form_post
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from interdict.accounts import LOCKOUT, MAX_FAILED_LOGINS
from interdict.demo import DEMO_PASSWORD, setup_node
from interdict.errors import AuthError, ValidationError
from interdict.tables import users
from interdict.util import utcnow
from interdict.web.app import create_app

PAIR = {"left": "case-daesung-sangsa", "right": "case-daesung-chongguk", "judgement": "same", "next": "/resolve"}


@pytest.fixture
def accounts(node):
    from interdict.demo import CASE_FILE, data_path

    setup_node(node)
    node.load(data_path(CASE_FILE), screen=False)
    return node


def logged_in(node, username: str = "kcg.analyst", **app_options) -> TestClient:
    client = TestClient(create_app(node, **app_options))
    response = form_post(client, "/login", data={"username": username, "password": DEMO_PASSWORD, "next": "/"})
    assert response.status_code == 200, response.text
    return client


def judgements(node) -> int:
    return len(node.as_user("kcg.analyst").judgements(include_retracted=True))


def test_a_form_from_another_site_or_without_its_token_is_refused(accounts):
    client = logged_in(accounts)
    token = csrf_of(client, "/resolve")
    before = judgements(accounts)
    evil = client.post("/resolve/judge", data={**PAIR, "csrf": token}, headers={"Origin": "http://evil.example"},
                       follow_redirects=False)
    assert evil.status_code == 403 and "another site" in evil.text
    missing = client.post("/resolve/judge", data=PAIR, follow_redirects=False)
    assert missing.status_code == 403 and "csrf" in missing.text
    wrong = client.post("/resolve/judge", data={**PAIR, "csrf": "forged"}, follow_redirects=False)
    assert wrong.status_code == 403
    assert judgements(accounts) == before
    ok = client.post("/resolve/judge", data={**PAIR, "csrf": token}, headers={"Origin": "http://testserver"},
                     follow_redirects=False)
    assert ok.status_code == 303 and judgements(accounts) == before + 1


def test_api_writes_with_the_cookie_need_the_header_and_tokens_do_not(accounts):
    client = logged_in(accounts)
    body = {k: v for k, v in PAIR.items() if k != "next"}
    refused = client.post("/api/resolve/judgements", json=body)
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.text
    done = client.post("/api/resolve/judgements", json=body, headers={"X-CSRF-Token": csrf_of(client, "/")})
    assert done.status_code == 201, done.text
    token = accounts.registry.issue_token("kcg.analyst", "script")
    scripted = TestClient(create_app(accounts)).post(
        f"/api/resolve/judgements/{done.json()['id']}/undo", headers={"Authorization": f"Bearer {token}"})
    assert scripted.status_code == 200, scripted.text


def test_wrong_passwords_lock_the_account_and_the_lock_says_so(accounts):
    registry = accounts.registry
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(AuthError, match="wrong username or password"):
            registry.authenticate("jcg.watch", "not the password")
    with pytest.raises(AuthError, match="locked for 15 more minute"):
        registry.authenticate("jcg.watch", DEMO_PASSWORD)  # the right password, too late
    # an unknown name locks alike: the lock tells no one which accounts exist
    unknown = f"no.such.{uuid.uuid4().hex[:8]}"
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(AuthError, match="wrong username or password"):
            registry.authenticate(unknown, "whatever it is")
    with pytest.raises(AuthError, match="locked for 15 more minute"):
        registry.authenticate(unknown, "whatever it is")
    with accounts.workspace.engine.begin() as conn:  # a quarter of an hour later
        conn.execute(update(users).where(users.c.username == "jcg.watch").values(
            locked_until=utcnow() - timedelta(seconds=1)))
    assert registry.authenticate("jcg.watch", DEMO_PASSWORD).username == "jcg.watch"
    with accounts.workspace.engine.connect() as conn:
        row = conn.execute(select(users.c.failed_logins, users.c.locked_until).where(users.c.username == "jcg.watch")).one()
    assert row.failed_logins == 0 and row.locked_until is None
    assert timedelta(minutes=15) == LOCKOUT


def test_the_login_page_shows_the_lock_and_throttles_an_address(accounts):
    client = TestClient(create_app(accounts))
    for _ in range(MAX_FAILED_LOGINS):
        assert form_post(client, "/login", data={"username": "afp.analyst", "password": "guess guess"}).status_code == 401
    locked = form_post(client, "/login", data={"username": "afp.analyst", "password": DEMO_PASSWORD})
    assert locked.status_code == 401 and "locked for" in locked.text
    # one address guessing at many accounts is slowed down as a whole
    for k in range(20):
        form_post(client, "/login", data={"username": f"guess.{uuid.uuid4().hex[:8]}.{k}", "password": "guess guess"})
    throttled = form_post(client, "/login", data={"username": "kcg.analyst", "password": DEMO_PASSWORD})
    assert throttled.status_code == 429 and "Too many failed logins" in throttled.text


def test_security_headers_and_secure_cookies_over_tls(accounts):
    plain = logged_in(accounts)
    headers = plain.get("/").headers
    assert "default-src 'self'" in headers["content-security-policy"] and "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin" and "strict-transport-security" not in headers
    tls = TestClient(create_app(accounts, tls=True), base_url="https://testserver")
    login_page = tls.get("/login")
    assert "max-age" in login_page.headers["strict-transport-security"]
    cookie = login_page.headers["set-cookie"]
    assert "secure" in cookie.lower() and "samesite=strict" in cookie.lower() and "httponly" in cookie.lower()
    # no page carries an inline script (the policy would block it) or an inline event handler
    for path in ("/", "/monitoring", "/resolve", "/map", "/risk", "/entities/case-pong-su"):
        html = plain.get(path).text
        assert "onchange=" not in html and "onclick=" not in html, path
        assert all('src="' in tag for tag in html.split("<script")[1:]), path


def test_api_docs_need_a_login_and_load_nothing_from_outside(accounts):
    anonymous = TestClient(create_app(accounts))
    assert anonymous.get("/api/docs", follow_redirects=False).status_code == 303
    assert anonymous.get("/api/openapi.json").status_code == 401
    client = logged_in(accounts)
    page = client.get("/api/docs").text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page and "http" not in page.replace('"/', "")
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert "/api/search" in client.get("/api/openapi.json").json()["paths"]


@pytest.mark.parametrize("password, reason", [
    ("short pw", "at least 12 characters"), ("password1234", "too common"), ("12345678901234", "digits only"),
    ("aaaaaaaaaaaaaaaa", "5 different characters"), ("my-jcg.new-name-2026", "must not contain the username"),
])
def test_the_password_policy(accounts, password, reason):
    with pytest.raises(ValidationError, match=reason):
        accounts.registry.add_user("jcg.new", "JCG", ["analyst"], password=password.replace("jcg.new", "jcg.new"))


def test_a_user_changes_their_password_on_a_page(accounts):
    client = logged_in(accounts, "afp.analyst")
    form = client.get("/account/password")
    assert form.status_code == 200 and 'name="csrf"' in form.text
    wrong = form_post(client, "/account/password", data={"current": "not it at all", "new": "a new long passphrase",
                                                          "confirm": "a new long passphrase"})
    assert wrong.status_code == 400 and "wrong username or password" in wrong.text
    weak = form_post(client, "/account/password", data={"current": DEMO_PASSWORD, "new": "password1234", "confirm": "password1234"})
    assert weak.status_code == 400 and "too common" in weak.text
    differ = form_post(client, "/account/password", data={"current": DEMO_PASSWORD, "new": "a new long passphrase",
                                                           "confirm": "another long passphrase"})
    assert differ.status_code == 400 and "differ" in differ.text
    done = form_post(client, "/account/password", data={"current": DEMO_PASSWORD, "new": "a new long passphrase",
                                                         "confirm": "a new long passphrase"})
    assert done.status_code == 200 and 'data-testid="password-changed"' in done.text
    assert accounts.registry.authenticate("afp.analyst", "a new long passphrase").username == "afp.analyst"
    with pytest.raises(AuthError):
        accounts.registry.authenticate("afp.analyst", DEMO_PASSWORD)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_over_tls(tmp_path):
    """`interdict serve --cert --key`: HTTPS with a self-signed certificate (SYNTHETIC), Secure
    cookies, HSTS; a bad key is named, not a traceback."""
    home = tmp_path / "ws"
    from interdict.api import Interdict

    node = Interdict.open(home)
    setup_node(node)
    node.close()
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=localhost"], check=True, capture_output=True)
    binary = str(Path(sys.executable).parent / "interdict")
    env = {k: v for k, v in os.environ.items() if k != "INTERDICT_DATABASE_URL"} | {"INTERDICT_HOME": str(home)}
    bad = subprocess.run([binary, "serve", "--cert", str(cert), "--key", str(cert)], capture_output=True, text=True, env=env,
                         timeout=60)
    assert bad.returncode == 2 and "cannot use this certificate and key" in bad.stderr and "Traceback" not in bad.stderr
    port = _free_port()
    server = subprocess.Popen([binary, "serve", "--port", str(port), "--cert", str(cert), "--key", str(key)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        deadline = time.monotonic() + 60
        while True:
            try:
                response = urllib.request.urlopen(f"https://127.0.0.1:{port}/login", context=context, timeout=5)
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.2)
        with response:
            assert response.status == 200
            assert "secure" in response.headers["set-cookie"].lower() and response.headers["strict-transport-security"]
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/api/health", context=context, timeout=5) as health:
            assert json.loads(health.read())["status"] == "ok"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)
