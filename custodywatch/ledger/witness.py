"""An independent copy of the ledger, kept by another institution; standard library + kernels.

``ledger witness`` pulls the server's latest checkpoint, checks its signature against keys the
witness pinned, checks that it is consistent with every checkpoint the witness saw before (a
consistency proof, or an equal root at an equal size), mirrors the new leaves and re-hashes them
into the signed root. Anything else is an alarm: written to ``ALARM.txt`` with both checkpoints
(two signed, inconsistent checkpoints prove the server lied) and repeated on every later run
until a person deals with it. Nothing here imports Django: a court's copy runs without our code
base's database.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from custodywatch.kernels.checkpoint import CheckpointError, parse_checkpoint
from custodywatch.kernels.merkle import CompactRange, leaf_hash, verify_consistency
from custodywatch.kernels.signed_note import NoteError, Verifier, open_note

Fetch = Callable[[str], tuple[int, bytes]]
LEAVES_PER_CALL = 1000
ALARM_FILE = "ALARM.txt"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS checkpoints (seq INTEGER PRIMARY KEY, size INTEGER NOT NULL,
    root BLOB NOT NULL, note TEXT NOT NULL, seen_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leaves (idx INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS mirror (id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL,
    edge BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS alarms (seq INTEGER PRIMARY KEY, at TEXT NOT NULL,
    message TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS leaves_append_only BEFORE UPDATE ON leaves
    BEGIN SELECT RAISE(ABORT, 'append-only'); END;
CREATE TRIGGER IF NOT EXISTS leaves_no_delete BEFORE DELETE ON leaves
    BEGIN SELECT RAISE(ABORT, 'append-only'); END;
"""


class WitnessAlarm(Exception):
    """The server presented something inconsistent with what this witness saw before."""


class WitnessError(Exception):
    """Could not do the job (server unreachable, bad answer): no verdict, nothing stored."""


@dataclass(frozen=True)
class WitnessReport:
    previous_size: int
    size: int
    leaves_mirrored: int


def http_fetcher(base_url: str, token: str = "", timeout: float = 30) -> Fetch:
    if not base_url.startswith(("https://", "http://")):
        raise WitnessError(f"{base_url}: the log's URL must start with https:// or http://")

    def fetch(path: str) -> tuple[int, bytes]:
        request = urllib.request.Request(base_url.rstrip("/") + path)  # noqa: S310 - http(s) only
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            # noqa below: the scheme was checked above (http or https only)
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except (urllib.error.URLError, OSError) as error:
            raise WitnessError(f"cannot reach {base_url}: {error}") from None

    return fetch


class WitnessStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(directory / "witness.sqlite3", isolation_level=None)
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def latest(self) -> tuple[int, bytes, str] | None:
        row = self.db.execute("SELECT size, root, note FROM checkpoints ORDER BY seq DESC LIMIT 1"
                              ).fetchone()
        return (row[0], bytes(row[1]), row[2]) if row else None

    def alarms(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT message FROM alarms ORDER BY seq")]

    def mirror_state(self) -> CompactRange:
        row = self.db.execute("SELECT size, edge FROM mirror WHERE id = 1").fetchone()
        if row is None:
            return CompactRange()
        edge = bytes(row[1])
        return CompactRange(row[0], [edge[i: i + 32] for i in range(0, len(edge), 32)])

    def raise_alarm(self, message: str, *notes: str) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self.db.execute("INSERT INTO alarms (at, message) VALUES (?, ?)", (now, message))
        with (self.directory / ALARM_FILE).open("a") as out:
            out.write(f"{now} ALARM: {message}\n")
            for note in notes:
                out.write("---- checkpoint as presented ----\n" + note)
            out.write("\n")
        raise WitnessAlarm(message)

    def leaf(self, index: int) -> bytes | None:
        row = self.db.execute("SELECT data FROM leaves WHERE idx = ?", (index,)).fetchone()
        return bytes(row[0]) if row else None


def _get_json(fetch: Fetch, path: str) -> dict:
    status, body = fetch(path)
    if status != 200:
        raise WitnessError(f"GET {path}: HTTP {status}: {body[:200]!r}")
    try:
        return json.loads(body)
    except ValueError:
        raise WitnessError(f"GET {path}: not JSON") from None


def witness_pull(*, store: WitnessStore, fetch: Fetch, verifiers: list[Verifier],
                 origin: str, mirror: bool = True) -> WitnessReport:
    earlier = store.alarms()
    if earlier:
        raise WitnessAlarm(f"unresolved alarm from an earlier run: {earlier[0]}")
    status, body = fetch("/api/ledger/checkpoint")
    if status != 200:
        raise WitnessError(f"GET /api/ledger/checkpoint: HTTP {status}")
    note_text = body.decode("utf-8", "replace")
    try:
        checkpoint = parse_checkpoint(open_note(body, verifiers).text)
    except (NoteError, CheckpointError) as error:
        store.raise_alarm(f"server presented a checkpoint that does not verify: {error}",
                          note_text)
    if checkpoint.origin != origin:
        store.raise_alarm(f"checkpoint of log {checkpoint.origin!r}, expected {origin!r}",
                          note_text)
    previous = store.latest()
    previous_size = previous[0] if previous else 0
    if previous is not None:
        old_size, old_root, old_note = previous
        if checkpoint.size < old_size:
            store.raise_alarm(f"tree shrank from {old_size} to {checkpoint.size}", old_note,
                              note_text)
        if checkpoint.size == old_size and checkpoint.root != old_root:
            store.raise_alarm(f"two different roots for tree size {old_size}", old_note,
                              note_text)
        if old_size and checkpoint.size > old_size:
            path = f"/api/ledger/proof/consistency?first={old_size}&second={checkpoint.size}"
            status, body = fetch(path)
            if 400 <= status < 500:
                # A signed head the server cannot prove consistent is as bad as a bad proof.
                store.raise_alarm(f"server cannot prove checkpoint {checkpoint.size} consistent "
                                  f"with checkpoint {old_size} seen before (HTTP {status})",
                                  old_note, note_text)
            proof = _get_json(fetch, path)
            hashes = [base64.b64decode(h) for h in proof.get("hashes", [])]
            if not verify_consistency(old_size, checkpoint.size, old_root, checkpoint.root,
                                      hashes):
                store.raise_alarm(f"checkpoint {checkpoint.size} is not consistent with "
                                  f"checkpoint {old_size} seen before", old_note, note_text)
    mirrored = _mirror(store, fetch, checkpoint.size, checkpoint.root, note_text) if mirror else 0
    store.db.execute("INSERT INTO checkpoints (size, root, note, seen_at) VALUES (?, ?, ?, ?)",
                     (checkpoint.size, checkpoint.root, note_text,
                      datetime.now(UTC).isoformat(timespec="seconds")))
    return WitnessReport(previous_size, checkpoint.size, mirrored)


def _mirror(store: WitnessStore, fetch: Fetch, size: int, root: bytes, note_text: str) -> int:
    compact = store.mirror_state()
    start = compact.size
    rows: list[tuple[int, bytes]] = []
    while compact.size < size:
        end = min(size, compact.size + LEAVES_PER_CALL)
        answer = _get_json(fetch, f"/api/ledger/leaves?start={compact.size}&end={end}")
        batch = answer.get("leaves", [])
        if not batch:
            raise WitnessError(f"server sent no leaves from {compact.size}")
        for item in batch:
            if item.get("index") != compact.size:
                store.raise_alarm(f"server sent leaf {item.get('index')} for {compact.size}",
                                  note_text)
            data = base64.b64decode(item["data"])
            compact.append(leaf_hash(data))
            rows.append((item["index"], data))
            if compact.size == size:
                break
    if compact.root() != root:
        store.raise_alarm(f"leaves [{start}, {size}) do not give the signed root", note_text)
    with store.db:  # the leaves and the new edge together, or neither
        store.db.execute("BEGIN")
        store.db.executemany("INSERT INTO leaves (idx, data) VALUES (?, ?)", rows)
        store.db.execute("INSERT OR REPLACE INTO mirror (id, size, edge) VALUES (1, ?, ?)",
                         (compact.size, b"".join(compact.hashes)))
    return len(rows)
