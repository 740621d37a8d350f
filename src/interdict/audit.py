"""The tamper-evident audit log: who read and wrote what, provably.

Each entry (time, user, agency, action, object ids, their markings, the path it came by and a
request id) is a leaf of an RFC 9162 Merkle tree (interdict.merkle); its leaf hash is SHA-256 over
0x00 and the entry's canonical JSON (sorted keys, no spaces, UTF-8). Every so often the node signs
a checkpoint of the tree (its size and root) with its Ed25519 key as a C2SP signed note
(interdict.identity), in the checkpoint format of transparency logs:

    interdict/<node id>/audit
    <size>
    <base64 root>
    time <ISO 8601 UTC>

    — interdict/<node id>/audit <base64 key hash || signature>

`verify` recomputes every leaf from the row as stored and every checkpoint's root, checks each
signature and the consistency proof between consecutive checkpoints, and names the first entry
that does not belong: an edited, deleted, inserted or reordered row changes the leaves after it,
so the signed roots no longer match. Triggers refuse UPDATE and DELETE on both databases, but no
check relies on them: a row changed in the database file directly fails `verify`.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from interdict import identity, merkle
from interdict.errors import ValidationError
from interdict.tables import audit_checkpoints, audit_entries

PATHS = ("web", "api", "cli", "python")
CHECKPOINT_EVERY = 256  # entries: a checkpoint is signed once this many are not yet covered
CHECKPOINT_SECONDS = 60.0  # and before an uncovered entry is older than this
_PG_LOCK = 0x494E5444  # "INTD": one writer at a time appends to the log


@dataclass(frozen=True)
class Entry:
    """One logged action, as the log keeps it."""

    seq: int
    at: str
    username: str | None
    agency: str | None
    action: str
    objects: tuple[str, ...]
    markings: tuple[str, ...]
    path: str
    request_id: str | None

    def canonical(self) -> bytes:
        """The bytes its leaf hash covers: every field, in canonical JSON."""
        body = {"seq": self.seq, "at": self.at, "user": self.username, "agency": self.agency, "action": self.action,
                "objects": list(self.objects), "markings": list(self.markings), "path": self.path,
                "request_id": self.request_id}
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def leaf(self) -> bytes:
        return merkle.leaf_hash(self.canonical())

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": self.at, "user": self.username, "agency": self.agency, "action": self.action,
                "objects": list(self.objects), "markings": list(self.markings), "path": self.path,
                "request_id": self.request_id}


def _iso(at: datetime) -> str:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).isoformat(timespec="microseconds")


def _entry(row: Any) -> Entry:
    return Entry(int(row.seq), _iso(row.at), row.username, row.agency, row.action, tuple(json.loads(row.objects)),
                 tuple(json.loads(row.markings)), row.path, row.request_id)


def append(conn: Connection, *, action: str, username: str | None, agency: str | None,
           objects: Iterable[str] = (), markings: Iterable[str] = (), path: str = "python",
           request_id: str | None = None) -> Entry:
    """Log one action in the caller's transaction: if the log cannot be written, neither is the
    change (and a read that cannot be logged fails)."""
    if path not in PATHS:
        raise ValidationError(f"{path!r} is none of {', '.join(PATHS)}", where="audit path")
    _lock_for_append(conn)
    last = conn.execute(select(func.max(audit_entries.c.seq))).scalar()
    entry = Entry(0 if last is None else int(last) + 1, _iso(datetime.now(UTC)), username, agency, action,
                  tuple(objects), tuple(dict.fromkeys(markings)), path, request_id or uuid.uuid4().hex)
    conn.execute(insert(audit_entries).values(
        seq=entry.seq, at=datetime.fromisoformat(entry.at), username=username, agency=agency, action=action,
        objects=json.dumps(list(entry.objects), ensure_ascii=False), markings=json.dumps(list(entry.markings), ensure_ascii=False),
        path=path, request_id=entry.request_id, leaf=entry.leaf().hex()))
    return entry


def _lock_for_append(conn: Connection) -> None:
    """Hold the log's write lock before reading its last number, so that two writers (threads or
    processes) never take the same one: PostgreSQL by an advisory lock for the transaction,
    SQLite by starting the transaction with a write (which waits for the database's one writer)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")
    else:
        conn.exec_driver_sql("UPDATE data_versions SET version = version WHERE 0")


def entries(engine: Engine, *, username: str | None = None, since: datetime | None = None,
            objects: Iterable[str] | None = None) -> list[Entry]:
    """Entries in log order, optionally of one user, since a time, or naming any of `objects`."""
    stmt = select(audit_entries).order_by(audit_entries.c.seq)
    if username:
        stmt = stmt.where(audit_entries.c.username == username)
    if since:
        stmt = stmt.where(audit_entries.c.at >= since)
    with engine.connect() as conn:
        found = [_entry(r) for r in conn.execute(stmt)]
    wanted = set(objects) if objects is not None else None
    return [e for e in found if wanted is None or wanted & set(e.objects)]


def origin(home: Path) -> str:
    return f"interdict/{identity.load(home).node_id}/audit"


def _leaves(conn: Connection, size: int | None = None) -> list[bytes]:
    stmt = select(audit_entries.c.leaf).order_by(audit_entries.c.seq)
    if size is not None:
        stmt = stmt.limit(size)
    return [bytes.fromhex(h) for h in conn.execute(stmt).scalars()]


def uncovered(engine: Engine) -> int:
    """How many entries no checkpoint covers yet."""
    with engine.connect() as conn:
        last = conn.execute(select(func.max(audit_entries.c.seq))).scalar()
        covered = conn.execute(select(func.max(audit_checkpoints.c.size))).scalar() or 0
    return 0 if last is None else int(last) + 1 - int(covered)


def _due(engine: Engine, *, force: bool) -> bool:
    """Whether a checkpoint should be signed now (see `checkpoint`)."""
    waiting = uncovered(engine)
    if waiting == 0 or force or waiting >= CHECKPOINT_EVERY:
        return waiting > 0
    with engine.connect() as conn:
        covered = conn.execute(select(func.max(audit_checkpoints.c.size))).scalar() or 0
        oldest = conn.execute(select(audit_entries.c.at).where(audit_entries.c.seq == covered)).scalar()
    return oldest is not None and datetime.fromisoformat(_iso(oldest)) <= datetime.now(UTC) - timedelta(seconds=CHECKPOINT_SECONDS)


def checkpoint(engine: Engine, home: Path, *, force: bool = False) -> dict[str, Any] | None:
    """Sign a checkpoint of the whole log when entries are not yet covered (and there are
    CHECKPOINT_EVERY of them, or the oldest is CHECKPOINT_SECONDS old, or `force`)."""
    if not _due(engine, force=force):  # the server asks every few seconds: no lock, no leaves read
        return None
    with engine.begin() as conn:
        _lock_for_append(conn)
        covered = conn.execute(select(func.max(audit_checkpoints.c.size))).scalar() or 0
        leaves = _leaves(conn)
        if len(leaves) <= covered:
            return None  # another writer signed it meanwhile
        head = merkle.root(leaves)
        at = datetime.now(UTC)
        name = origin(home)
        text = f"{name}\n{len(leaves)}\n{base64.b64encode(head).decode()}\ntime {at.isoformat(timespec='seconds')}\n"
        note = identity.sign_note(home, name, text)
        conn.execute(insert(audit_checkpoints).values(size=len(leaves), root=head.hex(), at=at, note=note))
    return {"size": len(leaves), "root": head.hex(), "at": at.isoformat(timespec="seconds"), "note": note}


def parse_checkpoint(note: str, name: str, public_key: bytes) -> tuple[int, bytes]:
    """The size and root a signed checkpoint vouches for (ValidationError when not signed by
    the key, or not a checkpoint of the log `name`)."""
    lines = identity.verify_note(note, name, public_key).splitlines()
    if len(lines) < 3 or lines[0] != name or not lines[1].isdigit():
        raise ValidationError("not a checkpoint of this log", where="checkpoint")
    root = base64.b64decode(lines[2])
    if len(root) != merkle.HASH_SIZE:
        raise ValidationError("a checkpoint's root has 32 bytes", where="checkpoint")
    return int(lines[1]), root


@dataclass
class Verification:
    ok: bool
    entries: int
    checkpoints: int
    covered: int  # entries under the latest good checkpoint
    problem: str | None = None
    first_bad: int | None = None  # the first entry that does not belong, when it can be named

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def verify(engine: Engine, home: Path, *, now: datetime | None = None) -> Verification:
    """Recompute every leaf and root from the rows as stored; check every checkpoint's signature
    and root and the consistency between consecutive checkpoints; an entry older than a checkpoint
    interval that no checkpoint covers fails too (the node signs them within CHECKPOINT_SECONDS)."""
    me = identity.load(home)
    name = origin(home)
    with engine.connect() as conn:
        rows = list(conn.execute(select(audit_entries).order_by(audit_entries.c.seq)))
        points = list(conn.execute(select(audit_checkpoints).order_by(audit_checkpoints.c.size)))
    found = [_entry(r) for r in rows]
    leaves = [e.leaf() for e in found]
    result = Verification(True, len(found), len(points), 0)

    def fail(problem: str, first_bad: int | None) -> Verification:
        result.ok, result.problem, result.first_bad = False, problem, first_bad
        return result

    for position, entry in enumerate(found):  # a deleted or inserted row breaks the numbering
        if entry.seq != position:
            return fail(f"entry {position} is missing: the log jumps to entry {entry.seq}", position)
    previous: tuple[int, bytes] = (0, merkle.EMPTY_ROOT)
    for point in points:
        problem = _check_point(point, name, me.public_key, rows, found, leaves, previous)
        if problem is not None:
            return fail(*problem)
        previous = (int(point.size), bytes.fromhex(point.root))
        result.covered = previous[0]
    uncovered = found[result.covered:]
    limit = (now or datetime.now(UTC)) - timedelta(seconds=CHECKPOINT_SECONDS * 2)
    late = next((e for e in uncovered if datetime.fromisoformat(e.at) < limit), None)
    if late is not None:
        return fail(f"entry {late.seq} ({late.at}) is older than any checkpoint should leave it unsigned", late.seq)
    return result


def _check_point(point: Any, name: str, public_key: bytes, rows: Sequence[Any], found: Sequence[Entry],
                 leaves: list[bytes], previous: tuple[int, bytes]) -> tuple[str, int | None] | None:
    """What is wrong with one checkpoint against the entries as stored (None: nothing)."""
    try:
        size, head = parse_checkpoint(point.note, name, public_key)
    except ValidationError as exc:
        return f"checkpoint of size {point.size}: {exc}", None
    if size != point.size or head.hex() != point.root:
        return f"checkpoint of size {point.size}: its row differs from its signed note", None
    if size > len(leaves):
        return f"checkpoint of size {size} covers entries that are gone (the log holds {len(leaves)})", len(leaves)
    if merkle.root(leaves[:size]) != head:
        bad = _first_changed(rows, found, previous[0], size)
        where = f"entry {bad} was changed" if bad is not None else f"an entry between {previous[0]} and {size - 1} was changed"
        return f"the entries under the checkpoint of size {size} are not those it signed; {where}", bad
    if previous[0] and not merkle.verify_consistency(previous[0], size, previous[1], head,
                                                     merkle.consistency_proof(leaves, previous[0], size)):
        return f"checkpoints of size {previous[0]} and {size} are not consistent", previous[0]
    return None


def _first_changed(rows: Sequence[Any], found: Sequence[Entry], start: int, stop: int) -> int | None:
    """The first entry in [start, stop) whose content no longer gives the leaf hash written with
    it (when the leaf was rewritten too, the range is all that can be said)."""
    for row, entry in zip(rows[start:stop], found[start:stop], strict=True):
        if entry.leaf().hex() != row.leaf:
            return entry.seq
    return None


def prove_inclusion(engine: Engine, seq: int, size: int | None = None) -> dict[str, Any]:
    """The inclusion proof of entry `seq` in the tree of the latest checkpoint (or `size`), with
    the entry, its leaf hash and the checkpoint: all an auditor needs, offline."""
    with engine.connect() as conn:
        point = conn.execute(select(audit_checkpoints).where(audit_checkpoints.c.size == size) if size is not None else
                             select(audit_checkpoints).order_by(audit_checkpoints.c.size.desc()).limit(1)).first()
        if point is None:
            raise ValidationError("no checkpoint of that size: sign one with `interdict audit checkpoint`", where="checkpoint")
        if not 0 <= seq < point.size:
            raise ValidationError(f"entry {seq} is not under the checkpoint of size {point.size}", where="entry")
        leaves = _leaves(conn, point.size)
        row = conn.execute(select(audit_entries).where(audit_entries.c.seq == seq)).one()
    entry = _entry(row)
    return {"entry": entry.to_dict(), "canonical": entry.canonical().decode(), "leaf_hash": entry.leaf().hex(),
            "index": seq, "tree_size": point.size, "proof": [p.hex() for p in merkle.inclusion_proof(leaves, seq)],
            "checkpoint": point.note}


def prove_consistency(engine: Engine, old: int, new: int) -> dict[str, Any]:
    """The consistency proof between two checkpoints, with both signed notes."""
    with engine.connect() as conn:
        notes = {r.size: r.note for r in conn.execute(select(audit_checkpoints).where(audit_checkpoints.c.size.in_([old, new])))}
        for size in (old, new):
            if size not in notes:
                raise ValidationError(f"no checkpoint of size {size}", where="checkpoint")
        leaves = _leaves(conn, new)
    return {"old_size": old, "new_size": new, "proof": [p.hex() for p in merkle.consistency_proof(leaves, old, new)],
            "old_checkpoint": notes[old], "new_checkpoint": notes[new]}
