"""The on-disk queue of everything the centre has not yet confirmed (SQLite, WAL).

Exactly once across crashes: items are queued in one transaction; a batch (its items, its
exact body and its Idempotency-Key) is sealed in another *before* the first attempt; it is
resent unchanged until the centre answers, then deleted with its items in a third. Killed
between any two steps, the agent either reseals nothing (items still free), or resends the
same key and body (the centre returns its first answer and writes nothing new).

Heartbeats are liveness, not evidence: an unsent heartbeat is replaced by a newer one of
the same camera, so days offline leave one heartbeat per camera, not thousands.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from custodywatch.agent import protocol

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


@dataclass(frozen=True)
class Batch:
    id: int
    kind: str
    idempotency_key: str
    body: bytes
    size: int


class Outbox:
    """One SQLite file; safe to share between the agent's threads."""

    def __init__(self, path: str | Path, facility: str = "") -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.facility = facility
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a committed item survives power loss
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                # SQLite has already rolled back on some errors (a full disk: SQLITE_FULL);
                # a second ROLLBACK would hide the real error behind "no transaction".
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # ------------------------------------------------------------------ queueing

    def put(self, kind: str, items: Iterable[protocol.Item]) -> None:
        rows = [(kind, json.dumps(item, sort_keys=True)) for item in items]
        if not rows:
            return
        with self._transaction() as db:
            db.executemany("INSERT INTO item (kind, body) VALUES (?, ?)", rows)

    def put_heartbeat(self, item: protocol.Item) -> None:
        """Replace this camera's unsent heartbeat, if any: only the newest matters."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO item (kind, body, replace_key) VALUES (?, ?, ?) "
                "ON CONFLICT(replace_key) WHERE batch_id IS NULL AND replace_key IS NOT NULL "
                "DO UPDATE SET body = excluded.body",
                (protocol.HEARTBEATS, json.dumps(item, sort_keys=True),
                 f"heartbeat:{item['camera']}"))

    def put_segment(self, item: protocol.Item, path: str, size: int, mtime: float) -> None:
        """A hashed segment and the note that it was hashed, together or not at all."""
        with self._transaction() as db:
            db.execute("INSERT INTO item (kind, body) VALUES (?, ?)",
                       (protocol.RECORDINGS, json.dumps(item, sort_keys=True)))
            db.execute("INSERT OR REPLACE INTO segment_seen VALUES (?, ?, ?, ?)",
                       (path, size, mtime, item["sha256"]))

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

    def next_batch(self, limit: int = 500) -> Batch | None:
        """The oldest sealed batch, else a new one sealed from the oldest free items."""
        limit = min(limit, protocol.MAX_BATCH)
        with self._transaction() as db:
            row = db.execute("SELECT id, kind, idempotency_key, body FROM batch "
                             "ORDER BY id LIMIT 1").fetchone()
            if row is not None:
                size = db.execute("SELECT count(*) FROM item WHERE batch_id = ?",
                                  (row[0],)).fetchone()[0]
                return Batch(row[0], row[1], row[2], bytes(row[3]), size)
            for kind in protocol.KINDS:
                free = db.execute("SELECT id, body FROM item WHERE batch_id IS NULL AND kind = ? "
                                  "ORDER BY id LIMIT ?", (kind, limit)).fetchall()
                if free:
                    return self._seal(db, kind, free)
        return None

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
        with self._transaction() as db:
            db.execute("DELETE FROM item WHERE batch_id = ?", (batch.id,))
            db.execute("DELETE FROM batch WHERE id = ?", (batch.id,))

    def failed(self, batch: Batch, error: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE batch SET attempts = attempts + 1, last_error = ? WHERE id = ?",
                       (error[:500], batch.id))

    def rejected(self, batch: Batch, status: int, answer: str) -> None:
        """The centre refused the batch as bad input: keep it on disk for a person (nothing
        is thrown away), out of the way of the batches behind it."""
        with self._transaction() as db:
            db.execute("INSERT INTO rejected (kind, idempotency_key, body, status, answer, "
                       "rejected_at) VALUES (?, ?, ?, ?, ?, ?)",
                       (batch.kind, batch.idempotency_key, batch.body, status, answer[:5000],
                        time.time()))
            db.execute("DELETE FROM item WHERE batch_id = ?", (batch.id,))
            db.execute("DELETE FROM batch WHERE id = ?", (batch.id,))

    # ------------------------------------------------------------------ status

    def counts(self) -> dict[str, int]:
        with self._lock:
            pending = dict(self._db.execute("SELECT kind, count(*) FROM item GROUP BY kind"))
            rejected = self._db.execute("SELECT count(*) FROM rejected").fetchone()[0]
        return {**{kind: pending.get(kind, 0) for kind in protocol.KINDS}, "rejected": rejected}
