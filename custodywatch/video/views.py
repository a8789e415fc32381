"""The video pages: the overview of a person's scope and a facility's camera wall."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin
from custodywatch.registry import selectors as registry_selectors
from custodywatch.registry.models import Facility
from custodywatch.video import selectors
from custodywatch.video.presentation import STATE_COLORS, legend

LIVE_TARGET = "video-live"


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    out_of_order = selectors.cameras_out_of_order(user=request.user, now=now)
    blind_rooms = selectors.custody_rooms_blind_now(user=request.user, now=now)
    gaps, gap_cameras = selectors.recording_gaps(user=request.user, now=now)
    context = {
        "now": now,
        "totals": selectors.video_totals(user=request.user, now=now),
        "out_of_order": out_of_order[: selectors.LIST_LIMIT],
        "blind_rooms": blind_rooms.filter(has_camera=True)[: selectors.LIST_LIMIT],
        "never_covered": blind_rooms.filter(has_camera=False)[: selectors.LIST_LIMIT],
        "gaps": gaps,
        "gap_cameras": gap_cameras,
        "colors": STATE_COLORS,
        "legend": legend(),
        "limit": selectors.LIST_LIMIT,
    }
    if request.htmx and request.htmx.target == LIVE_TARGET:
        return render(request, "video/overview.html#live", context)
    return render(request, "video/overview.html", context)


@login_required
def camera_wall(request: HttpRequest, code: str) -> HttpResponse:
    try:
        facility = registry_selectors.facility_detail(
            user=request.user, code=code, origin=Origin.from_request(request))
    except Facility.DoesNotExist:
        raise Http404(_("No such facility in your scope.")) from None
    now = timezone.now()
    context = {"facility": facility, "now": now, "colors": STATE_COLORS, "legend": legend(),
               "tiles": selectors.camera_wall(facility=facility, now=now),
               "days": selectors.WALL_DAYS}
    if request.htmx and request.htmx.target == LIVE_TARGET:
        return render(request, "video/camera_wall.html#live", context)
    return render(request, "video/camera_wall.html", context)
