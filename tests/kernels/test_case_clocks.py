"""UN CAT art. 12 clocks: terms, states, the decision stopping every clock, settings."""

from __future__ import annotations

import datetime as dt

import pytest

from custodywatch.kernels.case_clocks import (
    CASE_TERMS,
    CaseClockKind,
    CaseFacts,
    ClockState,
    case_clocks,
    due_moments,
    terms_from_settings,
)

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


def states(facts, now, terms=CASE_TERMS):
    return {c.kind: c.state for c in case_clocks(facts, now, terms)}


def test_states_over_time():
    facts = CaseFacts(registered_at=T0)
    assert states(facts, T0 + H) == {CaseClockKind.FIRST_STEP: ClockState.RUNNING,
                                     CaseClockKind.EXAMINATION: ClockState.RUNNING,
                                     CaseClockKind.DECISION: ClockState.RUNNING}
    assert states(facts, T0 + 19 * H)[CaseClockKind.FIRST_STEP] == ClockState.DUE_SOON
    assert states(facts, T0 + 24 * H)[CaseClockKind.FIRST_STEP] == ClockState.OVERDUE
    assert states(facts, T0 + 49 * H)[CaseClockKind.EXAMINATION] == ClockState.DUE_SOON
    assert states(facts, T0 + 72 * H)[CaseClockKind.EXAMINATION] == ClockState.OVERDUE
    assert states(facts, T0 + 60 * 24 * H)[CaseClockKind.DECISION] == ClockState.OVERDUE


def test_met_late_and_decision_stops_everything():
    facts = CaseFacts(registered_at=T0, first_step_at=T0 + 30 * H, examination_at=T0 + 10 * H)
    clocks = {c.kind: c.clock for c in case_clocks(facts, T0 + 40 * H)}
    assert clocks[CaseClockKind.FIRST_STEP].state == ClockState.MET
    assert clocks[CaseClockKind.FIRST_STEP].late is True
    assert clocks[CaseClockKind.EXAMINATION].late is False
    decided = CaseFacts(registered_at=T0, decision_at=T0 + 5 * H)
    clocks = {c.kind: c.clock for c in case_clocks(decided, T0 + 100 * 24 * H)}
    assert all(c.state == ClockState.MET for c in clocks.values())
    # Decided with no examination ever made: stopped, but the safeguard was not given.
    assert clocks[CaseClockKind.EXAMINATION].given is False
    assert clocks[CaseClockKind.DECISION].given is True


def test_a_step_recorded_after_now_has_not_happened_yet():
    facts = CaseFacts(registered_at=T0, first_step_at=T0 + 30 * H)
    assert states(facts, T0 + 25 * H)[CaseClockKind.FIRST_STEP] == ClockState.OVERDUE


def test_terms_from_settings():
    terms = terms_from_settings({"first_step_hours": 12, "decision_days": 90})
    assert terms.first_step == 12 * H and terms.decision == dt.timedelta(days=90)
    assert terms.examination == CASE_TERMS.examination
    assert states(CaseFacts(registered_at=T0), T0 + 13 * H, terms)[
        CaseClockKind.FIRST_STEP] == ClockState.OVERDUE
    assert due_moments(T0, terms)[CaseClockKind.DECISION] == T0 + dt.timedelta(days=90)
    assert terms_from_settings(None) is CASE_TERMS
    for bad in ({"first_steps_hours": 1}, {"first_step_weeks": 1}, {"decision_days": 0}):
        with pytest.raises(ValueError):
            terms_from_settings(bad)
