"""Opening input files whatever their compression: plain, gzip, zstd or zip (one member),
recognised by content, not by name. Every importer (AIS, sanctions lists, seizure tables) reads
through here, so none of them depends on another wing to decompress."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path
from typing import BinaryIO

from interdict.errors import ValidationError

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
ZIP_MAGIC = b"PK\x03\x04"


def open_input(path: str | Path) -> BinaryIO:
    """A binary stream of the file's content, decompressed when it is gzip, zstd or zip."""
    path = Path(path)
    try:
        raw = open(path, "rb")
    except OSError as exc:
        raise ValidationError(f"cannot open: {exc.strerror}", where=str(path)) from None
    magic = raw.read(4)
    raw.seek(0)
    if magic.startswith(GZIP_MAGIC):
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    if magic == ZSTD_MAGIC:
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(raw, closefd=True)
    if magic == ZIP_MAGIC:
        archive = zipfile.ZipFile(raw)
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) != 1:
            raise ValidationError(f"zip archive must hold exactly one file, it holds {len(members)}", where=str(path))
        return archive.open(members[0])  # type: ignore[return-value]
    return raw


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
        wide = head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4
        raise ValidationError("UTF-16 text without a byte-order mark: save it as UTF-8" if wide
                              else "a binary file, not text", where=where)


def not_utf8(data: bytes, offset: int) -> str:
    """Where a text stops being UTF-8, as a person finds it in an editor."""
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return f"not UTF-8 text: byte 0x{data[offset]:02x} at line {line}, column {column}; {LEGACY_HINT}"
