"""The coverage engine against PostgreSQL range arithmetic, to the millisecond."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pytest

from custodywatch.kernels.coverage import blind_ms, expand_to_rooms
from custodywatch.registry.models import Camera, Room
from custodywatch.video.coverage import stay_coverage
from custodywatch.video.models import CameraState, CameraStateSpan, RecordingRun
from custodywatch.video.timing import from_ms
from tests.video.oracle import blind_ms_by_postgres
from tests.video.scenarios import MIN, T0, Case, adversarial_cases, random_case

pytestmark = pytest.mark.postgres


def kernel_blind(case: Case) -> dict[int, int]:
    ok = case.ok
    rooms, s, e = expand_to_rooms([c for c, _s, _e in ok], [s for _c, s, _e in ok],
                                  [e for _c, _s, e in ok], [c for c, _r in case.camera_rooms],
                                  [r for _c, r in case.camera_rooms])
    blind = blind_ms([r for _i, r, _s, _e in case.stays], [s for _i, _r, s, _e in case.stays],
                     [e for _i, _r, _s, e in case.stays], rooms, s, e)
    return dict(zip([i for i, *_rest in case.stays], blind.tolist(), strict=True))


@pytest.mark.parametrize("name", sorted(adversarial_cases()))
def test_adversarial_cases_agree_with_postgres(postgres_url, name):
    case = adversarial_cases()[name]
    assert kernel_blind(case) == blind_ms_by_postgres(postgres_url, case.stays,
                                                      case.camera_rooms, case.ok)


def test_adversarial_cases_have_the_answers_a_person_expects(postgres_url):
    cases = adversarial_cases()
    assert blind_ms_by_postgres(postgres_url, cases["touching"].stays,
                                cases["touching"].camera_rooms, cases["touching"].ok) == {
        1: 1 * MIN}
    many = cases["many_cameras"]
    assert blind_ms_by_postgres(postgres_url, many.stays, many.camera_rooms, many.ok) == {1: 50}


@pytest.mark.parametrize("seed", range(12))
def test_random_cases_agree_with_postgres(postgres_url, seed):
    rng = random.Random(seed)
    case = random_case(rng, rooms=rng.randint(1, 8), cameras=rng.randint(1, 12),
                       stays=rng.randint(1, 60), recordings=rng.randint(0, 150))
    assert kernel_blind(case) == blind_ms_by_postgres(postgres_url, case.stays,
                                                      case.camera_rooms, case.ok)


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(3))
def test_stored_spans_through_stay_coverage_agree_with_postgres(postgres_url, facility_a,
                                                                seed):
    """Recording runs intersected with ok state spans, read back from the database."""
    rng = random.Random(seed)
    rooms = list(Room.objects.filter(facility=facility_a).order_by("code"))
    cameras = [Camera.objects.create(facility=facility_a, code=f"C{n}") for n in range(6)]
    for camera in cameras:
        camera.rooms.set(rng.sample(rooms, rng.randint(1, 3)))
    camera_rooms = list(Camera.rooms.through.objects.filter(camera__in=cameras)
                        .values_list("camera_id", "room_id"))
    Camera.objects.filter(facility=facility_a).exclude(pk__in=[c.pk for c in cameras]).delete()
    state_rows, run_rows = [], []
    for camera in cameras:
        t = T0 - 10 * MIN
        while t < T0 + 300 * MIN:  # back-to-back state spans, as an agent reports them
            length = rng.choice([1, 13, MIN, rng.randint(MIN, 40 * MIN)])
            state = CameraState.OK if rng.random() < 0.7 else rng.choice(
                [CameraState.BLACK, CameraState.MOVED])
            if rng.random() < 0.9:  # sometimes nothing reported: unknown, not covered
                state_rows.append((camera.pk, t, t + length, state))
            t += length
        for _ in range(rng.randint(0, 12)):
            s = T0 + rng.randint(-20 * MIN, 300 * MIN)
            run_rows.append((camera.pk, s, s + rng.randint(1, 90 * MIN)))
    CameraStateSpan.objects.bulk_create(
        CameraStateSpan(camera_id=c, started_at=from_ms(s), ended_at=from_ms(e), state=st)
        for c, s, e, st in state_rows)
    RecordingRun.objects.bulk_create(
        RecordingRun(camera_id=c, started_at=from_ms(s), ended_at=from_ms(e))
        for c, s, e in run_rows)
    stays = []
    for stay_id in range(40):
        s = T0 + rng.randint(-30 * MIN, 300 * MIN)
        stays.append((stay_id, rng.choice(rooms).pk, s, s + rng.randint(1, 120 * MIN)))

    got = stay_coverage(stays=[(i, r, from_ms(s), from_ms(e)) for i, r, s, e in stays])
    expected = blind_ms_by_postgres(
        postgres_url, stays, camera_rooms,
        [(c, s, e) for c, s, e, st in state_rows if st == CameraState.OK], run_rows)
    assert {c.stay_id: c.blind_ms for c in got} == expected
    for item in got:  # the blind pieces add up and lie inside the stay
        assert sum((e - s) // dt.timedelta(milliseconds=1) for s, e in item.blind) == \
            item.blind_ms
        assert all(item.started_at <= s < e <= item.ended_at for s, e in item.blind)
    assert np.any([c.blind_ms for c in got]) and not all(
        c.blind_ms == (c.ended_at - c.started_at) // dt.timedelta(milliseconds=1) for c in got)
