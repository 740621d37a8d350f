"""Peak memory while ingesting a large NMEA file (default 1 GB) of distinct positions, in a child process.

    .venv/bin/python bench/ais_memory.py [--gigabytes 1.0] [--fleets 20]

Builds the file in a temporary folder from the AMSA log (`../shared/data/ais/amsa_risky/ais.txt.gz`,
44,687 lines, no receive times) repeated until the size is reached; every repeat is made distinct so
that nothing collapses as a duplicate: each AIVDM/AIVDO sentence gets an NMEA 4 tag block with its
own receive time (repeat r covers day r after 2012-01-27, the lines spread over that day), and the
MMSIs of repeat r are shifted by r mod `--fleets` (the payload re-armoured and the checksum
recomputed), so the file holds about `--fleets` times the sample's vessels, as a regional feed
would. Ingests it with `interdict ais ingest` in a subprocess and prints the child's peak resident
memory (ru_maxrss) with the stored positions (which must be about the input's position reports).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ais" / "amsa_risky" / "ais.txt.gz"
START = datetime(2012, 1, 27, tzinfo=UTC).timestamp()
_SENTENCE = re.compile(rb"^!(AI|AB|BS|SA)VD[MO],(\d),(\d),[^,]*,[^,]*,([^,]*),")


def _value(char: int) -> int:
    value = char - 48
    return value - 8 if value > 40 else value


def _char(value: int) -> int:
    return value + 48 if value < 40 else value + 56


def _xor(data: bytes) -> int:
    out = 0
    for byte in data:
        out ^= byte
    return out


class Template:
    """One line of the sample, split where a repeat changes it (MMSI characters, checksum)."""

    def __init__(self, line: bytes) -> None:
        self.line = line
        self.mmsi_at: int | None = None
        match = _SENTENCE.match(line)
        star = line.rfind(b"*")
        if not match or star < 0:
            return
        self.ais = True
        payload_at = match.start(4)
        if match.group(3) != b"1" or len(match.group(4)) < 7:
            return  # later fragments keep their payload
        self.mmsi_at = payload_at + 1
        bits = 0
        for char in line[self.mmsi_at:self.mmsi_at + 6]:
            bits = (bits << 6) | _value(char)
        self.bits = bits
        self.star = star
        self.rest = int(line[star + 1:star + 3], 16) ^ _xor(line[self.mmsi_at:self.mmsi_at + 6])

    def shifted(self, shift: int) -> bytes:
        if self.mmsi_at is None or not shift:
            return self.line
        mmsi = (self.bits >> 4) & ((1 << 30) - 1)
        new = (mmsi + shift) % 1_000_000_000
        bits = (self.bits & ~(((1 << 30) - 1) << 4)) | (new << 4)
        chars = bytes(_char((bits >> (6 * (5 - k))) & 63) for k in range(6))
        line = self.line
        checksum = self.rest ^ _xor(chars)
        return line[:self.mmsi_at] + chars + line[self.mmsi_at + 6:self.star + 1] + b"%02X" % checksum + line[self.star + 3:]


def tagged(line: bytes, ts: int) -> bytes:
    tag = b"c:%d" % ts
    return b"\\" + tag + b"*%02X\\" % _xor(tag) + line


def build(target: Path, gigabytes: float, fleets: int) -> int:
    lines = [line for line in gzip.open(DATA).read().splitlines() if line.strip()]
    templates = [Template(line) for line in lines]
    step = 86400 / len(lines)
    repeat = 0
    with open(target, "wb") as out:
        while out.tell() < gigabytes * 1e9:
            day = START + repeat * 86400
            shift = repeat % fleets
            out.write(b"\n".join(tagged(t.shifted(shift), int(day + i * step)) if t.line.startswith(b"!") else t.line
                                 for i, t in enumerate(templates)) + b"\n")
            repeat += 1
    return repeat


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gigabytes", type=float, default=1.0)
    parser.add_argument("--fleets", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.nmea"
        t0 = time.perf_counter()
        repeats = build(big, args.gigabytes, args.fleets)
        size = big.stat().st_size
        print(f"built {size / 1e9:.2f} GB ({repeats} distinct repeats of the AMSA log, {args.fleets} MMSI shifts) "
              f"in {time.perf_counter() - t0:.0f} s")
        home = Path(tmp) / "ws"
        interdict = str(Path(sys.executable).parent / "interdict")
        subprocess.run([interdict, "--home", str(home), "agency", "add", "INCB", "--name", "INCB", "--country", "XUN",
                        "--not-law-enforcement"], check=True, capture_output=True)
        start = time.perf_counter()
        done = subprocess.run([interdict, "--home", str(home), "ais", "ingest", str(big), "--agency", "INCB", "--tlp", "CLEAR",
                               "--grade", "B2", "--json"], capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if done.returncode:
            raise SystemExit(done.stderr)
        result = json.loads(done.stdout)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"ingest {elapsed:.0f} s ({size / 1e6 / elapsed:.0f} MB/s): {result['messages']:,} messages, "
              f"{result['positions']:,} positions stored, {result['duplicates']:,} duplicates, {result['vessels']:,} vessels, "
              f"{result['rejected']:,} rejected; peak RSS {peak_mb:.0f} MB (target < 500 MB)")


if __name__ == "__main__":
    main()
