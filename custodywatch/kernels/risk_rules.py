"""Risk moments: a small declarative rule set over one person's custody timeline. Pure, no
Django: the medical app builds the timeline from the registers and stores what fires.

Each rule is data a prosecutor can read: a code, a title, an explanation with its
parameters written into it, and the name of the matcher that applies it. A hit names the
rule, the moment and the evidence (``kind:id`` references the page turns into links), and
says why in words built from the same parameters.

Rules (``RULES``):
- injury_after_blind: an examination finds an injury (new since the previous one, or any
  at the first) after a blind interval, or a transport in a vehicle that was not fully
  recorded, since the previous examination;
- blind_after_complaint: within the watch period after a complaint or an NPM interview (of a
  detainee in the room where the person was held: the facility cannot tell who spoke, so all
  of them are watched) the person is put in a room that was not fully recorded;
- repeated_short_deliveries: the same person is brought in and let go several times, each
  time briefly, within a month (the "deliveries" that leave no case);
- interrogation_outside_room: an interrogation outside an interrogation room followed by a
  medical visit (an examination or a stay in the medical room) within a day;
- reprisal_after_complaint: after a complaint or an NPM interview, an adverse event in the
  person's custody: a transfer, a new injury, or a blind stay.
An interrogation without a lawyer followed by a confession or a charge is not a rule yet:
the custody register records neither confessions nor charges.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

INTERROGATION_ROOMS = frozenset({"interrogation", "transparent_interrogation"})


@dataclass(frozen=True)
class Interval:
    ref: str  # "stay:12", "interrogation:4"
    kind: str  # "stay" or "interrogation"
    start: dt.datetime
    end: dt.datetime | None
    room_kind: str
    blind_minutes: int | None  # None: coverage not computed yet
    lawyer_present: bool | None = None
    has_camera: bool = True


@dataclass(frozen=True)
class Exam:
    ref: str  # "examination:3" or "check:9"
    at: dt.datetime
    injuries: int
    new_injuries: int = 0
    first: bool = False


@dataclass(frozen=True)
class Custody:
    ref: str  # "record:5"
    start: dt.datetime
    end: dt.datetime | None
    end_reason: str = ""


@dataclass(frozen=True)
class Timeline:
    custodies: Sequence[Custody] = ()
    intervals: Sequence[Interval] = ()
    exams: Sequence[Exam] = ()
    # ("complaint:7", received) and ("interview:3", recorded): an NPM interview of a
    # detainee in a room where the person was held then (whoever spoke, all are watched).
    complaints: Sequence[tuple[str, dt.datetime]] = ()


@dataclass(frozen=True)
class Rule:
    code: str
    title: str
    explanation: str  # %-formatted with ``params``
    matcher: str
    params: dict[str, Any] = field(default_factory=dict)
    reprisal: bool = False

    def explained(self) -> str:
        return self.explanation % self.params


@dataclass(frozen=True)
class Hit:
    rule: str
    at: dt.datetime
    evidence: tuple[str, ...]
    why: str  # a message id with %-params, filled from ``facts``
    facts: dict[str, Any] = field(default_factory=dict)


def _blind(interval: Interval, minutes: int) -> bool:
    if not interval.has_camera:
        return True
    return interval.blind_minutes is not None and interval.blind_minutes >= minutes


def _overlaps(interval: Interval, start: dt.datetime, end: dt.datetime) -> bool:
    return interval.start < end and (interval.end is None or interval.end > start)


def injury_after_blind(timeline: Timeline, rule: Rule) -> list[Hit]:
    hits = []
    exams = sorted(timeline.exams, key=lambda e: e.at)
    starts = [c.start for c in timeline.custodies]
    for index, exam in enumerate(exams):
        injured = exam.new_injuries if not exam.first else exam.injuries
        if not injured:
            continue
        since = exams[index - 1].at if index else (min(starts) if starts else exam.at)
        blind = [i for i in timeline.intervals if _overlaps(i, since, exam.at)
                 and (_blind(i, rule.params["blind_minutes"])
                      or (i.room_kind == "vehicle" and (i.blind_minutes or 0) > 0))]
        if blind:
            hits.append(Hit(rule.code, exam.at, (exam.ref, *[i.ref for i in blind]),
                            "Injury found after %(n)s blind interval(s) or transport(s).",
                            {"n": len(blind)}))
    return hits


def _watch_moments(timeline: Timeline) -> list[tuple[str, dt.datetime]]:
    return sorted(timeline.complaints, key=lambda c: c[1])


def blind_after_complaint(timeline: Timeline, rule: Rule) -> list[Hit]:
    hits = []
    watch = dt.timedelta(days=rule.params["watch_days"])
    for ref, at in _watch_moments(timeline):
        for interval in timeline.intervals:
            if interval.kind == "stay" and at <= interval.start < at + watch and _blind(
                    interval, rule.params["blind_minutes"]):
                hits.append(Hit(rule.code, interval.start, (ref, interval.ref),
                                "Put in a room not fully recorded after %(what)s.",
                                {"what": ref.split(":")[0]}))
    return hits


def repeated_short_deliveries(timeline: Timeline, rule: Rule) -> list[Hit]:
    short = dt.timedelta(hours=rule.params["short_hours"])
    window = dt.timedelta(days=rule.params["window_days"])
    brief = sorted((c for c in timeline.custodies if c.end is not None and c.end - c.start
                    <= short), key=lambda c: c.start)
    hits = []
    for index in range(len(brief)):
        group = [c for c in brief[index:] if c.start - brief[index].start <= window]
        if len(group) >= rule.params["times"] and (
                index == 0 or brief[index - 1].start < group[-1].start - window):
            hits.append(Hit(rule.code, group[-1].start, tuple(c.ref for c in group),
                            "Brought in %(n)s times for less than %(hours)s h within %(days)s "
                            "days.", {"n": len(group), "hours": rule.params["short_hours"],
                                      "days": rule.params["window_days"]}))
            break
    return hits


def interrogation_outside_room(timeline: Timeline, rule: Rule) -> list[Hit]:
    within = dt.timedelta(hours=rule.params["within_hours"])
    hits = []
    for action in timeline.intervals:
        if action.kind != "interrogation" or action.room_kind in INTERROGATION_ROOMS:
            continue
        after = action.end or action.start
        visits = [e.ref for e in timeline.exams if after <= e.at <= after + within] + [
            i.ref for i in timeline.intervals if i.kind == "stay" and i.room_kind == "medical"
            and after <= i.start <= after + within]
        if visits:
            hits.append(Hit(rule.code, action.start, (action.ref, *visits),
                            "Interrogation in a %(room)s followed by a medical visit.",
                            {"room": action.room_kind}))
    return hits


def reprisal_after_complaint(timeline: Timeline, rule: Rule) -> list[Hit]:
    watch = dt.timedelta(days=rule.params["watch_days"])
    hits = []
    for ref, at in _watch_moments(timeline):
        adverse: list[str] = []
        adverse += [c.ref for c in timeline.custodies if c.end_reason == "transferred"
                    and c.end is not None and at <= c.end < at + watch]
        adverse += [e.ref for e in timeline.exams if e.new_injuries and at <= e.at < at + watch]
        adverse += [i.ref for i in timeline.intervals if i.kind == "stay"
                    and at <= i.start < at + watch
                    and _blind(i, rule.params["blind_minutes"])]
        if adverse:
            hits.append(Hit(rule.code, at, (ref, *adverse),
                            "%(n)s adverse event(s) after %(what)s: transfer, new injury or "
                            "blind stay.", {"n": len(adverse), "what": ref.split(":")[0]}))
    return hits


MATCHERS: dict[str, Callable[[Timeline, Rule], list[Hit]]] = {
    "injury_after_blind": injury_after_blind,
    "blind_after_complaint": blind_after_complaint,
    "repeated_short_deliveries": repeated_short_deliveries,
    "interrogation_outside_room": interrogation_outside_room,
    "reprisal_after_complaint": reprisal_after_complaint,
}

# The rules. Titles and explanations are message ids (translated when shown).
RULES: tuple[Rule, ...] = (
    Rule("injury_after_blind", "Injury after a blind interval or transport",
         "An examination finds an injury (new since the previous examination, or any at the "
         "first) and, since the previous examination, the person spent at least "
         "%(blind_minutes)s minutes somewhere no working camera recorded, or was moved in a "
         "vehicle not fully recorded.", "injury_after_blind", {"blind_minutes": 5}),
    Rule("blind_after_complaint", "Moved into a blind room after a complaint or an NPM "
         "interview",
         "Within %(watch_days)s days after a complaint, or an NPM interview in the room where "
         "the person was held, the person is put in a room where at least %(blind_minutes)s "
         "minutes were not recorded, or a room with no camera.",
         "blind_after_complaint", {"watch_days": 30, "blind_minutes": 5}),
    Rule("repeated_short_deliveries", "Repeated short deliveries of the same person",
         "The same person (by IIN) is brought in at least %(times)s times within "
         "%(window_days)s days, each time for %(short_hours)s hours or less.",
         "repeated_short_deliveries", {"times": 3, "window_days": 30, "short_hours": 3}),
    Rule("interrogation_outside_room", "Interrogation outside an interrogation room, then a "
         "medical visit",
         "An interrogation takes place outside an interrogation room and, within "
         "%(within_hours)s hours after it, the person is examined or taken to the medical "
         "room.", "interrogation_outside_room", {"within_hours": 24}),
    Rule("reprisal_after_complaint", "Possible reprisal after a complaint or an NPM "
         "interview",
         "Within %(watch_days)s days after a complaint, or an NPM interview in the room where "
         "the person was held, the person is transferred, found with a new injury, or held "
         "at least %(blind_minutes)s minutes where no working camera recorded.",
         "reprisal_after_complaint",
         {"watch_days": 30, "blind_minutes": 5}, reprisal=True),
)
BY_CODE = {rule.code: rule for rule in RULES}


def evaluate(timeline: Timeline, rules: Sequence[Rule] = RULES) -> list[Hit]:
    hits: list[Hit] = []
    for rule in rules:
        hits += MATCHERS[rule.matcher](timeline, rule)
    return hits
