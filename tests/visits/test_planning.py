"""The planning score on hand-made facilities, explained factor by factor on the page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent
from custodywatch.complaints import services as complaints
from custodywatch.complaints.models import Channel
from custodywatch.custody.models import CustodyRecord, EndReason, RoomStay
from custodywatch.kernels.risk import DEFAULT_WEIGHTS
from custodywatch.registry.models import Camera
from custodywatch.video.models import CameraHealth, CameraState
from custodywatch.visits import risk_factors, selectors, services
from custodywatch.visits.models import PlanningWeight, Recommendation, Visit
from tests.conftest import make_facility
from tests.visits.conftest import issue, plan_visit

NOW = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)


@pytest.fixture
def hand_made(monitor, facility_a, facility_b, police):
    """A: visited 30 days ago, one overdue recommendation, one blind room (conftest gives
    three custody rooms, two with a camera). B: never visited, every room covered.
    C: visited yesterday, nothing open, every room covered."""
    visit_a = plan_visit(monitor, facility_a, starts_on=dt.date(2026, 5, 2),
                         ends_on=dt.date(2026, 5, 2))
    Visit.objects.filter(pk=visit_a.pk).update(status=Visit.Status.COMPLETED)
    issue(monitor, visit_a, police)
    Recommendation.objects.update(issued_on=dt.date(2026, 5, 2), deadline=dt.date(2026, 5, 20))
    Camera.objects.create(facility=facility_b, code="CAM3").rooms.add(
        facility_b.rooms.get(code="R3"))
    facility_c = make_facility("FC-1", "KZ-75", rooms=1, cameras=1)
    visit_c = plan_visit(monitor, facility_c, starts_on=dt.date(2026, 5, 31),
                         ends_on=dt.date(2026, 5, 31))
    Visit.objects.filter(pk=visit_c.pk).update(status=Visit.Status.COMPLETED)
    return facility_a, facility_b, facility_c


def test_values_come_from_the_platform_and_missing_data_stays_missing(hand_made):
    a, b, c = hand_made
    values = risk_factors.factor_values([a.pk, b.pk, c.pk], NOW)
    assert values[a.pk]["days_since_last_visit"] == 30
    assert values[a.pk]["overdue_recommendations"] == 1
    assert values[a.pk]["open_recommendations"] == 1
    assert values[a.pk]["custody_rooms_without_camera"] == 1
    assert values[b.pk]["days_since_last_visit"] == float("inf")
    assert values[b.pk]["custody_rooms_without_camera"] == 0
    assert values[c.pk]["days_since_last_visit"] == 1
    assert values[a.pk]["complaints"] == 0
    # No camera has ever reported: unknown health is not working.
    assert (values[a.pk]["cameras_out_of_order"], values[b.pk]["cameras_out_of_order"]) == (2, 3)
    original = risk_factors.registered_provider("complaints")
    risk_factors.unregister_provider("complaints")
    try:
        missing = risk_factors.factor_values([a.pk], NOW)
        assert missing[a.pk]["complaints"] is None  # no provider: never invented
    finally:
        risk_factors.register_provider("complaints", original)


def test_board_ranks_the_hand_made_facilities(monitor, hand_made):
    a, b, c = hand_made
    board = selectors.planning_board(user=monitor, now=NOW)
    assert [entry.facility for entry in board] == [b, a, c]
    # B: never visited = 20 points, 3 silent cameras = 5. A: 30/730 of 20 + 1/5 of 15
    # + 1/10 of 5 + 1/5 of 10, and 2 silent cameras of the 3 that count in full (of 5).
    assert board[0].score.points == pytest.approx(20 + 5)
    assert board[1].score.points == pytest.approx(20 * 30 / 730 + 3 + 0.5 + 2 + 5 * 2 / 3)

    services.planning_weights_set(acting_user=monitor, origin=SYSTEM_ORIGIN,
                                  weights={"days_since_last_visit": 1})
    assert [e.facility for e in selectors.planning_board(user=monitor, now=NOW)][0] == a


def test_a_plugged_in_provider_counts(monitor, hand_made):
    a, b, c = hand_made
    original = risk_factors.registered_provider("complaints")
    risk_factors.register_provider("complaints", lambda ids, now: {c.pk: 10})
    try:
        board = selectors.planning_board(user=monitor, now=NOW)
        assert [entry.facility for entry in board] == [b, c, a]
        # Ten complaints saturate the factor: its whole weight.
        assert board[1].score.points == pytest.approx(
            DEFAULT_WEIGHTS["complaints"] + 20 / 730 + 5 / 3)
        assert board[1].score.contributions[4].key == "complaints"
    finally:
        risk_factors.register_provider("complaints", original)
    with pytest.raises(KeyError):
        risk_factors.register_provider("horoscope", lambda ids, now: {})


def test_the_page_explains_each_factor(monitor, hand_made, signed_in, client):
    signed_in(monitor)
    page = client.get(reverse("visits:planning")).content.decode()
    assert "never visited" in page
    assert "Complaints in the last 12 months" in page and "not available yet" not in page
    assert page.count('data-testid="board-entry"') == 3
    region = client.get(reverse("visits:planning"), {"region": "KZ-35"})
    assert region.content.decode().count('data-testid="board-entry"') == 1
    assert timezone.now()  # the page uses the real clock; the ranking above uses NOW


def test_weights_form_is_for_monitors_and_checks_its_input(monitor, people, hand_made,
                                                           signed_in, client):
    signed_in(people["head_a"])
    # The board weighs complaints against the facility and says where monitors go next:
    # facility staff never see it (issue 17: the accused facility learns of no complaint).
    assert client.get(reverse("visits:planning")).status_code == 403
    assert client.post(reverse("visits:planning"), {"complaints": 5}).status_code == 403
    assert AuditEvent.objects.filter(actor=people["head_a"], action=AuditEvent.Action.DENIED,
                                     object_type="visits.planning").exists()
    signed_in(people["analyst"])
    assert client.post(reverse("visits:planning"), {"complaints": 5}).status_code == 403
    assert AuditEvent.objects.filter(actor=people["analyst"], action=AuditEvent.Action.DENIED,
                                     object_type="visits.planningweight").exists()
    signed_in(monitor)
    fields = {key: 10 for key in risk_factors.LABELS}
    bad = client.post(reverse("visits:planning"), {**fields, "complaints": 500})
    assert bad.status_code == 422 and not PlanningWeight.objects.exists()
    assert client.post(reverse("visits:planning"), fields).status_code == 302
    assert PlanningWeight.objects.count() == len(fields)


def test_custody_complaint_and_camera_factors_come_from_their_modules(people, facility_a,
                                                                     facility_b):
    """Hand-made custody records, a complaint and camera health, read back per facility."""
    now = timezone.now()

    def record(facility, hours_ago, ended_hours_ago=None, reason=""):
        detained = now - dt.timedelta(hours=hours_ago)
        return CustodyRecord.objects.create(
            facility=facility, full_name="Person", detained_at=detained, detained_place="x",
            detaining_officer="y", grounds="z", detention_due_at=detained + dt.timedelta(hours=48),
            ended_at=now - dt.timedelta(hours=ended_hours_ago) if ended_hours_ago is not None
            else None, end_reason=reason)

    record(facility_a, 60)                                   # held past the limit now
    record(facility_a, 100, ended_hours_ago=40, reason=EndReason.RELEASED)  # released late
    record(facility_a, 10, ended_hours_ago=5, reason=EndReason.RELEASED)    # on time
    dead = record(facility_b, 20, ended_hours_ago=2, reason=EndReason.DIED)
    RoomStay.objects.create(custody_record=dead, room=facility_b.rooms.get(code="R3"),
                            started_at=dead.detained_at, ended_at=dead.ended_at)
    complaints.complaint_file(acting_user=None, origin=SYSTEM_ORIGIN, channel=Channel.WEB,
                              facility=facility_b, text="В камере холодно, нет одеял.")
    for camera in Camera.objects.filter(facility=facility_a):
        CameraHealth.objects.create(camera=camera, reported_state=CameraState.OK,
                                    last_heartbeat_at=now, state_since=now,
                                    silent_after=now + dt.timedelta(minutes=2))
    values = risk_factors.factor_values([facility_a.pk, facility_b.pk], timezone.now())
    a, b = values[facility_a.pk], values[facility_b.pk]
    assert (a["custody_overruns"], b["custody_overruns"]) == (2, 0)
    assert (a["deaths_in_custody"], b["deaths_in_custody"]) == (0, 1)
    assert (a["complaints"], b["complaints"]) == (0, 1)
    assert (a["cameras_out_of_order"], b["cameras_out_of_order"]) == (0, 2)
    # The dead person's 18 hours in R3, a room no camera covers, are all blind.
    assert b["blind_custody_minutes"] == pytest.approx(18 * 60)
