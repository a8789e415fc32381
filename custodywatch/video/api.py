"""Batch ingestion for edge agents: heartbeats, camera state spans, recorded segments.

Each batch is all or nothing; errors name the item and field (``items[3].end``). Send an
``Idempotency-Key`` to make retries safe: a repeated key returns the first answer.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.decorators import decorate_view

from custodywatch.accounts.audit import Origin
from custodywatch.core.idempotency import idempotent
from custodywatch.video import services

router = Router(tags=["video"])

MAX_BATCH = 5000
# ISO 8601 with offset, or epoch seconds (CONTRACTS.md "Times").
Timestamp = str | int | float


class HeartbeatIn(Schema):
    camera: str = Field(..., max_length=40, description="Camera code in the facility")
    at: Timestamp
    state: str = Field("ok", max_length=20, description="What the picture shows now")


class StateSpanIn(Schema):
    camera: str = Field(..., max_length=40)
    state: str = Field(..., max_length=20,
                       description="ok, black, frozen, covered, blurred, moved or no_signal")
    start: Timestamp
    end: Timestamp


class RecordingIn(Schema):
    camera: str = Field(..., max_length=40)
    start: Timestamp
    end: Timestamp
    sha256: str = Field(..., max_length=64, description="SHA-256 of the segment file, hex")


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


def _ingest(request: HttpRequest, write, payload) -> services.IngestResult:  # type: ignore[no-untyped-def]
    return write(
        acting_user=request.user,
        origin=Origin.from_request(request),
        token=getattr(request, "machine_token", None),
        facility_code=payload.facility,
        items=[item.dict() for item in payload.items],
    )


@router.post("/heartbeats", response=IngestOut)
@decorate_view(idempotent)
def heartbeats_post(request: HttpRequest, payload: HeartbeatBatch):  # type: ignore[no-untyped-def]
    return _ingest(request, services.heartbeats_ingest, payload)


@router.post("/state-spans", response=IngestOut)
@decorate_view(idempotent)
def state_spans_post(request: HttpRequest, payload: StateSpanBatch):  # type: ignore[no-untyped-def]
    return _ingest(request, services.state_spans_ingest, payload)


@router.post("/recordings", response=IngestOut)
@decorate_view(idempotent)
def recordings_post(request: HttpRequest, payload: RecordingBatch):  # type: ignore[no-untyped-def]
    return _ingest(request, services.recording_spans_ingest, payload)
