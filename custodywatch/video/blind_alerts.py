"""Blind custody: custody time no working camera covered, seen by video (above custody).

- ``blind_custody_alerts_raise``: a custody alert for every blind custody moment (placed in a
  blind room, a long blind stay, a move through a blind room or vehicle), raised by video's
  periodic sweep (video/tasks.py) and e-mailed, acknowledged and escalated as every custody
  alert is (custody/alerts.py: its sweep mails the alerts not yet e-mailed).
- ``cell_checks_verify``: a cell check typed by the facility is a claim until a working
  camera recorded the moment (its own periodic job in video/tasks.py).

Custody keeps the alerts' kinds, texts and clocks (custody/alerts.py); it does not import
this module (the layers forbid it).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from custodywatch.accounts.audit import SYSTEM_ORIGIN, audit_record
from custodywatch.accounts.models import AuditEvent
from custodywatch.custody.models import CellCheck, CustodyAlert, RoomStay
from custodywatch.registry.models import Room
from custodywatch.video.coverage import Stay, stay_coverage
from custodywatch.video.selectors import rooms_blind_now
from custodywatch.video.timing import silence_after

# A stay that began this recently counts as "placed now".
PLACEMENT_WINDOW = dt.timedelta(minutes=10)
# Stays whose blind time may still grow or settle: open ones and those ended this recently.
BLIND_LOOKBACK = dt.timedelta(days=1)


def blind_stay_limit() -> dt.timedelta:
    return dt.timedelta(minutes=int(getattr(settings, "CUSTODYWATCH_BLIND_STAY_MINUTES", 15)))


def _is_transit(stay: RoomStay, neighbours: dict[int, tuple[bool, bool]],
                limit: dt.timedelta) -> bool:
    """A corridor or vehicle, or a short stay between two others: a move, not a stay."""
    if stay.room.kind in (Room.Kind.CORRIDOR, Room.Kind.VEHICLE):
        return True
    before, after = neighbours.get(stay.pk, (False, False))
    return (before and after and stay.ended_at is not None
            and stay.ended_at - stay.started_at <= limit)


def blind_custody_alerts_raise(*, now: dt.datetime) -> int:
    """Alert every blind custody moment, once per room stay and kind:

    - ``blind_placement``: a person placed (in the last ``PLACEMENT_WINDOW``) in a room that
      is blind now (no camera in service covering it with a working picture, under the
      coverage rule);
    - ``blind_stay``: a stay with one blind piece of at least ``CUSTODYWATCH_BLIND_STAY_MINUTES``
      (default 15);
    - ``blind_move``: blind time in a corridor or vehicle, or in a short stay between two
      others (a person moved through a blind room).

    Blind pieces are those settled (older than the silence grace), as for interrogations.
    Idempotent: the unique constraint on (room stay, clock) stops a second alert.
    """
    limit = blind_stay_limit()
    cutoff = now - silence_after()
    already = set(CustodyAlert.objects.filter(
        room_stay__isnull=False, raised_at__gte=now - BLIND_LOOKBACK - limit
    ).values_list("room_stay_id", "clock"))
    new: list[CustodyAlert] = []

    def add(stay: RoomStay, clock: str, due: dt.datetime) -> None:
        if (stay.pk, clock) not in already:
            already.add((stay.pk, clock))
            new.append(CustodyAlert(custody_record_id=stay.custody_record_id, room_stay=stay,
                                    clock=clock, level=CustodyAlert.Level.UNRECORDED,
                                    warning_seconds=0, due_at=due, raised_at=now))

    placed = list(RoomStay.objects.filter(ended_at__isnull=True,
                                          started_at__gte=now - PLACEMENT_WINDOW,
                                          started_at__lte=now).select_related("room"))
    blind_now = rooms_blind_now(room_ids=[stay.room_id for stay in placed], now=now)
    for stay in placed:
        if stay.room_id in blind_now:
            add(stay, CustodyAlert.Clock.BLIND_PLACEMENT, stay.started_at)

    recent = list(RoomStay.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gte=now - BLIND_LOOKBACK),
        started_at__lte=now, blind_ms__gt=0).select_related("room"))
    if recent:
        records = {stay.custody_record_id for stay in recent}
        neighbours: dict[int, tuple[bool, bool]] = {}
        by_record: dict[int, list[tuple[dt.datetime, int]]] = {}
        for record_id, started_at, pk in RoomStay.objects.filter(
                custody_record_id__in=records).values_list("custody_record_id", "started_at",
                                                           "pk"):
            by_record.setdefault(record_id, []).append((started_at, pk))
        for stays in by_record.values():
            stays.sort()
            for index, (_start, pk) in enumerate(stays):
                neighbours[pk] = (index > 0, index < len(stays) - 1)
        coverage = stay_coverage(stays=[(stay.pk, stay.room_id, stay.started_at, stay.ended_at)
                                        for stay in recent], now=now)
        for stay, result in zip(recent, coverage, strict=True):
            pieces = [(start, min(end, cutoff)) for start, end in result.blind if start < cutoff]
            if not pieces:
                continue
            if _is_transit(stay, neighbours, limit):
                add(stay, CustodyAlert.Clock.BLIND_MOVE, pieces[0][0])
            elif any(end - start >= limit for start, end in pieces):
                first = next(start for start, end in pieces if end - start >= limit)
                add(stay, CustodyAlert.Clock.BLIND_STAY, first)
    if not new:
        return 0
    CustodyAlert.objects.bulk_create(new, ignore_conflicts=True)
    audit_record(actor=None, action=AuditEvent.Action.CREATE, origin=SYSTEM_ORIGIN,
                 object_type="custody.custodyalert", object_label="blind custody",
                 detail={"stays": {str(a.room_stay_id): a.clock for a in new}})
    return len(new)


# ------------------------------------------------------------------------- cell checks

# A cell check is verified against this much footage on each side of its moment.
CHECK_WINDOW = dt.timedelta(seconds=30)


def cell_checks_verify(*, now: dt.datetime) -> int:
    """Mark each cell check whose footage has settled: verified when a working camera
    recorded its room, or a corridor of the facility, for the whole minute around it
    (video.coverage.stay_coverage, the rule RoomStay.blind_ms is computed by); unverified
    when none did. A check typed with no working camera is a claim nobody can confirm."""
    pending = list(CellCheck.objects.filter(
        verified__isnull=True, checked_at__lte=now - silence_after() - CHECK_WINDOW
    ).select_related("custody_record")[:2000])
    if not pending:
        return 0
    facility_ids = {check.custody_record.facility_id for check in pending}
    corridors: dict[int, list[int]] = {}
    for room_id, facility_id in Room.objects.filter(
            facility_id__in=facility_ids, kind=Room.Kind.CORRIDOR).values_list("pk",
                                                                             "facility_id"):
        corridors.setdefault(facility_id, []).append(room_id)
    windows: list[Stay] = []
    owners: list[int] = []
    for check in pending:
        rooms = ([check.room_id] if check.room_id else []) + corridors.get(
            check.custody_record.facility_id, [])
        for room_id in rooms:
            windows.append((len(windows), room_id, check.checked_at - CHECK_WINDOW,
                            check.checked_at + CHECK_WINDOW))
            owners.append(check.pk)
    recorded: set[int] = set()
    for owner, result in zip(owners, stay_coverage(stays=windows, now=now), strict=True):
        if not result.blind:
            recorded.add(owner)
    verified = [check.pk for check in pending if check.pk in recorded]
    unverified = [check.pk for check in pending if check.pk not in recorded]
    with transaction.atomic():
        CellCheck.objects.filter(pk__in=verified).update(verified=True)
        CellCheck.objects.filter(pk__in=unverified).update(verified=False)
        if unverified:
            audit_record(actor=None, action=AuditEvent.Action.UPDATE, origin=SYSTEM_ORIGIN,
                         object_type="custody.cellcheck", object_label="unverified",
                         detail={"unverified": unverified})
    return len(pending)
