"""The records batch read through one validation layer (custody.record_rows, issue 26 item 5):
every bad item and field named at once in the format of core.rows, nothing written; a re-sent
batch is planned as unchanged (kernels.row_plan) and rewrites nothing."""

from __future__ import annotations

import pytest

from custodywatch.accounts.models import AuditEvent
from custodywatch.custody.models import CellCheck, CustodyRecord, RoomStay
from tests.custody.test_api import post, record_item, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def duty_token(people, facility_a):
    return token_for(people["duty_a"], facility_a)


def test_every_bad_item_and_field_is_named_and_nothing_is_written(client, duty_token):
    response = post(client, "records/batch", [
        record_item("A1"),
        record_item("A2", detained_at="yesterday", end_note="released"),
        record_item("A3", room="NOPE", cell_checks=[
            {"checked_at": "2026-01-05T12:00:00+05:00", "checked_by": "Sgt. Ivanov"},
            {"checked_at": "2999-01-01T00:00:00Z", "checked_by": "Sgt. Ivanov", "room": "ZZ"}]),
    ], **duty_token)
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert sorted(detail) == ["items[1].detained_at", "items[1].end_note",
                              "items[2].cell_checks[1].checked_at",
                              "items[2].cell_checks[1].room", "items[2].room"]
    assert "NOPE" in detail["items[2].room"][0]
    assert not CustodyRecord.objects.exists() and not RoomStay.objects.exists()


def test_unknown_facilities_and_repeated_detentions_are_all_named(client, duty_token):
    response = post(client, "records/batch", [
        record_item("A1"), record_item("A1"), record_item("A9", facility="NOPE-1"),
        record_item("A1")], **duty_token)
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert sorted(detail) == ["items[1].external_ref", "items[2].facility",
                              "items[3].external_ref"]
    assert "items[0]" in detail["items[3].external_ref"][0]
    assert not CustodyRecord.objects.exists()


def test_a_re_sent_batch_is_unchanged_and_rewrites_nothing(client, duty_token):
    items = [record_item("A1", cell_checks=[{"checked_at": "2026-01-05T12:00:00+05:00",
                                             "checked_by": "Sgt. Ivanov"}]),
             record_item("A2", room="R2")]
    first = post(client, "records/batch", items, **duty_token)
    assert first.status_code == 200, first.content
    updates = AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE).count()
    again = post(client, "records/batch", items, **duty_token)  # no Idempotency-Key
    assert again.status_code == 200, again.content
    assert [item["created"] for item in again.json()["items"]] == [False, False]
    assert [item["id"] for item in again.json()["items"]] == [
        item["id"] for item in first.json()["items"]]
    assert (CustodyRecord.objects.count(), RoomStay.objects.count(),
            CellCheck.objects.count()) == (2, 2, 1)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE).count() == updates
    changed = post(client, "records/batch", [record_item("A1", lawyer_name="Adv. Kim")],
                   **duty_token)
    assert changed.status_code == 200, changed.content
    assert CustodyRecord.objects.get(external_ref="A1").lawyer_name == "Adv. Kim"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE).count() == updates + 1
