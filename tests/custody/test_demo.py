"""The custody demo keeps every invariant the services enforce."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F, Q
from django.utils import timezone

from custodywatch.accounts.models import User
from custodywatch.custody import law, services
from custodywatch.custody.alerts import facts_of
from custodywatch.custody.demo import CUSTODY_SCALES
from custodywatch.custody.models import (
    CellCheck,
    CustodyRecord,
    CustodyReview,
    Interrogation,
    RiskAssessment,
    RoomStay,
)
from custodywatch.custody.selectors import overrun_q
from custodywatch.demo import generator
from custodywatch.kernels import custody_care, deadlines
from custodywatch.registry.models import Facility

pytestmark = pytest.mark.django_db
POLICE_KINDS = {"police_station", "temporary_detention", "other"}


def test_small_demo_custody():
    generator.load(scale_name="small", seed=3)
    # The people of the mass detentions are the demo's own (tests/demo/test_demo_modules.py):
    # held under the criminal procedure at temporary places, outside these scales.
    scaled = CustodyRecord.objects.exclude(facility__kind=Facility.Kind.TEMPORARY_PLACE)
    records = list(scaled.select_related("facility"))
    scale = CUSTODY_SCALES["small"]
    low, high = scale.in_custody_at_home
    assert scale.detentions + low <= len(records) <= scale.detentions + high
    duty = User.objects.get(username="duty")
    held = CustodyRecord.objects.filter(facility=duty.facility, ended_at__isnull=True)
    assert low <= held.count() <= high
    for record in records:
        # The limit is the regime's, under the law of the day (what the services keep).
        assert record.detention_due_at == deadlines.legal_due_at(
            facts_of(record, with_delays=False), law.terms_on(record.detained_at))
        assert record.is_minor == deadlines.is_minor_at(record.date_of_birth,
                                                        record.detained_at)
        assert record.regime == law.proposed_regime(record.facility.kind) or (
            record.regime == "delivery" and record.facility.kind in POLICE_KINDS)
    stays = RoomStay.objects.filter(custody_record__in=scaled).select_related("room").order_by(
        "custody_record", "started_at")
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
    overruns = scaled.filter(ended_at__gt=F("detention_due_at")).count()
    assert 0 < overruns < len(records) * 0.05  # a small share, not the rule
    late = scaled.filter(
        Q(relatives_notified_at__isnull=True) | Q(medical_checked_at__isnull=True)).count()
    assert 0 < late < len(records) * 0.2
    # Issue 22, items 4-5: reviews, risk assessments and cell checks within their custody,
    # each assessment at the level its answers call for.
    assert CustodyReview.objects.exists() and CellCheck.objects.exists()
    for model, moment in ((CustodyReview, "reviewed_at"), (RiskAssessment, "assessed_at"),
                          (CellCheck, "checked_at")):
        assert not model.objects.filter(Q(**{f"{moment}__lt": F(
            "custody_record__detained_at")}) | Q(**{f"{moment}__gt": F(
                "custody_record__ended_at")})).exists()
    assert not CustodyReview.objects.exclude(custody_record__regime__in=[
        "criminal_detention", "delivery"]).exists()
    for assessment in RiskAssessment.objects.all():
        assert assessment.observation_level == custody_care.proposed_level(custody_care.Risks(
            **{name: getattr(assessment, name) for name in services.RISK_FIELDS}))


def test_colonies_and_remand_centres_hold_people_on_their_court_terms():
    """Issue 22: no colony or SIZO inmate is on a 48 h clock, nor past one; their limits are
    the release date and the remand order's term, and few are past those."""
    generator.load(scale_name="small", seed=5)
    now = timezone.now()
    long_term = CustodyRecord.objects.filter(
        facility__kind__in=["correctional_colony", "pretrial_detention"])
    assert long_term.filter(regime="sentence").exists()
    assert long_term.filter(regime="remand").exists()
    assert not long_term.exclude(regime__in=["sentence", "remand"]).exists()
    past_48 = long_term.filter(
        detention_due_at=F("detained_at") + dt.timedelta(hours=48))
    assert not past_48.exclude(term_ends_at__isnull=False).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=F("detention_due_at"))).exists()
    for record in long_term.filter(term_ends_at__isnull=False):
        assert record.detention_due_at == record.term_ends_at
        assert record.court_order_ref
    held_past = long_term.filter(overrun_q(now)).count()
    assert held_past <= max(2, long_term.count() * 0.05)
    in_colony_now = long_term.filter(regime="sentence", ended_at__isnull=True)
    assert in_colony_now.exists()
    assert not in_colony_now.filter(detention_due_at__lte=now).exists()
