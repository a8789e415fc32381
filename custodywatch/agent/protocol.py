"""What the agent posts to the centre: the batch shapes of ``custodywatch/video/api.py``.

Kept in one small module so the wire format has one place to change. Endpoints (under the
centre's base URL), each a batch ``{"facility": "", "items": [...]}`` with an
``Idempotency-Key`` header and ``Authorization: Bearer <token>``:

- ``POST /api/video/heartbeats``  items ``{"camera", "at", "state"}``
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
# Sending order: evidence before liveness.
KINDS = (STATE_SPANS, RECORDINGS, MARKER_SIGHTINGS, HEARTBEATS)
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


def heartbeat(camera: str, at: float, state: str) -> Item:
    return {"camera": camera, "at": timestamp(at), "state": state}


def batch_body(items: list[Item], facility: str = "") -> bytes:
    """The exact bytes of a batch; stored before the first try and resent unchanged, since
    the centre answers a repeated key only for the same body."""
    return json.dumps({"facility": facility, "items": items}, separators=(",", ":"),
                      sort_keys=True).encode()
