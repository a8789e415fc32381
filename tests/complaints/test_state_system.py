"""An e-appeals system's token: it files complaints and reads nothing at all."""

from __future__ import annotations

import pytest

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role
from custodywatch.accounts.services import token_create
from custodywatch.complaints.models import Complaint
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

TEXT = "They beat me at the police station and threatened me."


@pytest.fixture
def system_token(facility_a, facility_b) -> str:
    system = make_user("e_appeals", Role.STATE_SYSTEM)
    raw, _token = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=system)
    return raw


def test_a_state_system_files_and_reads_nothing(client, system_token, custody_record):
    auth = {"Authorization": f"Bearer {system_token}"}
    filed = client.post("/api/complaints/intake", {"text": TEXT, "facility": "FA-1"},
                        content_type="application/json",
                        headers=auth | {"Idempotency-Key": "e-1"})
    assert filed.status_code == 201, filed.content
    reference = filed.json()["reference"]
    assert Complaint.objects.filter(reference=reference, channel="e_appeals").exists()

    for path in ("/api/complaints/", f"/api/complaints/{reference}", "/api/registry/facilities",
                 f"/api/custody/records/{custody_record.pk}", "/api/visits/recommendations",
                 "/api/visits/"):
        answer = client.get(path, headers=auth)
        assert answer.status_code in (403, 404) or answer.json()["items"] == [], path


def test_a_state_system_cannot_sign_in_to_the_web(client, facility_a):
    system = make_user("e_appeals", Role.STATE_SYSTEM)
    system.set_password("a long enough password 1")
    system.save()
    answer = client.post("/accounts/login/", {"username": "e_appeals",
                                              "password": "a long enough password 1"})
    assert answer.status_code == 200 and b"Machine accounts cannot sign in here" in answer.content
