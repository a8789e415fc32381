"""Overdue recommendations: the addressee and his superior are told, once per deadline.

`visits_sweep` runs this. Raising is idempotent through the unique constraint on
(recommendation, recipient, deadline): a new deadline alerts again, the same one never
twice. The e-mail is claimed as the custody sweep claims its alerts (healthchecks'
`sendalerts`): a conditional UPDATE on `mailed_at`, and only the sweeper whose UPDATE
changed the row queues it, in the same transaction, as a task that retries until the mail
server takes it (core/mail.py). An alert to someone without an address is claimed and not
counted as mailed.
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
from custodywatch.core.mail import mail_queue
from custodywatch.visits.models import CLOSED_STATUSES, OverdueAlert, Recommendation


@dataclass(frozen=True)
class SweepResult:
    raised: int
    mailed: int  # e-mails queued (core/mail.py sends them, retrying)


def addressees(recommendation: Recommendation) -> list[User]:
    """The named official, else the head of the facility concerned."""
    named = recommendation.responsible_user
    if named is not None and named.is_active:
        return [named]
    if recommendation.facility_id is None:
        return []
    return list(User.objects.filter(holders_q(Capability.RECEIVE_FACILITY_NOTICES), is_active=True,
                                    facility_id=recommendation.facility_id))


def superiors(recommendation: Recommendation) -> list[User]:
    """The named superior, else the prosecutors who supervise the facility's region.

    The registry holds no chain of command inside the agencies yet; the supervising
    prosecutor is the official above every facility's head that it does know."""
    superior = recommendation.superior_user
    if superior is not None and superior.is_active:
        return [superior]
    facility = recommendation.facility
    if facility is None:
        return list(User.objects.filter(holders_q(Capability.RECEIVE_COUNTRY_ESCALATIONS),
                                        is_active=True))
    return list(User.objects.filter(holders_q(Capability.RECEIVE_REGION_NOTICES), is_active=True,
                                    region_id=facility.region_id))


def overdue_recommendations(today: dt.date):
    return (Recommendation.objects.filter(deadline__lt=today).exclude(status__in=CLOSED_STATUSES)
            .select_related("facility", "responsible_user", "superior_user"))


def overdue_alerts_raise(*, now: dt.datetime) -> int:
    today = timezone.localdate(now)
    raised = 0
    with transaction.atomic():
        for recommendation in overdue_recommendations(today).iterator(chunk_size=500):
            for level, people in ((OverdueAlert.Level.ADDRESSEE, addressees(recommendation)),
                                  (OverdueAlert.Level.SUPERIOR, superiors(recommendation))):
                for person in people:
                    _alert, created = OverdueAlert.objects.get_or_create(
                        recommendation=recommendation, recipient=person,
                        deadline=recommendation.deadline,
                        defaults={"level": level, "raised_at": now})
                    raised += created
        if raised:
            audit_record(actor=None, action=AuditEvent.Action.CREATE, origin=SYSTEM_ORIGIN,
                         object_type="visits.overduealert", object_label="overdue sweep",
                         detail={"raised": raised})
    return raised


def alerts_mail(*, now: dt.datetime) -> int:
    """Queue the e-mail of each alert not yet e-mailed (claimed in the same transaction)."""
    mailed = 0
    for alert in OverdueAlert.objects.filter(mailed_at__isnull=True).select_related(
            "recommendation", "recipient"):
        with transaction.atomic():
            claimed = OverdueAlert.objects.filter(pk=alert.pk, mailed_at__isnull=True).update(
                mailed_at=now)
            if not claimed:
                continue
            with translation.override(alert.recipient.language or settings.LANGUAGE_CODE):
                queued = mail_queue(
                    subject=_("Overdue recommendation #%(id)s") % {
                        "id": alert.recommendation_id},
                    body=_("The deadline of %(deadline)s has passed for this recommendation:"
                           "\n\n%(text)s") % {"deadline": alert.deadline,
                                              "text": alert.recommendation.text},
                    to=[alert.recipient.email])
        mailed += queued
    return mailed


def sweep(*, now: dt.datetime | None = None) -> SweepResult:
    now = now or timezone.now()
    return SweepResult(raised=overdue_alerts_raise(now=now), mailed=alerts_mail(now=now))
