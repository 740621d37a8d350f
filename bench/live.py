"""Live UDP feed: share of datagrams received at 1,000, 3,000 and 5,000 messages/s on loopback, and
every loss counted (target: >= 99.9 % at 5,000 msg/s; received + counted losses = sent).

    .venv/bin/python bench/live.py [--seconds 10] [--rates 1000,3000,5000]

A sender process replays real NMEA lines (the bundled AMSA log) as one datagram each at a steady
rate; `interdict.ais.live.LiveIngest.serve_udp` receives them in this process into a fresh
workspace, spooling to disk and ingesting micro-batches of 1,000 as `interdict ais listen` does.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

from interdict.ais.store import IngestOptions
from interdict.api import Interdict, data_path
from interdict.markings import TLP, Grade, Marking

SENDER = textwrap.dedent("""
    import gzip, socket, sys, time
    raw = gzip.open(sys.argv[1]).read() if sys.argv[1].endswith(".gz") else open(sys.argv[1], "rb").read()
    lines = [l for l in raw.splitlines() if l.startswith(b"!") or l.startswith(b"\\\\")]
    port, rate, seconds = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    total = int(rate * seconds)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    start = time.perf_counter()
    for k in range(total):
        while time.perf_counter() < start + k / rate:  # steady pacing, no bursts
            pass
        sock.sendto(lines[k % len(lines)], ("127.0.0.1", port))
    print(total, time.perf_counter() - start)
""")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(rate: int, seconds: float, log: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        node = Interdict.open(Path(tmp) / "ws", f"sqlite:///{tmp}/ws.db")
        node.registry.add_agency("INCB", "INCB", "XUN", False)
        live = node.live_ingest(IngestOptions(agency="INCB", marking=Marking(TLP.CLEAR), grade=Grade("B", "2"), format="nmea"),
                                flush_messages=1000, flush_seconds=5.0)
        port = free_port()
        stop, ready = threading.Event(), threading.Event()
        receiver = threading.Thread(target=live.serve_udp, args=("127.0.0.1", port, stop, ready))
        receiver.start()
        ready.wait(10)
        sender = subprocess.run([sys.executable, "-c", SENDER, str(log), str(port), str(rate), str(seconds)],
                                capture_output=True, text=True, check=True)
        sent, took = sender.stdout.split()
        time.sleep(0.5)  # let the last datagrams arrive before stopping
        stop.set()
        receiver.join()
        s = live.stats
        node.close()
    sent_n = int(sent)
    return {"rate": rate, "sent": sent_n, "send_s": float(took), "received": s.received, "share": s.received / sent_n,
            "dropped_kernel": s.dropped_kernel, "dropped_queue": s.dropped_queue, "batches": s.batches,
            "unaccounted": sent_n - s.received - s.dropped_kernel - s.dropped_queue, "receive_buffer": s.receive_buffer}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rates", default="1000,3000,5000")
    args = parser.parse_args()
    log = Path(str(data_path("demo/ais/amsa_ais.txt.gz")))
    if not log.exists():
        sys.exit(f"no AIS log at {log}")
    for rate in (int(r) for r in args.rates.split(",")):
        r = run(rate, args.seconds, log)
        print(f"{r['rate']:>6,} msg/s: sent {r['sent']:,} in {r['send_s']:.1f} s, received {r['received']:,} "
              f"({r['share']:.4%}), counted losses: kernel {r['dropped_kernel']:,}, queue {r['dropped_queue']:,}; "
              f"unaccounted {r['unaccounted']:,}; {r['batches']} batches ingested; receive buffer {r['receive_buffer'] >> 20} MB",
              flush=True)


if __name__ == "__main__":
    main()
