"""Every read of the reports, scoped to the reader: the dashboard, the scorecard.

Who reads reports: READ_REPORTS in accounts.capabilities, the readers of statistics
(prosecutors, the Ombudsperson, NPM monitors, analysts, administrators). Everything is
counted within the reader's scope (a regional prosecutor: his region's units); the national
distribution beside a unit's figure is anonymous (quartiles, no unit named).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import Capability, user_can
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.accounts.scoping import facility_q, region_q
from custodywatch.cases.models import OPEN_CASE_STATUSES, Case, CaseStatus, CompensationClaim
from custodywatch.complaints.models import Complaint, Terminal
from custodywatch.complaints.terminals import off_percent
from custodywatch.custody.models import CustodyAlert
from custodywatch.kernels import accountability as accountability_kernel
from custodywatch.ledger.models import Leaf, LeafKind
from custodywatch.registry.models import Facility, HeadAppointment, Region
from custodywatch.reports import aggregates, cat
from custodywatch.reports.models import (
    AggregateRefresh,
    FacilityDay,
    FacilityMonth,
    OpenDataFile,
    OpenDataRelease,
    RegionMonth,
)
from custodywatch.visits.models import CLOSED_STATUSES, Recommendation

SCORECARD_PAGE_SIZE = 50
TREND_MONTHS = 12

# The scorecard's figures, in order, with their labels.
SCORE_FIGURES = {
    "detentions": _("Detentions"),
    "overruns": _("Held past the limit"),
    "blind_minutes": _("Blind custody minutes"),
    "allegations": _("Allegations"),
    "substantiated": _("Substantiated allegations"),
    "cases": _("Cases"),
    "convictions": _("Cases with a conviction"),
    "open_recommendations": _("Open recommendations"),
    # Complaint terminals not heard, in per cent of their time (complaints/terminals.py).
    "terminals_off": _("Complaint terminal time off, per cent"),
    # Issue 22, items 4-6: reviews and cell checks missed, interrogation safeguards broken.
    "safeguard_breaches": _("Missed reviews and cell checks, broken interrogation safeguards"),
}


def may_read_reports(user: User) -> bool:
    return user_can(user, Capability.READ_REPORTS)


def require_reader(user: User, origin: Origin, what: str) -> None:
    """PermissionDenied (audited) unless ``user`` reads reports."""
    if not may_read_reports(user):
        audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                     object_type=f"reports.{what}")
        raise PermissionDenied


_require_reader = require_reader


def last_refresh() -> AggregateRefresh | None:
    return AggregateRefresh.objects.order_by("-finished_at", "-id").first()


# ------------------------------------------------------------------------------- periods

@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # exclusive
    key: str

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)


def parse_period(text: str, today: dt.date) -> Period:
    """``YYYY`` (a year) or ``YYYY-MM`` (a month); anything else: the current year."""
    try:
        if len(text) == 7:
            start = dt.date.fromisoformat(f"{text}-01")
            return Period(start, aggregates.next_month(start), text)
        if len(text) == 4 and text.isdigit():
            year = int(text)
            return Period(dt.date(year, 1, 1), dt.date(year + 1, 1, 1), text)
    except ValueError:
        pass
    return Period(dt.date(today.year, 1, 1), dt.date(today.year + 1, 1, 1), str(today.year))


# ------------------------------------------------------------------------------ dashboard

@dataclass(frozen=True)
class Trend:
    labels: list[str]
    values: list[int]

    @property
    def last(self) -> int:
        return self.values[-1] if self.values else 0


def months_back(today: dt.date, count: int = TREND_MONTHS) -> list[dt.date]:
    month = aggregates.month_start(today)
    months = [month]
    for _i in range(count - 1):
        month = aggregates.month_start(month - dt.timedelta(days=1))
        months.append(month)
    return months[::-1]


def region_months_visible(*, user: User) -> QuerySet[RegionMonth]:
    return RegionMonth.objects.filter(region_q(user, "region"))


def monthly_trends(*, user: User, today: dt.date) -> dict[str, Trend]:
    """Per figure of RegionMonth, the last twelve months (this one last) in the reader's
    regions: one query over at most 20 x 12 rows."""
    months = months_back(today)
    rows = {row["month"]: row for row in region_months_visible(user=user).filter(
        month__gte=months[0]).values("month").annotate(
        **{name: Sum(name) for name in aggregates.MONTH_FIGURES}).order_by()}
    labels = [f"{month:%m.%Y}" for month in months]
    return {name: Trend(labels, [int((rows.get(month) or {}).get(name) or 0) for month in months])
            for name in aggregates.MONTH_FIGURES}


def region_figures(*, user: User, since: dt.date, figure: str) -> dict[int, int]:
    """Per region in scope, the sum of one RegionMonth figure from ``since``."""
    if figure not in aggregates.MONTH_FIGURES:
        raise ValueError(figure)
    return dict(region_months_visible(user=user).filter(month__gte=since)
                .values_list("region_id").annotate(n=Sum(figure)).order_by())


def cases_by_status(*, user: User) -> dict[str, int]:
    return dict(Case.objects.filter(facility_q(user, "facility")).values_list("status")
                .annotate(n=Count("pk")).order_by())


def flagged_case_count(*, user: User) -> int:
    """Cases in scope whose imported data break a legal rule (art. 146: no probation, amnesty,
    limitation or reconciliation): flagged at import, never hidden from reports."""
    return Case.objects.filter(facility_q(user, "facility")).exclude(rule_flags=[]).count()


def recommendations_overdue(*, user: User, today: dt.date) -> int:
    return Recommendation.objects.filter(facility_q(user, "facility"), facility__isnull=False,
                                         deadline__lt=today).exclude(
        status__in=CLOSED_STATUSES).count()


def recommendations_overdue_by_body(*, user: User, today: dt.date) -> list[tuple[str, int]]:
    """Overdue recommendations (past the deadline, not closed) to units in scope, per body
    they are addressed to (its code), the most first: they add up to
    recommendations_overdue()."""
    return list(Recommendation.objects.filter(facility_q(user, "facility"),
                                              facility__isnull=False, deadline__lt=today)
                .exclude(status__in=CLOSED_STATUSES).values_list("addressee_body__code")
                .annotate(n=Count("pk")).order_by("-n", "addressee_body__code"))


def open_case_count(statuses: dict[str, int]) -> int:
    return sum(statuses.get(status, 0) for status in OPEN_CASE_STATUSES)


def case_outcomes(statuses: dict[str, int]) -> list[tuple[str, int]]:
    return [(str(label), statuses.get(value, 0)) for value, label in CaseStatus.choices]


def regions_in_scope(*, user: User) -> list[Region]:
    return list(Region.objects.filter(region_q(user)).distinct().order_by("code"))


def complaint_funnel(*, user: User, since: dt.datetime) -> tuple[int, int, int, int]:
    """Complaints received since ``since`` in the reader's scope: how many, investigated,
    with a case, with a verdict (reports/cat.py funnel_counts, summed over regions)."""
    complaint_scope, _case_scope = cat.scoped(user)
    counts = cat.funnel_counts(Complaint.objects.filter(complaint_scope, received_at__gte=since))
    stages = [sum(figures[i] for figures in counts.values()) for i in range(4)]
    return stages[0], stages[1], stages[2], stages[3]


# ------------------------------------------------------------------------------ scorecard

@dataclass
class UnitScore:
    facility: Facility
    figures: dict[str, int]


@dataclass
class HeadScore:
    head: HeadAppointment
    start: dt.date
    end: dt.date  # exclusive
    figures: dict[str, int] = field(default_factory=dict)
    # Remediation tickets of the unit opened while he headed it in the period (video/tickets.py):
    # still open, open past their due date, fixed (proven by footage).
    tickets: tuple[int, int, int] = (0, 0, 0)

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)


def _tickets_by_facility(facility_ids: set[int]) -> dict[int, list[tuple]]:
    from custodywatch.video.models import RemediationTicket

    found: dict[int, list[tuple]] = {}
    for row in RemediationTicket.objects.filter(facility_id__in=facility_ids).values_list(
            "facility_id", "opened_at", "due_at", "status"):
        found.setdefault(row[0], []).append(row[1:])
    return found


def _tickets(rows: list[tuple], start: dt.date, end: dt.date) -> tuple[int, int, int]:
    """(open, overdue, fixed) of the tickets opened in [start, end) (local days)."""
    now = timezone.now()
    mine = [(due, status) for opened, due, status in rows
            if start <= timezone.localdate(opened) < end]
    return (sum(1 for _due, status in mine if status == "open"),
            sum(1 for due, status in mine if status == "open" and due < now),
            sum(1 for _due, status in mine if status == "closed"))


def _figures_of(row: dict | None) -> dict[str, int]:
    row = row or {}
    return {
        "detentions": int(row.get("detentions") or 0),
        "overruns": int(row.get("overruns") or 0),
        "blind_minutes": round(int(row.get("blind_seconds") or 0) / 60),
        "allegations": int(row.get("allegations") or 0),
        "substantiated": int(row.get("substantiated") or 0),
        "cases": int(row.get("cases") or 0),
        "convictions": int(row.get("convictions") or 0),
        "terminals_off": 0,
        "safeguard_breaches": 0,
    }


SUMS = {name: Sum(name) for name in aggregates.FIGURES}


def _unit_sums(period: Period) -> QuerySet:
    """The units' figures over the period, one row per unit (``facility_id`` and the
    figures): from the unit-months where the period is whole months (a year or a month,
    always on the pages), else from the unit-days."""
    if period.start.day == 1 and period.end.day == 1:
        rows = FacilityMonth.objects.filter(month__gte=period.start, month__lt=period.end)
    else:
        rows = FacilityDay.objects.filter(day__gte=period.start, day__lt=period.end)
    return rows.values("facility_id").annotate(**SUMS).order_by()


def _open_recommendations(facilities: Q, start: dt.date, end: dt.date) -> dict[int, int]:
    """Recommendations issued to each unit in [start, end) that are not closed now."""
    return dict(Recommendation.objects.filter(facilities, issued_on__gte=start, issued_on__lt=end)
                .exclude(status__in=CLOSED_STATUSES).values_list("facility_id")
                .annotate(n=Count("pk")).order_by())


def period_figures(*, period: Period) -> dict[int, dict[str, int]]:
    """Every unit's figures of the period, by unit id (units with nothing to count are
    left out): two queries, read once per page by both the scorecard and the national
    distribution. Not scoped: callers keep to the reader's units (scorecard) or show
    anonymous quantiles only (national_distribution)."""
    result = {}
    for (facility_id, detentions, overruns, blind_seconds, allegations, substantiated, cases,
         convictions) in _unit_sums(period).values_list("facility_id", *aggregates.FIGURES):
        result[facility_id] = {
            "detentions": detentions or 0, "overruns": overruns or 0,
            "blind_minutes": round((blind_seconds or 0) / 60),
            "allegations": allegations or 0, "substantiated": substantiated or 0,
            "cases": cases or 0, "convictions": convictions or 0, "open_recommendations": 0,
            "terminals_off": 0, "safeguard_breaches": 0}
    for facility_id, n in _open_recommendations(Q(facility__isnull=False), period.start,
                                                period.end).items():
        if facility_id not in result:
            result[facility_id] = {**_figures_of(None), "open_recommendations": 0}
        result[facility_id]["open_recommendations"] = n
    for facility_id, share in _terminals_off(None, period.start, period.end).items():
        if facility_id not in result:
            result[facility_id] = {**_figures_of(None), "open_recommendations": 0}
        result[facility_id]["terminals_off"] = share
    for facility_id, n in _safeguard_breaches(None, period.start, period.end).items():
        if facility_id not in result:
            result[facility_id] = {**_figures_of(None), "open_recommendations": 0}
        result[facility_id]["safeguard_breaches"] = n
    return result


BREACH_CLOCKS = ("review", "cell_check", "interview_room", "interview_lawyer",
                 "interview_night", "interview_no_break", "interview_language")


def _safeguard_breaches(facility_ids: list[int] | None, start: dt.date,
                        end: dt.date) -> dict[int, int]:
    """Per unit: the reviews and cell checks missed and the interrogation safeguards broken
    (custody alerts, issue 22) whose moment falls in the local days [start, end)."""
    zone = timezone.get_current_timezone()
    rows = CustodyAlert.objects.filter(
        clock__in=BREACH_CLOCKS, level__in=["missed", "breached"],
        due_at__gte=dt.datetime.combine(start, dt.time(), zone),
        due_at__lt=dt.datetime.combine(end, dt.time(), zone))
    if facility_ids is not None:
        rows = rows.filter(custody_record__facility_id__in=facility_ids)
    return dict(rows.values_list("custody_record__facility_id").annotate(n=Count("pk"))
                .order_by())


def _terminals_off(facility_ids: list[int] | None, start: dt.date,
                   end: dt.date) -> dict[int, int]:
    """Per unit with complaint terminals: the per cent of their time in [start, end) (local
    days, up to now) in which they were not heard."""
    if facility_ids is None:
        facility_ids = list(Terminal.objects.values_list("facility_id", flat=True).distinct())
    zone = timezone.get_current_timezone()
    return off_percent(facility_ids, dt.datetime.combine(start, dt.time(), zone),
                       dt.datetime.combine(end, dt.time(), zone))


def national_distribution(*, period: Period, figures: dict[int, dict[str, int]] | None = None
                          ) -> dict[str, np.ndarray]:
    """Each figure over every unit in operation in the country, zeros included (anonymous:
    the pages show its quartiles only). ``figures``: period_figures(), if already read."""
    if figures is None:
        figures = period_figures(period=period)
    ids = list(Facility.objects.filter(is_active=True).values_list("pk", flat=True))
    position = {pk: i for i, pk in enumerate(ids)}
    values = {name: np.zeros(len(ids), dtype=np.int64) for name in SCORE_FIGURES}
    for facility_id, unit in figures.items():
        i = position.get(facility_id)
        if i is None:
            continue
        for name, value in unit.items():
            values[name][i] = value
    return values


def scorecard(*, user: User, origin: Origin, period: Period, sort: str, region_code: str = "",
              page_number: int | str = 1, figures: dict[int, dict[str, int]] | None = None
              ) -> Page:
    """Units in the reader's scope with their figures for the period, the largest ``sort``
    figure first, a page at a time. ``figures``: period_figures(), if already read."""
    _require_reader(user, origin, "scorecard")
    if sort not in SCORE_FIGURES:
        sort = "allegations"
    if figures is None:
        figures = period_figures(period=period)
    facilities = Facility.objects.filter(facility_q(user), is_active=True)
    if region_code:
        facilities = facilities.filter(region__code=region_code)
    zeros = {**_figures_of(None), "open_recommendations": 0}
    keys = []
    for pk, code in facilities.values_list("pk", "code"):
        unit = figures.get(pk) or dict(zeros)
        keys.append((-unit[sort], code, pk, unit))
    keys.sort(key=lambda item: item[:2])
    page = Paginator(keys, SCORECARD_PAGE_SIZE).get_page(page_number)
    chosen = Facility.objects.select_related("region").in_bulk([k[2] for k in page.object_list])
    page.object_list = [UnitScore(chosen[pk], unit) for _s, _c, pk, unit in page.object_list]
    audit_record(actor=user, action=AuditEvent.Action.LIST, origin=origin,
                 object_type="reports.scorecard", object_label=period.key,
                 detail={"sort": sort, "region": region_code,
                         "facilities": [unit.facility.code for unit in page.object_list]})
    return page


def unit_detail(*, user: User, origin: Origin, code: str) -> Facility:
    """One unit for its scorecard page; DoesNotExist outside the reader's scope (audited)."""
    _require_reader(user, origin, "unit")
    facility = Facility.objects.filter(facility_q(user), code=code).select_related(
        "region", "agency").first()
    if facility is None:
        if Facility.objects.filter(code=code).exists():
            audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                         object_type="reports.unit", object_label=code)
        raise Facility.DoesNotExist(code)
    audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin,
                 object_type="reports.unit", obj=facility)
    return facility


def unit_figures(*, facility: Facility, start: dt.date, end: dt.date) -> dict[str, int]:
    """A unit's figures over the days [start, end) (a unit already read through
    unit_detail)."""
    row = FacilityDay.objects.filter(facility=facility, day__gte=start, day__lt=end).aggregate(
        **SUMS)
    figures = _figures_of(row)
    figures["open_recommendations"] = _open_recommendations(
        Q(facility=facility), start, end).get(facility.pk, 0)
    figures["terminals_off"] = _terminals_off([facility.pk], start, end).get(facility.pk, 0)
    figures["safeguard_breaches"] = _safeguard_breaches([facility.pk], start, end).get(
        facility.pk, 0)
    return figures


def head_scores(*, facility: Facility, period: Period) -> list[HeadScore]:
    """Each head of the unit whose appointment meets the period, with the unit's figures for
    the days he headed it within the period. An appointment covers the days from
    ``started_on`` up to, not including, ``ended_on`` (the day he left is his successor's)."""
    heads = HeadAppointment.objects.filter(facility=facility, started_on__lt=period.end).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=period.start)).order_by("started_on", "pk")
    scores = []
    for head in heads:
        start = max(head.started_on, period.start)
        end = min(head.ended_on or period.end, period.end)
        scores.append(HeadScore(head, start, end, unit_figures(facility=facility, start=start,
                                                               end=end)))
    return scores


HEADS_PAGE_SIZE = 50


def heads_scorecard(*, user: User, origin: Origin, period: Period, region_code: str = "",
                    text: str = "", page_number: int | str = 1) -> Page:
    """Heads of units in the reader's scope whose appointment meets the period, by unit
    code, a page at a time: each with his unit's figures for the days he headed it within the
    period (as head_scores, for the page's heads in three queries)."""
    _require_reader(user, origin, "heads")
    heads = HeadAppointment.objects.filter(
        facility_q(user, "facility"), started_on__lt=period.end).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=period.start)).select_related(
        "facility__region")
    if region_code:
        heads = heads.filter(facility__region__code=region_code)
    if text:
        heads = heads.filter(Q(full_name__icontains=text) | Q(facility__code__iexact=text))
    page = Paginator(heads.order_by("facility__code", "started_on", "pk"),
                     HEADS_PAGE_SIZE).get_page(page_number)
    chosen = list(page.object_list)
    facility_ids = {head.facility_id for head in chosen}
    days: dict[int, list[tuple]] = {}
    for row in FacilityDay.objects.filter(facility_id__in=facility_ids, day__gte=period.start,
                                          day__lt=period.end).values_list(
            "facility_id", "day", *aggregates.FIGURES):
        days.setdefault(row[0], []).append(row[1:])
    issued: dict[int, list[dt.date]] = {}
    for facility_id, day in (Recommendation.objects.filter(
            facility_id__in=facility_ids, issued_on__gte=period.start,
            issued_on__lt=period.end).exclude(status__in=CLOSED_STATUSES)
            .values_list("facility_id", "issued_on")):
        issued.setdefault(facility_id, []).append(day)
    tickets = _tickets_by_facility(facility_ids)
    scores = []
    for head in chosen:
        start = max(head.started_on, period.start)
        end = min(head.ended_on or period.end, period.end)
        sums = dict.fromkeys(aggregates.FIGURES, 0)
        for day, *values in days.get(head.facility_id, []):
            if start <= day < end:
                for name, value in zip(aggregates.FIGURES, values, strict=True):
                    sums[name] += value
        figures = _figures_of(sums)
        figures["open_recommendations"] = sum(
            1 for day in issued.get(head.facility_id, []) if start <= day < end)
        scores.append(HeadScore(head, start, end, figures,
                                _tickets(tickets.get(head.facility_id, []), start, end)))
    page.object_list = scores
    audit_record(actor=user, action=AuditEvent.Action.LIST, origin=origin,
                 object_type="registry.headappointment", object_label=f"heads {period.key}",
                 detail={"region": region_code, "text": text,
                         "heads": [score.head.pk for score in scores]})
    return page


def open_data_releases() -> list[OpenDataRelease]:
    """Every open-data release, newest first, each file with the ledger index of its hash
    (None until the next integration). Public data: no scope."""
    releases = list(OpenDataRelease.objects.prefetch_related(
        Prefetch("files", queryset=OpenDataFile.objects.defer("content"))))
    hashes = {file.sha256 for release in releases for file in release.files.all()}
    indexes = dict(Leaf.objects.filter(kind=LeafKind.OPEN_DATA_FILE, sha256__in=hashes)
                   .values_list("sha256", "index"))
    for release in releases:
        for file in release.files.all():
            file.ledger_index = indexes.get(file.sha256)
    return releases


def open_data_file(*, version: int, name: str) -> OpenDataFile:
    """One published file (raises DoesNotExist)."""
    return OpenDataFile.objects.select_related("release").get(release__version=version,
                                                              name=name)


def days_to_payment_by_region(*, user: User) -> list[tuple[str, int, float | None]]:
    """Per region of the cases in scope: (region's name, claims paid, median days from
    application to payment), by region code."""
    pairs: dict[int, list[tuple[dt.date, dt.date | None]]] = {}
    for region_id, claimed, paid in (CompensationClaim.objects.filter(
            case__in=Case.objects.filter(facility_q(user, "facility")), paid_at__isnull=False)
            .values_list("case__region_id", "claimed_at", "paid_at")):
        pairs.setdefault(region_id, []).append((claimed, paid))
    regions = Region.objects.in_bulk(list(pairs))
    return [(regions[pk].name, *accountability_kernel.days_to_payment(pairs[pk]))
            for pk in sorted(pairs, key=lambda pk: regions[pk].code)]
