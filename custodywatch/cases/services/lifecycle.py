"""A case's steps and its status transitions (kernels/case_rules.TRANSITIONS)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.cases.models import (
    Case,
    CaseStatus,
    CaseStep,
    CaseTransition,
    ClosureGround,
)
from custodywatch.cases.services._common import (
    _first_step,
    _lock,
    _not_future,
    _now_or,
    _raise,
    _require_writer,
)
from custodywatch.kernels import case_rules


def case_transition(*, acting_user: User, origin: Origin, case: Case, to_status: str,
                    ground: str = "", note: str = "", at: dt.datetime | None = None) -> Case:
    """Move a case along its lifecycle (kernels/case_rules.TRANSITIONS)."""
    _require_writer(acting_user, origin, case)
    at = _now_or(at)
    with transaction.atomic():
        case = _lock(case)
        violation = case_rules.check_transition(from_status=case.status, to_status=to_status,
                                                ground=ground, note=note)
        errors: dict[str, Any] = {}
        if violation is not None:
            errors[violation.field] = _(violation.text)
        if ground and ground not in ClosureGround.values:
            errors["ground"] = _("Unknown ground.")
        if at < case.status_changed_at:
            errors["at"] = _("A status change cannot precede the last one.")
        _not_future(errors, "at", at, timezone.now())
        if errors:
            audit_record(actor=acting_user, action=AuditEvent.Action.DENIED, origin=origin,
                         obj=case, detail={"reason": "transition", "to": to_status})
            _raise(errors)
        from_status = case.status
        case.status = to_status
        case.status_changed_at = at
        case.closure_ground = ground if to_status == CaseStatus.CLOSED else ""
        if to_status in case_rules.DECISIONS and case.decision_at is None:
            case.decision_at = at
        case.save(update_fields=["status", "status_changed_at", "closure_ground", "decision_at",
                                 "updated_at"])
        CaseTransition.objects.create(case=case, from_status=from_status, to_status=to_status,
                                      ground=ground, note=note[:500], actor=acting_user, at=at)
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin, obj=case,
                     detail={"from": from_status, "to": to_status, "ground": ground})
    return case


def case_step_add(*, acting_user: User, origin: Origin, case: Case, kind: str,
                  taken_at: dt.datetime, description: str = "") -> CaseStep:
    _require_writer(acting_user, origin, case)
    errors: dict[str, Any] = {}
    if kind not in CaseStep.Kind.values:
        errors["kind"] = _("Unknown step.")
    if taken_at < case.registered_at:
        errors["taken_at"] = _("A step of this case cannot precede its registration.")
    _not_future(errors, "taken_at", taken_at, timezone.now())
    _raise(errors)
    with transaction.atomic():
        case = _lock(case)
        step = CaseStep.objects.create(case=case, kind=kind, taken_at=taken_at,
                                       description=description, recorded_by=acting_user)
        _first_step(case, taken_at)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin, obj=step,
                     detail={"case": case.register_number, "kind": kind})
    return step
