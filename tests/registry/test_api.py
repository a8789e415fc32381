from __future__ import annotations

import json

import pytest

from custodywatch.accounts import services
from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent
from custodywatch.registry.models import Camera

pytestmark = pytest.mark.django_db


@pytest.fixture
def token_a(people) -> str:
    raw, _token = services.token_create(acting_user=None, origin=SYSTEM_ORIGIN,
                                        user=people["agent_a"])
    return raw


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def put_camera(client, facility_code, camera_code, body, **headers):
    return client.put(f"/api/registry/facilities/{facility_code}/cameras/{camera_code}",
                      data=json.dumps(body), content_type="application/json", **headers)


def test_unauthenticated_api_call_gets_401(client, facility_a):
    response = client.get("/api/registry/facilities")
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_wrong_token_gets_401(client, facility_a):
    assert client.get("/api/registry/facilities", **bearer("cw_nope")).status_code == 401


def test_openapi_document_is_public_and_lists_the_registry(client):
    document = client.get("/api/openapi.json").json()
    assert "/api/registry/facilities/{code}" in document["paths"]
    assert client.get("/api/docs").status_code == 200


def test_facility_list_is_scoped_for_tokens(client, token_a):
    response = client.get("/api/registry/facilities", **bearer(token_a))
    assert response.status_code == 200
    assert [item["code"] for item in response.json()["items"]] == ["FA-1"]


def test_session_user_sees_facility_in_scope_only(signed_in, people):
    client = signed_in(people["head_a"])
    detail = client.get("/api/registry/facilities/FA-1")
    assert detail.status_code == 200
    body = detail.json()
    assert [room["code"] for room in body["rooms"]][:3] == ["R1", "R2", "R3"]
    assert {camera["code"]: camera["rooms"] for camera in body["cameras"]} == {
        "CAM1": ["R1"], "CAM2": ["R2"]}
    denied = client.get("/api/registry/facilities/FB-1")
    assert denied.status_code == 404
    assert "FB-1" not in denied.content.decode().replace("No such facility", "")
    assert AuditEvent.objects.filter(actor=people["head_a"], action=AuditEvent.Action.DENIED,
                                     object_label="FB-1").exists()


def test_session_without_second_factor_is_refused(client, people):
    client.force_login(people["gpo"], backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/api/registry/facilities").status_code == 401


def test_agent_token_proposes_its_own_facilitys_camera(client, token_a, facility_a):
    response = put_camera(client, "FA-1", "CAM7", {"name": "Коридор", "rooms": ["R3", "X1"],
                                                   "recorder": "NVR1"}, **bearer(token_a))
    assert response.status_code == 202, response.content
    assert response.json()["change"]["rooms"] == ["R3", "X1"]
    # Registered so that its agent may report it, but out of service and covering nothing
    # until a prosecutor or NPM monitor approves (tests/registry/test_camera_changes.py).
    camera = Camera.objects.get(facility=facility_a, code="CAM7")
    assert (camera.is_active, list(camera.rooms.all())) == (False, [])
    again = put_camera(client, "FA-1", "CAM7", {"rooms": ["R3"]}, **bearer(token_a))
    assert again.status_code == 202
    assert again.json()["change"]["rooms"] == ["R3"]
    assert list(camera.rooms.all()) == []


def test_token_for_facility_a_cannot_write_for_facility_b(client, token_a, facility_b):
    before = Camera.objects.filter(facility=facility_b).count()
    response = put_camera(client, "FB-1", "CAM9", {"rooms": ["R1"]}, **bearer(token_a))
    assert response.status_code == 403
    assert "FB-1" in response.json()["detail"]
    assert Camera.objects.filter(facility=facility_b).count() == before
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED,
                                     object_id=str(facility_b.pk)).exists()


def test_unknown_room_is_a_clear_422_and_writes_nothing(client, token_a, facility_a):
    response = put_camera(client, "FA-1", "CAM8", {"rooms": ["R1", "NOPE"]}, **bearer(token_a))
    assert response.status_code == 422
    assert "NOPE" in response.json()["detail"]["rooms"][0]
    assert not Camera.objects.filter(code="CAM8").exists()


def test_malformed_body_is_a_4xx_not_500(client, token_a, facility_a):
    response = client.put("/api/registry/facilities/FA-1/cameras/CAM8", data="{not json",
                          content_type="application/json", **bearer(token_a))
    assert 400 <= response.status_code < 500
    assert "detail" in response.json()
    bad_code = put_camera(client, "FA-1", "lower case", {"rooms": []}, **bearer(token_a))
    assert bad_code.status_code == 422
