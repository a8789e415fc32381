"""The home page (the national dashboard for those who read statistics) and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from custodywatch.custody import selectors as custody_selectors
from custodywatch.registry import selectors as registry_selectors
from custodywatch.reports import dashboard
from custodywatch.reports import selectors as report_selectors
from custodywatch.reports.maps import RegionValue
from custodywatch.video import selectors as video_selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Prosecutors, the Ombudsperson and others who read reports get the national dashboard;
    facility staff their unit's custody, registry and video tiles."""
    now = timezone.now()
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
            "indicator_label": dashboard.INDICATORS[indicator],
            "refresh": report_selectors.last_refresh()})
    totals = registry_selectors.registry_totals(user=request.user)
    video = video_selectors.video_totals(user=request.user, now=now)
    custody = custody_selectors.custody_totals(user=request.user, now=now)
    return render(request, "home.html", {"totals": totals, "video": video, "custody": custody,
                                         "blind_map": _blind_map(request)})


def _blind_map(request: HttpRequest) -> list[RegionValue]:
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


def health(request: HttpRequest) -> JsonResponse:
    """For load balancers: the process answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
