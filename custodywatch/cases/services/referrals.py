"""Victims' support: referrals to crisis centres and the services given."""

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
    CaseParty,
    Consent,
    CrisisCentre,
    ReferralOutcome,
    ReferralService,
    SupportReferral,
)
from custodywatch.cases.services._common import (
    _not_future,
    _now_or,
    _raise,
    _require_writer,
    _victim_of,
)


def referral_add(*, acting_user: User, origin: Origin, case: Case, victim: CaseParty,
                 kind: str, crisis_centre: CrisisCentre | None, consent: str,
                 referred_at: dt.datetime | None = None, note: str = "") -> SupportReferral:
    """Refer a victim to a centre of the registry that offers the support, with the person's
    consent recorded (nobody is referred without it); the centre's answer is due within its
    days (the response clock, cases/tasks.py)."""
    _require_writer(acting_user, origin, case)
    referred_at = _now_or(referred_at)
    errors: dict[str, Any] = {}
    _victim_of(case, victim, errors)
    if kind not in SupportReferral.Kind.values:
        errors["kind"] = _("Unknown kind of support.")
    if crisis_centre is None or not crisis_centre.is_active:
        errors["crisis_centre"] = _("Choose a crisis centre of the registry.")
    elif kind in SupportReferral.Kind.values and not crisis_centre.offers(kind):
        errors["crisis_centre"] = _("This centre does not offer this support.")
    if consent not in Consent.values:
        errors["consent"] = _("Record how the person consented to the referral.")
    _not_future(errors, "referred_at", referred_at, timezone.now())
    _raise(errors)
    assert crisis_centre is not None  # noqa: S101  (checked above)
    now = timezone.now()
    with transaction.atomic():
        referral = SupportReferral.objects.create(
            case=case, victim=victim, kind=kind, centre=crisis_centre.name,
            crisis_centre=crisis_centre, consent=consent, consent_recorded_at=now,
            consent_recorded_by=acting_user, referred_at=referred_at,
            status_changed_at=referred_at,
            response_due_at=referred_at + dt.timedelta(days=crisis_centre.response_days),
            note=note[:500])
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=referral, detail={"case": case.register_number, "kind": kind,
                                           "centre": crisis_centre.pk, "consent": consent})
    return referral


# A referral's outcome is recorded when it ends.
ENDED_REFERRAL = (SupportReferral.Status.COMPLETED, SupportReferral.Status.DECLINED)


def referral_status_set(*, acting_user: User, origin: Origin, referral: SupportReferral,
                        status: str, outcome: str = "", note: str = "") -> SupportReferral:
    """The centre's answer and progress as reported to the prosecutor. The first status other
    than referred is the centre's answer and stops the response clock; an ended referral
    carries its outcome."""
    _require_writer(acting_user, origin, referral.case)
    errors: dict[str, Any] = {}
    if status not in SupportReferral.Status.values:
        errors["status"] = _("Unknown status.")
    if outcome and outcome not in ReferralOutcome.values:
        errors["outcome"] = _("Unknown outcome.")
    elif status in ENDED_REFERRAL and not outcome and referral.crisis_centre_id:
        errors["outcome"] = _("Record the outcome of an ended referral.")
    _raise(errors)
    with transaction.atomic():
        previous = referral.status
        now = timezone.now()
        referral.status = status
        referral.status_changed_at = now
        if status != SupportReferral.Status.REFERRED and referral.responded_at is None:
            referral.responded_at = now
        referral.outcome = outcome if status in ENDED_REFERRAL else ""
        if note:
            referral.note = note[:500]
        referral.save()
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=referral, detail={"from": previous, "to": status, "outcome": outcome})
    return referral


def referral_service_add(*, acting_user: User, origin: Origin, referral: SupportReferral,
                         kind: str, given_on: dt.date, sessions: int = 1,
                         note: str = "") -> ReferralService:
    """A service the centre reports it gave under the referral."""
    _require_writer(acting_user, origin, referral.case)
    errors: dict[str, Any] = {}
    if kind not in SupportReferral.Kind.values:
        errors["kind"] = _("Unknown kind of support.")
    if given_on < timezone.localdate(referral.referred_at) or given_on > timezone.localdate():
        errors["given_on"] = _("A service is given between the referral and today.")
    if sessions < 1:
        errors["sessions"] = _("At least one session.")
    if referral.status == SupportReferral.Status.DECLINED:
        errors["referral"] = _("The centre declined this referral.")
    _raise(errors)
    with transaction.atomic():
        service = ReferralService.objects.create(
            referral=referral, kind=kind, given_on=given_on, sessions=sessions,
            note=note[:500], recorded_by=acting_user)
        if referral.responded_at is None:
            referral.responded_at = timezone.now()
            referral.save(update_fields=["responded_at"])
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=service, detail={"referral": referral.pk, "kind": kind,
                                          "sessions": sessions})
    return service
