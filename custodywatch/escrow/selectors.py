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
from custodywatch.registry.models import Camera, Room
from custodywatch.video.models import RecordingSegment


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
