"""Charges against the accused and their outcomes, checked against the legal rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.cases.models import (
    Article,
    Case,
    CaseParty,
    Charge,
    Verdict,
)
from custodywatch.cases.rules import (
    MAX_IMPRISONMENT_MONTHS,
)
from custodywatch.cases.services._common import _raise, _refuse_rules, _require_writer
from custodywatch.core import plausible
from custodywatch.kernels import case_rules

FLAG_FIELDS = case_rules.RELEASE_FLAGS


SENTENCE_FIELDS = ("imprisonment_months", "fine_amount", "ban_on_positions_years")


# Beyond these a value is a typing error (and 10^20 months overflowed the column: a 500).
SENTENCE_MAX: dict[str, Decimal | int] = {"imprisonment_months": MAX_IMPRISONMENT_MONTHS,
                "fine_amount": Decimal("999999999999.99"), "ban_on_positions_years": 100}


def _outcome_errors(values: dict[str, Any]) -> dict[str, Any]:
    """Consistency of a verdict and its sentence (not legal rules: plain input checks)."""
    errors: dict[str, Any] = {}
    verdict = values.get("verdict") or Verdict.PENDING
    if verdict not in Verdict.values:
        errors["verdict"] = _("Unknown verdict.")
    if verdict != Verdict.PENDING and not values.get("verdict_on"):
        errors["verdict_on"] = _("Give the date of the verdict.")
    if verdict != Verdict.CONVICTED:
        for field in (*SENTENCE_FIELDS, "probation"):
            if values.get(field):
                errors[field] = _("A sentence follows a conviction only.")
    plausible.collect(errors, plausible.Kind.PAST, "verdict_on", values.get("verdict_on"))
    for field in SENTENCE_FIELDS:
        value = values.get(field)
        if value is not None and value != "" and Decimal(str(value)) < 0:
            errors[field] = _("Not a negative number.")
        elif value is not None and value != "" and Decimal(str(value)) > SENTENCE_MAX[field]:
            errors[field] = _("At most %(max)s.") % {"max": SENTENCE_MAX[field]}
    return errors


def _charge_violations(article: str, values: dict[str, Any]) -> list[case_rules.RuleViolation]:
    return case_rules.charge_rule_violations(
        article=article, verdict=values.get("verdict") or Verdict.PENDING,
        flags={name: bool(values.get(name)) for name in FLAG_FIELDS})


def charge_add(*, acting_user: User, origin: Origin, case: Case, accused: CaseParty,
               victim: CaseParty, article: str, article_part: str = "",
               **outcome: Any) -> Charge:
    """One accused x one victim x one article, with its verdict and sentence if known.

    Legal rules (art. 146) are checked at entry and a breach is refused with the rule's text.
    """
    _require_writer(acting_user, origin, case)
    errors: dict[str, Any] = {}
    if accused.case_id != case.pk or accused.role != CaseParty.Role.ACCUSED:
        errors["accused"] = _("Choose an accused of this case.")
    if victim.case_id != case.pk or victim.role != CaseParty.Role.VICTIM:
        errors["victim"] = _("Choose a victim of this case.")
    if article not in Article.values:
        errors["article"] = _("Unknown article.")
    errors.update(_outcome_errors(outcome))
    _raise(errors)
    violations = _charge_violations(article, outcome)
    if violations:
        raise _refuse_rules(acting_user, origin, case, violations)
    try:
        with transaction.atomic():
            charge = Charge.objects.create(case=case, accused=accused, victim=victim,
                                           article=article, article_part=article_part,
                                           **_outcome_values(outcome))
            audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                         obj=charge, detail={"case": case.register_number, "article": article,
                                             "verdict": charge.verdict})
    except IntegrityError:
        raise ValidationError({"article": _("This accused is already charged under this "
                                            "article for this victim.")}) from None
    return charge


def _outcome_values(outcome: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {"verdict": outcome.get("verdict") or Verdict.PENDING,
                              "verdict_on": outcome.get("verdict_on")}
    for field in SENTENCE_FIELDS:
        value = outcome.get(field)
        values[field] = None if value in (None, "") else value
    for field in FLAG_FIELDS:
        values[field] = bool(outcome.get(field))
    return values


def charge_outcome_set(*, acting_user: User, origin: Origin, charge: Charge,
                       **outcome: Any) -> Charge:
    """Record a verdict and sentence on a charge; the same legal rules as at entry."""
    case = charge.case
    _require_writer(acting_user, origin, case)
    _raise(_outcome_errors(outcome))
    violations = _charge_violations(charge.article, outcome)
    if violations:
        raise _refuse_rules(acting_user, origin, case, violations)
    with transaction.atomic():
        for field, value in _outcome_values(outcome).items():
            setattr(charge, field, value)
        charge.rule_flags = []
        charge.save()
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=charge, detail={"case": case.register_number, "verdict": charge.verdict})
    return charge
