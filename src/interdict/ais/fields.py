"""AIS message layouts as data: for each message type, its fields in bit order.

Names follow pyais (the reference decoder), offsets and widths ITU-R M.1371 as documented in
gpsd's AIVDM guide. Kinds:

    u   unsigned integer           i   signed integer (two's complement)
    b   boolean (1 bit)            t   6-bit ASCII text ('@' padding and trailing spaces removed)

A scale names the conversion applied after extraction (see `interdict.ais.decode.SCALES`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    offset: int
    width: int
    kind: str = "u"
    scale: str | None = None


def _layout(*specs: tuple) -> tuple[Field, ...]:
    fields = []
    offset = 0
    for spec in specs:
        name, width, *rest = spec
        kind = rest[0] if rest else "u"
        scale = rest[1] if len(rest) > 1 else None
        fields.append(Field(name, offset, width, kind, scale))
        offset += width
    return tuple(fields)


HEADER = (("msg_type", 6), ("repeat", 2), ("mmsi", 30))

POSITION_A = _layout(
    *HEADER,
    ("status", 4), ("turn", 8, "i", "turn"), ("speed", 10, "u", "tenth"), ("accuracy", 1, "b"),
    ("lon", 28, "i", "latlon"), ("lat", 27, "i", "latlon"), ("course", 12, "u", "tenth"),
    ("heading", 9), ("second", 6), ("maneuver", 2), ("spare_1", 3), ("raim", 1, "b"), ("radio", 19),
)

BASE_STATION = _layout(
    *HEADER,
    ("year", 14), ("month", 4), ("day", 5), ("hour", 5), ("minute", 6), ("second", 6),
    ("accuracy", 1, "b"), ("lon", 28, "i", "latlon"), ("lat", 27, "i", "latlon"), ("epfd", 4),
    ("spare_1", 10), ("raim", 1, "b"), ("radio", 19),
)

STATIC_VOYAGE = _layout(
    *HEADER,
    ("ais_version", 2), ("imo", 30), ("callsign", 42, "t"), ("shipname", 120, "t"), ("ship_type", 8),
    ("to_bow", 9), ("to_stern", 9), ("to_port", 6), ("to_starboard", 6), ("epfd", 4), ("month", 4),
    ("day", 5), ("hour", 5), ("minute", 6), ("draught", 8, "u", "tenth"), ("destination", 120, "t"),
    ("dte", 1, "b"), ("spare_1", 1),
)

POSITION_B = _layout(
    *HEADER,
    ("reserved_1", 8), ("speed", 10, "u", "tenth"), ("accuracy", 1, "b"), ("lon", 28, "i", "latlon"),
    ("lat", 27, "i", "latlon"), ("course", 12, "u", "tenth"), ("heading", 9), ("second", 6),
    ("reserved_2", 2), ("cs", 1, "b"), ("display", 1, "b"), ("dsc", 1, "b"), ("band", 1, "b"),
    ("msg22", 1, "b"), ("assigned", 1, "b"), ("raim", 1, "b"), ("radio", 20),
)

POSITION_B_EXTENDED = _layout(
    *HEADER,
    ("reserved_1", 8), ("speed", 10, "u", "tenth"), ("accuracy", 1, "b"), ("lon", 28, "i", "latlon"),
    ("lat", 27, "i", "latlon"), ("course", 12, "u", "tenth"), ("heading", 9), ("second", 6),
    ("reserved_2", 4), ("shipname", 120, "t"), ("ship_type", 8), ("to_bow", 9), ("to_stern", 9),
    ("to_port", 6), ("to_starboard", 6), ("epfd", 4), ("raim", 1, "b"), ("dte", 1, "b"),
    ("assigned", 1, "b"), ("spare_1", 4),
)

AID_TO_NAVIGATION = _layout(
    *HEADER,
    ("aid_type", 5), ("name", 120, "t"), ("accuracy", 1, "b"), ("lon", 28, "i", "latlon"),
    ("lat", 27, "i", "latlon"), ("to_bow", 9), ("to_stern", 9), ("to_port", 6), ("to_starboard", 6),
    ("epfd", 4), ("second", 6), ("off_position", 1, "b"), ("reserved_1", 8), ("raim", 1, "b"),
    ("virtual_aid", 1, "b"), ("assigned", 1, "b"), ("spare_1", 1),
    ("name_ext", 88, "t"),  # variable length: only the bits present are read
)

STATIC_B_PART_A = _layout(*HEADER, ("partno", 2), ("shipname", 120, "t"), ("spare_1", 8))

STATIC_B_PART_B = _layout(
    *HEADER,
    ("partno", 2), ("ship_type", 8), ("vendorid", 18, "t"), ("model", 4), ("serial", 20),
    ("callsign", 42, "t"), ("to_bow", 9), ("to_stern", 9), ("to_port", 6), ("to_starboard", 6),
    ("spare_1", 6),
)

# An auxiliary craft (MMSI 98MIDxxxx) reports its mother ship where others report dimensions.
STATIC_B_PART_B_AUXILIARY = _layout(
    *HEADER,
    ("partno", 2), ("ship_type", 8), ("vendorid", 18, "t"), ("model", 4), ("serial", 20),
    ("callsign", 42, "t"), ("mothership_mmsi", 30), ("spare_1", 6),
)

LONG_RANGE = _layout(
    *HEADER,
    ("accuracy", 1, "b"), ("raim", 1, "b"), ("status", 4), ("lon", 18, "i", "latlon600"),
    ("lat", 17, "i", "latlon600"), ("speed", 6, "u", "float"), ("course", 9, "u", "float"), ("gnss", 1, "b"),
    ("spare_1", 1),
)

LAYOUTS: dict[int, tuple[Field, ...]] = {
    1: POSITION_A,
    2: POSITION_A,
    3: POSITION_A,
    4: BASE_STATION,
    5: STATIC_VOYAGE,
    18: POSITION_B,
    19: POSITION_B_EXTENDED,
    21: AID_TO_NAVIGATION,
    27: LONG_RANGE,
}
# Type 24 picks a layout by its part number (and the MMSI for part B); see decode._layout_24.
DECODED_TYPES = frozenset(LAYOUTS) | {24}

# Message types that carry a position, and those that carry a vessel's identity.
POSITION_TYPES = frozenset({1, 2, 3, 18, 19, 27})
STATIC_TYPES = frozenset({5, 19, 24})
