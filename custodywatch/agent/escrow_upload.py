"""Footage escrow from the facility: every finished segment of the centre's custody-area
cameras is sealed here for the centre and stored off-site, write-once (docs/agent.md).

- What and when never depends on complaints: the centre's plan (``GET /api/escrow/plan``)
  lists the custody-area cameras from the registry, interrogation rooms first, and the agent
  uploads *every* segment of them as soon as it is hashed.
- Sealed at the agent (``kernels/escrow_envelope``): a fresh AES-256-GCM key per segment,
  wrapped for the centre's X25519 public key. The agent keeps no key that opens it.
- Store and forward: a small SQLite queue (``<state_dir>/escrow.sqlite3``) fed from the
  outbox's hashed segments. Each round seals segments up to ``batch_mb``, asks the centre for
  grants (``POST /api/escrow/grants``: presigned PUTs with signed COMPLIANCE lock headers),
  PUTs them at most at ``bandwidth_kbps``, and reports the versions (``POST /api/escrow/acks``);
  a segment is done only when the centre has re-read and checked it. Killed anywhere, the
  segment is sealed and sent again from the start (a second PUT is a new version; the first
  never changes): nothing is lost, nothing already verified is replaced.
- Fingerprints: every queued segment (of every camera with a segment folder, planned or not)
  is decoded once and hashed per second (``agent/fingerprints.py``); the hashes go to
  ``POST /api/escrow/fingerprints``, so a restored or re-encoded copy can be matched to it
  later (``custodywatch evidence match``) even when the segment itself never left.
Standard library HTTP only, no Django.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import logging
import sqlite3
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from custodywatch.agent.config import AgentConfig, EscrowConfig
from custodywatch.agent.fingerprints import FingerprintError, video_fingerprints
from custodywatch.agent.outbox import Outbox
from custodywatch.agent.protocol import Item
from custodywatch.agent.sender import USER_AGENT, DeliveryError
from custodywatch.kernels.escrow_envelope import seal_for
from custodywatch.kernels.fingerprint import REFERENCE_STEP, hashes_to_hex

MAX_FINGERPRINTS = 7200  # per segment, as the centre accepts (escrow/services.py)

log = logging.getLogger("custodywatch.agent.escrow")

PLAN_PATH, GRANTS_PATH, ACKS_PATH = "/api/escrow/plan", "/api/escrow/grants", "/api/escrow/acks"
FINGERPRINTS_PATH = "/api/escrow/fingerprints"
FINGERPRINT_BATCH = 20
# upload.fingerprinted: 0 to do, 1 kept by the centre, 2 refused or not decodable
FP_TODO, FP_DONE, FP_NONE = 0, 1, 2
CHUNK = 256 << 10
PENDING, DONE, REFUSED = "pending", "done", "refused"

SCHEMA = """
CREATE TABLE IF NOT EXISTS upload (
    sha256 TEXT PRIMARY KEY,
    camera TEXT NOT NULL,
    path TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS upload_pending ON upload(state, not_before);
CREATE TABLE IF NOT EXISTS cursor (id INTEGER PRIMARY KEY CHECK (id = 1), rowid INTEGER);
"""


class EscrowQueue:
    def __init__(self, path: str | Path) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                   timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(upload)")}
        if "fingerprinted" not in columns:  # a queue made before fingerprints
            self._db.execute("ALTER TABLE upload ADD COLUMN fingerprinted INTEGER NOT NULL "
                             "DEFAULT 0")
            self._db.execute("ALTER TABLE upload ADD COLUMN fp_not_before REAL NOT NULL "
                             "DEFAULT 0")
        self._db.execute("CREATE INDEX IF NOT EXISTS upload_fingerprinted "
                         "ON upload(fingerprinted, fp_not_before)")

    def close(self) -> None:
        self._db.close()

    def feed(self, outbox: Outbox, camera_of: dict[Path, str]) -> int:
        """Queue the segments the outbox hashed since last time; how many."""
        with self._lock:
            row = self._db.execute("SELECT rowid FROM cursor WHERE id = 1").fetchone()
        last, added = (row[0] if row else 0), 0
        while rows := outbox.segments_after(last):
            items = [(sha256, camera_of[Path(path).parent], path) for _rowid, path, sha256 in rows
                     if Path(path).parent in camera_of]
            last = rows[-1][0]
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany("INSERT OR IGNORE INTO upload (sha256, camera, path) "
                                     "VALUES (?, ?, ?)", items)
                self._db.execute("INSERT OR REPLACE INTO cursor VALUES (1, ?)", (last,))
                self._db.execute("COMMIT")
            added += len(items)
        return added

    def next_pending(self, priorities: dict[str, int], now: float, limit: int = 200
                     ) -> list[tuple[str, str, str]]:
        """(sha256, camera, path) of planned cameras, interrogation rooms first, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT sha256, camera, path FROM upload WHERE state = 'pending' AND "
                "not_before <= ? ORDER BY rowid", (now,)).fetchall()
        planned = [row for row in rows if row[1] in priorities]
        planned.sort(key=lambda row: priorities[row[1]])  # stable: oldest first within
        return planned[:limit]

    def mark(self, sha256: str, state: str, error: str = "", retry_in: float = 0.0) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE upload SET state = ?, last_error = ?, attempts = attempts + ?, "
                "not_before = ? WHERE sha256 = ?",
                (state, error[:500], 1 if error else 0, time.time() + retry_in, sha256))

    def next_unfingerprinted(self, now: float, limit: int = FINGERPRINT_BATCH
                             ) -> list[tuple[str, str, str]]:
        """(sha256, camera, path) of segments whose fingerprints the centre lacks, oldest first."""
        with self._lock:
            return self._db.execute(
                "SELECT sha256, camera, path FROM upload WHERE fingerprinted = 0 AND "
                "fp_not_before <= ? ORDER BY rowid LIMIT ?", (now, limit)).fetchall()

    def mark_fingerprinted(self, sha256: str, state: int, retry_in: float = 0.0) -> None:
        with self._lock:
            self._db.execute("UPDATE upload SET fingerprinted = ?, fp_not_before = ? "
                             "WHERE sha256 = ?", (state, time.time() + retry_in, sha256))

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._db.execute("SELECT state, count(*) FROM upload GROUP BY state"
                                         ).fetchall())


class RateLimit:
    """A token bucket in bytes per second, shared by every upload of the agent."""

    def __init__(self, kbps: float) -> None:
        self.rate = kbps * 1000 / 8
        self.allowance = 0.0
        self.at = time.monotonic()

    def chunks(self, data: bytes) -> Iterator[bytes]:
        view = memoryview(data)
        for start in range(0, len(data), CHUNK):
            chunk = view[start:start + CHUNK]
            if self.rate > 0:
                now = time.monotonic()
                self.allowance = min(self.rate, self.allowance + (now - self.at) * self.rate)
                self.at = now
                self.allowance -= len(chunk)
                if self.allowance < 0:
                    time.sleep(-self.allowance / self.rate)
            yield bytes(chunk)


@dataclass
class Sealed:
    sha256: str
    camera: str
    body: bytes
    stored_sha256: str


class CentreClient:
    """The three calls to the centre."""

    def __init__(self, centre_url: str, token: str, timeout: float = 60.0) -> None:
        self.centre_url = centre_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def call(self, path: str, body: Item | None = None) -> Item:
        headers = {"Authorization": f"Bearer {self.token}", "User-Agent": USER_AGENT}
        data = None
        if body is not None:
            data = json.dumps(body, sort_keys=True).encode()
            headers |= {"Content-Type": "application/json",
                        "Idempotency-Key": f"cw-escrow-{uuid.uuid4().hex}"}
        request = urllib.request.Request(  # noqa: S310 - the configured centre, http(s) only
            self.centre_url + path, data=data, headers=headers,
            method="POST" if body is not None else "GET")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise DeliveryError(f"{path}: HTTP {error.code}: {error.read()[:200]!r}") from error
        except (urllib.error.URLError, OSError, TimeoutError, ValueError) as error:
            raise DeliveryError(f"{self.centre_url}{path}: {error}") from error
        if not isinstance(answer, dict):
            raise DeliveryError(f"{self.centre_url}{path}: the answer is not a JSON object")
        return answer


def put_object(url: str, headers: dict[str, str], body: bytes, limit: RateLimit,
               timeout: float = 300.0) -> str:
    """PUT to a presigned URL; the stored version's id."""
    data: bytes | Iterator[bytes] = body if limit.rate <= 0 else limit.chunks(body)
    request = urllib.request.Request(  # noqa: S310 - a URL the centre signed
        url, data=data, method="PUT",
        headers=headers | {"Content-Length": str(len(body)),
                           "Content-Type": "application/octet-stream"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return str(response.headers.get("x-amz-version-id", ""))
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"store PUT: HTTP {error.code}: {error.read()[:200]!r}") from error
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        raise DeliveryError(f"store PUT: {error}") from error


@dataclass
class Uploader:
    outbox: Outbox
    queue: EscrowQueue
    client: CentreClient
    settings: EscrowConfig
    camera_of: dict[Path, str]
    public_key: bytes = b""
    priorities: dict[str, int] | None = None

    def __post_init__(self) -> None:
        self.limit = RateLimit(self.settings.bandwidth_kbps)

    def refresh_plan(self) -> None:
        plan = self.client.call(PLAN_PATH)
        offered = base64.b64decode(plan["public_key"])
        pinned = base64.b64decode(self.settings.public_key) if self.settings.public_key else b""
        if pinned and pinned != offered:
            raise DeliveryError("the centre offers another escrow key than the pinned one; "
                                "uploading nothing")
        self.public_key = pinned or offered
        self.priorities = {entry["camera"]: int(entry["priority"]) for entry in plan["cameras"]}

    def _seal(self, sha256: str, camera: str, path: str) -> Sealed | None:
        try:
            plaintext = Path(path).read_bytes()
        except OSError as error:
            self.queue.mark(sha256, REFUSED, f"unreadable: {error}")
            return None
        if hashlib.sha256(plaintext).hexdigest() != sha256:
            # Changed or overwritten since it was hashed: the preservation report tells.
            self.queue.mark(sha256, REFUSED, "file no longer matches its hash")
            return None
        body = seal_for(self.public_key, plaintext, sha256)
        return Sealed(sha256, camera, body, hashlib.sha256(body).hexdigest())

    def round(self, now: float | None = None) -> dict[str, int]:
        """Feed, seal up to ``batch_bytes``, grant, PUT, acknowledge. Raises DeliveryError
        when the centre or the store cannot be reached (what is not done stays queued)."""
        if self.priorities is None:
            self.refresh_plan()
        assert self.priorities is not None  # noqa: S101 - refresh_plan sets it
        self.queue.feed(self.outbox, self.camera_of)
        counts = {"escrowed": 0, "waiting": 0, "failed": 0}
        budget = self.settings.batch_bytes
        sealed: list[Sealed] = []
        for sha256, camera, path in self.queue.next_pending(self.priorities,
                                                            now or time.time()):
            item = self._seal(sha256, camera, path)
            if item is not None:
                sealed.append(item)
                budget -= len(item.body)
            if budget <= 0 or len(sealed) >= 100:
                break
        if not sealed:
            return counts
        grants = self.client.call(GRANTS_PATH, {"items": [
            {"camera": item.camera, "sha256": item.sha256, "stored_sha256": item.stored_sha256,
             "size": len(item.body)} for item in sealed]})["items"]
        by_hash = {item.sha256: item for item in sealed}
        stored: list[dict[str, str]] = []
        for grant in grants:
            item = by_hash.get(grant.get("sha256", ""))
            if item is None:
                continue
            status = grant.get("status")
            if status == "grant":
                version = put_object(grant["url"], grant.get("headers", {}), item.body,
                                     self.limit)
                stored.append({"sha256": item.sha256, "version_id": version})
            elif status == "done":
                self.queue.mark(item.sha256, DONE)
                counts["escrowed"] += 1
            elif status == "refused":
                self.queue.mark(item.sha256, REFUSED, "refused by the centre")
            else:  # wait: the centre has not received the segment's hash yet
                self.queue.mark(item.sha256, PENDING, retry_in=self.settings.interval_seconds)
                counts["waiting"] += 1
        if stored:
            for answer in self.client.call(ACKS_PATH, {"items": stored})["items"]:
                if answer["status"] == "escrowed":
                    self.queue.mark(answer["sha256"], DONE)
                    counts["escrowed"] += 1
                else:
                    self.queue.mark(answer["sha256"], PENDING, answer.get("detail") or
                                    answer["status"], retry_in=self.settings.interval_seconds)
                    counts["failed"] += 1
        return counts

    def fingerprint_round(self, now: float | None = None) -> dict[str, int]:
        """Fingerprint a batch of queued segments from their decoded frames and send the
        hashes; raises DeliveryError when the centre cannot be reached (they stay queued)."""
        self.queue.feed(self.outbox, self.camera_of)
        counts = {"fingerprinted": 0, "waiting": 0}
        items = []
        for sha256, camera, path in self.queue.next_unfingerprinted(now or time.time()):
            try:
                _times, hashes, _duration = video_fingerprints(path, REFERENCE_STEP)
            except (FingerprintError, OSError) as error:
                log.warning("escrow: no fingerprints for %s: %s", path, error)
                self.queue.mark_fingerprinted(sha256, FP_NONE)
                continue
            items.append({"camera": camera, "sha256": sha256,
                          "step_ms": round(REFERENCE_STEP * 1000),
                          "hashes": hashes_to_hex(hashes[:MAX_FINGERPRINTS])})
        if not items:
            return counts
        for answer in self.client.call(FINGERPRINTS_PATH, {"items": items})["items"]:
            if answer["status"] in ("stored", "known"):
                self.queue.mark_fingerprinted(answer["sha256"], FP_DONE)
                counts["fingerprinted"] += 1
            elif answer["status"] == "refused":
                self.queue.mark_fingerprinted(answer["sha256"], FP_NONE)
            else:  # wait: the segment's hash has not reached the centre yet
                self.queue.mark_fingerprinted(answer["sha256"], FP_TODO,
                                              retry_in=self.settings.interval_seconds)
                counts["waiting"] += 1
        return counts

    def drain(self) -> dict[str, int]:
        """Rounds until nothing more goes this time."""
        total = {"escrowed": 0, "waiting": 0, "failed": 0}
        while True:
            counts = self.round()
            total = {key: total[key] + counts[key] for key in total}
            if not counts["escrowed"] and not counts["failed"]:
                return total


def make_uploader(config: AgentConfig, outbox: Outbox) -> Uploader:
    assert config.escrow is not None  # noqa: S101 - only called when escrow is on
    camera_of = {camera.segments_dir: camera.code for camera in config.cameras
                 if camera.segments_dir is not None}
    return Uploader(outbox, EscrowQueue(config.state_dir / "escrow.sqlite3"),
                    CentreClient(config.centre_url, config.token), config.escrow, camera_of)


def escrow_loop(config: AgentConfig, outbox: Outbox, stop: threading.Event) -> None:
    """The service's escrow thread (agent/service.py)."""
    if config.escrow is None or not any(c.segments_dir for c in config.cameras):
        return
    uploader = make_uploader(config, outbox)
    next_plan = 0.0
    try:
        while not stop.is_set():
            try:
                if time.time() >= next_plan:
                    uploader.refresh_plan()
                    next_plan = time.time() + 600
                counts = uploader.drain()
                while uploader.fingerprint_round()["fingerprinted"]:
                    pass
                if counts["escrowed"] or counts["failed"]:
                    log.info("escrow: %s", counts)
            except (DeliveryError, OSError, KeyError, ValueError, sqlite3.Error,
                    http.client.HTTPException) as error:
                # Escrow waits and retries; it never takes the agent's other work down.
                log.warning("escrow: %s", error)
            stop.wait(config.escrow.interval_seconds)
    finally:
        uploader.queue.close()
