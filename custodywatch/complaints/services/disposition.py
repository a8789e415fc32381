"""Closing a complaint, always with a disposition."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.complaints import timeline_text as words
from custodywatch.complaints.models import (
    DISPOSITION_DETAIL_REQUIRED,
    Complaint,
    Disposition,
    Status,
    TimelineEvent,
)
from custodywatch.complaints.services._common import _require_handler, _timeline


def complaint_close(*, acting_user: User, origin: Origin, complaint: Complaint,
                    disposition: str, detail: str = "", note: str = "") -> Complaint:
    """Close with how it ended (Disposition), and for a referral, a case, a refusal or a
    remedy the words that go with it; the complainant reads it in plain words."""
    _require_handler(acting_user, origin, complaint)
    if complaint.status == Status.CLOSED:
        raise ValidationError({"disposition": _("This complaint is closed.")})
    if disposition not in Disposition.values:
        raise ValidationError({"disposition": _("Choose how the complaint ended.")})
    detail = detail.strip()
    if disposition in DISPOSITION_DETAIL_REQUIRED and not detail:
        raise ValidationError({"detail": _("Give the register or case number, the legal "
                                           "ground of the refusal, or the remedy given.")})
    now = timezone.now()
    with transaction.atomic():
        complaint.status, complaint.closed_at = Status.CLOSED, now
        complaint.disposition, complaint.disposition_detail = disposition, detail[:300]
        complaint.save(update_fields=["status", "closed_at", "disposition",
                                      "disposition_detail"])
        _timeline(complaint, TimelineEvent.Kind.CLOSED, now, acting_user,
                  " · ".join(part for part in (detail, note) if part),
                  parts=[words.choice(Disposition, disposition)])
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=complaint, detail={"status": Status.CLOSED,
                                            "disposition": disposition})
    return complaint
