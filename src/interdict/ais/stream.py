"""Reading AIS input in bounded chunks: any size of file in constant memory.

Files are opened by `interdict.io.open_input` (plain, gzip, zstd or zip, by content).
`chunks` cuts a byte stream at line boundaries where no multi-sentence message is split and no
`$PGHP` header is parted from its sentence. `decode_path` decodes chunk by chunk and yields one
`Decoded` per chunk, with line numbers counted from the start of the file.
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import polars as pl

from interdict.ais.decode import Decoded, decode_bytes
from interdict.errors import ValidationError
from interdict.io import UTF16_BOMS, open_input, refuse_binary

CHUNK_BYTES = 4 * 1024 * 1024
WORKERS = min(2, os.cpu_count() or 1)
_FRAGMENT = re.compile(rb"^(?:\\[^\\]*\\)?![A-Z]{2}VD[MO],([1-9]),([1-9]),")


def _safe_cut(block: bytes) -> int:
    """Offset after which the block's tail must wait for the next chunk (an unfinished
    multi-sentence message, or a trailing `$PGHP` header whose sentence comes next)."""
    cut = len(block)
    # look at the last few lines only: a message has at most 9 sentences
    for _ in range(12):
        start = block.rfind(b"\n", 0, cut - 1) + 1 if cut > 0 else 0
        line = block[start:cut].rstrip(b"\r\n")
        match = _FRAGMENT.match(line)
        if line.startswith(b"$PGHP") or (match and match.group(2) != match.group(1)):
            cut = start  # this line belongs with what follows
            if start == 0:
                break
            continue
        break
    return cut


def chunks(stream: BinaryIO, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Blocks of whole lines, each at most about `chunk_bytes`, cut where no message is split."""
    carry = b""
    while True:
        data = stream.read(chunk_bytes)
        if not data:
            if carry:
                yield carry
            return
        block = carry + data
        end = block.rfind(b"\n") + 1
        if end == 0:  # no newline yet: keep reading
            carry = block
            continue
        cut = _safe_cut(block[:end])
        if cut == 0:  # a pathological block of fragments: pass it on whole
            cut = end
        yield block[:cut]
        carry = block[cut:]


def decode_path(path: str | Path, *, assume_time: float | None = None, require_time: bool = False,
                chunk_bytes: int = CHUNK_BYTES) -> Iterator[Decoded]:
    with open_input(path) as stream:
        head = stream.read(8192)
    if head.startswith(UTF16_BOMS):
        raise ValidationError("UTF-16 text: AIS data is ASCII or UTF-8; convert it first: iconv -f UTF-16 -t UTF-8 FILE > FILE.txt",
                              where=str(path))
    refuse_binary(head, str(path))
    with open_input(path) as stream:
        yield from decode_stream(stream, assume_time=assume_time, require_time=require_time, chunk_bytes=chunk_bytes)


def decode_stream(stream: BinaryIO, *, assume_time: float | None = None, require_time: bool = False,
                  chunk_bytes: int = CHUNK_BYTES, workers: int = WORKERS) -> Iterator[Decoded]:
    """Decode chunk by chunk, `workers` chunks at a time (numpy and Polars release the GIL, so
    threads use both cores); results come back in input order, at most `workers` + 1 in memory."""

    def work(block: bytes) -> tuple[Decoded, int]:
        decoded = decode_bytes(block, assume_time=assume_time, require_time=require_time)
        return decoded, block.count(b"\n") + (0 if block.endswith(b"\n") else 1)

    first_line = 0
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        pending: deque[Future] = deque()
        blocks = chunks(stream, chunk_bytes)
        while True:
            while len(pending) < max(1, workers):
                block = next(blocks, None)
                if block is None:
                    break
                pending.append(pool.submit(work, block))
            if not pending:
                return
            decoded, lines = pending.popleft().result()
            if first_line:
                if decoded.messages.height:
                    decoded.messages = decoded.messages.with_columns(pl.col("line") + first_line)
                if decoded.rejected.height:
                    decoded.rejected = decoded.rejected.with_columns(pl.col("line") + first_line)
            first_line += lines
            yield decoded
