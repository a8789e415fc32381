"""Scoped reads of accountability: heads' rates and records, proceedings, the Fund.

Who reads what:
- heads' rates and the records behind them: those who read reports (reports.selectors), in
  their scope; a figure's records list shows no name, only the record and its link;
- proceedings: prosecutors (a regional one, his region's) and the Ombudsperson. Never the
  facility: its head, staff and agent read nothing of a proceeding, proposed, open or decided
  (nothing a facility can read may change because of an investigation against it); an
  officer never reads one against himself, whatever his role;
- the Fund: prosecutors and the Fund's compensation officers, through the cases they see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate
from django.urls import reverse
from django.utils.http import urlencode

from custodywatch.accountability.models import (
    Proceeding,
    ProceedingStatus,
    RecourseClaim,
    TreasuryRegister,
)
from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import Capability, is_region_bound, user_can
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.accounts.scoping import facility_q
from custodywatch.cases import selectors as case_selectors
from custodywatch.cases.models import Case, CompensationClaim, Officer
from custodywatch.complaints.models import Complaint
from custodywatch.custody.models import CustodyAlert, CustodyRecord, EndReason, MedicalCheck
from custodywatch.kernels import accountability as kernel
from custodywatch.medical.models import Examination as MedicalExamination
from custodywatch.medical.models import Occasion
from custodywatch.registry.models import HeadAppointment
from custodywatch.reports import aggregates
from custodywatch.reports.models import FacilityDay
from custodywatch.reports.selectors import Period, require_reader

UNJUSTIFIED_ENDS = (EndReason.RELEASED, EndReason.QUASHED)
SAFEGUARD_CLOCKS = (CustodyAlert.Clock.RELATIVES, CustodyAlert.Clock.LAWYER,
                    CustodyAlert.Clock.MEDICAL)
RECORDS_LIMIT = 200


# ------------------------------------------------------------------ heads: what counts

def unjustified_q() -> Q:
    """Released without charge, or released because a court quashed the detention."""
    return Q(end_reason__in=UNJUSTIFIED_ENDS)


def safeguards_late_q() -> Q:
    """A safeguard (relatives told, lawyer's access, intake medical check) ran overdue."""
    return Q(Exists(CustodyAlert.objects.filter(
        custody_record=OuterRef("pk"), clock__in=SAFEGUARD_CLOCKS,
        level=CustodyAlert.Level.OVERDUE)))


def intake_injuries_q() -> Q:
    """Injuries found at intake: by the independent examiner or the facility's own check."""
    return Q(Exists(MedicalExamination.objects.filter(
        custody_record=OuterRef("pk"), occasion=Occasion.INTAKE, injuries__isnull=False))) | Q(
        Exists(MedicalCheck.objects.filter(custody_record=OuterRef("pk"),
                                           occasion=MedicalCheck.Occasion.INTAKE,
                                           injuries__isnull=False)))


CUSTODY_FIGURES = {"unjustified": unjustified_q, "safeguards_late": safeguards_late_q,
                   "intake_injuries": intake_injuries_q}


def _custody_events(facility_ids: set[int], period: Period) -> list[tuple[str, int, dt.date, int]]:
    start, end = aggregates.local_midnight(period.start), aggregates.local_midnight(period.end)
    base = CustodyRecord.objects.filter(facility_id__in=facility_ids, detained_at__gte=start,
                                        detained_at__lt=end)
    events: list[tuple[str, int, dt.date, int]] = []
    for name, condition in CUSTODY_FIGURES.items():
        rows = (base.filter(condition()).annotate(day=TruncDate("detained_at",
                                                                tzinfo=aggregates.zone()))
                .values_list("facility_id", "day").annotate(n=Count("pk")).order_by())
        events += [(name, facility_id, day, n) for facility_id, day, n in rows]
    return events


def _day_events(facility_ids: set[int], period: Period) -> list[tuple[str, int, dt.date, int]]:
    events: list[tuple[str, int, dt.date, int]] = []
    for facility_id, day, detentions, blind, substantiated, convictions in (
            FacilityDay.objects.filter(facility_id__in=facility_ids, day__gte=period.start,
                                       day__lt=period.end)
            .values_list("facility_id", "day", "detentions", "blind_seconds", "substantiated",
                         "convictions")):
        events += [("detentions", facility_id, day, detentions),
                   ("blind_minutes", facility_id, day, blind),  # seconds: minutes at the end
                   ("substantiated", facility_id, day, substantiated),
                   ("convictions", facility_id, day, convictions)]
    return events


def _tenure(head: HeadAppointment) -> kernel.Tenure:
    return kernel.Tenure(head.pk, head.facility_id, head.started_on, head.ended_on)


@dataclass
class TenureScore:
    head: HeadAppointment
    start: dt.date
    end: dt.date  # exclusive
    counts: dict[str, int]
    rates: dict[str, float | None]
    links: dict[str, str] = field(default_factory=dict)

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)


def _scores(heads: list[HeadAppointment], period: Period) -> list[TenureScore]:
    facility_ids = {head.facility_id for head in heads}
    by_unit: dict[int, list[tuple[str, int, dt.date, int]]] = {}
    for event in _custody_events(facility_ids, period) + _day_events(facility_ids, period):
        by_unit.setdefault(event[1], []).append(event)
    scores = []
    for head in heads:
        tenure = _tenure(head)
        days = kernel.clip(tenure, period.start, period.end)
        if days is None:
            continue
        counts = kernel.tenure_counts(tenure, by_unit.get(head.facility_id, []), period.start,
                                      period.end)
        counts["blind_minutes"] = round(counts["blind_minutes"] / 60)
        scores.append(TenureScore(head, days[0], days[1], counts, kernel.rates_per_100(counts),
                                  figure_links(head, period)))
    return scores


def figure_links(head: HeadAppointment, period: Period) -> dict[str, str]:
    query = urlencode({"period": period.key})
    links = {name: reverse("accountability:head_figure",
                           kwargs={"pk": head.pk, "figure": name}) + f"?{query}"
             for name in (*CUSTODY_FIGURES, "substantiated", "convictions")}
    links["blind_minutes"] = reverse("video:overview") + "?" + urlencode(
        {"facility": head.facility.code})
    links["detentions"] = reverse("custody:overruns") + "?" + urlencode(
        {"facility": head.facility.code, "from": period.start.isoformat(),
         "to": period.last_day.isoformat()})
    return links


def _heads_in(user: User, period: Period) -> QuerySet[HeadAppointment]:
    return HeadAppointment.objects.filter(
        facility_q(user, "facility"), started_on__lt=period.end).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=period.start)).select_related(
        "facility__region", "officer")


def heads_ranked(*, user: User, origin: Origin, period: Period, sort: str,
                 region_code: str = "", limit: int = 100) -> list[TenureScore]:
    """The tenures in the reader's scope within the period, the highest ``sort`` rate first
    (heads without detentions, hence without a rate, last)."""
    require_reader(user, origin, "heads_rates")
    if sort not in kernel.RATE_FIGURES:
        sort = kernel.RATE_FIGURES[0]
    heads = _heads_in(user, period)
    if region_code:
        heads = heads.filter(facility__region__code=region_code)
    scores = _scores(list(heads.order_by("facility__code", "started_on", "pk")), period)
    ranked = [score for score, _r in kernel.rank([(s, s.rates) for s in scores], sort)][:limit]
    audit_record(actor=user, action=AuditEvent.Action.LIST, origin=origin,
                 object_type="registry.headappointment", object_label=f"rates {period.key}",
                 detail={"sort": sort, "region": region_code,
                         "heads": [score.head.pk for score in ranked]})
    return ranked


@dataclass
class PersonRecord:
    officer: Officer
    tenures: list[TenureScore]
    counts: dict[str, int]
    rates: dict[str, float | None]


def head_person(*, user: User, origin: Origin, pk: int, period: Period) -> PersonRecord:
    """One head's record across the units in the reader's scope: each tenure, and the whole
    (counts summed before the rate). DoesNotExist if no tenure of his is in scope."""
    require_reader(user, origin, "head_person")
    officer = Officer.objects.filter(pk=pk).first()
    heads = list(_heads_in(user, period).filter(officer_id=pk).order_by("started_on", "pk"))
    if officer is None or not heads:
        audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                     object_type="cases.officer", object_id=str(pk))
        raise Officer.DoesNotExist(pk)
    tenures = _scores(heads, period)
    counts = kernel.combine(score.counts for score in tenures)
    audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin, obj=officer,
                 detail={"period": period.key, "appointments": [h.pk for h in heads]})
    return PersonRecord(officer, tenures, counts, kernel.rates_per_100(counts))


def head_figure_records(*, user: User, origin: Origin, pk: int, figure: str, period: Period
                        ) -> tuple[HeadAppointment, dt.date, dt.date, QuerySet]:
    """The records behind one figure of one tenure within the period (custody records,
    complaints or cases), scoped; DoesNotExist outside scope or for an unknown figure."""
    require_reader(user, origin, "head_figure")
    head = _heads_in(user, period).filter(pk=pk).first()
    days = kernel.clip(_tenure(head), period.start, period.end) if head else None
    if head is None or days is None or figure not in (*CUSTODY_FIGURES, "substantiated",
                                                     "convictions"):
        audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                     object_type="registry.headappointment", object_id=str(pk),
                     detail={"figure": figure})
        raise HeadAppointment.DoesNotExist(pk)
    start, end = (aggregates.local_midnight(day) for day in days)
    rows: QuerySet
    if figure in CUSTODY_FIGURES:
        rows = CustodyRecord.objects.filter(
            CUSTODY_FIGURES[figure](), facility_id=head.facility_id, detained_at__gte=start,
            detained_at__lt=end).order_by("detained_at", "pk")
    elif figure == "substantiated":
        rows = (Complaint.objects.filter(
            facility_id=head.facility_id, category__in=aggregates.ALLEGATION_CATEGORIES)
            .annotate(moment=Coalesce("incident_started_at", "received_at"))
            .filter(moment__gte=start, moment__lt=end)
            .filter(Exists(Case.objects.filter(aggregates.convicted_case_q(),
                                               complaints=OuterRef("pk"))))
            .order_by("moment", "pk"))
    else:
        rows = (Case.objects.filter(aggregates.convicted_case_q(), facility_id=head.facility_id)
                .annotate(moment=Coalesce("events_from", "registered_at"))
                .filter(moment__gte=start, moment__lt=end).order_by("moment", "pk"))
    audit_record(actor=user, action=AuditEvent.Action.LIST, origin=origin, obj=head,
                 detail={"figure": figure, "period": period.key})
    return head, days[0], days[1], rows


# ------------------------------------------------------------------ proceedings

def may_read_proceedings(user: User) -> bool:
    return user_can(user, Capability.READ_PROCEEDINGS)


def proceedings_q(user: User) -> Q:
    """The one rule for every read of proceedings (pages, exports)."""
    if not may_read_proceedings(user):
        return Q(pk__in=[])
    never_own = ~Q(officer__user=user)
    if is_region_bound(user):
        if not user.region_id:
            return Q(pk__in=[])
        return Q(region_id=user.region_id) & never_own
    return facility_q(user, "facility") & never_own


def proceedings_visible(*, user: User) -> QuerySet[Proceeding]:
    return Proceeding.objects.filter(proceedings_q(user))


def proceedings_list(*, user: User, origin: Origin, status: str = "") -> QuerySet[Proceeding]:
    if not may_read_proceedings(user):
        audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                     object_type="accountability.proceeding")
        raise PermissionDenied
    rows = proceedings_visible(user=user).select_related("officer", "facility", "appointment")
    if status in ProceedingStatus.values:
        rows = rows.filter(status=status)
    audit_record(actor=user, action=AuditEvent.Action.LIST, origin=origin,
                 object_type="accountability.proceeding", detail={"status": status})
    return rows


def proceeding_detail(*, user: User, origin: Origin, pk: int) -> Proceeding:
    found = proceedings_visible(user=user).select_related(
        "officer", "facility", "appointment", "case", "complaint").filter(pk=pk).first()
    if found is None:
        audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                     object_type="accountability.proceeding", object_id=str(pk))
        raise Proceeding.DoesNotExist(pk)
    audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin, obj=found)
    return found


def sanctions_by_kind(*, user: User, year: int) -> dict[str, int]:
    """Decided proceedings of the year (by the day of decision) per sanction, in scope."""
    return dict(proceedings_visible(user=user).filter(
        status=ProceedingStatus.DECIDED, decided_on__year=year).values_list("sanction")
        .annotate(n=Count("pk")).order_by())


# ------------------------------------------------------------------ the Fund

def may_read_fund(user: User) -> bool:
    return user_can(user, Capability.READ_FUND)


def claims_visible(*, user: User) -> QuerySet[CompensationClaim]:
    if not may_read_fund(user):
        return CompensationClaim.objects.none()
    return CompensationClaim.objects.filter(
        case__in=case_selectors.cases_visible(user=user))


def fund_overview(*, user: User, origin: Origin) -> dict:
    if not may_read_fund(user):
        audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                     object_type="accountability.fund")
        raise PermissionDenied
    claims = claims_visible(user=user).select_related(
        "case", "victim__person", "fund_review", "treasury_entry__register").order_by(
        "-claimed_at", "-pk")
    registers = TreasuryRegister.objects.filter(
        entries__claim__in=claims_visible(user=user)).distinct()
    recourse = RecourseClaim.objects.filter(claim__in=claims_visible(user=user)).select_related(
        "officer", "claim__case")
    audit_record(actor=user, action=AuditEvent.Action.LIST, origin=origin,
                 object_type="accountability.fund")
    return {"claims": claims[:RECORDS_LIMIT], "registers": registers, "recourse": recourse}


def register_visible(*, user: User, origin: Origin, pk: int) -> TreasuryRegister:
    found = TreasuryRegister.objects.filter(
        pk=pk, entries__claim__in=claims_visible(user=user)).distinct().first()
    if found is None:
        audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                     object_type="accountability.treasuryregister", object_id=str(pk))
        raise TreasuryRegister.DoesNotExist(pk)
    audit_record(actor=user, action=AuditEvent.Action.EXPORT, origin=origin, obj=found)
    return found
