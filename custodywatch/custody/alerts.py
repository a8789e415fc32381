"""Custody alerts: raised by the sweep or by a death, e-mailed once, acknowledged by a
named person, escalated when nobody acknowledges them.

The sweep copies healthchecks' `sendalerts`: several sweepers may run at once, so each
row is claimed with a conditional UPDATE (`... WHERE mailed_at IS NULL`) and only the
sweeper whose UPDATE changed the row queues its e-mail. The claim and the e-mail task
(core/mail.py, retried until the mail server takes it) commit in one transaction: an alert
is marked e-mailed or escalated only with its e-mail queued, and a mail server that is down
delays the e-mail without losing it or stopping the sweep. Raising is idempotent through a
unique constraint on (record, clock, level, warning), and for camera-coverage alerts (raised
by the coverage job, video/coverage_jobs.py) on (interrogation, clock).

Apps above custody raise alerts of their own kinds into the same table, and this sweep
e-mails and escalates them with the rest: blind custody (video/blind_alerts.py, with the cell
checks' verification) and the exit examination (medical/exit_alerts.py). Custody keeps their
kinds, levels and e-mail texts here, and imports neither.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import SYSTEM_ORIGIN, Origin, audit_record
from custodywatch.accounts.capabilities import Capability, has_capability, holders_q
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.accounts.scoping import facility_q
from custodywatch.core.mail import mail_queue
from custodywatch.custody import law
from custodywatch.custody.models import (
    CustodyAlert,
    CustodyRecord,
    Interrogation,
    RiskAssessment,
)
from custodywatch.kernels import custody_care, deadlines, handover
from custodywatch.registry.models import Room

# Unacknowledged this long, an alert goes up to the General Prosecutor's Office.
ESCALATE_AFTER = dt.timedelta(minutes=getattr(settings, "CUSTODY_ALERT_ESCALATE_MINUTES", 30))


BLIND_CLOCKS = {CustodyAlert.Clock.BLIND_PLACEMENT, CustodyAlert.Clock.BLIND_STAY,
                CustodyAlert.Clock.BLIND_MOVE}


@dataclass(frozen=True)
class SweepResult:
    raised: int
    mailed: int  # e-mails queued (core/mail.py sends them, retrying)
    escalated: int


RECURRING_PREFETCH = ("delays", "reviews", "risk_assessments", "cell_checks")


def care_facts(record: CustodyRecord, history: dict | None = None) -> dict:
    """Reviews done, the observation level of the latest risk assessment and the cell checks
    since it (issue 22, items 4-5): from `history` (selectors.record_history) when given,
    else through the record's relations (prefetch them: RECURRING_PREFETCH)."""
    if history is None:
        history = {"reviews": record.reviews.all(),
                   "risk_assessments": record.risk_assessments.all(),
                   "cell_checks": record.cell_checks.all()}
    assessments = sorted(history["risk_assessments"], key=lambda a: a.assessed_at)
    latest = assessments[-1] if assessments else None
    return {
        "reviews": tuple(review.reviewed_at for review in history["reviews"]),
        "observation_level": latest.observation_level if latest else "",
        "observed_from": latest.assessed_at if latest else None,
        "cell_checks": tuple(check.checked_at for check in history["cell_checks"]
                             if latest is not None and check.checked_at >= latest.assessed_at),
    }


def facts_of(record: CustodyRecord, *, with_delays: bool = True,
             delays: list | None = None, history: dict | None = None
             ) -> deadlines.CustodyFacts:
    """The kernel's facts of a record; its delays are `delays` when given (already read),
    else read through `record.delays` (prefetch them for many records), and with them the
    reviews, risk assessments and cell checks (RECURRING_PREFETCH, or `history`)."""
    if delays is None:
        delays = list(record.delays.all()) if with_delays and record.pk else []
    delay_facts = tuple((deadlines.ClockKind(delay.right), delay.until) for delay in delays)
    care = care_facts(record, history) if with_delays and record.pk else {}
    return deadlines.CustodyFacts(
        detained_at=record.detained_at, date_of_birth=record.date_of_birth,
        arrived_at=record.arrived_at, relatives_notified_at=record.relatives_notified_at,
        lawyer_access_at=record.lawyer_first_access_at,
        medical_checked_at=record.medical_checked_at, ended_at=record.ended_at,
        regime=deadlines.Regime(record.regime), term_ends_at=record.term_ends_at,
        extension_applied_at=record.extension_applied_at,
        protocol_at=record.protocol_drawn_at,
        prosecutor_notified_at=record.prosecutor_notified_at,
        foreign_national=record.is_foreign, consular_notified_at=record.consular_notified_at,
        consular_declined_at=record.consular_declined_at,
        lawyer_requested_at=record.lawyer_requested_at,
        state_lawyer_offered_at=record.state_lawyer_offered_at,
        rights_explained_at=record.rights_explained_at, delays=delay_facts, **care)


def recorded_of(record: CustodyRecord) -> deadlines.RecordedSafeguards:
    return deadlines.RecordedSafeguards(
        language=record.language, rights_language=record.rights_language,
        interpreter=record.interpreter, rights_acknowledgement=record.rights_acknowledgement,
        consular_decline_acknowledgement=record.consular_decline_acknowledgement)


def clocks_of(record: CustodyRecord, now: dt.datetime,
              facts: deadlines.CustodyFacts | None = None) -> list[deadlines.Clock]:
    """The record's clocks under the law in force on the day of its detention."""
    return deadlines.custody_clocks(facts or facts_of(record), now,
                                    law.terms_on(record.detained_at))


def recipients(record: CustodyRecord) -> list[User]:
    """The facility's head and the supervising prosecutors of its region."""
    return list(User.objects.filter(
        Q(holders_q(Capability.RECEIVE_FACILITY_NOTICES), facility_id=record.facility_id)
        | Q(holders_q(Capability.RECEIVE_REGION_NOTICES), region_id=record.facility.region_id),
        is_active=True))


def escalation_recipients() -> list[User]:
    return list(User.objects.filter(holders_q(Capability.RECEIVE_COUNTRY_ESCALATIONS),
                                    is_active=True))


def death_alert_raise(*, record: CustodyRecord, now: dt.datetime) -> CustodyAlert:
    """Inside the transaction that ends the record; the e-mail goes once it commits."""
    alert, _created = CustodyAlert.objects.get_or_create(
        custody_record=record, clock=CustodyAlert.Clock.DEATH, level=CustodyAlert.Level.DEATH,
        warning_seconds=0, defaults={"raised_at": now, "due_at": record.ended_at})
    transaction.on_commit(lambda: alerts_mail(now=timezone.now()))
    return alert


def camera_alerts_raise(*, actions: list[tuple[Interrogation, int]], now: dt.datetime) -> int:
    """One camera-coverage alert per investigative action with blind time, ``(action, blind
    ms)`` pairs; inside the coverage job's transaction, e-mailed once it commits.

    Idempotent: an action that already has one is skipped, and the unique constraint on
    (interrogation, clock) stops a concurrent job's duplicate.
    """
    if not actions:
        return 0
    already = set(CustodyAlert.objects.filter(
        clock=CustodyAlert.Clock.CAMERA, interrogation__in=[a.pk for a, _ms in actions]
    ).values_list("interrogation_id", flat=True))
    new = [CustodyAlert(custody_record_id=action.custody_record_id,
                        interrogation_id=action.pk, clock=CustodyAlert.Clock.CAMERA,
                        level=CustodyAlert.Level.UNRECORDED, warning_seconds=0,
                        due_at=action.started_at, raised_at=now)
           for action, _ms in actions if action.pk not in already]
    if not new:
        return 0
    CustodyAlert.objects.bulk_create(new, ignore_conflicts=True)
    audit_record(actor=None, action=AuditEvent.Action.CREATE, origin=SYSTEM_ORIGIN,
                 object_type="custody.custodyalert", object_label="camera coverage",
                 detail={"interrogations": {str(a.pk): ms for a, ms in actions
                                            if a.pk not in already}})
    transaction.on_commit(lambda: alerts_mail(now=timezone.now()))
    return len(new)


def camera_alerts_withdraw(*, actions: list[Interrogation], now: dt.datetime) -> int:
    """Close the open camera-coverage alerts of actions now shown fully recorded (late
    spans and recordings replaced the silence); inside the coverage job's transaction.

    The alert stays, marked withdrawn (it leaves the lists of alerts to acknowledge and is
    never escalated); one audit event names them. An alert a person already acknowledged
    is left as it is.
    """
    if not actions:
        return 0
    open_alerts = CustodyAlert.objects.filter(
        clock=CustodyAlert.Clock.CAMERA, interrogation__in=[a.pk for a in actions],
        acknowledged_at__isnull=True)
    ids = list(open_alerts.values_list("pk", flat=True))
    if not ids:
        return 0
    withdrawn = CustodyAlert.objects.filter(pk__in=ids, acknowledged_at__isnull=True).update(
        acknowledged_at=now, withdrawn_at=now)
    audit_record(actor=None, action=AuditEvent.Action.UPDATE, origin=SYSTEM_ORIGIN,
                 object_type="custody.custodyalert", object_label="camera coverage",
                 detail={"withdrawn": ids, "reason": "later footage covers the actions"})
    return withdrawn


def _alerts_due(records: list[CustodyRecord], now: dt.datetime) -> list[CustodyAlert]:
    alerts = []
    for record in records:
        for clock in clocks_of(record, now):
            if clock.kind in RECURRING_KINDS:
                continue  # recurring_alerts_raise: once per due moment
            if clock.state == deadlines.ClockState.DUE_SOON and clock.warning is not None:
                level, warning = CustodyAlert.Level.DUE_SOON, int(clock.warning.total_seconds())
            elif clock.state == deadlines.ClockState.OVERDUE:
                level, warning = CustodyAlert.Level.OVERDUE, 0
            else:
                continue
            alerts.append(CustodyAlert(custody_record=record, clock=str(clock.kind),
                                       level=level, warning_seconds=warning,
                                       due_at=clock.due_at, raised_at=now))
    return alerts


def alerts_raise(*, now: dt.datetime) -> int:
    """Raise an alert for every open clock now due soon or overdue, once each."""
    records = list(CustodyRecord.objects.filter(ended_at__isnull=True, detained_at__lte=now)
                   .prefetch_related(*RECURRING_PREFETCH))
    candidates = _alerts_due(records, now)
    existing = set(CustodyAlert.objects.filter(
        custody_record__in=[record.pk for record in records]
    ).values_list("custody_record_id", "clock", "level", "warning_seconds"))
    new = [a for a in candidates
           if (a.custody_record_id, a.clock, a.level, a.warning_seconds) not in existing]
    CustodyAlert.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def _mail(alert: CustodyAlert, people: list[User], escalated: bool) -> None:
    """Queue the alert's e-mail (core/mail.py): call it in the transaction that claims it."""
    addresses = sorted({person.email for person in people if person.email})
    if not addresses:
        return
    record = alert.custody_record
    subject = _("[CustodyWatch] %(what)s: %(clock)s, %(facility)s") % {
        "what": _("ESCALATED") if escalated else alert.get_level_display(),
        "clock": alert.get_clock_display(), "facility": record.facility.code}
    due = timezone.localtime(alert.due_at).strftime("%Y-%m-%d %H:%M %Z") if alert.due_at else ""
    if alert.clock in BLIND_CLOCKS:
        body = _("%(clock)s: custody record %(record)s at %(facility)s, since %(start)s. No "
                 "working camera covers the place. Open CustodyWatch to act and acknowledge "
                 "it.") % {"clock": alert.get_clock_display(), "record": record.pk,
                           "facility": record.facility.code, "start": due}
        mail_queue(subject=subject, body=body, to=addresses)
        return
    if alert.clock == CustodyAlert.Clock.CAMERA:
        body = _("No working camera recorded part of an interrogation or investigative action "
                 "(started %(start)s) for custody record %(record)s at %(facility)s. Open "
                 "CustodyWatch to see the blind time and acknowledge it.") % {
            "start": due, "record": record.pk, "facility": record.facility.code}
        mail_queue(subject=subject, body=body, to=addresses)
        return
    body = _("%(clock)s for custody record %(record)s at %(facility)s: %(level)s (due "
             "%(due)s). Open CustodyWatch to acknowledge it.") % {
        "clock": alert.get_clock_display(), "record": record.pk,
        "facility": record.facility.code, "level": alert.get_level_display(), "due": due}
    # Names of detainees stay out of e-mail: the record number is enough to find them.
    mail_queue(subject=subject, body=body, to=addresses)


def alerts_mail(*, now: dt.datetime) -> int:
    """Queue the e-mail of each alert not yet e-mailed; a conditional UPDATE claims it, in the
    transaction that queues the e-mail (``mailed_at``: when its e-mail was queued)."""
    queued = 0
    pending = CustodyAlert.objects.filter(mailed_at__isnull=True).select_related(
        "custody_record__facility").order_by("raised_at")
    for alert in pending:
        with transaction.atomic():
            claimed = CustodyAlert.objects.filter(pk=alert.pk, mailed_at__isnull=True).update(
                mailed_at=now)
            if not claimed:
                continue
            _mail(alert, recipients(alert.custody_record), escalated=False)
        queued += 1
    return queued


def alerts_escalate(*, now: dt.datetime) -> int:
    """Escalate each alert unacknowledged for ``ESCALATE_AFTER``: ``escalated_at`` is set in
    the transaction that queues the escalation e-mail, so one never exists without the other."""
    escalated = 0
    stale = CustodyAlert.objects.filter(
        acknowledged_at__isnull=True, escalated_at__isnull=True,
        raised_at__lte=now - ESCALATE_AFTER).select_related("custody_record__facility")
    for alert in stale:
        with transaction.atomic():
            claimed = CustodyAlert.objects.filter(
                pk=alert.pk, acknowledged_at__isnull=True, escalated_at__isnull=True
            ).update(escalated_at=now)
            if not claimed:
                continue
            _mail(alert, escalation_recipients() + recipients(alert.custody_record),
                  escalated=True)
        escalated += 1
    return escalated


# ----------------------------------------------------------- issue 22: lost in transit
TRANSIT_LOOKBACK = dt.timedelta(days=30)


def legs_of(records: list[CustodyRecord]) -> list[handover.Leg]:
    return [handover.Leg(record.pk, record.facility_id, record.arrived_at or record.detained_at,
                         record.ended_at, record.end_reason == "transferred")
            for record in records]


def transit_alerts_raise(*, now: dt.datetime) -> int:
    """One alert per transfer out (of a person with an IIN) that no facility has received
    within the law's transit term: the person is lost in transit. Idempotent."""
    limit = law.terms_on(now).transfer_transit
    sent = list(CustodyRecord.objects.filter(
        end_reason="transferred", ended_at__lte=now - limit, ended_at__gte=now - TRANSIT_LOOKBACK
    ).exclude(iin="").exclude(alerts__clock=CustodyAlert.Clock.TRANSIT).only(
        "pk", "iin", "facility_id", "arrived_at", "detained_at", "ended_at", "end_reason"))
    if not sent:
        return 0
    same_person: dict[str, list[CustodyRecord]] = {}
    for record in CustodyRecord.objects.filter(iin__in={r.iin for r in sent}).only(
            "pk", "iin", "facility_id", "arrived_at", "detained_at", "ended_at", "end_reason"):
        same_person.setdefault(record.iin, []).append(record)
    lost: list[tuple[CustodyRecord, dt.datetime]] = []  # and when it was due
    for record in sent:
        if record.ended_at is None:  # never: sent were chosen by their end
            continue
        for item in handover.handovers(legs_of(same_person[record.iin]), now=now,
                                       transit_limit=limit):
            if item.from_record == record.pk and item.state == handover.HandoverState.LOST:
                lost.append((record, record.ended_at + limit))
    CustodyAlert.objects.bulk_create(
        [CustodyAlert(custody_record=record, clock=CustodyAlert.Clock.TRANSIT,
                      level=CustodyAlert.Level.LOST, warning_seconds=0,
                      due_at=due_at, raised_at=now) for record, due_at in lost],
        ignore_conflicts=True)
    return len(lost)


# ---------------------------------------- issue 22: reviews, cell checks, interrogations
RECURRING_KINDS = frozenset({deadlines.ClockKind.REVIEW, deadlines.ClockKind.CELL_CHECK})
# Custody ended this recently still has its missed reviews and checks alerted.
RECURRING_LOOKBACK = dt.timedelta(days=2)


def recurring_alerts_raise(*, now: dt.datetime) -> int:
    """One alert per missed review or cell check (its due moment passed undone, done late
    or not yet), and one per warning of the next due moment; idempotent (the unique
    constraint on the record, clock, level, warning and due moment)."""
    # Only records that owe one: a regime with reviews (in any edition), or an assessment.
    reviewed = {str(regime) for edition in law.law_table().editions
                for regime in deadlines.Regime
                if deadlines.ClockKind.REVIEW in edition.terms.clocks_of(regime)}
    records = list(CustodyRecord.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gte=now - RECURRING_LOOKBACK),
        Q(regime__in=reviewed) | Q(Exists(RiskAssessment.objects.filter(
            custody_record=OuterRef("pk")))),
        detained_at__lte=now).prefetch_related(*RECURRING_PREFETCH))
    candidates = []
    for record in records:
        facts = facts_of(record)
        for clock, missed in deadlines.recurring_clocks(facts, now,
                                                       law.terms_on(record.detained_at)):
            for item in missed:
                candidates.append(CustodyAlert(
                    custody_record=record, clock=str(clock.kind),
                    level=CustodyAlert.Level.MISSED, warning_seconds=0, due_at=item.due_at,
                    raised_at=now))
            if clock.state == deadlines.ClockState.DUE_SOON and clock.warning is not None:
                candidates.append(CustodyAlert(
                    custody_record=record, clock=str(clock.kind),
                    level=CustodyAlert.Level.DUE_SOON,
                    warning_seconds=int(clock.warning.total_seconds()), due_at=clock.due_at,
                    raised_at=now))
    if not candidates:
        return 0
    existing = set(CustodyAlert.objects.filter(
        custody_record__in=[record.pk for record in records],
        clock__in=[str(kind) for kind in RECURRING_KINDS],
    ).values_list("custody_record_id", "clock", "level", "warning_seconds", "due_at"))
    new = [a for a in candidates if (a.custody_record_id, a.clock, a.level, a.warning_seconds,
                                     a.due_at) not in existing]
    CustodyAlert.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def person_safeguards(record: CustodyRecord) -> custody_care.PersonSafeguards:
    return custody_care.PersonSafeguards(
        lawyer_first_access_at=record.lawyer_first_access_at,
        lawyer_waived_at=record.lawyer_waived_at,
        needs_interpreter=custody_care.needs_interpreter(
            language=record.language, rights_language=record.rights_language,
            interpreter=record.interpreter))


INTERROGATION_ROOMS = frozenset({Room.Kind.INTERROGATION, Room.Kind.TRANSPARENT_INTERROGATION})


def interrogation_flags_of(record: CustodyRecord, interrogations: list[Interrogation],
                           now: dt.datetime) -> dict[int, list[custody_care.InterrogationFlag]]:
    """The safeguards each interrogation of one record broke (rooms selected with them)."""
    sessions = [custody_care.Session(
        key=item.pk, started_at=item.started_at, ended_at=item.ended_at,
        in_interrogation_room=item.room.kind in INTERROGATION_ROOMS,
        lawyer_present=item.lawyer_present, interpreter=item.interpreter)
        for item in interrogations]
    return custody_care.interrogation_flags(sessions, person_safeguards(record), now,
                                            law.terms_on(record.detained_at))


INTERROGATION_LOOKBACK = dt.timedelta(days=7)


def interrogation_alerts_raise(*, now: dt.datetime) -> int:
    """One alert per interrogation and safeguard it broke (room, lawyer, night, no break,
    interpreter), of actions in the last week; idempotent (interrogation, clock)."""
    recent = list(Interrogation.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gte=now - INTERROGATION_LOOKBACK),
        started_at__lte=now).values_list("custody_record_id", flat=True).distinct())
    if not recent:
        return 0
    records = CustodyRecord.objects.filter(pk__in=recent).prefetch_related(
        models_prefetch_interrogations())
    already = set(CustodyAlert.objects.filter(
        custody_record__in=recent, interrogation__isnull=False,
        clock__startswith="interview_").values_list("interrogation_id", "clock"))
    new = []
    for record in records:
        items = [item for item in record.interrogations.all() if item.started_at <= now]
        for key, flags in interrogation_flags_of(record, items, now).items():
            started = next(item.started_at for item in items if item.pk == key)
            for flag in flags:
                if (key, str(flag)) not in already:
                    new.append(CustodyAlert(custody_record=record, interrogation_id=key,
                                            clock=str(flag), level=CustodyAlert.Level.BREACHED,
                                            warning_seconds=0, due_at=started, raised_at=now))
    CustodyAlert.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def models_prefetch_interrogations() -> Prefetch:
    return Prefetch("interrogations", queryset=Interrogation.objects.select_related("room")
                    .order_by("started_at"))


def custody_sweep(*, now: dt.datetime | None = None) -> SweepResult:
    """One pass: raise, e-mail, escalate. Safe to run from several workers at once."""
    now = now or timezone.now()
    raised = (alerts_raise(now=now) + transit_alerts_raise(now=now)
              + recurring_alerts_raise(now=now) + interrogation_alerts_raise(now=now))
    return SweepResult(raised=raised, mailed=alerts_mail(now=now),
                       escalated=alerts_escalate(now=now))


def alert_acknowledge(*, acting_user: User, origin: Origin, alert: CustodyAlert) -> CustodyAlert:
    """A named person takes responsibility for an alert."""
    visible = CustodyAlert.objects.filter(
        facility_q(acting_user, "custody_record__facility"), pk=alert.pk).exists()
    if not visible or not has_capability(acting_user, Capability.ACKNOWLEDGE_CUSTODY_ALERT):
        audit_record(actor=acting_user, action=AuditEvent.Action.DENIED, origin=origin,
                     obj=alert, detail={"acknowledge": True})
        raise PermissionDenied(_("You may not acknowledge this alert."))
    with transaction.atomic():
        now = timezone.now()
        name = acting_user.get_full_name() or acting_user.get_username()
        claimed = CustodyAlert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now, acknowledged_by=acting_user, acknowledged_by_name=name)
        if not claimed:
            raise ValidationError({"alert": [_("This alert was already acknowledged.")]})
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=alert, detail={"acknowledged": True})
    alert.refresh_from_db()
    return alert
