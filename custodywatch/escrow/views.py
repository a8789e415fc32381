from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.http import AuthedRequest
from custodywatch.accounts.scoping import facility_q
from custodywatch.custody.models import CustodyRecord
from custodywatch.escrow import selectors, services
from custodywatch.escrow.forms import BodyCameraAssignForm
from custodywatch.escrow.models import BodyCameraAssignment
from custodywatch.registry.models import Camera, Facility


@login_required
def record_footage(request: AuthedRequest, pk: int) -> HttpResponse:
    """Which minutes of a custody record's stays and interrogations are escrowed off-site,
    held at the facility only, or lost. Same scope as the record's page."""
    try:
        record, rows = selectors.record_footage(user=request.user, pk=pk,
                                                origin=request.origin)
    except CustodyRecord.DoesNotExist:
        raise Http404 from None
    totals = [sum(getattr(row, name) for row in rows)
              for name in ("escrowed_minutes", "local_minutes", "lost_minutes")]
    return render(request, "escrow/record_footage.html",
                  {"record": record, "rows": rows, "totals": totals,
                   "body_rows": selectors.record_body_footage(record)})


@login_required
def blackouts(request: AuthedRequest) -> HttpResponse:
    """Facility blackouts in the reader's scope and, for each, what exists off-site and what
    may be lost, camera by camera."""
    rows = selectors.blackout_footage(user=request.user, origin=request.origin)
    return render(request, "escrow/blackouts.html", {"rows": rows})


def _body_camera_readers(request: AuthedRequest) -> None:
    if not selectors.may_read_body_cameras(request.user):
        raise PermissionDenied


def _assignable(request: AuthedRequest) -> QuerySet[Camera]:
    return Camera.objects.filter(
        facility__in=Facility.objects.filter(facility_q(request.user)), is_active=True,
        rooms__isnull=True).order_by("code")


@login_required
@require_http_methods(["GET", "POST"])
def body_cameras(request: AuthedRequest) -> HttpResponse:
    """The body-worn cameras in the reader's scope, their shifts and uploaded files; hand one
    to an officer for a shift (ASSIGN_BODY_CAMERAS). Prosecutors also see the gaps."""
    _body_camera_readers(request)
    can_assign = has_capability(request.user, Capability.ASSIGN_BODY_CAMERAS)
    form = BodyCameraAssignForm(request.POST or None, cameras=_assignable(request))
    status = 200
    if request.method == "POST":
        if not can_assign:
            raise PermissionDenied
        camera_pk = request.POST.get("camera", "")
        if (camera_pk.isdigit() and Camera.objects.filter(pk=camera_pk).exists()
                and not _assignable(request).filter(pk=camera_pk).exists()):
            raise Http404  # another facility's camera, or one fixed in a room
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.body_camera_assign(
                    acting_user=request.user, origin=request.origin,
                    camera=data["camera"], personnel_number=data["personnel_number"],
                    full_name=data["full_name"], started_at=data["started_at"],
                    ended_at=data["ended_at"])
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Camera %(camera)s assigned to %(officer)s.")
                                 % {"camera": data["camera"].code, "officer": data["full_name"]})
                return redirect("escrow:body_cameras")
    rows = selectors.body_cameras(user=request.user, origin=request.origin)
    return render(request, "escrow/body_cameras.html", {
        "rows": rows, "form": form, "can_assign": can_assign,
        "gaps": selectors.body_camera_gaps_for(user=request.user), "now": timezone.now()},
        status=status)


@login_required
@require_POST
def body_camera_unassign(request: AuthedRequest, pk: int) -> HttpResponse:
    """Take a body-worn camera back now (a shift not begun is cancelled)."""
    if not has_capability(request.user, Capability.ASSIGN_BODY_CAMERAS):
        raise PermissionDenied
    assignment = get_object_or_404(
        BodyCameraAssignment.objects.select_related("camera"), pk=pk,
        camera__facility__in=Facility.objects.filter(facility_q(request.user)))
    try:
        services.body_camera_unassign(acting_user=request.user,
                                      origin=request.origin,
                                      assignment=assignment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Camera %(camera)s taken back.")
                         % {"camera": assignment.camera.code})
    return redirect("escrow:body_cameras")
