"""AIS decoding speed: Interdict vs pyais, same process, same bytes.

    .venv/bin/python bench/ais_decode.py [--repeat 40]

Both decoders get the decompressed AMSA log (`../shared/data/ais/amsa_risky/ais.txt.gz`) already
in memory, once as it is and once concatenated `--repeat` times. pyais decodes every sentence
(`pyais.stream.ByteStream` + `.decode()`); Interdict decodes in bounded chunks (its streaming
path, two threads on two cores). Messages/s are decoded messages over wall time.
"""

from __future__ import annotations

import argparse
import gzip
import io
import time
from pathlib import Path

from interdict.ais.stream import decode_stream

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ais" / "amsa_risky" / "ais.txt.gz"


def pyais_rate(data: bytes) -> tuple[int, float]:
    from pyais.stream import ByteStream

    start = time.perf_counter()
    count = 0
    for message in ByteStream(data.splitlines()):
        try:
            message.decode()
            count += 1
        except Exception:
            pass
    return count, time.perf_counter() - start


def interdict_rate(data: bytes, runs: int) -> tuple[int, float]:
    best = float("inf")
    count = 0
    for _ in range(runs):
        start = time.perf_counter()
        count = sum(d.messages.height for d in decode_stream(io.BytesIO(data)))
        best = min(best, time.perf_counter() - start)
    return count, best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    if not DATA.exists():
        raise SystemExit(f"missing {DATA}")
    data = gzip.open(DATA).read()
    interdict_rate(data, 1)  # warm up imports and caches
    for label, blob, runs in (("ais.txt.gz", data, 7), (f"{args.repeat}x concatenation", data * args.repeat, 2)):
        n_ref, t_ref = pyais_rate(blob)
        n_ours, t_ours = interdict_rate(blob, runs)
        print(f"{label:<22} {len(blob) / 1e6:7.1f} MB   pyais {n_ref:>9,} msg {n_ref / t_ref:>11,.0f} msg/s   "
              f"interdict {n_ours:>9,} msg {n_ours / t_ours:>11,.0f} msg/s   ratio {(n_ours / t_ours) / (n_ref / t_ref):5.1f}x")


if __name__ == "__main__":
    main()
