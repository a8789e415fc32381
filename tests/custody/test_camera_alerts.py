"""Custody writes queue coverage work; an investigative action no working camera recorded
raises one camera-coverage alert, through the same alert machinery (e-mail, audit)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent
from custodywatch.custody import alerts, services
from custodywatch.custody.models import CustodyAlert, Interrogation
from custodywatch.registry.models import Camera
from custodywatch.video.coverage import stay_coverage
from custodywatch.video.coverage_jobs import coverage_work_run
from custodywatch.video.models import CameraState, CameraStateSpan, CoverageWork, RecordingRun
from custodywatch.video.timing import ONE_MS

pytestmark = pytest.mark.django_db


def recorded(camera: Camera, start: dt.datetime, end: dt.datetime) -> None:
    CameraStateSpan.objects.create(camera=camera, state=CameraState.OK, started_at=start,
                                   ended_at=end)
    RecordingRun.objects.create(camera=camera, started_at=start, ended_at=end)


def question(record, user, room_code: str, start: dt.datetime, end: dt.datetime
             ) -> Interrogation:
    return services.interrogation_add(
        acting_user=user, origin=SYSTEM_ORIGIN, record=record, values={
            "room": record.facility.rooms.get(code=room_code), "started_at": start,
            "ended_at": end, "investigator": "Cpt. Serikbayev", "lawyer_present": True})


def camera_alerts():
    return list(CustodyAlert.objects.filter(clock=CustodyAlert.Clock.CAMERA)
                .values_list("interrogation_id", "level"))


def test_stay_and_interrogation_writes_queue_their_room_and_period(people, record_a):
    stay = record_a.stays.get()
    [(room, starts_at, ends_at)] = CoverageWork.objects.values_list("room__code", "starts_at",
                                                                    "ends_at")
    # Whole milliseconds around the period (an open stay: up to the write).
    assert room == "R1" and starts_at <= stay.started_at < starts_at + ONE_MS
    assert ends_at >= stay.started_at
    CoverageWork.objects.all().delete()
    start = (stay.started_at + dt.timedelta(minutes=5)).replace(microsecond=0)
    question(record_a, people["duty_a"], "R3", start, start + dt.timedelta(minutes=20))
    assert list(CoverageWork.objects.values_list("room__code", "starts_at", "ends_at")) == [
        ("R3", start, start + dt.timedelta(minutes=20))]
    CoverageWork.objects.all().delete()
    moved_at = start + dt.timedelta(minutes=30)
    services.room_stay_move(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN, record=record_a,
                            room=record_a.facility.rooms.get(code="R2"), at=moved_at)
    rows = sorted(CoverageWork.objects.values_list("room__code", "starts_at", "ends_at"))
    assert rows[0][0] == "R1" and rows[0][2] >= moved_at  # the closed stay, its final period
    assert rows[0][1] <= stay.started_at < rows[0][1] + ONE_MS
    assert rows[1][0] == "R2" and rows[1][1] <= moved_at < rows[1][1] + ONE_MS


def test_a_write_voids_the_stored_blind_time(people, record_a):
    coverage_work_run()
    stay = record_a.stays.get()
    assert stay.coverage_computed_at is not None
    services.room_stay_move(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN, record=record_a,
                            room=record_a.facility.rooms.get(code="R2"),
                            at=timezone.now() - dt.timedelta(minutes=10))
    stay.refresh_from_db()
    assert stay.blind_ms is None and stay.coverage_computed_at is None


def test_an_interrogation_in_a_blind_room_raises_one_alert_a_covered_one_none(
        people, record_a, django_capture_on_commit_callbacks):
    people["prosecutor_a"].email = "prosecutor@example.kz"
    people["prosecutor_a"].save(update_fields=["email"])
    stay = record_a.stays.get()
    start = stay.started_at + dt.timedelta(minutes=5)
    end = start + dt.timedelta(minutes=15)
    recorded(Camera.objects.get(facility=record_a.facility, code="CAM1"),
             stay.started_at, stay.started_at + dt.timedelta(hours=2))
    covered = question(record_a, people["duty_a"], "R1", start, end)
    blind = question(record_a, people["duty_a"], "R3", end, end + dt.timedelta(minutes=10))

    with django_capture_on_commit_callbacks(execute=True):
        result = coverage_work_run()
    assert result.alerts == 1
    assert camera_alerts() == [(blind.pk, CustodyAlert.Level.UNRECORDED)]
    covered.refresh_from_db()
    blind.refresh_from_db()
    assert covered.blind_ms == 0
    [direct] = stay_coverage(stays=[(blind.pk, blind.room_id, blind.started_at,
                                     blind.ended_at)])
    assert blind.blind_ms == direct.blind_ms == 10 * 60_000
    alert = CustodyAlert.objects.get(clock=CustodyAlert.Clock.CAMERA)
    assert alert.custody_record_id == record_a.pk and alert.mailed_at is not None
    [message] = mail.outbox
    assert message.to == ["prosecutor@example.kz"]
    assert "No working camera recorded part of an interrogation" in message.body
    assert record_a.full_name not in message.body + message.subject
    assert AuditEvent.objects.filter(object_label="camera coverage").count() == 1

    # The same action queued and recomputed again raises nothing new.
    question(record_a, people["duty_a"], "R3", end + dt.timedelta(minutes=20),
             end + dt.timedelta(minutes=25))
    CoverageWork.objects.create(room=blind.room, starts_at=blind.started_at,
                                ends_at=blind.ended_at, queued_at=timezone.now())
    assert coverage_work_run().alerts == 1  # only the new action
    assert coverage_work_run().claimed == 0
    assert CustodyAlert.objects.filter(interrogation=blind).count() == 1
    assert len(camera_alerts()) == 2


def test_the_custody_sweep_leaves_camera_alerts_alone(people, record_a):
    stay = record_a.stays.get()
    start = stay.started_at + dt.timedelta(minutes=5)
    question(record_a, people["duty_a"], "R3", start, start + dt.timedelta(minutes=5))
    coverage_work_run()
    alerts.alerts_raise(now=timezone.now())
    alerts.alerts_raise(now=timezone.now())
    assert len(camera_alerts()) == 1


def test_blind_time_still_on_its_way_raises_no_alert_yet(people, record_a):
    """An action going on now: spans of the last minutes may still be in the agent's batch."""
    now = timezone.now()
    action = question(record_a, people["duty_a"], "R1", now - dt.timedelta(seconds=30), None)
    recorded(Camera.objects.get(facility=record_a.facility, code="CAM1"),
             now - dt.timedelta(hours=3), now - dt.timedelta(seconds=20))
    assert coverage_work_run(now=now).alerts == 0
    action.refresh_from_db()
    assert action.blind_ms == 20_000  # stored as it stands now, like the record page


def test_desk_shows_the_stored_blind_minutes(signed_in, people, record_a):
    page = signed_in(people["duty_a"]).get(reverse("custody:desk", args=["FA-1"]))
    assert b'data-testid="desk-blind"' not in page.content  # not computed yet
    coverage_work_run()  # R1 has a camera but no recording: the hour so far is blind
    page = signed_in(people["duty_a"]).get(reverse("custody:desk", args=["FA-1"]))
    assert b'data-testid="desk-blind"' in page.content
    [line] = page.context["rows"]
    assert line.blind_text.startswith("60 min without a working camera")


def test_later_footage_withdraws_the_alert_and_leaves_acknowledged_ones(
        signed_in, people, record_a):
    """An agent back from an outage sends the spans and recordings it kept: an action they
    show fully recorded has its open camera alert withdrawn (kept, marked, audited, no longer
    to acknowledge); one a person acknowledged stays as he left it; a still-blind one stays."""
    from django.core.exceptions import ValidationError

    stay = record_a.stays.get()
    start = stay.started_at + dt.timedelta(minutes=5)
    mid, end = start + dt.timedelta(minutes=10), start + dt.timedelta(minutes=20)
    late = question(record_a, people["duty_a"], "R1", start, mid)
    seen = question(record_a, people["duty_a"], "R1", mid, end)
    dark = question(record_a, people["duty_a"], "R3", start, mid)  # no camera at all
    assert coverage_work_run().alerts == 3
    seen_alert = CustodyAlert.objects.get(interrogation=seen)
    alerts.alert_acknowledge(acting_user=people["head_a"], origin=SYSTEM_ORIGIN,
                             alert=seen_alert)

    recorded(Camera.objects.get(facility=record_a.facility, code="CAM1"), start, end)
    for room_code in ("R1", "R3"):
        CoverageWork.objects.create(room=record_a.facility.rooms.get(code=room_code),
                                    starts_at=start, ends_at=end, queued_at=timezone.now())
    result = coverage_work_run()
    assert (result.alerts, result.withdrawn) == (0, 1)

    withdrawn = CustodyAlert.objects.get(interrogation=late)
    assert withdrawn.withdrawn_at is not None and withdrawn.acknowledged_at is not None
    assert withdrawn.acknowledged_by is None
    seen_alert.refresh_from_db()
    assert seen_alert.withdrawn_at is None and seen_alert.acknowledged_by == people["head_a"]
    assert CustodyAlert.objects.get(interrogation=dark).acknowledged_at is None
    event = AuditEvent.objects.get(detail__reason="later footage covers the actions")
    assert event.detail["withdrawn"] == [withdrawn.pk] and event.actor is None
    with pytest.raises(ValidationError):
        alerts.alert_acknowledge(acting_user=people["head_a"], origin=SYSTEM_ORIGIN,
                                 alert=withdrawn)
    assert coverage_work_run().withdrawn == 0  # nothing queued, nothing more to withdraw

    client = signed_in(people["head_a"])
    to_acknowledge = client.get(reverse("custody:alerts")).context["alerts"]
    assert [a.interrogation_id for a in to_acknowledge] == [dark.pk]
    page = client.get(reverse("custody:alerts") + "?all=1")
    assert "footage that arrived later shows the action recorded" in page.content.decode()
    record_page = signed_in(people["head_a"]).get(
        reverse("custody:record", args=[record_a.pk]))
    assert "withdrawn: footage that arrived later" in record_page.content.decode()
