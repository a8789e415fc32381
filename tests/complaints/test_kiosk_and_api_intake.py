"""Issue 17, item 9: the kiosk never signs a staff member out; only the e-appeals system's
own account files complaints through the API."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent, Role
from custodywatch.accounts.services import token_create
from custodywatch.complaints.models import Complaint
from tests.complaints.conftest import TORTURE_TEXT
from tests.conftest import make_user, sign_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("route", ["complaints:kiosk", "complaints:kiosk_form"])
def test_opening_the_kiosk_keeps_a_staff_session_and_says_why(client, people, facility_a,
                                                              route):
    sign_in(client, people["prosecutor_a"])
    page = client.get(reverse(route, args=[facility_a.code]))
    assert page.status_code == 409
    assert b"This browser is signed in to CustodyWatch" in page.content
    assert client.session.get("_auth_user_id") == str(people["prosecutor_a"].pk)
    assert client.get(reverse("registry:facility_list")).status_code == 200


def test_a_kiosk_form_posted_from_a_staff_browser_files_nothing(client, people, facility_a):
    sign_in(client, people["head_a"])
    response = client.post(reverse("complaints:kiosk_form", args=[facility_a.code]),
                           {"text": TORTURE_TEXT})
    assert response.status_code == 409
    assert not Complaint.objects.exists()
    assert "_auth_user_id" in client.session


def test_the_staff_member_signs_out_himself_and_the_kiosk_opens(client, people, facility_a):
    sign_in(client, people["prosecutor_a"])
    kiosk = reverse("complaints:kiosk", args=[facility_a.code])
    signed_out = client.post(reverse("accounts:logout"), {"next": kiosk})
    assert signed_out.status_code == 302 and signed_out["Location"] == kiosk
    assert client.get(kiosk).status_code == 200


def test_an_anonymous_kiosk_still_opens(facility_a):
    assert Client().get(reverse("complaints:kiosk", args=[facility_a.code])).status_code == 200


def _intake(token: str, key: str):  # type: ignore[no-untyped-def]
    return Client().post("/api/complaints/intake",
                         json.dumps({"text": TORTURE_TEXT, "facility": "FA-1"}),
                         content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.parametrize("who", ["analyst", "gpo", "admin", "prosecutor_a", "head_a",
                                 "duty_a", "agent_a"])
def test_only_the_e_appeals_account_files_by_api(people, who):
    token, _row = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=people[who])
    refused = _intake(token, f"k-{who}")
    assert refused.status_code == 403, refused.content
    assert not Complaint.objects.exists()
    assert AuditEvent.objects.filter(actor=people[who], action=AuditEvent.Action.DENIED,
                                     object_label="api intake").exists()


def test_the_e_appeals_account_files(facility_a):
    system = make_user("e_appeals", Role.STATE_SYSTEM)
    token, _row = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=system)
    filed = _intake(token, "k-1")
    assert filed.status_code == 201, filed.content
    assert Complaint.objects.get().channel == "e_appeals"


def test_a_verified_session_of_a_person_cannot_file_by_api(client, people):
    sign_in(client, people["analyst"])
    response = client.post("/api/complaints/intake",
                           json.dumps({"text": TORTURE_TEXT, "facility": "FA-1"}),
                           content_type="application/json")
    assert response.status_code == 403
    assert not Complaint.objects.exists()
