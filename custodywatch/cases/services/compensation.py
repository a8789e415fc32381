"""Victims' compensation claims and their decisions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.cases import selectors
from custodywatch.cases.models import (
    Case,
    CaseParty,
    CompensationClaim,
)
from custodywatch.cases.services._common import _deny, _raise, _require_writer, _victim_of
from custodywatch.core import plausible


def compensation_claim_add(*, acting_user: User, origin: Origin, case: Case,
                           victim: CaseParty, claimed_at: dt.date, amount_claimed: Decimal,
                           note: str = "") -> CompensationClaim:
    """A claim to the Victim Compensation Fund, recorded by the case's prosecutor."""
    _require_writer(acting_user, origin, case)
    errors: dict[str, Any] = {}
    _victim_of(case, victim, errors)
    if amount_claimed is None or amount_claimed <= 0:
        errors["amount_claimed"] = _("The amount is positive.")
    plausible.collect(errors, plausible.Kind.PAST, "claimed_at", claimed_at)
    _raise(errors)
    with transaction.atomic():
        claim = CompensationClaim.objects.create(case=case, victim=victim, claimed_at=claimed_at,
                                                 amount_claimed=amount_claimed, note=note[:500])
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=claim, detail={"case": case.register_number})
    return claim


def compensation_decide(*, acting_user: User, origin: Origin, claim: CompensationClaim,
                        decision: str, decided_at: dt.date,
                        amount_granted: Decimal | None = None, paid_at: dt.date | None = None,
                        note: str = "") -> CompensationClaim:
    """The Fund's decision and payment, recorded by a compensation officer."""
    if not has_capability(acting_user, Capability.DECIDE_COMPENSATION) or not (
            selectors.cases_visible(user=acting_user).filter(pk=claim.case_id).exists()):
        raise _deny(acting_user, origin, _("Only the Fund's officers decide claims."), claim)
    errors: dict[str, Any] = {}
    granted = decision in (CompensationClaim.Decision.GRANTED, CompensationClaim.Decision.PARTLY)
    if decision not in CompensationClaim.Decision.values or decision == "pending":
        errors["decision"] = _("Choose the decision.")
    plausible.collect(errors, plausible.Kind.PAST, "decided_at", decided_at)
    plausible.collect(errors, plausible.Kind.PAST, "paid_at", paid_at)
    if "decided_at" not in errors and decided_at < claim.claimed_at:
        errors["decided_at"] = _("The decision follows the claim.")
    if granted and (amount_granted is None or amount_granted <= 0):
        errors["amount_granted"] = _("Give the amount granted.")
    elif granted and amount_granted is not None and amount_granted > claim.amount_claimed:
        errors["amount_granted"] = _("More than was claimed.")
    if not granted and (amount_granted or paid_at):
        errors["amount_granted"] = _("A refused claim has no amount and no payment.")
    if paid_at is not None and paid_at < decided_at:
        errors["paid_at"] = _("Payment follows the decision.")
    _raise(errors)
    with transaction.atomic():
        claim.decision = decision
        claim.decided_at = decided_at
        claim.amount_granted = amount_granted if granted else None
        claim.paid_at = paid_at
        if note:
            claim.note = note[:500]
        claim.save()
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=claim, detail={"decision": decision, "paid": bool(paid_at)})
    return claim
