"""What the precomputed figures count, computed from the registers (reads only).

Days and months are local (``settings.TIME_ZONE``). Per unit and day (``FacilityDay``):

- ``detentions``: custody records whose actual moment of detention falls on the day;
- ``overruns``: of those, the ones held past the legal limit (released late, or still held
  after the limit at the time of the refresh) — custody.selectors.overrun_q;
- ``blind_seconds``: the time people in custody spent in a room that no camera covered with
  a working recording (video.coverage), cut at local midnights so each second counts on the
  day it passed;
- ``allegations``: complaints about the unit in the ill-treatment categories (torture;
  cruel, inhuman or degrading treatment; threats), on the day of the incident where the
  complaint gives it, else the day it was received — the head in charge is the one in charge
  when it happened;
- ``substantiated``: of those, the ones linked to a case in which a charge ended in a
  conviction (the complaints register has no "substantiated" status; a conviction is the
  finding a court made);
- ``cases``: cases concerning the unit, on the day the events began (else the day the case
  was registered);
- ``convictions``: of those, the cases with at least one charge that ended in a conviction.

Per region and month (``RegionMonth``): detentions, overruns and blind seconds summed from
the units' days; ``complaints`` all complaints received in the month, ``allegations`` those in
the ill-treatment categories; ``cases`` registered in the month; ``convictions`` charges whose
verdict of conviction is dated in the month.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Coalesce, TruncDate, TruncMonth

from custodywatch.cases.models import Case, Charge, Verdict
from custodywatch.complaints.models import Category, Complaint
from custodywatch.custody.models import CustodyRecord, RoomStay
from custodywatch.custody.selectors import overrun_q
from custodywatch.registry.models import Facility
from custodywatch.video.coverage import stay_coverage

ALLEGATION_CATEGORIES = (Category.TORTURE, Category.CRUEL_TREATMENT, Category.THREATS)
FIGURES = ("detentions", "overruns", "blind_seconds", "allegations", "substantiated", "cases",
           "convictions")
MONTH_FIGURES = ("detentions", "overruns", "blind_seconds", "complaints", "allegations",
                 "cases", "convictions")
STAY_CHUNK = 20_000

Key = tuple[int, dt.date]


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone())


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def convicted_case_q(path: str = "") -> Q:
    """Cases (at ``path``) with at least one charge that ended in a conviction."""
    prefix = f"{path}__" if path else ""
    return Q(**{f"{prefix}pk__in": Charge.objects.filter(verdict=Verdict.CONVICTED)
                .values("case_id")})


def _add(into: dict[Key, dict[str, int]], rows: Iterable[Mapping[str, Any]],
         figures: dict[str, str]) -> None:
    for row in rows:
        key = (row["facility_id"], row["day"])
        for figure, column in figures.items():
            into[key][figure] += row[column] or 0


def _custody(since: dt.datetime, now: dt.datetime, into: dict[Key, dict[str, int]]) -> None:
    rows = (CustodyRecord.objects.filter(detained_at__gte=since, detained_at__lt=now)
            .annotate(day=TruncDate("detained_at", tzinfo=zone()))
            .values("facility_id", "day")
            .annotate(n=Count("pk"), late=Count("pk", filter=overrun_q(now))).order_by())
    _add(into, rows, {"detentions": "n", "overruns": "late"})


def _blind(since: dt.datetime, now: dt.datetime, into: dict[Key, dict[str, int]]) -> None:
    stays = (RoomStay.objects.filter(Q(ended_at__isnull=True) | Q(ended_at__gt=since),
                                     started_at__lt=now)
             .values_list("pk", "room_id", "started_at", "ended_at",
                          "custody_record__facility_id").order_by("pk"))
    chunk: list[tuple] = []
    for stay in stays.iterator(chunk_size=STAY_CHUNK):
        chunk.append(stay)
        if len(chunk) == STAY_CHUNK:
            _blind_chunk(chunk, since, now, into)
            chunk = []
    if chunk:
        _blind_chunk(chunk, since, now, into)


def _blind_chunk(chunk: list[tuple], since: dt.datetime, now: dt.datetime,
                 into: dict[Key, dict[str, int]]) -> None:
    facility_of = {pk: facility_id for pk, _room, _s, _e, facility_id in chunk}
    clipped = [(pk, room, max(start, since), min(end, now) if end else now)
               for pk, room, start, end, _facility in chunk]
    local = zone()
    for coverage in stay_coverage(stays=[s for s in clipped if s[3] > s[2]], now=now):
        facility_id = facility_of[coverage.stay_id]
        for begin, finish in coverage.blind:
            while begin < finish:
                day = begin.astimezone(local).date()
                cut = min(finish, local_midnight(day + dt.timedelta(days=1)))
                into[(facility_id, day)]["blind_seconds"] += round(
                    (cut - begin).total_seconds())
                begin = cut


def _complaints(since: dt.datetime, now: dt.datetime, into: dict[Key, dict[str, int]]) -> None:
    substantiated = Exists(Case.objects.filter(convicted_case_q(), complaints=OuterRef("pk")))
    rows = (Complaint.objects.filter(facility__isnull=False, category__in=ALLEGATION_CATEGORIES)
            .annotate(moment=Coalesce("incident_started_at", "received_at"))
            .filter(moment__gte=since, moment__lt=now)
            .annotate(day=TruncDate("moment", tzinfo=zone()), proven=substantiated)
            .values("facility_id", "day")
            .annotate(n=Count("pk"), proven_n=Count("pk", filter=Q(proven=True))).order_by())
    _add(into, rows, {"allegations": "n", "substantiated": "proven_n"})


def _cases(since: dt.datetime, now: dt.datetime, into: dict[Key, dict[str, int]]) -> None:
    rows = (Case.objects.annotate(moment=Coalesce("events_from", "registered_at"))
            .filter(moment__gte=since, moment__lt=now)
            .annotate(day=TruncDate("moment", tzinfo=zone()))
            .values("facility_id", "day")
            .annotate(n=Count("pk"), won=Count("pk", filter=convicted_case_q())).order_by())
    _add(into, rows, {"cases": "n", "convictions": "won"})


def facility_days(*, since: dt.date, now: dt.datetime) -> dict[Key, dict[str, int]]:
    """Every unit-day with anything to count, from local midnight of ``since`` to ``now``."""
    start = local_midnight(since)
    into: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    _custody(start, now, into)
    _blind(start, now, into)
    _complaints(start, now, into)
    _cases(start, now, into)
    return {key: values for key, values in into.items() if any(values.values())}


def facility_months(days: dict[Key, dict[str, int]]) -> dict[Key, dict[str, int]]:
    """The unit-days summed per unit and month (the month's first day)."""
    into: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    for (facility_id, day), values in days.items():
        sums = into[(facility_id, month_start(day))]
        for name in FIGURES:
            sums[name] += values[name]
    return dict(into)


def region_months(*, since: dt.date, now: dt.datetime,
                  days: dict[Key, dict[str, int]]) -> dict[tuple[int, dt.date], dict[str, int]]:
    """Every region-month from the month of ``since`` (its first day) to ``now``."""
    start = local_midnight(month_start(since))
    into: dict[tuple[int, dt.date], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(MONTH_FIGURES, 0))
    region_of = dict(Facility.objects.values_list("pk", "region_id"))
    for (facility_id, day), values in days.items():
        key = (region_of[facility_id], month_start(day))
        for figure in ("detentions", "overruns", "blind_seconds"):
            into[key][figure] += values[figure]
    month = TruncMonth("received_at", tzinfo=zone())
    for row in (Complaint.objects.filter(received_at__gte=start, received_at__lt=now)
                .annotate(month=month).values("region_id", "month")
                .annotate(n=Count("pk"),
                          bad=Count("pk", filter=Q(category__in=ALLEGATION_CATEGORIES)))
                .order_by()):
        into[(row["region_id"], _as_date(row["month"]))]["complaints"] += row["n"]
        into[(row["region_id"], _as_date(row["month"]))]["allegations"] += row["bad"]
    for case_row in (Case.objects.filter(registered_at__gte=start, registered_at__lt=now)
                     .annotate(month=TruncMonth("registered_at", tzinfo=zone()))
                     .values("region_id", "month").annotate(n=Count("pk")).order_by()):
        into[(case_row["region_id"], _as_date(case_row["month"]))]["cases"] += case_row["n"]
    convicted = Charge.objects.filter(verdict=Verdict.CONVICTED, verdict_on__gte=start.date(),
                                      verdict_on__lte=now.astimezone(zone()).date())
    for charge_row in (convicted.annotate(month=TruncMonth("verdict_on"))
                       .values("case__region_id", "month").annotate(n=Count("pk")).order_by()):
        into[(charge_row["case__region_id"], _as_date(charge_row["month"]))]["convictions"] += (
            charge_row["n"])
    return {key: values for key, values in into.items() if any(values.values())}


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
