"""AIS ingest speed: rows/s ingesting the MarineCadastre sample as CSV vs a bare polars.read_csv.

    .venv/bin/python bench/ais_ingest.py

The sample (`../shared/data/ais/noaa_marinecadastre_vesselsummaryais/AISdata.parquet`, 99,999
rows) is written once as CSV to a temporary folder; then, in the same process, `polars.read_csv`
reads it, and Interdict ingests it into a fresh workspace (parse, validate, flag, dedupe, write
Parquet, record the manifest). Best of three each. Last, the floor any store must pay: the bare read
plus hashing the file and writing the rows as Parquet, as a fraction of the bare read.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from pathlib import Path

import polars as pl

from interdict.ais.store import IngestOptions
from interdict.api import Interdict
from interdict.markings import TLP, Grade, Marking

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ais" / "noaa_marinecadastre_vesselsummaryais" / "AISdata.parquet"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "marinecadastre.csv"
        pl.read_parquet(DATA).write_csv(csv_path)
        rows = pl.read_csv(csv_path).height
        bare = []
        for _ in range(3):
            start = time.perf_counter()
            pl.read_csv(csv_path)
            bare.append(time.perf_counter() - start)
        ours = []
        for run in range(3):
            node = Interdict.open(Path(tmp) / f"ws{run}", f"sqlite:///{tmp}/ws{run}.db")
            node.registry.add_agency("INCB", "INCB", "XUN", False)
            start = time.perf_counter()
            result = node.tracks.ingest(csv_path, IngestOptions(agency="INCB", marking=Marking(TLP.CLEAR), grade=Grade("B", "2")))
            ours.append(time.perf_counter() - start)
            node.close()
        print(f"rows {rows:,} ({csv_path.stat().st_size / 1e6:.1f} MB CSV); stored {result.positions:,} positions, "
              f"{result.static_reports:,} static reports")
        print(f"polars.read_csv {rows / min(bare):>12,.0f} rows/s   interdict ingest {rows / min(ours):>12,.0f} rows/s   "
              f"ratio {min(bare) / min(ours):.2f} of the bare read")
        # What any store that keeps the rows must do at least: read them, hash the content (to
        # know a re-ingest) and write them out as Parquet -- no validation, flags, dedupe or manifest.
        table = pl.read_csv(csv_path)
        floor = {}
        for label, step in (("sha256 of the file", lambda: hashlib.sha256(csv_path.read_bytes()).hexdigest()),
                            ("write_parquet zstd", lambda: table.write_parquet(Path(tmp) / "floor.parquet")),
                            ("write_parquet uncompressed", lambda: table.write_parquet(Path(tmp) / "floor.parquet",
                                                                                       compression="uncompressed"))):
            times = []
            for _ in range(3):
                start = time.perf_counter()
                step()
                times.append(time.perf_counter() - start)
            floor[label] = min(times)
        least = min(bare) + floor["sha256 of the file"] + floor["write_parquet uncompressed"]
        print("floor: " + ", ".join(f"{k} {v * 1e3:.1f} ms" for k, v in floor.items())
              + f"; read + hash + uncompressed write = {least * 1e3:.1f} ms, i.e. at best {min(bare) / least:.2f} of the bare read")


if __name__ == "__main__":
    main()
