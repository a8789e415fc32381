from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from custodywatch.accounts import services as account_services
from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role
from tests.conftest import make_user


def token_for(user, facility=None) -> dict[str, str]:
    raw, _token = account_services.token_create(acting_user=None, origin=SYSTEM_ORIGIN,
                                                user=user, facility=facility)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def post(client, path, items, **headers):
    return client.post(f"/api/custody/{path}", data=json.dumps({"items": items}),
                       content_type="application/json", **headers)


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


@pytest.fixture
def doctor(facility_a):
    """An independent examiner serving facility a's region (Almaty)."""
    return make_user("doctor_a", Role.MEDICAL_EXAMINER, region=facility_a.region)


@pytest.fixture
def doctor_token(doctor):
    return token_for(doctor)


@pytest.fixture
def duty_token(people, facility_a):
    return token_for(people["duty_a"], facility_a)


@pytest.fixture
def base_time():
    return timezone.now().replace(microsecond=0) - dt.timedelta(hours=10)


def record_item(base: dt.datetime, ref="D-1", **overrides) -> dict:
    item = {"facility": "FA-1", "external_ref": ref, "full_name": "Жумабаев Даурен",
            "iin": "", "date_of_birth": "1995-02-03", "detained_at": iso(base),
            "detained_place": "Almaty, Tole bi 1", "detaining_officer": "Lt. Petrov",
            "grounds": "Art. 128 CPC", "arrived_at": iso(base + dt.timedelta(minutes=30)),
            "room": "R1"}
    return item | overrides


def exam_item(at: dt.datetime, ref="D-1", **overrides) -> dict:
    item = {"facility": "FA-1", "external_ref": ref, "occasion": "intake",
            "examined_at": iso(at), "in_private": True, "consent": "given",
            "no_injuries": True, "person_account": "", "opinion": ""}
    return item | overrides


BRUISE = {"view": "front", "body_region": "chest", "kind": "bruise",
          "description": "Bruise 4 x 3 cm, purple, left chest"}
