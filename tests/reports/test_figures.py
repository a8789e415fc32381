"""The precomputed figures, the scorecard and the dashboard trends against the hand-computed
figures of tests/reports/conftest.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent
from custodywatch.registry.models import Region
from custodywatch.reports import selectors
from custodywatch.reports.models import AggregateRefresh, FacilityDay, RegionMonth
from custodywatch.reports.services import figures_refresh
from tests.reports.conftest import NOW

pytestmark = pytest.mark.django_db

MARCH = selectors.Period(dt.date(2025, 3, 1), dt.date(2025, 4, 1), "2025-03")


@pytest.fixture
def refreshed(dataset):
    figures_refresh(since=dt.date(2025, 1, 1), now=NOW)
    return dataset


def test_unit_days_split_at_local_midnight(refreshed):
    days = {row.day: row for row in FacilityDay.objects.filter(facility=refreshed.facility)}
    assert days[dt.date(2025, 3, 15)].detentions == 1  # 23:30 Almaty is still the 15th
    assert days[dt.date(2025, 3, 15)].overruns == 1
    assert days[dt.date(2025, 3, 15)].blind_seconds == 30 * 60
    assert days[dt.date(2025, 3, 16)].blind_seconds == 150 * 60
    assert days[dt.date(2025, 3, 10)].blind_seconds == 20 * 60
    assert days[dt.date(2025, 3, 14)].allegations == 1  # the incident's day, not receipt
    assert days[dt.date(2025, 3, 14)].substantiated == 1
    assert days[dt.date(2025, 3, 14)].cases == days[dt.date(2025, 3, 14)].convictions == 1


def test_unit_and_heads_split_exactly_at_the_appointment(refreshed):
    unit = selectors.unit_figures(facility=refreshed.facility, start=MARCH.start, end=MARCH.end)
    assert unit == {"detentions": 4, "overruns": 2, "blind_minutes": 200, "allegations": 2,
                    "substantiated": 1, "cases": 1, "convictions": 1,
                    "open_recommendations": 1, "terminals_off": 0,
                    "safeguard_breaches": 0}
    one, two = selectors.head_scores(facility=refreshed.facility, period=MARCH)
    assert (one.head, one.start, one.last_day) == (refreshed.head_one, dt.date(2025, 3, 1),
                                                    dt.date(2025, 3, 15))
    assert one.figures == {"detentions": 2, "overruns": 1, "blind_minutes": 50,
                           "allegations": 1, "substantiated": 1, "cases": 1, "convictions": 1,
                           "open_recommendations": 0, "terminals_off": 0,
                           "safeguard_breaches": 0}
    assert (two.head, two.start, two.last_day) == (refreshed.head_two, dt.date(2025, 3, 16),
                                                    dt.date(2025, 3, 31))
    assert two.figures == {"detentions": 2, "overruns": 1, "blind_minutes": 150,
                           "allegations": 1, "substantiated": 0, "cases": 0, "convictions": 0,
                           "open_recommendations": 1, "terminals_off": 0,
                           "safeguard_breaches": 0}
    # The two heads' figures add up to the unit's.
    assert {k: one.figures[k] + two.figures[k] for k in unit} == unit


def test_region_months(refreshed):
    almaty = Region.objects.get(code="KZ-75")
    march = RegionMonth.objects.get(region=almaty, month=dt.date(2025, 3, 1))
    assert (march.detentions, march.overruns, march.blind_seconds) == (4, 2, 200 * 60)
    assert (march.complaints, march.allegations, march.cases, march.convictions) == (4, 3, 1, 0)
    april = RegionMonth.objects.get(region=almaty, month=dt.date(2025, 4, 1))
    assert april.convictions == 1 and april.detentions == 0
    karaganda = RegionMonth.objects.get(region__code="KZ-35", month=dt.date(2025, 3, 1))
    assert karaganda.detentions == 1


def test_refresh_is_repeatable_and_audited(refreshed):
    before = list(FacilityDay.objects.order_by("facility", "day").values_list(
        "facility", "day", "detentions", "blind_seconds"))
    figures_refresh(since=dt.date(2025, 3, 20), now=NOW)  # rebuilds all of March
    after = list(FacilityDay.objects.order_by("facility", "day").values_list(
        "facility", "day", "detentions", "blind_seconds"))
    assert after == before
    assert AggregateRefresh.objects.count() == 2
    assert AggregateRefresh.objects.latest().since == dt.date(2025, 3, 1)
    assert AuditEvent.objects.filter(object_type="reports.aggregaterefresh").count() == 2


def test_refresh_command(dataset, capsys):
    call_command("reports", "refresh", "--since", "2025-03-01")
    assert "unit-days" in capsys.readouterr().out
    with pytest.raises(Exception, match="not a date"):
        call_command("reports", "refresh", "--since", "March")


def test_trends_and_scope(refreshed, people):
    april = dt.date(2025, 4, 10)
    national = selectors.monthly_trends(user=people["gpo"], today=april)
    assert national["detentions"].values[-2:] == [5, 0]  # March (FA-1 + FB-1), April
    assert national["detentions"].labels[-1] == "04.2025"
    regional = selectors.monthly_trends(user=people["prosecutor_a"], today=april)
    assert regional["detentions"].values[-2] == 4
    assert regional["allegations"].values[-2] == 3


def test_scorecard_page_and_denials(refreshed, people, signed_in, facility_b):
    client = signed_in(people["prosecutor_a"])
    response = client.get(reverse("reports:scorecard"), {"period": "2025-03",
                                                         "sort": "detentions"})
    assert response.status_code == 200
    units = [row["unit"] for row in response.context["rows"]]
    assert [u.facility.code for u in units] == ["FA-1"]  # FB-1 is outside his region
    assert units[0].figures["blind_minutes"] == 200
    assert b'class="strip' in response.content
    unit = client.get(reverse("reports:unit", args=["FA-1"]), {"period": "2025-03"})
    assert unit.status_code == 200
    assert b"Head One" in unit.content and b"Head Two" in unit.content
    assert client.get(reverse("reports:unit", args=["FB-1"])).status_code == 404
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED,
                                     object_type="reports.unit").exists()
    staff = signed_in(people["head_a"])
    assert staff.get(reverse("reports:scorecard")).status_code == 403


def test_distribution_marks_the_unit_among_all(refreshed):
    distribution = selectors.national_distribution(period=MARCH)
    # Two units in operation: FA-1 with 4 detentions, FB-1 with 1.
    assert sorted(distribution["detentions"].tolist()) == [1, 4]
    assert sorted(distribution["blind_minutes"].tolist()) == [0, 200]


def test_refresh_origin_is_the_system(dataset):
    refresh = figures_refresh(since=dt.date(2025, 3, 1), now=NOW, origin=SYSTEM_ORIGIN)
    # FA-1 on 10, 14, 15, 16, 18 and 20 March, FB-1 on 12 March.
    assert refresh.facility_days == 7
    assert set(FacilityDay.objects.values_list("day", flat=True)) == {
        dt.date(2025, 3, d) for d in (10, 12, 14, 15, 16, 18, 20)}
