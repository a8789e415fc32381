"""Issue 20 item 7 (first part): body-worn cameras are registry cameras bound to an officer
instead of a room; their files, dropped by a docking station into a folder the agent watches,
are escrowed like fixed footage (the real centre and the real SeaweedFS), and the centre finds
an officer's escrowed footage of a period by his personnel number."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent
from custodywatch.agent import segments
from custodywatch.agent.config import EscrowConfig
from custodywatch.agent.escrow_upload import CentreClient, EscrowQueue, Uploader
from custodywatch.agent.outbox import Outbox
from custodywatch.agent.sender import Sender
from custodywatch.escrow import services
from custodywatch.escrow.models import BodyCameraAssignment, EscrowObject, EscrowState
from custodywatch.registry.models import Camera
from tests.escrow import test_escrow_flow as flow

facility_world = flow.facility_world
empty_ledger_after = flow.empty_ledger_after
pytestmark = pytest.mark.django_db(transaction=True)

SHIFT = dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def body_camera(facility_world, people):
    facility = facility_world["camera"].facility
    camera = Camera.objects.create(facility=facility, code="BODY1", name="Body camera 1")
    services.body_camera_assign(acting_user=people["admin"], origin=SYSTEM_ORIGIN,
                                camera=camera, personnel_number="P-77",
                                full_name="Сержант Ахметов", started_at=SHIFT)
    return camera


def test_a_body_camera_is_planned_first_and_its_docked_files_are_escrowed(
        facility_world, body_camera, tmp_path):
    agent = CentreClient(facility_world["url"], facility_world["token"])
    plan = agent.call("/api/escrow/plan")["cameras"]
    assert {"camera": "BODY1", "priority": 0} in plan
    dock = tmp_path / "dock" / "BODY1"
    dock.mkdir(parents=True)
    for minute in range(2):
        at = SHIFT + dt.timedelta(hours=1, minutes=minute)
        flow._write_video(dock / f"BODY1_{at:%Y%m%dT%H%M%S}.mp4", 500 + minute)
    outbox = Outbox(tmp_path / "state" / "outbox.sqlite3")
    segments.scan(segments.SegmentWatch("BODY1", dock, "*.mp4", "UTC", settle_seconds=0),
                  outbox, now=9e9)
    Sender(outbox, facility_world["url"], facility_world["token"]).drain()
    uploader = Uploader(outbox, EscrowQueue(tmp_path / "state" / "escrow.sqlite3"), agent,
                        EscrowConfig(), {dock: "BODY1"})
    assert uploader.drain()["escrowed"] == 2
    stored = EscrowObject.objects.filter(camera=body_camera, state=EscrowState.STORED)
    assert stored.count() == 2
    # His footage of the shift, by personnel number; not another officer's, not before.
    found = services.officer_footage(personnel_number="P-77", started_at=SHIFT,
                                     ended_at=SHIFT + dt.timedelta(hours=8))
    assert [obj.pk for obj in found] == list(stored.order_by("started_at").values_list(
        "pk", flat=True))
    assert services.officer_footage(personnel_number="P-78", started_at=SHIFT,
                                    ended_at=SHIFT + dt.timedelta(hours=8)) == []
    assert services.officer_footage(personnel_number="P-77",
                                    started_at=SHIFT - dt.timedelta(hours=8),
                                    ended_at=SHIFT) == []


def test_only_assigners_in_scope_assign_and_only_a_camera_fixed_nowhere(
        facility_world, body_camera, people):
    fixed = facility_world["camera"]  # CAMI, in the interrogation room
    # Another facility's head, a prosecutor (who supervises, never hands out): refused.
    for name in ("head_b", "prosecutor_a", "analyst"):
        with pytest.raises(PermissionDenied):
            services.body_camera_assign(acting_user=people[name], origin=SYSTEM_ORIGIN,
                                        camera=body_camera, personnel_number="P-1",
                                        full_name="X", started_at=SHIFT + dt.timedelta(1))
        assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED,
                                         actor=people[name]).exists()
    assert BodyCameraAssignment.objects.filter(camera=body_camera).count() == 1
    with pytest.raises(ValidationError) as fixed_error:
        services.body_camera_assign(acting_user=people["admin"], origin=SYSTEM_ORIGIN,
                                    camera=fixed, personnel_number="P-1", full_name="X",
                                    started_at=SHIFT)
    assert "camera" in fixed_error.value.message_dict
    with pytest.raises(ValidationError) as early:
        services.body_camera_assign(acting_user=people["admin"], origin=SYSTEM_ORIGIN,
                                    camera=body_camera, personnel_number="P-2", full_name="Y",
                                    started_at=SHIFT - dt.timedelta(hours=1))
    assert "started_at" in early.value.message_dict
    # The next wearer: the first assignment ends when his begins.
    services.body_camera_assign(acting_user=people["admin"], origin=SYSTEM_ORIGIN,
                                camera=body_camera, personnel_number="P-2", full_name="Y",
                                started_at=SHIFT + dt.timedelta(hours=12))
    first = BodyCameraAssignment.objects.get(personnel_number="P-77")
    assert first.ended_at == SHIFT + dt.timedelta(hours=12)
    assert BodyCameraAssignment.objects.filter(camera=body_camera,
                                               ended_at__isnull=True).count() == 1


def test_a_case_against_an_officer_holds_the_body_camera_he_wore(
        facility_world, body_camera, people, tmp_path, sealing_key, media_root):
    from custodywatch.cases import services as cases
    from custodywatch.cases.models import Officer
    from custodywatch.complaints import services as complaints
    from custodywatch.complaints.models import Channel
    from custodywatch.custody.models import CustodyRecord, RoomStay
    from custodywatch.escrow import s3
    from custodywatch.escrow.models import EscrowHold, HoldReason
    from custodywatch.escrow.store import store

    test_a_body_camera_is_planned_first_and_its_docked_files_are_escrowed(
        facility_world, body_camera, tmp_path)
    facility = body_camera.facility
    other = Camera.objects.create(facility=facility, code="BODY2")  # another officer's
    services.body_camera_assign(acting_user=people["admin"], origin=SYSTEM_ORIGIN, camera=other,
                                personnel_number="P-99", full_name="Другой",
                                started_at=SHIFT)
    record = CustodyRecord.objects.create(
        facility=facility, full_name="Нурланов Ерлан", detained_at=SHIFT,
        detained_place="ул. Абая", detaining_officer="Ахметов", grounds="ст. 188",
        detention_due_at=SHIFT + dt.timedelta(hours=48))
    RoomStay.objects.create(custody_record=record, room=facility.rooms.get(code="I1"),
                            started_at=SHIFT)
    filed = complaints.complaint_file(
        acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN, channel=Channel.HOTLINE,
        text="В изоляторе меня избили дубинкой и угрожали, требовали признание.",
        facility=facility, custody_record=record, incident_started_at=SHIFT,
        incident_ended_at=SHIFT + dt.timedelta(hours=4))
    officer = Officer.objects.create(full_name="Сержант Ахметов", personnel_number="P-77",
                                     facility=facility)
    case = cases.case_open(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                           register_number="261575031000009", title="Beating in FA-1",
                           facility=facility, complaints=[filed.complaint],
                           suspects=[officer])
    hold = EscrowHold.objects.get(reason=HoldReason.CASE, reference=f"case:{case.pk}")
    assert [room.code for room in hold.rooms.all()] == ["I1"]
    assert list(hold.cameras.all()) == [body_camera]
    bucket = store()
    now = dt.datetime.now(dt.UTC)
    for obj in EscrowObject.objects.filter(camera=body_camera):
        until = s3.retention(bucket.client, bucket.bucket, services.object_key(obj.sha256),
                             obj.version_id)[1]
        assert until >= now + dt.timedelta(days=5 * 365 - 1)


def test_a_docked_file_is_linked_to_the_officer_the_shift_and_the_person_in_custody(
        facility_world, body_camera, people, tmp_path, signed_in):
    """The docking station's files, escrowed through the real agent and SeaweedFS, show on
    the footage page of the person who arrived during them (officer, shift, escrowed), not
    on that of a person who arrived hours later in the same shift."""
    from custodywatch.custody.models import CustodyRecord, RoomStay
    from custodywatch.escrow.selectors import record_body_footage

    test_a_body_camera_is_planned_first_and_its_docked_files_are_escrowed(
        facility_world, body_camera, tmp_path)
    facility = body_camera.facility

    def record(name: str, arrived_at: dt.datetime) -> CustodyRecord:
        made = CustodyRecord.objects.create(
            facility=facility, full_name=name, detained_at=arrived_at,
            arrived_at=arrived_at, detained_place="ул. Абая", detaining_officer="Ахметов",
            grounds="ст. 188", detention_due_at=arrived_at + dt.timedelta(hours=48),
            ended_at=arrived_at + dt.timedelta(hours=2), end_reason="released")
        RoomStay.objects.create(custody_record=made, room=facility.rooms.get(code="I1"),
                                started_at=arrived_at, ended_at=made.ended_at)
        return made

    during = record("Нурланов Ерлан", SHIFT + dt.timedelta(hours=1, seconds=30))
    later = record("Иванов Пётр", SHIFT + dt.timedelta(hours=5))
    rows = record_body_footage(during)
    stored = EscrowObject.objects.filter(camera=body_camera).order_by("started_at")
    assert [row.sha256 for row in rows] == [obj.sha256 for obj in stored]
    assert {(row.camera, row.personnel_number, row.shift_start, row.escrowed)
            for row in rows} == {("BODY1", "P-77", SHIFT, True)}
    assert "Arrival" in rows[0].events
    assert record_body_footage(later) == []
    page = signed_in(people["prosecutor_a"]).get(f"/escrow/records/{during.pk}/")
    assert b'data-testid="body-footage"' in page.content
    assert "Сержант Ахметов (P-77)" in page.content.decode()
    other = signed_in(people["prosecutor_a"]).get(f"/escrow/records/{later.pk}/")
    assert b'data-testid="body-footage"' not in other.content
    # Outside the record's scope: the page (and its body-worn footage) is refused.
    assert signed_in(people["head_b"]).get(f"/escrow/records/{during.pk}/").status_code == 404
