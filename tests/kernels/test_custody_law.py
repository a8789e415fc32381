"""Regimes of deprivation of liberty and safeguard clocks, at their boundaries, and the law
table that dates them (pure: no database)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from custodywatch.kernels.custody_law import load_law, parse_law
from custodywatch.kernels.deadlines import (
    CUSTODY_TERMS,
    ClockKind,
    ClockState,
    CustodyFacts,
    Flag,
    RecordedSafeguards,
    Regime,
    custody_clocks,
    legal_due_at,
    safeguard_flags,
)

ALMATY = ZoneInfo("Asia/Almaty")
H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
D = dt.timedelta(days=1)
DETAINED = dt.datetime(2026, 3, 10, 22, 30, tzinfo=ALMATY)
ADULT = dt.date(1990, 5, 1)
MINOR = dt.date(2010, 1, 1)
PACKAGED = Path(__file__).parents[2] / "custodywatch/custody/law/custody_law.json"


def clocks(now: dt.datetime, **facts) -> dict[ClockKind, object]:
    facts.setdefault("date_of_birth", ADULT)
    return {c.kind: c for c in custody_clocks(CustodyFacts(detained_at=DETAINED, **facts),
                                              now)}


def state(kind: ClockKind, now: dt.datetime, **facts) -> ClockState:
    return clocks(now, **facts)[kind].state


# ------------------------------------------------------------------------- regime limits

@pytest.mark.parametrize(("elapsed", "expected"), [
    (2 * H + 59 * M, ClockState.DUE_SOON), (3 * H, ClockState.OVERDUE)])
def test_delivery_is_three_hours(elapsed, expected):
    assert state(ClockKind.DETENTION, DETAINED + elapsed, regime=Regime.DELIVERY) == expected
    assert legal_due_at(CustodyFacts(detained_at=DETAINED, regime=Regime.DELIVERY)) == (
        DETAINED + 3 * H)


@pytest.mark.parametrize(("born", "hours"), [(ADULT, 48), (MINOR, 24), (None, 24)])
def test_criminal_detention_48_hours_minors_24(born, hours):
    limit = hours * H
    assert state(ClockKind.DETENTION, DETAINED + limit - M, date_of_birth=born) == (
        ClockState.DUE_SOON)
    assert state(ClockKind.DETENTION, DETAINED + limit, date_of_birth=born) == (
        ClockState.OVERDUE)


def test_remand_runs_to_the_court_term_and_before_the_order_on_the_detention_limit():
    term = DETAINED + 60 * D
    # No order recorded yet: the 48 h (24 h for a minor) of detention still run.
    assert legal_due_at(CustodyFacts(detained_at=DETAINED, date_of_birth=ADULT,
                                     regime=Regime.REMAND)) == DETAINED + 48 * H
    assert legal_due_at(CustodyFacts(detained_at=DETAINED, date_of_birth=MINOR,
                                     regime=Regime.REMAND)) == DETAINED + 24 * H
    facts = {"regime": Regime.REMAND, "term_ends_at": term}
    assert state(ClockKind.DETENTION, DETAINED + 50 * H, **facts) == ClockState.RUNNING
    # Warnings in days: a week and a day before the term ends.
    assert state(ClockKind.DETENTION, term - 7 * D - M, **facts) == ClockState.RUNNING
    assert clocks(term - 7 * D, **facts)[ClockKind.DETENTION].warning == 7 * D
    assert clocks(term - D, **facts)[ClockKind.DETENTION].warning == D
    assert state(ClockKind.DETENTION, term, **facts) == ClockState.OVERDUE
    released = clocks(term + D, ended_at=term - M, **facts)[ClockKind.DETENTION]
    assert (released.state, released.late) == (ClockState.MET, False)


def test_remand_extension_application_is_due_ten_days_before_expiry():
    term = DETAINED + 60 * D
    facts = {"regime": Regime.REMAND, "term_ends_at": term}
    due = term - 10 * D
    assert clocks(due - M, **facts)[ClockKind.EXTENSION].state == ClockState.DUE_SOON
    assert clocks(due, **facts)[ClockKind.EXTENSION].state == ClockState.OVERDUE
    filed = clocks(due + D, extension_applied_at=due - D, **facts)[ClockKind.EXTENSION]
    assert (filed.state, filed.late) == (ClockState.MET, False)
    late = clocks(due + D, extension_applied_at=due + H, **facts)[ClockKind.EXTENSION]
    assert (late.state, late.late) == (ClockState.MET, True)
    # Without a court term there is nothing to extend.
    assert ClockKind.EXTENSION not in clocks(due, regime=Regime.REMAND)


def test_administrative_arrest_runs_to_the_days_the_court_set():
    arrest_end = DETAINED + 15 * D
    facts = {"regime": Regime.ADMINISTRATIVE_ARREST, "term_ends_at": arrest_end}
    assert state(ClockKind.DETENTION, arrest_end - M, **facts) == ClockState.DUE_SOON
    assert state(ClockKind.DETENTION, arrest_end, **facts) == ClockState.OVERDUE
    # Waiting for the court: the administrative court limit (48 h).
    assert legal_due_at(CustodyFacts(detained_at=DETAINED,
                                     regime=Regime.ADMINISTRATIVE_ARREST)) == DETAINED + 48 * H


def test_a_sentence_runs_to_its_release_date_and_without_one_has_no_limit():
    release = DETAINED + 3 * 365 * D
    facts = {"regime": Regime.SENTENCE, "term_ends_at": release}
    assert state(ClockKind.DETENTION, DETAINED + 49 * H, **facts) == ClockState.RUNNING
    assert state(ClockKind.DETENTION, release - M, **facts) == ClockState.DUE_SOON
    assert state(ClockKind.DETENTION, release, **facts) == ClockState.OVERDUE
    no_date = clocks(DETAINED + 400 * D, regime=Regime.SENTENCE, arrived_at=DETAINED)
    assert ClockKind.DETENTION not in no_date  # nothing to count, never "past 48 h"
    assert legal_due_at(CustodyFacts(detained_at=DETAINED, regime=Regime.SENTENCE)) is None
    # A colony's safeguards are its own: no relatives' 12 h or lawyer's 24 h clock.
    assert set(no_date) == {ClockKind.MEDICAL}


def test_psychiatric_placement_runs_to_the_court_control_date():
    control = DETAINED + 30 * D
    facts = {"regime": Regime.PSYCHIATRIC, "term_ends_at": control}
    assert state(ClockKind.DETENTION, control - M, **facts) == ClockState.DUE_SOON
    assert state(ClockKind.DETENTION, control, **facts) == ClockState.OVERDUE
    before_court = CustodyFacts(detained_at=DETAINED, regime=Regime.PSYCHIATRIC)
    assert legal_due_at(before_court) == DETAINED + 48 * H


# ------------------------------------------------------------------------------ safeguards

@pytest.mark.parametrize(("kind", "hours", "met"), [
    (ClockKind.PROTOCOL, 3, "protocol_at"),
    (ClockKind.RIGHTS, 3, "rights_explained_at"),
    (ClockKind.PROSECUTOR, 12, "prosecutor_notified_at"),
])
def test_safeguard_clock_boundaries(kind, hours, met):
    due = DETAINED + hours * H
    assert state(kind, due - M) == ClockState.DUE_SOON
    assert state(kind, due) == ClockState.OVERDUE
    on_time = clocks(due + H, **{met: due})[kind]
    assert (on_time.state, on_time.late) == (ClockState.MET, False)
    late = clocks(due + H, **{met: due + M})[kind]
    assert (late.state, late.late) == (ClockState.MET, True)


def test_protocol_counts_from_delivery_to_the_facility_when_known():
    arrived = DETAINED + 2 * H
    assert clocks(arrived + H, arrived_at=arrived)[ClockKind.PROTOCOL].due_at == arrived + 3 * H


def test_consular_clock_runs_for_foreign_nationals_only_and_stops_on_a_refusal():
    assert ClockKind.CONSULAR not in clocks(DETAINED + 13 * H)
    assert state(ClockKind.CONSULAR, DETAINED + 12 * H, foreign_national=True) == (
        ClockState.OVERDUE)
    declined = clocks(DETAINED + 13 * H, foreign_national=True,
                      consular_declined_at=DETAINED + H)[ClockKind.CONSULAR]
    assert (declined.state, declined.late) == (ClockState.MET, False)


def test_lawyer_arrival_clock_starts_at_the_request_and_a_state_lawyer_offer_meets_it():
    requested = DETAINED + H
    assert ClockKind.LAWYER_ARRIVAL not in clocks(DETAINED + 30 * H)
    due = requested + 24 * H
    assert state(ClockKind.LAWYER_ARRIVAL, due - M, lawyer_requested_at=requested) == (
        ClockState.DUE_SOON)
    assert state(ClockKind.LAWYER_ARRIVAL, due, lawyer_requested_at=requested) == (
        ClockState.OVERDUE)
    offered = clocks(due + H, lawyer_requested_at=requested,
                     state_lawyer_offered_at=due - H)[ClockKind.LAWYER_ARRIVAL]
    assert (offered.state, offered.late) == (ClockState.MET, False)


def test_an_authorised_delay_moves_the_due_moment_and_says_so():
    until = DETAINED + 20 * H
    assert state(ClockKind.RELATIVES, DETAINED + 15 * H) == ClockState.OVERDUE  # no delay
    delayed = clocks(DETAINED + 15 * H, delays=((ClockKind.RELATIVES, until),))
    relatives = delayed[ClockKind.RELATIVES]
    assert (relatives.state, relatives.due_at, relatives.delayed) == (
        ClockState.DUE_SOON, until, True)
    assert clocks(until, delays=((ClockKind.RELATIVES, until),))[ClockKind.RELATIVES].state == (
        ClockState.OVERDUE)
    # A "delay" ending before the law's own term shortens nothing.
    short = clocks(DETAINED + H, delays=((ClockKind.RELATIVES, DETAINED + 2 * H),))
    assert short[ClockKind.RELATIVES].due_at == DETAINED + 12 * H
    assert not short[ClockKind.RELATIVES].delayed


def test_flags_of_safeguards_recorded_wrongly():
    explained = CustodyFacts(detained_at=DETAINED, rights_explained_at=DETAINED + H)
    assert safeguard_flags(explained, RecordedSafeguards(
        language="kk", rights_language="ru", rights_acknowledgement="signed")) == [
        Flag.RIGHTS_LANGUAGE]
    assert safeguard_flags(explained, RecordedSafeguards(
        language="kk", rights_language="ru", interpreter="Сейтова А.",
        rights_acknowledgement="signed")) == []
    assert safeguard_flags(explained, RecordedSafeguards(language="ru",
                                                         rights_language="RU")) == [
        Flag.RIGHTS_UNSIGNED]
    declined = CustodyFacts(detained_at=DETAINED, foreign_national=True,
                            consular_declined_at=DETAINED + H)
    assert safeguard_flags(declined, RecordedSafeguards()) == [
        Flag.CONSULAR_DECLINE_UNSIGNED]
    assert safeguard_flags(declined, RecordedSafeguards(
        consular_decline_acknowledgement="refused_to_sign")) == []
    assert safeguard_flags(CustodyFacts(detained_at=DETAINED, regime=Regime.SENTENCE),
                           RecordedSafeguards()) == [Flag.NO_RELEASE_DATE]
    assert safeguard_flags(CustodyFacts(detained_at=DETAINED, regime=Regime.REMAND),
                           RecordedSafeguards()) == [Flag.NO_COURT_TERM]


# ------------------------------------------------------------------------------ law table

def test_the_packaged_table_is_the_kernel_default_and_proposes_regimes_by_kind():
    table = load_law(PACKAGED)
    assert table.terms_on(DETAINED) == CUSTODY_TERMS
    assert table.proposed_regime("correctional_colony") == Regime.SENTENCE
    assert table.proposed_regime("pretrial_detention") == Regime.REMAND
    assert table.proposed_regime("special_reception") == Regime.ADMINISTRATIVE_ARREST
    assert table.proposed_regime("psychiatric") == Regime.PSYCHIATRIC
    assert table.proposed_regime("police_station") == Regime.CRIMINAL_DETENTION
    assert table.proposed_regime("unheard_of") == Regime.CRIMINAL_DETENTION


def test_a_law_change_applies_to_detentions_from_its_day_on_the_local_calendar():
    data = json.loads(PACKAGED.read_text(encoding="utf-8"))
    # A later edition shortens detention to 36 h and minors to 12 h from 1 April 2026.
    data["editions"].append({"valid_from": "2026-04-01", "source": "test",
                             "hours": {"detention_limit": 36, "minor_detention_limit": 12}})
    table = parse_law(data)
    before = dt.datetime(2026, 3, 31, 23, 59, tzinfo=ALMATY)
    after = dt.datetime(2026, 4, 1, 0, 0, tzinfo=ALMATY)  # still 31 March in UTC
    assert after.astimezone(dt.UTC).date() == dt.date(2026, 3, 31)
    old, new = table.terms_on(before), table.terms_on(after)
    assert (old.detention_limit, new.detention_limit) == (48 * H, 36 * H)
    assert (old.minor_detention_limit, new.minor_detention_limit) == (24 * H, 12 * H)
    # What the new edition did not state is inherited.
    assert new.relatives_notification == old.relatives_notification == 12 * H
    # A detention before the change keeps the old law even when counted after it.
    assert legal_due_at(CustodyFacts(detained_at=before, date_of_birth=ADULT), old) == (
        before + 48 * H)
    assert legal_due_at(CustodyFacts(detained_at=after, date_of_birth=ADULT), new) == (
        after + 36 * H)
    assert legal_due_at(CustodyFacts(detained_at=after, date_of_birth=MINOR), new) == (
        after + 12 * H)
    # Before the first edition: the oldest law the table knows.
    assert table.terms_on(dt.datetime(2010, 1, 1, tzinfo=ALMATY)) == CUSTODY_TERMS


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["editions"][0]["hours"].update(detention_limt=48), "unknown term"),
    (lambda d: d["editions"][0]["hours"].update(detention_limit=-1), "hours, zero or more"),
    (lambda d: d["editions"][0].update(valid_from="yesterday"), "valid_from"),
    (lambda d: d["editions"].append({"valid_from": "2014-01-01"}), "date order"),
    (lambda d: d["facility_regimes"].update(colony="holiday"), "unknown regime"),
    (lambda d: d["editions"][0]["regime_clocks"].update(remand=["tea"]), "regime_clocks"),
    (lambda d: d.update(editions=[]), "at least one edition"),
])
def test_a_bad_table_is_refused_naming_the_place(edit, message):
    data = json.loads(PACKAGED.read_text(encoding="utf-8"))
    edit(data)
    with pytest.raises(ValueError, match=message):
        parse_law(data)
