"""NMEA 0183 framing of AIS sentences, vectorised over a whole buffer of lines.

`frame(data)` finds every `!xxVDM` / `!xxVDO` sentence, checks its checksum, reads its receive
time (NMEA 4 tag block `c:`, a preceding exactEarth `$PGHP` header, or a trailing epoch field),
assembles multi-sentence messages, and returns the payloads as offsets into one buffer, plus
every rejected sentence with its reason and counts of the lines that are not AIS at all.

Accounting: every AIS sentence either ends up in a framed message or is rejected with a reason;
lines that are not AIS (other NMEA talkers, comments, blank lines) are counted as skipped.
Only tag blocks, `$PGHP` headers, trailing time fields and multi-sentence fragments are handled
line by line in Python; the common single-sentence line never is.
"""

from __future__ import annotations

import re
from calendar import timegm
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

COMMA, BANG, BACKSLASH, DOLLAR, HASH, STAR, CR = (ord(c) for c in ",!\\$#*\r")

HEX = np.full(256, -1, dtype=np.int16)
for _i, _c in enumerate(b"0123456789ABCDEF"):
    HEX[_c] = _i
for _i, _c in enumerate(b"abcdef"):
    HEX[_c] = 10 + _i

# Reasons a sentence is rejected (index into REASONS).
REASONS = (
    "malformed sentence",            # 0: fewer than 7 fields or wrong field shapes
    "bad checksum",                  # 1
    "orphan fragment",               # 2: a part of a multi-sentence message whose other parts never came
    "no receive time",               # 3: only when a time is required and none is known
    "invalid payload character",     # 4
    "payload too short",             # 5: fewer bits than the header (type, repeat, MMSI)
    "malformed tag block",           # 6
)
MALFORMED, BAD_CHECKSUM, ORPHAN, NO_TIME, BAD_PAYLOAD, SHORT_PAYLOAD, BAD_TAG_BLOCK = range(7)

MAX_FRAGMENT_DISTANCE = 50  # lines: a fragment further than this from its first part is an orphan


@dataclass
class Frames:
    """Framed messages (parallel arrays) over `buffer`, plus rejections and skip counts."""

    buffer: np.ndarray                 # uint8: the input, then assembled multi-sentence payloads
    line: np.ndarray                   # int64: 0-based line of the (first) sentence
    start: np.ndarray                  # int64: payload offset in buffer
    length: np.ndarray                 # int64: payload characters
    fill: np.ndarray                   # int8: fill bits
    channel: np.ndarray                # uint8: 'A', 'B', '1', '2' or 0
    ts: np.ndarray                     # float64: receive time, epoch seconds (NaN if unknown)
    parts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))  # sentences per message
    members: dict[int, list[int]] = field(default_factory=dict)  # multi-sentence: first line -> all lines
    line_starts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    line_ends: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    station: list[str | None] | None = None   # tag block s: per message, when any line had one
    sentences: int = 0                 # AIS sentences seen (accepted + rejected)
    rejected_lines: list[int] = field(default_factory=list)
    rejected_reasons: list[int] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.line)

    def raw_line(self, line: int) -> bytes:
        return bytes(self.buffer[self.line_starts[line] : self.line_ends[line]])

    def lines_of(self, message: int) -> list[int]:
        first = int(self.line[message])
        return self.members.get(first, [first])

    def select(self, keep: np.ndarray) -> None:
        """Keep only the messages where `keep` is true (in place)."""
        for name in ("line", "start", "length", "fill", "channel", "ts", "parts"):
            setattr(self, name, getattr(self, name)[keep])
        if self.station is not None:
            self.station = [st for st, k in zip(self.station, keep) if k]


def range_xor(buf: np.ndarray, begin: np.ndarray, end: np.ndarray) -> np.ndarray:
    """XOR of the bytes buf[begin:end] for each pair (pairs in increasing order), computed on
    64-bit words: the whole words of each range reduced at once, corrected by the partial words at
    both ends, then folded to one byte."""
    padded = np.zeros((len(buf) + 15) // 8 * 8, dtype=np.uint8)
    padded[: len(buf)] = buf
    words = padded.view("<u8")
    wa, wb = begin // 8, end // 8
    if len(begin) == 0:
        return np.zeros(0, dtype=np.int16)
    # XOR of words[wa:wb] per range: reduceat over the interleaved bounds, every other segment
    bounds = np.empty(2 * len(begin), dtype=np.intp)
    bounds[0::2], bounds[1::2] = wa, np.minimum(wb, len(words) - 1)
    whole = np.bitwise_xor.reduceat(words, bounds)[0::2]
    whole[wa == wb] = 0  # reduceat gives the word itself for an empty range
    low = lambda k: np.where(k > 0, (np.uint64(1) << (8 * k).astype(np.uint64)) - np.uint64(1), np.uint64(0))  # noqa: E731
    x = whole ^ (words[wa] & low(begin % 8)) ^ (words[wb] & low(end % 8))
    x ^= x >> np.uint64(32)
    x ^= x >> np.uint64(16)
    x ^= x >> np.uint64(8)
    return (x & np.uint64(0xFF)).astype(np.int16)


def _line_bounds(buf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    newlines = np.flatnonzero(buf == 10)
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [len(buf)]))
    if len(buf) and buf[-1] == 10:  # no empty line after the final newline
        starts, ends = starts[:-1], ends[:-1]
    # strip a trailing CR
    has_cr = (ends > starts) & (buf[np.maximum(ends - 1, 0)] == CR)
    ends = ends - has_cr
    return starts.astype(np.int64), ends.astype(np.int64)


_TAG_TIME = re.compile(rb"(?:^|,)c:(\d+)")
_TAG_STATION = re.compile(rb"(?:^|,)s:([^,*]+)")
_TAG_GROUP = re.compile(rb"(?:^|,)g:(\d+)-(\d+)-(\d+)")


def _tag_block(content: bytes) -> tuple[float | None, str | None, bool]:
    """(time, station, ok) from a tag block's content (between the backslashes)."""
    body, _, checksum = content.rpartition(b"*")
    if not body or len(checksum) != 2:
        return None, None, False
    expected = 0
    for byte in body:
        expected ^= byte
    try:
        if int(checksum, 16) != expected:
            return None, None, False
    except ValueError:
        return None, None, False
    ts = None
    match = _TAG_TIME.search(body)
    if match:
        value = int(match.group(1))
        ts = value / 1000.0 if value > 100_000_000_000 else float(value)  # ms or s
    station = _TAG_STATION.search(body)
    return ts, station.group(1).decode("ascii", "replace") if station else None, True


def _pghp_time(line: bytes) -> float | None:
    """exactEarth `$PGHP,1,YYYY,M,D,h,m,s,ms,...` header: the receive time of the next sentence."""
    parts = line.split(b",")
    if len(parts) < 9 or parts[1] != b"1":
        return None
    try:
        y, mo, d, h, mi, s, ms = (int(p) for p in parts[2:9])
        return timegm((y, mo, d, h, mi, s)) + ms / 1000.0
    except (ValueError, OverflowError):
        return None


def frame(data: bytes, *, assume_time: float | None = None, require_time: bool = False) -> Frames:  # noqa: C901 - NMEA framing: one pass over each line's fields, in the order the standard gives
    buf = np.frombuffer(data, dtype=np.uint8)
    starts, ends = _line_bounds(buf)
    n_lines = len(starts)
    nonempty = ends > starts
    first = np.where(nonempty, buf[np.minimum(starts, max(len(buf) - 1, 0))] if len(buf) else 0, 0)

    # Where each line's sentence starts: at the line start, or after a tag block.
    sentence = starts.copy()
    tagged = nonempty & (first == BACKSLASH)
    tag_ok = np.ones(n_lines, dtype=bool)
    tag_ts = np.full(n_lines, np.nan)
    stations: dict[int, str] = {}
    if tagged.any():
        backslashes = np.flatnonzero(buf == BACKSLASH)
        for i in np.flatnonzero(tagged):
            k = np.searchsorted(backslashes, starts[i] + 1)
            close = backslashes[k] if k < len(backslashes) else -1
            if close < 0 or close >= ends[i]:
                tag_ok[i] = False
                continue
            block_ts, station, block_ok = _tag_block(bytes(buf[starts[i] + 1 : close]))
            tag_ok[i] = block_ok
            if block_ts is not None:
                tag_ts[i] = block_ts
            if station:
                stations[int(i)] = station
            sentence[i] = close + 1

    lead = np.where(sentence < ends, buf[np.minimum(sentence, max(len(buf) - 1, 0))] if len(buf) else 0, 0)
    # An AIS sentence: '!' then two talker letters then VDM or VDO.
    is_ais = nonempty & (lead == BANG) & (sentence + 6 <= ends)
    idx = np.flatnonzero(is_ais)
    if len(idx):
        s = sentence[idx]
        kind_ok = (buf[s + 3] == ord("V")) & (buf[s + 4] == ord("D")) & ((buf[s + 5] == ord("M")) | (buf[s + 5] == ord("O")))
        is_ais[idx[~kind_ok]] = False
    # A tagged line whose tag block is broken still counts as an AIS sentence when one follows.
    skipped = _count_skipped(buf, starts, ends, nonempty, first, is_ais, tagged)

    ais = np.flatnonzero(is_ais)
    reason = np.full(len(ais), -1, dtype=np.int16)
    reason[~tag_ok[ais]] = BAD_TAG_BLOCK
    s = sentence[ais]
    e = ends[ais]

    commas = np.flatnonzero(buf == COMMA)
    k = np.searchsorted(commas, s)
    have6 = k + 5 < len(commas)
    # the next six commas of each sentence in one gather (those past the buffer's last comma are
    # read as its last one; `have6` rules such sentences out)
    c = commas[np.minimum(k[:, None] + np.arange(6), max(len(commas) - 1, 0))] if len(commas) else np.full((len(ais), 6), -1)
    shape_ok = have6 & (c[:, 5] < e)
    # fill digit, '*', two hex digits after the sixth comma
    star = c[:, 5] + 2
    shape_ok &= star + 2 < e + 1
    safe = lambda pos: buf[np.clip(pos, 0, len(buf) - 1)]  # noqa: E731
    shape_ok &= safe(star) == STAR
    digit = lambda pos: safe(pos).astype(np.int16) - 48  # noqa: E731
    count = digit(c[:, 0] + 1)
    index = digit(c[:, 1] + 1)
    fill = digit(c[:, 5] + 1)
    shape_ok &= (c[:, 1] == c[:, 0] + 2) & (c[:, 2] == c[:, 1] + 2)
    shape_ok &= (count >= 1) & (count <= 9) & (index >= 1) & (index <= count) & (fill >= 0) & (fill <= 5)
    seq_len = c[:, 3] - c[:, 2] - 1
    shape_ok &= (seq_len == 0) | (seq_len == 1)
    chan_len = c[:, 4] - c[:, 3] - 1
    shape_ok &= chan_len <= 2
    # anything after the checksum must be a trailing field (',epoch') or nothing
    after = star + 3
    trailing = after < e
    shape_ok &= ~trailing | (safe(after) == COMMA)
    reason[(reason < 0) & ~shape_ok] = MALFORMED

    computed = range_xor(buf, np.clip(s + 1, 0, len(buf)), np.clip(star, 0, len(buf)))
    given = HEX[safe(star + 1)] * 16 + HEX[safe(star + 2)]
    bad_sum = (HEX[safe(star + 1)] < 0) | (HEX[safe(star + 2)] < 0) | (computed != given)
    reason[(reason < 0) & bad_sum] = BAD_CHECKSUM

    # receive times: tag block, else preceding $PGHP header, else trailing epoch, else assumed
    ts = tag_ts[ais].copy()
    pghp_before = np.zeros(len(ais), dtype=bool)
    prev = ais - 1
    has_prev = prev >= 0
    prev_is_pghp = np.zeros(len(ais), dtype=bool)
    if has_prev.any():
        p = np.where(has_prev, prev, 0)
        ps = starts[p]
        prev_is_pghp = has_prev & (ends[p] - ps > 6) & (safe(ps) == DOLLAR) & (safe(ps + 1) == ord("P")) & \
            (safe(ps + 2) == ord("G")) & (safe(ps + 3) == ord("H")) & (safe(ps + 4) == ord("P"))
    for j in np.flatnonzero(prev_is_pghp & np.isnan(ts)):
        value = _pghp_time(bytes(buf[starts[ais[j] - 1] : ends[ais[j] - 1]]))
        if value is not None:
            ts[j] = value
            pghp_before[j] = True
    epoch_rows = np.flatnonzero(trailing & np.isnan(ts) & (reason < 0))
    if len(epoch_rows):
        epoch, epoch_ok = _leading_numbers(buf, after[epoch_rows] + 1, e[epoch_rows])
        ts[epoch_rows[epoch_ok]] = np.where(epoch[epoch_ok] > 100_000_000_000, epoch[epoch_ok] / 1000.0,
                                            epoch[epoch_ok].astype(np.float64))
    if assume_time is not None:
        ts[np.isnan(ts)] = assume_time

    channel = np.where(chan_len == 1, safe(c[:, 3] + 1), 0).astype(np.uint8)
    seq = np.where(seq_len == 1, digit(c[:, 2] + 1), -1)
    p_start = c[:, 4] + 1
    p_len = c[:, 5] - c[:, 4] - 1
    shape_ok_len = p_len >= 0
    reason[(reason < 0) & ~shape_ok_len] = MALFORMED

    good = reason < 0
    single = good & (count == 1)
    multi = np.flatnonzero(good & (count > 1))

    lines_out = [ais[single]]
    start_out = [p_start[single]]
    len_out = [p_len[single]]
    fill_out = [fill[single]]
    chan_out = [channel[single]]
    ts_out = [ts[single]]
    extra: list[bytes] = []
    extra_offset = len(buf)
    m_line, m_start, m_len, m_fill, m_chan, m_ts = [], [], [], [], [], []
    members: dict[int, list[int]] = {}
    if len(multi):
        pending: dict[tuple[int, int, int], list[int]] = {}
        for j in multi:
            key = (int(count[j]), int(seq[j]), int(channel[j]))
            part = int(index[j])
            group = pending.get(key)
            if group is not None and (part != len(group) + 1 or ais[j] - ais[group[0]] > MAX_FRAGMENT_DISTANCE):
                for g in group:
                    reason[g] = ORPHAN
                del pending[key]
                group = None
            if group is None:
                if part != 1:
                    reason[j] = ORPHAN
                    continue
                group = pending[key] = []
            group.append(int(j))
            if part == count[j]:
                payload = b"".join(bytes(buf[p_start[g] : p_start[g] + p_len[g]]) for g in group)
                first_j = group[0]
                m_line.append(int(ais[first_j]))
                members[int(ais[first_j])] = [int(ais[g]) for g in group]
                m_start.append(extra_offset)
                m_len.append(len(payload))
                m_fill.append(fill[j])
                m_chan.append(channel[first_j])
                first_ts = ts[first_j] if not np.isnan(ts[first_j]) else ts[j]
                m_ts.append(first_ts)
                extra.append(payload)
                extra_offset += len(payload)
                del pending[key]
        for group in pending.values():
            for g in group:
                reason[g] = ORPHAN
    if extra:
        buffer = np.concatenate((buf, np.frombuffer(b"".join(extra), dtype=np.uint8)))
        lines_out.append(np.array(m_line, dtype=np.int64))
        start_out.append(np.array(m_start, dtype=np.int64))
        len_out.append(np.array(m_len, dtype=np.int64))
        fill_out.append(np.array(m_fill, dtype=np.int16))
        chan_out.append(np.array(m_chan, dtype=np.uint8))
        ts_out.append(np.array(m_ts, dtype=np.float64))
    else:
        buffer = buf
    frames = Frames(
        buffer=buffer,
        line=np.concatenate(lines_out).astype(np.int64),
        start=np.concatenate(start_out).astype(np.int64),
        length=np.concatenate(len_out).astype(np.int64),
        fill=np.concatenate(fill_out).astype(np.int8),
        channel=np.concatenate(chan_out).astype(np.uint8),
        ts=np.concatenate(ts_out).astype(np.float64),
        parts=np.concatenate([np.ones(int(single.sum()), np.int8), np.array([len(m) for m in members.values()], np.int8)]),
        members=members,
        line_starts=starts,
        line_ends=ends,
        sentences=len(ais),
        skipped=skipped,
    )
    if stations:
        frames.station = [stations.get(int(line)) for line in frames.line]
    if require_time:
        missing = np.isnan(frames.ts)
        if missing.any():
            position = {int(line): j for j, line in enumerate(ais)}
            for m in np.flatnonzero(missing):
                for line in frames.lines_of(int(m)):
                    reason[position[line]] = NO_TIME
            frames.select(~missing)
    bad = reason >= 0
    frames.rejected_lines = ais[bad].tolist()
    frames.rejected_reasons = reason[bad].tolist()
    # keep messages in input order (multi-sentence messages were appended after singles)
    order = np.argsort(frames.line, kind="stable")
    if not np.all(order == np.arange(len(order))):
        for name in ("line", "start", "length", "fill", "channel", "ts", "parts"):
            setattr(frames, name, getattr(frames, name)[order])
        if frames.station is not None:
            frames.station = [frames.station[i] for i in order]
    return frames


EPOCH_DIGITS = 18  # at most this many digits fit an int64; longer fields are read one by one


def _leading_numbers(buf: np.ndarray, begin: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(value, ok) of the field starting at each `begin`: the bytes up to the next comma or the
    line's `end`, ok when they are one or more digits (a trailing epoch after the checksum)."""
    width = EPOCH_DIGITS + 1
    padded = np.concatenate((buf, np.zeros(width, np.uint8)))
    window = sliding_window_view(padded, width)[begin]
    column = np.arange(width)[None, :]
    room = (end - begin)[:, None]
    digit = (window >= 48) & (window <= 57) & (column < room)
    length = np.where(digit.all(axis=1), width, np.argmin(digit, axis=1))
    at = np.minimum(length, width - 1)
    stops = (length == (end - begin)) | (window[np.arange(len(begin)), at] == COMMA)
    ok = (length >= 1) & (length <= EPOCH_DIGITS) & stops
    powers = np.where(column < length[:, None], 10 ** np.clip(length[:, None] - 1 - column, 0, EPOCH_DIGITS - 1), 0)
    value = ((window.astype(np.int64) - 48) * powers).sum(axis=1)
    for j in np.flatnonzero(length > EPOCH_DIGITS):  # longer than an int64 holds: rare, read in Python
        field_bytes = bytes(buf[begin[j] : end[j]]).split(b",")[0]
        if field_bytes.isdigit():
            value[j], ok[j] = min(int(field_bytes), np.iinfo(np.int64).max), True
    return value, ok


def _count_skipped(buf, starts, ends, nonempty, first, is_ais, tagged) -> dict[str, int]:
    other = ~is_ais
    blank = int(np.count_nonzero(~nonempty))
    comment = int(np.count_nonzero(other & nonempty & (first == HASH)))
    nmea = int(np.count_nonzero(other & nonempty & (first == DOLLAR)))
    rest = int(np.count_nonzero(other & nonempty)) - comment - nmea
    return {"blank": blank, "comment": comment, "other_nmea": nmea, "not_nmea": rest}
