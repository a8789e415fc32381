"""Delivery of sealed batches to the centre over HTTP(S), standard library only.

An answer of 2xx (first or replayed) confirms a batch. 400, 413 and 422 mean the centre
will never take that body: it is set aside on disk (``rejected``) so the queue moves on.
Anything else (no route, timeouts, 5xx, 401/403 while a token is being fixed, 404 while a
centre is being upgraded) is transient: the batch waits, unchanged, for the next try. A kind
the centre answers with such an error waits alone: the other kinds go on in the same drain
(an endpoint an older centre lacks holds back only its own kind, never the heartbeats).
"""

from __future__ import annotations

import random
import urllib.error
import urllib.request
from dataclasses import dataclass

from custodywatch.agent import protocol
from custodywatch.agent.outbox import Batch, Outbox

REJECTING_STATUSES = frozenset({400, 413, 422})
USER_AGENT = "custodywatch-agent/1"


class DeliveryError(Exception):
    """The centre could not be reached or asked us to try later."""


class KindRefused(DeliveryError):
    """The centre answered a batch of ``kind`` with a transient error (HTTP status)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class Sender:
    outbox: Outbox
    centre_url: str
    token: str
    batch_size: int = 500
    timeout: float = 30.0

    def _post(self, batch: Batch) -> tuple[int, str]:
        request = urllib.request.Request(  # noqa: S310 - the configured centre, http(s) only
            protocol.endpoint(self.centre_url, batch.kind), data=batch.body, method="POST",
            headers={"Authorization": f"Bearer {self.token}",
                     "Content-Type": "application/json",
                     "Idempotency-Key": batch.idempotency_key,
                     "User-Agent": USER_AGENT})
        try:
            # noqa below: the configured centre URL; agent/config.py accepts http(s) only
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")
        except (urllib.error.URLError, OSError, TimeoutError) as error:
            raise DeliveryError(f"{self.centre_url}: {error}") from error

    def send_one(self, skip: frozenset[str] = frozenset()) -> int | None:
        """Deliver the next batch (of a kind not in ``skip``); the number of items it held,
        None when nothing is queued.

        Raises DeliveryError when the batch must wait (it stays sealed on disk): KindRefused
        when the centre answered, naming the batch's kind."""
        batch = self.outbox.next_batch(self.batch_size, skip=skip)
        if batch is None:
            return None
        status, answer = self._post(batch)
        if 200 <= status < 300:
            self.outbox.delivered(batch)
            return batch.size
        if status in REJECTING_STATUSES:
            self.outbox.rejected(batch, status, answer)
            return 0
        self.outbox.failed(batch, f"HTTP {status}: {answer[:200]}")
        raise KindRefused(batch.kind,
                          f"{protocol.endpoint(self.centre_url, batch.kind)}: HTTP {status}")

    def drain(self) -> int:
        """Send until the queue is empty; items delivered. Raises DeliveryError: at once when
        the centre cannot be reached; after the other kinds when it refused one kind."""
        total = 0
        waiting: set[str] = set()
        refused: KindRefused | None = None
        while True:
            try:
                sent = self.send_one(frozenset(waiting))
            except KindRefused as error:
                waiting.add(error.kind)
                refused = error
                continue
            if sent is None:
                break
            total += sent
        if refused is not None:
            raise refused
        return total


@dataclass
class Backoff:
    """Exponential back-off with jitter, so a hundred agents do not retry in step."""

    first: float = 1.0
    cap: float = 300.0
    attempt: int = 0

    def next_delay(self) -> float:
        delay = min(self.cap, self.first * 2.0 ** self.attempt)
        self.attempt += 1
        return delay * random.uniform(0.5, 1.0)  # noqa: S311 - retry jitter, not a secret

    def reset(self) -> None:
        self.attempt = 0
