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

import dataclasses
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
    # Issue 22, safeguards: each runs only where its regime lists it (CustodyTerms.clocks).
    PROTOCOL = "protocol"  # detention protocol drawn up
    PROSECUTOR = "prosecutor"  # supervising prosecutor notified
    CONSULAR = "consular"  # consulate of a foreign national notified (or declined)
    LAWYER_ARRIVAL = "lawyer_arrival"  # a requested lawyer arrives, or a state one is offered
    RIGHTS = "rights"  # rights explained
    EXTENSION = "extension"  # remand: the application to extend is filed before expiry
    # Issue 22, items 4-5: recurring duties (each done moment sets the next due moment).
    REVIEW = "review"  # continued detention reviewed by an officer not involved in the case
    CELL_CHECK = "cell_check"  # a cell check at the interval of the observation level


class Regime(enum.StrEnum):
    """The legal basis on which a person is held; each has its own limit."""

    DELIVERY = "delivery"  # delivery to a police station, administrative detention
    CRIMINAL_DETENTION = "criminal_detention"  # 48 h, minors 24 h, until a court decides
    REMAND = "remand"  # remand in custody by a court order, for its term and extensions
    ADMINISTRATIVE_ARREST = "administrative_arrest"  # days set by a court
    SENTENCE = "sentence"  # a sentence, to its release date
    PSYCHIATRIC = "psychiatric"  # involuntary psychiatric placement, to court control dates


# The regimes whose limit a court sets (`term_ends_at`); without it the pre-court limit runs.
COURT_TERM_REGIMES = frozenset({Regime.REMAND, Regime.ADMINISTRATIVE_ARREST, Regime.SENTENCE,
                                Regime.PSYCHIATRIC})


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
    # Issue 22: the limits of the other regimes and the safeguard terms.
    delivery_limit: dt.timedelta = 3 * HOUR
    # Held for a court that may order an administrative arrest or a psychiatric placement.
    administrative_court_limit: dt.timedelta = 48 * HOUR
    psychiatric_court_limit: dt.timedelta = 48 * HOUR
    protocol: dt.timedelta = 3 * HOUR
    rights_explanation: dt.timedelta = 3 * HOUR
    prosecutor_notification: dt.timedelta = 12 * HOUR
    consular_notification: dt.timedelta = 12 * HOUR
    lawyer_arrival: dt.timedelta = 24 * HOUR
    # Remand: the application to extend is due this long before the term expires.
    extension_application: dt.timedelta = 10 * 24 * HOUR
    # A transfer not received by another facility within this is "lost in transit".
    transfer_transit: dt.timedelta = 24 * HOUR
    # Warnings of the limits counted in days (court terms) rather than hours.
    term_warnings: tuple[dt.timedelta, ...] = (7 * 24 * HOUR, 24 * HOUR)
    # Issue 22, item 4: the first review of continued detention is due this long after the
    # detention, each later one this long after the last (where the regime lists REVIEW).
    review_first: dt.timedelta = 6 * HOUR
    review_interval: dt.timedelta = 9 * HOUR
    # Item 5: the interval of cell checks at each observation level (custody_care.Level).
    observation_intervals: tuple[tuple[str, dt.timedelta], ...] = (
        ("hourly", HOUR), ("half_hourly", HOUR / 2), ("close", HOUR / 4),
        ("constant", HOUR / 12))
    # Item 6: an interrogation runs at most this long without a break of at least
    # `interrogation_break`; night is from `night_start` to `night_end` (local hours).
    interrogation_continuous: dt.timedelta = 4 * HOUR
    interrogation_break: dt.timedelta = 1 * HOUR
    night_start: int = 22
    night_end: int = 6
    # Which safeguard clocks run in each regime (the detention clock always runs).
    clocks: tuple[tuple[Regime, frozenset[ClockKind]], ...] = (
        (Regime.DELIVERY, frozenset({ClockKind.RELATIVES, ClockKind.MEDICAL,
                                     ClockKind.PROTOCOL, ClockKind.RIGHTS,
                                     ClockKind.CONSULAR, ClockKind.LAWYER_ARRIVAL,
                                     ClockKind.REVIEW})),
        (Regime.CRIMINAL_DETENTION, frozenset({
            ClockKind.RELATIVES, ClockKind.LAWYER, ClockKind.MEDICAL, ClockKind.PROTOCOL,
            ClockKind.PROSECUTOR, ClockKind.CONSULAR, ClockKind.LAWYER_ARRIVAL,
            ClockKind.RIGHTS, ClockKind.REVIEW})),
        (Regime.REMAND, frozenset({ClockKind.MEDICAL, ClockKind.CONSULAR,
                                   ClockKind.LAWYER_ARRIVAL, ClockKind.EXTENSION})),
        (Regime.ADMINISTRATIVE_ARREST, frozenset({ClockKind.RELATIVES, ClockKind.MEDICAL,
                                                  ClockKind.CONSULAR,
                                                  ClockKind.LAWYER_ARRIVAL})),
        (Regime.SENTENCE, frozenset({ClockKind.MEDICAL})),
        (Regime.PSYCHIATRIC, frozenset({ClockKind.RELATIVES, ClockKind.LAWYER_ARRIVAL,
                                        ClockKind.RIGHTS})),
    )

    def clocks_of(self, regime: Regime) -> frozenset[ClockKind]:
        return dict(self.clocks).get(regime, frozenset())

    def observation_interval(self, level: str) -> dt.timedelta | None:
        return dict(self.observation_intervals).get(level)


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
    # Issue 22. The regime and the court's term; safeguards; delays a right was given.
    regime: Regime = Regime.CRIMINAL_DETENTION
    term_ends_at: dt.datetime | None = None  # remand term, arrest end, release, court control
    extension_applied_at: dt.datetime | None = None
    protocol_at: dt.datetime | None = None
    prosecutor_notified_at: dt.datetime | None = None
    foreign_national: bool = False
    consular_notified_at: dt.datetime | None = None
    consular_declined_at: dt.datetime | None = None  # the person declined the notification
    lawyer_requested_at: dt.datetime | None = None
    state_lawyer_offered_at: dt.datetime | None = None
    rights_explained_at: dt.datetime | None = None
    # (clock kind, until): an authorised delay moves that clock's due moment to `until`.
    delays: tuple[tuple[ClockKind, dt.datetime], ...] = ()
    # Items 4-5: reviews of continued detention done; the observation level set by the
    # risk assessment (from `observed_from`) and the cell checks done.
    reviews: tuple[dt.datetime, ...] = ()
    observation_level: str = ""
    observed_from: dt.datetime | None = None
    cell_checks: tuple[dt.datetime, ...] = ()


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
    delayed: bool = False  # its due moment is an authorised delay's, not the law's

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


def legal_due_at(facts: CustodyFacts, terms: CustodyTerms = CUSTODY_TERMS) -> dt.datetime | None:
    """The moment the regime's lawful hold ends; None for a sentence with no release date.

    A court's term (remand with its extensions, an arrest, a release date, the next court
    control of a placement) is the limit once recorded; until it is, the limit that runs
    while a court has not yet decided applies (the safer reading): 48 h / 24 h of criminal
    detention for remand, the administrative or psychiatric court limit for the others.
    """
    _require_aware(facts.detained_at, facts.term_ends_at)
    detained = _utc(facts.detained_at)
    regime = Regime(facts.regime)
    if regime in COURT_TERM_REGIMES and facts.term_ends_at is not None:
        return _utc(facts.term_ends_at)
    if regime == Regime.DELIVERY:
        return detained + terms.delivery_limit
    if regime in (Regime.CRIMINAL_DETENTION, Regime.REMAND):
        return detained + detention_limit(facts.date_of_birth, detained, terms)
    if regime == Regime.ADMINISTRATIVE_ARREST:
        return detained + terms.administrative_court_limit
    if regime == Regime.PSYCHIATRIC:
        return detained + terms.psychiatric_court_limit
    return None


def _first(*moments: dt.datetime | None) -> dt.datetime | None:
    present = [_utc(moment) for moment in moments if moment is not None]
    return min(present) if present else None


@dataclass(frozen=True)
class Missed:
    """One due moment of a recurring duty that passed undone: done late at `done_at`, or
    still undone (None)."""

    due_at: dt.datetime
    done_at: dt.datetime | None = None


def recurring(
    *, started_at: dt.datetime, first: dt.datetime, every: dt.timedelta,
    done: Iterable[dt.datetime], ended_at: dt.datetime | None, now: dt.datetime,
) -> tuple[list[Missed], dt.datetime, dt.datetime]:
    """A duty due at `first`, then `every` after each time it is done, while custody runs.

    Returns the missed due moments (done after it, or not yet done at `now`), the start of
    the current period (the last time done, else `started_at`) and its due moment. Done
    exactly at the due moment is on time; at the due moment itself an undone duty is
    missed. Nothing is owed from the end of custody, nor done after `now`.
    """
    _require_aware(started_at, first, ended_at, now)
    now, due, since = _utc(now), _utc(first), _utc(started_at)
    end = _utc_or_none(ended_at)
    missed: list[Missed] = []
    for moment in sorted(_utc(m) for m in done):
        if moment > now or moment < since or (end is not None and moment > end):
            continue
        if moment > due:
            missed.append(Missed(due, moment))
        since, due = moment, moment + every
    if (end is None or end > due) and now >= due:
        missed.append(Missed(due, None))
    return missed, since, due


def recurring_clocks(facts: CustodyFacts, now: dt.datetime,
                     terms: CustodyTerms = CUSTODY_TERMS) -> list[tuple[Clock, list[Missed]]]:
    """The review clock (where the regime lists it) and the cell-check clock (once a risk
    assessment set an observation level), each with its missed due moments."""
    detained = _utc(facts.detained_at)
    result = []
    runs: list[tuple[ClockKind, dt.datetime, dt.datetime, dt.timedelta,
                     tuple[dt.datetime, ...]]] = []
    if ClockKind.REVIEW in terms.clocks_of(Regime(facts.regime)):
        runs.append((ClockKind.REVIEW, detained, detained + terms.review_first,
                     terms.review_interval, facts.reviews))
    interval = terms.observation_interval(facts.observation_level)
    if interval is not None and facts.observed_from is not None:
        start = _utc(facts.observed_from)
        runs.append((ClockKind.CELL_CHECK, start, start + interval, interval,
                     facts.cell_checks))
    for kind, start, first, every, done in runs:
        if start > _utc(now):
            continue
        missed, since, due = recurring(started_at=start, first=first, every=every, done=done,
                                       ended_at=facts.ended_at, now=now)
        # A warning only within the second half of the period (else nearly always "due
        # soon"): 1 h before a review, none before a cell check.
        warnings = tuple(w for w in terms.warnings if w <= (due - since) / 2)
        clock = clock_reading(kind=kind, started_at=since, due_at=due, met_at=facts.ended_at,
                              custody_ended_at=facts.ended_at, now=now, warnings=warnings)
        result.append((clock, missed))
    return result


def custody_clocks(
    facts: CustodyFacts, now: dt.datetime, terms: CustodyTerms = CUSTODY_TERMS
) -> list[Clock]:
    """Every clock of one detention, detention first (when the regime has a limit), then the
    safeguards its regime lists. The medical clock starts at arrival, the lawyer's arrival
    at the request; an authorised delay moves a clock's due moment to its end."""
    _require_aware(facts.detained_at, facts.arrived_at, facts.lawyer_requested_at, now)
    detained, now = _utc(facts.detained_at), _utc(now)
    arrived = _utc_or_none(facts.arrived_at)
    regime = Regime(facts.regime)
    kinds = terms.clocks_of(regime)
    court_term = regime in COURT_TERM_REGIMES and facts.term_ends_at is not None
    # (kind, start, due, met, warnings); a due of None: the clock does not run.
    table: list[tuple[ClockKind, dt.datetime | None, dt.datetime | None, dt.datetime | None,
                      tuple[dt.timedelta, ...]]] = [
        (ClockKind.DETENTION, detained, legal_due_at(facts, terms), facts.ended_at,
         terms.term_warnings if court_term else terms.warnings)]

    def add(kind: ClockKind, start: dt.datetime | None, term: dt.timedelta,
            met: dt.datetime | None, *, when: bool = True) -> None:
        if kind in kinds and when and start is not None:
            table.append((kind, start, start + term, met, terms.warnings))

    add(ClockKind.RELATIVES, detained, terms.relatives_notification, facts.relatives_notified_at)
    add(ClockKind.LAWYER, detained, terms.lawyer_access, facts.lawyer_access_at)
    add(ClockKind.MEDICAL, arrived, terms.intake_medical_check, facts.medical_checked_at)
    add(ClockKind.PROTOCOL, arrived or detained, terms.protocol, facts.protocol_at)
    add(ClockKind.RIGHTS, detained, terms.rights_explanation, facts.rights_explained_at)
    add(ClockKind.PROSECUTOR, detained, terms.prosecutor_notification,
        facts.prosecutor_notified_at)
    add(ClockKind.CONSULAR, detained, terms.consular_notification,
        _first(facts.consular_notified_at, facts.consular_declined_at),
        when=facts.foreign_national)
    add(ClockKind.LAWYER_ARRIVAL, _utc_or_none(facts.lawyer_requested_at), terms.lawyer_arrival,
        _first(facts.lawyer_access_at, facts.state_lawyer_offered_at))
    if ClockKind.EXTENSION in kinds and court_term and facts.term_ends_at is not None:
        table.append((ClockKind.EXTENSION, detained,
                      _utc(facts.term_ends_at) - terms.extension_application,
                      facts.extension_applied_at, terms.term_warnings))
    delays: dict[ClockKind, dt.datetime] = {}
    for kind, until in facts.delays:
        _require_aware(until)
        delays[kind] = max(delays.get(kind, _utc(until)), _utc(until))
    clocks = []
    for kind, started_at, due_at, met_at, warnings in table:
        if started_at is None or due_at is None or started_at > now:
            continue
        delayed = kind in delays and delays[kind] > due_at
        clock = clock_reading(
            kind=kind, started_at=started_at, due_at=delays[kind] if delayed else due_at,
            met_at=met_at, custody_ended_at=facts.ended_at, now=now, warnings=warnings)
        clocks.append(dataclasses.replace(clock, delayed=True) if delayed else clock)
    clocks += [clock for clock, _missed in recurring_clocks(facts, now, terms)]
    return clocks


class Flag(enum.StrEnum):
    """A safeguard recorded wrongly rather than late (the clocks say what is late)."""

    NO_COURT_TERM = "no_court_term"  # a court-term regime with no term recorded
    NO_RELEASE_DATE = "no_release_date"  # a sentence with no release date
    RIGHTS_LANGUAGE = "rights_language"  # not in the person's language, no interpreter
    RIGHTS_UNSIGNED = "rights_unsigned"  # explained, neither signed nor a refusal recorded
    CONSULAR_DECLINE_UNSIGNED = "consular_decline_unsigned"  # declined, nothing signed


@dataclass(frozen=True)
class RecordedSafeguards:
    """What the flags read beside the clocks: languages and signatures as recorded."""

    language: str = ""
    rights_language: str = ""
    interpreter: str = ""
    rights_acknowledgement: str = ""  # "signed", "refused_to_sign" or ""
    consular_decline_acknowledgement: str = ""


def _same_language(first: str, second: str) -> bool:
    return first.strip().casefold() == second.strip().casefold()


def safeguard_flags(facts: CustodyFacts, recorded: RecordedSafeguards) -> list[Flag]:
    regime = Regime(facts.regime)
    flags = []
    if regime in COURT_TERM_REGIMES and facts.term_ends_at is None:
        flags.append(Flag.NO_RELEASE_DATE if regime == Regime.SENTENCE else Flag.NO_COURT_TERM)
    if (facts.rights_explained_at is not None and recorded.language and recorded.rights_language
            and not _same_language(recorded.language, recorded.rights_language)
            and not recorded.interpreter.strip()):
        flags.append(Flag.RIGHTS_LANGUAGE)
    if facts.rights_explained_at is not None and not recorded.rights_acknowledgement:
        flags.append(Flag.RIGHTS_UNSIGNED)
    if facts.consular_declined_at is not None and not recorded.consular_decline_acknowledgement:
        flags.append(Flag.CONSULAR_DECLINE_UNSIGNED)
    return flags


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

