"""A facility cannot change any coverage figure: whatever its agent, head or duty officer sends
about its cameras (remap, new camera, deactivation), through the API or the page, is a
proposal, and the blind counts stay as they were until a prosecutor or NPM monitor acts."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.utils import timezone

from custodywatch.accounts import services as account_services
from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent, Role
from custodywatch.registry import selectors as registry_selectors
from custodywatch.registry.camera_changes import blind_room_count
from custodywatch.registry.markers import assign_marker_ids
from custodywatch.registry.models import Camera, CameraChange, Room
from custodywatch.video.models import MarkerSighting
from custodywatch.video.selectors import video_totals
from tests.conftest import make_user, sign_in

pytestmark = pytest.mark.django_db
PAGE = "/registry/facilities/FA-1/cameras/"


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def token_for(user) -> str:
    raw, _token = account_services.token_create(acting_user=None, origin=SYSTEM_ORIGIN,
                                                user=user)
    return raw


def put_camera(client, camera_code: str, body: dict, **headers):
    return client.put(f"/api/registry/facilities/FA-1/cameras/{camera_code}",
                      data=json.dumps(body), content_type="application/json", **headers)


def working_now(facility, *codes: str) -> None:
    from custodywatch.video.models import CameraHealth, CameraState

    now = timezone.now()
    for camera in Camera.objects.filter(facility=facility, code__in=codes):
        CameraHealth.objects.update_or_create(camera=camera, defaults={
            "last_heartbeat_at": now, "reported_state": CameraState.OK, "state_since": now,
            "silent_after": now + dt.timedelta(minutes=2)})


def figures(people, facility) -> tuple:
    """Every blind count a person reads: video overview, registry list, the changes page."""
    totals = video_totals(user=people["gpo"], now=timezone.now())
    listed = registry_selectors.facility_search(user=people["gpo"]).get(code=facility.code)
    mapping = {camera.code: (camera.is_active, sorted(r.code for r in camera.rooms.all()))
               for camera in Camera.objects.filter(facility=facility)
               .prefetch_related("rooms")}
    return (totals.blind_rooms, totals.never_covered, totals.cameras,
            listed.blind_room_count, blind_room_count(facility), mapping)


@pytest.fixture
def npm(facility_a):
    return make_user("npm", Role.NPM_MONITOR)


def test_no_facility_path_changes_a_blind_count_until_an_approver_acts(
        client, people, facility_a, npm):
    working_now(facility_a, "CAM1", "CAM2")
    before = figures(people, facility_a)
    assert before[4] == 1  # R3 has no camera
    agent = bearer(token_for(people["agent_a"]))
    # The agent's API: remap one working camera to every room, add one, take one away.
    remap = put_camera(client, "CAM1", {"rooms": ["R1", "R2", "R3"]}, **agent)
    assert remap.status_code == 202, remap.content
    assert remap.json()["status"] == "pending"
    assert remap.json()["camera"]["rooms"] == ["R1"]  # the approved map, unchanged
    assert put_camera(client, "CAM9", {"rooms": ["R3"]}, **agent).status_code == 202
    assert put_camera(client, "CAM2", {"rooms": ["R2"], "is_active": False},
                      **agent).status_code == 202
    # The head's token and the head's signed-in session: the same API, still proposals.
    head_token = bearer(token_for(people["head_a"]))
    assert put_camera(client, "CAM8", {"rooms": ["R3"]}, **head_token).status_code == 202
    sign_in(client, people["head_a"])
    assert put_camera(client, "CAM7", {"rooms": ["R3"]}).status_code == 202
    # The pages: the head and the duty officer propose by form.
    page = client.post(PAGE, {"action": "propose", "code": "CAM6", "rooms": ["R3"],
                              "is_active": "on"})
    assert page.status_code == 302, page.content
    sign_in(client, people["duty_a"])
    assert client.post(PAGE, {"action": "propose", "code": "CAM1", "rooms": ["R1", "R3"],
                              "is_active": "on"}).status_code == 302
    # Neither may decide, by page or API.
    pending = CameraChange.objects.filter(status="pending")
    change = pending.get(camera__code="CAM1")
    assert client.post(PAGE, {"action": "decide", "change": change.pk, "approve": "yes",
                              "reason": "ok"}).status_code == 403
    decided = client.post(f"/api/registry/camera-changes/{change.pk}/decision",
                          data=json.dumps({"approve": True, "reason": "ok"}),
                          content_type="application/json", **agent)
    assert decided.status_code == 403
    assert pending.count() == 6  # CAM1 (the duty officer's replaced the agent's), 9, 2, 8, 7, 6
    assert figures(people, facility_a) == (*before[:2], before[2], *before[3:5], {
        **before[5], "CAM9": (False, []), "CAM8": (False, []), "CAM7": (False, []),
        "CAM6": (False, [])})
    assert (figures(people, facility_a)[0], figures(people, facility_a)[4]) == (
        before[0], before[4])

    # An NPM monitor approves the remap; the prosecutor approves the deactivation.
    sign_in(client, npm)
    response = client.post(PAGE, {"action": "decide", "change": change.pk, "approve": "yes",
                                  "reason": "Seen on the visit of 5 May"})
    assert response.status_code == 302
    assert sorted(Camera.objects.get(facility=facility_a, code="CAM1").rooms.values_list(
        "code", flat=True)) == ["R1", "R3"]
    assert blind_room_count(facility_a) == 0
    deactivation = pending.get(camera__code="CAM2")
    sign_in(client, people["prosecutor_a"])
    api = client.post(f"/api/registry/camera-changes/{deactivation.pk}/decision",
                      data=json.dumps({"approve": True, "reason": "Dismantled"}),
                      content_type="application/json")
    assert api.status_code == 200, api.content
    assert not Camera.objects.get(facility=facility_a, code="CAM2").is_active
    assert blind_room_count(facility_a) == 1  # R2 lost its camera
    again = client.post(f"/api/registry/camera-changes/{deactivation.pk}/decision",
                        data=json.dumps({"approve": False, "reason": "twice"}),
                        content_type="application/json")
    assert again.status_code == 422
    assert AuditEvent.objects.filter(object_type="registry.camerachange",
                                     detail__approved=True).count() == 2


def test_approvers_outside_scope_and_other_facilities_are_refused(
        client, people, facility_a, facility_b):
    agent = bearer(token_for(people["agent_a"]))
    put_camera(client, "CAM1", {"rooms": ["R1", "R2"]}, **agent)
    change = CameraChange.objects.get()
    prosecutor_b = make_user("prosecutor_b", Role.REGIONAL_PROSECUTOR, region=facility_b.region)
    sign_in(client, prosecutor_b)
    assert client.post(f"/api/registry/camera-changes/{change.pk}/decision",
                       data=json.dumps({"approve": True, "reason": "x"}),
                       content_type="application/json").status_code == 404
    assert client.get(PAGE).status_code == 404
    sign_in(client, people["head_b"])
    assert client.post(PAGE, {"action": "propose", "code": "CAM5"}).status_code == 404
    change.refresh_from_db()
    assert change.status == "pending"
    # The agent of FA-1 proposes nothing for FB-1.
    refused = client.put("/api/registry/facilities/FB-1/cameras/CAM1",
                         data=json.dumps({"rooms": ["R1", "R2", "R3"]}),
                         content_type="application/json", **agent)
    assert refused.status_code == 403
    assert not CameraChange.objects.filter(facility=facility_b).exists()


def test_the_inventory_sent_again_makes_no_new_proposal(client, people, facility_a):
    agent = bearer(token_for(people["agent_a"]))
    same = {"rooms": ["R1"], "recorder": "NVR1"}
    assert put_camera(client, "CAM1", same, **agent).json()["status"] == "unchanged"
    put_camera(client, "CAM1", {"rooms": ["R1", "R2"], "recorder": "NVR1"}, **agent)
    put_camera(client, "CAM1", {"rooms": ["R2", "R1"], "recorder": "NVR1"}, **agent)
    assert CameraChange.objects.count() == 1


def test_a_change_lowering_blind_rooms_without_markers_is_flagged(
        client, people, facility_a, django_capture_on_commit_callbacks):
    people["prosecutor_a"].email = "prosecutor@example.org"
    people["prosecutor_a"].save()
    assign_marker_ids([facility_a.pk])
    working_now(facility_a, "CAM1", "CAM2")
    agent = bearer(token_for(people["agent_a"]))
    with django_capture_on_commit_callbacks(execute=True):
        put_camera(client, "CAM1", {"rooms": ["R1", "R3"]}, **agent)
    flagged = CameraChange.objects.get()
    assert (flagged.blind_before, flagged.blind_after, flagged.flagged) == (1, 0, True)
    assert [m.to for m in mail.outbox] == [["prosecutor@example.org"]]
    # The same change while the camera shows R3's marker: a proving camera, not flagged.
    r3 = Room.objects.get(facility=facility_a, code="R3")
    camera = Camera.objects.get(facility=facility_a, code="CAM1")
    now = timezone.now()
    MarkerSighting.objects.create(camera=camera, marker_id=r3.marker_id, seen=1.0,
                                  started_at=now - dt.timedelta(minutes=1), ended_at=now)
    put_camera(client, "CAM1", {"rooms": ["R1", "R3"], "name": "Cells"}, **agent)
    proven = CameraChange.objects.get(status="pending")
    assert (proven.blind_after, proven.flagged) == (0, False)
    flagged.refresh_from_db()
    assert flagged.status == "superseded"


def test_the_registry_editor_still_writes_directly(client, people, facility_a):
    sign_in(client, people["admin"])
    response = put_camera(client, "CAM1", {"rooms": ["R1", "R2"]})
    assert response.status_code == 200
    assert not CameraChange.objects.exists()


# ------------------------------------------------- the video side, registered at ready
# The registry sits below video (docs/architecture.md, "Layers"): the blind-room count, the
# coverage work of an approved change and the page's coverage panel come from
# video/camera_map.py through registry.camera_changes / registry.signals / registry.sections.


def _proposal(people, facility_a, rooms: list[str]) -> CameraChange:
    from custodywatch.registry.camera_changes import camera_change_propose

    _camera, change = camera_change_propose(
        acting_user=people["head_a"], origin=SYSTEM_ORIGIN, token=None, facility=facility_a,
        code="CAM1", name="Corridor", room_codes=rooms)
    return change


def test_an_approval_queues_the_coverage_of_the_rooms_it_touched_in_its_transaction(
        people, facility_a, npm):
    from django.db import transaction

    from custodywatch.registry.camera_changes import camera_change_decide
    from custodywatch.video.models import CoverageWork

    rooms = dict(Room.objects.filter(facility=facility_a).values_list("code", "pk"))
    now = timezone.now().replace(microsecond=0)
    # A rejection changes no map: no coverage work.
    rejected = _proposal(people, facility_a, ["R1", "R2"])
    camera_change_decide(acting_user=npm, origin=SYSTEM_ORIGIN, change=rejected,
                         approve=False, reason="Not seen", now=now)
    assert not CoverageWork.objects.exists()
    # An approval that fails later in its transaction leaves no work behind either.
    change = _proposal(people, facility_a, ["R2", "R3"])
    with pytest.raises(RuntimeError), transaction.atomic():
        camera_change_decide(acting_user=npm, origin=SYSTEM_ORIGIN, change=change,
                             approve=True, reason="Seen", now=now)
        assert CoverageWork.objects.exists()  # queued inside the decision's transaction
        raise RuntimeError("the caller's transaction fails")
    assert not CoverageWork.objects.exists()
    camera_change_decide(acting_user=npm, origin=SYSTEM_ORIGIN, change=change, approve=True,
                         reason="Seen", now=now)
    # CAM1 covered R1 and now covers R2 and R3: all three, over the last day.
    queued = {(w.room_id, w.starts_at, w.ends_at) for w in CoverageWork.objects.all()}
    assert queued == {(rooms[code], now - dt.timedelta(days=1), now)
                      for code in ("R1", "R2", "R3")}


def test_without_the_video_side_a_change_is_refused_not_half_done(
        people, facility_a, npm, monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from custodywatch.registry import camera_changes
    from custodywatch.registry.signals import camera_map_changed
    from custodywatch.video.camera_map import queue_coverage

    change = _proposal(people, facility_a, ["R1", "R3"])
    assert camera_map_changed.disconnect(dispatch_uid="video.camera_map.queue_coverage")
    try:
        with pytest.raises(ImproperlyConfigured, match="camera_map_changed"):
            camera_changes.camera_change_decide(acting_user=npm, origin=SYSTEM_ORIGIN,
                                                change=change, approve=True, reason="Seen")
    finally:
        camera_map_changed.connect(queue_coverage,
                                   dispatch_uid="video.camera_map.queue_coverage")
    change.refresh_from_db()
    assert change.status == CameraChange.Status.PENDING
    assert sorted(Camera.objects.get(facility=facility_a, code="CAM1").rooms.values_list(
        "code", flat=True)) == ["R1"]
    monkeypatch.setattr(camera_changes, "_blind_rooms_of", None)
    with pytest.raises(ImproperlyConfigured, match="blind-room"):
        blind_room_count(facility_a)


def test_the_cameras_page_shows_videos_coverage_rule_and_open_incidents(
        client, people, facility_a, facility_b):
    from custodywatch.video.models import CoverageIncident

    now = timezone.now()
    camera = Camera.objects.get(facility=facility_a, code="CAM1")
    CoverageIncident.objects.create(facility=facility_a, camera=camera,
                                    kind=CoverageIncident.Kind.MARKER_LOST,
                                    started_at=now, raised_at=now)
    CoverageIncident.objects.create(facility=facility_a, kind=CoverageIncident.Kind.BLACKOUT,
                                    started_at=now, raised_at=now, closed_at=now)
    sign_in(client, people["gpo"])
    page = client.get(PAGE).content.decode()
    assert 'data-testid="coverage-rule">Coverage rule: ' in page
    assert 'data-testid="incidents"><li><strong>Camera no longer sees its room' in page
    assert "CAM1</li>" in page and "Facility blackout" not in page  # the closed one is not
    # Another facility's page shows none of FA-1's incidents.
    other = client.get(f"/registry/facilities/{facility_b.code}/cameras/")
    assert other.status_code == 200
    assert 'data-testid="incidents"' not in other.content.decode()
