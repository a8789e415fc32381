"""Issue 20 item 7 (the rest): the body-worn camera registry page (assign for a shift, take
back from now on, scoped and audited), the docking station's files linked to the records of
the people in custody during the shift (the record's footage page shows them; the real
SeaweedFS and the real agent), and the gap alert for a camera on duty during a custody event
that uploaded nothing covering it (raised once, shown to the region's prosecutors alone)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core import mail
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent
from custodywatch.custody.models import CustodyRecord, Interrogation, RoomStay
from custodywatch.escrow import services
from custodywatch.escrow.models import BodyCameraAssignment, BodyCameraGap, CustodyEvent
from custodywatch.escrow.tasks import body_camera_gaps
from custodywatch.registry.models import Camera
from custodywatch.video.models import RecordingSegment

MOMENT = "%Y-%m-%dT%H:%M"


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime(MOMENT)


def _record(facility, name: str, arrived_at: dt.datetime) -> CustodyRecord:
    return CustodyRecord.objects.create(
        facility=facility, full_name=name, detained_at=arrived_at - dt.timedelta(minutes=30),
        arrived_at=arrived_at, detained_place="ул. Абая", detaining_officer="Ахметов",
        grounds="ст. 188", detention_due_at=arrived_at + dt.timedelta(hours=48))


def _segment(camera: Camera, start: dt.datetime, minutes: float) -> RecordingSegment:
    """What the agent's hash of a docked file creates at the centre."""
    return RecordingSegment.objects.create(
        camera=camera, started_at=start, ended_at=start + dt.timedelta(minutes=minutes),
        sha256=hashlib.sha256(f"{camera.code}{start}".encode()).hexdigest())


# --------------------------------------------------------------------------- the page


@pytest.mark.django_db
def test_the_staff_assign_and_take_back_in_their_facility_only(people, facility_a, facility_b,
                                                                signed_in):
    body = Camera.objects.create(facility=facility_a, code="BODY1")
    other = Camera.objects.create(facility=facility_b, code="BODYB")
    now = timezone.now()
    head = signed_in(people["head_a"])
    page = head.get("/escrow/body-cameras/")
    assert page.status_code == 200
    assert b'data-testid="camera-BODY1"' in page.content
    assert b"BODYB" not in page.content  # another facility's camera
    assert b"CAM1" not in page.content  # fixed in a room: not worn
    # A shift ending before it starts: 422 naming the field, nothing written.
    bad = head.post("/escrow/body-cameras/", {
        "camera": body.pk, "personnel_number": "P-77", "full_name": "Сержант Ахметов",
        "started_at": _local(now + dt.timedelta(hours=2)),
        "ended_at": _local(now + dt.timedelta(hours=1))})
    assert bad.status_code == 422
    assert "ended_at" in bad.context["form"].errors
    assert not BodyCameraAssignment.objects.exists()
    # Another facility's camera: not found, nothing written.
    assert head.post("/escrow/body-cameras/", {
        "camera": other.pk, "personnel_number": "P-1", "full_name": "X",
        "started_at": _local(now)}).status_code == 404
    done = head.post("/escrow/body-cameras/", {
        "camera": body.pk, "personnel_number": "P-77", "full_name": "Сержант Ахметов",
        "started_at": _local(now - dt.timedelta(hours=1)),
        "ended_at": _local(now + dt.timedelta(hours=7))})
    assert done.status_code == 302
    shift = BodyCameraAssignment.objects.get()
    assert (shift.camera, shift.personnel_number) == (body, "P-77")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CREATE, actor=people["head_a"],
                                     object_type="escrow.bodycameraassignment").exists()
    # An overlapping shift of the same camera is refused.
    overlap = head.post("/escrow/body-cameras/", {
        "camera": body.pk, "personnel_number": "P-78", "full_name": "Y",
        "started_at": _local(now + dt.timedelta(hours=2))})
    assert overlap.status_code == 422 and "started_at" in overlap.context["form"].errors
    assert f'data-testid="shift-{shift.pk}"'.encode() in head.get("/escrow/body-cameras/").content

    # The prosecutor reads the page, never hands out; an analyst does not even read it.
    prosecutor = signed_in(people["prosecutor_a"])
    assert prosecutor.get("/escrow/body-cameras/").status_code == 200
    assert prosecutor.post("/escrow/body-cameras/", {
        "camera": body.pk, "personnel_number": "P-1", "full_name": "X",
        "started_at": _local(now + dt.timedelta(days=1))}).status_code == 403
    assert prosecutor.post(f"/escrow/body-cameras/{shift.pk}/unassign/").status_code == 403
    assert signed_in(people["analyst"]).get("/escrow/body-cameras/").status_code == 403
    assert signed_in(people["head_b"]).post(
        f"/escrow/body-cameras/{shift.pk}/unassign/").status_code == 404
    shift.refresh_from_db()
    assert shift.ended_at > now + dt.timedelta(hours=6)  # unchanged by the refusals

    # The duty officer takes it back: it ends now, not at the shift's planned end.
    assert signed_in(people["duty_a"]).post(
        f"/escrow/body-cameras/{shift.pk}/unassign/").status_code == 302
    shift.refresh_from_db()
    assert now <= shift.ended_at <= timezone.now()
    # An ended shift is never rewritten.
    ended = shift.ended_at
    with pytest.raises(Exception, match="already over"):
        services.body_camera_unassign(acting_user=people["head_a"], origin=SYSTEM_ORIGIN,
                                      assignment=shift, now=timezone.now()
                                      + dt.timedelta(seconds=1))
    shift.refresh_from_db()
    assert shift.ended_at == ended


@pytest.mark.django_db
def test_a_shift_not_begun_is_cancelled_when_taken_back(people, facility_a):
    body = Camera.objects.create(facility=facility_a, code="BODY1")
    later = timezone.now() + dt.timedelta(hours=3)
    shift = services.body_camera_assign(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                        camera=body, personnel_number="P-5", full_name="Z",
                                        started_at=later)
    assert services.body_camera_unassign(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                         assignment=shift) is None
    assert not BodyCameraAssignment.objects.exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DELETE,
                                     object_type="escrow.bodycameraassignment").exists()


# --------------------------------------------------------------------------- the gap alert


@pytest.mark.django_db
def test_a_camera_on_duty_that_uploaded_nothing_for_an_interrogation_is_alerted_once(
        people, facility_a, signed_in, django_capture_on_commit_callbacks):
    people["prosecutor_a"].email = "prosecutor@example.kz"
    people["prosecutor_a"].save()
    people["head_a"].email = "head@example.kz"
    people["head_a"].save()
    now = timezone.now().replace(microsecond=0)
    start = now - dt.timedelta(hours=20)  # a shift long over: its files had time to arrive
    worn, covered = (Camera.objects.create(facility=facility_a, code=code)
                     for code in ("BODY1", "BODY2"))
    for camera, number in ((worn, "P-1"), (covered, "P-2")):
        services.body_camera_assign(acting_user=people["admin"], origin=SYSTEM_ORIGIN,
                                    camera=camera, personnel_number=number,
                                    full_name=f"Officer {number}", started_at=start,
                                    ended_at=start + dt.timedelta(hours=8))
    record = _record(facility_a, "Нурланов Ерлан", start + dt.timedelta(hours=1))
    room = facility_a.rooms.get(code="R1")
    RoomStay.objects.create(custody_record=record, room=room,
                            started_at=start + dt.timedelta(hours=1))
    Interrogation.objects.create(custody_record=record, room=room,
                                 started_at=start + dt.timedelta(hours=2),
                                 ended_at=start + dt.timedelta(hours=3),
                                 investigator="Cpt. Abenov", lawyer_present=False)
    # BODY1 filmed the arrival only; BODY2 the arrival and the whole interrogation.
    _segment(worn, start + dt.timedelta(minutes=55), 10)
    _segment(covered, start + dt.timedelta(minutes=55), 10)
    _segment(covered, start + dt.timedelta(hours=2), 61)
    # A shift still within its upload time: not judged yet.
    fresh = Camera.objects.create(facility=facility_a, code="BODY3")
    services.body_camera_assign(acting_user=people["admin"], origin=SYSTEM_ORIGIN,
                                camera=fresh, personnel_number="P-3", full_name="Officer P-3",
                                started_at=now - dt.timedelta(hours=3))
    _record(facility_a, "Иванов Пётр", now - dt.timedelta(hours=2))

    with django_capture_on_commit_callbacks(execute=True):
        assert body_camera_gaps() == "body-worn camera gaps raised: 1"
    gap = BodyCameraGap.objects.get()
    assert (gap.assignment.camera, gap.custody_record, gap.event) == (
        worn, record, CustodyEvent.INTERROGATION)
    assert (gap.started_at, gap.ended_at) == (start + dt.timedelta(hours=2),
                                              start + dt.timedelta(hours=3))
    assert [message.to for message in mail.outbox] == [["prosecutor@example.kz"]]
    assert "BODY1" in mail.outbox[0].body
    # Idempotent: the next runs raise nothing more, mail nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.body_camera_gaps() == 0
        assert services.body_camera_gaps(now=now + dt.timedelta(minutes=30)) == 0
    assert BodyCameraGap.objects.count() == 1 and len(mail.outbox) == 1

    # The prosecutor sees it; the facility's own people never do.
    assert f'data-testid="gap-{gap.pk}"'.encode() in signed_in(
        people["prosecutor_a"]).get("/escrow/body-cameras/").content
    for name in ("head_a", "duty_a", "admin"):
        page = signed_in(people[name]).get("/escrow/body-cameras/")
        assert page.status_code == 200
        assert b"body-camera-gaps" not in page.content, name
