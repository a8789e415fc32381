"""Alerts about a facility's edge agent itself: its disk is full (issue 18).

An agent whose queue finds its disk full keeps running, drops its oldest routine health
reports (that time then reads as blind here) and cannot queue new footage hashes; it says so
in every heartbeat (``disk_full``). The heartbeat ingestion raises one open alert per
facility on the first flagged heartbeat and clears it on the first newer one without the flag.
The e-mail is claimed as the custody alerts' are (a conditional UPDATE on ``mailed_at``), so
two processes never send it twice; a failed send is retried by the video sweep.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.models import AuditEvent, Role, User
from custodywatch.core.mail import mail_queue
from custodywatch.registry.models import Facility
from custodywatch.video.models import AgentDiskAlert


def agent_disk_full_report(*, acting_user: User, origin: Origin, facility: Facility,
                           disk_full: bool, at: dt.datetime) -> AgentDiskAlert | None:
    """The newest heartbeat's flag, inside the ingestion's transaction: raise or clear the
    facility's open alert. Returns the alert raised, if one was."""
    open_alert = AgentDiskAlert.objects.filter(facility=facility,
                                               cleared_at__isnull=True).first()
    if disk_full and open_alert is None:
        try:
            with transaction.atomic():
                alert = AgentDiskAlert.objects.create(facility=facility, raised_at=at)
        except IntegrityError:
            return None  # a concurrent batch of the same agent raised it first
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=alert, detail={"facility": facility.code, "agent": "disk_full"})
        transaction.on_commit(lambda: agent_alerts_mail(now=timezone.now()))
        return alert
    if not disk_full and open_alert is not None and at > open_alert.raised_at:
        AgentDiskAlert.objects.filter(pk=open_alert.pk).update(cleared_at=at)
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=open_alert, detail={"facility": facility.code,
                                             "agent": "disk space back"})
    return None


def recipients(facility: Facility) -> list[User]:
    """The facility's head and the supervising prosecutors of its region."""
    return list(User.objects.filter(
        Q(role=Role.FACILITY_HEAD, facility_id=facility.pk)
        | Q(role=Role.REGIONAL_PROSECUTOR, region_id=facility.region_id),
        is_active=True).exclude(email=""))


def agent_alerts_mail(*, now: dt.datetime) -> int:
    """Queue the e-mail of each agent alert not yet e-mailed (core/mail.py); a conditional
    UPDATE claims it in the same transaction."""
    sent = 0
    for alert in (AgentDiskAlert.objects.filter(mailed_at__isnull=True)
                  .select_related("facility").order_by("raised_at")):
        with transaction.atomic():
            if not AgentDiskAlert.objects.filter(pk=alert.pk, mailed_at__isnull=True).update(
                    mailed_at=now):
                continue
            mail_queue(
                subject=_("CustodyWatch: the edge agent of %(facility)s reports a full disk")
                % {"facility": alert.facility.code},
                body=_("Since %(since)s the edge agent of %(facility)s reports that its disk "
                       "is full. It keeps running, but drops its oldest camera health reports "
                       "(that time counts as blind) and cannot queue new footage hashes until "
                       "space is freed on its disk.")
                % {"since": timezone.localtime(alert.raised_at).strftime("%Y-%m-%d %H:%M"),
                   "facility": alert.facility.name},
                to=[user.email for user in recipients(alert.facility)])
        sent += 1
    return sent
