"""Synthetic custody for the demo: a year of detentions with their stays and safeguards.

Called by the demo generator inside its transaction. Rows are streamed in chunks (records,
then their children) so the national year (about 150,000 detentions and a million rows)
never sits in memory at once: the reason it stays a bulk insert rather than a call of
custody/services.py per row (a million audited calls). Times are laid out relative to
`now`, so the duty desk shows live clocks whenever the demo is loaded; the layout itself
follows the seed.

Shares, roughly as the audits report them: 1.5 % held past the limit, 3 % relatives
notified late and 1 % not at all, 3 % intake examinations missing and 2 % late, 3 %
with injuries found at intake, 4 % minors.

Issue 22: each record states the regime its facility's kind proposes (custody/law): police
custody is criminal detention (and some deliveries at police stations), a pre-trial
detention centre holds people on remand by court order (a term of two months, extended),
a colony people serving sentences to a release date, a special reception centre people
under administrative arrest (days set by a court), a psychiatric hospital people placed by
a court with control dates. Limits and overruns are those of the regime; safeguards
(protocol, prosecutor, consulate, lawyer's arrival, rights) are recorded, a few late.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max

from custodywatch.custody import law
from custodywatch.custody.models import (
    Acknowledgement,
    CellCheck,
    CustodyRecord,
    CustodyReview,
    EndReason,
    Injury,
    Interrogation,
    MedicalCheck,
    RelativesNotification,
    RiskAssessment,
    RoomStay,
)
from custodywatch.kernels import custody_care, deadlines
from custodywatch.kernels.deadlines import Regime
from custodywatch.registry.models import Facility, Region, Room

Progress = Callable[[int], None]
CHUNK = 5000
H = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class CustodyScale:
    detentions: int
    days: int
    in_custody_at_home: tuple[int, int]  # people held now at the demo staff's facility


CUSTODY_SCALES = {
    "small": CustodyScale(detentions=400, days=60, in_custody_at_home=(15, 25)),
    "national": CustodyScale(detentions=150_000, days=365, in_custody_at_home=(20, 30)),
}

SURNAMES = ["Ахметов", "Сейтказиев", "Жумабаев", "Нурланов", "Иванов", "Ким", "Серикбаев",
            "Абенов", "Тулегенов", "Петров", "Касымов", "Омаров", "Бекетов", "Исаев", "Алиев",
            "Садыков", "Мусин", "Ли", "Бондаренко", "Рахимов"]
GIVEN_NAMES = ["Ерлан", "Асхат", "Даурен", "Бауыржан", "Сергей", "Марат", "Нурлан", "Айдос",
               "Руслан", "Тимур", "Арман", "Азамат", "Дмитрий", "Ержан", "Канат", "Олжас"]
GROUNDS = ["ст. 128 УПК: застигнут при совершении преступления",
           "ст. 128 УПК: указан очевидцами", "ст. 128 УПК: следы преступления на одежде",
           "ст. 128 УПК: попытка скрыться", "КоАП: административное задержание"]
PLACES = ["ул. Абая", "пр. Назарбаева", "ул. Толе би", "рынок «Алтын Орда»",
          "ж/д вокзал", "мкр. Самал", "ул. Жибек Жолы", "автовокзал"]
RELATIVES = ["мать", "супруга", "брат", "отец", "сестра"]
INJURY_SITES = ["левое предплечье", "правое плечо", "спина", "лицо, левая скула",
                "запястья", "грудная клетка", "правое колено"]
INTERROGATION_KINDS = {Room.Kind.INTERROGATION, Room.Kind.TRANSPARENT_INTERROGATION}
FOREIGN = ["KG", "UZ", "RU", "TJ", "CN", "TR"]
DAY = dt.timedelta(days=1)
# New arrivals per room: a colony or a remand centre takes in far fewer people a year than
# police custody, and holds them for months or years.
ARRIVALS_WEIGHT = {Regime.SENTENCE: 0.08, Regime.REMAND: 0.25, Regime.PSYCHIATRIC: 0.3,
                   Regime.ADMINISTRATIVE_ARREST: 0.6}


@dataclass
class FacilityRooms:
    facility_id: int
    cells: list[int]
    interrogation: list[int]
    admission: list[int]
    regime: Regime = Regime.CRIMINAL_DETENTION


def _rooms_by_facility() -> dict[int, FacilityRooms]:
    found: dict[int, FacilityRooms] = {}
    for pk, facility_id, kind, facility_kind in Room.objects.filter(
        custody_use=True
    ).values_list("pk", "facility_id", "kind", "facility__kind").order_by("pk"):
        rooms = found.setdefault(facility_id, FacilityRooms(
            facility_id, [], [], [], law.proposed_regime(facility_kind)))
        if kind in INTERROGATION_KINDS:
            rooms.interrogation.append(pk)
        elif kind in {Room.Kind.ADMISSION, Room.Kind.MEDICAL}:
            rooms.admission.append(pk)
        else:
            rooms.cells.append(pk)
    for rooms in found.values():
        # A facility whose custody rooms are all of one kind still holds people somewhere.
        everything = rooms.cells + rooms.interrogation + rooms.admission
        rooms.cells = rooms.cells or everything
        rooms.interrogation = rooms.interrogation or everything
    return found


Row = dict[str, Any]


@dataclass
class Detention:
    """One generated detention (a row by column name) and the rooms its stays may use."""

    record: Row
    rooms: FacilityRooms


class Ids:
    """Primary keys handed out here: the children need their parents' ids before insert,
    and raw inserts are several times faster than bulk_create at a million rows."""

    def __init__(self) -> None:
        self.next: dict[type[models.Model], int] = {}

    def take(self, model: type[models.Model]) -> int:
        if model not in self.next:
            self.next[model] = (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1
        self.next[model] += 1
        return self.next[model] - 1


def _duration(rng: random.Random, limit: dt.timedelta, overrun: bool) -> dt.timedelta:
    if overrun:
        return limit + rng.uniform(0.2, 20) * H
    # Most are released or brought before the court well inside the limit.
    hours = min(rng.lognormvariate(2.6, 0.6), limit / H - 0.5)
    return max(hours, 1.5) * H


def _regime_of(rng: random.Random, rooms: FacilityRooms, *, open_now: bool) -> Regime:
    # Some of those brought to a police station are delivered (administrative), not detained.
    if (rooms.regime == Regime.CRIMINAL_DETENTION and not open_now
            and rng.random() < 0.15):
        return Regime.DELIVERY
    return rooms.regime


def _court_term(rng: random.Random, regime: Regime, detained_at: dt.datetime,
                now: dt.datetime) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """(court order, end of term, end of custody) of a regime a court sets."""
    if regime == Regime.REMAND:
        order = detained_at + rng.uniform(30, 46) * H  # inside the 48 h of detention
        months = rng.choice([1, 2, 2, 2, 3, 4, 6])  # 2-month terms, extended
        served = rng.uniform(0.3, 0.95) * months * 30 * DAY
        return order, order + dt.timedelta(days=60 * -(-months // 2)), order + served
    if regime == Regime.SENTENCE:
        release = detained_at + rng.uniform(1, 10) * 365 * DAY
        return detained_at - rng.uniform(20, 90) * DAY, release, release
    if regime == Regime.ADMINISTRATIVE_ARREST:
        order = detained_at + rng.uniform(2, 20) * H
        days = rng.randint(3, 15)
        return order, detained_at + days * DAY, detained_at + days * DAY - rng.uniform(0, 6) * H
    # Psychiatric: the court confirms within 48 h; the next control a month later.
    order = detained_at + rng.uniform(20, 46) * H
    stay = rng.uniform(10, 120) * DAY
    return order, order + 30 * DAY * max(1, -(-int(stay / DAY) // 30)), detained_at + stay


def _record(rng: random.Random, ids: Ids, rooms: FacilityRooms, detained_at: dt.datetime,
            now: dt.datetime, *, open_now: bool) -> Detention:
    minor = rng.random() < 0.04
    age_days = rng.randint(14 * 365 + 30, 17 * 365 + 300) if minor else rng.randint(
        18 * 365 + 30, 65 * 365)
    birth = (detained_at - dt.timedelta(days=age_days)).date()
    regime = _regime_of(rng, rooms, open_now=open_now)
    terms = law.terms_on(detained_at)
    overrun = rng.random() < 0.015
    order_at = term_ends = extension_at = None
    ended_at: dt.datetime | None
    if regime in deadlines.COURT_TERM_REGIMES:
        order_at, term_ends, ended_at = _court_term(rng, regime, detained_at, now)
        if overrun and ended_at is not None and term_ends is not None:
            ended_at = term_ends + rng.uniform(2, 72) * H  # released late
    elif regime == Regime.DELIVERY:
        limit = terms.delivery_limit
        ended_at = detained_at + (limit + rng.uniform(0.2, 3) * H if overrun
                                  else rng.uniform(0.5, 2.8) * H)
    else:
        limit = deadlines.detention_limit(birth, detained_at, terms)
        ended_at = detained_at + _duration(rng, limit, overrun)
    arrived = detained_at + rng.uniform(0.2, min(2.0, (ended_at - detained_at) / H * 0.5)) * H
    if open_now or ended_at >= now - MINUTE:
        ended_at = None
        arrived = min(arrived, now - MINUTE)
    if order_at is not None and order_at > now - MINUTE:
        order_at = term_ends = None  # the court has not decided yet: the pre-court limit runs
    if regime == Regime.REMAND and term_ends is not None:
        # The application to extend, filed before its deadline (a few late or missing).
        due = term_ends - terms.extension_application
        extension_at = _safeguard_time(rng, due - rng.uniform(1, 5) * DAY, ended_at, now,
                                       on_time=dt.timedelta(0),
                                       late=rng.uniform(6, 9) * DAY, late_share=0.04,
                                       missing_share=0.02)
    police = regime in (Regime.CRIMINAL_DETENTION, Regime.DELIVERY)
    lawyer_seen = _safeguard_time(
        rng, detained_at, ended_at, now, on_time=rng.uniform(1, 20) * H,
        late=rng.uniform(25, 40) * H, late_share=0.04, missing_share=0.05)
    requested = (detained_at + rng.uniform(0.1, 1) * H
                 if police and rng.random() < 0.6 else None)
    if requested is not None and requested >= (ended_at or now):
        requested = None
    state_offer = None
    if requested is not None and (lawyer_seen is None or lawyer_seen > requested
                                  + terms.lawyer_arrival) and rng.random() < 0.7:
        state_offer = _safeguard_time(rng, requested, ended_at, now,
                                      on_time=terms.lawyer_arrival - rng.uniform(1, 4) * H,
                                      late=terms.lawyer_arrival + rng.uniform(1, 6) * H,
                                      late_share=0.2, missing_share=0.0)
    foreign = rng.random() < 0.03
    consular = declined = None
    if foreign and police:
        if rng.random() < 0.15:
            declined = _safeguard_time(rng, detained_at, ended_at, now,
                                       on_time=rng.uniform(0.3, 2) * H, late=0 * H,
                                       late_share=0.0, missing_share=0.0)
        else:
            consular = _safeguard_time(rng, detained_at, ended_at, now,
                                       on_time=rng.uniform(1, 10) * H,
                                       late=rng.uniform(13, 40) * H, late_share=0.1,
                                       missing_share=0.05)
    language = rng.choice(["каз", "рус"])
    rights_at = arrived + rng.uniform(0.05, 0.5) * H
    record = {
        "id": ids.take(CustodyRecord), "facility_id": rooms.facility_id,
        "full_name": f"{rng.choice(SURNAMES)} {rng.choice(GIVEN_NAMES)}",
        "date_of_birth": birth, "language": language, "is_minor": minor,
        "detained_at": detained_at, "detained_place": rng.choice(PLACES),
        "detaining_officer": f"{rng.choice(SURNAMES)} {rng.choice(GIVEN_NAMES)[0]}.",
        "detaining_unit": f"УП, взвод {rng.randint(1, 9)}",
        "grounds": rng.choice(GROUNDS[-1:] if regime == Regime.DELIVERY else GROUNDS[:-1])
        if police else _GROUNDS_OF[regime],
        "erdr_number": f"{detained_at:%y}{rng.randint(10**10, 10**11 - 1)}",
        "arrived_at": arrived, "rights_explained_at": rights_at if police or regime
        == Regime.PSYCHIATRIC else None,
        "rights_language": language if police else "",
        "rights_acknowledgement": rng.choices(
            [Acknowledgement.SIGNED.value, Acknowledgement.REFUSED_TO_SIGN.value, ""],
            [95, 3, 2])[0] if police else "",
        "regime": regime.value, "court_order_at": order_at, "term_ends_at": term_ends,
        "court_order_ref": f"{rng.randint(1, 9)}-{rng.randint(100, 9999)}/{detained_at:%Y}"
        if order_at else "", "extension_applied_at": extension_at,
        "protocol_drawn_at": _safeguard_time(
            rng, arrived, ended_at, now, on_time=rng.uniform(0.2, 2) * H,
            late=rng.uniform(3.5, 6) * H, late_share=0.03, missing_share=0.01)
        if police else None,
        "prosecutor_notified_at": _safeguard_time(
            rng, detained_at, ended_at, now, on_time=rng.uniform(1, 10) * H,
            late=rng.uniform(13, 20) * H, late_share=0.02, missing_share=0.01)
        if regime == Regime.CRIMINAL_DETENTION else None,
        "prosecutor_notified_means": rng.choice(["electronic", "written"])
        if regime == Regime.CRIMINAL_DETENTION else "",
        "citizenship": rng.choice(FOREIGN) if foreign else "KZ", "is_foreign": foreign,
        "consular_notified_at": consular, "consular_declined_at": declined,
        "consular_decline_acknowledgement": Acknowledgement.SIGNED.value if declined else "",
        "lawyer_requested_at": requested, "state_lawyer_offered_at": state_offer,
        "relatives_notified_at": _safeguard_time(
            rng, detained_at, ended_at, now, on_time=rng.uniform(0.3, 6) * H,
            late=rng.uniform(12.5, 30) * H, late_share=0.03, missing_share=0.01),
        "medical_checked_at": _safeguard_time(
            rng, arrived, ended_at, now, on_time=rng.uniform(5, 50) * MINUTE,
            late=rng.uniform(1.5, 10) * H, late_share=0.02, missing_share=0.03),
        "lawyer_first_access_at": lawyer_seen,
        "lawyer_name": f"адв. {rng.choice(SURNAMES)}" if lawyer_seen else "",
        "ended_at": ended_at,
        "end_reason": _end_reason(rng, regime) if ended_at else "",
        "created_at": now, "updated_at": now,
    }
    record["detention_due_at"] = deadlines.legal_due_at(deadlines.CustodyFacts(
        detained_at=detained_at, date_of_birth=birth, regime=regime,
        term_ends_at=term_ends), terms)
    return Detention(record, rooms)


_GROUNDS_OF = {
    Regime.REMAND: "постановление суда о содержании под стражей (ст. 147 УПК)",
    Regime.SENTENCE: "приговор суда, вступивший в законную силу",
    Regime.ADMINISTRATIVE_ARREST: "постановление суда об административном аресте",
    Regime.PSYCHIATRIC: "решение суда о принудительной госпитализации",
}


def _safeguard_time(rng: random.Random, start: dt.datetime, ended_at: dt.datetime | None,
                    now: dt.datetime, *, on_time: dt.timedelta, late: dt.timedelta,
                    late_share: float, missing_share: float) -> dt.datetime | None:
    draw = rng.random()
    if draw < missing_share:
        return None
    moment = start + (late if draw < missing_share + late_share else on_time)
    stop = min(ended_at or now, now)
    return moment if moment < stop else None


def _end_reason(rng: random.Random, regime: Regime = Regime.CRIMINAL_DETENTION) -> str:
    if regime in (Regime.SENTENCE, Regime.ADMINISTRATIVE_ARREST, Regime.PSYCHIATRIC,
                  Regime.DELIVERY):
        return (EndReason.RELEASED if rng.random() < 0.97 else EndReason.TRANSFERRED).value
    if regime == Regime.REMAND:
        return (EndReason.BROUGHT_BEFORE_COURT if rng.random() < 0.8
                else EndReason.RELEASED).value
    draw = rng.random()
    # Released: 0.55 in all, of which half a percent because a court quashed the detention.
    for reason, share in ((EndReason.RELEASED, 0.545), (EndReason.QUASHED, 0.005),
                          (EndReason.BROUGHT_BEFORE_COURT, 0.2),
                          (EndReason.ARREST_ORDERED, 0.17), (EndReason.TRANSFERRED, 0.0795),
                          (EndReason.ESCAPED, 0.0004)):
        draw -= share
        if draw < 0:
            return reason.value
    return EndReason.DIED.value


@dataclass
class Children:
    stays: list[Row] = field(default_factory=list)
    interrogations: list[Row] = field(default_factory=list)
    checks: list[Row] = field(default_factory=list)
    injuries: list[Row] = field(default_factory=list)
    notices: list[Row] = field(default_factory=list)
    # Issue 22, items 4-5.
    reviews: list[Row] = field(default_factory=list)
    assessments: list[Row] = field(default_factory=list)
    cell_checks: list[Row] = field(default_factory=list)


def _movements(rng: random.Random, ids: Ids, item: Detention, now: dt.datetime,
               into: Children) -> None:
    """Admission, a cell, often an interrogation room and back: stays end to end."""
    record, rooms = item.record, item.rooms
    end = record["ended_at"] or now
    moment = record["arrived_at"]
    sequence = [rng.choice(rooms.admission or rooms.cells), rng.choice(rooms.cells)]
    if rng.random() < 0.7:
        sequence += [rng.choice(rooms.interrogation), rng.choice(rooms.cells)]
    step = (end - moment) / (len(sequence) + 1)
    for index, room_id in enumerate(sequence):
        last = index == len(sequence) - 1
        stay_end = None if last and record["ended_at"] is None else (
            end if last else moment + step * rng.uniform(0.3, 1.5 if index % 2 else 0.3))
        if stay_end is not None and stay_end <= moment:
            stay_end = moment + MINUTE
        into.stays.append({"id": ids.take(RoomStay), "custody_record_id": record["id"],
                           "room_id": room_id, "started_at": moment, "ended_at": stay_end})
        if index == 2 and stay_end is not None:
            into.interrogations.append({
                "id": ids.take(Interrogation), "custody_record_id": record["id"],
                "kind": Interrogation.Kind.INTERROGATION.value, "room_id": room_id,
                "started_at": moment, "ended_at": stay_end,
                "investigator": f"ст. следователь {rng.choice(SURNAMES)}",
                "lawyer_present": rng.random() < 0.8,
                "recording_ref": f"NVR1/{record['id']}/1" if rng.random() < 0.9 else ""})
        if stay_end is None:
            break
        moment = stay_end


def _safeguards(rng: random.Random, ids: Ids, record: Row, into: Children) -> None:
    if record["medical_checked_at"]:
        check_id = ids.take(MedicalCheck)
        injured = rng.random() < 0.03
        into.checks.append({"id": check_id, "custody_record_id": record["id"],
                            "occasion": MedicalCheck.Occasion.INTAKE.value,
                            "examined_at": record["medical_checked_at"],
                            "examiner": f"фельдшер {rng.choice(SURNAMES)}",
                            "no_injuries": not injured})
        if injured:
            into.injuries.append({
                "id": ids.take(Injury), "medical_check_id": check_id,
                "body_location": rng.choice(INJURY_SITES),
                "kind": rng.choice(["bruise", "abrasion", "swelling"]),
                "description": "со слов задержанного — при задержании",
                "photo_refs": f"IMG_{check_id:06d}"})
    if record["relatives_notified_at"]:
        into.notices.append({
            "id": ids.take(RelativesNotification), "custody_record_id": record["id"],
            "notified_at": record["relatives_notified_at"],
            "person_notified": f"{rng.choice(SURNAMES)}а, {rng.choice(RELATIVES)}",
            "relationship": "", "method": rng.choice(["phone", "phone", "sms", "in_person"]),
            "notified_by": "дежурный"})


# Risk assessments and cell checks for custody now or in the last two days (what the sweep
# looks back over); reviews for every detention of a regime that owes them.
CARE_LOOKBACK = dt.timedelta(days=2)
REVIEW_REGIMES = {Regime.CRIMINAL_DETENTION.value, Regime.DELIVERY.value}


def _care(rng: random.Random, ids: Ids, record: Row, now: dt.datetime, into: Children) -> None:
    """Reviews at the law's intervals (a few late), a booking risk assessment and cell checks
    at its level's interval (a few missed): issue 22, items 4-5."""
    end = record["ended_at"] or now
    terms = law.terms_on(record["detained_at"])
    if record["regime"] in REVIEW_REGIMES:
        due = record["detained_at"] + terms.review_first
        while due < end:
            late = rng.random() < 0.05
            moment = due - terms.review_first * rng.uniform(0.0, 0.3) + (
                H * rng.uniform(0.2, 2) if late else dt.timedelta(0))
            if moment >= end:
                break
            into.reviews.append({
                "id": ids.take(CustodyReview), "custody_record_id": record["id"],
                "reviewed_at": moment, "reviewer": f"майор {rng.choice(SURNAMES)} Р.",
                "decision": "continue", "recorded_at": moment,
                "reasons": "Основания задержания сохраняются; следственные действия идут"})
            due = moment + terms.review_interval
    arrived = record["arrived_at"]
    if arrived is None or end < now - CARE_LOOKBACK or arrived + 10 * MINUTE >= end:
        return
    assessed = arrived + 10 * MINUTE
    risks = custody_care.Risks(intoxication=rng.random() < 0.25, self_harm=rng.random() < 0.04,
                               mental_health=rng.random() < 0.08,
                               language=record["language"] not in ("", "каз", "рус"))
    level = custody_care.proposed_level(risks)
    into.assessments.append({
        "id": ids.take(RiskAssessment), "custody_record_id": record["id"],
        "assessed_at": assessed, "assessed_by": "дежурный", "observation_level": level.value,
        **{name: value for name, value in vars(risks).items()}})
    interval = terms.observation_interval(level.value) or H
    moment = assessed + interval * rng.uniform(0.7, 1.0)
    while moment < min(end, now):
        if rng.random() > 0.03:  # now and then a check is missed
            into.cell_checks.append({
                "id": ids.take(CellCheck), "custody_record_id": record["id"],
                "checked_at": moment, "checked_by": "дежурный",
                "roused": level == custody_care.Level.CLOSE})
        moment += interval * rng.uniform(0.7, 1.0)


def _column(field: models.Field) -> str:
    if field.column is None:  # never for a concrete field
        raise ValueError(f"{field.name} has no column.")
    return field.column


def _column_writer(model: type[models.Model]) -> tuple[str, Callable[[Row], tuple]]:
    """An INSERT for every concrete column, and a function from a row to its values."""
    fields = model._meta.concrete_fields
    ops = connection.ops
    sqlite = connection.vendor == "sqlite"

    def moment(value: dt.datetime | None) -> object:
        if value is None or not sqlite:
            return value
        return str(value.astimezone(dt.UTC).replace(tzinfo=None))  # as Django stores it

    adapters: list[Callable[[Any], Any]] = []
    defaults = []
    for model_field in fields:
        if isinstance(model_field, models.DateTimeField):
            adapters.append(moment)
        elif isinstance(model_field, models.DateField):
            adapters.append(lambda value: ops.adapt_datefield_value(value) if value else None)
        else:
            adapters.append(lambda value: value)
        defaults.append(model_field.get_default() if model_field.has_default() else (
            None if model_field.null else ""))
    names = [model_field.attname for model_field in fields]
    columns = ", ".join(ops.quote_name(_column(model_field)) for model_field in fields)
    # noqa below: names come from the models, values travel as parameters.
    sql = (f"INSERT INTO {ops.quote_name(model._meta.db_table)} ({columns}) "  # noqa: S608
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    plan = list(zip(names, defaults, adapters, strict=True))

    def values(row: Row) -> tuple:
        return tuple(adapt(row.get(name, default)) for name, default, adapt in plan)

    return sql, values


def _write(model: type[models.Model], rows: list[Row]) -> None:
    if not rows:
        return
    sql, values = _column_writer(model)
    with connection.cursor() as cursor:
        cursor.executemany(sql, [values(row) for row in rows])


def _insert(rng: random.Random, ids: Ids, batch: list[Detention], now: dt.datetime) -> int:
    children = Children()
    for item in batch:
        _movements(rng, ids, item, now, children)
        _safeguards(rng, ids, item.record, children)
        _care(rng, ids, item.record, now, children)
    _write(CustodyRecord, [item.record for item in batch])
    tables = ((RoomStay, children.stays), (Interrogation, children.interrogations),
              (MedicalCheck, children.checks), (Injury, children.injuries),
              (RelativesNotification, children.notices), (CustodyReview, children.reviews),
              (RiskAssessment, children.assessments), (CellCheck, children.cell_checks))
    for model, rows in tables:
        _write(model, rows)
    return len(batch) + sum(len(rows) for _model, rows in tables)


def _reset_sequences() -> None:
    """Raw inserts with our own ids leave PostgreSQL's sequences behind; SQLite needs none."""
    statements = connection.ops.sequence_reset_sql(no_style(), [
        CustodyRecord, RoomStay, Interrogation, MedicalCheck, Injury, RelativesNotification,
        CustodyReview, RiskAssessment, CellCheck])
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _home_facility(rooms: dict[int, FacilityRooms]) -> int | None:
    """The demo staff's facility: the generator's first facility of Almaty city."""
    almaty = Region.objects.filter(code="KZ-75").first()
    for pk in Facility.objects.filter(region=almaty).order_by("pk").values_list("pk", flat=True):
        return pk if pk in rooms else None
    return None


def build_custody(*, scale_name: str, rng: random.Random, now: dt.datetime,
                  progress: Progress) -> int:
    """Insert the scale's detentions; returns how many rows went in (all tables)."""
    scale = CUSTODY_SCALES[scale_name]
    rooms = _rooms_by_facility()
    if not rooms:
        return 0
    facility_ids = sorted(rooms)
    weights = [(len(rooms[pk].cells) + len(rooms[pk].interrogation))
               * ARRIVALS_WEIGHT.get(rooms[pk].regime, 1.0) for pk in facility_ids]
    chosen = rng.choices(facility_ids, weights=weights, k=scale.detentions)
    starts = sorted(now - dt.timedelta(seconds=rng.uniform(0, scale.days * 86400))
                    for _ in range(scale.detentions))
    plan = [(pk, start, False) for pk, start in zip(chosen, starts, strict=True)]
    home = _home_facility(rooms)
    if home is not None:
        low, high = scale.in_custody_at_home
        for _ in range(rng.randint(low, high)):
            # Mostly inside the limit, a few due soon, one or two overdue.
            hours_ago = rng.choice([rng.uniform(0.5, 40)] * 8 + [rng.uniform(42, 47.8),
                                                                 rng.uniform(48.2, 52)])
            plan.append((home, now - hours_ago * H, True))
    ids, rows = Ids(), 0
    for begin in range(0, len(plan), CHUNK):
        batch = [_record(rng, ids, rooms[pk], start, now, open_now=open_now)
                 for pk, start, open_now in plan[begin:begin + CHUNK]]
        rows += _insert(rng, ids, batch, now)
        progress(len(batch))
    _reset_sequences()
    return rows


def expected_custody_rows(scale_name: str) -> int:
    """What build_custody reports to the progress bar: one per detention."""
    scale = CUSTODY_SCALES[scale_name]
    return scale.detentions + scale.in_custody_at_home[1]


def add_people_in_custody(*, facility: Facility, count: int, rng: random.Random,
                          now: dt.datetime) -> int:
    """`count` more people held now at `facility`, for the page benchmark and tests."""
    rooms = _rooms_by_facility().get(facility.pk)
    if rooms is None:
        return 0
    ids = Ids()
    batch = [_record(rng, ids, rooms, now - rng.uniform(0.5, 47.5) * H, now, open_now=True)
             for _ in range(count)]
    _insert(rng, ids, batch, now)
    _reset_sequences()
    return len(batch)
