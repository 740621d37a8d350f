"""The one access decision. Nothing else in Interdict decides who may see a record.

`can_see` is the rule as a Python predicate; `visible_filter` is the same rule as a SQL filter
over any table with marking columns (see `interdict.tables.marking_columns`). The property tests
in `tests/test_access.py` prove the two agree and that no RED, AMBER+STRICT or non-releasable
record reaches another agency through any public read function.

The rule, for a viewer from agency V (country C) and a record originated by agency O:

1. O's own users see all of O's records, for any purpose.
2. Otherwise RED and AMBER+STRICT records are never shown (they are for the originator alone in a
   multi-agency node; the originator shares them by re-marking, not by exception).
3. AMBER needs a releasable-to list naming V or C; an empty list means "originator only".
4. CLEAR and GREEN go to every agency on the node, unless a releasable-to list is given, which
   must then name V or C.
5. Handling code H0 (law-enforcement use only) hides the record from agencies that are not law
   enforcement (for instance a UN monitoring body).
6. For dissemination outside the node (exports, sync to another node), ORCON records and handling
   codes H2 (no dissemination without permission) and H3 (other restrictions) are withheld.

A document released beyond its reader -- a report for the public, for partners or for one agency --
keeps only what `may_release` allows to its `Recipient` (of what the reader may see).

Derived records (behaviour events and screening matches) are computed per audience -- the agencies
that may see the same inputs (`interdict.audiences`) -- so nothing hidden from a viewer shapes
them; they are shown to a viewer of that audience only if every record they rest on is still
visible: `can_see_derived` in Python, `visible_derived` in SQL over the table of what they rest on.

Readers do not write these filters themselves: `visible(table, viewer)` gives every condition a
query over a marked table needs (the rule; where the table keeps retractions, live rows only; and
where it keeps detached statements -- written under an entity id that existed only in records
their writer may not see -- those only for their writer's agency).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache

from sqlalchemy import ColumnElement as _Column
from sqlalchemy import and_, exists, false, not_, or_, select, true
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.expression import FromClause

from interdict.markings import TLP, Handling, Marking


class Purpose(str, Enum):
    VIEW = "view"
    DISSEMINATE = "disseminate"


ROLES = ("analyst", "watch_officer", "monitor", "admin")


@dataclass(frozen=True)
class Viewer:
    username: str
    agency: str
    country: str
    law_enforcement: bool
    roles: frozenset[str] = field(default_factory=frozenset)

    def has_role(self, role: str) -> bool:
        return role in self.roles


def audience_key(viewer: Viewer) -> tuple[str, str, bool]:
    """Everything the access decision (`can_see`, `visible_filter`) reads about a viewer: two
    viewers with the same key are shown the same records on every read path, so what is computed
    for one may be served to the other (interdict.readcache). A rule that comes to read more of
    the viewer must add it here (tests/test_readcache.py checks the two agree)."""
    return (viewer.agency, viewer.country, viewer.law_enforcement)


_NEVER_SHARED = (TLP.RED, TLP.AMBER_STRICT)
_NO_DISSEMINATION = (Handling.H2, Handling.H3)


def can_see(viewer: Viewer, origin: str, marking: Marking, purpose: Purpose = Purpose.VIEW) -> bool:
    if origin == viewer.agency:
        return True
    if marking.tlp in _NEVER_SHARED:
        return False
    release = marking.releasable_to
    if marking.tlp is TLP.AMBER and not release:
        return False
    if release and viewer.agency not in release and viewer.country not in release:
        return False
    if marking.handling is Handling.H0 and not viewer.law_enforcement:
        return False
    return not (purpose is Purpose.DISSEMINATE and (marking.orcon or marking.handling in _NO_DISSEMINATION))


@dataclass(frozen=True)
class Recipient:
    """Whom a document is released to beyond its reader: the public (`public`), every partner
    agency (`partners`), or one agency (its code, with its country and law-enforcement status).
    A report rendered for a recipient keeps only what `may_release` allows."""

    name: str
    agency: Viewer | None = None

    PUBLIC = "public"
    PARTNERS = "partners"

    @classmethod
    def public(cls) -> Recipient:
        return cls(cls.PUBLIC)

    @classmethod
    def partners(cls) -> Recipient:
        return cls(cls.PARTNERS)

    @classmethod
    def for_agency(cls, code: str, country: str, law_enforcement: bool) -> Recipient:
        return cls(code, Viewer("", code, country, law_enforcement))

    @property
    def label(self) -> str:
        if self.agency is not None:
            return f"agency {self.name}"
        return "the public" if self.name == self.PUBLIC else "partner agencies"


_PARTNER_HANDLING = (None, Handling.H1)


def may_release(recipient: Recipient, origin: str, marking: Marking) -> bool:
    """Whether a record the reader holds may go to `recipient`:

    - the public: TLP:CLEAR alone, with no release list, no ORCON and no handling code;
    - partners (every agency, law enforcement or not): TLP:CLEAR or GREEN with no release list, no
      ORCON, and no handling code other than H1 (H0 is for law enforcement only, H2 and H3 need
      the provider's permission);
    - one agency: what `can_see` would disseminate to that agency (its own records always)."""
    if recipient.agency is not None:
        return can_see(recipient.agency, origin, marking, Purpose.DISSEMINATE)
    if marking.releasable_to or marking.orcon:
        return False
    if recipient.name == Recipient.PUBLIC:
        return marking.tlp is TLP.CLEAR and marking.handling is None
    return marking.tlp in (TLP.CLEAR, TLP.GREEN) and marking.handling in _PARTNER_HANDLING


def visible_filter(table: FromClause, viewer: Viewer, purpose: Purpose = Purpose.VIEW) -> ColumnElement[bool]:
    """SQL equivalent of `can_see` for rows of `table`."""
    return _visible_filter(table, audience_key(viewer), purpose)


@lru_cache(maxsize=2048)
def _visible_filter(table: FromClause, audience: tuple[str, str, bool], purpose: Purpose) -> ColumnElement[bool]:
    """Built once per table, audience and purpose (an expression is immutable; building one cost
    0.4 ms, and a page builds dozens)."""
    agency, country, law_enforcement = audience
    viewer = Viewer("", agency, country, law_enforcement)
    c = table.c
    released = or_(
        c.releasable_to == "",
        # autoescape: '_' is legal in agency codes and would otherwise be a LIKE wildcard
        c.releasable_to.contains(f",{viewer.agency},", autoescape=True),
        c.releasable_to.contains(f",{viewer.country},", autoescape=True),
    )
    conditions = [
        c.tlp.in_([TLP.CLEAR.value, TLP.GREEN.value, TLP.AMBER.value]),
        or_(c.tlp != TLP.AMBER.value, c.releasable_to != ""),
        released,
        true() if viewer.law_enforcement else or_(c.handling.is_(None), c.handling != Handling.H0.value),
    ]
    if purpose is Purpose.DISSEMINATE:
        conditions.append(c.orcon == false())
        conditions.append(or_(c.handling.is_(None), c.handling.notin_([h.value for h in _NO_DISSEMINATION])))
    return or_(c.agency == viewer.agency, and_(*conditions))


def can_see_derived(visible: set[str] | frozenset[str], rests_on: list[str] | tuple[str, ...] | set[str]) -> bool:
    """A derived record (an event computed from several batches) may be shown only to a viewer who
    may see every record it rests on; `visible` is the ids the viewer may see (found with
    `visible_filter`). An event resting on nothing is not shown: it has no provenance."""
    return bool(rests_on) and all(item in visible for item in rests_on)


def visible(table: FromClause, viewer: Viewer, purpose: Purpose = Purpose.VIEW, *,
            include_retracted: bool = False) -> tuple[ColumnElement[bool], ...]:
    """Every condition a read of `table` needs: the access rule (`visible_filter`) and, for tables
    that keep retractions, live rows only. Use it as `select(t).where(*visible(t, viewer))`."""
    conditions: list[ColumnElement[bool]] = [visible_filter(table, viewer, purpose)]
    if not include_retracted and "retracted_at" in table.c:
        conditions.append(table.c.retracted_at.is_(None))
    if "detached" in table.c:  # written under another agency's hidden entity: its writer's alone
        conditions.append(or_(table.c.detached == false(), table.c.agency == viewer.agency))
    return tuple(conditions)


def visible_derived(viewer: Viewer, derived_id: _Column[str], audience: _Column[str], rests_on: FromClause, kind: str,
                    bases: Mapping[str, FromClause]) -> ColumnElement[bool]:
    """SQL equivalent of `can_see_derived` for derived records of `kind` whose id is `derived_id`
    in the audience `audience` (derived records are computed per audience: `interdict.audiences`).

    `rests_on` holds one row per record a derived record rests on (columns kind, audience,
    derived_id, record_kind, record_id); `bases` maps each record_kind to the marked table holding
    those records by `id`. A derived record is visible when it rests on something and every record
    it rests on exists, is live and is visible to the viewer."""
    r = rests_on.alias("rests")
    seen = or_(*(and_(r.c.record_kind == record_kind,
                      exists(select(table.c.id).where(table.c.id == r.c.record_id, *visible(table, viewer))))
                 for record_kind, table in bases.items()))
    mine = and_(r.c.kind == kind, r.c.audience == audience, r.c.derived_id == derived_id)
    return and_(exists(select(r.c.record_id).where(mine)), not_(exists(select(r.c.record_id).where(mine, not_(seen)))))
