"""The demo's proof of coverage, its history down from the audit, tickets and blind alerts.

Called by the demo generator after the registry, video and custody builders:

- marker sightings: every camera working now shows the markers of the custody rooms it
  covers for the last two days (``demo_tick`` keeps them going); a broken camera stopped
  showing them when it broke. A few cameras show another room's marker (``foreign_marker``)
  and a few working ones lost their own an hour ago (``marker_lost``);
- one site blacked out: all its cameras silent for ten minutes (a ``blackout`` incident);
- the burn-down: the audit's 6,159 blind rooms and 937 broken cameras, scaled to the demo's
  size, as the baseline at the start of its history, then daily figures for regions,
  agencies and the country falling to today's real snapshot;
- remediation tickets: open ones for today's blind rooms and broken cameras (many overdue
  and escalated), closed ones for faults of the past year proven fixed by their next ok span;
- the four blind custody alerts: a person placed minutes ago in a blind room, long stays in
  blind rooms, a move through a blind escort corridor and vehicle, and the blackout.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.db.models import Count, F, Q

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.custody.models import RoomStay
from custodywatch.registry.models import Camera, Facility, Room
from custodywatch.reports.coverage_history import (
    FIGURES,
    coverage_baseline_set,
    coverage_snapshot_take,
)
from custodywatch.reports.models import CoverageSnapshot
from custodywatch.video.blind_alerts import blind_custody_alerts_raise
from custodywatch.video.coverage_jobs import coverage_work_drain, coverage_work_queue
from custodywatch.video.demo import BLIND_ROOMS, HISTORY_DAYS, NATIONAL_CAMERAS, OUT_OF_ORDER
from custodywatch.video.demo import NATIONAL_CUSTODY_ROOMS as NATIONAL_ROOMS
from custodywatch.video.incidents import coverage_incidents_sweep
from custodywatch.video.markers import foreign_markers_open
from custodywatch.video.models import (
    CameraHealth,
    CameraState,
    CameraStateSpan,
    MarkerSighting,
    RemediationTicket,
    SignalStatus,
    SpanSource,
)
from custodywatch.video.selectors import cameras_with_health, rooms_blind_now
from custodywatch.video.timing import silence_after, to_ms

SIGHTING_DAYS = 2
HISTORY_SNAPSHOT_DAYS = 60
CLOSED_TICKETS = 300
FOREIGN = 3
LOST = 3
TICKET_AFTER = dt.timedelta(hours=24)
TICKET_DUE = dt.timedelta(days=14)
CHUNK = 5000
ESCORT, VAN = "ESCORT-1", "VAN-1"  # an escort corridor and van: two blind custody rooms


def _sightings(rng: random.Random, now: dt.datetime) -> None:
    # The played agents' heartbeat time: demo_tick carries sightings that end there on.
    now = (CameraHealth.objects.filter(status=SignalStatus.LIVE)
           .values_list("last_heartbeat_at", flat=True).first() or now)
    since = now - dt.timedelta(days=SIGHTING_DAYS)
    cameras = {c.pk: c for c in cameras_with_health(now=now).filter(is_active=True)}
    markers = {pk: marker for pk, marker in Room.objects.filter(
        custody_use=True, marker_id__isnull=False).values_list("pk", "marker_id")
        if marker is not None}  # all of them (the filter): for the type checker
    rows = []
    for camera_id, room_id in Camera.rooms.through.objects.filter(
            camera__is_active=True, room__in=list(markers)).values_list("camera_id", "room_id"):
        camera = cameras[camera_id]
        end = now if camera.state_now == CameraState.OK else camera.state_since
        if end is None or end <= since:
            continue
        rows.append(MarkerSighting(camera_id=camera_id, marker_id=markers[room_id],
                                   started_at=since, ended_at=end,
                                   seen=round(rng.uniform(0.8, 1.0), 2)))
    MarkerSighting.objects.bulk_create(rows, batch_size=CHUNK)
    # A few working cameras stopped showing their own room's marker an hour ago.
    working = [s for s in rows if s.ended_at == now]
    for sighting in rng.sample(working, min(LOST, len(working))):
        MarkerSighting.objects.filter(pk=sighting.pk).update(ended_at=now - dt.timedelta(hours=1))
    # A few show the marker of another room of their facility.
    by_facility: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for room_id, facility_id in Room.objects.filter(pk__in=list(markers)).values_list(
            "pk", "facility_id"):
        by_facility[facility_id].append((room_id, markers[room_id]))
    mapped = set(Camera.rooms.through.objects.values_list("camera_id", "room_id"))
    foreign: dict[int, list[tuple[int, int, int, int, float]]] = defaultdict(list)
    for sighting in rng.sample(working, min(len(working), 50)):
        camera = cameras[sighting.camera_id]
        others = [(r, m) for r, m in by_facility[camera.facility_id]
                  if (camera.pk, r) not in mapped]
        if not others or len(foreign) >= FOREIGN:
            continue
        _room, marker = rng.choice(others)
        first = now - dt.timedelta(minutes=rng.randint(20, 300))
        MarkerSighting.objects.create(camera=camera, marker_id=marker, started_at=first,
                                      ended_at=now, seen=0.7)
        foreign[camera.facility_id].append((camera.pk, marker, to_ms(first), to_ms(now), 0.7))
    for facility_id, items in foreign.items():
        foreign_markers_open(facility=Facility.objects.get(pk=facility_id), sightings=items,
                             now=now)


def _blackout(rng: random.Random, now: dt.datetime) -> None:
    """All cameras of one site, all working, silent since ten minutes ago."""
    active = Q(cameras__is_active=True)
    sites = list(Facility.objects.filter(is_active=True).exclude(rooms__code=ESCORT).annotate(
        n=Count("cameras", filter=active, distinct=True),
        working=Count("cameras", distinct=True, filter=active & Q(
            cameras__health__reported_state=CameraState.OK,
            cameras__health__last_heartbeat_at__gte=now - silence_after())))
        .filter(n__gte=3, working=F("n")).order_by("n", "code").values_list("pk", flat=True)[:5])
    if not sites:
        return
    site = rng.choice(sites)
    since = now - dt.timedelta(minutes=10)
    for camera_id in Camera.objects.filter(facility_id=site, is_active=True).values_list(
            "pk", flat=True):
        CameraStateSpan.objects.filter(camera_id=camera_id, state=CameraState.OK,
                                       ended_at__gt=since, started_at__lt=since).update(
            ended_at=since)
        span = CameraStateSpan.objects.create(camera_id=camera_id, state=CameraState.NO_SIGNAL,
                                              source=SpanSource.SWEEP, started_at=since,
                                              ended_at=now)
        CameraHealth.objects.filter(camera_id=camera_id).update(
            last_heartbeat_at=since, status=SignalStatus.SILENT, silence_span=span,
            state_since=since)
        MarkerSighting.objects.filter(camera_id=camera_id, ended_at__gt=since).update(
            ended_at=since)


def _blind_moments(rng: random.Random, now: dt.datetime) -> None:
    """A placement a few minutes ago in a blind room, and a move through a blind corridor
    and van, for two people in custody now; then the stored coverage of the last day."""
    open_stays = list(RoomStay.objects.filter(ended_at__isnull=True,
                                              started_at__lt=now - dt.timedelta(hours=1))
                      .select_related("room").order_by("pk")[:500])
    rng.shuffle(open_stays)
    blind = rooms_blind_now(room_ids=list(Room.objects.filter(
        facility__in={s.room.facility_id for s in open_stays}, custody_use=True)
        .values_list("pk", flat=True)), now=now)
    placed = moved = False
    for stay in open_stays:
        facility_id = stay.room.facility_id
        blind_here = [r for r in Room.objects.filter(facility_id=facility_id, pk__in=blind)
                      .exclude(pk=stay.room_id).order_by("code")]
        if not placed and blind_here:
            at = now - dt.timedelta(minutes=3)
            RoomStay.objects.filter(pk=stay.pk).update(ended_at=at)
            RoomStay.objects.create(custody_record_id=stay.custody_record_id,
                                    room=blind_here[0], started_at=at)
            placed = True
            continue
        if not moved and stay.room_id not in blind:
            corridor = Room.objects.create(
                facility_id=facility_id, code=ESCORT, name="Коридор конвоя",
                name_kk="Айдауыл дәлізі", name_en="Escort corridor", kind=Room.Kind.CORRIDOR)
            van = Room.objects.create(
                facility_id=facility_id, code=VAN, name="Автомобиль конвоя",
                name_kk="Айдауыл көлігі", name_en="Escort vehicle", kind=Room.Kind.VEHICLE)
            t0 = now - dt.timedelta(minutes=50)
            RoomStay.objects.filter(pk=stay.pk).update(ended_at=t0)
            RoomStay.objects.bulk_create([
                RoomStay(custody_record_id=stay.custody_record_id, room=corridor, started_at=t0,
                         ended_at=t0 + dt.timedelta(minutes=4)),
                RoomStay(custody_record_id=stay.custody_record_id, room=van,
                         started_at=t0 + dt.timedelta(minutes=4),
                         ended_at=t0 + dt.timedelta(minutes=30)),
                RoomStay(custody_record_id=stay.custody_record_id, room=stay.room,
                         started_at=t0 + dt.timedelta(minutes=30))])
            moved = True
        if placed and moved:
            break
    day_ago = now - dt.timedelta(days=1)
    rows = [(room_id, to_ms(max(start, day_ago)), to_ms(end or now)) for room_id, start, end in
            RoomStay.objects.filter(Q(ended_at__isnull=True) | Q(ended_at__gt=day_ago))
            .values_list("room_id", "started_at", "ended_at")]
    for first in range(0, len(rows), CHUNK):
        coverage_work_queue(rows=rows[first:first + CHUNK], now=now)
    while coverage_work_drain(now=now).claimed:
        pass
    blind_custody_alerts_raise(now=now)


def _tickets(rng: random.Random, now: dt.datetime) -> None:
    heads = dict(Facility.objects.filter(head_appointments__ended_on__isnull=True)
                 .values_list("pk", "head_appointments__full_name"))
    tickets: list[RemediationTicket] = []

    def ticket(facility_id: int, opened: dt.datetime, **fields: object) -> RemediationTicket:
        due = opened + TICKET_DUE
        return RemediationTicket(facility_id=facility_id, owner_name=heads.get(facility_id, ""),
                                 opened_at=opened, due_at=due,
                                 escalated_at=due if due < now and not fields.get("closed_at")
                                 else None, **fields)

    for camera in (cameras_with_health(now=now).filter(is_active=True)
                   .exclude(state_now=CameraState.OK)):
        since = camera.state_since or now - dt.timedelta(days=rng.randint(2, 60))
        if since <= now - TICKET_AFTER:
            tickets.append(ticket(camera.facility_id, since + TICKET_AFTER,
                                  kind=RemediationTicket.Kind.BROKEN_CAMERA, camera_id=camera.pk,
                                  broken_since=since))
    blind = rooms_blind_now(room_ids=Room.objects.filter(
        custody_use=True, facility__is_active=True).values("pk"), now=now)
    for room_id, facility_id in Room.objects.filter(pk__in=blind).values_list(
            "pk", "facility_id"):
        since = now - dt.timedelta(days=rng.randint(2, 90))
        tickets.append(ticket(facility_id, since + TICKET_AFTER,
                              kind=RemediationTicket.Kind.BLIND_ROOM, room_id=room_id,
                              broken_since=since))
    # Faults of the past year that lasted over a day and ended: fixed, proven by the ok span.
    faults = list(CameraStateSpan.objects.exclude(state=CameraState.OK).filter(
        ended_at__lt=now - dt.timedelta(days=1), camera__is_active=True)
        .order_by("pk").values_list("camera_id", "camera__facility_id", "started_at",
                                    "ended_at")[:20_000])
    long = [f for f in faults if f[3] - f[2] > TICKET_AFTER]
    for camera_id, facility_id, start, end in rng.sample(long, min(CLOSED_TICKETS, len(long))):
        tickets.append(ticket(facility_id, start + TICKET_AFTER,
                              kind=RemediationTicket.Kind.BROKEN_CAMERA, camera_id=camera_id,
                              broken_since=start, status=RemediationTicket.Status.CLOSED,
                              closed_at=end + dt.timedelta(minutes=30),
                              proof={"from": end.isoformat(),
                                     "until": (end + dt.timedelta(minutes=30)).isoformat(),
                                     "rule": "declared"}))
    open_ = [t for t in tickets if t.status == RemediationTicket.Status.OPEN]
    closed = [t for t in tickets if t.status == RemediationTicket.Status.CLOSED]
    RemediationTicket.objects.bulk_create(open_, batch_size=CHUNK, ignore_conflicts=True)
    RemediationTicket.objects.bulk_create(closed, batch_size=CHUNK)


def _history(rng: random.Random, now: dt.datetime) -> None:
    """Baseline at the start of history, then daily figures falling to today's snapshot."""
    rooms = Room.objects.filter(custody_use=True, facility__is_active=True).exclude(
        code__in=[ESCORT, VAN]).count()
    cameras = Camera.objects.filter(is_active=True).count()
    baseline_rooms = round(BLIND_ROOMS * rooms / NATIONAL_ROOMS)
    baseline_cameras = round(OUT_OF_ORDER * cameras / NATIONAL_CAMERAS)
    start = (now - dt.timedelta(days=HISTORY_DAYS)).date()
    coverage_baseline_set(acting_user=None, origin=SYSTEM_ORIGIN, day=start,
                          rooms_blind=baseline_rooms, cameras_out_of_order=baseline_cameras)
    coverage_snapshot_take(now=now)
    today = CoverageSnapshot.objects.filter(baseline=False, level__in=["country", "region",
                                                                       "agency"])
    base = {row.key: row for row in CoverageSnapshot.objects.filter(baseline=True)}
    rows = []
    for last in today:
        first = base.get(last.key)
        if first is None:
            continue
        span = (last.day - first.day).days or 1
        for back in range(HISTORY_SNAPSHOT_DAYS, 0, -1):
            day = last.day - dt.timedelta(days=back)
            share = (day - first.day).days / span
            values = {name: getattr(last, name) for name in FIGURES}
            for name in ("rooms_blind", "cameras_out_of_order"):
                past = getattr(first, name) + (getattr(last, name) - getattr(first, name)) * share
                values[name] = max(0, round(past * rng.uniform(0.98, 1.02)))
            rows.append(CoverageSnapshot(key=last.key, level=last.level,
                                         region_id=last.region_id, agency_id=last.agency_id,
                                         day=day, rule=last.rule, **values))
    CoverageSnapshot.objects.bulk_create(rows, batch_size=CHUNK)


def build_coverage_demo(*, rng: random.Random, now: dt.datetime) -> None:
    _sightings(rng, now)
    _blind_moments(rng, now)
    _blackout(rng, now)
    coverage_incidents_sweep(now=now, mail=False)
    _tickets(rng, now)
    _history(rng, now)
