"""AIS decoding speed: Interdict vs pyais, same process, same bytes, same protocol.

    .venv/bin/python bench/ais_decode.py [--repeat 40] [--runs 5]

Both decoders get the decompressed AMSA log (`../shared/data/ais/amsa_risky/ais.txt.gz`) already
in memory, once as it is and once concatenated `--repeat` times. pyais decodes every sentence
(`pyais.stream.ByteStream` + `.decode()`, one thread: it has no parallel path); Interdict decodes
in bounded chunks (its streaming path), once with one thread and once with two (the default on
two cores). Protocol, identical for every engine: one untimed warm-up run on the same bytes, then
`--runs` timed runs, alternating engines; the median is reported (with the range). Messages/s are
decoded messages over wall time.
"""

from __future__ import annotations

import argparse
import gzip
import io
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from interdict.ais.stream import decode_stream

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ais" / "amsa_risky" / "ais.txt.gz"


def pyais_count(data: bytes) -> int:
    from pyais.stream import ByteStream

    count = 0
    for message in ByteStream(data.splitlines()):
        try:
            message.decode()
            count += 1
        except Exception:
            pass
    return count


def interdict_count(workers: int) -> Callable[[bytes], int]:
    def run(data: bytes) -> int:
        return sum(d.messages.height for d in decode_stream(io.BytesIO(data), workers=workers))
    return run


def measure(engines: dict[str, Callable[[bytes], int]], blob: bytes, runs: int) -> dict[str, tuple[int, list[float]]]:
    results: dict[str, tuple[int, list[float]]] = {}
    for name, engine in engines.items():  # warm-up: imports, first-call caches, allocator
        results[name] = (engine(blob), [])
    for _ in range(runs):
        for name, engine in engines.items():
            start = time.perf_counter()
            engine(blob)
            results[name][1].append(time.perf_counter() - start)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not DATA.exists():
        raise SystemExit(f"missing {DATA}")
    data = gzip.open(DATA).read()
    engines = {"pyais (1 thread)": pyais_count, "interdict 1 thread": interdict_count(1),
               "interdict 2 threads": interdict_count(2)}
    for label, blob, runs in (("ais.txt.gz", data, args.runs), (f"{args.repeat}x concatenation", data * args.repeat, max(3, args.runs // 2))):
        results = measure(engines, blob, runs)
        n_ref, t_ref = results["pyais (1 thread)"]
        rate_ref = n_ref / statistics.median(t_ref)
        print(f"{label}: {len(blob) / 1e6:.1f} MB, warm-up + median of {runs}")
        for name, (count, times) in results.items():
            rate = count / statistics.median(times)
            print(f"  {name:<20} {count:>10,} msg {rate:>11,.0f} msg/s (runs {count / max(times):,.0f}-{count / min(times):,.0f})"
                  f"   ratio {rate / rate_ref:5.1f}x")


if __name__ == "__main__":
    main()
