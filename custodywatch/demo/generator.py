"""A deterministic synthetic national dataset: the same seed gives the same data.

`small` loads in seconds for looking around and for tests; `national` is the customer's
size (about 3,000 facilities, 30,000 custody rooms, 20,000 cameras). Rows go in with
bulk inserts in chunks so the national registry loads in well under a minute.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from custodywatch.accountability.demo import build_accountability, wipe_accountability
from custodywatch.accountability.models import FundTariff, MciRate
from custodywatch.accountability.reference import load_fund_tables
from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent, MachineToken, Role, User
from custodywatch.accounts.services import user_create
from custodywatch.cases.demo import build_cases, expected_case_rows, wipe_cases
from custodywatch.complaints.demo import (
    build_complaints,
    build_terminals,
    expected_complaint_rows,
    wipe_complaints,
)
from custodywatch.custody.demo import build_custody, expected_custody_rows
from custodywatch.custody.demo_mass import build_mass_detentions, wipe_mass
from custodywatch.custody.models import CustodyAlert, CustodyRecord, LawyerLicence
from custodywatch.demo.coverage import build_coverage_demo
from custodywatch.demo.models import DemoDataset
from custodywatch.escrow.demo import build_body_cameras
from custodywatch.escrow.models import (
    BodyCameraAssignment,
    BodyCameraGap,
    EscrowHold,
    EscrowObject,
    SegmentFingerprint,
)
from custodywatch.escrow.services import lock_updates_batched
from custodywatch.ledger import db_guards
from custodywatch.liveview.demo import build_liveview
from custodywatch.medical.demo import build_referrals, wipe_medical
from custodywatch.registry.models import (
    Agency,
    Camera,
    CameraChange,
    Facility,
    HeadAppointment,
    Recorder,
    Region,
    Room,
)
from custodywatch.registry.reference import load_reference_data
from custodywatch.reports.demo import build_reports, wipe_reports
from custodywatch.reports.models import CoverageSnapshot
from custodywatch.video.demo import build_video
from custodywatch.visits.demo import build_visits, wipe_visits

DEMO_PASSWORD = "custody-demo-2026"  # noqa: S105  (printed on the console: demo data only)
CHUNK = 2000
# Share of cameras that also show a second room no other camera of the facility points at
# (a wide angle through a door); with it the national demo leaves about 5,500 custody rooms
# with no camera at all, and the video demo's broken cameras bring the blind rooms to about
# the audit's 6,159.
WIDE_ANGLE_SHARE = 0.6

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Scale:
    facilities: int
    custody_rooms: int
    cameras: int


SCALES = {
    "small": Scale(facilities=60, custody_rooms=600, cameras=420),
    "national": Scale(facilities=3000, custody_rooms=30000, cameras=20000),
}

# Facility type: share of facilities, relative custody-room weight, agency, Russian label.
# Names in ru, kk and en: (ru, kk, en).
Names = tuple[str, str, str]
FACILITY_MIX: list[tuple[str, float, float, str, Names]] = [
    (Facility.Kind.POLICE_STATION, 0.55, 4.0, "MVD",
     ("Отдел полиции", "Полиция бөлімі", "Police department")),
    (Facility.Kind.TEMPORARY_DETENTION, 0.12, 12.0, "MVD",
     ("Изолятор временного содержания", "Уақытша ұстау изоляторы",
      "Temporary detention isolator")),
    (Facility.Kind.SPECIAL_RECEPTION, 0.07, 9.0, "MVD",
     ("Специальный приёмник", "Арнаулы қабылдау орны", "Special reception centre")),
    (Facility.Kind.JUVENILE_CENTRE, 0.03, 6.0, "MVD",
     ("Центр адаптации несовершеннолетних", "Кәмелетке толмағандарды бейімдеу орталығы",
      "Juvenile adaptation centre")),
    (Facility.Kind.PRETRIAL_DETENTION, 0.04, 45.0, "KUIS",
     ("Следственный изолятор", "Тергеу изоляторы", "Pre-trial detention centre")),
    (Facility.Kind.CORRECTIONAL_COLONY, 0.06, 40.0, "KUIS",
     ("Исправительное учреждение", "Түзеу мекемесі", "Correctional institution")),
    (Facility.Kind.MILITARY_GUARDHOUSE, 0.03, 4.0, "MO-VP",
     ("Гауптвахта", "Гауптвахта", "Military guardhouse")),
    (Facility.Kind.PSYCHIATRIC, 0.04, 10.0, "MZ",
     ("Психиатрическая больница", "Психиатриялық аурухана", "Psychiatric hospital")),
    (Facility.Kind.OTHER, 0.06, 5.0, "KNB", ("Изолятор", "Изолятор", "Isolator")),
]

CUSTODY_ROOM_KINDS: list[tuple[str, Names, float]] = [
    (Room.Kind.CELL, ("Камера", "Камера", "Cell"), 0.72),
    (Room.Kind.INTERROGATION, ("Следственный кабинет", "Тергеу кабинеті", "Interview room"),
     0.12),
    (Room.Kind.TRANSPARENT_INTERROGATION, ("Прозрачная комната допроса",
                                           "Мөлдір жауап алу бөлмесі",
                                           "Transparent interrogation room"), 0.03),
    (Room.Kind.MEDICAL, ("Медицинский кабинет", "Медициналық кабинет", "Medical room"), 0.05),
    (Room.Kind.ADMISSION, ("Комната приёма и досмотра", "Қабылдау және тексеру бөлмесі",
                           "Admission and search room"), 0.04),
    (Room.Kind.YARD, ("Прогулочный двор", "Серуендеу ауласы", "Exercise yard"), 0.04),
]
OTHER_ROOMS: list[tuple[str, Names]] = [
    (Room.Kind.CORRIDOR, ("Коридор", "Дәліз", "Corridor")),
    (Room.Kind.DUTY, ("Дежурная часть", "Кезекші бөлім", "Duty room")),
]

SURNAMES = ["Ахметов", "Сейтказиев", "Жумабаев", "Нурланов", "Иванов", "Ким", "Серикбаев",
            "Абенов", "Тулегенов", "Петров", "Касымов", "Омаров", "Бекетов", "Исаев"]
GIVEN_NAMES = ["Ерлан", "Асхат", "Даурен", "Бауыржан", "Сергей", "Марат", "Нурлан", "Айдос",
               "Руслан", "Тимур", "Айгерим", "Динара"]
RANKS = ["подполковник полиции", "полковник полиции", "майор полиции",
         "полковник юстиции", "подполковник юстиции"]

Progress = Callable[[int], None]


def _person(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(GIVEN_NAMES)}"


def _allocate(total: int, weights: list[float]) -> list[int]:
    """Split `total` into integers proportional to `weights` (largest remainders)."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    counts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _bulk(model: type[M], rows: list[M], progress: Progress) -> list[M]:
    created: list[M] = []
    for start in range(0, len(rows), CHUNK):
        # The default manager: `objects` on every model given here.
        created.extend(model._default_manager.bulk_create(rows[start : start + CHUNK]))
        progress(len(rows[start : start + CHUNK]))
    return created


def wipe() -> None:
    """Remove a previous demo dataset (registry and demo accounts), keeping reference data.

    The evidence ledger is append-only in the database itself; a demo reset is the one path
    that empties it (db_guards.reset_ledger_tables: drop the guards, delete, reinstate them).
    Only this command reaches it, never a view (docs/ledger.md).
    """
    with transaction.atomic():
        db_guards.reset_ledger_tables(connection)
        wipe_reports()  # open-data releases: their ledger entries go with the ledger
        wipe_visits()  # UN CAT recommendations belong to no facility
        wipe_accountability()  # proceedings and the Fund's rows protect cases and officers
        wipe_medical()  # referrals protect the complaints, holds and cases they opened
        wipe_cases()  # cases protect the complaints, facilities and officers they concern
        wipe_complaints()  # complaints protect the facilities they concern
        # Escrow's rows protect the facilities, cameras and segments they name (the objects
        # in the store stay: they are locked; a new demo writes new keys).
        # (A body-worn camera's gaps protect its assignment and the custody record.)
        for model in (SegmentFingerprint, EscrowObject, BodyCameraGap, BodyCameraAssignment):
            model.objects.all().delete()
        EscrowHold.rooms.through.objects.all().delete()
        EscrowHold.cameras.through.objects.all().delete()
        EscrowHold.objects.all().delete()
        # Mass detention and whereabouts protect records, places and the people who asked.
        wipe_mass()
        # Custody first: its stays and interrogations protect the rooms they happened in.
        CustodyAlert.objects.all().delete()
        CustodyRecord.objects.all().delete()
        # Camera proposals protect the people who made them; snapshots name no facility
        # above the unit's own rows (demo/coverage.py).
        CameraChange.objects.all().delete()
        CoverageSnapshot.objects.all().delete()
        MachineToken.objects.all().delete()
        AuditEvent.objects.all().delete()
        User.objects.all().delete()
        Camera.rooms.through.objects.all().delete()
        for registry_model in (Camera, Recorder, Room, HeadAppointment, Facility):
            registry_model.objects.all().delete()
        DemoDataset.objects.all().delete()


def build_registry(scale: Scale, rng: random.Random, progress: Progress) -> list[Facility]:
    regions = list(Region.objects.order_by("code"))
    agencies = {a.code: a for a in Agency.objects.all()}
    kinds = rng.choices(FACILITY_MIX, weights=[m[1] for m in FACILITY_MIX], k=scale.facilities)
    facilities = []
    number_in_region: dict[tuple[str, str], int] = {}
    for index, (kind, _share, _weight, agency_code, (ru, kk, en)) in enumerate(kinds):
        region = regions[index % len(regions)]
        key = (region.code, kind)
        number_in_region[key] = number_in_region.get(key, 0) + 1
        number = number_in_region[key]
        facilities.append(Facility(
            code=f"{region.code.replace('KZ-', 'F')}-{index + 1:05d}",
            name=f"{ru} №{number}, {region.name_ru}",
            name_kk=f"{region.name_kk}, №{number} {kk.lower()}",
            name_en=f"{en} No. {number}, {region.name_en}",
            kind=kind, region=region, agency=agencies[agency_code],
            address=f"{region.name_ru}, ул. {rng.choice(SURNAMES)}а, {rng.randint(1, 200)}",
        ))
    facilities = _bulk(Facility, facilities, progress)

    weights = [kinds[i][2] * rng.uniform(0.5, 1.5) for i in range(len(facilities))]
    room_counts = [max(1, n) for n in _allocate(scale.custody_rooms, weights)]
    # Coverage differs by facility: most are well equipped, some have few cameras.
    camera_weights = [n * rng.choice([1.0, 1.0, 0.9, 0.6, 0.3]) for n in room_counts]
    camera_counts = _allocate(scale.cameras, camera_weights)

    rooms: list[Room] = []
    for facility, count in zip(facilities, room_counts, strict=True):
        kinds_for_rooms = rng.choices(
            CUSTODY_ROOM_KINDS, weights=[k[2] for k in CUSTODY_ROOM_KINDS], k=count
        )
        for number, (room_kind, (ru, kk, en), _w) in enumerate(kinds_for_rooms, start=1):
            # Marker ids as registry.markers.assign_marker_ids gives them: code order from 0.
            rooms.append(Room(facility=facility, code=f"R{number:03d}",
                              name=f"{ru} {number}", name_kk=f"{kk} {number}",
                              name_en=f"{en} {number}", kind=room_kind, custody_use=True,
                              marker_id=number - 1))
        for number, (room_kind, (ru, kk, en)) in enumerate(OTHER_ROOMS, start=1):
            rooms.append(Room(facility=facility, code=f"X{number:02d}", name=ru, name_kk=kk,
                              name_en=en, kind=room_kind, custody_use=False))
    rooms = _bulk(Room, rooms, progress)
    rooms_by_facility: dict[int, list[Room]] = {}
    for room in rooms:
        rooms_by_facility.setdefault(room.facility_id, []).append(room)

    recorders = _bulk(Recorder, [
        Recorder(facility=f, code="NVR1", model=rng.choice(["Hikvision DS-9632NI", "Dahua NVR5432",
                                                           "Uniview NVR304"]),
                 storage_days=rng.choice([30, 30, 60, 90]))
        for f in facilities
    ], progress)
    recorder_of = {r.facility_id: r for r in recorders}

    cameras: list[Camera] = []
    coverage: list[tuple[int, Room]] = []
    for facility, count in zip(facilities, camera_counts, strict=True):
        facility_rooms = rooms_by_facility[facility.pk]
        custody = [r for r in facility_rooms if r.custody_use]
        # Interrogation and admission rooms get cameras first; cells take what is left.
        custody.sort(key=lambda r: (r.kind == Room.Kind.CELL, rng.random()))
        targets = custody + [r for r in facility_rooms if not r.custody_use]
        for number in range(1, count + 1):
            cameras.append(Camera(facility=facility, recorder=recorder_of[facility.pk],
                                  code=f"CAM{number:03d}", name=f"Камера {number}"))
            covered = [targets[(number - 1) % len(targets)]]
            if rng.random() < WIDE_ANGLE_SHARE:
                covered.append(targets[(count + number - 1) % len(targets)])
            coverage.extend((len(cameras) - 1, room) for room in covered)
    cameras = _bulk(Camera, cameras, progress)
    through = Camera.rooms.through
    _bulk(through, list({(cameras[i].pk, room.pk): through(camera_id=cameras[i].pk,
                                                            room_id=room.pk)
                         for i, room in coverage}.values()), progress)

    heads = []
    for facility in facilities:
        start = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 700))
        for _term in range(rng.randint(1, 3)):
            end = start + dt.timedelta(days=rng.randint(300, 1400))
            heads.append(HeadAppointment(
                facility=facility, full_name=_person(rng), position="Начальник",
                rank=rng.choice(RANKS), started_on=start,
                ended_on=end if end < dt.date(2026, 6, 1) else None))
            if end >= dt.date(2026, 6, 1):
                break
            start = end + dt.timedelta(days=1)
    _bulk(HeadAppointment, heads, progress)
    return facilities


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str
    scope: str


def build_users(facilities: list[Facility]) -> list[DemoLogin]:
    """One sign-in per role; the facility staff work in Almaty city's first facility."""
    almaty = Region.objects.get(code="KZ-75")
    home = next(f for f in facilities if f.region_id == almaty.pk)
    people = [
        ("admin", Role.SYSTEM_ADMIN, "Администратор Системы", None, None),
        ("gpo", Role.GENERAL_PROSECUTOR, "Серикбаев Марат", None, None),
        ("prosecutor", Role.REGIONAL_PROSECUTOR, "Касымов Айдос", almaty, None),
        ("ombudsperson", Role.OMBUDSPERSON, "Абенова Динара", None, None),
        ("monitor", Role.NPM_MONITOR, "Ким Сергей", None, None),
        ("head", Role.FACILITY_HEAD, "Тулегенов Руслан", None, home),
        ("duty", Role.DUTY_OFFICER, "Омаров Тимур", None, home),
        ("forensic", Role.FORENSIC_EXPERT, "Исаева Айгерим", None, None),
        ("compensation", Role.COMPENSATION_OFFICER, "Бекетов Нурлан", None, None),
        ("analyst", Role.ANALYST, "Петров Даурен", None, None),
        # An independent doctor serving Almaty city's facilities (issue 21).
        ("doctor", Role.MEDICAL_EXAMINER, "Жумабаева Салтанат", almaty, None),
        # A registered NGO (issue 24 item 6): comments on the public recommendations.
        ("ngo", Role.NGO, "Жандосов Ержан", None, None),
        # "Where is he held?" (issue 22 item 8): a licensed lawyer asks; a hotline operator
        # asks for a relative after checking who the relative is.
        ("lawyer", Role.LAWYER, "Сарсенова Алия", None, None),
        ("operator", Role.HOTLINE_OPERATOR, "Нургалиев Бауыржан", None, None),
    ]
    organisations = {"ngo": "Казахстанское международное бюро по правам человека"}
    logins = []
    for username, role, name, region, facility in people:
        user = user_create(acting_user=None, origin=SYSTEM_ORIGIN, username=username,
                           password=DEMO_PASSWORD, role=role, full_name=name,
                           region=region, facility=facility,
                           organisation=organisations.get(username, ""))
        if role == Role.LAWYER:
            LawyerLicence.objects.create(user=user, number="KZ-ADV-0001234",
                                         valid_until=dt.date(2030, 12, 31))
        scope = facility.code if facility else (region.name_en if region else "country")
        logins.append(DemoLogin(str(Role(role).label), user.username, DEMO_PASSWORD, scope))
    user_create(acting_user=None, origin=SYSTEM_ORIGIN, username=f"agent-{home.code.lower()}",
                password=None, role=Role.EDGE_AGENT, facility=home)
    return logins


def load(
    *, scale_name: str, seed: int, progress: Progress = lambda n: None, reset: bool = False
) -> tuple[list[DemoLogin], bool]:
    """Load the dataset unless this database already holds the same one.

    Returns the demo logins and whether anything was loaded.
    """
    existing = DemoDataset.objects.first()
    if existing and existing.scale == scale_name and existing.seed == seed and not reset:
        return describe_logins(), False
    started = time.perf_counter()
    wipe()
    load_reference_data(Region, Agency)  # normally there from the migration; cheap to make sure
    load_fund_tables(MciRate, FundTariff)
    rng = random.Random(seed)  # noqa: S311 - deterministic demo data, not a secret
    demo_now = timezone.now().replace(minute=0, second=0, microsecond=0)
    # Each legal hold the builders place schedules its escrow lock update after commit; with
    # a store configured they go one per facility, not one per hold (escrow/services.py).
    with transaction.atomic(), lock_updates_batched():
        facilities = build_registry(SCALES[scale_name], rng, progress)
        # Camera health is judged against the clock: its "now" is the real one.
        build_video(scale_name=scale_name, rng=rng, now=timezone.now(), progress=progress)
        build_custody(scale_name=scale_name, rng=rng,
                      now=timezone.now().replace(second=0, microsecond=0), progress=progress)
        logins = build_users(facilities)
        build_visits(scale_name=scale_name, rng=rng, now=demo_now, progress=progress)
        build_complaints(scale_name=scale_name, rng=rng, now=demo_now, progress=progress)
        build_terminals(scale_name=scale_name, rng=rng, now=timezone.now())
        build_cases(scale_name=scale_name, rng=rng, now=demo_now, progress=progress)
        # Every intake injury, declared allegation and death referred, as the services do.
        build_referrals(rng=rng, now=demo_now, progress=progress)
        # Heads as people, proceedings, one compensation case to recourse (issue 24).
        build_accountability(rng=rng, now=demo_now)
        build_liveview(rng=rng, now=timezone.now())
        _refresh_planner_figures()
        # Markers, incidents, blind custody alerts, tickets and the burn-down (issue 19).
        build_coverage_demo(rng=rng, now=timezone.now())
        # Their own generator, so that the builders above keep their data whatever these do.
        extra = random.Random(seed * 1000 + 22)  # noqa: S311 - deterministic demo data
        # Mass detention: a past event and one on now, through custody's services (issue 22).
        build_mass_detentions(scale_name=scale_name, rng=extra, now=demo_now)
        # Body-worn cameras of the staff's facility, their shifts, files and a gap (issue 20).
        build_body_cameras(rng=extra, now=timezone.now())
        # Last: the precomputed figures count what the builders above wrote.
        build_reports(now=timezone.now())
        DemoDataset.objects.create(scale=scale_name, seed=seed,
                                   seconds=time.perf_counter() - started)
    return logins, True


def _refresh_planner_figures() -> None:
    """ANALYZE on PostgreSQL: the coverage and report builders query the thousands of rows
    this transaction just wrote, which the planner would otherwise judge from the figures of
    the tables before the load (often empty), and pick plans that run for minutes."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def describe_logins() -> list[DemoLogin]:
    logins = []
    for user in User.objects.exclude(role=Role.EDGE_AGENT).select_related("region", "facility"):
        scope = user.facility.code if user.facility else (
            user.region.name_en if user.region else "country")
        logins.append(DemoLogin(str(Role(user.role).label), user.username, DEMO_PASSWORD, scope))
    return sorted(logins, key=lambda login: list(Role.values).index(
        next(r for r in Role if r.label == login.role).value))


def expected_rows(scale_name: str) -> int:
    """Rows the progress bar counts for a scale (approximate for coverage and heads)."""
    scale = SCALES[scale_name]
    facilities = scale.facilities
    return (facilities + scale.custody_rooms + 2 * facilities + facilities + scale.cameras
            + int(scale.cameras * 1.6) + 2 * facilities + scale.cameras * 25
            + expected_custody_rows(scale_name) + expected_complaint_rows(scale_name)
            + expected_case_rows(scale_name))
