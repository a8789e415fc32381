"""The demo's camera data: the audit's figures come out of the pages' own selectors."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone

from custodywatch.ledger.models import LeafKind, PendingLeaf
from custodywatch.video import demo, selectors
from custodywatch.video.models import (
    CameraHealth,
    CameraStateSpan,
    RecordingRun,
    RecordingSegment,
)
from custodywatch.video.services import video_sweep


def test_choose_broken_reaches_the_blind_target_then_breaks_harmlessly():
    # Rooms 1-4 have one camera each, room 5 two, room 6 none.
    rooms_of_camera = {10: [1], 11: [2], 12: [3], 13: [4], 14: [5], 15: [5], 16: []}
    cameras_of_room = {1: 1, 2: 1, 3: 1, 4: 1, 5: 2, 6: 0}
    broken, blind = demo.choose_broken(rooms_of_camera=rooms_of_camera,
                                       cameras_of_room=cameras_of_room, target_cameras=4,
                                       target_blind=3, rng=random.Random(3))
    assert len(broken) == 4 and blind == 3
    assert len(broken & {10, 11, 12, 13}) == 2  # two rooms blinded, added to room 6
    assert len(broken & {14, 15, 16}) == 2  # the rest blind nothing more


@pytest.mark.django_db
def test_build_video_figures_match_the_selectors(people, monkeypatch):
    monkeypatch.setattr(demo, "OUT_OF_ORDER", 10_000)  # 2 of 4 cameras at this tiny scale
    now = timezone.now().replace(microsecond=0)
    summary = demo.build_video(scale_name="small", rng=random.Random(5), now=now)
    assert summary.cameras == 4 and summary.out_of_order == 2
    totals = selectors.video_totals(user=people["gpo"], now=now)
    assert totals.out_of_order == summary.out_of_order
    assert totals.blind_rooms == summary.blind_rooms
    assert totals.never_covered == summary.rooms_without_camera == 2
    assert CameraHealth.objects.count() == 4
    assert CameraStateSpan.objects.filter(started_at__lt=now - dt.timedelta(days=300)).exists()
    assert RecordingRun.objects.count() >= 4
    # The last half hour of every recording camera comes as hashed segments, each logged.
    recording_now = RecordingRun.objects.filter(ended_at=now).count()
    assert summary.recording_segments == RecordingSegment.objects.count()
    assert 0 < summary.recording_segments <= recording_now * demo.SEGMENTS_PER_CAMERA
    assert PendingLeaf.objects.filter(kind=LeafKind.RECORDING_SEGMENT).count() == \
        summary.recording_segments
    assert not RecordingSegment.objects.filter(ended_at__gt=now).exists()
    # Minutes later the demo's agents have beaten again; nothing new went silent.
    later = now + dt.timedelta(minutes=5)
    assert demo.demo_tick(now=later) == CameraHealth.objects.filter(status="live").count()
    assert video_sweep(now=later).newly_silent == 0
    assert selectors.video_totals(user=people["gpo"], now=later).out_of_order == 2
    assert not CameraStateSpan.objects.filter(ended_at__gt=later).exists()
