"""Room markers as edge agents see them: sightings in, contradictions of the map out.

An agent decodes the AprilTag 36h11 markers printed in each custody room from the frames it
already samples and reports, per camera and marker, the first and last time it was decoded
and the share of frames it was seen in (``POST /api/video/marker-sightings``). The centre
stores each (camera, marker) as intervals, joining reports less than ``MARKER_BRIDGE``
apart (an agent reports per segment; the seconds between two segments are not a gap).

Only the facility's own edge agent reports sightings: a person, even a registry editor,
cannot declare that a camera saw a marker.

A sighting that contradicts the approved camera map opens a ``CoverageIncident``
(``foreign_marker``: the camera sees the marker of a room its map does not give it);
:func:`custodywatch.video.incidents.coverage_incidents_sweep` opens ``marker_lost`` when a
working camera stops seeing its own room's marker.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin
from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.models import MachineToken, User
from custodywatch.core import plausible
from custodywatch.registry.models import MARKER_IDS, Camera, Facility, Room
from custodywatch.video.coverage_jobs import coverage_work_for_cameras
from custodywatch.video.models import CoverageIncident, MarkerSighting
from custodywatch.video.services import (
    IngestResult,
    _audit_batch,
    _camera_ids,
    _Errors,
    _refuse,
    _time,
    _writable_facility,
)
from custodywatch.video.timing import from_ms, to_ms

# Reports of one camera and marker this close are one sighting (the gap between segments).
MARKER_BRIDGE_MS = 10_000


def _agent_facility(*, acting_user: User, origin: Origin, token: MachineToken | None,
                    facility_code: str) -> Facility:
    """Sightings come from the facility's edge agent only, never from a person."""
    facility_id = token.facility_id if token is not None else None
    is_agent = has_capability(acting_user, Capability.WRITE_VIDEO) and (
        facility_id or acting_user.facility_id) is not None
    if not is_agent:
        _refuse(acting_user, origin, facility_code or "-")
    return _writable_facility(acting_user=acting_user, origin=origin, token=token,
                              facility_code=facility_code)


def _parse(facility: Facility, items: Sequence[Mapping[str, Any]], latest_ms: int,
           earliest_ms: int) -> list[tuple[int, int, int, int, float]]:
    """``(camera id, marker, first ms, last ms, seen)`` per item; every error named."""
    errors = _Errors()
    camera_ids = _camera_ids(facility, items, errors)
    parsed: list[tuple[int, int, int, int, float]] = []
    for index, item in enumerate(items):
        marker = item.get("marker")
        if type(marker) is not int or not 0 <= marker < MARKER_IDS:
            errors.add(index, "marker", _("A marker id from 0 to %(last)d (AprilTag 36h11).")
                       % {"last": MARKER_IDS - 1})
            marker = None
        seen = item.get("seen")
        if isinstance(seen, bool) or not isinstance(seen, int | float) or not 0 <= seen <= 1:
            errors.add(index, "seen", _("A share of frames from 0 to 1."))
            seen = None
        first = _time(item, index, "first", errors, latest_ms, earliest_ms)
        last = _time(item, index, "last", errors, latest_ms, earliest_ms)
        if first is not None and last is not None and last < first:
            errors.add(index, "last", _("Must not be before first."))
            continue
        camera_id = camera_ids[index]
        if (camera_id is not None and marker is not None and seen is not None
                and first is not None and last is not None):
            parsed.append((camera_id, marker, first, last, float(seen)))
    errors.raise_if_any()
    return parsed


def _join(intervals: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    """Intervals less than the bridge apart joined; the lowest share of frames kept."""
    joined: list[tuple[int, int, float]] = []
    for start, end, seen in sorted(intervals):
        if joined and start - joined[-1][1] <= MARKER_BRIDGE_MS:
            first, last, low = joined[-1]
            joined[-1] = (first, max(last, end), min(low, seen))
        else:
            joined.append((start, end, seen))
    return joined


def marker_sightings_ingest(
    *,
    acting_user: User,
    origin: Origin,
    token: MachineToken | None,
    items: Sequence[Mapping[str, Any]],
    facility_code: str = "",
    now: dt.datetime | None = None,
) -> IngestResult:
    """``{camera, marker, first, last, seen}`` per item; all or nothing."""
    facility = _agent_facility(acting_user=acting_user, origin=origin, token=token,
                               facility_code=facility_code)
    now = now or timezone.now()
    with transaction.atomic():
        # Video events: since the system's start date, not in the future (core/plausible.py).
        earliest_ms, latest_ms = plausible.epoch_ms_window(plausible.Kind.EVENT, now)
        parsed = _parse(facility, items, latest_ms, earliest_ms)
        incoming: dict[tuple[int, int], list[tuple[int, int, float]]] = defaultdict(list)
        for camera_id, marker, first, last, seen in parsed:
            incoming[(camera_id, marker)].append((first, last, seen))
        created = deleted = 0
        windows: dict[int, tuple[int, int]] = {}
        for (camera_id, marker), intervals in incoming.items():
            low = min(s for s, _e, _v in intervals) - MARKER_BRIDGE_MS
            high = max(e for _s, e, _v in intervals) + MARKER_BRIDGE_MS
            stored = list(MarkerSighting.objects.select_for_update().filter(
                camera_id=camera_id, marker_id=marker, started_at__lte=from_ms(high),
                ended_at__gte=from_ms(low)))
            old = {(to_ms(row.started_at), to_ms(row.ended_at), row.seen) for row in stored}
            joined = _join([*old, *intervals])
            if set(joined) == old:
                continue  # a replay: nothing new
            MarkerSighting.objects.filter(pk__in=[row.pk for row in stored]).delete()
            MarkerSighting.objects.bulk_create(
                MarkerSighting(camera_id=camera_id, marker_id=marker, started_at=from_ms(s),
                               ended_at=from_ms(e), seen=v) for s, e, v in joined)
            created, deleted = created + len(joined), deleted + len(stored)
            w_low, w_high = windows.get(camera_id, (low, high))
            windows[camera_id] = (min(w_low, low), max(w_high, high))
        # Proof changed: the stored blind time of these cameras' rooms is recomputed.
        coverage_work_for_cameras(windows=windows, now=now)
        foreign = foreign_markers_open(facility=facility, sightings=parsed, now=now)
        result = IngestResult(accepted=len(items), created=created, deleted=deleted,
                              updated=foreign)
        _audit_batch(acting_user=acting_user, origin=origin, facility=facility,
                     kind="marker_sightings", result=result)
    if foreign:
        from custodywatch.video.incidents import incidents_mail

        transaction.on_commit(lambda: incidents_mail(now=timezone.now()))
    return result


def foreign_markers_open(*, facility: Facility,
                         sightings: Sequence[tuple[int, int, int, int, float]],
                         now: dt.datetime) -> int:
    """Open a ``foreign_marker`` incident for each camera seen showing a marker its approved
    map does not give it (an unknown id too); returns how many were opened."""
    if not sightings:
        return 0
    rooms_by_marker = {room.marker_id: room for room in
                       Room.objects.filter(facility=facility, marker_id__isnull=False)}
    camera_ids = {camera_id for camera_id, *_rest in sightings}
    mapped = set(Camera.rooms.through.objects.filter(camera_id__in=camera_ids)
                 .values_list("camera_id", "room_id"))
    first_seen: dict[tuple[int, int], int] = {}
    for camera_id, marker, first, _last, _seen in sightings:
        room = rooms_by_marker.get(marker)
        if room is not None and (camera_id, room.pk) in mapped:
            continue
        key = (camera_id, marker)
        first_seen[key] = min(first, first_seen.get(key, first))
    opened = 0
    for (camera_id, marker), first in sorted(first_seen.items()):
        room = rooms_by_marker.get(marker)
        open_ = CoverageIncident.objects.filter(
            kind=CoverageIncident.Kind.FOREIGN_MARKER, camera_id=camera_id,
            closed_at__isnull=True)
        open_ = (open_.filter(room=room) if room is not None
                 else open_.filter(room__isnull=True, marker_id=marker))
        if open_.exists():
            continue
        CoverageIncident.objects.create(
            facility=facility, kind=CoverageIncident.Kind.FOREIGN_MARKER, camera_id=camera_id,
            room=room, marker_id=marker, started_at=from_ms(first), raised_at=now)
        opened += 1
    return opened
