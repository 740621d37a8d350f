"""Audiences: derived records are computed per audience, never for the whole node.

A behaviour event, a gap's statistics, a watchlist match, a "listed" flag or the top five hits of a
screening are *derived*: computed by the node from records of several agencies. Filtering such a
record after computing it from everything is not enough -- hidden evidence would still shape it
(a hidden fix counted in a visible gap, a hidden identity as the "before" of a visible change, a
hidden sanctions topic making a visible entity "listed", hidden namesakes crowding a visible hit
out of the top five). So the node computes each derived record from what one *audience* may see.

An audience is a set of agencies that may see exactly the same inputs. Visibility depends only on
a record's marking and origin (`interdict.access.can_see`), so the audiences follow from the
distinct (origin, marking) combinations present in the input tables: agencies that may see the
same combinations see the same records. A real node has a handful (often one: everything shared
is GREEN or CLEAR).

Each derived row carries its audience's key (`audience` column); `derived_audiences` says which
agencies belong to which audience. A viewer is shown a derived row only when their agency belongs
to its audience *and* every record it rests on is still visible to them (`visible_derived`, which
catches a retraction after the computation). The key is a digest of the visible combinations, so
it is stable from run to run while nothing changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, Table, delete, false, select
from sqlalchemy.sql import ColumnElement as _Column

from interdict.access import Viewer, can_see
from interdict.markings import Marking
from interdict.tables import agencies, derived_audiences
from interdict.util import utcnow

KEY_LENGTH = 16


@dataclass(frozen=True)
class Audience:
    """Agencies that may see the same inputs; `viewer` stands for all of them (one of their agencies,
    so it sees exactly what each of them sees)."""

    key: str
    agencies: tuple[str, ...]
    viewer: Viewer


def agency_viewers(conn: Connection) -> list[Viewer]:
    """One viewer per agency of the node: what any of its users may see."""
    return [Viewer(username=f"agency:{r.code}", agency=r.code, country=r.country, law_enforcement=r.law_enforcement)
            for r in conn.execute(select(agencies).order_by(agencies.c.code))]


Combination = tuple[str, Marking, bool]  # origin, marking, detached (shown to its origin alone)


def group(viewers: Iterable[Viewer], records: Mapping[str, Iterable[Combination]]) -> list[Audience]:
    """Group viewers by what they may see. `records` holds, per input kind, the distinct (origin,
    marking, detached) combinations present; viewers that may see the same combinations of every
    kind form one audience. Pure: the same answer for the same combinations."""
    combos = {kind: sorted(set(items), key=_combo_text) for kind, items in records.items()}
    members: dict[str, list[Viewer]] = {}
    for viewer in viewers:
        seen = [f"{kind}={_combo_text(c)}" for kind in sorted(combos) for c in combos[kind] if _sees(viewer, c)]
        key = hashlib.sha256("\n".join(seen).encode()).hexdigest()[:KEY_LENGTH]
        members.setdefault(key, []).append(viewer)
    return [Audience(key, tuple(v.agency for v in group), group[0]) for key, group in sorted(members.items())]


def _sees(viewer: Viewer, combo: Combination) -> bool:
    origin, marking, detached = combo
    return can_see(viewer, origin, marking) and (not detached or viewer.agency == origin)


def _combo_text(combo: Combination) -> str:
    origin, marking, detached = combo
    return "|".join((origin, marking.tlp.value, ",".join(sorted(marking.releasable_to)), str(int(marking.orcon)),
                     marking.handling.value if marking.handling else "", "detached" if detached else ""))


def combinations(conn: Connection, table: Table) -> list[Combination]:
    """The distinct (origin, marking, detached) combinations of the live rows of a marked table."""
    c = table.c
    detached = c.detached if "detached" in c else false()
    query = select(c.agency, c.tlp, c.releasable_to, c.orcon, c.handling, detached.label("detached")).distinct()
    if "retracted_at" in c:
        query = query.where(c.retracted_at.is_(None))
    return [(row.agency, Marking.from_row(row), bool(row.detached)) for row in conn.execute(query)]


def form(conn: Connection, inputs: Mapping[str, Table]) -> list[Audience]:
    """The audiences of the node's agencies over the given input tables (by kind)."""
    return group(agency_viewers(conn), {kind: combinations(conn, table) for kind, table in inputs.items()})


def record(conn: Connection, kind: str, audiences: Iterable[Audience], *, replace: bool) -> None:
    """Write which agencies belong to the audiences of `kind` (derived rows carry the key).
    `replace` (after a computation of every derived row of the kind) forgets earlier audiences; a
    partial computation only adds members. Earlier rows stay valid for their members: a key is the
    digest of the combinations its members may see, so every agency ever filed under a key may see
    every record that could have shaped its rows, and what a row rests on is checked again when read."""
    a = derived_audiences.c
    if replace:
        conn.execute(delete(derived_audiences).where(a.kind == kind))
    known = set() if replace else set(tuple(r) for r in conn.execute(select(a.audience, a.agency).where(a.kind == kind)))
    now = utcnow()
    rows = [{"kind": kind, "audience": audience.key, "agency": agency, "computed_at": now}
            for audience in audiences for agency in audience.agencies if (audience.key, agency) not in known]
    if rows:
        conn.execute(derived_audiences.insert(), rows)


def member_of(viewer: Viewer, kind: str, audience: _Column[str]) -> ColumnElement[bool]:
    """The SQL condition: the derived row's audience (column `audience`) includes the viewer's agency."""
    a = derived_audiences.c
    return audience.in_(select(a.audience).where(a.kind == kind, a.agency == viewer.agency))
