"""Scoped reads of the escrow: what footage of a custody record exists off-site."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch
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
    escrowed, local = [], []
    for segment in segments:
        span = (_ms(segment.started_at), _ms(segment.ended_at))
        (escrowed if segment.stored else local).append(span)
    parts = footage_split((_ms(started_at), _ms(ended_at)), escrowed, local)
    return [camera.code for camera in cameras], tuple(part / 60000 for part in parts)


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
