"""The demo's automatic referrals: every intake injury, declared allegation and death of the
synthetic custody year gets what ``referrals.referral_open`` gives it (an ex officio
allegation routed to the prosecutor, a legal hold on the person's rooms or the whole
facility, an ex officio case with its Istanbul Protocol request, the first-step clock), in
bulk: the services' Argon2id receipt per allegation would cost minutes at national size, so
these allegations carry no receipt code (as the demo's complaints: complaints/demo.py).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable

from django.db.models import Q
from django.utils.translation import gettext as _

from custodywatch.cases.models import Case, CaseParty, CaseStatus, CaseTransition, Person
from custodywatch.cases.models import Examination as ForensicExamination
from custodywatch.cases.rules import case_terms
from custodywatch.complaints import receipts
from custodywatch.complaints import rules as complaint_rules
from custodywatch.complaints import timeline_text as words
from custodywatch.complaints.models import (
    Category,
    Channel,
    Complaint,
    LegalHold,
    Status,
    TimelineEvent,
    Urgency,
)
from custodywatch.custody.models import CustodyRecord, EndReason, MedicalCheck, RoomStay
from custodywatch.medical.models import Death, Examination, Injury, Photo, Referral, Trigger
from custodywatch.medical.referrals import _allegation_text, register_number

Progress = Callable[[int], None]
CHUNK = 2000


def wipe_medical() -> None:
    for model in (Referral, Death, Photo, Injury, Examination):
        model.objects.all().delete()


def _items() -> list[tuple[CustodyRecord, MedicalCheck | None, list[str], dt.datetime]]:
    checks = (MedicalCheck.objects.filter(Q(no_injuries=False) | Q(declared_ill_treatment=True))
              .select_related("custody_record__facility__region").order_by("examined_at", "pk"))
    items: list[tuple[CustodyRecord, MedicalCheck | None, list[str], dt.datetime]] = []
    for check in checks:
        triggers = ([str(Trigger.INJURY_FOUND)] if not check.no_injuries else []) + (
            [str(Trigger.DECLARED)] if check.declared_ill_treatment else [])
        items.append((check.custody_record, check, triggers, check.examined_at))
    for record in (CustodyRecord.objects.filter(end_reason=EndReason.DIED)
                   .select_related("facility__region").order_by("ended_at", "pk")):
        if record.ended_at is not None:  # always: a death ends the custody
            items.append((record, None, [str(Trigger.DEATH)], record.ended_at))
    return sorted(items, key=lambda item: (item[3], item[0].pk))


def build_referrals(*, rng: random.Random, now: dt.datetime,
                    progress: Progress = lambda n: None) -> int:
    items = _items()
    if not items:
        return 0
    margin = complaint_rules.HOLD_MARGIN
    stays: dict[int, list[tuple[int, dt.datetime, dt.datetime | None]]] = defaultdict(list)
    for record_id, room_id, start, end in RoomStay.objects.filter(
            custody_record__in=[r.pk for r, *_rest in items]).values_list(
            "custody_record_id", "room_id", "started_at", "ended_at"):
        stays[record_id].append((room_id, start, end))
    complaints, holds, cases = [], [], []
    for index, (record, check, triggers, opened) in enumerate(items, start=1):
        end = max(opened, record.detained_at + dt.timedelta(minutes=1))
        facility = record.facility
        in_custody = record.ended_at is None or record.ended_at > opened
        complaint = Complaint(
            reference=f"C-X{opened.year}-{index:06d}", channel=Channel.EX_OFFICIO,
            received_at=opened,
            facility=facility, region=facility.region, incident_started_at=record.detained_at,
            incident_ended_at=end, still_in_custody=in_custody, custody_record=record,
            suggested_category=Category.TORTURE, category=Category.TORTURE,
            urgency=Urgency.HIGH if in_custody else Urgency.NORMAL,
            handling_body=complaint_rules.ROUTING[Category.TORTURE],
            status=Status.REGISTERED if now - opened > dt.timedelta(days=1) else Status.RECEIVED,
            registration_due_at=opened + complaint_rules.COMPLAINT_TERMS.registration,
            answer_due_at=opened + complaint_rules.answer_term(Category.TORTURE),
            # "x": never a real locator (those are upper-case base32), as the demo's "d".
            receipt_locator=f"x{index:07d}", receipt_hash=receipts.UNUSABLE_HASH,
            receipt_sha256="")
        # A property (sealed with the row): set as Model() would.
        complaint.text = _allegation_text(record, triggers, None, check)
        complaints.append(complaint)
        death = check is None
        old = now - opened > dt.timedelta(days=3)
        cases.append(Case(
            register_number="",  # the allegation's key, once it has one
            title=(_("Death in custody at %(facility)s") if death
                   else _("Injuries in custody at %(facility)s")) % {"facility": facility.code},
            ex_officio=True, facility=facility, region_id=facility.region_id,
            unit=record.detaining_unit, events_from=record.detained_at, events_until=end,
            status=CaseStatus.INVESTIGATION if old else CaseStatus.REGISTERED,
            registered_at=opened, status_changed_at=opened,
            # Most prosecutors act within the day; some late, the newest not yet.
            first_step_at=opened + dt.timedelta(hours=rng.uniform(1, 40)) if old else None))
    complaints = _bulk(Complaint, complaints, progress)
    for (record, check, _triggers, opened), complaint in zip(items, complaints, strict=True):
        death = check is None
        end = max(opened, record.detained_at + dt.timedelta(minutes=1))
        holds.append(LegalHold(
            complaint=complaint, facility_id=record.facility_id, custody_record=record,
            starts_at=record.detained_at - margin, ends_at=end + margin, created_at=opened))
    holds = _bulk(LegalHold, holds, progress)
    hold_rooms = []
    for (record, check, _triggers, _opened), hold in zip(items, holds, strict=True):
        if check is None:
            continue  # a death: every room of the facility
        rooms = {room for room, start, end in stays[record.pk]
                 if start < hold.ends_at and (end is None or end > hold.starts_at)}
        hold_rooms += [LegalHold.rooms.through(legalhold_id=hold.pk, room_id=room)
                       for room in sorted(rooms)]
    _bulk(LegalHold.rooms.through, hold_rooms, progress)
    for case, complaint in zip(cases, complaints, strict=True):
        case.register_number = register_number(complaint.pk, complaint.received_at)
    cases = _bulk(Case, cases, progress)
    _bulk(Case.complaints.through, [Case.complaints.through(case_id=case.pk,
                                                            complaint_id=complaint.pk)
                                    for case, complaint in zip(cases, complaints, strict=True)],
          progress)
    transitions = []
    for case in cases:
        transitions.append(CaseTransition(case=case, from_status="",
                                          to_status=CaseStatus.REGISTERED, at=case.registered_at))
        if case.status == CaseStatus.INVESTIGATION and case.first_step_at is not None:
            transitions.append(CaseTransition(case=case, from_status=CaseStatus.REGISTERED,
                                              to_status=CaseStatus.INVESTIGATION,
                                              at=case.first_step_at))
    _bulk(CaseTransition, transitions, progress)
    timeline = []
    for complaint, case in zip(complaints, cases, strict=True):
        timeline += [
            TimelineEvent(complaint=complaint, kind=TimelineEvent.Kind.RECEIVED,
                          at=complaint.received_at,
                          parts=[words.choice(Channel, Channel.EX_OFFICIO)]),
            TimelineEvent(complaint=complaint, kind=TimelineEvent.Kind.HOLD,
                          at=complaint.received_at),
            TimelineEvent(complaint=complaint, kind=TimelineEvent.Kind.CASE_OPENED,
                          at=complaint.received_at, note=case.register_number)]
    _bulk(TimelineEvent, timeline, progress)
    persons = _bulk(Person, [Person(full_name=r.full_name, iin=r.iin,
                                    date_of_birth=r.date_of_birth) for r, *_rest in items],
                    progress)
    _bulk(Person.custody_records.through, [
        Person.custody_records.through(person_id=p.pk, custodyrecord_id=r.pk)
        for p, (r, *_rest) in zip(persons, items, strict=True)], progress)
    victims = _bulk(CaseParty, [
        CaseParty(case=case, role=CaseParty.Role.VICTIM, person=person, custody_record=r)
        for case, person, (r, *_rest) in zip(cases, persons, items, strict=True)], progress)
    requests = _bulk(ForensicExamination, [
        ForensicExamination(case=case, subject=victim, requested_at=case.registered_at,
                            place=r.facility.name)
        for case, victim, (r, *_rest) in zip(cases, victims, items, strict=True)], progress)
    step = case_terms().first_step
    _bulk(Referral, [
        Referral(custody_record=r, medical_check=check, triggers=triggers, complaint=complaint,
                 hold=hold, case=case, forensic_examination=request, opened_at=opened,
                 first_step_due_at=opened + step)
        for (r, check, triggers, opened), complaint, hold, case, request
        in zip(items, complaints, holds, cases, requests, strict=True)], progress)
    _bulk(Death, [Death(custody_record=r, died_at=ended, place=r.facility.name)
                  for r, check, _triggers, ended in items if check is None], progress)
    return len(items)


def _bulk(model, rows: list, progress: Progress) -> list:
    created = []
    for start in range(0, len(rows), CHUNK):
        created.extend(model.objects.bulk_create(rows[start:start + CHUNK]))
        progress(len(rows[start:start + CHUNK]))
    return created
