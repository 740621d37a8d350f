"""A rendered report as an HTTP response (shared by the reports page and the JSON API)."""

from __future__ import annotations

import re

from fastapi import HTTPException
from fastapi.responses import Response

from interdict.api import UserSession
from interdict.errors import InterdictError


def report_response(me: UserSession, kind: str, fmt: str, country: str | None, region: str | None,
                    seed: int, audience: str | None = None) -> Response:
    try:
        data = me.report(kind, fmt=fmt, country=country, region=region, seed=seed, audience=audience or None)
    except InterdictError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    name = re.sub(r"[^a-z0-9-]+", "-", f"interdict-{kind}-{country or region or ''}-{audience or ''}".lower()).strip("-")
    media = "application/pdf" if fmt == "pdf" else "text/html; charset=utf-8"
    disposition = "attachment" if fmt == "pdf" else "inline"
    return Response(data, media_type=media, headers={"Content-Disposition": f'{disposition}; filename="{name}.{fmt}"'})
