"""Risk moments from the registers: build a person's timeline (kernels/risk_rules.Timeline)
from custody, video coverage, medical, complaint records; store each hit once.

Run by ``custodywatch risk_sweep`` (and after each independent examination). The alerts
are read by prosecutors, the NPM and the Ombudsperson in their scope, never by the facility:
nothing a facility reads changes when one is raised.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from custodywatch.accounts.capabilities import Capability, has_capability, user_can
from custodywatch.accounts.models import User
from custodywatch.accounts.scoping import facility_q
from custodywatch.complaints.models import Complaint
from custodywatch.custody.models import CustodyRecord, Interrogation, MedicalCheck, RoomStay
from custodywatch.kernels import risk_rules
from custodywatch.medical.models import Examination, Referral, RiskAlert
from custodywatch.medical.referrals import person_records

LOOKBACK = dt.timedelta(days=30)


def _minutes(ms: int | None) -> int | None:
    return None if ms is None else ms // 60000


def _interviews(stays) -> list[tuple[str, dt.datetime]]:
    """NPM interviews of a detainee in a room while the person was held there."""
    from custodywatch.visits.models import Interview

    stays = list(stays)
    if not stays:
        return []
    found = []
    interviews = Interview.objects.filter(interviewee=Interview.Interviewee.DETAINEE,
                                          room__in={s.room_id for s in stays})
    for pk, room_id, at in interviews.values_list("pk", "room_id", "recorded_at"):
        if any(s.room_id == room_id and s.started_at <= at and (s.ended_at is None
                                                                or at <= s.ended_at)
               for s in stays):
            found.append((f"interview:{pk}", at))
    return found


def timeline_of(records: list[CustodyRecord]) -> risk_rules.Timeline:
    ids = [r.pk for r in records]
    stays = (RoomStay.objects.filter(custody_record__in=ids).select_related("room")
             .annotate(cameras=Count("room__cameras")))
    actions = (Interrogation.objects.filter(custody_record__in=ids).select_related("room")
               .annotate(cameras=Count("room__cameras")))
    intervals = [risk_rules.Interval(f"stay:{s.pk}", "stay", s.started_at, s.ended_at,
                                     s.room.kind, _minutes(s.blind_ms),
                                     has_camera=bool(s.cameras)) for s in stays]
    intervals += [risk_rules.Interval(f"interrogation:{a.pk}", "interrogation", a.started_at,
                                      a.ended_at, a.room.kind, _minutes(a.blind_ms),
                                      a.lawyer_present, has_camera=bool(a.cameras))
                  for a in actions]
    new = {ref.examination_id: len(ref.comparison.get("new", [])) for ref in
           Referral.objects.filter(examination__custody_record__in=ids)}
    exams = [risk_rules.Exam(f"examination:{e.pk}", e.examined_at, e.injury_count,
                             new.get(e.pk, 0))
             for e in Examination.objects.filter(custody_record__in=ids, consent="given")
             .annotate(injury_count=Count("injuries"))]
    exams += [risk_rules.Exam(f"check:{c.pk}", c.examined_at, c.injury_count)
              for c in MedicalCheck.objects.filter(custody_record__in=ids)
              .annotate(injury_count=Count("injuries"))]
    exams.sort(key=lambda e: e.at)
    if exams:
        first = exams[0]
        exams[0] = risk_rules.Exam(first.ref, first.at, first.injuries, first.new_injuries,
                                   first=True)
    complaints = [(f"complaint:{pk}", at) for pk, at in Complaint.objects.filter(
        custody_record__in=ids).exclude(channel="ex_officio").values_list("pk", "received_at")]
    complaints += _interviews(stays)
    custodies = [risk_rules.Custody(f"record:{r.pk}", r.detained_at, r.ended_at, r.end_reason)
                 for r in records]
    return risk_rules.Timeline(custodies, intervals, exams, complaints)


def _record_of(records: list[CustodyRecord], hit: risk_rules.Hit) -> CustodyRecord:
    """The custody the hit is about: the one holding its moment, else the latest."""
    for record in records:
        if record.detained_at <= hit.at and (record.ended_at is None or hit.at <= record.ended_at):
            return record
    return records[-1]


def evaluate_person(record: CustodyRecord, *, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    records = person_records(record)
    hits = risk_rules.evaluate(timeline_of(records))
    alerts = [RiskAlert(rule=hit.rule, custody_record=_record_of(records, hit),
                        at=hit.at, evidence=list(hit.evidence), why=hit.why, facts=hit.facts,
                        raised_at=now) for hit in hits]
    before = RiskAlert.objects.filter(custody_record__in=[r.pk for r in records]).count()
    RiskAlert.objects.bulk_create(alerts, ignore_conflicts=True)
    return RiskAlert.objects.filter(custody_record__in=[r.pk for r in records]).count() - before


def risk_sweep(*, now: dt.datetime | None = None, since: dt.timedelta = LOOKBACK) -> int:
    """Evaluate everyone in custody now or in the period; each person once."""
    now = now or timezone.now()
    raised, seen = 0, set()
    records = CustodyRecord.objects.filter(Q(ended_at__isnull=True) | Q(
        ended_at__gte=now - since)).select_related("facility").order_by("pk")
    for record in records.iterator(chunk_size=500):
        key = record.iin or f"record:{record.pk}"
        if key in seen:
            continue
        seen.add(key)
        raised += evaluate_person(record, now=now)
    return raised


def alerts_visible(*, user: User) -> QuerySet[RiskAlert]:
    if not user_can(user, Capability.READ_RISK_MOMENTS):
        return RiskAlert.objects.none()
    return RiskAlert.objects.filter(facility_q(user, "custody_record__facility"))


def dashboard_summary(*, user: User, limit: int = 5) -> dict | None:
    """The dashboard's risk card: None for a reader without READ_RISK_MOMENTS."""
    if not has_capability(user, Capability.READ_RISK_MOMENTS):
        return None
    alerts = alerts_visible(user=user)
    latest = list(alerts.select_related("custody_record__facility").order_by("-at")[:limit])
    titles = {rule.code: rule.title for rule in risk_rules.RULES}
    return {"count": alerts.count(),
            "latest": [{"at": a.at, "facility": a.custody_record.facility.code,
                        "title": titles.get(a.rule, a.rule)} for a in latest]}
