"""The demo (issue 24, done when): a head's record across two units, proceedings with
sanctions, one compensation case from application to the register and recourse."""

from __future__ import annotations

import pytest
from django.db.models import Count
from django.utils import timezone

from custodywatch.accountability import selectors
from custodywatch.accountability.demo import MOVED_HEAD
from custodywatch.accountability.models import (
    FundTariff,
    MciRate,
    Proceeding,
    ProceedingStatus,
    RecourseClaim,
    TreasuryRegister,
)
from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role, User
from custodywatch.demo import generator
from custodywatch.registry.models import HeadAppointment
from custodywatch.reports.selectors import parse_period

pytestmark = pytest.mark.django_db


def test_demo_has_heads_as_people_proceedings_and_a_compensation_case(client):
    generator.load(scale_name="small", seed=0)
    assert not HeadAppointment.objects.filter(officer__isnull=True).exists()
    moved = (HeadAppointment.objects.filter(full_name=MOVED_HEAD).values("officer_id")
             .annotate(units=Count("facility", distinct=True)).filter(units__gte=2))
    assert moved.exists()
    gpo = User.objects.get(role=Role.GENERAL_PROSECUTOR)
    today = timezone.localdate()
    record = selectors.head_person(user=gpo, origin=SYSTEM_ORIGIN,
                                   pk=moved[0]["officer_id"],
                                   period=parse_period(str(today.year), today))
    assert len({t.head.facility_id for t in record.tenures}) == 2
    assert Proceeding.objects.filter(status=ProceedingStatus.DECIDED).exclude(
        sanction="none").exists()
    assert Proceeding.objects.filter(status=ProceedingStatus.PROPOSED).exists()
    register = TreasuryRegister.objects.get()
    entry = register.entries.select_related("claim__fund_review").get()
    review = entry.claim.fund_review
    tariff = FundTariff.objects.get(category=review.category)
    mci = MciRate.objects.get(year=review.mci_year)
    assert entry.amount == review.amount == tariff.units * mci.amount
    assert register.paid_on and entry.claim.paid_at == register.paid_on
    recourse = RecourseClaim.objects.get(claim=entry.claim)
    assert 0 < recourse.recovered < recourse.amount
