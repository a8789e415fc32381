"""Marker sightings: only a facility's own agent reports them, they are stored as intervals,
they decide coverage under the proven rule, and a contradiction of the map is an incident."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from custodywatch.accounts import services as account_services
from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent, Role
from custodywatch.registry.markers import assign_marker_ids
from custodywatch.registry.models import Camera, Room
from custodywatch.video.coverage import CoverageRule, stay_coverage
from custodywatch.video.incidents import coverage_incidents_sweep
from custodywatch.video.models import CameraHealth, CoverageIncident, MarkerSighting
from custodywatch.video.selectors import custody_rooms_blind_now, video_totals
from tests.conftest import make_user
from tests.video.conftest import T0, at, iso

pytestmark = pytest.mark.django_db

HASH = "ab" * 32


@pytest.fixture
def marked(facility_a, facility_b):
    assign_marker_ids([facility_a.pk, facility_b.pk])
    return {room.code: room.marker_id for room in Room.objects.filter(facility=facility_a)}


def sighting(camera: str, marker: int, first: float, last: float, seen: float = 0.9) -> dict:
    return {"camera": camera, "marker": marker, "first": at(first), "last": at(last),
            "seen": seen}


def stored(camera_code: str = "CAM1") -> list[tuple[int, dt.datetime, dt.datetime]]:
    return list(MarkerSighting.objects.filter(camera__code=camera_code,
                                              camera__facility__code="FA-1")
                .order_by("marker_id", "started_at")
                .values_list("marker_id", "started_at", "ended_at"))


def test_sightings_are_stored_as_joined_intervals(post, token_a, marked):
    r1 = marked["R1"]
    response = post("marker-sightings", {"items": [sighting("CAM1", r1, 0, 0.95),
                                                   sighting("CAM1", r1, 1, 2)]}, token_a)
    assert response.status_code == 200, response.content
    # 3 s apart: one sighting (an agent reports per segment).
    assert stored() == [(r1, T0, T0 + dt.timedelta(minutes=2))]
    post("marker-sightings", {"items": [sighting("CAM1", r1, 5, 6)]}, token_a)
    assert len(stored()) == 2  # three minutes apart: a gap in the proof
    again = post("marker-sightings", {"items": [sighting("CAM1", r1, 5, 6)]}, token_a)
    assert again.status_code == 200 and again.json()["created"] == 0 and len(stored()) == 2
    assert AuditEvent.objects.filter(detail__video="marker_sightings").count() == 3


def test_idempotency_key_returns_the_first_answer(post, token_a, marked):
    body = {"items": [sighting("CAM1", marked["R1"], 0, 1)]}
    first = post("marker-sightings", body, token_a, HTTP_IDEMPOTENCY_KEY="k-1")
    MarkerSighting.objects.all().delete()
    second = post("marker-sightings", body, token_a, HTTP_IDEMPOTENCY_KEY="k-1")
    assert second.status_code == 200 and second.json() == first.json()
    assert MarkerSighting.objects.count() == 0  # answered from the stored answer


@pytest.mark.parametrize(("item", "field"), [
    ({"camera": "NOPE"}, "items[1].camera"),
    ({"marker": 587}, "items[1].marker"),
    ({"marker": -1}, "items[1].marker"),
    ({"seen": 1.5}, "items[1].seen"),
    ({"first": "yesterday"}, "items[1].first"),
    ({"last": at(-5)}, "items[1].last"),
    ({"last": iso(timezone.now() + dt.timedelta(hours=1))}, "items[1].last"),
])
def test_bad_items_are_named_and_nothing_is_written(post, token_a, marked, item, field):
    good = sighting("CAM1", marked["R1"], 0, 1)
    response = post("marker-sightings", {"items": [good, {**good, **item}]}, token_a)
    assert response.status_code in (400, 422), response.content
    assert field in response.content.decode()
    assert MarkerSighting.objects.count() == 0


def test_only_the_facilitys_own_agent_reports_sightings(post, client, people, facility_b,
                                                        marked, signed_in):
    # The agent of FA-1 cannot report for FB-1.
    raw_a, _t = account_services.token_create(acting_user=None, origin=SYSTEM_ORIGIN,
                                              user=people["agent_a"])
    response = post("marker-sightings", {"items": [sighting("CAM1", 0, 0, 1)],
                                         "facility": "FB-1"}, raw_a)
    assert response.status_code == 403
    assert not MarkerSighting.objects.exists()
    own = post("marker-sightings", {"items": [sighting("CAM1", 0, 0, 1)], "facility": "FA-1"},
               raw_a)
    assert own.status_code == 200  # the agent protocol names its facility (or leaves it "")
    assert not MarkerSighting.objects.filter(camera__facility=facility_b).exists()
    # People, even a registry editor or the facility's head, cannot declare a sighting.
    for who in ("admin", "head_a"):
        raw, _t = account_services.token_create(acting_user=None, origin=SYSTEM_ORIGIN,
                                                user=people[who])
        refused = post("marker-sightings", {"items": [sighting("CAM2", 1, 0, 1)]}, raw)
        assert refused.status_code == 403, who
    signed_in(people["head_a"])
    assert post("marker-sightings", {"items": [sighting("CAM2", 1, 0, 1)]}).status_code == 403
    assert not MarkerSighting.objects.filter(camera__code="CAM2").exists()


def ok_and_recorded(post, token, camera: str, start: float, end: float) -> None:
    assert post("state-spans", {"items": [{"camera": camera, "state": "ok", "start": at(start),
                                           "end": at(end)}]}, token).status_code == 200
    assert post("recordings", {"items": [{"camera": camera, "start": at(start), "end": at(end),
                                          "sha256": HASH}]}, token).status_code == 200


def test_proven_rule_counts_only_time_the_marker_was_seen(post, token_a, facility_a, marked,
                                                         settings):
    ok_and_recorded(post, token_a, "CAM1", 0, 60)
    post("marker-sightings", {"items": [sighting("CAM1", marked["R1"], 10, 40)]}, token_a)
    room = Room.objects.get(facility=facility_a, code="R1")
    stays = [(1, room.pk, T0, T0 + dt.timedelta(minutes=60))]
    declared = stay_coverage(stays=stays, rule=CoverageRule.DECLARED)[0]
    proven = stay_coverage(stays=stays, rule=CoverageRule.PROVEN)[0]
    assert declared.blind_ms == 0
    assert proven.blind_ms == 30 * 60_000
    settings.CUSTODYWATCH_COVERAGE_RULE = "proven"
    assert stay_coverage(stays=stays)[0].blind_ms == 30 * 60_000
    # A marker seen by the wrong camera proves nothing for the room.
    room2 = Room.objects.get(facility=facility_a, code="R2")
    post("marker-sightings", {"items": [sighting("CAM1", marked["R2"], 0, 60)]}, token_a)
    assert stay_coverage(stays=[(2, room2.pk, T0, T0 + dt.timedelta(minutes=60))]
                         )[0].blind_ms == 60 * 60_000


def heartbeat(post, token, camera: str, when: dt.datetime, state: str = "ok") -> None:
    assert post("heartbeats", {"items": [{"camera": camera, "at": iso(when), "state": state}]},
                token).status_code == 200


def test_figures_now_follow_the_rule_and_say_which(post, token_a, people, marked, settings):
    now = timezone.now()
    heartbeat(post, token_a, "CAM1", now)
    heartbeat(post, token_a, "CAM2", now)
    gpo = people["gpo"]
    settings.CUSTODYWATCH_COVERAGE_RULE = "declared"
    declared = video_totals(user=gpo, now=now)
    assert declared.rule == "declared" and "declared" in declared.rule_label
    blind_declared = {r.code for r in custody_rooms_blind_now(user=gpo, now=now)
                      if r.facility.code == "FA-1"}
    assert blind_declared == {"R3"}
    settings.CUSTODYWATCH_COVERAGE_RULE = "proven"
    # Only CAM1 shows its room's marker: R2 is blind under the proven rule.
    post("marker-sightings", {"items": [{"camera": "CAM1", "marker": marked["R1"],
                                         "first": iso(now - dt.timedelta(minutes=1)),
                                         "last": iso(now), "seen": 1.0}]}, token_a)
    proven = video_totals(user=gpo, now=now)
    assert proven.rule == "proven"
    assert proven.blind_rooms == declared.blind_rooms + 1
    assert {r.code for r in custody_rooms_blind_now(user=gpo, now=now)
            if r.facility.code == "FA-1"} == {"R2", "R3"}


def test_a_foreign_marker_and_a_lost_marker_are_incidents(
        post, token_a, people, facility_a, marked, django_capture_on_commit_callbacks):
    people["head_a"].email = "head@example.org"
    people["head_a"].save()
    now = timezone.now() - dt.timedelta(hours=1)  # the sweeps' "now"; reports stay in the past
    # CAM1 (mapped to R1) shows R2's marker: contradicts the approved map.
    with django_capture_on_commit_callbacks(execute=True):
        post("marker-sightings", {"items": [{"camera": "CAM1", "marker": marked["R2"],
                                             "first": iso(now - dt.timedelta(minutes=2)),
                                             "last": iso(now), "seen": 0.8}]}, token_a)
    foreign = CoverageIncident.objects.get(kind=CoverageIncident.Kind.FOREIGN_MARKER)
    assert foreign.camera.code == "CAM1" and foreign.room.code == "R2"
    assert mail.outbox and "FA-1" in mail.outbox[0].subject
    # Reported again: still one open incident.
    post("marker-sightings", {"items": [{"camera": "CAM1", "marker": marked["R2"],
                                         "first": iso(now - dt.timedelta(minutes=1)),
                                         "last": iso(now), "seen": 0.8}]}, token_a)
    assert CoverageIncident.objects.filter(kind="foreign_marker").count() == 1
    # CAM2 showed its own R2 marker an hour ago and works now, but shows it no longer.
    post("marker-sightings", {"items": [{"camera": "CAM2", "marker": marked["R2"],
                                         "first": iso(now - dt.timedelta(hours=2)),
                                         "last": iso(now - dt.timedelta(hours=1)),
                                         "seen": 0.9}]}, token_a)
    heartbeat(post, token_a, "CAM2", now)
    heartbeat(post, token_a, "CAM1", now)
    coverage_incidents_sweep(now=now)
    lost = CoverageIncident.objects.get(kind=CoverageIncident.Kind.MARKER_LOST)
    assert (lost.camera.code, lost.room.code, lost.closed_at) == ("CAM2", "R2", None)
    # CAM1's own R1 marker was never seen by it: roll-out, not a loss.
    assert not CoverageIncident.objects.filter(kind="marker_lost", camera__code="CAM1").exists()
    # Seen again: the centre closes it; the foreign one closes when no longer seen.
    post("marker-sightings", {"items": [{"camera": "CAM2", "marker": marked["R2"],
                                         "first": iso(now), "last": iso(now), "seen": 1.0}]},
         token_a)
    later = now + dt.timedelta(minutes=30)
    heartbeat(post, token_a, "CAM2", later - dt.timedelta(seconds=5))
    coverage_incidents_sweep(now=now + dt.timedelta(seconds=1))
    lost.refresh_from_db()
    assert lost.closed_at is not None
    coverage_incidents_sweep(now=later)
    foreign.refresh_from_db()
    assert foreign.closed_at == later


def test_a_blackout_holds_the_sites_footage_tells_the_gpo_and_waits_for_proof(
        post, client, token_a, people, facility_a, marked, settings):
    from custodywatch.complaints.preservation import held_segments_q
    from custodywatch.complaints.selectors import footage_on_hold
    from custodywatch.video.models import RecordingSegment

    people["gpo"].email = "gpo@example.org"
    people["gpo"].save()
    settings.CUSTODYWATCH_COVERAGE_RULE = "proven"
    camera3 = Camera.objects.create(facility=facility_a, code="CAM3")
    camera3.rooms.add(Room.objects.get(facility=facility_a, code="R3"))
    now = timezone.now()
    long_ago = now - dt.timedelta(minutes=10)
    for camera in ("CAM1", "CAM2", "CAM3"):
        heartbeat(post, token_a, camera, long_ago)
    heartbeat(post, token_a, "CAM1", now)  # 2 of 3 silent
    post("recordings", {"items": [{"camera": "CAM2", "start": iso(long_ago - dt.timedelta(
        minutes=1)), "end": iso(long_ago), "sha256": HASH}]}, token_a)
    result = coverage_incidents_sweep(now=now)
    blackout = CoverageIncident.objects.get(kind=CoverageIncident.Kind.BLACKOUT)
    assert result.opened == 1 and blackout.closed_at is None
    assert any("gpo@example.org" in m.to for m in mail.outbox)
    segment = RecordingSegment.objects.get(camera__code="CAM2")
    assert RecordingSegment.objects.filter(held_segments_q(facility_a), pk=segment.pk).exists()
    assert footage_on_hold(camera=segment.camera, started_at=segment.started_at,
                           ended_at=segment.ended_at)
    assert coverage_incidents_sweep(now=now).opened == 0  # one blackout at a time
    # On the video overview of those whose scope holds the site, not of others.
    from tests.conftest import sign_in

    page = sign_in(client, people["prosecutor_a"]).get("/video/").content.decode()
    assert "Facility blackout" in page
    assert "Facility blackout" not in sign_in(client, people["head_b"]).get(
        "/video/").content.decode()
    # Cameras back, but no marker proves any room yet: still open.
    back = now + dt.timedelta(minutes=1)
    for camera in ("CAM1", "CAM2", "CAM3"):
        heartbeat(post, token_a, camera, back)
    coverage_incidents_sweep(now=back)
    blackout.refresh_from_db()
    assert blackout.closed_at is None
    post("marker-sightings", {"items": [{"camera": "CAM1", "marker": marked["R1"],
                                         "first": iso(back), "last": iso(back),
                                         "seen": 1.0}]}, token_a)
    coverage_incidents_sweep(now=back)
    blackout.refresh_from_db()
    assert blackout.closed_at == back
    # The footage of the blackout stays held after it closed.
    assert footage_on_hold(camera=segment.camera, started_at=segment.started_at,
                           ended_at=segment.ended_at)


def test_a_site_with_most_cameras_working_is_no_blackout(post, token_a, facility_a):
    now = timezone.now()
    heartbeat(post, token_a, "CAM1", now)
    heartbeat(post, token_a, "CAM2", now - dt.timedelta(minutes=10))  # 1 of 2: not most
    coverage_incidents_sweep(now=now)
    assert not CoverageIncident.objects.filter(kind="blackout").exists()
    assert CameraHealth.objects.count() == 2
    assert Role.EDGE_AGENT  # the role the sightings come from
    assert make_user  # shared helper stays importable for the other tests


def test_every_coverage_figure_names_its_rule(client, people, facility_a, settings):
    from django.urls import reverse

    from tests.conftest import sign_in
    from tests.custody.conftest import make_record

    record = make_record(facility_a, people["duty_a"])
    gpo = sign_in(client, people["gpo"])
    for rule, words in (("declared", "declared camera map"), ("proven", "proven by room markers")):
        settings.CUSTODYWATCH_COVERAGE_RULE = rule
        for url in ("/video/", reverse("custody:record", kwargs={"pk": record.pk}), "/"):
            page = gpo.get(url).content.decode()
            assert words in page, (rule, url)
        assert gpo.get("/api/reports/dashboard").json()["coverage_rule"] == rule
