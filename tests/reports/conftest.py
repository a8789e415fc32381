"""A small fixed dataset with hand-computed figures (Almaty time, UTC+5).

Unit FA-1 (Almaty city, KZ-75). Head One headed it until 16 March 2025, Head Two from that
day. In March 2025:

- r1 detained 10 Mar 10:00, released in time; stay in R1 10:00-11:00, CAM1 recorded a working
  picture 10:00-10:40: 20 blind minutes (Head One).
- r2 detained 15 Mar 23:30, limit 3 h, released after 5 h: an overrun (Head One). Stay in
  R3 (no camera) 23:30-02:30: 30 blind minutes on the 15th (Head One), 150 on the 16th
  (Head Two).
- r3 detained 16 Mar 00:30, released in time (Head Two).
- r4 detained 20 Mar 10:00, still held past its limit of 23 Mar (Head Two).
- c1 torture, incident 14 Mar (Head One), received 20 Mar, linked to case K1 with a
  conviction: substantiated. c2 cruel treatment, no incident date, received 18 Mar (Head
  Two). c3 conditions (not an allegation). c4 torture in KZ-75 naming no facility.
- Case K1: events from 14 Mar (Head One), registered 22 Mar, final; one charge art. 146
  convicted on 2 Apr, 36 months; victim male born 1 May 1990 (34 then); compensation
  500,000 paid on 5 Apr.
- A recommendation issued 20 Mar (Head Two), deadline 30 Mar, not started.
- Unit FB-1 (Karaganda): one detention on 12 Mar, outside a regional prosecutor of KZ-75.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from custodywatch.cases.models import (
    Article,
    Case,
    CaseParty,
    CaseStatus,
    Charge,
    CompensationClaim,
    Officer,
    Person,
    Verdict,
)
from custodywatch.complaints.models import Category, Channel, Complaint, HandlingBody
from custodywatch.custody.models import CustodyRecord, RoomStay
from custodywatch.registry.models import Agency, Camera, Facility, HeadAppointment, Region, Room
from custodywatch.video.models import CameraState, CameraStateSpan, RecordingRun
from custodywatch.visits.models import Category as RecommendationCategory
from custodywatch.visits.models import Recommendation, Source

ALMATY = ZoneInfo("Asia/Almaty")
NOW = dt.datetime(2025, 4, 10, 12, 0, tzinfo=ALMATY)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, minute, tzinfo=ALMATY)


def record(facility: Facility, detained: dt.datetime, limit_hours: int,
           held_hours: float | None, name: str) -> CustodyRecord:
    ended = detained + dt.timedelta(hours=held_hours) if held_hours else None
    return CustodyRecord.objects.create(
        facility=facility, full_name=name, detained_at=detained, detained_place="street",
        detaining_officer="officer", grounds="art. 128", arrived_at=detained,
        detention_due_at=detained + dt.timedelta(hours=limit_hours), ended_at=ended,
        end_reason="released" if ended else "")


_complaint_number = iter(range(1, 1000))


def complaint(region: Region, category: str, received: dt.datetime,
              facility: Facility | None = None, incident: dt.datetime | None = None
              ) -> Complaint:
    n = next(_complaint_number)
    return Complaint.objects.create(
        reference=f"T-{n:05d}", channel=Channel.WEB, received_at=received, text="...",
        facility=facility, region=region, incident_started_at=incident,
        suggested_category=category, category=category,
        handling_body=HandlingBody.PROSECUTOR, registration_due_at=received,
        answer_due_at=received, receipt_locator=f"L{n:07d}", receipt_hash="x",
        receipt_sha256="0" * 64)


@dataclass
class Dataset:
    facility: Facility
    head_one: HeadAppointment
    head_two: HeadAppointment
    case: Case


@pytest.fixture
def dataset(facility_a, facility_b) -> Dataset:
    head_one = HeadAppointment.objects.create(facility=facility_a, full_name="Head One",
                                              position="Head", started_on=dt.date(2024, 1, 1),
                                              ended_on=dt.date(2025, 3, 16))
    head_two = HeadAppointment.objects.create(facility=facility_a, full_name="Head Two",
                                              position="Head", started_on=dt.date(2025, 3, 16))
    r1 = record(facility_a, at(10, 10), 72, 48, "r1")
    r2 = record(facility_a, at(15, 23, 30), 3, 5, "r2")
    record(facility_a, at(16, 0, 30), 72, 10, "r3")
    record(facility_a, at(20, 10), 72, None, "r4")
    record(facility_b, at(12, 10), 72, 5, "b1")
    rooms = {room.code: room for room in Room.objects.filter(facility=facility_a)}
    RoomStay.objects.create(custody_record=r1, room=rooms["R1"], started_at=at(10, 10),
                            ended_at=at(10, 11))
    RoomStay.objects.create(custody_record=r2, room=rooms["R3"], started_at=at(15, 23, 30),
                            ended_at=at(16, 2, 30))
    camera = Camera.objects.get(facility=facility_a, code="CAM1")
    CameraStateSpan.objects.create(camera=camera, state=CameraState.OK, started_at=at(10, 9),
                                   ended_at=at(10, 12))
    RecordingRun.objects.create(camera=camera, started_at=at(10, 9), ended_at=at(10, 10, 40))
    almaty = facility_a.region
    c1 = complaint(almaty, Category.TORTURE, at(20, 9), facility_a, incident=at(14, 20))
    complaint(almaty, Category.CRUEL_TREATMENT, at(18, 9), facility_a)
    complaint(almaty, Category.CONDITIONS, at(19, 9), facility_a)
    complaint(almaty, Category.TORTURE, at(21, 9))
    case = Case.objects.create(
        register_number="K1", title="K1", facility=facility_a, region=almaty,
        events_from=at(14, 20), registered_at=at(22, 9), status=CaseStatus.FINAL,
        status_changed_at=at(2, 9, month=4))
    case.complaints.add(c1)
    victim = CaseParty.objects.create(case=case, role=CaseParty.Role.VICTIM,
                                      person=Person.objects.create(
                                          full_name="V", sex=Person.Sex.MALE,
                                          date_of_birth=dt.date(1990, 5, 1)))
    accused = CaseParty.objects.create(case=case, role=CaseParty.Role.ACCUSED,
                                       officer=Officer.objects.create(full_name="O"))
    Charge.objects.create(case=case, accused=accused, victim=victim, article=Article.TORTURE,
                          verdict=Verdict.CONVICTED, verdict_on=dt.date(2025, 4, 2),
                          imprisonment_months=36)
    CompensationClaim.objects.create(case=case, victim=victim, claimed_at=dt.date(2025, 3, 25),
                                     amount_claimed=900000, amount_granted=500000,
                                     decision=CompensationClaim.Decision.PARTLY,
                                     decided_at=dt.date(2025, 4, 3),
                                     paid_at=dt.date(2025, 4, 5))
    Recommendation.objects.create(
        source=Source.OMBUDSPERSON, facility=facility_a,
        addressee_body=Agency.objects.get(code="MVD"), responsible_official="Head",
        text="Fix the camera in R3.", category=RecommendationCategory.CONDITIONS,
        issued_on=dt.date(2025, 3, 20), deadline=dt.date(2025, 3, 30))
    return Dataset(facility_a, head_one, head_two, case)
