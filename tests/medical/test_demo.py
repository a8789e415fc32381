"""Issue 21 item 6: in the demo every intake injury, declared allegation and death has its
allegation (routed to the prosecutor), hold, Istanbul Protocol request and clock."""

from __future__ import annotations

import pytest
from django.db.models import Q

from custodywatch.complaints.models import Channel, HandlingBody
from custodywatch.custody.models import CustodyRecord, EndReason, MedicalCheck
from custodywatch.demo import generator
from custodywatch.medical.models import Death, Referral

pytestmark = pytest.mark.django_db


def test_every_injury_allegation_and_death_of_the_demo_is_referred():
    generator.load(scale_name="small", seed=0)
    flagged = MedicalCheck.objects.filter(Q(no_injuries=False) | Q(declared_ill_treatment=True))
    deaths = CustodyRecord.objects.filter(end_reason=EndReason.DIED)
    assert flagged.exists()
    assert set(Referral.objects.filter(medical_check__isnull=False).values_list(
        "medical_check_id", flat=True)) == set(flagged.values_list("pk", flat=True))
    assert set(Referral.objects.filter(medical_check__isnull=True).values_list(
        "custody_record_id", flat=True)) == set(deaths.values_list("pk", flat=True))
    assert Death.objects.count() == deaths.count()
    for referral in Referral.objects.select_related("complaint", "hold", "case",
                                                    "custody_record"):
        complaint = referral.complaint
        assert complaint.channel == Channel.EX_OFFICIO
        assert complaint.handling_body == HandlingBody.PROSECUTOR
        assert complaint.region_id == referral.custody_record.facility.region_id
        assert referral.hold.complaint_id == complaint.pk
        assert referral.hold.starts_at <= referral.custody_record.detained_at
        assert referral.case.ex_officio and list(referral.case.complaints.all()) == [complaint]
        assert referral.forensic_examination.case_id == referral.case_id
        assert referral.first_step_due_at > referral.opened_at
        if referral.medical_check_id:
            assert referral.hold.rooms.exists()  # the rooms the person was in
