"""Every list a page shows -- vessels, search results, events, the risk ranking, watchlist matches --
is paged, sortable by its columns and downloadable whole as CSV with its marking. One helper, so
no list forgets one of the three and every list reads the same query parameters:

    sort=<column key>  dir=asc|desc  offset=<first row, from 0>  limit=<rows per page>

A list computed in memory (`sorted_page`) is sorted and sliced here; a list the database pages
(the events) takes a `PageRequest` and sorts in SQL.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import HTTPException, Request
from fastapi.responses import Response

MAX_LIMIT = 5000
PAGING_PARAMS = ("sort", "dir", "offset", "limit")


@dataclass(frozen=True)
class Column:
    """One column of a list: its key (the `sort` value and the CSV header), its label on the
    page, and how a row gives its value (for sorting and for the CSV)."""

    key: str
    label: str
    value: Callable[[Any], Any]
    numeric: bool = False
    sortable: bool = True


@dataclass(frozen=True)
class PageRequest:
    sort: str
    descending: bool
    offset: int
    limit: int


def page_request(request: Request, columns: Sequence[Column], *, sort: str, descending: bool = False,
                 limit: int = 100) -> PageRequest:
    """The paging and sorting the user asked for, checked: an unknown column, a negative offset or
    a limit outside 1..5000 is a 400 naming the parameter (an in-app page, JSON on the API)."""
    params = request.query_params
    keys = [c.key for c in columns if c.sortable]
    chosen = params.get("sort") or sort
    if chosen not in keys:
        raise HTTPException(400, f"sort: no column {chosen!r} to sort by; choose one of {', '.join(keys)}")
    direction = params.get("dir") or ("desc" if descending and chosen == sort else "asc")
    if direction not in ("asc", "desc"):
        raise HTTPException(400, f"dir: {direction!r} is neither asc nor desc")
    return PageRequest(chosen, direction == "desc", _integer(params.get("offset"), "offset", 0, 0, None),
                       _integer(params.get("limit"), "limit", limit, 1, MAX_LIMIT))


def _integer(text: str | None, name: str, default: int, low: int, high: int | None) -> int:
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise HTTPException(400, f"{name}: {text!r} is not a whole number") from None
    if value < low or (high is not None and value > high):
        raise HTTPException(400, f"{name}: {value} is outside {low}..{high if high is not None else 'any'}")
    return value


@dataclass(frozen=True)
class Page:
    """One page of a list, with everything its template needs for headers, pager and CSV link."""

    rows: list[Any]
    columns: tuple[Column, ...]
    asked: PageRequest
    path: str
    params: tuple[tuple[str, str], ...]  # the list's own filters, kept by every link
    total: int | None  # None: the database pages and only knows whether more follow
    more: bool
    default_sort: str
    asked_params: tuple[tuple[str, str], ...] = ()  # the paging parameters as the request gave them

    @property
    def first(self) -> int:
        return self.asked.offset + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.asked.offset + len(self.rows)

    @property
    def here(self) -> str:
        """This page as the user asked for it (a form's way back after a change)."""
        paging = [(k, v) for k, v in self.asked_params if k in PAGING_PARAMS]
        return self.path + ("?" + urlencode([*self.params, *paging]) if self.params or paging else "")

    def url(self, **changes: Any) -> str:
        state = {"sort": self.asked.sort, "dir": "desc" if self.asked.descending else "asc",
                 "offset": self.asked.offset, "limit": self.asked.limit, **changes}
        paging = [(k, str(state[k])) for k in PAGING_PARAMS if state[k] not in (None, "", 0) or k == "limit"]
        return self.path + "?" + urlencode([*self.params, *paging])

    def sort_url(self, key: str) -> str:
        """Sorting by a column starts at the first row; the column sorted by turns around."""
        if key == self.asked.sort:
            return self.url(dir="asc" if self.asked.descending else "desc", offset=0)
        numeric = next((c.numeric for c in self.columns if c.key == key), False)
        return self.url(sort=key, dir="desc" if numeric else "asc", offset=0)

    def aria_sort(self, key: str) -> str:
        if key != self.asked.sort:
            return "none"
        return "descending" if self.asked.descending else "ascending"

    @property
    def prev_url(self) -> str | None:
        return self.url(offset=max(self.asked.offset - self.asked.limit, 0)) if self.asked.offset > 0 else None

    @property
    def next_url(self) -> str | None:
        return self.url(offset=self.asked.offset + self.asked.limit) if self.more else None

    @property
    def csv_url(self) -> str:
        state = [("sort", self.asked.sort), ("dir", "desc" if self.asked.descending else "asc")]
        return self.path + ".csv?" + urlencode([*self.params, *state])

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


def filters(request: Request) -> tuple[tuple[str, str], ...]:
    """The request's own parameters without the paging ones (and without a message shown once,
    `error`): the filters every link keeps."""
    return tuple((k, v) for k, v in request.query_params.multi_items()
                 if k not in PAGING_PARAMS and k != "error" and v != "")


def paging(request: Request) -> tuple[tuple[str, str], ...]:
    return tuple((k, v) for k, v in request.query_params.multi_items() if k in PAGING_PARAMS and v != "")


def sort_rows(rows: Iterable[Any], column: Column, descending: bool) -> list[Any]:
    """Rows ordered by one column; rows without a value come last either way, ties keep the
    list's own order (Python's sort is stable), text compares without regard to case."""
    present: list[Any] = []
    absent: list[Any] = []
    for row in rows:
        (absent if column.value(row) in (None, "") else present).append(row)

    def key(row: Any) -> Any:
        value = column.value(row)
        return value.casefold() if isinstance(value, str) else value

    present.sort(key=key, reverse=descending)
    return present + absent


def sorted_page(request: Request, rows: Sequence[Any], columns: Sequence[Column], *, sort: str,
                descending: bool = False, limit: int = 100) -> Page:
    """A whole list computed in memory, sorted as asked and cut to the asked page."""
    asked = page_request(request, columns, sort=sort, descending=descending, limit=limit)
    ordered = order(rows, columns, asked, sort=sort, descending=descending)
    chosen = ordered[asked.offset:asked.offset + asked.limit]
    return Page(chosen, tuple(columns), asked, request.url.path, filters(request), len(ordered),
                asked.offset + asked.limit < len(ordered), sort, paging(request))


def sorted_rows(request: Request, rows: Sequence[Any], columns: Sequence[Column], *, sort: str,
                descending: bool = False) -> list[Any]:
    """The whole list in the order asked (for its CSV)."""
    asked = page_request(request, columns, sort=sort, descending=descending)
    return order(rows, columns, asked, sort=sort, descending=descending)


def order(rows: Sequence[Any], columns: Sequence[Column], asked: PageRequest, *, sort: str, descending: bool) -> list[Any]:
    if (asked.sort, asked.descending) == (sort, descending):
        return list(rows)  # the list's own order, which may break ties better than one column can
    return sort_rows(rows, next(c for c in columns if c.key == asked.sort), asked.descending)


def database_page(request: Request, rows: list[Any], columns: Sequence[Column], asked: PageRequest, *,
                  default_sort: str) -> Page:
    """A page the database cut: `rows` holds up to limit + 1 rows, the extra one saying more follow."""
    return Page(rows[:asked.limit], tuple(columns), asked, request.url.path, filters(request), None,
                len(rows) > asked.limit, default_sort, paging(request))


def cell(value: Any) -> Any:
    """A value as a CSV cell. Text that a spreadsheet would run as a formula (a name from a
    partner's record starting with =, +, - or @) is prefixed with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_download(rows: Iterable[Any], columns: Sequence[Column], *, marking: Callable[[Any], str] | str,
                 filename: str) -> Response:
    """The whole list as CSV, each row with its marking (the row's own, or the list's banner),
    so a spreadsheet passed on still says how it may be handled."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*(c.key for c in columns), "marking"])
    for row in rows:
        writer.writerow([*(cell(c.value(row)) for c in columns), marking(row) if callable(marking) else marking])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
