from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from custodywatch.registry.markers import MarkerIdsExhausted, assign_marker_ids
from custodywatch.registry.models import MARKER_IDS, Agency, Facility, Region, Room
from tests.conftest import ensure_reference_data


@pytest.fixture
def facility(db):
    ensure_reference_data()
    return Facility.objects.create(
        code="MK1", name="Marker test", kind=Facility.Kind.TEMPORARY_DETENTION,
        region=Region.objects.first(), agency=Agency.objects.first())


def _room(facility, code, custody_use=True, marker_id=None):
    return Room.objects.create(facility=facility, code=code, name=code, kind=Room.Kind.CELL,
                               custody_use=custody_use, marker_id=marker_id)


def test_custody_rooms_get_the_lowest_free_ids_in_code_order(facility):
    _room(facility, "B", marker_id=0)
    _room(facility, "C")
    _room(facility, "A")
    _room(facility, "Z", custody_use=False)
    assert assign_marker_ids([facility.pk]) == 2
    ids = dict(Room.objects.filter(facility=facility).values_list("code", "marker_id"))
    assert ids == {"A": 1, "B": 0, "C": 2, "Z": None}
    assert assign_marker_ids([facility.pk]) == 0  # given once, never changed


def test_an_id_is_unique_within_a_facility_and_within_the_dictionary(facility):
    _room(facility, "A", marker_id=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        _room(facility, "B", marker_id=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        _room(facility, "C", marker_id=MARKER_IDS)


def test_a_facility_with_more_rooms_than_ids_is_refused(facility):
    Room.objects.bulk_create([Room(facility=facility, code=f"R{n:04d}", name="r",
                                   kind=Room.Kind.CELL, marker_id=n) for n in range(MARKER_IDS)])
    _room(facility, "ZZZ")
    with pytest.raises(MarkerIdsExhausted):
        assign_marker_ids([facility.pk])
