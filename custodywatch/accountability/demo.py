"""The demo's accountability: heads as people (one of them moves to a second unit),
proceedings proposed by the sweep with some opened, decided and sanctioned, and one
compensation case from application to the Treasury register and recourse.

Runs after the cases and referrals (it reads convictions, complaints and risk moments) and
before the precomputed figures. Every write goes through the services, as a demo prosecutor
and the demo compensation officer.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from custodywatch.accountability import services
from custodywatch.accountability.models import (
    FundReview,
    Proceeding,
    ProceedingStatus,
    RecourseClaim,
    Sanction,
    TreasuryEntry,
    TreasuryRegister,
)
from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role, User
from custodywatch.cases.models import CaseParty, Charge, CompensationClaim, Verdict
from custodywatch.cases.services import compensation_claim_add
from custodywatch.custody.models import CustodyRecord
from custodywatch.registry.models import HeadAppointment

MOVED_HEAD = "Сарсенбаев Ерболат Муратович"
SUCCESSOR = "Жаксылыков Арман Серикович"


def wipe_accountability() -> None:
    """Before the cases, complaints and registry are wiped (their rows are protected)."""
    for model in (RecourseClaim, TreasuryEntry, TreasuryRegister, FundReview, Proceeding):
        model.objects.all().delete()
    HeadAppointment.objects.update(officer=None)


def build_accountability(*, rng: random.Random, now: dt.datetime) -> None:
    # Its own generator: the builders after this one draw from ``rng`` as they did before.
    rng = random.Random(f"accountability-{HeadAppointment.objects.count()}")  # noqa: S311
    _fill_vacancies(rng, now)
    services.heads_link_officers(actor=None, origin=SYSTEM_ORIGIN)
    _move_a_head(now)
    services.proceedings_propose(origin=SYSTEM_ORIGIN, now=now)
    prosecutor = User.objects.filter(role=Role.GENERAL_PROSECUTOR).first()
    fund_officer = User.objects.filter(role=Role.COMPENSATION_OFFICER).first()
    if prosecutor is not None:
        _decide_some(prosecutor, rng, now)
    if prosecutor is not None and fund_officer is not None:
        _compensation_case(prosecutor, fund_officer, now)


SURNAMES = ["Абдрахманов", "Бекмуханов", "Даулетов", "Ермеков", "Жумагалиев", "Искаков",
            "Калиев", "Мукашев", "Нургалиев", "Оспанов", "Рахимов", "Сулейменов", "Тажибаев"]
GIVEN = ["Азамат Болатович", "Бауыржан Ерланович", "Галым Кайратович", "Данияр Маратович",
         "Ерлан Сакенович", "Нурлан Тимурович"]


def _fill_vacancies(rng: random.Random, now: dt.datetime) -> None:
    """A unit whose last head left before now gets the next one the day after (the
    registry's generator leaves some units without a head in office)."""
    today = timezone.localtime(now).date()
    last: dict[int, HeadAppointment] = {}
    for head in HeadAppointment.objects.order_by("facility_id", "started_on"):
        last[head.facility_id] = head
    new = []
    for head in last.values():
        if head.ended_on is not None and head.ended_on < today:
            new.append(HeadAppointment(
                facility_id=head.facility_id, position=head.position, rank=head.rank,
                full_name=f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}",
                started_on=head.ended_on + dt.timedelta(days=1)))
    HeadAppointment.objects.bulk_create(new)


def _busiest_units() -> list[int]:
    return list(CustodyRecord.objects.values_list("facility_id", flat=True)
                .order_by("facility_id").distinct()[:50])


def _move_a_head(now: dt.datetime) -> None:
    """A head of one unit moves to head another in the same region, 150 days ago: his
    record follows him across the two."""
    today = timezone.localtime(now).date()
    moved_on = today - dt.timedelta(days=150)
    current = {head.facility_id: head for head in HeadAppointment.objects.filter(
        Q(ended_on__isnull=True), started_on__lt=moved_on - dt.timedelta(days=60),
        facility_id__in=_busiest_units()).select_related("facility")}
    pairs = [(a, b) for a in current.values() for b in current.values()
             if a.pk < b.pk and a.facility.region_id == b.facility.region_id]
    if not pairs:
        return
    first, second = pairs[0]
    for head in (first, second):
        head.ended_on = moved_on
        head.save(update_fields=["ended_on"])
    HeadAppointment.objects.filter(pk=first.pk).update(full_name=MOVED_HEAD, officer=None)
    # As the registry's generator does, the next term starts the day after (no overlap).
    starts = moved_on + dt.timedelta(days=1)
    HeadAppointment.objects.create(facility=second.facility, full_name=MOVED_HEAD,
                                   position=first.position, rank=first.rank, started_on=starts)
    HeadAppointment.objects.create(facility=first.facility, full_name=SUCCESSOR,
                                   position=first.position, rank=first.rank, started_on=starts)
    services.heads_link_officers(actor=None, origin=SYSTEM_ORIGIN)


def _decide_some(prosecutor: User, rng: random.Random, now: dt.datetime) -> None:
    today = timezone.localtime(now).date()
    proposed = list(Proceeding.objects.filter(status=ProceedingStatus.PROPOSED)
                    .order_by("events_on", "pk")[:12])
    sanctions = [Sanction.REPRIMAND, Sanction.SEVERE_REPRIMAND, Sanction.DEMOTION,
                 Sanction.DISMISSAL, Sanction.NONE]
    for n, row in enumerate(proposed):
        opened = min(today, row.events_on + dt.timedelta(days=rng.randint(20, 60)))
        if n % 5 == 4:
            continue  # left proposed: the prosecutor's to take up
        if n % 5 == 3:
            services.proceeding_decline(acting_user=prosecutor, origin=SYSTEM_ORIGIN,
                                        proceeding=row, note="Не подтверждено проверкой.")
            continue
        services.proceeding_open(acting_user=prosecutor, origin=SYSTEM_ORIGIN, proceeding=row,
                                 opened_on=opened)
        if n % 5 == 2:
            services.officer_duty_set(acting_user=prosecutor, origin=SYSTEM_ORIGIN,
                                      officer=row.officer, status="suspended", since=opened)
            continue
        decided = min(today, opened + dt.timedelta(days=rng.randint(15, 45)))
        services.proceeding_decide(acting_user=prosecutor, origin=SYSTEM_ORIGIN,
                                   proceeding=row, decided_on=decided,
                                   sanction=sanctions[n % len(sanctions)])


def _compensation_case(prosecutor: User, fund_officer: User, now: dt.datetime) -> None:
    """One victim of a convicted art. 146 charge: application, review, decision, register,
    payment, recourse."""
    charge = (Charge.objects.filter(article="146", verdict=Verdict.CONVICTED,
                                    victim__person__isnull=False)
              .exclude(victim__compensation_claims__isnull=False)
              .select_related("case", "victim", "accused__officer").order_by("pk").first())
    if charge is None or charge.accused.officer is None:  # the recourse needs the officer
        return
    officer = charge.accused.officer
    today = timezone.localtime(now).date()
    victim = CaseParty.objects.get(pk=charge.victim_id)
    claim = compensation_claim_add(acting_user=prosecutor, origin=SYSTEM_ORIGIN,
                                   case=charge.case, victim=victim,
                                   claimed_at=today - dt.timedelta(days=70),
                                   amount_claimed=Decimal("200000"),
                                   note="Заявление в Фонд компенсации потерпевшим")
    services.fund_review(acting_user=prosecutor, origin=SYSTEM_ORIGIN, claim=claim,
                         reviewed_on=today - dt.timedelta(days=60))
    claim = services.fund_decide(acting_user=fund_officer, origin=SYSTEM_ORIGIN, claim=claim,
                                 decided_on=today - dt.timedelta(days=50))
    register = services.treasury_register_create(
        acting_user=fund_officer, origin=SYSTEM_ORIGIN, at=now - dt.timedelta(days=45))
    services.treasury_register_paid(acting_user=fund_officer, origin=SYSTEM_ORIGIN,
                                    register=register, paid_on=today - dt.timedelta(days=30))
    claim = CompensationClaim.objects.get(pk=claim.pk)
    recourse = services.recourse_file(acting_user=fund_officer, origin=SYSTEM_ORIGIN,
                                      claim=claim, officer=officer,
                                      filed_on=today - dt.timedelta(days=20))
    services.recourse_update(acting_user=fund_officer, origin=SYSTEM_ORIGIN, recourse=recourse,
                             recovered=(recourse.amount / 4).quantize(Decimal("0.01")),
                             on=today - dt.timedelta(days=5))
