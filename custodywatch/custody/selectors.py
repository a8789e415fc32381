"""Every read of the custody register that a person sees, scoped and audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.accounts.scoping import facility_q, region_q
from custodywatch.custody import law
from custodywatch.custody.alerts import (
    RECURRING_PREFETCH,
    clocks_of,
    facts_of,
    legs_of,
    recorded_of,
)
from custodywatch.custody.models import CustodyAlert, CustodyRecord, Regime, RoomStay
from custodywatch.kernels import deadlines, handover
from custodywatch.registry.models import Facility, Region, Room


@dataclass(frozen=True)
class DeskRow:
    record: CustodyRecord
    room: Room | None
    clocks: list[deadlines.Clock]
    # The current stay's blind time as the coverage job last stored it (None: not yet).
    blind_ms: int | None = None
    coverage_computed_at: dt.datetime | None = None
    flags: tuple[deadlines.Flag, ...] = ()

    @property
    def detention_clock(self) -> deadlines.Clock:
        return self.clocks[0]

    @property
    def other_clocks(self) -> list[deadlines.Clock]:
        return self.clocks[1:]


# Machine accounts read no one's custody record: an edge agent reads video and sends health,
# spans and hashes; a state system files complaints (PRODUCT.md: nobody sees what is not
# theirs): their roles lack READ_CUSTODY_RECORDS. Their tokens write through the services,
# which check the writer.


def records_visible(*, user: User) -> QuerySet[CustodyRecord]:
    if not has_capability(user, Capability.READ_CUSTODY_RECORDS):
        return CustodyRecord.objects.none()
    return CustodyRecord.objects.filter(facility_q(user, "facility"))


def _deny(user: User, origin: Origin, object_type: str, label: str) -> None:
    audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                 object_type=object_type, object_label=label)


def facility_for_desk(*, user: User, code: str, origin: Origin) -> Facility:
    facility = Facility.objects.filter(facility_q(user), code=code).select_related(
        "region").first()
    if facility is None:
        if Facility.objects.filter(code=code).exists():
            _deny(user, origin, "custody.desk", code)
        raise Facility.DoesNotExist(code)
    return facility


# What the desk and its clocks read: the long texts of a record stay in the database.
DESK_FIELDS = ("facility_id", "full_name", "is_minor", "date_of_birth", "detained_at",
               "arrived_at", "relatives_notified_at", "lawyer_first_access_at",
               "medical_checked_at", "ended_at", "detention_due_at",
               # Issue 22: the regime and the safeguards its clocks and flags read.
               "regime", "term_ends_at", "extension_applied_at", "protocol_drawn_at",
               "prosecutor_notified_at", "is_foreign", "citizenship", "consular_notified_at",
               "consular_declined_at", "consular_decline_acknowledgement",
               "lawyer_requested_at", "state_lawyer_offered_at", "rights_explained_at",
               "language", "rights_language", "interpreter", "rights_acknowledgement")


def duty_desk(
    *, user: User, facility: Facility, origin: Origin, now: dt.datetime
) -> list[DeskRow]:
    """People in custody now at a facility, most urgent first; two queries in all."""
    current_stays = Prefetch("stays", to_attr="open_stays", queryset=RoomStay.objects.filter(
        ended_at__isnull=True).select_related("room").only(
        "custody_record_id", "room__code", "room__name", "room__name_kk", "room__name_en",
        "room__kind", "blind_ms",
        "coverage_computed_at"))
    records = list(records_visible(user=user).filter(
        facility=facility, ended_at__isnull=True, detained_at__lte=now,
    ).only(*DESK_FIELDS).prefetch_related(current_stays, *RECURRING_PREFETCH).annotate(
        # Issue 22, item 6: interrogations that broke a safeguard, not yet acknowledged.
        interview_breaches=Count("alerts", filter=Q(
            alerts__clock__startswith="interview_", alerts__acknowledged_at__isnull=True)),
    ).order_by("detention_due_at"))
    rows = []
    for record in records:
        record.facility = facility  # already in hand: saves a query per row
        stay = record.open_stays[0] if record.open_stays else None
        facts = facts_of(record)
        rows.append(DeskRow(record, stay.room if stay else None, clocks_of(record, now, facts),
                            stay.blind_ms if stay else None,
                            stay.coverage_computed_at if stay else None,
                            tuple(deadlines.safeguard_flags(facts, recorded_of(record)))))
    rows.sort(key=lambda row: deadlines.urgency_key(row.clocks))
    audit_record(actor=user, action=AuditEvent.Action.LIST, origin=origin,
                 object_type="custody.custodyrecord", object_label=f"desk {facility.code}",
                 detail={"records": [row.record.pk for row in rows]})
    return rows


def custody_record_detail(*, user: User, pk: int, origin: Origin) -> CustodyRecord:
    """One record for its page; raises DoesNotExist outside the reader's scope (audited)."""
    record = records_visible(user=user).select_related("facility__region").filter(pk=pk).first()
    if record is None:
        if CustodyRecord.objects.filter(pk=pk).exists():
            _deny(user, origin, "custody.custodyrecord", str(pk))
        raise CustodyRecord.DoesNotExist(pk)
    audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin, obj=record)
    return record


def record_history(*, record: CustodyRecord) -> dict[str, list]:
    """The stays, interrogations, checks and notifications of a record already read."""
    return {
        "stays": list(record.stays.select_related("room").order_by("started_at")),
        "interrogations": list(record.interrogations.select_related("room")
                               .order_by("started_at")),
        "medical_checks": list(record.medical_checks.prefetch_related("injuries")
                               .order_by("examined_at")),
        "notifications": list(record.notifications.order_by("notified_at")),
        "alerts": list(record.alerts.order_by("raised_at")),
        "delays": list(record.delays.order_by("authorised_at")),
        # Issue 22, items 4-5.
        "reviews": list(record.reviews.select_related("reviewer_officer")
                        .order_by("reviewed_at")),
        "risk_assessments": list(record.risk_assessments.order_by("assessed_at")),
        "cell_checks": list(record.cell_checks.select_related("room").order_by("checked_at")),
    }


def custody_rooms(*, facility: Facility) -> QuerySet[Room]:
    return facility.rooms.filter(custody_use=True).order_by("code")


def overrun_q(now: dt.datetime) -> Q:
    """Held past the limit: released late, or still held after it."""
    return (Q(ended_at__isnull=False, ended_at__gt=F("detention_due_at"))
            | Q(ended_at__isnull=True, detention_due_at__lte=now))


def _regimes_with(kind: deadlines.ClockKind, terms: deadlines.CustodyTerms) -> Q:
    """Records whose regime runs this safeguard clock (a colony owes no 12 h notice)."""
    return Q(regime__in=[str(regime) for regime in deadlines.Regime
                         if kind in terms.clocks_of(regime)])


def late_relatives_q(now: dt.datetime, terms: deadlines.CustodyTerms) -> Q:
    due = F("detained_at") + terms.relatives_notification
    return _regimes_with(deadlines.ClockKind.RELATIVES, terms) & (
        Q(relatives_notified_at__gt=due)
        | Q(relatives_notified_at__isnull=True, ended_at__gt=due)
        | Q(relatives_notified_at__isnull=True, ended_at__isnull=True,
            detained_at__lte=now - terms.relatives_notification))


def missing_medical_q(now: dt.datetime, terms: deadlines.CustodyTerms) -> Q:
    due = F("arrived_at") + terms.intake_medical_check
    return Q(arrived_at__isnull=False) & _regimes_with(deadlines.ClockKind.MEDICAL, terms) & (
        Q(medical_checked_at__gt=due)
        | Q(medical_checked_at__isnull=True, ended_at__gt=due)
        | Q(medical_checked_at__isnull=True, ended_at__isnull=True,
            arrived_at__lte=now - terms.intake_medical_check))


@dataclass(frozen=True)
class RegionOverruns:
    region: Region
    detentions: int
    overruns: int
    late_notifications: int
    missing_medical: int
    # Issue 22: deliveries (administrative) counted apart, and foreign nationals.
    deliveries: int = 0
    foreign: int = 0

    @property
    def overrun_share(self) -> float:
        return self.overruns / self.detentions if self.detentions else 0.0


OVERRUN_PAGE_SIZE = 50


def overruns_report(
    *, user: User, origin: Origin, now: dt.datetime, since: dt.datetime,
    region_code: str = "", page_number: int | str = 1,
    terms: deadlines.CustodyTerms = deadlines.CUSTODY_TERMS,
    facility_code: str = "", until: dt.datetime | None = None,
) -> tuple[list[RegionOverruns], Page]:
    """Per region: detentions since `since` (and before `until`, else up to now), overruns
    and safeguards given late; and the overrun records themselves, latest limit first.
    `facility_code` narrows to one unit within the reader's scope (another's: nothing)."""
    records = records_visible(user=user).filter(detained_at__gte=since, detained_at__lte=now)
    if until is not None:
        records = records.filter(detained_at__lt=until)
    if region_code:
        records = records.filter(facility__region__code=region_code)
    if facility_code:
        records = records.filter(facility__code=facility_code)
    counts = records.values("facility__region").annotate(
        detentions=Count("pk"), overruns=Count("pk", filter=overrun_q(now)),
        late_notifications=Count("pk", filter=late_relatives_q(now, terms)),
        missing_medical=Count("pk", filter=missing_medical_q(now, terms)),
        deliveries=Count("pk", filter=Q(regime=Regime.DELIVERY)),
        foreign=Count("pk", filter=Q(is_foreign=True)),
    ).order_by()
    regions = Region.objects.in_bulk([row["facility__region"] for row in counts])
    summary = sorted(
        (RegionOverruns(regions[row["facility__region"]], row["detentions"], row["overruns"],
                        row["late_notifications"], row["missing_medical"], row["deliveries"],
                        row["foreign"]) for row in counts),
        key=lambda item: (-item.overruns, item.region.code))
    overruns = records.filter(overrun_q(now)).select_related("facility__region").order_by(
        "-detention_due_at")
    page = Paginator(overruns, OVERRUN_PAGE_SIZE).get_page(page_number)
    audit_record(actor=user, action=AuditEvent.Action.LIST, origin=origin,
                 object_type="custody.custodyrecord", object_label="overruns",
                 detail={"region": region_code, "facility": facility_code,
                         "since": since.isoformat(),
                         "until": until.isoformat() if until else None,
                         "records": [record.pk for record in page.object_list]})
    return summary, page


def alerts_visible(*, user: User) -> QuerySet[CustodyAlert]:
    return CustodyAlert.objects.filter(facility_q(user, "custody_record__facility")).select_related(
        "custody_record__facility")


def regions_in_scope(*, user: User) -> list[Region]:
    return list(Region.objects.filter(region_q(user)).distinct().order_by("code"))


# The dashboard's "blind custody minutes" look back this far.
BLIND_MINUTES_WINDOW = dt.timedelta(days=30)


def custody_totals(*, user: User, now: dt.datetime) -> dict[str, int]:
    """For the dashboard: people held now in the reader's scope, those past the limit, and
    alerts nobody has acknowledged. Counts only: no record is read."""
    held = records_visible(user=user).filter(ended_at__isnull=True, detained_at__lte=now)
    blind_ms = RoomStay.objects.filter(
        custody_record__in=records_visible(user=user), started_at__gte=now - BLIND_MINUTES_WINDOW,
        started_at__lte=now).aggregate(total=Sum("blind_ms"))["total"] or 0
    return {
        "in_custody": held.count(),
        "blind_minutes": round(blind_ms / 60_000),
        "overdue": held.filter(detention_due_at__lte=now).count(),
        "foreign_in_custody": held.filter(is_foreign=True).count(),
        "unacknowledged_alerts": alerts_visible(user=user).filter(
            acknowledged_at__isnull=True).count(),
    }


# ---------------------------------------------------------- issue 22: the person's timeline

@dataclass(frozen=True)
class PersonPart:
    """One custody record of the person that the reader may see, with its stays."""

    record: CustodyRecord
    stays: list[RoomStay]


@dataclass(frozen=True)
class PersonTimeline:
    parts: list[PersonPart]
    # Hand-overs touching a visible part; the other end's details only when visible too.
    handovers: list[tuple[handover.Handover, bool, bool]]  # (hand-over, from seen, to seen)


def person_timeline(*, user: User, record: CustodyRecord, origin: Origin,
                    now: dt.datetime) -> PersonTimeline:
    """The custody of the person of `record` (a record the reader has already read through
    the scoped selector) across facilities, by IIN: every record the reader's scope shows,
    and the hand-overs between them. Whether a transfer was received is computed over all
    the person's records (a sender learns that, and when, the person arrived; not where)."""
    if not record.iin:
        everyone = [record]
        visible = {record.pk}
    else:
        everyone = list(CustodyRecord.objects.filter(iin=record.iin).only(
            "pk", "iin", "facility_id", "arrived_at", "detained_at", "ended_at",
            "end_reason"))
        visible = set(records_visible(user=user).filter(iin=record.iin).values_list(
            "pk", flat=True))
    records = list(records_visible(user=user).filter(pk__in=visible).select_related(
        "facility").prefetch_related(Prefetch(
            "stays", queryset=RoomStay.objects.select_related("room").order_by("started_at"))
    ).order_by("detained_at", "pk"))
    limit = law.terms_on(now).transfer_transit
    found = [(item, item.from_record in visible, item.to_record in visible)
             for item in handover.handovers(legs_of(everyone), now=now, transit_limit=limit)
             if item.from_record in visible or item.to_record in visible]
    audit_record(actor=user, action=AuditEvent.Action.LIST, origin=origin,
                 object_type="custody.custodyrecord", object_label=f"person of {record.pk}",
                 detail={"records": [part.pk for part in records]})
    return PersonTimeline([PersonPart(part, list(part.stays.all())) for part in records], found)
