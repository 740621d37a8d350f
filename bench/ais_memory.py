"""Peak memory while ingesting a large NMEA file (default 1 GB), in a child process.

    .venv/bin/python bench/ais_memory.py [--gigabytes 1.0]

Builds the file in a temporary folder by repeating the AMSA log, ingests it with
`interdict ais ingest` in a subprocess, and prints the child's peak resident memory (ru_maxrss).
"""

from __future__ import annotations

import argparse
import gzip
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ais" / "amsa_risky" / "ais.txt.gz"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gigabytes", type=float, default=1.0)
    args = parser.parse_args()
    block = gzip.open(DATA).read()
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.nmea"
        with open(big, "wb") as out:
            while out.tell() < args.gigabytes * 1e9:
                out.write(block)
        size = big.stat().st_size
        home = Path(tmp) / "ws"
        interdict = str(Path(sys.executable).parent / "interdict")
        subprocess.run([interdict, "--home", str(home), "agency", "add", "INCB", "--name", "INCB", "--country", "XUN",
                        "--not-law-enforcement"], check=True, capture_output=True)
        start = time.perf_counter()
        done = subprocess.run([interdict, "--home", str(home), "ais", "ingest", str(big), "--agency", "INCB", "--tlp", "CLEAR",
                               "--grade", "B2", "--assume-time", "2012-01-27T11:47:00Z", "--json"],
                              capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if done.returncode:
            raise SystemExit(done.stderr)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"input {size / 1e9:.2f} GB; ingest {elapsed:.0f} s ({size / 1e6 / elapsed:.0f} MB/s); peak RSS {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
