"""End to end, with the video module's own data: an agent reports recording segments through
the ingestion API; a complaint from a relative names only the region; the prosecutor links the
detainee's custody record on the complaint page; the hold covers the rooms of his stays, the
complaint shows their footage, and the facility's agent is ordered to keep exactly those
segments (and not those of a room he was never in)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.urls import reverse

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.services import token_create
from custodywatch.complaints import selectors
from custodywatch.complaints.models import LegalHold
from custodywatch.registry.models import Camera, Room

pytestmark = pytest.mark.django_db

SEGMENT = dt.timedelta(minutes=10)


def _digest(camera: str, start: dt.datetime) -> str:
    return hashlib.sha256(f"{camera} {start.isoformat()}".encode()).hexdigest()


def test_linked_detainee_holds_the_footage_of_his_rooms_and_the_agent_keeps_it(
        client, file_complaint, facility_a, custody_record, people, signed_in, settings):
    settings.PRESERVATION_SAMPLE_PERCENT = 0  # no routine sample: only what is held
    third = Camera.objects.create(facility=facility_a, recorder=facility_a.recorders.get(),
                                  code="CAM3")
    third.rooms.add(Room.objects.get(facility=facility_a, code="R3"))  # he was never in R3
    raw, _token = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=people["agent_a"])
    agent = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    # The agent reports a segment every hour from 3 h before the detention to now, per camera.
    first = custody_record.detained_at.replace(microsecond=0) - dt.timedelta(hours=3)
    starts = [first + dt.timedelta(hours=h) for h in range(33)]  # the last ends before now
    items = [{"camera": code, "start": start.isoformat(), "end": (start + SEGMENT).isoformat(),
              "sha256": _digest(code, start)}
             for code in ("CAM1", "CAM2", "CAM3") for start in starts]
    posted = client.post("/api/video/recordings", json.dumps({"items": items}),
                         content_type="application/json", HTTP_IDEMPOTENCY_KEY="segments-1",
                         **agent)
    assert posted.status_code == 200, posted.content

    complaint = file_complaint(region=facility_a.region).complaint
    assert not complaint.legal_holds.exists()  # no facility named: nothing to hold yet
    page = signed_in(people["prosecutor_a"])
    linked = page.post(reverse("complaints:action", args=[complaint.pk, "link"]),
                       {"custody_record": custody_record.pk})
    assert linked.status_code in (200, 302), linked.content[:300]

    hold = LegalHold.objects.get(complaint=complaint)
    assert sorted(room.code for room in hold.rooms.all()) == ["R1", "R2"]
    assert hold.starts_at <= custody_record.detained_at
    expected = {_digest(code, start) for code in ("CAM1", "CAM2") for start in starts
                if start < hold.ends_at and start + SEGMENT > hold.starts_at}
    # Every hour of his custody is in it, from both of his rooms' cameras.
    in_custody = [s for s in starts if s >= custody_record.detained_at]
    assert {_digest(code, s) for code in ("CAM1", "CAM2") for s in in_custody} <= expected
    held = {segment.sha256 for segment in selectors.held_footage(complaint=complaint)}
    assert held == expected
    assert not {_digest("CAM3", start) for start in starts} & held

    # The complaint page lists the held footage; the agent's orders are exactly these.
    detail = page.get(reverse("complaints:detail", args=[complaint.pk])).content.decode()
    assert all(digest[:16] in detail for digest in expected)
    assert not any(_digest("CAM3", start)[:16] in detail for start in starts)
    assert "R1, R2" in detail
    # ... folded behind one line, so a long hold does not make the page metres long.
    assert f'<details data-testid="held-segments"><summary>{len(expected)} recording' in detail
    orders = client.get("/api/preservation/orders", **agent)
    assert orders.status_code == 200
    assert {order["sha256"] for order in orders.json()["orders"]} == expected
