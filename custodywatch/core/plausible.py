"""When a time can plausibly lie, stated once per kind of time (issue 18, item 4).

`"start": true` was read as 1970-01-01 and erased a camera's gaps; dates of birth in year 1,
verdicts in 9999 were stored. Every time the centre is given is checked here, in the shared
parsing of the APIs, the forms and the CSV imports, and refused naming the field:

- EVENT: custody and video events (detentions, stays, interrogations, camera states,
  recordings, heartbeats, visit findings): not before the system's start date
  (`CUSTODYWATCH_RECORDS_START`, default 2020-01-01) and at most CLOCK_SKEW in the future;
- PAST: what a complaint, case or examination reports (incidents, evidence collected, steps,
  verdicts, examinations, claims): since EARLIEST_PAST, at most CLOCK_SKEW in the future;
- BIRTH: dates of birth: within a human lifetime (MAX_AGE_YEARS), not in the future;
- PLAN: planned days (visits, recommendation deadlines, head appointments): since
  EARLIEST_PAST, at most PLAN_YEARS ahead.

A boolean is never a time, whatever the kind (`Moment` below refuses it before pydantic's
lax mode turns true into 1).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    StrictFloat,
    StrictInt,
    StrictStr,
)
from pydantic import Field as PydanticField

CLOCK_SKEW = dt.timedelta(minutes=5)  # clocks drift; further ahead is "in the future"
EARLIEST_PAST = dt.date(1991, 12, 16)  # the Republic's independence: its courts and records
MAX_AGE_YEARS = 120
PLAN_YEARS = 10
DEFAULT_RECORDS_START = "2020-01-01"


class Kind(enum.Enum):
    EVENT = "event"
    PAST = "past"
    BIRTH = "birth"
    PLAN = "plan"


# A contract timestamp in JSON (CONTRACTS.md, Times): ISO 8601 with offset, or epoch seconds.
# Strict: `true` is refused as a time instead of becoming 1 (1970-01-01T00:00:01Z).
Moment = Annotated[StrictStr | StrictInt | StrictFloat, PydanticField(
    description="ISO 8601 with offset or Z, or epoch seconds; never true/false")]


def records_start() -> dt.date:
    """The system's start date: no custody or video event lies before it."""
    value = getattr(settings, "CUSTODYWATCH_RECORDS_START", DEFAULT_RECORDS_START)
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def window(kind: Kind, now: dt.datetime | None = None) -> tuple[dt.date, dt.datetime]:
    """(earliest day, latest moment) of a kind of time."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if kind is Kind.EVENT:
        return records_start(), now + CLOCK_SKEW
    if kind is Kind.BIRTH:
        try:
            earliest = today.replace(year=today.year - MAX_AGE_YEARS)
        except ValueError:  # 29 February
            earliest = today.replace(year=today.year - MAX_AGE_YEARS, day=28)
        return earliest, now
    if kind is Kind.PLAN:
        return EARLIEST_PAST, now + dt.timedelta(days=365 * PLAN_YEARS)
    return EARLIEST_PAST, now + CLOCK_SKEW


def problem(kind: Kind, value: Any, now: dt.datetime | None = None) -> str | None:
    """Why `value` (a datetime, a date, or None) is not a plausible time of this kind."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, dt.date):
        return _("A date or time is expected, not %(value)s.") % {"value": repr(value)[:40]}
    earliest, latest = window(kind, now)
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            return _("A time needs its time zone.")
        # Compare calendar days first: year 1 with an offset cannot even be moved to UTC.
        day, latest_day = value.date(), timezone.localdate(latest)
        too_early = day < earliest
        try:
            too_late = day > latest_day or value > latest
        except OverflowError:
            too_late = day > latest_day
    else:
        day = value
        too_early, too_late = day < earliest, day > timezone.localdate(latest)
    if too_early:
        return _("Implausible: earlier than %(day)s.") % {"day": earliest.isoformat()}
    if too_late:
        if kind is Kind.PLAN:
            return _("Implausible: more than %(years)s years ahead.") % {"years": PLAN_YEARS}
        if isinstance(value, dt.datetime):
            return _("This moment is in the future.")
        return _("This date is in the future.")
    return None


def check(kind: Kind, value: Any, field: str, now: dt.datetime | None = None) -> None:
    """ValidationError({field: ...}) unless `value` is a plausible time of this kind."""
    message = problem(kind, value, now)
    if message is not None:
        raise ValidationError({field: [message]})


def collect(errors: dict, kind: Kind, field: str, value: Any,
            now: dt.datetime | None = None) -> None:
    """Add the field's message to an errors dict (the services' pattern)."""
    message = problem(kind, value, now)
    if message is not None:
        errors[field] = message


def validator(kind: Kind) -> Callable[[Any], None]:
    """A Django form/model field validator for this kind."""

    def validate(value: Any) -> None:
        message = problem(kind, value)
        if message is not None:
            raise ValidationError(message, code="implausible")

    return validate


def pydantic_check(kind: Kind) -> Callable[[Any], Any]:
    """An AfterValidator for pydantic date/datetime fields: ValueError names the field."""

    def validate(value: Any) -> Any:
        message = problem(kind, value)
        if message is not None:
            raise ValueError(str(message))
        return value

    return validate


def _date_text(value: Any) -> Any:
    # pydantic's lax mode reads true as 1 and a number as epoch seconds: a date is YYYY-MM-DD.
    if value is not None and not isinstance(value, (str, dt.date)):
        raise ValueError("a date as YYYY-MM-DD is expected, not a number or true/false")
    return value


# Beyond this pydantic would read a number as milliseconds; the contract's are seconds.
_MAX_EPOCH_SECONDS = 20_000_000_000


def _timestamp(value: Any) -> Any:
    # CONTRACTS.md, Times: ISO 8601 with an offset, or epoch seconds; never true/false.
    if isinstance(value, bool) or (isinstance(value, (int, float))
                                   and not -_MAX_EPOCH_SECONDS <= value <= _MAX_EPOCH_SECONDS):
        raise ValueError("a timestamp (ISO 8601 with offset, or epoch seconds) is expected")
    if value is not None and not isinstance(value, (str, int, float, dt.datetime)):
        raise ValueError("a timestamp (ISO 8601 with offset, or epoch seconds) is expected")
    return value


def date_type(kind: Kind) -> Any:
    """A pydantic type for an ISO date (YYYY-MM-DD) plausible for its kind."""
    return Annotated[dt.date, BeforeValidator(_date_text), AfterValidator(pydantic_check(kind))]


def datetime_type(kind: Kind) -> Any:
    """A pydantic type for a contract timestamp (ISO 8601 with its offset, or epoch seconds)
    plausible for its kind."""
    return Annotated[AwareDatetime, BeforeValidator(_timestamp),
                     AfterValidator(pydantic_check(kind))]


# Those the API's schemas use as named types, for annotations the type checker reads
# (date_type's and datetime_type's results are Any).
PastMoment = Annotated[AwareDatetime, BeforeValidator(_timestamp),
                       AfterValidator(pydantic_check(Kind.PAST))]
EventMoment = Annotated[AwareDatetime, BeforeValidator(_timestamp),
                        AfterValidator(pydantic_check(Kind.EVENT))]
PastDate = Annotated[dt.date, BeforeValidator(_date_text),
                     AfterValidator(pydantic_check(Kind.PAST))]
BirthDate = Annotated[dt.date, BeforeValidator(_date_text),
                      AfterValidator(pydantic_check(Kind.BIRTH))]


def epoch_ms_window(kind: Kind, now: dt.datetime | None = None) -> tuple[int, int]:
    """The window in epoch milliseconds, for the parsers of contract timestamps."""
    earliest, latest = window(kind, now)
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    start = dt.datetime.combine(earliest, dt.time(), tzinfo=dt.UTC)
    return (start - epoch) // dt.timedelta(milliseconds=1), (
        latest - epoch) // dt.timedelta(milliseconds=1)
