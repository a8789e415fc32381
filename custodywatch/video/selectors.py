"""Every read of camera health a person sees, already scoped to that person.

"Now" is judged from the heartbeat timestamps in the query itself, so the pages are right
even when the sweep has not run yet: a camera whose last heartbeat is older than the
silence limit is no_signal, one that never reported (or says it is still learning its view)
is unknown, and neither covers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

import numpy as np
from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)

from custodywatch.accounts.models import User
from custodywatch.accounts.scoping import facility_q
from custodywatch.core.expressions import EpochMs
from custodywatch.core.shared_figures import scope_key, shared
from custodywatch.kernels.coverage import blind_intervals
from custodywatch.registry.models import Camera, CameraView, Facility, Room
from custodywatch.video.coverage import CoverageRule, coverage_rule, marker_fresh
from custodywatch.video.models import (
    AgentDiskAlert,
    CameraState,
    CameraStateSpan,
    MarkerSighting,
    RecordingRun,
)
from custodywatch.video.sparkline import Strip, state_strip
from custodywatch.video.timing import from_ms, silence_after, to_ms

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

# Never reported, or reported as still learning its view (CameraState.UNKNOWN): not covered.
UNKNOWN = CameraState.UNKNOWN.value
WALL_DAYS = 7
GAP_HOURS = 24
# Recording runs arrive when a segment closes; the newest minutes are not a gap yet.
UPLOAD_LAG = dt.timedelta(minutes=10)
LIST_LIMIT = 100


@dataclass(frozen=True)
class Place:
    """Narrows the video lists to a region and/or one unit, by code, always within the
    reader's scope (facility_q is applied beside it): a code outside the scope finds nothing.
    """

    region_code: str = ""
    facility_code: str = ""

    def q(self, path: str = "facility") -> Q:
        q = Q()
        if self.region_code:
            q &= Q(**{f"{path}__region__code": self.region_code})
        if self.facility_code:
            q &= Q(**{f"{path}__code": self.facility_code})
        return q


EVERYWHERE = Place()


def _working_q(now: dt.datetime, prefix: str = "") -> Q:
    return Q(**{f"{prefix}health__reported_state": CameraState.OK,
                f"{prefix}health__last_heartbeat_at__gte": now - silence_after()})


def _marker_seen_now(now: dt.datetime, camera: OuterRef, marker: OuterRef) -> Exists:
    """The camera's picture showed this marker lately (proven rule)."""
    return Exists(MarkerSighting.objects.filter(camera=camera, marker_id=marker,
                                                ended_at__gte=now - marker_fresh()))


class CameraHealth(TypedDict):
    state_now: str  # a CameraState, or UNKNOWN
    state_since: dt.datetime | None


def cameras_with_health(*, now: dt.datetime
                        ) -> QuerySet[WithAnnotations[Camera, CameraHealth]]:
    """Cameras annotated with ``state_now`` and ``state_since`` (None when unknown)."""
    silent_before = now - silence_after()
    return Camera.objects.select_related("facility", "health").annotate(
        state_now=Case(
            When(health__isnull=True, then=Value(UNKNOWN)),
            When(health__last_heartbeat_at__lt=silent_before,
                 then=Value(CameraState.NO_SIGNAL.value)),
            default=F("health__reported_state"),
            output_field=CharField(),
        ),
        state_since=Case(
            When(health__last_heartbeat_at__lt=silent_before,
                 then=F("health__last_heartbeat_at")),
            default=F("health__state_since"),
        ),
    )


def cameras_out_of_order(*, user: User, now: dt.datetime, place: Place = EVERYWHERE
                         ) -> QuerySet[WithAnnotations[Camera, CameraHealth]]:
    """Cameras in service whose picture is not working now, the longest broken first."""
    return (cameras_with_health(now=now)
            .filter(facility_q(user, "facility"), place.q(), is_active=True)
            .exclude(state_now=CameraState.OK)
            .order_by(F("state_since").asc(nulls_first=True), "facility__code", "code"))


class HasCamera(TypedDict):
    has_camera: bool  # a camera in service points at it (all broken), or none does


def custody_rooms_blind_now(*, user: User, now: dt.datetime, place: Place = EVERYWHERE
                            ) -> QuerySet[WithAnnotations[Room, HasCamera]]:
    """Custody rooms no camera in service covers with a working picture now.

    ``has_camera`` tells the rooms with cameras that are all broken from those with none.
    """
    cameras = Camera.objects.filter(rooms=OuterRef("pk"), is_active=True)
    working = cameras.filter(_working_q(now))
    if coverage_rule() == CoverageRule.PROVEN:
        working = working.filter(_marker_seen_now(now, OuterRef("pk"),
                                                  OuterRef(OuterRef("marker_id"))))
    return (Room.objects.filter(facility_q(user, "facility"), place.q(), custody_use=True,
                                facility__is_active=True)
            .annotate(has_camera=Exists(cameras))
            .filter(~Exists(working))
            .select_related("facility").order_by("facility__code", "code"))


def rooms_blind_now(*, room_ids: list[int] | QuerySet, now: dt.datetime) -> set[int]:
    """Of these rooms (ids, or a query of ids), those no camera in service covers with a
    working picture now (under the coverage rule). Not scoped: for the centre's own jobs
    (custody alerts, tickets)."""
    # Two plain queries and a set difference, not NOT EXISTS: on PostgreSQL, inside the
    # transaction that just wrote these rows (the demo, a batch), the planner has no figures
    # for them and a correlated anti-join can run for many minutes.
    rooms = set(Room.objects.filter(pk__in=room_ids).order_by().values_list("pk", flat=True))
    links = Camera.rooms.through.objects.filter(_working_q(now, "camera__"),
                                                room_id__in=room_ids, camera__is_active=True)
    if coverage_rule() == CoverageRule.PROVEN:
        links = links.filter(_marker_seen_now(now, OuterRef("camera_id"),
                                              OuterRef("room__marker_id")))
    return rooms - set(links.values_list("room_id", flat=True))


@dataclass(frozen=True)
class VideoTotals:
    cameras: int
    working: int
    out_of_order: int
    unknown: int
    custody_rooms: int
    blind_rooms: int
    never_covered: int
    rule: str = CoverageRule.DECLARED  # the coverage rule the room figures rest on

    @property
    def rule_label(self) -> str:
        return str(CoverageRule(self.rule).label)


@dataclass(frozen=True)
class RoomCounts:
    custody_rooms: int
    blind_now: int  # no camera in service with a working picture now
    never_covered: int  # no camera in service at all (some of blind_now)


def _room_counts(*, scope: Q, now: dt.datetime, group: str) -> dict[int, RoomCounts]:
    """Per ``group`` (a path from Room, e.g. ``facility__region``): the custody rooms of
    units in service matching ``scope``, as custody_rooms_blind_now counts them; one query."""
    # Uncorrelated "room in (rooms of cameras in service)": one hash each, not a subquery
    # per room.
    links = Camera.rooms.through.objects.filter(camera__is_active=True)
    covered = links.values("room_id")
    working_links = links.filter(_working_q(now, "camera__"))
    if coverage_rule() == CoverageRule.PROVEN:
        working_links = working_links.filter(_marker_seen_now(now, OuterRef("camera_id"),
                                                              OuterRef("room__marker_id")))
    working = working_links.values("room_id")
    rows = (Room.objects.filter(scope, custody_use=True, facility__is_active=True)
            .values_list(group)
            .annotate(n=Count("pk"), blind=Count("pk", filter=~Q(pk__in=working)),
                      never=Count("pk", filter=~Q(pk__in=covered)))
            .order_by())
    return {key: RoomCounts(n, blind, never) for key, n, blind, never in rows}


def rooms_by_region(*, user: User, now: dt.datetime,
                    place: Place = EVERYWHERE) -> dict[int, RoomCounts]:
    """Per region id: the custody rooms of units in service in scope, as
    custody_rooms_blind_now counts them; one query (the dashboard's map and totals)."""
    return _room_counts(scope=facility_q(user, "facility") & place.q(), now=now,
                        group="facility__region")


def rooms_by_facility(*, now: dt.datetime) -> dict[int, RoomCounts]:
    """Per facility id, every unit in service: for the centre's daily snapshot (unscoped)."""
    return _room_counts(scope=Q(), now=now, group="facility")


def video_totals(*, user: User, now: dt.datetime, place: Place = EVERYWHERE,
                 rooms: dict[int, RoomCounts] | None = None) -> VideoTotals:
    """Cameras in service and custody rooms in scope now: two queries (one with ``rooms``,
    from rooms_by_region)."""
    cameras = Camera.objects.filter(facility_q(user, "facility"), place.q(),
                                    is_active=True).aggregate(
        total=Count("pk"), working=Count("pk", filter=_working_q(now)),
        unknown=Count("pk", filter=Q(health__isnull=True) | Q(
            health__reported_state=CameraState.UNKNOWN,
            health__last_heartbeat_at__gte=now - silence_after())))
    if rooms is None:
        rooms = rooms_by_region(user=user, now=now, place=place)
    return VideoTotals(
        cameras=cameras["total"], working=cameras["working"],
        out_of_order=cameras["total"] - cameras["working"], unknown=cameras["unknown"],
        custody_rooms=sum(r.custody_rooms for r in rooms.values()),
        blind_rooms=sum(r.blind_now for r in rooms.values()),
        never_covered=sum(r.never_covered for r in rooms.values()),
        rule=coverage_rule(),
    )


@dataclass(frozen=True)
class RecordingGap:
    camera: Camera
    gap_ms: int
    pieces: int
    strip: Strip

    @property
    def gap_minutes(self) -> int:
        return round(self.gap_ms / 60_000)


def recording_gaps(*, user: User, now: dt.datetime, hours: int = GAP_HOURS,
                   limit: int = LIST_LIMIT, place: Place = EVERYWHERE
                   ) -> tuple[list[RecordingGap], int]:
    """Cameras in service with time unrecorded in the last ``hours``, the largest first.

    Returns the first ``limit`` and how many cameras have gaps in all.
    """
    end = now - UPLOAD_LAG
    start = end - dt.timedelta(hours=hours)
    cameras = Camera.objects.filter(facility_q(user, "facility"), place.q(), is_active=True)
    camera_ids = np.array(list(cameras.values_list("pk", flat=True)), dtype=np.int64)
    runs = np.array(list(
        RecordingRun.objects.filter(camera__in=cameras.values("pk"), started_at__lt=end,
                                    ended_at__gt=start)
        .values_list("camera_id", EpochMs("started_at"), EpochMs("ended_at"))),
        dtype=np.int64).reshape(-1, 3)
    run_cameras, run_starts, run_ends = runs[:, 0], runs[:, 1], runs[:, 2]
    window = np.full(len(camera_ids), to_ms(start), dtype=np.int64)
    index, gap_starts, gap_ends = blind_intervals(
        camera_ids, window, np.full(len(camera_ids), to_ms(end), dtype=np.int64),
        run_cameras, run_starts, run_ends)
    gap_ms = np.zeros(len(camera_ids), dtype=np.int64)
    np.add.at(gap_ms, index, gap_ends - gap_starts)
    counts = np.bincount(index, minlength=len(camera_ids))
    with_gaps = np.flatnonzero(gap_ms)
    top = with_gaps[np.argsort(-gap_ms[with_gaps], kind="stable")][:limit]
    chosen = Camera.objects.select_related("facility").in_bulk(camera_ids[top].tolist())
    gaps = []
    for i in top.tolist():
        recorded = [(from_ms(s), from_ms(e)) for s, e in
                    zip(run_starts[run_cameras == camera_ids[i]].tolist(),
                        run_ends[run_cameras == camera_ids[i]].tolist(), strict=True)]
        strip = state_strip(start=start, end=end,
                            spans=[(s, e, "recorded") for s, e in recorded], bins=96)
        gaps.append(RecordingGap(camera=chosen[int(camera_ids[i])], gap_ms=int(gap_ms[i]),
                                 pieces=int(counts[i]), strip=strip))
    return gaps, len(with_gaps)


@dataclass(frozen=True)
class CameraTile:
    camera: Camera
    state: str  # what the agent's heartbeat says now (a claim)
    strip: Strip
    # What coverage counts: the share of the last WALL_DAYS with a working picture recorded,
    # and whether one was recorded within the silence window. A camera that says "working"
    # while nothing working is recorded is blind, and the tile says so.
    recorded_share: float = 0.0
    recorded_now: bool = False
    has_picture: bool = False

    @property
    def recorded_percent(self) -> int:
        return round(100 * self.recorded_share)

    @property
    def claims_working_unrecorded(self) -> bool:
        return self.state == CameraState.OK and not self.recorded_now


def camera_wall(*, facility: Facility, now: dt.datetime) -> list[CameraTile]:
    """Every camera of a facility the caller already holds (registry facility_detail),
    with its state now and a strip of its state over the last week."""
    cameras = list(cameras_with_health(now=now).filter(facility=facility)
                   .prefetch_related("rooms").order_by("code"))
    start = now - dt.timedelta(days=WALL_DAYS)
    spans: dict[int, list[tuple[dt.datetime, dt.datetime, str]]] = {}
    for camera_id, began, ended, state in (
        CameraStateSpan.objects.filter(camera__facility=facility, started_at__lt=now,
                                       ended_at__gt=start)
        .values_list("camera_id", "started_at", "ended_at", "state")
    ):
        spans.setdefault(camera_id, []).append((began, ended, state))
    with_picture = set(CameraView.objects.filter(camera__facility=facility).exclude(
        current_sha256="").values_list("camera_id", flat=True))
    recent = now - silence_after()
    tiles = []
    for camera in cameras:
        own = spans.get(camera.pk, [])
        working = [(max(began, start), min(ended, now)) for began, ended, state in own
                   if state == CameraState.OK]
        recorded = sum((ended - began).total_seconds() for began, ended in working)
        tiles.append(CameraTile(
            camera=camera, state=camera.state_now,
            strip=state_strip(start=start, end=now, spans=own),
            recorded_share=recorded / (now - start).total_seconds(),
            recorded_now=any(ended >= recent for _began, ended in working),
            has_picture=camera.pk in with_picture))
    return tiles


def open_disk_alert(*, facility: Facility) -> AgentDiskAlert | None:
    """The facility's open "agent's disk full" alert, for its camera wall (the caller
    already holds the facility through a scoped read)."""
    return AgentDiskAlert.objects.filter(facility=facility, cleared_at__isnull=True).first()


@dataclass(frozen=True)
class Overview:
    """Everything the video overview shows, computed at ``now``."""

    now: dt.datetime
    totals: VideoTotals
    out_of_order: list[Camera]
    blind_rooms: list
    never_covered: list
    gaps: list[RecordingGap]
    gap_cameras: int


def _overview_key(user: User, place: Place) -> str:
    return f"video-overview:{scope_key(user)}:{place.region_code}:{place.facility_code}"


def video_overview(*, user: User, now: dt.datetime, place: Place = EVERYWHERE) -> Overview:
    """The overview's figures and lists, shared for ``CUSTODYWATCH_OVERVIEW_CACHE_SECONDS``
    (30: the video sweep's cadence) by readers of the same scope: the national page costs
    about a second of database and numpy work, and a hundred prosecutors opening it must not
    multiply that; one of them computes the next copy while the others see the last one
    (core/shared_figures.py). 0 computes every time."""
    def compute() -> Overview:
        blind = custody_rooms_blind_now(user=user, now=now, place=place)
        gaps, gap_cameras = recording_gaps(user=user, now=now, place=place)
        return Overview(
            now=now, totals=video_totals(user=user, now=now, place=place),
            out_of_order=list(cameras_out_of_order(user=user, now=now,
                                                   place=place)[:LIST_LIMIT]),
            blind_rooms=list(blind.filter(has_camera=True)[:LIST_LIMIT]),
            never_covered=list(blind.filter(has_camera=False)[:LIST_LIMIT]),
            gaps=gaps, gap_cameras=gap_cameras)

    return shared(_overview_key(user, place), settings.CUSTODYWATCH_OVERVIEW_CACHE_SECONDS,
                  compute)


@dataclass(frozen=True)
class TicketSummary:
    owner: str
    open: int
    overdue: int
    closed: int


def facility_tickets(*, facility: Facility, now: dt.datetime, limit: int = LIST_LIMIT
                     ) -> tuple[list, list[TicketSummary]]:
    """A unit the caller already holds (scoped read): its open remediation tickets, the
    oldest due first, and per owner (the head as recorded) open, overdue and closed counts."""
    from custodywatch.video.models import RemediationTicket

    tickets = RemediationTicket.objects.filter(facility=facility)
    open_ = list(tickets.filter(status=RemediationTicket.Status.OPEN)
                 .select_related("room", "camera").order_by("due_at")[:limit])
    rows = (tickets.values_list("owner_name")
            .annotate(open=Count("pk", filter=Q(status="open")),
                      # (not "overdue": the model's property of that name)
                      overdue_n=Count("pk", filter=Q(status="open", due_at__lt=now)),
                      closed=Count("pk", filter=Q(status="closed")))
            .order_by("owner_name"))
    return open_, [TicketSummary(*row) for row in rows]
