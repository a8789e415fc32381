"""The custody record shows the minutes no working camera covered (custody x video)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from custodywatch.registry.models import Camera
from custodywatch.video.models import CameraState, CameraStateSpan, RecordingRun

pytestmark = pytest.mark.django_db


def recorded(camera: Camera, start: dt.datetime, end: dt.datetime) -> None:
    """The camera recorded a fine picture over [start, end)."""
    CameraStateSpan.objects.create(camera=camera, state=CameraState.OK, started_at=start,
                                   ended_at=end)
    RecordingRun.objects.create(camera=camera, started_at=start, ended_at=end)


def test_record_page_marks_the_minutes_without_a_working_camera(signed_in, people, record_a):
    stay = record_a.stays.get()
    camera = Camera.objects.get(facility=record_a.facility, code="CAM1")  # covers R1
    recorded(camera, stay.started_at, stay.started_at + dt.timedelta(minutes=40))
    response = signed_in(people["duty_a"]).get(reverse("custody:record", args=[record_a.pk]))
    assert response.status_code == 200
    # The stay began an hour ago and is still going on: its last ~20 minutes are blind.
    assert 19 <= response.context["blind_minutes"] <= 21
    assert response.context["blind_stays"] == 1
    blind_lane = response.context["timeline"].lanes[-1]
    assert len(blind_lane.bars) == 1 and blind_lane.bars[0].css == "tl-blind"
    assert b'data-testid="blind-minutes"' in response.content


def test_fully_recorded_custody_has_no_blind_minutes(signed_in, people, record_a):
    stay = record_a.stays.get()
    camera = Camera.objects.get(facility=record_a.facility, code="CAM1")
    recorded(camera, stay.started_at - dt.timedelta(minutes=5),
             stay.started_at + dt.timedelta(hours=3))
    response = signed_in(people["duty_a"]).get(reverse("custody:record", args=[record_a.pk]))
    assert response.context["blind_minutes"] == 0
    assert response.context["timeline"].lanes[-1].bars == []


def test_a_room_no_camera_covers_is_blind_throughout(signed_in, people, record_a):
    stay = record_a.stays.get()
    Camera.objects.filter(rooms=stay.room).delete()
    response = signed_in(people["duty_a"]).get(reverse("custody:record", args=[record_a.pk]))
    assert 59 <= response.context["blind_minutes"] <= 61
