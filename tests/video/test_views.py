"""The overview and the camera wall: what they show, to whom, and the denial."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from custodywatch.accounts.models import AuditEvent
from custodywatch.registry.models import Camera
from custodywatch.video import selectors
from custodywatch.video.models import CameraHealth, CameraStateSpan, RecordingRun

pytestmark = pytest.mark.django_db


def beat(camera: Camera, *, ago: dt.timedelta, state: str = "ok") -> None:
    at = timezone.now() - ago
    CameraHealth.objects.create(camera=camera, last_heartbeat_at=at, reported_state=state,
                                state_since=at - dt.timedelta(hours=3),
                                silent_after=at + dt.timedelta(minutes=2))


@pytest.fixture
def health_a(facility_a):
    cam1, cam2 = (Camera.objects.get(facility=facility_a, code=c) for c in ("CAM1", "CAM2"))
    beat(cam1, ago=dt.timedelta(seconds=10))  # working
    beat(cam2, ago=dt.timedelta(minutes=30))  # silent: no_signal, R2 blind
    now = timezone.now()
    RecordingRun.objects.create(camera=cam1, started_at=now - dt.timedelta(hours=30),
                                ended_at=now - dt.timedelta(hours=5))
    CameraStateSpan.objects.create(camera=cam1, state="ok", started_at=now - dt.timedelta(days=8),
                                   ended_at=now - dt.timedelta(days=1))
    CameraStateSpan.objects.create(camera=cam1, state="black",
                                   started_at=now - dt.timedelta(days=1), ended_at=now)
    return cam1, cam2


def test_selectors_judge_now_from_heartbeats(people, health_a, facility_a, facility_b):
    now = timezone.now()
    totals = selectors.video_totals(user=people["head_a"], now=now)
    assert (totals.cameras, totals.working, totals.out_of_order, totals.unknown) == (2, 1, 1, 0)
    # R2's only camera is silent; R3 has no camera at all.
    assert (totals.custody_rooms, totals.blind_rooms, totals.never_covered) == (3, 2, 1)
    broken = list(selectors.cameras_out_of_order(user=people["head_a"], now=now))
    assert [(c.code, c.state_now) for c in broken] == [("CAM2", "no_signal")]
    # Country scope also sees B, whose cameras never reported: unknown is not working.
    national = selectors.video_totals(user=people["gpo"], now=now)
    assert (national.cameras, national.working, national.unknown) == (4, 1, 2)
    assert national.blind_rooms == 5


def test_recording_gaps_of_the_last_day(people, health_a):
    gaps, count = selectors.recording_gaps(user=people["head_a"], now=timezone.now())
    by_code = {gap.camera.code: gap for gap in gaps}
    assert count == 2 and set(by_code) == {"CAM1", "CAM2"}
    assert by_code["CAM2"].gap_minutes == 24 * 60  # never recorded
    # CAM1 recorded until 5 h ago; the last 10 min are not counted yet (upload lag).
    assert by_code["CAM1"].gap_minutes == 5 * 60 - 10
    assert gaps[0].camera.code == "CAM2"


def test_overview_page(signed_in, people, health_a):
    response = signed_in(people["head_a"]).get("/video/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="cameras-out-of-order">1<' in page
    assert 'data-testid="blind-rooms">2<' in page
    assert "FA-1/CAM2" in page and "No signal" in page
    assert "FB-1" not in page
    assert "<svg class=\"strip\"" in page


def test_overview_partial_for_htmx(signed_in, people, health_a):
    response = signed_in(people["head_a"]).get("/video/", HTTP_HX_REQUEST="true",
                                               HTTP_HX_TARGET="video-live")
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="video-live"')
    assert "<html" not in page


def test_camera_wall_shows_every_camera_with_state_and_strip(signed_in, people, health_a):
    response = signed_in(people["head_a"]).get("/video/facilities/FA-1/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="cameratile"') == 2
    assert 'data-state="no_signal"' in page and 'data-state="ok"' in page
    tiles = response.context["tiles"]
    cam1 = next(tile for tile in tiles if tile.camera.code == "CAM1")
    # Six of seven days ok, the last black: the strip starts green and ends black.
    assert cam1.strip.rects[0].state == "ok" and cam1.strip.rects[-1].state == "black"
    assert 0.84 < cam1.strip.quiet_share < 0.87
    assert AuditEvent.objects.filter(actor=people["head_a"], action=AuditEvent.Action.READ,
                                     object_label__startswith="FA-1").exists()


def test_camera_wall_never_calls_a_camera_working_when_nothing_working_is_recorded(
        signed_in, people, health_a):
    """CAM1's agent says ok, but its recorded picture has been black for a day: coverage
    counts those minutes blind, and the tile says so instead of a bare "Working"."""
    from custodywatch.registry.models import CameraView

    CameraView.objects.create(camera=health_a[0], current_png=b"\x89PNG fake",
                              current_sha256="a" * 64)
    page = signed_in(people["head_a"]).get("/video/facilities/FA-1/")
    tiles = {tile.camera.code: tile for tile in page.context["tiles"]}
    assert tiles["CAM1"].claims_working_unrecorded and 84 <= tiles["CAM1"].recorded_percent <= 87
    assert not tiles["CAM2"].claims_working_unrecorded  # it does not even claim
    html = page.content.decode()
    assert html.count('data-testid="unrecorded"') == 1
    assert "/video/facilities/FA-1/cameras/CAM1/current.png" in html
    assert "/cameras/CAM2/current.png" not in html


def test_head_of_a_cannot_see_the_camera_wall_of_b(signed_in, people, health_a, facility_b):
    response = signed_in(people["head_a"]).get("/video/facilities/FB-1/")
    assert response.status_code == 404
    assert AuditEvent.objects.filter(actor=people["head_a"], action=AuditEvent.Action.DENIED,
                                     object_label="FB-1").exists()
    assert signed_in(people["head_b"]).get("/video/facilities/FB-1/").status_code == 200


def test_pages_need_sign_in(client, facility_a):
    assert client.get("/video/").status_code == 302
    assert client.get("/video/facilities/FA-1/").status_code == 302


def test_overview_queries_do_not_grow_with_cameras(signed_in, people, health_a, facility_a,
                                                  django_assert_max_num_queries):
    client = signed_in(people["gpo"])
    for n in range(3, 30):
        Camera.objects.create(facility=facility_a, code=f"CAM{n}")
    with django_assert_max_num_queries(25):
        assert client.get("/video/").status_code == 200


def test_readers_of_one_scope_share_the_overview_and_no_other_scope_does(
        people, health_a, facility_b, settings, client):
    """The overview is computed once per scope for a while: a second reader of the same scope
    gets the same figures, a reader of another scope never gets them."""
    from django.core.cache import cache

    from tests.conftest import make_user, sign_in

    settings.CUSTODYWATCH_OVERVIEW_CACHE_SECONDS = 30
    cache.clear()
    now = timezone.now()
    national = selectors.video_overview(user=people["gpo"], now=now)
    assert national.totals.cameras == 4
    # Another facility's camera breaks after the first reading: a second national reader
    # still sees the shared figures, taken at `national.now` (and says so on the page).
    Camera.objects.filter(facility=facility_b).update(is_active=False)
    second = selectors.video_overview(user=make_user("gpo_2", "general_prosecutor"),
                                      now=timezone.now())
    assert second == national and second.totals.cameras == 4
    # Another role, even of the same scope, computes its own (here: after the change).
    analyst = selectors.video_overview(user=people["analyst"], now=timezone.now())
    assert analyst.totals.cameras == 2
    # Facility scope and region scope never get the national figures.
    own = selectors.video_overview(user=people["head_a"], now=timezone.now())
    assert own.totals.cameras == 2 and own is not national
    regional = selectors.video_overview(user=people["prosecutor_a"], now=timezone.now())
    assert regional.totals.cameras == 2
    page = sign_in(client, people["head_b"]).get("/video/")
    assert page.status_code == 200 and "CAM1" not in {c.code for c in page.context["out_of_order"]}
    cache.clear()
