"""Clocks as the pages show them: every string made once in Python.

The duty desk shows 200 people with four clocks each; building the words and the times
here instead of in template filters keeps the page several times faster (bench/pages.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.custody.models import Regime as RegimeChoices
from custodywatch.kernels.custody_care import InterrogationFlag
from custodywatch.kernels.deadlines import Clock, ClockKind, ClockState, Flag, Regime

SHORT_MOMENT = "%d.%m %H:%M"


@dataclass(frozen=True)
class ClockView:
    kind: str
    state: str
    css: str
    percent: int
    name: str
    state_text: str
    due_text: str
    delayed_text: str = ""

    @property
    def title(self) -> str:
        return f"{self.name}: {self.state_text}, {self.due_text}"


@dataclass(frozen=True)
class Words:
    """Every translated word of a clock, looked up once per page rather than per clock."""

    names: dict[str, str]
    states: dict[str, str]
    late: str
    not_given: str
    over_by: str
    left: str
    due: str
    duration: str
    zone: dt.tzinfo
    # The detention clock's name in each regime (its limit is not always 48 h).
    regime_names: dict[str, str] = dataclasses.field(default_factory=dict)
    delayed: str = ""


def words() -> Words:
    return Words(
        names={ClockKind.DETENTION: _("Detention limit"), ClockKind.RELATIVES: _(
            "Relatives notified"), ClockKind.LAWYER: _("Lawyer access"),
            ClockKind.MEDICAL: _("Intake medical check"),
            ClockKind.PROTOCOL: _("Detention protocol"),
            ClockKind.PROSECUTOR: _("Prosecutor notified"),
            ClockKind.CONSULAR: _("Consular notification"),
            ClockKind.LAWYER_ARRIVAL: _("Requested lawyer's arrival"),
            ClockKind.RIGHTS: _("Rights explained"),
            ClockKind.EXTENSION: _("Application to extend the remand"),
            ClockKind.REVIEW: _("Review of continued detention"),
            ClockKind.CELL_CHECK: _("Cell check")},
        states={ClockState.RUNNING: _("Running"), ClockState.DUE_SOON: _("Due soon"),
                ClockState.OVERDUE: _("Overdue"), ClockState.MET: _("Met")},
        late=_("late"), not_given=_("not given"),
        over_by=_("%(state)s · over by %(time)s"), left=_("%(state)s · %(time)s left"),
        due=_("due %(moment)s"), duration=_("%(hours)d h %(minutes)02d min"),
        zone=timezone.get_current_timezone(),
        regime_names={Regime.DELIVERY: _("Delivery limit"),
                      Regime.CRIMINAL_DETENTION: _("Detention limit"),
                      Regime.REMAND: _("Remand term"),
                      Regime.ADMINISTRATIVE_ARREST: _("Arrest term"),
                      Regime.SENTENCE: _("Release date"),
                      Regime.PSYCHIATRIC: _("Court control")},
        delayed=_("delay authorised"))


def flag_texts(flags: list[Flag] | tuple[Flag, ...]) -> list[tuple[str, str]]:
    """(flag, words) for each safeguard recorded wrongly."""
    texts = {
        Flag.NO_COURT_TERM: _("No court order term recorded: the pre-court limit applies"),
        Flag.NO_RELEASE_DATE: _("No release date recorded"),
        Flag.RIGHTS_LANGUAGE: _("Rights explained in another language without an "
                                "interpreter"),
        Flag.RIGHTS_UNSIGNED: _("Rights explanation neither signed nor refusal recorded"),
        Flag.CONSULAR_DECLINE_UNSIGNED: _("Consular notification declined without a "
                                          "signature or recorded refusal"),
    }
    return [(str(flag), texts[flag]) for flag in flags]


def interrogation_flag_texts() -> dict[str, str]:
    """The words of each interrogation safeguard broken (kernels.custody_care)."""
    return {
        InterrogationFlag.ROOM: _("Not in an interrogation room"),
        InterrogationFlag.LAWYER: _("Without a lawyer, or before the lawyer's first access, "
                                    "and no waiver recorded"),
        InterrogationFlag.NIGHT: _("At night"),
        InterrogationFlag.NO_BREAK: _("Longer than the law allows without a break"),
        InterrogationFlag.LANGUAGE: _("Without the interpreter the person needs"),
        "accused": _("The investigator is accused in an open complaint or case"),
    }


def duration_text(value: dt.timedelta, template: str) -> str:
    minutes = int(abs(value.total_seconds()) // 60)
    hours, minutes = divmod(minutes, 60)
    return template % {"hours": hours, "minutes": minutes}


def clock_views(clocks: list[Clock], *, vocabulary: Words | None = None,
                regime: str = "") -> list[ClockView]:
    w = vocabulary or words()
    views = []
    for clock in clocks:
        state = w.states[clock.state]
        if clock.state == ClockState.MET:
            extras = [w.late] if clock.late else []
            extras += [] if clock.given else [w.not_given]
            state_text = " · ".join([state, *extras])
        else:
            template = w.over_by if clock.state == ClockState.OVERDUE else w.left
            state_text = template % {"state": state,
                                     "time": duration_text(clock.remaining, w.duration)}
        css = f"clock-{clock.state}" + (" clock-late" if clock.late else "")
        due = clock.due_at.astimezone(w.zone).strftime(SHORT_MOMENT)
        name = (w.regime_names.get(regime, w.names[clock.kind])
                if clock.kind == ClockKind.DETENTION and regime else w.names[clock.kind])
        views.append(ClockView(
            kind=clock.kind.value, state=clock.state.value, css=css,
            percent=round(clock.fraction_used * 100), name=name,
            state_text=state_text, due_text=w.due % {"moment": due},
            delayed_text=w.delayed if clock.delayed else ""))
    return views


@dataclass(frozen=True)
class DeskLine:
    record: object
    room: object
    clocks: list[ClockView]
    detained_text: str
    blind_text: str = ""  # "12 min without a working camera (as of 10:40)", or nothing
    flags: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    regime_text: str = ""
    breaches_text: str = ""  # interrogations that broke a safeguard, unacknowledged

    @property
    def detention_clock(self) -> ClockView | None:
        """None for a sentence with no release date: no limit can be counted."""
        return self.clocks[0] if self.clocks and self.clocks[0].kind == "detention" else None

    @property
    def other_clocks(self) -> list[ClockView]:
        return self.clocks[1:] if self.detention_clock is not None else self.clocks


def blind_text(blind_ms: int | None, computed_at: dt.datetime | None, template: str,
               zone: dt.tzinfo) -> str:
    """The current stay's stored blind minutes; nothing while none (or not yet computed)."""
    minutes = round((blind_ms or 0) / 60_000)
    if not minutes or computed_at is None:
        return ""
    return template % {"minutes": minutes,
                       "moment": computed_at.astimezone(zone).strftime("%H:%M")}


def desk_lines(rows: list) -> list[DeskLine]:  # rows: selectors.DeskRow
    vocabulary = words()
    blind = _("%(minutes)d min without a working camera (as of %(moment)s)")
    regimes = dict(RegimeChoices.choices)
    breaches = _("Interrogation safeguards broken: %(count)d")
    return [DeskLine(row.record, row.room,
                     clock_views(row.clocks, vocabulary=vocabulary, regime=row.record.regime),
                     row.record.detained_at.astimezone(vocabulary.zone).strftime(
                         "%d.%m.%Y %H:%M"),
                     blind_text(row.blind_ms, row.coverage_computed_at, blind,
                                vocabulary.zone), flag_texts(row.flags),
                     str(regimes.get(row.record.regime, "")),
                     breaches % {"count": row.record.interview_breaches}
                     if getattr(row.record, "interview_breaches", 0) else "")
            for row in rows]
