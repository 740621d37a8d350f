"""Live feeds over loopback: UDP and TCP senders, malformed input, reconnects, SIGTERM flush,
crash recovery."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from interdict.ais.live import LiveIngest, stamp
from interdict.ais.store import IngestOptions
from interdict.markings import TLP, Grade, Marking

GOOD = [
    b"!AIVDM,1,1,,B,15NG6V0P01G?cFhE`R2IU?wn28R>,0*05",
    b"!AIVDM,1,1,,A,17P@<J?P00blFWmjG@5a5?v62<10,0*27",
    b"!ABVDM,1,1,2,B,15QHQ200jL:LndOaSdmrCp:20<n@,0*27",
    b"!AIVDM,2,1,9,B,55R3Vn82=ILTQ3KKS>1<D60Dq@E918U<F222221J1`?164vc03S1CCAD,0*2A\n!AIVDM,2,2,9,B,`88888888888880,2*76",
]
BAD = [b"!AIVDM,1,1,,B,garbage,0*00", b"\x00\xff not nmea at all", b"!AIVDM,1,1"]


def wait_until(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def free_port(kind=socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_node(node):
    node.registry.add_agency("KCG", "Korea Coast Guard", "KOR", True)
    node.registry.add_user("kcg.u", "KCG", ["watch_officer"])
    return node


def options() -> IngestOptions:
    return IngestOptions(agency="KCG", marking=Marking(TLP.GREEN), grade=Grade("B", "2"), format="nmea")


def test_stamp_adds_a_valid_tag_block():
    from interdict.ais.decode import decode_bytes

    line = stamp(GOOD[0], 1700000000.5)
    assert line.startswith(b"\\c:1700000000*")
    decoded = decode_bytes(line + b"\n")
    assert decoded.messages["ts"][0] == 1700000000.0 and decoded.rejected.height == 0
    assert stamp(line, 1) == line  # already tagged


def listen_udp(live: LiveIngest):  # type: ignore[no-untyped-def]
    """`live` listening for UDP on a free port, ready: (live, stop event, its thread, port)."""
    stop, ready = threading.Event(), threading.Event()
    port = free_port()
    worker = threading.Thread(target=live.serve_udp, args=("127.0.0.1", port, stop, ready))
    worker.start()
    assert ready.wait(5)
    return live, stop, worker, port


def test_udp_feed_with_malformed_input(live_node):
    live, stop, worker, port = listen_udp(LiveIngest(live_node.tracks, options(), flush_messages=3, flush_seconds=0.5))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for datagram in GOOD + BAD + GOOD[:2]:
            sender.sendto(datagram, ("127.0.0.1", port))
            time.sleep(0.01)
    wait_until(lambda: live.stats.received >= 10)
    stop.set()
    worker.join(10)
    assert live.stats.received == 10  # 9 datagrams, one with two sentences
    assert live.stats.batches >= 2  # flushed by count and at stop
    viewer = live_node.as_user("kcg.u").viewer
    stats = live_node.tracks.stats(viewer)
    assert stats["positions"] == 3  # the repeated two are copies of the first reports
    assert stats["static_reports"] == 1
    rejected = live_node.tracks.rejected(viewer)
    assert rejected.height == 2 and set(rejected["reason"]) <= {"malformed sentence", "bad checksum"}
    assert sum(r.rejected for r in live.stats.results) == 2
    assert not list((live_node.tracks.root / "live").glob("*.part"))


def listen_tcp(live_node, port: int, sender):  # type: ignore[no-untyped-def]
    """Start the feed's `sender` thread and a TCP listener on `port`; returns once the sender is done."""
    thread = threading.Thread(target=sender)
    thread.start()
    live = LiveIngest(live_node.tracks, options(), flush_messages=100, flush_seconds=0.3)
    stop = threading.Event()
    worker = threading.Thread(target=live.serve_tcp, args=("127.0.0.1", port, stop), kwargs={"max_backoff": 0.5})
    worker.start()
    thread.join(20)
    return live, stop, worker


def test_tcp_feed_reconnects(live_node):
    port = free_port(socket.SOCK_STREAM)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen()
    connections = []

    def sender() -> None:
        for batch in (GOOD[:2], GOOD[2:]):
            conn, _ = server.accept()
            connections.append(conn)
            conn.sendall(b"\n".join(batch) + b"\n")
            time.sleep(0.2)
            conn.close()  # the feed drops; the listener must come back

    live, stop, worker = listen_tcp(live_node, port, sender)
    wait_until(lambda: live.stats.received >= 5)
    stop.set()
    worker.join(10)
    server.close()
    assert len(connections) == 2 and live.stats.reconnects >= 1
    assert live.stats.received == 5
    assert live_node.tracks.stats(live_node.as_user("kcg.u").viewer)["positions"] == 3


def test_crash_leftovers_are_ingested_at_next_start(live_node):
    spool = live_node.tracks.root / "live"
    spool.mkdir(parents=True, exist_ok=True)
    (spool / "20260101T000000000000-1-1.part").write_bytes(b"\n".join(stamp(l, 1700000000) for l in GOOD[:3]) + b"\n")
    live = LiveIngest(live_node.tracks, options())
    assert live.stats.batches == 1 and live.stats.positions == 3
    assert not list(spool.glob("*.part")) and list((spool / "done").iterdir())


def test_cli_listen_flushes_on_sigterm(tmp_path):
    """The real command in its own process, on the embedded database."""
    interdict = str(Path(sys.executable).parent / "interdict")
    home = tmp_path / "ws"
    env = {**os.environ, "INTERDICT_HOME": str(home)}
    env.pop("INTERDICT_DATABASE_URL", None)
    for code, name, country in (("JCG", "Japan Coast Guard", "JPN"), ("KCG", "Korea Coast Guard", "KOR")):
        subprocess.run([interdict, "agency", "add", code, "--name", name, "--country", country, "--law-enforcement"],
                       env=env, check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen([interdict, "ais", "listen", "--udp", str(port), "--agency", "JCG", "--tlp", "AMBER",
                             "--releasable-to", "KCG", "--grade", "B2", "--flush-messages", "1000", "--flush-seconds", "3600"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        while time.monotonic() < deadline:
            if (home / "parquet" / "ais" / "live").exists():
                break
            time.sleep(0.1)
        time.sleep(0.5)
        for datagram in GOOD:
            sender.sendto(datagram, ("127.0.0.1", port))
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    summary = json.loads(out)
    assert summary["received"] == 5 and summary["positions"] == 3 and summary["batches"] == 1, json.dumps(summary)


def test_every_lost_datagram_is_counted(live_node, monkeypatch):
    """A spool writer that falls behind (a slow disk, SYNTHETIC here) makes the bounded queue drop
    datagrams: each is counted, so received + counted losses = sent."""
    from interdict.ais import live as live_module

    monkeypatch.setattr(live_module, "MAX_QUEUED", 20)
    slow = live_module.LiveIngest._spool

    def crawling(self, datagrams):  # type: ignore[no-untyped-def]
        time.sleep(0.3)
        slow(self, datagrams)
    monkeypatch.setattr(live_module.LiveIngest, "_spool", crawling)
    live, stop, worker, port = listen_udp(LiveIngest(live_node.tracks, options(), flush_messages=10_000, flush_seconds=60))
    single = [d for d in GOOD if b"\n" not in d.strip()]  # one line per datagram: received counts lines
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for k in range(300):
            sender.sendto(single[k % len(single)], ("127.0.0.1", port))
    wait_until(lambda: live.stats.received + live.stats.dropped_queue + live.stats.dropped_kernel >= 300)
    stop.set()
    worker.join(20)
    s = live.stats
    assert s.dropped_queue > 0 and s.received + s.dropped_queue + s.dropped_kernel == 300, s.counters()


def test_a_tcp_feed_without_newlines_is_cut_not_buffered(live_node):
    port = free_port(socket.SOCK_STREAM)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen()

    def sender() -> None:
        conn, _ = server.accept()
        conn.sendall(b"X" * 5_000_000)  # 5 MB and no newline
        conn.sendall(b"\n" + GOOD[0] + b"\n")
        time.sleep(0.5)
        conn.close()

    live, stop, worker = listen_tcp(live_node, port, sender)
    wait_until(lambda: live.stats.received >= 1)
    stop.set()
    worker.join(10)
    server.close()
    assert live.stats.oversized_lines >= 5_000_000 // 65536 - 1
    assert live.stats.received <= 2  # the good line (and at most the cut tail, rejected as malformed at ingest)


def test_feed_counters_reach_ais_stats_for_the_feeds_agency_only(live_node):
    live = LiveIngest(live_node.tracks, options())
    live.stats.received, live.stats.dropped_kernel = 10, 2
    live.save_counters("udp://127.0.0.1:10110")
    mine = live_node.tracks.stats(live_node.as_user("kcg.u").viewer)["live_feeds"]
    assert mine["udp://127.0.0.1:10110"]["dropped_kernel"] == 2 and mine["udp://127.0.0.1:10110"]["received"] == 10
    live_node.registry.add_agency("AFP", "Australian Federal Police", "AUS", True)
    live_node.registry.add_user("afp.u", "AFP", ["analyst"])
    assert live_node.tracks.stats(live_node.as_user("afp.u").viewer)["live_feeds"] == {}
