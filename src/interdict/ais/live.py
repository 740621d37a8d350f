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
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce
from pathlib import Path
from typing import BinaryIO

from interdict.ais.store import IngestOptions, IngestResult, TrackStore
from interdict.util import utcnow


def stamp(line: bytes, received: float) -> bytes:
    """The line with an NMEA 4 tag block giving its receive time (unless it carries one)."""
    if line.startswith(b"\\"):
        return line
    body = f"c:{int(received)}".encode()
    checksum = reduce(lambda a, b: a ^ b, body, 0)
    return b"\\" + body + b"*%02X\\" % checksum + line


@dataclass
class LiveStats:
    received: int = 0            # lines accepted onto the spool
    batches: int = 0
    positions: int = 0
    rejected: int = 0
    reconnects: int = 0
    errors: int = 0              # ingests that failed; their spool files stay and are retried
    last_error: str | None = None
    results: list[IngestResult] = field(default_factory=list)


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
        received = time.time()
        lines = [line.strip(b"\r") for line in data.split(b"\n")]
        with self._lock:
            for line in lines:
                if not line.strip():
                    continue
                if self._file is None:
                    self._seq += 1
                    self._path = self.spool_dir / f"{utcnow().strftime('%Y%m%dT%H%M%S%f')}-{os.getpid()}-{self._seq}.part"
                    self._file = open(self._path, "ab")
                    self._opened_at = time.monotonic()
                self._file.write(stamp(line, received) + b"\n")
                self._pending += 1
                self.stats.received += 1
            if self._file is not None:
                self._file.flush()
                os.fsync(self._file.fileno())
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

    # -- feeds -----------------------------------------------------------------------------
    def serve_udp(self, host: str, port: int, stop: threading.Event, ready: threading.Event | None = None) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((host, port))
            sock.settimeout(0.2)
            if ready:
                ready.set()
            while not stop.is_set():
                try:
                    data, _ = sock.recvfrom(65535)
                except TimeoutError:
                    self.tick()
                    continue
                self.accept(data)
                self.tick()
        self.flush()

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
