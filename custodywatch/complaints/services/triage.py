"""Triage: confirming the urgency and category, registering the complaint."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.complaints import rules
from custodywatch.complaints import timeline_text as words
from custodywatch.complaints.models import (
    Category,
    Complaint,
    HandlingBody,
    Status,
    TimelineEvent,
    Urgency,
)
from custodywatch.complaints.services._common import _require_handler, _timeline


def complaint_triage_confirm(*, acting_user: User, origin: Origin, complaint: Complaint,
                             category: Category, urgency: Urgency) -> Complaint:
    """A person confirms or corrects the machine's triage; a new class may mean a new body."""
    _require_handler(acting_user, origin, complaint)
    now = timezone.now()
    with transaction.atomic():
        before = (complaint.category, complaint.urgency, complaint.handling_body)
        complaint.category, complaint.urgency = Category(category), Urgency(urgency)
        complaint.triage_confirmed_at, complaint.triage_confirmed_by = now, acting_user
        complaint.handling_body = rules.ROUTING[complaint.category]
        complaint.answer_due_at = complaint.received_at + rules.answer_term(complaint.category)
        complaint.save(update_fields=["category", "urgency", "triage_confirmed_at",
                                      "triage_confirmed_by", "handling_body", "answer_due_at"])
        corrected = complaint.category != complaint.suggested_category
        shown = words.choice(Category, complaint.category)
        _timeline(complaint, TimelineEvent.Kind.TRIAGED, now, acting_user, parts=[
            words.text(gettext_noop("%(category)s (corrected)"), category=shown)
            if corrected else shown])
        if before[2] != complaint.handling_body:
            complaint.handler = None
            complaint.save(update_fields=["handler"])
            _timeline(complaint, TimelineEvent.Kind.ROUTED, now, acting_user,
                      parts=[words.choice(HandlingBody, complaint.handling_body)])
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=complaint, detail={"triage": complaint.category,
                                            "suggested": complaint.suggested_category,
                                            "urgency": complaint.urgency,
                                            "before": list(before)})
    return complaint


def complaint_register(*, acting_user: User, origin: Origin, complaint: Complaint) -> Complaint:
    _require_handler(acting_user, origin, complaint)
    if complaint.status != Status.RECEIVED:
        raise ValidationError({"status": _("Already registered.")})
    now = timezone.now()
    with transaction.atomic():
        complaint.status, complaint.registered_at = Status.REGISTERED, now
        if complaint.handler_id is None:
            complaint.handler = acting_user
        complaint.save(update_fields=["status", "registered_at", "handler"])
        _timeline(complaint, TimelineEvent.Kind.REGISTERED, now, acting_user)
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=complaint, detail={"status": Status.REGISTERED})
    return complaint
