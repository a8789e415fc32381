"""EpochMs: the database's epoch milliseconds equal Python's, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from custodywatch.core.expressions import EpochMs
from custodywatch.registry.models import Camera
from custodywatch.video.models import RecordingRun
from custodywatch.video.timing import to_ms

pytestmark = pytest.mark.django_db

MOMENTS = [
    dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
    dt.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=dt.UTC),  # before the epoch
    dt.datetime(2024, 2, 29, 23, 59, 59, 1000, tzinfo=dt.UTC),
    dt.datetime(2026, 12, 2, 21, 15, 7, 123000, tzinfo=dt.timezone(dt.timedelta(hours=5))),
    dt.datetime(2038, 1, 19, 3, 14, 8, 999000, tzinfo=dt.UTC),  # past 32-bit seconds
    dt.datetime(9999, 12, 31, 23, 59, 59, 998000, tzinfo=dt.UTC),
]


def test_epoch_ms_of_stored_times_equals_pythons(facility_a):
    camera = Camera.objects.create(facility=facility_a, code="EPOCH-TEST")
    runs = [RecordingRun.objects.create(camera=camera, started_at=moment,
                                        ended_at=moment + dt.timedelta(milliseconds=1))
            for moment in MOMENTS]
    got = dict(RecordingRun.objects.values_list("pk", EpochMs("started_at")))
    assert [got[run.pk] for run in runs] == [to_ms(moment) for moment in MOMENTS]
    assert all(isinstance(value, int) for value in got.values())
    ends = dict(RecordingRun.objects.values_list("pk", EpochMs("ended_at")))
    assert [ends[run.pk] - got[run.pk] for run in runs] == [1] * len(runs)
