"""The geometry of a detention's timeline picture: lanes of bars and marks on one time axis.

Plain arithmetic on times; the template draws it as SVG. Positions are in the SVG's own
units (`WIDTH` wide), so the picture scales with the page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.custody.models import CustodyRecord
from custodywatch.registry.models import Room

WIDTH = 1000
LEFT = 130  # room for the lane labels
LANE_HEIGHT = 34
TICK_STEPS_HOURS = (1, 2, 3, 6, 12, 24, 48, 168, 720, 2160, 8760)
INTERROGATION_ROOMS = {Room.Kind.INTERROGATION, Room.Kind.TRANSPARENT_INTERROGATION}


@dataclass
class Bar:
    x: float
    width: float
    label: str
    title: str
    css: str


@dataclass
class Mark:
    x: float
    title: str
    css: str


@dataclass
class Lane:
    label: str
    y: float
    bars: list[Bar] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)


@dataclass
class Tick:
    x: float
    label: str


@dataclass
class Timeline:
    lanes: list[Lane]
    ticks: list[Tick]
    height: float
    limit_x: float | None
    now_x: float | None
    width: int = WIDTH
    left: int = LEFT


# A court's term months or years ahead would squeeze the custody so far into a sliver.
LIMIT_AHEAD = dt.timedelta(days=3)


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%d.%m %H:%M")


def build_timeline(*, record: CustodyRecord, history: dict[str, list], now: dt.datetime,
                   blind: Sequence[tuple[dt.datetime, dt.datetime]] = (),
                   feed_gaps: Sequence[tuple[dt.datetime, dt.datetime | None]] = (),
                   breached: frozenset[int] = frozenset(),
                   missed: Sequence[tuple[str, dt.datetime]] = (),
                   ) -> Timeline:
    """`breached`: ids of interrogations that broke a safeguard; `missed`: (clock name, due
    moment) of each missed review or cell check (issue 22)."""
    start = record.detained_at
    end = record.ended_at or max(now, start + dt.timedelta(minutes=30))
    limit = record.detention_due_at
    if record.ended_at is None and limit is not None and limit - end <= LIMIT_AHEAD:
        end = max(end, limit)  # show the limit ahead of the person, when it is near
    span = max((end - start).total_seconds(), 60.0)

    def x(moment: dt.datetime) -> float:
        seconds = min(max((moment - start).total_seconds(), 0.0), span)
        return round(LEFT + (WIDTH - LEFT - 10) * seconds / span, 1)

    def bar(begin: dt.datetime, finish: dt.datetime | None, label: str, css: str) -> Bar:
        left, right = x(begin), x(finish or min(now, end))
        title = f"{label}: {_local(begin)} – {_local(finish) if finish else _('now')}"
        return Bar(left, max(right - left, 2.0), label, title, css)

    rooms = Lane(_("Rooms"), 0)
    for stay in history["stays"]:
        css = "tl-interrogation-room" if stay.room.kind in INTERROGATION_ROOMS else "tl-room"
        rooms.bars.append(bar(stay.started_at, stay.ended_at, stay.room.code, css))
    actions = Lane(_("Interrogations"), LANE_HEIGHT)
    for item in history["interrogations"]:
        css = "tl-action" if item.lawyer_present else "tl-action tl-no-lawyer"
        css += " tl-breach" if item.pk in breached else ""
        actions.bars.append(bar(item.started_at, item.ended_at, item.room.code, css))
    safeguards = Lane(_("Safeguards"), 2 * LANE_HEIGHT)
    # Labels outside the f-strings: xgettext does not look inside them.
    medical, notified, lawyer = _("Medical check"), _("Relatives notified"), _("Lawyer first seen")
    for check in history["medical_checks"]:
        css = "tl-medical" if check.no_injuries else "tl-medical tl-injury"
        safeguards.marks.append(Mark(x(check.examined_at),
                                     f"{medical}: {_local(check.examined_at)}", css))
    for notice in history["notifications"]:
        title = f"{notified}: {_local(notice.notified_at)}"
        safeguards.marks.append(Mark(x(notice.notified_at), title, "tl-notice"))
    if record.lawyer_first_access_at:
        title = f"{lawyer}: {_local(record.lawyer_first_access_at)}"
        safeguards.marks.append(Mark(x(record.lawyer_first_access_at), title, "tl-lawyer"))
    # Issue 22: reviews, cell checks (verified by a camera or not) and missed due moments.
    care = Lane(_("Reviews and cell checks"), 3 * LANE_HEIGHT)
    reviewed, checked = _("Review"), _("Cell check")
    unverified, missed_word = _("no working camera recorded it"), _("missed")
    for review in history.get("reviews", []):
        care.marks.append(Mark(x(review.reviewed_at),
                               f"{reviewed}: {_local(review.reviewed_at)}, {review.reviewer}",
                               "tl-review"))
    for check in history.get("cell_checks", []):
        title = f"{checked}: {_local(check.checked_at)}"
        css = "tl-check"
        if check.verified is False:
            title, css = f"{title} ({unverified})", "tl-check tl-unverified"
        care.marks.append(Mark(x(check.checked_at), title, css))
    for name, due in missed:
        care.marks.append(Mark(x(due), f"{name}: {missed_word} {_local(due)}", "tl-missed"))
    # Moments of custody no working camera recorded (the coverage engine's answer).
    unseen = Lane(_("No working camera"), 4 * LANE_HEIGHT)
    for begin, finish in blind:
        unseen.bars.append(bar(begin, finish, _("blind"), "tl-blind"))
    lanes = [rooms, actions, safeguards, care, unseen]
    if feed_gaps:  # live view (liveview app): the picture of a transparent room was lost
        lost = Lane(_("Live picture lost"), 5 * LANE_HEIGHT)
        for gap_begin, gap_end in feed_gaps:
            lost.bars.append(bar(gap_begin, gap_end, _("live gap"), "tl-feed-gap"))
        lanes.append(lost)
    hours = span / 3600
    step = next((s for s in TICK_STEPS_HOURS if hours / s <= 8), TICK_STEPS_HOURS[-1])
    ticks, moment = [], start
    while moment <= end:
        ticks.append(Tick(x(moment), _local(moment)))
        moment += dt.timedelta(hours=step)
    return Timeline(
        lanes=lanes, ticks=ticks, height=len(lanes) * LANE_HEIGHT + 30,
        limit_x=x(limit) if limit is not None and limit <= end else None,
        now_x=x(now) if record.ended_at is None and now <= end else None)


def build_person_timeline(*, parts: list, handovers: list, now: dt.datetime) -> Timeline:
    """One lane per facility record of the person (selectors.PersonTimeline), its room
    stays as bars (vehicles and blind stays marked), and a lane of transit between them."""
    starts = [part.record.detained_at for part in parts]
    ends = [part.record.ended_at or now for part in parts]
    for item, _seen_from, _seen_to in handovers:
        starts.append(item.left_at)
        ends.append(item.received_at or now)
    if not starts:
        return Timeline(lanes=[], ticks=[], height=30, limit_x=None, now_x=None)
    start, end = min(starts), max(max(ends), min(starts) + dt.timedelta(minutes=30))
    span = max((end - start).total_seconds(), 60.0)

    def x(moment: dt.datetime) -> float:
        seconds = min(max((moment - start).total_seconds(), 0.0), span)
        return round(LEFT + (WIDTH - LEFT - 10) * seconds / span, 1)

    blind_word = _("without a working camera")
    lanes = []
    for index, part in enumerate(parts):
        lane = Lane(part.record.facility.code, index * LANE_HEIGHT)
        for stay in part.stays:
            finish = stay.ended_at or min(now, end)
            left, right = x(stay.started_at), x(finish)
            css = "tl-room"
            if stay.room.kind == Room.Kind.VEHICLE:
                css = "tl-vehicle"
            elif stay.room.kind in INTERROGATION_ROOMS:
                css = "tl-interrogation-room"
            minutes = round((stay.blind_ms or 0) / 60_000)
            title = (f"{stay.room.code}: {_local(stay.started_at)} – "
                     f"{_local(stay.ended_at) if stay.ended_at else _('now')}")
            if minutes:
                css += " tl-blind"
                title += f" · {minutes} min {blind_word}"
            lane.bars.append(Bar(left, max(right - left, 2.0), stay.room.code, title, css))
        lanes.append(lane)
    transit = Lane(_("In transit"), len(parts) * LANE_HEIGHT)
    for item, _seen_from, _seen_to in handovers:
        finish = item.received_at or now
        title = f"{_('In transit')}: {_local(item.left_at)} – " + (
            _local(item.received_at) if item.received_at else _("not received"))
        transit.bars.append(Bar(x(item.left_at), max(x(finish) - x(item.left_at), 2.0), "",
                                title, f"tl-transit tl-{item.state}"))
    lanes.append(transit)
    hours = span / 3600
    step = next((s for s in TICK_STEPS_HOURS if hours / s <= 8), TICK_STEPS_HOURS[-1])
    ticks, moment = [], start
    while moment <= end:
        ticks.append(Tick(x(moment), _local(moment)))
        moment += dt.timedelta(hours=step)
    return Timeline(lanes=lanes, ticks=ticks, height=len(lanes) * LANE_HEIGHT + 30,
                    limit_x=None, now_x=x(now) if now <= end else None)
