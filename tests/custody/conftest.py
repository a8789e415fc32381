from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.custody import services
from custodywatch.custody.models import CustodyRecord
from custodywatch.registry.models import Facility

ADULT_BIRTH = dt.date(1990, 5, 1)


def record_values(**overrides) -> dict:
    now = timezone.now()
    values = {
        "full_name": "Ахметов Ерлан", "date_of_birth": ADULT_BIRTH,
        "detained_at": now - dt.timedelta(hours=2), "detained_place": "Abai avenue 10",
        "detaining_officer": "Lt. Omarov", "detaining_unit": "Patrol 3",
        "grounds": "Art. 128 CPC: caught in the act", "arrived_at": now - dt.timedelta(hours=1),
    }
    values.update(overrides)
    return values


def make_record(facility: Facility, user, *, room_code: str | None = "R1",
                **overrides) -> CustodyRecord:
    room = facility.rooms.get(code=room_code) if room_code else None
    return services.custody_record_create(acting_user=user, origin=SYSTEM_ORIGIN,
                                          facility=facility, values=record_values(**overrides),
                                          room=room)


@pytest.fixture
def record_a(people, facility_a) -> CustodyRecord:
    return make_record(facility_a, people["duty_a"])


@pytest.fixture
def record_b(people, facility_b) -> CustodyRecord:
    return make_record(facility_b, people["head_b"], full_name="Ким Сергей")
