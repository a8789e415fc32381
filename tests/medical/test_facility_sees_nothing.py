"""Issue 17 item 3 applied to issue 21: an automatic referral (ex officio allegation, legal
hold, case, examination request) changes nothing that the accused facility's staff or agent
can read. A black-box diff: every read below is made with the facility's own tokens and
sessions before and after the referral, at the same frozen moment, and the two must be equal.

What could leak, and is read here: the custody record (API and page), the duty desk, the
alerts page, the overruns, the home page, the live-view page, the facility in the registry,
the complaint and case lists (refused before and after), and the agent's preservation orders.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from custodywatch.complaints.models import Complaint, LegalHold
from custodywatch.custody.models import CustodyRecord, EndReason
from custodywatch.medical import referrals
from custodywatch.medical.models import Referral
from tests.conftest import sign_in
from tests.medical.conftest import BRUISE, exam_item, iso, post, record_item, token_for

pytestmark = pytest.mark.django_db

VOLATILE = [re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"'),
            re.compile(rb'nonce="[^"]+"'), re.compile(rb'csrf-token" content="[^"]+"'),
            re.compile(rb'"X-CSRFToken": "[^"]+"')]


def _normal(body: bytes) -> bytes:
    for pattern in VOLATILE:
        body = pattern.sub(b"", body)
    return body


def snapshot(record: CustodyRecord, tokens: dict[str, dict], sessions: dict[str, Client],
             *, orders: bool, frozen: dt.datetime) -> dict[str, tuple[int, bytes]]:
    """Every read the facility can make, at one frozen moment (the same for both)."""
    reads: dict[str, tuple[int, bytes]] = {}
    api = [f"/api/custody/records/{record.pk}", "/api/registry/facilities/FA-1",
           "/api/registry/facilities", "/api/complaints/", "/api/cases/"]
    if orders:
        api = ["/api/preservation/orders"]
    pages = [] if orders else [
        reverse("home"), reverse("custody:desk", args=["FA-1"]),
        reverse("custody:record", args=[record.pk]), reverse("custody:alerts"),
        reverse("custody:overruns"), reverse("liveview:record", args=[record.pk]),
        reverse("registry:facility_detail", args=["FA-1"])]
    class Frozen(dt.datetime):  # the {% now %} tag reads datetime.now, not timezone.now
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
            return frozen.astimezone(tz) if tz else frozen.replace(tzinfo=None)

    with mock.patch("django.utils.timezone.now", return_value=frozen), \
            mock.patch("django.template.defaulttags.datetime", Frozen):
        client = Client()
        for name, headers in tokens.items():
            for path in api:
                response = client.get(path, **headers)
                reads[f"{name} {path}"] = (response.status_code, _normal(response.content))
        for name, session in sessions.items():
            for path in pages:
                response = session.get(path)
                reads[f"{name} {path}"] = (response.status_code, _normal(response.content))
    return reads


def _diff(before: dict, after: dict) -> list[str]:
    return [key for key in before if before[key] != after.get(key)]


@pytest.fixture
def world(client, people, facility_a, doctor_token, settings):
    settings.PRESERVATION_SAMPLE_PERCENT = 10
    base = timezone.now().replace(microsecond=0) - dt.timedelta(hours=8)
    duty = token_for(people["duty_a"], facility_a)
    assert post(client, "records/batch", [record_item(base)], **duty).status_code == 200
    # The agent's recordings of the period, so that a hold would have footage to order.
    agent = token_for(people["agent_a"], facility_a)
    items = [{"camera": code, "start": iso(base + dt.timedelta(minutes=20 * n)),
              "end": iso(base + dt.timedelta(minutes=20 * n + 10)),
              "sha256": hashlib.sha256(f"{code}{n}".encode()).hexdigest()}
             for code in ("CAM1", "CAM2") for n in range(20)]
    posted = client.post("/api/video/recordings", json.dumps({"items": items}),
                         content_type="application/json", **agent)
    assert posted.status_code == 200, posted.content
    # The intake examination (no injury) is on record before the first snapshot.
    assert post(client, "examinations/batch", [exam_item(base + dt.timedelta(hours=1))],
                **doctor_token).status_code == 200
    record = CustodyRecord.objects.get(external_ref="D-1")
    tokens = {"head": token_for(people["head_a"], facility_a), "duty": duty, "agent": agent}
    sessions = {"head": sign_in(Client(), people["head_a"]),
                "duty": sign_in(Client(), people["duty_a"])}
    # Both snapshots are read as if at one moment, ahead of the test's writes.
    frozen = timezone.now().replace(microsecond=0) + dt.timedelta(minutes=30)
    return base, record, tokens, sessions, frozen


def test_an_examination_that_opens_a_referral_changes_nothing_the_facility_reads(
        client, world, doctor_token):
    base, record, tokens, sessions, frozen = world
    before = snapshot(record, tokens, sessions, orders=False, frozen=frozen)
    assert before[f"head /api/custody/records/{record.pk}"][0] == 200
    assert before[f"duty {reverse('custody:record', args=[record.pk])}"][0] == 200
    response = post(client, "examinations/batch", [exam_item(
        base + dt.timedelta(hours=5), occasion="other", no_injuries=False,
        declared_ill_treatment=True, injuries=[BRUISE])], **doctor_token)
    assert response.status_code == 200, response.content
    referral = Referral.objects.get()  # the referral happened ...
    assert referral.hold.rooms.exists() and Complaint.objects.count() == 1
    after = snapshot(record, tokens, sessions, orders=False, frozen=frozen)
    assert _diff(before, after) == []  # ... and the facility cannot tell


def test_a_death_referral_changes_nothing_the_facility_reads(client, world, people):
    base, record, tokens, sessions, frozen = world
    from custodywatch.custody import services as custody

    # The facility's own write, without its referral: it ends the custody.
    with mock.patch.object(referrals, "death_referral_open"):
        custody.custody_record_end(
            acting_user=people["duty_a"], origin=custody.Origin(None, ""), record=record,
            ended_at=base + dt.timedelta(hours=6), end_reason=EndReason.DIED)
    assert not Referral.objects.exists()
    record.refresh_from_db()
    before = snapshot(record, tokens, sessions, orders=False, frozen=frozen)
    referrals.death_referral_open(record=record, now=timezone.now())
    assert LegalHold.objects.get().rooms.count() == 0  # the whole facility is held
    after = snapshot(record, tokens, sessions, orders=False, frozen=frozen)
    assert _diff(before, after) == []


def test_the_agent_preservation_orders_do_not_change_with_a_referral(client, world,
                                                                      doctor_token):
    base, record, tokens, sessions, frozen = world
    before = snapshot(record, {"agent": tokens["agent"]}, {}, orders=True, frozen=frozen)
    assert before["agent /api/preservation/orders"][0] == 200
    post(client, "examinations/batch", [exam_item(
        base + dt.timedelta(hours=5), occasion="other", no_injuries=False,
        injuries=[BRUISE])], **doctor_token)
    assert Referral.objects.exists()
    after = snapshot(record, {"agent": tokens["agent"]}, {}, orders=True, frozen=frozen)
    assert _diff(before, after) == []
