"""The planning score: which facility the NPM should visit next, and why.

Pure and table-driven. Each factor's raw value (a count, a number of days) is scaled to
0..1 against the value at which it counts in full ("saturation"), then multiplied by its
weight; the score is the sum. A factor whose data the platform does not have yet is
*unavailable*: it adds nothing and is reported as such, never guessed. Weights are
configuration; the defaults below add up to 100 so that, with every factor available, the
score reads as points out of 100.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class FactorSpec:
    key: str
    default_weight: float
    saturation: float  # the raw value from which the factor counts in full


# Order is the order of explanation on the page.
FACTORS: tuple[FactorSpec, ...] = (
    FactorSpec("days_since_last_visit", default_weight=20, saturation=730),
    FactorSpec("overdue_recommendations", default_weight=15, saturation=5),
    FactorSpec("open_recommendations", default_weight=5, saturation=10),
    FactorSpec("custody_rooms_without_camera", default_weight=10, saturation=5),
    FactorSpec("complaints", default_weight=10, saturation=10),
    FactorSpec("custody_overruns", default_weight=10, saturation=5),
    FactorSpec("deaths_in_custody", default_weight=10, saturation=1),
    FactorSpec("blind_custody_minutes", default_weight=10, saturation=600),
    FactorSpec("cameras_out_of_order", default_weight=5, saturation=3),
    # Per cent of the last 30 days the facility's complaint terminals were not heard: a
    # facility whose terminals are often off is a risk (issue 23).
    FactorSpec("complaint_terminals_off", default_weight=5, saturation=50),
)
FACTOR_KEYS = tuple(spec.key for spec in FACTORS)
DEFAULT_WEIGHTS = {spec.key: spec.default_weight for spec in FACTORS}


@dataclass(frozen=True)
class Contribution:
    key: str
    value: float | None  # raw value; None when the factor is unavailable
    share: float  # 0..1, how much of its weight the factor reaches
    weight: float
    points: float

    @property
    def available(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class Score:
    points: float
    available_weight: float  # the most this facility could score with the factors we have
    contributions: tuple[Contribution, ...]

    @property
    def percent(self) -> float:
        return 100.0 * self.points / self.available_weight if self.available_weight else 0.0


def scaled(value: float, saturation: float) -> float:
    """0 for nothing, 1 at or past saturation (infinity, e.g. "never visited", counts in full)."""
    if value <= 0:
        return 0.0
    if math.isinf(value) or saturation <= 0:
        return 1.0
    return min(value / saturation, 1.0)


def score(
    values: Mapping[str, float | None],
    weights: Mapping[str, float] | None = None,
    factors: tuple[FactorSpec, ...] = FACTORS,
) -> Score:
    """One facility's score from its raw factor values (missing key = unavailable)."""
    weights = {**DEFAULT_WEIGHTS, **(weights or {})}
    contributions = []
    for spec in factors:
        weight = max(float(weights.get(spec.key, spec.default_weight)), 0.0)
        value = values.get(spec.key)
        if value is None:
            contributions.append(Contribution(spec.key, None, 0.0, weight, 0.0))
            continue
        share = scaled(float(value), spec.saturation)
        contributions.append(Contribution(spec.key, float(value), share, weight, share * weight))
    return Score(
        points=sum(c.points for c in contributions),
        available_weight=sum(c.weight for c in contributions if c.available),
        contributions=tuple(contributions),
    )


def rank(
    values_by_facility: Mapping[int, Mapping[str, float | None]],
    weights: Mapping[str, float] | None = None,
) -> list[tuple[int, Score]]:
    """Facilities by descending score; ties keep the lower id first, so the order is stable."""
    scored = [(facility, score(values, weights)) for facility, values in
              values_by_facility.items()]
    return sorted(scored, key=lambda item: (-item[1].points, item[0]))
