"""The planning score on hand-made values: each factor's contribution, unavailable data,
saturation, weights and ranking."""

from __future__ import annotations

import math

import pytest

from custodywatch.kernels import risk


def by_key(score: risk.Score) -> dict[str, risk.Contribution]:
    return {c.key: c for c in score.contributions}


def test_each_factor_contributes_weight_times_its_share():
    score = risk.score({"days_since_last_visit": 365, "overdue_recommendations": 5,
                        "open_recommendations": 0, "custody_rooms_without_camera": 10})
    parts = by_key(score)
    assert parts["days_since_last_visit"].points == pytest.approx(20 * 365 / 730)
    assert parts["overdue_recommendations"].points == 15  # at saturation
    assert parts["custody_rooms_without_camera"].share == 1.0  # past saturation
    assert parts["open_recommendations"].points == 0
    assert score.points == pytest.approx(10 + 15 + 0 + 10)
    assert score.available_weight == 20 + 15 + 5 + 10


def test_unavailable_factors_add_nothing_and_say_so():
    score = risk.score({"days_since_last_visit": 0})
    parts = by_key(score)
    assert not parts["complaints"].available and parts["complaints"].points == 0
    assert parts["days_since_last_visit"].available
    assert score.available_weight == 20 and score.points == 0


def test_never_visited_counts_in_full():
    assert by_key(risk.score({"days_since_last_visit": math.inf}))[
        "days_since_last_visit"].points == 20


def test_weights_are_configurable_and_never_negative():
    values = {"overdue_recommendations": 5, "custody_rooms_without_camera": 5}
    assert risk.score(values, {"overdue_recommendations": 0}).points == 10
    assert risk.score(values, {"custody_rooms_without_camera": -50}).points == 15


def test_default_weights_add_up_to_one_hundred():
    assert sum(risk.DEFAULT_WEIGHTS.values()) == 100
    assert len(set(risk.FACTOR_KEYS)) == len(risk.FACTORS)


def test_rank_orders_by_score_and_breaks_ties_by_id():
    ranked = risk.rank({
        7: {"overdue_recommendations": 1},
        3: {"overdue_recommendations": 1},
        9: {"overdue_recommendations": 5, "days_since_last_visit": math.inf},
        1: {"overdue_recommendations": 0},
    })
    assert [facility for facility, _score in ranked] == [9, 3, 7, 1]
