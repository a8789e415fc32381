"""Opening a case, from complaints or ex officio, and holding its footage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.cases.models import (
    Case,
    CaseParty,
    CaseStatus,
    CaseTransition,
    Officer,
)
from custodywatch.cases.services._common import (
    _deny,
    _local_day,
    _may_lead,
    _not_future,
    _now_or,
    _raise,
    unit_head_at,
)
from custodywatch.complaints import rules as complaint_rules
from custodywatch.complaints.models import Complaint, LegalHold, TimelineEvent
from custodywatch.complaints.selectors import complaints_visible
from custodywatch.escrow import services as escrow_services
from custodywatch.escrow.models import HoldReason
from custodywatch.kernels import case_rules
from custodywatch.registry.models import Facility


def case_open(*, acting_user: User, origin: Origin, register_number: str, title: str,
              facility: Facility, complaints: Iterable[Complaint] = (),
              ex_officio: bool = False, summary: str = "", unit: str = "",
              supervising_prosecutor: User | None = None,
              investigating_prosecutor: User | None = None,
              events_from: dt.datetime | None = None, events_until: dt.datetime | None = None,
              registered_at: dt.datetime | None = None,
              suspects: Iterable[Officer] = ()) -> Case:
    """Register a pre-trial investigation from complaints, or ex officio.

    Each complaint's timeline gets a "case opened" event; `suspects` (the page pre-fills the
    officers the complaints accuse) become the case's suspects.
    """
    if not has_capability(acting_user, Capability.RUN_CASES):
        raise _deny(acting_user, origin, _("Only prosecutors open torture cases."))
    now = timezone.now()
    registered_at = _now_or(registered_at)
    complaints = list(complaints)
    number = case_rules.normalise_register_number(register_number)
    errors: dict[str, Any] = {}
    bad_number = case_rules.check_register_number(register_number)
    if bad_number is not None:
        errors["register_number"] = _(bad_number.text)
    elif Case.objects.filter(register_number=number).exists():
        errors["register_number"] = _("A case with this ERDR number is already registered.")
    if not title.strip():
        errors["title"] = _("Give the case a title.")
    if not _may_lead(acting_user, facility):
        errors["facility"] = _("This facility is outside your region.")
    if not complaints and not ex_officio:
        errors["complaints"] = _("Name the complaints the case is opened from, or open it "
                                 "ex officio.")
    visible = complaints_visible(user=acting_user)
    hidden = [c.reference for c in complaints if not visible.filter(pk=c.pk).exists()]
    if hidden:
        errors["complaints"] = _("Not among the complaints you handle: %(refs)s.") % {
            "refs": ", ".join(hidden)}
    for field, prosecutor in (("supervising_prosecutor", supervising_prosecutor),
                              ("investigating_prosecutor", investigating_prosecutor)):
        if not _may_lead(prosecutor, facility):
            errors[field] = _("Choose a prosecutor competent for this facility's region.")
    if events_from and events_until and events_until <= events_from:
        errors["events_until"] = _("The events end after they start.")
    suspects = list(dict.fromkeys(suspects))
    if any(officer.pk is None for officer in suspects):
        errors["suspects"] = _("Choose recorded officers.")
    _not_future(errors, "registered_at", registered_at, now)
    _not_future(errors, "events_from", events_from, now)
    _raise(errors)
    if supervising_prosecutor is None:
        supervising_prosecutor = acting_user
    with transaction.atomic():
        case = Case.objects.create(
            register_number=number, title=title.strip(), summary=summary, ex_officio=ex_officio,
            facility=facility, region_id=facility.region_id, unit=unit,
            supervising_prosecutor=supervising_prosecutor,
            investigating_prosecutor=investigating_prosecutor, events_from=events_from,
            events_until=events_until, status=CaseStatus.REGISTERED,
            registered_at=registered_at, status_changed_at=registered_at)
        case.complaints.set(complaints)
        CaseTransition.objects.create(case=case, from_status="", to_status=CaseStatus.REGISTERED,
                                      actor=acting_user, at=registered_at)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin, obj=case,
                     detail={"complaints": [c.reference for c in complaints],
                             "ex_officio": ex_officio})
        for complaint in complaints:
            # The note is the register number; the complaint's page shows it only to readers
            # who may open the case (complaints/views.py).
            TimelineEvent.objects.create(complaint=complaint, kind=TimelineEvent.Kind.CASE_OPENED,
                                         at=registered_at, actor=acting_user,
                                         note=case.register_number)
            audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                         obj=complaint, detail={"case_opened": case.register_number})
        _hold_case_footage(case, complaints, suspects, acting_user, origin, now)
        day = _local_day(events_from or registered_at)
        for officer in suspects:
            party = CaseParty.objects.create(case=case, role=CaseParty.Role.SUSPECT,
                                             officer=officer,
                                             unit_head=unit_head_at(officer.facility, day))
            audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                         obj=party, object_label=f"{case.register_number}: suspect",
                         detail={"case": case.register_number, "role": "suspect",
                                 "officer": officer.pk, "from_complaint": True})
    return case


def _hold_case_footage(case: Case, complaints: list[Complaint], suspects: list[Officer],
                       acting_user: User, origin: Origin, now: dt.datetime) -> None:
    """Keep the off-site copies of the case's footage (escrow/services.py), in the case's own
    transaction: the events' period where the case gives one, else the span of its complaints'
    legal holds, else the complaint look-back before registration; the rooms of those holds
    where every one names rooms, else every camera of the facility. At the centre only: no
    read of the facility changes (docs/security.md)."""
    holds = list(LegalHold.objects.filter(complaint__in=complaints, facility=case.facility)
                 .prefetch_related("rooms"))
    started_at = case.events_from or (min(h.starts_at for h in holds) if holds else
                                      case.registered_at - complaint_rules.HOLD_DEFAULT_LOOKBACK)
    ended_at = case.events_until or (max(h.ends_at for h in holds) if holds else
                                     max(now, case.registered_at) + complaint_rules.HOLD_MARGIN)
    if ended_at <= started_at:
        ended_at = started_at + complaint_rules.HOLD_MARGIN
    rooms = ({room for hold in holds for room in hold.rooms.all()}
             if holds and all(hold.rooms.all() for hold in holds) else set())
    cameras = escrow_services.worn_cameras(
        personnel_numbers=[officer.personnel_number for officer in suspects],
        started_at=started_at, ended_at=ended_at) if rooms else []
    escrow_services.place_hold(acting_user=acting_user, origin=origin, facility=case.facility,
                               started_at=started_at, ended_at=ended_at,
                               reason=HoldReason.CASE, reference=f"case:{case.pk}",
                               rooms=sorted(rooms, key=lambda room: room.pk), cameras=cameras,
                               now=now)
