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
