"""The footage preservation policy for a facility's agent, and its reports (preservation.py).

Mounted at ``/api/preservation/``. The facility's IT sees this traffic, so what it answers is
the same rule for every facility, computed from the registry alone: it never changes because
of a complaint, a hold or an investigation (docs/security.md, tests/security/facility_view.py).
"""

from __future__ import annotations

from ninja import Field, Router, Schema
from ninja.decorators import decorate_view

from custodywatch.accounts.http import AuthedRequest
from custodywatch.complaints import preservation
from custodywatch.core.idempotency import idempotent
from custodywatch.registry.models import Facility
from custodywatch.video import services as video_services

router = Router(tags=["preservation"])


class PolicyOut(Schema):
    facility: str
    policy: str = Field(..., description="The rule's name; the same for every facility.")
    keep_days: int = Field(..., description="Keep each segment this many days after it ends.")
    cameras: list[str] = Field(..., description="Cameras of custody-use rooms: keep every "
                                                "segment of these.")


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


def _facility(request: AuthedRequest) -> Facility:
    """Only a facility's edge agent has orders: its own facility's (accounts.scoping's one
    rule for agent writes; a staff token bound to the facility is refused)."""
    return video_services.agent_facility(acting_user=request.user,
                                         origin=request.origin,
                                         token=getattr(request, "machine_token", None))


@router.get("/orders", response=PolicyOut)
def preservation_orders(request: AuthedRequest):
    return preservation.preservation_policy(facility=_facility(request))


@router.post("/reports", response=ReportOut)
@decorate_view(idempotent)
def preservation_reports(request: AuthedRequest, payload: ReportIn):
    facility = _facility(request)
    items = [preservation.ReportItem(sha256=item.sha256, camera=item.camera, status=item.status,
                                     found_sha256=item.found_sha256) for item in payload.items]
    changed = preservation.preservation_report(
        acting_user=request.user, origin=request.origin, facility=facility,
        items=items)
    return {"received": len(items), "changed": changed}
