from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from custodywatch.accounts.scoping import facility_q, region_q
from custodywatch.registry.models import Facility, Region, Room

pytestmark = pytest.mark.django_db


def codes(user) -> set[str]:
    return set(Facility.objects.filter(facility_q(user)).values_list("code", flat=True))


def test_country_region_and_facility_scopes(people):
    assert codes(people["gpo"]) == {"FA-1", "FB-1"}
    assert codes(people["prosecutor_a"]) == {"FA-1"}
    assert codes(people["head_a"]) == {"FA-1"}
    assert codes(people["head_b"]) == {"FB-1"}


def test_scope_through_a_relation(people, facility_b):
    rooms = Room.objects.filter(facility_q(people["head_a"], "facility"))
    assert rooms.exists()
    assert not rooms.filter(facility=facility_b).exists()


def test_anonymous_and_inactive_see_nothing(people):
    assert codes(AnonymousUser()) == set()
    people["gpo"].is_active = False
    assert codes(people["gpo"]) == set()


def test_region_filter(people):
    assert set(Region.objects.filter(region_q(people["head_b"])).values_list("code", flat=True)) \
        == {"KZ-35"}
    assert Region.objects.filter(region_q(people["gpo"])).count() == 20
