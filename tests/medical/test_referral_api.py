"""Issue 21 end to end through the custody batch API: an independent examination with an
injury, an allegation or a new injury, and a death, each open their referral by themselves."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.models import AuditEvent, Role
from custodywatch.cases.models import Case, CaseStatus
from custodywatch.cases.models import Examination as ForensicExamination
from custodywatch.cases.selectors import cases_q
from custodywatch.complaints.models import Category, Channel, Complaint, HandlingBody, LegalHold
from custodywatch.complaints.selectors import complaints_visible
from custodywatch.custody.models import CustodyAlert, CustodyRecord, Interrogation, iin_is_valid
from custodywatch.medical import exit_alerts
from custodywatch.medical.models import Death, Examination, Referral
from tests.conftest import make_user, sign_in
from tests.medical.conftest import BRUISE, exam_item, iso, post, record_item, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def detained(client, duty_token, base_time):
    response = post(client, "records/batch", [record_item(base_time)], **duty_token)
    assert response.status_code == 200, response.content
    return CustodyRecord.objects.get(external_ref="D-1")


def test_intake_injury_opens_allegation_hold_case_request_and_clock(
        client, detained, doctor_token, base_time, people):
    at = base_time + dt.timedelta(hours=1)
    response = post(client, "examinations/batch", [exam_item(
        at, examination_ref="HIS-1", no_injuries=False, injuries=[BRUISE, {
            "view": "back", "body_region": "lower_back", "x": 0.5, "y": 0.4,
            "kind": "abrasion", "description": "Abrasions"}],
        person_account="They hit me at the station", consistency="highly_consistent")],
        **doctor_token)
    assert response.status_code == 200, response.content
    examination = Examination.objects.get()
    assert examination.injuries.count() == 2 and examination.examiner.username == "doctor_a"
    referral = Referral.objects.get()
    assert referral.examination == examination and referral.triggers == ["injury_found"]
    complaint = referral.complaint
    assert complaint.channel == Channel.EX_OFFICIO and complaint.category == Category.TORTURE
    assert complaint.handling_body == HandlingBody.PROSECUTOR
    assert complaint.region_id == detained.facility.region_id
    assert complaint.custody_record == detained
    # Routed to the prosecutor with jurisdiction, never to the accused unit.
    assert complaints_visible(user=people["prosecutor_a"]).filter(pk=complaint.pk).exists()
    for name in ("head_a", "duty_a", "agent_a"):
        assert not complaints_visible(user=people[name]).filter(pk=complaint.pk).exists()
    hold = referral.hold
    assert hold.complaint == complaint and hold.status == LegalHold.Status.ACTIVE
    assert [room.code for room in hold.rooms.all()] == ["R1"]
    assert hold.starts_at <= detained.detained_at and hold.ends_at >= at
    case = referral.case
    assert case.ex_officio and case.status == CaseStatus.REGISTERED
    assert list(case.complaints.all()) == [complaint]
    assert case.register_number.startswith("99") and len(case.register_number) == 15
    request = referral.forensic_examination
    assert request.case == case and request.status == ForensicExamination.Status.REQUESTED
    assert request.subject.person.full_name == detained.full_name
    # The clock runs: the automatic request is not the prosecutor's first step.
    assert case.first_step_at is None
    assert referral.first_step_due_at == case.registered_at + dt.timedelta(hours=24)
    assert Case.objects.filter(cases_q(people["prosecutor_a"]), pk=case.pk).exists()
    assert not Case.objects.filter(cases_q(people["head_a"]), pk=case.pk).exists()
    detained.refresh_from_db()
    assert detained.medical_checked_at == at


@pytest.mark.parametrize("flags,trigger", [
    ({"declared_ill_treatment": True}, "declared"),
    ({"doctor_allegation": True}, "doctor_allegation"),
])
def test_an_allegation_without_injuries_is_referred(client, detained, doctor_token, base_time,
                                                    flags, trigger):
    response = post(client, "examinations/batch",
                    [exam_item(base_time + dt.timedelta(hours=1), **flags)], **doctor_token)
    assert response.status_code == 200, response.content
    assert Referral.objects.get().triggers == [trigger]


def test_no_injury_no_allegation_opens_nothing(client, detained, doctor_token, base_time):
    response = post(client, "examinations/batch",
                    [exam_item(base_time + dt.timedelta(hours=1))], **doctor_token)
    assert response.status_code == 200, response.content
    assert Examination.objects.count() == 1
    assert not Referral.objects.exists() and not Complaint.objects.exists()


def test_retried_item_changes_nothing(client, detained, doctor_token, base_time):
    item = exam_item(base_time + dt.timedelta(hours=1), examination_ref="HIS-9",
                     no_injuries=False, injuries=[BRUISE])
    first = post(client, "examinations/batch", [item], **doctor_token)
    again = post(client, "examinations/batch", [item], **doctor_token)
    assert first.status_code == again.status_code == 200
    assert again.json()["items"][0]["created"] is False
    assert Examination.objects.count() == Referral.objects.count() == Case.objects.count() == 1


def test_new_injury_during_custody_names_rooms_interrogators_and_blind_minutes(
        client, detained, doctor_token, duty_token, base_time, people):
    intake = post(client, "examinations/batch",
                  [exam_item(base_time + dt.timedelta(hours=1))], **doctor_token)
    assert intake.status_code == 200 and not Referral.objects.exists()
    interrogation = post(client, "interrogations/batch", [{
        "facility": "FA-1", "external_ref": "D-1", "room": "R2",
        "started_at": iso(base_time + dt.timedelta(hours=2)),
        "ended_at": iso(base_time + dt.timedelta(hours=3)),
        "investigator": "Capt. Serikbayev", "lawyer_present": False}], **duty_token)
    assert interrogation.status_code == 200, interrogation.content
    Interrogation.objects.update(blind_ms=17 * 60_000)
    transfer = post(client, "examinations/batch", [exam_item(
        base_time + dt.timedelta(hours=5), occasion="transfer", no_injuries=False,
        injuries=[BRUISE])], **doctor_token)
    assert transfer.status_code == 200, transfer.content
    referral = Referral.objects.get()
    assert referral.triggers == ["injury_found", "new_injury"]
    comparison = referral.comparison
    assert [i["body_region"] for i in comparison["new"]] == ["chest"]
    assert comparison["interrogations"][0]["investigator"] == "Capt. Serikbayev"
    assert comparison["interrogations"][0]["blind_minutes"] == 17
    assert comparison["interrogations"][0]["lawyer_present"] is False
    assert [s["room"] for s in comparison["stays"]] == ["R1"]
    # The prosecutor's page shows it, in his time zone (Asia/Almaty, UTC+5).
    page = sign_in(Client(), people["prosecutor_a"]).get(
        reverse("medical:examination", args=[referral.examination_id])).content.decode()
    assert "New injuries since the previous examination" in page
    assert "Capt. Serikbayev" in page and "17 blind minutes" in page
    started = timezone.localtime(base_time + dt.timedelta(hours=2),
                                 zoneinfo.ZoneInfo("Asia/Almaty"))
    assert started.strftime("%H:%M") in page


def test_new_injury_is_found_across_facilities_by_iin(client, people, doctor_token, base_time,
                                                      facility_b):
    iin = next(f"95020330001{d}" for d in range(10) if iin_is_valid(f"95020330001{d}"))
    head_b = token_for(people["head_b"], facility_b)
    duty = token_for(people["duty_a"], people["duty_a"].facility)
    assert post(client, "records/batch", [record_item(
        base_time, ref="B-1", facility="FB-1", iin=iin, ended_at=iso(
            base_time + dt.timedelta(hours=2)), end_reason="transferred")],
        **head_b).status_code == 200
    doctor_b = make_user("doctor_b", Role.MEDICAL_EXAMINER, region=facility_b.region)
    assert post(client, "examinations/batch", [exam_item(
        base_time + dt.timedelta(minutes=90), ref="B-1", facility="FB-1",
        occasion="transfer")], **token_for(doctor_b)).status_code == 200
    assert post(client, "records/batch", [record_item(
        base_time + dt.timedelta(hours=3), iin=iin)], **duty).status_code == 200
    response = post(client, "examinations/batch", [exam_item(
        base_time + dt.timedelta(hours=4), no_injuries=False, injuries=[BRUISE])],
        **doctor_token)
    assert response.status_code == 200, response.content
    referral = Referral.objects.get()
    assert "new_injury" in referral.triggers
    assert {s["facility"] for s in referral.comparison["stays"]} == {"FB-1", "FA-1"}


def test_facility_staff_and_other_regions_cannot_write_examinations(
        client, detained, people, facility_a, facility_b, base_time):
    item = exam_item(base_time + dt.timedelta(hours=1), no_injuries=False, injuries=[BRUISE])
    doctor_b = make_user("doctor_b", Role.MEDICAL_EXAMINER, region=facility_b.region)
    # A country-wide examiner's token narrowed to facility b never writes facility a.
    doctor_bound_b = make_user("doctor_country", Role.MEDICAL_EXAMINER)
    for headers in (token_for(people["duty_a"], facility_a),
                    token_for(people["head_a"], facility_a),
                    token_for(people["agent_a"], facility_a),
                    token_for(people["admin"]), token_for(people["gpo"]),
                    token_for(doctor_b), token_for(doctor_bound_b, facility_b)):
        response = post(client, "examinations/batch", [item], **headers)
        assert response.status_code == 403, response.content
        assert "items[0].facility" in response.content.decode()
    assert not Examination.objects.exists() and not Referral.objects.exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED,
                                     detail__medical="batch examinations").count() == 7


@pytest.mark.parametrize("overrides,field", [
    ({"no_injuries": False}, "items[0].no_injuries"),
    ({"consent": "refused", "no_injuries": False, "injuries": [BRUISE]}, "items[0].consent"),
    ({"consent": "maybe"}, "items[0].consent"),
    ({"no_injuries": False, "injuries": [BRUISE | {"body_region": "buttocks"}]},
     "items[0].injuries[0].body_region"),
    ({"no_injuries": False, "injuries": [BRUISE | {"x": 1.5, "y": 0.2}]},
     "items[0].injuries[0].x"),
    ({"examined_at": "2001-01-01T00:00:00Z"}, "items[0].examined_at"),
])
def test_bad_items_are_refused_by_name_and_change_nothing(client, detained, doctor_token,
                                                          base_time, overrides, field):
    good = exam_item(base_time + dt.timedelta(hours=1), no_injuries=False, injuries=[BRUISE])
    bad = exam_item(base_time + dt.timedelta(hours=1)) | overrides
    response = post(client, "examinations/batch", [good, bad | {"external_ref": "D-1"}],
                    **doctor_token)
    assert response.status_code in (400, 422), response.content
    assert field.replace("items[0]", "items[1]") in response.content.decode()
    assert not Examination.objects.exists() and not Referral.objects.exists()
    assert not Complaint.objects.exists() and not Case.objects.exists()


def test_a_failing_referral_rolls_back_the_examination(client, detained, doctor_token,
                                                       base_time, monkeypatch):
    from custodywatch.medical import referrals

    def broken(**kwargs):
        raise RuntimeError("the case could not be opened")

    monkeypatch.setattr(referrals.Case.objects, "create", broken)
    client.raise_request_exception = False
    response = post(client, "examinations/batch", [exam_item(
        base_time + dt.timedelta(hours=1), no_injuries=False, injuries=[BRUISE])],
        **doctor_token)
    assert response.status_code == 500
    assert not Examination.objects.exists() and not Complaint.objects.exists()
    assert not LegalHold.objects.exists()


def test_death_opens_investigation_with_a_hold_on_the_whole_facility(
        client, detained, duty_token, base_time, people):
    response = post(client, "records/batch", [record_item(
        base_time, ended_at=iso(base_time + dt.timedelta(hours=6)), end_reason="died",
        end_note="Found unresponsive in cell R1")], **duty_token)
    assert response.status_code == 200, response.content
    referral = Referral.objects.get()
    assert referral.triggers == ["death"] and referral.examination is None
    assert list(referral.hold.rooms.all()) == []  # every room of the facility
    assert referral.hold.starts_at <= detained.detained_at
    assert referral.hold.ends_at >= base_time + dt.timedelta(hours=6)
    assert referral.case.title.startswith("Death in custody")
    death = Death.objects.get(custody_record=detained)
    assert death.died_at == base_time + dt.timedelta(hours=6)
    assert complaints_visible(user=people["prosecutor_a"]).filter(
        pk=referral.complaint_id).exists()


def test_release_without_an_examination_is_an_alert(client, duty_token, doctor_token,
                                                    base_time):
    ended = base_time + dt.timedelta(hours=4)
    for ref in ("D-1", "D-2"):
        response = post(client, "records/batch", [record_item(
            base_time, ref=ref, ended_at=iso(ended), end_reason="released")], **duty_token)
        assert response.status_code == 200, response.content
    assert post(client, "examinations/batch", [exam_item(
        ended - dt.timedelta(minutes=20), ref="D-2", occasion="release")],
        **doctor_token).status_code == 200
    raised = exit_alerts.exit_examination_alerts_raise(now=ended + dt.timedelta(hours=3))
    assert raised == 1
    alert = CustodyAlert.objects.get(clock=CustodyAlert.Clock.EXIT_EXAMINATION)
    assert alert.custody_record.external_ref == "D-1"
    assert exit_alerts.exit_examination_alerts_raise(now=ended + dt.timedelta(hours=4)) == 0
    # Within the grace period nothing is raised yet.
    assert exit_alerts.exit_examination_alerts_raise(now=ended + dt.timedelta(hours=1)) == 0
