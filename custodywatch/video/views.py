"""The video pages: the overview of a person's scope and a facility's camera wall."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from custodywatch.accounts.http import AuthedRequest
from custodywatch.accounts.scoping import facility_q
from custodywatch.registry import selectors as registry_selectors
from custodywatch.registry.models import Camera, CameraView, Facility
from custodywatch.video import references, selectors
from custodywatch.video.forms import ReferenceDecisionForm
from custodywatch.video.incidents import open_incidents
from custodywatch.video.presentation import STATE_COLORS, legend

LIVE_TARGET = "video-live"


def _place_q(place: selectors.Place) -> Q:
    q = Q()
    if place.region_code:
        q &= Q(region__code=place.region_code)
    if place.facility_code:
        q &= Q(code=place.facility_code)
    return q


@login_required
def overview(request: AuthedRequest) -> HttpResponse:
    now = timezone.now()
    # A region (the dashboard's map) or a unit (the scorecard), by code; the lists stay
    # within the reader's scope, so another's code shows nothing.
    place = selectors.Place(region_code=request.GET.get("region", "").strip()[:10],
                            facility_code=request.GET.get("facility", "").strip()[:40])
    overview = selectors.video_overview(user=request.user, now=now, place=place)
    query = urlencode({key: value for key, value in (("region", place.region_code),
                                                     ("facility", place.facility_code))
                       if value})
    context = {
        "now": overview.now,
        "place": place,
        "query": query,
        "regions": registry_selectors.regions_visible(user=request.user),
        "totals": overview.totals,
        "out_of_order": overview.out_of_order,
        "blind_rooms": overview.blind_rooms,
        "never_covered": overview.never_covered,
        "gaps": overview.gaps,
        "gap_cameras": overview.gap_cameras,
        "colors": STATE_COLORS,
        "legend": legend(),
        "limit": selectors.LIST_LIMIT,
        "incidents": open_incidents(facilities=facility_q(request.user) & _place_q(place)),
    }
    if request.htmx and request.htmx.target == LIVE_TARGET:
        return render(request, "video/overview.html#live", context)
    return render(request, "video/overview.html", context)


@login_required
def camera_wall(request: AuthedRequest, code: str) -> HttpResponse:
    try:
        facility = registry_selectors.facility_detail(
            user=request.user, code=code, origin=request.origin)
    except Facility.DoesNotExist:
        raise Http404(_("No such facility in your scope.")) from None
    now = timezone.now()
    context = {"facility": facility, "now": now, "colors": STATE_COLORS, "legend": legend(),
               "tiles": selectors.camera_wall(facility=facility, now=now),
               "days": selectors.WALL_DAYS,
               "disk_alert": selectors.open_disk_alert(facility=facility)}
    if request.htmx and request.htmx.target == LIVE_TARGET:
        return render(request, "video/camera_wall.html#live", context)
    return render(request, "video/camera_wall.html", context)


def _camera_for_views(request: AuthedRequest, code: str, camera: str) -> Camera:
    try:
        return references.camera_for_views(user=request.user, facility_code=code,
                                           camera_code=camera,
                                           origin=request.origin)
    except Camera.DoesNotExist:
        raise Http404(_("No such camera in your scope.")) from None


@login_required
@require_http_methods(["GET", "POST"])
def camera_views(request: AuthedRequest, code: str, camera: str) -> HttpResponse:
    """The camera's reference beside its current view, and the decisions about them."""
    found = _camera_for_views(request, code, camera)
    form = ReferenceDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            references.reference_decide(
                acting_user=request.user, origin=request.origin, camera=found,
                kind=form.cleaned_data["kind"], reason=form.cleaned_data["reason"])
        except ValidationError as error:
            for field, messages_ in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages_)
        else:
            messages.success(request, _("Decision recorded; the agent applies it on its next "
                                        "call."))
            return redirect("video:camera_views", code=code, camera=camera)
    view = CameraView.objects.filter(camera=found).first()
    context = {"camera": found, "facility": found.facility, "view": view, "form": form,
               "may_decide": references.may_decide(request.user, found),
               "decisions": found.reference_decisions.select_related("decided_by")[:20]}
    return render(request, "video/camera_views.html", context, status=400 if form.errors else 200)


@login_required
def camera_view_image(request: AuthedRequest, code: str, camera: str, which: str) -> HttpResponse:
    found = _camera_for_views(request, code, camera)
    view = CameraView.objects.filter(camera=found).first()
    data = getattr(view, f"{which}_png", None) if which in ("reference", "current") else None
    if not data:
        raise Http404(_("No such image."))
    response = HttpResponse(bytes(data), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response
