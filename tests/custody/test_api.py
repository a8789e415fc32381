"""Batch API for other state systems: scoped tokens, idempotency, all-or-nothing."""

from __future__ import annotations

import json

import pytest

from custodywatch.accounts import services as account_services
from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent
from custodywatch.custody.models import CustodyRecord, Interrogation, RoomStay

pytestmark = pytest.mark.django_db


def token_for(user, facility=None) -> dict[str, str]:
    raw, _token = account_services.token_create(acting_user=None, origin=SYSTEM_ORIGIN,
                                                user=user, facility=facility)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def post(client, path, items, **headers):
    return client.post(f"/api/custody/{path}", data=json.dumps({"items": items}),
                       content_type="application/json", **headers)


def record_item(ref="ERDR-1", facility="FA-1", **overrides):
    item = {"facility": facility, "external_ref": ref, "full_name": "Жумабаев Даурен",
            "date_of_birth": "1995-02-03", "detained_at": "2026-01-05T10:00:00+05:00",
            "detained_place": "Almaty, Tole bi 1", "detaining_officer": "Lt. Petrov",
            "grounds": "Art. 128 CPC", "arrived_at": "2026-01-05T11:00:00+05:00", "room": "R1"}
    return item | overrides


@pytest.fixture
def duty_token(people, facility_a):
    return token_for(people["duty_a"], facility_a)


def test_batch_create_is_idempotent(client, duty_token):
    headers = duty_token | {"HTTP_IDEMPOTENCY_KEY": "batch-1"}
    items = [record_item("A1"), record_item("A2", room="R2", detained_at=1767589200)]
    first = post(client, "records/batch", items, **headers)
    assert first.status_code == 200, first.content
    assert [item["created"] for item in first.json()["items"]] == [True, True]
    again = post(client, "records/batch", items, **headers)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert CustodyRecord.objects.count() == 2 and RoomStay.objects.count() == 2
    second = CustodyRecord.objects.get(external_ref="A2")
    assert second.detained_at.isoformat() == "2026-01-05T05:00:00+00:00"


def test_batch_update_changes_only_what_was_sent(client, duty_token):
    post(client, "records/batch", [record_item("A1")], **duty_token)
    response = post(client, "records/batch", [
        {"facility": "FA-1", "external_ref": "A1", "full_name": "Жумабаев Д.",
         "detained_at": "2026-01-05T10:00:00+05:00", "detained_place": "x",
         "detaining_officer": "y", "grounds": "z", "lawyer_name": "Adv. Kim",
         "lawyer_first_access_at": "2026-01-05T12:00:00Z"}], **duty_token)
    assert response.json()["items"][0]["created"] is False
    record = CustodyRecord.objects.get()
    assert record.lawyer_name == "Adv. Kim" and str(record.date_of_birth) == "1995-02-03"


def test_one_bad_item_rejects_the_whole_batch(client, duty_token):
    response = post(client, "records/batch",
                    [record_item("A1"), record_item("A2", room="X1")], **duty_token)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert list(detail) == ["items[1].room"]
    assert "no custody use" in detail["items[1].room"][0]
    assert CustodyRecord.objects.count() == 0 and RoomStay.objects.count() == 0


@pytest.mark.parametrize(("field", "value"), [
    ("detained_at", "2026-01-05T10:00:00"),     # naive: no offset
    ("detained_at", "yesterday"),
    ("arrived_at", "2026-01-05T09:00:00+05:00"),  # before the detention
    ("iin", "000000000001"),
])
def test_bad_values_name_item_and_field(client, duty_token, field, value):
    response = post(client, "records/batch", [record_item(**{field: value})], **duty_token)
    assert response.status_code == 422
    assert f"items[0].{field}" in response.json()["detail"]
    assert CustodyRecord.objects.count() == 0


def test_facility_token_cannot_write_another_facility(client, duty_token, people):
    response = post(client, "records/batch",
                    [record_item("A1"), record_item("B1", facility="FB-1")], **duty_token)
    assert response.status_code == 403
    assert "items[1].facility" in response.json()["detail"]
    assert CustodyRecord.objects.count() == 0
    assert AuditEvent.objects.filter(action="denied", actor=people["duty_a"]).exists()


def test_agent_token_cannot_write_custody(client, people, facility_a):
    response = post(client, "records/batch", [record_item()],
                    **token_for(people["agent_a"], facility_a))
    assert response.status_code == 403
    assert CustodyRecord.objects.count() == 0


def test_admin_token_scoped_to_a_facility_writes_only_there(client, people, facility_a):
    headers = token_for(people["admin"], facility_a)
    assert post(client, "records/batch", [record_item()], **headers).status_code == 200
    denied = post(client, "records/batch", [record_item("B", facility="FB-1")], **headers)
    assert denied.status_code == 403


def test_stays_batch_refuses_overlap_and_other_facility_room(client, duty_token):
    post(client, "records/batch", [record_item("A1", room=None)], **duty_token)
    stays = [
        {"facility": "FA-1", "external_ref": "A1", "room": "R1",
         "started_at": "2026-01-05T11:00:00+05:00", "ended_at": "2026-01-05T13:00:00+05:00"},
        {"facility": "FA-1", "external_ref": "A1", "room": "R2",
         "started_at": "2026-01-05T12:59:59+05:00"},
    ]
    overlap = post(client, "stays/batch", stays, **duty_token)
    assert overlap.status_code == 422
    assert "Overlaps the stay in room R1" in overlap.json()["detail"]["items[1].started_at"][0]
    assert RoomStay.objects.count() == 0
    stays[1]["started_at"] = "2026-01-05T13:00:00+05:00"
    ok = post(client, "stays/batch", stays, **duty_token)
    assert ok.status_code == 200 and RoomStay.objects.count() == 2
    stays_id = ok.json()["items"][1]["id"]
    closed = post(client, "stays/batch", [stays[1] | {"id": stays_id,
                                                      "ended_at": "2026-01-05T14:00:00Z"}],
                  **duty_token)
    assert closed.json()["items"][0] == {"index": 0, "id": stays_id, "created": False}
    wrong = post(client, "stays/batch", [stays[1] | {"room": "NOPE"}], **duty_token)
    assert "not a room of facility FA-1" in wrong.json()["detail"]["items[0].room"][0]


def test_interrogations_batch(client, duty_token):
    post(client, "records/batch", [record_item("A1")], **duty_token)
    item = {"facility": "FA-1", "external_ref": "A1", "room": "R3",
            "started_at": "2026-01-05T12:00:00+05:00", "ended_at": "2026-01-05T13:00:00+05:00",
            "investigator": "Capt. Ibraev", "lawyer_present": True, "recording_ref": "REC-9"}
    assert post(client, "interrogations/batch", [item], **duty_token).status_code == 200
    missing = post(client, "interrogations/batch", [item | {"external_ref": "NOPE"}],
                   **duty_token)
    assert "items[0].external_ref" in missing.json()["detail"]
    assert Interrogation.objects.get().recording_ref == "REC-9"


def test_reads_are_scoped_and_audited(client, duty_token, people, facility_b):
    post(client, "records/batch", [record_item("A1")], **duty_token)
    record = CustodyRecord.objects.get()
    response = client.get(f"/api/custody/records/{record.pk}", **duty_token)
    assert response.status_code == 200
    assert response.json()["stays"][0]["room"] == "R1"
    assert AuditEvent.objects.filter(action="read", object_id=str(record.pk)).count() == 1
    other = client.get(f"/api/custody/records/{record.pk}",
                       **token_for(people["head_b"], facility_b))
    assert other.status_code == 404
    assert AuditEvent.objects.filter(action="denied", actor=people["head_b"]).exists()


def test_batch_size_is_limited(client, duty_token):
    response = post(client, "records/batch", [], **duty_token)
    assert response.status_code == 422


def test_refusal_with_an_idempotency_key_is_still_audited(client, duty_token, people):
    headers = duty_token | {"HTTP_IDEMPOTENCY_KEY": "refused-1"}
    response = post(client, "records/batch", [record_item("B1", facility="FB-1")], **headers)
    assert response.status_code == 403
    denied = AuditEvent.objects.filter(action="denied", actor=people["duty_a"])
    assert denied.count() == 1
    assert denied.get().detail == {"custody": "batch records"}
