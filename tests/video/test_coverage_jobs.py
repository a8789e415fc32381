"""Incremental coverage: ingestion queues the affected rooms and times, the job recomputes
only the stays there, stores what stay_coverage says, and claims each row once."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.custody import services as custody_services
from custodywatch.custody.models import EndReason, RoomStay
from custodywatch.video.coverage import stay_coverage
from custodywatch.video.coverage_jobs import (
    coverage_work_claim,
    coverage_work_for_period,
    coverage_work_refresh,
    coverage_work_run,
    merge_by_room,
)
from custodywatch.video.models import CoverageWork
from custodywatch.video.services import video_sweep
from custodywatch.video.timing import to_ms
from tests.custody.conftest import make_record
from tests.video.conftest import T0, at

pytestmark = pytest.mark.django_db

HASH = "cd" * 32
LATER = T0 + dt.timedelta(days=1)  # the job's "now": every stay here has ended by then


def minutes(n: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=n)


def work() -> list[tuple[str, dt.datetime, dt.datetime]]:
    return sorted(CoverageWork.objects.values_list("room__code", "starts_at", "ends_at"))


def stay_in(facility, user, room_code: str, start: float, end: float) -> RoomStay:
    """A detention whose one stay is in ``room_code`` over [start, end) minutes after T0."""
    record = make_record(facility, user, room_code=room_code,
                         detained_at=minutes(start - 30), arrived_at=minutes(start))
    custody_services.custody_record_end(acting_user=user, origin=SYSTEM_ORIGIN, record=record,
                                        ended_at=minutes(end), end_reason=EndReason.RELEASED)
    return record.stays.get()


def ok_and_recorded(post, token, camera: str, start: float, end: float) -> None:
    assert post("state-spans", {"items": [{"camera": camera, "state": "ok", "start": at(start),
                                           "end": at(end)}]}, token).status_code == 200
    assert post("recordings", {"items": [{"camera": camera, "start": at(start), "end": at(end),
                                          "sha256": HASH}]}, token).status_code == 200


def test_state_spans_queue_work_for_their_cameras_rooms_only(post, token_a, facility_a):
    response = post("state-spans", {"items": [
        {"camera": "CAM1", "state": "ok", "start": at(0), "end": at(5)},
        {"camera": "CAM1", "state": "black", "start": at(5), "end": at(10)},
        {"camera": "CAM2", "state": "ok", "start": at(3), "end": at(4)},
    ]}, token_a)
    assert response.status_code == 200
    # CAM1 covers R1 and CAM2 covers R2: one row per camera x room, none for R3.
    assert work() == [("R1", minutes(0), minutes(10)), ("R2", minutes(3), minutes(4))]


def test_recordings_queue_work_for_new_segments_only(post, token_a, facility_a):
    body = {"items": [{"camera": "CAM2", "start": at(0), "end": at(1), "sha256": HASH}]}
    assert post("recordings", body, token_a).status_code == 200
    assert work() == [("R2", minutes(0), minutes(1))]
    assert post("recordings", body, token_a).status_code == 200  # the same segment again
    assert CoverageWork.objects.count() == 1


def test_a_retried_batch_queues_nothing_new(post, token_a, facility_a):
    body = {"items": [{"camera": "CAM1", "state": "ok", "start": at(0), "end": at(1)}]}
    assert post("state-spans", body, token_a, HTTP_IDEMPOTENCY_KEY="b-1").status_code == 200
    assert CoverageWork.objects.count() == 1
    replay = post("state-spans", body, token_a, HTTP_IDEMPOTENCY_KEY="b-1")
    assert replay["Idempotent-Replayed"] == "true"
    assert CoverageWork.objects.count() == 1
    # Without the key the batch is merged again, changes no stored span, and queues nothing.
    assert post("state-spans", body, token_a).status_code == 200
    assert CoverageWork.objects.count() == 1


def test_a_refused_batch_queues_nothing(post, token_a, facility_a):
    response = post("state-spans", {"items": [
        {"camera": "CAM1", "state": "ok", "start": at(0), "end": at(1)},
        {"camera": "NOPE", "state": "ok", "start": at(0), "end": at(1)}]}, token_a)
    assert response.status_code == 422
    assert CoverageWork.objects.count() == 0


def test_the_job_recomputes_only_stays_in_the_affected_rooms_and_times(
        post, token_a, people, facility_a):
    duty = people["duty_a"]
    target = stay_in(facility_a, duty, "R1", 0, 60)
    elsewhere = stay_in(facility_a, duty, "R2", 0, 60)  # same time, another room
    earlier = stay_in(facility_a, duty, "R1", -600, -500)  # same room, another time
    CoverageWork.objects.all().delete()  # the stays' own work: tested in tests/custody
    ok_and_recorded(post, token_a, "CAM1", 10, 50)

    result = coverage_work_run(now=LATER)
    assert result.claimed == 2 and result.stays == 1 and result.alerts == 0
    for stay in (target, elsewhere, earlier):
        stay.refresh_from_db()
    assert elsewhere.coverage_computed_at is None and elsewhere.blind_ms is None
    assert earlier.coverage_computed_at is None and earlier.blind_ms is None
    assert target.coverage_computed_at == LATER
    # The oracle: stay_coverage called directly on the same stay.
    [direct] = stay_coverage(stays=[(target.pk, target.room_id, target.started_at,
                                     target.ended_at)], now=LATER)
    assert target.blind_ms == direct.blind_ms == 20 * 60_000
    assert CoverageWork.objects.count() == 0


def test_a_rerun_is_a_no_op(post, token_a, people, facility_a):
    stay = stay_in(facility_a, people["duty_a"], "R1", 0, 60)
    ok_and_recorded(post, token_a, "CAM1", 0, 30)
    assert coverage_work_run(now=LATER).stays == 1
    again = coverage_work_run(now=LATER + dt.timedelta(hours=1))
    assert (again.claimed, again.stays, again.interrogations, again.alerts) == (0, 0, 0, 0)
    stay.refresh_from_db()
    assert stay.coverage_computed_at == LATER and stay.blind_ms == 30 * 60_000


def test_an_open_stay_is_clipped_to_now(people, facility_a):
    record = make_record(facility_a, people["duty_a"], room_code="R3",  # no camera
                         detained_at=minutes(-30), arrived_at=minutes(0))
    coverage_work_run(now=minutes(45))
    stay = record.stays.get()
    assert stay.blind_ms == 45 * 60_000 and stay.coverage_computed_at == minutes(45)


def test_two_workers_never_claim_the_same_row(facility_a):
    room = facility_a.rooms.get(code="R1")
    for n in range(5):
        coverage_work_for_period(room_id=room.pk, started_at=minutes(n),
                                 ended_at=minutes(n + 1), now=minutes(n + 1))
    ids = list(CoverageWork.objects.values_list("pk", flat=True))
    # Worker B selected the same ids as worker A, but A's DELETE ran first.
    first = coverage_work_claim(limit=3)
    second = coverage_work_claim(ids=ids)
    third = coverage_work_claim(ids=ids)
    assert len(first) == 3 and len(second) == 2 and third == []
    assert sorted(first + second) == [(room.pk, to_ms(minutes(n)), to_ms(minutes(n + 1)))
                                      for n in range(5)]
    assert coverage_work_claim() == []


def test_work_is_merged_per_room():
    assert merge_by_room([(1, 50, 60), (1, 0, 10), (2, 0, 5), (1, 10, 20), (1, 5, 8)]) == {
        1: [(0, 20), (50, 60)], 2: [(0, 5)]}


def test_the_silence_sweep_queues_work_for_its_cameras_rooms(post, token_a, facility_a):
    post("heartbeats", {"items": [{"camera": "CAM2", "at": at(0)}]}, token_a)
    assert video_sweep(now=minutes(10)).newly_silent == 1
    assert work() == [("R2", minutes(0), minutes(10))]


def test_refresh_requeues_open_stays_computed_long_ago(people, facility_a):
    record = make_record(facility_a, people["duty_a"], room_code="R3",
                         detained_at=minutes(-30), arrived_at=minutes(0))
    coverage_work_run(now=minutes(5))
    assert coverage_work_refresh(now=minutes(10)) == 0  # computed five minutes ago
    assert coverage_work_refresh(now=minutes(30)) == 1
    assert coverage_work_refresh(now=minutes(30)) == 0  # its room has work queued already
    coverage_work_run(now=minutes(30))
    assert record.stays.get().blind_ms == 30 * 60_000


def test_video_sweep_runs_the_job_after_the_sweep(people, facility_a):
    make_record(facility_a, people["duty_a"], room_code="R3")
    out = io.StringIO()
    call_command("video_sweep", stdout=out)
    assert "coverage work: 1, stays: 1" in out.getvalue()
    out = io.StringIO()
    call_command("coverage_work", stdout=out)
    assert "coverage work: 0" in out.getvalue()


def test_backfill_computes_stays_never_stored_and_resumes(post, token_a, people, facility_a):
    """Stays stored before the job existed (no value, no work queued) get theirs from
    `coverage_work --backfill`, equal to stay_coverage's; a second run has nothing to do."""
    duty = people["duty_a"]
    stays = [stay_in(facility_a, duty, "R1", 0, 60), stay_in(facility_a, duty, "R3", 0, 30),
             stay_in(facility_a, duty, "R1", 120, 150)]
    ok_and_recorded(post, token_a, "CAM1", 10, 50)
    CoverageWork.objects.all().delete()  # as if written before the job
    RoomStay.objects.update(blind_ms=None, coverage_computed_at=None)
    kept = stays[2]
    RoomStay.objects.filter(pk=kept.pk).update(blind_ms=123, coverage_computed_at=LATER)

    out, err = io.StringIO(), io.StringIO()
    call_command("coverage_work", "--backfill", stdout=out, stderr=err)
    assert "backfilled: 2, stays: 2" in out.getvalue()
    assert "Coverage backfill" in err.getvalue()  # the progress bar
    for stay in stays:
        stay.refresh_from_db()
    direct = stay_coverage(stays=[(s.pk, s.room_id, s.started_at, s.ended_at)
                                  for s in stays[:2]], now=LATER)
    assert [s.blind_ms for s in stays[:2]] == [d.blind_ms for d in direct] == [
        20 * 60_000, 30 * 60_000]
    assert kept.blind_ms == 123  # a stored value is not the backfill's business
    assert CoverageWork.objects.count() == 0
    out = io.StringIO()
    call_command("coverage_work", "--backfill", stdout=out, stderr=io.StringIO())
    assert "backfilled: 0" in out.getvalue()


def test_backfill_refuses_loop():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--loop"):
        call_command("coverage_work", "--backfill", "--loop", "5")
