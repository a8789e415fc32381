"""The batched read of stored spans: cameras far apart in time, rows outside a window."""

from __future__ import annotations

import datetime as dt

import pytest

from custodywatch.video.models import CameraStateSpan
from tests.video.conftest import T0, at

pytestmark = pytest.mark.django_db

DAY = 24 * 60  # minutes


def spans(facility, code):
    return list(CameraStateSpan.objects.filter(camera__facility=facility, camera__code=code)
                .order_by("started_at").values_list("state", "started_at", "ended_at"))


def minutes(n: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=n)


def test_a_backfill_and_a_live_camera_in_one_batch_both_merge(post, token_a, facility_a):
    first = post("state-spans", {"items": [
        {"camera": "CAM1", "state": "ok", "start": at(0), "end": at(1)},
        {"camera": "CAM2", "state": "ok", "start": at(DAY), "end": at(DAY + 1)},
        {"camera": "CAM2", "state": "ok", "start": at(5), "end": at(6)},
    ]}, token_a)
    assert first.status_code == 200, first.content
    # CAM1 continues at the start of the day; CAM2 continues a day later. CAM2's early
    # span lies inside CAM1's window and must be left alone.
    second = post("state-spans", {"items": [
        {"camera": "CAM1", "state": "ok", "start": at(1), "end": at(7)},
        {"camera": "CAM2", "state": "ok", "start": at(DAY + 1), "end": at(DAY + 2)},
    ]}, token_a)
    assert second.status_code == 200, second.content
    assert second.json() == {"accepted": 2, "created": 0, "updated": 2, "deleted": 0}
    assert spans(facility_a, "CAM1") == [("ok", minutes(0), minutes(7))]
    assert spans(facility_a, "CAM2") == [("ok", minutes(5), minutes(6)),
                                         ("ok", minutes(DAY), minutes(DAY + 2))]


def test_a_stored_span_of_another_camera_is_no_conflict(post, token_a, facility_a):
    post("state-spans", {"items": [
        {"camera": "CAM2", "state": "black", "start": at(0), "end": at(10)}]}, token_a)
    ok = post("state-spans", {"items": [
        {"camera": "CAM1", "state": "ok", "start": at(0), "end": at(10)}]}, token_a)
    assert ok.status_code == 200, ok.content
    clash = post("state-spans", {"items": [
        {"camera": "CAM1", "state": "ok", "start": at(20), "end": at(30)},
        {"camera": "CAM2", "state": "ok", "start": at(5), "end": at(15)}]}, token_a)
    assert clash.status_code == 422, clash.content
    assert "items[1].start" in clash.content.decode()
    assert "items[0]" not in clash.content.decode()
    assert spans(facility_a, "CAM1") == [("ok", minutes(0), minutes(10))]
