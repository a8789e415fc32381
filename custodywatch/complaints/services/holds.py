"""Legal holds on the footage a complaint concerns: placed at filing, released by a prosecutor."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from custodywatch.accounts.audit import SYSTEM_ORIGIN, Origin, audit_record
from custodywatch.accounts.capabilities import (
    Capability,
    has_capability,
)
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.complaints import rules
from custodywatch.complaints import timeline_text as words
from custodywatch.complaints.models import (
    Complaint,
    LegalHold,
    TimelineEvent,
)
from custodywatch.complaints.services._common import _deny, _require_handler, _timeline
from custodywatch.custody.models import CustodyRecord
from custodywatch.escrow import services as escrow_services
from custodywatch.kernels.ledger_leaf import iso_time
from custodywatch.ledger.appends import ledger_append, legal_hold_fields
from custodywatch.ledger.models import LeafKind
from custodywatch.registry.models import Room


def _hold_period(complaint: Complaint, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    margin = rules.HOLD_MARGIN
    if complaint.incident_started_at is not None:
        end = complaint.incident_ended_at or complaint.incident_started_at + dt.timedelta(days=1)
        return complaint.incident_started_at - margin, min(end + margin, now + margin)
    record = complaint.custody_record
    if record is not None:
        return record.detained_at - margin, (record.ended_at or now) + margin
    return now - rules.HOLD_DEFAULT_LOOKBACK, now + margin


def _rooms_of_stays(record: CustodyRecord, start: dt.datetime, end: dt.datetime) -> list[Room]:
    """The rooms the person was in during [start, end), from the custody register's stays."""
    stays = record.stays.filter(started_at__lt=end).exclude(ended_at__lte=start)
    return list(Room.objects.filter(stays__in=stays).distinct())


def legal_hold_place(*, complaint: Complaint, acting_user: User | None,
                     now: dt.datetime | None = None, origin: Origin = SYSTEM_ORIGIN
                     ) -> LegalHold:
    """Hold the footage of the complaint: the person's rooms when known, else the facility.

    Runs inside the complaint's own transaction (the hold and the complaint commit together).
    """
    facility = complaint.facility
    if facility is None:  # the callers hold a complaint's footage once it names its facility
        raise ValueError("A legal hold needs the complaint's facility.")
    now = now or timezone.now()
    starts_at, ends_at = _hold_period(complaint, now)
    rooms: list[Room] = []
    if complaint.custody_record is not None:
        rooms = _rooms_of_stays(complaint.custody_record, starts_at, ends_at)
    with transaction.atomic(savepoint=False):
        hold = LegalHold.objects.create(
            complaint=complaint, facility=facility,
            custody_record=complaint.custody_record, starts_at=starts_at, ends_at=ends_at,
            created_at=now)
        if rooms:
            hold.rooms.set(rooms)
        room_codes = sorted(room.code for room in rooms)
        _timeline(complaint, TimelineEvent.Kind.HOLD, now, acting_user, ", ".join(room_codes),
                  parts=[] if room_codes else [words.text(gettext_noop(
                      "every room of the facility"))])
        ledger_append(kind=LeafKind.LEGAL_HOLD, fields=legal_hold_fields(
            hold=hold.pk, action="placed", at=now, details=legal_hold_details(hold, "placed")))
        # The off-site copies of the same footage are kept as long (escrow/services.py): at
        # the centre only, so nothing the facility reads changes (docs/security.md).
        escrow_services.hold_for_complaint(
            acting_user=acting_user, origin=origin, facility=facility,
            started_at=starts_at, ended_at=ends_at, reference=escrow_reference(hold),
            rooms=rooms, now=now)
    return hold


def escrow_reference(hold: LegalHold) -> str:
    """The escrow hold that goes with a legal hold carries this reference."""
    return f"legal-hold:{hold.pk}"


def legal_hold_details(hold: LegalHold, action: str) -> dict[str, Any]:
    """What a hold's ledger leaf commits to, derived from the hold's row alone (so that
    ``ledger verify`` re-derives it): the complaint, the facility, the rooms and the period;
    for a release, who released it and why."""
    if action == "released":
        return {"complaint": hold.complaint.reference,
                "by": hold.released_by.get_username() if hold.released_by else "",
                "reason": hold.release_reason}
    return {"complaint": hold.complaint.reference, "facility": hold.facility.code,
            "rooms": sorted(room.code for room in hold.rooms.all()),
            "from": iso_time(hold.starts_at), "until": iso_time(hold.ends_at)}


def legal_hold_release(*, acting_user: User, origin: Origin, hold: LegalHold,
                       reason: str) -> LegalHold:
    """Only a prosecutor releases a hold, with a reason, once the complaint is closed."""
    if not has_capability(acting_user, Capability.RELEASE_LEGAL_HOLD):
        raise _deny(acting_user, origin, _("Only a prosecutor releases a legal hold."),
                    hold.complaint)
    _require_handler(acting_user, origin, hold.complaint)
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for releasing the footage.")})
    if hold.complaint.is_open:
        raise ValidationError({"reason": _("Close the complaint before releasing its footage.")})
    now = timezone.now()
    with transaction.atomic():
        hold.status, hold.released_at, hold.released_by = LegalHold.Status.RELEASED, now, \
            acting_user
        hold.release_reason = reason.strip()
        hold.save(update_fields=["status", "released_at", "released_by", "release_reason"])
        ledger_append(kind=LeafKind.LEGAL_HOLD, fields=legal_hold_fields(
            hold=hold.pk, action="released", at=now,
            details=legal_hold_details(hold, "released")))
        _timeline(hold.complaint, TimelineEvent.Kind.HOLD, now, acting_user,
                  parts=[words.text(gettext_noop("released"))])
        escrow_services.release_for(acting_user=acting_user, origin=origin,
                                    reference=escrow_reference(hold),
                                    decision=hold.release_reason, now=now)
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin, obj=hold,
                     detail={"released": True})
    return hold
