"""Demo visits and recommendations at the seeds' scale, bulk-inserted and deterministic.

national: about 5,000 visits over six years and about 10,000 recommendations (the NPM's
record since 2013), plus UN CAT recommendations; small: a few dozen of each. Older
recommendations are further along, as in life; a share is overdue, so the tracker, the
alerts and the planning board have something to show. Bulk rather than through
visits/services.py: fifteen thousand rows, one audited service call each, would add
minutes to the national load.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.db.models import Model

from custodywatch.accounts.capabilities import Capability, roles_with
from custodywatch.accounts.models import User
from custodywatch.core import sealing
from custodywatch.registry.models import Agency, Facility, Room
from custodywatch.visits.models import (
    CLOSED_STATUSES,
    AffectedGroup,
    Category,
    ChecklistItem,
    Evidence,
    Finding,
    ImplementationStatus,
    Interview,
    Recommendation,
    RecommendationGroup,
    ResponseLevel,
    Source,
    StatusChange,
    TeamMember,
    Visit,
)

Progress = Callable[[int], None]
CHUNK = 2000
SCALES = {"small": (40, 8), "national": (5000, 40)}  # visits, UN CAT recommendations
YEARS = 6

FINDINGS = [
    (Category.CONDITIONS, "Камера {room}: нет естественного освещения и вентиляции."),
    (Category.CONDITIONS, "Камера {room}: сырость, плесень на стенах, нет матрасов."),
    (Category.TREATMENT, "Задержанный сообщил о применении силы при доставлении."),
    (Category.SAFEGUARDS, "Время фактического задержания в журнале не указано."),
    (Category.SAFEGUARDS, "Адвокат допущен спустя более 24 часов после задержания."),
    (Category.HEALTH_CARE, "Медицинский осмотр при поступлении не проводился."),
    (Category.VIDEO_SURVEILLANCE, "Помещение {room} не охвачено видеонаблюдением."),
    (Category.VIDEO_SURVEILLANCE, "Архив видеозаписей хранится менее 30 суток."),
    (Category.CONTACT, "Родственники не уведомлены о задержании."),
    (Category.COMPLAINTS, "Ящик для жалоб отсутствует или доступен персоналу."),
]
RECOMMENDATIONS = {
    Category.CONDITIONS: "Обеспечить вентиляцию и естественное освещение в камерах.",
    Category.TREATMENT: "Провести служебную проверку и направить материалы прокурору.",
    Category.SAFEGUARDS: "Фиксировать время фактического задержания и доступ адвоката.",
    Category.HEALTH_CARE: "Обеспечить медицинский осмотр каждого поступающего.",
    Category.VIDEO_SURVEILLANCE: "Оборудовать все помещения видеонаблюдением без слепых зон.",
    Category.CONTACT: "Уведомлять родственников в течение трёх часов.",
    Category.COMPLAINTS: "Установить ящики для жалоб вне доступа персонала.",
}
CAT_TEXTS = [
    ("Article 2", "Ensure that all detainees are afforded all fundamental legal safeguards "
                  "from the very outset of their deprivation of liberty."),
    ("Article 11", "Ensure the video recording of all interrogations and of all areas of "
                   "places of detention, except where privacy would be violated."),
    ("Article 12", "Ensure that all complaints of torture are investigated promptly, "
                   "effectively and impartially by an independent body."),
    ("Article 14", "Ensure that all victims of torture obtain redress, including "
                   "rehabilitation."),
]
# Status of a recommendation by its age in years, as weights over the statuses.
S = ImplementationStatus
STATUS_BY_AGE = [
    (1, [(S.NOT_STARTED, 40), (S.IN_PROGRESS, 35), (S.PARTIALLY, 10), (S.IMPLEMENTED, 10),
         (S.NOT_IMPLEMENTED, 5)]),
    (3, [(S.NOT_STARTED, 10), (S.IN_PROGRESS, 25), (S.PARTIALLY, 20), (S.IMPLEMENTED, 35),
         (S.NOT_IMPLEMENTED, 8), (S.NO_LONGER_RELEVANT, 2)]),
    (99, [(S.NOT_STARTED, 3), (S.IN_PROGRESS, 7), (S.PARTIALLY, 20), (S.IMPLEMENTED, 55),
          (S.NOT_IMPLEMENTED, 10), (S.NO_LONGER_RELEVANT, 5)]),
]


def _bulk(model: type[Model], rows: list, progress: Progress) -> list:
    created = []
    for start in range(0, len(rows), CHUNK):
        created.extend(model._default_manager.bulk_create(rows[start:start + CHUNK]))
        progress(len(rows[start:start + CHUNK]))
    return created


def _status_for(rng: random.Random, age_days: int) -> str:
    for max_years, weights in STATUS_BY_AGE:
        if age_days <= max_years * 365:
            return rng.choices([s for s, _w in weights], [w for _s, w in weights])[0]
    return S.IMPLEMENTED


def build_visits(*, scale_name: str, rng: random.Random, now: dt.datetime,
                 progress: Progress = lambda n: None) -> dict[str, int]:
    visit_count, cat_count = SCALES[scale_name]
    today = now.date()
    facilities = list(Facility.objects.select_related("agency").order_by("pk"))
    if not facilities:
        return {"visits": 0, "recommendations": 0}
    monitors = list(User.objects.filter(role__in=roles_with(Capability.PLAN_VISITS)))
    author = monitors[0] if monitors else None
    rooms: dict[int, list[Room]] = {}
    for room in Room.objects.filter(custody_use=True).only("pk", "code", "facility_id"):
        rooms.setdefault(room.facility_id, []).append(room)

    # Visits: riskier (larger) facilities a little more often; a few planned ahead.
    visits = []
    for number in range(visit_count):
        facility = rng.choice(facilities)
        if number < max(3, visit_count // 100):
            starts = today + dt.timedelta(days=rng.randint(1, 60))
            status = Visit.Status.PLANNED
        else:
            starts = today - dt.timedelta(days=rng.randint(0, YEARS * 365))
            status = Visit.Status.CANCELLED if rng.random() < 0.04 else Visit.Status.COMPLETED
        ends = starts + dt.timedelta(days=rng.choice([0, 0, 0, 1, 2]))
        if status == Visit.Status.COMPLETED and ends >= today:
            status = Visit.Status.IN_PROGRESS
        visits.append(Visit(
            facility=facility, starts_on=starts, ends_on=ends, status=status,
            kind=Visit.Kind.UNANNOUNCED if rng.random() < 0.7 else Visit.Kind.PLANNED,
            summary="Мониторинговый визит НПМ.", created_by=author,
            completed_at=dt.datetime.combine(ends, dt.time(18), tzinfo=dt.UTC)
            if status == Visit.Status.COMPLETED else None))
    visits = _bulk(Visit, visits, progress)

    team: list[TeamMember] = []
    inspected: list[Model] = []  # rows of the visits' rooms_inspected table
    findings: list[Finding] = []
    interviews: list[Interview] = []
    through = Visit.rooms_inspected.through
    for visit in visits:
        team.append(TeamMember(visit=visit, user=author, full_name=(
            author.get_full_name() if author else "Ким Сергей"), is_leader=True,
            affiliation=TeamMember.Affiliation.NPM))
        team.append(TeamMember(visit=visit, full_name=rng.choice(
            ["Сәрсенова Айгүл", "Оспанов Ержан", "Ли Наталья", "Жұмабек Дина"]),
            affiliation=rng.choice([TeamMember.Affiliation.CIVIL_SOCIETY,
                                    TeamMember.Affiliation.EXPERT])))
        if visit.status not in (Visit.Status.COMPLETED, Visit.Status.IN_PROGRESS):
            continue
        visited = rng.sample(rooms.get(visit.facility_id, []),
                             k=min(3, len(rooms.get(visit.facility_id, []))))
        inspected.extend(through(visit_id=visit.pk, room_id=room.pk) for room in visited)
        for _n in range(rng.randint(1, 4)):
            category, text = rng.choice(FINDINGS)
            spot = rng.choice(visited) if visited else None
            findings.append(Finding(
                visit=visit, category=category, room=spot,
                severity=rng.choice(list(Finding.Severity.values)),
                text=text.format(room=spot.code if spot else "—"),
                recorded_at=dt.datetime.combine(visit.starts_on, dt.time(11), tzinfo=dt.UTC),
                recorded_by=author))
        interview = Interview(visit=visit, interviewee=Interview.Interviewee.DETAINEE,
                              recorded_by=author)
        interview.sealed_notes = sealing.seal(
            "Демо: беседа без свидетелей, жалоб не заявлено.".encode(),
            context=interview.seal_context())
        interviews.append(interview)
    _bulk(TeamMember, team, progress)
    _bulk(through, inspected, progress)
    findings = _bulk(Finding, findings, progress)
    _bulk(Interview, interviews, progress)

    recommendations = _recommendations(findings, rng, today, author, progress)
    cat = _cat_recommendations(cat_count, rng, today, author, progress)
    _follow_up(recommendations + cat, rng, today, author, progress)
    _groups(recommendations, cat, rng, author)
    _checklists([v for v in visits if v.status == Visit.Status.PLANNED], progress)
    return {"visits": len(visits), "recommendations": len(recommendations) + len(cat)}


def _recommendations(findings: list[Finding], rng: random.Random, today: dt.date,
                     author: User | None, progress: Progress) -> list[Recommendation]:
    """Most findings (85 %) lead to a recommendation to the facility's agency."""
    rows = []
    facility_of = {v.pk: v.facility for v in Visit.objects.filter(
        pk__in={f.visit_id for f in findings}).select_related("facility__agency")}
    for finding in findings:
        if rng.random() > 0.85 or finding.category not in RECOMMENDATIONS:
            continue
        facility = facility_of[finding.visit_id]
        issued = finding.recorded_at.date() + dt.timedelta(days=rng.randint(7, 30))
        if issued > today:
            continue
        rows.append(Recommendation(
            source=Source.VISIT, visit_id=finding.visit_id, finding=finding, facility=facility,
            addressee_body=facility.agency, responsible_official="Начальник учреждения",
            text=RECOMMENDATIONS[Category(finding.category)], category=finding.category,
            issued_on=issued, deadline=issued + dt.timedelta(days=rng.choice([30, 90, 180])),
            created_by=author))
    return _bulk(Recommendation, rows, progress)


def _cat_recommendations(count: int, rng: random.Random, today: dt.date, author: User | None,
                         progress: Progress) -> list[Recommendation]:
    bodies = list(Agency.objects.order_by("code"))
    rows = []
    for number in range(count):
        article, text = CAT_TEXTS[number % len(CAT_TEXTS)]
        issued = dt.date(today.year - 2, 12, 1) if number % 2 else dt.date(today.year - 5, 12, 1)
        rows.append(Recommendation(
            source=Source.UN_CAT if number % 4 else Source.OMBUDSPERSON,
            addressee_body=rng.choice(bodies), responsible_official="Министр",
            text=text, category=Category.SAFEGUARDS,
            cat_reference=f"{article}; CAT/C/KAZ/CO/4, para. {10 + number}",
            affected_groups=[AffectedGroup.PERSONS_DEPRIVED_OF_LIBERTY],
            sdg_targets=["16.3", "16.10"] if number % 3 else ["16.3"],
            issued_on=issued, deadline=issued + dt.timedelta(days=365 * 2), created_by=author))
    for number, (source, reference, text, groups, targets) in enumerate(INTERNATIONAL):
        issued = dt.date(today.year - 3 + number % 2, 11, 1)
        rows.append(Recommendation(
            source=source, addressee_body=rng.choice(bodies), responsible_official="Министр",
            text=text, category=Category.SAFEGUARDS, cat_reference=reference,
            affected_groups=groups, sdg_targets=targets, issued_on=issued,
            deadline=issued + dt.timedelta(days=365 * 2), created_by=author))
    return _bulk(Recommendation, rows, progress)


# Recommendations of the other international mechanisms (paraphrased).
INTERNATIONAL = [
    (Source.SPT, "CAT/OP/KAZ/2, para. 35",
     "Обеспечить независимое медицинское освидетельствование каждого задержанного при "
     "поступлении, с фиксацией телесных повреждений по Стамбульскому протоколу.",
     [AffectedGroup.PERSONS_DEPRIVED_OF_LIBERTY, AffectedGroup.VICTIMS], ["16.3", "3.8"]),
    (Source.UPR, "A/HRC/43/10, para. 140.63",
     "Обеспечить эффективное расследование всех заявлений о пытках и привлечение виновных "
     "к ответственности.", [AffectedGroup.VICTIMS], ["16.3", "16.10"]),
    (Source.SPECIAL_PROCEDURES, "A/HRC/13/39/Add.3, para. 81",
     "Сократить срок задержания до доставки к судье и обеспечить доступ к адвокату с момента "
     "фактического задержания.", [AffectedGroup.PERSONS_DEPRIVED_OF_LIBERTY], ["16.3"]),
    (Source.UPR, "A/HRC/43/10, para. 140.71",
     "Обеспечить условия содержания несовершеннолетних и женщин отдельно от взрослых мужчин.",
     [AffectedGroup.CHILDREN, AffectedGroup.WOMEN], ["16.2", "5.2"]),
]


def _follow_up(recommendations: list[Recommendation], rng: random.Random, today: dt.date,
               author: User | None, progress: Progress) -> None:
    evidence, changes, moved = [], [], []
    for recommendation in recommendations:
        age = (today - recommendation.issued_on).days
        status = _status_for(rng, age)
        if rng.random() < 0.75:
            recommendation.response_level = rng.choices(
                list(ResponseLevel.values), [60, 20, 15, 5])[0]
        if status == S.NOT_STARTED:
            continue
        recommendation.status = status
        seen = rng.random() < 0.7
        evidence.append(Evidence(
            recommendation=recommendation, submitted_by=author,
            kind=Evidence.Kind.SEEN_AT_VISIT if seen else Evidence.Kind.DOCUMENT,
            description="Проверено при повторном визите." if seen else "Письмо ведомства."))
        moved.append(recommendation)
    Recommendation.objects.bulk_update(recommendations, ["status", "response_level"],
                                       batch_size=CHUNK)
    evidence = _bulk(Evidence, evidence, progress)
    for recommendation, proof in zip(moved, evidence, strict=True):
        when = min(today, recommendation.issued_on + dt.timedelta(days=rng.randint(30, 400)))
        changes.append(StatusChange(
            recommendation=recommendation, from_status=S.NOT_STARTED,
            to_status=recommendation.status, evidence=proof, changed_by=author,
            changed_at=dt.datetime.combine(when, dt.time(12), tzinfo=dt.UTC)))
    _bulk(StatusChange, changes, progress)


def _groups(recommendations: list[Recommendation], cat: list[Recommendation],
            rng: random.Random, author: User | None) -> None:
    """Each UN CAT recommendation on video recording shares its follow-up with a few NPM ones
    that ask the same, so the grouped view has examples."""
    video = [r for r in recommendations if r.category == Category.VIDEO_SURVEILLANCE]
    for recommendation in cat:
        if "video" not in recommendation.text or not video:
            continue
        group = RecommendationGroup.objects.create(title="Видеонаблюдение без слепых зон",
                                                   created_by=author)
        members = [recommendation, *rng.sample(video, k=min(3, len(video)))]
        Recommendation.objects.filter(pk__in=[m.pk for m in members]).update(group=group)


def _checklists(planned: list[Visit], progress: Progress) -> None:
    items = []
    for visit in planned:
        for recommendation in Recommendation.objects.filter(facility_id=visit.facility_id).exclude(
                status__in=CLOSED_STATUSES).only("pk"):
            items.append(ChecklistItem(visit=visit, recommendation=recommendation))
    _bulk(ChecklistItem, items, progress)


def wipe_visits() -> None:
    """Remove demo visits and recommendations. Deleting facilities takes a facility's own
    along, but national (UN CAT) recommendations belong to no facility: call this first."""
    Recommendation.objects.all().delete()
    RecommendationGroup.objects.all().delete()
    Visit.objects.all().delete()
