"""What the case services share: refusals (audited), the writer check, time checks, locks."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import Capability, user_can
from custodywatch.accounts.models import AuditEvent, Scope, User
from custodywatch.cases import selectors
from custodywatch.cases.models import (
    Case,
    CaseParty,
)
from custodywatch.core import plausible
from custodywatch.kernels import case_rules
from custodywatch.registry.models import Facility, HeadAppointment

CHUNK = 256 * 1024


def _deny(user: User | None, origin: Origin, message: str, obj: Model | None = None,
          object_type: str = "cases.case") -> PermissionDenied:
    audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin, obj=obj,
                 object_type=object_type if obj is None else "", detail={"reason": message})
    return PermissionDenied(message)


def _require_writer(user: User, origin: Origin, case: Case) -> None:
    if not selectors.can_write(user=user, case=case):
        raise _deny(user, origin, _("You do not run this case."), case)


def _refuse_rules(user: User, origin: Origin, case: Case,
                  violations: list[case_rules.RuleViolation]) -> ValidationError:
    """A legal-rule refusal: the rule's text beside each field; the refusal is audited."""
    audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin, obj=case,
                 detail={"reason": "legal rule", "rules": [v.code for v in violations]})
    errors: dict[str, list[str]] = {}
    for violation in violations:
        errors.setdefault(violation.field, []).append(_(violation.text))
    return ValidationError(errors)


def _now_or(moment: dt.datetime | None) -> dt.datetime:
    return moment or timezone.now()


def _not_future(errors: dict[str, Any], field: str, moment: dt.datetime | None,
                now: dt.datetime) -> None:
    """A case's event: aware, since 1991, not in the future (core/plausible.py)."""
    plausible.collect(errors, plausible.Kind.PAST, field, moment, now)


def _raise(errors: dict[str, Any]) -> None:
    if errors:
        raise ValidationError(errors)


def _local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def _may_lead(user: User | None, facility: Facility) -> bool:
    """A prosecutor who may supervise or investigate a case about this facility."""
    if user is None:
        return True
    if not user_can(user, Capability.RUN_CASES):
        return False
    return user.scope == Scope.COUNTRY or (user.scope == Scope.REGION
                                           and user.region_id == facility.region_id)


def _first_step(case: Case, moment: dt.datetime) -> None:
    if case.first_step_at is None or moment < case.first_step_at:
        case.first_step_at = moment
        case.save(update_fields=["first_step_at", "updated_at"])


def unit_head_at(facility: Facility | None, day: dt.date) -> HeadAppointment | None:
    """Who headed the unit on that day (heads are personally responsible)."""
    if facility is None:
        return None
    return selectors.head_at(list(facility.head_appointments.all()), day)


def _hash_upload(upload: UploadedFile[bytes]) -> tuple[str, int]:
    upload.seek(0)
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return digest.hexdigest(), size


def _victim_of(case: Case, victim: CaseParty, errors: dict[str, Any]) -> None:
    if victim.case_id != case.pk or victim.role != CaseParty.Role.VICTIM:
        errors["victim"] = _("Choose a victim of this case.")
