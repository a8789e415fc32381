"""Care in custody and interrogation safeguards (issue 22, items 5 and 6): pure, no Django.

- A risk assessment at booking proposes an observation level; the level's cell-check
  interval is the law table's (`CustodyTerms.observation_intervals`). The assessor may
  set a closer level, never a looser one.
- Each interrogation is checked against the rules of the table: an interrogation room, a
  lawyer (present, and after the lawyer's first access) unless a recorded waiver exists,
  not at night (local hours), not longer than the continuous limit without a break, and an
  interpreter where the person's language needs one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from custodywatch.kernels.deadlines import CUSTODY_TERMS, CustodyTerms


class Level(enum.StrEnum):
    """Observation levels, loosest first."""

    HOURLY = "hourly"
    HALF_HOURLY = "half_hourly"
    CLOSE = "close"
    CONSTANT = "constant"


LEVEL_ORDER = (Level.HOURLY, Level.HALF_HOURLY, Level.CLOSE, Level.CONSTANT)


@dataclasses.dataclass(frozen=True)
class Risks:
    """The structured answers of a booking risk assessment."""

    intoxication: bool = False
    self_harm: bool = False
    mental_health: bool = False
    disability: bool = False
    pregnancy: bool = False
    language: bool = False  # needs an interpreter
    appropriate_adult: bool = False


def proposed_level(risks: Risks) -> Level:
    """Self-harm: constant observation. Intoxication with a mental-health need: close (every
    15 min, rousing). Either alone, pregnancy or a disability: every 30 min. Else hourly."""
    if risks.self_harm:
        return Level.CONSTANT
    if risks.intoxication and risks.mental_health:
        return Level.CLOSE
    if risks.intoxication or risks.mental_health or risks.pregnancy or risks.disability:
        return Level.HALF_HOURLY
    return Level.HOURLY


def is_looser(level: str, than: str) -> bool:
    return LEVEL_ORDER.index(Level(level)) < LEVEL_ORDER.index(Level(than))


class InterrogationFlag(enum.StrEnum):
    ROOM = "interview_room"  # not in an interrogation room
    LAWYER = "interview_lawyer"  # no lawyer, or before the lawyer's first access; no waiver
    NIGHT = "interview_night"  # any part at night (local hours of the table)
    NO_BREAK = "interview_no_break"  # longer than the continuous limit without a break
    LANGUAGE = "interview_language"  # the person needs an interpreter; none recorded


@dataclasses.dataclass(frozen=True)
class Session:
    key: int
    started_at: dt.datetime
    ended_at: dt.datetime | None
    in_interrogation_room: bool
    lawyer_present: bool
    interpreter: str = ""


@dataclasses.dataclass(frozen=True)
class PersonSafeguards:
    lawyer_first_access_at: dt.datetime | None = None
    lawyer_waived_at: dt.datetime | None = None  # the person's recorded waiver of a lawyer
    needs_interpreter: bool = False


def _same_language(first: str, second: str) -> bool:
    return first.strip().casefold() == second.strip().casefold()


def needs_interpreter(*, language: str, rights_language: str, interpreter: str) -> bool:
    """From the rights-language record: an interpreter was needed to explain the rights, or
    the rights were explained in a language other than the person's."""
    if interpreter.strip():
        return True
    return bool(language.strip() and rights_language.strip()
                and not _same_language(language, rights_language))


def _at_night(start: dt.datetime, end: dt.datetime, terms: CustodyTerms) -> bool:
    """Any part of [start, end) within the night hours, on the local clock."""
    zone = ZoneInfo(terms.local_zone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    day = local_start.date() - dt.timedelta(days=1)
    while day <= local_end.date():
        night_from = dt.datetime.combine(day, dt.time(terms.night_start), zone)
        night_day = day if terms.night_end > terms.night_start else day + dt.timedelta(days=1)
        night_until = dt.datetime.combine(night_day, dt.time(terms.night_end), zone)
        if night_from < local_end and local_start < night_until:
            return True
        day += dt.timedelta(days=1)
    return False


def interrogation_flags(
    sessions: Sequence[Session], person: PersonSafeguards, now: dt.datetime,
    terms: CustodyTerms = CUSTODY_TERMS,
) -> dict[int, list[InterrogationFlag]]:
    """The rules each session breaks, by its key. An open session runs to `now`. Sessions
    closer together than the break the law requires are one continuous interrogation:
    every session of a block longer than the limit is flagged (exactly the limit is not)."""
    for moment in (now, person.lawyer_first_access_at, person.lawyer_waived_at):
        if moment is not None and moment.utcoffset() is None:
            raise ValueError("naive datetime: the rules need aware datetimes")
    flags: dict[int, list[InterrogationFlag]] = {s.key: [] for s in sessions}
    ordered = sorted(sessions, key=lambda s: s.started_at)
    for session in ordered:
        end = session.ended_at or max(now, session.started_at)
        found = flags[session.key]
        if not session.in_interrogation_room:
            found.append(InterrogationFlag.ROOM)
        waived = (person.lawyer_waived_at is not None
                  and person.lawyer_waived_at <= session.started_at)
        before_access = (person.lawyer_first_access_at is not None
                         and session.started_at < person.lawyer_first_access_at)
        if not waived and (not session.lawyer_present or before_access):
            found.append(InterrogationFlag.LAWYER)
        if _at_night(session.started_at, end, terms):
            found.append(InterrogationFlag.NIGHT)
        if person.needs_interpreter and not session.interpreter.strip():
            found.append(InterrogationFlag.LANGUAGE)
    blocks: list[tuple[list[Session], dt.datetime, dt.datetime]] = []
    for session in ordered:
        end = session.ended_at or max(now, session.started_at)
        if blocks and session.started_at - blocks[-1][2] < terms.interrogation_break:
            members, start, last = blocks[-1]
            blocks[-1] = ([*members, session], start, max(last, end))
        else:
            blocks.append(([session], session.started_at, end))
    for members, start, last in blocks:
        if last - start > terms.interrogation_continuous:
            for item in members:
                flags[item.key].append(InterrogationFlag.NO_BREAK)
    return flags
