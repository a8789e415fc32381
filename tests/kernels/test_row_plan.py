"""The plan of an upsert import (kernels.row_plan) and the heads' terms (kernels.registry_plan):
pure, no database."""

from __future__ import annotations

import datetime as dt

from custodywatch.kernels.registry_plan import overlapping_terms
from custodywatch.kernels.row_plan import Action, Repeat, plan_upserts, repeats


def test_each_row_is_created_updated_with_its_changes_or_unchanged():
    plan = plan_upserts(
        [(2, ("A",), {"name": "New"}), (3, ("B",), {"name": "Same", "kind": "x"}),
         (4, ("C",), {"name": "Other", "kind": "y"})],
        {("B",): {"name": "Same", "kind": "x"}, ("C",): {"name": "Old", "kind": "y"}})
    assert [(row.line, row.action, dict(row.changes)) for row in plan.rows] == [
        (2, Action.CREATE, {"name": "New"}), (3, Action.UNCHANGED, {}),
        (4, Action.UPDATE, {"name": "Other"})]
    assert (plan.count(Action.CREATE), plan.count(Action.UPDATE),
            plan.count(Action.UNCHANGED)) == (1, 1, 1)
    assert plan.repeats == ()


def test_a_re_sent_batch_changes_nothing():
    rows = [(1, "k1", {"a": 1, "rooms": frozenset({1, 2})}), (2, "k2", {"a": 2})]
    stored = {key: dict(values) for _line, key, values in rows}
    assert {row.action for row in plan_upserts(rows, stored).rows} == {Action.UNCHANGED}


def test_a_key_given_twice_names_both_lines():
    assert repeats([(2, "a"), (3, "b"), (5, "a"), (7, "a")]) == (Repeat(5, 2), Repeat(7, 2))
    plan = plan_upserts([(0, "a", {}), (1, "a", {})], {})
    assert plan.repeats == (Repeat(1, 0),)


def test_a_head_term_that_begins_before_the_last_ended_is_named_by_its_line():
    day = dt.date
    units = {"FA-1": [(day(2020, 1, 1), day(2022, 1, 1), 0), (day(2021, 6, 1), None, 2)],
             "FB-1": [(day(2020, 1, 1), day(2021, 1, 1), 3), (day(2021, 1, 1), None, 4)]}
    assert overlapping_terms(units) == [2]
    # Two stored terms that overlap are not this import's to refuse.
    assert overlapping_terms({"X": [(day(2020, 1, 1), None, 0), (day(2021, 1, 1), None, 0)]}) == []
