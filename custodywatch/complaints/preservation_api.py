"""Footage preservation orders for a facility's agent, and its reports (preservation.py).

Mounted at ``/api/preservation/``, a name that says nothing about complaints: the facility's
IT sees this traffic.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.decorators import decorate_view

from custodywatch.accounts.audit import Origin
from custodywatch.complaints import preservation
from custodywatch.core.idempotency import idempotent
from custodywatch.registry.models import Facility
from custodywatch.video import services as video_services

router = Router(tags=["preservation"])


class OrderOut(Schema):
    order: str
    camera: str
    started_at: dt.datetime
    ended_at: dt.datetime
    sha256: str


class OrdersOut(Schema):
    facility: str
    orders: list[OrderOut]


class ReportItemIn(Schema):
    sha256: str = Field(..., min_length=64, max_length=64, pattern="^[0-9a-f]{64}$")
    camera: str = Field(..., max_length=40)
    status: str = Field(..., max_length=10, description="preserved, missing or altered")
    found_sha256: str = Field("", max_length=64,
                              description="For altered: the SHA-256 of the file found.")


class ReportIn(Schema):
    items: list[ReportItemIn] = Field(..., max_length=5_000)


class ReportOut(Schema):
    received: int
    changed: int


def _facility(request: HttpRequest) -> Facility:
    """Only a facility's edge agent has orders: its own facility's (accounts.scoping's one
    rule for agent writes; a staff token bound to the facility is refused)."""
    return video_services.agent_facility(acting_user=request.user,  # type: ignore[arg-type]
                                         origin=Origin.from_request(request),
                                         token=getattr(request, "machine_token", None))


@router.get("/orders", response=OrdersOut)
def preservation_orders(request: HttpRequest):  # type: ignore[no-untyped-def]
    facility = _facility(request)
    segments = preservation.preservation_orders(facility=facility)
    return {"facility": facility.code,
            "orders": [{"order": preservation.order_id(segment.sha256),
                        "camera": segment.camera.code, "started_at": segment.started_at,
                        "ended_at": segment.ended_at, "sha256": segment.sha256}
                       for segment in segments]}


@router.post("/reports", response=ReportOut)
@decorate_view(idempotent)
def preservation_reports(request: HttpRequest, payload: ReportIn):  # type: ignore[no-untyped-def]
    facility = _facility(request)
    items = [preservation.ReportItem(sha256=item.sha256, camera=item.camera, status=item.status,
                                     found_sha256=item.found_sha256) for item in payload.items]
    changed = preservation.preservation_report(
        acting_user=request.user, origin=Origin.from_request(request), facility=facility,
        items=items)
    return {"received": len(items), "changed": changed}
