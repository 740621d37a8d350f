"""Opening input files whatever their compression: plain, gzip, zstd or zip (one member),
recognised by content, not by name. Every importer (AIS, sanctions lists, seizure tables) reads
through here, so none of them depends on another wing to decompress."""

from __future__ import annotations

import gzip
import io
import os
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

from interdict.errors import ValidationError

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
ZIP_MAGIC = b"PK\x03\x04"


# Decompression bombs: a compressed input may expand at most MAX_RATIO times its size once it has
# expanded past RATIO_GRACE (real AIS logs and tables compress 3-15 times; a file of zeros 1,000),
# and to MAX_EXPANDED_BYTES in all. Both can be set for a node through the environment.
MAX_RATIO = float(os.environ.get("INTERDICT_MAX_EXPANSION_RATIO", 100))
RATIO_GRACE = 64 << 20
MAX_EXPANDED_BYTES = int(float(os.environ.get("INTERDICT_MAX_EXPANDED_GB", 64)) * (1 << 30))


def open_input(path: str | Path) -> BinaryIO:
    """A binary stream of the file's content, decompressed when it is gzip, zstd or zip, and
    refused (ValidationError) as soon as it expands beyond the ratio or size a real input has."""
    path = Path(path)
    try:
        raw = open(path, "rb")
    except OSError as exc:
        raise ValidationError(f"cannot open: {exc.strerror}", where=str(path)) from None
    magic = raw.read(4)
    raw.seek(0)
    if magic.startswith(GZIP_MAGIC):
        return io.BufferedReader(_Guarded(gzip.GzipFile(fileobj=raw), raw, str(path)), 1 << 20)
    if magic == ZSTD_MAGIC:
        import zstandard

        return io.BufferedReader(_Guarded(zstandard.ZstdDecompressor().stream_reader(raw, closefd=True), raw, str(path)), 1 << 20)
    if magic == ZIP_MAGIC:
        archive = zipfile.ZipFile(raw)
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) != 1:
            raise ValidationError(f"zip archive must hold exactly one file, it holds {len(members)}", where=str(path))
        return io.BufferedReader(_Guarded(archive.open(members[0]), raw, str(path)), 1 << 20)
    return raw


class _Guarded(io.RawIOBase):
    """A decompressing stream that counts what it hands out against what it has read from disk."""

    def __init__(self, inner: Any, raw: BinaryIO, where: str) -> None:
        super().__init__()
        self.inner, self.raw, self.where, self.expanded = inner, raw, where, 0
        self.size = max(1, os.fstat(raw.fileno()).st_size)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:  # read all, but in steps, so a bomb is stopped before it is whole
            parts = []
            while part := self.read(1 << 20):
                parts.append(part)
            return b"".join(parts)
        data = self.inner.read(size)
        self.expanded += len(data)
        if self.expanded > MAX_EXPANDED_BYTES:
            raise ValidationError(f"expands to more than {MAX_EXPANDED_BYTES >> 30} GB (INTERDICT_MAX_EXPANDED_GB): refused",
                                  where=self.where)
        if self.expanded > RATIO_GRACE and self.expanded > MAX_RATIO * self.size:
            raise ValidationError(f"expands more than {MAX_RATIO:g} times its compressed size (a decompression bomb?): "
                                  "refused (INTERDICT_MAX_EXPANSION_RATIO)", where=self.where)
        return bytes(data)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self.inner.close()
        finally:
            self.raw.close()
            super().close()


# -- text ----------------------------------------------------------------------------------
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
LEGACY_HINT = ("if it is Latin-1 or Windows-1252 (an Excel export, say), convert it first: "
               "iconv -f cp1252 -t utf-8 FILE > FILE.utf8")


def text_of(data: bytes, where: str) -> str:
    """The text of an input file: UTF-8 (a byte-order mark allowed) or UTF-16 with its byte-order
    mark. Anything else -- a binary file, another encoding -- is refused with the place and a way
    to fix it, never decoded into something else by guess."""
    if data.startswith(UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ValidationError(f"not valid UTF-16 text at byte {exc.start}", where=where) from None
    refuse_binary(data[:65536], where)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(not_utf8(data, exc.start), where=where) from None


def refuse_binary(head: bytes, where: str) -> None:
    """Refuse a file whose first bytes are more than 1 % NULs: binary, or UTF-16 without a
    byte-order mark (a stray NUL in a long text log is line noise, left to the parser)."""
    if head.count(0) > max(1, len(head) // 100):
        odd, even = head[1::2].count(0), head[0::2].count(0)
        wide = (odd > len(head) // 4) != (even > len(head) // 4)  # every other byte NUL: UTF-16 text
        raise ValidationError("UTF-16 text without a byte-order mark: save it as UTF-8" if wide
                              else "a binary file, not text", where=where)


def not_utf8(data: bytes, offset: int) -> str:
    """Where a text stops being UTF-8, as a person finds it in an editor."""
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return f"not UTF-8 text: byte 0x{data[offset]:02x} at line {line}, column {column}; {LEGACY_HINT}"
