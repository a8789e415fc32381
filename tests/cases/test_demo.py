"""The demo's cases: the seeds' proportions, deterministic, flagged imports, a clean wipe."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from custodywatch.cases import demo, selectors
from custodywatch.cases.models import (
    Accusation,
    Case,
    CaseParty,
    Charge,
    EvidenceTransfer,
    Examination,
)
from custodywatch.complaints import demo as complaints_demo
from custodywatch.kernels import case_rules
from custodywatch.ledger.models import LeafKind, PendingLeaf

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _fingerprint() -> list:
    return [(number, status, facility, [flag["code"] for flag in flags])
            for number, status, facility, flags in Case.objects.order_by(
                "register_number").values_list("register_number", "status", "facility_id",
                                               "rule_flags")]


def test_small_demo_cases(facility_a, facility_b, people):
    complaints_demo.build_complaints(scale_name="small", rng=random.Random(1), now=NOW)
    reported: list[int] = []
    count = demo.build_cases(scale_name="small", rng=random.Random(2), now=NOW,
                             progress=reported.append)
    total, court, accused, victims, convicted, flagged = demo.SIZES["small"]
    assert count == total == Case.objects.count()
    assert sum(reported) == demo.expected_case_rows("small") == total
    # One examination per victim, each of his own case; the case's clock stops at the first.
    examined = list(Examination.objects.values_list("subject_id", "subject__case_id",
                                                    "case_id"))
    assert len(examined) == victims == len({subject for subject, _c, _e in examined})
    assert all(case == own for _s, case, own in examined)
    for case in Case.objects.filter(examinations__status="done").distinct():
        first = min(e.examined_at for e in case.examinations.filter(status="done"))
        assert case.examination_at == first
    # The accused officers of cases opened from complaints are linked to those complaints.
    linked = Accusation.objects.values_list("complaint_id", "officer_id")
    assert len(linked) == 3  # the three court cases opened from torture complaints
    assert set(linked) == set(CaseParty.objects.filter(
        role="accused", case__complaints__isnull=False).values_list(
        "case__complaints", "officer_id"))
    assert CaseParty.objects.filter(role="accused").count() == accused
    assert CaseParty.objects.filter(role="victim").count() == victims
    assert Charge.objects.filter(verdict="convicted").values("accused").distinct().count() \
        == convicted
    assert Case.objects.exclude(rule_flags=[]).count() == flagged
    assert Case.objects.filter(complaints__isnull=False).count() == 3  # the torture complaints
    for case in Case.objects.all():
        assert case_rules.check_register_number(case.register_number) is None
        path = list(case.transitions.values_list("from_status", "to_status"))
        for from_status, to_status in path[1:]:
            assert to_status in case_rules.TRANSITIONS[from_status]
        assert path[-1][1] == case.status
    assert Examination.objects.exists() and EvidenceTransfer.objects.exists()
    assert PendingLeaf.objects.filter(kind=LeafKind.EVIDENCE_REGISTERED).count() == \
        Case.objects.filter(evidence__isnull=False).count()
    assert selectors.cases_visible(user=people["head_a"]).count() == 0
    first = _fingerprint()
    demo.wipe_cases()
    assert Case.objects.count() == 0
    demo.build_cases(scale_name="small", rng=random.Random(2), now=NOW)
    assert _fingerprint() == first
