"""The offline recorder's sync: retries, edits, conflicts, bad input, and the HTTP API."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from django.core.exceptions import ValidationError

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.visits import services
from custodywatch.visits.models import Finding, FindingPhoto

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 32


def item(uid, text, base_revision=0, **extra):
    return services.FindingInput(uuid=uid, category="treatment", text=text,
                                 base_revision=base_revision, **extra)


def sync(monitor, visit, *items):
    return services.findings_sync(acting_user=monitor, origin=SYSTEM_ORIGIN, visit=visit,
                                  items=list(items))


def test_retry_is_harmless_and_an_edit_from_the_current_revision_updates(monitor, visit):
    uid = uuid.uuid4()
    first = sync(monitor, visit, item(uid, "Bruises seen", photos=[services.PhotoInput(PNG)]))
    again = sync(monitor, visit, item(uid, "Bruises seen", photos=[services.PhotoInput(PNG)]))
    assert [first[0].outcome, again[0].outcome] == ["created", "unchanged"]
    assert Finding.objects.count() == 1 and FindingPhoto.objects.count() == 1

    edited = sync(monitor, visit, item(uid, "Bruises on both arms", base_revision=1))
    assert (edited[0].outcome, edited[0].revision) == ("updated", 2)
    assert Finding.objects.get().text == "Bruises on both arms"


def test_an_edit_from_a_stale_copy_is_kept_beside_the_current_version(monitor, visit):
    uid = uuid.uuid4()
    sync(monitor, visit, item(uid, "Original"))
    sync(monitor, visit, item(uid, "Changed online", base_revision=1))  # revision 2 now
    stale = sync(monitor, visit, item(uid, "Changed on the tablet", base_revision=1))
    assert stale[0].outcome == "conflict" and stale[0].revision == 2
    current = Finding.objects.get(uuid=uid)
    kept = Finding.objects.get(uuid=stale[0].conflict_uuid)
    assert current.text == "Changed online" and kept.text == "Changed on the tablet"
    assert kept.conflict_of == current
    # The tablet retries the same stale edit: still one conflicting copy, nothing lost.
    assert sync(monitor, visit, item(uid, "Changed on the tablet", base_revision=1)
                )[0].conflict_uuid == str(kept.uuid)
    assert Finding.objects.count() == 2
    services.finding_conflict_resolve(acting_user=monitor, origin=SYSTEM_ORIGIN,
                                      finding=current, keep_text=kept.text)
    assert list(Finding.objects.values_list("text", "revision")) == [
        ("Changed on the tablet", 3)]


def test_one_bad_item_refuses_the_batch_and_names_it(monitor, visit):
    with pytest.raises(ValidationError) as caught:
        sync(monitor, visit, item(uuid.uuid4(), "Good"),
             item(uuid.uuid4(), "Bad room", room_code="NOPE"))
    assert list(caught.value.message_dict) == ["findings[1].room"]
    assert not Finding.objects.exists()


def test_sync_api(monitor, visit, people, signed_in, client):
    url = f"/api/visits/{visit.pk}/findings/sync"
    uid = str(uuid.uuid4())
    body = {"findings": [{"uuid": uid, "category": "conditions", "text": "Damp walls",
                          "room_code": "R2", "recorded_at": "2026-03-10T10:00:00+05:00",
                          "photos": [{"data": "data:image/png;base64,"
                                      + base64.b64encode(PNG).decode()}]}]}
    signed_in(monitor)
    response = client.post(url, json.dumps(body), content_type="application/json",
                           headers={"Idempotency-Key": "tablet-1"})
    assert response.status_code == 200, response.content
    assert response.json()["results"][0] == {"uuid": uid, "outcome": "created", "revision": 1,
                                             "conflict_uuid": ""}
    finding = Finding.objects.get()
    assert finding.room.code == "R2" and finding.photos.count() == 1

    body["findings"][0]["category"] = "weather"
    response = client.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    assert "findings[0].category" in response.json()["detail"]

    signed_in(people["head_a"])
    response = client.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 404  # an unannounced visit the facility must not know of
    assert Finding.objects.count() == 1
