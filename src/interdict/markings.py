"""Handling markings and source grades carried by every record.

- TLP 2.0 (FIRST): CLEAR, GREEN, AMBER, AMBER+STRICT, RED.
- A releasable-to set of agency codes and/or ISO 3166 alpha-3 country codes.
- An originator-control flag (ORCON): no onward dissemination without the originator.
- A Europol SIENA handling code H0-H3 (absent on published data such as sanctions lists).
- The Admiralty (NATO) grade: source reliability A-F, information credibility 1-6.

Parsers are strict: an unknown or missing value is an error, never defaulted to something more
open. What these markings *mean* for visibility is decided in `interdict.access` alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any, ClassVar

from interdict.errors import ValidationError


class TLP(str, Enum):
    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER+STRICT"
    RED = "RED"

    @property
    def rank(self) -> int:
        return _TLP_ORDER.index(self)

    @classmethod
    def parse(cls, value: Any) -> TLP:
        if isinstance(value, TLP):
            return value
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(f"TLP is required (one of {', '.join(t.value for t in cls)})", where="tlp")
        text = value.strip().upper().removeprefix("TLP:")
        if text == "WHITE":  # TLP 1.0 name; FIRST maps it to CLEAR in 2.0
            text = "CLEAR"
        for tlp in cls:
            if tlp.value == text:
                return tlp
        raise ValidationError(f"unknown TLP {value!r} (one of {', '.join(t.value for t in cls)})", where="tlp")


_TLP_ORDER = [TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED]


class Handling(str, Enum):
    """Europol SIENA handling codes."""

    H0 = "H0"  # law-enforcement use only
    H1 = "H1"  # no judicial use without the provider's permission
    H2 = "H2"  # no dissemination without the provider's permission
    H3 = "H3"  # other restrictions (stated in the record)

    @property
    def meaning(self) -> str:
        return HANDLING_MEANINGS[self]

    @classmethod
    def parse(cls, value: Any) -> Handling | None:
        if value is None or isinstance(value, Handling):
            return value
        text = str(value).strip().upper()
        if text in ("", "NONE"):
            return None
        try:
            return cls(text)
        except ValueError:
            raise ValidationError(f"unknown handling code {value!r} (H0, H1, H2, H3 or none)", where="handling") from None


HANDLING_MEANINGS = {
    Handling.H0: "law-enforcement use only",
    Handling.H1: "no judicial use without the provider's permission",
    Handling.H2: "no dissemination without the provider's permission",
    Handling.H3: "other restrictions apply",
}

AGENCY_CODE = re.compile(r"^[A-Z][A-Z0-9_-]{1,31}$")
COUNTRY_CODE = re.compile(r"^[A-Z]{3}$")


def parse_agency_code(value: Any, *, where: str = "agency") -> str:
    text = str(value or "").strip().upper()
    if not AGENCY_CODE.match(text):
        raise ValidationError(
            f"invalid agency code {value!r} (2-32 characters: letters, digits, '-' or '_', starting with a letter)",
            where=where,
        )
    return text


@dataclass(frozen=True, order=True)
class Grade:
    """Admiralty grade, e.g. B2: usually reliable source, probably true."""

    reliability: str
    credibility: str

    RELIABILITY: ClassVar[dict[str, str]] = {
        "A": "completely reliable",
        "B": "usually reliable",
        "C": "fairly reliable",
        "D": "not usually reliable",
        "E": "unreliable",
        "F": "reliability cannot be judged",
    }
    CREDIBILITY: ClassVar[dict[str, str]] = {
        "1": "confirmed by other sources",
        "2": "probably true",
        "3": "possibly true",
        "4": "doubtful",
        "5": "improbable",
        "6": "truth cannot be judged",
    }

    def __post_init__(self) -> None:
        if self.reliability not in self.RELIABILITY:
            raise ValidationError(f"unknown source reliability {self.reliability!r} (A-F)", where="grade")
        if self.credibility not in self.CREDIBILITY:
            raise ValidationError(f"unknown information credibility {self.credibility!r} (1-6)", where="grade")

    @classmethod
    def parse(cls, value: Any) -> Grade:
        if isinstance(value, Grade):
            return value
        text = str(value or "").strip().upper()
        if len(text) != 2:
            raise ValidationError(f"grade must be a letter A-F and a digit 1-6, like B2; got {value!r}", where="grade")
        return cls(text[0], text[1])

    @property
    def code(self) -> str:
        return f"{self.reliability}{self.credibility}"

    @property
    def meaning(self) -> str:
        return f"{self.RELIABILITY[self.reliability]}; {self.CREDIBILITY[self.credibility]}"

    def __str__(self) -> str:
        return self.code


@dataclass(frozen=True)
class Marking:
    tlp: TLP
    releasable_to: frozenset[str] = field(default_factory=frozenset)
    orcon: bool = False
    handling: Handling | None = None

    def __post_init__(self) -> None:
        for code in self.releasable_to:
            if not AGENCY_CODE.match(code):
                raise ValidationError(f"invalid releasable-to code {code!r}", where="releasable_to")

    @classmethod
    def parse(cls, value: Any) -> Marking:
        """From a mapping {tlp, releasable_to, orcon, handling}; 'tlp' is required."""
        if isinstance(value, Marking):
            return value
        if isinstance(value, str):
            return cls(TLP.parse(value))
        if not isinstance(value, Mapping):
            raise ValidationError("marking must be a mapping with at least 'tlp'", where="marking")
        unknown = set(value) - {"tlp", "releasable_to", "orcon", "handling"}
        if unknown:
            raise ValidationError(f"unknown marking field(s): {', '.join(sorted(unknown))}", where="marking")
        rel = value.get("releasable_to") or []
        if isinstance(rel, str):
            rel = [part for part in re.split(r"[,\s]+", rel) if part]
        if not isinstance(rel, Iterable):
            raise ValidationError("releasable_to must be a list of agency or country codes", where="marking")
        orcon = value.get("orcon", False)
        if not isinstance(orcon, bool):
            raise ValidationError(f"orcon must be true or false, got {orcon!r}", where="marking")
        try:
            return cls(
                tlp=TLP.parse(value.get("tlp")),
                releasable_to=frozenset(str(code).strip().upper() for code in rel),
                orcon=orcon,
                handling=Handling.parse(value.get("handling")),
            )
        except ValidationError as exc:
            raise exc.at("marking") from None

    # Storage form: a delimited string lets one portable SQL LIKE test membership on any backend.
    @property
    def releasable_column(self) -> str:
        return "," + ",".join(sorted(self.releasable_to)) + "," if self.releasable_to else ""

    @staticmethod
    def releasable_from_column(text: str | None) -> frozenset[str]:
        return frozenset(part for part in (text or "").split(",") if part)

    def columns(self) -> dict[str, Any]:
        return {
            "tlp": self.tlp.value,
            "releasable_to": self.releasable_column,
            "orcon": self.orcon,
            "handling": self.handling.value if self.handling else None,
        }

    @classmethod
    def from_row(cls, row: Any) -> Marking:
        return _marking_of_columns(row.tlp, row.releasable_to, bool(row.orcon), row.handling or None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tlp": self.tlp.value,
            "releasable_to": sorted(self.releasable_to),
            "orcon": self.orcon,
            "handling": self.handling.value if self.handling else None,
        }

    @property
    def label(self) -> str:
        parts = [f"TLP:{self.tlp.value}"]
        if self.releasable_to:
            parts.append("REL TO " + ", ".join(sorted(self.releasable_to)))
        if self.orcon:
            parts.append("ORCON")
        if self.handling:
            parts.append(self.handling.value)
        return " · ".join(parts)


@dataclass(frozen=True)
class Banner:
    """The marking a page or document carries: the most restrictive of what it shows.

    `releasable_to` is None when no part limits release, and an empty set when the parts'
    release lists share no code (then nobody beyond the originators may receive it).
    """

    tlp: TLP
    releasable_to: frozenset[str] | None
    orcon: bool
    handling: Handling | None

    @property
    def label(self) -> str:
        parts = [f"TLP:{self.tlp.value}"]
        if self.releasable_to is not None:
            parts.append("REL TO " + (", ".join(sorted(self.releasable_to)) or "ORIGINATORS ONLY"))
        if self.orcon:
            parts.append("ORCON")
        if self.handling:
            parts.append(f"{self.handling.value} ({self.handling.meaning})")
        return " · ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tlp": self.tlp.value,
            "releasable_to": None if self.releasable_to is None else sorted(self.releasable_to),
            "orcon": self.orcon,
            "handling": self.handling.value if self.handling else None,
            "label": self.label,
        }


def highest(markings: Iterable[Marking]) -> Banner:
    """Highest TLP; release limited to the codes every restricted part allows; ORCON if any part
    is; the highest handling code."""
    tlp = TLP.CLEAR
    release: frozenset[str] | None = None
    orcon = False
    handling: Handling | None = None
    for marking in markings:
        if marking.tlp.rank > tlp.rank:
            tlp = marking.tlp
        if marking.releasable_to:
            release = marking.releasable_to if release is None else release & marking.releasable_to
        orcon = orcon or marking.orcon
        if marking.handling and (handling is None or marking.handling.value > handling.value):
            handling = marking.handling
    return Banner(tlp=tlp, releasable_to=release, orcon=orcon, handling=handling)


@lru_cache(maxsize=4096)
def _marking_of_columns(tlp: str, releasable_to: str | None, orcon: bool, handling: str | None) -> Marking:
    """A marking from its stored columns; a node holds few distinct ones, and reads build one per
    row (thousands per page), so each is made once."""
    return Marking(tlp=TLP(tlp), releasable_to=Marking.releasable_from_column(releasable_to), orcon=orcon,
                   handling=Handling(handling) if handling else None)
