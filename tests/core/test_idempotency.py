from __future__ import annotations

import json

import pytest

from custodywatch.accounts import services
from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent
from custodywatch.core.models import IdempotencyRecord
from custodywatch.registry.models import Camera, CameraChange

pytestmark = pytest.mark.django_db

URL = "/api/registry/facilities/FA-1/cameras/CAM7"


@pytest.fixture
def agent(people):
    raw, _token = services.token_create(acting_user=None, origin=SYSTEM_ORIGIN,
                                        user=people["agent_a"])
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def put(client, body, key, auth):
    return client.put(URL, data=json.dumps(body), content_type="application/json",
                      HTTP_IDEMPOTENCY_KEY=key, **auth)


def test_a_retry_returns_the_first_answer_and_writes_nothing(client, agent, facility_a):
    first = put(client, {"rooms": ["R3"]}, "batch-1", agent)
    assert first.status_code == 202  # an agent proposes (registry/camera_changes.py)
    events = AuditEvent.objects.count()
    retry = put(client, {"rooms": ["R3"]}, "batch-1", agent)
    assert retry.status_code == 202  # the first answer, although the camera exists now
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert AuditEvent.objects.count() == events
    assert Camera.objects.filter(facility=facility_a, code="CAM7").count() == 1
    assert CameraChange.objects.filter(camera__code="CAM7").count() == 1


def test_the_same_key_with_another_body_is_refused(client, agent, facility_a):
    put(client, {"rooms": ["R3"]}, "batch-2", agent)
    other = put(client, {"rooms": ["R1"]}, "batch-2", agent)
    assert other.status_code == 422
    assert "batch-2" in other.json()["detail"]
    assert CameraChange.objects.get(camera__code="CAM7").room_codes == ["R3"]


def test_a_refused_request_is_not_stored_and_can_be_corrected(client, agent, facility_a):
    bad = put(client, {"rooms": ["NOPE"]}, "batch-3", agent)
    assert bad.status_code == 422
    assert not IdempotencyRecord.objects.filter(key="batch-3").exists()
    good = put(client, {"rooms": ["R2"]}, "batch-3", agent)
    assert good.status_code == 202


def test_keys_of_different_clients_do_not_collide(client, agent, people, facility_a):
    raw, _token = services.token_create(acting_user=None, origin=SYSTEM_ORIGIN,
                                        user=people["agent_a"])
    put(client, {"rooms": ["R3"]}, "shared", agent)
    second = put(client, {"rooms": ["R1"]}, "shared", {"HTTP_AUTHORIZATION": f"Bearer {raw}"})
    assert second.status_code == 202 and "Idempotent-Replayed" not in second


def test_an_overlong_key_is_a_clear_400(client, agent, facility_a):
    response = put(client, {"rooms": []}, "k" * 201, agent)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]


def test_a_refusal_with_a_key_is_still_audited(client, agent, facility_b):
    response = client.put("/api/registry/facilities/FB-1/cameras/CAM9",
                          data=json.dumps({"rooms": []}), content_type="application/json",
                          HTTP_IDEMPOTENCY_KEY="denied-1", **agent)
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED,
                                     object_id=str(facility_b.pk)).exists()
    assert not IdempotencyRecord.objects.filter(key="denied-1").exists()
    assert not Camera.objects.filter(facility=facility_b, code="CAM9").exists()
