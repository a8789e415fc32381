"""The accountability kernel: tenures, rates per 100 detentions, proposals, the Fund."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from custodywatch.kernels import accountability as k

D = dt.date


def test_kernel_imports_no_django() -> None:
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(k))
    names = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)
             for alias in node.names] + [node.module or "" for node in ast.walk(tree)
                                         if isinstance(node, ast.ImportFrom)]
    assert not [name for name in names if name.startswith("django")]


def test_the_day_he_left_is_his_successors() -> None:
    first = k.Tenure(1, unit=7, start=D(2025, 1, 1), end=D(2025, 3, 1))
    second = k.Tenure(2, unit=7, start=D(2025, 3, 1), end=None)
    events = [("detentions", 7, D(2025, 2, 28), 1), ("detentions", 7, D(2025, 3, 1), 1),
              ("unjustified", 7, D(2025, 3, 1), 1), ("detentions", 8, D(2025, 2, 1), 5)]
    year = (D(2025, 1, 1), D(2026, 1, 1))
    assert k.tenure_counts(first, events, *year)["detentions"] == 1
    assert k.tenure_counts(first, events, *year)["unjustified"] == 0
    assert k.tenure_counts(second, events, *year)["detentions"] == 1
    assert k.tenure_counts(second, events, *year)["unjustified"] == 1


def test_period_clips_the_tenure() -> None:
    tenure = k.Tenure(1, unit=1, start=D(2024, 6, 1), end=None)
    events = [("detentions", 1, D(2024, 12, 31), 4), ("detentions", 1, D(2025, 1, 1), 2)]
    assert k.tenure_counts(tenure, events, D(2025, 1, 1), D(2026, 1, 1))["detentions"] == 2
    assert k.clip(tenure, D(2023, 1, 1), D(2024, 1, 1)) is None


def test_rates_per_100_and_no_rate_without_detentions() -> None:
    counts = {"detentions": 40, "unjustified": 3, "safeguards_late": 10, "blind_minutes": 90}
    rates = k.rates_per_100(counts)
    assert rates["unjustified"] == 7.5
    assert rates["safeguards_late"] == 25.0
    assert rates["blind_minutes"] == 225.0
    assert rates["convictions"] == 0.0
    assert k.rates_per_100({"detentions": 0, "unjustified": 2})["unjustified"] is None


def test_person_across_units_combines_before_the_rate() -> None:
    # 1/10 and 9/90 are both 10 %: the mean of rates would hide the small unit's weight.
    a = {"detentions": 10, "unjustified": 1}
    b = {"detentions": 90, "unjustified": 19}
    total = k.combine([a, b])
    assert total["detentions"] == 100 and total["unjustified"] == 20
    assert k.rates_per_100(total)["unjustified"] == 20.0


def test_rank_puts_heads_without_rate_last() -> None:
    rows = [("a", {"x": None}), ("b", {"x": 1.0}), ("c", {"x": 5.0})]
    assert [name for name, _r in k.rank(rows, "x")] == ["c", "b", "a"]


def test_proposals_fall_in_the_tenure_and_once_per_source() -> None:
    tenures = [k.Tenure(1, 7, D(2025, 1, 1), D(2025, 6, 1)),
               k.Tenure(2, 7, D(2025, 6, 1), None), k.Tenure(3, 8, D(2020, 1, 1), None)]
    found = k.proposals(
        tenures,
        convictions=[("charge:1", 7, D(2025, 5, 31)), ("charge:1", 7, D(2025, 5, 31)),
                     ("charge:2", 7, D(2025, 6, 1))],
        substantiated=[("complaint:9", 8, D(2025, 2, 2)), ("complaint:10", 9, D(2025, 2, 2))],
        risk_moments=[(7, D(2025, 7, 1)), (7, D(2025, 7, 3)), (7, D(2025, 7, 30)),
                      (7, D(2025, 8, 1)), (7, D(2025, 8, 2))])
    assert [(p.tenure, p.ground, p.source) for p in found] == [
        (3, k.Ground.SUBSTANTIATED, "complaint:9"),
        (1, k.Ground.CONVICTION, "charge:1"),
        (2, k.Ground.CONVICTION, "charge:2"),
        (2, k.Ground.RISK_PATTERN, "risk:7:2025-07"),
    ]
    assert found[-1].day == D(2025, 7, 30)


def test_eligibility_from_the_charges() -> None:
    assert not k.eligibility([]).eligible
    assert not k.eligibility([k.ChargeFact("362", "1", "convicted")]).eligible
    assert not k.eligibility([k.ChargeFact("146", "2", "acquitted")]).eligible
    one = k.eligibility([k.ChargeFact("146", "1", "pending")])
    assert one.eligible and one.category == k.Category.TORTURE
    grave = k.eligibility([k.ChargeFact("146", "2", "convicted"),
                           k.ChargeFact("146", "ч.3", "convicted")])
    assert grave.category == k.Category.TORTURE_GRAVE
    assert len(grave.reasons) == 2


def test_amount_in_mci_and_the_year_table() -> None:
    assert k.amount(30, Decimal("3932")) == Decimal("117960.00")
    assert k.amount(Decimal("0.5"), 3) == Decimal("1.50")
    assert k.mci_for({2025: 3932}, D(2025, 12, 31)) == (2025, Decimal(3932))
    with pytest.raises(KeyError):
        k.mci_for({2025: 3932}, D(2026, 1, 1))


def test_days_to_payment_median_of_paid() -> None:
    pairs = [(D(2025, 1, 1), D(2025, 1, 11)), (D(2025, 1, 1), D(2025, 1, 31)),
             (D(2025, 1, 1), None), (D(2025, 2, 1), D(2025, 2, 21))]
    assert k.days_to_payment(pairs) == (3, 20.0)
    assert k.days_to_payment([]) == (0, None)
