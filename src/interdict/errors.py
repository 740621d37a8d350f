"""Errors that reach a user. Each names the record and the reason; the CLI exits 2 on them."""

from __future__ import annotations


class InterdictError(Exception):
    """A problem the user can fix: bad input, unknown agency, missing workspace."""

    exit_code = 2


class ValidationError(InterdictError):
    """A record failed validation. `where` names the file/record/field."""

    def __init__(self, reason: str, *, where: str | None = None) -> None:
        self.reason = reason
        self.where = where
        super().__init__(f"{where}: {reason}" if where else reason)

    def at(self, where: str) -> ValidationError:
        """Prefix a location (file, then record, then field nest outward-in)."""
        return ValidationError(self.reason, where=f"{where}: {self.where}" if self.where else where)


class NotFound(InterdictError):
    """The record does not exist, or the viewer may not see it (indistinguishable on purpose)."""


class AuthError(InterdictError):
    """Unknown user, wrong password or token, or a missing role."""
