"""Issue 22 item 2: a person transferred A → vehicle → B has one timeline across facilities,
seen in part by each facility's head and whole by the regional prosecutor; a transfer nobody
receives is an alert."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent, Role
from custodywatch.custody import alerts, services
from custodywatch.custody.models import CustodyAlert, RoomStay, iin_is_valid
from custodywatch.registry.models import Room
from tests.conftest import make_facility, make_user
from tests.custody.conftest import make_record

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)


def valid_iin(first11: str = "90050130012") -> str:
    for last in range(10):
        if iin_is_valid(first11 + str(last)):
            return first11 + str(last)
    raise AssertionError("no check digit")


@pytest.fixture
def transfer(people, facility_a):
    """Detained 10 h ago at A, moved to A's van 4 h ago (12 blind minutes), handed over to C
    (another facility of the same region) 3 h ago."""
    facility_c = make_facility("FC-1", "KZ-75")
    van = facility_a.rooms.create(code="V1", name="Van", kind=Room.Kind.VEHICLE,
                                  custody_use=True)
    now = timezone.now()
    iin = valid_iin()
    detained = now - 10 * H
    sent = make_record(facility_a, people["duty_a"], iin=iin, detained_at=detained,
                       arrived_at=detained + H)
    services.room_stay_move(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN, record=sent,
                            room=van, at=now - 4 * H)
    services.custody_record_end(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                record=sent, ended_at=now - 3 * H, end_reason="transferred",
                                end_note="to FC-1")
    RoomStay.objects.filter(room=van).update(blind_ms=12 * 60_000)
    head_c = make_user("head_c", Role.FACILITY_HEAD, facility=facility_c)
    received = make_record(facility_c, head_c, iin=iin, detained_at=detained,
                           arrived_at=now - 3 * H + 20 * M)
    return sent, received, head_c


def parts_seen(client, record) -> list[str]:
    response = client.get(reverse("custody:person", args=[record.pk]))
    assert response.status_code == 200
    return [part.record.facility.code for part in response.context["parts"]]


def test_each_reader_sees_the_parts_of_the_timeline_in_their_scope(signed_in, people,
                                                                   transfer):
    sent, received, head_c = transfer
    assert parts_seen(signed_in(people["head_a"]), sent) == ["FA-1"]
    assert parts_seen(signed_in(head_c), received) == ["FC-1"]
    # Another region's head may not open it at all.
    assert signed_in(people["head_b"]).get(
        reverse("custody:person", args=[sent.pk])).status_code == 404
    prosecutor = signed_in(people["prosecutor_a"])
    assert parts_seen(prosecutor, sent) == ["FA-1", "FC-1"]
    whole = prosecutor.get(reverse("custody:person", args=[sent.pk]))
    page = whole.content.decode()
    assert 'data-testid="handover-received"' in page
    # The van's blind minutes are on the picture: A's cell, A's van, C's cell, the transit.
    lanes = whole.context["timeline"].lanes
    assert [lane.label for lane in lanes][:2] == ["FA-1", "FC-1"]
    van = [bar for bar in lanes[0].bars if "tl-vehicle" in bar.css]
    assert van and "tl-blind" in van[0].css and "12 min" in van[0].title
    assert len(lanes[-1].bars) == 1  # 20 minutes in transit
    # A's head learns the person was received, not where.
    head_page = signed_in(people["head_a"]).get(
        reverse("custody:person", args=[sent.pk])).content.decode()
    assert "FC-1" not in head_page and 'data-testid="handover-received"' in head_page
    assert AuditEvent.objects.filter(object_label=f"person of {sent.pk}").exists()


def test_a_transfer_nobody_receives_is_lost_in_transit(people, facility_a):
    now = timezone.now()
    sent = make_record(facility_a, people["duty_a"], iin=valid_iin(),
                       detained_at=now - 40 * H, arrived_at=now - 39 * H)
    services.custody_record_end(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                record=sent, ended_at=now - 30 * H, end_reason="transferred")
    assert alerts.transit_alerts_raise(now=now - 30 * H + 23 * H) == 0  # within 24 h
    assert alerts.transit_alerts_raise(now=now) == 1
    assert alerts.transit_alerts_raise(now=now) == 0  # once
    assert CustodyAlert.objects.get(clock="transit").level == "lost"


def test_a_received_transfer_raises_nothing(people, transfer):
    assert alerts.transit_alerts_raise(now=timezone.now() + 30 * H) == 0

