"""Issue 17 item 3: the accused facility cannot tell that complaints were filed against it.

Black box (tests/security/facility_view.py): every API read and every page that facility A's
credentials reach (its edge agent's token, its head's and duty officer's personal tokens and
their sessions) is read before and after complaints against A arrive by every channel (web
form, kiosk, the e-appeals API, an operator with the detainee's custody record linked, a
handler linking a record afterwards), with the agent's recordings in place so that footage
holds have something to hold. The two must be identical, beyond what changes by itself for
every facility between two readings.

Before the uniform preservation policy, the agent's and the staff tokens' orders jumped from
the routine sample to every held segment, and this test failed on ``/api/preservation/orders``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role
from custodywatch.accounts.services import token_create
from custodywatch.complaints import services as complaints
from custodywatch.complaints.models import Channel, Complaint, LegalHold
from custodywatch.custody.models import CustodyRecord, RoomStay
from custodywatch.ledger.services import ledger_integrate_all
from tests.complaints.conftest import enrol
from tests.conftest import make_user, sign_in
from tests.security.facility_view import (
    assert_indistinguishable,
    differences,
    facility_view_for,
)

pytestmark = pytest.mark.django_db

TEXT = "В изоляторе меня избили дубинкой и угрожали, требовали признание."


def _record(facility, name: str, hours_ago: int) -> CustodyRecord:
    detained = timezone.now() - dt.timedelta(hours=hours_ago)
    record = CustodyRecord.objects.create(
        facility=facility, full_name=name, detained_at=detained, detained_place="ул. Абая",
        detaining_officer="Иванов", grounds="ст. 188",
        detention_due_at=detained + dt.timedelta(hours=48))
    RoomStay.objects.create(custody_record=record, room=facility.rooms.get(code="R1"),
                            started_at=detained)
    return record


@pytest.fixture
def facility_world(people, facility_a, sealing_key, media_root, client):
    records = [_record(facility_a, "Нурланов Ерлан", 30), _record(facility_a, "Ким Олег", 20)]
    view = facility_view_for(facility_a)  # agent_a, head_a, duty_a: tokens and sessions
    assert set(view.tokens) == {"agent_a", "head_a", "duty_a"}
    assert {person.username for person in view.people} == {"head_a", "duty_a"}
    agent = view.tokens["agent_a"]
    # An hour of ten-minute segments on both cameras, as the agent reports them.
    start = (timezone.now() - dt.timedelta(hours=26)).replace(microsecond=0)
    items = [{"camera": camera, "start": (start + dt.timedelta(minutes=10 * n)).isoformat(),
              "end": (start + dt.timedelta(minutes=10 * n + 10)).isoformat(),
              "sha256": hashlib.sha256(f"{camera}{n}".encode()).hexdigest()}
             for camera in ("CAM1", "CAM2") for n in range(6)]
    posted = client.post("/api/video/recordings", json.dumps({"items": items}),
                         content_type="application/json", HTTP_IDEMPOTENCY_KEY="seg-1",
                         HTTP_AUTHORIZATION=f"Bearer {agent}")
    assert posted.status_code == 200, posted.content
    ledger_integrate_all()
    return view, records


def _file_complaints_by_every_channel(client, facility, records, people) -> None:
    # The public web form and the facility's own kiosk.
    web = client.post(reverse("complaints:intake"), {
        "text": TEXT, "facility": facility.pk, "accused_officers": "Иванов И.И.",
        "full_name": "Нурланов Ерлан", "contact": "+7 701 000 00 00"})
    assert web.status_code == 200, web.content[:300]
    enrol(client, facility)
    kiosk = client.post(reverse("complaints:kiosk_form", args=[facility.code]),
                        {"text": TEXT, "facility": facility.pk, "still_in_custody": "on"})
    assert kiosk.status_code == 200, kiosk.content[:300]
    # The e-appeals system, through the API.
    e_appeals = make_user("e_appeals", Role.STATE_SYSTEM)
    raw, _ = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=e_appeals)
    api = client.post("/api/complaints/intake", json.dumps({
        "text": TEXT, "facility": facility.code, "accused_officers": "Петров П.П."}),
        content_type="application/json", HTTP_IDEMPOTENCY_KEY="intake-1",
        HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.status_code == 201, api.content
    # An operator's complaint with the detainee's custody record linked at filing.
    complaints.complaint_file(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                              channel=Channel.HOTLINE, text=TEXT, facility=facility,
                              custody_record=records[0], still_in_custody=True)
    # A relative names only the region; the handler links the record on the complaint page.
    filed = complaints.complaint_file(acting_user=None, origin=SYSTEM_ORIGIN,
                                      channel=Channel.WEB, text=TEXT, region=facility.region)
    handler = sign_in(client, people["prosecutor_a"])
    linked = handler.post(reverse("complaints:action", args=[filed.complaint.pk, "link"]),
                          {"custody_record": records[1].pk})
    assert linked.status_code in (200, 302), linked.content[:300]
    handler.logout()
    assert Complaint.objects.filter(facility=facility).count() == 5
    assert LegalHold.objects.filter(facility=facility).count() == 5


@pytest.mark.slow
def test_the_accused_facility_reads_the_same_before_and_after_complaints(
        facility_world, client, people, facility_a):
    view, records = facility_world
    view.snapshot()  # the first reading fills the readers' own audit trails past one page
    before = view.snapshot()
    ledger_integrate_all()
    routine = view.snapshot()
    ledger_integrate_all()
    # The guard reads a lot: every API operation by every credential, and the pages.
    assert sum(" GET /api/preservation/orders" in label for label in routine) >= 5
    assert sum(" page " in label for label in routine) >= 20
    _file_complaints_by_every_channel(client, facility_a, records, people)
    ledger_integrate_all()
    after = view.snapshot()
    assert_indistinguishable(before, routine, after)


@pytest.mark.slow
def test_the_guard_sees_a_change_that_only_the_accused_facility_gets(
        facility_world, client, people, facility_a):
    """The guard is not blind: a read that does depend on the facility's complaints (here a
    camera renamed at the centre while the complaints arrive, standing in for a leak) fails."""
    view, records = facility_world
    before = view.snapshot()
    routine = view.snapshot()
    _file_complaints_by_every_channel(client, facility_a, records, people)
    facility_a.cameras.filter(code="CAM2").update(code="CAM2-HELD")
    found = differences(before, routine, view.snapshot())
    assert any("/api/preservation/orders" in line and "agent_a GET" in line for line in found)
