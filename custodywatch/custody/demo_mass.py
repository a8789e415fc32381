"""Mass detention and "where is he held?" for the demo (issue 22, items 7 and 8).

Seed 003: about two thousand people detained in days in January 2022. The demo replays, in
Almaty city (the demo prosecutor's region), one such event that is over and one on now, each
through the services where the rules live (custody/mass.py, custody/intake.py,
custody/services.py), with the moment of each step given to the service:

- the past event (40 days ago): declared by the region's prosecutor, a temporary place
  registered, a few hundred people taken in at its intake desk from lists (bulk intake: each
  line a record and a stay, audited), most measures reviewed one by one (about two in five
  changed, as in 2022: 307 of 737), the releases carried out, the others transferred on; the
  mode switched off five days later and the place's holding areas no longer used for custody
  (a rooms import by the registry's editor: no service closes a temporary place);
- the open event (since a few hours): a small temporary place, a dozen people taken in, three
  measures reviewed, one release decided and not carried out yet.

The people of the lists carry a valid IIN, so the lawyer's lookup finds them (the demo
prints one), and the hotline operator has a relative's identity check waiting to be asked.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass

from django.utils import timezone

from custodywatch.accounts.audit import Origin
from custodywatch.accounts.capabilities import Capability, holders_q
from custodywatch.accounts.models import User
from custodywatch.custody import intake, mass, services, whereabouts
from custodywatch.custody.models import CustodyRecord, EndReason, Regime, iin_is_valid
from custodywatch.custody.models_mass import (
    BulkIntake,
    IdentityCheck,
    IncommunicadoOrder,
    MassDetention,
    MeasureReview,
    TemporaryPlace,
    WhereaboutsQuery,
)
from custodywatch.registry.models import Agency, Region
from custodywatch.registry.services import registry_import

DEMO_ORIGIN = Origin(ip_address=None, user_agent="demo")
H = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class MassScale:
    past_people: int  # taken in at the past event's temporary place
    open_people: int  # at the open event's


MASS_SCALES = {
    "small": MassScale(past_people=40, open_people=6),
    "national": MassScale(past_people=200, open_people=12),
}
SURNAMES = ["Ахметов", "Сейтказиев", "Жумабаев", "Нурланов", "Иванов", "Ким", "Серикбаев",
            "Абенов", "Тулегенов", "Петров", "Касымов", "Омаров", "Бекетов", "Исаев",
            "Мухамеджанов", "Кенжебаев", "Садыков", "Байжанов"]
GIVEN_NAMES = ["Ерлан", "Асхат", "Даурен", "Бауыржан", "Сергей", "Марат", "Нурлан", "Айдос",
               "Руслан", "Тимур", "Ержан", "Дамир", "Алихан", "Санжар"]
PATRONYMICS = ["Маратович", "Ерланович", "Серикович", "Болатович", "Каиржанович",
               "Сергеевич", "Нурланович"]
PLACES = ["пл. Республики", "ул. Сатпаева", "пр. Абая", "ул. Желтоксан", "ул. Тимирязева"]
OFFICERS = ["Жаксылыков Б.", "Утебаев Н.", "Ермеков А.", "Садвакасов Т."]
GROUNDS = "ст. 128 УПК: задержан при массовых беспорядках (ст. 272 УК)"
REASONS = {
    MeasureReview.Decision.UPHELD: "Участие в беспорядках подтверждено видеозаписью и "
                                   "показаниями; мера пресечения обоснована.",
    MeasureReview.Decision.CHANGED: "Личное участие не подтверждено; постоянное место "
                                    "жительства, работа: мера изменена на подписку о невыезде.",
    MeasureReview.Decision.RELEASE: "Задержан по месту нахождения, без доказательств "
                                    "участия: оснований для содержания нет.",
}


def wipe_mass() -> None:
    """Everything of mass detention and whereabouts (before custody records and users)."""
    for model in (WhereaboutsQuery, IdentityCheck, IncommunicadoOrder, MeasureReview,
                  TemporaryPlace, BulkIntake, MassDetention):
        model.objects.all().delete()


def _iin(rng: random.Random, birth: dt.date, male: bool) -> str:
    """A valid IIN: YYMMDD, century and sex, a serial, the check digit."""
    century = (3 if male else 4) if birth.year < 2000 else (5 if male else 6)
    while True:
        iin = f"{birth:%y%m%d}{century}{rng.randrange(10_000):04d}"
        for check in range(10):
            if iin_is_valid(iin + str(check)):
                return iin + str(check)


def _list_file(rng: random.Random, prefix: str, count: int, start: dt.datetime,
               span: dt.timedelta, latest_arrival: dt.datetime) -> bytes:
    """A list of detainees as a police unit sends it (CSV, UTF-8, the intake's columns).
    Detained under the criminal procedure (48 h until a court decides), stated: the law table
    would propose delivery (3 h) for a temporary place."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["external_ref", "full_name", "iin", "date_of_birth", "detained_at",
                     "arrived_at", "detained_place", "detaining_officer", "grounds", "regime",
                     "room"])
    moments = sorted(start + span * rng.random() for _ in range(count))
    for n, detained in enumerate(moments, start=1):
        birth = (detained - dt.timedelta(days=rng.randint(19 * 365, 55 * 365))).date()
        arrived = min(detained + rng.uniform(0.5, 2.5) * H, latest_arrival)
        writer.writerow([
            f"{prefix}-{n:04d}",
            f"{rng.choice(SURNAMES)} {rng.choice(GIVEN_NAMES)} {rng.choice(PATRONYMICS)}",
            _iin(rng, birth, male=True), birth.isoformat(),
            timezone.localtime(detained).isoformat(timespec="minutes"),
            timezone.localtime(arrived).isoformat(timespec="minutes"),
            rng.choice(PLACES), rng.choice(OFFICERS), GROUNDS, Regime.CRIMINAL_DETENTION,
            f"H{rng.randint(1, 2)}"])
    return out.getvalue().encode()


def _event(*, prosecutor: User, admin: User, rng: random.Random, name: str, reason: str,
           place_name: str, address: str, prefix: str, people: int, started: dt.datetime,
           span: dt.timedelta, uploaded: dt.datetime) -> tuple[MassDetention, list[int]]:
    """Declare, register the place, take the people in; returns the event and their records."""
    region = prosecutor.region
    if region is None:
        raise ValueError("The demo's regional prosecutor has no region.")
    event = mass.mass_detention_declare(
        acting_user=prosecutor, origin=DEMO_ORIGIN, name=name, region=region, reason=reason,
        started_at=started, now=started + H)
    place = mass.temporary_place_register(
        acting_user=prosecutor, origin=DEMO_ORIGIN, event=event, region=region,
        agency=Agency.objects.get(code="MVD"), name=place_name, address=address,
        areas=["Спортзал, сектор А", "Спортзал, сектор Б"], now=started + 1.5 * H)
    content = _list_file(rng, prefix, people, started + 2 * H, span, uploaded)
    result = intake.bulk_intake(acting_user=admin, origin=DEMO_ORIGIN, facility=place.facility,
                                content=content, file_name=f"{prefix}.csv", now=uploaded)
    records = list(CustodyRecord.objects.filter(facility=place.facility).order_by("pk")
                   .values_list("pk", flat=True))
    if not result.intake.registered == len(records) == people:
        raise ValueError(f"The demo's list {prefix} was not taken in whole.")
    return event, records


def _decide(*, prosecutor: User, review: MeasureReview, decision: str,
            at: dt.datetime) -> None:
    mass.measure_review_decide(acting_user=prosecutor, origin=DEMO_ORIGIN, review=review,
                               decision=decision, decided_on=timezone.localdate(at),
                               reasons=REASONS[MeasureReview.Decision(decision)], now=at)


def _end(admin: User, record: CustodyRecord, at: dt.datetime, reason: EndReason,
         note: str) -> None:
    services.custody_record_end(acting_user=admin, origin=DEMO_ORIGIN, record=record,
                                ended_at=at, end_reason=reason, end_note=note)


def build_mass_detentions(*, scale_name: str, rng: random.Random, now: dt.datetime) -> int:
    """The two events in the demo prosecutor's region; returns the people taken in."""
    scale = MASS_SCALES[scale_name]
    # Who does what is asked of the capability table (accounts.capabilities), never a role.
    prosecutor = User.objects.filter(holders_q(Capability.DECLARE_MASS_DETENTION),
                                     region__code="KZ-75").order_by("pk").first()
    admin = User.objects.filter(holders_q(Capability.EDIT_REGISTRY)).order_by("pk").first()
    if prosecutor is None or admin is None or not Region.objects.filter(code="KZ-75").exists():
        return 0
    # The past event: people taken in over a day, listed by the evening, reviewed over the
    # next day; the mode off on the fifth day.
    started = now - 40 * DAY
    event, records = _event(
        prosecutor=prosecutor, admin=admin, rng=rng, name="Массовые беспорядки, г. Алматы",
        reason="Массовые задержания на площади Республики и прилегающих улицах; "
               "распоряжение прокурора города.",
        place_name="Временное место содержания: СК «Алатау»",
        address="г. Алматы, ул. Сатпаева, 29/3", prefix="MD1", people=scale.past_people,
        started=started, span=18 * H, uploaded=started + 22 * H)
    by_pk = {r.pk: r for r in CustodyRecord.objects.filter(pk__in=records)}
    reviews = {review.custody_record_id: review for review in MeasureReview.objects.filter(
        mass_detention=event, custody_record_id__in=records)}
    for n, pk in enumerate(records):
        record, review = by_pk[pk], reviews[pk]
        decided_at = max(record.arrived_at or record.detained_at,
                         started + 22 * H) + rng.uniform(2, 14) * H
        if n % 10 == 9:  # not reviewed in time: the court decided first
            _end(admin, record, record.detained_at + rng.uniform(30, 44) * H,
                 EndReason.ARREST_ORDERED, "Постановление суда о санкционировании ареста")
            continue
        decision = (MeasureReview.Decision.UPHELD if rng.random() < 0.58 else
                    rng.choice([MeasureReview.Decision.CHANGED,
                                MeasureReview.Decision.RELEASE]))
        _decide(prosecutor=prosecutor, review=review, decision=decision, at=decided_at)
        if decision == MeasureReview.Decision.UPHELD:
            _end(admin, record, decided_at + rng.uniform(2, 6) * H, EndReason.TRANSFERRED,
                 "Этапирован в следственный изолятор")
        else:
            _end(admin, record, decided_at + rng.uniform(0.3, 2) * H, EndReason.RELEASED,
                 "Освобождён по решению прокурора")
    mass.mass_detention_end(acting_user=prosecutor, origin=DEMO_ORIGIN, event=event,
                            now=started + 5 * DAY)
    _close_place(admin, event)
    # The open event: since a few hours, a dozen people held now.
    started = now - 8 * H
    event, records = _event(
        prosecutor=prosecutor, admin=admin, rng=rng, name="Несанкционированный митинг, "
        "г. Алматы", reason="Задержания у акимата; распоряжение прокурора города.",
        place_name="Временное место содержания: спортзал УП г. Алматы",
        address="г. Алматы, ул. Жибек Жолы, 50", prefix="MD2", people=scale.open_people,
        started=started, span=3 * H, uploaded=now - 2 * H)
    open_reviews = list(MeasureReview.objects.filter(
        mass_detention=event, custody_record_id__in=records).select_related(
        "custody_record").order_by("custody_record_id"))
    decided_at = now - H
    _decide(prosecutor=prosecutor, review=open_reviews[0],
            decision=MeasureReview.Decision.UPHELD, at=decided_at)
    for review in open_reviews[1:3]:
        _decide(prosecutor=prosecutor, review=review, decision=MeasureReview.Decision.RELEASE,
                at=decided_at)
    # One release carried out; the other decided and not yet (the dashboard counts it).
    _end(admin, open_reviews[1].custody_record, now - 0.5 * H, EndReason.RELEASED,
         "Освобождён по решению прокурора")
    _operator_check(records[-1])
    return scale.past_people + scale.open_people


def _close_place(admin: User, event: MassDetention) -> None:
    """The sports hall is a sports hall again: the registry's editor marks its holding areas
    as no longer used for custody (the rooms import, as any registry correction), so they
    stop counting as blind custody rooms; the place and its records stay."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["facility", "code", "name", "kind", "custody_use"])
    for place in event.places.select_related("facility"):
        for room in place.facility.rooms.order_by("code"):
            writer.writerow([place.facility.code, room.code, room.name, room.kind, "false"])
    registry_import(acting_user=admin, origin=DEMO_ORIGIN, kind="rooms",
                    content=out.getvalue().encode(), file_name="closed-temporary-place.csv")


def _operator_check(record_pk: int) -> None:
    """A relative's identity, checked by the hotline operator: his question waits to be asked."""
    operator = User.objects.filter(holders_q(Capability.CHECK_RELATIVE_IDENTITY)
                                   ).order_by("pk").first()
    if operator is None:
        return
    record = CustodyRecord.objects.get(pk=record_pk)
    whereabouts.identity_check_record(
        acting_user=operator, origin=DEMO_ORIGIN, asker_name="Ахметова Гульнара Маратовна",
        asker_document="Удостоверение личности № 045128733", relationship="мать",
        method=IdentityCheck.Method.VIDEO_CALL, sought_iin=record.iin,
        sought_name=record.full_name)


@dataclass(frozen=True)
class WhereaboutsExample:
    full_name: str
    iin: str
    date_of_birth: dt.date | None
    facility: str


def whereabouts_example() -> WhereaboutsExample | None:
    """A person held now whom the demo lawyer can ask about (the open event's first)."""
    on_now = TemporaryPlace.objects.filter(mass_detention__ended_at__isnull=True)
    record = (CustodyRecord.objects.filter(ended_at__isnull=True,
                                           facility__in=on_now.values("facility"))
              .exclude(iin="").select_related("facility").order_by("pk").first())
    if record is None:
        return None
    return WhereaboutsExample(record.full_name, record.iin, record.date_of_birth,
                              record.facility.code)
