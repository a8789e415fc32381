"""The record's footage page: minutes escrowed, held locally only, lost; scoped as the record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from custodywatch.custody.models import RoomStay
from custodywatch.escrow.models import EscrowObject, EscrowState
from custodywatch.kernels.footage_minutes import footage_split
from custodywatch.registry.models import Camera
from custodywatch.video.models import RecordingSegment
from tests.conftest import sign_in
from tests.custody.conftest import make_record

MINUTE = 60_000


def test_footage_split_counts_each_moment_once():
    period = (0, 10 * MINUTE)
    escrowed = [(0, 3 * MINUTE), (2 * MINUTE, 4 * MINUTE)]
    local = [(3 * MINUTE, 6 * MINUTE), (-MINUTE, MINUTE)]
    assert footage_split(period, escrowed, local) == (4 * MINUTE, 2 * MINUTE, 4 * MINUTE)
    assert footage_split(period, [], []) == (0, 0, 10 * MINUTE)


@pytest.mark.django_db
def test_the_page_shows_escrowed_local_and_lost_minutes_to_readers_in_scope(
        client, people, facility_a, facility_b):
    start = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=30)
    record = make_record(facility_a, people["duty_a"], detained_at=start - dt.timedelta(hours=1),
                         arrived_at=start - dt.timedelta(minutes=1))
    RoomStay.objects.filter(custody_record=record).update(
        started_at=start, ended_at=start + dt.timedelta(minutes=10))
    camera = Camera.objects.get(facility=facility_a, code="CAM1")  # covers R1
    segments = [RecordingSegment.objects.create(
        camera=camera, started_at=start + dt.timedelta(minutes=n),
        ended_at=start + dt.timedelta(minutes=n + 1), sha256=f"{n:064x}") for n in range(6)]
    for segment in segments[:4]:
        EscrowObject.objects.create(
            sha256=segment.sha256, segment=segment, facility=facility_a, camera=camera,
            started_at=segment.started_at, ended_at=segment.ended_at, state=EscrowState.STORED,
            stored_sha256="f" * 64, size=1, granted_at=timezone.now())
    url = reverse("escrow:record_footage", args=[record.pk])
    for name in ("duty_a", "prosecutor_a"):
        sign_in(client, people[name])
        page = client.get(url).content.decode()
        assert "4 min escrowed, 2 min held locally only, 4 min lost." in page
    sign_in(client, people["head_b"])
    assert client.get(url).status_code == 404
