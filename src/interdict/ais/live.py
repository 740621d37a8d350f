"""Live AIS feeds: UDP datagrams or a TCP stream, ingested in micro-batches.

Every accepted line is stamped with its receive time (an NMEA 4 tag block, unless it has one)
and appended at once to a spool file in the workspace, so a message counts as accepted only once
it is on disk. Every `flush_messages` messages or `flush_seconds` seconds the spool file is closed
and ingested as one batch through the track store (atomic and idempotent). Stopping (SIGINT or
SIGTERM in the CLI) flushes what is pending; spool files left by a crash are ingested at the next
start. Malformed lines are accepted onto the spool and rejected with a reason by the ingest, like
any file's; a TCP feed that drops is reconnected with backoff.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce
from pathlib import Path
from typing import BinaryIO

from interdict.accounts import check_release_codes
from interdict.ais.store import IngestOptions, IngestResult, TrackStore
from interdict.util import utcnow


def stamp(line: bytes, received: float) -> bytes:
    """The line with an NMEA 4 tag block giving its receive time (unless it carries one)."""
    if line.startswith(b"\\"):
        return line
    body = f"c:{int(received)}".encode()
    checksum = reduce(lambda a, b: a ^ b, body, 0)
    return b"\\" + body + b"*%02X\\" % checksum + line


MAX_LINE = 4096          # an NMEA line with its tag block is under 200 bytes; a feed without newlines is cut here
MAX_QUEUED = 200_000     # datagrams waiting for the spool writer; beyond, they are dropped and counted
RECEIVE_BUFFER = 8 << 20  # asked of the kernel for a UDP socket (it grants up to net.core.rmem_max)


@dataclass
class LiveStats:
    received: int = 0            # lines accepted onto the spool
    batches: int = 0
    positions: int = 0
    rejected: int = 0
    reconnects: int = 0
    errors: int = 0              # ingests that failed; their spool files stay and are retried
    last_error: str | None = None
    dropped_kernel: int = 0      # datagrams the kernel dropped (socket buffer full), from /proc/net/udp
    dropped_queue: int = 0       # datagrams dropped because the spool writer fell too far behind
    oversized_lines: int = 0     # TCP data without a newline for MAX_LINE bytes: cut and counted
    receive_buffer: int = 0      # the UDP receive buffer the kernel granted (bytes)
    results: list[IngestResult] = field(default_factory=list)

    def counters(self) -> dict[str, int | str | None]:
        return {k: v for k, v in self.__dict__.items() if k != "results"}


class LiveIngest:
    def __init__(self, store: TrackStore, options: IngestOptions, *, flush_messages: int = 1000,
                 flush_seconds: float = 5.0, on_flush: Callable[[IngestResult], None] | None = None) -> None:
        self.store = store
        self.options = options
        self.flush_messages = max(1, flush_messages)
        self.flush_seconds = flush_seconds
        self.on_flush = on_flush
        self.spool_dir = store.root / "live"
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        with store.engine.connect() as conn:  # refused before listening, not at the first ingest
            check_release_codes(conn, [options.marking], where="--releasable-to")
        self.stats = LiveStats()
        self._lock = threading.Lock()
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._pending = 0
        self._opened_at = 0.0
        self._seq = 0
        self.recover()

    # -- spool -----------------------------------------------------------------------------
    def recover(self) -> None:
        """Ingest spool files a previous run accepted but did not get to ingest."""
        for part in sorted(self.spool_dir.glob("*.part")):  # still being written when that run died
            os.replace(part, part.with_suffix(".nmea"))
        for path in sorted(self.spool_dir.glob("*.nmea")):
            self._ingest(path)

    def accept(self, data: bytes) -> None:
        """Spool received data at once (on disk before it counts), then ingest when due."""
        self._spool([(data, time.time())])
        with self._lock:
            due = self._pending >= self.flush_messages
        if due:
            self.flush()

    def tick(self) -> None:
        """Flush when the oldest pending line has waited `flush_seconds`."""
        with self._lock:
            due = self._file is not None and time.monotonic() - self._opened_at >= self.flush_seconds
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            if self._file is None or self._path is None:
                return
            self._file.close()
            ready = self._path.with_suffix(".nmea")
            os.replace(self._path, ready)
            self._file, self._path, self._pending = None, None, 0
        for path in sorted(self.spool_dir.glob("*.nmea")):  # this one, and any that failed before
            self._ingest(path)

    def _ingest(self, path: Path) -> None:
        try:
            result = self.store.ingest(path, self.options)
        except Exception as exc:
            self.stats.errors += 1
            self.stats.last_error = f"{path.name}: {exc}"
            return
        self.stats.batches += result.status == "ingested"
        self.stats.positions += result.positions
        self.stats.rejected += result.rejected
        self.stats.results.append(result)
        done = self.spool_dir / "done"
        done.mkdir(exist_ok=True)
        os.replace(path, done / path.name)  # kept as the raw record of what was received
        if self.on_flush:
            self.on_flush(result)

    def save_counters(self, feed: str) -> None:
        """Keep this session's counters (received, losses) where `ais stats` shows them to the
        feed's agency: live/feeds.json, one entry per feed, the latest session."""
        import json

        path = self.spool_dir / "feeds.json"
        try:
            feeds = json.loads(path.read_text()) if path.exists() else {}
        except ValueError:
            feeds = {}
        feeds[feed] = {"agency": self.options.agency, "ended": utcnow().isoformat(), **self.stats.counters()}
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(feeds, indent=2, default=str))
        os.replace(temporary, path)

    # -- feeds -----------------------------------------------------------------------------
    def serve_udp(self, host: str, port: int, stop: threading.Event, ready: threading.Event | None = None) -> None:
        """Receive datagrams until `stop`. The receiving thread only receives: a writer thread puts
        them on the spool (one fsync per round, not per datagram) and an ingest thread ingests
        closed spool files, so a slow disk or a long ingest never stalls the socket. Every loss is
        counted: the kernel's drops for this socket and any the bounded queue had to make."""
        queue: deque[tuple[bytes, float]] = deque()
        wake = threading.Event()
        done = threading.Event()
        ingest_queue: deque[Path] = deque()
        writer = threading.Thread(target=self._write_loop, args=(queue, wake, done, ingest_queue), daemon=True)
        ingester = threading.Thread(target=self._ingest_loop, args=(ingest_queue, done), daemon=True)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            self.stats.receive_buffer = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
            sock.bind((host, port))
            sock.settimeout(0.2)
            inode = os.fstat(sock.fileno()).st_ino
            writer.start()
            ingester.start()
            if ready:
                ready.set()
            while not stop.is_set():
                try:
                    data = sock.recv(65535)
                except TimeoutError:
                    self.stats.dropped_kernel = _kernel_drops(inode)
                    wake.set()
                    continue
                if len(queue) >= MAX_QUEUED:
                    self.stats.dropped_queue += 1
                else:
                    queue.append((data, time.time()))
                if len(queue) >= 256:
                    wake.set()
            # what is still in the socket's buffer was received before the stop: keep it
            sock.setblocking(False)
            while True:
                try:
                    queue.append((sock.recv(65535), time.time()))
                except (BlockingIOError, InterruptedError):
                    break
            self.stats.dropped_kernel = _kernel_drops(inode)
        done.set()
        wake.set()
        writer.join()
        ingester.join()
        self.flush()

    def _write_loop(self, queue: deque[tuple[bytes, float]], wake: threading.Event, done: threading.Event,
                    ingest_queue: deque[Path]) -> None:
        while True:
            wake.wait(0.05)
            wake.clear()
            batch = []
            while queue:
                batch.append(queue.popleft())
            if batch:
                self._spool(batch)
            ready = self._close_if_due()
            if ready is not None:
                ingest_queue.append(ready)
            if done.is_set() and not queue:
                return

    def _ingest_loop(self, ingest_queue: deque[Path], done: threading.Event) -> None:
        while not (done.is_set() and not ingest_queue):
            if ingest_queue:
                self._ingest(ingest_queue.popleft())
            else:
                time.sleep(0.02)

    def _spool(self, datagrams: list[tuple[bytes, float]]) -> None:
        """Append received data to the spool, then one fsync for all of it."""
        with self._lock:
            for data, received in datagrams:
                for line in data.split(b"\n"):
                    line = line.strip(b"\r")
                    if not line.strip():
                        continue
                    if self._file is None:
                        self._open_spool()
                    assert self._file is not None
                    self._file.write(stamp(line, received) + b"\n")
                    self._pending += 1
                    self.stats.received += 1
            if self._file is not None:
                self._file.flush()
                os.fsync(self._file.fileno())

    def _open_spool(self) -> None:
        self._seq += 1
        self._path = self.spool_dir / f"{utcnow().strftime('%Y%m%dT%H%M%S%f')}-{os.getpid()}-{self._seq}.part"
        self._file = open(self._path, "ab")
        self._opened_at = time.monotonic()

    def _close_if_due(self) -> Path | None:
        """Close the spool file when it holds `flush_messages` lines or is `flush_seconds` old;
        returns it, ready for the ingest thread."""
        with self._lock:
            if self._file is None or self._path is None:
                return None
            if self._pending < self.flush_messages and time.monotonic() - self._opened_at < self.flush_seconds:
                return None
            self._file.close()
            ready = self._path.with_suffix(".nmea")
            os.replace(self._path, ready)
            self._file, self._path, self._pending = None, None, 0
            return ready

    def serve_tcp(self, host: str, port: int, stop: threading.Event, *, max_backoff: float = 10.0) -> None:
        backoff = 0.2
        while not stop.is_set():
            try:
                with socket.create_connection((host, port), timeout=2) as sock:
                    sock.settimeout(0.2)
                    backoff = 0.2
                    buffer = b""
                    while not stop.is_set():
                        try:
                            data = sock.recv(65536)
                        except TimeoutError:
                            self.tick()
                            continue
                        if not data:
                            break  # the sender closed: reconnect
                        buffer += data
                        complete, _, buffer = buffer.rpartition(b"\n")
                        if complete:
                            self.accept(complete)
                        if len(buffer) > MAX_LINE:  # no newline for too long: not NMEA, and not kept in memory
                            self.stats.oversized_lines += 1  # (its tail, when a newline comes, is rejected as malformed)
                            buffer = b""
                        self.tick()
                    if buffer.strip():
                        self.accept(buffer)
            except OSError:
                pass
            if stop.is_set():
                break
            self.stats.reconnects += 1
            self.flush()
            stop.wait(backoff)
            backoff = min(backoff * 2, max_backoff)
        self.flush()


def _kernel_drops(inode: int) -> int:
    """Datagrams the kernel dropped for the UDP socket with this inode (Linux: /proc/net/udp and
    udp6, last column); 0 where the kernel does not say."""
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(table) as handle:
                next(handle)
                for row in handle:
                    fields = row.split()
                    if len(fields) > 12 and fields[9] == str(inode):
                        return int(fields[-1])
        except (OSError, ValueError, StopIteration):
            continue
    return 0
