"""Camera reference views: what the agent sees, and a person's decisions about it.

An agent judges "moved" and "blurred" against each camera's reference view. It learns one by
itself; a person must be able to approve it, or, after a camera was re-aimed on purpose,
adopt the current view as the new reference, or have the agent relearn. The agent sends both
images (``/api/references/sync``) and receives the decisions in the same call.

Who decides: an overseer in scope (prosecutors, the system administrator), never the staff
of the facility: a facility that could approve its own camera's new view could approve a
camera turned to the wall. Staff of the facility see the views. Every decision is audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.accounts.policies import FACILITY_POLICY
from custodywatch.accounts.scoping import facility_q
from custodywatch.core import images
from custodywatch.registry.models import Camera, CameraView, Facility, ReferenceDecision

MAX_PNG_BYTES = 2 * 1024 * 1024
REFERENCE_STATUSES = ("learned", "approved")


@dataclass(frozen=True)
class CameraViews:
    camera: str
    reference_png: bytes | None = None
    reference_status: str = ""
    current_png: bytes | None = None


def _png_error(data: bytes) -> str:
    if len(data) > MAX_PNG_BYTES:
        return _("The image is larger than 2 MiB.")
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _("Not a PNG image.")
    if problem := images.size_problem(data):  # before OpenCV is asked for 10^10 pixels
        return problem
    try:
        decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    except cv2.error:
        decoded = None
    if decoded is None:
        return _("Not a PNG image.")
    return ""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def reference_sync(*, acting_user: User, origin: Origin, facility: Facility,
                   cameras: Sequence[CameraViews], applied: Sequence[int],
                   now: dt.datetime | None = None) -> list[ReferenceDecision]:
    """Store what the agent sent, mark the decisions it applied, return those still pending.

    All or nothing; errors name the item and field. Repeating a call changes nothing more.
    """
    now = now or timezone.now()
    known = {camera.code: camera for camera in Camera.objects.filter(facility=facility)}
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(cameras):
        if item.camera not in known:
            errors[f"cameras[{index}].camera"] = [
                _("No camera %(code)s in facility %(facility)s.")
                % {"code": item.camera, "facility": facility.code}]
        if item.reference_png is not None:
            if item.reference_status not in REFERENCE_STATUSES:
                errors[f"cameras[{index}].reference_status"] = [_("Use learned or approved.")]
            if message := _png_error(item.reference_png):
                errors[f"cameras[{index}].reference_png"] = [message]
        if item.current_png is not None and (message := _png_error(item.current_png)):
            errors[f"cameras[{index}].current_png"] = [message]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for item in cameras:
            view, _created = CameraView.objects.get_or_create(camera=known[item.camera])
            if item.reference_png is not None:
                view.reference_png, view.reference_sha256 = item.reference_png, _sha256(
                    item.reference_png)
                view.reference_status, view.reference_at = item.reference_status, now
            if item.current_png is not None:
                view.current_png, view.current_sha256 = item.current_png, _sha256(
                    item.current_png)
                view.current_at = now
            view.save()
        if applied:
            ReferenceDecision.objects.filter(pk__in=list(applied), camera__facility=facility,
                                             applied_at__isnull=True).update(applied_at=now)
    return list(ReferenceDecision.objects.filter(camera__facility=facility,
                                                 applied_at__isnull=True)
                .select_related("camera").order_by("decided_at", "id"))


def may_decide(user: User, camera: Camera) -> bool:
    return FACILITY_POLICY.can(user, "decide_camera_reference", camera.facility_id)


def reference_decide(*, acting_user: User, origin: Origin, camera: Camera, kind: str,
                     reason: str, now: dt.datetime | None = None) -> ReferenceDecision:
    now = now or timezone.now()
    if not may_decide(acting_user, camera):
        audit_record(actor=acting_user, action=AuditEvent.Action.DENIED, origin=origin,
                     obj=camera, detail={"reference": kind})
        raise PermissionDenied(_("Only a prosecutor in scope decides a camera's reference."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why.")]})
    view = CameraView.objects.filter(camera=camera).first()
    image = None
    if kind == ReferenceDecision.Kind.APPROVE:
        image = view.reference_png if view else None
        if not image:
            raise ValidationError({"kind": [_("The agent has not sent a reference yet.")]})
    elif kind == ReferenceDecision.Kind.ADOPT_CURRENT:
        image = view.current_png if view else None
        if not image:
            raise ValidationError({"kind": [_("The agent has not sent a current view yet.")]})
    elif kind != ReferenceDecision.Kind.RELEARN:
        raise ValidationError({"kind": [_("Unknown decision.")]})
    image = bytes(image) if image else None
    with transaction.atomic():
        decision = ReferenceDecision.objects.create(
            camera=camera, kind=kind, image_png=image,
            image_sha256=_sha256(image) if image else "", reason=reason[:300],
            decided_by=acting_user, decided_at=now)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=decision, detail={"camera": str(camera), "kind": kind,
                                           "image_sha256": decision.image_sha256})
    return decision


def camera_for_views(*, user: User, facility_code: str, camera_code: str,
                     origin: Origin) -> Camera:
    """The one scoped read of a camera's views (audited); Camera.DoesNotExist outside scope."""
    camera = (Camera.objects.filter(facility_q(user, "facility"), facility__code=facility_code,
                                    code=camera_code)
              .select_related("facility").first())
    if camera is None:
        if Camera.objects.filter(facility__code=facility_code, code=camera_code).exists():
            audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                         object_type="registry.camera",
                         object_label=f"{facility_code}/{camera_code}")
        raise Camera.DoesNotExist(camera_code)
    audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin, obj=camera,
                 detail={"views": True})
    return camera
