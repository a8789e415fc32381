"""Blind zones and broken cameras over time, down to zero: daily snapshots and the burn-down.

``coverage_snapshot_take`` (``custodywatch coverage_snapshot``, once a day; running it again the
same day replaces that day's rows) stores per facility, agency, region and the country: custody
rooms blind now and never covered, cameras out of order, the days each has been broken, and
the custody minutes spent blind that day, under the coverage rule in force (each row says
which). ``coverage_baseline_set`` stores the figure the burn-down starts from (the audit's
6,159 rooms without video and 937 broken cameras), spread over regions and agencies in
proportion to their custody rooms; it is a fact of the past and is never recomputed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN, Origin, audit_record
from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.models import AuditEvent, Scope, User
from custodywatch.accounts.scoping import facility_q
from custodywatch.registry.models import Agency, Camera, Facility, Region, Room
from custodywatch.reports.aggregates import _blind, local_midnight, zone
from custodywatch.reports.models import CoverageSnapshot
from custodywatch.video.coverage import coverage_rule
from custodywatch.video.selectors import cameras_with_health, rooms_by_facility

FIGURES = ("custody_rooms", "rooms_blind", "rooms_never_covered", "cameras",
           "cameras_out_of_order", "camera_days_broken", "longest_broken_days",
           "blind_custody_minutes")
Level = CoverageSnapshot.Level


def _facility_figures(now: dt.datetime, day: dt.date) -> dict[int, dict[str, int]]:
    figures: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    for facility_id, counts in rooms_by_facility(now=now).items():
        row = figures[facility_id]
        row["custody_rooms"], row["rooms_blind"] = counts.custody_rooms, counts.blind_now
        row["rooms_never_covered"] = counts.never_covered
    cameras = Camera.objects.filter(is_active=True, facility__is_active=True)
    for facility_id, n in cameras.values_list("facility_id").annotate(n=Count("pk")).order_by():
        figures[facility_id]["cameras"] = n
    for facility_id, since in (cameras_with_health(now=now)
                               .filter(is_active=True, facility__is_active=True)
                               .exclude(state_now="ok")
                               .values_list("facility_id", "state_since")):
        row = figures[facility_id]
        days = max(0, (now - since).days) if since else 0
        row["cameras_out_of_order"] += 1
        row["camera_days_broken"] += days
        row["longest_broken_days"] = max(row["longest_broken_days"], days)
    blind: dict[tuple[int, dt.date], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    _blind(local_midnight(day), now, blind)
    for (facility_id, blind_day), values in blind.items():
        if blind_day == day:
            figures[facility_id]["blind_custody_minutes"] += round(
                values["blind_seconds"] / 60)
    return figures


def _sum(rows: Iterable[dict[str, int]]) -> dict[str, int]:
    total = dict.fromkeys(FIGURES, 0)
    for row in rows:
        for name in FIGURES:
            if name == "longest_broken_days":
                total[name] = max(total[name], row[name])
            else:
                total[name] += row[name]
    return total


def coverage_snapshot_take(*, now: dt.datetime | None = None) -> int:
    """Store today's snapshot (local day); returns how many rows. Replaces today's rows."""
    now = now or timezone.now()
    day = now.astimezone(zone()).date()
    rule = str(coverage_rule())
    per_facility = _facility_figures(now, day)
    units = dict(Facility.objects.filter(is_active=True).values_list("pk", "region_id"))
    agency_of = dict(Facility.objects.filter(is_active=True).values_list("pk", "agency_id"))
    rows: list[CoverageSnapshot] = []
    by_region: dict[int, list[dict[str, int]]] = defaultdict(list)
    by_agency: dict[int, list[dict[str, int]]] = defaultdict(list)
    for facility_id, region_id in units.items():
        figures = per_facility.get(facility_id, dict.fromkeys(FIGURES, 0))
        by_region[region_id].append(figures)
        by_agency[agency_of[facility_id]].append(figures)
        rows.append(CoverageSnapshot(key=f"facility:{facility_id}", level=Level.FACILITY,
                                     facility_id=facility_id, day=day, rule=rule, **figures))
    for region_id, members in by_region.items():
        rows.append(CoverageSnapshot(key=f"region:{region_id}", level=Level.REGION,
                                     region_id=region_id, day=day, rule=rule, **_sum(members)))
    for agency_id, members in by_agency.items():
        rows.append(CoverageSnapshot(key=f"agency:{agency_id}", level=Level.AGENCY,
                                     agency_id=agency_id, day=day, rule=rule, **_sum(members)))
    rows.append(CoverageSnapshot(key="country", level=Level.COUNTRY, day=day, rule=rule,
                                 **_sum(per_facility.get(pk, dict.fromkeys(FIGURES, 0))
                                        for pk in units)))
    with transaction.atomic():
        CoverageSnapshot.objects.filter(day=day, baseline=False).delete()
        CoverageSnapshot.objects.bulk_create(rows, batch_size=2000)
        audit_record(actor=None, action=AuditEvent.Action.CREATE, origin=SYSTEM_ORIGIN,
                     object_type="reports.coveragesnapshot", object_label=day.isoformat(),
                     detail={"rows": len(rows), "rule": rule})
    return len(rows)


def _spread(total: int, weights: dict[int, int]) -> dict[int, int]:
    """``total`` split in proportion to ``weights`` (largest remainder: sums exactly)."""
    whole = sum(weights.values())
    if not whole:
        return dict.fromkeys(weights, 0)
    shares = {key: total * weight / whole for key, weight in weights.items()}
    result = {key: int(share) for key, share in shares.items()}
    rest = total - sum(result.values())
    for key in sorted(shares, key=lambda k: shares[k] - result[k], reverse=True)[:rest]:
        result[key] += 1
    return result


def coverage_baseline_set(*, acting_user: User | None, origin: Origin, day: dt.date,
                          rooms_blind: int, cameras_out_of_order: int) -> int:
    """The burn-down's starting figures: the country's, spread over regions and agencies in
    proportion to their custody rooms. Replaces an earlier baseline."""
    rooms = Room.objects.filter(custody_use=True, facility__is_active=True)
    by_region = dict(rooms.values_list("facility__region").annotate(n=Count("pk")).order_by())
    by_agency = dict(rooms.values_list("facility__agency").annotate(n=Count("pk")).order_by())
    rows = [CoverageSnapshot(key="country", level=Level.COUNTRY, day=day, baseline=True,
                             rooms_blind=rooms_blind, cameras_out_of_order=cameras_out_of_order)]
    for level, weights, field_name in ((Level.REGION, by_region, "region_id"),
                                       (Level.AGENCY, by_agency, "agency_id")):
        blind = _spread(rooms_blind, weights)
        broken = _spread(cameras_out_of_order, weights)
        rows += [CoverageSnapshot(key=f"{level}:{key}", level=level, day=day, baseline=True,
                                  rooms_blind=blind[key], cameras_out_of_order=broken[key],
                                  **{field_name: key}) for key in weights]
    with transaction.atomic():
        CoverageSnapshot.objects.filter(baseline=True).delete()
        CoverageSnapshot.objects.filter(day=day).delete()
        CoverageSnapshot.objects.bulk_create(rows)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     object_type="reports.coveragesnapshot", object_label="baseline",
                     detail={"day": day.isoformat(), "rooms_blind": rooms_blind,
                             "cameras_out_of_order": cameras_out_of_order})
    return len(rows)


# --------------------------------------------------------------------------- reading


@dataclass
class Series:
    key: str
    level: str
    name: str
    points: list[CoverageSnapshot] = field(default_factory=list)

    @property
    def last(self) -> CoverageSnapshot | None:
        return self.points[-1] if self.points else None

    @property
    def first(self) -> CoverageSnapshot | None:
        return self.points[0] if self.points else None


def _names(keys: set[str]) -> dict[str, str]:
    names = {"country": ""}
    ids: dict[str, set[int]] = defaultdict(set)
    for key in keys:
        if ":" in key:
            level, pk = key.split(":")
            ids[level].add(int(pk))
    for level, model in (("region", Region), ("agency", Agency)):
        for obj in model.objects.filter(pk__in=ids[level]):
            names[f"{level}:{obj.pk}"] = obj.name
    for facility_pk, code, name in Facility.objects.filter(pk__in=ids["facility"]).values_list(
            "pk", "code", "name"):
        names[f"facility:{facility_pk}"] = f"{code} {name}"
    return names


def burndown(*, user: User, facility: Facility | None = None, days: int = 400
             ) -> list[Series]:
    """The series the reader may see, baseline first then by day: the country, regions and
    agencies for the country scope; the own region for a region scope; one unit for a
    facility (or the unit asked for, if in scope)."""
    since = timezone.localdate() - dt.timedelta(days=days)
    rows = CoverageSnapshot.objects.filter(Q(day__gte=since) | Q(baseline=True))
    if facility is not None:
        if not Facility.objects.filter(facility_q(user), pk=facility.pk).exists():
            return []
        rows = rows.filter(key=f"facility:{facility.pk}")
    elif user.scope == Scope.COUNTRY and has_capability(user, Capability.READ_IN_SCOPE):
        rows = rows.filter(level__in=[Level.COUNTRY, Level.REGION, Level.AGENCY])
    elif user.scope == Scope.REGION and user.region_id:
        rows = rows.filter(key=f"region:{user.region_id}")
    elif user.scope == Scope.FACILITY and user.facility_id:
        rows = rows.filter(key=f"facility:{user.facility_id}")
    else:
        return []
    series: dict[str, Series] = {}
    for row in rows.order_by("key", "-baseline", "day"):
        series.setdefault(row.key, Series(key=row.key, level=row.level, name="")).points.append(
            row)
    names = _names(set(series))
    order: dict[str, int] = {Level.COUNTRY: 0, Level.REGION: 1, Level.AGENCY: 2, Level.FACILITY: 3}
    for item in series.values():
        item.name = names.get(item.key, item.key)
    return sorted(series.values(), key=lambda s: (order.get(s.level, 9), s.name))
