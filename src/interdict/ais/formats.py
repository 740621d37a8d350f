"""Input formats, each turned into the same two tables: positions and static reports.

Formats: raw NMEA (`nmea`), NOAA MarineCadastre CSV/Parquet (`marinecadastre`), Danish Maritime
Authority CSV (`dma`), any CSV/Parquet with a column mapping (`table`), and GeoParquet (`geoparquet`,
point geometry). `sniff` picks one from the content (`--format auto`). Compressed input (gzip, zstd,
zip) is opened transparently by `interdict.io.open_input`.

Normalised positions: mmsi, ts (UTC), lat, lon, sog, cog, heading, nav_status, msg_type, channel,
station, source_row. Static reports: mmsi, ts, imo, name, callsign, ship_type, length, width,
to_bow, to_stern, to_port, to_starboard, draught, destination, msg_type, source_row.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from interdict.ais.decode import Decoded
from interdict.ais.fields import POSITION_TYPES, STATIC_TYPES
from interdict.ais.stream import decode_stream
from interdict.errors import ValidationError
from interdict.io import UTF16_BOMS, open_input, refuse_binary

FORMATS = ("auto", "nmea", "marinecadastre", "dma", "table", "geoparquet")
POSITIONS_SCHEMA = {
    "mmsi": pl.Int64, "ts": pl.Datetime("us", "UTC"), "lat": pl.Float64, "lon": pl.Float64, "sog": pl.Float64,
    "cog": pl.Float64, "heading": pl.Int64, "nav_status": pl.Int64, "msg_type": pl.Int64, "channel": pl.String,
    "station": pl.String, "second": pl.Int64, "source_row": pl.Int64,
}
STATIC_SCHEMA = {
    "mmsi": pl.Int64, "ts": pl.Datetime("us", "UTC"), "imo": pl.Int64, "name": pl.String, "callsign": pl.String,
    "ship_type": pl.Int64, "length": pl.Float64, "width": pl.Float64, "to_bow": pl.Int64, "to_stern": pl.Int64,
    "to_port": pl.Int64, "to_starboard": pl.Int64, "draught": pl.Float64, "destination": pl.String,
    "msg_type": pl.Int64, "source_row": pl.Int64,
}
MARINECADASTRE = {"MMSI", "BaseDateTime", "LAT", "LON", "SOG", "COG", "Heading", "VesselName", "IMO", "CallSign", "VesselType"}
DMA = {"# Timestamp", "MMSI", "Latitude", "Longitude", "SOG", "COG", "Heading"}
DMA_STATUS = {
    "Under way using engine": 0, "At anchor": 1, "Not under command": 2, "Restricted manoeuverability": 3,
    "Restricted maneuverability": 3, "Constrained by her draught": 4, "Moored": 5, "Aground": 6,
    "Engaged in fishing": 7, "Under way sailing": 8, "Reserved for future amendment [HSC]": 9,
    "Reserved for future amendment [WIG]": 10, "Power-driven vessel towing astern": 11,
    "Power-driven vessel pushing ahead or towing alongside": 12, "Reserved for future use": 13,
    "AIS-SART": 14, "Unknown value": 15, "Unknown": 15,
}
TIME_FORMATS = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
                "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
DAYFIRST_FORMATS = ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M"]
MONTHFIRST_FORMATS = ["%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M"]


@dataclass
class Batch:
    """One piece of an input, normalised. `rejected` rows carry `source_row`, `reason`, `raw`."""

    positions: pl.DataFrame
    static: pl.DataFrame
    rejected: pl.DataFrame
    input_records: int                 # sentences (NMEA) or rows (tables) read
    skipped: dict[str, int] = field(default_factory=dict)
    other_messages: int = 0            # decoded messages that are neither positions nor static reports


def empty(schema: dict) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def conform(frame: pl.DataFrame, schema: dict) -> pl.DataFrame:
    if "second" in schema and "second" not in frame.columns and "ts" in frame.columns:
        frame = frame.with_columns(pl.col("ts").dt.second().cast(pl.Int64).alias("second"))  # tables: the time's second
    return frame.select(
        [(pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name) for name, dtype in schema.items()]
    )


def rejected_frame(rows: list[int] | pl.Series, reasons: list[str] | pl.Series, raw: list[str] | pl.Series) -> pl.DataFrame:
    return pl.DataFrame({"source_row": pl.Series(rows, dtype=pl.Int64), "reason": pl.Series(reasons, dtype=pl.String),
                         "raw": pl.Series(raw, dtype=pl.String)})


def sniff(path: Path) -> str:
    with open_input(path) as stream:
        head = stream.read(65536)
    if head.startswith(b"PAR1"):
        meta = pq.read_metadata(path).metadata or {}
        return "geoparquet" if b"geo" in meta else _sniff_columns(set(pq.read_schema(path).names), path)
    if head.startswith(UTF16_BOMS):
        raise ValidationError("UTF-16 text: AIS data is ASCII or UTF-8; convert it first: iconv -f UTF-16 -t UTF-8 FILE > FILE.txt",
                              where=str(path))
    refuse_binary(head[:8192], str(path))
    text = head.decode("utf-8", "replace").lstrip("\ufeff")
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if not lines:
        raise ValidationError("empty input", where=str(path))
    sentence_like = sum(line.lstrip().startswith(("!", "\\", "$")) for line in lines)
    if sentence_like >= max(1, len(lines) // 2):
        return "nmea"
    header = {h.strip().strip('"') for h in lines[0].split(",")}
    return _sniff_columns(header, path)


def _sniff_columns(columns: set[str], path: Path) -> str:
    if columns >= MARINECADASTRE:
        return "marinecadastre"
    if columns >= DMA:
        return "dma"
    return "table"


# -- NMEA ----------------------------------------------------------------------------------
DECODED_COLUMNS = ("lat", "lon", "speed", "course", "heading", "status", "second", "channel", "station", "shipname",
                   "callsign", "imo", "ship_type", "to_bow", "to_stern", "to_port", "to_starboard", "draught",
                   "destination")

def nmea_batches(path: Path, *, assume_time: float | None, chunk_bytes: int) -> Iterator[Batch]:
    with open_input(path) as stream:
        for decoded in decode_stream(stream, assume_time=assume_time, require_time=True, chunk_bytes=chunk_bytes):
            yield from_decoded(decoded, assumed=assume_time is not None)


def from_decoded(decoded: Decoded, *, assumed: bool = False) -> Batch:
    messages = decoded.messages
    rejected = decoded.rejected.rename({"line": "source_row"})
    if messages.height == 0:
        return Batch(empty(POSITIONS_SCHEMA), empty(STATIC_SCHEMA), rejected, decoded.sentences, decoded.skipped)
    messages = messages.with_columns(pl.from_epoch((pl.col("ts") * 1e6).cast(pl.Int64), time_unit="us")
                                     .dt.replace_time_zone("UTC").alias("ts"))
    missing = [name for name in DECODED_COLUMNS if name not in messages.columns]
    if missing:  # a chunk need not hold every message type
        messages = messages.with_columns(pl.lit(None).alias(name) for name in missing)
    is_position = pl.col("msg_type").is_in(sorted(POSITION_TYPES))
    positions = messages.filter(is_position).select(
        "mmsi", "ts", "lat", "lon", pl.col("speed").alias("sog"), pl.col("course").alias("cog"),
        "heading", pl.col("status").alias("nav_status"), "msg_type", "channel", "station",
        pl.col("second").alias("second") if "second" in messages.columns else pl.lit(None).alias("second"),
        pl.col("line").alias("source_row"),
    )
    if assumed:
        from interdict.ais.quality import FLAGS

        positions = positions.with_columns(pl.lit(FLAGS["time_assumed"], pl.UInt32).alias("flags"))
    static = messages.filter(pl.col("msg_type").is_in(sorted(STATIC_TYPES))).select(
        "mmsi", "ts", pl.when(pl.col("imo") > 0).then(pl.col("imo")).alias("imo"),
        pl.col("shipname").alias("name"), "callsign", "ship_type",
        (pl.col("to_bow") + pl.col("to_stern")).cast(pl.Float64).alias("length"),
        (pl.col("to_port") + pl.col("to_starboard")).cast(pl.Float64).alias("width"),
        "to_bow", "to_stern", "to_port", "to_starboard", "draught", "destination", "msg_type",
        pl.col("line").alias("source_row"),
    ).with_columns(pl.col("name", "callsign", "destination").cast(pl.String).replace("", None))
    other = messages.height - positions.height - static.height
    return Batch(conform(positions, POSITIONS_SCHEMA | ({"flags": pl.UInt32} if assumed else {})),
                 conform(static, STATIC_SCHEMA), rejected, decoded.sentences, decoded.skipped, other)


# -- tables --------------------------------------------------------------------------------
TABLE_CHUNK_ROWS = 250_000  # rows of a table read at a time: memory bounded whatever the file's size


def read_table(path: Path) -> pl.DataFrame:
    """A whole (small) table; `table_chunks` reads one of any size in bounded memory."""
    frames = list(table_chunks(path))
    return pl.concat(frames, how="vertical_relaxed") if len(frames) > 1 else frames[0]


def table_chunks(path: Path, *, scratch: Path | None = None, rows: int = TABLE_CHUNK_ROWS) -> Iterator[pl.DataFrame]:
    """A CSV or Parquet table, `rows` rows at a time, streamed (a 100 MB gzipped CSV no longer
    sits whole in memory). Compressed input, and a CSV that starts with a byte-order mark, are
    first written out plainly to `scratch` (a folder; the system's temporary one by default),
    through the expansion guard of `interdict.io.open_input`."""
    import shutil
    import tempfile

    with open_input(path) as stream:
        head = stream.read(4)
    plain = Path(path)
    copy: Path | None = None
    if _compressed(path) or head.startswith(b"\xef\xbb\xbf"):
        handle, name = tempfile.mkstemp(suffix=".table", dir=scratch)
        copy = Path(name)
        with open(handle, "wb") as out, open_input(path) as stream:
            first = stream.read(3)
            out.write(first.removeprefix(b"\xef\xbb\xbf"))
            shutil.copyfileobj(stream, out, 1 << 20)
        plain = copy
    try:
        if head.startswith(b"PAR1"):
            frame: pl.LazyFrame = pl.scan_parquet(plain)
        else:
            frame = pl.scan_csv(plain, infer_schema=False, truncate_ragged_lines=True)
        try:
            produced = False
            for chunk in frame.collect_batches(chunk_size=rows):
                produced = True
                yield chunk
            if not produced:
                yield frame.head(0).collect()
        except pl.exceptions.PolarsError as exc:
            raise ValidationError(f"not a readable {'Parquet file' if head.startswith(b'PAR1') else 'CSV'}: {exc}",
                                  where=str(path)) from None
    finally:
        if copy is not None:
            copy.unlink(missing_ok=True)


def _compressed(path: Path) -> bool:
    from interdict.io import GZIP_MAGIC, ZIP_MAGIC, ZSTD_MAGIC

    with open(path, "rb") as raw:
        magic = raw.read(4)
    return magic.startswith(GZIP_MAGIC) or magic in (ZSTD_MAGIC, ZIP_MAGIC)


def time_format(sample: pl.Series, *, dayfirst: bool, where: str) -> str:
    """The format that reads most of a sample of string times (rows it cannot read are rejected later)."""
    formats = (DAYFIRST_FORMATS if dayfirst else MONTHFIRST_FORMATS) + TIME_FORMATS
    values = sample.drop_nulls().head(500).str.strip_chars().str.replace(r"(Z|[+-]00:?00)$", "")
    scores = [(values.len() - values.str.to_datetime(fmt, strict=False).null_count(), -i, fmt) for i, fmt in enumerate(formats)]
    best, _, fmt = max(scores) if scores else (0, 0, None)
    if values.len() and best * 2 >= values.len() and fmt is not None:
        return fmt
    raise ValidationError(f"cannot read the times (e.g. {values.head(1).to_list()}); try --dayfirst or ISO 8601", where=where)


def parse_time(column: pl.Expr, sample: pl.Series, *, dayfirst: bool, where: str) -> pl.Expr:
    """A UTC datetime expression for string times, with the format chosen from a sample."""
    fmt = time_format(sample, dayfirst=dayfirst, where=where)
    return column.str.strip_chars().str.replace(r"(Z|[+-]00:?00)$", "").str.to_datetime(fmt, strict=False).dt.replace_time_zone("UTC")


def _times(frame: pl.DataFrame, name: str, dayfirst: bool, where: str) -> pl.Expr:
    if frame.schema[name].is_temporal():
        col = pl.col(name).cast(pl.Datetime("us"))
        zone = getattr(frame.schema[name], "time_zone", None)
        return col.dt.replace_time_zone("UTC") if zone is None else col.dt.convert_time_zone("UTC")
    text = frame[name].cast(pl.String)
    fmt = time_format(text, dayfirst=dayfirst, where=where)
    # trimming blanks and a UTC suffix from every value costs three times the parse: done only
    # when the values as they stand do not all read
    plain = text.str.to_datetime(fmt, strict=False)
    if plain.null_count() == text.null_count():
        return pl.lit(plain.dt.replace_time_zone("UTC"))
    return parse_time(pl.col(name).cast(pl.String), text, dayfirst=dayfirst, where=where)


def _number(frame: pl.DataFrame, name: str, dtype=pl.Float64) -> pl.Expr:
    """A column's numbers, blanks around them allowed. Stripping every value costs more than the
    cast itself, so it is done only where the plain cast loses a value the stripped one might keep."""
    text = pl.col(name).cast(pl.String)
    plain = text.cast(dtype, strict=False)
    lost = frame.select(plain.null_count() - text.null_count()).item()
    return plain if lost == 0 else text.str.strip_chars().cast(dtype, strict=False)


def _rejected_unparseable(frame: pl.DataFrame, required: list[str], where_row: pl.Expr) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split rows whose required values did not parse: (good, rejected with reasons)."""
    reason = pl.lit(None, pl.String)
    for name in reversed(required):
        reason = pl.when(pl.col(name).is_null()).then(pl.lit(f"{name} missing or unreadable")).otherwise(reason)
    marked = frame.with_columns(reason.alias("reason"))
    bad = marked.filter(pl.col("reason").is_not_null())
    return marked.filter(pl.col("reason").is_null()).drop("reason"), bad


def table_batches(path: Path, fmt: str, *, mapping: dict[str, str] | None, dayfirst: bool, scratch: Path | None = None,
                  rows: int = TABLE_CHUNK_ROWS) -> Iterator[Batch]:
    """A table's batches, `rows` input rows each (row numbers count from the file's first row)."""
    offset = 0
    carried: pl.DataFrame | None = None  # each vessel's identity at the end of the chunks so far
    for frame in table_chunks(path, scratch=scratch, rows=rows):
        batch = _table_batch(path, frame, fmt, mapping=mapping, dayfirst=dayfirst, offset=offset)
        if batch.static.height:
            # a vessel's first row in a chunk is a change only if it differs from where the last chunk left it
            static = batch.static.sort("mmsi", "ts")
            if carried is not None:
                first = pl.col("mmsi").ne_missing(pl.col("mmsi").shift(1))
                same = pl.all_horizontal([pl.col(c).eq_missing(pl.col(f"_{c}")) for c in TABLE_IDENTITY])
                static = (static.join(carried.rename({c: f"_{c}" for c in TABLE_IDENTITY}), on="mmsi", how="left")
                          .filter(~(first & same).fill_null(False)).drop([f"_{c}" for c in TABLE_IDENTITY]))
                batch.static = static
            latest = static.group_by("mmsi").last().select("mmsi", *TABLE_IDENTITY)
            carried = latest if carried is None else pl.concat([carried, latest]).group_by("mmsi").last()
        yield batch
        offset += frame.height


def table_batch(path: Path, fmt: str, *, mapping: dict[str, str] | None, dayfirst: bool) -> Batch:
    """A whole table as one batch (for small inputs and tests; the store reads `table_batches`)."""
    return _table_batch(path, read_table(path), fmt, mapping=mapping, dayfirst=dayfirst, offset=0)


def _table_batch(path: Path, frame: pl.DataFrame, fmt: str, *, mapping: dict[str, str] | None, dayfirst: bool,
                 offset: int) -> Batch:
    where = str(path)
    text_columns = [name for name, dtype in frame.schema.items() if dtype != pl.Binary]
    if fmt == "marinecadastre":
        positions, static = _marinecadastre(frame, where)
    elif fmt == "dma":
        positions, static = _dma(frame, where, dayfirst=True)
    elif fmt == "geoparquet":
        positions, static = _geoparquet(path, frame, mapping or {}, where, dayfirst)
    else:
        positions, static = _mapped(frame, mapping, where, dayfirst)
    positions, bad = _rejected_unparseable(positions, ["mmsi", "ts", "lat", "lon"], pl.col("source_row"))
    rows = bad["source_row"].cast(pl.Int64)
    raw = frame[rows.to_list()].select(  # the original row's text, for the quarantine file
        pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in text_columns], separator=",").alias("raw"))
    rejected = pl.DataFrame({"source_row": rows + offset, "reason": bad["reason"],
                             "raw": raw["raw"] if raw.height else pl.Series([], dtype=pl.String)})
    shift = pl.col("source_row") + offset
    return Batch(conform(positions.with_columns(shift), POSITIONS_SCHEMA), conform(static.with_columns(shift), STATIC_SCHEMA),
                 rejected, frame.height)


TABLE_IDENTITY = ["name", "imo", "callsign", "ship_type", "length", "width", "draught"]


def _static_changes(frame: pl.DataFrame) -> pl.DataFrame:
    """Static reports from a table that repeats identity on every row: one per change."""
    identity = TABLE_IDENTITY
    has_identity = pl.any_horizontal([pl.col(c).is_not_null() for c in identity])
    # only the columns a static report keeps are sorted: the input's own (string) columns would
    # triple the cost of the sort
    keep = [c for c in frame.columns if c in STATIC_SCHEMA]
    ordered = frame.lazy().select(keep).filter(has_identity & pl.col("mmsi").is_not_null() & pl.col("ts").is_not_null()) \
        .sort("mmsi", "ts").collect()
    # sorted by vessel: a row starts a new identity when the vessel or any identity field changes
    new_vessel = pl.col("mmsi").ne_missing(pl.col("mmsi").shift(1))
    changed = pl.any_horizontal([pl.col(c).ne_missing(pl.col(c).shift(1)) for c in identity])
    return ordered.filter(new_vessel | changed)


def _marinecadastre(frame: pl.DataFrame, where: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    frame = frame.with_row_index("source_row").with_columns(
        _number(frame, "MMSI", pl.Int64).alias("mmsi"),
        _times(frame, "BaseDateTime", False, where).alias("ts"),
        _number(frame, "LAT").alias("lat"), _number(frame, "LON").alias("lon"), _number(frame, "SOG").alias("sog"),
        _number(frame, "COG").alias("cog"), _number(frame, "Heading", pl.Int64).alias("heading"),
        _number(frame, "Status", pl.Int64).alias("nav_status") if "Status" in frame.columns else pl.lit(None).alias("nav_status"),
        # MarineCadastre keeps the transceiver class, not the message type: class A reports as 1, B as 18
        pl.when(pl.col("TransceiverClass") == "B").then(18).otherwise(1).alias("msg_type")
        if "TransceiverClass" in frame.columns else pl.lit(1).alias("msg_type"),
        pl.col("VesselName").cast(pl.String).str.strip_chars().replace("", None).alias("name"),
        pl.col("IMO").cast(pl.String).str.extract(r"(\d{7})").cast(pl.Int64, strict=False).alias("imo"),
        pl.col("CallSign").cast(pl.String).str.strip_chars().replace("", None).alias("callsign"),
        _number(frame, "VesselType", pl.Int64).alias("ship_type"),
        _number(frame, "Length").alias("length") if "Length" in frame.columns else pl.lit(None).alias("length"),
        _number(frame, "Width").alias("width") if "Width" in frame.columns else pl.lit(None).alias("width"),
        _number(frame, "Draft").alias("draught") if "Draft" in frame.columns else pl.lit(None).alias("draught"),
    )
    static = _static_changes(frame).with_columns(pl.lit(5).alias("msg_type"))
    return frame, static


def _dma(frame: pl.DataFrame, where: str, dayfirst: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    status = pl.col("Navigational status").replace_strict(DMA_STATUS, default=None, return_dtype=pl.Int64) \
        if "Navigational status" in frame.columns else pl.lit(None)
    frame = frame.with_row_index("source_row").with_columns(
        _number(frame, "MMSI", pl.Int64).alias("mmsi"),
        _times(frame, "# Timestamp", dayfirst, where).alias("ts"),
        _number(frame, "Latitude").alias("lat"), _number(frame, "Longitude").alias("lon"), _number(frame, "SOG").alias("sog"),
        _number(frame, "COG").alias("cog"), _number(frame, "Heading", pl.Int64).alias("heading"), status.alias("nav_status"),
        pl.when(pl.col("Type of mobile") == "Class B").then(18).otherwise(1).alias("msg_type")
        if "Type of mobile" in frame.columns else pl.lit(1).alias("msg_type"),
        (pl.col("Name") if "Name" in frame.columns else pl.lit(None)).cast(pl.String).str.strip_chars().replace("", None).alias("name"),
        (_number(frame, "IMO", pl.Int64) if "IMO" in frame.columns else pl.lit(None)).alias("imo"),
        (pl.col("Callsign") if "Callsign" in frame.columns else pl.lit(None)).cast(pl.String).replace("", None).alias("callsign"),
        (_number(frame, "Length") if "Length" in frame.columns else pl.lit(None)).alias("length"),
        (_number(frame, "Width") if "Width" in frame.columns else pl.lit(None)).alias("width"),
        (_number(frame, "Draught") if "Draught" in frame.columns else pl.lit(None)).alias("draught"),
        (pl.col("Destination") if "Destination" in frame.columns else pl.lit(None)).cast(pl.String).replace("", None).alias("destination"),
        pl.lit(None).alias("ship_type"),
    )
    static = _static_changes(frame).with_columns(pl.lit(5).alias("msg_type"))
    return frame, static


TARGETS = ("mmsi", "ts", "lat", "lon", "sog", "cog", "heading", "nav_status", "name", "imo", "callsign", "ship_type")


def parse_mapping(pairs: list[str] | None) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs or []:
        for item in pair.split(","):
            if not item.strip():
                continue
            target, sep, source = item.partition("=")
            target = target.strip()
            if not sep or target not in TARGETS or not source.strip():
                raise ValidationError(f"column mapping {item!r} must be FIELD=COLUMN with FIELD one of {', '.join(TARGETS)}",
                                      where="--map")
            mapping[target] = source.strip()
    return mapping


def _mapped(frame: pl.DataFrame, mapping: dict[str, str] | None, where: str, dayfirst: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    if not mapping:
        raise ValidationError(f"unknown columns {', '.join(frame.columns[:12])}: give --map mmsi=COL,ts=COL,lat=COL,lon=COL",
                              where=where)
    missing = [t for t in ("mmsi", "ts", "lat", "lon") if t not in mapping]
    if missing:
        raise ValidationError(f"--map must name columns for {', '.join(missing)}", where=where)
    absent = [c for c in mapping.values() if c not in frame.columns]
    if absent:
        raise ValidationError(f"no column(s) {', '.join(absent)} (columns: {', '.join(frame.columns[:20])})", where=where)
    exprs = [pl.col("source_row")]
    for target, source in mapping.items():
        if target == "ts":
            exprs.append(_times(frame, source, dayfirst, where).alias("ts"))
        elif target in ("name", "callsign"):
            exprs.append(pl.col(source).cast(pl.String).str.strip_chars().replace("", None).alias(target))
        else:
            dtype = pl.Float64 if target in ("lat", "lon", "sog", "cog") else pl.Int64
            exprs.append(_number(frame, source, dtype).alias(target))
    positions = frame.with_row_index("source_row").select(exprs).with_columns(pl.lit(1).alias("msg_type"))
    identity = [c for c in ("name", "imo", "callsign", "ship_type") if c in positions.columns]
    # every identity column, the unmapped ones empty: a table may carry a name but no IMO
    columns = {c: STATIC_SCHEMA[c] for c in ("name", "imo", "callsign", "ship_type")}
    static = _static_changes(conform(positions, {**POSITIONS_SCHEMA, **columns})
                             .with_columns([pl.lit(None).alias(c) for c in ("length", "width", "draught")])
                             ) if identity else empty(STATIC_SCHEMA)
    return positions, static


def _geoparquet(path: Path, frame: pl.DataFrame, mapping: dict[str, str], where: str, dayfirst: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    import json

    import shapely

    meta = json.loads((pq.read_metadata(path).metadata or {})[b"geo"])
    column = meta.get("primary_column", "geometry")
    if column not in frame.columns:
        raise ValidationError(f"GeoParquet geometry column {column!r} not found", where=where)
    geometries = shapely.from_wkb(frame[column].to_numpy())
    if not all(shapely.get_type_id(geometries) == 0):
        raise ValidationError("GeoParquet geometries must be points", where=where)
    frame = frame.drop(column).with_columns(pl.Series("lon", shapely.get_x(geometries)), pl.Series("lat", shapely.get_y(geometries)))
    guess = {"mmsi": ("mmsi", "MMSI"), "ts": ("ts", "timestamp", "BaseDateTime", "time", "t")}
    full = dict(mapping)
    for target, names in guess.items():
        if target not in full:
            found = next((n for n in names if n in frame.columns), None)
            if found:
                full[target] = found
    full.setdefault("lat", "lat")
    full.setdefault("lon", "lon")
    return _mapped(frame, full, where, dayfirst)
