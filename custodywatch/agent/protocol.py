"""What the agent posts to the centre: the batch shapes of ``custodywatch/video/api.py``.

Kept in one small module so the wire format has one place to change. Endpoints (under the
centre's base URL), each a batch ``{"facility": "", "items": [...]}`` with an
``Idempotency-Key`` header and ``Authorization: Bearer <token>``:

- ``POST /api/video/heartbeats``  items ``{"camera", "at", "state"}`` (+ ``"disk_full": true``)
- ``POST /api/video/state-spans`` items ``{"camera", "state", "start", "end"}``
- ``POST /api/video/recordings``  items ``{"camera", "start", "end", "sha256"}``
- ``POST /api/video/marker-sightings`` items ``{"camera", "marker", "first", "last", "seen"}``:
  a camera decoded room marker ``marker`` (AprilTag 36h11 id) from ``first`` to ``last``, in
  ``seen`` (0..1) of the frames it examined between them. One interval is reported when it
  opens (first == last), again each report period while the marker stays (same ``first``,
  later ``last``) and a last time when it has not been decoded for a while (kernels/
  markers.py, ``SightingTracker``); a ``last`` that stops moving on means "stopped seeing it".

Times are ISO 8601 UTC with milliseconds (CONTRACTS.md "Times"); spans are half-open.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

HEARTBEATS = "heartbeats"
STATE_SPANS = "state-spans"
RECORDINGS = "recordings"
MARKER_SIGHTINGS = "marker-sightings"
KINDS = (STATE_SPANS, RECORDINGS, MARKER_SIGHTINGS, HEARTBEATS)
# Sending order (outbox.next_batch): liveness first, so that a slow link or a backlog never
# leaves the centre minutes without a heartbeat from a live agent; then the hashes of
# recorded footage (what preservation orders and escrow name); then the marker sightings
# that prove rooms covered; then the health spans. A new kind of item takes its place here.
SENDING_ORDER = (HEARTBEATS, RECORDINGS, MARKER_SIGHTINGS, STATE_SPANS)
# What a full disk may drop, oldest first (outbox.py): never a recording, which is evidence,
# nor a marker sighting (few, and what proves a room covered).
ROUTINE_KINDS = frozenset({STATE_SPANS, HEARTBEATS})
API_PREFIX = "/api/video/"
MAX_BATCH = 5000  # the centre's limit per batch

Item = dict[str, Any]


def endpoint(centre_url: str, kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    return centre_url.rstrip("/") + API_PREFIX + kind


def timestamp(epoch_seconds: float) -> str:
    """``2024-01-05T05:00:00.250Z``: UTC, milliseconds (rounded, as the centre stores)."""
    moment = dt.datetime.fromtimestamp(round(epoch_seconds, 3), tz=dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def state_span(camera: str, state: str, start: float, end: float) -> Item:
    return {"camera": camera, "state": state, "start": timestamp(start), "end": timestamp(end)}


def recording(camera: str, start: float, end: float, sha256: str) -> Item:
    return {"camera": camera, "start": timestamp(start), "end": timestamp(end), "sha256": sha256}


def marker_sighting(camera: str, marker: int, first: float, last: float, seen: float) -> Item:
    return {"camera": camera, "marker": marker, "first": timestamp(first),
            "last": timestamp(last), "seen": round(min(max(seen, 0.0), 1.0), 3)}


def heartbeat(camera: str, at: float, state: str, disk_full: bool = False) -> Item:
    """``disk_full`` only while true (the agent's queue found its disk full and is dropping
    routine reports), so that a centre that does not know the key sees the usual item."""
    item: Item = {"camera": camera, "at": timestamp(at), "state": state}
    if disk_full:
        item["disk_full"] = True
    return item


def batch_body(items: list[Item], facility: str = "") -> bytes:
    """The exact bytes of a batch; stored before the first try and resent unchanged, since
    the centre answers a repeated key only for the same body."""
    return json.dumps({"facility": facility, "items": items}, separators=(",", ":"),
                      sort_keys=True).encode()
