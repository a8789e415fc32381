"""The clocks of a prompt and impartial investigation (UN CAT art. 12). Pure, no Django.

Three clocks run from the case's registration: to the first investigative step, to the first
forensic examination, and to the decision on the case (closed with a ground, or sent to
court). They use the state machine of :mod:`custodywatch.kernels.deadlines` (running, due
soon, overdue, met; late when met after the due moment). The decision stops every clock: an
examination never made before a decision shows as met but not given.

Default terms (``CaseTerms``; override with ``settings.CASES_TERMS``):
- first investigative step: 24 hours (Criminal Procedure Code art. 181: a report of a crime
  is registered and acted on at once; a day is the outer bound we hold prosecutors to);
- forensic examination: 72 hours (Istanbul Protocol para. 104 ff.: soft-tissue signs of
  ill-treatment fade within days, so the examination is ordered and done at once);
- decision: 60 days (the pre-trial investigation term of CPC art. 192: two months).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, fields, replace
from typing import Any

from custodywatch.kernels.deadlines import Clock, ClockKind, ClockState, clock_reading

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)

__all__ = ["CASE_TERMS", "CaseClock", "CaseClockKind", "CaseFacts", "CaseTerms", "ClockState",
           "case_clocks", "terms_from_settings"]


class CaseClockKind(enum.StrEnum):
    FIRST_STEP = "first_step"
    EXAMINATION = "examination"
    DECISION = "decision"


@dataclass(frozen=True)
class CaseTerms:
    first_step: dt.timedelta = 24 * HOUR
    examination: dt.timedelta = 72 * HOUR
    decision: dt.timedelta = 60 * DAY
    first_step_warnings: tuple[dt.timedelta, ...] = (6 * HOUR, 1 * HOUR)
    examination_warnings: tuple[dt.timedelta, ...] = (24 * HOUR, 6 * HOUR)
    decision_warnings: tuple[dt.timedelta, ...] = (10 * DAY, 2 * DAY)


CASE_TERMS = CaseTerms()

_UNITS = {"hours": HOUR, "days": DAY}


def terms_from_settings(config: dict[str, Any] | None) -> CaseTerms:
    """Terms from a settings dict such as ``{"first_step_hours": 12, "decision_days": 90}``.

    Keys are a term's name and its unit (``hours`` or ``days``); unknown keys are refused so
    that a typo in settings is not silently ignored.
    """
    if not config:
        return CASE_TERMS
    names = {f.name for f in fields(CaseTerms) if not f.name.endswith("_warnings")}
    changes: dict[str, Any] = {}  # dataclasses.replace's keyword arguments
    for key, value in config.items():
        name, _sep, unit = key.rpartition("_")
        if name not in names or unit not in _UNITS:
            raise ValueError(f"CASES_TERMS: unknown key {key!r}")
        if not isinstance(value, int | float) or value <= 0:
            raise ValueError(f"CASES_TERMS: {key} must be a positive number")
        changes[name] = value * _UNITS[unit]
    return replace(CASE_TERMS, **changes)


@dataclass(frozen=True)
class CaseFacts:
    registered_at: dt.datetime
    first_step_at: dt.datetime | None = None
    examination_at: dt.datetime | None = None
    decision_at: dt.datetime | None = None


@dataclass(frozen=True)
class CaseClock:
    kind: CaseClockKind
    clock: Clock

    @property
    def state(self) -> ClockState:
        return self.clock.state


def case_clocks(facts: CaseFacts, now: dt.datetime, terms: CaseTerms = CASE_TERMS
                ) -> list[CaseClock]:
    """The three clocks at ``now``, in order: first step, examination, decision."""
    start = facts.registered_at
    table = [
        (CaseClockKind.FIRST_STEP, terms.first_step, facts.first_step_at,
         terms.first_step_warnings),
        (CaseClockKind.EXAMINATION, terms.examination, facts.examination_at,
         terms.examination_warnings),
        (CaseClockKind.DECISION, terms.decision, facts.decision_at, terms.decision_warnings),
    ]
    clocks = []
    for kind, term, met_at, warnings in table:
        # The kernel's kinds name custody safeguards; the state machine is what is reused.
        reading = clock_reading(kind=ClockKind.DETENTION, started_at=start, due_at=start + term,
                                met_at=met_at, custody_ended_at=facts.decision_at, now=now,
                                warnings=warnings)
        clocks.append(CaseClock(kind, reading))
    return clocks


def is_overdue(facts: CaseFacts, now: dt.datetime, terms: CaseTerms = CASE_TERMS) -> bool:
    return any(c.state == ClockState.OVERDUE for c in case_clocks(facts, now, terms))


def due_moments(registered_at: dt.datetime, terms: CaseTerms = CASE_TERMS
                ) -> dict[CaseClockKind, dt.datetime]:
    """When each clock falls due: for database filters on overdue cases."""
    return {CaseClockKind.FIRST_STEP: registered_at + terms.first_step,
            CaseClockKind.EXAMINATION: registered_at + terms.examination,
            CaseClockKind.DECISION: registered_at + terms.decision}
