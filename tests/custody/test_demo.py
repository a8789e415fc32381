"""The custody demo keeps every invariant the services enforce."""

from __future__ import annotations

import pytest
from django.db.models import F, Q

from custodywatch.accounts.models import User
from custodywatch.custody.demo import CUSTODY_SCALES
from custodywatch.custody.models import CustodyRecord, Interrogation, RoomStay
from custodywatch.demo import generator
from custodywatch.kernels import deadlines

pytestmark = pytest.mark.django_db


def test_small_demo_custody():
    generator.load(scale_name="small", seed=3)
    records = list(CustodyRecord.objects.all())
    scale = CUSTODY_SCALES["small"]
    low, high = scale.in_custody_at_home
    assert scale.detentions + low <= len(records) <= scale.detentions + high
    duty = User.objects.get(username="duty")
    held = CustodyRecord.objects.filter(facility=duty.facility, ended_at__isnull=True)
    assert low <= held.count() <= high
    for record in records:
        assert record.detention_due_at == deadlines.detention_due_at(record.date_of_birth,
                                                                      record.detained_at)
        assert record.is_minor == deadlines.is_minor_at(record.date_of_birth,
                                                        record.detained_at)
    stays = RoomStay.objects.select_related("room").order_by("custody_record", "started_at")
    previous = None
    for stay in stays:
        assert stay.room.custody_use
        if previous is not None and previous.custody_record_id == stay.custody_record_id:
            assert previous.ended_at is not None and previous.ended_at <= stay.started_at
        previous = stay
    facility_of = dict(CustodyRecord.objects.values_list("pk", "facility_id"))
    assert all(facility_of[s.custody_record_id] == s.room.facility_id for s in stays)
    assert not RoomStay.objects.filter(custody_record__ended_at__isnull=False,
                                       ended_at__isnull=True).exists()
    assert not Interrogation.objects.filter(ended_at__lte=F("started_at")).exists()
    overruns = CustodyRecord.objects.filter(ended_at__gt=F("detention_due_at")).count()
    assert 0 < overruns < len(records) * 0.05  # a small share, not the rule
    late = CustodyRecord.objects.filter(
        Q(relatives_notified_at__isnull=True) | Q(medical_checked_at__isnull=True)).count()
    assert 0 < late < len(records) * 0.2
