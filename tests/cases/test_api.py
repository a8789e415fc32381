"""The batch import of charges by API: flagged not refused, 422 naming the line, idempotent."""

from __future__ import annotations

import json

import pytest

from custodywatch.accounts.services import token_create
from custodywatch.cases.models import Charge
from tests.cases.conftest import ERDR_A, ERDR_B, ORIGIN

pytestmark = pytest.mark.django_db
URL = "/api/cases/charges/batch"


def _post(client, token, body, key=""):  # type: ignore[no-untyped-def]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(URL, data=json.dumps(body), content_type="application/json", **headers)


def test_charges_batch(client, cw):
    token, _ = token_create(acting_user=cw.people["admin"], origin=ORIGIN,
                            user=cw.people["prosecutor_a"], name="court records")
    row = {"register_number": ERDR_A, "accused": "Officer Suspect",
           "accused_personnel_number": "P-1", "victim": "Сейтқали Әсет Ұлықбекұлы",
           "victim_iin": "900101300123", "article": "146", "verdict": "convicted",
           "verdict_on": "2026-04-01", "imprisonment_months": 48, "reconciliation": True}
    first = _post(client, token, {"charges": [row]}, key="batch-1")
    assert first.status_code == 200, first.content
    assert first.json()["flagged"] == 1 and first.json()["created"] == 1
    replay = _post(client, token, {"charges": [row]}, key="batch-1")
    assert replay.json() == first.json() and replay["Idempotent-Replayed"] == "true"
    assert Charge.objects.count() == 1
    assert Charge.objects.get().rule_flags[0]["code"] == "art146_no_reconciliation"
    bad = _post(client, token, {"charges": [row, dict(row, article="999")]})
    assert bad.status_code == 422
    assert any(m.startswith("line 2: article") for m in bad.json()["detail"]["rows"])
    # Another region's case is not his to import into.
    other = _post(client, token, {"charges": [dict(row, register_number=ERDR_B)]})
    assert other.status_code == 422
    head, _ = token_create(acting_user=cw.people["admin"], origin=ORIGIN,
                           user=cw.people["head_a"], name="head")
    assert _post(client, head, {"charges": [row]}).status_code == 403
    assert Charge.objects.count() == 1
