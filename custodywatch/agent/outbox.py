"""The on-disk queue of everything the centre has not yet confirmed (SQLite, WAL).

Exactly once across crashes: items are queued in one transaction; a batch (its items, its
exact body and its Idempotency-Key) is sealed in another *before* the first attempt; it is
resent unchanged until the centre answers, then deleted with its items in a third. Killed
between any two steps, the agent either reseals nothing (items still free), or resends the
same key and body (the centre returns its first answer and writes nothing new).

Heartbeats are liveness, not evidence: an unsent heartbeat is replaced by a newer one of
the same camera, so days offline leave one heartbeat per camera, not thousands.

Sending order (``next_batch``): by kind in ``protocol.SENDING_ORDER`` (heartbeats, then
recordings, then state spans), a kind's sealed batch before its free items; so through a slow
link the centre hears that cameras are alive, and which footage exists, before the backlog.

A full disk (the centre away for days on a small card) never stops the agent: a write that
finds the disk full frees the reserve file kept beside the queue (``disk-reserve``, so that
SQLite has room to delete and checkpoint), drops the oldest *routine* items (state spans,
then older sealed heartbeats: their time then reads as unreported, i.e. blind, at the
centre), checkpoints the write-ahead log (reused, not grown), and tries again. Evidence (segment
hashes) is never dropped: a segment that cannot be queued raises ``DiskFull`` and stays
unhashed on the recorder, to be queued by a later scan. ``disk_full`` is reported in every
heartbeat until ``check_space`` finds room again and restores the reserve.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import logging
import os
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from custodywatch.agent import protocol

log = logging.getLogger("custodywatch.agent.outbox")

T = TypeVar("T")
RESERVE_NAME = "disk-reserve"
# A second, smaller reserve kept through the full-disk state for acknowledgements: forgetting
# a delivered batch is what makes room, and it needs log room of its own to do so.
DRAIN_RESERVE_NAME = "disk-reserve-drain"
RESERVE_BYTES = 4 << 20  # room SQLite needs to delete and checkpoint on a full disk
DROP_AT_LEAST = 100  # routine items dropped at a time on a full disk (at least; or a tenth)
MIN_FREE_PAGES = 16  # free pages wanted inside the queue file while the disk is full
# The write-ahead log is checkpointed every this many pages and truncated to this size
# after a checkpoint: it never grows far past what one busy minute writes.
WAL_AUTOCHECKPOINT_PAGES = 256
WAL_SIZE_LIMIT = 1 << 20

SCHEMA = """
CREATE TABLE IF NOT EXISTS batch (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    body BLOB NOT NULL,
    created REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS item (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    replace_key TEXT,
    batch_id INTEGER REFERENCES batch(id)
);
CREATE INDEX IF NOT EXISTS item_free ON item(kind, id) WHERE batch_id IS NULL;
CREATE UNIQUE INDEX IF NOT EXISTS item_replaceable ON item(replace_key)
    WHERE batch_id IS NULL AND replace_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS rejected (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    body BLOB NOT NULL,
    status INTEGER NOT NULL,
    answer TEXT NOT NULL,
    rejected_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS segment_seen (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime REAL NOT NULL,
    sha256 TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS segment_seen_sha256 ON segment_seen(sha256);
"""


class DiskFull(OSError):
    """The agent's disk is full and this write is evidence, which is never dropped to make
    room: it was not queued; queue it again later (``OSError``, so file loops retry it)."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.ENOSPC, message)


def is_disk_full(error: BaseException) -> bool:
    """SQLite's "database or disk is full" (SQLITE_FULL), or ENOSPC from the file system."""
    if isinstance(error, sqlite3.OperationalError):
        return (getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
                or "disk is full" in str(error))
    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)


@dataclass(frozen=True)
class Batch:
    id: int
    kind: str
    idempotency_key: str
    body: bytes
    size: int


class Outbox:
    """One SQLite file; safe to share between the agent's threads."""

    def __init__(self, path: str | Path, facility: str = "",
                 reserve_bytes: int = RESERVE_BYTES) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.facility = facility
        self.reserve_path = self.path.parent / RESERVE_NAME
        self.drain_reserve_path = self.path.parent / DRAIN_RESERVE_NAME
        self.reserve_bytes = reserve_bytes
        self.full_since: float | None = None  # when a write last found the disk full
        self.dropped = 0  # routine items dropped to make room, since the start
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=30)
        # Set before the first table exists (a new queue only): deleted pages can then be
        # given back to the file system (``check_space``), not only reused.
        self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a committed item survives power loss
        self._db.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        self._db.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        self._db.executescript(SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(segment_seen)")}
        if "camera" not in columns:  # an outbox of an agent before the preservation policy
            self._db.executescript(
                "ALTER TABLE segment_seen ADD COLUMN camera TEXT NOT NULL DEFAULT '';"
                "ALTER TABLE segment_seen ADD COLUMN ended REAL NOT NULL DEFAULT 0;")
        self._db.execute("CREATE INDEX IF NOT EXISTS segment_seen_camera "
                         "ON segment_seen(camera, ended)")
        self._make_reserve()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                # SQLite has already rolled back on some errors (a full disk: SQLITE_FULL);
                # a second ROLLBACK would hide the real error behind "no transaction".
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    # ------------------------------------------------------------------ a full disk

    @property
    def disk_full(self) -> bool:
        return self.full_since is not None

    def _write(self, work: Callable[[sqlite3.Connection], T], routine: bool | None,
               what: str) -> T | None:
        """``work`` in one transaction; on a full disk, make room and try again. Still no
        room: a routine write is dropped and counted (None), evidence raises DiskFull, and
        bookkeeping (``routine=None``: sealing, acknowledging) is left for the next try."""
        for _attempt in range(3):
            self._room_within_file()
            try:
                with self._transaction() as db:
                    return work(db)
            except (sqlite3.OperationalError, OSError) as error:
                if not is_disk_full(error):
                    raise
                self._enter_full()
        if routine is None:
            return None
        if routine:
            with self._lock:
                self.dropped += 1
            return None
        raise DiskFull(f"{self.path.parent}: disk full; {what} not queued (kept for later)")

    def _enter_full(self) -> None:
        """The disk is full: from now on the queue lives within the file it has."""
        with self._lock:
            if self.full_since is None:
                self.full_since = time.time()
                log.error("disk full at %s: dropping the oldest routine reports (never "
                          "segment hashes); reported in heartbeats", self.path.parent)
            # The reserve's room is for SQLite's log and checkpoints, not for more items:
            # the queue file does not grow again until check_space finds real room.
            self.reserve_path.unlink(missing_ok=True)
            self._checkpoint()
        self._room_within_file(force=True)

    def _room_within_file(self, force: bool = False) -> None:
        """While the disk is full, drop a tenth of the oldest routine items whenever fewer
        than MIN_FREE_PAGES pages are free inside the queue file (or a write just failed),
        so that writes reuse freed pages and the file does not grow."""
        if self.full_since is None:
            return
        with self._lock:
            if not force and (self._db.execute("PRAGMA freelist_count").fetchone()[0]
                              >= MIN_FREE_PAGES):
                return
            try:
                dropped = self._drop_oldest_routine()
            except (sqlite3.OperationalError, OSError) as error:
                if not is_disk_full(error):
                    raise
                self._checkpoint()
                return
            if dropped:
                self.dropped += dropped
                log.warning("disk full: dropped the %d oldest routine items (%d so far)",
                            dropped, self.dropped)

    def _drop_oldest_routine(self) -> int:
        """Delete the oldest free state spans (a tenth of them, at least DROP_AT_LEAST);
        with none free, the oldest sealed batch of spans, then of heartbeats but the
        newest. Never a recording (a segment's hash is evidence). Holds the lock."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            free = db.execute("SELECT count(*) FROM item WHERE batch_id IS NULL AND kind = ?",
                              (protocol.STATE_SPANS,)).fetchone()[0]
            dropped = 0
            if free:
                dropped = db.execute(
                    "DELETE FROM item WHERE id IN (SELECT id FROM item WHERE batch_id IS NULL"
                    " AND kind = ? ORDER BY id LIMIT ?)",
                    (protocol.STATE_SPANS, max(DROP_AT_LEAST, free // 10))).rowcount
            else:
                for kind, keep in ((protocol.STATE_SPANS, 0), (protocol.HEARTBEATS, 1)):
                    row = db.execute(
                        "SELECT id FROM batch WHERE kind = ? AND id < (SELECT coalesce(max(id)"
                        ", 0) + 1 - ? FROM batch WHERE kind = ?) ORDER BY id LIMIT 1",
                        (kind, keep, kind)).fetchone()
                    if row is not None:
                        dropped = db.execute("DELETE FROM item WHERE batch_id = ?",
                                             (row[0],)).rowcount
                        db.execute("DELETE FROM batch WHERE id = ?", (row[0],))
                        break
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return dropped

    def _checkpoint(self) -> None:
        """Write the log into the queue file; the next write starts the log again from its
        start, within the file it already has (never truncated to nothing, which would leave
        a full disk no room for even one more write). Holds the lock."""
        try:
            self._db.execute("PRAGMA wal_checkpoint(RESTART)")
        except sqlite3.OperationalError as error:
            if not is_disk_full(error):
                raise

    def _make_reserve(self) -> bool:
        """Set aside ``reserve_bytes`` (and half as much for acknowledgements) on the
        queue's disk while there is room for it."""
        if self.reserve_bytes <= 0:
            return True
        return all(self._set_aside(path, size) for path, size in (
            (self.drain_reserve_path, self.reserve_bytes // 2),
            (self.reserve_path, self.reserve_bytes)))

    @staticmethod
    def _set_aside(path: Path, size: int) -> bool:
        try:
            if path.stat().st_size >= size:
                return True
        except FileNotFoundError:
            pass
        try:
            with open(path, "wb") as stream:
                os.posix_fallocate(stream.fileno(), 0, size)
                os.fsync(stream.fileno())
        except OSError as error:
            path.unlink(missing_ok=True)
            if not is_disk_full(error):
                raise
            return False
        return True

    def check_space(self) -> bool:
        """Called every few seconds while running: free pages beyond what the queue needs
        (a drained backlog) go back to the file system; once the disk has room for the
        reserve and as much again, the reserve is restored and the full-disk state ends.
        Whether the disk is (still) full."""
        with self._lock:
            if self.full_since is None:
                return False
            try:
                free_pages = self._db.execute("PRAGMA freelist_count").fetchone()[0]
                if free_pages > 2 * MIN_FREE_PAGES:
                    self._db.execute(f"PRAGMA incremental_vacuum({free_pages - MIN_FREE_PAGES})")
            except sqlite3.OperationalError as error:
                if not is_disk_full(error):
                    raise
            self._checkpoint()
            if shutil.disk_usage(self.path.parent).free < 2 * self.reserve_bytes:
                return True
            if not self._make_reserve():
                return True
            log.warning("disk space is back at %s after %.0f s (%d routine items dropped)",
                        self.path.parent, time.time() - self.full_since, self.dropped)
            self.full_since = None
            return False

    # ------------------------------------------------------------------ queueing

    def put(self, kind: str, items: Iterable[protocol.Item]) -> None:
        """Queue items of one kind; routine kinds are dropped on a full disk (counted),
        recordings raise DiskFull."""
        rows = [(kind, json.dumps(item, sort_keys=True)) for item in items]
        if not rows:
            return
        self._write(lambda db: db.executemany("INSERT INTO item (kind, body) VALUES (?, ?)",
                                              rows),
                    routine=kind in protocol.ROUTINE_KINDS, what=f"{len(rows)} {kind}")

    def put_heartbeat(self, item: protocol.Item) -> None:
        """Replace this camera's unsent heartbeat, if any: only the newest matters."""
        self._write(lambda db: db.execute(
            "INSERT INTO item (kind, body, replace_key) VALUES (?, ?, ?) "
            "ON CONFLICT(replace_key) WHERE batch_id IS NULL AND replace_key IS NOT NULL "
            "DO UPDATE SET body = excluded.body",
            (protocol.HEARTBEATS, json.dumps(item, sort_keys=True),
             f"heartbeat:{item['camera']}")), routine=True, what="a heartbeat")

    def put_segment(self, item: protocol.Item, path: str, size: int, mtime: float) -> None:
        """A hashed segment and the note that it was hashed, together or not at all.
        Raises DiskFull (nothing written) when the disk has no room even after dropping
        routine items: the segment is hashed again by a later scan."""
        def work(db: sqlite3.Connection) -> None:
            db.execute("INSERT INTO item (kind, body) VALUES (?, ?)",
                       (protocol.RECORDINGS, json.dumps(item, sort_keys=True)))
            ended = dt.datetime.fromisoformat(str(item["end"]).replace("Z", "+00:00"))
            db.execute("INSERT OR REPLACE INTO segment_seen (path, size, mtime, sha256, camera,"
                       " ended) VALUES (?, ?, ?, ?, ?, ?)",
                       (path, size, mtime, item["sha256"], item["camera"], ended.timestamp()))

        self._write(work, routine=False, what=f"segment {path}")

    def segments_of(self, cameras: Iterable[str], ended_after: float
                    ) -> list[tuple[str, str]]:
        """(sha256, camera) of every segment hashed for these cameras that ended after
        ``ended_after`` (epoch seconds) and that the centre has received, oldest first: what
        the preservation policy keeps (a report on a segment the centre does not know yet
        would be refused)."""
        codes = sorted(set(cameras))
        if not codes:
            return []
        marks = ", ".join("?" * len(codes))
        with self._lock:
            rows = self._db.execute(
                f"SELECT sha256, camera FROM segment_seen WHERE camera IN ({marks}) "  # noqa: S608 - placeholders only
                "AND ended > ? AND sha256 NOT IN (SELECT json_extract(body, '$.sha256') "
                "FROM item WHERE kind = ?) GROUP BY sha256 ORDER BY min(ended), sha256",
                (*codes, ended_after, protocol.RECORDINGS)).fetchall()
        return [(row[0], row[1]) for row in rows]

    def segment_path(self, sha256: str) -> str | None:
        """The file last hashed to ``sha256`` (what a preservation order names), if any."""
        with self._lock:
            row = self._db.execute("SELECT path FROM segment_seen WHERE sha256 = ? LIMIT 1",
                                   (sha256,)).fetchone()
        return row[0] if row else None

    def segments_after(self, rowid: int, limit: int = 1000) -> list[tuple[int, str, str]]:
        """Hashed segments noted after ``rowid``: (rowid, path, sha256), oldest first (the
        escrow uploader's feed; a re-hashed file comes again with a new rowid)."""
        with self._lock:
            return self._db.execute("SELECT rowid, path, sha256 FROM segment_seen WHERE rowid > ?"
                                    " ORDER BY rowid LIMIT ?", (rowid, limit)).fetchall()

    def segment_known(self, path: str, size: int, mtime: float) -> bool:
        with self._lock:
            row = self._db.execute("SELECT size, mtime FROM segment_seen WHERE path = ?",
                                   (path,)).fetchone()
        return row is not None and row[0] == size and row[1] == mtime

    # ------------------------------------------------------------------ batching

    def next_batch(self, limit: int = 500, skip: Iterable[str] = ()) -> Batch | None:
        """The next batch to send: kinds in ``protocol.SENDING_ORDER`` (but those in
        ``skip``); within a kind its oldest sealed batch, else one sealed now from its oldest
        free items. None when nothing is queued (or a full disk leaves no room to seal one)."""
        limit = min(limit, protocol.MAX_BATCH)
        kinds = [kind for kind in protocol.SENDING_ORDER if kind not in set(skip)]

        def work(db: sqlite3.Connection) -> Batch | None:
            for kind in kinds:
                row = db.execute("SELECT id, kind, idempotency_key, body FROM batch "
                                 "WHERE kind = ? ORDER BY id LIMIT 1", (kind,)).fetchone()
                if row is not None:
                    size = db.execute("SELECT count(*) FROM item WHERE batch_id = ?",
                                      (row[0],)).fetchone()[0]
                    return Batch(row[0], row[1], row[2], bytes(row[3]), size)
                free = db.execute("SELECT id, body FROM item WHERE batch_id IS NULL AND "
                                  "kind = ? ORDER BY id LIMIT ?", (kind, limit)).fetchall()
                if free:
                    return self._seal(db, kind, free)
            return None

        return self._write(work, routine=None, what="a batch")

    def _seal(self, db: sqlite3.Connection, kind: str, free: list[tuple[int, str]]) -> Batch:
        body = protocol.batch_body([json.loads(text) for _id, text in free], self.facility)
        key = f"cw-agent-{uuid.uuid4().hex}"
        cursor = db.execute("INSERT INTO batch (kind, idempotency_key, body, created) "
                            "VALUES (?, ?, ?, ?)", (kind, key, body, time.time()))
        batch_id = int(cursor.lastrowid or 0)
        db.executemany("UPDATE item SET batch_id = ? WHERE id = ?",
                       [(batch_id, item_id) for item_id, _text in free])
        return Batch(batch_id, kind, key, body, len(free))

    def delivered(self, batch: Batch) -> None:
        """Forget a confirmed batch. On a full disk one transaction deleting a whole batch
        can need more log than the disk has, so its items go a few at a time, each step
        checkpointed (the log reuses its room) within the room of the drain reserve, the
        batch row last: until then the batch is resent and the centre answers its repeated
        key without writing twice."""
        def forget(db: sqlite3.Connection) -> bool:
            db.execute("DELETE FROM item WHERE batch_id = ?", (batch.id,))
            db.execute("DELETE FROM batch WHERE id = ?", (batch.id,))
            return True

        if self._write(forget, routine=None, what="an acknowledgement"):
            return

        def forget_some(db: sqlite3.Connection) -> int:
            return db.execute("DELETE FROM item WHERE id IN (SELECT id FROM item WHERE "
                              "batch_id = ? LIMIT ?)", (batch.id, DROP_AT_LEAST)).rowcount

        with self._lock:  # the drain reserve's room lets the log be checkpointed
            self.drain_reserve_path.unlink(missing_ok=True)
            self._checkpoint()
        while self._write(forget_some, routine=None, what="an acknowledgement"):
            with self._lock:
                self._checkpoint()
        self._write(forget, routine=None, what="an acknowledgement")

    def failed(self, batch: Batch, error: str) -> None:
        self._write(lambda db: db.execute(
            "UPDATE batch SET attempts = attempts + 1, last_error = ? WHERE id = ?",
            (error[:500], batch.id)), routine=None, what="a failed attempt")

    def rejected(self, batch: Batch, status: int, answer: str) -> None:
        """The centre refused the batch as bad input: keep it on disk for a person (nothing
        is thrown away), out of the way of the batches behind it."""
        def work(db: sqlite3.Connection) -> None:
            db.execute("INSERT INTO rejected (kind, idempotency_key, body, status, answer, "
                       "rejected_at) VALUES (?, ?, ?, ?, ?, ?)",
                       (batch.kind, batch.idempotency_key, batch.body, status, answer[:5000],
                        time.time()))
            db.execute("DELETE FROM item WHERE batch_id = ?", (batch.id,))
            db.execute("DELETE FROM batch WHERE id = ?", (batch.id,))

        self._write(work, routine=None, what="a rejected batch")

    # ------------------------------------------------------------------ status

    def counts(self) -> dict[str, int]:
        with self._lock:
            pending = dict(self._db.execute("SELECT kind, count(*) FROM item GROUP BY kind"))
            rejected = self._db.execute("SELECT count(*) FROM rejected").fetchone()[0]
        return {**{kind: pending.get(kind, 0) for kind in protocol.KINDS}, "rejected": rejected}
