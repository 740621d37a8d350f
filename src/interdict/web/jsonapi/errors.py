"""Interdict errors as HTTP errors for the JSON API."""

from __future__ import annotations

from fastapi import HTTPException

from interdict.errors import AuthError, NotFound


def http_error(exc: Exception) -> HTTPException:
    """404 for what is missing or hidden (the same answer for both), 403 for a refused action,
    422 for bad input."""
    status = 404 if isinstance(exc, NotFound) else 403 if isinstance(exc, AuthError) else 422
    return HTTPException(status_code=status, detail=str(exc))
