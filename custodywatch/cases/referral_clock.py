"""The response clock of referrals to crisis centres (issue 24 item 4).

A referral is due an answer (the centre accepts or declines it) within the centre's
``response_days``. `referrals_sweep` marks each unanswered referral past its due moment
overdue once, with a conditional UPDATE on ``response_overdue_at`` (as the custody sweep claims
its alerts): only the sweeper whose UPDATE changed the row audits it and queues the e-mail, in
the same transaction. The e-mail goes to the case's prosecutors (else the region's), and names
the case and the centre, never the victim.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import SYSTEM_ORIGIN, audit_record
from custodywatch.accounts.capabilities import Capability, holders_q
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.cases.models import SupportReferral
from custodywatch.core.mail import mail_queue


@dataclass(frozen=True)
class SweepResult:
    overdue: int
    mailed: int


def recipients(referral: SupportReferral) -> list[User]:
    """The case's supervising and investigating prosecutors, else the region's."""
    case = referral.case
    named = [user for user in (case.supervising_prosecutor, case.investigating_prosecutor)
             if user is not None and user.is_active]
    if named:
        return list({user.pk: user for user in named}.values())
    return list(User.objects.filter(holders_q(Capability.RECEIVE_REGION_NOTICES),
                                    is_active=True, region_id=case.region_id))


def unanswered(now: dt.datetime):
    return SupportReferral.objects.filter(
        status=SupportReferral.Status.REFERRED, responded_at__isnull=True,
        response_overdue_at__isnull=True, response_due_at__lt=now)


def sweep(*, now: dt.datetime | None = None) -> SweepResult:
    now = now or timezone.now()
    overdue = mailed = 0
    for referral in unanswered(now).select_related(
            "case", "case__supervising_prosecutor", "case__investigating_prosecutor",
            "crisis_centre").iterator(chunk_size=500):
        with transaction.atomic():
            claimed = SupportReferral.objects.filter(
                pk=referral.pk, response_overdue_at__isnull=True,
                responded_at__isnull=True).update(response_overdue_at=now)
            if not claimed:
                continue
            overdue += 1
            days = referral.crisis_centre.response_days if referral.crisis_centre else None
            audit_record(actor=None, action=AuditEvent.Action.UPDATE, origin=SYSTEM_ORIGIN,
                         obj=referral, detail={"answer_overdue": True, "days": days})
            for person in recipients(referral):
                with translation.override(person.language or settings.LANGUAGE_CODE):
                    mailed += mail_queue(
                        subject=_("Crisis centre has not answered a referral (case "
                                  "%(case)s)") % {"case": referral.case.register_number},
                        body=_("%(centre)s has not answered the referral #%(id)s of case "
                               "%(case)s, made on %(date)s, within %(days)s days. Ask the "
                               "centre, or refer the person elsewhere.") % {
                            "centre": referral.centre, "id": referral.pk,
                            "case": referral.case.register_number,
                            "date": timezone.localdate(referral.referred_at),
                            "days": days},
                        to=[person.email])
    return SweepResult(overdue=overdue, mailed=mailed)
