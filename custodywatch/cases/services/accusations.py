"""The officers a complaint accuses, linked to Officer records before any case exists."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.cases.models import (
    Accusation,
    Officer,
)
from custodywatch.cases.services._common import _deny, _raise
from custodywatch.complaints import timeline_text as timeline_words
from custodywatch.complaints.models import Complaint, TimelineEvent
from custodywatch.complaints.selectors import COMPLAINT_POLICY


def _require_complaint_handler(user: User, origin: Origin, complaint: Complaint) -> None:
    if not COMPLAINT_POLICY.can(user, "handle", complaint):
        raise _deny(user, origin, _("You do not handle this complaint."), complaint)


def accusation_add(*, acting_user: User, origin: Origin, complaint: Complaint,
                   officer: Officer | None = None, full_name: str = "",
                   personnel_number: str = "", rank: str = "", position: str = "",
                   user: User | None = None, note: str = "") -> Accusation:
    """Link an officer the complaint accuses to an Officer record (found by personnel number,
    else created in the facility concerned), optionally with his user account.

    From then on that account never sees the complaint (complaints_q), is never given it, and
    stops handling it at once if he did.
    """
    _require_complaint_handler(acting_user, origin, complaint)
    errors: dict[str, Any] = {}
    personnel_number = personnel_number.strip()
    if officer is None and not full_name.strip() and not personnel_number:
        errors["full_name"] = _("Give the officer's full name or personnel number.")
    if officer is None and personnel_number:
        officer = Officer.objects.filter(personnel_number=personnel_number).first()
    if officer is None and not full_name.strip():
        errors.setdefault("personnel_number", _("No officer has this personnel number; give "
                                                "his full name to record him."))
    if officer is not None and user is not None and officer.user_id not in (None, user.pk):
        errors["user"] = _("This officer is recorded with another user account.")
    if officer is not None and complaint.accusations.filter(officer=officer).exists():
        errors["full_name"] = _("This officer is already linked to the complaint.")
    _raise(errors)
    now = timezone.now()
    with transaction.atomic():
        if officer is None:
            officer = Officer.objects.create(
                full_name=full_name.strip(), personnel_number=personnel_number,
                rank=rank.strip(), position=position.strip(), facility=complaint.facility,
                user=user)
            audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                         obj=officer, detail={"complaint": complaint.reference})
        elif user is not None and officer.user_id is None:
            officer.user = user
            officer.save(update_fields=["user"])
            audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                         obj=officer, detail={"user": user.get_username()})
        accusation = Accusation.objects.create(complaint=complaint, officer=officer,
                                               note=note.strip()[:500], added_by=acting_user)
        TimelineEvent.objects.create(complaint=complaint, kind=TimelineEvent.Kind.ACCUSED,
                                     at=now, actor=acting_user, parts=[timeline_words.text(
                                         gettext_noop("Accused officer linked: %(name)s"),
                                         name=officer.full_name)])
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=accusation, object_label=f"{complaint.reference}: accused officer",
                     detail={"complaint": complaint.reference, "officer": officer.pk})
        handler = complaint.handler
        if handler is not None and officer.user_id == handler.pk:
            # The accused never handles the complaint: back to the handling body's inbox.
            Complaint.objects.filter(pk=complaint.pk).update(handler=None)
            complaint.handler = None
            TimelineEvent.objects.create(
                complaint=complaint, kind=TimelineEvent.Kind.REASSIGNED, at=now,
                actor=acting_user, parts=[timeline_words.text(
                    gettext_noop("%(user)s → —: accused in this complaint"),
                    user=handler.get_username())])
            audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                         obj=complaint, detail={"handler": None,
                                                "previous": handler.get_username(),
                                                "reason": "accused officer"})
    return accusation


def accusation_remove(*, acting_user: User, origin: Origin, accusation: Accusation,
                      reason: str) -> None:
    """Undo a wrong link, with a reason (audited; the timeline keeps both)."""
    complaint = accusation.complaint
    _require_complaint_handler(acting_user, origin, complaint)
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for removing the link.")})
    with transaction.atomic():
        name = accusation.officer.full_name
        audit_record(actor=acting_user, action=AuditEvent.Action.DELETE, origin=origin,
                     obj=accusation, object_label=f"{complaint.reference}: accused officer",
                     detail={"complaint": complaint.reference,
                             "officer": accusation.officer_id, "reason": reason.strip()})
        accusation.delete()
        TimelineEvent.objects.create(
            complaint=complaint, kind=TimelineEvent.Kind.ACCUSED, at=timezone.now(),
            actor=acting_user, note=reason.strip()[:500], parts=[timeline_words.text(
                gettext_noop("Accused officer unlinked: %(name)s"), name=name)])
