"""The national dashboard: what each tile shows, its picture and the list behind it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.http import AuthedRequest
from custodywatch.accounts.models import User
from custodywatch.core.region_map import RegionValue
from custodywatch.core.shared_figures import scope_key, shared
from custodywatch.custody import selectors as custody_selectors
from custodywatch.registry import selectors as registry_selectors
from custodywatch.registry.models import Region
from custodywatch.reports import charts, selectors
from custodywatch.reports.links import cases_url
from custodywatch.video import selectors as video_selectors

# The map's indicators: label, and where a click on a region goes.
INDICATORS = {
    "blind_rooms": _("Custody rooms no camera covers (share)"),
    "detentions": _("Detentions, last 12 months"),
    "overruns": _("Held past the limit, last 12 months (share of detentions)"),
    "allegations": _("Allegations of ill-treatment, last 12 months"),
    "blind_minutes": _("Blind custody minutes, this month"),
}


# The overdue recommendations' picture: the bodies with the most, one bar each.
OVERDUE_BODIES = 5


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    figure: int
    url: str
    picture: SafeString
    alert: bool = False
    testid: str = ""

    @property
    def module(self) -> str:
        """The module whose page the tile opens (the menu's key): a reader who may not open
        it sees the figure without a link."""
        return TILE_MODULES[self.key]


TILE_MODULES = {
    "in_custody": "custody", "overdue": "custody", "blind_rooms": "video", "cameras": "video",
    "blind_minutes": "video", "complaints": "complaints", "allegations": "complaints",
    "funnel": "complaints", "cases": "cases", "rule_flags": "cases", "recommendations": "visits",
    "facilities": "registry",
}


def _url(name: str, **query: str | int) -> str:
    base = reverse(name)
    return f"{base}?{urlencode(query)}" if query else base


def _complaints_url(user: User, **query: str | int) -> str:
    if has_capability(user, Capability.HANDLE_COMPLAINTS):
        return _url("complaints:inbox", **query)
    return _url("complaints:statistics")


@dataclass(frozen=True)
class Figures:
    """Every figure of the dashboard in the reader's scope (the pages draw them, the API
    returns them), taken at ``now``."""

    now: dt.datetime
    custody: dict[str, int]
    video: video_selectors.VideoTotals
    rooms: dict[int, video_selectors.RoomCounts]  # per region id
    facilities: int
    trends: dict[str, selectors.Trend]
    case_statuses: dict[str, int]
    flagged_cases: int
    overdue_by_body: list[tuple[str, int]]
    # Complaints of the last 12 months: received, investigated, with a case, with a verdict.
    funnel: tuple[int, int, int, int] = (0, 0, 0, 0)

    @property
    def recommendations_overdue(self) -> int:
        return sum(n for _body, n in self.overdue_by_body)


def figures(*, user: User, now: dt.datetime) -> Figures:
    """Shared for ``CUSTODYWATCH_OVERVIEW_CACHE_SECONDS`` by readers of one scope, like the
    video overview (core/shared_figures.py): fifteen queries that a hundred prosecutors
    opening the dashboard need not each repeat. ``Figures.now`` says when they were taken."""
    def compute() -> Figures:
        today = timezone.localdate(now)
        # The rooms are counted once, per region: the map and the totals read the same rows.
        rooms = video_selectors.rooms_by_region(user=user, now=now)
        return Figures(
            now=now, custody=custody_selectors.custody_totals(user=user, now=now),
            video=video_selectors.video_totals(user=user, now=now, rooms=rooms), rooms=rooms,
            facilities=registry_selectors.facilities_visible(user=user).count(),
            trends=selectors.monthly_trends(user=user, today=today),
            case_statuses=selectors.cases_by_status(user=user),
            flagged_cases=selectors.flagged_case_count(user=user),
            overdue_by_body=selectors.recommendations_overdue_by_body(user=user, today=today),
            funnel=selectors.complaint_funnel(user=user, since=now - dt.timedelta(days=365)))

    return shared(f"dashboard:{scope_key(user)}", settings.CUSTODYWATCH_OVERVIEW_CACHE_SECONDS,
                  compute)


def tiles(*, user: User, now: dt.datetime, data: Figures | None = None) -> list[Tile]:
    data = data or figures(user=user, now=now)
    custody, video, trends = data.custody, data.video, data.trends
    statuses = data.case_statuses
    overdue_recommendations = data.recommendations_overdue
    blind_minutes = [round(v / 60) for v in trends["blind_seconds"].values]
    labels = trends["detentions"].labels
    return [
        Tile("in_custody", str(_("People in custody now")), custody["in_custody"],
             reverse("custody:index"),
             charts.trend_line(trends["detentions"].values, labels,
                               str(_("Detentions by month")))),
        Tile("overdue", str(_("Held past the legal limit now")), custody["overdue"],
             _url("custody:overruns", days=30),
             charts.trend_line(trends["overruns"].values, labels,
                               str(_("Overruns by month"))), alert=custody["overdue"] > 0),
        Tile("blind_rooms", _("Custody rooms blind now (%(rule)s)") % {"rule": video.rule_label},
             video.blind_rooms,
             reverse("video:overview") + "#blind-rooms",
             charts.bars([(str(_("blind")), video.blind_rooms),
                          (str(_("covered")), video.custody_rooms - video.blind_rooms)],
                         str(_("Custody rooms blind and covered"))),
             alert=video.blind_rooms > 0),
        Tile("cameras", str(_("Cameras out of order now")), video.out_of_order,
             reverse("video:overview"),
             charts.bars([(str(_("out of order")), video.out_of_order),
                          (str(_("working")), video.working)], str(_("Cameras"))),
             alert=video.out_of_order > 0),
        Tile("blind_minutes", str(_("Blind custody minutes this month")), blind_minutes[-1],
             reverse("video:overview"),
             charts.trend_line(blind_minutes, labels, str(_("Blind custody minutes by month")))),
        Tile("complaints", str(_("Complaints this month")), trends["complaints"].last,
             _complaints_url(user),
             charts.trend_line(trends["complaints"].values, labels,
                               str(_("Complaints by month")))),
        Tile("allegations", str(_("Allegations of ill-treatment this month")),
             trends["allegations"].last, _complaints_url(user, allegations="on"),
             charts.trend_line(trends["allegations"].values, labels,
                               str(_("Allegations by month")))),
        Tile("funnel", str(_("Complaints of the last 12 months that reached a verdict")),
             data.funnel[3], _complaints_url(user),
             charts.bars(list(zip([str(_("complaints")), str(_("investigations")),
                                   str(_("cases")), str(_("verdicts"))], data.funnel,
                                  strict=True)),
                         str(_("Complaints of the last 12 months: investigated, with a case, "
                               "with a verdict"))), testid="funnel"),
        Tile("cases", str(_("Open cases")), selectors.open_case_count(statuses),
             cases_url(),
             charts.bars([item for item in selectors.case_outcomes(statuses) if item[1]],
                         str(_("Cases by status")))),
        Tile("rule_flags", str(_("Cases breaking a legal rule")), data.flagged_cases,
             cases_url(flagged="on"),
             charts.bars([(str(_("rule broken")), data.flagged_cases),
                          (str(_("other cases")), sum(statuses.values()) - data.flagged_cases)],
                         str(_("Cases whose imported charges break art. 146's rules"))),
             alert=data.flagged_cases > 0),
        Tile("recommendations", str(_("Recommendations overdue")), overdue_recommendations,
             _url("visits:tracker", overdue="on"),
             charts.bars(data.overdue_by_body[:OVERDUE_BODIES],
                         str(_("Overdue recommendations by the body they are addressed to"))),
             alert=overdue_recommendations > 0),
        Tile("facilities", str(_("Facilities")), data.facilities,
             reverse("registry:facility_list"),
             charts.bars([(str(_("custody rooms")), video.custody_rooms),
                          (str(_("cameras")), video.cameras)],
                         str(_("Custody rooms and cameras in service"))),
             testid="facility-count"),
    ]


def region_map(*, request: AuthedRequest, indicator: str, now: dt.datetime,
               data: Figures | None = None) -> list[RegionValue]:
    """The regions for the tile-grid map, shaded by ``indicator``; a click opens the list of
    that region behind the indicator."""
    user = request.user
    if indicator == "blind_rooms" or indicator not in INDICATORS:
        # Custody rooms of units in service that no camera in service covers, per region.
        list_url = reverse("video:overview")
        counts = data.rooms if data else video_selectors.rooms_by_region(user=user, now=now)
        result = []
        for region in Region.objects.order_by("code"):
            found = counts.get(region.pk)
            rooms, blind = (found.custody_rooms, found.never_covered) if found else (0, 0)
            result.append(RegionValue(
                code=region.code, label=region.short_name, row=region.grid_row,
                col=region.grid_col, value=blind / rooms if rooms else None,
                caption=f"{blind}/{rooms}" if rooms else "—",
                url=f"{list_url}?{urlencode({'region': region.code})}"))
        return result
    today = timezone.localdate(now)
    months = selectors.months_back(today)
    since = months[-1] if indicator == "blind_minutes" else months[0]
    figure = {"blind_minutes": "blind_seconds"}.get(indicator, indicator)
    values = selectors.region_figures(user=user, since=since, figure=figure)
    detentions = selectors.region_figures(user=user, since=since, figure="detentions")
    in_scope = {region.pk for region in selectors.regions_in_scope(user=user)}
    result = []
    for region in Region.objects.order_by("code"):
        value: float | None = None
        caption = "—"
        if region.pk in in_scope:
            raw = values.get(region.pk) or 0
            if indicator == "overruns":
                total = detentions.get(region.pk) or 0
                value = raw / total if total else None
                caption = f"{raw}/{total}" if total else "—"
            elif indicator == "blind_minutes":
                value = round(raw / 60)
                caption = f"{value:,}".replace(",", "\u202f")
            else:
                value, caption = raw, f"{raw:,}".replace(",", "\u202f")
        result.append(RegionValue(code=region.code, label=region.short_name,
                                  row=region.grid_row, col=region.grid_col, value=value,
                                  caption=caption, url=_region_list(user, indicator,
                                                                    region.code)))
    return result


def _region_list(user: User, indicator: str, code: str) -> str:
    if indicator in ("detentions", "overruns"):
        return _url("custody:overruns", region=code, days=365)
    if indicator == "allegations":
        return _complaints_url(user, region=code, allegations="on")
    return _url("video:overview", region=code)  # blind zones: the region's video lists
