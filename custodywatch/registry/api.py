"""Registry read endpoints, and the camera inventory an edge agent reports."""

from __future__ import annotations

import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import ConfigDict

from custodywatch.accounts.http import AuthedRequest
from custodywatch.core.idempotency import idempotent
from custodywatch.core.pagination import BoundedPageNumberPagination
from custodywatch.registry import camera_changes, selectors, services
from custodywatch.registry.models import Facility

router = Router(tags=["registry"])


class RegistryRegionOut(Schema):
    code: str
    kind: str
    name_en: str
    name_ru: str
    name_kk: str


class FacilityOut(Schema):
    code: str
    name: str
    name_kk: str
    name_en: str
    kind: str
    region: str = Field(..., alias="region.code")
    agency: str = Field(..., alias="agency.code")
    address: str
    is_active: bool


class RoomOut(Schema):
    code: str
    name: str
    name_kk: str
    name_en: str
    kind: str
    custody_use: bool
    camera_count: int


class CameraOut(Schema):
    code: str
    name: str
    recorder: str | None
    rooms: list[str]
    is_active: bool

    @staticmethod
    def resolve_recorder(camera) -> str | None:
        return camera.recorder.code if camera.recorder else None

    @staticmethod
    def resolve_rooms(camera) -> list[str]:
        return [room.code for room in camera.rooms.all()]


class FacilityDetailOut(FacilityOut):
    rooms: list[RoomOut]
    cameras: list[CameraOut]

    @staticmethod
    def resolve_rooms(facility: Facility) -> list:
        return list(selectors.facility_rooms(facility=facility))

    @staticmethod
    def resolve_cameras(facility: Facility) -> list:
        return list(selectors.facility_cameras(facility=facility))


class CameraIn(Schema):
    # A PUT states the whole camera: `{}` or a misspelled key (`"room"`) answered 200 and
    # wiped the camera's rooms. Now `rooms` is required ([] says "no rooms" on purpose) and
    # unknown keys are refused with 422 naming them.
    model_config = ConfigDict(extra="forbid")

    name: str = Field("", max_length=200)
    rooms: list[str] = Field(..., max_length=500,
                             description="Every room the camera watches; [] for none.")
    recorder: str = Field("", max_length=40)
    is_active: bool = True


@router.get("/regions", response=list[RegistryRegionOut])
def region_list(request: AuthedRequest):
    return selectors.regions_visible(user=request.user)


@router.get("/facilities", response=list[FacilityOut])
@paginate(BoundedPageNumberPagination, page_size=100)
def facility_list(
    request: AuthedRequest, search: str = "", region: str = "", agency: str = "", kind: str = ""
):
    return selectors.facility_search(
        user=request.user, text=search, region_code=region, agency_code=agency, kind=kind
    )


@router.get("/facilities/{code}", response=FacilityDetailOut)
def facility_get(request: AuthedRequest, code: str):
    try:
        return selectors.facility_detail(
            user=request.user, code=code, origin=request.origin
        )
    except Facility.DoesNotExist:
        raise HttpError(404, "No such facility in your scope.") from None


class CameraChangeOut(Schema):
    id: int
    facility: str = Field(..., alias="facility.code")
    camera: str = Field(..., alias="camera.code")
    kind: str
    name: str
    recorder: str = Field(..., alias="recorder_code")
    rooms: list[str] = Field(..., alias="room_codes")
    is_active: bool
    status: str
    proposed_at: datetime.datetime
    blind_before: int
    blind_after: int
    flagged: bool
    decided_at: datetime.datetime | None
    reason: str


class ProposalOut(Schema):
    status: str = Field(..., description="pending: awaits a prosecutor or NPM monitor; "
                        "unchanged: it asks for what is approved now")
    camera: CameraOut
    change: CameraChangeOut | None


class DecisionIn(Schema):
    approve: bool
    reason: str = Field(..., min_length=1, max_length=300)


@router.put("/facilities/{code}/cameras/{camera_code}",
            response={200: CameraOut, 201: CameraOut, 202: ProposalOut})
@decorate_view(idempotent)
def camera_put(
    request: AuthedRequest, code: str, camera_code: str, payload: CameraIn
):
    """A registry editor writes the camera; the facility's own agent and staff propose the
    change (202), which takes effect when a prosecutor or NPM monitor approves it."""
    facility = get_object_or_404(Facility, code=code)
    token = getattr(request, "machine_token", None)
    if camera_changes.is_facility_side(request.user, token):
        camera, change = camera_changes.camera_change_propose(
            acting_user=request.user, origin=request.origin, token=token,
            facility=facility, code=camera_code, name=payload.name, room_codes=payload.rooms,
            recorder_code=payload.recorder, is_active=payload.is_active)
        return Status(202, {"status": change.status if change else "unchanged",
                            "camera": camera, "change": change})
    camera, created = services.camera_upsert(
        acting_user=request.user,
        origin=request.origin,
        token=getattr(request, "machine_token", None),
        facility=facility,
        code=camera_code,
        name=payload.name,
        room_codes=payload.rooms,
        recorder_code=payload.recorder,
        is_active=payload.is_active,
    )
    return Status(201 if created else 200, camera)


@router.get("/facilities/{code}/camera-changes", response=list[CameraChangeOut])
def camera_change_list(request: AuthedRequest, code: str, pending: bool = False):
    """Proposed camera changes of a facility in the reader's scope, newest first."""
    try:
        facility = selectors.facility_detail(user=request.user, code=code,
                                             origin=request.origin)
    except Facility.DoesNotExist:
        raise HttpError(404, "No such facility in your scope.") from None
    return list(camera_changes.camera_changes_visible(user=request.user, facility=facility,
                                                      pending_only=pending)[:200])


@router.post("/camera-changes/{change_id}/decision", response=CameraChangeOut)
@decorate_view(idempotent)
def camera_change_decision(
    request: AuthedRequest, change_id: int, payload: DecisionIn
):
    """A prosecutor or NPM monitor in scope approves (it takes effect) or rejects."""
    change = camera_changes.camera_changes_visible(user=request.user).filter(
        pk=change_id).first()
    if change is None:
        raise HttpError(404, "No such proposal in your scope.")
    return camera_changes.camera_change_decide(
        acting_user=request.user, origin=request.origin, change=change,
        approve=payload.approve, reason=payload.reason)
