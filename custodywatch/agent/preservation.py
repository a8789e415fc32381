"""Keep custody footage from being overwritten: copy it aside, re-hash it, tell the centre.

The centre sends one rule, the same for every facility and never changed by a complaint
(``GET /api/preservation/orders``, see ``complaints/preservation.py``): keep every segment of
the listed cameras (those of custody-use rooms) for ``keep_days`` days. For each segment of
those cameras that it hashed in that window the agent finds the file it hashed when the
recorder finished it (the outbox's ``segment_seen``), copies it into
``<state_dir>/preserved/<camera>/`` while hashing the bytes it copies, and reports
(``POST /api/preservation/reports``):

- ``preserved``: the copy's hash is the recording-time hash; the copy is kept;
- ``altered``: the file's bytes changed since they were hashed; the changed copy is kept too,
  under ``<hash>.altered-<found hash>``, as evidence of the change;
- ``missing``: no file with that hash is known or it is gone (overwritten or deleted).

A copy is kept while the policy covers it and for ``keep_days`` (the agent's own setting) after,
and never deleted when the centre cannot be reached. State is one small SQLite file; a cycle killed
at any point repeats safely (copies are written aside and renamed).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from custodywatch.agent.outbox import Outbox
from custodywatch.agent.references import SAFE_CODE
from custodywatch.agent.sender import USER_AGENT, DeliveryError

log = logging.getLogger("custodywatch.agent.preservation")

ORDERS_PATH = "/api/preservation/orders"
REPORTS_PATH = "/api/preservation/reports"
PRESERVED, ALTERED, MISSING = "preserved", "altered", "missing"
BUFFER = 1 << 20

SCHEMA = """
CREATE TABLE IF NOT EXISTS kept (
    sha256 TEXT PRIMARY KEY,
    camera TEXT NOT NULL,
    status TEXT NOT NULL,
    found_sha256 TEXT NOT NULL DEFAULT '',
    path TEXT NOT NULL DEFAULT '',
    last_ordered REAL NOT NULL,
    reported INTEGER NOT NULL DEFAULT 0
);
"""


@dataclass(frozen=True)
class Order:
    sha256: str
    camera: str


def _valid_sha256(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(
        c in "0123456789abcdef" for c in value)


@dataclass(frozen=True)
class Policy:
    """What the centre asks of every facility: keep these cameras' segments this long."""

    keep_days: int
    cameras: frozenset[str]


def parse_policy(body: bytes) -> Policy:
    """The centre's answer; a bad camera code is skipped, a bad period refused (ValueError)."""
    data = json.loads(body)
    keep_days = data.get("keep_days")
    if not isinstance(keep_days, int) or isinstance(keep_days, bool) or not 0 < keep_days <= 3660:
        raise ValueError(f"preservation policy: bad keep_days {keep_days!r}")
    cameras = frozenset(code for code in data.get("cameras", [])
                        if isinstance(code, str) and SAFE_CODE.match(code))
    return Policy(keep_days=keep_days, cameras=cameras)


def policy_orders(policy: Policy, outbox: Outbox, now: float,
                  cameras: set[str] | None = None) -> list[Order]:
    """Every segment the outbox hashed for the policy's cameras (those this agent watches)
    that ended within the policy's period, oldest first."""
    wanted = policy.cameras if cameras is None else policy.cameras & cameras
    since = now - policy.keep_days * 86400
    return [Order(sha256=sha256, camera=camera)
            for sha256, camera in outbox.segments_of(wanted, since) if _valid_sha256(sha256)]


class PreservationStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.root / "preserved.sqlite3", isolation_level=None,
                                   timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def get(self, sha256: str) -> tuple[str, str] | None:
        row = self._db.execute("SELECT status, path FROM kept WHERE sha256 = ?",
                               (sha256,)).fetchone()
        return (row[0], row[1]) if row else None

    def record(self, order: Order, status: str, found: str, path: str, now: float) -> None:
        self._db.execute(
            "INSERT INTO kept (sha256, camera, status, found_sha256, path, last_ordered, reported)"
            " VALUES (?, ?, ?, ?, ?, ?, 0) ON CONFLICT(sha256) DO UPDATE SET status ="
            " excluded.status, found_sha256 = excluded.found_sha256, path = excluded.path,"
            " last_ordered = excluded.last_ordered, reported = CASE WHEN kept.status ="
            " excluded.status AND kept.found_sha256 = excluded.found_sha256 THEN kept.reported"
            " ELSE 0 END",
            (order.sha256, order.camera, status, found, path, now))

    def touch(self, sha256s: list[str], now: float) -> None:
        self._db.executemany("UPDATE kept SET last_ordered = ? WHERE sha256 = ?",
                             [(now, sha256) for sha256 in sha256s])

    def unreported(self, limit: int = 1000) -> list[dict[str, str]]:
        rows = self._db.execute(
            "SELECT sha256, camera, status, found_sha256 FROM kept WHERE reported = 0"
            " ORDER BY rowid LIMIT ?", (limit,)).fetchall()
        return [{"sha256": sha256, "camera": camera, "status": status, "found_sha256": found}
                for sha256, camera, status, found in rows]

    def mark_reported(self, sha256s: list[str]) -> None:
        self._db.executemany("UPDATE kept SET reported = 1 WHERE sha256 = ?",
                             [(sha256,) for sha256 in sha256s])

    def expired(self, before: float) -> list[tuple[str, str]]:
        return self._db.execute("SELECT sha256, path FROM kept WHERE last_ordered < ?",
                                (before,)).fetchall()

    def forget(self, sha256: str) -> None:
        self._db.execute("DELETE FROM kept WHERE sha256 = ?", (sha256,))


def copy_hashing(source: Path, target: Path) -> str:
    """Copy ``source`` to ``target`` (written aside, fsynced, renamed); the SHA-256 of the
    bytes copied, so the copy is checked by the same read that makes it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".tmp-{target.name}")
    digest = hashlib.sha256()
    try:
        with open(source, "rb") as reader, open(temporary, "wb") as writer:
            while chunk := reader.read(BUFFER):
                digest.update(chunk)
                writer.write(chunk)
            writer.flush()
            os.fsync(writer.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return digest.hexdigest()


def preserve(orders: list[Order], outbox: Outbox, store: PreservationStore,
             now: float | None = None) -> dict[str, int]:
    """Copy aside every ordered segment not yet kept; counts by outcome."""
    now = time.time() if now is None else now
    counts = {PRESERVED: 0, ALTERED: 0, MISSING: 0, "already": 0}
    already = []
    for order in orders:
        kept = store.get(order.sha256)
        if kept is not None and kept[0] in (PRESERVED, ALTERED) and Path(kept[1]).is_file():
            already.append(order.sha256)
            counts["already"] += 1
            continue
        source = outbox.segment_path(order.sha256)
        if source is None or not Path(source).is_file():
            store.record(order, MISSING, "", "", now)
            counts[MISSING] += 1
            continue
        suffix = Path(source).suffix[:10]
        target = store.root / order.camera / f"{order.sha256}{suffix}"
        found = copy_hashing(Path(source), target)
        if found == order.sha256:
            store.record(order, PRESERVED, "", str(target), now)
            counts[PRESERVED] += 1
        else:
            evidence = target.with_name(f"{order.sha256}.altered-{found}{suffix}")
            os.replace(target, evidence)
            store.record(order, ALTERED, found, str(evidence), now)
            counts[ALTERED] += 1
            log.error("segment %s of %s changed since it was recorded (now %s)",
                      order.sha256, order.camera, found)
    store.touch(already, now)
    return counts


def cleanup(store: PreservationStore, keep_days: float, now: float | None = None) -> int:
    """Delete copies no order has named for ``keep_days``; how many."""
    now = time.time() if now is None else now
    removed = 0
    for sha256, path in store.expired(now - keep_days * 86400):
        if path:
            Path(path).unlink(missing_ok=True)
        store.forget(sha256)
        removed += 1
    return removed


class PreservationClient:
    """The two calls to the centre, standard library only."""

    def __init__(self, centre_url: str, token: str, timeout: float = 30.0) -> None:
        self.centre_url = centre_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _call(self, path: str, body: bytes | None = None, key: str = "") -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {self.token}", "User-Agent": USER_AGENT}
        if body is not None:
            headers |= {"Content-Type": "application/json", "Idempotency-Key": key}
        request = urllib.request.Request(  # noqa: S310 - the configured centre, http(s) only
            self.centre_url + path, data=body, headers=headers,
            method="POST" if body is not None else "GET")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except (urllib.error.URLError, OSError, TimeoutError) as error:
            raise DeliveryError(f"{self.centre_url}: {error}") from error

    def policy(self) -> Policy:
        status, body = self._call(ORDERS_PATH)
        if status != 200:
            raise DeliveryError(f"{ORDERS_PATH}: HTTP {status}")
        return parse_policy(body)

    def report(self, items: list[dict[str, str]]) -> int:
        body = json.dumps({"items": items}, sort_keys=True).encode()
        key = "preservation-" + hashlib.sha256(body).hexdigest()[:40]
        status, answer = self._call(REPORTS_PATH, body, key)
        if not 200 <= status < 300:
            raise DeliveryError(f"{REPORTS_PATH}: HTTP {status}: {answer[:200]!r}")
        return len(items)


def preservation_cycle(client: PreservationClient, outbox: Outbox, store: PreservationStore,
                       keep_days: float = 30.0, now: float | None = None,
                       cameras: set[str] | None = None) -> dict[str, int]:
    """Fetch the policy, copy, report, clean up. Raises DeliveryError (and deletes nothing)
    when the centre cannot be reached. ``cameras``: the ones whose segments this agent watches
    (the policy's others are another agent's, or nobody's)."""
    now = time.time() if now is None else now
    orders = policy_orders(client.policy(), outbox, now, cameras)
    counts = preserve(orders, outbox, store, now)
    ordered = {order.sha256 for order in orders}
    reported = 0
    while items := store.unreported():
        # Findings about segments the policy no longer covers have nobody to tell.
        store.mark_reported([item["sha256"] for item in items if item["sha256"] not in ordered])
        batch = [item for item in items if item["sha256"] in ordered]
        if batch:
            reported += client.report(batch)
            store.mark_reported([item["sha256"] for item in batch])
    counts["reported"] = reported
    counts["removed"] = cleanup(store, keep_days, now)
    return counts
