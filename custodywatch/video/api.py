"""Batch ingestion for edge agents: heartbeats, camera state spans, recorded segments.

Each batch is all or nothing; errors name the item and field (``items[3].end``). Send an
``Idempotency-Key`` to make retries safe: a repeated key returns the first answer.
"""

from __future__ import annotations

from typing import Annotated, NotRequired

from ninja import Field, Router, Schema
from ninja.decorators import decorate_view
from typing_extensions import TypedDict  # pydantic needs this one on Python < 3.12

from custodywatch.accounts.http import AuthedRequest
from custodywatch.core import plausible
from custodywatch.core.idempotency import idempotent
from custodywatch.video import markers, services

router = Router(tags=["video"])

MAX_BATCH = 5000
# ISO 8601 with offset, or epoch seconds (CONTRACTS.md "Times"); never true/false.
Timestamp = plausible.Moment
Code = Annotated[str, Field(max_length=40, description="Camera code in the facility")]
State = Annotated[str, Field(max_length=20, description="What the picture shows: ok, black, "
                             "frozen, covered, blurred, moved, no_signal, or unknown (the "
                             "agent is still learning the view: not covered)")]
Digest = Annotated[str, Field(max_length=64, description="SHA-256 of the segment file, hex")]

# Items are TypedDicts, not Schema classes: pydantic checks their shape in its core (missing
# field, wrong type -> 422 naming items[i].field) and hands the services plain dicts. A
# ninja Schema per item ran a Python root validator and a model_dump for every span, which
# was a third of a batch's time (bench/README.md, ingest). Meaning (known camera and state,
# time order, the future) is checked by the services.


class HeartbeatIn(TypedDict):
    camera: Code
    at: Timestamp
    state: NotRequired[State]  # "ok" when left out
    # The agent's disk is full (it drops routine reports): raises an alert at the centre.
    disk_full: NotRequired[bool]


class StateSpanIn(TypedDict):
    camera: Code
    state: State
    start: Timestamp
    end: Timestamp


class RecordingIn(TypedDict):
    camera: Code
    start: Timestamp
    end: Timestamp
    sha256: Digest


class MarkerSightingIn(TypedDict):
    camera: Code
    marker: Annotated[int, Field(strict=True, description="AprilTag 36h11 id, 0..586")]
    first: Timestamp
    last: Timestamp
    seen: Annotated[float, Field(description="Share of analysed frames between first and "
                                 "last in which the marker was decoded, 0..1")]


class MarkerSightingBatch(Schema):
    facility: str = Field("", max_length=40,
                          description="Optional: an agent's token implies its own facility")
    items: list[MarkerSightingIn] = Field(..., min_length=1, max_length=MAX_BATCH)


class HeartbeatBatch(Schema):
    facility: str = Field("", max_length=40,
                          description="Only for people; a facility token implies its own")
    items: list[HeartbeatIn] = Field(..., min_length=1, max_length=MAX_BATCH)


class StateSpanBatch(Schema):
    facility: str = Field("", max_length=40)
    items: list[StateSpanIn] = Field(..., min_length=1, max_length=MAX_BATCH)


class RecordingBatch(Schema):
    facility: str = Field("", max_length=40)
    items: list[RecordingIn] = Field(..., min_length=1, max_length=MAX_BATCH)


class IngestOut(Schema):
    accepted: int
    created: int
    updated: int
    deleted: int


def _ingest(request: AuthedRequest, write, payload) -> services.IngestResult:
    return write(
        acting_user=request.user,
        origin=request.origin,
        token=getattr(request, "machine_token", None),
        facility_code=payload.facility,
        items=payload.items,
    )


@router.post("/heartbeats", response=IngestOut)
@decorate_view(idempotent)
def heartbeats_post(request: AuthedRequest, payload: HeartbeatBatch):
    return _ingest(request, services.heartbeats_ingest, payload)


@router.post("/state-spans", response=IngestOut)
@decorate_view(idempotent)
def state_spans_post(request: AuthedRequest, payload: StateSpanBatch):
    return _ingest(request, services.state_spans_ingest, payload)


@router.post("/recordings", response=IngestOut)
@decorate_view(idempotent)
def recordings_post(request: AuthedRequest, payload: RecordingBatch):
    return _ingest(request, services.recording_spans_ingest, payload)


@router.post("/marker-sightings", response=IngestOut)
@decorate_view(idempotent)
def marker_sightings_post(request: AuthedRequest, payload: MarkerSightingBatch):
    """Which room markers each camera's picture showed, and when (edge agents only)."""
    return markers.marker_sightings_ingest(
        acting_user=request.user, origin=request.origin,
        token=getattr(request, "machine_token", None), items=payload.items,
        facility_code=payload.facility)
