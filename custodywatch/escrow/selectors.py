"""Scoped reads of the escrow: what footage of a custody record exists off-site."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from custodywatch.accounts.audit import Origin
from custodywatch.accounts.models import User
from custodywatch.custody.models import CustodyRecord
from custodywatch.custody.selectors import custody_record_detail
from custodywatch.escrow.models import EscrowObject, EscrowState
from custodywatch.kernels.footage_minutes import footage_split
from custodywatch.registry.models import Camera, Facility, Room
from custodywatch.video.models import CoverageIncident, RecordingSegment


@dataclass(frozen=True)
class FootageRow:
    what: str
    room: Room
    started_at: dt.datetime
    ended_at: dt.datetime
    cameras: list[str]
    escrowed_minutes: float
    local_minutes: float
    lost_minutes: float


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _split(room: Room, started_at: dt.datetime, ended_at: dt.datetime
           ) -> tuple[list[str], tuple[float, float, float]]:
    cameras = list(Camera.objects.filter(rooms=room).order_by("code"))
    segments = (RecordingSegment.objects.filter(camera__in=cameras, started_at__lt=ended_at,
                                                ended_at__gt=started_at)
                .prefetch_related(Prefetch("escrow", queryset=EscrowObject.objects.filter(
                    state=EscrowState.STORED), to_attr="stored")))
    escrowed: list[tuple[int, int]] = []
    local: list[tuple[int, int]] = []
    for segment in segments:
        span = (_ms(segment.started_at), _ms(segment.ended_at))
        (escrowed if segment.stored else local).append(span)
    stored, only_local, lost = footage_split((_ms(started_at), _ms(ended_at)), escrowed, local)
    return ([camera.code for camera in cameras],
            (stored / 60000, only_local / 60000, lost / 60000))


def record_footage(*, user: User, pk: int, origin: Origin
                   ) -> tuple[CustodyRecord, list[FootageRow]]:
    """The record (scoped and audited as its page) and, per room stay and interrogation,
    the minutes escrowed, held at the facility only, and lost."""
    record = custody_record_detail(user=user, pk=pk, origin=origin)
    now = timezone.now()
    rows = []
    periods = [("stay", stay.room, stay.started_at, stay.ended_at)
               for stay in record.stays.select_related("room")]
    periods += [("interrogation", action.room, action.started_at, action.ended_at)
                for action in record.interrogations.select_related("room")]
    for what, room, started_at, ended_at in sorted(periods, key=lambda entry: entry[2]):
        ended_at = min(ended_at or now, now)
        if ended_at <= started_at:
            continue
        cameras, (escrowed, local, lost) = _split(room, started_at, ended_at)
        rows.append(FootageRow(what, room, started_at, ended_at, cameras, escrowed, local, lost))
    return record, rows


@dataclass(frozen=True)
class BlackoutCamera:
    camera: str
    escrowed: int  # segments kept off-site
    escrowed_minutes: float
    local_only: int  # segments whose hash reached the centre, bytes only at the facility
    local_minutes: float


@dataclass(frozen=True)
class BlackoutRow:
    incident: CoverageIncident
    held_from: dt.datetime
    held_until: dt.datetime
    cameras: list[BlackoutCamera]


def blackout_footage(*, user: User, origin: Origin, limit: int = 50) -> list[BlackoutRow]:
    """The blackouts of the facilities in the user's scope, newest first, each with what
    exists off-site and what may be lost (the site's segments from an hour before the
    blackout until an hour after it ended, or now), camera by camera. The read is audited."""
    from custodywatch.accounts.audit import audit_record
    from custodywatch.accounts.models import AuditEvent
    from custodywatch.accounts.scoping import facility_q
    from custodywatch.video.incidents import HOLD_AFTER, HOLD_BEFORE

    now = timezone.now()
    incidents = list(CoverageIncident.objects.filter(
        kind=CoverageIncident.Kind.BLACKOUT,
        facility__in=Facility.objects.filter(facility_q(user)))
        .select_related("facility").order_by("-started_at")[:limit])
    rows = []
    for incident in incidents:
        held_from = incident.started_at - HOLD_BEFORE
        held_until = min(incident.closed_at + HOLD_AFTER, now) if incident.closed_at else now
        stored = set(EscrowObject.objects.filter(
            facility=incident.facility, state=EscrowState.STORED).filter(
            started_at__lt=held_until, ended_at__gt=held_from).values_list("segment_id",
                                                                          flat=True))
        figures: dict[str, list[float]] = {}
        for pk, code, started_at, ended_at in RecordingSegment.objects.filter(
                camera__facility=incident.facility, started_at__lt=held_until,
                ended_at__gt=held_from).values_list("pk", "camera__code", "started_at",
                                                    "ended_at"):
            entry = figures.setdefault(code, [0, 0.0, 0, 0.0])
            minutes = (ended_at - started_at).total_seconds() / 60
            if pk in stored:
                entry[0] += 1
                entry[1] += minutes
            else:
                entry[2] += 1
                entry[3] += minutes
        for code in Camera.objects.filter(facility=incident.facility, is_active=True
                                          ).values_list("code", flat=True):
            figures.setdefault(code, [0, 0.0, 0, 0.0])
        rows.append(BlackoutRow(incident, held_from, held_until, [
            BlackoutCamera(code, int(e[0]), e[1], int(e[2]), e[3])
            for code, e in sorted(figures.items())]))
    audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin,
                 object_type="escrow.blackouts", object_label="blackout footage",
                 detail={"incidents": [row.incident.pk for row in rows]})
    return rows


# --------------------------------------------------------------------------- body-worn cameras

EVENT_MARGIN = dt.timedelta(minutes=2)  # a moment's event (arrival, move, ...) spans +- this


@dataclass(frozen=True)
class Event:
    record_id: int
    event: str  # CustodyEvent
    started_at: dt.datetime
    ended_at: dt.datetime


def custody_events(*, facility_id: int, started_at: dt.datetime, ended_at: dt.datetime,
                   record_id: int | None = None, now: dt.datetime | None = None
                   ) -> list[Event]:
    """The custody events of a facility's people overlapping ``[started_at, ended_at)``:
    arrivals, moves to a room, interrogations (their whole length), medical checks, ends of
    custody; a moment counts ``EVENT_MARGIN`` either side. Unscoped: callers scope."""
    from custodywatch.custody.models import Interrogation, MedicalCheck, RoomStay
    from custodywatch.escrow.models import CustodyEvent

    now = now or timezone.now()
    records = CustodyRecord.objects.filter(facility_id=facility_id)
    if record_id is not None:
        records = records.filter(pk=record_id)
    lo, hi = started_at - EVENT_MARGIN, ended_at + EVENT_MARGIN
    moments: list[tuple[int, str, dt.datetime]] = []
    for pk, arrived, detained, ended in records.filter(
            Q(arrived_at__range=(lo, hi)) | Q(arrived_at__isnull=True,
                                              detained_at__range=(lo, hi))
            | Q(ended_at__range=(lo, hi))).values_list("pk", "arrived_at", "detained_at",
                                                       "ended_at"):
        arrival = arrived or detained
        if lo <= arrival <= hi:
            moments.append((pk, CustodyEvent.ARRIVAL, arrival))
        if ended is not None and lo <= ended <= hi:
            moments.append((pk, CustodyEvent.RELEASE, ended))
    moments += [(pk, CustodyEvent.MOVE, at) for pk, at in RoomStay.objects.filter(
        custody_record__in=records, started_at__range=(lo, hi)).values_list(
        "custody_record_id", "started_at")]
    moments += [(pk, CustodyEvent.MEDICAL, at) for pk, at in MedicalCheck.objects.filter(
        custody_record__in=records, examined_at__range=(lo, hi)).values_list(
        "custody_record_id", "examined_at")]
    events = [Event(pk, kind, at - EVENT_MARGIN, at + EVENT_MARGIN) for pk, kind, at in moments]
    for pk, start, end in Interrogation.objects.filter(
            Q(ended_at__isnull=True) | Q(ended_at__gt=started_at), custody_record__in=records,
            started_at__lt=ended_at).values_list("custody_record_id", "started_at", "ended_at"):
        end = end or max(now, start + EVENT_MARGIN)
        if end > start:
            events.append(Event(pk, CustodyEvent.INTERROGATION, start, end))
    return sorted((e for e in events if e.started_at < ended_at and e.ended_at > started_at),
                  key=lambda e: (e.started_at, e.record_id, e.event))


@dataclass(frozen=True)
class BodyFootageRow:
    camera: str
    officer: str
    personnel_number: str
    shift_start: dt.datetime
    shift_end: dt.datetime | None
    started_at: dt.datetime
    ended_at: dt.datetime
    sha256: str
    escrowed: bool
    events: list[str]  # the person's events (CustodyEvent labels) the file overlaps


def record_body_footage(record: CustodyRecord, now: dt.datetime | None = None
                        ) -> list[BodyFootageRow]:
    """The body-worn camera files linked to a person's record: files of the shifts, at his
    facility, that overlap one of his custody events, from his arrival to the end of his
    custody (or now), each with its officer, shift, escrow state and the events it covers.
    For a record already read through its scoped selector."""
    from custodywatch.escrow.models import BodyCameraAssignment, CustodyEvent

    now = now or timezone.now()
    start = record.arrived_at or record.detained_at
    end = min(record.ended_at or now, now) + EVENT_MARGIN
    if end <= start:
        return []
    events = custody_events(facility_id=record.facility_id, started_at=start - EVENT_MARGIN,
                            ended_at=end, record_id=record.pk, now=now)
    labels = dict(CustodyEvent.choices)
    rows = []
    for assignment in BodyCameraAssignment.objects.filter(
            Q(ended_at__isnull=True) | Q(ended_at__gt=start - EVENT_MARGIN),
            camera__facility_id=record.facility_id, started_at__lt=end
            ).select_related("camera"):
        shift_end = assignment.ended_at or now
        if not any(e.started_at < shift_end and e.ended_at > assignment.started_at
                   for e in events):
            continue
        lo, hi = max(start - EVENT_MARGIN, assignment.started_at), min(end, shift_end)
        segments = (RecordingSegment.objects.filter(camera=assignment.camera,
                                                    started_at__lt=hi, ended_at__gt=lo)
                    .prefetch_related(Prefetch("escrow", queryset=EscrowObject.objects.filter(
                        state=EscrowState.STORED), to_attr="stored")))
        for segment in segments:
            covered = [str(labels[e.event]) for e in events
                       if e.started_at < segment.ended_at and e.ended_at > segment.started_at]
            rows.append(BodyFootageRow(
                assignment.camera.code, assignment.full_name, assignment.personnel_number,
                assignment.started_at, assignment.ended_at, segment.started_at,
                segment.ended_at, segment.sha256, bool(segment.stored),
                list(dict.fromkeys(covered))))
    return sorted(rows, key=lambda row: (row.started_at, row.camera))


def may_read_body_cameras(user: User) -> bool:
    """Those who hand out body-worn cameras, and the prosecutors who supervise them."""
    from custodywatch.accounts.capabilities import Capability, has_capability

    return (has_capability(user, Capability.ASSIGN_BODY_CAMERAS)
            or has_capability(user, Capability.ACT_FOR_PROSECUTION))


@dataclass(frozen=True)
class ShiftRow:
    assignment: object  # BodyCameraAssignment
    files: int
    escrowed: int
    minutes: float
    running: bool  # may be taken back now


@dataclass(frozen=True)
class BodyCameraRow:
    camera: Camera
    shifts: list[ShiftRow]


def body_cameras(*, user: User, origin: Origin, days: int = 14,
                 now: dt.datetime | None = None) -> list[BodyCameraRow]:
    """The body-worn cameras of the facilities in the reader's scope (active cameras fixed in
    no room), each with its shifts of the last ``days`` days and to come, and per shift the
    files its docking station uploaded and how many are escrowed. The read is audited."""
    from custodywatch.accounts.audit import audit_record
    from custodywatch.accounts.models import AuditEvent
    from custodywatch.accounts.scoping import facility_q
    from custodywatch.escrow.models import BodyCameraAssignment

    now = now or timezone.now()
    since = now - dt.timedelta(days=days)
    cameras = list(Camera.objects.filter(
        facility__in=Facility.objects.filter(facility_q(user)), is_active=True,
        rooms__isnull=True).select_related("facility").order_by("facility__code", "code"))
    rows = []
    for camera in cameras:
        shifts = []
        for assignment in BodyCameraAssignment.objects.filter(
                Q(ended_at__isnull=True) | Q(ended_at__gt=since), camera=camera
                ).order_by("-started_at"):
            until = assignment.ended_at or now
            files = list(RecordingSegment.objects.filter(
                camera=camera, started_at__gte=assignment.started_at, started_at__lt=until)
                .annotate(stored=Exists(EscrowObject.objects.filter(
                    segment=OuterRef("pk"), state=EscrowState.STORED)))
                .values_list("started_at", "ended_at", "stored"))
            shifts.append(ShiftRow(
                assignment, len(files), sum(1 for f in files if f[2]),
                sum((f[1] - f[0]).total_seconds() for f in files) / 60,
                assignment.ended_at is None or assignment.ended_at > now))
        rows.append(BodyCameraRow(camera, shifts))
    audit_record(actor=user, action=AuditEvent.Action.LIST, origin=origin,
                 object_type="escrow.bodycameraassignment", object_label="body-worn cameras",
                 detail={"cameras": [camera.code for camera in cameras]})
    return rows


def body_camera_gaps_for(*, user: User, limit: int = 100) -> list[object]:
    """The body-worn camera gaps (``BodyCameraGap``) of the facilities in the reader's scope,
    for those who act for the prosecutor's office only: none for anyone else, whatever his
    scope (the facility's people never see them)."""
    from custodywatch.accounts.capabilities import Capability, user_can
    from custodywatch.accounts.scoping import facility_q
    from custodywatch.escrow.models import BodyCameraGap

    if not user_can(user, Capability.ACT_FOR_PROSECUTION):
        return []
    return list(BodyCameraGap.objects.filter(
        assignment__camera__facility__in=Facility.objects.filter(facility_q(user)))
        .select_related("assignment__camera__facility", "custody_record")[:limit])
