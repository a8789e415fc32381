"""Reports API: the dashboard's figures, the regions' map values, the scorecard (units, one
unit with its heads), and the public open-data tables.

Scoped exactly like the pages: only report readers (READ_REPORTS in accounts.capabilities) get
the dashboard and the scorecard (403 for anyone else, audited); every figure is counted
within the reader's scope; a unit outside it is a 404 (audited), a region outside it lists
no unit. The national distribution beside the figures is anonymous (quantiles only).
"""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from custodywatch.accounts.audit import Origin
from custodywatch.accounts.http import AuthedRequest, Request
from custodywatch.registry.models import Facility, Region
from custodywatch.reports import charts, coverage_history, dashboard, selectors
from custodywatch.reports.links import UnitLinks
from custodywatch.reports.open_data import open_tables
from custodywatch.video.coverage import coverage_rule

router = Router(tags=["reports"])

PERIOD_PATTERN = re.compile(r"[0-9]{4}(-(0[1-9]|1[0-2]))?")


class TrendOut(Schema):
    labels: list[str] = Field(..., description="Months, MM.YYYY, the current one last.")
    values: list[int]


class DashboardOut(Schema):
    as_of: dt.datetime
    figures_as_of: dt.datetime | None = Field(
        ..., description="When the precomputed monthly figures were last rebuilt.")
    in_custody: int
    held_past_limit: int
    unacknowledged_alerts: int
    foreign_nationals_in_custody: int = Field(
        0, description="Foreign nationals held now (consular notification applies).")
    cameras: int
    cameras_working: int
    cameras_out_of_order: int
    custody_rooms: int
    custody_rooms_blind: int
    custody_rooms_never_covered: int
    coverage_rule: str = Field(
        "declared", description="What the room figures rest on: proven (room markers seen by "
        "working cameras) or declared (the approved camera map, the roll-out fallback).")
    blind_custody_minutes_this_month: int
    complaints_this_month: int
    allegations_this_month: int
    open_cases: int
    cases_by_status: dict[str, int]
    cases_breaking_a_legal_rule: int = Field(
        0, description="Cases whose imported charges break a rule of art. 146 (flagged).")
    recommendations_overdue: int
    recommendations_overdue_by_body: dict[str, int] = Field(
        ..., description="Agency code of the body addressed: overdue recommendations.")
    facilities: int
    trends: dict[str, TrendOut] = Field(
        ..., description="Per figure (blind_seconds in seconds), the last twelve months.")


class RegionOut(Schema):
    code: str
    name: str
    value: float | None = Field(..., description="None: no data in your scope.")
    caption: str
    url: str = Field(..., description="The list behind the figure, filtered to the region.")


class PeriodOut(Schema):
    key: str
    first_day: dt.date
    last_day: dt.date


class DistributionOut(Schema):
    p25: float
    median: float
    p75: float
    p90: float
    largest: float


class UnitOut(Schema):
    code: str
    name: str
    region: str
    figures: dict[str, int]
    links: dict[str, str] = Field(..., description="Per figure, the list of its records.")


class ScorecardOut(Schema):
    period: PeriodOut
    sort: str
    page: int
    pages: int
    count: int
    units: list[UnitOut]
    national: dict[str, DistributionOut | None] = Field(
        ..., description="All units of the country, anonymous: quantiles per figure.")


class HeadOut(Schema):
    full_name: str
    position: str
    started_on: dt.date
    ended_on: dt.date | None
    first_day: dt.date = Field(..., description="The days he answers for within the period.")
    last_day: dt.date
    figures: dict[str, int]


class UnitDetailOut(Schema):
    unit: UnitOut
    period: PeriodOut
    national: dict[str, DistributionOut | None]
    heads: list[HeadOut]


def _reader(request: AuthedRequest, what: str) -> Origin:
    origin = request.origin
    selectors.require_reader(request.user, origin, what)
    return origin


def _period(text: str) -> selectors.Period:
    """``YYYY`` or ``YYYY-MM``; empty: this year. Anything else: 422 (the pages fall back to
    this year instead)."""
    if text and not PERIOD_PATTERN.fullmatch(text):
        raise HttpError(422, "period: YYYY or YYYY-MM.")
    return selectors.parse_period(text, timezone.localdate())


def _period_out(period: selectors.Period) -> PeriodOut:
    return PeriodOut(key=period.key, first_day=period.start, last_day=period.last_day)


def _national(period: selectors.Period) -> dict[str, DistributionOut | None]:
    result: dict[str, DistributionOut | None] = {}
    for key, values in selectors.national_distribution(period=period).items():
        summary = charts.quantiles(values)
        result[key] = None if summary is None else DistributionOut(
            **dict(zip(("p25", "median", "p75", "p90", "largest"), summary, strict=True)))
    return result


def _absolute(request: AuthedRequest, links: dict[str, str]) -> dict[str, str]:
    return {key: request.build_absolute_uri(url) for key, url in links.items()}


@router.get("/dashboard", response=DashboardOut)
def reports_dashboard(request: AuthedRequest):
    """The national dashboard's figures in the reader's scope."""
    _reader(request, "dashboard")
    now = timezone.now()
    data = dashboard.figures(user=request.user, now=now)
    refresh = selectors.last_refresh()
    trends = data.trends
    return DashboardOut(
        as_of=data.now, figures_as_of=refresh.finished_at if refresh else None,
        in_custody=data.custody["in_custody"], held_past_limit=data.custody["overdue"],
        unacknowledged_alerts=data.custody["unacknowledged_alerts"],
        foreign_nationals_in_custody=data.custody.get("foreign_in_custody", 0),
        cameras=data.video.cameras, cameras_working=data.video.working,
        cameras_out_of_order=data.video.out_of_order, custody_rooms=data.video.custody_rooms,
        custody_rooms_blind=data.video.blind_rooms,
        custody_rooms_never_covered=data.video.never_covered,
        coverage_rule=data.video.rule,
        blind_custody_minutes_this_month=round(trends["blind_seconds"].last / 60),
        complaints_this_month=trends["complaints"].last,
        allegations_this_month=trends["allegations"].last,
        open_cases=selectors.open_case_count(data.case_statuses),
        cases_by_status=data.case_statuses,
        cases_breaking_a_legal_rule=data.flagged_cases,
        recommendations_overdue=data.recommendations_overdue,
        recommendations_overdue_by_body=dict(data.overdue_by_body),
        facilities=data.facilities,
        trends={name: TrendOut(labels=trend.labels, values=trend.values)
                for name, trend in trends.items()})


@router.get("/regions", response=list[RegionOut])
def reports_regions(request: AuthedRequest, indicator: str = "blind_rooms"):
    """The dashboard map: every region with its value of ``indicator`` in your scope."""
    _reader(request, "regions")
    if indicator not in dashboard.INDICATORS:
        raise HttpError(422, f"indicator: one of {', '.join(dashboard.INDICATORS)}.")
    names = {region.code: region.name for region in Region.objects.all()}
    return [RegionOut(code=cell.code, name=names.get(cell.code, cell.label), value=cell.value,
                      caption=cell.caption, url=request.build_absolute_uri(cell.url))
            for cell in dashboard.region_map(request=request, indicator=indicator,
                                             now=timezone.now())]


@router.get("/scorecard", response=ScorecardOut)
def reports_scorecard(
    request: AuthedRequest, period: str = "", sort: str = "allegations", region: str = "",
    page: int = 1,
):
    """Units in your scope with their figures for the period (``YYYY`` or ``YYYY-MM``;
    default this year), the largest ``sort`` figure first, 50 a page. A ``region`` outside
    your scope lists no unit."""
    origin = _reader(request, "scorecard")
    if sort not in selectors.SCORE_FIGURES:
        raise HttpError(422, f"sort: one of {', '.join(selectors.SCORE_FIGURES)}.")
    if page < 1:
        raise HttpError(422, "page: from 1.")
    chosen = _period(period)
    found = selectors.scorecard(user=request.user, origin=origin, period=chosen, sort=sort,
                                region_code=region, page_number=page)
    links = UnitLinks(request.user)
    return ScorecardOut(
        period=_period_out(chosen), sort=sort, page=found.number,
        pages=found.paginator.num_pages, count=found.paginator.count,
        units=[_unit_out(request, links, unit.facility, unit.figures, chosen)
               for unit in found.object_list],
        national=_national(chosen))


def _unit_out(request: AuthedRequest, links: UnitLinks, facility: Facility,
              figures: dict[str, int], period: selectors.Period) -> UnitOut:
    return UnitOut(code=facility.code, name=facility.name, region=facility.region.code,
                   figures=figures, links=_absolute(request, links.for_unit(
                       facility.code, period.start, period.end, period.key)))


@router.get("/scorecard/{code}", response=UnitDetailOut)
def reports_unit(
    request: AuthedRequest, code: str, period: str = "",
):
    """One unit's figures for the period and each head's for the days he headed it; 404
    outside your scope."""
    origin = _reader(request, "unit")
    try:
        facility = selectors.unit_detail(user=request.user, origin=origin, code=code)
    except Facility.DoesNotExist:
        raise HttpError(404, "No such unit in your scope.") from None
    chosen = _period(period)
    figures = selectors.unit_figures(facility=facility, start=chosen.start, end=chosen.end)
    heads = [_head_out(score) for score in selectors.head_scores(facility=facility,
                                                                  period=chosen)]
    return UnitDetailOut(unit=_unit_out(request, UnitLinks(request.user), facility, figures,
                                        chosen),
                         period=_period_out(chosen), national=_national(chosen), heads=heads)


class HeadListOut(Schema):
    period: PeriodOut
    page: int
    pages: int
    count: int
    heads: list[HeadOut]
    units: list[str] = Field(..., description="Each head's unit code, in the same order.")


@router.get("/heads", response=HeadListOut)
def reports_heads(
    request: AuthedRequest, period: str = "", region: str = "", q: str = "", page: int = 1,
):
    """Heads of units in your scope in office during the period, by unit code, 50 a page,
    each with his unit's figures for the days he headed it."""
    origin = _reader(request, "heads")
    if page < 1:
        raise HttpError(422, "page: from 1.")
    chosen = _period(period)
    found = selectors.heads_scorecard(user=request.user, origin=origin, period=chosen,
                                      region_code=region, text=q[:100], page_number=page)
    scores = list(found.object_list)
    return HeadListOut(
        period=_period_out(chosen), page=found.number, pages=found.paginator.num_pages,
        count=found.paginator.count, heads=[_head_out(score) for score in scores],
        units=[score.head.facility.code for score in scores])


def _head_out(score: selectors.HeadScore) -> HeadOut:
    return HeadOut(full_name=score.head.full_name, position=score.head.position,
                   started_on=score.head.started_on, ended_on=score.head.ended_on,
                   first_day=score.start, last_day=score.last_day, figures=score.figures)


class BurnPointOut(Schema):
    day: dt.date
    baseline: bool
    rule: str
    custody_rooms: int
    rooms_blind: int
    rooms_never_covered: int
    cameras: int
    cameras_out_of_order: int
    camera_days_broken: int
    longest_broken_days: int
    blind_custody_minutes: int


class BurnSeriesOut(Schema):
    key: str = Field(..., description="country, region:<id>, agency:<id> or facility:<id>")
    level: str
    name: str
    points: list[BurnPointOut]


class BurndownOut(Schema):
    coverage_rule: str = Field(..., description="The rule today's figures rest on; each "
                               "point names the rule it was taken under.")
    series: list[BurnSeriesOut]


@router.get("/coverage-burndown", response=BurndownOut)
def reports_coverage_burndown(request: AuthedRequest, facility: str = ""):
    """Blind rooms and broken cameras by day from the baseline: the country, regions and
    agencies (country scope), the own region or unit otherwise; one unit with ``facility``."""
    origin = _reader(request, "coverage")
    unit = None
    if facility:
        try:
            unit = selectors.unit_detail(user=request.user, origin=origin, code=facility)
        except Facility.DoesNotExist:
            raise HttpError(404, "No such unit in your scope.") from None
    series = coverage_history.burndown(user=request.user, facility=unit)
    return BurndownOut(coverage_rule=coverage_rule(), series=[
        BurnSeriesOut(key=item.key, level=item.level, name=item.name,
                      points=[BurnPointOut(**{name: getattr(point, name) for name in
                                              BurnPointOut.model_fields})
                              for point in item.points])
        for item in series])


@router.get("/open-data", auth=None)
def reports_open_data(request: Request, year: int | None = None):
    """Public: the open-data tables of a year (default: this one), small cells suppressed
    (null), as on the open-data page and its JSON downloads."""
    this_year = timezone.localdate().year
    year = this_year if year is None else year
    if not 2000 <= year <= this_year:
        raise HttpError(422, f"year: from 2000 to {this_year}.")
    return {"year": year, "page": request.build_absolute_uri(reverse("reports:open_data")),
            "tables": [table.as_json() for table in open_tables(year=year)]}
