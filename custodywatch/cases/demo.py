"""Torture cases for the demo, at the seeds' scale, deterministic by seed.

National (the seeds, 2023): 243 pre-trial investigations, 35 officers charged for 84 victims,
17 convicted; examinations in Istanbul Protocol form, evidence items with their chain of
custody (logged in the evidence ledger), referrals and compensation claims, and a handful of
imported charges that break the art. 146 rule (flagged, never hidden). Small: a few dozen
cases. Cases are opened from the torture complaints where there are any, else ex officio.

Through the services (cases/services/), as a prosecutor would: opening (its complaints'
timelines and the hold of its footage), the first step and every status change. Bulk, and
why: the parties, charges, examinations, referrals and claims of the court cases stand for
records imported from the court and the forensic bureau (cases/batch.py's path, not a
prosecutor's form), among them the charges with a release torture forbids, which the
service would refuse by design and the import keeps, flagged; the evidence items' ledger
leaves name nobody ("by" empty), as nobody registered them in the application.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction

from custodywatch.accounts.audit import Origin
from custodywatch.accounts.models import Role, User
from custodywatch.cases import services
from custodywatch.cases.body import centre_of
from custodywatch.cases.models import (
    Accusation,
    Case,
    CaseParty,
    CaseStatus,
    CaseStep,
    CaseTransition,
    Charge,
    ClosureGround,
    CompensationClaim,
    Consent,
    Consistency,
    CrisisCentre,
    EvidenceExclusion,
    EvidenceItem,
    EvidenceTransfer,
    Examination,
    Finding,
    Officer,
    Person,
    ReferralOutcome,
    ReferralService,
    SupportReferral,
    Verdict,
)
from custodywatch.cases.selectors import head_at
from custodywatch.complaints.models import Category, Complaint
from custodywatch.kernels import case_rules
from custodywatch.ledger.appends import (
    custody_transfer_fields,
    evidence_registered_fields,
    ledger_append_many,
)
from custodywatch.ledger.models import LeafKind
from custodywatch.registry.models import Facility

Progress = Callable[[int], None]
# The demo's writes through the services are the prosecutor's, from no address.
DEMO_ORIGIN = Origin(ip_address=None, user_agent="demo")


SIZES = {
    # cases, cases at court stage, accused officers, victims charged, convicted, flagged imports
    "national": (243, 30, 35, 84, 17, 5),
    "small": (30, 6, 6, 12, 3, 1),
}
EARLY_STATUSES = [(CaseStatus.INVESTIGATION, 0.55), (CaseStatus.SUSPENDED, 0.1),
                  (CaseStatus.CLOSED, 0.3), (CaseStatus.REGISTERED, 0.05)]
COURT_STATUSES = [CaseStatus.SENT_TO_COURT, CaseStatus.VERDICT, CaseStatus.APPEAL,
                  CaseStatus.FINAL]
PATHS = {
    CaseStatus.REGISTERED: [],
    CaseStatus.INVESTIGATION: [CaseStatus.INVESTIGATION],
    CaseStatus.SUSPENDED: [CaseStatus.INVESTIGATION, CaseStatus.SUSPENDED],
    CaseStatus.CLOSED: [CaseStatus.INVESTIGATION, CaseStatus.CLOSED],
    CaseStatus.SENT_TO_COURT: [CaseStatus.INVESTIGATION, CaseStatus.SENT_TO_COURT],
    CaseStatus.VERDICT: [CaseStatus.INVESTIGATION, CaseStatus.SENT_TO_COURT, CaseStatus.VERDICT],
    CaseStatus.APPEAL: [CaseStatus.INVESTIGATION, CaseStatus.SENT_TO_COURT, CaseStatus.VERDICT,
                        CaseStatus.APPEAL],
    CaseStatus.FINAL: [CaseStatus.INVESTIGATION, CaseStatus.SENT_TO_COURT, CaseStatus.VERDICT,
                       CaseStatus.FINAL],
}
SURNAMES = ["Ахметов", "Сейтқали", "Жұмабаев", "Нұрланов", "Иванов", "Ким", "Серікбаев",
            "Әбенов", "Төлегенов", "Петров", "Қасымов", "Омаров", "Бекетов", "Исаев"]
GIVEN = ["Ерлан", "Асхат", "Дәурен", "Бауыржан", "Сергей", "Марат", "Нұрлан", "Айдос",
         "Руслан", "Тимур", "Әсет", "Ғалым"]
RANKS = ["лейтенант полиции", "старший лейтенант полиции", "капитан полиции",
         "майор полиции", "подполковник полиции"]
POSITIONS = ["оперуполномоченный", "участковый инспектор", "дежурный ИВС",
             "следователь", "начальник отделения"]
FINDINGS = [
    ("front", "chest", "Кровоподтёки 3×4 см, багрово-синие", Consistency.HIGHLY_CONSISTENT),
    ("back", "lower_back", "Параллельные полосовидные кровоподтёки", Consistency.TYPICAL),
    ("front", "right_hand", "Странгуляционные следы на запястье", Consistency.CONSISTENT),
    ("front", "head", "Ссадина лобной области", Consistency.CONSISTENT),
    ("back", "right_foot", "Отёк и кровоизлияния подошв (фалака)", Consistency.DIAGNOSTIC),
]

def _crisis_centres(region_ids: set[int], rng: random.Random) -> dict[int, list[CrisisCentre]]:
    """Two centres per region of the demo's court cases, with their services."""
    centres: dict[int, list[CrisisCentre]] = {}
    for region_id in sorted(region_ids):
        centres[region_id] = [
            CrisisCentre.objects.get_or_create(
                region_id=region_id, name=name, defaults={
                    "services": services, "phone": f"+7 7{rng.randint(10, 99)} 555 {n:04d}",
                    "email": f"centre{region_id}-{n}@example.kz",
                    "response_days": rng.choice([3, 5, 7])})[0]
            for n, (name, services) in enumerate(DEMO_CENTRES)]
    return centres


DEMO_CENTRES = [
    ("Кризисный центр «Жан»", ["psychological", "social", "legal"]),
    ("Центр правовой и медицинской помощи", ["legal", "medical"]),
]


def _name(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"


def expected_case_rows(scale_name: str) -> int:
    """What build_cases reports to the progress bar: one per case."""
    return SIZES[scale_name][0]


def wipe_cases() -> None:
    """Remove every case and its people (before complaints and the registry are wiped)."""
    for model in (EvidenceExclusion, Accusation, EvidenceTransfer, EvidenceItem, Finding,
                  Examination, CompensationClaim, ReferralService, SupportReferral, Charge,
                  CaseParty, CaseStep, CaseTransition):
        model.objects.all().delete()
    Case.complaints.through.objects.all().delete()
    Case.objects.all().delete()
    Person.custody_records.through.objects.all().delete()
    Person.objects.all().delete()
    Officer.objects.all().delete()
    CrisisCentre.objects.all().delete()


def _status(rng: random.Random) -> str:
    return rng.choices([s for s, _w in EARLY_STATUSES], weights=[w for _s, w in EARLY_STATUSES]
                       )[0]


def build_cases(*, scale_name: str, rng: random.Random, now: dt.datetime,
                progress: Progress = lambda n: None) -> int:
    total, court, n_accused, n_victims, n_convicted, n_flagged = SIZES[scale_name]
    facilities = list(Facility.objects.select_related("region").prefetch_related(
        "head_appointments").order_by("pk"))
    if not facilities:
        return 0
    prosecutors = {u.region_id: u for u in User.objects.filter(role=Role.REGIONAL_PROSECUTOR)}
    gpo = User.objects.filter(role=Role.GENERAL_PROSECUTOR).order_by("pk").first()
    examiner = User.objects.filter(role=Role.FORENSIC_EXPERT).order_by("pk").first()
    torture = list(Complaint.objects.filter(category=Category.TORTURE).order_by("received_at")
                   .values_list("pk", "facility_id", "received_at"))
    by_pk = {f.pk: f for f in facilities}
    year = now - dt.timedelta(days=365)
    with transaction.atomic():
        cases = []
        for n in range(total):
            if n < len(torture) and torture[n][1] in by_pk:
                complaint_pk, facility_id, received = torture[n]
                facility = by_pk[facility_id]
                registered = received + dt.timedelta(hours=rng.randrange(2, 72))
            else:
                complaint_pk, facility = None, rng.choice(facilities)
                registered = year + dt.timedelta(seconds=rng.randrange(300 * 86400))
            registered = min(registered, now - dt.timedelta(hours=1))
            status = COURT_STATUSES[n % 4] if n < court else _status(rng)
            late_step = rng.random() < 0.15
            first_step = registered + dt.timedelta(hours=rng.randrange(30, 90) if late_step
                                                   else rng.randrange(1, 20))
            decided = status not in (CaseStatus.REGISTERED, CaseStatus.INVESTIGATION,
                                     CaseStatus.SUSPENDED)
            decision = registered + dt.timedelta(days=rng.randrange(20, 80)) if decided else None
            if decision is not None and decision > now:
                decision = now - dt.timedelta(hours=1)
            events = registered - dt.timedelta(days=rng.randrange(1, 10))
            prosecutor = prosecutors.get(facility.region_id, gpo)
            if prosecutor is None:
                raise ValueError("The demo's cases are opened by a prosecutor: none exists.")
            # Opened, advanced and stepped through the services (cases/services/): the rules
            # of a case (register number, complaints visible to the prosecutor, each
            # complaint's timeline, the hold of the footage, the transitions, the first-step
            # clock) are the application's own, audited as the prosecutor's.
            case = services.case_open(
                acting_user=prosecutor, origin=DEMO_ORIGIN,
                register_number=f"{registered:%y}{facility.region.code[-2:]:0>2}"
                                f"{n + 1:011d}",
                title=f"Применение пыток, {facility.code}", facility=facility,
                complaints=[Complaint.objects.get(pk=complaint_pk)] if complaint_pk else (),
                ex_officio=complaint_pk is None, supervising_prosecutor=prosecutor,
                events_from=events, events_until=events + dt.timedelta(hours=6),
                registered_at=registered)
            cases.append(_lifecycle(case, prosecutor, CaseStatus(status),
                                    first_step if first_step < now else None, decision))
        _people_and_charges(cases[:court], rng, n_accused, n_victims, n_convicted, n_flagged)
        _examinations(cases, rng, examiner, now)
        _evidence(cases, rng, now)
        progress(len(cases))
    return len(cases)


def _lifecycle(case: Case, actor: User, status: CaseStatus, first_step: dt.datetime | None,
               decision: dt.datetime | None) -> Case:
    """The first investigative step, then the case's path to ``status``: a decision (and the
    steps after it) on the day of the decision, the rest on the day of the first step."""
    if first_step is not None:
        services.case_step_add(acting_user=actor, origin=DEMO_ORIGIN, case=case,
                               kind=CaseStep.Kind.INTERVIEW, taken_at=first_step,
                               description="Допрос заявителя")
    at = first_step or case.registered_at
    for step in PATHS[status]:
        if decision is not None and (step in case_rules.DECISIONS or step == status):
            at = max(at, decision)  # never before the first step
        services.case_transition(
            acting_user=actor, origin=DEMO_ORIGIN, case=case, to_status=step, at=at,
            ground=ClosureGround.INSUFFICIENT_EVIDENCE if step == CaseStatus.CLOSED else "")
    # What the services wrote, keeping the facility (and its heads) already loaded.
    case.refresh_from_db(fields=["status", "status_changed_at", "closure_ground",
                                 "decision_at", "first_step_at"])
    return case


def _people_and_charges(court_cases: list[Case], rng: random.Random, n_accused: int,
                        n_victims: int, n_convicted: int, n_flagged: int) -> None:
    officers: list[tuple[Case, Officer]] = []
    victims_by_case: dict[int, list[CaseParty]] = {}
    accused_by_case: dict[int, list[CaseParty]] = {}
    for n in range(n_accused):
        case = court_cases[n % len(court_cases)]
        officers.append((case, Officer(full_name=_name(rng), personnel_number=f"D-{n + 1:05d}",
                                       rank=rng.choice(RANKS), position=rng.choice(POSITIONS),
                                       facility=case.facility)))
    Officer.objects.bulk_create([o for _c, o in officers])
    parties = []
    for case, officer in officers:
        day = (case.events_from or case.registered_at).date()  # the demo opens each with both
        party = CaseParty(case=case, role=CaseParty.Role.ACCUSED, officer=officer,
                          unit_head=head_at(list(case.facility.head_appointments.all()), day))
        parties.append(party)
        accused_by_case.setdefault(case.pk, []).append(party)
    persons = [Person(full_name=_name(rng), iin=f"{rng.randrange(10**11, 10**12)}",
                      sex=rng.choice(["male", "female"])) for _ in range(n_victims)]
    Person.objects.bulk_create(persons)
    for n, person in enumerate(persons):
        case = court_cases[n % len(court_cases)]
        party = CaseParty(case=case, role=CaseParty.Role.VICTIM, person=person)
        parties.append(party)
        victims_by_case.setdefault(case.pk, []).append(party)
    CaseParty.objects.bulk_create(parties)
    # The complaints the court cases came from accuse their officers (linked by the handler).
    sources = Case.complaints.through.objects.filter(case__in=court_cases)
    complaints_of: dict[int, list[int]] = {}
    for case_id, complaint_id in sources.values_list("case_id", "complaint_id"):
        complaints_of.setdefault(case_id, []).append(complaint_id)
    Accusation.objects.bulk_create([
        Accusation(complaint_id=complaint_id, officer=officer)
        for case, officer in officers for complaint_id in complaints_of.get(case.pk, [])],
        ignore_conflicts=True)
    charges, convicted = [], 0
    final_like = (CaseStatus.VERDICT, CaseStatus.APPEAL, CaseStatus.FINAL)
    for case in court_cases:
        for accused in accused_by_case.get(case.pk, []):
            guilty = case.status in final_like and convicted < n_convicted
            convicted += guilty
            for victim in victims_by_case.get(case.pk, []):
                charges.append(Charge(
                    case=case, accused=accused, victim=victim, article="146",
                    article_part=rng.choice(["1", "2", "3"]),
                    verdict=Verdict.CONVICTED if guilty else Verdict.PENDING,
                    verdict_on=case.decision_at.date() if guilty and case.decision_at else None,
                    imprisonment_months=rng.choice([36, 60, 84]) if guilty else None,
                    ban_on_positions_years=3 if guilty else None))
    charges = Charge.objects.bulk_create(charges)
    # Imported from court records with a release torture forbids: flagged, never refused.
    flagged = [c for c in charges if c.verdict == Verdict.CONVICTED][:n_flagged]
    for n, charge in enumerate(flagged):
        flag = case_rules.RELEASE_FLAGS[n % len(case_rules.RELEASE_FLAGS)]
        setattr(charge, flag, True)
        violations = case_rules.charge_rule_violations(article="146", verdict="convicted",
                                                       flags={flag: True})
        charge.rule_flags = [{"code": v.code, "text": v.text} for v in violations]
        charge.save()
        case = charge.case
        case.rule_flags = case.rule_flags + [dict(f, charge=charge.pk)
                                             for f in charge.rule_flags]
        case.save(update_fields=["rule_flags"])
    claims, referrals = [], []
    centres = _crisis_centres({case.region_id for case in court_cases}, rng)
    for case in court_cases:
        for victim in victims_by_case.get(case.pk, []):
            centre = rng.choice(centres[case.region_id])
            kind = rng.choice(centre.services)
            status = rng.choice(SupportReferral.Status.values)
            referred_at = case.registered_at + dt.timedelta(days=2)
            answered = status != SupportReferral.Status.REFERRED
            referrals.append(SupportReferral(
                case=case, victim=victim, kind=kind, centre=centre.name, crisis_centre=centre,
                consent=rng.choice(Consent.values), consent_recorded_at=referred_at,
                status=status, referred_at=referred_at,
                response_due_at=referred_at + dt.timedelta(days=centre.response_days),
                responded_at=referred_at + dt.timedelta(days=rng.randint(1, 8))
                if answered else None,
                outcome=rng.choice(ReferralOutcome.values)
                if status in (SupportReferral.Status.COMPLETED,
                              SupportReferral.Status.DECLINED) else "",
                status_changed_at=case.registered_at + dt.timedelta(days=9)))
            if rng.random() < 0.5:
                claimed = (case.registered_at + dt.timedelta(days=30)).date()
                amount = Decimal(rng.choice([500_000, 1_000_000, 2_000_000]))
                decided = case.status == CaseStatus.FINAL
                claims.append(CompensationClaim(
                    case=case, victim=victim, claimed_at=claimed, amount_claimed=amount,
                    decision="granted" if decided else "pending",
                    decided_at=claimed + dt.timedelta(days=40) if decided else None,
                    amount_granted=amount if decided else None,
                    paid_at=claimed + dt.timedelta(days=60) if decided else None))
    SupportReferral.objects.bulk_create(referrals)
    EvidenceExclusion.objects.bulk_create(
        EvidenceExclusion(court="Специализированный межрайонный суд по уголовным делам",
                          ruling_reference=f"2-{case.pk}/{n}", ruled_on=case.registered_at.date(),
                          kind=rng.choice(["confession", "testimony"]), facility=case.facility,
                          region_id=case.region_id, person_sex=rng.choice(["male", "female"]),
                          person_age=rng.randint(18, 60), person_citizenship="KZ", case=case)
        for n, case in enumerate(court_cases[:max(3, len(court_cases) // 10)]))
    ReferralService.objects.bulk_create(
        ReferralService(referral=referral, kind=referral.kind,
                        given_on=(referral.referred_at + dt.timedelta(days=10)).date(),
                        sessions=rng.randint(1, 6))
        for referral in referrals if referral.status in (SupportReferral.Status.IN_PROGRESS,
                                                         SupportReferral.Status.COMPLETED))
    CompensationClaim.objects.bulk_create(claims)


def _examinations(cases: list[Case], rng: random.Random, examiner: User | None,
                  now: dt.datetime) -> None:
    """One examination per victim of every case that has victims (Istanbul Protocol: each
    alleged victim is examined)."""
    by_pk = {case.pk: case for case in cases}
    victims = CaseParty.objects.filter(case__in=cases, role=CaseParty.Role.VICTIM).order_by("pk")
    exams, chosen = [], []
    for subject in victims:
        case = by_pk[subject.case_id]
        examined = case.registered_at + dt.timedelta(hours=rng.randrange(6, 120))
        done = examined < now
        exams.append(Examination(
            case=case, subject=subject, requested_at=case.registered_at + dt.timedelta(hours=2),
            examiner=examiner, status="done" if done else "requested",
            examined_at=examined if done else None, place="Бюро судебно-медицинской экспертизы",
            history="Со слов обследуемого: избит сотрудниками при задержании.",
            psychological_findings="Признаки острого стрессового расстройства.",
            psychological_consistency=Consistency.CONSISTENT,
            conclusion="Повреждения соответствуют описанию событий." if done else ""))
        chosen.append((case, examined if done else None))
    exams = Examination.objects.bulk_create(exams)
    findings = []
    for exam in exams:
        for view, region, text, consistency in rng.sample(FINDINGS, rng.randrange(1, 4)):
            x, y = centre_of(region, view)
            findings.append(Finding(examination=exam, view=view, body_region=region, x=x, y=y,
                                    description=text, consistency=consistency))
    Finding.objects.bulk_create(findings)
    first: dict[int, dt.datetime] = {}
    for case, when in chosen:
        if when is not None and (case.pk not in first or when < first[case.pk]):
            first[case.pk] = when
    for case_pk, examined in first.items():
        Case.objects.filter(pk=case_pk).update(examination_at=examined)


def _evidence(cases: list[Case], rng: random.Random, now: dt.datetime) -> None:
    items, leaves = [], []
    for case in cases:
        if rng.random() < 0.5:
            continue
        collected = case.first_step_at or case.registered_at
        record = f"{case.register_number}/E1/baton".encode()
        items.append(EvidenceItem(
            case=case, label="E1", kind=EvidenceItem.Kind.PHYSICAL,
            description="Резиновая дубинка", found_at="Служебный кабинет",
            collected_by="Следователь прокуратуры", collected_at=collected,
            holder="Следователь прокуратуры", location="Кабинет 12",
            sha256=hashlib.sha256(record).hexdigest(), size=0))
    items = EvidenceItem.objects.bulk_create(items)
    transfers: dict[int, list[EvidenceTransfer]] = {}
    for item in items:
        holder, location, at = item.holder, item.location, item.collected_at
        for to_holder, to_location in rng.sample(
                [("Судебно-медицинское бюро", "Сейф 3"), ("Хранилище вещдоков", "Стеллаж 7"),
                 ("Суд", "Архив")], rng.randrange(0, 3)):
            at = min(at + dt.timedelta(days=rng.randrange(1, 10)), now)
            transfers.setdefault(item.pk, []).append(EvidenceTransfer(
                item=item, from_holder=holder, from_location=location, to_holder=to_holder,
                to_location=to_location, transferred_at=at, reason="Передача для экспертизы"))
            holder, location = to_holder, to_location
        item.holder, item.location = holder, location
    EvidenceItem.objects.bulk_update(items, ["holder", "location"])
    EvidenceTransfer.objects.bulk_create([t for steps in transfers.values() for t in steps])
    # The leaves commit to what their rows say (ledger verify re-derives them): nobody
    # registered or handed over these items in the application, so "by" is empty.
    for item in items:
        leaves.append((LeafKind.EVIDENCE_REGISTERED, evidence_registered_fields(
            evidence=f"case-evidence:{item.pk}", sha256=item.sha256, size=0,
            by="", at=item.collected_at, case=item.case.register_number)))
        for step in transfers.get(item.pk, []):
            leaves.append((LeafKind.CUSTODY_TRANSFER, custody_transfer_fields(
                evidence=f"case-evidence:{item.pk}", sha256=item.sha256, transfer=step.pk,
                at=step.transferred_at, case=item.case.register_number,
                handed_from=f"{step.from_holder} @ {step.from_location}",
                handed_to=f"{step.to_holder} @ {step.to_location}", by="",
                reason=step.reason)))
    ledger_append_many(entries=leaves)
