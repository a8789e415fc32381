"""Issue 22, items 4-6: reviews of continued detention, care in custody (risk assessment,
cell checks verified against the cameras) and interrogation safeguards: services, sweep
alerts at their boundaries, the record page, the desk and the batch API."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.cases.models import Case, CaseParty, CaseStatus, Officer
from custodywatch.custody import alerts, services
from custodywatch.custody.models import CellCheck, CustodyAlert, CustodyReview, Interrogation
from custodywatch.registry.models import Camera, Room
from custodywatch.video import blind_alerts
from tests.custody.conftest import make_record
from tests.custody.test_api import record_item, token_for
from tests.custody.test_record_coverage import recorded

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)


def add(service, record, user, **values):
    return service(acting_user=user, origin=SYSTEM_ORIGIN, record=record, values=values)


def review(record, user, at, reviewer="Maj. Seitkali", **extra):
    return add(services.review_add, record, user, reviewed_at=at, reviewer=reviewer,
               decision="continue", reasons="Investigation continues", **extra)


# ------------------------------------------------------------------ item 4: reviews

def test_a_reviewer_involved_in_the_case_is_refused(people, facility_a):
    now = timezone.now()
    record = make_record(facility_a, people["duty_a"], detained_at=now - 5 * H,
                         erdr_number="261500031000123")
    with pytest.raises(ValidationError) as refused:
        review(record, people["duty_a"], now - H, reviewer="  lt.  OMAROV ")  # detained him
    assert "reviewer" in refused.value.message_dict
    # Questioned the person in another record of the same case (ERDR number).
    other = make_record(facility_a, people["duty_a"], detained_at=now - 4 * H,
                        erdr_number="261500031000123", full_name="Second suspect",
                        room_code="R2")
    add(services.interrogation_add, other, people["duty_a"], room=facility_a.rooms.get(
        code="R2"), started_at=now - 3 * H, ended_at=now - 2 * H, investigator="Capt. Nurlanov",
        investigator_personnel_number="P-77", lawyer_present=True)
    with pytest.raises(ValidationError) as by_number:
        review(record, people["duty_a"], now - H, reviewer="Nurlanov K.",
               reviewer_personnel_number="P-77")
    assert "reviewer" in by_number.value.message_dict
    assert not CustodyReview.objects.exists()
    done = review(record, people["duty_a"], now - H)
    assert review(record, people["duty_a"], now - H).pk == done.pk  # idempotent


def test_missed_reviews_are_alerted_once_per_due_moment(people, facility_a):
    now = timezone.now()
    record = make_record(facility_a, people["duty_a"], detained_at=now - 6 * H + M)
    assert alerts.recurring_alerts_raise(now=now - M) == 1  # the 1 h warning only
    assert alerts.recurring_alerts_raise(now=now - M) == 0
    assert not CustodyAlert.objects.filter(clock="review", level="missed").exists()
    assert alerts.recurring_alerts_raise(now=now + M) == 1  # past 6 h, no review
    first = CustodyAlert.objects.get(clock="review", level="missed")
    assert first.due_at == record.detained_at + 6 * H
    # Reviewed late; the next is due 9 h after it. Missed again: a second alert.
    review(record, people["duty_a"], now)
    assert alerts.recurring_alerts_raise(now=now + 9 * H) == 1
    assert CustodyAlert.objects.filter(clock="review", level="missed").count() == 2
    assert alerts.recurring_alerts_raise(now=now + 9 * H + M) == 0


def test_a_sentence_owes_no_review(people, facility_a):
    now = timezone.now()
    make_record(facility_a, people["duty_a"], detained_at=now - 20 * H, regime="sentence",
                term_ends_at=now + 300 * 24 * H)
    alerts.recurring_alerts_raise(now=now)
    assert not CustodyAlert.objects.filter(clock="review").exists()


# ------------------------------------------------------------------ item 5: care

def test_the_assessment_sets_the_level_and_refuses_a_looser_one(people, record_a):
    now = timezone.now()
    with pytest.raises(ValidationError) as looser:
        add(services.risk_assessment_add, record_a, people["duty_a"], assessed_at=now - 50 * M,
            assessed_by="Sgt. Ali", intoxication=True, observation_level="hourly")
    assert "observation_level" in looser.value.message_dict
    proposed = add(services.risk_assessment_add, record_a, people["duty_a"],
                   assessed_at=now - 50 * M, assessed_by="Sgt. Ali", intoxication=True)
    assert proposed.observation_level == "half_hourly"
    closer = add(services.risk_assessment_add, record_a, people["duty_a"],
                 assessed_at=now - 40 * M, assessed_by="Sgt. Ali", observation_level="constant")
    assert closer.observation_level == "constant"


def test_missed_cell_checks_at_the_level_interval(people, record_a):
    now = timezone.now()
    start = now - 50 * M
    add(services.risk_assessment_add, record_a, people["duty_a"], assessed_at=start,
        assessed_by="Sgt. Ali", intoxication=True)  # every 30 min
    check = add(services.cell_check_add, record_a, people["duty_a"],
                checked_at=start + 30 * M, checked_by="Sgt. Ali")
    assert check.room.code == "R1"  # the room the person was in then
    assert alerts.recurring_alerts_raise(now=start + 60 * M - M) == 0
    assert alerts.recurring_alerts_raise(now=start + 60 * M) == 1
    alert = CustodyAlert.objects.get(clock="cell_check")
    assert (alert.level, alert.due_at) == ("missed", start + 60 * M)


def test_a_check_no_camera_recorded_is_unverified(people, record_a, facility_a):
    now = timezone.now()
    camera = Camera.objects.get(facility=facility_a, code="CAM1")  # covers R1
    seen = add(services.cell_check_add, record_a, people["duty_a"], checked_at=now - 50 * M,
               checked_by="Sgt. Ali")
    unseen = add(services.cell_check_add, record_a, people["duty_a"],
                 checked_at=now - 20 * M, checked_by="Sgt. Ali")
    # The corridor X1 has no camera: nothing else saves the second check.
    recorded(camera, now - 55 * M, now - 45 * M)
    assert blind_alerts.cell_checks_verify(now=now) == 2
    seen.refresh_from_db()
    unseen.refresh_from_db()
    assert (seen.verified, unseen.verified) == (True, False)
    assert blind_alerts.cell_checks_verify(now=now) == 0  # decided once


# ------------------------------------------------------------------ item 6: interrogations

@pytest.fixture
def rooms(facility_a):
    return {"cell": facility_a.rooms.get(code="R2"),
            "interrogation": Room.objects.create(facility=facility_a, code="I1",
                                                 name="Interrogation", custody_use=True,
                                                 kind=Room.Kind.INTERROGATION)}


def question(record, user, room, start, minutes=60, **extra):
    values = {"room": room, "started_at": start, "ended_at": start + minutes * M,
              "investigator": "Capt. Nurlanov", "lawyer_present": True} | extra
    return add(services.interrogation_add, record, user, **values)


def test_each_broken_safeguard_is_alerted_once(people, facility_a, rooms):
    now = timezone.now()
    record = make_record(facility_a, people["duty_a"], detained_at=now - 30 * H,
                         arrived_at=now - 29 * H, language="Kyrgyz", rights_language="Russian",
                         rights_explained_at=now - 29 * H, interpreter="")
    cell = question(record, people["duty_a"], rooms["cell"], now - 28 * H, lawyer_present=False,
                    interpreter="A. Interp")
    long = question(record, people["duty_a"], rooms["interrogation"], now - 20 * H,
                    minutes=241, interpreter="A. Interp")
    no_interpreter = question(record, people["duty_a"], rooms["interrogation"], now - 5 * H)
    assert alerts.interrogation_alerts_raise(now=now) >= 4
    found = set(CustodyAlert.objects.filter(interrogation__isnull=False).values_list(
        "interrogation_id", "clock"))
    assert {(cell.pk, "interview_room"), (cell.pk, "interview_lawyer"),
            (long.pk, "interview_no_break"),
            (no_interpreter.pk, "interview_language")} <= found
    assert (long.pk, "interview_room") not in found
    assert alerts.interrogation_alerts_raise(now=now) == 0


def test_a_recorded_waiver_and_a_full_hour_limit_raise_nothing(signed_in, people, facility_a,
                                                                rooms):
    now = timezone.now().astimezone(dt.UTC)
    # A daytime start on the local clock (Almaty): 11:00 today or yesterday.
    local = timezone.localtime(now, timezone.get_fixed_timezone(300))
    start = local.replace(hour=11, minute=0, second=0, microsecond=0)
    if start + 5 * H > now:
        start -= 24 * H
    record = make_record(facility_a, people["duty_a"], detained_at=start - H,
                         arrived_at=start - H, lawyer_waived_at=start - 30 * M)
    question(record, people["duty_a"], rooms["interrogation"], start, minutes=240,
             lawyer_present=False)
    assert alerts.interrogation_alerts_raise(now=now) == 0
    page = signed_in(people["duty_a"]).get(reverse("custody:record", args=[record.pk]))
    assert b'data-testid="lawyer-waived"' in page.content
    assert b"interview-flag-" not in page.content


def test_an_accused_investigator_shows_to_prosecutors_not_to_the_facility(
        signed_in, people, facility_a, rooms):
    now = timezone.now()
    record = make_record(facility_a, people["duty_a"], detained_at=now - 3 * H)
    question(record, people["duty_a"], rooms["interrogation"], now - 2 * H,
             investigator_personnel_number="P-9")
    officer = Officer.objects.get(personnel_number="P-9")
    assert Interrogation.objects.get().investigator_officer == officer
    case = Case.objects.create(register_number="262-0099", title="Art. 146",
                               facility=facility_a, region=facility_a.region,
                               registered_at=now, status_changed_at=now,
                               status=CaseStatus.INVESTIGATION)
    CaseParty.objects.create(case=case, role=CaseParty.Role.SUSPECT, officer=officer)
    url = reverse("custody:record", args=[record.pk])
    prosecutor = signed_in(people["prosecutor_a"]).get(url)
    assert b'data-testid="interview-flag-accused"' in prosecutor.content
    for name in ("duty_a", "head_a"):
        page = signed_in(people[name]).get(url)
        assert page.status_code == 200
        assert b"interview-flag-accused" not in page.content


def test_scorecard_counts_the_breaches_of_its_days(people, facility_a, rooms):
    from custodywatch.reports import selectors as reports

    now = timezone.now()
    record = make_record(facility_a, people["duty_a"], detained_at=now - 8 * H,
                         arrived_at=now - 8 * H)
    question(record, people["duty_a"], rooms["cell"], now - 7 * H)  # not an interrogation room
    alerts.recurring_alerts_raise(now=now)  # the review due at 6 h was missed
    alerts.interrogation_alerts_raise(now=now)
    breaches = CustodyAlert.objects.filter(level__in=["missed", "breached"])
    # The missed review and the room; the night too when the test runs at night.
    assert {"review", "interview_room"} <= set(breaches.values_list("clock", flat=True))
    due_days = {timezone.localdate(a.due_at) for a in breaches}
    start, end = min(due_days), max(due_days) + dt.timedelta(days=1)
    figures = reports.unit_figures(facility=facility_a, start=start, end=end)
    assert figures["safeguard_breaches"] == breaches.count() >= 2
    assert reports.unit_figures(facility=facility_a, start=end, end=end + dt.timedelta(
        days=1))["safeguard_breaches"] == 0


# ------------------------------------------------------------------ pages

def test_record_page_and_desk_show_reviews_checks_and_breaches(signed_in, people, facility_a,
                                                               rooms):
    now = timezone.now()
    record = make_record(facility_a, people["duty_a"], detained_at=now - 8 * H,
                         arrived_at=now - 8 * H)
    question(record, people["duty_a"], rooms["cell"], now - 7 * H)
    add(services.risk_assessment_add, record, people["duty_a"], assessed_at=now - 7 * H,
        assessed_by="Sgt. Ali", self_harm=True)
    alerts.custody_sweep(now=now)
    client = signed_in(people["duty_a"])
    page = client.get(reverse("custody:record", args=[record.pk]))
    body = page.content.decode()
    assert 'data-testid="interview-flag-interview_room"' in body
    assert 'data-testid="missed"' in body  # the review due at 6 h, and cell checks
    assert 'data-testid="observation-level"' in body
    assert 'data-testid="clock-review"' in body  # the review clock picture
    marks = [mark.css for lane in page.context["timeline"].lanes for mark in lane.marks]
    assert "tl-missed" in marks
    desk = client.get(reverse("custody:desk", args=["FA-1"])).content.decode()
    assert 'data-testid="chip-review"' in desk and 'data-testid="chip-cell_check"' in desk
    assert 'data-testid="desk-interview-breaches"' in desk


def test_review_form_records_and_refuses_in_place(signed_in, people, record_a):
    client = signed_in(people["duty_a"])
    url = reverse("custody:record_review", args=[record_a.pk])
    moment = timezone.localtime(timezone.now() - 10 * M).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(url, {"review-reviewed_at": moment, "review-reviewer": "Lt. Omarov",
                                "review-decision": "continue", "review-reasons": "x"})
    assert refused.status_code == 422
    assert not CustodyReview.objects.exists()
    ok = client.post(url, {"review-reviewed_at": moment, "review-reviewer": "Maj. Seitkali",
                           "review-decision": "continue", "review-reasons": "x"})
    assert ok.status_code == 302 and CustodyReview.objects.count() == 1
    # An overseer reads the register; he does not keep it.
    denied = signed_in(people["prosecutor_a"]).post(
        reverse("custody:record_cell_check", args=[record_a.pk]),
        {"cellcheck-checked_at": moment, "cellcheck-checked_by": "x"})
    assert denied.status_code in (403, 422)
    assert not CellCheck.objects.exists()


# ------------------------------------------------------------------ batch API

def post(client, path, items, **headers):
    return client.post(f"/api/custody/{path}", data=json.dumps({"items": items}),
                       content_type="application/json", **headers)


def test_batch_reviews_assessments_and_checks_are_named_and_idempotent(client, people,
                                                                       facility_a):
    headers = token_for(people["duty_a"], facility_a)
    bad = record_item("C1", reviews=[{"reviewed_at": "2026-01-05T16:00:00+05:00",
                                      "reviewer": "Lt. Petrov", "decision": "continue",
                                      "reasons": "x"}])
    refused = post(client, "records/batch", [bad], **headers)
    assert refused.status_code == 422, refused.content
    assert "items[0].reviews[0].reviewer" in refused.content.decode()
    assert not CustodyReview.objects.exists()
    looser = record_item("C1", risk_assessments=[{
        "assessed_at": "2026-01-05T11:10:00+05:00", "assessed_by": "Sgt. Ali",
        "self_harm": True, "observation_level": "hourly"}])
    refused = post(client, "records/batch", [looser], **headers)
    assert "items[0].risk_assessments[0].observation_level" in refused.content.decode()
    good = record_item(
        "C1", lawyer_waived_at="2026-01-05T11:05:00+05:00",
        reviews=[{"reviewed_at": "2026-01-05T16:00:00+05:00", "reviewer": "Maj. Seitkali",
                  "reviewer_personnel_number": "P-5", "decision": "continue",
                  "reasons": "Investigation continues"}],
        risk_assessments=[{"assessed_at": "2026-01-05T11:10:00+05:00",
                           "assessed_by": "Sgt. Ali", "self_harm": True}],
        cell_checks=[{"checked_at": "2026-01-05T11:15:00+05:00", "checked_by": "Sgt. Ali"}])
    for _attempt in range(2):
        response = post(client, "records/batch", [good], **headers)
        assert response.status_code == 200, response.content
    record = CustodyReview.objects.get().custody_record
    assert record.risk_assessments.get().observation_level == "constant"
    assert record.cell_checks.get().room.code == "R1"
    assert record.lawyer_waived_at is not None
    assert CustodyReview.objects.get().reviewer_officer.personnel_number == "P-5"
    interrogation = post(client, "interrogations/batch", [{
        "facility": "FA-1", "external_ref": "C1", "room": "R1",
        "started_at": "2026-01-05T12:00:00+05:00", "ended_at": "2026-01-05T13:00:00+05:00",
        "investigator": "Capt. Nurlanov", "investigator_personnel_number": "P-77",
        "lawyer_present": False}], **headers)
    assert interrogation.status_code == 200, interrogation.content
    assert Interrogation.objects.get().investigator_officer.full_name == "Capt. Nurlanov"
