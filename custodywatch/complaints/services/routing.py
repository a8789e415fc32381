"""Routing: who handles a complaint, its custody record, and transfer alerts."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import SYSTEM_ORIGIN, Origin, audit_record
from custodywatch.accounts.capabilities import (
    Capability,
    has_capability,
    holders_q,
    is_region_bound,
    user_can,
)
from custodywatch.accounts.models import AuditEvent, Scope, User
from custodywatch.accounts.scoping import facility_q
from custodywatch.complaints.models import (
    OPEN_STATUSES,
    Complaint,
    HandlingBody,
    TimelineEvent,
    Urgency,
)
from custodywatch.complaints.selectors import (
    complaints_visible,
)
from custodywatch.complaints.services._common import _deny, _require_handler, _timeline
from custodywatch.complaints.services.holds import legal_hold_place
from custodywatch.core.mail import mail_queue
from custodywatch.custody.models import CustodyRecord, EndReason
from custodywatch.kernels import triage


def _eligible_handler(complaint: Complaint, user: User) -> bool:
    """Who may be given a complaint: a handler in scope, never anyone of the accused facility."""
    if not user_can(user, Capability.HANDLE_COMPLAINTS) or user.scope == Scope.FACILITY:
        return False
    if complaint.handling_body == HandlingBody.OMBUDSPERSON:
        eligible = has_capability(user, Capability.ACT_FOR_OMBUDSPERSON)
    elif has_capability(user, Capability.ACT_FOR_PROSECUTION):
        # A regional prosecutor, his region's; the General Prosecutor's Office, any.
        eligible = not is_region_bound(user) or user.region_id == complaint.region_id
    else:
        eligible = False
    # The one scoped rule also keeps out an officer the complaint accuses.
    return eligible and complaints_visible(user=user).filter(pk=complaint.pk).exists()


def complaint_reassign(*, acting_user: User, origin: Origin, complaint: Complaint,
                       handler: User, reason: str) -> Complaint:
    """Give the complaint to another official; every reassignment is audited with its reason."""
    _require_handler(acting_user, origin, complaint)
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the reassignment.")})
    if not _eligible_handler(complaint, handler):
        raise ValidationError({"handler": _("This person cannot handle this complaint.")})
    now = timezone.now()
    with transaction.atomic():
        previous = complaint.handler
        complaint.handler = handler
        complaint.save(update_fields=["handler"])
        _timeline(complaint, TimelineEvent.Kind.REASSIGNED, now, acting_user,
                  f"{previous.get_username() if previous else '—'} → {handler.get_username()}: "
                  f"{reason.strip()}")
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=complaint, detail={"handler": handler.get_username(),
                                            "previous": previous.get_username() if previous
                                            else None, "reason": reason.strip()})
    return complaint


def complaint_link_custody_record(*, acting_user: User, origin: Origin, complaint: Complaint,
                                  custody_record: CustodyRecord) -> Complaint:
    """Link the complainant's custody record; the footage of their rooms is held at once.

    Only a record the handler may see (his scope, accounts/scoping.py); a complaint that
    named no facility takes the record's facility and that facility's region, so that it is
    routed and counted where the person was held.
    """
    _require_handler(acting_user, origin, complaint)
    if not CustodyRecord.objects.filter(facility_q(acting_user, "facility"),
                                        pk=custody_record.pk).exists():
        raise _deny(acting_user, origin, _("This custody record is outside your scope."),
                    complaint)
    if complaint.facility_id and custody_record.facility_id != complaint.facility_id:
        raise ValidationError({"custody_record": _("This custody record is of another facility.")})
    now = timezone.now()
    with transaction.atomic():
        previous_region = complaint.region_id
        complaint.custody_record = custody_record
        if complaint.facility_id is None:
            complaint.facility = custody_record.facility
            complaint.region_id = custody_record.facility.region_id
        if custody_record.ended_at is None:
            # Still held by the unit he complains about: urgent (kernels/triage.urgency).
            complaint.still_in_custody = True
            complaint.urgency = Urgency(triage.urgency(still_in_custody_of_accused=True).value)
        complaint.save(update_fields=["custody_record", "facility", "region",
                                      "still_in_custody", "urgency"])
        if (complaint.region_id != previous_region and complaint.handler is not None
                and not complaints_visible(user=complaint.handler).filter(
                    pk=complaint.pk).exists()):
            complaint.handler = None  # of the former region: it waits for the new region's
            complaint.save(update_fields=["handler"])
        _timeline(complaint, TimelineEvent.Kind.LINKED, now, acting_user)
        legal_hold_place(complaint=complaint, acting_user=acting_user, now=now, origin=origin)
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=complaint, detail={"custody_record": custody_record.pk,
                                            "urgency": complaint.urgency,
                                            "facility": custody_record.facility.code,
                                            "region_before": previous_region,
                                            "region": complaint.region_id})
    return complaint


def _transfer_alert_recipients(complaint: Complaint) -> list[User]:
    """The handler; else whoever handles such complaints in the region; else the country."""
    def sees(user: User) -> bool:  # never an officer the complaint accuses
        return complaints_visible(user=user).filter(pk=complaint.pk).exists()

    if complaint.handler is not None and complaint.handler.is_active and sees(complaint.handler):
        return [complaint.handler]
    # The Ombudsperson's people of the region for his; the region's prosecutors for the
    # prosecutor's office; else the General Prosecutor's Office.
    regional_cap = (Capability.ACT_FOR_OMBUDSPERSON
                    if complaint.handling_body == HandlingBody.OMBUDSPERSON
                    else Capability.RECEIVE_REGION_NOTICES)
    regional = [user for user in User.objects.filter(
        holders_q(regional_cap), region=complaint.region, is_active=True) if sees(user)]
    return regional or [user for user in User.objects.filter(
        holders_q(Capability.RECEIVE_COUNTRY_ESCALATIONS), is_active=True) if sees(user)]


def complaint_transfer_alerts_send(*, now: dt.datetime | None = None) -> int:
    """Tell the handling official once when an open complaint's complainant was transferred.

    A person moved away from the accused unit may now be held by its colleagues. Each
    complaint is claimed with a conditional UPDATE, so two sweeps never alert twice, in the
    transaction that queues its e-mail (retried until the mail server takes it). The mail
    names the complaint, never the complainant.
    """
    now = now or timezone.now()
    candidates = (Complaint.objects.filter(status__in=OPEN_STATUSES,
                                           transfer_alerted_at__isnull=True,
                                           custody_record__end_reason=EndReason.TRANSFERRED)
                  .select_related("custody_record__facility", "handler", "region"))
    sent = 0
    for complaint in candidates:
        recipients = _transfer_alert_recipients(complaint)
        record = complaint.custody_record
        if record is None:  # never: the query asks for a transferred record
            continue
        with transaction.atomic():  # claimed with its e-mail queued (core/mail.py)
            claimed = Complaint.objects.filter(pk=complaint.pk, transfer_alerted_at__isnull=True)
            if not claimed.update(transfer_alerted_at=now):
                continue
            mail_queue(
                subject=_("Complaint %(reference)s: the complainant was transferred")
                % {"reference": complaint.reference},
                body=_("The custody record linked to complaint %(reference)s ended in a "
                       "transfer from %(facility)s at %(moment)s. Check where the person is "
                       "held now and that they are safe from the officers complained about.")
                % {"reference": complaint.reference, "facility": record.facility.code,
                   "moment": timezone.localtime(record.ended_at).strftime("%Y-%m-%d %H:%M")},
                to=[user.email for user in recipients])
            audit_record(actor=None, action=AuditEvent.Action.UPDATE, origin=SYSTEM_ORIGIN,
                         obj=complaint,
                         detail={"transfer_alert": [u.username for u in recipients]})
        sent += 1
    return sent
