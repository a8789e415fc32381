"""The sweep: silence becomes a no_signal span, claimed once, ended by the next heartbeat,
and an agent's own later report for the silent time wins over the inference."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from custodywatch.accounts.models import AuditEvent
from custodywatch.video.models import CameraHealth, CameraStateSpan, SignalStatus, SpanSource
from custodywatch.video.services import video_sweep
from tests.video.conftest import T0, at

pytestmark = pytest.mark.django_db


def minutes(n: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=n)


def states(camera_code="CAM1"):
    return list(CameraStateSpan.objects.filter(camera__code=camera_code).order_by("started_at")
                .values_list("state", "source", "started_at", "ended_at"))


def test_silent_camera_is_claimed_once_and_extended(post, token_a, facility_a):
    post("heartbeats", {"items": [{"camera": "CAM1", "at": at(0)},
                                  {"camera": "CAM2", "at": at(9)}]}, token_a)
    assert video_sweep(now=minutes(1)).newly_silent == 0  # within the two minutes
    first = video_sweep(now=minutes(10))
    assert (first.newly_silent, first.extended) == (1, 0)
    assert states() == [("no_signal", SpanSource.SWEEP, minutes(0), minutes(10))]
    assert CameraHealth.objects.get(camera__code="CAM1").status == SignalStatus.SILENT
    # A second sweeper finds nothing to claim; it stretches the open silence instead.
    again = video_sweep(now=minutes(20))
    assert (again.newly_silent, again.extended) == (1, 1)  # CAM2 fell silent at 11
    assert states() == [("no_signal", SpanSource.SWEEP, minutes(0), minutes(20))]
    assert AuditEvent.objects.filter(object_label="video_sweep").count() == 2


def test_heartbeat_ends_the_silence(post, token_a, facility_a):
    post("heartbeats", {"items": [{"camera": "CAM1", "at": at(0)}]}, token_a)
    video_sweep(now=minutes(30))
    post("heartbeats", {"items": [{"camera": "CAM1", "at": at(12), "state": "ok"}]}, token_a)
    assert states() == [("no_signal", SpanSource.SWEEP, minutes(0), minutes(12))]
    health = CameraHealth.objects.get(camera__code="CAM1")
    assert (health.status, health.state_since, health.silence_span) == (
        SignalStatus.LIVE, minutes(12), None)
    assert video_sweep(now=minutes(13)).extended == 0


def test_agent_report_for_silent_time_beats_the_inference(post, token_a, facility_a):
    post("heartbeats", {"items": [{"camera": "CAM1", "at": at(0)}]}, token_a)
    video_sweep(now=minutes(30))
    response = post("state-spans", {"items": [
        {"camera": "CAM1", "state": "ok", "start": at(5), "end": at(10)}]}, token_a)
    assert response.status_code == 200, response.content
    assert states() == [
        ("no_signal", SpanSource.SWEEP, minutes(0), minutes(5)),
        ("ok", SpanSource.AGENT, minutes(5), minutes(10)),
        ("no_signal", SpanSource.SWEEP, minutes(10), minutes(30)),
    ]


def test_command_runs_once(facility_a):
    out = io.StringIO()
    call_command("video_sweep", stdout=out)
    assert "newly silent: 0" in out.getvalue()
