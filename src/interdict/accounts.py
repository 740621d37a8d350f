"""Agencies and users of one node: who they are, how they log in, and the `Viewer` they become.

Passwords are hashed with argon2id; API tokens are random 256-bit secrets of which only the
SHA-256 is stored (a token is shown once, when it is made); a token expires (90 days unless told
otherwise) and can be revoked. Web logins are server-side sessions: logging out, an idle timeout
or an absolute timeout ends one for good, whatever the cookie says.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, select, update

from interdict.access import ROLES, Viewer
from interdict.errors import AuthError, NotFound, ValidationError
from interdict.markings import COUNTRY_CODE, parse_agency_code
from interdict.tables import agencies, api_tokens, users, web_sessions
from interdict.util import utcnow as now

_hasher = PasswordHasher()
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
TOKEN_PREFIX = "idt_"
TOKEN_LIFETIME = timedelta(days=90)  # `interdict user token --expires`; None only when asked for
SESSION_IDLE = timedelta(hours=2)  # a web session unused this long has ended
SESSION_ABSOLUTE = timedelta(hours=12)  # and none lasts longer than this, however busy
SESSION_TOUCH = timedelta(minutes=1)  # last-seen is written at most this often (one write, not one per request)
DURATION = re.compile(r"^(\d+)\s*([dhm])$")


def parse_duration(text: str, *, where: str = "--expires") -> timedelta | None:
    """'90d', '12h', '30m', or 'never' (None)."""
    value = text.strip().lower()
    if value == "never":
        return None
    found = DURATION.match(value)
    if not found or int(found.group(1)) == 0:
        raise ValidationError(f"expected a duration such as 90d, 12h or 30m, or 'never'; got {text!r}", where=where)
    amount, unit = int(found.group(1)), found.group(2)
    return {"d": timedelta(days=amount), "h": timedelta(hours=amount), "m": timedelta(minutes=amount)}[unit]


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every stored time is UTC
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


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
        if password is not None:
            check_password(password, username)
        values = {
            "agency": home.code,
            "roles": ",".join(sorted(role_set)),
            "display_name": display_name or username,
            "active": True,
        }
        if password is not None:
            values["password_hash"] = _hasher.hash(password)
            values["password_changed_at"] = now()
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
        """The user, if the password is right; the same error for unknown user and bad password.
        After MAX_FAILED_LOGINS failures in a row an account is locked for LOCKOUT, the right
        password included (an unknown name answers alike, so a lock reveals no account)."""
        name = username.strip().lower()
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.username == name, users.c.active)).first()
        moment = now()
        locked = row.locked_until if row is not None else _unknown_locks.get(name)
        until = _aware(locked)
        if until is not None and until > moment:
            minutes = max(1, round((until - moment).total_seconds() / 60))
            raise AuthError(f"too many failed logins: this account is locked for {minutes} more minute(s)")
        failure = AuthError("wrong username or password")
        if row is None or not row.password_hash:
            _hasher.hash(password)  # same work either way: no user enumeration by timing
            self._count_unknown_failure(name, moment)
            raise failure
        try:
            _hasher.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            failed = row.failed_logins + 1
            lock = failed >= MAX_FAILED_LOGINS
            with self.engine.begin() as conn:
                conn.execute(update(users).where(users.c.id == row.id).values(
                    failed_logins=0 if lock else failed, locked_until=moment + LOCKOUT if lock else row.locked_until))
            raise failure from None
        if row.failed_logins or row.locked_until is not None:
            with self.engine.begin() as conn:
                conn.execute(update(users).where(users.c.id == row.id).values(failed_logins=0, locked_until=None))
        return self._user_from_row(row)

    @staticmethod
    def _count_unknown_failure(name: str, moment: datetime) -> None:
        """Unknown names lock like real ones (in this process): a lock must not tell them apart."""
        count = _unknown_failures.get(name, 0) + 1
        if count >= MAX_FAILED_LOGINS:
            _unknown_locks[name] = moment + LOCKOUT
            count = 0
        _unknown_failures[name] = count
        while len(_unknown_failures) > 10_000:  # bounded: the oldest names go first
            _unknown_failures.pop(next(iter(_unknown_failures)))
        while len(_unknown_locks) > 10_000:
            _unknown_locks.pop(next(iter(_unknown_locks)))

    def change_password(self, username: str, current: str, new: str) -> None:
        """Change a user's own password: the current one must be right (and counts toward the
        lockout when it is not); the new one must pass the password policy."""
        self.authenticate(username, current)
        check_password(new, username)
        if new == current:
            raise ValidationError("the new password must differ from the current one", where="password")
        with self.engine.begin() as conn:
            conn.execute(update(users).where(users.c.username == username.strip().lower()).values(
                password_hash=_hasher.hash(new), password_changed_at=now()))

    # -- API tokens -----------------------------------------------------------------------
    def issue_token(self, username: str, label: str = "api", *, expires_in: timedelta | None = TOKEN_LIFETIME) -> str:
        """A new API token for the user, valid for `expires_in` (None: until revoked)."""
        user = self.user(username)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        created = now()
        with self.engine.begin() as conn:
            conn.execute(
                api_tokens.insert().values(
                    id=str(uuid.uuid4()),
                    user_id=user.id,
                    token_hash=_token_hash(token),
                    label=label,
                    created_at=created,
                    expires_at=created + expires_in if expires_in is not None else None,
                )
            )
        return token

    def user_for_token(self, token: str) -> User:
        digest = _token_hash(token.strip())
        with self.engine.begin() as conn:
            row = conn.execute(
                select(users, api_tokens.c.id.label("token_id"), api_tokens.c.expires_at, api_tokens.c.revoked_at)
                .join(api_tokens, api_tokens.c.user_id == users.c.id)
                .where(api_tokens.c.token_hash == digest, users.c.active)
            ).first()
            if row is None:
                raise AuthError("invalid API token")
            if row.revoked_at is not None:
                raise AuthError("API token revoked")
            expires = _aware(row.expires_at)
            if expires is not None and expires <= now():
                raise AuthError("API token expired")
            conn.execute(update(api_tokens).where(api_tokens.c.id == row.token_id).values(last_used_at=now()))
        return self._user_from_row(row)

    def tokens(self, username: str) -> list[dict[str, Any]]:
        """The user's API tokens (never the secrets), newest first."""
        user = self.user(username)
        with self.engine.connect() as conn:
            rows = conn.execute(select(api_tokens).where(api_tokens.c.user_id == user.id)
                                .order_by(api_tokens.c.created_at.desc())).all()

        def iso(value: datetime | None) -> str | None:
            aware = _aware(value)
            return aware.isoformat() if aware else None

        return [{"id": r.id, "label": r.label, "created_at": iso(r.created_at), "last_used_at": iso(r.last_used_at),
                 "expires_at": iso(r.expires_at), "revoked_at": iso(r.revoked_at)} for r in rows]

    def revoke_token(self, token_id: str) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(update(api_tokens).where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
                                .values(revoked_at=now())).rowcount
        if not done:
            raise NotFound(f"no live API token {token_id!r}")

    def revoke_tokens(self, username: str) -> int:
        """Revoke every token of the user not revoked yet (expired ones too); returns how many."""
        user = self.user(username)
        with self.engine.begin() as conn:
            return int(conn.execute(update(api_tokens).where(api_tokens.c.user_id == user.id,
                                                             api_tokens.c.revoked_at.is_(None))
                                    .values(revoked_at=now())).rowcount)

    # -- web sessions ---------------------------------------------------------------------
    def start_session(self, user: User) -> str:
        """A new login session for the user; its id goes into the signed cookie."""
        session_id = secrets.token_urlsafe(32)
        started = now()
        with self.engine.begin() as conn:
            conn.execute(web_sessions.insert().values(id=session_id, user_id=user.id, created_at=started,
                                                      last_seen_at=started))
        return session_id

    def session_user(self, session_id: str) -> User:
        """The user of a live session; AuthError once it was ended, idle too long or is too old."""
        at = now()
        with self.engine.begin() as conn:
            row = conn.execute(
                select(users, web_sessions.c.created_at.label("started"), web_sessions.c.last_seen_at,
                       web_sessions.c.ended_at)
                .join(web_sessions, web_sessions.c.user_id == users.c.id)
                .where(web_sessions.c.id == session_id, users.c.active)
            ).first()
            if row is None or row.ended_at is not None:
                raise AuthError("session ended: log in again")
            started, seen = _aware(row.started), _aware(row.last_seen_at)
            assert started is not None and seen is not None
            if at - seen > SESSION_IDLE or at - started > SESSION_ABSOLUTE:
                conn.execute(update(web_sessions).where(web_sessions.c.id == session_id).values(ended_at=at))
                raise AuthError("session timed out: log in again")
            if at - seen > SESSION_TOUCH:
                conn.execute(update(web_sessions).where(web_sessions.c.id == session_id).values(last_seen_at=at))
        return self._user_from_row(row)

    def end_session(self, session_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(web_sessions).where(web_sessions.c.id == session_id, web_sessions.c.ended_at.is_(None))
                         .values(ended_at=now()))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- release codes ---------------------------------------------------------------------------
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-3 codes a releasable-to list may name (the countries of the UN's lists)."""
    import csv

    from interdict.util import data_path

    if not _COUNTRIES:
        with open(data_path("monitoring/countries.csv"), newline="", encoding="utf-8") as handle:
            _COUNTRIES.update(row["iso3"] for row in csv.DictReader(handle))
    return frozenset(_COUNTRIES)


_COUNTRIES: set[str] = set()


def check_release_codes(conn: Any, markings: Iterable[Any], where: str) -> None:
    """Refuse markings whose releasable-to list names a code that is neither a registered agency
    nor an ISO 3166 country: a typo there would silently release to no one (or to an agency
    registered later under that code)."""
    codes = {code for marking in markings for code in marking.releasable_to}
    if not codes:
        return
    known = {row.code for row in conn.execute(select(agencies.c.code).where(agencies.c.code.in_(sorted(codes))))}
    unknown = sorted(codes - known - country_codes())
    if unknown:
        raise ValidationError(f"releasable_to names {', '.join(unknown)}: no registered agency and no ISO 3166 "
                              "alpha-3 country (register the agency first, or correct the code)", where=where)


# -- passwords ---------------------------------------------------------------------------------
MIN_PASSWORD_LENGTH = 12
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
_unknown_failures: dict[str, int] = {}
_unknown_locks: dict[str, datetime] = {}
# The most common passwords of public breach lists (shipped: the node may be air-gapped); any
# password that contains one of these as its whole, or differs from one by digits only, is refused.
COMMON_PASSWORDS = frozenset([
    "password", "passw0rd", "p@ssword", "p@ssw0rd", "12345678", "123456789", "1234567890", "123456789012",
    "qwerty", "qwertyuiop", "qwerty123", "iloveyou", "admin", "administrator", "welcome", "letmein", "monkey",
    "dragon", "football", "baseball", "sunshine", "princess", "trustno1", "abc123", "abcdef", "abcdefgh", "changeme",
    "secret", "master", "shadow", "superman", "batman", "starwars", "computer", "internet", "interdict",
])


def check_password(password: str, username: str = "") -> None:
    """The password policy: at least MIN_PASSWORD_LENGTH characters, at least 5 different ones,
    not a common password (with digits or symbols around it), and not the username."""
    where = f"user {username}" if username else "password"
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"password must have at least {MIN_PASSWORD_LENGTH} characters", where=where)
    if password.isdigit():
        raise ValidationError("password must not be digits only", where=where)
    if len(set(password)) < 5:
        raise ValidationError("password must use at least 5 different characters", where=where)
    core = re.sub(r"[^a-z]", "", password.lower())
    if password.lower() in COMMON_PASSWORDS or (core and core in COMMON_PASSWORDS and len(core) >= len(password) / 2):
        raise ValidationError("password is too common (it is on public breach lists)", where=where)
    if username and username.strip().lower() in password.lower():
        raise ValidationError("password must not contain the username", where=where)

