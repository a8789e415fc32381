"""The pure plan of a charges import: contradictions refused by line, rule breaches flagged."""

from __future__ import annotations

from custodywatch.kernels.case_rules import RELEASE_FLAGS
from custodywatch.kernels.charge_plan import Contradiction, plan_charges


def _values(**changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "accused": "Officer A", "accused_personnel_number": "P-1", "victim": "Victim V",
        "victim_iin": "", "article": "146", "article_part": "", "verdict": "convicted",
        "verdict_on": None, "imprisonment_months": 36}
    values |= {name: False for name in RELEASE_FLAGS}
    return values | changes


def test_the_same_charge_with_other_values_is_a_contradiction_naming_both_lines() -> None:
    plan = plan_charges([(2, "case-1", _values()), (3, "case-1", _values()),
                         (4, "case-1", _values(imprisonment_months=12)),
                         (5, "case-2", _values(imprisonment_months=12))])
    # An exact repeat (line 3) and the same people in another case (line 5) are no contradiction.
    assert plan.contradictions == (Contradiction(line=4, first_line=2),)
    assert [charge.line for charge in plan.charges] == [2, 3, 4, 5]


def test_a_torture_conviction_with_probation_is_planned_with_its_flag_not_refused() -> None:
    plan = plan_charges([(1, "case-1", _values(probation=True)),
                         (2, "case-1", _values(article="361", victim="W", probation=True))])
    assert [v.code for v in plan.charges[0].violations] == ["art146_no_probation"]
    assert plan.charges[1].violations == ()  # not art. 146: no rule of torture applies
    assert plan.contradictions == ()
