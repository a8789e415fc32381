"""The video side of a facility's camera map (registry/camera_changes.py), which the registry,
below video, does not import: registered with it in VideoConfig.ready.

- ``blind_rooms``: the custody rooms a map (the approved one, or one proposed) leaves blind
  under the coverage rule, and the rooms each camera proves by their markers now;
- ``queue_coverage``: on an approved change (``registry.signals.camera_map_changed``, sent in
  the approval's transaction) the coverage work of the rooms it touched, so that the stays of
  the last day get the new map's figures;
- ``cameras_page_panel``: the coverage rule and the open coverage incidents on the facility's
  cameras page (registry/sections.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.template.loader import render_to_string

from custodywatch.registry.models import Camera, Facility, Room
from custodywatch.video.coverage import CoverageRule, coverage_rule, marker_fresh
from custodywatch.video.coverage_jobs import coverage_work_queue
from custodywatch.video.incidents import open_incidents
from custodywatch.video.models import CameraState, MarkerSighting
from custodywatch.video.timing import silence_after, to_ms

# Coverage work queued on approval: the stays of the last day get the new map's figures.
RECOMPUTE_BACK = dt.timedelta(days=1)


def blind_rooms(facility: Facility, now: dt.datetime, override: tuple[int, bool, set[int]]
                | None = None) -> tuple[set[int], dict[int, set[int]]]:
    """Custody rooms of the facility blind now under the coverage rule, as the video
    figures count them; ``override`` = (camera id, in service, room ids) as if approved.
    Also returns, per camera, the rooms whose marker it shows now (working picture)."""
    cameras: dict[int, tuple[bool, set[int]]] = {camera_id: (active, set()) for camera_id, active in
               Camera.objects.filter(facility=facility).values_list("pk", "is_active")}
    for camera_id, room_id in Camera.rooms.through.objects.filter(
            camera__facility=facility).values_list("camera_id", "room_id"):
        cameras[camera_id][1].add(room_id)
    if override is not None:
        cameras[override[0]] = (override[1], set(override[2]))
    working = set(Camera.objects.filter(
        facility=facility, health__reported_state=CameraState.OK,
        health__last_heartbeat_at__gte=now - silence_after()).values_list("pk", flat=True))
    rooms = dict(Room.objects.filter(facility=facility, custody_use=True)
                 .values_list("pk", "marker_id"))
    by_marker = {marker: room for room, marker in rooms.items() if marker is not None}
    proving: dict[int, set[int]] = {}
    for camera_id, marker in MarkerSighting.objects.filter(
            camera__facility=facility, camera_id__in=working,
            ended_at__gte=now - marker_fresh()).values_list("camera_id", "marker_id"):
        if marker in by_marker:
            proving.setdefault(camera_id, set()).add(by_marker[marker])
    proven = coverage_rule() == CoverageRule.PROVEN
    covered: set[int] = set()
    for camera_id, (active, room_ids) in cameras.items():
        if not active or camera_id not in working:
            continue
        covered |= (room_ids & proving.get(camera_id, set())) if proven else room_ids
    return set(rooms) - covered, proving


def queue_coverage(*, facility: Facility, room_ids: list[int], now: dt.datetime,
                   **_kwargs: Any) -> None:
    """Receiver of ``camera_map_changed``: in the caller's transaction."""
    start = to_ms(now - RECOMPUTE_BACK)
    coverage_work_queue(rows=[(room_id, start, to_ms(now)) for room_id in room_ids], now=now)


def cameras_page_panel(request: HttpRequest, facility: Facility) -> str:
    return render_to_string("video/cameras_page_panel.html", {
        "coverage_rule": coverage_rule().label,
        "incidents": open_incidents(facilities=Q(pk=facility.pk)),
    }, request=request)


def register() -> None:
    from custodywatch.registry.camera_changes import register_blind_rooms
    from custodywatch.registry.sections import register_camera_page_section
    from custodywatch.registry.signals import camera_map_changed

    register_blind_rooms(blind_rooms)
    camera_map_changed.connect(queue_coverage, dispatch_uid="video.camera_map.queue_coverage")
    register_camera_page_section(cameras_page_panel)
