"""What the complaint services share: refusals (audited), the handler check, the timeline."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.complaints import timeline_text as words
from custodywatch.complaints.models import (
    Complaint,
    TimelineEvent,
)
from custodywatch.complaints.selectors import (
    COMPLAINT_POLICY,
)

# What the kiosk tells the server about the person at the terminal: nothing.
KIOSK_ORIGIN = Origin(ip_address=None, user_agent="kiosk")


COMPLAINANT_LABEL = "complainant"


def _deny(user: User | None, origin: Origin, message: str, obj: Complaint | None = None,
          object_label: str = "") -> PermissionDenied:
    audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin, obj=obj,
                 object_type="complaints.complaint", object_label=object_label,
                 detail={"reason": message})
    return PermissionDenied(message)


def _require_handler(user: User, origin: Origin, complaint: Complaint) -> None:
    if not COMPLAINT_POLICY.can(user, "handle", complaint):
        raise _deny(user, origin, _("You do not handle this complaint."), complaint)


def _timeline(complaint: Complaint, kind: TimelineEvent.Kind, at: dt.datetime,
              actor: User | None = None, note: str = "",
              parts: list[words.Part] | None = None) -> None:
    """``parts``: words translated when read; ``note``: free text as typed."""
    TimelineEvent.objects.create(complaint=complaint, kind=kind, at=at,
                                 actor=actor if actor is not None and actor.pk else None,
                                 note=note[:500], parts=parts or [])
