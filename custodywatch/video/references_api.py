"""``POST /api/references/sync``: an agent sends its cameras' reference and current views and
receives the decisions people took about them (video/references.py)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from django.core.exceptions import ValidationError
from ninja import Field, Router, Schema

from custodywatch.accounts.http import AuthedRequest
from custodywatch.video import references, services

router = Router(tags=["video"])

MAX_PNG_BASE64 = references.MAX_PNG_BYTES * 4 // 3 + 4


class CameraViewsIn(Schema):
    camera: str = Field(..., max_length=40)
    reference_png: str | None = Field(None, max_length=MAX_PNG_BASE64,
                                      description="The reference view, PNG, base64.")
    reference_status: str = Field("", max_length=10, description="learned or approved")
    current_png: str | None = Field(None, max_length=MAX_PNG_BASE64,
                                    description="A recent view, PNG, base64.")


class ReferenceSyncIn(Schema):
    cameras: list[CameraViewsIn] = Field(default_factory=list, max_length=500)
    # Ids are BIGINT: 2**63 overflowed the query (a 500) instead of a 422 naming the field.
    applied: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(
        default_factory=list, max_length=1000, description="Decisions the agent has applied.")


class DecisionOut(Schema):
    id: int
    camera: str
    kind: str
    image_png: str | None
    image_sha256: str
    decided_by: str
    reason: str


class ReferenceSyncOut(Schema):
    decisions: list[DecisionOut]


def _decode(value: str | None, where: str) -> bytes | None:
    if value is None:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError({where: ["Not base64."]}) from None


@router.post("/sync", response=ReferenceSyncOut)
def references_sync(request: AuthedRequest, payload: ReferenceSyncIn):
    # Only a facility's edge agent syncs its cameras' views (accounts.scoping's one rule).
    facility = services.agent_facility(acting_user=request.user,
                                       origin=request.origin,
                                       token=getattr(request, "machine_token", None))
    cameras = [references.CameraViews(
        camera=item.camera, reference_status=item.reference_status,
        reference_png=_decode(item.reference_png, f"cameras[{index}].reference_png"),
        current_png=_decode(item.current_png, f"cameras[{index}].current_png"))
        for index, item in enumerate(payload.cameras)]
    pending = references.reference_sync(
        acting_user=request.user, origin=request.origin, facility=facility,
        cameras=cameras, applied=payload.applied)
    return {"decisions": [{
        "id": decision.pk, "camera": decision.camera.code, "kind": decision.kind,
        "image_png": base64.b64encode(bytes(decision.image_png)).decode()
        if decision.image_png else None,
        "image_sha256": decision.image_sha256, "decided_by": decision.decided_by.get_username(),
        "reason": decision.reason} for decision in pending]}
