"""A year of synthetic complaints for the demo: the complaints bulk-inserted, their legal
holds placed through the service.

National: about 27,000 complaints (the seeds: complaints against law enforcement fell from
38k to 27k a year) of which about 700 allege torture; small: a few dozen. Demo complaints
have no receipt code that opens them (their hash is unusable: Argon2id for tens of
thousands of rows would take minutes) and no sealed identity; file one through the web form
to see those. That is why the complaints stay a bulk insert rather than ``complaint_file``
(which draws and hashes a receipt code for each). Each torture or cruel-treatment complaint
carries a legal hold on its facility, placed by ``services.legal_hold_place`` as at filing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import secrets
from collections.abc import Callable, Sequence

from django.db import transaction

from custodywatch.accounts.audit import Origin
from custodywatch.complaints import receipts, rules, services
from custodywatch.complaints.models import (
    Category,
    Channel,
    Complaint,
    Disposition,
    LegalHold,
    Status,
    Terminal,
    TerminalAlert,
    TerminalUptime,
    Urgency,
)
from custodywatch.registry.models import Facility

Progress = Callable[[int], None]
DEMO_ORIGIN = Origin(ip_address=None, user_agent="demo")
CHUNK = 2000

COUNTS = {"national": 27_000, "small": 40}
TORTURE_COUNTS = {"national": 700, "small": 3}
# Shares of the other classes among the rest.
OTHER_SHARES = [(Category.CRUEL_TREATMENT, 0.08), (Category.THREATS, 0.12),
                (Category.DENIAL_OF_CARE, 0.22), (Category.CONDITIONS, 0.33),
                (Category.OTHER, 0.25)]
CHANNEL_SHARES = [(Channel.WEB, 0.30), (Channel.KIOSK, 0.20), (Channel.HOTLINE, 0.15),
                  (Channel.LAWYER, 0.10), (Channel.RELATIVE, 0.10), (Channel.NPM_VISIT, 0.05),
                  (Channel.E_APPEALS, 0.10)]
DISPOSITION_SHARES = [(Disposition.REFERRED, 0.12), (Disposition.CASE_OPENED, 0.05),
                      (Disposition.REFUSED, 0.28), (Disposition.SUBSTANTIATED, 0.1),
                      (Disposition.NOT_SUBSTANTIATED, 0.35), (Disposition.REMEDY, 0.1)]
DISPOSITION_DETAILS: dict[str, str] = {
    Disposition.REFERRED: "ЕРДР 26{n:07d}",
    Disposition.CASE_OPENED: "УД 26{n:07d}",
    Disposition.REFUSED: "п. 1 ч. 1 ст. 35 УПК: нет события правонарушения",
    Disposition.REMEDY: "Восстановлено право на свидание с адвокатом"}
TEXTS = {
    Category.TORTURE: ("В отделе полиции меня избили и требовали признание.", ["избили"]),
    Category.CRUEL_TREATMENT: ("Сотрудники унижают задержанных и не дают спать.", ["унижают"]),
    Category.THREATS: ("Следователь угрожает расправой за жалобу.", ["угрожает"]),
    Category.DENIAL_OF_CARE: ("Мне не дали встретиться с адвокатом.", ["адвокатом"]),
    Category.CONDITIONS: ("В камере холодно и сыро, нет одеял.", ["холодно"]),
    Category.OTHER: ("Прошу сообщить, где содержится мой брат.", []),
}


def expected_complaint_rows(scale_name: str) -> int:
    """What build_complaints reports to the progress bar: the complaints, then the holds of
    the torture and cruel-treatment ones (the latter drawn by share, so approximate)."""
    total, torture = COUNTS[scale_name], TORTURE_COUNTS[scale_name]
    cruel_share = dict(OTHER_SHARES)[Category.CRUEL_TREATMENT]
    return total + torture + round((total - torture) * cruel_share)


def _pick(rng: random.Random, shares: Sequence[tuple[str, float]]) -> str:
    return rng.choices([value for value, _share in shares],
                       weights=[share for _value, share in shares])[0]


def wipe_complaints() -> None:
    """Remove every complaint (before the registry is wiped: complaints protect facilities)."""
    LegalHold.rooms.through.objects.all().delete()
    LegalHold.objects.all().delete()
    Complaint.objects.all().delete()
    Terminal.objects.all().delete()  # their uptime and alerts go with them


def build_complaints(*, scale_name: str, rng: random.Random, now: dt.datetime,
                     progress: Progress = lambda n: None) -> int:
    """Insert a year of complaints ending at `now`; returns how many."""
    facilities = list(Facility.objects.select_related("region").order_by("pk"))
    if not facilities:
        return 0
    total, torture = COUNTS[scale_name], TORTURE_COUNTS[scale_name]
    categories: list[str] = [Category.TORTURE] * torture + [
        _pick(rng, OTHER_SHARES) for _ in range(total - torture)]
    rng.shuffle(categories)
    year_start = now - dt.timedelta(days=365)
    complaints = []
    for number, category in enumerate(categories, start=1):
        received_at = year_start + dt.timedelta(seconds=rng.randrange(365 * 86400))
        facility = rng.choice(facilities)
        text, words = TEXTS[Category(category)]
        age = now - received_at
        answered = age > dt.timedelta(days=25) or (age > dt.timedelta(days=4)
                                                   and rng.random() < 0.6)
        # Older answered complaints are closed, each with how it ended (issue 23, item 6).
        closed = answered and age > dt.timedelta(days=40) and rng.random() < 0.6
        disposition = _pick(rng, DISPOSITION_SHARES) if closed else ""
        complaint = Complaint(
            reference=f"C-D{received_at.year}-{number:06d}",
            channel=_pick(rng, CHANNEL_SHARES), received_at=received_at,
            language="ru", facility=facility, region=facility.region,
            suggested_category=category, category=category, triggering_words=words,
            urgency=Urgency.HIGH if rng.random() < 0.1 else Urgency.NORMAL,
            handling_body=rules.ROUTING[category],
            status=Status.CLOSED if closed else Status.ANSWERED if answered
            else Status.REGISTERED,
            closed_at=received_at + dt.timedelta(days=30) if closed else None,
            disposition=disposition,
            disposition_detail=DISPOSITION_DETAILS.get(disposition, "").format(n=number),
            registration_due_at=received_at + rules.COMPLAINT_TERMS.registration,
            registered_at=received_at + dt.timedelta(hours=rng.randrange(1, 30)),
            answer_due_at=received_at + rules.answer_term(category),
            answered_at=received_at + dt.timedelta(days=rng.randrange(1, 25)) if answered
            else None,
            is_anonymous=rng.random() < 0.3,
            # A lower-case letter: never a real locator (those are upper-case base32).
            receipt_locator=f"d{number:07d}", receipt_hash=receipts.UNUSABLE_HASH,
            receipt_sha256="")
        complaint.text = text  # a property (sealed with the row): set as Model() would
        complaints.append(complaint)
    with transaction.atomic():
        created: list[Complaint] = []
        for start in range(0, len(complaints), CHUNK):
            batch = Complaint.objects.bulk_create(complaints[start:start + CHUNK])
            Complaint.seal_created(batch)  # bulk_create skips save(): seal the text now
            created.extend(batch)
            progress(len(complaints[start:start + CHUNK]))
        # The holds through the service, as at filing (complaints/services/holds.py): the
        # hold, its timeline event, its ledger leaf and the off-site copy's hold, placed when
        # the complaint came in (a few thousand national: seconds).
        holds = [services.legal_hold_place(complaint=c, acting_user=None, now=c.received_at,
                                           origin=DEMO_ORIGIN)
                 for c in created
                 if c.category in (Category.TORTURE, Category.CRUEL_TREATMENT)]
        progress(len(holds))
    return len(created)


# The seeds' 365 complaint terminals in correctional colonies and pre-trial detention centres,
# scaled to the demo's facilities (3,000 national, 60 small); about one in ten is off now.
TERMINAL_COUNTS = {"national": 365, "small": 8}
TERMINAL_KINDS = (Facility.Kind.CORRECTIONAL_COLONY, Facility.Kind.PRETRIAL_DETENTION)
TERMINAL_PLACES = ["Отряд 1, коридор", "Отряд 2, комната воспитательной работы",
                   "Локальный участок, вход в столовую", "Корпус 1, этаж 2", "Корпус 2, этаж 1",
                   "Медицинская часть, коридор", "Комната краткосрочных свиданий"]
UPTIME_DAYS = 30


def build_terminals(*, scale_name: str, rng: random.Random, now: dt.datetime) -> int:
    """Enrolled terminals with 30 days of uptime spans; those off now have an open alert
    (marked as e-mailed: a demo load sends no mail). Their credentials open nothing: give a
    terminal a new enrolment code on the terminals page to enrol a browser as it."""
    facilities = list(Facility.objects.filter(kind__in=TERMINAL_KINDS).order_by("pk"))
    if not facilities:
        return 0
    enrolled_at = now - dt.timedelta(days=UPTIME_DAYS + 30)
    terminals = []
    for number in range(TERMINAL_COUNTS[scale_name]):
        facility = facilities[number] if number < len(facilities) else rng.choice(facilities)
        terminals.append(Terminal(
            facility=facility, place=rng.choice(TERMINAL_PLACES), created_at=enrolled_at,
            enrolled_at=enrolled_at,
            device_key_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest()))
    terminals = Terminal.objects.bulk_create(terminals)
    spans, alerts, updates = [], [], []
    for number, terminal in enumerate(terminals):
        reliability = rng.uniform(0.55, 1.0)
        off_now = number % 10 == 3 or rng.random() < 0.05
        last_heard = now - dt.timedelta(hours=rng.randrange(2, 72)) if off_now else now
        for day in range(UPTIME_DAYS, 0, -1):
            start = now - dt.timedelta(days=day)
            end = min(start + dt.timedelta(days=1), last_heard)
            if end > start and rng.random() < reliability:
                spans.append(TerminalUptime(terminal=terminal, started_at=start, ended_at=end))
        terminal.last_heartbeat_at = last_heard
        updates.append(terminal)
        if off_now:
            alerts.append(TerminalAlert(terminal=terminal, silent_since=last_heard,
                                        raised_at=last_heard + dt.timedelta(minutes=30),
                                        mailed_at=last_heard + dt.timedelta(minutes=30)))
    Terminal.objects.bulk_update(updates, ["last_heartbeat_at"], batch_size=CHUNK)
    TerminalUptime.objects.bulk_create(spans, batch_size=CHUNK)
    TerminalAlert.objects.bulk_create(alerts, batch_size=CHUNK)
    return len(terminals)
