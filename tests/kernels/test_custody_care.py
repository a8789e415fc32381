"""Issue 22, items 4-6: recurring reviews and cell checks, observation levels and the
interrogation rules, at their boundaries (pure kernels, no database)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from custodywatch.kernels import custody_care as care
from custodywatch.kernels.custody_law import parse_law
from custodywatch.kernels.deadlines import (
    CUSTODY_TERMS,
    ClockKind,
    ClockState,
    CustodyFacts,
    Regime,
    custody_clocks,
    recurring,
    recurring_clocks,
)

ALMATY = ZoneInfo("Asia/Almaty")
T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=ALMATY)  # a Monday, 10:00 local
H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
TERMS = CUSTODY_TERMS


# ------------------------------------------------------------------ recurring duties

def test_recurring_undone_is_missed_from_the_due_moment_itself():
    args = dict(started_at=T0, first=T0 + 6 * H, every=9 * H, done=(), ended_at=None)
    assert recurring(**args, now=T0 + 6 * H - M)[0] == []
    missed, since, due = recurring(**args, now=T0 + 6 * H)
    assert missed == [care_missed(T0 + 6 * H)] and since == T0 and due == T0 + 6 * H


def care_missed(due, done=None):
    from custodywatch.kernels.deadlines import Missed
    return Missed(due.astimezone(dt.UTC), done.astimezone(dt.UTC) if done else None)


def test_recurring_done_exactly_at_due_is_on_time_a_minute_later_is_late():
    on_time = recurring(started_at=T0, first=T0 + 6 * H, every=9 * H, done=(T0 + 6 * H,),
                        ended_at=None, now=T0 + 7 * H)
    assert on_time[0] == [] and on_time[2] == T0 + 15 * H
    late = recurring(started_at=T0, first=T0 + 6 * H, every=9 * H,
                     done=(T0 + 6 * H + M,), ended_at=None, now=T0 + 7 * H)
    assert late[0] == [care_missed(T0 + 6 * H, T0 + 6 * H + M)]
    assert late[2] == T0 + 15 * H + M  # the next is counted from the late review


def test_recurring_later_reviews_every_interval_and_custody_end_stops_them():
    done = (T0 + 5 * H, T0 + 14 * H)
    missed, _since, due = recurring(started_at=T0, first=T0 + 6 * H, every=9 * H, done=done,
                                    ended_at=None, now=T0 + 23 * H)
    assert missed == [care_missed(T0 + 23 * H)] and due == T0 + 23 * H
    # Released exactly at the due moment: nothing is owed.
    assert recurring(started_at=T0, first=T0 + 6 * H, every=9 * H, done=done,
                     ended_at=T0 + 23 * H, now=T0 + 30 * H)[0] == []
    # Done after `now` has not happened yet.
    assert recurring(started_at=T0, first=T0 + 6 * H, every=9 * H, done=(T0 + 7 * H,),
                     ended_at=None, now=T0 + 6 * H)[0] == [care_missed(T0 + 6 * H)]


def test_review_clock_runs_only_where_the_regime_lists_it():
    facts = CustodyFacts(detained_at=T0, date_of_birth=dt.date(1990, 1, 1))
    kinds = [c.kind for c in custody_clocks(facts, T0 + 5 * H + 30 * M, TERMS)]
    assert ClockKind.REVIEW in kinds
    review = next(c for c in custody_clocks(facts, T0 + 5 * H + 30 * M, TERMS)
                  if c.kind == ClockKind.REVIEW)
    assert review.state == ClockState.DUE_SOON  # 30 min left, within the 1 h warning
    # After a review, 9 h to the next: 5 h 59 min left is not yet "due soon" (only the 1 h
    # warning falls in the second half of the period).
    reviewed = dataclasses.replace(facts, reviews=(T0 + 5 * H,))
    early = next(c for c in custody_clocks(reviewed, T0 + 8 * H + M, TERMS)
                 if c.kind == ClockKind.REVIEW)
    assert early.state == ClockState.RUNNING
    sentence = dataclasses.replace(facts, regime=Regime.SENTENCE)
    assert ClockKind.REVIEW not in [c.kind for c in custody_clocks(sentence, T0 + H, TERMS)]


def test_cell_checks_at_the_interval_of_the_assessed_level():
    facts = CustodyFacts(detained_at=T0, observation_level="half_hourly",
                         observed_from=T0 + H, cell_checks=(T0 + H + 30 * M,),
                         regime=Regime.SENTENCE)  # no review clock here
    [(clock, missed)] = recurring_clocks(facts, T0 + 2 * H, CUSTODY_TERMS)
    assert clock.kind == ClockKind.CELL_CHECK and clock.state == ClockState.OVERDUE
    assert missed == [care_missed(T0 + 2 * H)]
    [(clock, missed)] = recurring_clocks(facts, T0 + 2 * H - M, CUSTODY_TERMS)
    assert clock.state == ClockState.RUNNING and missed == []
    # No assessment, no cell-check clock.
    assert recurring_clocks(CustodyFacts(detained_at=T0, regime=Regime.SENTENCE), T0 + 5 * H,
                            CUSTODY_TERMS) == []


def test_law_table_sets_intervals_and_levels_by_date():
    table = parse_law({"editions": [
        {"valid_from": "2015-01-01", "hours": {"review_first": 6, "review_interval": 9},
         "observation_minutes": {"hourly": 60, "constant": 5}, "night_hours": [22, 6]},
        {"valid_from": "2026-03-03", "hours": {"review_first": 4},
         "observation_minutes": {"hourly": 45}, "night_hours": [23, 7]}]})
    before, after = table.terms_on(T0), table.terms_on(T0 + 24 * H)
    assert before.review_first == 6 * H and after.review_first == 4 * H
    assert after.review_interval == 9 * H  # inherited
    assert before.observation_interval("hourly") == 60 * M
    assert after.observation_interval("hourly") == 45 * M
    assert after.observation_interval("constant") == 5 * M
    assert (after.night_start, after.night_end) == (23, 7)
    with pytest.raises(ValueError, match=r"editions\[0\].observation_minutes.hourly"):
        parse_law({"editions": [{"valid_from": "2015-01-01",
                                 "observation_minutes": {"hourly": 0}}]})
    with pytest.raises(ValueError, match=r"editions\[0\].night_hours"):
        parse_law({"editions": [{"valid_from": "2015-01-01", "night_hours": [22, 24]}]})


# ------------------------------------------------------------------ observation levels

@pytest.mark.parametrize(("risks", "level"), [
    (care.Risks(), care.Level.HOURLY),
    (care.Risks(pregnancy=True), care.Level.HALF_HOURLY),
    (care.Risks(intoxication=True), care.Level.HALF_HOURLY),
    (care.Risks(intoxication=True, mental_health=True), care.Level.CLOSE),
    (care.Risks(self_harm=True, intoxication=True), care.Level.CONSTANT),
    (care.Risks(language=True, appropriate_adult=True), care.Level.HOURLY),
])
def test_proposed_level(risks, level):
    assert care.proposed_level(risks) == level


def test_looser_level():
    assert care.is_looser("hourly", "half_hourly")
    assert not care.is_looser("constant", "half_hourly")
    assert not care.is_looser("close", "close")


# ------------------------------------------------------------------ interrogations

def session(key=1, start=T0, minutes=60, room=True, lawyer=True, interpreter=""):
    return care.Session(key, start, start + minutes * M if minutes is not None else None,
                        room, lawyer, interpreter)


NOBODY = care.PersonSafeguards()


def flags(*sessions, person=NOBODY, now=T0 + 24 * H):
    return care.interrogation_flags(list(sessions), person, now, CUSTODY_TERMS)


def test_a_clean_interrogation_has_no_flag():
    assert flags(session()) == {1: []}


def test_room_and_lawyer_and_waiver():
    assert flags(session(room=False))[1] == [care.InterrogationFlag.ROOM]
    assert flags(session(lawyer=False))[1] == [care.InterrogationFlag.LAWYER]
    waived = care.PersonSafeguards(lawyer_waived_at=T0)
    assert flags(session(lawyer=False), person=waived)[1] == []  # waived at the start
    late_waiver = care.PersonSafeguards(lawyer_waived_at=T0 + M)
    assert flags(session(lawyer=False), person=late_waiver)[1] == [
        care.InterrogationFlag.LAWYER]
    # Present, but questioned before the lawyer's first access (a private consultation).
    before = care.PersonSafeguards(lawyer_first_access_at=T0 + M)
    assert flags(session(), person=before)[1] == [care.InterrogationFlag.LAWYER]
    assert flags(session(), person=care.PersonSafeguards(lawyer_first_access_at=T0))[1] == []


def test_night_boundaries_on_the_local_clock():
    evening = dt.datetime(2026, 3, 2, 21, 0, tzinfo=ALMATY)
    assert flags(session(start=evening, minutes=60))[1] == []  # ends at 22:00 exactly
    assert flags(session(start=evening, minutes=61))[1] == [care.InterrogationFlag.NIGHT]
    morning = dt.datetime(2026, 3, 3, 6, 0, tzinfo=ALMATY)
    assert flags(session(start=morning))[1] == []  # starts at 06:00 exactly
    assert flags(session(start=morning - M))[1] == [care.InterrogationFlag.NIGHT]
    # The same moment typed in UTC is judged on the local clock.
    assert flags(session(start=morning.astimezone(dt.UTC) - M))[1] == [
        care.InterrogationFlag.NIGHT]


def test_no_break_counts_sessions_closer_than_the_break_as_one():
    assert flags(session(minutes=240))[1] == []  # exactly the limit
    assert flags(session(minutes=241))[1] == [care.InterrogationFlag.NO_BREAK]
    # 2 h, a 59 min pause, 2 h 1 min: one interrogation of 5 h without a proper break.
    first, second = session(1, T0, 120), session(2, T0 + 179 * M, 121)
    assert flags(first, second) == {1: [care.InterrogationFlag.NO_BREAK],
                                    2: [care.InterrogationFlag.NO_BREAK]}
    # With a full hour's break, two sessions of 3 h each are lawful.
    assert flags(session(1, T0, 180), session(2, T0 + 240 * M, 180)) == {1: [], 2: []}
    # An open session runs to now.
    assert flags(session(minutes=None), now=T0 + 4 * H + M)[1] == [
        care.InterrogationFlag.NO_BREAK]


def test_interpreter_where_the_language_needs_one():
    needs = care.needs_interpreter(language="Kyrgyz", rights_language="Russian",
                                   interpreter="")
    assert needs
    assert not care.needs_interpreter(language="Russian", rights_language=" russian ",
                                      interpreter="")
    assert care.needs_interpreter(language="", rights_language="", interpreter="A. Interp")
    person = care.PersonSafeguards(needs_interpreter=True)
    assert flags(session(), person=person)[1] == [care.InterrogationFlag.LANGUAGE]
    assert flags(session(interpreter="B. Interp"), person=person)[1] == []
