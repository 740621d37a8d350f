"""Agencies and users of one node: who they are, how they log in, and the `Viewer` they become.

Passwords are hashed with argon2id; API tokens are random 256-bit secrets of which only the
SHA-256 is stored (a token is shown once, when it is made).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, select, update

from interdict.access import ROLES, Viewer
from interdict.errors import AuthError, NotFound, ValidationError
from interdict.markings import COUNTRY_CODE, parse_agency_code
from interdict.tables import agencies, api_tokens, users
from interdict.util import utcnow as now

_hasher = PasswordHasher()
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
TOKEN_PREFIX = "idt_"


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    country: str
    law_enforcement: bool


@dataclass(frozen=True)
class User:
    id: str
    username: str
    agency: Agency
    display_name: str
    roles: frozenset[str]

    @property
    def viewer(self) -> Viewer:
        return Viewer(
            username=self.username,
            agency=self.agency.code,
            country=self.agency.country,
            law_enforcement=self.agency.law_enforcement,
            roles=self.roles,
        )


def parse_country(value: object, *, where: str = "country") -> str:
    """ISO 3166-1 alpha-3; the user-assigned X-range (e.g. XUN) stands for international bodies."""
    text = str(value or "").strip().upper()
    if not COUNTRY_CODE.match(text):
        raise ValidationError(f"country must be an ISO 3166-1 alpha-3 code such as AUS; got {value!r}", where=where)
    return text


def parse_roles(values: Iterable[str]) -> frozenset[str]:
    roles = frozenset(str(v).strip().lower().replace("-", "_") for v in values if str(v).strip())
    unknown = roles - set(ROLES)
    if unknown:
        raise ValidationError(f"unknown role(s) {', '.join(sorted(unknown))} (known: {', '.join(ROLES)})", where="roles")
    if not roles:
        raise ValidationError(f"a user needs at least one role ({', '.join(ROLES)})", where="roles")
    return roles


class Registry:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- agencies -------------------------------------------------------------------------
    def add_agency(self, code: str, name: str, country: str, law_enforcement: bool) -> Agency:
        agency = Agency(parse_agency_code(code), name.strip(), parse_country(country), bool(law_enforcement))
        if not agency.name:
            raise ValidationError("agency name is required", where=f"agency {agency.code}")
        with self.engine.begin() as conn:
            existing = conn.execute(select(agencies).where(agencies.c.code == agency.code)).first()
            values = {"name": agency.name, "country": agency.country, "law_enforcement": agency.law_enforcement}
            if existing:
                conn.execute(update(agencies).where(agencies.c.code == agency.code).values(**values))
            else:
                conn.execute(agencies.insert().values(code=agency.code, created_at=now(), **values))
        return agency

    def agency(self, code: str) -> Agency:
        with self.engine.connect() as conn:
            row = conn.execute(select(agencies).where(agencies.c.code == str(code).upper())).first()
        if row is None:
            raise NotFound(f"unknown agency {code!r} (register it with `interdict agency add`)")
        return Agency(row.code, row.name, row.country, row.law_enforcement)

    def agencies(self) -> list[Agency]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(agencies).order_by(agencies.c.code)).all()
        return [Agency(r.code, r.name, r.country, r.law_enforcement) for r in rows]

    # -- users ----------------------------------------------------------------------------
    def add_user(
        self,
        username: str,
        agency: str,
        roles: Iterable[str],
        password: str | None = None,
        display_name: str | None = None,
    ) -> User:
        username = username.strip().lower()
        if not USERNAME.match(username):
            raise ValidationError(
                "username must be 2-64 characters: lower-case letters, digits, '.', '_' or '-'", where=f"user {username!r}"
            )
        home = self.agency(agency)
        role_set = parse_roles(roles)
        if password is not None and len(password) < 8:
            raise ValidationError("password must have at least 8 characters", where=f"user {username}")
        values = {
            "agency": home.code,
            "roles": ",".join(sorted(role_set)),
            "display_name": display_name or username,
            "active": True,
        }
        if password is not None:
            values["password_hash"] = _hasher.hash(password)
        with self.engine.begin() as conn:
            row = conn.execute(select(users.c.id).where(users.c.username == username)).first()
            if row:
                conn.execute(update(users).where(users.c.id == row.id).values(**values))
            else:
                conn.execute(users.insert().values(id=str(uuid.uuid4()), username=username, created_at=now(), **values))
        return self.user(username)

    def _user_from_row(self, row) -> User:  # type: ignore[no-untyped-def]
        return User(
            id=row.id,
            username=row.username,
            agency=self.agency(row.agency),
            display_name=row.display_name,
            roles=frozenset(r for r in row.roles.split(",") if r),
        )

    def user(self, username: str) -> User:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.username == username.strip().lower(), users.c.active)).first()
        if row is None:
            raise AuthError(f"unknown user {username!r}")
        return self._user_from_row(row)

    def users(self) -> list[User]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(users).order_by(users.c.username)).all()
        return [self._user_from_row(r) for r in rows]

    def authenticate(self, username: str, password: str) -> User:
        """The user, if the password is right; the same error for unknown user and bad password."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(users).where(users.c.username == username.strip().lower(), users.c.active)
            ).first()
        failure = AuthError("wrong username or password")
        if row is None or not row.password_hash:
            _hasher.hash(password)  # same work either way: no user enumeration by timing
            raise failure
        try:
            _hasher.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            raise failure from None
        return self._user_from_row(row)

    # -- API tokens -----------------------------------------------------------------------
    def issue_token(self, username: str, label: str = "api") -> str:
        user = self.user(username)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(
                api_tokens.insert().values(
                    id=str(uuid.uuid4()),
                    user_id=user.id,
                    token_hash=_token_hash(token),
                    label=label,
                    created_at=now(),
                )
            )
        return token

    def user_for_token(self, token: str) -> User:
        digest = _token_hash(token.strip())
        with self.engine.begin() as conn:
            row = conn.execute(
                select(users, api_tokens.c.id.label("token_id"))
                .join(api_tokens, api_tokens.c.user_id == users.c.id)
                .where(api_tokens.c.token_hash == digest, users.c.active)
            ).first()
            if row is None:
                raise AuthError("invalid API token")
            conn.execute(update(api_tokens).where(api_tokens.c.id == row.token_id).values(last_used_at=now()))
        return self._user_from_row(row)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
