"""Suppressed complaint statistics against an attacker who knows that every chart adds up to
the same total, and that a region's bar is the sum of its facilities' bars."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.complaints import selectors
from custodywatch.complaints.models import Complaint
from custodywatch.kernels.suppression import augment
from custodywatch.registry.models import Facility
from tests.complaints.conftest import CONDITIONS_TEXT, TORTURE_TEXT
from tests.conftest import make_facility
from tests.kernels.test_suppression import pinned_cells

pytestmark = pytest.mark.django_db


@pytest.fixture
def filed(file_complaint, facility_a, facility_b):
    """Almaty: FA-1 9 (torture), FA-2 3 (conditions); Karaganda: FB-1 7 (torture): 19.

    Hiding FA-2 alone gives it away as 19 less the others, in every chart; hiding FB-1 with
    it (the cheapest other bar of the facility chart) still gives it away as Almaty's 12
    less FA-1's 9.
    """
    second_almaty = make_facility("FA-2", facility_a.region.code)
    for facility, count, text in ((facility_a, 9, TORTURE_TEXT),
                                  (second_almaty, 3, CONDITIONS_TEXT),
                                  (facility_b, 7, TORTURE_TEXT)):
        for _n in range(count):
            file_complaint(facility=facility, text=text)
    return Complaint.objects.all()


def _truth(field: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for complaint in Complaint.objects.select_related("region", "facility"):
        value = {"region": complaint.region.code,
                 "facility": complaint.facility.code if complaint.facility else "—",
                 "category": str(complaint.get_category_display()),
                 "channel": str(complaint.get_channel_display()),
                 "month": timezone.localtime(complaint.received_at).strftime("%Y-%m")}[field]
        counts[value] = counts.get(value, 0) + 1
    return counts


def _recovered_by_difference(charts) -> list[tuple[str, str]]:
    """The naive attacker: a chart with a single hidden bar gives it as total less the rest."""
    total = next(sum(bar.count for bar in bars) for bars in charts.values()
                 if bars and all(bar.count is not None for bar in bars))
    found = []
    for name, bars in charts.items():
        hidden = [bar for bar in bars if bar.count is None]
        if len(hidden) == 1 and name != "facility":  # the facility chart is the top 20 only
            found.append((name, hidden[0].label))
    for region in charts["region"]:
        if region.count is None:
            continue
        inside = [bar for bar in charts["facility"]
                  if Facility.objects.get(code=bar.label).region.code == region.label]
        if sum(bar.count is None for bar in inside) == 1:
            found.append(("facility", next(b.label for b in inside if b.count is None)))
    assert total == Complaint.objects.count()
    return found


def test_no_hidden_bar_is_the_total_less_the_shown_ones(filed, people):
    charts = selectors.complaint_statistics(user=people["analyst"], origin=SYSTEM_ORIGIN)
    assert _recovered_by_difference(charts) == []
    hidden = {(name, bar.label) for name, bars in charts.items() for bar in bars
              if bar.count is None}
    assert ("facility", "FA-2") in hidden and ("category", "Conditions of detention") in hidden
    assert ("facility", "FA-1") in hidden  # FA-2's complement lies in the same region
    for name in ("channel", "region", "category", "month"):
        truth = _truth(name)
        labels = [bar.label for bar in charts[name]]
        full = augment([[truth[label] for label in labels]])
        mask = np.zeros(full.shape, dtype=bool)
        for j, bar in enumerate(charts[name]):
            assert bar.count in (None, truth[bar.label])
            mask[0, j] = mask[1, j] = bar.count is None
        # The exact attacker of the kernel's tests, given each chart and the total.
        assert pinned_cells(full, mask) == [], name


def test_the_picture_and_the_order_tell_nothing_of_a_hidden_bar(filed, people):
    charts = selectors.complaint_statistics(user=people["analyst"], origin=SYSTEM_ORIGIN)
    for bars in charts.values():
        shown = [bar for bar in bars if bar.count is not None]
        if shown:
            assert max(bar.share for bar in shown) == 1.0  # scaled to the largest shown
        assert all(bar.share == 0.0 for bar in bars if bar.count is None)
    facility = charts["facility"]
    assert [bar.label for bar in facility] == ["FB-1", "FA-1", "FA-2"]  # hidden last, by name


def test_the_page_marks_hidden_bars_without_a_bound(filed, people, signed_in):
    page = signed_in(people["analyst"]).get(reverse("complaints:statistics"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "hidden" in body and "&lt;5" not in body  # FA-1's 9 is hidden too: not "<5"


def test_handlers_still_see_every_count(filed, people):
    charts = selectors.complaint_statistics(user=people["gpo"], origin=SYSTEM_ORIGIN)
    assert {bar.label: bar.count for bar in charts["facility"]} == {
        "FA-1": 9, "FA-2": 3, "FB-1": 7}


def test_readers_of_statistics_see_one_year_at_a_time(filed, people):
    """All years less the other years would give a year's hidden count away."""
    old = Complaint.objects.filter(facility__code="FB-1").first()
    last_year = timezone.now() - dt.timedelta(days=366)
    Complaint.objects.filter(pk=old.pk).update(received_at=last_year)
    analyst = people["analyst"]
    this_year = selectors.complaint_statistics(user=analyst, origin=SYSTEM_ORIGIN)
    assert sum(bar.count or 0 for bar in this_year["channel"]) == 18
    before = selectors.complaint_statistics(user=analyst, origin=SYSTEM_ORIGIN,
                                            year=timezone.localtime(last_year).year)
    assert [bar.count for bar in before["channel"]] == [None]
