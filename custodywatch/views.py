"""The home page (the national dashboard for those who read statistics), the health check and
the answer to a request that failed on the server."""

from __future__ import annotations

import sys

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.http import AuthedRequest, Request
from custodywatch.accounts.middleware import reads_public_only
from custodywatch.complaints import terminals
from custodywatch.complaints.models import Terminal
from custodywatch.core.region_map import RegionValue
from custodywatch.custody import mass as custody_mass
from custodywatch.custody import selectors as custody_selectors
from custodywatch.custody import views_mass
from custodywatch.liveview import views as liveview_views
from custodywatch.liveview import watch_requests
from custodywatch.liveview.forms import CodeForm
from custodywatch.medical import risk
from custodywatch.registry import selectors as registry_selectors
from custodywatch.reports import dashboard
from custodywatch.reports import selectors as report_selectors
from custodywatch.video import selectors as video_selectors


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    """Prosecutors, the Ombudsperson and others who read reports get the national dashboard;
    facility staff their unit's custody, registry and video tiles."""
    now = timezone.now()
    # Issue 22, item 8: a lawyer's and a hotline operator's accounts read no facility; their
    # dashboard is their page.
    if has_capability(request.user, Capability.LOOKUP_WHEREABOUTS_AS_LAWYER):
        return views_mass.whereabouts_lawyer(request)
    if has_capability(request.user, Capability.CHECK_RELATIVE_IDENTITY):
        return views_mass.whereabouts_operator(request)
    if reads_public_only(request.user):
        # A registered NGO: the public pages it may comment on, nothing of any scope.
        return render(request, "public_home.html")
    if report_selectors.may_read_reports(request.user):
        indicator = request.GET.get("indicator", "blind_rooms")
        if indicator not in dashboard.INDICATORS:
            indicator = "blind_rooms"
        figures = dashboard.figures(user=request.user, now=now)
        return render(request, "reports/dashboard.html", {
            "tiles": dashboard.tiles(user=request.user, now=now, data=figures),
            "blind_map": dashboard.region_map(request=request, indicator=indicator, now=now,
                                              data=figures),
            "indicator": indicator, "indicators": dashboard.INDICATORS,
            "indicator_label": dashboard.INDICATORS[indicator], "as_of": figures.now,
            "refresh": report_selectors.last_refresh(),
            # Issue 21: risk moments for the prosecutors, the NPM and the Ombudsperson.
            "risk": risk.dashboard_summary(user=request.user),
            # Issue 22, item 7: the review queues of the mass detentions that are on.
            "mass_detentions": [
                (event, custody_mass.review_progress(user=request.user, event=event))
                for event in custody_mass.mass_detentions_visible(user=request.user).filter(
                    ended_at__isnull=True)]})
    totals = registry_selectors.registry_totals(user=request.user)
    video = video_selectors.video_totals(user=request.user, now=now)
    custody = custody_selectors.custody_totals(user=request.user, now=now)
    return render(request, "home.html", {"totals": totals, "video": video, "custody": custody,
                                         "blind_map": _blind_map(request)})


def _blind_map(request: AuthedRequest) -> list[RegionValue]:
    """The share of custody rooms no camera covers, per region, for the tile-grid map."""
    list_url = reverse("video:overview")  # a click lands on the region's video lists
    regions = []
    for region, rooms, blind in registry_selectors.blind_rooms_by_region(user=request.user):
        regions.append(RegionValue(
            code=region.code, label=region.short_name, row=region.grid_row, col=region.grid_col,
            value=blind / rooms if rooms else None,
            caption=f"{blind}/{rooms}" if rooms else "—",
            url=f"{list_url}?{urlencode({'region': region.code})}",
        ))
    return regions


def health(request: Request) -> JsonResponse:
    """For load balancers: the process answers and the database is reachable (503 if not)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "database unavailable"}, status=503,
                            headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return JsonResponse({"status": "ok"})


RETRY_AFTER_SECONDS = 5


def server_error(request: Request) -> HttpResponse:
    """handler500. A database that is down or restarting (OperationalError, InterfaceError)
    is 503 with Retry-After and says that nothing was saved (every write is one transaction),
    so clients resend, with the same Idempotency-Key; anything else is a plain 500. Drawn
    without templates or the database: both may be what failed."""
    error = sys.exc_info()[1]
    unavailable = isinstance(error, OperationalError | InterfaceError)
    if unavailable:
        status, detail = 503, _("The database is unavailable for a moment; nothing was saved. "
                                "Try again shortly: a request sent again with the same "
                                "Idempotency-Key is safe.")
    else:
        status, detail = 500, _("The server failed to answer this request; the error has been "
                                "logged.")
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if unavailable else {}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail}, status=status, headers=headers)
    page = (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{status}</title>"
            f"</head><body><h1>{status}</h1><p>{escape(detail)}</p></body></html>")
    return HttpResponse(page, status=status, headers=headers)


@never_cache
@require_http_methods(["GET", "POST"])
def waiting_room_screen(request: Request) -> HttpResponse:
    """The on-site "designated place" (issue 23, item 7): an enrolled waiting-room terminal of
    a facility. A relative present types the code the prosecutor's office gave him; the screen
    shows the room of that interrogation only, while it lasts (liveview's watching page), and
    only for a granted request to watch in this facility. Here because it joins a complaints
    terminal (the device) and the live view (the picture), two apps of one layer."""
    terminal = terminals.terminal_of(request)
    if terminal is None or terminal.kind != Terminal.Kind.WAITING_ROOM:
        return render(request, "liveview/screen.html", {"refused": True}, status=403)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        reason = watch_requests.screen_refusal(code=code, facility_id=terminal.facility_id,
                                               origin=request.origin)
        if reason is not None:
            return liveview_views.refused(request, reason)
        return liveview_views.open_code(request, code)
    return render(request, "liveview/screen.html", {"form": form, "facility": terminal.facility},
                  status=422 if request.method == "POST" else 200)
