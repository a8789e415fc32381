"""Every blind custody moment is an alert: placed in a blind room, a long blind stay, a move
through a blind room or vehicle (the fourth kind, a blackout, is in test_marker_sightings)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.custody import services as custody_services
from custodywatch.custody.alerts import custody_sweep
from custodywatch.custody.models import CustodyAlert
from custodywatch.registry.models import Room
from custodywatch.video.blind_alerts import blind_custody_alerts_raise
from custodywatch.video.coverage_jobs import coverage_work_drain
from tests.custody.conftest import make_record
from tests.video.conftest import iso

pytestmark = pytest.mark.django_db

HASH = "ef" * 32
NOW = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=5)
CLOCK = CustodyAlert.Clock


def ago(minutes: float) -> dt.datetime:
    return NOW - dt.timedelta(minutes=minutes)


def working(post, token, camera: str, since: float) -> None:
    """The camera recorded a working picture from ``since`` minutes ago until now."""
    span = {"camera": camera, "start": iso(ago(since)), "end": iso(NOW)}
    assert post("state-spans", {"items": [{**span, "state": "ok"}]}, token).status_code == 200
    assert post("recordings", {"items": [{**span, "sha256": HASH}]}, token).status_code == 200
    assert post("heartbeats", {"items": [{"camera": camera, "at": iso(NOW)}]},
                token).status_code == 200


def alerts(clock: str) -> list[str]:
    return sorted(f"{a.room_stay.room.code}" for a in CustodyAlert.objects.filter(clock=clock))


def test_a_person_placed_now_in_a_room_blind_now(post, token_a, people, facility_a, settings):
    working(post, token_a, "CAM1", 120)
    make_record(facility_a, people["duty_a"], room_code="R3", arrived_at=ago(2))  # no camera
    make_record(facility_a, people["duty_a"], room_code="R1", arrived_at=ago(2),
                full_name="Second Person")  # CAM1 works
    make_record(facility_a, people["duty_a"], room_code="R2", arrived_at=ago(60),
                full_name="Placed long ago")  # CAM2 never reported, but not "now"
    assert blind_custody_alerts_raise(now=NOW) == 1
    assert alerts(CLOCK.BLIND_PLACEMENT) == ["R3"]
    assert blind_custody_alerts_raise(now=NOW) == 0  # once
    # Under the proven rule CAM1 proves nothing without R1's marker: R1 is blind too.
    settings.CUSTODYWATCH_COVERAGE_RULE = "proven"
    blind_custody_alerts_raise(now=NOW)
    assert alerts(CLOCK.BLIND_PLACEMENT) == ["R1", "R3"]


def test_a_long_blind_stay_and_a_short_one(post, token_a, people, facility_a, settings):
    working(post, token_a, "CAM1", 120)
    make_record(facility_a, people["duty_a"], room_code="R3", arrived_at=ago(40))
    make_record(facility_a, people["duty_a"], room_code="R2", arrived_at=ago(12),
                full_name="Short")  # blind, but 12 min (the grace leaves less settled)
    make_record(facility_a, people["duty_a"], room_code="R1", arrived_at=ago(40),
                full_name="Covered")
    coverage_work_drain(now=NOW)
    blind_custody_alerts_raise(now=NOW)
    assert alerts(CLOCK.BLIND_STAY) == ["R3"]
    settings.CUSTODYWATCH_BLIND_STAY_MINUTES = 5
    blind_custody_alerts_raise(now=NOW)
    assert alerts(CLOCK.BLIND_STAY) == ["R2", "R3"]


def test_a_move_through_a_blind_corridor_or_vehicle(post, token_a, people, facility_a,
                                                    django_capture_on_commit_callbacks):
    people["head_a"].email = "head@example.org"
    people["head_a"].save()
    working(post, token_a, "CAM1", 120)
    working(post, token_a, "CAM2", 120)
    van = Room.objects.create(facility=facility_a, code="VAN1", name="Van",
                              kind=Room.Kind.VEHICLE)
    Room.objects.create(facility=facility_a, code="C1", name="Escort corridor",
                        kind=Room.Kind.CORRIDOR)
    duty = people["duty_a"]
    record = make_record(facility_a, duty, room_code="R1", arrived_at=ago(60))
    for room, at in (("C1", 50), ("R2", 47), ("VAN1", 30), ("R1", 20)):
        custody_services.room_stay_move(acting_user=duty, origin=SYSTEM_ORIGIN, record=record,
                                        room=facility_a.rooms.get(code=room), at=ago(at))
    coverage_work_drain(now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        custody_sweep(now=NOW)  # the record's own clocks
        assert alerts(CLOCK.BLIND_MOVE) == []  # video raises these, not the custody sweep
        mail.outbox.clear()
        assert blind_custody_alerts_raise(now=NOW) == 2
        assert custody_sweep(now=NOW).mailed == 2  # e-mails what video raised
    assert alerts(CLOCK.BLIND_MOVE) == ["C1", "VAN1"]
    assert alerts(CLOCK.BLIND_STAY) == []  # the van took 10 minutes: a move, not a stay
    assert CustodyAlert.objects.filter(room_stay__room=van).get().custody_record == record
    subjects = [m.subject for m in mail.outbox]
    assert any("Moved through a blind room or vehicle" in s for s in subjects), subjects
