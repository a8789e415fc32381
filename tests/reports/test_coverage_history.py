"""Daily coverage snapshots and the burn-down from the audit's baseline: stored per unit,
agency, region and country, shown and served within the reader's scope."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.registry.models import Camera
from custodywatch.reports.coverage_history import coverage_baseline_set, coverage_snapshot_take
from custodywatch.reports.models import CoverageSnapshot
from custodywatch.video.models import CameraHealth, CameraState, RemediationTicket

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(facility_a, facility_b):
    now = timezone.now()
    camera = Camera.objects.get(facility=facility_a, code="CAM1")
    CameraHealth.objects.create(camera=camera, last_heartbeat_at=now,
                                reported_state=CameraState.OK, state_since=now,
                                silent_after=now + dt.timedelta(minutes=2))
    broken = Camera.objects.get(facility=facility_a, code="CAM2")
    CameraHealth.objects.create(camera=broken, last_heartbeat_at=now,
                                reported_state=CameraState.BLACK,
                                state_since=now - dt.timedelta(days=9, hours=1),
                                silent_after=now + dt.timedelta(minutes=2))
    coverage_baseline_set(acting_user=None, origin=SYSTEM_ORIGIN,
                          day=timezone.localdate() - dt.timedelta(days=30), rooms_blind=6159,
                          cameras_out_of_order=937)
    coverage_snapshot_take(now=now)
    return now


def test_the_baseline_is_spread_exactly_over_regions_and_agencies(history):
    baseline = CoverageSnapshot.objects.filter(baseline=True)
    assert baseline.get(key="country").rooms_blind == 6159
    for level in ("region", "agency"):
        rows = baseline.filter(level=level)
        assert sum(r.rooms_blind for r in rows) == 6159
        assert sum(r.cameras_out_of_order for r in rows) == 937


def test_a_snapshot_counts_each_unit_and_sums_them_up(history, facility_a, facility_b):
    unit = CoverageSnapshot.objects.get(key=f"facility:{facility_a.pk}", baseline=False)
    # R2's camera shows a black picture, R3 has none; CAM2 broken for nine whole days.
    assert (unit.custody_rooms, unit.rooms_blind, unit.rooms_never_covered) == (3, 2, 1)
    assert (unit.cameras, unit.cameras_out_of_order) == (2, 1)
    assert (unit.camera_days_broken, unit.longest_broken_days) == (9, 9)
    assert unit.rule == "declared"
    other = CoverageSnapshot.objects.get(key=f"facility:{facility_b.pk}", baseline=False)
    country = CoverageSnapshot.objects.get(key="country", baseline=False)
    assert country.rooms_blind == unit.rooms_blind + other.rooms_blind
    assert country.cameras_out_of_order == 1 + 2  # FB-1's two never reported
    region = CoverageSnapshot.objects.get(key=f"region:{facility_a.region_id}", baseline=False)
    assert region.rooms_blind == unit.rooms_blind
    rows = CoverageSnapshot.objects.count()
    coverage_snapshot_take(now=history)  # the same day again: replaced, not added
    assert CoverageSnapshot.objects.count() == rows


def test_the_burn_down_api_and_page_follow_the_scope(history, people, signed_in, facility_a):
    gpo = signed_in(people["gpo"])
    body = gpo.get("/api/reports/coverage-burndown").json()
    country = next(s for s in body["series"] if s["key"] == "country")
    assert [p["baseline"] for p in country["points"]] == [True, False]
    assert country["points"][0]["rooms_blind"] == 6159
    assert body["coverage_rule"] == "declared"
    assert {s["level"] for s in body["series"]} == {"country", "region", "agency"}
    page = gpo.get("/reports/coverage/")
    assert page.status_code == 200 and page.content.count(b'class="burndown"') >= 3
    regional = signed_in(people["prosecutor_a"]).get("/api/reports/coverage-burndown").json()
    assert [s["key"] for s in regional["series"]] == [f"region:{facility_a.region_id}"]
    assert signed_in(people["head_a"]).get("/api/reports/coverage-burndown").status_code == 403
    assert signed_in(people["prosecutor_a"]).get(
        "/api/reports/coverage-burndown?facility=FB-1").status_code == 404


def test_the_unit_scorecard_carries_the_burn_down_and_the_tickets(history, people, signed_in,
                                                                   facility_a):
    now = timezone.now()
    RemediationTicket.objects.create(facility=facility_a, kind="blind_room",
                                     room=facility_a.rooms.get(code="R3"), owner_name="Col. A",
                                     opened_at=now - dt.timedelta(days=20),
                                     due_at=now - dt.timedelta(days=6))
    RemediationTicket.objects.create(facility=facility_a, kind="broken_camera",
                                     camera=facility_a.cameras.get(code="CAM1"),
                                     owner_name="Col. A", status="closed", closed_at=now,
                                     opened_at=now - dt.timedelta(days=3), due_at=now)
    page = signed_in(people["gpo"]).get("/reports/scorecard/FA-1/").content.decode()
    assert 'class="burndown"' in page
    assert "Col. A" in page and "overdue" in page
    assert "R3" in page


def test_the_heads_scorecard_counts_the_tickets_of_each_heads_tenure(people, signed_in,
                                                                     facility_a):
    from custodywatch.registry.models import HeadAppointment

    now = timezone.now()
    if timezone.localdate(now - dt.timedelta(days=7)).year != timezone.localdate(now).year:
        pytest.skip("the tickets below would fall in two calendar years")
    old = HeadAppointment.objects.create(facility=facility_a, full_name="Col. Old",
                                         position="Head", started_on=dt.date(2020, 1, 1),
                                         ended_on=timezone.localdate() - dt.timedelta(days=3))
    HeadAppointment.objects.create(facility=facility_a, full_name="Col. New", position="Head",
                                   started_on=old.ended_on)
    room = facility_a.rooms.get(code="R3")
    for days_ago, status, due_in, camera in ((6, "open", -1, "CAM1"), (5, "closed", 9, None),
                                             (1, "open", 13, "CAM2")):
        RemediationTicket.objects.create(
            facility=facility_a, kind="blind_room" if camera is None else "broken_camera",
            room=room if camera is None else None,
            camera=facility_a.cameras.get(code=camera) if camera else None,
            status=status, opened_at=now - dt.timedelta(days=days_ago),
            due_at=now + dt.timedelta(days=due_in))
    page = signed_in(people["gpo"]).get(f"/reports/heads/?period={now.year}&q=FA-1")
    rows = {head: cells for head, cells in re.findall(
        r'<th scope="row">(Col\. \w+).*?data-figure="tickets">([^<]*)<', page.content.decode(),
        re.S)}
    # The old head: one open and overdue, one fixed; the new one: one open, not yet due.
    assert rows == {"Col. Old": "1 / 1 / 1", "Col. New": "1 / 0 / 0"}


def test_the_workers_commands(facility_a, facility_b):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = StringIO()
    call_command("coverage_snapshot", "--baseline-rooms", "60", "--baseline-cameras", "9",
                 "--baseline-day", "2026-01-01", stdout=out)
    call_command("coverage_snapshot", stdout=out)
    call_command("coverage_incidents", stdout=out)
    call_command("remediation_tickets", stdout=out)
    call_command("video_sweep", stdout=out)
    text = out.getvalue()
    assert "baseline 2026-01-01" in text and "coverage snapshot:" in text
    assert "incidents opened: 0" in text and "tickets opened:" in text
    assert "blind custody alerts:" in text
    assert CoverageSnapshot.objects.get(key="country", baseline=True).rooms_blind == 60
    with pytest.raises(CommandError):
        call_command("coverage_snapshot", "--baseline-rooms", "5", stdout=out)
