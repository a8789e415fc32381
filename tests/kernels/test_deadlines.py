"""The legal clocks at their boundaries (pure: no database)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from custodywatch.kernels import deadlines
from custodywatch.kernels.deadlines import (
    CUSTODY_TERMS,
    ClockKind,
    ClockState,
    CustodyFacts,
    clock_reading,
    custody_clocks,
    detention_due_at,
    is_minor_at,
)

ALMATY = ZoneInfo("Asia/Almaty")
H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
DETAINED = dt.datetime(2026, 3, 10, 22, 30, tzinfo=ALMATY)
ADULT = dt.date(1990, 5, 1)


def detention(now: dt.datetime, *, born: dt.date | None = ADULT, **facts) -> deadlines.Clock:
    clocks = custody_clocks(CustodyFacts(detained_at=DETAINED, date_of_birth=born, **facts), now)
    assert clocks[0].kind == ClockKind.DETENTION
    return clocks[0]


def test_default_terms_are_the_law():
    assert CUSTODY_TERMS.detention_limit == 48 * H
    assert CUSTODY_TERMS.minor_detention_limit == 24 * H
    assert CUSTODY_TERMS.relatives_notification == 12 * H
    assert CUSTODY_TERMS.warnings == (6 * H, H)


@pytest.mark.parametrize(("elapsed", "state"), [
    (0 * H, ClockState.RUNNING),
    (41 * H + 59 * M, ClockState.RUNNING),
    (42 * H, ClockState.DUE_SOON),         # 6 h before: first warning
    (47 * H, ClockState.DUE_SOON),         # 1 h before: second warning
    (47 * H + 59 * M, ClockState.DUE_SOON),
    (48 * H, ClockState.OVERDUE),          # at 48:00 a person still held is held too long
    (60 * H, ClockState.OVERDUE),
])
def test_adult_detention_clock_boundaries(elapsed, state):
    clock = detention(DETAINED + elapsed)
    assert clock.state == state
    assert clock.due_at == DETAINED + 48 * H
    assert clock.remaining == 48 * H - elapsed


def test_warning_levels_name_the_smallest_crossed():
    assert detention(DETAINED + 42 * H).warning == 6 * H
    assert detention(DETAINED + 46 * H + 59 * M).warning == 6 * H
    assert detention(DETAINED + 47 * H).warning == H
    assert detention(DETAINED + 41 * H).warning is None


def test_release_at_47_59_is_met_on_time_and_at_48_01_late():
    on_time = detention(DETAINED + 50 * H, ended_at=DETAINED + 47 * H + 59 * M)
    assert (on_time.state, on_time.late) == (ClockState.MET, False)
    exactly = detention(DETAINED + 50 * H, ended_at=DETAINED + 48 * H)
    assert (exactly.state, exactly.late) == (ClockState.MET, False)
    late = detention(DETAINED + 50 * H, ended_at=DETAINED + 48 * H + M)
    assert (late.state, late.late) == (ClockState.MET, True)


def test_an_end_recorded_after_now_has_not_happened_yet():
    clock = detention(DETAINED + 47 * H, ended_at=DETAINED + 47 * H + 30 * M)
    assert clock.state == ClockState.DUE_SOON


@pytest.mark.parametrize(("elapsed", "state"), [
    (17 * H + 59 * M, ClockState.RUNNING),
    (18 * H, ClockState.DUE_SOON),
    (23 * H + 59 * M, ClockState.DUE_SOON),
    (24 * H, ClockState.OVERDUE),
])
def test_minor_detention_clock_is_24_hours(elapsed, state):
    minor = dt.date(2010, 1, 1)
    clock = detention(DETAINED + elapsed, born=minor)
    assert clock.state == state
    assert clock.due_at == DETAINED + 24 * H


def test_a_person_who_turns_18_during_custody_keeps_the_minors_limit():
    # 18th birthday is on 11 March, the day after the detention at 22:30 on 10 March.
    born = dt.date(2008, 3, 11)
    assert is_minor_at(born, DETAINED)
    assert not is_minor_at(born, DETAINED + 2 * H)  # past local midnight: now an adult
    assert detention_due_at(born, DETAINED) == DETAINED + 24 * H
    assert detention(DETAINED + 24 * H, born=born).state == ClockState.OVERDUE


def test_eighteenth_birthday_on_the_day_of_detention_is_adult():
    assert not is_minor_at(dt.date(2008, 3, 10), DETAINED)
    assert detention_due_at(dt.date(2008, 3, 10), DETAINED) == DETAINED + 48 * H


def test_minor_status_uses_the_local_calendar_not_utc():
    # 00:30 on 11 March in Almaty is still 10 March in UTC (Almaty is UTC+5, no DST).
    moment = dt.datetime(2026, 3, 11, 0, 30, tzinfo=ALMATY)
    assert moment.astimezone(dt.UTC).date() == dt.date(2026, 3, 10)
    assert not is_minor_at(dt.date(2008, 3, 11), moment)
    local_midnight_minus = dt.datetime(2026, 3, 10, 23, 59, tzinfo=ALMATY)
    assert is_minor_at(dt.date(2008, 3, 11), local_midnight_minus)


def test_born_on_29_february_completes_the_year_on_1_march():
    born = dt.date(2008, 2, 29)
    assert is_minor_at(born, dt.datetime(2026, 2, 28, 12, tzinfo=ALMATY))
    assert not is_minor_at(born, dt.datetime(2026, 3, 1, 12, tzinfo=ALMATY))


def test_unknown_date_of_birth_gets_the_safer_minors_limit():
    assert detention_due_at(None, DETAINED) == DETAINED + 24 * H


def test_time_zones_do_not_move_the_deadline():
    in_utc = DETAINED.astimezone(dt.UTC)
    in_moscow = DETAINED.astimezone(ZoneInfo("Europe/Moscow"))
    assert detention_due_at(ADULT, in_utc) == detention_due_at(ADULT, in_moscow)
    # Asia/Almaty has no DST: 48 h of elapsed time are 48 h of wall-clock time too.
    due = detention_due_at(ADULT, DETAINED).astimezone(ALMATY)
    assert (due.day, due.hour, due.minute) == (12, 22, 30)
    assert DETAINED.utcoffset() == dt.timedelta(hours=5)


def test_deadline_across_a_dst_change_elsewhere_counts_elapsed_hours():
    berlin = ZoneInfo("Europe/Berlin")
    before_change = dt.datetime(2026, 3, 28, 12, 0, tzinfo=berlin)  # DST starts 29 March
    due = detention_due_at(ADULT, before_change)
    assert due.astimezone(dt.UTC) - before_change.astimezone(dt.UTC) == 48 * H
    assert due.astimezone(berlin).hour == 13  # the wall clock jumped an hour


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        is_minor_at(ADULT, dt.datetime(2026, 1, 1, 12))


def test_relatives_clock_12_hours_and_met():
    facts = CustodyFacts(detained_at=DETAINED, date_of_birth=ADULT)
    relatives = {c.kind: c for c in custody_clocks(facts, DETAINED + 11 * H + 59 * M)}
    assert relatives[ClockKind.RELATIVES].state == ClockState.DUE_SOON
    overdue = {c.kind: c for c in custody_clocks(facts, DETAINED + 12 * H)}
    assert overdue[ClockKind.RELATIVES].state == ClockState.OVERDUE
    notified = dataclasses.replace(facts, relatives_notified_at=DETAINED + 13 * H)
    met = {c.kind: c for c in custody_clocks(notified, DETAINED + 14 * H)}
    assert (met[ClockKind.RELATIVES].state, met[ClockKind.RELATIVES].late) == (
        ClockState.MET, True)


def test_medical_clock_starts_at_arrival_only():
    facts = CustodyFacts(detained_at=DETAINED, date_of_birth=ADULT)
    assert ClockKind.MEDICAL not in {c.kind for c in custody_clocks(facts, DETAINED + H)}
    arrived = dataclasses.replace(facts, arrived_at=DETAINED + H)
    clocks = {c.kind: c for c in custody_clocks(arrived, DETAINED + 2 * H)}
    assert clocks[ClockKind.MEDICAL].state == ClockState.OVERDUE
    checked = dataclasses.replace(arrived, medical_checked_at=DETAINED + H + 20 * M)
    clocks = {c.kind: c for c in custody_clocks(checked, DETAINED + 2 * H)}
    assert (clocks[ClockKind.MEDICAL].state, clocks[ClockKind.MEDICAL].late) == (
        ClockState.MET, False)


def test_custody_ending_before_a_safeguard_was_due_leaves_nothing_owed():
    facts = CustodyFacts(detained_at=DETAINED, date_of_birth=ADULT, ended_at=DETAINED + 3 * H)
    relatives = {c.kind: c for c in custody_clocks(facts, DETAINED + 20 * H)}[
        ClockKind.RELATIVES]
    assert (relatives.state, relatives.late, relatives.given) == (ClockState.MET, False, False)


def test_a_law_change_is_one_line_of_terms():
    exceptional = dataclasses.replace(CUSTODY_TERMS, detention_limit=72 * H)
    assert detention_due_at(ADULT, DETAINED, exceptional) == DETAINED + 72 * H
    three_hours = dataclasses.replace(CUSTODY_TERMS, relatives_notification=3 * H)
    clocks = custody_clocks(CustodyFacts(detained_at=DETAINED, date_of_birth=ADULT),
                            DETAINED + 3 * H, three_hours)
    assert {c.kind: c.state for c in clocks}[ClockKind.RELATIVES] == ClockState.OVERDUE


def test_urgency_orders_overdue_then_due_soon_then_nearest():
    def key(hours):
        return deadlines.urgency_key(custody_clocks(
            CustodyFacts(detained_at=DETAINED, date_of_birth=ADULT,
                         relatives_notified_at=DETAINED, lawyer_access_at=DETAINED),
            DETAINED + hours * H))
    assert key(49) < key(47) < key(30) < key(2)


def test_clock_reading_fraction_for_the_picture():
    clock = clock_reading(kind=ClockKind.DETENTION, started_at=DETAINED, due_at=DETAINED + 48 * H,
                          met_at=None, custody_ended_at=None, now=DETAINED + 12 * H)
    assert clock.fraction_used == pytest.approx(0.25)
