"""What an agent says about itself and about cameras it cannot judge yet: a full disk (issue
18, item 2: a stored heartbeat flag, an alert, shown on the camera wall) and `unknown` while
it learns a camera's view (issue 19, item 6: stored, never covering a room)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from custodywatch.registry.models import Camera
from custodywatch.video.coverage import stay_coverage
from custodywatch.video.models import AgentDiskAlert, CameraHealth, CameraStateSpan
from custodywatch.video.selectors import custody_rooms_blind_now
from tests.video.conftest import T0, at

pytestmark = pytest.mark.django_db


def beat(camera: str, minute: float, **extra) -> dict:
    return {"camera": camera, "at": at(minute), "state": "ok", **extra}


def test_a_full_disk_is_stored_alerted_once_shown_and_cleared(
        post, token_a, facility_a, people, signed_in, django_capture_on_commit_callbacks):
    people["head_a"].email = "head@example.kz"
    people["head_a"].save()
    with django_capture_on_commit_callbacks(execute=True):
        response = post("heartbeats", {"items": [beat("CAM1", 0, disk_full=True),
                                                 beat("CAM2", 0, disk_full=True)]}, token_a)
    assert response.status_code == 200, response.content
    assert set(CameraHealth.objects.values_list("agent_disk_full", flat=True)) == {True}
    alert = AgentDiskAlert.objects.get(facility=facility_a, cleared_at__isnull=True)
    assert alert.raised_at == T0
    with django_capture_on_commit_callbacks(execute=True):
        post("heartbeats", {"items": [beat("CAM1", 1, disk_full=True)]}, token_a)
    assert AgentDiskAlert.objects.count() == 1  # one alert, not one per heartbeat
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["head@example.kz"]
    assert "FA-1" in mail.outbox[0].subject

    page = signed_in(people["prosecutor_a"]).get(f"/video/facilities/{facility_a.code}/")
    assert b'data-testid="agent-disk-full"' in page.content

    # A newer heartbeat without the flag clears it; a replayed older flagged one does not
    # raise it again.
    post("heartbeats", {"items": [beat("CAM1", 2)]}, token_a)
    alert.refresh_from_db()
    assert alert.cleared_at == T0 + dt.timedelta(minutes=2)
    assert not CameraHealth.objects.get(camera__code="CAM1").agent_disk_full
    post("heartbeats", {"items": [beat("CAM1", 1.5, disk_full=True)]}, token_a)
    assert not AgentDiskAlert.objects.filter(cleared_at__isnull=True).exists()
    page = signed_in(people["prosecutor_a"]).get(f"/video/facilities/{facility_a.code}/")
    assert b'data-testid="agent-disk-full"' not in page.content


def test_the_disk_flag_must_be_true_or_false(post, token_a, facility_a):
    response = post("heartbeats", {"items": [beat("CAM1", 0, disk_full="full")]}, token_a)
    assert response.status_code == 422
    assert "disk_full" in response.content.decode()
    assert not AgentDiskAlert.objects.exists() and not CameraHealth.objects.exists()


def test_unknown_is_stored_and_never_covers(post, token_a, facility_a):
    """A camera still learning its view reports `unknown`: stored as reported, counted as
    blind in a stay's coverage and in the rooms blind now."""
    items = [{"camera": "CAM1", "state": "unknown", "start": at(0), "end": at(1)},
             {"camera": "CAM1", "state": "ok", "start": at(1), "end": at(3)}]
    response = post("state-spans", {"items": items}, token_a)
    assert response.status_code == 200, response.content
    assert list(CameraStateSpan.objects.filter(camera__code="CAM1").order_by("started_at")
                .values_list("state", flat=True)) == ["unknown", "ok"]
    response = post("recordings", {"items": [
        {"camera": "CAM1", "start": at(0), "end": at(3), "sha256": "ab" * 32}]}, token_a)
    assert response.status_code == 200, response.content
    room = Camera.objects.get(facility=facility_a, code="CAM1").rooms.get()
    (coverage,) = stay_coverage(stays=[(1, room.pk, T0, T0 + dt.timedelta(minutes=3))])
    assert coverage.blind_ms == 60_000  # the learning minute, recorded but not judged

    post("heartbeats", {"items": [{"camera": "CAM1", "at": at(3), "state": "unknown"}]},
         token_a)
    assert CameraHealth.objects.get(camera__code="CAM1").reported_state == "unknown"


def test_a_camera_reporting_unknown_leaves_its_room_blind_now(post, token_a, facility_a,
                                                              people):
    now = T0 + dt.timedelta(seconds=10)
    response = post("heartbeats", {"items": [{"camera": "CAM1", "at": at(0), "state": "ok"},
                                             {"camera": "CAM2", "at": at(0),
                                              "state": "unknown"}]}, token_a)
    assert response.status_code == 200, response.content
    blind = {room.code for room in custody_rooms_blind_now(user=people["admin"], now=now)
             if room.facility_id == facility_a.pk}
    assert blind == {"R2", "R3"}  # R2's camera is learning, R3 has none
