"""AIS ingest and track store: every format on its real sample, full accounting, idempotence,
atomicity under a kill, access control, bad input."""

from __future__ import annotations

import gzip
import io
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from datetime import UTC, datetime

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from interdict.ais.decode import decode_bytes
from interdict.ais.store import IngestOptions, TrackStore
from interdict.errors import ValidationError
from interdict.markings import TLP, Grade, Marking
from interdict.tables import ais_batches

ASSUMED = datetime(2012, 1, 27, 11, 47, tzinfo=UTC)
EVER_GIVEN_MAP = {"mmsi": "ID", "ts": "ais_pos_timestamp", "lat": "latitude", "lon": "longitude"}


@pytest.fixture
def store_node(node):
    for code, country in (("INCB", "XUN"), ("AFP", "AUS"), ("JCG", "JPN")):
        node.registry.add_agency(code, code, country, code != "INCB")
        node.registry.add_user(f"{code.lower()}.u", code, ["analyst"])
    return node


def options(**kw) -> IngestOptions:
    return IngestOptions(**{"agency": "INCB", "marking": Marking(TLP.CLEAR), "grade": Grade("B", "2"), **kw})


def viewer(node, name="jcg.u"):
    return node.as_user(name).viewer


def test_nmea_accounting_and_idempotence(store_node, ais_sample):
    tracks = store_node.tracks
    path = ais_sample("ais/amsa_risky/ais.txt.gz")
    result = tracks.ingest(path, options(assume_time=ASSUMED))
    decoded = decode_bytes(gzip.open(path).read())
    assert result.input_records == decoded.sentences == 34029
    # every sentence is decoded or rejected; every message is a position, duplicate, static report,
    # other type, or a position rejected with a reason
    assert decoded.accepted_sentences + decoded.rejected.height == decoded.sentences
    position_rejects = sum(v for k, v in result.rejected_by_reason.items() if k.startswith(("position", "time", "no time")))
    assert result.messages == result.positions + result.duplicates + result.static_reports + result.other_messages + position_rejects
    assert result.messages == decoded.messages.height
    assert result.rejected == decoded.rejected.height + position_rejects
    assert result.flags["time_assumed"] == result.positions
    before = tracks.stats(viewer(store_node))
    again = tracks.ingest(path, options(assume_time=ASSUMED))
    assert again.status == "unchanged"
    assert tracks.stats(viewer(store_node)) == before
    quarantine = tracks.rejected(viewer(store_node))
    assert quarantine.height == result.rejected
    assert set(quarantine["reason"]) >= {"bad checksum", "position not available"}
    assert quarantine.filter(pl.col("reason") == "bad checksum")["raw"][0].startswith("!")


def test_nmea_without_time_is_rejected_with_reason(store_node, ais_sample):
    result = store_node.tracks.ingest(ais_sample("ais/amsa_risky/ais.txt.gz"), options())
    # a few hundred AMSA lines carry a trailing epoch (",1327664821" = 2012-01-27 11:47:01 UTC);
    # the rest have no time and are rejected with that reason
    assert 0 < result.positions < 1000
    assert result.rejected_by_reason["no receive time"] > 30000
    span = store_node.tracks.stats(viewer(store_node))["time_span"]
    assert span[0].startswith("2012-01-27") and span[1].startswith("2012-01-27") and "time_assumed" not in result.flags


def test_exactearth_times_from_headers(store_node, ais_sample):
    result = store_node.tracks.ingest(ais_sample("ais/amsa_risky/exact-earth-augmented.txt"), options())
    assert result.positions > 2900 and result.static_reports > 900
    stats = store_node.tracks.stats(viewer(store_node))
    assert stats["time_span"][0].startswith("2012-01-31T05") and stats["time_span"][1].startswith("2012-01-31")


def test_marinecadastre_parquet_csv_and_compressed(store_node, ais_sample, tmp_path):
    source = pl.read_parquet(ais_sample("ais/noaa_marinecadastre_vesselsummaryais/AISdata.parquet"))
    sample = source.head(5000)
    csv_path = tmp_path / "mc.csv"
    sample.write_csv(csv_path)
    gz_path = tmp_path / "mc.csv.gz"
    gz_path.write_bytes(gzip.compress(csv_path.read_bytes()))
    zst_path = tmp_path / "mc.csv.zst"
    import zstandard

    zst_path.write_bytes(zstandard.ZstdCompressor().compress(csv_path.read_bytes()))
    zip_path = tmp_path / "mc.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.write(csv_path, "mc.csv")
    parquet_path = tmp_path / "mc.parquet"
    sample.write_parquet(parquet_path)
    results = []
    for path in (csv_path, gz_path, zst_path, zip_path, parquet_path):
        node_store = TrackStore(store_node.workspace.engine, tmp_path / path.name.replace(".", "_"))
        r = node_store.ingest(path, options())
        assert r.format == "marinecadastre"
        assert r.input_records == r.positions + r.duplicates + r.rejected == 5000
        results.append((r.positions, r.static_reports, r.vessels))
    assert len(set(results)) == 1
    vessels = store_node.tracks.vessels(viewer(store_node), limit=10_000)
    named = [v for v in vessels if v["name"]]
    assert named and all(isinstance(v["imo"], (int, type(None))) for v in named)


def test_ever_given_with_mapping_and_geoparquet(store_node, ais_sample, tmp_path):
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq
    import shapely

    csv_path = ais_sample("ais/movingpandas_evergiven/boat-positions.csv")
    with pytest.raises(ValidationError, match="give --map"):
        store_node.tracks.ingest(csv_path, options())
    result = store_node.tracks.ingest(csv_path, options(mapping=EVER_GIVEN_MAP, dayfirst=True))
    assert result.format == "table" and result.input_records == 22287
    assert result.positions + result.duplicates == 22287 and result.vessels == 256
    assert result.flags["invalid_mmsi"] == result.positions  # anonymised ids, kept and flagged
    track = store_node.as_user("jcg.u").track(1)
    assert track["ts"][0] == datetime(2021, 3, 20, 0, 22, tzinfo=UTC)  # day-first: 20/03/2021
    # the same data as GeoParquet (built here from the CSV) gives the same positions
    frame = pl.read_csv(csv_path)
    points = shapely.points(frame["longitude"].to_numpy(), frame["latitude"].to_numpy())
    table = pa.table({"mmsi": frame["ID"].to_numpy(), "ts": frame["ais_pos_timestamp"].to_numpy().astype(str),
                      "geometry": shapely.to_wkb(points)})
    geo = {"version": "1.0.0", "primary_column": "geometry", "columns": {"geometry": {"encoding": "WKB", "geometry_types": ["Point"]}}}
    table = table.replace_schema_metadata({b"geo": json.dumps(geo).encode()})
    geo_path = tmp_path / "evergiven.geoparquet"
    pq.write_table(table, geo_path)
    other = TrackStore(store_node.workspace.engine, tmp_path / "geo")
    geo_result = other.ingest(geo_path, options(dayfirst=True))
    assert geo_result.format == "geoparquet" and geo_result.positions == result.positions


def test_table_values_read_alike_with_or_without_blanks(store_node, tmp_path):
    """SYNTHETIC MarineCadastre rows: numbers padded with blanks and times with a UTC suffix take
    the careful path, clean ones the fast one; both read the same values, and names with commas,
    quotes and accents reach the vessel index unchanged on either database."""
    header = "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass\n"
    clean = tmp_path / "clean.csv"
    clean.write_text(header
                     + '219000001,2022-01-03T00:00:00,55.5,10.5,10.1,90.0,91,"SYNTHETIC, ""ONE"" Ä",IMO9000001,OXAA1,70,0,120,20,7.5,70,A\n'
                     + '219000001,2022-01-03T00:10:00,55.5,10.6,10.2,90.0,91,"SYNTHETIC, ""ONE"" Ä",IMO9000001,OXAA1,70,0,120,20,7.5,70,A\n')
    padded = tmp_path / "padded.csv"
    padded.write_text(header
                      + '219000001, 2022-01-03T00:00:00Z , 55.5 ,10.5,10.1 , 90.0,91 ,"SYNTHETIC, ""ONE"" Ä",IMO9000001,OXAA1,70,0, 120,20,7.5,70,A\n'
                      + '219000001,2022-01-03T00:10:00Z,55.5, 10.6 ,10.2,90.0, 91,"SYNTHETIC, ""ONE"" Ä",IMO9000001,OXAA1,70,0,120, 20 ,7.5,70,A\n')
    stored = []
    for path in (clean, padded):
        store = TrackStore(store_node.workspace.engine, tmp_path / path.stem)
        result = store.ingest(path, options(agency="AFP" if path is padded else "INCB"))
        assert result.positions == 2 and result.rejected == 0, result.rejected_by_reason
        stored.append(pl.read_parquet(store.position_files([result.batch])).sort("ts").drop("source_row"))
    assert stored[0].equals(stored[1])
    assert stored[0]["lat"].to_list() == [55.5, 55.5] and stored[0]["heading"].to_list() == [91, 91]
    vessel = store_node.as_user("incb.u").vessel(219000001)
    assert vessel["name"] == 'SYNTHETIC, "ONE" Ä' and vessel["imo"] == 9000001 and vessel["callsign"] == "OXAA1"


def test_dma_csv_synthetic(store_node, tmp_path):
    """SYNTHETIC rows in the Danish Maritime Authority layout (no DMA sample is in shared data)."""
    path = tmp_path / "aisdk_synthetic.csv"
    path.write_text(
        "# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading,IMO,Callsign,Name,Ship type,Cargo type,Width,Length,Type of position fixing device,Draught,Destination,ETA,Data source type,A,B,C,D\n"
        "05/07/2017 00:00:00,Class A,219000001,55.5,10.5,Under way using engine,0,10.1,90.0,91,9000001,OXAA1,SYNTHETIC ONE,Cargo,,20,120,GPS,7.5,AARHUS,,AIS,,,,\n"
        "05/07/2017 00:10:00,Class A,219000001,55.5,10.6,Under way using engine,0,10.2,90.0,91,9000001,OXAA1,SYNTHETIC ONE,Cargo,,20,120,GPS,7.5,AARHUS,,AIS,,,,\n"
        "05/07/2017 00:11:00,Class B,219000002,91,181,Unknown value,,,,,,,,,,,,,,,,AIS,,,,\n"
        "not a date,Class A,219000003,55.1,10.1,Moored,0,0,0,0,,,,,,,,,,,,AIS,,,,\n"
    )
    result = store_node.tracks.ingest(path, options())
    assert result.format == "dma"
    assert result.positions == 2 and result.rejected == 2
    assert result.rejected_by_reason == {"position not available": 1, "ts missing or unreadable": 1}
    vessel = store_node.as_user("jcg.u").vessel(219000001)
    assert vessel["name"] == "SYNTHETIC ONE" and vessel["flag"] == "Denmark"


def test_access_control_on_tracks(store_node, ais_sample):
    tracks = store_node.tracks
    tracks.ingest(ais_sample("ais/amsa_risky/exact-earth-augmented.txt"),
                  options(agency="AFP", marking=Marking(TLP.AMBER, frozenset({"JCG"}))))
    assert tracks.stats(viewer(store_node, "afp.u"))["positions"] > 0
    assert tracks.stats(viewer(store_node, "jcg.u"))["positions"] > 0
    incb = viewer(store_node, "incb.u")
    assert tracks.stats(incb)["positions"] == 0 and tracks.stats(incb)["batches"] == 0
    assert tracks.vessels(incb) == [] and tracks.rejected(incb).height == 0
    assert tracks.positions(incb).collect().height == 0
    # the same file from another agency, openly marked, is its own batch (not "unchanged")
    again = tracks.ingest(ais_sample("ais/amsa_risky/exact-earth-augmented.txt"), options(agency="INCB"))
    assert again.status == "ingested" and again.positions > 0
    assert tracks.stats(incb)["positions"] == again.positions and tracks.stats(incb)["batches"] == 1
    jcg = tracks.stats(viewer(store_node, "jcg.u"))
    assert jcg["batches"] == 2 and jcg["positions"] == again.positions  # copies collapse for a reader of both


def test_implied_speed_flags_a_jump(store_node, tmp_path):
    path = tmp_path / "jump.csv"
    path.write_text("id,t,y,x\n367000001,2024-01-01T00:00:00Z,10.0,10.0\n367000001,2024-01-01T00:10:00Z,10.01,10.0\n"
                    "367000001,2024-01-01T00:20:00Z,12.0,10.0\n")  # 120 nm in 10 minutes
    result = store_node.tracks.ingest(path, options(mapping={"mmsi": "id", "ts": "t", "lat": "y", "lon": "x"}))
    assert result.flags.get("implied_speed") == 1


def test_mapped_table_with_a_name_but_no_imo(store_node, tmp_path):
    """A table that maps some identity columns (a name) and not the others (IMO, call sign)."""
    path = tmp_path / "named.csv"
    path.write_text("id,t,y,x,vessel\n367000002,2024-01-01T00:00:00Z,10.0,10.0,SYNTHETIC ONE\n"
                    "367000002,2024-01-01T01:00:00Z,10.1,10.0,SYNTHETIC ONE\n"
                    "367000002,2024-01-01T02:00:00Z,10.2,10.0,SYNTHETIC TWO\n")
    result = store_node.tracks.ingest(path, options(mapping={"mmsi": "id", "ts": "t", "lat": "y", "lon": "x", "name": "vessel"}))
    assert result.positions == 3 and result.static_reports == 2  # one identity, then its change


def test_bad_mapping_and_format(store_node, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n")
    from interdict.ais.formats import parse_mapping

    with pytest.raises(ValidationError, match="FIELD=COLUMN"):
        parse_mapping(["mmsi"])
    with pytest.raises(ValidationError, match="must name columns for ts, lat, lon"):
        store_node.tracks.ingest(path, options(mapping={"mmsi": "a"}))
    with pytest.raises(ValidationError, match="no column"):
        store_node.tracks.ingest(path, options(mapping={"mmsi": "a", "ts": "b", "lat": "c", "lon": "d"}))
    with pytest.raises(ValidationError, match="unknown format"):
        store_node.tracks.ingest(path, options(format="excel"))


def test_kill_during_ingest_leaves_store_unchanged_and_rerun_completes(store_node, ais_sample, tmp_path):
    path = ais_sample("ais/amsa_risky/exact-earth-augmented.txt")
    url = store_node.workspace.engine.url.render_as_string(hide_password=False)
    home = store_node.workspace.home
    # the ingest stops for good after its second chunk (through its progress callback), to be killed there
    script = textwrap.dedent(f"""
        import time
        from interdict.api import Interdict, IngestOptions
        from interdict.markings import Marking, TLP, Grade
        chunks = []
        def progress(records):
            chunks.append(records)
            if len(chunks) >= 2:
                time.sleep(3600)
        node = Interdict.open({str(home)!r}, {url!r})
        node.tracks.ingest({str(path)!r}, IngestOptions(agency='INCB', marking=Marking(TLP.CLEAR), grade=Grade('B', '2')),
                           progress=progress)
        """)
    env = {**os.environ, "INTERDICT_AIS_CHUNK_BYTES": "100000"}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env)
    staging = store_node.workspace.parquet_dir / "ais" / ".staging"
    deadline = time.monotonic() + 60
    while not any(staging.glob("*/positions/*/*.parquet")):
        assert proc.poll() is None, "ingest ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    with store_node.workspace.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ais_batches)).scalar() == 0
    assert store_node.tracks.stats(viewer(store_node))["positions"] == 0
    assert not (store_node.workspace.parquet_dir / "ais" / "batches").exists() or not any(
        (store_node.workspace.parquet_dir / "ais" / "batches").iterdir())
    result = store_node.tracks.ingest(path, options())
    from interdict.api import Interdict

    other = Interdict.open(tmp_path / "clean", f"sqlite:///{tmp_path / 'clean.db'}")
    other.registry.add_agency("INCB", "INCB", "XUN", False)
    clean = other.tracks.ingest(path, options())
    assert result.status == "ingested" and result.positions == clean.positions > 2900


NMEA_SAMPLE = b"""!AIVDM,1,1,,B,15NG6V0P01G?cFhE`R2IU?wn28R>,0*05
$GPRMC,213950.00,A,5250.53669,N,00542.34920,E,0.020,,070420,,,A*7D
!AIVDM,2,1,9,B,55R3Vn82=ILTQ3KKS>1<D60Dq@E918U<F222221J1`?164vc03S1CCAD,0*2A
!AIVDM,2,2,9,B,`88888888888880,2*76
!AIVDM,1,1,,A,17P@<J?P00blFWmjG@5a5?v62<10,0*27
# a comment
!ABVDM,1,1,2,B,15QHQ200jL:LndOaSdmrCp:20<n@,0*27
\\s:rORBCOMM000,c:1426032000*2D\\!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24

"""


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_corrupted_input_never_crashes_and_is_fully_accounted(data):
    lines = NMEA_SAMPLE.split(b"\n")
    lines = data.draw(st.permutations(lines))
    blob = bytearray(b"\n".join(lines))
    for _ in range(data.draw(st.integers(0, 12))):
        if not blob:
            break
        position = data.draw(st.integers(0, len(blob) - 1))
        action = data.draw(st.sampled_from(["flip", "delete", "insert"]))
        if action == "flip":
            blob[position] = data.draw(st.integers(0, 255))
        elif action == "delete":
            del blob[position]
        else:
            blob.insert(position, data.draw(st.sampled_from(b"!,*\\$\n0A`w")))
    decoded = decode_bytes(bytes(blob))
    total_lines = len(bytes(blob).split(b"\n")) - (1 if bytes(blob).endswith(b"\n") else 0)
    assert decoded.sentences + sum(decoded.skipped.values()) == total_lines
    parts = decoded.messages.height  # messages; accepted sentences >= messages (multi-part)
    assert decoded.accepted_sentences >= parts
    assert decoded.rejected.height == decoded.sentences - decoded.accepted_sentences
    assert set(decoded.rejected["reason"]) <= {"malformed sentence", "bad checksum", "orphan fragment", "no receive time",
                                              "invalid payload character", "payload too short", "malformed tag block"}


def test_tag_block_time_and_station():
    decoded = decode_bytes(NMEA_SAMPLE)
    row = decoded.messages.filter(pl.col("mmsi") == 265547250).row(0, named=True)
    assert row["ts"] == 1426032000.0 and row["station"] == "rORBCOMM000"
    assert decoded.skipped == {"blank": 1, "comment": 1, "other_nmea": 1, "not_nmea": 0}
    multi = decoded.messages.filter(pl.col("msg_type") == 5).row(0, named=True)
    assert multi["shipname"] == "SEA ENTERPRISE" and multi["line"] == 2


def test_chunked_decode_equals_whole(ais_sample):
    from interdict.ais.stream import decode_stream

    data = gzip.open(ais_sample("ais/amsa_risky/ais.txt.gz")).read()
    whole = decode_bytes(data)
    parts = list(decode_stream(io.BytesIO(data), chunk_bytes=50_000))
    assert len(parts) > 20
    joined = pl.concat([p.messages for p in parts], how="diagonal_relaxed")
    assert joined.select("line", "mmsi", "lat", "lon").equals(whole.messages.select("line", "mmsi", "lat", "lon"))
    assert sum(p.rejected.height for p in parts) == whole.rejected.height


def test_bundled_samples_are_the_shared_files_byte_for_byte(shared_data, ais_sample):
    """The tests read the package's copies of the real AIS samples: they must be the published files."""
    import hashlib

    from conftest import BUNDLED

    for relative in BUNDLED:
        bundled, original = ais_sample(relative), shared_data / relative
        assert hashlib.sha256(bundled.read_bytes()).digest() == hashlib.sha256(original.read_bytes()).digest(), relative


def test_identity_history_is_the_same_whatever_the_chunk_size(ais_sample, tmp_path):
    """Identity runs are merged chunk by chunk (only each vessel's open run stays in memory, its
    identity carried into the next chunk): for a log in receive order the stored history must equal
    the one from a single chunk. (The real AMSA log, each sentence given an NMEA 4 tag-block time.)"""
    import gzip

    import sqlalchemy as sa

    from interdict.api import Interdict

    lines = [line for line in gzip.open(ais_sample("ais/amsa_risky/ais.txt.gz")).read().splitlines() if line.startswith(b"!")]
    log = tmp_path / "timed.nmea"
    with open(log, "wb") as out:
        for k, line in enumerate(lines):
            tag = b"c:%d" % (1_327_622_400 + k)
            checksum = 0
            for byte in tag:
                checksum ^= byte
            out.write(b"\\" + tag + b"*%02X\\" % checksum + line + b"\n")

    def stored(workspace, chunk_bytes):
        instance = Interdict.open(workspace, f"sqlite:///{workspace}.db")
        instance.registry.add_agency("INCB", "INCB", "XUN", False)
        instance.tracks.ingest(log, options(chunk_bytes=chunk_bytes))
        with instance.workspace.engine.connect() as conn:
            identities = [tuple(r) for r in conn.execute(sa.text(
                "SELECT mmsi, first_ts, last_ts, reports, name, imo, callsign, ship_type, destination FROM ais_identities "
                "ORDER BY mmsi, first_ts"))]
            tracks = [tuple(r) for r in conn.execute(sa.text(
                "SELECT mmsi, positions, first_ts, last_ts FROM ais_tracks ORDER BY mmsi"))]
        instance.close()
        return identities, tracks

    whole = stored(tmp_path / "whole", 64 * 1024 * 1024)
    chunked = stored(tmp_path / "chunked", 100_000)
    assert len(whole[0]) > 100 and len(whole[1]) > 100
    assert whole == chunked


WRITER_SCRIPT = """
import json, sys, time
from pathlib import Path
from interdict.api import Interdict, IngestOptions
from interdict.markings import Marking, TLP, Grade
home, url, path, go = sys.argv[1:5]
node = Interdict.open(home, url)
while not Path(go).exists():  # all writers start together
    time.sleep(0.005)
result = node.tracks.ingest(path, IngestOptions(agency='INCB', marking=Marking(TLP.CLEAR), grade=Grade('B', '2')))
print(json.dumps({"status": result.status, "positions": result.positions}))
"""


def test_writers_of_the_same_file_at_once_store_it_exactly_once(store_node, ais_sample, tmp_path):
    """Three processes ingest the same file at the same moment, three times over: one stores it,
    the others report it unchanged, and the store holds it whole (files and manifest agree)."""
    import json

    path = ais_sample("ais/amsa_risky/exact-earth-augmented.txt")
    url = store_node.workspace.engine.url.render_as_string(hide_password=False)
    home = str(store_node.workspace.home)
    single = None
    for trial in range(3):
        go = tmp_path / f"go-{trial}"
        procs = [subprocess.Popen([sys.executable, "-c", WRITER_SCRIPT, home, url, str(path), str(go)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
        time.sleep(1.5)  # let them open the node and wait at the line
        go.touch()
        outputs = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), [err for _, err in outputs]
        statuses = sorted(json.loads(out.strip().splitlines()[-1])["status"] for out, _ in outputs)
        assert statuses == ["ingested", "unchanged", "unchanged"] if trial == 0 else ["unchanged"] * 3
        stats = store_node.tracks.stats(viewer(store_node))
        single = single or stats["positions"]
        assert stats["positions"] == single > 2900
        report = store_node.tracks.verify()
        assert report["ok"] and report["batches"] == 1, report
        # a fresh batch each trial: forget it, so the next trial races for it again
        with store_node.workspace.engine.begin() as conn:
            conn.execute(ais_batches.delete())
        shutil.rmtree(store_node.workspace.parquet_dir / "ais" / "batches")


def test_verify_finds_missing_files_and_repair_lets_a_reingest_restore_them(store_node, ais_sample, tmp_path):
    path = ais_sample("ais/amsa_risky/exact-earth-augmented.txt")
    first = store_node.tracks.ingest(path, options())
    assert store_node.tracks.verify()["ok"]
    batches = store_node.workspace.parquet_dir / "ais" / "batches"
    shutil.rmtree(batches / first.batch / "positions")
    (batches / ("f" * 64)).mkdir()  # a folder no batch records
    report = store_node.tracks.verify()
    assert not report["ok"] and report["broken"] == [{"batch": first.batch, "problem": f"0 positions in its files, {first.positions:,} recorded"}]
    assert report["orphan_folders"] == ["f" * 64]
    assert store_node.tracks.ingest(path, options()).status == "unchanged"  # the manifest still claims it
    repaired = store_node.tracks.verify(repair=True)
    assert repaired["repaired"] and not (batches / ("f" * 64)).exists()
    again = store_node.tracks.ingest(path, options())
    assert again.status == "ingested" and again.positions == first.positions
    assert store_node.tracks.verify()["ok"]
    assert store_node.tracks.stats(viewer(store_node))["positions"] == first.positions


def test_killed_writers_staging_is_cleaned_and_a_live_writers_kept(store_node, ais_sample, tmp_path):
    staging = store_node.workspace.parquet_dir / "ais" / ".staging"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    for name, pid in (("dead-writer", dead.pid), ("live-writer", os.getpid()), ("no-writer", None)):
        (staging / name / "positions").mkdir(parents=True)
        if pid is not None:
            (staging / name / "WRITER").write_text(str(pid))
    assert sorted(store_node.tracks.verify()["stale_staging"]) == ["dead-writer", "no-writer"]
    store_node.tracks.ingest(ais_sample("ais/amsa_risky/exact-earth-augmented.txt"), options())
    assert sorted(p.name for p in staging.iterdir()) == ["live-writer"]


def test_ais_verify_cli_exit_codes(store_node, ais_sample):
    from typer.testing import CliRunner

    from interdict.cli.main import app

    first = store_node.tracks.ingest(ais_sample("ais/amsa_risky/exact-earth-augmented.txt"), options())
    env = {"INTERDICT_HOME": str(store_node.workspace.home),
           "INTERDICT_DATABASE_URL": store_node.workspace.engine.url.render_as_string(hide_password=False)}
    runner = CliRunner()
    ok = runner.invoke(app, ["ais", "verify"], env=env)
    assert ok.exit_code == 0 and "manifest and files agree" in ok.output
    shutil.rmtree(store_node.workspace.parquet_dir / "ais" / "batches" / first.batch)
    bad = runner.invoke(app, ["ais", "verify"], env=env)
    assert bad.exit_code == 1 and "folder missing" in bad.output
    fixed = runner.invoke(app, ["ais", "verify", "--repair", "--json"], env=env)
    assert fixed.exit_code == 0 and '"repaired": true' in fixed.output
