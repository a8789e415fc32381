"""Automatic referral: an injury, an allegation, a new injury or a death opens, by itself and in
the transaction that recorded it, everything an independent investigation needs.

- an ex officio allegation (``complaints.Complaint``, channel ``ex_officio``) filed through the
  complaints intake, so that it is routed like any torture allegation: to the prosecutor of
  the facility's region, never to anyone of the facility (``complaints.services
  ._eligible_handler``), with its receipt leaf in the ledger;
- the legal hold the intake places: the rooms the person was in from detention to the
  examination (a death: every room of the facility over the whole custody);
- an ex officio case (``cases.Case``) with the person as victim and a request for an
  Istanbul Protocol examination (examiner to be named by the prosecutor);
- the case's clocks (kernels/case_clocks): the first investigative step is due 24 h after
  the referral. The automatic request is not counted as the prosecutor's first step.

Nobody at the facility decides whether it happens, and nothing a facility's staff or agent
reads changes because of it (tests/medical/test_facility_sees_nothing.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import SYSTEM_ORIGIN, audit_record
from custodywatch.accounts.models import AuditEvent
from custodywatch.cases.models import Case, CaseParty, CaseStatus, CaseTransition, Person
from custodywatch.cases.models import Examination as ForensicExamination
from custodywatch.cases.rules import case_terms
from custodywatch.complaints import rules as complaint_rules
from custodywatch.complaints import services as complaint_services
from custodywatch.complaints.models import Category, Channel, TimelineEvent, Urgency
from custodywatch.custody.models import CustodyRecord, Interrogation, MedicalCheck, RoomStay
from custodywatch.medical.models import Examination, Referral, Trigger

# Automatic cases are numbered in a reserved ERDR series (15 digits): "99", the year's two
# digits, then the allegation's key. The prosecutor's registration in the ERDR follows.
SERIES = "99"


def register_number(complaint_pk: int, at: dt.datetime) -> str:
    """The automatic case's number: the series, the year, the allegation's own key (unique
    by construction: two referrals at once never draw the same number)."""
    return f"{SERIES}{timezone.localtime(at):%y}{complaint_pk:011d}"


def person_records(record: CustodyRecord) -> list[CustodyRecord]:
    """The person's custody records across facilities: by IIN when known, else this one."""
    if record.iin:
        return list(CustodyRecord.objects.filter(iin=record.iin).select_related("facility")
                    .order_by("detained_at"))
    return [record]


def _between(records: list[CustodyRecord], start: dt.datetime,
             end: dt.datetime) -> dict[str, Any]:
    """Where the person was, who interrogated them and the blind minutes in [start, end)."""
    ids = [r.pk for r in records]
    stays = (RoomStay.objects.filter(custody_record__in=ids, started_at__lt=end)
             .exclude(ended_at__lte=start).select_related("room", "custody_record__facility")
             .order_by("started_at"))
    actions = (Interrogation.objects.filter(custody_record__in=ids, started_at__lt=end)
               .exclude(ended_at__lte=start).select_related("room", "custody_record__facility")
               .order_by("started_at"))
    return {
        "stays": [{"facility": s.custody_record.facility.code, "room": s.room.code,
                   "from": s.started_at.isoformat(),
                   "until": s.ended_at.isoformat() if s.ended_at else None,
                   "blind_minutes": None if s.blind_ms is None else round(s.blind_ms / 60000)}
                  for s in stays],
        "interrogations": [{"facility": a.custody_record.facility.code, "room": a.room.code,
                            "investigator": a.investigator, "lawyer_present": a.lawyer_present,
                            "from": a.started_at.isoformat(),
                            "until": a.ended_at.isoformat() if a.ended_at else None,
                            "blind_minutes": None if a.blind_ms is None
                            else round(a.blind_ms / 60000)}
                           for a in actions],
    }


def compare_with_earlier(examination: Examination) -> dict[str, Any]:
    """Injuries that appeared since the person's previous examination (consented, any
    facility): a body region with an injury now and none then. Empty without an earlier
    examination (what intake finds is "found", not "new")."""
    records = person_records(examination.custody_record)
    previous = (Examination.objects.filter(custody_record__in=[r.pk for r in records],
                                           consent="given",
                                           examined_at__lt=examination.examined_at)
                .exclude(pk=examination.pk).order_by("-examined_at", "-id")
                .prefetch_related("injuries").first())
    if previous is None:
        return {}
    before = {injury.body_region for injury in previous.injuries.all()}
    new = [{"view": i.view, "body_region": i.body_region, "kind": i.kind,
            "description": i.description}
           for i in examination.injuries.all() if i.body_region not in before]
    if not new:
        return {}
    return {"previous_examination": previous.pk,
            "previous_at": previous.examined_at.isoformat(), "new": new,
            **_between(records, previous.examined_at, examination.examined_at)}


def triggers_of(examination: Examination, comparison: dict[str, Any]) -> list[str]:
    triggers = []
    if examination.injuries.exists():
        triggers.append(Trigger.INJURY_FOUND)
    if examination.declared_ill_treatment:
        triggers.append(Trigger.DECLARED)
    if examination.doctor_allegation:
        triggers.append(Trigger.DOCTOR_ALLEGATION)
    if comparison.get("new"):
        triggers.append(Trigger.NEW_INJURY)
    return [str(t) for t in triggers]


def _allegation_text(record: CustodyRecord, triggers: list[str],
                     examination: Examination | None,
                     medical_check: MedicalCheck | None = None) -> str:
    labels = "; ".join(str(Trigger(t).label) for t in triggers)
    if medical_check is not None:
        return _("Automatic referral (ex officio) for custody record %(record)s at "
                 "%(facility)s: %(triggers)s, the facility's medical check of %(at)s.") % {
            "record": record.pk, "facility": record.facility.code, "triggers": labels,
            "at": timezone.localtime(medical_check.examined_at).strftime("%Y-%m-%d %H:%M")}
    if examination is None:
        return _("Automatic referral (ex officio) for custody record %(record)s at "
                 "%(facility)s: %(triggers)s.") % {
            "record": record.pk, "facility": record.facility.code, "triggers": labels}
    return _("Automatic referral (ex officio) for custody record %(record)s at %(facility)s: "
             "%(triggers)s, independent medical examination %(exam)s of %(at)s.") % {
        "record": record.pk, "facility": record.facility.code, "triggers": labels,
        "exam": examination.pk,
        "at": timezone.localtime(examination.examined_at).strftime("%Y-%m-%d %H:%M")}


def referral_open(*, record: CustodyRecord, triggers: list[str],
                  examination: Examination | None = None,
                  medical_check: MedicalCheck | None = None,
                  comparison: dict[str, Any] | None = None,
                  now: dt.datetime | None = None) -> Referral:
    """Open the allegation, hold, case, examination request and clock; inside the caller's
    transaction (the examination or the end of custody commits with its referral or not at
    all). Idempotent: an examination (or a death) already referred returns its referral."""
    now = now or timezone.now()
    if examination is not None:
        existing = Referral.objects.filter(examination=examination).first()
    elif medical_check is not None:
        existing = Referral.objects.filter(medical_check=medical_check).first()
    else:
        existing = Referral.objects.filter(custody_record=record, examination__isnull=True,
                                           medical_check__isnull=True).first()
    if existing is not None:
        return existing
    death = Trigger.DEATH in triggers
    start = record.detained_at
    examined = examination or medical_check
    end = examined.examined_at if examined is not None else (record.ended_at or now)
    end = max(end, start + dt.timedelta(minutes=1))
    text = _allegation_text(record, triggers, examination, medical_check)
    with transaction.atomic(savepoint=False):
        filed = complaint_services.complaint_file(
            acting_user=None, origin=SYSTEM_ORIGIN, channel=Channel.EX_OFFICIO,
            text=text, facility=record.facility,
            # A death holds every room of the facility; otherwise the person's rooms.
            custody_record=None if death else record,
            incident_started_at=start, incident_ended_at=end,
            still_in_custody=record.ended_at is None, now=now)
        complaint = filed.complaint
        # Ill-treatment in custody: the prosecutor's exclusive jurisdiction (complaints.rules).
        complaint.category = Category.TORTURE
        complaint.handling_body = complaint_rules.ROUTING[Category.TORTURE]
        complaint.answer_due_at = complaint.received_at + complaint_rules.answer_term(
            Category.TORTURE)
        complaint.custody_record = record
        if record.ended_at is None:
            complaint.urgency = Urgency.HIGH
        complaint.save(update_fields=["category", "handling_body", "answer_due_at",
                                      "custody_record", "urgency"])
        hold = complaint.legal_holds.earliest("id")  # the filing placed it
        case = Case.objects.create(
            register_number=register_number(complaint.pk, now),
            title=(_("Death in custody at %(facility)s") if death
                   else _("Injuries in custody at %(facility)s")) % {
                "facility": record.facility.code},
            summary=text, ex_officio=True, facility=record.facility,
            region_id=record.facility.region_id, unit=record.detaining_unit,
            events_from=start, events_until=end, status=CaseStatus.REGISTERED,
            registered_at=now, status_changed_at=now)
        case.complaints.add(complaint)
        CaseTransition.objects.create(case=case, from_status="",
                                      to_status=CaseStatus.REGISTERED, actor=None, at=now)
        TimelineEvent.objects.create(complaint=complaint, kind=TimelineEvent.Kind.CASE_OPENED,
                                     at=now, note=case.register_number)
        person = Person.objects.create(full_name=record.full_name, iin=record.iin,
                                       date_of_birth=record.date_of_birth)
        person.custody_records.add(record)
        victim = CaseParty.objects.create(case=case, role=CaseParty.Role.VICTIM,
                                          person=person, custody_record=record)
        forensic = ForensicExamination.objects.create(
            case=case, subject=victim, requested_at=now, requested_by=None,
            place=record.facility.name)
        referral = Referral.objects.create(
            custody_record=record, examination=examination, medical_check=medical_check,
            triggers=triggers,
            complaint=complaint, hold=hold, case=case, forensic_examination=forensic,
            opened_at=now, first_step_due_at=now + case_terms().first_step,
            comparison=comparison or {})
        audit_record(actor=None, action=AuditEvent.Action.CREATE, origin=SYSTEM_ORIGIN,
                     obj=referral, detail={"triggers": triggers, "record": record.pk,
                                           "complaint": complaint.reference,
                                           "case": case.register_number})
    return referral


def death_referral_open(*, record: CustodyRecord, now: dt.datetime) -> Referral:
    """A death in custody (custody.services._end_write): the investigation, a hold on every
    room of the facility over the whole custody, the autopsy request and the clock; and the
    death's own record (autopsy, cause and manner, relatives informed) to be completed."""
    from custodywatch.medical.models import Death

    with transaction.atomic(savepoint=False):
        referral = referral_open(record=record, triggers=[str(Trigger.DEATH)], now=now)
        Death.objects.get_or_create(custody_record=record, defaults={
            "died_at": record.ended_at or now, "place": record.facility.name})
    return referral


def check_triggers(check: MedicalCheck, injuries: int) -> list[str]:
    """The facility's own intake check: an injury found or ill-treatment declared."""
    triggers = []
    if injuries:
        triggers.append(str(Trigger.INJURY_FOUND))
    if check.declared_ill_treatment:
        triggers.append(str(Trigger.DECLARED))
    return triggers


def on_custody_death(sender: object, *, record: CustodyRecord, now: dt.datetime,
                     **kwargs: object) -> None:
    """custody.signals.custody_death, inside the transaction that ends the record."""
    death_referral_open(record=record, now=now)


def on_medical_check(sender: object, *, record: CustodyRecord, check: MedicalCheck,
                     injuries: int, **kwargs: object) -> None:
    """custody.signals.medical_check_recorded, inside the transaction that writes the
    facility's own examination: an injury or a declared allegation is referred by itself."""
    triggers = check_triggers(check, injuries)
    if triggers:
        referral_open(record=record, triggers=triggers, medical_check=check)
