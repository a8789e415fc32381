"""Blind time of room stays, from the stored spans, through the coverage kernel.

A moment is covered when a camera covering the room was recording (a recording run) *and*
its picture was ``ok`` (a state span): a working recording. Time with no report at all is
not covered (PRODUCT: treat unknown health as not covered).

Which cameras cover a room is the coverage rule (``CUSTODYWATCH_COVERAGE_RULE``): under
``proven`` a camera of the approved map covers a room only while its picture also shows the
room's printed marker (a ``MarkerSighting``), evidence the facility cannot declare into
being; under ``declared`` (the roll-out fallback) the approved map alone. Every figure shown
says which rule it rests on (:func:`coverage_rule`).

These reads are not scoped: callers (custody pages, reports) pass stays they have already
read through their own scoped selectors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from custodywatch.kernels.coverage import (
    IntArray,
    blind_intervals,
    expand_to_rooms,
    intersect_by_room,
)
from custodywatch.registry.models import Camera, Room
from custodywatch.video.models import CameraState, CameraStateSpan, MarkerSighting, RecordingRun
from custodywatch.video.timing import from_ms, to_ms

CHUNK = 500  # ids per IN (...) list: inside SQLite's and PostgreSQL's comfortable limits

Stay = tuple[int, int, dt.datetime, dt.datetime | None]  # (stay id, room id, start, end)
MARKER_KEY = 1024  # (camera, marker) as one int64 key: camera * 1024 + marker (ids < 587)


class CoverageRule(models.TextChoices):
    PROVEN = "proven", _("proven by room markers")
    DECLARED = "declared", _("declared camera map (roll-out fallback)")


def coverage_rule() -> CoverageRule:
    """The rule every coverage figure is computed by now (settings; unknown -> proven)."""
    value = getattr(settings, "CUSTODYWATCH_COVERAGE_RULE", CoverageRule.DECLARED)
    return CoverageRule.DECLARED if value == CoverageRule.DECLARED else CoverageRule.PROVEN


def marker_fresh() -> dt.timedelta:
    """A sighting that ended this recently proves its room now."""
    return dt.timedelta(seconds=int(getattr(settings, "CUSTODYWATCH_MARKER_FRESH_SECONDS", 600)))


@dataclass(frozen=True)
class StayCoverage:
    stay_id: int
    room_id: int
    started_at: dt.datetime
    ended_at: dt.datetime
    blind_ms: int
    blind: list[tuple[dt.datetime, dt.datetime]]  # the blind pieces, in time order

    @property
    def blind_seconds(self) -> float:
        return self.blind_ms / 1000

    @property
    def blind_share(self) -> float:
        total = (self.ended_at - self.started_at) / dt.timedelta(milliseconds=1)
        return self.blind_ms / total if total else 0.0


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _arrays(rows: list[tuple[int, dt.datetime, dt.datetime]]) -> tuple[IntArray, ...]:
    keys = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    starts = np.fromiter((to_ms(r[1]) for r in rows), dtype=np.int64, count=len(rows))
    ends = np.fromiter((to_ms(r[2]) for r in rows), dtype=np.int64, count=len(rows))
    return keys, starts, ends


def working_recordings(
    *, cameras: Q, start: dt.datetime, end: dt.datetime
) -> tuple[IntArray, IntArray, IntArray]:
    """``(camera id, start ms, end ms)``: when each camera matching ``cameras`` (a filter on
    Camera) was recording a working picture within ``[start, end)``."""
    window = Q(started_at__lt=end, ended_at__gt=start)
    chosen = Camera.objects.filter(cameras).values("pk")
    ok = list(CameraStateSpan.objects.filter(window, camera__in=chosen, state=CameraState.OK)
              .values_list("camera_id", "started_at", "ended_at"))
    runs = list(RecordingRun.objects.filter(window, camera__in=chosen)
                .values_list("camera_id", "started_at", "ended_at"))
    return intersect_by_room(*_arrays(runs), *_arrays(ok))


def _proving(cameras: IntArray, starts: IntArray, ends: IntArray,
             pairs: list[tuple[int, int]], start: dt.datetime, end: dt.datetime
             ) -> tuple[IntArray, IntArray, IntArray]:
    """Working recordings narrowed to the time each camera's picture showed each room's
    marker: ``(room, start ms, end ms)``. Rooms without a marker are never proven."""
    markers = {pk: marker for pk, marker in Room.objects.filter(
        pk__in={room for _c, room in pairs}, marker_id__isnull=False).values_list("pk", "marker_id")
        if marker is not None}  # all of them (the filter): for the type checker
    proven_pairs = [(c, r, markers[r]) for c, r in pairs if r in markers]
    if not proven_pairs:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    keys = np.array([c * MARKER_KEY + m for c, _r, m in proven_pairs], dtype=np.int64)
    rooms = np.array([r for _c, r, _m in proven_pairs], dtype=np.int64)
    rows: list[tuple[int, dt.datetime, dt.datetime]] = []
    camera_ids = sorted({c for c, _r, _m in proven_pairs})
    for chunk in _chunks(camera_ids):
        rows += [(camera_id * MARKER_KEY + marker, first, last) for camera_id, marker, first, last
                 in MarkerSighting.objects.filter(camera_id__in=chunk, started_at__lt=end,
                                                  ended_at__gt=start)
                 .values_list("camera_id", "marker_id", "started_at", "ended_at")]
    by_key = expand_to_rooms(cameras, starts, ends,
                             np.array([c for c, _r, _m in proven_pairs], dtype=np.int64), keys)
    seen_keys, seen_starts, seen_ends = intersect_by_room(*by_key, *_arrays(rows))
    return expand_to_rooms(seen_keys, seen_starts, seen_ends, keys, rooms)


def stay_coverage(*, stays: Sequence[Stay], now: dt.datetime | None = None,
                  rule: CoverageRule | None = None) -> list[StayCoverage]:
    """Blind time of each stay, in the order given. An ongoing stay (end None) runs to now.

    Every camera that covers the room counts, in service or not: what it recorded then is
    a fact whatever became of the camera later. Under the proven rule (the default:
    :func:`coverage_rule`) only while it also showed the room's marker.
    """
    rule = rule or coverage_rule()
    if not stays:
        return []
    now = now or timezone.now()
    ends = [end if end is not None else max(now, start) for _i, _r, start, end in stays]
    room_ids = sorted({room_id for _i, room_id, _s, _e in stays})
    pairs: list[tuple[int, int]] = []
    for chunk in _chunks(room_ids):
        pairs += list(Camera.rooms.through.objects.filter(room_id__in=chunk)
                      .values_list("camera_id", "room_id"))
    camera_ids = sorted({camera_id for camera_id, _room in pairs})
    window_start = min(start for _i, _r, start, _e in stays)
    window_end = max(ends)
    parts = [working_recordings(cameras=Q(pk__in=chunk), start=window_start, end=window_end)
             for chunk in _chunks(camera_ids)]
    cameras = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    cover_starts = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
    cover_ends = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, np.int64)
    if rule == CoverageRule.PROVEN:
        rooms, starts, ends_ms = _proving(cameras, cover_starts, cover_ends, pairs,
                                          window_start, window_end)
    else:
        rooms, starts, ends_ms = expand_to_rooms(
            cameras, cover_starts, cover_ends,
            np.array([c for c, _r in pairs], dtype=np.int64),
            np.array([r for _c, r in pairs], dtype=np.int64),
        )
    stay_rooms = np.array([room_id for _i, room_id, _s, _e in stays], dtype=np.int64)
    stay_starts = np.array([to_ms(start) for _i, _r, start, _e in stays], dtype=np.int64)
    stay_ends = np.array([to_ms(end) for end in ends], dtype=np.int64)
    index, blind_starts, blind_ends = blind_intervals(
        stay_rooms, stay_starts, stay_ends, rooms, starts, ends_ms)
    pieces: list[list[tuple[dt.datetime, dt.datetime]]] = [[] for _ in stays]
    for i, s, e in zip(index.tolist(), blind_starts.tolist(), blind_ends.tolist(), strict=True):
        pieces[i].append((from_ms(s), from_ms(e)))
    blind = np.zeros(len(stays), dtype=np.int64)
    np.add.at(blind, index, blind_ends - blind_starts)
    return [
        StayCoverage(stay_id=stay_id, room_id=room_id, started_at=start, ended_at=ends[i],
                     blind_ms=int(blind[i]), blind=pieces[i])
        for i, (stay_id, room_id, start, _end) in enumerate(stays)
    ]
