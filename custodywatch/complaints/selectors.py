"""Every read of complaints a person sees, already scoped to that person.

Who sees what (docs/complaints.md):
- the General Prosecutor's Office and the Ombudsperson: every complaint;
- a regional prosecutor: the complaints routed to the region;
- NPM monitors, analysts and system administrators: statistics only, never a complaint,
  with small counts suppressed (a count of 1 in a small facility names a person);
- facility staff (heads, duty officers) and machine clients: nothing at all, not even
  statistics: a count of complaints about one's own facility invites a hunt for who filed.
Identity: only the handling body, after a custodian's approval or break-the-glass.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import (
    Capability,
    has_capability,
    is_region_bound,
    user_can,
)
from custodywatch.accounts.models import AuditEvent, Scope, User
from custodywatch.accounts.policies import ModelPolicy
from custodywatch.accounts.scoping import facility_q
from custodywatch.complaints.models import (
    Attachment,
    Category,
    Channel,
    Complaint,
    Disposition,
    HandlingBody,
    IdentityAccess,
    LegalHold,
    inbox_order,
    search_tokens,
)
from custodywatch.complaints.rules import COMPLAINT_TERMS
from custodywatch.custody.models import CustodyRecord, EndReason
from custodywatch.kernels import suppression
from custodywatch.kernels.deadlines import Clock, ClockKind, clock_reading
from custodywatch.registry.models import Camera
from custodywatch.video.incidents import blackout_holds
from custodywatch.video.models import RecordingSegment

# Counts below this are shown as "fewer than" to those who read statistics only.
SMALL_CELL = 5


def complaints_q(user: User) -> Q:
    """The filter of the complaints a person may see: the one rule for UI, API, admin, export."""
    if not user_can(user, Capability.HANDLE_COMPLAINTS):
        return Q(pk__in=[])
    # Belt and braces: a handler bound to a facility (none is, by scope_for) would still
    # never see complaints about it.
    never_own = ~Q(facility_id=user.facility_id) if user.facility_id else Q()
    # Never a complaint that accuses him, whatever his role (docs/complaints.md).
    never_own &= never_accused_q(user)
    # A regional prosecutor, and any other handler whose account is bound to a region (an
    # Ombudsperson's regional representative), sees that region's complaints only.
    if is_region_bound(user) or user.scope == Scope.REGION:
        if user.scope != Scope.REGION or not user.region_id:
            return Q(pk__in=[])
        return Q(region_id=user.region_id) & never_own
    return never_own


def never_accused_q(user: User) -> Q:
    """Not the complaints that accuse this user: an officer (cases.Officer, by its user
    account) linked to the complaint by its handler (cases.Accusation), or named as suspect
    or accused in a case opened from it. Read through reverse names: the cases app owns
    both tables and depends on this one."""
    accused = Complaint.objects.filter(accusations__officer__user_id=user.pk).values("pk")
    in_case = Complaint.objects.filter(cases__parties__officer__user_id=user.pk).values("pk")
    return ~Q(pk__in=accused) & ~Q(pk__in=in_case)


def complaints_visible(*, user: User) -> QuerySet[Complaint]:
    return Complaint.objects.filter(complaints_q(user))


class ComplaintPolicy(ModelPolicy):
    """Complaints are scoped by complaints_q (their region, never one that accuses the
    reader), not by facility_q: the facility is a party."""

    def scope_q(self, user: Any, action: str) -> Q:
        return complaints_q(user)


COMPLAINT_POLICY = ComplaintPolicy(Complaint, actions={
    "handle": Capability.HANDLE_COMPLAINTS,
    "decide_identity": Capability.DECIDE_IDENTITY_ACCESS,
    "release_legal_hold": Capability.RELEASE_LEGAL_HOLD,
})


def may_see_identity_of(*, user: User, complaint: Complaint) -> bool:
    """The handling body only: the prosecutors for theirs, the Ombudsperson for theirs."""
    if not complaints_visible(user=user).filter(pk=complaint.pk).exists():
        return False
    if complaint.handling_body == HandlingBody.OMBUDSPERSON:
        return has_capability(user, Capability.ACT_FOR_OMBUDSPERSON)
    return has_capability(user, Capability.ACT_FOR_PROSECUTION)


# Allegations of ill-treatment: the categories the reports count (reports/aggregates.py).
ALLEGATION_CATEGORIES = (Category.TORTURE, Category.CRUEL_TREATMENT, Category.THREATS)


@dataclass(frozen=True)
class InboxFilters:
    status: str = ""
    category: str = ""
    channel: str = ""
    region_code: str = ""
    urgency: str = ""
    mine: bool = False
    overdue: bool = False
    text: str = ""
    # A unit (by code; one outside the reader's scope finds nothing), allegations of
    # ill-treatment only, and the days it happened (the incident's, else the day received;
    # local days, both included): what the reports' scorecard counts and links to.
    facility_code: str = ""
    allegations: bool = False
    happened_from: dt.date | None = None
    happened_to: dt.date | None = None

    def as_detail(self) -> dict:
        return {key: value.isoformat() if isinstance(value, dt.date) else value
                for key, value in self.__dict__.items()}


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def complaint_search(*, user: User, filters: InboxFilters) -> QuerySet[Complaint]:
    complaints = complaints_visible(user=user).select_related("region", "facility", "handler")
    if filters.status:
        complaints = complaints.filter(status=filters.status)
    if filters.category:
        complaints = complaints.filter(category=filters.category)
    if filters.channel:
        complaints = complaints.filter(channel=filters.channel)
    if filters.region_code:
        complaints = complaints.filter(region__code=filters.region_code)
    if filters.urgency:
        complaints = complaints.filter(urgency=filters.urgency)
    if filters.mine:
        complaints = complaints.filter(handler=user)
    if filters.overdue:
        now = timezone.now()
        complaints = complaints.filter(
            Q(registered_at__isnull=True, registration_due_at__lt=now)
            | Q(answered_at__isnull=True, answer_due_at__lt=now)
        ).exclude(status="closed")
    if filters.text:
        # The text is sealed: its words are found by their keyed tokens (models.search_index),
        # every word of the query, under any key of the key file.
        words = Q()
        for tokens in search_tokens(filters.text):
            any_key = Q()
            for token in tokens:
                any_key |= Q(search_index__contains=f" {token} ")
            words &= any_key
        by_words = words if words else Q(pk__in=[])
        complaints = complaints.filter(Q(reference__icontains=filters.text) | by_words)
    if filters.facility_code:
        complaints = complaints.filter(facility__code=filters.facility_code)
    if filters.allegations:
        complaints = complaints.filter(category__in=ALLEGATION_CATEGORIES)
    if filters.happened_from or filters.happened_to:
        complaints = complaints.annotate(happened=Coalesce("incident_started_at", "received_at"))
        if filters.happened_from:
            complaints = complaints.filter(happened__gte=_local_midnight(filters.happened_from))
        if filters.happened_to:
            complaints = complaints.filter(happened__lt=_local_midnight(
                filters.happened_to + dt.timedelta(days=1)))
    return complaints.order_by(*inbox_order())


def may_open_inbox(user: User) -> bool:
    return has_capability(user, Capability.HANDLE_COMPLAINTS)


def complaint_inbox(*, user: User, origin: Origin, filters: InboxFilters
                    ) -> QuerySet[Complaint]:
    if not may_open_inbox(user):
        audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                     object_type="complaints.complaint", detail={"reason": "inbox"})
        raise PermissionDenied
    audit_record(actor=user, action=AuditEvent.Action.LIST, origin=origin,
                 object_type="complaints.complaint", detail={"filters": filters.as_detail()})
    return complaint_search(user=user, filters=filters)


def complaint_refused(*, user: User, origin: Origin, reference: str) -> None:
    """Audit a refused read by reference, the same line whether the complaint exists or not."""
    audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                 object_type="complaints.complaint",
                 detail={"reference": reference[:40], "reason": "outside scope or unknown"})


def complaint_detail(*, user: User, pk: int, origin: Origin) -> Complaint:
    """One complaint for its page, audited; Complaint.DoesNotExist outside the reader's scope."""
    complaint = (complaints_visible(user=user)
                 .select_related("region", "facility", "handler", "custody_record",
                                 "triage_confirmed_by", "terminal")
                 .filter(pk=pk).first())
    if complaint is None:
        # Audited whether or not it exists: the reader's own audit trail must not tell him.
        audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                     object_type="complaints.complaint", object_id=str(pk),
                     detail={"reason": "outside scope or unknown"})
        raise Complaint.DoesNotExist
    audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin, obj=complaint)
    return complaint


def attachment_for_download(*, user: User, complaint_pk: int, attachment_pk: int,
                            origin: Origin) -> Attachment:
    """A file of a complaint the reader handles; every download is audited (GlobaLeaks
    #3695: an audit without downloads is no audit). Attachment.DoesNotExist otherwise."""
    attachment = (Attachment.objects.filter(complaint__in=complaints_visible(user=user))
                  .select_related("complaint").filter(pk=attachment_pk,
                                                      complaint_id=complaint_pk).first())
    if attachment is None:
        if Attachment.objects.filter(pk=attachment_pk, complaint_id=complaint_pk).exists():
            audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                         object_type="complaints.attachment", object_id=str(attachment_pk),
                         detail={"complaint": complaint_pk, "reason": "outside scope"})
        raise Attachment.DoesNotExist
    audit_record(actor=user, action=AuditEvent.Action.EXPORT, origin=origin, obj=attachment,
                 detail={"complaint": attachment.complaint.reference, "download": True,
                         "sha256": attachment.sha256})
    return attachment


@dataclass(frozen=True)
class ComplaintClock:
    label: str
    clock: Clock


def complaint_clocks(complaint: Complaint, now: dt.datetime | None = None
                     ) -> list[ComplaintClock]:
    """Registration and answer clocks, in the custody clocks' states (kernels/deadlines).

    The kernel's clock kinds name custody safeguards; the state machine is what is reused,
    so the kind is only a placeholder here and the label says which clock it is.
    """
    now = now or timezone.now()
    registration = clock_reading(
        kind=ClockKind.DETENTION, started_at=complaint.received_at,
        due_at=complaint.registration_due_at, met_at=complaint.registered_at,
        custody_ended_at=complaint.closed_at, now=now, warnings=COMPLAINT_TERMS.warnings[1:])
    answer = clock_reading(
        kind=ClockKind.DETENTION, started_at=complaint.received_at,
        due_at=complaint.answer_due_at, met_at=complaint.answered_at,
        custody_ended_at=complaint.closed_at, now=now, warnings=COMPLAINT_TERMS.warnings)
    return [ComplaintClock(str(_("Registration")), registration),
            ComplaintClock(str(_("Answer")), answer)]


def complaint_transfer_alert(complaint: Complaint) -> CustodyRecord | None:
    """The complainant's custody record if it ended in a transfer while the complaint is open.

    A transferred complainant is out of reach of the accused but maybe of their colleagues;
    the handling prosecutor sees it on the complaint page and in the inbox.
    """
    record = complaint.custody_record
    if record is None or not complaint.is_open:
        return None
    return record if record.end_reason == EndReason.TRANSFERRED else None


def held_footage(*, complaint: Complaint) -> QuerySet[RecordingSegment]:
    """The recording segments a complaint's holds keep, with their hashes."""
    holds = list(complaint.legal_holds.filter(status=LegalHold.Status.ACTIVE)
                 .prefetch_related("rooms"))
    query = Q(pk__in=[])
    for hold in holds:
        rooms = list(hold.rooms.all())
        cameras = (Camera.objects.filter(rooms__in=rooms) if rooms
                   else Camera.objects.filter(facility_id=hold.facility_id))
        query |= Q(camera__in=cameras, started_at__lt=hold.ends_at, ended_at__gt=hold.starts_at)
    return RecordingSegment.objects.filter(query).select_related(
        "camera", "preservation").order_by("camera__code", "started_at")


def footage_on_hold(*, camera: Camera, started_at: dt.datetime, ended_at: dt.datetime) -> bool:
    """True when any active hold covers this camera in [started_at, ended_at).

    Video retention asks this before it deletes a recording: a hold beats retention.
    """
    holds = LegalHold.objects.filter(status=LegalHold.Status.ACTIVE,
                                     facility_id=camera.facility_id,
                                     starts_at__lt=ended_at, ends_at__gt=started_at)
    whole_facility = holds.filter(rooms__isnull=True)
    by_room = holds.filter(rooms__in=camera.rooms.all())
    return (whole_facility.exists() or by_room.exists()
            or blackout_holds(facility_id=camera.facility_id, started_at=started_at,
                              ended_at=ended_at))


def identity_accesses_to_decide(*, user: User) -> QuerySet[IdentityAccess]:
    """Requests awaiting a custodian, and break-the-glass openings awaiting review."""
    if not has_capability(user, Capability.DECIDE_IDENTITY_ACCESS):
        return IdentityAccess.objects.none()
    return (IdentityAccess.objects.filter(
        Q(decision=IdentityAccess.Decision.PENDING)
        | Q(kind=IdentityAccess.Kind.BREAK_GLASS, reviewed_at__isnull=True))
        .filter(complaint__in=complaints_visible(user=user))
        .exclude(requested_by=user)
        .select_related("complaint", "requested_by"))


def disposition_words(complaint: Complaint) -> str:
    """How the complaint ended, in plain words for the complainant ("" while it is open)."""
    detail = complaint.disposition_detail
    texts: dict[str, str] = {
        Disposition.REFERRED: _("Your complaint was sent for a criminal investigation "
                                "(register number %(detail)s)."),
        Disposition.CASE_OPENED: _("A criminal case was opened on your complaint (number "
                                   "%(detail)s)."),
        Disposition.REFUSED: _("Your complaint was refused. The legal ground: %(detail)s."),
        Disposition.SUBSTANTIATED: _("Your complaint was examined and found to be true."),
        Disposition.NOT_SUBSTANTIATED: _("Your complaint was examined; what it says was not "
                                         "confirmed."),
        Disposition.REMEDY: _("Your complaint was examined and this was done to put it "
                              "right: %(detail)s."),
    }
    words = texts.get(complaint.disposition)
    return str(words) % {"detail": detail} if words else ""


def complainant_view(complaint: Complaint) -> dict:
    """What the complainant sees with the code: no handler's name, no internal notes."""
    return {
        "outcome": disposition_words(complaint),
        "complaint": complaint,
        "thread": list(complaint.messages.all()),
        "attachments": list(complaint.attachments.all()),
    }


@dataclass(frozen=True)
class Bar:
    label: str
    count: int | None  # None: suppressed (small, or hidden so that a small one stays hidden)
    share: float  # 0..1 of the largest shown bar, for the picture


def _bars(rows: Iterable[tuple[str, int]], hidden: list[bool] | None = None,
          *, by_size: bool = True) -> list[Bar]:
    """Bars in the given order, or (suppressed) without a hint of any hidden count.

    ``hidden`` is None for a handler, who sees every count. Otherwise the picture is scaled
    to the largest shown bar (a share of a hidden one would tell it) and, where bars go by
    size, the hidden ones come last by label (their place among the others would bound them).
    """
    rows = list(rows)
    if hidden is None:
        largest = max((count for _label, count in rows), default=0) or 1
        return [Bar(label, count, count / largest) for label, count in rows]
    largest = max((count for (_label, count), secret in zip(rows, hidden, strict=True)
                   if not secret), default=0) or 1
    bars = [Bar(label, None, 0.0) if secret else Bar(label, count, count / largest)
            for (label, count), secret in zip(rows, hidden, strict=True)]
    if by_size:
        bars.sort(key=lambda bar: (bar.count is None, -(bar.count or 0), bar.label))
    return bars


def _hidden_in_chart(counts: list[int]) -> list[bool]:
    """The bars of one chart to hide: every count under SMALL_CELL and, since every chart
    adds up to the same total, enough others that no hidden count is the total less the
    shown ones (complementary suppression, kernels/suppression.py, as one row)."""
    if not counts:
        return []
    _full, mask = suppression.suppress([counts], threshold=SMALL_CELL)
    # Row 0 holds the bars, row 1 their column totals (the same numbers): either hides it.
    return [bool(mask[0, j] or mask[1, j]) for j in range(len(counts))]


def _hidden_regions_and_facilities(
        counts: dict[tuple[str, str | None], int]
) -> tuple[dict[str, bool], dict[str | None, bool]] | None:
    """Which region and facility bars to hide, suppressed together.

    A region's bar is the sum of its facilities' bars (and of the complaints that name no
    facility), so a lone hidden facility of a shown region would be the region less the
    others. Both charts are the margins of one region x facility table: its cells are known
    to anyone who knows which region a facility is in (the bar, or zero), and the complaints
    without a facility are taken as known too, which only hides more. None when the kernel
    could only protect a cell by hiding something the reader can learn anyway (a zero of
    that table, or the total every other chart gives): then no facility chart is shown.
    """
    regions = sorted({region for region, _facility in counts})
    facilities = sorted({facility for _region, facility in counts},
                        key=lambda code: (code is None, code or ""))
    cells = np.array([[counts.get((region, facility), 0) for facility in facilities]
                      for region in regions], dtype=np.int64)
    full = suppression.augment(cells)
    costs = full.copy()
    costs[-1, -1] = np.iinfo(np.int32).max  # and so zeros cost more still (the kernel's rule)
    mask = suppression.complementary(costs, suppression.primary(full, SMALL_CELL))
    if (mask & (full == 0)).any() or (mask[-1, -1] and full[-1, -1] >= SMALL_CELL):
        return None
    return ({region: bool(mask[i, -1]) for i, region in enumerate(regions)},
            {facility: bool(mask[:, j].any()) for j, facility in enumerate(facilities)})


def _suppressed_charts(complaints: QuerySet[Complaint], channel_labels: dict,
                       category_labels: dict) -> dict[str, list[Bar]]:
    """The charts for readers of statistics only: no hidden count can be worked out from the
    shown ones and the total, within a chart or between the region and facility charts."""
    def counted(field: str) -> list[tuple[str, int]]:
        return [(row[field], row["n"]) for row in
                complaints.order_by().values(field).annotate(n=Count("pk")).order_by(field)]

    def chart(rows: list[tuple[str, int]], *, by_size: bool = True) -> list[Bar]:
        return _bars(rows, _hidden_in_chart([count for _label, count in rows]),
                     by_size=by_size)

    by_month = [(row["month"].strftime("%Y-%m") if row["month"] else "—", row["n"]) for row in
                complaints.order_by().annotate(month=TruncMonth("received_at"))
                .values("month").annotate(n=Count("pk")).order_by("month")]
    pairs: dict[tuple[str, str | None], int] = {
        (row["region__code"], row["facility__code"]): row["n"] for row in
        complaints.order_by().values("region__code", "facility__code").annotate(n=Count("pk"))}
    result = {
        "channel": chart([(str(channel_labels.get(k, k)), n) for k, n in counted("channel")]),
        "region": [],
        "facility": [],
        "category": chart([(str(category_labels.get(k, k)), n)
                           for k, n in counted("category")]),
        "month": chart(by_month, by_size=False),
    }
    hidden = _hidden_regions_and_facilities(pairs) if pairs else ({}, {})
    regions: dict[str, int] = {}
    facilities: dict[str | None, int] = {}
    for (region, facility), n in pairs.items():
        regions[region] = regions.get(region, 0) + n
        facilities[facility] = facilities.get(facility, 0) + n
    region_rows = sorted(regions.items())
    if hidden is None:
        result["region"] = chart(region_rows)
        del result["facility"]
        return result
    hidden_regions, hidden_facilities = hidden
    result["region"] = _bars(region_rows, [hidden_regions[code] for code, _n in region_rows])
    facility_rows = sorted(facilities.items(), key=lambda item: (item[0] is None, item[0] or ""))
    # Suppressed over every facility, then the top 20 shown: leaving out bars tells nothing.
    result["facility"] = _bars([(code or "—", n) for code, n in facility_rows],
                               [hidden_facilities[code] for code, _n in facility_rows])[:20]
    return result


def complaint_statistics(*, user: User, origin: Origin, year: int | None = None
                         ) -> dict[str, list[Bar]]:
    """Counts by channel, region, facility, category and month, as bars.

    Handlers count the complaints they may see; readers of statistics only count every
    complaint but see small counts suppressed (with the complementary ones that keep them
    hidden), facilities only in aggregate (top 20), and one year at a time: a year's hidden
    count would otherwise be the all-time count less the other years'.
    """
    if not has_capability(user, Capability.READ_COMPLAINT_STATISTICS):
        audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                     object_type="complaints.statistics", detail={"reason": "role"})
        raise PermissionDenied
    handler = has_capability(user, Capability.HANDLE_COMPLAINTS)
    complaints = complaints_visible(user=user) if handler else Complaint.objects.all()
    if not handler and not year:
        year = timezone.localtime().year
    if year:
        complaints = complaints.filter(received_at__year=year)
    channel_labels = dict(Channel.choices)
    category_labels = dict(Category.choices)
    if not handler:
        result = _suppressed_charts(complaints, channel_labels, category_labels)
        audit_record(actor=user, action=AuditEvent.Action.LIST, origin=origin,
                     object_type="complaints.statistics", detail={"year": year})
        return result

    def counted(field: str) -> list[tuple[str, int]]:
        return [(row[field], row["n"]) for row in
                complaints.order_by().values(field).annotate(n=Count("pk")).order_by("-n")]

    by_month = (complaints.order_by().annotate(month=TruncMonth("received_at"))
                .values("month").annotate(n=Count("pk")).order_by("month"))
    result = {
        "channel": _bars((str(channel_labels.get(k, k)), n) for k, n in counted("channel")),
        "region": _bars(counted("region__code")),
        "facility": _bars((k or "—", n) for k, n in counted("facility__code")[:20]),
        "category": _bars((str(category_labels.get(k, k)), n) for k, n in counted("category")),
        "month": _bars((row["month"].strftime("%Y-%m") if row["month"] else "—", row["n"])
                       for row in by_month),
    }
    audit_record(actor=user, action=AuditEvent.Action.LIST, origin=origin,
                 object_type="complaints.statistics", detail={"year": year})
    return result


EXPORT_COLUMNS = ["reference", "received_at", "channel", "region", "facility", "category",
                  "suggested_category", "urgency", "handling_body", "status",
                  "registration_due_at", "answer_due_at", "answered_at"]


def complaint_export_rows(*, user: User, origin: Origin, filters: InboxFilters
                          ) -> list[list[str]]:
    """The inbox as rows for a CSV export: no text, no identity; audited as an export."""
    if not has_capability(user, Capability.HANDLE_COMPLAINTS):
        audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                     object_type="complaints.complaint", detail={"reason": "export"})
        raise PermissionDenied
    rows = []
    for c in complaint_search(user=user, filters=filters):
        rows.append([c.reference, c.received_at.isoformat(), c.channel, c.region.code,
                     c.facility.code if c.facility else "", c.category, c.suggested_category,
                     c.urgency, c.handling_body, c.status, c.registration_due_at.isoformat(),
                     c.answer_due_at.isoformat(),
                     c.answered_at.isoformat() if c.answered_at else ""])
    audit_record(actor=user, action=AuditEvent.Action.EXPORT, origin=origin,
                 object_type="complaints.complaint", detail={"rows": len(rows),
                                                            "filters": filters.as_detail()})
    return rows


def triage_decisions() -> list[tuple[str, str]]:
    """(suggested, confirmed) category of every complaint whose triage a person confirmed."""
    return list(Complaint.objects.filter(triage_confirmed_at__isnull=False)
                .values_list("suggested_category", "category"))


def custody_records_for_linking(*, user: User) -> QuerySet[CustodyRecord]:
    """The custody records a handler may link to a complaint: those of the facilities in his
    scope (accounts/scoping.py), never one he could not open in the custody register."""
    return CustodyRecord.objects.filter(facility_q(user, "facility")).select_related(
        "facility").order_by("-detained_at")


def custody_record_to_link(*, user: User, pk: int, origin: Origin) -> CustodyRecord:
    """One record to link; CustodyRecord.DoesNotExist outside the handler's scope (a guess at
    another's number is audited as a refusal, and looks like a wrong number)."""
    record = custody_records_for_linking(user=user).filter(pk=pk).first()
    if record is None:
        if CustodyRecord.objects.filter(pk=pk).exists():
            audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                         object_type="custody.custodyrecord", object_id=str(pk),
                         detail={"reason": "outside scope", "link": True})
        raise CustodyRecord.DoesNotExist
    return record


def identity_access_to_decide(*, user: User, pk: int, origin: Origin) -> IdentityAccess:
    """One request (or break-the-glass opening) a custodian may decide or review: of a
    complaint he may see, so never one that accuses him or lies outside his scope.
    IdentityAccess.DoesNotExist otherwise; a guess at another's number is audited."""
    access = None
    if has_capability(user, Capability.DECIDE_IDENTITY_ACCESS):
        access = (IdentityAccess.objects.filter(complaint__in=complaints_visible(user=user))
                  .select_related("complaint", "requested_by").filter(pk=pk).first())
    if access is None:
        if IdentityAccess.objects.filter(pk=pk).exists():
            audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                         object_type="complaints.identityaccess", object_id=str(pk),
                         detail={"reason": "outside scope"})
        raise IdentityAccess.DoesNotExist
    return access
