"""The plan of a charges import (issue 26 item 5): pure, between the row schema
(cases.charge_rows, which validates) and the writes (cases.batch, which applies).

Given the valid rows, each with the case it names, the plan refuses the same charge given twice
with other values (which one is true?) and says, for each charge, which legal rules it breaks:
an import flags those, never refuses them (the data describe what a court did).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from custodywatch.kernels.case_rules import RELEASE_FLAGS, RuleViolation, charge_rule_violations

# The fields that name a charge: a second row with these is the same charge.
CHARGE_KEY = ("accused", "accused_personnel_number", "victim", "victim_iin", "article")


@dataclass(frozen=True)
class PlannedCharge:
    line: int
    case: Hashable
    values: Mapping[str, Any]
    violations: tuple[RuleViolation, ...]


@dataclass(frozen=True)
class Contradiction:
    line: int
    first_line: int


@dataclass(frozen=True)
class ChargePlan:
    charges: tuple[PlannedCharge, ...]
    contradictions: tuple[Contradiction, ...]


def plan_charges(rows: Sequence[tuple[int, Hashable, Mapping[str, Any]]]) -> ChargePlan:
    """rows: (line, the case's key, the row's values). An exact repeat is harmless."""
    seen: dict[tuple[Hashable, ...], tuple[int, Mapping[str, Any]]] = {}
    charges: list[PlannedCharge] = []
    contradictions: list[Contradiction] = []
    for line, case, values in rows:
        key = (case, *(values[name] for name in CHARGE_KEY))
        if key in seen and seen[key][1] != values:
            contradictions.append(Contradiction(line, seen[key][0]))
        seen.setdefault(key, (line, values))
        violations = charge_rule_violations(
            article=str(values["article"]), verdict=str(values["verdict"]),
            flags={name: bool(values[name]) for name in RELEASE_FLAGS})
        charges.append(PlannedCharge(line, case, values, tuple(violations)))
    return ChargePlan(tuple(charges), tuple(contradictions))
