"""Body-worn cameras for the demo (issue 20): the demo staff's facility hands three cameras to
its officers for twelve-hour shifts, through the escrow services as its head would
(``body_camera_assign``: audited, no overlapping shifts); each docking station uploaded the
files of its shifts (recording segments, as the agent's hashes create them), except one
camera that uploaded nothing around a custody event of its shift; the periodic check
(``body_camera_gaps``) then raises that gap for the region's prosecutors.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random

from custodywatch.accounts.audit import Origin
from custodywatch.accounts.models import Role, User
from custodywatch.escrow import services
from custodywatch.escrow.selectors import custody_events
from custodywatch.ledger.appends import ledger_append_many
from custodywatch.ledger.models import LeafKind
from custodywatch.registry.models import Camera
from custodywatch.video.models import CameraHealth, CameraState, RecordingSegment, SignalStatus
from custodywatch.video.services import segment_leaf_fields
from custodywatch.video.timing import silence_after, to_ms

DEMO_ORIGIN = Origin(ip_address=None, user_agent="demo")
SHIFT = dt.timedelta(hours=12)
FILE = dt.timedelta(minutes=30)
# Codes after the fixed cameras' (CAM...): the demo's edge agent takes the first by code.
CAMERAS = [("WB-01", "Нагрудный видеорегистратор 1"), ("WB-02", "Нагрудный видеорегистратор 2"),
           ("WB-03", "Нагрудный видеорегистратор 3")]
OFFICERS = [("П-10231", "Сержант Ахметов Ерлан"), ("П-10457", "Сержант Ким Сергей"),
            ("П-11802", "Старший сержант Омаров Тимур"), ("П-12019", "Сержант Исаев Руслан"),
            ("П-12544", "Лейтенант Бекетов Нурлан"), ("П-13107", "Сержант Абенов Айдос")]


def _files(camera: Camera, start: dt.datetime, end: dt.datetime,
           hole: tuple[dt.datetime, dt.datetime] | None = None) -> list[RecordingSegment]:
    files = []
    at = start
    while at + FILE <= end:
        if hole is None or not (at < hole[1] and at + FILE > hole[0]):
            files.append(RecordingSegment(
                camera=camera, started_at=at, ended_at=at + FILE,
                sha256=hashlib.sha256(f"{camera.facility_id}/{camera.code}/{at}".encode())
                .hexdigest()))
        at += FILE
    return files


def build_body_cameras(*, rng: random.Random, now: dt.datetime) -> int:
    """Cameras, shifts and files at the head's facility, then the gap check; returns the
    gaps raised."""
    head = User.objects.filter(role=Role.FACILITY_HEAD, facility__isnull=False).select_related(
        "facility").order_by("pk").first()
    if head is None or head.facility is None:
        return 0
    facility = head.facility
    cameras = [Camera.objects.create(facility=facility, code=code, name=name)
               for code, name in CAMERAS]
    # Their docking stations report with the facility's other cameras (the video demo's
    # lock-step heartbeats, which demo_tick carries on): working, not out of order.
    beat = CameraHealth.objects.filter(status=SignalStatus.LIVE).values_list(
        "last_heartbeat_at", flat=True).first()
    if beat is not None:
        CameraHealth.objects.bulk_create([CameraHealth(
            camera=camera, last_heartbeat_at=beat, reported_state=CameraState.OK,
            state_since=beat - dt.timedelta(days=30), silent_after=beat + silence_after(),
            status=SignalStatus.LIVE) for camera in cameras])
    # Shifts change four hours ago, and every twelve hours before: three shifts over, one
    # running on the first two cameras; the third camera's next shift starts tonight.
    change = now.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=4)
    officers = iter(rng.sample(OFFICERS, len(OFFICERS)) * 4)
    files: list[RecordingSegment] = []
    gap_camera = cameras[1]
    for camera in cameras[:2]:
        for k in (2, 1, 0):
            start, end = change - (k + 1) * SHIFT, change - k * SHIFT
            number, name = next(officers)
            services.body_camera_assign(acting_user=head, origin=DEMO_ORIGIN, camera=camera,
                                        personnel_number=number, full_name=name,
                                        started_at=start, ended_at=end)
            hole = None
            if camera == gap_camera and k == 1:
                # Nothing uploaded around the shift's first custody event.
                events = custody_events(facility_id=facility.pk, started_at=start,
                                        ended_at=end, now=now)
                if events:
                    hole = (events[0].started_at - FILE, events[0].ended_at + FILE)
                else:
                    hole = (start, end)
            files += _files(camera, start, end, hole)
        number, name = next(officers)
        services.body_camera_assign(acting_user=head, origin=DEMO_ORIGIN, camera=camera,
                                    personnel_number=number, full_name=name, started_at=change)
    number, name = next(officers)
    services.body_camera_assign(acting_user=head, origin=DEMO_ORIGIN, camera=cameras[2],
                                personnel_number=number, full_name=name,
                                started_at=change + SHIFT - dt.timedelta(hours=2),
                                ended_at=change + 2 * SHIFT - dt.timedelta(hours=2))
    # What the agent's hashes of the docked files create, with their ledger leaves.
    RecordingSegment.objects.bulk_create(files)
    ledger_append_many(entries=[(LeafKind.RECORDING_SEGMENT, segment_leaf_fields(
        facility=facility.code, camera=segment.camera.code, start_ms=to_ms(segment.started_at),
        end_ms=to_ms(segment.ended_at), sha256=segment.sha256)) for segment in files])
    return services.body_camera_gaps(now=now)
