"""Demo visits and recommendations: deterministic, at the small scale, consistent."""

from __future__ import annotations

import datetime as dt
import random

from custodywatch.demo import generator
from custodywatch.visits.demo import build_visits, wipe_visits
from custodywatch.visits.models import Recommendation, StatusChange, Visit

NOW = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)


def test_small_demo_is_deterministic_and_consistent(db):
    generator.load(scale_name="small", seed=0)
    assert Visit.objects.exists()  # the demo loads visits; start this check from none
    wipe_visits()
    counted = []
    result = build_visits(scale_name="small", rng=random.Random(1), now=NOW,
                          progress=counted.append)
    assert result["visits"] == Visit.objects.count() == 40
    assert 20 <= result["recommendations"] == Recommendation.objects.count() <= 200
    assert sum(counted) > result["visits"]
    moved = Recommendation.objects.exclude(status="not_started").count()
    assert StatusChange.objects.count() == moved > 0
    assert not Visit.objects.filter(status="planned", starts_on__lte=NOW.date()).exists()
    first = list(Recommendation.objects.order_by("pk").values_list("text", "status"))
    wipe_visits()
    assert not Recommendation.objects.exists() and not Visit.objects.exists()
    build_visits(scale_name="small", rng=random.Random(1), now=NOW)
    assert list(Recommendation.objects.order_by("pk").values_list("text", "status")) == first
