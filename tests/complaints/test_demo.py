"""The demo's year of complaints: the seeds' orders of magnitude, deterministic, no open codes."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from custodywatch.complaints import demo, services
from custodywatch.complaints.models import Category, Complaint, LegalHold
from custodywatch.complaints.selectors import complaints_visible

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_small_demo_is_deterministic_and_routed(facility_a, facility_b, people):
    count = demo.build_complaints(scale_name="small", rng=random.Random(1), now=NOW)
    assert count == demo.COUNTS["small"] == Complaint.objects.count()
    assert Complaint.objects.filter(category=Category.TORTURE).count() == 3
    assert LegalHold.objects.count() == Complaint.objects.filter(
        category__in=[Category.TORTURE, Category.CRUEL_TREATMENT]).count()
    first = list(Complaint.objects.order_by("reference").values_list("category", "facility"))
    demo.wipe_complaints()
    reported: list[int] = []
    demo.build_complaints(scale_name="small", rng=random.Random(1), now=NOW,
                          progress=reported.append)
    # The progress bar counts complaints and their holds; the estimate is close to it.
    assert sum(reported) == count + LegalHold.objects.count()
    assert abs(demo.expected_complaint_rows("small") - sum(reported)) <= 0.1 * sum(reported)
    assert first == list(Complaint.objects.order_by("reference").values_list("category",
                                                                           "facility"))
    assert complaints_visible(user=people["head_a"]).count() == 0
    # No demo complaint opens with any code.
    assert all(h == "!" for h in Complaint.objects.values_list("receipt_hash", flat=True))
    # Filing a real one afterwards does not collide with the demo's references or locators.
    services.complaint_file(acting_user=None, origin=services.KIOSK_ORIGIN, channel="web",
                            text="Меня избили", facility=facility_a)
    assert Complaint.objects.count() == count + 1


def test_demo_terminals_in_colonies_and_sizo_some_off_with_alerts(facility_a, facility_b):
    from django.utils import timezone

    from custodywatch.complaints import terminals
    from custodywatch.complaints.models import Terminal, TerminalAlert
    from custodywatch.registry.models import Facility

    facility_a.kind = Facility.Kind.CORRECTIONAL_COLONY
    facility_a.save()
    facility_b.kind = Facility.Kind.PRETRIAL_DETENTION
    facility_b.save()
    now = timezone.now()
    count = demo.build_terminals(scale_name="small", rng=random.Random(3), now=now)
    assert count == demo.TERMINAL_COUNTS["small"] == Terminal.objects.count()
    assert set(Terminal.objects.values_list("facility__code", flat=True)) == {"FA-1", "FB-1"}
    alerts = TerminalAlert.objects.filter(cleared_at__isnull=True)
    assert 1 <= alerts.count() < count  # some off, most on
    off = terminals.off_percent([facility_a.pk, facility_b.pk],
                                now - dt.timedelta(days=demo.UPTIME_DAYS), now)
    assert set(off) == {facility_a.pk, facility_b.pk} and all(0 < v < 100 for v in off.values())
    # The sweep raises no second alert for the terminals already alerted.
    assert terminals.silence_sweep(now=now) == 0
    demo.wipe_complaints()
    assert not Terminal.objects.exists()
