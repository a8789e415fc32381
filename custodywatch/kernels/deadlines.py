"""Legal clocks of custody: pure, table-driven, no Django.

Every term is configuration, not code: a change of law is a change of one line of
`CUSTODY_TERMS` (or a different `CustodyTerms` passed in). Times are aware datetimes;
durations are `timedelta`. A clock runs from its start event to its due moment; it
stops when the safeguard is given (relatives notified, lawyer seen, examined) or, for
the detention clock itself, when custody ends.

Decisions, stated once:
- The detention limit counts from the ACTUAL moment of detention, never from booking.
- Minor status is decided at the moment of detention, on the calendar of the place
  (Asia/Almaty by default). A person who turns 18 during custody keeps the minors'
  limit (24 h): the protection that applied when the liberty was taken is not
  withdrawn halfway, and it is the shorter, safer limit.
- An unknown date of birth is treated as a minor's (the safer reading) until known.
- A clock is "due soon" from the largest warning before its due moment, "overdue" from
  the due moment itself (at 48:00 a person still held is held too long), and "met" once
  stopped; a stop after the due moment is met but late (an overrun).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

HOUR = dt.timedelta(hours=1)


class ClockKind(enum.StrEnum):
    DETENTION = "detention"
    RELATIVES = "relatives"
    LAWYER = "lawyer"
    MEDICAL = "medical"


class ClockState(enum.StrEnum):
    RUNNING = "running"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    MET = "met"


@dataclass(frozen=True)
class CustodyTerms:
    """The legal terms of custody. Defaults: Criminal Procedure Code of Kazakhstan."""

    detention_limit: dt.timedelta = 48 * HOUR
    minor_detention_limit: dt.timedelta = 24 * HOUR
    age_of_majority: int = 18
    relatives_notification: dt.timedelta = 12 * HOUR
    lawyer_access: dt.timedelta = 24 * HOUR
    # "At arrival": the examination is due within this grace after arrival.
    intake_medical_check: dt.timedelta = 1 * HOUR
    warnings: tuple[dt.timedelta, ...] = (6 * HOUR, 1 * HOUR)
    local_zone: str = "Asia/Almaty"


CUSTODY_TERMS = CustodyTerms()


@dataclass(frozen=True)
class CustodyFacts:
    """What a clock needs to know about one detention."""

    detained_at: dt.datetime
    date_of_birth: dt.date | None = None
    arrived_at: dt.datetime | None = None
    relatives_notified_at: dt.datetime | None = None
    lawyer_access_at: dt.datetime | None = None
    medical_checked_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None


@dataclass(frozen=True)
class Clock:
    kind: ClockKind
    started_at: dt.datetime
    due_at: dt.datetime
    state: ClockState
    stopped_at: dt.datetime | None = None
    late: bool = False  # stopped after its due moment (or still running past it)
    given: bool = True  # False when custody ended without the safeguard being given
    warning: dt.timedelta | None = None  # the smallest warning crossed, while due soon
    remaining: dt.timedelta = field(default=dt.timedelta(0))

    @property
    def fraction_used(self) -> float:
        """How much of the term has passed, 0..1, for the clock picture."""
        total = (self.due_at - self.started_at).total_seconds()
        if total <= 0:
            return 1.0
        end = self.stopped_at or (self.due_at - self.remaining)
        return min(1.0, max(0.0, (end - self.started_at).total_seconds() / total))


def _require_aware(*moments: dt.datetime | None) -> None:
    for moment in moments:
        if moment is not None and moment.utcoffset() is None:
            raise ValueError("naive datetime: a clock needs aware datetimes")


def _utc(moment: dt.datetime) -> dt.datetime:
    # Python adds and subtracts aware datetimes of one zone on the wall clock: 48 h after
    # a Saturday noon in Berlin would be 47 real hours across a DST change. Elapsed time
    # is what the law counts, so every sum is done in UTC.
    return moment.astimezone(dt.UTC)


def _utc_or_none(moment: dt.datetime | None) -> dt.datetime | None:
    return _utc(moment) if moment is not None else None


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    """Completed years on `day`. Born on 29 February: a year completes on 1 March."""
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - (1 if before_birthday else 0)


def is_minor_at(
    date_of_birth: dt.date | None, moment: dt.datetime, terms: CustodyTerms = CUSTODY_TERMS
) -> bool:
    """Under the age of majority at `moment`, on the local calendar; unknown counts as minor."""
    _require_aware(moment)
    if date_of_birth is None:
        return True
    local_day = moment.astimezone(ZoneInfo(terms.local_zone)).date()
    return age_on(date_of_birth, local_day) < terms.age_of_majority


def detention_limit(
    date_of_birth: dt.date | None, detained_at: dt.datetime, terms: CustodyTerms = CUSTODY_TERMS
) -> dt.timedelta:
    minor = is_minor_at(date_of_birth, detained_at, terms)
    return terms.minor_detention_limit if minor else terms.detention_limit


def detention_due_at(
    date_of_birth: dt.date | None, detained_at: dt.datetime, terms: CustodyTerms = CUSTODY_TERMS
) -> dt.datetime:
    return _utc(detained_at) + detention_limit(date_of_birth, detained_at, terms)


def clock_reading(
    *,
    kind: ClockKind,
    started_at: dt.datetime,
    due_at: dt.datetime,
    met_at: dt.datetime | None,
    custody_ended_at: dt.datetime | None,
    now: dt.datetime,
    warnings: Iterable[dt.timedelta] = CUSTODY_TERMS.warnings,
) -> Clock:
    """The state of one clock at `now`. Events recorded after `now` have not happened yet."""
    _require_aware(started_at, due_at, met_at, custody_ended_at, now)
    started_at, due_at, now = _utc(started_at), _utc(due_at), _utc(now)
    met_at, custody_ended_at = _utc_or_none(met_at), _utc_or_none(custody_ended_at)
    stops = [moment for moment in (met_at, custody_ended_at) if moment is not None]
    stopped_at = min(stops) if stops else None
    if stopped_at is not None and stopped_at <= now:
        given = met_at is not None and met_at <= stopped_at
        # Ending custody before the due moment leaves nothing owed; after it, the wait was late.
        return Clock(kind, started_at, due_at, ClockState.MET, stopped_at=stopped_at,
                     late=stopped_at > due_at, given=given)
    remaining = due_at - now
    if remaining <= dt.timedelta(0):
        return Clock(kind, started_at, due_at, ClockState.OVERDUE, late=True,
                     remaining=remaining)
    crossed = sorted(w for w in warnings if remaining <= w)
    if crossed:
        return Clock(kind, started_at, due_at, ClockState.DUE_SOON, warning=crossed[0],
                     remaining=remaining)
    return Clock(kind, started_at, due_at, ClockState.RUNNING, remaining=remaining)


def custody_clocks(
    facts: CustodyFacts, now: dt.datetime, terms: CustodyTerms = CUSTODY_TERMS
) -> list[Clock]:
    """Every clock of one detention, detention first. The medical clock starts at arrival."""
    _require_aware(facts.detained_at, facts.arrived_at, now)
    detained, now = _utc(facts.detained_at), _utc(now)
    arrived = _utc_or_none(facts.arrived_at)
    table: list[tuple[ClockKind, dt.datetime | None, dt.timedelta, dt.datetime | None]] = [
        (ClockKind.DETENTION, detained, detention_limit(facts.date_of_birth, detained, terms),
         facts.ended_at),
        (ClockKind.RELATIVES, detained, terms.relatives_notification,
         facts.relatives_notified_at),
        (ClockKind.LAWYER, detained, terms.lawyer_access, facts.lawyer_access_at),
        (ClockKind.MEDICAL, arrived, terms.intake_medical_check,
         facts.medical_checked_at),
    ]
    clocks = []
    for kind, started_at, term, met_at in table:
        if started_at is None or started_at > now:
            continue
        clocks.append(clock_reading(
            kind=kind, started_at=started_at, due_at=started_at + term, met_at=met_at,
            custody_ended_at=facts.ended_at, now=now, warnings=terms.warnings))
    return clocks


_URGENCY = {ClockState.OVERDUE: 0, ClockState.DUE_SOON: 1, ClockState.RUNNING: 2,
            ClockState.MET: 3}


def urgency_key(clocks: Iterable[Clock]) -> tuple[int, float]:
    """Sort key: overdue first, then due soon, then by the nearest due moment of open clocks."""
    open_clocks = [clock for clock in clocks if clock.state != ClockState.MET]
    if not open_clocks:
        return (_URGENCY[ClockState.MET], 0.0)
    worst = min(_URGENCY[clock.state] for clock in open_clocks)
    nearest = min(clock.remaining.total_seconds() for clock in open_clocks)
    return (worst, nearest)

