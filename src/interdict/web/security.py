"""The web app's security basics, in one ASGI middleware that every request passes:

- CSRF: a synchronizer token per session (`request.session["csrf"]`); every state-changing request
  made with the session cookie must carry it -- page forms as the hidden field `csrf` (templates:
  `{{ csrf_field(request) }}`), API calls as the `X-CSRF-Token` header. A request from another
  site (an `Origin` or `Referer` that is not this server) is refused before that. API calls
  authenticated by a bearer token carry no cookie, so no CSRF risk: they pass.
- Login throttling per client address (the per-account lockout is in `interdict.accounts`).
- Response headers: a Content-Security-Policy allowing nothing but this server (the app ships all
  its assets), X-Frame-Options, X-Content-Type-Options, Referrer-Policy, and HSTS when served over
  TLS.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
MAX_FORM_BYTES = 1 << 20  # page forms are small; a larger body is refused before it is read whole
CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
LOGIN_WINDOW_S = 15 * 60
LOGIN_FAILURES_PER_ADDRESS = 20


def csrf_token(session: dict[str, Any]) -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


class SecurityMiddleware:
    """Runs inside the session middleware (it reads and may set `scope["session"]`)."""

    def __init__(self, app: ASGIApp, *, tls: bool = False) -> None:
        self.app = app
        self.tls = tls
        self.login_failures: dict[str, deque[float]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = scope.setdefault("session", {})
        headers = Headers(scope=scope)
        if not headers.get("authorization", "").lower().startswith("bearer "):
            csrf_token(session)  # (an API client with a token has no session to protect, nor a cookie to receive)
        method = scope["method"]
        path = scope["path"]
        send = self._with_headers(send)
        if method in UNSAFE:
            refusal = self._foreign_origin(headers)
            if refusal is None and not headers.get("authorization", "").lower().startswith("bearer "):
                if path.startswith("/api/"):
                    if not secrets.compare_digest(headers.get("x-csrf-token", ""), csrf_token(session)):
                        refusal = "missing or wrong X-CSRF-Token header (send the token of your session, or use an API token)"
                else:
                    body, refusal = await self._form_token(receive, headers, csrf_token(session))
                    receive = _replay(body, receive)
            if refusal is None and path == "/login" and self._throttled(scope):
                await _plain(send, 429, "Too many failed logins from this address: wait a quarter of an hour and try again.")
                return
            if refusal is not None:
                await _plain(send, 403, f"Refused: {refusal}. Reload the page and try again.")
                return
            if path == "/login":
                send = self._count_login(scope, send)
        await self.app(scope, receive, send)

    # -- CSRF ----------------------------------------------------------------------------------
    @staticmethod
    def _foreign_origin(headers: Headers) -> str | None:
        host = headers.get("host", "")
        for name in ("origin", "referer"):
            value = headers.get(name)
            if value and value != "null":
                if urlsplit(value).netloc != host:
                    return f"a request from another site ({name} {value})"
                return None
        return None

    @staticmethod
    async def _form_token(receive: Receive, headers: Headers, expected: str) -> tuple[list[Message], str | None]:
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > MAX_FORM_BYTES:
                return messages, "form too large"
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return messages, "a form must be sent as application/x-www-form-urlencoded with its csrf field"
        body = b"".join(m.get("body", b"") for m in messages)
        sent = parse_qs(body.decode("latin-1")).get("csrf", [""])[0]
        if not secrets.compare_digest(sent, expected):
            return messages, "this form has expired or did not come from this site (no valid csrf field)"
        return messages, None

    # -- login throttling ----------------------------------------------------------------------
    def _address(self, scope: Scope) -> str:
        client = scope.get("client")
        return str(client[0]) if client else "?"

    def _throttled(self, scope: Scope) -> bool:
        recent = self.login_failures.get(self._address(scope))
        if not recent:
            return False
        horizon = time.monotonic() - LOGIN_WINDOW_S
        while recent and recent[0] < horizon:
            recent.popleft()
        return len(recent) >= LOGIN_FAILURES_PER_ADDRESS

    def _count_login(self, scope: Scope, send: Send) -> Send:
        address = self._address(scope)

        async def counting(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                self.login_failures.setdefault(address, deque()).append(time.monotonic())
                while len(self.login_failures) > 10_000:  # bounded
                    self.login_failures.pop(next(iter(self.login_failures)))
            await send(message)
        return counting

    # -- headers -------------------------------------------------------------------------------
    def _with_headers(self, send: Send) -> Send:
        extra = [(b"content-security-policy", CSP.encode()), (b"x-frame-options", b"DENY"),
                 (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
        if self.tls:
            extra.append((b"strict-transport-security", b"max-age=31536000"))

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)
        return sending


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """The body already read, then the connection's own messages (a disconnect, when it comes)."""
    pending = deque(messages)

    async def replayed() -> Message:
        if pending:
            return pending.popleft()
        return await receive()
    return replayed


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
