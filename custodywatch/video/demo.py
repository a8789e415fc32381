"""Synthetic camera health and recordings for the demo dataset.

At the demo's "now" about 937 of 20,000 cameras are out of order (the audit's figure), and
broken cameras are chosen so that custody rooms left blind approach 6,159 (6,159 / 30,000 of
custody rooms at other scales). The registry demo already leaves some custody rooms with
no camera at all; those count first, and no camera is broken to blind a room beyond the
target. History covers a year, so custody stays of the demo year have coverage to check.

``demo_tick`` plays the edge agents of the demo: call it every half minute or so while
serving, or every working camera goes silent two minutes after loading. One facility has a
real agent instead (custodywatch/demo/edge_agent.py), on rendered footage.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.models import Count, Q

from custodywatch.kernels.coverage import blind_intervals
from custodywatch.ledger.appends import ledger_append_many
from custodywatch.ledger.models import LeafKind
from custodywatch.registry.models import Camera, Room
from custodywatch.video.bulk import connection_for, insert_rows, time_adapter
from custodywatch.video.models import (
    CameraHealth,
    CameraState,
    CameraStateSpan,
    MarkerSighting,
    RecordingRun,
    RecordingSegment,
    SignalStatus,
    SpanSource,
)
from custodywatch.video.services import segment_leaf_fields
from custodywatch.video.timing import from_ms, silence_after, to_ms

Progress = Callable[[int], None]

NATIONAL_CAMERAS = 20_000
NATIONAL_CUSTODY_ROOMS = 30_000
OUT_OF_ORDER = 937  # cameras out of order in the audit
BLIND_ROOMS = 6_159  # premises with no video in the audit
HISTORY_DAYS = 365
FAULTS_PER_CAMERA_DAY = 1 / 30
RECORDING_GAPS_PER_CAMERA_DAY = 1 / 20
# Segment files with their hashes (and ledger leaves) for the most recent recording only:
# a year of 10-minute files for 20,000 cameras would be 10^9 rows; the last half hour shows
# the evidence trail at 60,000 rows.
SEGMENT_MINUTES = 10
SEGMENTS_PER_CAMERA = 3
CHUNK = 5000
DAY_MS = 86_400_000
MINUTE_MS = 60_000

# How cameras fail, and how often (no_signal most: cables, power, a smashed recorder).
FAULT_MIX = [(CameraState.NO_SIGNAL, 0.40), (CameraState.BLACK, 0.12),
             (CameraState.FROZEN, 0.10), (CameraState.COVERED, 0.12),
             (CameraState.BLURRED, 0.11), (CameraState.MOVED, 0.15)]


@dataclass(frozen=True)
class VideoDemoSummary:
    cameras: int
    out_of_order: int
    blind_rooms_target: int
    rooms_without_camera: int
    blind_rooms: int
    state_spans: int
    recording_runs: int
    recording_segments: int = 0


def _fault(rng: random.Random) -> str:
    return rng.choices([s for s, _w in FAULT_MIX], weights=[w for _s, w in FAULT_MIX])[0]


def choose_broken(
    *, rooms_of_camera: dict[int, list[int]], cameras_of_room: dict[int, int], target_cameras: int,
    target_blind: int, rng: random.Random,
) -> tuple[set[int], int]:
    """Cameras to break now and the custody rooms then blind.

    ``cameras_of_room`` counts the working cameras of every custody room (0 for none).
    First cameras that are a room's last working one, until the blind target is reached;
    then cameras whose rooms all keep another working camera, so the figure stays put.
    """
    working = dict(cameras_of_room)
    blind = sum(1 for n in working.values() if n == 0)
    order = sorted(rooms_of_camera)
    rng.shuffle(order)
    broken: set[int] = set()

    def take(camera: int) -> None:
        nonlocal blind
        broken.add(camera)
        for room in rooms_of_camera[camera]:
            working[room] -= 1
            blind += working[room] == 0

    for camera in order:
        if len(broken) >= target_cameras or blind >= target_blind:
            break
        newly = sum(1 for room in rooms_of_camera[camera] if working[room] == 1)
        if newly and blind + newly <= target_blind:
            take(camera)
    for harmless in (True, False):  # harmless ones first; others only if there are too few
        for camera in order:
            if len(broken) >= target_cameras:
                break
            if camera in broken:
                continue
            if not harmless or all(working[room] >= 2 for room in rooms_of_camera[camera]):
                take(camera)
    return broken, blind


def _faults(rng: random.Random, start_ms: int, end_ms: int) -> list[tuple[int, int, str]]:
    """Past faults of one camera: non-overlapping, minutes to days long."""
    count = np.random.default_rng(rng.getrandbits(32)).poisson(
        FAULTS_PER_CAMERA_DAY * (end_ms - start_ms) / DAY_MS)
    faults: list[tuple[int, int, str]] = []
    for s in sorted(rng.randrange(start_ms, end_ms) for _ in range(count)):
        length = int(MINUTE_MS * 10 ** rng.uniform(0.5, 3.8))  # ~3 minutes to ~4 days
        if faults and s <= faults[-1][1]:
            continue
        faults.append((s, min(s + length, end_ms), _fault(rng)))
    return faults


def build_video(*, scale_name: str, rng: random.Random, now: dt.datetime,
                progress: Progress = lambda n: None) -> VideoDemoSummary:
    """Health, state spans and recording runs for every camera in service. ``scale_name``
    only labels the run; the figures scale with the registry actually loaded."""
    del scale_name  # the registry already has the scale's size
    now_ms = to_ms(now)
    start_ms = now_ms - HISTORY_DAYS * DAY_MS
    cameras = list(Camera.objects.filter(is_active=True).values_list("pk", flat=True))
    rooms_of_camera: dict[int, list[int]] = {c: [] for c in cameras}
    for camera_id, room_id in Camera.rooms.through.objects.filter(
        camera__is_active=True, room__custody_use=True
    ).values_list("camera_id", "room_id"):
        rooms_of_camera[camera_id].append(room_id)
    cameras_of_room = dict(Room.objects.filter(custody_use=True).annotate(
        n=Count("cameras", filter=Q(cameras__is_active=True))).values_list("pk", "n"))
    custody_rooms = len(cameras_of_room)
    target_cameras = round(OUT_OF_ORDER * len(cameras) / NATIONAL_CAMERAS)
    target_blind = round(BLIND_ROOMS * custody_rooms / NATIONAL_CUSTODY_ROOMS)
    without = sum(1 for n in cameras_of_room.values() if n == 0)
    broken, blind = choose_broken(rooms_of_camera=rooms_of_camera,
                                  cameras_of_room=cameras_of_room,
                                  target_cameras=target_cameras, target_blind=target_blind,
                                  rng=rng)

    spans: list[CameraStateSpan] = []
    healths: list[CameraHealth] = []
    recording_holes: list[tuple[int, int, int]] = []  # (camera, start, end) not recorded
    silences: dict[int, int] = {}  # camera -> index in spans of its open silence
    for camera_id in cameras:
        faults = _faults(rng, start_ms, now_ms - DAY_MS)
        state_since_ms = faults[-1][1] if faults else start_ms
        state = CameraState.OK.value
        if camera_id in broken:
            since = now_ms - int(MINUTE_MS * 10 ** rng.uniform(1.5, 4.9))  # ~30 min to ~55 d
            faults = [f for f in faults if f[1] < since]
            state = _fault(rng)
            faults.append((since, now_ms, state))
            state_since_ms = since
        t = start_ms
        for s, e, fault in faults:
            if s > t:
                spans.append(CameraStateSpan(camera_id=camera_id, state=CameraState.OK,
                                             started_at=from_ms(t), ended_at=from_ms(s)))
            source = SpanSource.AGENT
            if fault == CameraState.NO_SIGNAL:
                source = SpanSource.SWEEP  # silence is what the centre infers, not a report
                recording_holes.append((camera_id, s, e))
            if e == now_ms and fault == CameraState.NO_SIGNAL:
                silences[camera_id] = len(spans)
            spans.append(CameraStateSpan(camera_id=camera_id, state=fault, source=source,
                                         started_at=from_ms(s), ended_at=from_ms(e)))
            t = e
        if t < now_ms:
            spans.append(CameraStateSpan(camera_id=camera_id, state=CameraState.OK,
                                         started_at=from_ms(t), ended_at=from_ms(now_ms)))
        gaps = np.random.default_rng(rng.getrandbits(32)).poisson(
            RECORDING_GAPS_PER_CAMERA_DAY * HISTORY_DAYS)
        for _ in range(gaps):
            s = rng.randrange(start_ms, now_ms)
            recording_holes.append((camera_id, s, min(s + int(MINUTE_MS * 10 ** rng.uniform(
                0.7, 2.3)), now_ms)))
        silent = camera_id in silences
        last_beat = from_ms(state_since_ms if silent else now_ms)
        healths.append(CameraHealth(
            camera_id=camera_id, last_heartbeat_at=last_beat,
            reported_state=CameraState.OK if silent else state,
            state_since=from_ms(state_since_ms), silent_after=last_beat + silence_after(),
            status=SignalStatus.SILENT if silent else SignalStatus.LIVE))

    runs = _recording_runs(cameras, recording_holes, start_ms, now_ms)
    with transaction.atomic():
        for start in range(0, len(spans), CHUNK):
            CameraStateSpan.objects.bulk_create(spans[start : start + CHUNK])
            progress(len(spans[start : start + CHUNK]))
        for start in range(0, len(runs), CHUNK):
            RecordingRun.objects.bulk_create(runs[start : start + CHUNK])
            progress(len(runs[start : start + CHUNK]))
        open_silence = {camera_id: spans[i] for camera_id, i in silences.items()}
        for health in healths:
            silence = open_silence.get(health.camera_id)
            if silence is not None and silence.pk is not None:
                health.silence_span = silence
        for start in range(0, len(healths), CHUNK):
            CameraHealth.objects.bulk_create(healths[start : start + CHUNK])
            progress(len(healths[start : start + CHUNK]))
        segments = _recent_segments(runs, now_ms, rng)
        progress(segments)
    return VideoDemoSummary(cameras=len(cameras), out_of_order=len(broken),
                            blind_rooms_target=target_blind, rooms_without_camera=without,
                            blind_rooms=blind, state_spans=len(spans), recording_runs=len(runs),
                            recording_segments=segments)


def _recent_segments(runs: list[RecordingRun], now_ms: int, rng: random.Random) -> int:
    """The last few segment files of every camera still recording, with their SHA-256 and a
    ledger leaf each, as an agent would report them (services.recording_spans_ingest)."""
    length = SEGMENT_MINUTES * MINUTE_MS
    codes = dict(Camera.objects.values_list("pk", "code"))
    facility_of = dict(Camera.objects.values_list("pk", "facility__code"))
    rows, leaves = [], []
    for run in runs:
        end_ms = to_ms(run.ended_at)
        if end_ms != now_ms:
            continue
        first = max(to_ms(run.started_at), now_ms - SEGMENTS_PER_CAMERA * length)
        for start in range(now_ms - length, first - 1, -length):
            digest = f"{rng.getrandbits(256):064x}"
            rows.append((run.camera_id, start, start + length, digest))
            leaves.append((LeafKind.RECORDING_SEGMENT, segment_leaf_fields(
                facility=facility_of[run.camera_id], camera=codes[run.camera_id],
                start_ms=start, end_ms=start + length, sha256=digest)))
    adapt = time_adapter(connection_for(RecordingSegment))
    received = adapt(now_ms)
    for first in range(0, len(rows), CHUNK):
        insert_rows(RecordingSegment, ["camera", "started_at", "ended_at", "sha256",
                                       "received_at"],
                    [(camera, adapt(s), adapt(e), digest, received)
                     for camera, s, e, digest in rows[first: first + CHUNK]])
        ledger_append_many(entries=leaves[first: first + CHUNK])
    return len(rows)


def _recording_runs(cameras: list[int], holes: list[tuple[int, int, int]], start_ms: int,
                    now_ms: int) -> list[RecordingRun]:
    """The year of each camera minus its holes, by the coverage kernel."""
    ids = np.array(cameras, dtype=np.int64)
    index, starts, ends = blind_intervals(
        ids, np.full(len(ids), start_ms, dtype=np.int64), np.full(len(ids), now_ms,
                                                                   dtype=np.int64),
        np.array([h[0] for h in holes], dtype=np.int64),
        np.array([h[1] for h in holes], dtype=np.int64),
        np.array([h[2] for h in holes], dtype=np.int64))
    return [RecordingRun(camera_id=int(ids[i]), started_at=from_ms(s), ended_at=from_ms(e))
            for i, s, e in zip(index.tolist(), starts.tolist(), ends.tolist(), strict=True)]


def demo_tick(*, now: dt.datetime, real_agent_cameras: Sequence[int] = ()) -> int:
    """Play the edge agents of the demo: cameras still live beat again, and their latest
    state span and recording run reach ``now``. Returns the cameras that beat.

    ``real_agent_cameras`` (ids) have a real agent (``custodywatch demo`` runs one on
    rendered footage): it reports their heartbeats and states; only their recorder is
    played here (the recording runs go on, whatever the picture shows)."""
    with transaction.atomic():
        live = CameraHealth.objects.filter(status=SignalStatus.LIVE)
        if real_agent_cameras:
            live = live.exclude(camera_id__in=real_agent_cameras)
        last_beats = set(live.values_list("last_heartbeat_at", flat=True).distinct()[:2])
        if len(last_beats) != 1:
            return 0  # not the demo's lock-step data: leave real agents' data alone
        previous = last_beats.pop()
        if previous >= now:
            return 0
        cameras = live.values("camera_id")
        CameraStateSpan.objects.filter(camera__in=cameras, ended_at=previous,
                                       source=SpanSource.AGENT).update(ended_at=now)
        recorded = Q(camera__in=cameras)
        if real_agent_cameras:
            recorded |= Q(camera_id__in=real_agent_cameras)
        RecordingRun.objects.filter(recorded, ended_at=previous).update(ended_at=now)
        # The played agents still see their rooms' markers (demo/coverage.py).
        MarkerSighting.objects.filter(camera__in=cameras, ended_at=previous).update(ended_at=now)
        return live.update(last_heartbeat_at=now, silent_after=now + silence_after())

