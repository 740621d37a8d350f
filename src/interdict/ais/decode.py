"""Vectorised AIS payload decoding: whole batches with numpy, never one message at a time.

Each message type's payloads become a matrix of bits (messages x bits); every field of the type's
layout (`interdict.ais.fields`) is then one numpy expression over all messages of that type.
Semantics follow pyais: a field that starts past the end of the payload is null; one that is cut
short takes the bits that are there; text is 6-bit ASCII with '@' padding and spaces trimmed.

`decode_bytes(data)` returns a `Decoded`: a Polars table of messages (one row per message, pyais
field names, `line` and `ts` columns), a table of rejected sentences with reasons, and counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
import pyarrow as pa
from numpy.lib.stride_tricks import sliding_window_view

from interdict.ais.fields import (
    LAYOUTS,
    STATIC_B_PART_A,
    STATIC_B_PART_B,
    STATIC_B_PART_B_AUXILIARY,
    Field,
)
from interdict.ais.nmea import BAD_PAYLOAD, REASONS, SHORT_PAYLOAD, Frames, frame

# 6-bit payload armouring: '0'..'W' -> 0..39, '`'..'w' -> 40..63; anything else is invalid.
SIXBIT = np.full(256, 255, dtype=np.uint8)
for _c in range(48, 88):
    SIXBIT[_c] = _c - 48
for _c in range(96, 120):
    SIXBIT[_c] = _c - 56
# 6-bit text: 0..31 -> '@'..'_', 32..63 -> ' '..'?'
TEXT = np.array([c + 64 if c < 32 else c for c in range(64)], dtype=np.uint8)
HEADER_BITS = 38


@dataclass
class Decoded:
    messages: pl.DataFrame
    rejected: pl.DataFrame            # line, reason, raw
    sentences: int                    # AIS sentences in the input
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def accepted_sentences(self) -> int:
        return self.sentences - self.rejected.height

    def rejected_by_reason(self) -> dict[str, int]:
        if self.rejected.height == 0:
            return {}
        counts = self.rejected.group_by("reason").len().sort("reason")
        return dict(zip(counts["reason"].to_list(), counts["len"].to_list()))


class _Columns:
    """Full-length output columns, filled type group by type group (no concat, no sort).

    Numbers go straight into full-length arrays. Text stays sparse (only rows that carry it),
    is trimmed on those rows alone, and is spread to full length with one Arrow `take`.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.values: dict[str, np.ndarray] = {}
        self.present: dict[str, np.ndarray] = {}
        self.texts: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        self.trimmed: set[str] = set()

    def put(self, name: str, rows: np.ndarray, values: np.ndarray, present: np.ndarray | None) -> None:
        column = self.values.get(name)
        if column is None:
            column = self.values[name] = np.zeros(self.n, dtype=values.dtype)
            self.present[name] = np.zeros(self.n, dtype=bool)
        column[rows] = values
        self.present[name][rows] = True if present is None else present

    def put_text(self, name: str, rows: np.ndarray, values: np.ndarray, present: np.ndarray, *, trim: bool = True) -> None:
        """`values`: fixed-width bytes (numpy 'S<k>') for `rows`; absent where not `present`."""
        rows, values = rows[present], np.ascontiguousarray(values[present])
        parts = self.texts.setdefault(name, [])
        if trim:
            self.trimmed.add(name)
        if len(rows):
            parts.append((rows, values))

    def table(self, keep: np.ndarray | None = None) -> pl.DataFrame:
        """The columns as a table, only the rows where `keep` is true (all when None)."""
        n, renumber = self.n, None
        if keep is not None and not keep.all():
            n = int(np.count_nonzero(keep))
            renumber = np.cumsum(keep) - 1
        arrays = {}
        for name, values in self.values.items():
            present = self.present[name]
            if renumber is not None and keep is not None:
                values, present = values[keep], present[keep]
            arrays[name] = _arrow_numbers(values, present)
        for name, parts in self.texts.items():
            if renumber is not None and keep is not None:
                parts = [(renumber[rows[keep[rows]]], values[keep[rows]]) for rows, values in parts]
                parts = [(rows, values) for rows, values in parts if len(rows)]
            arrays[name] = _arrow_text(n, parts, trim=name in self.trimmed)
        table = pl.from_arrow(pa.table(arrays))
        assert isinstance(table, pl.DataFrame)  # a table in, a table out
        return table


ARROW_TYPES = {np.dtype(np.int64): pa.int64(), np.dtype(np.float64): pa.float64(), np.dtype(np.uint8): pa.uint8(),
               np.dtype(np.int16): pa.int16(), np.dtype(np.int8): pa.int8(), np.dtype(np.int32): pa.int32()}
AT, SPACE = ord("@"), ord(" ")


def _arrow_numbers(values: np.ndarray, present: np.ndarray) -> pa.Array:
    """An Arrow array over the numpy buffer itself, nulls where not `present` (bit-packed)."""
    n = len(values)
    missing = n - int(np.count_nonzero(present))
    validity = pa.py_buffer(np.packbits(present, bitorder="little")) if missing else None
    if values.dtype == np.bool_:
        return pa.Array.from_buffers(pa.bool_(), n, [validity, pa.py_buffer(np.packbits(values, bitorder="little"))],
                                     null_count=missing)
    values = np.ascontiguousarray(values)
    arrow_type = ARROW_TYPES.get(values.dtype)
    if arrow_type is None:
        return pa.array(values, mask=~present if missing else None)
    return pa.Array.from_buffers(arrow_type, n, [validity, pa.py_buffer(values)], null_count=missing)


def _arrow_text(n: int, parts: list[tuple[np.ndarray, np.ndarray]], *, trim: bool) -> pa.Array:
    """A full-length Arrow string array from fixed-width text of some rows: pyais's trimming
    (trailing '@' padding, then surrounding spaces) or, untrimmed, NUL padding removed; done on
    the character matrix with numpy, then the kept characters packed behind one offsets array."""
    if not parts:
        return pa.nulls(n, pa.string())
    rows_all, starts_all, lengths_all, data_all = [], [], [], []
    base = 0
    for rows, values in parts:
        width = values.dtype.itemsize
        chars = values.view(np.uint8).reshape(len(values), width)
        if width == 1 and not trim:  # one character (the channel): kept as it is
            rows_all.append(rows)
            lengths_all.append(np.ones(len(rows), dtype=np.int64))
            starts_all.append(base + np.arange(len(rows), dtype=np.int64))
            data_all.append(chars.ravel())
            base += len(rows)
            continue
        column = np.arange(width)[None, :]
        if trim:
            not_at = chars != AT
            end = np.where(not_at.any(axis=1), width - np.argmax(not_at[:, ::-1], axis=1), 0)
            solid = (chars != SPACE) & (column < end[:, None])
        else:
            solid = chars != 0
        has = solid.any(axis=1)
        stop = np.where(has, width - np.argmax(solid[:, ::-1], axis=1), 0)
        # untrimmed text loses only its NUL padding at the end
        start = np.where(has, np.argmax(solid, axis=1), 0) if trim else np.zeros(len(chars), dtype=np.int64)
        keep = (column >= start[:, None]) & (column < stop[:, None])
        data = chars[keep]
        lengths = (stop - start).astype(np.int64)
        rows_all.append(rows)
        lengths_all.append(lengths)
        starts_all.append(base + np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64))
        data_all.append(data)
        base += len(data)
    rows = np.concatenate(rows_all)
    lengths = np.concatenate(lengths_all)
    starts = np.concatenate(starts_all)
    data = np.concatenate(data_all) if len(data_all) > 1 else data_all[0]
    if len(parts) > 1 and not np.all(rows[1:] > rows[:-1]):  # gather the strings in row order
        order = np.argsort(rows, kind="stable")
        rows, lengths, starts = rows[order], lengths[order], starts[order]
        total = int(lengths.sum())
        new_starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        positions = np.repeat(starts - new_starts, lengths) + np.arange(total)
        data = data[positions]
    # offsets stay flat between the rows that carry text: repeat each running total up to the next
    # such row rather than summing a mostly empty full-length column
    running = np.concatenate(([0], np.cumsum(lengths))).astype(np.int32)
    offsets = np.repeat(running, np.diff(np.concatenate(([0], rows + 1, [n + 1]))))
    present = np.zeros(n, dtype=bool)
    present[rows] = True
    missing = n - len(rows)
    validity = pa.py_buffer(np.packbits(present, bitorder="little")) if missing else None
    return pa.Array.from_buffers(pa.string(), n, [validity, pa.py_buffer(offsets), pa.py_buffer(data.tobytes())],
                                 null_count=missing)


def _sixbit(buffer: np.ndarray, start: np.ndarray, length: np.ndarray, fill: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(6-bit values [n, width] zeroed past each payload's bits, bit lengths, valid mask)."""
    width = int(length.max())
    if int(start.max()) + width > len(buffer):
        buffer = np.concatenate((buffer, np.zeros(width, np.uint8)))
    chars = sliding_window_view(buffer, width)[start]
    # the armouring undone by arithmetic on bytes ('0'..'W' -> 0..39, '`'..'w' -> 40..63), which
    # is several times faster than a table lookup indexed by every character
    values = chars - np.uint8(48)   # valid: 0..39 and 48..71 (bytes below '0' wrap round to 208+)
    high = values >= 48
    bad = (values > 71) | ((values > 39) & ~high)
    values -= high.view(np.uint8) << np.uint8(3)
    inside = np.arange(width)[None, :] < length[:, None]
    bad &= inside
    valid = ~bad.any(axis=1)
    values *= (inside & ~bad).view(np.uint8)
    # fill bits (the low bits of the last character) are not part of the message
    rows = np.arange(len(start))
    last = np.maximum(length - 1, 0)
    values[rows, last] &= (0x3F << np.clip(fill, 0, 5)).astype(np.uint8) & 0x3F
    nbits = np.maximum(length * 6 - np.clip(fill, 0, 5), 0)
    # column-major: each field reads whole columns (characters) of all messages
    return np.asfortranarray(values), nbits, valid


def _number(values: np.ndarray, nbits: np.ndarray, f: Field) -> tuple[np.ndarray, np.ndarray | None]:
    """(values int64, present mask or None when all are); a field cut short keeps only the bits
    that are there."""
    first, last = f.offset // 6, (f.offset + f.width - 1) // 6
    acc = values[:, first].astype(np.int64) if first < values.shape[1] else np.zeros(len(values), dtype=np.int64)
    for c in range(first + 1, last + 1):
        acc <<= 6
        if c < values.shape[1]:
            acc |= values[:, c]
    acc >>= 6 * (last + 1) - (f.offset + f.width)
    acc &= (1 << f.width) - 1
    present: np.ndarray | None
    if len(nbits) and int(nbits.min()) >= f.offset + f.width:  # the usual case: every message holds it all
        present, width = None, f.width
    else:
        available = np.clip(nbits - f.offset, 0, f.width)
        present = available > 0
        acc >>= f.width - np.maximum(available, 1)
        width = np.maximum(available, 1)
    if f.kind == "i":
        sign = np.left_shift(1, width - 1)
        acc = np.where(acc & sign, acc - (sign << 1), acc)
    return acc, present


def _text(values: np.ndarray, nbits: np.ndarray, f: Field) -> tuple[np.ndarray, np.ndarray]:
    """(fixed-width ASCII bytes, present mask) of a 6-bit text field."""
    chars = f.width // 6
    first, shift = divmod(f.offset, 6)
    need = first + chars + 1
    if values.shape[1] < need:
        values = np.pad(values, ((0, 0), (0, need - values.shape[1])))
    span = values[:, first:need].astype(np.uint16)
    codes = ((span[:, :-1] << 6 | span[:, 1:]) >> (6 - shift)) & 0x3F if shift else span[:, :-1]
    available = nbits[:, None] - (f.offset + 6 * np.arange(chars))[None, :]
    partial = (available > 0) & (available < 6)
    if partial.any():
        codes = np.where(partial, codes >> np.clip(6 - available, 0, 6), codes)
    codes = np.where(available > 0, codes, 0)
    text = np.ascontiguousarray(TEXT[codes]).view(f"S{chars}").ravel()
    return text, nbits > f.offset


def _turn(raw: np.ndarray) -> np.ndarray:
    rate = np.copysign(np.round((raw / 4.733) ** 2), raw)
    rate = np.where(np.abs(raw) == 127, raw.astype(np.float64), rate)
    rate = np.where(np.abs(raw) == 128, -128.0, rate)
    return np.where(raw == 0, 0.0, rate)


def _scaled(values: np.ndarray, scale: str | None, kind: str) -> np.ndarray:
    if scale == "latlon":  # pyais: round(v / 600000, 6), computed exactly in integers
        return ((10 * values + 3) // 6) / 1e6
    if scale == "latlon600":
        return ((10000 * values + 3) // 6) / 1e6
    if scale == "tenth":
        return values / 10.0
    if scale == "turn":
        return _turn(values)
    if scale == "float":
        return values.astype(np.float64)
    if kind == "b":
        return values.astype(bool)
    return values


def _decode_layout(columns: _Columns, rows: np.ndarray, values: np.ndarray, nbits: np.ndarray,
                   layout: tuple[Field, ...]) -> None:
    for f in layout:
        if f.name.startswith("spare") or f.name == "msg_type":
            continue
        if f.kind == "t":
            text, present = _text(values, nbits, f)
            columns.put_text(f.name, rows, text, present)
            continue
        raw, number_present = _number(values, nbits, f)
        columns.put(f.name, rows, _scaled(raw, f.scale, f.kind), number_present)


def decode_frames(frames: Frames) -> tuple[pl.DataFrame, list[tuple[int, int]]]:  # noqa: C901 - one pass per message type over the vectorised payloads
    """Decode framed payloads. Returns (messages in input order, [(message index, reason)])."""
    n = len(frames)
    rejected: list[tuple[int, int]] = []
    if n == 0:
        return pl.DataFrame(), rejected
    first = SIXBIT[frames.buffer[frames.start]]
    msg_type = np.where(frames.length > 0, first, 255).astype(np.int64)
    keep = np.ones(n, dtype=bool)
    columns = _Columns(n)
    columns.put("msg_type", np.arange(n), msg_type, None)
    # one pass per layout, not per type: types 1-3 share a layout, and every type without a
    # layout of its own is decoded the same way (header only, payload kept raw)
    groups: dict[object, list[int]] = {}
    for t in np.flatnonzero(np.bincount(msg_type, minlength=256)).tolist():
        key = LAYOUTS.get(t, t if t in (24, 255) else "other")
        groups.setdefault(key, []).append(t)
    for types in groups.values():
        t = types[0]
        rows = np.flatnonzero(msg_type == t) if len(types) == 1 else np.flatnonzero(np.isin(msg_type, types))
        if t == 255:
            rejected += [(int(r), SHORT_PAYLOAD if frames.length[r] == 0 else BAD_PAYLOAD) for r in rows]
            keep[rows] = False
            continue
        values, nbits, valid = _sixbit(frames.buffer, frames.start[rows], frames.length[rows],
                                       frames.fill[rows].astype(np.int64))
        short = valid & (nbits < HEADER_BITS)
        rejected += [(int(r), BAD_PAYLOAD) for r in rows[~valid]]
        rejected += [(int(r), SHORT_PAYLOAD) for r in rows[short]]
        ok = valid & ~short
        if not ok.all():
            keep[rows[~ok]] = False
            rows, values, nbits = rows[ok], values[ok], nbits[ok]
        if not len(rows):
            continue
        if t == 24:
            for layout, mask in _layouts_24(values, nbits):
                if mask.any():
                    _decode_layout(columns, rows[mask], values[mask], nbits[mask], layout)
        elif t in LAYOUTS:
            _decode_layout(columns, rows, values, nbits, LAYOUTS[int(t)])
        else:  # other types: counted, kept raw
            _decode_layout(columns, rows, values, nbits, LAYOUTS[1][:3])
            payload = np.array([bytes(frames.buffer[frames.start[r]: frames.start[r] + frames.length[r]]) for r in rows])
            columns.put_text("payload", rows, payload, np.ones(len(rows), bool), trim=False)
    columns.put("line", np.arange(n), frames.line, None)
    columns.put("ts", np.arange(n), frames.ts, ~np.isnan(frames.ts))
    printable = (frames.channel >= 33) & (frames.channel < 127)  # the channel letter ('A', 'B', '1', '2')
    columns.put_text("channel", np.arange(n), np.ascontiguousarray(frames.channel).view("S1"), printable, trim=False)
    if frames.station is not None:
        station = np.array([(st or "").encode() for st in frames.station])
        columns.put_text("station", np.arange(n), station, station != b"", trim=False)
    table = columns.table(keep)
    if "name_ext" in table.columns:  # pyais: a type-21 name continues in its extension
        table = table.with_columns(
            pl.when(pl.col("msg_type") == 21)
            .then(pl.concat_str(pl.col("name"), pl.col("name_ext").fill_null("")))
            .alias("full_name")
        )
    return table, rejected



def _layouts_24(values: np.ndarray, nbits: np.ndarray):
    partno, _ = _number(values, nbits, Field("partno", 38, 2))
    mmsi, _ = _number(values, nbits, Field("mmsi", 8, 30))
    auxiliary = (mmsi // 10_000_000) == 98
    yield STATIC_B_PART_A, partno == 0
    yield STATIC_B_PART_B, (partno != 0) & ~auxiliary
    yield STATIC_B_PART_B_AUXILIARY, (partno != 0) & auxiliary


def decode_bytes(data: bytes, *, assume_time: float | None = None, require_time: bool = False) -> Decoded:
    frames = frame(data, assume_time=assume_time, require_time=require_time)
    messages, bad_messages = decode_frames(frames)
    lines = list(frames.rejected_lines)
    reasons = list(frames.rejected_reasons)
    if bad_messages:
        drop = np.zeros(len(frames), dtype=bool)
        for message, reason in bad_messages:
            drop[message] = True
            for line in frames.lines_of(message):
                lines.append(line)
                reasons.append(reason)
    rejected = pl.DataFrame(
        {
            "line": pl.Series(lines, dtype=pl.Int64),
            "reason": pl.Series([REASONS[r] for r in reasons], dtype=pl.String),
            "raw": pl.Series([frames.raw_line(line).decode("ascii", "replace") for line in lines], dtype=pl.String),
        }
    ).sort("line")
    return Decoded(messages=messages, rejected=rejected, sentences=frames.sentences, skipped=frames.skipped)
