"""The sealed identity of a complainant: access requests, decisions, unsealing."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import (
    Capability,
    has_capability,
)
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.complaints import rules
from custodywatch.complaints.models import (
    Complaint,
    IdentityAccess,
    TimelineEvent,
    Urgency,
    identity_context,
)
from custodywatch.complaints.selectors import (
    complaints_visible,
    may_see_identity_of,
)
from custodywatch.complaints.services._common import _deny, _timeline
from custodywatch.core.sealing import unseal


def identity_access_request(*, acting_user: User, origin: Origin, complaint: Complaint,
                            reason: str, break_glass: bool = False) -> IdentityAccess:
    """Ask to see who filed; break-the-glass opens at once for an urgent complaint."""
    if not may_see_identity_of(user=acting_user, complaint=complaint):
        raise _deny(acting_user, origin, _("You may not see this complainant's identity."),
                    complaint)
    if not reason.strip():
        raise ValidationError({"reason": _("State why you need the identity.")})
    if complaint.identity_sealed is None:
        raise ValidationError({"reason": _("This complaint is anonymous.")})
    if break_glass and complaint.urgency != Urgency.HIGH:
        raise ValidationError({"reason": _("Break the glass only for an urgent complaint.")})
    now = timezone.now()
    with transaction.atomic():
        access = IdentityAccess.objects.create(
            complaint=complaint, requested_by=acting_user, requested_at=now,
            kind=IdentityAccess.Kind.BREAK_GLASS if break_glass else IdentityAccess.Kind.REQUEST,
            reason=reason.strip(),
            decision=IdentityAccess.Decision.APPROVED if break_glass
            else IdentityAccess.Decision.PENDING,
            decided_at=now if break_glass else None,
            expires_at=now + rules.IDENTITY_ACCESS_TERM if break_glass else None)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=access, object_label=complaint.reference,
                     detail={"kind": access.kind, "reason": access.reason})
    return access


def _require_custodian(user: User, origin: Origin, access: IdentityAccess,
                       message: str) -> None:
    """Another custodian than the requester, who may see the complaint: complaints_visible
    keeps out an officer the complaint accuses and a complaint outside his scope."""
    if not has_capability(user, Capability.DECIDE_IDENTITY_ACCESS) \
            or user.pk == access.requested_by_id:
        raise _deny(user, origin, message, access.complaint)
    if not complaints_visible(user=user).filter(pk=access.complaint_id).exists():
        raise _deny(user, origin, _("This complaint is not yours to decide on."),
                    access.complaint)


def identity_access_decide(*, acting_user: User, origin: Origin, access: IdentityAccess,
                           approve: bool) -> IdentityAccess:
    """A custodian, never the requester, approves or refuses a request of a complaint he may
    see (never one that accuses him, nor one outside his scope)."""
    _require_custodian(acting_user, origin, access,
                       _("Only another custodian decides this request."))
    if access.decision != IdentityAccess.Decision.PENDING:
        raise ValidationError({"decision": _("Already decided.")})
    now = timezone.now()
    with transaction.atomic():
        access.decision = (IdentityAccess.Decision.APPROVED if approve
                           else IdentityAccess.Decision.REFUSED)
        access.decided_by, access.decided_at = acting_user, now
        access.expires_at = now + rules.IDENTITY_ACCESS_TERM if approve else None
        access.save(update_fields=["decision", "decided_by", "decided_at", "expires_at"])
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=access, object_label=access.complaint.reference,
                     detail={"decision": access.decision})
    return access


def identity_access_review(*, acting_user: User, origin: Origin,
                           access: IdentityAccess) -> IdentityAccess:
    """The custodian's after-the-fact review of a break-the-glass opening."""
    _require_custodian(acting_user, origin, access,
                       _("Only another custodian reviews this opening."))
    with transaction.atomic():
        access.reviewed_by, access.reviewed_at = acting_user, timezone.now()
        access.save(update_fields=["reviewed_by", "reviewed_at"])
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=access, object_label=access.complaint.reference,
                     detail={"reviewed": True})
    return access


def identity_unseal(*, acting_user: User, origin: Origin, complaint: Complaint) -> dict[str, Any]:
    """The complainant's identity, for a person with an approved, unexpired access.

    Every unsealing is audited with the reason of the access it relies on.
    """
    now = timezone.now()
    access = (IdentityAccess.objects.filter(
        complaint=complaint, requested_by=acting_user,
        decision=IdentityAccess.Decision.APPROVED, expires_at__gt=now).first()
        if may_see_identity_of(user=acting_user, complaint=complaint) else None)
    if access is None or complaint.identity_sealed is None:
        raise _deny(acting_user, origin, _("No approved access to this identity."), complaint)
    identity: dict[str, Any] = json.loads(unseal(bytes(complaint.identity_sealed),
                                 context=identity_context(complaint.pk)))
    with transaction.atomic():
        _timeline(complaint, TimelineEvent.Kind.IDENTITY, now, acting_user, access.reason)
        audit_record(actor=acting_user, action=AuditEvent.Action.READ, origin=origin,
                     obj=complaint, detail={"identity": True, "access": access.pk,
                                            "kind": access.kind, "reason": access.reason})
    return identity
