"""Legal rules of cases: register number, art. 146, and the whole lifecycle table."""

from __future__ import annotations

import itertools

import pytest

from custodywatch.kernels import case_rules as rules

EXPECTED_ALLOWED = {
    ("registered", "investigation"),
    ("investigation", "suspended"), ("suspended", "investigation"),
    ("investigation", "closed"), ("investigation", "sent_to_court"),
    ("sent_to_court", "verdict"),
    ("verdict", "appeal"), ("verdict", "final"), ("appeal", "final"),
    ("closed", "investigation"),
}


@pytest.mark.parametrize("value,ok", [
    ("241575031000123", True), ("2415 7503 1000 123", True), ("241575-031000123", True),
    ("24157503100012", False), ("2415750310001234", False), ("24157503100012A", False),
    ("", False), ("ERDR-1", False),
])
def test_register_number_is_fifteen_digits(value, ok):
    violation = rules.check_register_number(value)
    assert (violation is None) is ok
    if not ok:
        assert violation.field == "register_number" and "15 digits" in violation.text


@pytest.mark.parametrize("from_status,to_status",
                         list(itertools.product(rules.STATUSES, rules.STATUSES)))
def test_every_pair_of_statuses_is_allowed_only_if_in_the_table(from_status, to_status):
    ground = "no_event" if to_status == "closed" else ""
    note = "new evidence" if from_status == "closed" else ""
    violation = rules.check_transition(from_status=from_status, to_status=to_status,
                                       ground=ground, note=note)
    if (from_status, to_status) in EXPECTED_ALLOWED:
        assert violation is None
    else:
        assert violation is not None and violation.code == "transition_not_allowed"


def test_closing_needs_a_ground_and_reopening_a_note():
    assert rules.check_transition(from_status="investigation", to_status="closed").code == \
        "closing_needs_ground"
    assert rules.check_transition(from_status="closed", to_status="investigation",
                                  note="  ").code == "reopening_needs_note"
    assert rules.check_transition(from_status="registered", to_status="investigation",
                                  ground="no_event").code == "ground_only_for_closing"
    assert rules.allowed_transitions("final") == frozenset()


@pytest.mark.parametrize("verdict", ["convicted", "dismissed", "pending", "acquitted"])
@pytest.mark.parametrize("flag", rules.RELEASE_FLAGS)
def test_art_146_refuses_each_release_whatever_the_verdict(flag, verdict):
    violations = rules.charge_rule_violations(article="146", verdict=verdict, flags={flag: True})
    assert [v.field for v in violations] == [flag]
    assert violations[0].code == rules.ART_146_RULES[flag][0]
    assert "art. 146" in violations[0].text


def test_every_combination_is_reported_rule_by_rule_and_other_articles_are_free():
    for size in range(len(rules.RELEASE_FLAGS) + 1):
        for combination in itertools.combinations(rules.RELEASE_FLAGS, size):
            flags = dict.fromkeys(combination, True)
            found = rules.charge_rule_violations(article="146", verdict="convicted", flags=flags)
            assert [v.field for v in found] == list(combination)
            assert rules.charge_rule_violations(article="361", verdict="convicted",
                                                flags=flags) == []
