"""Visits API: the offline recorder's sync, and reads of visits and recommendations."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from ninja import Field, Router, Schema
from ninja.decorators import decorate_view
from ninja.errors import HttpError
from ninja.pagination import paginate

from custodywatch.accounts.http import AuthedRequest
from custodywatch.core import plausible
from custodywatch.core.idempotency import idempotent
from custodywatch.core.pagination import BoundedPageNumberPagination
from custodywatch.visits import selectors, services
from custodywatch.visits.models import Visit

router = Router(tags=["visits"])

MAX_FINDINGS_PER_SYNC = 200


class PhotoIn(Schema):
    data: str = Field(..., description="The image, base64 (a data: URL prefix is accepted).",
                      max_length=7_000_000)
    caption: str = Field("", max_length=200)


class FindingIn(Schema):
    uuid: uuid.UUID
    category: str = Field(..., max_length=30)
    severity: str = Field("medium", max_length=10)
    text: str = Field(..., max_length=20_000)
    room_code: str = Field("", max_length=40)
    base_revision: int = Field(0, ge=0)
    # With its offset, since the system's start, not in the future (core/plausible.py).
    recorded_at: plausible.EventMoment | None = None
    photos: list[PhotoIn] = Field(default_factory=list, max_length=10)


class SyncIn(Schema):
    findings: list[FindingIn] = Field(..., max_length=MAX_FINDINGS_PER_SYNC)


class SyncResultOut(Schema):
    uuid: str
    outcome: str
    revision: int
    conflict_uuid: str


class SyncOut(Schema):
    results: list[SyncResultOut]


class VisitOut(Schema):
    id: int
    facility: str = Field(..., alias="facility.code")
    kind: str
    status: str
    starts_on: dt.date
    ends_on: dt.date


class RecommendationOut(Schema):
    id: int
    source: str
    facility: str | None
    addressee_body: str = Field(..., alias="addressee_body.code")
    responsible_official: str
    category: str
    text: str
    cat_reference: str
    issued_on: dt.date
    deadline: dt.date
    response_level: str
    status: str
    group: int | None = Field(None, alias="group_id")

    @staticmethod
    def resolve_facility(recommendation) -> str | None:
        return recommendation.facility.code if recommendation.facility else None


def _photo_bytes(data: str, index: int, photo_index: int) -> bytes:
    if data.startswith("data:"):
        data = data.partition(",")[2]
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError({f"findings[{index}].photos[{photo_index}]": (
            "Not valid base64.")}) from None


@router.post("/{visit_id}/findings/sync", response=SyncOut, url_name="visits_findings_sync")
@decorate_view(idempotent)
def findings_sync(request: AuthedRequest, visit_id: int, payload: SyncIn):
    """Bring an offline tablet's findings in. Repeating a sync is harmless: each finding is
    known by the uuid the tablet gave it; an edit made on a stale copy comes back as a
    `conflict` and is kept beside the current version (nothing is lost)."""
    origin = request.origin
    try:
        visit = selectors.visit_detail(user=request.user, pk=visit_id, origin=origin)
    except Visit.DoesNotExist:
        raise HttpError(404, "No such visit in your scope.") from None
    items = [services.FindingInput(
        uuid=item.uuid, category=item.category, severity=item.severity, text=item.text,
        room_code=item.room_code, base_revision=item.base_revision,
        recorded_at=item.recorded_at,
        photos=[services.PhotoInput(content=_photo_bytes(photo.data, index, n),
                                    caption=photo.caption)
                for n, photo in enumerate(item.photos)])
        for index, item in enumerate(payload.findings)]
    outcomes = services.findings_sync(acting_user=request.user, origin=origin, visit=visit,
                                      items=items)
    return {"results": [outcome.__dict__ for outcome in outcomes]}


@router.get("/", response=list[VisitOut])
@paginate(BoundedPageNumberPagination, page_size=100)
def visit_list(request: AuthedRequest):
    return selectors.visits_visible(user=request.user).order_by("-starts_on", "-pk")


@router.get("/recommendations", response=list[RecommendationOut])
@paginate(BoundedPageNumberPagination, page_size=100)
def recommendation_list(
    request: AuthedRequest, source: str = "", status: str = "", region: str = "", body: str = "",
    facility: str = "", overdue: bool = False,
):
    filters = selectors.RecommendationFilters(source=source, status=status, region=region,
                                              body=body, facility=facility, overdue=overdue)
    return selectors.recommendation_search(user=request.user, filters=filters)
