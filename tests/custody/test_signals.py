"""Custody tells video and medical (above it, which it does not import) through signals sent
inside its write's transaction: what they do commits with the write or not at all."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.custody import services
from custodywatch.custody.models import CustodyRecord, EndReason, MedicalCheck
from custodywatch.medical import referrals
from custodywatch.medical.models import Death, Referral
from custodywatch.video.models import CoverageWork

pytestmark = pytest.mark.django_db


class Refused(Exception):
    pass


def refuse(**kwargs):
    raise Refused


def end_with_death(record, people):
    return services.custody_record_end(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                       record=record, ended_at=timezone.now(),
                                       end_reason=EndReason.DIED, end_note="Found unresponsive")


def test_a_death_opens_its_referral_in_the_same_transaction(record_a, people, monkeypatch):
    monkeypatch.setattr(referrals, "death_referral_open", refuse)
    with pytest.raises(Refused):
        end_with_death(record_a, people)
    record_a.refresh_from_db()
    assert record_a.ended_at is None  # the end rolled back with the failed referral
    monkeypatch.undo()
    end_with_death(record_a, people)
    assert Referral.objects.filter(custody_record=record_a).count() == 1
    assert Death.objects.filter(custody_record=record_a).exists()


def test_an_injury_in_the_facilitys_check_is_referred_in_the_same_transaction(
        record_a, people, monkeypatch):
    values = {"examined_at": timezone.now() - dt.timedelta(minutes=30), "examiner": "Dr Abenova",
              "no_injuries": False}
    injury = [{"body_location": "left forearm", "kind": "bruise"}]
    monkeypatch.setattr(referrals, "referral_open", refuse)
    with pytest.raises(Refused):
        services.medical_check_add(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                   record=record_a, values=values, injuries=injury)
    assert not MedicalCheck.objects.exists()
    monkeypatch.undo()
    check = services.medical_check_add(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                       record=record_a, values=values, injuries=injury)
    assert Referral.objects.get().medical_check == check
    services.medical_check_add(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                               record=record_a, values={**values, "no_injuries": True},
                               injuries=[])
    assert Referral.objects.count() == 1  # nothing to refer


def test_a_move_queues_coverage_work_for_both_stays(record_a, people, facility_a):
    CoverageWork.objects.all().delete()
    services.room_stay_move(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                            record=record_a, room=facility_a.rooms.get(code="R2"),
                            at=timezone.now() - dt.timedelta(minutes=1))
    rooms = set(CoverageWork.objects.values_list("room_id", flat=True))
    assert rooms == {facility_a.rooms.get(code="R1").pk, facility_a.rooms.get(code="R2").pk}
    assert CustodyRecord.objects.get(pk=record_a.pk).stays.count() == 2
